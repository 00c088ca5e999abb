// Hand-worked decisions of DESIGN.md §7's baselines, so that nobody can weaken them.
#include "sim/baselines.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace prognos::sim {
namespace {

struct HpaStep {
  const char* name;
  TimestampMs t_s;
  int replicas;
  std::vector<double> utilization;
  int expected;
};

// Target 70 %, tolerance 10 %, scale-down window 5 min, replicas in [1, 20].
TEST(HpaRecommenderTest, ReproducesTheKubernetesFormulaToleranceAndDownscaleWindow) {
  const std::vector<HpaStep> steps = {
      // 4 · 0.70/0.70 = ratio 1.0: inside the tolerance → 4.
      {"at target", 0, 4, {0.70}, 4},
      // ratio 0.35/0.70 = 0.5 → ceil(4 · 0.5) = 2, but the window still holds 4 (t=0) → 4.
      {"scale-down held by the t=0 recommendation", 60, 4, {0.35}, 4},
      {"still held at 120 s", 120, 4, {0.35}, 4},
      // At 300 s the t=0 entry is exactly 5 min old and leaves the window: max(2, 2, 2) = 2.
      {"scale-down once the window passed", 300, 4, {0.35}, 2},
      // ratio 1.05/0.70 = 1.5 → ceil(2 · 1.5) = 3: scale-up at once.
      {"scale-up at once", 315, 2, {1.05}, 3},
      // 3 replicas at 75 %: ratio 1.071, |0.071| ≤ 0.1 → no change (window max is 3).
      {"inside tolerance", 330, 3, {0.75}, 3},
      // ratio 0.78/0.70 = 1.114 > 1.1 → ceil(3 · 1.114) = ceil(3.343) = 4.
      {"just outside tolerance", 345, 3, {0.78}, 4},
      // Two metrics: cpu at target (4), memory ratio 1.4/0.7 = 2 → 8; the larger wins.
      {"highest metric wins", 360, 4, {0.70, 1.40}, 8},
      // ratio 2.1/0.7 = 3 → 24, clamped to max_replicas 20.
      {"clamped to max", 375, 8, {2.10}, 20},
  };
  HpaRecommender hpa(HpaConfig{});
  for (const auto& s : steps) {
    SCOPED_TRACE(s.name);
    EXPECT_EQ(hpa.Decide(s.t_s * kSecondMs, s.replicas, s.utilization), s.expected);
  }
}

TEST(HpaRecommenderTest, ScalesDownToTheHighestRecommendationOfTheLastFiveMinutes) {
  HpaRecommender hpa(HpaConfig{});
  // Recommendations 10 (t=0: ratio 2.5 on 4 replicas), then 6 (t=100 s: 10 · 0.42/0.7 = 6),
  // then 3 (t=200 s: 10 · 0.21/0.7 = 3). At 310 s the t=0 entry is gone; the window holds
  // 6 (100 s), 3 (200 s) and 3 (now: 10 · 0.21/0.7) → 6, not 3.
  EXPECT_EQ(hpa.Decide(0, 4, {1.75}), 10);
  EXPECT_EQ(hpa.Decide(100 * kSecondMs, 10, {0.42}), 10);
  EXPECT_EQ(hpa.Decide(200 * kSecondMs, 10, {0.21}), 10);
  EXPECT_EQ(hpa.Decide(310 * kSecondMs, 10, {0.21}), 6);
  // At 410 s only 3s remain → 3.
  EXPECT_EQ(hpa.Decide(410 * kSecondMs, 6, {0.35}), 3);
}

TEST(HpaRecommenderTest, NeverGoesBelowMinReplicasNorActsWithoutMetrics) {
  HpaRecommender hpa(HpaConfig{});
  EXPECT_EQ(hpa.Decide(0, 1, {0.0}), 1);  // ceil(0) = 0 → min 1
  HpaRecommender none(HpaConfig{});
  EXPECT_EQ(none.Decide(0, 3, {}), 3);
}

// VPA buckets: bucket n starts at 0.01 · (1.05^n − 1) / 0.05. Hand-worked (python3 -c, math.log):
//   1.0 → n = floor(ln(6)/ln(1.05)) = 36, upper edge 0.2 · (1.05^37 − 1) = 1.016281
//   2.0 → n = floor(ln(11)/ln(1.05)) = 49, upper edge 0.2 · (1.05^50 − 1) = 2.093480
//   4.0 → n = floor(ln(21)/ln(1.05)) = 62, upper edge 0.2 · (1.05^63 − 1) = 4.124699
TEST(VpaRecommenderTest, PercentilesOfTheBucketedHistogram) {
  VpaRecommender vpa(VpaConfig{});
  // Ten samples at one time (equal weights): 5 × 1.0, 4 × 2.0, 1 × 4.0.
  for (int i = 0; i < 5; ++i) vpa.AddSample(0, 1.0);
  for (int i = 0; i < 4; ++i) vpa.AddSample(0, 2.0);
  vpa.AddSample(0, 4.0);
  struct Case {
    const char* name;
    double p;
    double expected;
  };
  // P50: weight 5 of 10 reached in bucket 36; P90: 9 in bucket 49; P95: 9.5 needs bucket 62.
  for (const Case& c :
       std::vector<Case>{{"p50", 0.5, 1.016281}, {"p90", 0.9, 2.093480}, {"p95", 0.95, 4.124699}}) {
    SCOPED_TRACE(c.name);
    EXPECT_NEAR(vpa.Percentile(c.p), c.expected, 1e-5);
  }
  // target = P90 · 1.15 = 2.407502; bounds [P50 · 1.15, P95 · 1.15] = [1.168724, 4.743403].
  EXPECT_NEAR(vpa.Target(), 2.407502, 1e-5);
  EXPECT_NEAR(vpa.Lower(), 1.168724, 1e-5);
  EXPECT_NEAR(vpa.Upper(), 4.743403, 1e-5);
  struct Rec {
    const char* name;
    double current;
    double expected;
  };
  for (const Rec& r : std::vector<Rec>{{"inside the band: kept", 3.0, 3.0},
                                       {"below P50: target", 1.0, 2.407502},
                                       {"above P95: target", 5.0, 2.407502},
                                       {"at the lower bound: kept", 1.17, 1.17}}) {
    SCOPED_TRACE(r.name);
    EXPECT_NEAR(vpa.Recommend(r.current), r.expected, 1e-5);
  }
}

TEST(VpaRecommenderTest, NewerSamplesWeighMoreWithA24HourHalfLife) {
  VpaRecommender vpa(VpaConfig{});
  // 1.0 at t=0 (weight 1), 2.0 at t=24 h (weight 2^1 = 2): total 3. P50 needs 1.5: the 1.0
  // bucket holds 1 < 1.5 → the 2.0 bucket's edge 2.093480. Without decay (weights 1 and 1) the
  // median would be reached in the 1.0 bucket (1.016281). P30 needs 0.9 ≤ 1 → 1.016281.
  vpa.AddSample(0, 1.0);
  vpa.AddSample(kDayMs, 2.0);
  EXPECT_NEAR(vpa.Percentile(0.5), 2.093480, 1e-5);
  EXPECT_NEAR(vpa.Percentile(0.3), 1.016281, 1e-5);
}

TEST(VpaRecommenderTest, SamplesOlderThanEightDaysLeaveTheHistogram) {
  VpaRecommender vpa(VpaConfig{});
  vpa.AddSample(0, 4.0);
  vpa.AddSample(8 * kDayMs, 1.0);  // the t=0 sample is now 8 days old: gone
  EXPECT_EQ(vpa.samples(), 1U);
  EXPECT_NEAR(vpa.Percentile(0.99), 1.016281, 1e-5);
  VpaRecommender empty(VpaConfig{});
  EXPECT_EQ(empty.Percentile(0.9), 0.0);
  EXPECT_EQ(empty.Recommend(0.5), 0.5);  // no history: no change
}

}  // namespace
}  // namespace prognos::sim
