// FairShare against hand-worked weighted max-min (water-filling) allocations.
#include "sim/cpu_share.h"

#include <gtest/gtest.h>

#include <vector>

namespace prognos::sim {
namespace {

std::vector<double> Share(double cap, std::vector<double> w, std::vector<double> d) {
  std::vector<double> out;
  FairShare(cap, w, d, out);
  return out;
}

TEST(FairShareTest, DemandsThatFitAreServedInFull) {
  const auto s = Share(10, {1, 1}, {2, 3});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_DOUBLE_EQ(s[0], 2);
  EXPECT_DOUBLE_EQ(s[1], 3);
  // Above its weight's share but the host is idle enough: still served (burst).
  const auto b = Share(10, {0.5, 0.5}, {7, 2});
  EXPECT_DOUBLE_EQ(b[0], 7);
  EXPECT_DOUBLE_EQ(b[1], 2);
}

TEST(FairShareTest, ContendedCapacityFollowsTheWeights) {
  // Equal weights, both over: 5 each.
  const auto e = Share(10, {1, 1}, {8, 8});
  EXPECT_DOUBLE_EQ(e[0], 5);
  EXPECT_DOUBLE_EQ(e[1], 5);
  // Weights 1:3 give shares 2.5 and 7.5; the first wants 2, so the second gets the other 8.
  const auto w = Share(10, {1, 3}, {2, 20});
  EXPECT_DOUBLE_EQ(w[0], 2);
  EXPECT_DOUBLE_EQ(w[1], 8);
  // Weights 1:1:2 on 12: shares 3, 3, 6; the first wants 1, leaving 11 for weights 1:2 =
  // 11/3 and 22/3, both below their demands.
  const auto t = Share(12, {1, 1, 2}, {1, 6, 10});
  EXPECT_DOUBLE_EQ(t[0], 1);
  EXPECT_NEAR(t[1], 11.0 / 3, 1e-12);
  EXPECT_NEAR(t[2], 22.0 / 3, 1e-12);
  EXPECT_NEAR(t[0] + t[1] + t[2], 12, 1e-12);
}

TEST(FairShareTest, NoRequestGetsTheMinimalWeightAndADownHostNothing) {
  // Kubernetes' floor of 2 shares per 1024: weight 2/1024 against 1.
  const double k = 2.0 / 1024;
  const auto s = Share(1, {0, 1}, {1, 1});
  EXPECT_NEAR(s[0], k / (1 + k), 1e-12);
  EXPECT_NEAR(s[1], 1 / (1 + k), 1e-12);
  const auto down = Share(0, {1, 1}, {1, 2});
  EXPECT_DOUBLE_EQ(down[0], 0);
  EXPECT_DOUBLE_EQ(down[1], 0);
}

}  // namespace
}  // namespace prognos::sim
