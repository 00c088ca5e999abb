#include "predict/failure_features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace prognos::predict {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

FailureFeatureSpec TwoIndicators() {
  FailureFeatureSpec spec;
  spec.indicators = {"smart_5_raw", "smart_194_raw"};
  spec.delta_days = {1, 7, 30};
  spec.snapshot_spacing_ms = kHourMs;
  return spec;
}

std::size_t Index(const std::vector<std::string>& names, const std::string& name) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  ADD_FAILURE() << "no feature " << name;
  return 0;
}

TEST(FailureFeaturesTest, NamesFollowTheDocumentedLayout) {
  const auto names = FailureFeatureNames(TwoIndicators());
  const std::vector<std::string> expected = {"smart_5_raw",
                                             "smart_5_raw_delta_1d",
                                             "smart_5_raw_delta_7d",
                                             "smart_5_raw_delta_30d",
                                             "smart_5_raw_increases",
                                             "smart_5_raw_rel_first",
                                             "smart_194_raw",
                                             "smart_194_raw_delta_1d",
                                             "smart_194_raw_delta_7d",
                                             "smart_194_raw_delta_30d",
                                             "smart_194_raw_increases",
                                             "smart_194_raw_rel_first",
                                             "age_days"};
  EXPECT_EQ(names, expected);
  EXPECT_EQ(FeatureBuilder(TwoIndicators()).feature_count(), expected.size());
}

// A drive reported daily for ten days. smart_5_raw: 0 0 4 6 6 6 6 6 6 9 (days 0..9);
// smart_194_raw: 30 on every day but day 4, which is missing (carried forward), and 34 on day 9.
// By hand at day 9:
//   smart_5: latest 9; delta_1d = 9 − day 8 (6) = 3; delta_7d = 9 − day 2 (4) = 5;
//            delta_30d = 9 − day 0 (0) = 9; increases: 0→4 (day 2), 4→6 (day 3), 6→9 (day 9) = 3;
//            rel_first = 9 − 0 = 9.
//   smart_194: latest 34; delta_1d 4; delta_7d 4; delta_30d 4; increases 1; rel_first 4.
//   age_days = 9.
TEST(FailureFeaturesTest, HandComputedValuesOnADailyHistory) {
  FeatureBuilder builder(TwoIndicators());
  const double smart5[] = {0, 0, 4, 6, 6, 6, 6, 6, 6, 9};
  for (int day = 0; day < 10; ++day) {
    const double temp = day == 4 ? kNaN : (day == 9 ? 34.0 : 30.0);
    const std::vector<double> values = {smart5[day], temp};
    ASSERT_TRUE(builder.Update("drive-a", day * kDayMs, values).has_value());
  }
  const auto names = builder.FeatureNames();
  const auto f = builder.Features("drive-a");
  ASSERT_EQ(f.size(), names.size());
  struct Case {
    std::string feature;
    float expected;
  };
  const Case cases[] = {
      {"smart_5_raw", 9},
      {"smart_5_raw_delta_1d", 3},
      {"smart_5_raw_delta_7d", 5},
      {"smart_5_raw_delta_30d", 9},
      {"smart_5_raw_increases", 3},
      {"smart_5_raw_rel_first", 9},
      {"smart_194_raw", 34},
      {"smart_194_raw_delta_1d", 4},
      {"smart_194_raw_delta_7d", 4},
      {"smart_194_raw_delta_30d", 4},
      {"smart_194_raw_increases", 1},
      {"smart_194_raw_rel_first", 4},
      {"age_days", 9},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.feature);
    EXPECT_FLOAT_EQ(f[Index(names, c.feature)], c.expected);
  }
}

TEST(FailureFeaturesTest, FirstUpdateHasZeroDeltasAndUnknownIndicatorsAreNaN) {
  FeatureBuilder builder(TwoIndicators());
  const std::vector<double> values = {5.0, kNaN};
  ASSERT_TRUE(builder.Update("d", 1000, values).has_value());
  const auto names = builder.FeatureNames();
  const auto f = builder.Features("d");
  EXPECT_FLOAT_EQ(f[Index(names, "smart_5_raw")], 5.0F);
  EXPECT_FLOAT_EQ(f[Index(names, "smart_5_raw_delta_7d")], 0.0F);
  EXPECT_FLOAT_EQ(f[Index(names, "smart_5_raw_increases")], 0.0F);
  EXPECT_TRUE(std::isnan(f[Index(names, "smart_194_raw")]));
  EXPECT_TRUE(std::isnan(f[Index(names, "smart_194_raw_delta_1d")]));
  EXPECT_FLOAT_EQ(f[Index(names, "age_days")], 0.0F);
  EXPECT_TRUE(builder.Features("never-seen").empty());
}

