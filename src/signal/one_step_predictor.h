// The small one-step-ahead predictor SeriesSignals uses for its forecast columns and for the
// anomaly detector's residuals, behind a tiny interface so that the online forecaster of
// src/signal/forecast/ can replace it. Pure: time is passed in. Not thread-safe; owned by one
// shard.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/time.h"

namespace prognos::signal {

// A prediction of the next sample made before it is seen: point and central interval.
// All NaN while the predictor has no history.
struct OneStepForecast {
  double point;
  double lower;
  double upper;
};

// The interface SeriesSignals calls: Predict(t) for the sample about to arrive at t, then Observe.
class OneStepPredictor {
 public:
  virtual ~OneStepPredictor() = default;
  virtual OneStepForecast Predict(TimestampMs t) const = 0;
  virtual void Observe(TimestampMs t, double value) = 0;  // non-finite values are ignored
  virtual std::size_t StateBytes() const = 0;
};

struct EwSeasonalConfig {
  double level_alpha = 0.3;       // EW level smoothing per sample
  double trend_beta = 0.02;       // EW trend smoothing (damped)
  double trend_damping = 0.9;     // φ: the trend decays by φ per step so it never runs away
  double season_gamma = 0.1;      // EW smoothing of each seasonal bucket
  DurationMs season_ms = kDayMs;  // period of the seasonal profile (0 = no season)
  double interval_z = 1.2816;     // z of the central interval (1.2816 → 80 %)
};

// Damped Holt level/trend on the de-seasonalised series plus a quantised seasonal profile
// (a seasonal naive forecast held in 24 buckets instead of a raw season of values):
//   ŷ_t = ℓ + φ b + s[bucket(t)]
//   e   = y − ŷ;  ℓ ← ℓ + φ b + α e;  b ← φ b + β α e;  s[k] ← s[k] + γ (y − ℓ_prev − s[k])
// Interval: ŷ ± z σ̂ with σ̂ = 1.2533 × EW mean |e| (mean absolute error of a normal is σ √(2/π)).
// Degenerate: no history → NaN forecast; one sample → that value, interval of width 0 until errors
// are seen; constant series → exact, zero-width interval. Timestamps need not be regular; the
// bucket comes from t modulo the period. Season buckets start contributing after two periods.
class EwSeasonalPredictor final : public OneStepPredictor {
 public:
  explicit EwSeasonalPredictor(const EwSeasonalConfig& config = {});
  OneStepForecast Predict(TimestampMs t) const override;
  void Observe(TimestampMs t, double value) override;
  std::size_t StateBytes() const override { return sizeof(*this); }

 private:
  static constexpr int kBuckets = 24;
  int BucketOf(TimestampMs t) const;
  bool SeasonOn() const;

  EwSeasonalConfig config_;
  double level_ = 0.0;
  double trend_ = 0.0;
  double abs_err_ = 0.0;
  std::array<float, kBuckets> season_{};
  std::uint32_t n_ = 0;
  TimestampMs first_t_ = 0;
  TimestampMs last_t_ = 0;
};

}  // namespace prognos::signal
