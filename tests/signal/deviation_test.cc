#include "signal/deviation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace prognos::signal {
namespace {

constexpr DurationMs kStep = 300000;

TEST(DeviationTrackerTest, AFlatErrorCounterThatStartsRisingIsSevereFromTheSecondIncrease) {
  DeviationTracker d;
  for (int i = 0; i < 30; ++i) EXPECT_EQ(d.Update(i * kStep, 0.0), 0.0);
  // First increase: raw severity 1, but the median of (0, 0, 1) is 0 — one sample is not enough.
  EXPECT_EQ(d.Update(30 * kStep, 3.0), 0.0);
  EXPECT_TRUE(d.is_counter());
  // Second increase: median of (0, 1, 1) = 1.
  EXPECT_EQ(d.Update(31 * kStep, 12.0), 1.0);
  EXPECT_EQ(d.Update(32 * kStep, 27.0), 1.0);
}

TEST(DeviationTrackerTest, OneStepOfACounterStaysEvidenceForHours) {
  // A SMART-like counter: flat at 0, then one step to 8 and no further change. The accumulated
  // increase decays with a 12-sample half-life (8 → 4 after an hour, 1 after three hours) while
  // its baseline stays at 0 with no spread, so the step is severe for hours, not one sample.
  DeviationTracker d;
  for (int i = 0; i < 30; ++i) d.Update(i * kStep, 0.0);
  d.Update(30 * kStep, 8.0);
  for (int i = 1; i <= 36; ++i) d.Update((30 + i) * kStep, 8.0);
  EXPECT_EQ(d.severity(), 1.0);
}

TEST(DeviationTrackerTest, SeverityRampsWithTheZScoreOfAGauge) {
  // Alternating 9 and 11: mean 10, standard deviation 1 (population), so a value of 14 is z ≈ 4:
  // raw severity (4 − 3) / (6 − 3) = 1/3. Tolerance 0.05 covers the EW estimate's wobble.
  DeviationTracker d;
  for (int i = 0; i < 400; ++i) d.Update(i * kStep, i % 2 == 0 ? 9.0 : 11.0);
  EXPECT_NEAR(d.baseline(), 10.0, 0.05);
  EXPECT_FALSE(d.is_counter());
  d.Update(400 * kStep, 14.0);
  EXPECT_EQ(d.severity(), 0.0);  // one sample: debounced
  d.Update(401 * kStep, 14.0);
  EXPECT_NEAR(d.severity(), 1.0 / 3.0, 0.05);
  // z ≥ 6 is full severity; values below the baseline are not worse (direction higher).
  d.Update(402 * kStep, 20.0);
  d.Update(403 * kStep, 20.0);
  EXPECT_EQ(d.severity(), 1.0);
  for (int i = 0; i < 3; ++i) d.Update((404 + i) * kStep, 0.0);
  EXPECT_EQ(d.severity(), 0.0);
}

TEST(DeviationTrackerTest, DirectionLowerFlagsDrops) {
  DeviationConfig c;
  c.direction = WorseDirection::kLower;
  DeviationTracker d(c);
  for (int i = 0; i < 400; ++i) d.Update(i * kStep, i % 2 == 0 ? 9.0 : 11.0);
  d.Update(400 * kStep, 0.0);
  d.Update(401 * kStep, 0.0);
  EXPECT_EQ(d.severity(), 1.0);  // z = 10
}

TEST(DeviationTrackerTest, ColdStartNaNAndOutOfOrderSamplesGiveNoSeverity) {
  DeviationTracker d;
  // Within the 24-sample warm-up nothing is severe, however wild.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(d.Update(i * kStep, i % 2 == 0 ? 0.0 : 1000.0), 0.0);
  const auto n = d.samples();
  d.Update(20 * kStep, std::numeric_limits<double>::quiet_NaN());
  d.Update(5 * kStep, 5.0);  // older than the newest sample
  EXPECT_EQ(d.samples(), n);
}

TEST(DeviationTrackerTest, ASustainedShiftStaysSevereForHours) {
  // A gauge around 50 ± 1 that jumps to 60 and stays there: the clamped baseline follows only
  // slowly (half-life a day), so after 2 hours (24 samples) the shift still reads as severe.
  DeviationTracker d;
  for (int i = 0; i < 400; ++i) d.Update(i * kStep, i % 2 == 0 ? 49.0 : 51.0);
  for (int i = 0; i < 24; ++i) d.Update((400 + i) * kStep, 60.0);
  EXPECT_EQ(d.severity(), 1.0);
}

}  // namespace
}  // namespace prognos::signal
