#include "store/block_codec.h"

#include <lzma.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

#include "store/encoding.h"

namespace prognos::store {

namespace {

// Block header: version, value mode, compression, sample count, body length (see blocks.md).
constexpr std::uint8_t kCompressionNone = 0;
constexpr std::uint8_t kCompressionZstd = 1;
constexpr std::uint8_t kCompressionXz = 2;  // raw LZMA2 (liblzma), options from the body length
// Mode choice is made by compressing each candidate body at this cheap level.
constexpr int kProbeLevel = 3;
// Scaled mode is only tried when at least this share of values fits one denominator.
constexpr double kMinScaledShare = 0.5;
// |k| must stay below 2^53 so that double(k) is exact.
constexpr double kMaxScaled = 9007199254740992.0;

std::uint64_t Bits(double v) { return std::bit_cast<std::uint64_t>(v); }

std::uint64_t ZigZag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t UnZigZag(std::uint64_t u) {
  return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

// Candidate denominators: every 2^a 3^b 5^c up to 10^9, ascending, so that among equally good
// denominators the smallest (shortest integers) wins. Decimal data (d = 10^k) and averages over
// 3, 5, 15, 60 … readings (d = 15, 3000, …) are both of this form.
const std::vector<std::uint64_t>& Denominators() {
  static const std::vector<std::uint64_t> kList = [] {
    std::vector<std::uint64_t> v;
    constexpr std::uint64_t kMax = 1'000'000'000;
    for (std::uint64_t a = 1; a <= kMax; a *= 2) {
      for (std::uint64_t b = a; b <= kMax; b *= 3) {
        for (std::uint64_t c = b; c <= kMax; c *= 5) v.push_back(c);
      }
    }
    std::sort(v.begin(), v.end());
    return v;
  }();
  return kList;
}

// Values computed as k / d by another route (a sum divided, a product) often land an ulp or two
// away from double(k) / d. Such a value is still coded as k plus a small residual of its bit
// pattern; beyond this many ulps it is an exception kept raw.
constexpr std::int64_t kMaxResidualUlps = 255;

}  // namespace

namespace internal {

std::int64_t RoundHalfAway(double x) {
  // For |x| < 2^53 the truncation t is exact and so is x − t (x's fractional bits), so this is
  // std::llround's half-away-from-zero rounding without the libm call.
  // Branch-free: on noisy values the fractional part's side is a coin flip, and a mispredicted
  // branch per value cost more than the rest of ScaledFits.
  const auto t = static_cast<std::int64_t>(x);
  const double f = x - static_cast<double>(t);
  return t + static_cast<std::int64_t>(f >= 0.5) - static_cast<std::int64_t>(f <= -0.5);
}

}  // namespace internal

namespace {

// k and r with bits(double(k) / d) + r == bits(v), |r| <= kMaxResidualUlps, or false.
bool ScaledFits(double v, double d, std::int64_t* k, std::int64_t* r) {
  const double x = v * d;
  if (!std::isfinite(x) || std::fabs(x) >= kMaxScaled) return false;
  const std::int64_t kk = internal::RoundHalfAway(x);  // |x| < 2^53 here
  const auto approx = static_cast<std::int64_t>(Bits(static_cast<double>(kk) / d));
  const auto exact = static_cast<std::int64_t>(Bits(v));
  // Same sign bit required (the bit patterns are then ordered like the values).
  if ((approx < 0) != (exact < 0)) return false;
  const std::int64_t diff = exact - approx;  // no overflow: same sign
  if (diff > kMaxResidualUlps || diff < -kMaxResidualUlps) return false;
  *k = kk;
  *r = diff;
  return true;
}

}  // namespace

namespace internal {

// The denominator fitting most values (ties: the smallest), judged on a prefix of the block and
// then counted over all of it. 0 when none fits at least kMinScaledShare of the values.
// A value scores 2 when it fits exactly (r = 0) and 1 when it needs a residual. One pass per
// candidate, and a candidate is dropped as soon as even a perfect rest could not beat the best
// so far (it must score strictly more to win): the same choice as scoring every candidate in
// full, in a fraction of the time (this ran for every sealed block of the simulator's store).
std::uint64_t ChooseDenominator(const Sample* s, std::size_t n) {
  const std::size_t probe = std::min<std::size_t>(n, 256);
  std::uint64_t best = 0;
  std::size_t best_fit = 0;
  for (const std::uint64_t d : Denominators()) {
    const auto dd = static_cast<double>(d);
    std::size_t fit = 0;
    std::int64_t k = 0;
    std::int64_t r = 0;
    for (std::size_t i = 0; i < probe; ++i) {
      if (ScaledFits(s[i].v, dd, &k, &r)) fit += r == 0 ? 2 : 1;
      if (fit + 2 * (probe - i - 1) <= best_fit) break;  // cannot win any more
    }
    if (fit > best_fit) {
      best_fit = fit;
      best = d;
      if (fit == 2 * probe) break;  // ascending: nothing smaller fits all exactly
    }
  }
  if (best == 0) return 0;
  std::size_t fit = 0;
  std::int64_t k = 0;
  std::int64_t r = 0;
  for (std::size_t i = 0; i < n; ++i) {
    fit += ScaledFits(s[i].v, static_cast<double>(best), &k, &r) ? 1 : 0;
  }
  return static_cast<double>(fit) >= kMinScaledShare * static_cast<double>(n) ? best : 0;
}

}  // namespace internal

namespace {

void PutTimestamps(const Sample* s, std::size_t n, std::string* out) {
  PutVarint(out, s[0].t);
  if (n < 2) return;
  // Modulo-2^64 arithmetic, as in the WAL: every int64 time round-trips.
  auto delta = static_cast<std::uint64_t>(s[1].t) - static_cast<std::uint64_t>(s[0].t);
  PutVarint(out, static_cast<std::int64_t>(delta));
  for (std::size_t i = 2; i < n; ++i) {
    const auto d = static_cast<std::uint64_t>(s[i].t) - static_cast<std::uint64_t>(s[i - 1].t);
    PutVarint(out, static_cast<std::int64_t>(d - delta));
    delta = d;
  }
}

void PutPlanes(const std::vector<std::uint64_t>& words, std::string* out) {
  const std::size_t n = words.size();
  const std::size_t base = out->size();
  out->resize(base + 8 * n);
  char* p = out->data() + base;
  for (int b = 0; b < 8; ++b) {
    for (std::size_t i = 0; i < n; ++i) {
      p[static_cast<std::size_t>(b) * n + i] = static_cast<char>((words[i] >> (8 * b)) & 0xff);
    }
  }
}

// `delta_ints` (scaled mode only): code k_i - k_{i-1} rather than k_i; smooth series favour the
// former, noisy ones around a level the latter.
std::string ValuesBody(const Sample* s, std::size_t n, ValueMode mode, std::uint64_t d,
                       bool delta_ints) {
  std::string out;
  std::vector<std::uint64_t> words(n);
  switch (mode) {
    case ValueMode::kRawShuffled:
      for (std::size_t i = 0; i < n; ++i) words[i] = Bits(s[i].v);
      PutPlanes(words, &out);
      break;
    case ValueMode::kXorShuffled: {
      std::uint64_t prev = 0;
      for (std::size_t i = 0; i < n; ++i) {
        words[i] = Bits(s[i].v) ^ prev;
        prev = Bits(s[i].v);
      }
      PutPlanes(words, &out);
      break;
    }
    case ValueMode::kScaled: {
      const auto dd = static_cast<double>(d);
      PutUvarint(&out, d);
      out.push_back(static_cast<char>(delta_ints ? 0 : 1));
      std::string exceptions;
      std::string deltas;
      std::string residuals;
      std::uint64_t count = 0;
      std::size_t last_pos = 0;
      std::int64_t prev = 0;
      for (std::size_t i = 0; i < n; ++i) {
        std::int64_t k = prev;  // an exception repeats the previous k: a zero delta
        std::int64_t r = 0;
        if (!ScaledFits(s[i].v, dd, &k, &r)) {
          k = prev;
          r = 0;
          PutUvarint(&exceptions, i - last_pos);
          PutFixed64(&exceptions, Bits(s[i].v));
          last_pos = i;
          ++count;
        }
        const std::uint64_t base = delta_ints ? static_cast<std::uint64_t>(prev) : 0;
        PutUvarint(&deltas,
                   ZigZag(static_cast<std::int64_t>(static_cast<std::uint64_t>(k) - base)));
        PutUvarint(&residuals, ZigZag(r));
        prev = k;
      }
      PutUvarint(&out, count);
      out += exceptions;
      out += deltas;
      out += residuals;
      break;
    }
  }
  return out;
}

std::string Zstd(std::string_view in, int level) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  const std::size_t r = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), level);
  if (ZSTD_isError(r) != 0)
    return {};  // cannot happen with a bound-sized buffer; caller stores raw
  out.resize(r);
  return out;
}

