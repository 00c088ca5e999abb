#include "store/block_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace prognos::store {
namespace {

std::uint64_t Bits(double v) { return std::bit_cast<std::uint64_t>(v); }

// Bit-for-bit equality of two sample runs (== on doubles would pass -0.0 for 0.0 and fail NaN).
void ExpectIdentical(const std::vector<Sample>& want, const std::vector<Sample>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(want[i].t, got[i].t) << "sample " << i;
    ASSERT_EQ(Bits(want[i].v), Bits(got[i].v)) << "sample " << i << " " << want[i].v;
  }
}

std::vector<Sample> RoundTrip(const std::vector<Sample>& in, ValueMode* mode = nullptr) {
  const std::string block = EncodeBlock(in.data(), in.size(), BlockEncodeOptions{3, false});
  if (mode != nullptr) *mode = *BlockValueMode(block);
  std::vector<Sample> out;
  auto r = DecodeBlock(block, &out);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return out;
}

TEST(BlockCodecTest, OneSampleHasTheDocumentedBytes) {
  // docs/formats/blocks.md: version 1, scaled, uncompressed, n = 1, body 7 bytes; t0 = 1000
  // (zigzag 2000 = D0 0F), d = 2 (the first candidate with k / d == 0.5), delta coding, no
  // exceptions, k = 1 (zigzag 2), residual 0.
  const Sample s{1000, 0.5};
  const std::string block = EncodeBlock(&s, 1, BlockEncodeOptions{19, true});
  const std::string want("\x01\x02\x00\x01\x07\xD0\x0F\x02\x00\x00\x02\x00", 12);
  EXPECT_EQ(block, want);
}

TEST(BlockCodecTest, SingleSampleRoundTrips) {
  const std::vector<Sample> in = {{1372629804000, 0.1}};
  ExpectIdentical(in, RoundTrip(in));
}

TEST(BlockCodecTest, SpecialValuesRoundTripBitForBit) {
  const double nan_payload = std::bit_cast<double>(std::uint64_t{0x7ff8000000abcdefull});
  const double snan = std::bit_cast<double>(std::uint64_t{0x7ff0000000000001ull});
  const double neg_nan = std::bit_cast<double>(std::uint64_t{0xfff8000000000000ull});
  const std::vector<Sample> in = {
      {-5, 0.0},
      {0, -0.0},
      {1, std::numeric_limits<double>::infinity()},
      {2, -std::numeric_limits<double>::infinity()},
      {3, nan_payload},
      {4, snan},
      {5, neg_nan},
      {6, std::numeric_limits<double>::denorm_min()},
      {7, std::numeric_limits<double>::max()},
      {8, 1.5},
  };
  ExpectIdentical(in, RoundTrip(in));
}

TEST(BlockCodecTest, ExtremeTimestampsRoundTrip) {
  const std::vector<Sample> in = {{std::numeric_limits<std::int64_t>::min(), 1.0},
                                  {-1, 2.0},
                                  {0, 3.0},
                                  {std::numeric_limits<std::int64_t>::max(), 4.0}};
  ExpectIdentical(in, RoundTrip(in));
}

