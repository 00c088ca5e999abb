#include "ingest/table_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>  // mkdtemp (POSIX)
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "testing/temp_dir.h"

namespace prognos::ingest {
namespace {

using prognos::testing::TempDir;

void WriteFile(const std::string& path, std::string_view content) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  std::fwrite(content.data(), 1, content.size(), f);
  std::fclose(f);
}

// Appends one gzip member holding `content` (so calling it twice makes a multi-member file).
void AppendGzipMember(const std::string& path, std::string_view content) {
  gzFile f = gzopen(path.c_str(), "ab");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(gzwrite(f, content.data(), static_cast<unsigned>(content.size())),
            static_cast<int>(content.size()));
  gzclose(f);
}

std::string Names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ',';
    out += n;
  }
  return out;
}

ReplaySeries ParseReplay(std::string_view text, const TableOptions& options = {},
                         const std::string& path = "/x/vm7.csv") {
  auto r = ParseReplayText(text, path, options, IngestLimits{});
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? std::move(*r) : ReplaySeries{};
}

std::string Reasons(const ReplaySeries& s) {
  std::string out;
  for (const auto& r : s.rejections) {
    if (!out.empty()) out += ' ';
    out += std::to_string(r.line);
    out += ':';
    out += RejectReasonName(r.reason);
    if (!r.indicator.empty()) {
      out += '(';
      out += r.indicator;
      out += ')';
    }
  }
  return out;
}

TEST(HostFromPathTest, StripsGzThenOneExtension) {
  EXPECT_EQ(HostFromPath("/a/b/12.csv.gz"), "12");
  EXPECT_EQ(HostFromPath("machine-1-6.txt.gz"), "machine-1-6");
  EXPECT_EQ(HostFromPath("data/realTweets/Twitter_volume_AAPL.csv"), "Twitter_volume_AAPL");
  EXPECT_EQ(HostFromPath("dir.v2/plain"), "plain");
  EXPECT_EQ(HostFromPath("a.b.c"), "a.b");
  EXPECT_EQ(HostFromPath("x.gz"), "x");
}

