// OnlineForecaster: cold start, refit, O(1) updates that track the series, degenerate samples,
// state size.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <random>
#include <vector>

#include "signal/forecast/online_forecaster.h"

namespace prognos::signal {
namespace {

constexpr DurationMs kStep = 5 * kMinuteMs;

double Daily(std::size_t t) {
  return 100.0 + 30.0 * std::sin(2.0 * std::numbers::pi * static_cast<double>(t % 288) / 288.0);
}

std::vector<double> History(std::size_t n, double noise, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> eps(0.0, noise);
  std::vector<double> y(n);
  for (std::size_t t = 0; t < n; ++t) y[t] = Daily(t) + eps(rng);
  return y;
}

TEST(OnlineForecasterTest, ColdStartAnswersFromTheHistogram) {
  OnlineForecaster f;
  EXPECT_EQ(f.model_name(), "none");
  const ForecastPoint none = f.Next();
  EXPECT_EQ(none.mean, 0.0);
  for (int i = 0; i < 10; ++i) f.Update(i * kStep, 5.0 + (i % 2));
  EXPECT_EQ(f.model_name(), "histogram");
  const ForecastPoint p = f.Next();
  EXPECT_GE(p.mean, 5.0);
  EXPECT_LE(p.mean, 6.0);
  EXPECT_LE(p.lower, p.mean);
  EXPECT_GE(p.upper, p.mean);
  EXPECT_FALSE(f.fitted());
}

TEST(OnlineForecasterTest, RefitThenUpdatesTrackADailySeries) {
  const std::size_t n = 288 * 10;
  const auto y = History(n + 288, 1.0, 5);
  OnlineForecaster f;
  const TimestampMs last = static_cast<TimestampMs>(n - 1) * kStep;
  ASSERT_TRUE(f.Refit(std::span<const double>(y).first(n), last, kStep));
  EXPECT_TRUE(f.fitted());
  EXPECT_EQ(f.season(), 288u);
  EXPECT_NE(f.model_name(), "histogram");
  EXPECT_GT(f.backtest_error(), 0.0);
  // Stream the next day: each one-step forecast is within 4σ of the truth, and the 80 % interval
  // holds 70–95 % of the values (288 checks). The bands carry a widening calibrated on real,
  // drifting load (selector.cc), so on this stationary simulation they err on the wide side.
  int inside = 0;
  for (std::size_t t = n; t < n + 288; ++t) {
    const ForecastPoint p = f.Next();
    EXPECT_NEAR(p.mean, Daily(t), 4.0) << "t=" << t;
    inside += (y[t] >= p.lower && y[t] <= p.upper) ? 1 : 0;
    f.Update(static_cast<TimestampMs>(t) * kStep, y[t]);
  }
  EXPECT_GE(inside, static_cast<int>(0.70 * 288));
  EXPECT_LE(inside, static_cast<int>(0.95 * 288));
}

TEST(OnlineForecasterTest, ForecastWidensWithHorizonAndLevel) {
  const auto y = History(288 * 8, 2.0, 9);
  OnlineForecaster f;
  ASSERT_TRUE(f.Refit(y, static_cast<TimestampMs>(y.size() - 1) * kStep, kStep));
  const auto p80 = f.Forecast(288, 0.8);
  const auto p95 = f.Forecast(288, 0.95);
  ASSERT_EQ(p80.size(), 288u);
  for (std::size_t h = 0; h < 288; ++h) {
    EXPECT_LE(p95[h].lower, p80[h].lower + 1e-9);
    EXPECT_GE(p95[h].upper, p80[h].upper - 1e-9);
    EXPECT_NEAR(p80[h].mean, Daily(y.size() + h), 8.0);
  }
  EXPECT_GE(p80.back().upper - p80.back().lower, p80.front().upper - p80.front().lower);
}

// ForecastLevels computes the per-step base once for all levels; each level's row must be what
// Forecast gives for that level alone, bit for bit, in every state: cold (histogram), fitted
// with a correction from new samples, past the 512-step path (the season repeats, bands grow
// like √h), and stale. Levels out of (0.01, 0.999) are clamped as Forecast clamps them.
TEST(OnlineForecasterTest, ForecastLevelsEqualsForecastPerLevel) {
  const std::vector<double> levels = {0.5, 0.8, 0.9, 0.98, 0.0, 1.0, 0.8};
  auto check = [&](const OnlineForecaster& f, std::size_t horizon, const char* state) {
    SCOPED_TRACE(state);
    std::vector<ForecastPoint> all = {{1, 2, 3}};  // stale contents are overwritten
    f.ForecastLevels(horizon, levels, &all);
    ASSERT_EQ(all.size(), horizon * levels.size());
    for (std::size_t i = 0; i < levels.size(); ++i) {
      const auto one = f.Forecast(horizon, levels[i]);
      ASSERT_EQ(one.size(), horizon);
      for (std::size_t h = 0; h < horizon; ++h) {
        const ForecastPoint& p = all[i * horizon + h];
        EXPECT_EQ(p.mean, one[h].mean) << "level " << levels[i] << " h " << h;
        EXPECT_EQ(p.lower, one[h].lower) << "level " << levels[i] << " h " << h;
        EXPECT_EQ(p.upper, one[h].upper) << "level " << levels[i] << " h " << h;
      }
    }
    // Step 1 at the configured level is Next().
    const ForecastPoint next = f.Next();
    EXPECT_EQ(all[horizon].mean, next.mean);
    EXPECT_EQ(all[horizon].lower, next.lower);
    EXPECT_EQ(all[horizon].upper, next.upper);
  };
  OnlineForecaster f;
  for (int i = 0; i < 10; ++i) f.Update(i * kStep, 5.0 + (i % 3));
  check(f, 12, "cold");
  const auto y = History(288 * 5, 2.0, 11);
  const TimestampMs last = static_cast<TimestampMs>(y.size() - 1) * kStep;
  ASSERT_TRUE(f.Refit(y, last, kStep));
  check(f, 12, "fitted");
  for (std::size_t k = 1; k <= 5; ++k) {
    f.Update(last + static_cast<TimestampMs>(k) * kStep, Daily(y.size() + k) + 7.0);
  }
  check(f, 12, "corrected");
  check(f, 700, "beyond the path");
  std::vector<ForecastPoint> none;
  f.ForecastLevels(0, levels, &none);
  EXPECT_TRUE(none.empty());
  f.Update(last + 9 * 288 * kStep, 100.0);
  ASSERT_EQ(f.model_name(), "histogram");
  check(f, 12, "stale");
}

TEST(OnlineForecasterTest, IgnoresDuplicatesOutOfOrderAndNonFiniteSamples) {
  const auto y = History(288 * 4, 1.0, 2);
  OnlineForecaster f;
  const TimestampMs last = static_cast<TimestampMs>(y.size() - 1) * kStep;
  ASSERT_TRUE(f.Refit(y, last, kStep));
  const ForecastPoint before = f.Next();
  f.Update(last, 1e9);           // same time as the newest sample: ignored
  f.Update(last - kStep, -1e9);  // older: ignored
  const ForecastPoint after = f.Next();
  EXPECT_EQ(before.mean, after.mean);
  f.Update(last + kStep, std::numeric_limits<double>::quiet_NaN());
  f.Update(last + 2 * kStep, std::numeric_limits<double>::infinity());
  const ForecastPoint p = f.Next();
  EXPECT_TRUE(std::isfinite(p.mean) && std::isfinite(p.lower) && std::isfinite(p.upper));
  // Time advanced over the NaN/Inf samples: the next forecast is for step 3 after the origin.
  EXPECT_NEAR(p.mean, Daily(y.size() + 2), 5.0);
}

TEST(OnlineForecasterTest, GapKeepsTheSeasonsPhase) {
  const auto y = History(288 * 6, 0.5, 4);
  OnlineForecaster f;
  const TimestampMs last = static_cast<TimestampMs>(y.size() - 1) * kStep;
  ASSERT_TRUE(f.Refit(y, last, kStep));
  // Six hours without data, then one sample: the next forecast is at the right phase.
  const std::size_t t = y.size() - 1 + 72;
  f.Update(static_cast<TimestampMs>(t) * kStep, Daily(t));
  EXPECT_NEAR(f.Next().mean, Daily(t + 1), 3.0);
}

TEST(OnlineForecasterTest, DegenerateHistories) {
  OnlineForecaster f;
  EXPECT_FALSE(f.Refit({}, 0, kStep));
  const std::vector<double> nans(10, std::numeric_limits<double>::quiet_NaN());
  EXPECT_FALSE(f.Refit(nans, 0, kStep));
  EXPECT_FALSE(f.Refit(std::vector<double>{1.0, 2.0}, 0, 0));  // no step
  const std::vector<double> constant(500, 42.0);
  ASSERT_TRUE(f.Refit(constant, 499 * kStep, kStep));
  ForecastPoint p = f.Next();
  EXPECT_EQ(p.mean, 42.0);
  EXPECT_EQ(p.lower, 42.0);
  EXPECT_EQ(p.upper, 42.0);
  ASSERT_TRUE(f.Refit(std::vector<double>{7.0}, 0, kStep));
  p = f.Next();
  EXPECT_EQ(p.mean, 7.0);
  EXPECT_LT(p.lower, 7.0);
  EXPECT_GT(p.upper, 7.0);
  std::vector<double> huge = History(288 * 3, 1.0, 8);
  for (double& v : huge) v *= 1e300;
  ASSERT_TRUE(f.Refit(huge, static_cast<TimestampMs>(huge.size() - 1) * kStep, kStep));
  for (const auto& q : f.Forecast(300, 0.9)) {
    EXPECT_TRUE(std::isfinite(q.mean) && std::isfinite(q.lower) && std::isfinite(q.upper));
  }
  // Shorter than a season.
  ASSERT_TRUE(f.Refit(History(100, 1.0, 3), 99 * kStep, kStep));
  EXPECT_TRUE(std::isfinite(f.Next().mean));
}

TEST(OnlineForecasterTest, StaleModelFallsBackToTheHistogram) {
  const auto y = History(288 * 4, 1.0, 6);
  OnlineForecaster f;
  ASSERT_TRUE(f.Refit(y, static_cast<TimestampMs>(y.size() - 1) * kStep, kStep));
  // Eight days later with no refit: beyond 7 seasons, the histogram answers.
  const std::size_t t = y.size() + 8 * 288;
  f.Update(static_cast<TimestampMs>(t) * kStep, 100.0);
  EXPECT_EQ(f.model_name(), "histogram");
  const ForecastPoint p = f.Next();
  EXPECT_GT(p.upper, p.lower);
}

TEST(OnlineForecasterTest, StateStaysUnderTwoKibPerSeries) {
  const auto y = History(288 * 14, 3.0, 1);
  OnlineForecaster f;
  ASSERT_TRUE(f.Refit(y, static_cast<TimestampMs>(y.size() - 1) * kStep, kStep));
  EXPECT_LE(f.StateBytes(), 2048u) << f.model_name();
}

// A global model that knows the series' law: the logistic map x' = 3.9 x (1 − x).
class LogisticOracle final : public PointModel {
 public:
  std::string Name() const override { return "logistic-oracle"; }
  Result<void> Fit(std::span<const double>) override { return {}; }
  void Forecast(std::span<const double> history, std::span<double> out) const override {
    double x = history.back();
    for (double& o : out) o = x = 3.9 * x * (1.0 - x);
  }
  std::size_t MinLength() const override { return 1; }
};
// A global model that knows nothing: always 100.
class Hundred final : public PointModel {
 public:
  std::string Name() const override { return "hundred"; }
  Result<void> Fit(std::span<const double>) override { return {}; }
  void Forecast(std::span<const double>, std::span<double> out) const override {
    for (double& o : out) o = 100.0;
  }
  std::size_t MinLength() const override { return 1; }
};

TEST(OnlineForecasterTest, AnExtraGlobalModelServesOnlyWhereItWinsTheBacktest) {
  // Chaotic but deterministic (synthetic): the first value is 1 so the series' scale is exactly 1
  // and the oracle's arithmetic is the series' own.
  std::vector<double> y = {1.0, 0.2};
  while (y.size() < 600) y.push_back(3.9 * y.back() * (1.0 - y.back()));
  const TimestampMs step = 5 * kMinuteMs;
  const TimestampMs last = 599 * step;
  OnlineForecasterOptions o;
  o.horizon = 12;
  OnlineForecaster plain(o), with_oracle(o), with_useless(o);
  ASSERT_TRUE(plain.Refit(y, last, step).has_value());
  const std::vector<std::shared_ptr<PointModel>> oracle = {std::make_shared<LogisticOracle>()};
  const std::vector<std::shared_ptr<PointModel>> useless = {std::make_shared<Hundred>()};
  ASSERT_TRUE(with_oracle.Refit(y, last, step, oracle).has_value());
  ASSERT_TRUE(with_useless.Refit(y, last, step, useless).has_value());
  EXPECT_EQ(with_oracle.model_name(), "logistic-oracle");
  EXPECT_NE(plain.model_name(), "logistic-oracle");
  EXPECT_NE(with_useless.model_name(), "hundred");
  EXPECT_EQ(with_useless.model_name(), plain.model_name());
  // The served path is the map's next values (quantised to 16 bits over [0, 1]: ≤ 1e-5 off).
  const auto f = with_oracle.Forecast(3, 0.8);
  double x = y.back();
  for (const auto& p : f) {
    x = 3.9 * x * (1.0 - x);
    EXPECT_NEAR(p.mean, x, 1e-4);
  }
}

TEST(InverseNormalCdfTest, MatchesKnownQuantiles) {
  // Φ⁻¹(0.9) = 1.2815516, Φ⁻¹(0.975) = 1.9599640, Φ⁻¹(0.5) = 0 (standard tables).
  EXPECT_NEAR(InverseNormalCdf(0.9), 1.2815516, 1e-6);
  EXPECT_NEAR(InverseNormalCdf(0.975), 1.9599640, 1e-6);
  EXPECT_NEAR(InverseNormalCdf(0.5), 0.0, 1e-9);
  EXPECT_NEAR(InverseNormalCdf(0.01), -2.3263479, 1e-6);
}

}  // namespace
}  // namespace prognos::signal