// LZMA2 options for a body of `size` bytes: preset 9 extreme with the dictionary cut to the
// body's size (the decoder allocates the dictionary the options name, so 64 MiB per block read
// would be absurd). The decoder derives the same options from the header's body length.
bool LzmaOptions(std::size_t size, lzma_options_lzma* opt) {
  if (lzma_lzma_preset(opt, 9 | LZMA_PRESET_EXTREME)) return false;
  // No literal-context or position bits: the bodies are varint and byte-plane streams whose
  // bytes do not depend on the previous byte's high bits or on 4-byte alignment (on the
  // Bitbrains data this is 1.3% smaller than the preset's lc=3, pb=2).
  opt->lc = 0;
  opt->lp = 0;
  opt->pb = 0;
  opt->dict_size = std::max<std::uint32_t>(
      LZMA_DICT_SIZE_MIN, static_cast<std::uint32_t>(std::min<std::size_t>(size, 1u << 26)));
  return true;
}

// A raw LZMA2 stream (no .xz container: the catalog's CRC-32 covers the block, and the
// container's ~60 bytes are 1% of a typical block). Empty on failure: the caller keeps the zstd
// or raw body instead.
std::string Lzma2(std::string_view in) {
  lzma_options_lzma opt{};
  if (!LzmaOptions(in.size(), &opt)) return {};
  const std::array<lzma_filter, 2> filters = {lzma_filter{LZMA_FILTER_LZMA2, &opt},
                                              lzma_filter{LZMA_VLI_UNKNOWN, nullptr}};
  std::string out(in.size() + in.size() / 16 + 1024, '\0');
  std::size_t pos = 0;
  const lzma_ret r = lzma_raw_buffer_encode(
      filters.data(), nullptr, reinterpret_cast<const std::uint8_t*>(in.data()), in.size(),
      reinterpret_cast<std::uint8_t*>(out.data()), &pos, out.size());
  if (r != LZMA_OK) return {};
  out.resize(pos);
  return out;
}

