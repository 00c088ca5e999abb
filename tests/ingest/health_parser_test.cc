#include "ingest/health_parser.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace prognos::ingest {
namespace {

// 2026-11-22T10:00:00Z in epoch ms: /usr/bin/python3 -c "import datetime as d;
// print((d.date(2026,11,22)
// - d.date(1970,1,1)).days)" -> 20779 days; 20779 * 86400000 + 10 * 3600000 = 1795341600000.
constexpr TimestampMs kTs = 1795341600000;

// Concatenation without operator+ on temporaries (g++ 12 -O3 warns falsely, -Wrestrict).
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out.append(p);
  return out;
}

std::string Reasons(const ParsedBatch& b) {
  std::string out;
  for (const auto& r : b.rejections) {
    if (!out.empty()) out += ' ';
    out += Cat({std::to_string(r.line), ":", RejectReasonName(r.reason)});
    if (!r.indicator.empty()) out += Cat({"(", r.indicator, ")"});
    out += Cat({"x", std::to_string(r.samples)});
  }
  return out;
}

std::string SampleSummary(const ParsedBatch& b) {
  std::string out;
  for (const auto& s : b.samples) {
    if (!out.empty()) out += ' ';
    out += Cat({std::to_string(s.line), ":", s.labels.ToString(), "=", std::to_string(s.sample.v)});
  }
  return out;
}

TEST(HealthParserTest, ParsesTheDesignExample) {
  const std::string body =
      R"({"ts": "2026-11-22T10:00:00Z", "host": "node-17", "component": "postgres-0",)"
      R"( "kind": "resource_status", "status": "ok",)"
      R"( "indicators": {"cpu_util": 0.73, "mem_used_bytes": 6.1e9, "disk_io_ms": 4.2,)"
      R"( "net_latency_ms": 0.8, "error_rate": 0.0}})";
  ParsedBatch b = ParseHealthBody(body, IngestLimits{});
  EXPECT_EQ(b.messages, 1u);
  EXPECT_TRUE(b.rejections.empty()) << Reasons(b);
  ASSERT_EQ(b.samples.size(), 6u);  // five indicators + status
  for (const auto& s : b.samples) {
    EXPECT_EQ(s.sample.t, kTs);
    EXPECT_EQ(s.line, 1u);
    EXPECT_EQ(*s.labels.Get("host"), "node-17");
    EXPECT_EQ(*s.labels.Get("component"), "postgres-0");
    EXPECT_EQ(*s.labels.Get("kind"), "resource_status");
    EXPECT_EQ(s.labels.size(), 4u);
  }
  EXPECT_EQ(
      b.samples[0].labels.ToString(),
      R"({__name__="cpu_util",component="postgres-0",host="node-17",kind="resource_status"})");
  EXPECT_DOUBLE_EQ(b.samples[0].sample.v, 0.73);
  EXPECT_EQ(*b.samples.back().labels.Get("__name__"), "status");
  EXPECT_EQ(b.samples.back().sample.v, 0.0);
}

struct Case {
  const char* name;
  std::string body;
  std::string want_reasons;  // "line:reason(indicator)xN ..."
  std::size_t want_samples;
  std::uint32_t want_messages;
  IngestLimits limits = {};
};