TEST(ParseCsvTest, DetectsSeparatorHeaderAndColumns) {
  struct Case {
    const char* name;
    std::string text;
    char separator;
    bool had_header;
    std::string names;
    std::optional<std::size_t> time_column;
    std::size_t rows;
  };
  const Case cases[] = {
      {"comma with header", "timestamp,value\n2015-01-01 00:00:00,1\n", ',', true,
       "timestamp,value", 0, 1},
      {"semicolon", "a;b;c\n1;2;3\n4;5;6\n", ';', true, "a,b,c", std::nullopt, 2},
      {"tab", "Time\tcpu\n1\t2\n", '\t', true, "Time,cpu", 0, 1},
      {"bitbrains semicolon-tab", "Timestamp [ms];\tCPU usage [%]\n1372629804;\t1.5\n", ';', true,
       "Timestamp [ms],CPU usage [%]", 0, 1},
      {"headerless numbers", "0.1,0.2\n0.3,0.4\n", ',', false, "c1,c2", std::nullopt, 2},
      {"a first row with one number is data", "m_1932,386640,41\nm_1932,386670,43\n", ',', false,
       "c1,c2,c3", std::nullopt, 2},
      {"crlf and blank lines", "\r\nx,y\r\n\r\n1,2\r\n3,4\r\n", ',', true, "x,y", std::nullopt, 2},
      {"single column", "value\n1\n2\n3", ',', true, "value", std::nullopt, 3},
      {"date column name", "Date,load [kW]\n2020-01-01,1\n", ',', true, "Date,load [kW]", 0, 1},
      {"ts column second", "host,ts,v\nh,1,2\n", ',', true, "host,ts,v", 1, 1},
      {"empty header cell", "a,,c\n1,2,3\n", ',', true, "a,c2,c", std::nullopt, 1},
      {"empty input", "", ',', false, "", std::nullopt, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto t = ParseCsv(c.text, TableOptions{});
    ASSERT_TRUE(t.has_value()) << t.error().message;
    EXPECT_EQ(t->separator, c.separator);
    EXPECT_EQ(t->had_header, c.had_header);
    EXPECT_EQ(Names(t->column_names), c.names);
    EXPECT_EQ(t->time_column, c.time_column);
    EXPECT_EQ(t->rows.size(), c.rows);
  }
}

TEST(ParseCsvTest, TrimsCellsPadsShortRowsAndUnquotes) {
  auto t = ParseCsv("a ; b;\tc\n 1 ;\t2\n\"x;y\";\"say \"\"hi\"\"\";3\n", TableOptions{});
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(Names(t->column_names), "a,b,c");
  EXPECT_EQ(t->rows[0], (std::vector<std::string>{"1", "2", ""}));
  EXPECT_EQ(t->rows[1], (std::vector<std::string>{"x;y", "say \"hi\"", "3"}));
  EXPECT_EQ(t->row_lines, (std::vector<std::uint32_t>{2, 3}));
}

TEST(ParseCsvTest, ColumnsFlagNamesHeaderlessColumns) {
  TableOptions o;
  o.columns = {"machine_id", "time_stamp", "cpu"};
  o.time.text = "time_stamp";
  auto t = ParseCsv("m_1,10,5\nm_1,20,6\n", o);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(Names(t->column_names), "machine_id,time_stamp,cpu");
  EXPECT_EQ(t->time_column, 1u);
  EXPECT_EQ(t->entity_column, 0u);  // machine_id is an entity name
  auto times = RowTimes(*t, o);
  ASSERT_EQ(times.size(), 2u);
  EXPECT_EQ(times[0], 10000);
  EXPECT_EQ(times[1], 20000);
}

TEST(ParseCsvTest, EntityAndTimeByNameOrIndex) {
  const std::string text = "date,serial_number,model,capacity_bytes\n2013-04-10,S1,M,3\n";
  TableOptions by_default;
  auto t = ParseCsv(text, by_default);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->entity_column, 1u);
  EXPECT_EQ(t->time_column, 0u);

  TableOptions by_index;
  by_index.entity.text = "3";
  by_index.time.text = "1";
  t = ParseCsv(text, by_index);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->entity_column, 2u);

  TableOptions by_name;
  by_name.entity.text = "MODEL";  // case-insensitive fallback
  t = ParseCsv(text, by_name);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->entity_column, 2u);

  TableOptions bad;
  bad.entity.text = "9";
  EXPECT_FALSE(ParseCsv(text, bad).has_value());
  bad.entity.text = "nope";
  auto err = ParseCsv(text, bad);
  ASSERT_FALSE(err.has_value());
  EXPECT_NE(err.error().message.find("no such column"), std::string::npos);
  TableOptions same;
  same.entity.text = "1";
  same.time.text = "date";
  EXPECT_FALSE(ParseCsv(text, same).has_value());
}

TEST(RowTimesTest, ParsesEveryFormAndTellsSecondsFromMillisByMagnitude) {
  TableOptions o;
  auto t = ParseCsv(
      "Timestamp [ms],v\n"
      "1372629804,1\n"     // seconds despite the [ms] header
      "1372629804123,2\n"  // ms
      "2013-07-01T00:03:24Z,3\n"
      "2013-07-01 00:03:24,4\n"
      "2013-07-01,5\n"
      "yesterday,6\n"
      ",7\n",
      o);
  ASSERT_TRUE(t.has_value());
  auto times = RowTimes(*t, o);
  ASSERT_EQ(times.size(), 7u);
  EXPECT_EQ(times[0], 1372629804000);
  EXPECT_EQ(times[1], 1372629804123);
  EXPECT_EQ(times[2], 1372636800000 + 204000);  // 2013-07-01 = 15887 days * 86400000
  EXPECT_EQ(times[3], 1372636800000 + 204000);
  EXPECT_EQ(times[4], 1372636800000);
  EXPECT_FALSE(times[5].has_value());
  EXPECT_FALSE(times[6].has_value());
}