// The engine sees one sample at a time: indicators of one instant arriving one by one must give
// the same features as one Update with both values.
TEST(FailureFeaturesTest, OneByOneUpdatesMatchWholeRowUpdates) {
  FeatureBuilder whole(TwoIndicators());
  FeatureBuilder single(TwoIndicators());
  const double smart5[] = {1, 1, 3, 2, 8};
  const double temp[] = {30, 31, 31, 35, 33};
  for (int day = 0; day < 5; ++day) {
    const std::vector<double> row = {smart5[day], temp[day]};
    ASSERT_TRUE(whole.Update("x", day * kDayMs, row).has_value());
    ASSERT_TRUE(single.UpdateOne("x", day * kDayMs, 1, temp[day]).has_value());
    ASSERT_TRUE(single.UpdateOne("x", day * kDayMs, 0, smart5[day]).has_value());
  }
  const auto a = whole.Features("x");
  const auto b = single.Features("x");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(whole.FeatureNames()[i]);
    EXPECT_FLOAT_EQ(a[i], b[i]);
  }
  // Increases of smart_5 by hand: 1→3 (day 2), 2→8 (day 4) = 2.
  EXPECT_FLOAT_EQ(a[4], 2.0F);
}

// Hourly samples with a 1-hour snapshot spacing: after 40 days only ~30 days of snapshots
// remain, and delta_30d still compares with a value from 30 days ago.
TEST(FailureFeaturesTest, HistoryIsBoundedAndWindowsStayCorrect) {
  FailureFeatureSpec spec;
  spec.indicators = {"v"};
  spec.delta_days = {1, 30};
  FeatureBuilder builder(spec);
  // v(t) = hours since start, so the change over d days is 24·d hours.
  const int hours = 40 * 24;
  for (int h = 0; h <= hours; ++h) {
    const std::vector<double> values = {static_cast<double>(h)};
    ASSERT_TRUE(builder.Update("e", h * kHourMs, values).has_value());
  }
  const auto f = builder.Features("e");
  EXPECT_FLOAT_EQ(f[0], static_cast<float>(hours));
  EXPECT_FLOAT_EQ(f[1], 24.0F);                      // delta_1d
  EXPECT_FLOAT_EQ(f[2], 720.0F);                     // delta_30d
  EXPECT_FLOAT_EQ(f[3], static_cast<float>(hours));  // increases: every snapshot rose
  EXPECT_FLOAT_EQ(f[5], 40.0F);                      // age_days
}

TEST(FailureFeaturesTest, RejectsBadInputAndKeepsState) {
  FeatureBuilder builder(TwoIndicators());
  const std::vector<double> ok = {1.0, 30.0};
  ASSERT_TRUE(builder.Update("d", 10 * kDayMs, ok).has_value());
  const auto before = builder.Features("d");
  struct Case {
    std::string name;
    TimestampMs t;
    std::vector<double> values;
  };
  const Case cases[] = {
      {"out of order", 9 * kDayMs, {2.0, 31.0}},
      {"too few values", 11 * kDayMs, {2.0}},
      {"too many values", 11 * kDayMs, {2.0, 3.0, 4.0}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = builder.Update("d", c.t, c.values);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(builder.UpdateOne("d", 11 * kDayMs, 7, 1.0).has_value());
  const auto after = builder.Features("d");
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (std::isnan(before[i])) {
      EXPECT_TRUE(std::isnan(after[i]));
    } else {
      EXPECT_FLOAT_EQ(before[i], after[i]);
    }
  }
  builder.Forget("d");
  EXPECT_FALSE(builder.Known("d"));
}

TEST(FailureFeaturesTest, SpecValidationNamesTheProblem) {
  struct Case {
    std::string name;
    FailureFeatureSpec spec;
  };
  FailureFeatureSpec none;
  FailureFeatureSpec dup;
  dup.indicators = {"a", "a"};
  FailureFeatureSpec zero_days;
  zero_days.indicators = {"a"};
  zero_days.delta_days = {0};
  FailureFeatureSpec spacing;
  spacing.indicators = {"a"};
  spacing.snapshot_spacing_ms = 0;
  const Case cases[] = {{"no indicator", none},
                        {"duplicate", dup},
                        {"zero-day window", zero_days},
                        {"zero spacing", spacing}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_FALSE(ValidateFeatureSpec(c.spec).has_value());
  }
  EXPECT_TRUE(ValidateFeatureSpec(TwoIndicators()).has_value());
}

}  // namespace
}  // namespace prognos::predict

