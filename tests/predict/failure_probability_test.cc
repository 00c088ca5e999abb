#include "predict/failure_probability.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace prognos::predict {
namespace {

// Expected values by hand (python3: 1/(1+math.exp(-x))): σ(−5) = 0.0066928509242848554,
// σ(−2) = 0.11920292202211755, σ(0) = 0.5, σ(2) = 0.8807970779778823.
TEST(HealthHazardTest, MapsHealthThroughTheControllersLogistic) {
  EXPECT_NEAR(HealthHazard(100), 0.0066928509242848554, 1e-15);
  EXPECT_NEAR(HealthHazard(70), 0.11920292202211755, 1e-15);
  EXPECT_NEAR(HealthHazard(50), 0.5, 1e-15);
  EXPECT_NEAR(HealthHazard(30), 0.8807970779778823, 1e-15);
  // Clamped and NaN-safe: health 150 is 100, −20 is 0, NaN is no evidence (100).
  EXPECT_EQ(HealthHazard(150), HealthHazard(100));
  EXPECT_EQ(HealthHazard(-20), HealthHazard(0));
  EXPECT_EQ(HealthHazard(std::numeric_limits<double>::quiet_NaN()), HealthHazard(100));
  EXPECT_NEAR(HealthHazard(100, {0.0, 1.0}), 0.5, 1e-15);
}

// 1 − 0.9^(1/24) = 0.004380399426918036; 1 − 0.8³ = 0.488.
TEST(RescaleToHorizonTest, AssumesAConstantHazard) {
  EXPECT_NEAR(RescaleToHorizon(0.1, 24 * kHourMs, kHourMs), 0.004380399426918036, 1e-15);
  EXPECT_NEAR(RescaleToHorizon(0.2, kHourMs, 3 * kHourMs), 0.488, 1e-15);
  EXPECT_EQ(RescaleToHorizon(0.3, 0, kHourMs), 0.3);
  EXPECT_EQ(RescaleToHorizon(1.0, kDayMs, kHourMs), 1.0);
  EXPECT_EQ(RescaleToHorizon(0.0, kDayMs, kHourMs), 0.0);
  EXPECT_EQ(RescaleToHorizon(std::numeric_limits<double>::quiet_NaN(), kDayMs, kHourMs), 0.0);
}

TEST(CombineIndependentTest, IsOneMinusTheProductOfSurvivals) {
  EXPECT_NEAR(CombineIndependent(0.3, 0.5), 0.65, 1e-15);
  EXPECT_EQ(CombineIndependent(0.0, 0.0), 0.0);
  EXPECT_EQ(CombineIndependent(1.0, 0.2), 1.0);
}

}  // namespace
}  // namespace prognos::predict
