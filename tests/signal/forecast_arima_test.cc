// ARIMA building blocks: the CSS recursion on hand-worked series, its allocation-free fast path
// against the residual-keeping path, and the backtest's many-origin forecasts against one
// forecast per prefix (they must be the same numbers, bit for bit).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

#include "signal/forecast/arima.h"

namespace prognos::signal {
namespace {

std::vector<double> NoisyDaily(std::size_t n, std::size_t m, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> eps(0.0, 1.0);
  std::vector<double> y(n);
  double ar = 0.0;
  for (std::size_t t = 0; t < n; ++t) {
    ar = 0.6 * ar + eps(rng);
    const double phase =
        2.0 * std::numbers::pi * static_cast<double>(t % m) / static_cast<double>(m);
    y[t] = 20.0 + 5.0 * std::sin(phase) + ar + 0.002 * static_cast<double>(t);
  }
  return y;
}

TEST(ArmaCssTest, MatchesHandWorkedResiduals) {
  const std::vector<double> w{1.0, 2.0, 3.0, 4.0};
  // AR(1), φ = 0.5, μ = 0: e_1 = 2 − 0.5 = 1.5, e_2 = 3 − 1 = 2, e_3 = 4 − 1.5 = 2.5;
  // CSS = 2.25 + 4 + 6.25 = 12.5.
  ArimaFit ar;
  ar.mean = 0.0;
  ar.ar = {0.5};
  EXPECT_DOUBLE_EQ(ArmaCss(w, ar, nullptr), 12.5);
  // MA(1), θ = 0.5, μ = 0: e_0 = 1, e_1 = 2 − 0.5 = 1.5, e_2 = 3 − 0.75 = 2.25,
  // e_3 = 4 − 1.125 = 2.875; CSS = 1 + 2.25 + 5.0625 + 8.265625 = 16.578125.
  ArimaFit ma;
  ma.mean = 0.0;
  ma.ma = {0.5};
  EXPECT_DOUBLE_EQ(ArmaCss(w, ma, nullptr), 16.578125);
  std::vector<double> e;
  EXPECT_DOUBLE_EQ(ArmaCss(w, ma, &e), 16.578125);
  ASSERT_EQ(e.size(), 4u);
  EXPECT_DOUBLE_EQ(e[3], 2.875);
}

TEST(ArmaCssTest, FastPathEqualsResidualPathForEverySearchedOrder) {
  const auto y = NoisyDaily(1500, 288, 3);
  for (std::size_t p = 0; p <= 4; ++p) {
    for (std::size_t q = 0; q <= 3; ++q) {
      SCOPED_TRACE(testing::Message() << "p=" << p << " q=" << q);
      ArimaFit fit;
      fit.mean = 20.0;
      for (std::size_t i = 0; i < p; ++i) fit.ar.push_back(0.4 / static_cast<double>(i + 1));
      for (std::size_t j = 0; j < q; ++j) fit.ma.push_back(-0.3 / static_cast<double>(j + 1));
      std::vector<double> e;
      const double with_residuals = ArmaCss(y, fit, &e);
      double sum = 0.0;
      for (double v : e) sum += v * v;
      EXPECT_EQ(ArmaCss(y, fit, nullptr), with_residuals);
      EXPECT_NEAR(with_residuals, sum, 1e-9 * sum);
    }
  }
  // A diverging recursion scores +∞ on both paths.
  ArimaFit wild;
  wild.ar = {1e200};
  EXPECT_TRUE(std::isinf(ArmaCss(y, wild, nullptr)));
}

// ArimaForecast as it was written before it kept only the newest p values and q residuals:
// whole copies of the differenced series and of the generic loop's residuals, extended step by
// step. The current one must give the same doubles, bit for bit.
std::vector<double> ReferenceArimaForecast(const ArimaFit& fit, const std::vector<double>& y,
                                           std::size_t horizon) {
  std::vector<double> w = y;
  for (int k = 0; k < fit.order.d && !w.empty(); ++k) {
    for (std::size_t i = w.size() - 1; i > 0; --i) w[i] -= w[i - 1];
    w.erase(w.begin());
  }
  const std::size_t p = fit.ar.size(), q = fit.ma.size();
  std::vector<double> e;
  ArmaCss(w, fit, &e);
  std::vector<double> ww = w, ee = e, out(horizon);
  for (std::size_t h = 0; h < horizon; ++h) {
    const std::size_t t = ww.size();
    double pred = fit.mean;
    for (std::size_t i = 0; i < p; ++i)
      pred += fit.ar[i] * ((t >= i + 1 ? ww[t - 1 - i] : fit.mean) - fit.mean);
    for (std::size_t j = 0; j < q; ++j) pred += t >= j + 1 ? fit.ma[j] * ee[t - 1 - j] : 0.0;
    ww.push_back(pred);
    ee.push_back(0.0);
  }
  double last = y.back();
  for (std::size_t h = 0; h < horizon; ++h) {
    const double wf = ww[w.size() + h];
    if (fit.order.d == 1) {
      last += wf;
      out[h] = last;
    } else {
      out[h] = wf;
    }
    if (!std::isfinite(out[h])) out[h] = y.back();
  }
  return out;
}

TEST(ArimaForecastTest, EqualsExtendingWholeCopiesOfTheSeries) {
  const auto long_y = NoisyDaily(400, 48, 7);
  for (const std::size_t n : {1u, 2u, 3u, 4u, 6u, 400u}) {
    const std::vector<double> y(long_y.end() - static_cast<std::ptrdiff_t>(n), long_y.end());
    for (int d = 0; d <= 1; ++d) {
      for (std::size_t p = 0; p <= 5; ++p) {
        for (std::size_t q = 0; q <= 3; ++q) {
          SCOPED_TRACE(testing::Message() << "n=" << n << " d=" << d << " p=" << p << " q=" << q);
          ArimaFit fit;
          fit.order = {static_cast<int>(p), d, static_cast<int>(q)};
          fit.mean = d == 0 ? 20.0 : 0.0;
          for (std::size_t i = 0; i < p; ++i) fit.ar.push_back(0.4 / static_cast<double>(i + 1));
          for (std::size_t j = 0; j < q; ++j) fit.ma.push_back(-0.3 / static_cast<double>(j + 1));
          for (const std::size_t horizon : {1u, 12u}) {
            std::vector<double> got(horizon);
            ArimaForecast(fit, y, got);
            const std::vector<double> want = ReferenceArimaForecast(fit, y, horizon);
            for (std::size_t h = 0; h < horizon; ++h) {
              EXPECT_EQ(std::bit_cast<std::uint64_t>(got[h]), std::bit_cast<std::uint64_t>(want[h]))
                  << "h=" << h << " " << got[h] << " vs " << want[h];
            }
          }
        }
      }
    }
  }
}

TEST(AdjustedArimaModelTest, BacktestOriginsEqualOneForecastPerPrefix) {
  const auto y = NoisyDaily(288 * 9, 288, 11);
  struct Case {
    const char* name;
    std::size_t period, days, width;
  };
  const Case cases[] = {{"median 7 days ±1", 288, 7, 1},
                        {"median 3 days ±1", 288, 3, 1},
                        {"last day", 288, 1, 0},
                        {"short period", 24, 3, 1},
                        {"no season", 0, 0, 0}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    AdjustedArimaModel model(c.period, c.days, c.width);
    ASSERT_TRUE(model.Fit(std::span<const double>(y).first(288 * 6)));
    // Origins before and after a season, and steps that run past a season (where the profile of
    // a step pools slots at or after the origin).
    const std::vector<std::size_t> origins{100, 288, 289, 288 * 6, 288 * 6 + 37, 288 * 8 - 300};
    for (std::size_t steps : {std::size_t{12}, std::size_t{300}}) {
      SCOPED_TRACE(testing::Message() << "steps=" << steps);
      std::vector<double> batch(origins.size() * steps);
      model.ForecastOrigins(y, origins, steps, batch);
      for (std::size_t k = 0; k < origins.size(); ++k) {
        std::vector<double> one(steps);
        model.Forecast(std::span<const double>(y).first(origins[k]), one);
        for (std::size_t h = 0; h < steps; ++h) {
          ASSERT_EQ(batch[k * steps + h], one[h]) << "origin " << origins[k] << " step " << h;
        }
      }
    }
  }
}

}  // namespace
}  // namespace prognos::signal