Result<void> UnLzma2(std::string_view in, std::string* out) {
  lzma_options_lzma opt{};
  if (!LzmaOptions(out->size(), &opt)) {
    return MakeError(ErrorCode::kCorruption, "block: lzma2 options");
  }
  const std::array<lzma_filter, 2> filters = {lzma_filter{LZMA_FILTER_LZMA2, &opt},
                                              lzma_filter{LZMA_VLI_UNKNOWN, nullptr}};
  std::size_t in_pos = 0;
  std::size_t out_pos = 0;
  const lzma_ret r = lzma_raw_buffer_decode(
      filters.data(), nullptr, reinterpret_cast<const std::uint8_t*>(in.data()), &in_pos, in.size(),
      reinterpret_cast<std::uint8_t*>(out->data()), &out_pos, out->size());
  // LZMA_OK with everything consumed, or LZMA_BUF_ERROR when the output filled exactly and
  // the end marker still needs the input: both are checked by the positions below.
  if (r != LZMA_OK && r != LZMA_STREAM_END) {
    return MakeError(ErrorCode::kCorruption,
                     "block: lzma2 error " + std::to_string(static_cast<int>(r)));
  }
  if (out_pos != out->size() || in_pos != in.size()) {
    return MakeError(ErrorCode::kCorruption, "block: lzma2 body length mismatch");
  }
  return Ok();
}

tl::unexpected<Error> Corrupt(const std::string& why) {
  return MakeError(ErrorCode::kCorruption, "block: " + why);
}

