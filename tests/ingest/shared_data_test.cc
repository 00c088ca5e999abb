// Reads one file of every folder of ../shared/data the way `prognos replay` does (DESIGN.md §3,
// "What each shared folder replays as") and checks counts worked out independently.
//
// Reference counts come from a separate Python implementation of the same rules (csv module,
// cells trimmed, a non-empty cell that float() accepts is a number, a column is a label column
// when text cells outnumber number cells), run once as
//   /usr/bin/python3 /tmp/ingest_work/counts.py
// whose core is:
//   rows = [[c.strip() for c in r] for r in csv.reader(open_maybe_gz(p), delimiter=sep)
//           if any(c.strip() for c in r)][1 if header else 0:]
//   samples = sum(1 for r in rows for i in value_cols if r[i] != '' and isfinite(float(r[i])))
//   series = {(entity value, label values, column) for each sample}
// and cross-checked with `zcat F | wc -l` for the row counts (e.g. Alibaba machine usage: 71497
// lines, no header; Backblaze 2013-04-10: 21196 lines = header + 21195 drives; NAB
// Twitter_volume_AAPL: 15903 lines = header + 15902).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include "ingest/table_reader.h"

namespace prognos::ingest {
namespace {

std::string DataDir() { return PROGNOS_SOURCE_DIR "/../shared/data"; }

// DataDir() + rel, by appending (g++ 12 -O3 warns falsely on `std::string&& + …`, -Wrestrict).
std::string DataFile(std::string_view rel) {
  std::string out = DataDir();
  out += rel;
  return out;
}

struct Expect {
  const char* name;
  std::string file;  // under DataDir()
  TableOptions options;
  std::uint64_t rows;
  std::size_t samples;
  std::size_t series;
  TimestampMs first_t;
  std::string first_labels;
  std::size_t rejections = 0;
};

TableOptions Step(DurationMs step_ms, TimestampMs start_ms = 0) {
  TableOptions o;
  o.step_ms = step_ms;
  o.start_ms = start_ms;
  return o;
}

TableOptions EntityTime(const char* entity, const char* time) {
  TableOptions o;
  // Constructed, not assigned: g++ 12 -O3 warns falsely (-Wrestrict) on assigning a literal.
  o.entity = ColumnRef{std::string(entity)};
  o.time = ColumnRef{std::string(time)};
  return o;
}

TEST(SharedDataTest, OneFileOfEveryFolderReplaysWithIndependentCounts) {
  if (!std::filesystem::exists(DataDir())) GTEST_SKIP() << DataDir() << " is absent";
  const Expect cases[] = {
      // 2015-02-26 21:42:53 UTC = 1424986973 s.
      {"nab",
       "/nab/data/realTweets/Twitter_volume_AAPL.csv",
       {},
       15902,
       15902,
       1,
       1424986973000,
       R"({__name__="value",host="Twitter_volume_AAPL"})"},
      // SMD: 23688 rows x 38 columns, all present; test continues the train clock.
      {"smd train", "/smd/train/machine-1-6.txt.gz", Step(60'000), 23688, 900144, 38, 0,
       R"({__name__="c1",host="machine-1-6"})"},
      {"smd test", "/smd/test/machine-1-6.txt.gz", Step(60'000, 23688LL * 60'000), 23689, 900182,
       38, 23688LL * 60'000, R"({__name__="c1",host="machine-1-6"})"},
      {"asd train", "/asd/train/omi-1.txt.gz", Step(60'000), 8640, 164160, 19, 0,
       R"({__name__="c1",host="omi-1"})"},
      {"asd test", "/asd/test/omi-1.txt.gz", Step(60'000, 8640LL * 60'000), 4320, 82080, 19,
       8640LL * 60'000, R"({__name__="c1",host="omi-1"})"},
      // Bitbrains VM 1: 8260 rows x 10 value columns; "Timestamp [ms]" holds seconds.
      {"bitbrains",
       "/bitbrains_rnd/2013-7/1.csv.gz",
       {},
       8260,
       82600,
       10,
       1372629804000,
       R"({__name__="cpu_cores",host="1"})"},
      // 16 machines x 5 non-empty columns (mem_gps and mkpi are empty in every row).
      {"alibaba machine usage",
       "/alibaba2018_machine_usage/machine_usage_16machines_days1-6.csv.gz", EntityTime("1", "2"),
       71497, 357485, 80, 386640000, R"({__name__="c3",host="m_1932"})"},
      {"azure with timestamp",
       "/datacenter_aggregates/azure_v2/week1/vm_cpu_readings_week1_aggregated_cpu_mem.csv",
       {},
       2016,
       4032,
       2,
       0,
       R"({__name__="cpu_usage",host="vm_cpu_readings_week1_aggregated_cpu_mem"})"},
      {"azure without timestamp",
       "/datacenter_aggregates/azure_v2/week1/"
       "vm_cpu_readings_week1_aggregated_cpu_mem_no_timestamp.csv",
       Step(300'000), 2016, 4032, 2, 0,
       R"({__name__="cpu_usage",host="vm_cpu_readings_week1_aggregated_cpu_mem_no_timestamp"})"},
      {"alibaba aggregate 300 s",
       "/datacenter_aggregates/alibaba2018/day_2/machine_usage_day_2_grouped_300_seconds.csv",
       Step(300'000), 226, 1130, 5, 0,
       R"({__name__="cpu_util_percent",host="machine_usage_day_2_grouped_300_seconds"})"},
      // 21195 drives; `model` is a label; 148365 non-empty numeric cells; one series per sample
      // (each drive appears once in a day).
      {"backblaze",
       "/backblaze_2013/daily/2013-04-10.csv.gz",
       {},
       21195,
       148365,
       148365,
       1365552000000,
       R"({__name__="capacity_bytes",host="MJ0351YNG9Z0XA",model="Hitachi HDS5C3030ALA630"})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = ReadReplaySeries(DataFile(c.file), c.options, IngestLimits{});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->rows, c.rows);
    EXPECT_EQ(r->points.size(), c.samples);
    EXPECT_EQ(r->series.size(), c.series);
    EXPECT_EQ(r->rejections.size(), c.rejections);
    ASSERT_FALSE(r->points.empty());
    EXPECT_EQ(r->points[0].sample.t, c.first_t);
    EXPECT_EQ(r->series[r->points[0].series].ToString(), c.first_labels);
  }
}

TEST(SharedDataTest, ExpandedBatchMatchesCompactSeries) {
  if (!std::filesystem::exists(DataDir())) GTEST_SKIP() << DataDir() << " is absent";
  const std::string path = DataFile("/bitbrains_rnd/2013-7/1.csv.gz");
  auto batch = ReadReplayFile(path, TableOptions{}, IngestLimits{});
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->rows, 8260u);
  ASSERT_EQ(batch->samples.size(), 82600u);
  std::set<std::string> names;
  for (const auto& s : batch->samples) names.insert(std::string(*s.labels.Get("__name__")));
  EXPECT_EQ(names, (std::set<std::string>{
                       "cpu_cores", "cpu_capacity_provisioned_mhz", "cpu_usage_mhz",
                       "cpu_usage_pct", "memory_capacity_provisioned_kb", "memory_usage_kb",
                       "disk_read_throughput_kb_s", "disk_write_throughput_kb_s",
                       "network_received_throughput_kb_s", "network_transmitted_throughput_kb_s"}));
}

TEST(SharedDataTest, NumericTableOfNab) {
  if (!std::filesystem::exists(DataDir())) GTEST_SKIP() << DataDir() << " is absent";
  auto t =
      ReadNumericTable(DataFile("/nab/data/realTweets/Twitter_volume_AAPL.csv"), TableOptions{});
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->names.size(), 1u);
  EXPECT_EQ(t->names[0], "value");
  EXPECT_EQ(t->columns[0].size(), 15902u);
  EXPECT_EQ(t->time_text[0], "2015-02-26 21:42:53");
  EXPECT_EQ(t->columns[0][0], 104.0);
}

}  // namespace
}  // namespace prognos::ingest
