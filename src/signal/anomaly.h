// Streaming anomaly score in [0, 1] for one series: several cheap, independent detectors, each the
// rarity of one feature of the stream (value, forecast residual, step, smoothed level, window
// entropy) under a decaying histogram of that feature's own past, combined by consensus, then
// debounced. Pure: time is passed in. Not thread-safe; owned by one shard.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/time.h"

namespace prognos::signal {

// A decaying histogram over a running range, answering "how rare is x here?" as a z value.
//
// Counts decay by (1 − λ) per sample, so the histogram is a density of roughly the last 1/λ
// samples. Rarity of an x inside the range: p = (c_bin + ½) / (total + ½·bins), the bin's smoothed
// frequency, and
//   z = √(−2 ln min(1, p · bins / 2))
// (the Gaussian-tail shape: a bin with twice its uniform share or more scores 0, one at its share
// 1.18, and z grows like a normal quantile as the bin empties). An x outside the range has never
// been seen; its distance d beyond the range is measured in units of the distribution's spread s
// (interquartile width, at least one bin), not of the range, because in heavy-tailed data the range
// is set by old extremes:
//   z = 3 + 1.3 · ln(1 + d / s)
// (just past the edge ≈ a very sparse bin; one spread beyond = 3.9; ten spreads = 6.1). The
// constants were chosen on NAB (docs/evaluation.md).
// The range grows to cover every value (counts re-mapped by bin centre); with min_mass > 0 it also
// shrinks when an end bin's share decays below min_mass. Degenerate: before any value z = 0; a
// constant series has a zero-width range: the constant scores 0, any other value kMaxZ (a constant
// that changes is anomalous).
struct RarityHistogram {
  static constexpr std::size_t kBins = 16;
  static constexpr double kMaxZ = 1e6;
  static constexpr double kBeyondBase = 3.0;
  static constexpr double kBeyondSlope = 1.3;

  std::array<float, kBins> counts{};
  float total = 0.0F;
  bool empty = true;  // next to total: 88 bytes instead of 96 with it after hi
  double lo = 0.0;
  double hi = 0.0;

  double Z(double x) const;
  double Spread() const;
  void Add(double x, double decay, double min_mass);
  void Remap(double new_lo, double new_hi);
};

struct AnomalyConfig {
  // Feature indices (bit i of `features` enables feature i).
  static constexpr std::size_t kValue = 0;
  static constexpr std::size_t kResidual = 1;
  static constexpr std::size_t kStep = 2;
  static constexpr std::size_t kSmooth = 3;
  static constexpr std::size_t kEntropy = 4;
  static constexpr std::size_t kFeatures = 5;

