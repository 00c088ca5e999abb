#include "predict/dependency_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <utility>
#include <vector>

namespace prognos::predict {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::set<std::pair<int, int>> Edges(const DependencyModel& m) {
  std::set<std::pair<int, int>> edges;
  for (std::size_t i = 0; i < m.indicators(); ++i) {
    const int p = m.parents()[i];
    if (p >= 0) edges.insert({std::min(p, static_cast<int>(i)), std::max(p, static_cast<int>(i))});
  }
  return edges;
}

// x0 → x1 → x2 is a chain (each the previous one plus noise), x3 an unrelated indicator and x4 a
// copy of x0 with noise: the Chow-Liu tree is exactly {0-1, 1-2, 0-4}, x3 isolated. (Levels only:
// with step nodes, the steps of i.i.d. rows correlate with their levels at 1/√2 and join the tree.)
TEST(DependencyModelTest, LearnsTheKnownTreeOnSyntheticData) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> n01(0.0, 1.0);
  DependencyModelConfig config;
  config.step_nodes = false;
  DependencyModel model(5, config);
  for (int t = 0; t < 3000; ++t) {
    const double x0 = n01(rng);
    const double x1 = x0 + 0.3 * n01(rng);
    const double x2 = x1 + 0.3 * n01(rng);
    const double x3 = n01(rng);
    const double x4 = x0 + 0.5 * n01(rng);
    const std::vector<double> row = {x0, x1, x2, x3, 10.0 + x4};
    model.Update(row);
  }
  model.RelearnStructure();
  const std::set<std::pair<int, int>> expected = {{0, 1}, {1, 2}, {0, 4}};
  EXPECT_EQ(Edges(model), expected);
  EXPECT_EQ(model.parents()[3], -1);
  // ρ(x0, x1) = 1/√1.09 = 0.958 by construction; the EW estimate is within sampling error.
  EXPECT_NEAR(model.Correlation(0, 1), 0.958, 0.02);
}

struct BreakRun {
  double normal_mean = 0.0;
  double broken_mean = 0.0;
  double broken_top1 = 0.0;   // share of broken rows whose top cause is x1
  double broken_alarm = 0.0;  // share of broken rows with risk ≥ 0.5
  double normal_alarm = 0.0;
  double max_marginal_z = 0.0;
};

// x1 and x2 follow x0 closely; at row 3000 x1 is replaced by an independent draw of the same
// marginal N(0, 1.04): every marginal stays normal, only the correlation breaks.
BreakRun RunBreak(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0.0, 1.0);
  DependencyModel model(3);
  BreakRun out;
  int normal = 0;
  int broken = 0;
  for (int t = 0; t < 3200; ++t) {
    const double x0 = n01(rng);
    double x1 = x0 + 0.2 * n01(rng);
    const double x2 = x0 + 0.2 * n01(rng);
    if (t >= 3000) x1 = std::sqrt(1.04) * n01(rng);
    const std::vector<double> row = {x0, x1, x2};
    const RiskResult r = model.Update(row);
    if (t >= 2800 && t < 3000) {
      out.normal_mean += r.risk;
      out.normal_alarm += r.risk >= 0.5 ? 1.0 : 0.0;
      ++normal;
    }
    if (t >= 3000) {
      out.broken_mean += r.risk;
      out.broken_alarm += r.risk >= 0.5 ? 1.0 : 0.0;
      ++broken;
      if (!r.ranking.empty() && r.ranking[0].indicator == 1) out.broken_top1 += 1.0;
      out.max_marginal_z = std::max(out.max_marginal_z, std::abs(x1) / std::sqrt(1.04));
    }
  }
  out.normal_mean /= normal;
  out.broken_mean /= broken;
  out.broken_top1 /= broken;
  out.broken_alarm /= broken;
  out.normal_alarm /= normal;
  return out;
}

TEST(DependencyModelTest, RiskRisesWhenACorrelationBreaksWhileMarginalsStayNormal) {
  for (std::uint64_t seed : {1U, 2U, 3U}) {
    SCOPED_TRACE(seed);
    const BreakRun r = RunBreak(seed);
    // The broken x1 is an ordinary N(0, 1.04) draw: no marginal detector would flag it (|z| of a
    // 200-draw sample stays below ≈ 3.5), yet its residual given x0 is ≈ 1/0.2 = 5× its usual size.
    EXPECT_LT(r.max_marginal_z, 4.0);
    // Normal rows: p roughly uniform, mean risk ≈ E[z/(z + 3.23)] ≈ 0.28; ≈ 0.5 % alarms.
    EXPECT_LT(r.normal_mean, 0.35);
    EXPECT_LT(r.normal_alarm, 0.03);
    // Broken rows: x1 − x0 ~ N(0, 2.04) against a residual σ of 0.2, so a row is clearly
    // improbable when |x1 − x0| ≳ 0.7, P ≈ 0.62; the draws that happen to agree with x0 are not.
    EXPECT_GT(r.broken_alarm, 0.45);
    EXPECT_GT(r.broken_alarm, 15.0 * r.normal_alarm);
    EXPECT_GT(r.broken_mean, r.normal_mean + 0.15);
    // Root cause names the indicator whose relation broke in the large majority of rows (rows where
    // the new x1 happens to agree with x0 carry no evidence either way).
    EXPECT_GT(r.broken_top1, 0.7);
  }
}

