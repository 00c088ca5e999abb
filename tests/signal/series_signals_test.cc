#include "signal/series_signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <random>

namespace prognos::signal {
namespace {

TEST(SeriesSignalsTest, ForecastIsMadeBeforeTheSampleIsSeen) {
  SeriesSignals s;
  const SignalSnapshot first = s.Update(0, 5.0);
  EXPECT_TRUE(std::isnan(first.forecast));  // no history yet
  const SignalSnapshot second = s.Update(kMinuteMs, 100.0);
  EXPECT_DOUBLE_EQ(second.forecast, 5.0);  // one sample seen: forecast = that sample, not 100
  EXPECT_LE(second.lower, second.forecast);
  EXPECT_GE(second.upper, second.forecast);
}

TEST(SeriesSignalsTest, ConstantSeriesHasZeroEntropyExactForecastAndNoAnomaly) {
  SeriesSignals s;
  SignalSnapshot snap;
  for (int i = 0; i < 2000; ++i) snap = s.Update(i * 5 * kMinuteMs, 7.0);
  EXPECT_EQ(snap.entropy, 0.0);
  EXPECT_EQ(snap.anomaly_score, 0.0);
  EXPECT_DOUBLE_EQ(snap.forecast, 7.0);
  EXPECT_DOUBLE_EQ(snap.lower, 7.0);
  EXPECT_DOUBLE_EQ(snap.upper, 7.0);
}

TEST(SeriesSignalsTest, TracksADailySeason) {
  SeriesSignals s;
  std::mt19937_64 rng(9);
  std::normal_distribution<double> noise(0.0, 0.05);
  double abs_err = 0.0;
  int n = 0;
  const int per_day = 288;
  for (int i = 0; i < 6 * per_day; ++i) {
    const double v = 10.0 + 3.0 * std::sin(2.0 * M_PI * i / per_day) + noise(rng);
    const SignalSnapshot snap = s.Update(static_cast<TimestampMs>(i) * 5 * kMinuteMs, v);
    if (i >= 5 * per_day) {
      abs_err += std::fabs(snap.forecast - v);
      ++n;
    }
  }
  // One-step errors on the last day are far below the season's amplitude (3); 0.3 leaves room for
  // the 24-bucket quantisation of the profile (a bucket spans 1/24 of a day: ≈ 0.4 of change).
  EXPECT_LT(abs_err / n, 0.3);
}

TEST(SeriesSignalsTest, BadInputNeverYieldsNaNScoresOrEntropy) {
  SeriesSignals s;
  const double values[] = {1.0,
                           std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity(),
                           1e308,
                           -1e308,
                           0.0,
                           5.0};
  for (int i = 0; i < 3000; ++i) {
    const TimestampMs t = (i / 3) * kMinuteMs;  // duplicate timestamps
    const SignalSnapshot snap = s.Update(t, values[i % 7]);
    ASSERT_TRUE(std::isfinite(snap.anomaly_score));
    ASSERT_GE(snap.anomaly_score, 0.0);
    ASSERT_LE(snap.anomaly_score, 1.0);
    ASSERT_GE(snap.entropy, 0.0);
    ASSERT_LE(snap.entropy, 1.0);
  }
}

TEST(SeriesSignalsTest, StateFitsTheTwoKibBudget) {
  SeriesSignals s;
  for (int i = 0; i < 5000; ++i) s.Update(i * kMinuteMs, std::sin(i * 0.01));
  EXPECT_LE(s.StateBytes(), 2048U);
}

// A predictor can be swapped in behind the interface.
class FixedPredictor final : public OneStepPredictor {
 public:
  OneStepForecast Predict(TimestampMs /*t*/) const override { return {1.0, 0.0, 2.0}; }
  void Observe(TimestampMs /*t*/, double /*value*/) override {}
  std::size_t StateBytes() const override { return sizeof(*this); }
};

TEST(SeriesSignalsTest, AcceptsAnotherPredictor) {
  SeriesSignals s(SeriesSignalsConfig{}, std::make_unique<FixedPredictor>());
  const SignalSnapshot snap = s.Update(0, 3.0);
  EXPECT_EQ(snap.forecast, 1.0);
  EXPECT_EQ(snap.lower, 0.0);
  EXPECT_EQ(snap.upper, 2.0);
}

}  // namespace
}  // namespace prognos::signal
