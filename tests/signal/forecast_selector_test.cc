// Backtest selector and batch entry point: model choice, interval coverage on simulated series
// with known noise, and defined behaviour on degenerate input.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "signal/forecast/selector.h"
#include "signal/forecast/series_tools.h"

namespace prognos::signal {
namespace {

std::vector<double> DailySeries(std::size_t n, std::size_t m, double noise_sd, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, noise_sd);
  std::vector<double> y(n);
  for (std::size_t t = 0; t < n; ++t) {
    const double phase =
        2.0 * std::numbers::pi * static_cast<double>(t % m) / static_cast<double>(m);
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

namespace prognos::signal {
namespace {

// y_t = 10 + 3 sin(2πt/24) + u_t, u_t = 0.6 u_{t−1} + ε_t, ε ~ N(0, 1): known noise, so an 80 %
// interval should hold ~80 % of future values. 60 seeds × 12 steps = 720 checks; with the
// within-path correlation the standard error is ≈ 3 points, so [72 %, 88 %] is a ±2.7σ band.
TEST(ForecastBatchTest, EightyPercentIntervalsCoverAboutEightyPercentOnSimulatedSeries) {
  int inside = 0, total = 0;
  for (std::uint32_t seed = 1; seed <= 60; ++seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> eps(0.0, 1.0);
    std::vector<double> y;
    double u = 0.0;
    for (int t = 0; t < 24 * 30 + 12; ++t) {
      u = 0.6 * u + eps(rng);
      y.push_back(10.0 + 3.0 * std::sin(2.0 * std::numbers::pi * t / 24.0) + u);
    }
    const std::vector<double> train(y.begin(), y.end() - 12);
    BatchForecastOptions opt;
    opt.horizon = 12;
    opt.level = 0.8;
    auto r = ForecastBatch(train, opt);
    ASSERT_TRUE(r) << r.error().message;
    for (std::size_t h = 0; h < 12; ++h) {
      const double actual = y[train.size() + h];
      inside += (actual >= r->points[h].lower && actual <= r->points[h].upper) ? 1 : 0;
      ++total;
    }
  }
  const double coverage = static_cast<double>(inside) / total;
  EXPECT_GE(coverage, 0.72);
  EXPECT_LE(coverage, 0.88);
}

TEST(ForecastBatchTest, DetectsTheSimulatedSeason) {
  const auto y = DailySeries(24 * 20, 24, 0.5, 3);
  BatchForecastOptions opt;
  opt.horizon = 24;
  auto r = ForecastBatch(y, opt);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->season, 24u);
}

struct DegenerateCase {
  const char* name;
  std::vector<double> values;
  bool ok;  // expected to succeed
};

std::vector<DegenerateCase> DegenerateCases() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<DegenerateCase> cases;
  cases.push_back({"empty", {}, false});
  cases.push_back({"all NaN", {nan, nan, nan}, false});
  cases.push_back({"one sample", {5.0}, true});
  cases.push_back({"two samples", {5.0, 6.0}, true});
  cases.push_back({"constant", std::vector<double>(1000, 3.25), true});
  cases.push_back({"zeros", std::vector<double>(700, 0.0), true});
  auto seasonal = DailySeries(288 * 4, 288, 1.0, 11);
  auto with_nan = seasonal;
  for (std::size_t i = 100; i < 400; i += 7) with_nan[i] = nan;
  cases.push_back({"NaN scattered", with_nan, true});
  auto with_gap = seasonal;
  for (std::size_t i = 300; i < 600; ++i) with_gap[i] = nan;
  cases.push_back({"long gap", with_gap, true});
  auto trailing = seasonal;
  for (std::size_t i = trailing.size() - 50; i < trailing.size(); ++i) trailing[i] = nan;
  cases.push_back({"trailing NaN", trailing, true});
  auto with_inf = seasonal;
  with_inf[10] = inf;
  with_inf[20] = -inf;
  cases.push_back({"infinities", with_inf, true});
  auto huge = seasonal;
  for (double& v : huge) v *= 1e300;
  cases.push_back({"huge values", huge, true});
  auto tiny = seasonal;
  for (double& v : tiny) v *= 1e-300;
  cases.push_back({"tiny values", tiny, true});
  cases.push_back({"shorter than a season",
                   std::vector<double>(seasonal.begin(), seasonal.begin() + 100), true});
  std::vector<double> step(600, 1.0);
  for (std::size_t i = 300; i < 600; ++i) step[i] = 50.0;
  cases.push_back({"level shift", step, true});
  std::vector<double> spikes(2000, 0.0);
  for (std::size_t i = 0; i < spikes.size(); i += 97) spikes[i] = 1e6;
  cases.push_back({"sparse spikes", spikes, true});
  std::vector<double> negative = seasonal;
  for (double& v : negative) v -= 100.0;
  cases.push_back({"negative values", negative, true});
  return cases;
}

// The FFT's plans and buffers are kept between calls (per thread): calls of other sizes in
// between must not change an answer, and each lag must equal the direct sum
// Σ (y_t − ȳ)(y_{t+k} − ȳ) / Σ (y_t − ȳ)² (to FFT rounding).
TEST(AutocorrelationTest, EqualsTheDirectSumAndRepeatsBitForBit) {
  const auto a = DailySeries(500, 48, 2.0, 1);
  const auto b = DailySeries(37, 12, 1.0, 2);
  const std::vector<double> first = Autocorrelation(a, 60);
  for (const auto& y : {a, b}) {
    const std::vector<double> r = Autocorrelation(y, 30);
    double mean = 0.0;
    for (double v : y) mean += v;
    mean /= static_cast<double>(y.size());
    double c0 = 0.0;
    for (double v : y) c0 += (v - mean) * (v - mean);
    for (std::size_t k = 1; k <= 30 && k < y.size(); ++k) {
      double ck = 0.0;
      for (std::size_t t = 0; t + k < y.size(); ++t) ck += (y[t] - mean) * (y[t + k] - mean);
      EXPECT_NEAR(r[k], ck / c0, 1e-12) << "n=" << y.size() << " k=" << k;
    }
  }
  const std::vector<double> again = Autocorrelation(a, 60);
  ASSERT_EQ(again.size(), first.size());
  for (std::size_t k = 0; k < first.size(); ++k) EXPECT_EQ(again[k], first[k]) << "k=" << k;
}

TEST(ForecastBatchTest, DegenerateInputNeverYieldsNanOrCrashes) {
  for (const auto& c : DegenerateCases()) {
    SCOPED_TRACE(c.name);
    for (ForecastMethod method :
         {ForecastMethod::kAuto, ForecastMethod::kEts, ForecastMethod::kArima,
          ForecastMethod::kNaive, ForecastMethod::kSeasonalNaive}) {
      SCOPED_TRACE(std::string(ForecastMethodName(method)));
      BatchForecastOptions opt;
      opt.horizon = 300;
      opt.method = method;
      auto r = ForecastBatch(c.values, opt);
      ASSERT_EQ(static_cast<bool>(r), c.ok);
      if (!r) continue;
      ASSERT_EQ(r->points.size(), 300u);
      for (const auto& p : r->points) {
        ASSERT_TRUE(std::isfinite(p.mean) && std::isfinite(p.lower) && std::isfinite(p.upper));
        ASSERT_LE(p.lower, p.mean);
        ASSERT_GE(p.upper, p.mean);
      }
    }
  }
}

TEST(ForecastBatchTest, ConstantSeriesForecastsItselfWithZeroWidth) {
  auto r = ForecastBatch(std::vector<double>(500, 7.5), BatchForecastOptions{});
  ASSERT_TRUE(r);
  for (const auto& p : r->points) {
    EXPECT_EQ(p.mean, 7.5);
    EXPECT_EQ(p.lower, 7.5);
    EXPECT_EQ(p.upper, 7.5);
  }
}

TEST(ForecastBatchTest, OneSampleGivesAWidenedInterval) {
  auto r = ForecastBatch(std::vector<double>{4.0}, BatchForecastOptions{});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->points[0].mean, 4.0);
  EXPECT_LT(r->points[0].lower, 4.0);
  EXPECT_GT(r->points[0].upper, 4.0);
}

TEST(ForecastBatchTest, LstmWithoutATrainedModelIsUnavailable) {
  BatchForecastOptions opt;
  opt.method = ForecastMethod::kLstm;
  auto r = ForecastBatch(DailySeries(1000, 288, 1.0, 1), opt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("needs a trained model"), std::string::npos);
}

TEST(ForecastBatchTest, NaiveAndSeasonalNaiveAreExact) {
  std::vector<double> y;
  for (int t = 0; t < 100; ++t) y.push_back(t % 10 + 0.5 * (t / 10));
  BatchForecastOptions opt;
  opt.horizon = 15;
  opt.auto_season = false;
  opt.season = 10;
  opt.method = ForecastMethod::kSeasonalNaive;
  auto r = ForecastBatch(y, opt);
  ASSERT_TRUE(r);
  for (std::size_t h = 1; h <= 15; ++h) {
    EXPECT_DOUBLE_EQ(r->points[h - 1].mean, y[100 + h - 1 - 10 * ((h + 9) / 10)]);
  }
  opt.method = ForecastMethod::kNaive;
  r = ForecastBatch(y, opt);
  ASSERT_TRUE(r);
  for (const auto& p : r->points) EXPECT_DOUBLE_EQ(p.mean, y.back());
}

}  // namespace
}  // namespace prognos::signal