TEST(DependencyModelTest, RootCauseNamesADeviatingParentNotItsChildren) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> n01(0.0, 1.0);
  DependencyModel model(4);
  for (int t = 0; t < 2000; ++t) {
    const double x0 = n01(rng);
    const std::vector<double> row = {x0, x0 + 0.2 * n01(rng), x0 + 0.2 * n01(rng),
                                     x0 + 0.2 * n01(rng)};
    model.Update(row);
  }
  // x0 (the hub every other indicator follows) jumps by 6σ alone: each child's residual given x0
  // is large too, but letting x0 take its likely value explains all of them.
  const std::vector<double> row = {6.0, 0.0, 0.1, -0.1};
  const RiskResult r = model.Update(row);
  ASSERT_FALSE(r.ranking.empty());
  EXPECT_GT(r.risk, 0.5);
  EXPECT_EQ(model.parents()[0], -1);
  EXPECT_EQ(r.ranking[0].indicator, 0U);
  double share = 0.0;
  for (const Contribution& c : r.ranking) share += c.share;
  EXPECT_LE(share, 1.0 + 1e-12);
}

// A random walk wanders over a wide range in small steps; a jump of 8 step-σ that stays inside the
// range its level has already covered is invisible to the level node but not to the step node.
TEST(DependencyModelTest, StepNodeCatchesAJumpInsideTheUsualRange) {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> n01(0.0, 1.0);
  DependencyModel model(2);
  double walk = 0.0;
  double lo = 0.0;
  double hi = 0.0;
  for (int t = 0; t < 3000; ++t) {
    walk += 0.1 * n01(rng);
    lo = std::min(lo, walk);
    hi = std::max(hi, walk);
    const std::vector<double> row = {walk, n01(rng)};
    model.Update(row);
  }
  ASSERT_GT(hi - lo, 2.0);  // the walk covered far more than the jump below
  EXPECT_EQ(model.nodes(), 4U);
  const double jump = walk > (lo + hi) / 2 ? -0.8 : 0.8;
  const std::vector<double> row = {walk + jump, 0.0};
  const RiskResult r = model.Update(row);
  EXPECT_GT(r.risk, 0.5);
  ASSERT_FALSE(r.ranking.empty());
  EXPECT_EQ(r.ranking[0].indicator, 0U);
}

TEST(DependencyModelTest, ColdStartGivesNoRiskAndNoRanking) {
  DependencyModelConfig config;
  config.cold_start_rows = 100;
  DependencyModel model(2, config);
  for (int t = 0; t < 100; ++t) {
    const std::vector<double> row = {t * 1.0, t == 99 ? 1e9 : t * 2.0};
    const RiskResult r = model.Update(row);
    EXPECT_EQ(r.risk, 0.0);
    EXPECT_EQ(r.tail_probability, 1.0);
    EXPECT_FALSE(r.warm);
    EXPECT_TRUE(r.ranking.empty());
  }
  const std::vector<double> row = {100.0, 200.0};
  EXPECT_TRUE(model.Update(row).warm);
}

TEST(DependencyModelTest, ConstantIndicatorAddsNothingUntilItChanges) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n01(0.0, 1.0);
  DependencyModel model(3);
  double last_risk = 0.0;
  for (int t = 0; t < 1500; ++t) {
    const double x0 = n01(rng);
    const std::vector<double> row = {x0, x0 + 0.3 * n01(rng), 5.0};
    last_risk = model.Update(row).risk;
  }
  EXPECT_EQ(model.parents()[2], -1);
  EXPECT_LT(last_risk, 0.6);
  const std::vector<double> changed = {0.0, 0.0, 5.5};
  const RiskResult r = model.Update(changed);
  EXPECT_GT(r.risk, 0.5);
  ASSERT_FALSE(r.ranking.empty());
  EXPECT_EQ(r.ranking[0].indicator, 2U);
}

TEST(DependencyModelTest, MissingIndicatorIsNotRankedAndRowStillScores) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n01(0.0, 1.0);
  DependencyModel model(3);
  for (int t = 0; t < 1500; ++t) {
    const double x0 = n01(rng);
    const std::vector<double> row = {x0, x0 + 0.2 * n01(rng), n01(rng)};
    model.Update(row);
  }
  // x0 missing: x1 is scored against its marginal (a normal 0.5), x2 deviates.
  const std::vector<double> row = {kNaN, 0.5, 8.0};
  const RiskResult r = model.Update(row);
  ASSERT_FALSE(r.ranking.empty());
  EXPECT_EQ(r.ranking[0].indicator, 2U);
  for (const Contribution& c : r.ranking) EXPECT_NE(c.indicator, 0U);
  EXPECT_GT(r.risk, 0.5);
  // A short row: the indicators past its end are missing.
  const std::vector<double> short_row = {0.1};
  const RiskResult s = model.Update(short_row);
  EXPECT_TRUE(std::isfinite(s.risk));
}

