#include "predict/health_score.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace prognos::predict {
namespace {

HealthInput Healthy(int n) {
  HealthInput in;
  for (int i = 0; i < n; ++i) in.indicators.push_back({"ind" + std::to_string(i), 0.0});
  in.status = ReportedStatus::kOk;
  return in;
}

TEST(HealthScoreTest, HealthyHostScores100WithNoContributors) {
  const HealthScore h = ComputeHealth(Healthy(5));
  EXPECT_EQ(h.score, 100.0);
  EXPECT_TRUE(h.top.empty());
  EXPECT_EQ(ComputeHealth(HealthInput{}).score, 100.0);
}

TEST(HealthScoreTest, WorkedExampleFromTheHeader) {
  HealthInput in = Healthy(5);
  in.indicators[2].anomaly_score = 0.8;
  in.entropy = 0.4;
  in.risk = 0.6;
  // 100 · (1 − 0.5·0.8) · (1 − 0.2·0.16) · (1 − 0.4·0.6) = 100 · 0.6 · 0.968 · 0.76 = 44.1408.
  const HealthScore h = ComputeHealth(in);
  EXPECT_NEAR(h.score, 44.1408, 1e-9);
  ASSERT_EQ(h.top.size(), 2U);
  EXPECT_EQ(h.top[0].name, "ind2");
  EXPECT_EQ(h.top[1].name, "risk");
  EXPECT_NEAR(h.top[0].points + h.top[1].points, 100.0 - h.score, 1e-9);
}

TEST(HealthScoreTest, StatusTimeToLimitAndTrendLowerTheScore) {
  HealthInput in = Healthy(3);
  in.status = ReportedStatus::kFail;
  EXPECT_NEAR(ComputeHealth(in).score, 30.0, 1e-9);
  EXPECT_EQ(ComputeHealth(in).top[0].name, "status");
  in = Healthy(3);
  in.indicators[0].time_to_limit_s = 0.0;  // crossed: g = 1
  // 100 · (1 − 0.5) · (1 − 0.2/3) = 46.667.
  EXPECT_NEAR(ComputeHealth(in).score, 100.0 * 0.5 * (1.0 - 0.2 / 3.0), 1e-9);
  in.indicators[0].time_to_limit_s = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(ComputeHealth(in).score, 100.0);
  in = Healthy(3);
  in.entropy_trend_per_h = 0.4;  // beyond full: 10 points
  EXPECT_NEAR(ComputeHealth(in).score, 90.0, 1e-9);
}

// Property: in [0, 100], never NaN, and monotone: making any one input worse never raises it.
TEST(HealthScoreTest, BoundedAndMonotoneInEveryInput) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 2000; ++trial) {
    HealthInput in = Healthy(1 + trial % 6);
    for (auto& ind : in.indicators) {
      ind.anomaly_score = u(rng);
      ind.time_to_limit_s = u(rng) < 0.5 ? std::numeric_limits<double>::infinity() : 7200 * u(rng);
    }
    in.entropy = u(rng);
    in.entropy_trend_per_h = u(rng) - 0.5;
    in.risk = u(rng);
    in.status = static_cast<ReportedStatus>(trial % 4);
    const double base = ComputeHealth(in).score;
    ASSERT_GE(base, 0.0);
    ASSERT_LE(base, 100.0);
    HealthInput w = in;
    w.indicators[0].anomaly_score = std::min(1.0, w.indicators[0].anomaly_score + 0.1);
    EXPECT_LE(ComputeHealth(w).score, base + 1e-9);
    w = in;
    w.indicators.back().time_to_limit_s = std::min(w.indicators.back().time_to_limit_s, 60.0) / 2;
    EXPECT_LE(ComputeHealth(w).score, base + 1e-9);
    w = in;
    w.entropy = std::min(1.0, w.entropy + 0.2);
    EXPECT_LE(ComputeHealth(w).score, base + 1e-9);
    w = in;
    w.entropy_trend_per_h += 0.1;
    EXPECT_LE(ComputeHealth(w).score, base + 1e-9);
    w = in;
    w.risk = std::min(1.0, w.risk + 0.1);
    EXPECT_LE(ComputeHealth(w).score, base + 1e-9);
    w = in;
    w.status = ReportedStatus::kFail;
    EXPECT_LE(ComputeHealth(w).score, base + 1e-9);
  }
  HealthInput nan = Healthy(2);
  nan.indicators[0].anomaly_score = std::numeric_limits<double>::quiet_NaN();
  nan.entropy = std::numeric_limits<double>::quiet_NaN();
  nan.risk = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(ComputeHealth(nan).score, 100.0);
  HealthInput worst = Healthy(2);
  for (auto& ind : worst.indicators) ind.anomaly_score = 1.0;
  worst.entropy = 1.0;
  worst.entropy_trend_per_h = 1.0;
  worst.risk = 1.0;
  worst.status = ReportedStatus::kFail;
  const HealthScore h = ComputeHealth(worst);
  EXPECT_GE(h.score, 0.0);
  // 100 · 0.5 · 0.8 · 0.85 · 0.9 · 0.6 · 0.3 = 5.508.
  EXPECT_NEAR(h.score, 5.508, 1e-9);
  EXPECT_LE(h.top.size(), 3U);
}

}  // namespace
}  // namespace prognos::predict