// Values that are k/15 (Bitbrains-style averages) and a few that are not: scaled mode with
// exceptions, exceptions including -0.0 (k = 0 would give +0.0) and NaN.
TEST(BlockCodecTest, ScaledModeKeepsExceptionsExact) {
  std::vector<Sample> in;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    double v = static_cast<double>(rng() % 100000) / 15.0;
    if (i % 97 == 0) v = std::bit_cast<double>(rng());  // arbitrary bits, NaNs included
    if (i == 500) v = -0.0;
    in.push_back({1000 + 300'000 * static_cast<std::int64_t>(i), v});
  }
  ValueMode mode{};
  ExpectIdentical(in, RoundTrip(in, &mode));
  EXPECT_EQ(mode, ValueMode::kScaled);
}

TEST(BlockCodecTest, DecimalDataUsesScaledModeAndCompressesBelowTwoBytes) {
  // Two-decimal readings on a regular 5-minute grid: scaled integers with d = 100. The time
  // column costs ~0 (delta-of-delta all zero), the values ~ a varint delta each before zstd.
  std::vector<Sample> in;
  std::mt19937_64 rng(3);
  std::int64_t k = 5000;
  for (int i = 0; i < 4096; ++i) {
    k += static_cast<std::int64_t>(rng() % 21) - 10;
    in.push_back({1'600'000'000'000 + 300'000 * static_cast<std::int64_t>(i),
                  static_cast<double>(k) / 100.0});
  }
  const std::string block = EncodeBlock(in.data(), in.size(), BlockEncodeOptions{19, true});
  EXPECT_EQ(*BlockValueMode(block), ValueMode::kScaled);
  // 21 equally likely deltas: log2(21) = 4.4 bits of entropy per value = 0.55 B; allow 1 B.
  EXPECT_LT(block.size(), in.size());
  std::vector<Sample> out;
  ASSERT_TRUE(DecodeBlock(block, &out).has_value());
  ExpectIdentical(in, out);
}

// The scaled mode's denominator search before it was made single-pass with early exits (the
// block format depends on its choice): every 2^a 3^b 5^c <= 10^9 ascending, two passes over a
// 256-value prefix (2 points per exact fit, 1 per fit with a residual of <= 255 ulps), the best
// strictly greater score wins, then at least half of the whole block must fit.
std::uint64_t ReferenceDenominator(const std::vector<Sample>& s) {
  std::vector<std::uint64_t> ds;
  for (std::uint64_t a = 1; a <= 1'000'000'000; a *= 2) {
    for (std::uint64_t b = a; b <= 1'000'000'000; b *= 3) {
      for (std::uint64_t c = b; c <= 1'000'000'000; c *= 5) ds.push_back(c);
    }
  }
  std::sort(ds.begin(), ds.end());
  auto fits = [](double v, double d, std::int64_t* r) {
    const double x = v * d;
    if (!std::isfinite(x) || std::fabs(x) >= 9007199254740992.0) return false;
    const auto k = static_cast<std::int64_t>(std::llround(x));
    const auto approx = static_cast<std::int64_t>(Bits(static_cast<double>(k) / d));
    const auto exact = static_cast<std::int64_t>(Bits(v));
    if ((approx < 0) != (exact < 0)) return false;
    *r = exact - approx;
    return *r <= 255 && *r >= -255;
  };
  const std::size_t probe = std::min<std::size_t>(s.size(), 256);
  std::uint64_t best = 0;
  std::size_t best_fit = 0;
  std::int64_t r = 0;
  for (const std::uint64_t d : ds) {
    std::size_t fit = 0;
    for (std::size_t i = 0; i < probe; ++i) fit += fits(s[i].v, d, &r) && r == 0 ? 2 : 0;
    for (std::size_t i = 0; i < probe; ++i) fit += fits(s[i].v, d, &r) && r != 0 ? 1 : 0;
    if (fit > best_fit) {
      best_fit = fit;
      best = d;
      if (fit == 2 * probe) break;
    }
  }
  if (best == 0) return 0;
  std::size_t fit = 0;
  for (const Sample& x : s) fit += fits(x.v, static_cast<double>(best), &r) ? 1 : 0;
  return 2 * fit >= s.size() ? best : 0;
}

TEST(BlockCodecTest, DenominatorChoiceMatchesTheExhaustiveSearch) {
  std::mt19937_64 rng(21);
  struct Case {
    const char* name;
    std::function<double(std::size_t)> value;
    std::size_t n;
  };
  const std::vector<Case> cases = {
      {"random doubles", [&](std::size_t) { return std::uniform_real_distribution<>(0, 1e3)(rng); },
       300},
      {"two decimals", [&](std::size_t) { return static_cast<double>(rng() % 100000) / 100.0; },
       500},
      {"thirds with ulp noise",
       [&](std::size_t) {
         const double v = static_cast<double>(rng() % 9000) / 3.0;
         return std::bit_cast<double>(Bits(v) + rng() % 5);
       },
       400},
      {"decimals 200..300 ulps off (the residual limit is 255)",
       [&](std::size_t) {
         const double v = static_cast<double>(rng() % 100000 + 1) / 100.0;
         return std::bit_cast<double>(Bits(v) + 200 + rng() % 101);
       },
       400},
      {"sums divided (1/15 steps, residuals)",
       [&](std::size_t i) {
         return 0.1 * static_cast<double>(i % 7) + static_cast<double>(rng() % 50) / 15.0;
       },
       300},
      {"mostly random, some decimals",
       [&](std::size_t i) {
         return i % 3 == 0 ? static_cast<double>(rng() % 1000) / 10.0
                           : std::uniform_real_distribution<>(-5, 5)(rng);
       },
       600},
      {"decimal prefix, random rest",
       [&](std::size_t i) {
         return i < 256 ? static_cast<double>(rng() % 1000) / 4.0
                        : std::uniform_real_distribution<>(0, 1)(rng);
       },
       1000},
      {"negative and zero", [&](std::size_t i) { return -static_cast<double>(i % 11) / 8.0; }, 64},
      {"special values",
       [&](std::size_t i) {
         const double sp[] = {0.0,
                              -0.0,
                              std::numeric_limits<double>::infinity(),
                              std::numeric_limits<double>::quiet_NaN(),
                              1e300,
                              5e-324,
                              0.5};
         return sp[i % 7];
       },
       70},
      {"one value", [&](std::size_t) { return 2.75; }, 1},
  };
  int chosen = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<Sample> in;
    for (std::size_t i = 0; i < c.n; ++i) {
      in.push_back({static_cast<std::int64_t>(i) * 1000, c.value(i)});
    }
    const std::uint64_t want = ReferenceDenominator(in);
    EXPECT_EQ(internal::ChooseDenominator(in.data(), in.size()), want);
    chosen += want != 0 ? 1 : 0;
  }
  EXPECT_GE(chosen, 5);  // the table exercises the scaled choice, not only "none"
}

TEST(BlockCodecTest, RoundHalfAwayIsLlround) {
  std::mt19937_64 rng(5);
  std::vector<double> xs = {0.0,
                            -0.0,
                            0.5,
                            -0.5,
                            1.5,
                            -1.5,
                            2.5,
                            -2.5,
                            0.49999999999999994,
                            -0.49999999999999994,
                            4503599627370495.5,
                            -4503599627370495.5,
                            9007199254740991.0,
                            -9007199254740991.0,
                            1e-300,
                            123456789.5};
  for (int i = 0; i < 100000; ++i) {
    const double scale = std::ldexp(1.0, static_cast<int>(rng() % 53));
    xs.push_back(std::uniform_real_distribution<>(-1, 1)(rng) * scale);
    xs.push_back(static_cast<double>(static_cast<std::int64_t>(rng() % 2000001) - 1000000) / 2.0);
  }
  for (const double x : xs) {
    ASSERT_EQ(internal::RoundHalfAway(x), std::llround(x)) << x;
  }
}

TEST(BlockCodecTest, RandomBitsAndIrregularTimesRoundTrip) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 50; ++trial) {
    SCOPED_TRACE(trial);
    const std::size_t n = 1 + rng() % 3000;
    std::vector<Sample> in;
    std::int64_t t = static_cast<std::int64_t>(rng() >> 2) - (std::int64_t{1} << 61);
    for (std::size_t i = 0; i < n; ++i) {
      t += 1 + static_cast<std::int64_t>(rng() % (trial % 2 == 0 ? 1000 : 1u << 30));
      double v = 0;
      switch (rng() % 4) {
        case 0:
          v = std::bit_cast<double>(rng());
          break;
        case 1:
          v = static_cast<double>(rng() % 1000) / 10.0;
          break;
        case 2:
          v = in.empty() ? 0.0 : in.back().v;
          break;
        default:
          v = std::ldexp(static_cast<double>(rng() % 1024), -static_cast<int>(rng() % 60));
      }
      in.push_back({t, v});
    }
    ExpectIdentical(in, RoundTrip(in));
  }
}