TEST(DependencyModelTest, ZeroIndicatorsScoreZero) {
  DependencyModel model(0);
  const std::vector<double> row;
  for (int t = 0; t < 1000; ++t) EXPECT_EQ(model.Update(row).risk, 0.0);
}

// Property: whatever the input (NaN, ±Inf, constant, huge, tiny, switching columns), risk is in
// [0, 1], never NaN, shares are in [0, 1] and scores finite.
TEST(DependencyModelTest, RiskStaysInUnitIntervalUnderHostileInput) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n01(0.0, 1.0);
    std::uniform_int_distribution<int> kind(0, 9);
    const std::size_t d = 1 + seed % 7;
    DependencyModelConfig config;
    config.cold_start_rows = 50;
    config.relearn_every = 17;
    config.smooth_alpha = seed % 2 == 0 ? 1.0 : 0.3;
    DependencyModel model(d, config);
    for (int t = 0; t < 1500; ++t) {
      std::vector<double> row(d);
      for (std::size_t i = 0; i < d; ++i) {
        switch (i % 4 == 3 ? 9 : kind(rng)) {
          case 0:
            row[i] = kNaN;
            break;
          case 1:
            row[i] = kInf;
            break;
          case 2:
            row[i] = -kInf;
            break;
          case 3:
            row[i] = 1e300 * n01(rng);
            break;
          case 4:
            row[i] = 1e-300 * n01(rng);
            break;
          case 9:
            row[i] = 7.0;
            break;  // constant
          default:
            row[i] = n01(rng);
            break;
        }
      }
      const RiskResult r = model.Update(row);
      ASSERT_FALSE(std::isnan(r.risk));
      ASSERT_GE(r.risk, 0.0);
      ASSERT_LE(r.risk, 1.0);
      ASSERT_GE(r.tail_probability, 0.0);
      ASSERT_LE(r.tail_probability, 1.0);
      ASSERT_TRUE(std::isfinite(r.joint_score));
      for (const Contribution& c : r.ranking) {
        ASSERT_LT(c.indicator, d);
        ASSERT_TRUE(std::isfinite(c.score));
        ASSERT_GE(c.share, 0.0);
        ASSERT_LE(c.share, 1.0 + 1e-12);
      }
    }
  }
}

TEST(RiskCalibratorTest, TailProbabilityFollowsTheEmpiricalDistribution) {
  RiskCalibrator cal(0.0, 0.02);
  EXPECT_EQ(cal.TailProbability(5.0), 1.0);  // empty
  // S = e^k − 1 for k uniform on [0, 4): y = ln(1 + S) is uniform, so P(Y ≥ y) = 1 − y/4.
  for (int i = 0; i < 4000; ++i) cal.Add(std::expm1(4.0 * (i + 0.5) / 4000.0));
  EXPECT_NEAR(cal.TailProbability(std::expm1(1.0)), 0.75, 0.01);
  EXPECT_NEAR(cal.TailProbability(std::expm1(2.0)), 0.50, 0.01);
  EXPECT_NEAR(cal.TailProbability(std::expm1(3.9)), 0.025, 0.01);
  // Beyond everything seen: exponential tail, strictly decreasing, positive.
  const double p1 = cal.TailProbability(std::expm1(5.0));
  const double p2 = cal.TailProbability(std::expm1(6.0));
  EXPECT_LT(p1, 0.02);
  EXPECT_GT(p1, p2);
  EXPECT_GE(p2, 0.0);
  EXPECT_EQ(cal.TailProbability(kInf), 0.0);
  EXPECT_EQ(cal.TailProbability(kNaN), 1.0);
  // Monotone over the whole range.
  double prev = 1.0;
  for (double y = 0.0; y < 20.0; y += 0.05) {
    const double p = cal.TailProbability(std::expm1(y));
    EXPECT_LE(p, prev + 1e-12);
    prev = p;
  }
}

TEST(RiskFromTailTest, MapsTailProbabilityLikeTheAnomalyScore) {
  EXPECT_EQ(RiskFromTail(1.0, 3.228), 0.0);
  EXPECT_EQ(RiskFromTail(0.0, 3.228), 1.0);
  EXPECT_EQ(RiskFromTail(kNaN, 3.228), 0.0);
  // p = e^(−3.228²/2) gives z = 3.228, risk 0.5. p = 1e-3: z = √(2 ln 1000) = 3.7169,
  // risk = 3.7169 / 6.9449 = 0.5352.
  EXPECT_NEAR(RiskFromTail(std::exp(-3.228 * 3.228 / 2.0), 3.228), 0.5, 1e-12);
  EXPECT_NEAR(RiskFromTail(1e-3, 3.228), 0.5352, 1e-4);
}

}  // namespace
}  // namespace prognos::predict
