#include "signal/deviation.h"

#include <algorithm>
#include <cmath>

namespace prognos::signal {

double DeviationTracker::Update(TimestampMs t, double v) {
  if (!std::isfinite(v)) return severity();
  if (n_ > 0 && t <= last_t_) return severity();
  if (n_ > 0) {
    if (v < last_v_) counter_ = false;
    if (v > last_v_) rising_seen_ = true;
  }
  const bool as_counter = counter_ && rising_seen_;
  // The quantity compared: the recent increase for a counter, the value for a gauge.
  if (as_counter) {
    const double d = std::exp2(-1.0 / std::max(1.0, config_.counter_half_life));
    acc_ = acc_ * d + (v - last_v_);
  }
  const double x = as_counter ? acc_ : v;
  const bool first = n_ == 0;
  last_t_ = t;
  last_v_ = v;
  ++n_;
  if (first) {
    mean_ = x;
    var_ = 0;
    mode_n_ = 1;
    return 0.0;
  }
  if (as_counter != as_counter_) {
    as_counter_ = as_counter;
    if (as_counter && var_ == 0) {
      // A flat series that starts to rise: its increases so far were all 0, so the counter
      // baseline is 0 with no spread and already warm — the first increase is the news.
      mean_ = 0;
    } else {
      // The other reading of the series starts its own baseline (and warm-up).
      mean_ = x;
      var_ = 0;
      mode_n_ = 0;
    }
  }
  ++mode_n_;
  const double spread =
      std::max({std::sqrt(var_), config_.rel_floor * std::abs(mean_), config_.abs_floor});
  double z = (x - mean_) / spread;
  if (config_.direction == WorseDirection::kLower) z = -z;
  if (config_.direction == WorseDirection::kBoth) z = std::abs(z);
  last_z_ = z;
  const bool warm = n_ > config_.warmup && mode_n_ > 1;
  const double raw =
      warm ? std::clamp((z - config_.z_low) / (config_.z_high - config_.z_low), 0.0, 1.0) : 0.0;
  recent_[0] = recent_[1];
  recent_[1] = recent_[2];
  recent_[2] = raw;
  // EW update; once warm, x is clamped to the band so a deviation moves its own baseline only
  // slowly. While warming up the baseline is a plain running mean, so it starts from the data.
  const double a = mode_n_ <= config_.warmup
                       ? 1.0 / static_cast<double>(mode_n_)
                       : 1.0 - std::exp2(-1.0 / std::max(1.0, config_.half_life));
  const double xc = warm ? std::clamp(x, mean_ - 3 * spread, mean_ + 3 * spread) : x;
  const double d = xc - mean_;
  mean_ += a * d;
  var_ = (1 - a) * (var_ + a * d * d);
  return severity();
}

double DeviationTracker::severity() const {
  std::array<double, 3> r = recent_;
  std::sort(r.begin(), r.end());
  return r[1];
}

}  // namespace prognos::signal