namespace prognos::predict {
namespace {

// FitTypeRates by hand: 100 entities, 2 failed (fleet 0.02), m = 50.
//   type "A": 2 entities, 1 failed → (1 + 50·0.02) / (2 + 50) = 2 / 52;
//   type "B": 98 entities, 1 failed → (1 + 1) / (98 + 50) = 2 / 148.
TEST(FailureFeaturesTest, TypeRatesAreSmoothedTowardTheFleet) {
  std::vector<std::string> types(100, "B");
  std::vector<char> failed_chars(100, 0);
  types[0] = types[1] = "A";
  failed_chars[0] = 1;
  failed_chars[50] = 1;
  FailureFeatureSpec spec = TwoIndicators();
  spec.type_label = "model";
  // std::vector<bool> has no data(): hand FitTypeRates a contiguous bool array.
  std::unique_ptr<bool[]> flags(new bool[100]);
  for (std::size_t i = 0; i < 100; ++i) flags[i] = failed_chars[i] != 0;
  FitTypeRates(types, std::span<const bool>(flags.get(), 100), 50.0, spec);
  EXPECT_NEAR(spec.fleet_rate, 0.02, 1e-12);
  EXPECT_NEAR(spec.type_rates.at("A"), 2.0 / 52.0, 1e-12);
  EXPECT_NEAR(spec.type_rates.at("B"), 2.0 / 148.0, 1e-12);

  // The feature: the type's rate, the fleet rate for a type never seen, NaN when not reported.
  FeatureBuilder builder(spec);
  const auto names = builder.FeatureNames();
  ASSERT_EQ(names.back(), "type_prior");
  const std::vector<double> v = {0.0, 30.0};
  struct Case {
    std::string entity;
    std::string type;
    double expected;
  };
  const Case cases[] = {{"a", "A", 2.0 / 52.0},
                        {"b", "B", 2.0 / 148.0},
                        {"new", "NEVER-SEEN-MODEL", 0.02},
                        {"untyped", "", std::nan("")}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.entity);
    ASSERT_TRUE(builder.Update(c.entity, 0, v, c.type).has_value());
    const float got = builder.Features(c.entity).back();
    if (std::isnan(c.expected)) {
      EXPECT_TRUE(std::isnan(got));
    } else {
      EXPECT_FLOAT_EQ(got, static_cast<float>(c.expected));
    }
  }
  // The type sticks when later updates do not repeat it.
  ASSERT_TRUE(builder.Update("a", kDayMs, v).has_value());
  EXPECT_FLOAT_EQ(builder.Features("a").back(), static_cast<float>(2.0 / 52.0));
  // The engine's path: UpdateOne, then the type from a label.
  ASSERT_TRUE(builder.UpdateOne("c", 0, 0, 1.0).has_value());
  EXPECT_TRUE(std::isnan(builder.Features("c").back()));
  EXPECT_TRUE(builder.SetType("c", "B"));
  EXPECT_FLOAT_EQ(builder.Features("c").back(), static_cast<float>(2.0 / 148.0));
  EXPECT_FALSE(builder.SetType("never-seen", "B"));
}

// Feature set 2 (extended), by hand. Two drives of type "A" and one of type "B", daily:
//   a1: smart_5 0 0 4 (days 0..2), smart_194 30 30 33
//   a2: smart_5 2 2 2 (days 1..2 only: first seen day 1), smart_194 40 40
//   b1: smart_5 0, smart_194 50 (day 2 only)
// At day 2, after all three:
//   a1: rate_per_day smart_5 = (4 − 0) / 2 = 2, smart_194 = 3 / 2 = 1.5;
//       days_nonzero smart_5 = 0 (first > 0 on day 2), smart_194 = 2 (> 0 since day 0);
//       type_dev smart_5 = 4 − mean(4, 2) = 1, smart_194 = 33 − mean(33, 40) = −3.5;
//       alarm_count = 1 (smart_5 > 0; smart_194 is not an alarm column).
//   a2: rate_per_day smart_5 = 0 / 1 = 0; days_nonzero smart_5 = 1; type_dev smart_5 = −1.
//   b1: age 0 → rate_per_day NaN; days_nonzero smart_5 NaN (never > 0); type_dev 0 (alone);
//       alarm_count 0.
// Forgetting a2 leaves a1 alone in type A: type_dev 0.
TEST(FailureFeaturesTest, ExtendedFeaturesByHand) {
  FailureFeatureSpec spec = TwoIndicators();
  spec.extended = true;
  spec.type_label = "model";
  spec.alarm_indicators = {"smart_5_raw"};
  FeatureBuilder builder(spec);
  const auto names = builder.FeatureNames();
  EXPECT_EQ(names.size(), 2 * 9 + 3U);  // 6 + 3 per indicator; age, type_prior, alarm_count
  EXPECT_EQ(names.back(), "alarm_count");
  EXPECT_EQ(names[6], "smart_5_raw_rate_per_day");
  EXPECT_EQ(names[7], "smart_5_raw_days_nonzero");
  EXPECT_EQ(names[8], "smart_5_raw_type_dev");
  const double a1_5[] = {0, 0, 4};
  const double a1_194[] = {30, 30, 33};
  for (int day = 0; day < 3; ++day) {
    ASSERT_TRUE(builder.Update("a1", day * kDayMs, std::vector<double>{a1_5[day], a1_194[day]}, "A")
                    .has_value());
    if (day >= 1) {
      ASSERT_TRUE(
          builder.Update("a2", day * kDayMs, std::vector<double>{2.0, 40.0}, "A").has_value());
    }
  }
  ASSERT_TRUE(builder.Update("b1", 2 * kDayMs, std::vector<double>{0.0, 50.0}, "B").has_value());
  struct Case {
    std::string entity;
    std::string feature;
    double expected;  // NaN = must be NaN
  };
  const Case cases[] = {
      {"a1", "smart_5_raw_rate_per_day", 2.0},   {"a1", "smart_194_raw_rate_per_day", 1.5},
      {"a1", "smart_5_raw_days_nonzero", 0.0},   {"a1", "smart_194_raw_days_nonzero", 2.0},
      {"a1", "smart_5_raw_type_dev", 1.0},       {"a1", "smart_194_raw_type_dev", -3.5},
      {"a1", "alarm_count", 1.0},                {"a2", "smart_5_raw_rate_per_day", 0.0},
      {"a2", "smart_5_raw_days_nonzero", 1.0},   {"a2", "smart_5_raw_type_dev", -1.0},
      {"b1", "smart_5_raw_rate_per_day", kNaN},  {"b1", "smart_5_raw_days_nonzero", kNaN},
      {"b1", "smart_194_raw_type_dev", 0.0},     {"b1", "alarm_count", 0.0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.entity + " " + c.feature);
    const auto f = builder.Features(c.entity);
    const float v = f[Index(names, c.feature)];
    if (std::isnan(c.expected)) {
      EXPECT_TRUE(std::isnan(v));
    } else {
      EXPECT_FLOAT_EQ(v, static_cast<float>(c.expected));
    }
  }
  builder.Forget("a2");
  EXPECT_FLOAT_EQ(builder.Features("a1")[Index(names, "smart_5_raw_type_dev")], 0.0F);
  // A type change moves the drive's values: b1 joins A (mean of 4 and 0 = 2 → dev −2).
  ASSERT_TRUE(builder.SetType("b1", "A"));
  EXPECT_FLOAT_EQ(builder.Features("b1")[Index(names, "smart_5_raw_type_dev")], -2.0F);
  EXPECT_FLOAT_EQ(builder.Features("a1")[Index(names, "smart_5_raw_type_dev")], 2.0F);
}

// The extended set is opt-in: the default spec's layout is what models saved before it expect.
TEST(FailureFeaturesTest, ExtendedSetIsOffByDefaultAndAlarmColumnsMustBeIndicators) {
  FailureFeatureSpec spec = TwoIndicators();
  spec.alarm_indicators = {"smart_5_raw"};
  EXPECT_EQ(FailureFeatureNames(spec).size(), 13U);  // alarm_count only with extended
  spec.alarm_indicators = {"smart_187_raw"};
  const auto bad = ValidateFeatureSpec(spec);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("smart_187_raw"), std::string::npos);
}

}  // namespace
}  // namespace prognos::predict