bool GetPlanes(Decoder* d, std::size_t n, std::vector<std::uint64_t>* words) {
  const std::string_view planes = d->Bytes(8 * n);
  if (!d->ok()) return false;
  words->assign(n, 0);
  for (int b = 0; b < 8; ++b) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto byte = static_cast<unsigned char>(planes[static_cast<std::size_t>(b) * n + i]);
      (*words)[i] |= static_cast<std::uint64_t>(byte) << (8 * b);
    }
  }
  return true;
}

}  // namespace

std::string EncodeBlock(const Sample* samples, std::size_t n, const BlockEncodeOptions& options) {
  std::string ts;
  PutTimestamps(samples, n, &ts);
  std::array<ValueMode, 3> modes = {ValueMode::kRawShuffled, ValueMode::kXorShuffled,
                                    ValueMode::kScaled};
  const std::uint64_t d = internal::ChooseDenominator(samples, n);
  std::string best_body;
  std::size_t best_size = SIZE_MAX;
  ValueMode best_mode = ValueMode::kRawShuffled;
  for (const ValueMode mode : modes) {
    if (mode == ValueMode::kScaled && d == 0) continue;
    for (const bool delta_ints : {true, false}) {
      if (mode != ValueMode::kScaled && !delta_ints) continue;
      std::string body = ts + ValuesBody(samples, n, mode, d, delta_ints);
      const std::size_t size = Zstd(body, kProbeLevel).size();
      if (size < best_size) {
        best_size = size;
        best_mode = mode;
        best_body = std::move(body);
      }
    }
  }
  std::uint8_t compression = kCompressionNone;
  std::string packed = best_body;
  if (std::string z = Zstd(best_body, options.zstd_level); !z.empty() && z.size() < packed.size()) {
    compression = kCompressionZstd;
    packed = std::move(z);
  }
  if (options.try_xz) {
    if (std::string x = Lzma2(best_body); !x.empty() && x.size() < packed.size()) {
      compression = kCompressionXz;
      packed = std::move(x);
    }
  }
  std::string out;
  out.push_back(static_cast<char>(kBlockEncodingVersion));
  out.push_back(static_cast<char>(best_mode));
  out.push_back(static_cast<char>(compression));
  PutUvarint(&out, n);
  PutUvarint(&out, best_body.size());
  out += packed;
  return out;
}

Result<ValueMode> BlockValueMode(std::string_view block) {
  if (block.size() < 2) return Corrupt("too short");
  const auto mode = static_cast<std::uint8_t>(block[1]);
  if (mode > 2) return Corrupt("unknown value mode " + std::to_string(mode));
  return static_cast<ValueMode>(mode);
}

