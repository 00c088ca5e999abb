#include "signal/anomaly.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace prognos::signal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Feeds values one per minute with a naive forecast (the previous value) and no entropy.
std::vector<double> Feed(AnomalyDetector& d, const std::vector<double>& values) {
  std::vector<double> scores;
  double prev = kNaN;
  for (std::size_t i = 0; i < values.size(); ++i) {
    scores.push_back(d.Update(static_cast<TimestampMs>(i) * kMinuteMs, values[i], prev, kNaN));
    if (std::isfinite(values[i])) prev = values[i];
  }
  return scores;
}

std::vector<double> Noise(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(10.0, 1.0);
  std::vector<double> v(n);
  for (double& x : v) x = d(rng);
  return v;
}

TEST(AnomalyDetectorTest, ColdStartIsSilent) {
  AnomalyConfig c;
  AnomalyDetector d(c);
  std::vector<double> v = Noise(c.cold_start_samples, 1);
  v[50] = 1e6;  // even a wild value during cold start scores 0
  for (double s : Feed(d, v)) EXPECT_EQ(s, 0.0);
}

TEST(AnomalyDetectorTest, ClearSpikeIsFlagged) {
  AnomalyDetector d;
  std::vector<double> v = Noise(2000, 2);
  v[1500] = 30.0;  // 20 σ above the mean
  const std::vector<double> s = Feed(d, v);
  double before = 0.0;
  for (std::size_t i = 1000; i < 1500; ++i) before = std::max(before, s[i]);
  EXPECT_GE(s[1500], d.config().alarm_threshold);
  EXPECT_LT(before, d.config().alarm_threshold);
}

TEST(AnomalyDetectorTest, ConstantSeriesIsQuietAndItsChangeIsAnomalous) {
  AnomalyDetector d;
  std::vector<double> v(1000, 5.0);
  v.push_back(5.5);
  const std::vector<double> s = Feed(d, v);
  for (std::size_t i = 0; i < 1000; ++i) ASSERT_EQ(s[i], 0.0) << i;
  EXPECT_GE(s[1000], d.config().alarm_threshold);
}

// Property: whatever the input, every score is finite and in [0, 1].
TEST(AnomalyDetectorTest, ScoresStayInUnitIntervalUnderBadInput) {
  struct Case {
    std::string name;
    std::vector<double> values;
  };
  std::vector<Case> cases;
  std::vector<double> mixed = Noise(3000, 3);
  for (std::size_t i = 0; i < mixed.size(); i += 7) mixed[i] = kNaN;
  for (std::size_t i = 3; i < mixed.size(); i += 11) mixed[i] = (i % 2 ? kInf : -kInf);
  cases.push_back({"nan_and_inf", mixed});
  std::vector<double> huge = Noise(3000, 4);
  for (std::size_t i = 500; i < huge.size(); i += 97) huge[i] = (i % 2 ? 1 : -1) * 1.7e308;
  cases.push_back({"huge_values", huge});
  cases.push_back({"all_nan", std::vector<double>(500, kNaN)});
  cases.push_back({"constant", std::vector<double>(3000, -2.5)});
  cases.push_back({"zeros_then_denormal", [] {
                     std::vector<double> v(1000, 0.0);
                     v.push_back(std::numeric_limits<double>::denorm_min());
                     return v;
                   }()});
  std::vector<double> steps(3000);
  for (std::size_t i = 0; i < steps.size(); ++i) steps[i] = (i / 300) % 2 ? 1e9 : -1e9;
  cases.push_back({"square_wave", steps});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    AnomalyDetector d;
    for (double s : Feed(d, c.values)) {
      ASSERT_TRUE(std::isfinite(s));
      ASSERT_GE(s, 0.0);
      ASSERT_LE(s, 1.0);
    }
  }
}