std::vector<Case> Cases() {
  IngestLimits strict;
  strict.strict_indicators = true;
  strict.known_indicators = {"cpu_util", "Mem Used"};
  IngestLimits small_line;
  small_line.max_line_bytes = 80;
  IngestLimits two_labels;
  two_labels.max_labels = 3;
  IngestLimits short_values;
  short_values.max_label_value_bytes = 4;
  const std::string ok = R"({"ts":1700000000,"host":"h","indicators":{"a":1,"b":2}})";
  return {
      {"one good line", ok, "", 2, 1},
      {"blank lines are skipped but counted as lines", Cat({"\n  \n", ok, "\r\n\n"}), "", 2, 1},
      {"bad json keeps the rest of the batch", Cat({ok, "\n{\"ts\":1,\n", ok}), "2:bad_jsonx1", 4,
       3},
      {"array elements that are not objects", "[1,2]\n", "1:bad_jsonx1 2:bad_jsonx1", 0, 2},
      {"a json line that is a string", Cat({"\"hello\"\n", ok}), "1:bad_jsonx1", 2, 2},
      {"trailing garbage after the object", Cat({ok, " x"}), "1:bad_jsonx1", 0, 1},
      {"missing ts counts the indicators", R"({"host":"h","indicators":{"a":1,"b":2,"c":3}})",
       "1:missing_fieldx3", 0, 1},
      {"missing host", R"({"ts":1,"indicators":{"a":1}})", "1:missing_fieldx1", 0, 1},
      {"missing indicators", R"({"ts":1,"host":"h"})", "1:missing_fieldx1", 0, 1},
      {"null counts as missing", R"({"ts":null,"host":"h","indicators":{"a":1}})",
       "1:missing_fieldx1", 0, 1},
      {"host is a number", R"({"ts":1,"host":7,"indicators":{"a":1}})", "1:invalid_fieldx1", 0, 1},
      {"host is empty", R"({"ts":1,"host":"","indicators":{"a":1}})", "1:invalid_fieldx1", 0, 1},
      {"indicators is an array", R"({"ts":1,"host":"h","indicators":[1,2]})", "1:invalid_fieldx1",
       0, 1},
      {"ts is unparsable", R"({"ts":"yesterday","host":"h","indicators":{"a":1,"b":2}})",
       "1:invalid_fieldx2", 0, 1},
      {"ts is a bool", R"({"ts":true,"host":"h","indicators":{"a":1}})", "1:invalid_fieldx1", 0, 1},
      {"ts is out of range", R"({"ts":1e300,"host":"h","indicators":{"a":1}})", "1:invalid_fieldx1",
       0, 1},
      {"component is not a string", R"({"ts":1,"host":"h","component":1,"indicators":{"a":1}})",
       "1:invalid_fieldx1", 0, 1},
      {"labels is not an object", R"({"ts":1,"host":"h","labels":[1],"indicators":{"a":1}})",
       "1:invalid_fieldx1", 0, 1},
      {"a label value is not a string",
       R"({"ts":1,"host":"h","labels":{"code":200},"indicators":{"a":1}})", "1:invalid_fieldx1", 0,
       1},
      {"a label redefines host",
       R"({"ts":1,"host":"h","labels":{"host":"x"},"indicators":{"a":1}})", "1:invalid_fieldx1", 0,
       1},
      {"string, bool and null values are rejected one by one",
       R"({"ts":1,"host":"h","indicators":{"a":"1","b":true,"c":null,"d":4,"e":{}}})",
       "1:invalid_field(a)x1 1:invalid_field(b)x1 1:invalid_field(c)x1 1:invalid_field(e)x1", 1, 1},
      {"an overflowing literal is non_finite for that indicator only",
       R"({"ts":1,"host":"h","indicators":{"a":1e999,"b":2,"c":-1E+400}})",
       "1:non_finite(a)x1 1:non_finite(c)x1", 1, 1},
      {"an overflowing host is a number, not a string",
       R"({"ts":1,"host":1e999,"indicators":{"a":1}})", "1:invalid_fieldx1", 0, 1},
      {"an overflowing label value is a number, not a string",
       R"({"ts":1,"host":"h","labels":{"x":-1e999},"indicators":{"a":1}})", "1:invalid_fieldx1", 0,
       1},
      {"an overflowing status", R"({"ts":1,"host":"h","status":1e999,"indicators":{"a":1}})",
       "1:invalid_field(status)x1", 1, 1},
      {"an overflowing ts is invalid", R"({"ts":1e999,"host":"h","indicators":{"a":1}})",
       "1:invalid_fieldx1", 0, 1},
      {"unknown status keeps the indicators",
       R"({"ts":1,"host":"h","status":"broken","indicators":{"a":1}})", "1:invalid_field(status)x1",
       1, 1},
      {"status that is a number", R"({"ts":1,"host":"h","status":2,"indicators":{"a":1}})",
       "1:invalid_field(status)x1", 1, 1},
      {"strict mode rejects unknown indicators",
       R"({"ts":1,"host":"h","indicators":{"cpu_util":1,"Mem Used":2,"disk":3}})",
       "1:unknown_indicator(disk)x1", 2, 1, strict},
      {"a line over the limit is too_large before parsing",
       R"({"ts":1,"host":"h","indicators":{"a":1}})"
       "\n"
       R"({"ts":1,"host":"h","indicators":{"a":1,"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb":2}})",
       "2:too_largex1", 1, 2, small_line},
      {"too many labels", R"({"ts":1,"host":"h","labels":{"x":"1","y":"2"},"indicators":{"a":1}})",
       "1:too_largex1", 0, 1, two_labels},
      {"label value too long", R"({"ts":1,"host":"h","labels":{"x":"12345"},"indicators":{"a":1}})",
       "1:too_largex1", 0, 1, short_values},
      {"indicator name that normalises to nothing", R"({"ts":1,"host":"h","indicators":{"%%":1}})",
       "", 1, 1},
      {"indicator name with no usable characters", R"({"ts":1,"host":"h","indicators":{"--":1}})",
       "1:invalid_field(--)x1", 0, 1},
      {"empty indicators object is accepted with no samples",
       R"({"ts":1,"host":"h","indicators":{}})", "", 0, 1},
      {"array body: element numbers are lines",
       Cat({"[", ok, ", 5, ", R"({"host":"h","indicators":{"a":1}})", "]"}),
       "2:bad_jsonx1 3:missing_fieldx1", 2, 3},
      {"array body with a syntax error is one bad message", Cat({"[", ok, ","}), "1:bad_jsonx1", 0,
       1},
      {"status null is no status", R"({"ts":1,"host":"h","status":null,"indicators":{"a":1}})", "",
       1, 1},
      {"an empty label name", R"({"ts":1,"host":"h","labels":{"":"x"},"indicators":{"a":1}})",
       "1:invalid_fieldx1", 0, 1},
      {"a label named __name__",
       R"({"ts":1,"host":"h","labels":{"__name__":"x"},"indicators":{"a":1}})", "1:invalid_fieldx1",
       0, 1},
      {"kind that is not a string", R"({"ts":1,"host":"h","kind":{},"indicators":{"a":1}})",
       "1:invalid_fieldx1", 0, 1},
      {"array elements keep per-indicator reasons",
       R"([{"ts":1,"host":"h","indicators":{"a":1}},{"ts":1,"host":"h","indicators":{"a":1e400,"b":1}}])",
       "2:non_finite(a)x1", 2, 2},
      {"several missing fields are one rejection", R"({"indicators":{"a":1,"b":2}})",
       "1:missing_fieldx2", 0, 1},
      {"empty body", "", "", 0, 0},
      {"empty array", " [ ] ", "", 0, 0},
  };
}