TEST(RowTimesTest, WithoutTimeColumnRowsAreEquallySpaced) {
  TableOptions o;
  o.step_ms = 300'000;
  o.start_ms = 1'000;
  auto t = ParseCsv("a,b\n1,2\n3,4\n5,6\n", o);
  ASSERT_TRUE(t.has_value());
  auto times = RowTimes(*t, o);
  ASSERT_EQ(times.size(), 3u);
  EXPECT_EQ(times[0], 1'000);
  EXPECT_EQ(times[2], 601'000);
}

TEST(ReplayTest, NamesSeriesByFileStemAndColumn) {
  ReplaySeries s = ParseReplay(
      "Timestamp [ms];\tCPU usage [MHZ];\tCPU usage [%];\tMemory usage [KB]\n"
      "1372629804;\t87.7799835;\t1.5;\t1034592.8\n"
      "1372630104;\t29.2599944;\t;\t458575.46\n");
  EXPECT_EQ(s.rows, 2u);
  EXPECT_TRUE(s.rejections.empty()) << Reasons(s);
  ASSERT_EQ(s.points.size(), 5u);  // one empty cell = no sample
  ASSERT_EQ(s.series.size(), 3u);
  EXPECT_EQ(s.series[0].ToString(), R"({__name__="cpu_usage_mhz",host="vm7"})");
  EXPECT_EQ(s.series[1].ToString(), R"({__name__="cpu_usage_pct",host="vm7"})");
  EXPECT_EQ(s.series[2].ToString(), R"({__name__="memory_usage_kb",host="vm7"})");
  EXPECT_EQ(s.points[0].sample.t, 1372629804000);
  EXPECT_EQ(s.points[0].line, 2u);
  EXPECT_DOUBLE_EQ(s.points[0].sample.v, 87.7799835);
  EXPECT_EQ(s.points[3].series, 0u);
  EXPECT_EQ(s.points[4].series, 2u);
  EXPECT_EQ(s.points[4].sample.t, 1372630104000);
}

TEST(ReplayTest, EntityColumnNamesHostAndTextColumnsBecomeLabels) {
  // Backblaze-like: `model` is text in most rows -> label; capacity_bytes is numeric -> value,
  // even though one row has text in it (that cell is rejected, the column stays a value column).
  ReplaySeries s = ParseReplay(
      "date,serial_number,model,capacity_bytes,smart_5_raw\n"
      "2013-04-10,S1,Hitachi HDS5C3030ALA630,3000592982016,0\n"
      "2013-04-10,S2,ST4000DM000,4000787030016,\n"
      "2013-04-11,S1,Hitachi HDS5C3030ALA630,oops,2\n"
      "2013-04-11,S2,,4000787030016,1\n");
  EXPECT_EQ(s.rows, 4u);
  EXPECT_EQ(Reasons(s), "4:invalid_field(capacity_bytes)");
  ASSERT_EQ(s.points.size(), 6u);
  ASSERT_EQ(s.series.size(), 5u);
  EXPECT_EQ(s.series[0].ToString(),
            R"({__name__="capacity_bytes",host="S1",model="Hitachi HDS5C3030ALA630"})");
  EXPECT_EQ(s.series[1].ToString(),
            R"({__name__="smart_5_raw",host="S1",model="Hitachi HDS5C3030ALA630"})");
  EXPECT_EQ(s.series[2].ToString(), R"({__name__="capacity_bytes",host="S2",model="ST4000DM000"})");
  // An empty label cell is no label, so S2 on day 2 is another series.
  EXPECT_EQ(s.series.back().ToString(), R"({__name__="smart_5_raw",host="S2"})");
  EXPECT_EQ(s.points[0].sample.t, 1365552000000);  // 2013-04-10: 15805 days
  EXPECT_EQ(s.points[3].series, 1u);               // S1 smart_5_raw on day 2, same series
  EXPECT_EQ(s.points[3].sample.v, 2.0);
}

TEST(ReplayTest, HeaderlessWithEntityAndTimeIndexes) {
  TableOptions o;
  o.entity.text = "1";
  o.time.text = "2";
  ReplaySeries s = ParseReplay(
      "m_1932,386640,41,92,,,43.04,33.08,5\n"
      "m_1932,386670,43,92,,,43.04,33.08,5\n"
      "m_1933,100,1,2,,,3,4,-1\n",
      o);
  EXPECT_EQ(s.rows, 3u);
  ASSERT_EQ(s.points.size(), 15u);  // c5 and c6 are empty: 5 samples per row
  ASSERT_EQ(s.series.size(), 10u);
  EXPECT_EQ(s.series[0].ToString(), R"({__name__="c3",host="m_1932"})");
  EXPECT_EQ(s.points[0].sample.t, 386640000);
  EXPECT_EQ(s.series[s.points.back().series].ToString(), R"({__name__="c9",host="m_1933"})");
  EXPECT_EQ(s.points.back().sample.v, -1.0);
}

TEST(ReplayTest, WithoutTimeColumnUsesStartAndStep) {
  TableOptions o;
  o.step_ms = 60'000;
  o.start_ms = 23'688 * 60'000LL;
  ReplaySeries s = ParseReplay("0.5,0.25\n0.75,1e-3\n", o, "/d/test/machine-1-6.txt.gz");
  ASSERT_EQ(s.points.size(), 4u);
  EXPECT_EQ(s.series[0].ToString(), R"({__name__="c1",host="machine-1-6"})");
  EXPECT_EQ(s.points[0].sample.t, 23'688 * 60'000LL);
  EXPECT_EQ(s.points[3].sample.t, 23'689 * 60'000LL);
  EXPECT_EQ(s.points[3].sample.v, 1e-3);
}

TEST(ReplayTest, RejectsBadRowsAndCellsWithReasons) {
  ReplaySeries s = ParseReplay(
      "time,a,b\n"
      "1,1,2\n"
      "yesterday,1,2\n"  // unparsable time: the row's two samples
      ",1,2\n"           // empty time
      "4,NaN,inf\n"      // non-finite cells
      "5,1e999,3\n"      // overflow
      "6,1,2,3\n"        // an extra field
      "7,,\n");          // nothing to store
  EXPECT_EQ(s.rows, 7u);
  EXPECT_EQ(Reasons(s),
            "3:invalid_field 4:missing_field 5:non_finite(a) 5:non_finite(b) 6:non_finite(a) "
            "7:invalid_field");
  ASSERT_EQ(s.rejections.size(), 6u);
  EXPECT_EQ(s.rejections[0].samples, 2u);
  EXPECT_EQ(s.points.size(), 2u + 1u + 2u);
}

TEST(ReplayTest, LabelColumnsNeverClashWithRoleLabels) {
  ReplaySeries s = ParseReplay("host,Host ,v\nh1,x,1\n", TableOptions{});
  ASSERT_EQ(s.series.size(), 1u);
  EXPECT_EQ(s.series[0].ToString(), R"({__name__="v",exported_host="x",host="h1"})");
}

TEST(ReplayTest, DuplicateColumnNamesStayDistinctSeries) {
  ReplaySeries s = ParseReplay("cpu,CPU,cpu %\n1,2,3\n", TableOptions{});
  ASSERT_EQ(s.series.size(), 3u);
  EXPECT_EQ(*s.series[0].Get("__name__"), "cpu");
  EXPECT_EQ(*s.series[1].Get("__name__"), "cpu_2");
  EXPECT_EQ(*s.series[2].Get("__name__"), "cpu_pct");
}

TEST(ReplayTest, LabelLimitsApply) {
  IngestLimits limits;
  limits.max_label_value_bytes = 3;
  auto r = ParseReplayText("host,v\nlonghost,1\nh,2\n", "x.csv", TableOptions{}, limits);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(Reasons(*r), "2:too_large");
  EXPECT_EQ(r->points.size(), 1u);
}

TEST(ReplayTest, JsonLinesGoThroughTheHealthParser) {
  TempDir dir;
  const std::string path = dir.File("msgs.jsonl");
  WriteFile(path,
            "\n  {\"ts\":1,\"host\":\"h\",\"indicators\":{\"a\":1,\"b\":2}}\n"
            "{\"ts\":2,\"host\":\"h\",\"indicators\":{\"a\":\"x\"}}\n");
  auto batch = ReadReplayFile(path, TableOptions{}, IngestLimits{});
  ASSERT_TRUE(batch.has_value()) << batch.error().message;
  EXPECT_EQ(batch->rows, 2u);
  EXPECT_EQ(batch->samples.size(), 2u);
  ASSERT_EQ(batch->rejections.size(), 1u);
  EXPECT_EQ(batch->rejections[0].line, 3u);
  auto compact = ReadReplaySeries(path, TableOptions{}, IngestLimits{});
  ASSERT_TRUE(compact.has_value());
  EXPECT_EQ(compact->series.size(), 2u);
  EXPECT_EQ(compact->points.size(), 2u);
}

TEST(ReadFileMaybeGzTest, ReadsPlainGzipAndMultiMemberGzip) {
  TempDir dir;
  const std::string plain = dir.File("a.csv");
  WriteFile(plain, "x\n1\n");
  auto text = ReadFileMaybeGz(plain);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text, "x\n1\n");

  const std::string gz = dir.File("b.csv.gz");
  AppendGzipMember(gz, "x,y\n1,2\n");
  AppendGzipMember(gz, "3,4\n");
  text = ReadFileMaybeGz(gz);
  ASSERT_TRUE(text.has_value()) << text.error().message;
  EXPECT_EQ(*text, "x,y\n1,2\n3,4\n");

  auto batch = ReadReplayFile(gz, TableOptions{}, IngestLimits{});
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->rows, 2u);
  ASSERT_EQ(batch->samples.size(), 4u);
  EXPECT_EQ(batch->samples[3].labels.ToString(), R"({__name__="y",host="b"})");

  auto missing = ReadFileMaybeGz(dir.File("nope.csv.gz"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST(ReadFileMaybeGzTest, TruncatedGzipIsAnError) {
  TempDir dir;
  const std::string gz = dir.File("c.csv.gz");
  std::string big;
  for (int i = 0; i < 20000; ++i) big += std::to_string(i * 7919 % 10007) + "\n";
  AppendGzipMember(gz, big);
  auto whole = ReadFileMaybeGz(gz);
  ASSERT_TRUE(whole.has_value());
  std::error_code ec;
  auto size = std::filesystem::file_size(gz, ec);
  std::filesystem::resize_file(gz, size / 2, ec);
  auto cut = ReadFileMaybeGz(gz);
  EXPECT_FALSE(cut.has_value());
}

TEST(ReadNumericTableTest, ValueColumnsWithNaNForEmptyOrText) {
  TempDir dir;
  const std::string path = dir.File("n.csv");
  WriteFile(path, "timestamp,value,note\n2015-01-01 00:00:00,1.5,a\n2015-01-01 00:05:00,,2\n");
  auto t = ReadNumericTable(path, TableOptions{});
  ASSERT_TRUE(t.has_value()) << t.error().message;
  EXPECT_EQ(Names(t->names), "value,note");
  ASSERT_EQ(t->time_text.size(), 2u);
  EXPECT_EQ(t->time_text[1], "2015-01-01 00:05:00");
  EXPECT_EQ(t->times[1], 1420070400000 + 300000);
  EXPECT_EQ(t->columns[0][0], 1.5);
  EXPECT_TRUE(std::isnan(t->columns[0][1]));
  EXPECT_TRUE(std::isnan(t->columns[1][0]));
  EXPECT_EQ(t->columns[1][1], 2.0);

  const std::string headerless = dir.File("h.txt");
  WriteFile(headerless, "1,2\n3,4\n");
  t = ReadNumericTable(headerless, TableOptions{});
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(Names(t->names), "c1,c2");
  EXPECT_EQ(t->time_text[1], "1");
  EXPECT_EQ(t->times[1], 60'000);
}

TEST(ParseCsvTest, ColumnsFlagOverridesAHeaderAndCanNameTheEntity) {
  TableOptions o;
  o.columns = {"host", "v"};
  auto t = ParseCsv("a,b\nh1,1\n", o);
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(t->had_header);
  EXPECT_EQ(Names(t->column_names), "host,v");
  EXPECT_EQ(t->entity_column, 0u);
  ASSERT_EQ(t->rows.size(), 1u);
}

TEST(ParseCsvTest, TimeColumnNamesAreMatchedWithoutUnitOrCase) {
  for (const char* header : {"TIME,v", "ts [s],v", " Date ,v", "timestamp[ms],v"}) {
    SCOPED_TRACE(header);
    std::string text = header;
    text += "\n1,2\n";
    auto t = ParseCsv(text, TableOptions{});
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->time_column, 0u);
  }
  for (const char* header : {"time_stamp,v", "datetime,v", "hour,v"}) {
    SCOPED_TRACE(header);
    std::string text = header;
    text += "\n1,2\n";
    auto t = ParseCsv(text, TableOptions{});
    ASSERT_TRUE(t.has_value());
    EXPECT_FALSE(t->time_column.has_value());
  }
}

TEST(ParseCsvTest, IgnoresAByteOrderMark) {
  auto t = ParseCsv("\xef\xbb\xbftimestamp,value\n1,2\n", TableOptions{});
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->column_names[0], "timestamp");
  EXPECT_EQ(t->time_column, 0u);
}

TEST(ReplayTest, QuotedLabelValuesMayHoldSeparatorsAndQuotes) {
  ReplaySeries s = ParseReplay(
      "serial_number,model,v\n"
      "S1,\"WDC, \"\"Red\"\"\",1\n"
      "S1,\"WDC, \"\"Red\"\"\",2\n");
  EXPECT_TRUE(s.rejections.empty()) << Reasons(s);
  ASSERT_EQ(s.series.size(), 1u);
  EXPECT_EQ(*s.series[0].Get("model"), "WDC, \"Red\"");
  EXPECT_EQ(s.points.size(), 2u);
}

TEST(ReplayTest, EmptyEntityCellIsAMissingField) {
  ReplaySeries s = ParseReplay("host,a,b\n,1,2\nh,3,\n");
  EXPECT_EQ(Reasons(s), "2:missing_field");
  ASSERT_EQ(s.rejections.size(), 1u);
  EXPECT_EQ(s.rejections[0].samples, 2u);
  EXPECT_EQ(s.points.size(), 1u);
}

TEST(ReplayTest, EmptyAndHeaderOnlyFilesHaveNoRows) {
  for (const char* text : {"", "\n\n", "timestamp,value\n"}) {
    SCOPED_TRACE(text);
    ReplaySeries s = ParseReplay(text);
    EXPECT_EQ(s.rows, 0u);
    EXPECT_TRUE(s.points.empty());
    EXPECT_TRUE(s.rejections.empty());
  }
}

TEST(ReadNumericTableTest, RefusesJsonAndMissingFiles) {
  TempDir dir;
  const std::string path = dir.File("m.jsonl");
  WriteFile(path, R"({"ts":1,"host":"h","indicators":{"a":1}})");
  EXPECT_FALSE(ReadNumericTable(path, TableOptions{}).has_value());
  EXPECT_FALSE(ReadNumericTable(dir.File("absent.csv"), TableOptions{}).has_value());
}

TEST(ReadNumericTableTest, ExcludesTheEntityColumn) {
  TempDir dir;
  const std::string path = dir.File("e.csv");
  WriteFile(path, "machine_id,time,cpu\nm1,10,0.5\n");
  auto t = ReadNumericTable(path, TableOptions{});
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(Names(t->names), "cpu");
  EXPECT_EQ(t->times[0], 10'000);
}

}  // namespace
}  // namespace prognos::ingest