TEST(AnomalyDetectorTest, GapsAndDuplicateTimestampsAreHarmless) {
  AnomalyDetector d;
  std::vector<double> v = Noise(2000, 5);
  TimestampMs t = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    // Irregular: duplicates every 5th sample, a 3-day gap at 1000, and a step back in time.
    if (i % 5 != 0) t += kMinuteMs;
    if (i == 1000) t += 3 * kDayMs;
    if (i == 1500) t -= kHourMs;
    const double s = d.Update(t, v[i], i > 0 ? v[i - 1] : kNaN, 0.5);
    ASSERT_TRUE(std::isfinite(s));
    ASSERT_GE(s, 0.0);
    ASSERT_LE(s, 1.0);
  }
}

TEST(AnomalyDetectorTest, NonFiniteSampleRepeatsThePreviousScore) {
  AnomalyDetector d;
  const std::vector<double> s = Feed(d, Noise(500, 6));
  EXPECT_EQ(d.Update(500 * kMinuteMs, kNaN, 10.0, kNaN), s.back());
  EXPECT_EQ(d.state().n, 500U);
}

// Echo hold. Value feature only, so z is the documented beyond-range formula
// z = 3 + 1.3 ln(1 + d/s) for a value d beyond the learnt maximum (s = the histogram's spread).
// A marginal new extreme (d = 0.5 s: z = 3.53, an alarm) followed 10 samples later by a slightly
// larger one (d = 0.6 s beyond the new maximum: z = 3.61, above the decayed peak so the plain
// debounce would let it alarm) is held below the alarm level, because the bar 9 samples after
// the alarm is 3.53 + 1.0 · (1 − 9/60) = 4.38; a far larger one (d = 10 s: z = 6.12) still
// alarms at once; with echo_samples = 0 the second alarms.
TEST(AnomalyDetectorTest, EchoHoldNeedsClearlyStrongerEvidenceSoonAfterAnAlarm) {
  for (const std::uint32_t echo : {30U, 0U}) {
    AnomalyConfig c;
    c.features = 1U << AnomalyConfig::kValue;
    c.echo_samples = echo;
    AnomalyDetector d(c);
    std::vector<double> v = Noise(1500, 7);
    Feed(d, v);
    auto beyond = [&](double spreads) {
      const RarityHistogram& h = *d.histogram(AnomalyConfig::kValue);
      return h.hi + spreads * h.Spread();
    };
    auto quiet = [&](int n) {
      for (int i = 0; i < n; ++i) d.Update(0, 10.0, 10.0, kNaN);
    };
    const double first = d.Update(0, beyond(0.5), 10.0, kNaN);
    EXPECT_NEAR(first, 3.527 / (3.527 + c.z_half), 1e-3);  // z = 3 + 1.3 ln 1.5
    EXPECT_GE(first, c.alarm_threshold);
    quiet(9);
    const double second = d.Update(0, beyond(0.6), 10.0, kNaN);  // z = 3.611
    if (echo > 0) {
      EXPECT_LT(second, c.alarm_threshold) << "echo " << echo;
    } else {
      EXPECT_NEAR(second, 3.611 / (3.611 + c.z_half), 1e-3);
      EXPECT_GE(second, c.alarm_threshold);
    }
    quiet(9);
    EXPECT_GE(d.Update(0, beyond(10.0), 10.0, kNaN), c.alarm_threshold) << "echo " << echo;
  }
}

