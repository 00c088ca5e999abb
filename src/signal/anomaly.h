// Streaming anomaly score in [0, 1] for one series: several cheap, independent detectors, each the
// rarity of one feature of the stream (value, forecast residual, step, smoothed level, window
// entropy) under a decaying histogram of that feature's own past, combined by consensus, then
// debounced. Pure: time is passed in. Not thread-safe; owned by one shard.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/time.h"

namespace prognos::signal {

// A decaying histogram over a running range, answering "how rare is x here?" as a z value.
//
// Counts decay by (1 − λ) per sample, so the histogram is a density of roughly the last 1/λ
// samples. Rarity of x: p = (c_bin + ½) / (total + ½·bins), the bin's smoothed frequency, and
//   z = √(−2 ln min(1, p · bins / 2))
// (the Gaussian-tail shape: a bin at its uniform share scores 0, a bin with p = e^{−4.5}·2/bins
// scores 3). A value beyond the range by more than one bin width has never been seen:
//   z = 4 + ln(1 + distance in bin widths),
// so a new extreme outranks any in-range rarity and a larger excursion ranks higher.
// The range grows to cover every value (counts re-mapped by bin centre) and shrinks back slowly
// (by λ per sample toward the span of the occupied bins) so that one old spike does not blur the
// bins forever. Degenerate: before any value, z = 0; a constant series has a zero-width range: the
// constant scores 0, any other value kMaxZ (a constant that changes is anomalous).
struct RarityHistogram {
  static constexpr std::size_t kBins = 16;
  static constexpr double kMaxZ = 1e6;

  std::array<float, kBins> counts{};
  float total = 0.0F;
  double lo = 0.0;
  double hi = 0.0;
  bool empty = true;

  double Z(double x) const;
  void Add(double x, double decay, double min_mass);
  void Remap(double new_lo, double new_hi);
};

struct AnomalyConfig {
  // Cold start: no score (0) before this many finite samples; the histograms still learn.
  std::uint32_t cold_start_samples = 150;
  // Which features vote (bit set of AnomalyDetector::kFeature…).
  std::uint32_t features = 0b11111;
  // Consensus: the combined z is the mean of the `agree` largest feature z values.
  int agree = 1;
  // Histogram decay λ per sample (memory ≈ 1/λ samples).
  double histogram_decay = 0.0005;
  double long_histogram_decay = 0.0001;
  // An end bin holding less than this share of the mass is trimmed from the range.
  double shrink_mass = 0.0;
  // EW weight of the smoothed-level feature.
  double smooth_alpha = 0.2;
  // Score = z / (z + z_half): monotone, so a score threshold is a z level (z_half ↦ 0.5).
  double z_half = 5.0;
  // Debounce: a peak M decays by `peak_decay` per sample; a score that does not exceed M (an alarm
  // already raised, or its echo) is multiplied by `suppress`.
  double peak_decay = 0.99;
  double suppress = 0.0;
  // The score at or above which a sample is an alarm: the threshold chosen on NAB
  // (docs/evaluation.md). Not used by the score itself; exposed for callers and tests.
  double alarm_threshold = 0.39;
};

// Everything the detector keeps per series (≈ 500 bytes).
struct AnomalyState {
  static constexpr std::size_t kFeatures = 6;
  std::uint32_t n = 0;  // finite samples seen
  double last_value = 0.0;
  double smooth = 0.0;  // EW mean of the value
  double peak = 0.0;    // decaying peak of the score (debounce)
  double last_score = 0.0;
  std::array<RarityHistogram, kFeatures> hist{};
};

// Per-sample anomaly score.
//
// Features of sample y_t (each judged against its own decaying histogram, before learning y_t):
//   value     y_t                        rare levels, new extremes
//   residual  y_t − ŷ_t (ŷ the forecast made before y_t; y_{t−1} when there is none)
//   step      y_t − y_{t−1}              sudden jumps in a series that moves smoothly
//   smooth    EW mean of y (α = smooth_alpha)   level shifts hidden in noise
//   entropy   the window entropy after y_t      a change in how disordered the series is
// Consensus: z = mean of the `agree` largest feature z values; score = z / (z + z_half).
// Then debounce (a decaying peak suppresses the echoes of an alarm already raised).
// Degenerate input: NaN/Inf values are skipped (the previous score is returned, never NaN);
// cold start scores 0; values are clamped to ±1e150 so that differences stay finite.
class AnomalyDetector {
 public:
  static constexpr std::uint32_t kFeatureValue = 1U << 0;
  static constexpr std::uint32_t kFeatureResidual = 1U << 1;
  static constexpr std::uint32_t kFeatureStep = 1U << 2;
  static constexpr std::uint32_t kFeatureSmooth = 1U << 3;
  static constexpr std::uint32_t kFeatureEntropy = 1U << 4;

  explicit AnomalyDetector(const AnomalyConfig& config = {});

  // Scores `value` observed at t. `forecast` is the one-step prediction made before seeing it (NaN
  // when none); `entropy` the series' normalised window entropy after it (NaN to ignore).
  // Returns the score in [0, 1].
  double Update(TimestampMs t, double value, double forecast, double entropy);

  double score() const { return state_.last_score; }
  const AnomalyState& state() const { return state_; }
  const AnomalyConfig& config() const { return config_; }

 private:
  AnomalyConfig config_;
  AnomalyState state_;
};

}  // namespace prognos::signal
