#include "signal/one_step_predictor.h"

#include <cmath>
#include <limits>

namespace prognos::signal {

EwSeasonalPredictor::EwSeasonalPredictor(const EwSeasonalConfig& config) : config_(config) {}

int EwSeasonalPredictor::BucketOf(TimestampMs t) const {
  if (config_.season_ms <= 0) return 0;
  TimestampMs phase = t % config_.season_ms;
  if (phase < 0) phase += config_.season_ms;
  return static_cast<int>(phase * kBuckets / config_.season_ms);
}

// The profile is trusted once two full periods have been seen (one to fill, one to correct).
bool EwSeasonalPredictor::SeasonOn() const {
  return config_.season_ms > 0 && n_ > 0 && last_t_ - first_t_ >= 2 * config_.season_ms;
}

OneStepForecast EwSeasonalPredictor::Predict(TimestampMs t) const {
  if (n_ == 0) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, nan};
  }
  double point = level_ + config_.trend_damping * trend_;
  if (SeasonOn()) point += season_[static_cast<std::size_t>(BucketOf(t))];
  const double half = config_.interval_z * 1.2533 * abs_err_;
  return {point, point - half, point + half};
}

void EwSeasonalPredictor::Observe(TimestampMs t, double value) {
  if (!std::isfinite(value)) return;
  if (n_ == 0) {
    level_ = value;
    first_t_ = t;
    last_t_ = t;
    n_ = 1;
    return;
  }
  const auto k = static_cast<std::size_t>(BucketOf(t));
  const double s = SeasonOn() ? season_[k] : 0.0;
  const double predicted = level_ + config_.trend_damping * trend_ + s;
  const double err = value - predicted;
  abs_err_ += 0.05 * (std::fabs(err) - abs_err_);
  const double prev_level = level_;
  level_ = prev_level + config_.trend_damping * trend_ + config_.level_alpha * err;
  trend_ = config_.trend_damping * trend_ + config_.trend_beta * config_.level_alpha * err;
  if (config_.season_ms > 0) {
    season_[k] += static_cast<float>(config_.season_gamma * (value - prev_level - season_[k]));
  }
  if (!std::isfinite(level_) || !std::isfinite(trend_) || !std::isfinite(abs_err_) ||
      !std::isfinite(season_[k])) {
    // Values near ±DBL_MAX can overflow the update; restart from this sample rather than go NaN.
    *this = EwSeasonalPredictor(config_);
    Observe(t, value);
    return;
  }
  if (t > last_t_) last_t_ = t;
  if (n_ < std::numeric_limits<std::uint32_t>::max()) ++n_;
}

}  // namespace prognos::signal
