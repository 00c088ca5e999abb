#include "core/time.h"

#include <gtest/gtest.h>

namespace prognos {
namespace {

struct TsCase {
  const char* name;
  const char* text;
  TimestampMs want;
};

TEST(ParseTimestampTest, AcceptsEveryDocumentedForm) {
  // Expected values from `date -u -d '2026-11-22T10:00:00Z' +%s` = 1795341600.
  const TsCase cases[] = {
      {"rfc3339_z", "2026-11-22T10:00:00Z", 1795341600000},
      {"rfc3339_offset", "2026-11-22T12:00:00+02:00", 1795341600000},
      {"rfc3339_negative_offset", "2026-11-22T05:30:00-04:30", 1795341600000},
      {"fraction", "2026-11-22T10:00:00.250Z", 1795341600250},
      {"space_no_zone", "2026-11-22 10:00:00", 1795341600000},
      {"date_only", "2026-11-22", 1795305600000},
      {"epoch_seconds", "1795341600", 1795341600000},
      {"epoch_ms", "1795341600000", 1795341600000},
      {"epoch_fraction", "1795341600.5", 1795341600500},
      {"nab_row", "2014-02-14 14:30:00", 1392388200000},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto got = ParseTimestamp(c.text);
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(*got, c.want);
  }
}

TEST(ParseTimestampTest, RejectsGarbage) {
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-11-22T25:00:00Z", "12abc",
                          "2026-11-22T10:00:00+99", "nan"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseTimestamp(bad).has_value());
  }
}

TEST(ParseDurationTest, ParsesUnits) {
  EXPECT_EQ(*ParseDuration("60s"), 60000);
  EXPECT_EQ(*ParseDuration("5m"), 300000);
  EXPECT_EQ(*ParseDuration("1h"), 3600000);
  EXPECT_EQ(*ParseDuration("10d"), 864000000);
  EXPECT_EQ(*ParseDuration("250ms"), 250);
  EXPECT_EQ(*ParseDuration("90"), 90000);
  EXPECT_FALSE(ParseDuration("5 parsecs").has_value());
  EXPECT_FALSE(ParseDuration("h").has_value());
}

TEST(FormatTimestampTest, RoundTripsThroughParse) {
  for (TimestampMs t : {0LL, 1795341600000LL, 1795341600250LL, 951782400000LL /*2000-02-29*/}) {
    auto back = ParseTimestamp(FormatTimestamp(t));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, t);
  }
  EXPECT_EQ(FormatTimestamp(1795341600000), "2026-11-22T10:00:00Z");
}

}  // namespace
}  // namespace prognos