TEST(HealthParserTest, ValidatesEveryMessageWithItsReason) {
  for (const auto& c : Cases()) {
    SCOPED_TRACE(c.name);
    ParsedBatch b = ParseHealthBody(c.body, c.limits);
    EXPECT_EQ(Reasons(b), c.want_reasons);
    EXPECT_EQ(b.samples.size(), c.want_samples) << SampleSummary(b);
    EXPECT_EQ(b.messages, c.want_messages);
    for (const auto& r : b.rejections) EXPECT_FALSE(r.message.empty());
  }
}

TEST(HealthParserTest, BadJsonMessageSaysWhereInBytes) {
  ParsedBatch b = ParseHealthBody(R"({"ts": 1, "host": "h")", IngestLimits{});
  ASSERT_EQ(b.rejections.size(), 1u);
  EXPECT_EQ(b.rejections[0].reason, RejectReason::kBadJson);
  EXPECT_NE(b.rejections[0].message.find("expected '}'"), std::string::npos)
      << b.rejections[0].message;
  EXPECT_NE(b.rejections[0].message.find("at byte 22"), std::string::npos)
      << b.rejections[0].message;
}

TEST(HealthParserTest, LineNumbersCountBlankLines) {
  const std::string body =
      "\n"
      R"({"ts":1,"host":"h","indicators":{"a":1}})"
      "\n"
      "\n"
      R"({"ts":2,"host":"h","indicators":{"a":"x"}})"
      "\n"
      R"({"ts":3,"host":"h","indicators":{"a":3}})";
  ParsedBatch b = ParseHealthBody(body, IngestLimits{});
  ASSERT_EQ(b.samples.size(), 2u);
  EXPECT_EQ(b.samples[0].line, 2u);
  EXPECT_EQ(b.samples[1].line, 5u);
  ASSERT_EQ(b.rejections.size(), 1u);
  EXPECT_EQ(b.rejections[0].line, 4u);
  EXPECT_EQ(b.rejections[0].indicator, "a");
  EXPECT_EQ(b.messages, 3u);
}

TEST(HealthParserTest, StatusBecomesItsOwnSeries) {
  const std::string body = R"({"ts":1,"host":"h","status":"ok","indicators":{}})"
                           "\n"
                           R"({"ts":2,"host":"h","status":"warning","indicators":{}})"
                           "\n"
                           R"({"ts":3,"host":"h","status":"fail","indicators":{}})";
  ParsedBatch b = ParseHealthBody(body, IngestLimits{});
  ASSERT_EQ(b.samples.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(b.samples[i].labels.ToString(), R"({__name__="status",host="h"})");
    EXPECT_EQ(b.samples[i].sample.v, static_cast<double>(i));
    EXPECT_EQ(b.samples[i].sample.t, static_cast<TimestampMs>(i + 1) * 1000);
  }
}