// The bar relaxes linearly: the same z = 4.03 (d = 1.208 s beyond the maximum: 3 + 1.3 ln 2.208)
// is held 10 samples after a z = 3.53 alarm (bar 3.53 + 1.0 · (1 − 9/60) = 4.38) and alarms 40
// samples after it (bar 3.53 + 1.0 · (1 − 39/60) = 3.88). The debounce peak (0.522 decayed) is
// below the score of z = 4.03 (0.555) in both cases, so only the echo hold differs.
TEST(AnomalyDetectorTest, EchoHoldRelaxesLinearly) {
  for (const int gap : {10, 40}) {
    AnomalyConfig c;
    c.features = 1U << AnomalyConfig::kValue;
    ASSERT_EQ(c.echo_samples, 60U);
    ASSERT_EQ(c.echo_margin_z, 1.0);
    AnomalyDetector d(c);
    Feed(d, Noise(1500, 8));
    auto beyond = [&](double spreads) {
      const RarityHistogram& h = *d.histogram(AnomalyConfig::kValue);
      return h.hi + spreads * h.Spread();
    };
    ASSERT_GE(d.Update(0, beyond(0.5), 10.0, kNaN), c.alarm_threshold);
    for (int i = 0; i < gap - 1; ++i) d.Update(0, 10.0, 10.0, kNaN);
    const double again = d.Update(0, beyond(1.208), 10.0, kNaN);
    if (gap == 10) {
      EXPECT_LT(again, c.alarm_threshold);
    } else {
      EXPECT_NEAR(again, 4.031 / (4.031 + c.z_half), 1e-3);
    }
  }
}

TEST(RarityHistogramTest, NewExtremeOutranksInRangeRarity) {
  RarityHistogram h;
  for (int i = 0; i < 1000; ++i) h.Add(i % 10, 0.001, 0.0);
  EXPECT_LT(h.Z(5.0), 1.0);          // a common value (p·bins/2 = 0.8 → z ≈ 0.67)
  EXPECT_GE(h.Z(30.0), 4.0);         // far beyond the range
  EXPECT_GT(h.Z(300.0), h.Z(30.0));  // further is rarer
}

}  // namespace
}  // namespace prognos::signal

namespace prognos::signal {
namespace {

// Only voting features are scored and learned, so only they hold a histogram: two by default
// (value, smooth), five with every feature on; the others answer nullptr.
TEST(AnomalyDetectorTest, OnlyVotingFeaturesHoldAHistogram) {
  AnomalyDetector d;
  ASSERT_EQ(d.state().hist.size(), 2u);
  ASSERT_NE(d.histogram(AnomalyConfig::kValue), nullptr);
  ASSERT_NE(d.histogram(AnomalyConfig::kSmooth), nullptr);
  EXPECT_EQ(d.histogram(AnomalyConfig::kResidual), nullptr);
  EXPECT_EQ(d.histogram(AnomalyConfig::kStep), nullptr);
  EXPECT_EQ(d.histogram(AnomalyConfig::kEntropy), nullptr);
  EXPECT_EQ(d.histogram(AnomalyConfig::kFeatures), nullptr);
  for (int i = 0; i < 10; ++i) d.Update(0, 10.0 + i, 10.0, 0.5);
  // Each histogram learned its own feature: 10 samples (decay 0.0005 per sample: the total is
  // Σ_{k<10} 0.9995^k = 9.98), the value's range 10..19, the smoothed level's a narrower one.
  const RarityHistogram& value = *d.histogram(AnomalyConfig::kValue);
  const RarityHistogram& smooth = *d.histogram(AnomalyConfig::kSmooth);
  EXPECT_NEAR(value.total, 9.98, 0.01);
  EXPECT_DOUBLE_EQ(value.lo, 10.0);
  EXPECT_DOUBLE_EQ(value.hi, 19.0);
  EXPECT_DOUBLE_EQ(smooth.lo, 10.0);
  EXPECT_LT(smooth.hi, 19.0);
  EXPECT_EQ(d.StateBytes(), sizeof(AnomalyDetector) + 2 * sizeof(RarityHistogram));

  AnomalyConfig all;
  all.features = (1U << AnomalyConfig::kFeatures) - 1;
  AnomalyDetector every(all);
  EXPECT_EQ(every.state().hist.size(), 5u);
  for (std::size_t f = 0; f < AnomalyConfig::kFeatures; ++f) {
    EXPECT_NE(every.histogram(f), nullptr) << f;
  }
}

}  // namespace
}  // namespace prognos::signal
