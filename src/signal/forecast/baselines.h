// The simple forecasters every model must beat, and the fallback that always answers:
// naive (last value), seasonal naive (value one season ago) and a decaying-histogram percentile
// estimator whose interval widens while its history is short.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>

#include "core/result.h"
#include "signal/forecast/forecast_types.h"

namespace prognos::signal {

// ŷ_{n+h} = y_n.
class NaiveModel final : public PointModel {
 public:
  std::string Name() const override { return "naive"; }
  Result<void> Fit(std::span<const double> y) override;
  void Forecast(std::span<const double> history, std::span<double> out) const override;
  std::size_t MinLength() const override { return 1; }
};

// ŷ_{n+h} = y_{n+h−m⌈h/m⌉}; with fewer than m points, the naive forecast.
class SeasonalNaiveModel final : public PointModel {
 public:
  explicit SeasonalNaiveModel(std::size_t period) : period_(period) {}
  std::string Name() const override { return "snaive(" + std::to_string(period_) + ")"; }
  Result<void> Fit(std::span<const double> y) override;
  void Forecast(std::span<const double> history, std::span<double> out) const override;
  std::size_t MinLength() const override { return period_ >= 1 ? period_ : 1; }

 private:
  std::size_t period_;
};

// Exponentially decaying histogram of values (VPA's estimator): every sample adds weight 1 to
// its bin after all weights are multiplied by 2^(−1/half_life). Percentiles read the cumulative
// weight. The bin range is fixed by Reset (values outside are clamped to the end bins).
// The interval from Interval(level) is the [(1−level)/2, (1+level)/2] percentiles, widened around
// the median by the factor 1 + 2/√n_eff (n_eff = total weight), so a young estimator is honest
// about what it does not know:
//   n_eff:     1     4     16    100   1000
//   factor:    3.0   2.0   1.5   1.2   1.06
// With no sample it answers {0, 0, 0}; a constant history answers {v, v, v}.
// O(kBins) per update (kBins = 32, a constant). Not thread-safe; owned by one series.
class DecayingHistogram {
 public:
  static constexpr std::size_t kBins = 32;
  explicit DecayingHistogram(double half_life_samples = 2016.0);
  // Sets the value range [lo, hi] and clears the weights.
  void Reset(double lo, double hi);
  // Adds v (non-finite values are ignored). A value outside the range widens it when the
  // histogram is empty, else it is clamped.
  void Add(double v);
  double Percentile(double q) const;
  ForecastPoint Interval(double level) const;
  double total_weight() const { return total_; }

 private:
  double decay_;
  double lo_ = 0.0, hi_ = 0.0;
  double total_ = 0.0;
  double seen_min_ = 0.0, seen_max_ = 0.0;  // exact extremes since Reset
  std::array<float, kBins> weights_{};
};

}  // namespace prognos::signal