TEST(HealthParserTest, InstanceAndJobStandInForHostAndComponent) {
  const std::string body =
      R"({"ts":"2026-11-22T12:00:00+02:00","instance":"10.0.0.1:9100","job":"node",)"
      R"("labels":{"code":"200","Handler":"/x","le":"","quantile":"0.5"},)"
      R"("indicators":{"HTTP Requests [%]":5}})";
  ParsedBatch b = ParseHealthBody(body, IngestLimits{});
  ASSERT_EQ(b.samples.size(), 1u) << Reasons(b);
  // Sorted by name; "Handler" sorts before "__name__" (uppercase < '_'); empty "le" is dropped.
  EXPECT_EQ(b.samples[0].labels.ToString(),
            R"({Handler="/x",__name__="http_requests_pct",code="200",component="node",)"
            R"(host="10.0.0.1:9100",quantile="0.5"})");
  EXPECT_EQ(b.samples[0].sample.t, kTs);
}

TEST(HealthParserTest, HostWinsOverInstanceAndComponentOverJob) {
  ParsedBatch b = ParseHealthBody(
      R"({"ts":1,"host":"a","instance":"b","component":"c","job":"d","indicators":{"x":1}})",
      IngestLimits{});
  ASSERT_EQ(b.samples.size(), 1u);
  EXPECT_EQ(b.samples[0].labels.ToString(), R"({__name__="x",component="c",host="a"})");
}

TEST(HealthParserTest, TimestampsAcceptEpochSecondsMillisAndStrings) {
  const std::string body = R"({"ts":1700000000,"host":"h","indicators":{"a":1}})"
                           "\n"
                           R"({"ts":1700000000123,"host":"h","indicators":{"a":1}})"
                           "\n"
                           R"({"ts":"1700000000.5","host":"h","indicators":{"a":1}})"
                           "\n"
                           R"({"ts":"2023-11-14 22:13:20","host":"h","indicators":{"a":1}})";
  ParsedBatch b = ParseHealthBody(body, IngestLimits{});
  ASSERT_EQ(b.samples.size(), 4u) << Reasons(b);
  EXPECT_EQ(b.samples[0].sample.t, 1700000000000);
  EXPECT_EQ(b.samples[1].sample.t, 1700000000123);
  EXPECT_EQ(b.samples[2].sample.t, 1700000000500);
  EXPECT_EQ(b.samples[3].sample.t, 1700000000000);
}

TEST(HealthParserTest, MissingFieldMessageListsEveryField) {
  ParsedBatch b = ParseHealthBody(R"({"component":"c"})", IngestLimits{});
  ASSERT_EQ(b.rejections.size(), 1u);
  EXPECT_EQ(b.rejections[0].message, "missing field: ts, host, indicators");
}

TEST(HealthParserTest, EmptyOptionalLabelsAreDropped) {
  ParsedBatch b = ParseHealthBody(
      R"({"ts":1,"host":"h","component":"","kind":"","indicators":{"a":1}})", IngestLimits{});
  ASSERT_EQ(b.samples.size(), 1u);
  EXPECT_EQ(b.samples[0].labels.ToString(), R"({__name__="a",host="h"})");
}

TEST(HealthParserTest, SamplesComeInIndicatorNameOrderAndRepeatedKeysKeepTheLast) {
  ParsedBatch b = ParseHealthBody(
      R"({"ts":1,"host":"h","status":"warning","indicators":{"zeta":1,"alpha":2,"zeta":3}})",
      IngestLimits{});
  ASSERT_EQ(b.samples.size(), 3u);
  EXPECT_EQ(*b.samples[0].labels.Get("__name__"), "alpha");
  EXPECT_EQ(*b.samples[1].labels.Get("__name__"), "zeta");
  EXPECT_EQ(b.samples[1].sample.v, 3.0);
  EXPECT_EQ(*b.samples[2].labels.Get("__name__"), "status");
  EXPECT_EQ(b.samples[2].sample.v, 1.0);
}

TEST(HealthParserTest, HugeLineIsRejectedWithoutParsing) {
  IngestLimits limits;
  limits.max_line_bytes = 1 << 20;
  std::string huge = R"({"ts":1,"host":"h","indicators":{"a":1},"pad":")";
  huge.append(2 << 20, 'x');
  huge += "\"}";
  ParsedBatch b =
      ParseHealthBody(Cat({huge, "\n", R"({"ts":1,"host":"h","indicators":{"a":1}})"}), limits);
  EXPECT_EQ(Reasons(b), "1:too_largex1");
  EXPECT_EQ(b.samples.size(), 1u);
}

}  // namespace
}  // namespace prognos::ingest
