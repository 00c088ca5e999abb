#include "core/labels.h"

#include <gtest/gtest.h>

namespace prognos {
namespace {

TEST(LabelsTest, SortsAndRejectsDuplicates) {
  auto l = Labels::FromUnsorted({{"host", "h1"}, {"__name__", "cpu"}});
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->items()[0].name, "__name__");
  EXPECT_EQ(l->ToString(), "{__name__=\"cpu\",host=\"h1\"}");
  EXPECT_EQ(*l->Get("host"), "h1");
  EXPECT_FALSE(l->Get("component").has_value());
  EXPECT_FALSE(Labels::FromUnsorted({{"a", "1"}, {"a", "2"}}).has_value());
  EXPECT_FALSE(Labels::FromUnsorted({{"", "1"}}).has_value());
}

TEST(LabelsTest, HashDependsOnEveryNameAndValue) {
  auto a = *Labels::FromUnsorted({{"__name__", "cpu"}, {"host", "h1"}});
  auto b = *Labels::FromUnsorted({{"host", "h1"}, {"__name__", "cpu"}});
  auto c = *Labels::FromUnsorted({{"__name__", "cpu"}, {"host", "h2"}});
  auto d = *Labels::FromUnsorted({{"__name__", "cpuh"}, {"ost", "h1"}});
  EXPECT_EQ(a.Hash(), b.Hash());
  EXPECT_NE(a.Hash(), c.Hash());
  EXPECT_NE(a.Hash(), d.Hash());  // the separator keeps name/value boundaries apart
}

TEST(SeriesIdTest, FormatsAndParsesSixteenHexDigits) {
  EXPECT_EQ(FormatSeriesId(0x9f3c), "0000000000009f3c");
  EXPECT_EQ(*ParseSeriesId("0000000000009f3c"), 0x9f3cu);
  EXPECT_FALSE(ParseSeriesId("9f3c").has_value());
  EXPECT_FALSE(ParseSeriesId("0000000000009F3C").has_value());
}

TEST(ToMetricNameTest, FollowsDesignExamples) {
  struct Case {
    const char* in;
    const char* want;
  };
  const Case cases[] = {
      {"CPU usage [MHZ]", "cpu_usage_mhz"},
      {"CPU usage [%]", "cpu_usage_pct"},
      {"Memory usage [KB]", "memory_usage_kb"},
      {"Disk read throughput [KB/s]", "disk_read_throughput_kb_s"},
      {"value", "value"},
      {"  smart_5_raw ", "smart_5_raw"},
      {"cpu-util.total", "cpu_util_total"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(ToMetricName(c.in), c.want);
  }
}

}  // namespace
}  // namespace prognos
