// The sealed-block codec (docs/formats/blocks.md): one series' samples, strictly increasing in
// time, to a compressed, self-describing byte string and back, bit for bit (NaN payloads, -0.0,
// ±Inf, any int64 timestamps). Timestamps are delta-of-delta varints; values take whichever of
// three transforms compresses smallest (byte-shuffled raw bits, byte-shuffled XOR with the
// previous value, or integers k with v == k / d for a detected denominator d plus exceptions),
// then zstd. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/sample.h"

namespace prognos::store {

inline constexpr std::uint8_t kBlockEncodingVersion = 1;
// A decoder refuses blocks claiming more samples than this (a corrupt count must not allocate).
inline constexpr std::uint64_t kMaxBlockSamples = 1u << 24;

enum class ValueMode : std::uint8_t {
  kRawShuffled = 0,  // 8 byte planes of the raw IEEE-754 bits
  kXorShuffled = 1,  // 8 byte planes of bits XOR previous bits
  kScaled = 2,       // v == double(k) / d: zigzag varint deltas of k; exceptions kept raw
};

struct BlockEncodeOptions {
  int zstd_level = 19;  // the final compression level; the mode is chosen at a cheap level
  bool try_xz = true;   // also try raw LZMA2 and keep whichever of the two is smaller
};

// Encodes `n` samples (n >= 1, times strictly increasing; the caller guarantees both).
std::string EncodeBlock(const Sample* samples, std::size_t n, const BlockEncodeOptions& options);
// Decodes a whole block, appending to `out`. kCorruption on any malformed or truncated input,
// also kCorruption (saying so) for an encoding version above kBlockEncodingVersion.
Result<void> DecodeBlock(std::string_view block, std::vector<Sample>* out);
// The value mode a block was written with (for stats and tests); kCorruption if unreadable.
Result<ValueMode> BlockValueMode(std::string_view block);

namespace internal {
// Exposed for tests. The scaled mode's denominator for a block (0: scaled mode is not tried).
std::uint64_t ChooseDenominator(const Sample* samples, std::size_t n);
// std::llround(x) for finite |x| < 2^53, inline.
std::int64_t RoundHalfAway(double x);
}  // namespace internal

}  // namespace prognos::store