TEST(BlockCodecTest, CorruptBlocksAreRejectedNotCrashing) {
  std::vector<Sample> in;
  for (int i = 0; i < 500; ++i) in.push_back({i * 1000, i * 0.25});
  const std::string block = EncodeBlock(in.data(), in.size(), BlockEncodeOptions{3, false});
  std::mt19937_64 rng(5);
  int rejected = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bad = block;
    if (trial % 3 == 0) {
      bad.resize(rng() % bad.size());
    } else {
      bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    std::vector<Sample> out;
    if (!DecodeBlock(bad, &out).has_value()) {
      ++rejected;
      EXPECT_TRUE(out.empty());
    }
  }
  // Not every flip is detectable by the codec alone (a changed raw value byte is still a valid
  // block): the catalog's CRC catches those. Truncations always are.
  EXPECT_GT(rejected, 2000 / 3);
}

TEST(BlockCodecTest, NewerVersionIsRefusedWithAClearMessage) {
  const std::vector<Sample> in = {{1, 1.0}};
  std::string block = EncodeBlock(in.data(), in.size(), BlockEncodeOptions{3, false});
  block[0] = static_cast<char>(kBlockEncodingVersion + 1);
  std::vector<Sample> out;
  auto r = DecodeBlock(block, &out);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("newer"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace prognos::store

namespace prognos::store {
namespace {

// Real series from tests/data (tests/data/ATTRIBUTION.md): the Google 2019 cluster CPU aggregate
// (17-digit doubles, 5-minute grid) and the 38 SMD machine-2-1 metrics (float32 values printed as
// short decimals, one-minute grid), each one block, read back bit for bit at both encoder
// settings (zstd only, and zstd or LZMA2).
std::vector<std::vector<double>> RealColumns() {
  std::vector<std::vector<double>> cols;
  {
    std::ifstream in(std::string(PROGNOS_SOURCE_DIR) + "/tests/data/google2019_week1_avg_cpu.csv");
    std::string line;
    std::getline(in, line);  // header
    cols.emplace_back();
    while (std::getline(in, line)) cols.back().push_back(std::stod(line));
  }
  std::ifstream in(std::string(PROGNOS_SOURCE_DIR) +
                   "/tests/data/smd_machine-2-1_test_7300-8089.csv");
  std::string line;
  std::getline(in, line);  // header: row,label,38 metrics
  const std::size_t first = cols.size();
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    for (std::size_t c = 0; std::getline(ss, cell, ','); ++c) {
      if (c < 2) continue;
      if (cols.size() <= first + c - 2) cols.emplace_back();
      cols[first + c - 2].push_back(std::strtod(cell.c_str(), nullptr));
    }
  }
  return cols;
}

TEST(BlockCodecRealDataTest, RealSeriesRoundTripBitForBit) {
  const auto cols = RealColumns();
  ASSERT_EQ(cols.size(), 39u);
  ASSERT_EQ(cols[0].size(), 2016u);
  ASSERT_EQ(cols[1].size(), 790u);
  for (std::size_t c = 0; c < cols.size(); ++c) {
    std::vector<Sample> in;
    const DurationMs step = c == 0 ? 5 * kMinuteMs : kMinuteMs;
    for (std::size_t i = 0; i < cols[c].size(); ++i) {
      in.push_back(Sample{1'546'300'800'000 + static_cast<TimestampMs>(i) * step, cols[c][i]});
    }
    for (const bool lzma : {false, true}) {
      SCOPED_TRACE("column " + std::to_string(c) + (lzma ? " lzma" : " zstd"));
      const std::string block = EncodeBlock(in.data(), in.size(), BlockEncodeOptions{19, lzma});
      std::vector<Sample> out;
      ASSERT_TRUE(DecodeBlock(block, &out).has_value());
      ExpectIdentical(in, out);
    }
  }
}

}  // namespace
}  // namespace prognos::store