  // Cold start: no score (0) before this many finite samples; the histograms still learn.
  std::uint32_t cold_start_samples = 150;
  // Which features vote. Default value | smooth: on NAB's held-back half the step, the forecast
  // residual and the entropy feature added more false positives than detections
  // (docs/evaluation.md), so they are off by default.
  std::uint32_t features = (1U << kValue) | (1U << kSmooth);
  // Sensitivity of each feature: its z is multiplied by this before the consensus.
  std::array<double, kFeatures> feature_weight = {1.0, 1.0, 0.8, 1.0, 1.0};
  // Consensus: the combined z is the `agree`-th largest feature z (1 = any detector, 2 = at least
  // two agree, …).
  int agree = 1;
  // Histogram decay λ per sample (memory ≈ 1/λ samples) and range trimming (0 = grow only).
  double histogram_decay = 0.0005;
  double shrink_mass = 0.0;
  // EW weight of the smoothed-level feature.
  double smooth_alpha = 0.08;
  // Score = z / (z + z_half): monotone, so a score threshold is a z level; z = z_half ↦ 0.5, the
  // alarm level chosen on NAB (z ≈ 3.23: an in-range bin holding ≲ 0.07 % of the mass, or a value
  // beyond the range by ≳ 0.2 spreads).
  double z_half = 3.228;
  // Debounce: a peak M decays by `peak_decay` per sample; a score that does not exceed M (the echo
  // of an alarm already raised) is multiplied by `suppress`.
  double peak_decay = 0.998;
  double suppress = 0.0;
  // The score at or above which a sample is an alarm: chosen on NAB (docs/evaluation.md).
  double alarm_threshold = 0.5;
  // Refractory period: after a score ≥ alarm_threshold, the next `refractory_samples` scores are
  // held just below it (0 = off).
  std::uint32_t refractory_samples = 0;
  // Echo hold: k samples after an alarm (k < echo_samples), a new alarm needs a combined z of at
  // least the alarm's z + echo_margin_z · (1 − k / echo_samples) — the bar starts echo_margin_z
  // above the last alarm and relaxes linearly back to it; weaker scores are held just below
  // alarm_threshold. Unlike the refractory period, clearly stronger evidence still alarms at once.
  // Why: the decaying peak lets an episode that creeps upwards (z 3.3, 3.4, 3.5, …) alarm on every
  // step, and each such row outside an anomaly window costs NAB a false positive, while inside a
  // window only the first detection counts. 0 = off. Chosen on NAB's tuning half
  // (docs/evaluation.md): standard 74.5 → 78.1 there, 65.9 → 69.2 on the held-back half.
  //   k:               0     15    30    45    59
  //   margin (z):    1.0   0.75  0.50  0.25  0.02
  std::uint32_t echo_samples = 60;
  double echo_margin_z = 1.0;
};

// Everything the detector keeps per series: 72 bytes plus one 88-byte histogram per feature that
// votes (two by default: 248 bytes in all with g++ 12 on x86-64; a histogram for each of the five
// features, held whether it voted or not, made it 528).
struct AnomalyState {
  std::uint32_t n = 0;                      // finite samples seen
  std::uint32_t since_alarm = 0xFFFFFFFFU;  // samples since the last alarm
  double last_value = 0.0;
  double smooth = 0.0;  // EW mean of the value
  double peak = 0.0;    // decaying peak of the score (debounce)
  double last_score = 0.0;
  double alarm_z = 0.0;  // combined z of the last alarm (echo hold)
  // One per enabled feature, in feature order (AnomalyDetector::histogram maps a feature to it).
  std::vector<RarityHistogram> hist;
};

// Per-sample anomaly score.
//
// Features of sample y_t (each judged against its own decaying histogram before learning y_t, so a
// sample never explains itself):
//   value     y_t                               rare levels, new extremes
//   residual  y_t − ŷ_t  (ŷ the forecast made before y_t; y_{t−1} when there is none)
//   step      y_t − y_{t−1}                     sudden jumps in a series that moves smoothly
//   smooth    EW mean of y (α = smooth_alpha)   level shifts hidden in noise
//   entropy   the window entropy after y_t      a change in how disordered the series is
// Consensus: z = the `agree`-th largest weighted feature z; score = z / (z + z_half).
// Debounce: a decaying peak suppresses the echoes of an alarm already raised; for echo_samples
// after an alarm, only a z above that alarm's by a margin that relaxes from echo_margin_z to 0
// may alarm again; an optional refractory period holds every score below the alarm threshold for
// a while after an alarm.
// Degenerate input: NaN/Inf values are skipped (the previous score is returned, never NaN);
// cold start scores 0; values are clamped to ±1e150 so that differences stay finite; a constant
// series scores 0 and its first change scores close to 1.
class AnomalyDetector {
 public:
  explicit AnomalyDetector(const AnomalyConfig& config = {});

  // Scores `value` observed at t. `forecast` is the one-step prediction made before seeing it (NaN
  // when none); `entropy` the series' normalised window entropy after it (NaN to ignore).
  // Returns the score in [0, 1].
  double Update(TimestampMs t, double value, double forecast, double entropy);

  double score() const { return state_.last_score; }
  const AnomalyState& state() const { return state_; }
  const AnomalyConfig& config() const { return config_; }
  // The histogram of `feature` (AnomalyConfig::kValue …); nullptr when that feature does not vote.
  const RarityHistogram* histogram(std::size_t feature) const;
  // Bytes of state held (object plus heap).
  std::size_t StateBytes() const;

 private:
  AnomalyConfig config_;
  AnomalyState state_;
};

}  // namespace prognos::signal