Result<void> DecodeBlock(std::string_view block, std::vector<Sample>* out) {
  Decoder h(block);
  const std::uint8_t version = h.Byte();
  const std::uint8_t mode_byte = h.Byte();
  const std::uint8_t compression = h.Byte();
  const std::uint64_t n = h.Uvarint();
  const std::uint64_t body_len = h.Uvarint();
  if (!h.ok()) return Corrupt("truncated header");
  if (version > kBlockEncodingVersion) {
    return Corrupt("encoding version " + std::to_string(version) + " is newer than this build (" +
                   std::to_string(kBlockEncodingVersion) + ")");
  }
  if (version == 0) return Corrupt("encoding version 0");
  if (mode_byte > 2) return Corrupt("unknown value mode " + std::to_string(mode_byte));
  if (n == 0 || n > kMaxBlockSamples) return Corrupt("bad sample count " + std::to_string(n));
  // Timestamps take at most 10 bytes per sample, values at most 30 (scaled, all exceptions).
  if (body_len > 40 * n + 32) return Corrupt("body length out of range");
  const std::string_view rest = h.Bytes(h.remaining());
  std::string body_storage;
  std::string_view body;
  if (compression == kCompressionNone) {
    body = rest;
  } else if (compression == kCompressionZstd) {
    const unsigned long long frame = ZSTD_getFrameContentSize(rest.data(), rest.size());
    if (frame != body_len) return Corrupt("zstd frame size does not match the header");
    body_storage.resize(body_len);
    const std::size_t r =
        ZSTD_decompress(body_storage.data(), body_storage.size(), rest.data(), rest.size());
    if (ZSTD_isError(r) != 0) return Corrupt(std::string("zstd: ") + ZSTD_getErrorName(r));
    if (r != body_len) return Corrupt("zstd body shorter than the header says");
    body = body_storage;
  } else if (compression == kCompressionXz) {
    body_storage.resize(body_len);
    if (auto r = UnLzma2(rest, &body_storage); !r) return tl::unexpected(r.error());
    body = body_storage;
  } else {
    return Corrupt("unknown compression " + std::to_string(compression));
  }
  if (body.size() != body_len) return Corrupt("body length does not match the header");

  Decoder d(body);
  const std::size_t count = static_cast<std::size_t>(n);
  const std::size_t base = out->size();
  out->resize(base + count);
  Sample* s = out->data() + base;
  auto t = static_cast<std::uint64_t>(d.Varint());
  s[0].t = static_cast<TimestampMs>(t);
  std::uint64_t delta = 0;
  bool increasing = true;
  for (std::size_t i = 1; i < count && d.ok() && increasing; ++i) {
    delta = i == 1 ? static_cast<std::uint64_t>(d.Varint())
                   : delta + static_cast<std::uint64_t>(d.Varint());
    t += delta;
    s[i].t = static_cast<TimestampMs>(t);
    increasing = s[i].t > s[i - 1].t;
  }
  if (!d.ok() || !increasing) {
    out->resize(base);
    return Corrupt("bad timestamps");
  }
  const auto mode = static_cast<ValueMode>(mode_byte);
  bool ok = true;
  if (mode == ValueMode::kRawShuffled || mode == ValueMode::kXorShuffled) {
    std::vector<std::uint64_t> words;
    ok = GetPlanes(&d, count, &words);
    std::uint64_t prev = 0;
    for (std::size_t i = 0; ok && i < count; ++i) {
      const std::uint64_t w = mode == ValueMode::kXorShuffled ? words[i] ^ prev : words[i];
      s[i].v = std::bit_cast<double>(w);
      prev = w;
    }
  } else {
    const std::uint64_t den = d.Uvarint();
    const std::uint8_t int_coding = d.Byte();
    const std::uint64_t exceptions = d.Uvarint();
    ok = d.ok() && den > 0 && int_coding <= 1 && exceptions <= count;
    const bool delta_ints = int_coding == 0;
    std::vector<std::pair<std::size_t, std::uint64_t>> exc;
    std::size_t pos = 0;
    for (std::uint64_t e = 0; ok && e < exceptions; ++e) {
      const std::uint64_t gap = d.Uvarint();
      const std::uint64_t bits = d.Fixed64();
      // Positions strictly increase (the first may be 0) and stay inside the block.
      if (!d.ok() || (e > 0 && gap == 0) || gap >= count - pos) {
        ok = false;
        break;
      }
      pos += static_cast<std::size_t>(gap);
      exc.emplace_back(pos, bits);
    }
    const auto dd = static_cast<double>(den);
    std::int64_t k = 0;
    for (std::size_t i = 0; ok && i < count; ++i) {
      const std::uint64_t base = delta_ints ? static_cast<std::uint64_t>(k) : 0;
      k = static_cast<std::int64_t>(base + static_cast<std::uint64_t>(UnZigZag(d.Uvarint())));
      s[i].v = static_cast<double>(k) / dd;
    }
    std::size_t next_exc = 0;
    for (std::size_t i = 0; ok && i < count; ++i) {
      const std::int64_t r = UnZigZag(d.Uvarint());
      if (next_exc < exc.size() && exc[next_exc].first == i) {
        s[i].v = std::bit_cast<double>(exc[next_exc].second);
        ++next_exc;
      } else if (r != 0) {
        if (r > kMaxResidualUlps || r < -kMaxResidualUlps) {
          ok = false;
          break;
        }
        s[i].v = std::bit_cast<double>(Bits(s[i].v) + static_cast<std::uint64_t>(r));
      }
    }
    ok = ok && d.ok();
  }
  if (!ok || !d.done()) {
    out->resize(base);
    return Corrupt(ok ? "trailing bytes in body" : "bad values");
  }
  return Ok();
}

}  // namespace prognos::store
