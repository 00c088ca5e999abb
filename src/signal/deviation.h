// How far an indicator has moved from its own long-run baseline, as a severity in [0, 1]: the
// "this host is getting worse" evidence that a failure hazard needs. Unlike the anomaly score
// (surprise against a model that quickly adapts to a trend), the baseline here adapts slowly and
// is shielded from the deviation itself, so a temperature that climbs for hours or an error
// counter that keeps rising stays severe for as long as it is away from normal.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/time.h"

namespace prognos::signal {

enum class WorseDirection : std::uint8_t { kHigher, kLower, kBoth };

struct DeviationConfig {
  // Half-life of the baseline's exponentially weighted mean and variance, in samples (a day of
  // 5-minute samples by default).
  double half_life = 288.0;
  std::size_t warmup = 24;  // samples before any severity (cold start is explicit: 0)
  // Severity ramps linearly from z = z_low (0) to z = z_high (1).
  double z_low = 3.0;
  double z_high = 6.0;
  // The spread never counts as smaller than this fraction of |mean| (or than abs_floor), so a
  // perfectly flat baseline does not make every rounding error infinitely severe.
  double rel_floor = 0.01;
  double abs_floor = 1e-6;
  // A counter's evidence is its recent increase, accumulated with this half-life in samples (an
  // hour of 5-minute samples): a single step of an error counter stays visible for hours
  // instead of one sample.
  double counter_half_life = 12.0;
  WorseDirection direction = WorseDirection::kHigher;
};

// Streaming baseline deviation of one series. O(1) per sample, 120 bytes.
//   Counter detection: while every sample so far is ≥ the previous one (and not all equal), the
//   series is read as a counter and its recent increase is what is compared: acc ← acc·d + Δ with
//   d = 2^(−1/counter_half_life) (an error counter that starts rising is the deviation, not its
//   ever-growing total, and one step stays evidence for hours); the first decrease turns this
//   off for good (a gauge).
//   Baseline: EW mean m and variance s² of x (value, or increase for counters), updated with x
//   clamped to m ± 3·s' (s' = max(s, rel_floor·|m|, abs_floor)) so a deviation pulls its own
//   baseline only slowly.
//   z = (x − m) / s' (sign by direction); raw severity = clamp((z − z_low)/(z_high − z_low), 0, 1).
//   Debounce: the reported severity is the median of the last three raw severities (a single
//   noisy sample is never severe; two in a row are).
// Degenerate input: NaN/±Inf samples are ignored; samples at or before the previous time are
// ignored; before `warmup` samples the severity is 0.
// Not thread-safe; owned by one shard.
class DeviationTracker {
 public:
  explicit DeviationTracker(const DeviationConfig& config = {}) : config_(config) {}
  // Returns the debounced severity after this sample.
  double Update(TimestampMs t, double v);
  double severity() const;  // debounced, [0, 1]
  double baseline() const { return mean_; }
  double z() const { return last_z_; }
  bool is_counter() const { return counter_; }
  std::uint64_t samples() const { return n_; }

 private:
  DeviationConfig config_;
  std::uint64_t n_ = 0;
  TimestampMs last_t_ = 0;
  double last_v_ = 0;
  double mean_ = 0;
  double var_ = 0;
  double last_z_ = 0;
  std::array<double, 3> recent_{};
  std::uint64_t mode_n_ = 0;  // samples since the baseline started in the current mode
  bool counter_ = true;       // no decrease seen yet
  bool rising_seen_ = false;  // an increase seen
  bool as_counter_ = false;   // the mode the baseline is in
  double acc_ = 0;            // counter mode: decayed sum of recent increases
};

}  // namespace prognos::signal
