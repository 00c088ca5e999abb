#include "signal/forecast/baselines.h"

#include <algorithm>
#include <cmath>

namespace prognos::signal {

Result<void> NaiveModel::Fit(std::span<const double> y) {
  if (y.empty()) return MakeError(ErrorCode::kInvalidArgument, "naive: empty series");
  return Ok();
}

void NaiveModel::Forecast(std::span<const double> history, std::span<double> out) const {
  std::fill(out.begin(), out.end(), history.empty() ? 0.0 : history.back());
}

Result<void> SeasonalNaiveModel::Fit(std::span<const double> y) {
  if (y.size() < MinLength()) {
    return MakeError(ErrorCode::kInvalidArgument, "snaive: series shorter than a season");
  }
  return Ok();
}

void SeasonalNaiveModel::Forecast(std::span<const double> history, std::span<double> out) const {
  const std::size_t n = history.size();
  if (n == 0) {
    std::fill(out.begin(), out.end(), 0.0);
    return;
  }
  if (period_ < 1 || n < period_) {
    std::fill(out.begin(), out.end(), history.back());
    return;
  }
  for (std::size_t h = 1; h <= out.size(); ++h) {
    const std::size_t back = period_ * ((h + period_ - 1) / period_);
    out[h - 1] = history[n + h - 1 - back];
  }
}

DecayingHistogram::DecayingHistogram(double half_life_samples)
    : decay_(std::exp2(-1.0 / std::max(half_life_samples, 1.0))) {}

void DecayingHistogram::Reset(double lo, double hi) {
  lo_ = std::min(lo, hi);
  hi_ = std::max(lo, hi);
  total_ = 0.0;
  seen_min_ = seen_max_ = 0.0;
  weights_.fill(0.0F);
}

void DecayingHistogram::Add(double v) {
  if (!std::isfinite(v)) return;
  if (total_ <= 0.0 && (v < lo_ || v > hi_ || lo_ == hi_)) {
    // First sample (or an empty histogram): centre a range on it.
    const double half = std::max(std::abs(v) * 0.5, 1e-9);
    if (v < lo_ || v > hi_ || lo_ == hi_) Reset(v - half, v + half);
  }
  if (total_ > 1e30) {
    // Renormalise long before float overflow; percentiles are scale-free.
    for (float& w : weights_) w = static_cast<float>(w * 1e-30);
    total_ *= 1e-30;
  }
  for (float& w : weights_) w = static_cast<float>(w * decay_);
  total_ *= decay_;
  const double width = (hi_ - lo_) / static_cast<double>(kBins);
  const double pos = width > 0 ? (v - lo_) / width : 0.0;
  const auto bin = static_cast<std::size_t>(std::clamp(pos, 0.0, static_cast<double>(kBins) - 1.0));
  weights_[bin] += 1.0F;
  seen_min_ = total_ > 0.0 ? std::min(seen_min_, v) : v;
  seen_max_ = total_ > 0.0 ? std::max(seen_max_, v) : v;
  total_ += 1.0;
}

double DecayingHistogram::Percentile(double q) const {
  if (total_ <= 0.0) return 0.0;
  q = std::clamp(q, 0.0, 1.0);
  const double width = (hi_ - lo_) / static_cast<double>(kBins);
  const double target = q * total_;
  double cum = 0.0;
  for (std::size_t b = 0; b < kBins; ++b) {
    const double w = weights_[b];
    if (cum + w >= target && w > 0) {
      // Linear interpolation inside the bin.
      const double frac = (target - cum) / w;
      return std::clamp(lo_ + (static_cast<double>(b) + frac) * width, seen_min_, seen_max_);
    }
    cum += w;
  }
  return seen_max_;
}

ForecastPoint DecayingHistogram::Interval(double level) const {
  if (total_ <= 0.0) return {};
  if (seen_min_ == seen_max_) return {seen_min_, seen_min_, seen_min_};  // constant history
  const double mid = Percentile(0.5);
  const double a = (1.0 - std::clamp(level, 0.0, 1.0)) / 2.0;
  const double widen = 1.0 + 2.0 / std::sqrt(std::max(total_, 1.0));
  ForecastPoint p;
  p.mean = mid;
  p.lower = mid - (mid - Percentile(a)) * widen;
  p.upper = mid + (Percentile(1.0 - a) - mid) * widen;
  return p;
}

}  // namespace prognos::signal
