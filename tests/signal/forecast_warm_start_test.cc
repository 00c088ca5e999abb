// Warm starts across refits (PointModel::SetWarmStart, WarmStart in selector.h): a refit on a
// history extended by a few hours starts its optimisers from the previous fit's parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "signal/forecast/arima.h"
#include "signal/forecast/ets.h"
#include "signal/forecast/online_forecaster.h"
#include "signal/forecast/selector.h"

namespace prognos::signal {
namespace {

constexpr std::size_t kDay = 288;
constexpr std::size_t kShift = 72;  // 6 h of 5-minute points: the engine's refit interval

// A daily season, an AR(1) deviation and a slow trend, scaled to about 1 (as the selector sees).
std::vector<double> Series(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> eps(0.0, 0.02);
  std::vector<double> y(n);
  double ar = 0.0;
  for (std::size_t t = 0; t < n; ++t) {
    ar = 0.7 * ar + eps(rng);
    const double phase = 2.0 * std::numbers::pi * static_cast<double>(t % kDay) / kDay;
    y[t] = 0.6 + 0.2 * std::sin(phase) + ar + 1e-5 * static_cast<double>(t);
  }
  return y;
}

double EtsSse(std::span<const double> y, const EtsSpec& spec, const EtsParams& p) {
  double sse = 0.0;
  EtsFilter(y, spec, p, EtsHeuristicInit(y, spec), &sse);
  return sse;
}

TEST(EtsWarmStartTest, WarmFitIsNoWorseThanItsStartAndCloseToTheColdFit) {
  for (std::uint32_t seed : {1U, 2U, 3U}) {
    SCOPED_TRACE(seed);
    const auto y = Series(7 * kDay + kShift, seed);
    const std::span<const double> before(y.data(), 7 * kDay), after(y.data() + kShift, 7 * kDay);
    for (const EtsSpec spec : {EtsSpec{EtsTrend::kDamped, EtsSeason::kAdditive, kDay},
                               EtsSpec{EtsTrend::kDamped, EtsSeason::kNone, 0},
                               EtsSpec{EtsTrend::kNone, EtsSeason::kNone, 0}}) {
      EtsModel first(spec);
      first.set_single_start(true);
      ASSERT_TRUE(first.Fit(before));
      EtsModel cold(spec), warm(spec);
      cold.set_single_start(true);
      warm.set_single_start(true);
      warm.SetWarmStart(first.WarmParams());
      ASSERT_TRUE(cold.Fit(after));
      ASSERT_TRUE(warm.Fit(after));
      // Nelder-Mead keeps its best vertex: never above the SSE of the parameters it started from
      // (up to the round trip through the unconstrained coding).
      EXPECT_LE(warm.sse(), EtsSse(after, spec, first.params()) * (1 + 1e-9));
      // 40 evaluations from the last optimum land within 1 % of the SSE of a cold 100-evaluation
      // fit (on these series the two agree to well under that).
      EXPECT_LE(warm.sse(), cold.sse() * 1.01);
    }
  }
}

TEST(EtsWarmStartTest, AHintOfTheWrongShapeGivesTheColdFit) {
  const auto y = Series(7 * kDay, 4);
  const EtsSpec spec{EtsTrend::kDamped, EtsSeason::kAdditive, kDay};
  EtsModel cold(spec), hinted(spec);
  const std::vector<double> wrong{0.1, 0.2};  // two parameters for a four-parameter spec
  hinted.SetWarmStart(wrong);
  ASSERT_TRUE(cold.Fit(y));
  ASSERT_TRUE(hinted.Fit(y));
  EXPECT_EQ(hinted.sse(), cold.sse());
  EXPECT_EQ(hinted.params().alpha, cold.params().alpha);
}

TEST(AutoEtsWarmStartTest, AWarmFitKeepsTheWinningVariantAndAMismatchedHintIsIgnored) {
  for (std::uint32_t seed : {5U, 6U}) {
    SCOPED_TRACE(seed);
    const auto y = Series(7 * kDay + kShift, seed);
    const std::span<const double> before(y.data(), 7 * kDay), after(y.data() + kShift, 7 * kDay);
    AutoEtsModel first(kDay, false);
    ASSERT_TRUE(first.Fit(before));
    const std::vector<double> hint = first.WarmParams();
    // [3 variants, winner, then damped seasonal: 4 parameters, damped: 3, simple: 1 — each
    // after its count].
    ASSERT_EQ(hint.size(), 2 + (1 + 4) + (1 + 3) + (1 + 1));
    EXPECT_EQ(hint[0], 3.0);
    AutoEtsModel cold(kDay, false), warm(kDay, false), mismatched(kDay, false);
    warm.SetWarmStart(hint);
    std::vector<double> other = hint;
    other[0] = 2.0;  // written for another variant list
    mismatched.SetWarmStart(other);
    ASSERT_TRUE(cold.Fit(after));
    ASSERT_TRUE(warm.Fit(after));
    ASSERT_TRUE(mismatched.Fit(after));
    EXPECT_EQ(mismatched.best().sse(), cold.best().sse());
    EXPECT_EQ(mismatched.Name(), cold.Name());
    EXPECT_EQ(warm.Name(), first.Name());  // the variant is kept, not compared again
    if (warm.Name() == cold.Name()) {
      EXPECT_LE(warm.best().sse(), cold.best().sse() * 1.01);
    }
    // The warm fit's own hint carries the kept variant's new parameters only.
    const std::vector<double> next = warm.WarmParams();
    EXPECT_EQ(next[1], hint[1]);
  }
}

TEST(ArimaWarmStartTest, AWarmFitKeepsTheOrderAndAMalformedHintIsIgnored) {
  for (std::uint32_t seed : {1U, 2U, 3U}) {
    SCOPED_TRACE(seed);
    std::mt19937 rng(seed);
    std::normal_distribution<double> eps(0.0, 1.0);
    // ARMA(1, 1): w_t = 0.5 w_{t−1} + e_t + 0.4 e_{t−1}, so the refinement runs (q > 0).
    std::vector<double> y(1200);
    double prev_w = 0.0, prev_e = 0.0;
    for (double& v : y) {
      const double e = eps(rng);
      v = 0.5 * prev_w + e + 0.4 * prev_e;
      prev_w = v;
      prev_e = e;
    }
    const std::span<const double> before(y.data(), 1000), after(y.data() + 200, 1000);
    const auto first = AutoArima(before);
    ASSERT_TRUE(first);
    const std::vector<double> hint = ArimaWarmParams(*first);
    ASSERT_EQ(hint.size(), 3 + first->ar.size() + first->ma.size());
    const auto cold = AutoArima(after);
    const auto warm = AutoArima(after, hint);
    ASSERT_TRUE(cold);
    ASSERT_TRUE(warm);
    EXPECT_EQ(warm->order.p, first->order.p);
    EXPECT_EQ(warm->order.d, first->order.d);
    EXPECT_EQ(warm->order.q, first->order.q);
    // Same order: 10 evaluations per parameter from the better start come within 0.1 % of the
    // cold 30 from Hannan-Rissanen's.
    if (cold->order.p == first->order.p && cold->order.q == first->order.q &&
        cold->order.d == first->order.d) {
      EXPECT_LE(warm->sigma2, cold->sigma2 * 1.001);
    }
    // A hint whose length does not match its order: the cold fit, bit for bit.
    std::vector<double> malformed = hint;
    malformed.push_back(0.1);
    const auto ignored = AutoArima(after, malformed);
    ASSERT_TRUE(ignored);
    EXPECT_EQ(ignored->sigma2, cold->sigma2);
    EXPECT_EQ(ignored->ma, cold->ma);
  }
}

TEST(SelectorWarmStartTest, EveryFourthSelectionIsColdAndUnknownKeysAreIgnored) {
  const auto y = Series(14 * kDay, 6);
  const auto cold = SelectModel(y, ForecastMethod::kAuto, kDay, 12, 0.8, kDay);
  ASSERT_TRUE(cold);
  WarmStart warm;
  const std::size_t n_cands = CandidateModels(ForecastMethod::kAuto, kDay, 12 * kDay, kDay).size();
  // Selections 1 and 5 are cold (the first has no hint, the fifth is the fourth after a cold
  // one): the same numbers as a selection without a warm start.
  for (std::uint32_t k = 1; k <= 5; ++k) {
    SCOPED_TRACE(k);
    const auto sel = SelectModel(y, ForecastMethod::kAuto, kDay, 12, 0.8, kDay, {}, &warm);
    ASSERT_TRUE(sel);
    ASSERT_EQ(warm.params.size(), n_cands);
    EXPECT_EQ(warm.warm_selections, k == 5 ? 0U : k - 1);
    if (k == 1 || k == 5) {
      EXPECT_EQ(sel->name, cold->name);
      EXPECT_EQ(sel->backtest_mae, cold->backtest_mae);
    } else {
      // Warm on the same series: no worse than 2 % of the cold backtest error.
      EXPECT_LE(sel->backtest_mae, cold->backtest_mae * 1.02);
    }
  }
  EXPECT_GT(warm.Bytes(), 0U);
  // Hints under keys no candidate has: this selection is cold.
  WarmStart other;
  other.params = {{1, {0.1, 0.2}}, {2, {}}};
  const auto ignored = SelectModel(y, ForecastMethod::kAuto, kDay, 12, 0.8, kDay, {}, &other);
  ASSERT_TRUE(ignored);
  EXPECT_EQ(ignored->name, cold->name);
  EXPECT_EQ(ignored->backtest_mae, cold->backtest_mae);
  EXPECT_EQ(other.params.size(), n_cands);  // and it was rewritten for this list
}

TEST(SelectorWarmStartTest, WarmKeysNameTheConfigurationNotTheFit) {
  // The calendar-day profile is the same candidate whichever season was detected: its hint
  // survives a change of the detected season; another period or another pooling is another key.
  const auto daily = CandidateModels(ForecastMethod::kAuto, 0, 14 * kDay, kDay);
  const auto weekly = CandidateModels(ForecastMethod::kAuto, 7 * kDay, 14 * kDay, kDay);
  ASSERT_FALSE(daily.empty());
  EXPECT_EQ(daily[0]->WarmKey(), "arima/288/7/1");
  bool found = false;
  for (const auto& c : weekly) found = found || c->WarmKey() == daily[0]->WarmKey();
  EXPECT_TRUE(found);
  EXPECT_NE(AdjustedArimaModel(288, 3, 1).WarmKey(), AdjustedArimaModel(288, 7, 1).WarmKey());
  EXPECT_NE(AutoEtsModel(288, false).WarmKey(), AutoEtsModel(12, false).WarmKey());
  // Fitting does not change the key (the name does: it carries the fitted order).
  const auto y = Series(4 * kDay, 8);
  AdjustedArimaModel m(kDay, 7, 1);
  const std::string before = m.WarmKey();
  ASSERT_TRUE(m.Fit(y));
  EXPECT_EQ(m.WarmKey(), before);
}

TEST(OnlineForecasterWarmStartTest, RefitsAreDeterministicAndCloseToColdRefits) {
  constexpr DurationMs kStep = 5 * kMinuteMs;
  const auto y = Series(14 * kDay + 4 * kShift, 7);
  OnlineForecaster a, b;
  for (std::size_t k = 0; k <= 4; ++k) {
    const std::span<const double> h(y.data() + k * kShift, 14 * kDay);
    const auto last = static_cast<TimestampMs>(k * kShift + 14 * kDay - 1) * kStep;
    ASSERT_TRUE(a.Refit(h, last, kStep));
    ASSERT_TRUE(b.Refit(h, last, kStep));
    OnlineForecaster cold;
    ASSERT_TRUE(cold.Refit(h, last, kStep));
    const auto fa = a.Forecast(12, 0.8), fb = b.Forecast(12, 0.8), fc = cold.Forecast(12, 0.8);
    for (std::size_t s = 0; s < fa.size(); ++s) {
      EXPECT_EQ(fa[s].mean, fb[s].mean);  // same refit sequence, same numbers
      EXPECT_EQ(fa[s].upper, fb[s].upper);
      // Warm and cold fits may pick different parameters (or a different winner) but not a
      // different level: within 10 % of the series' scale (its daily swing is ±0.2).
      EXPECT_NEAR(fa[s].mean, fc[s].mean, 0.1);
    }
  }
  EXPECT_LE(a.StateBytes(), 3072U);
}

}  // namespace
}  // namespace prognos::signal
