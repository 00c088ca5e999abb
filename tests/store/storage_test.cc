#include "store/storage.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <thread>

#include "store/test_util.h"
#include "store/wal.h"

namespace prognos::store {
namespace {

using testing::L;
using testing::Metric;
using testing::Name;
using testing::TempDir;

StorageOptions Options(const std::string& dir, FsyncPolicy fsync = FsyncPolicy::kNever) {
  StorageOptions o;
  o.dir = dir;
  o.fsync = fsync;
  o.max_age_ms = 500;
  return o;
}

std::unique_ptr<Storage> MustOpen(const StorageOptions& o, MetricsRegistry* metrics = nullptr) {
  auto s = Storage::Open(o, metrics);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return s ? std::move(*s) : nullptr;
}

std::vector<SampleResult> MustCommit(Storage& s, const std::vector<std::pair<Labels, Sample>>& in) {
  Appender app = s.NewAppender();
  for (const auto& [l, x] : in) app.Add(l, x);
  auto r = app.Commit();
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : std::vector<SampleResult>{};
}

SampleResult CommitOne(Storage& s, const Labels& l, TimestampMs t, double v) {
  auto r = MustCommit(s, {{l, Sample{t, v}}});
  return r.empty() ? SampleResult{} : r[0];
}

std::string Describe(const SampleResult& r) {
  switch (r.outcome) {
    case SampleOutcome::kStored:
      return "stored";
    case SampleOutcome::kIdempotent:
      return "idempotent";
    case SampleOutcome::kRejected:
      return std::string(RejectReasonName(r.reason));
  }
  return "?";
}

// The series holds (1000, 1.0) and (2000, 2.0); max_age is 500 ms, so "too old" means t < 1500.
TEST(StorageOrderRulesTest, EachRuleAppliesInDesignOrder) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Case {
    const char* name;
    TimestampMs t;
    double v;
    const char* want;
  };
  const Case cases[] = {
      {"newer than newest is stored", 2001, 5.0, "stored"},
      {"identical to newest is idempotent", 2000, 2.0, "idempotent"},
      {"identical to an old sample is idempotent even past max_age", 1000, 1.0, "idempotent"},
      {"same time as newest, other value", 2000, 2.5, "duplicate_timestamp"},
      {"same time as an old sample, other value, beats too_old", 1000, 9.0, "duplicate_timestamp"},
      {"-0.0 is not bit-identical to 0.0", 3000, -0.0, "duplicate_timestamp"},
      {"older than newest - max_age", 1499, 1.0, "too_old"},
      {"exactly newest - max_age is only out of order", 1500, 1.0, "out_of_order"},
      {"just older than newest", 1999, 1.0, "out_of_order"},
      {"NaN retried bit-for-bit is idempotent", 4000, nan, "idempotent"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    auto s = MustOpen(Options(dir.path()));
    const Labels l = Metric("cpu", "h1");
    ASSERT_EQ(Describe(CommitOne(*s, l, 1000, 1.0)), "stored");
    ASSERT_EQ(Describe(CommitOne(*s, l, 2000, 2.0)), "stored");
    if (c.t == 3000) {
      ASSERT_EQ(Describe(CommitOne(*s, l, 3000, 0.0)), "stored");
    }
    if (c.t == 4000) {
      ASSERT_EQ(Describe(CommitOne(*s, l, 4000, nan)), "stored");
    }
    const auto before = s->Stats().samples;
    const SampleResult r = CommitOne(*s, l, c.t, c.v);
    EXPECT_EQ(Describe(r), c.want);
    EXPECT_EQ(s->Stats().samples, before + (r.outcome == SampleOutcome::kStored ? 1 : 0));
    if (r.outcome != SampleOutcome::kRejected) {
      EXPECT_EQ(r.series_id, l.Hash());
    }
  }
}

TEST(StorageOrderRulesTest, SamplesInOneBatchAreCheckedAgainstEachOther) {
  TempDir dir;
  auto s = MustOpen(Options(dir.path()));
  const Labels a = Metric("cpu", "a");
  const Labels b = Metric("cpu", "b");
  auto r = MustCommit(*s, {{a, {1000, 1}},
                           {a, {1000, 1}},   // same batch, identical
                           {a, {1000, 2}},   // same batch, other value
                           {b, {900, 7}},    // another (new) series is independent
                           {a, {990, 1}},    // older than a's newest in this batch
                           {a, {100, 1}},    // far older
                           {a, {2000, 3}},   // newer again
                           {b, {900, 7}}});  // b's retry inside the batch
  std::vector<std::string> got;
  for (const auto& x : r) got.push_back(Describe(x));
  EXPECT_EQ(got, (std::vector<std::string>{"stored", "idempotent", "duplicate_timestamp", "stored",
                                           "out_of_order", "too_old", "stored", "idempotent"}));
  EXPECT_EQ(s->Stats().samples, 3u);
  const auto samples = s->ReadSamples(a.Hash(), 0, 10'000);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].t, 1000);
  EXPECT_EQ(samples[1].t, 2000);
}

TEST(StorageOrderRulesTest, RetryAfterReopenIsIdempotent) {
  TempDir dir;
  const Labels l = Metric("mem", "h1");
  {
    auto s = MustOpen(Options(dir.path(), FsyncPolicy::kAlways));
    auto r = MustCommit(*s, {{l, {1000, 1.5}}, {l, {2000, 2.5}}});
    ASSERT_EQ(r.size(), 2u);
  }
  auto s = MustOpen(Options(dir.path(), FsyncPolicy::kAlways));
  // The client never saw the ack and sends the batch again, plus one new sample.
  auto r = MustCommit(*s, {{l, {1000, 1.5}}, {l, {2000, 2.5}}, {l, {3000, 3.5}}});
  std::vector<std::string> got;
  for (const auto& x : r) got.push_back(Describe(x));
  EXPECT_EQ(got, (std::vector<std::string>{"idempotent", "idempotent", "stored"}));
  EXPECT_EQ(s->Stats().samples, 3u);
}

TEST(StorageTest, EverythingPersistsAcrossReopen) {
  TempDir dir;
  StorageOptions o = Options(dir.path(), FsyncPolicy::kInterval);
  o.wal_segment_bytes = 4096;  // several segments
  std::map<std::uint64_t, std::vector<Sample>> want;
  std::map<std::uint64_t, Labels> labels;
  {
    auto s = MustOpen(o);
    for (int round = 0; round < 50; ++round) {
      Appender app = s->NewAppender();
      for (int h = 0; h < 20; ++h) {
        const Labels l = L({{"__name__", "disk_io_ms"},
                            {"host", Name("node-", h)},
                            {"component", h % 2 ? "db" : "web"}});
        const Sample x{1'700'000'000'000 + round * 60'000, round * 0.25 + h};
        app.Add(l, x);
        want[l.Hash()].push_back(x);
        labels[l.Hash()] = l;
      }
      ASSERT_TRUE(app.Commit().has_value());
    }
    ASSERT_TRUE(s->Sync().has_value());
  }
  auto s = MustOpen(o);
  const StorageStats st = s->Stats();
  EXPECT_EQ(st.series, 20u);
  EXPECT_EQ(st.samples, 1000u);
  EXPECT_EQ(st.wal_repairs, 0u);
  EXPECT_EQ(st.replayed_records, 20u + 50u);  // one series record each, one samples record/commit
  EXPECT_GT(st.wal_bytes, 4096u);
  for (const auto& info : s->ListSeries()) {
    ASSERT_TRUE(want.count(info.id));
    EXPECT_EQ(info.labels, labels[info.id]);
    EXPECT_EQ(info.samples, 50u);
    EXPECT_EQ(info.first_ms, want[info.id].front().t);
    EXPECT_EQ(info.last_ms, want[info.id].back().t);
    const auto got = s->ReadSamples(info.id, INT64_MIN, INT64_MAX);
    ASSERT_EQ(got.size(), want[info.id].size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].t, want[info.id][i].t);
      EXPECT_EQ(got[i].v, want[info.id][i].v);
    }
  }
}

TEST(StorageTest, ExtremeTimestampsAndValuesRoundTrip) {
  TempDir dir;
  const Labels l = Metric("x", "h");
  const std::vector<Sample> in = {{INT64_MIN, -0.0},
                                  {-1, std::numeric_limits<double>::infinity()},
                                  {0, std::numeric_limits<double>::denorm_min()},
                                  {INT64_MAX, std::numeric_limits<double>::quiet_NaN()}};
  {
    auto s = MustOpen(Options(dir.path()));
    Appender app = s->NewAppender();
    for (const auto& x : in) app.Add(l, x);
    ASSERT_TRUE(app.Commit().has_value());
  }
  auto s = MustOpen(Options(dir.path()));
  const auto got = s->ReadSamples(l.Hash(), INT64_MIN, INT64_MAX);
  ASSERT_EQ(got.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(got[i].t, in[i].t);
    EXPECT_EQ(std::bit_cast<std::uint64_t>(got[i].v), std::bit_cast<std::uint64_t>(in[i].v));
  }
}

TEST(StorageTest, CollidingIdsProbeAndStayStableAcrossReopen) {
  TempDir dir;
  StorageOptions o = Options(dir.path());
  o.series_hash_for_testing = [](const Labels&) -> std::uint64_t { return 42; };
  const Labels a = Metric("cpu", "a");
  const Labels b = Metric("cpu", "b");
  const Labels c = Metric("cpu", "c");
  {
    auto s = MustOpen(o);
    EXPECT_EQ(CommitOne(*s, a, 1, 1).series_id, 42u);
    auto r = MustCommit(*s, {{b, {1, 1}}, {c, {1, 1}}, {b, {2, 2}}});
    EXPECT_EQ(r[0].series_id, 43u);
    EXPECT_EQ(r[1].series_id, 44u);
    EXPECT_EQ(r[2].series_id, 43u);
  }
  auto s = MustOpen(o);
  ASSERT_TRUE(s->GetSeries(43).has_value());
  EXPECT_EQ(s->GetSeries(43)->labels, b);
  EXPECT_EQ(s->GetSeries(44)->labels, c);
  EXPECT_EQ(CommitOne(*s, c, 5, 5).series_id, 44u);
  EXPECT_EQ(CommitOne(*s, Metric("cpu", "d"), 1, 1).series_id, 45u);
  EXPECT_EQ(s->GetSeries(44)->samples, 2u);
}

// AddBorrowed (the engine's path: no copy of the label set) and Add resolve a label set to the same
// series, whether the equal label sets are one object, equal copies, adjacent or apart.
TEST(StorageTest, BorrowedAndOwnedLabelSetsResolveToTheSameSeries) {
  TempDir dir;
  auto s = MustOpen(Options(dir.path()));
  const Labels a = Metric("cpu", "a");
  const Labels a_copy = a;
  const Labels b = Metric("cpu", "b");
  Appender app = s->NewAppender();
  app.AddBorrowed(a, {1, 1});
  app.AddBorrowed(a, {2, 2});       // same object
  app.AddBorrowed(a_copy, {3, 3});  // equal copy, adjacent
  app.AddBorrowed(b, {1, 1});
  app.Add(a, {4, 4});  // owned copy, after another series
  auto r = app.Commit();
  ASSERT_TRUE(r.has_value());
  for (std::size_t i : {0, 1, 2, 4}) {
    EXPECT_EQ(Describe((*r)[i]), "stored") << i;
    EXPECT_EQ((*r)[i].series_id, a.Hash()) << i;
  }
  EXPECT_EQ((*r)[3].series_id, b.Hash());
  EXPECT_EQ(s->GetSeries(a.Hash())->samples, 4u);
  EXPECT_EQ(s->Stats().series, 2u);
}

TEST(StorageTest, SeriesIdIsTheLabelHash) {
  TempDir dir;
  const Labels l = Metric("cpu", "h9");
  {
    auto s = MustOpen(Options(dir.path()));
    EXPECT_EQ(CommitOne(*s, l, 1, 1).series_id, l.Hash());
  }
  auto s = MustOpen(Options(dir.path()));
  EXPECT_EQ(CommitOne(*s, l, 2, 1).series_id, l.Hash());
  ASSERT_EQ(s->ListSeries().size(), 1u);
  EXPECT_EQ(s->ListSeries()[0].id, l.Hash());
}

TEST(StorageTest, ReadSamplesHonoursRangeAndLimit) {
  TempDir dir;
  auto s = MustOpen(Options(dir.path()));
  const Labels l = Metric("cpu", "h1");
  Appender app = s->NewAppender();
  for (int i = 0; i < 100; ++i) app.Add(l, {i * 10, static_cast<double>(i)});
  ASSERT_TRUE(app.Commit().has_value());
  EXPECT_EQ(s->ReadSamples(l.Hash(), 100, 200).size(), 11u);  // 100, 110, …, 200
  EXPECT_EQ(s->ReadSamples(l.Hash(), 101, 109).size(), 0u);
  EXPECT_EQ(s->ReadSamples(l.Hash(), 200, 100).size(), 0u);
  const auto limited = s->ReadSamples(l.Hash(), 0, 1000, 3);
  ASSERT_EQ(limited.size(), 3u);
  EXPECT_EQ(limited[2].t, 20);
  EXPECT_TRUE(s->ReadSamples(12345, 0, 1000).empty());
  EXPECT_FALSE(s->GetSeries(12345).has_value());
}

TEST(StorageTest, EmptyCommitAndAllRejectedCommitWriteNothing) {
  TempDir dir;
  auto s = MustOpen(Options(dir.path()));
  const auto wal0 = s->Stats().wal_bytes;
  EXPECT_TRUE(s->NewAppender().Commit().has_value());
  EXPECT_EQ(s->Stats().wal_bytes, wal0);
  const Labels l = Metric("cpu", "h1");
  CommitOne(*s, l, 1000, 1);
  const auto wal1 = s->Stats().wal_bytes;
  EXPECT_EQ(Describe(CommitOne(*s, l, 10, 1)), "too_old");
  EXPECT_EQ(Describe(CommitOne(*s, l, 1000, 1)), "idempotent");
  EXPECT_EQ(s->Stats().wal_bytes, wal1);
}

TEST(StorageTest, ReportsMetricsWithPrognosNames) {
  TempDir dir;
  MetricsRegistry metrics;
  auto s = MustOpen(Options(dir.path(), FsyncPolicy::kAlways), &metrics);
  CommitOne(*s, Metric("cpu", "h1"), 1, 1);
  CommitOne(*s, Metric("cpu", "h2"), 1, 1);
  const std::string text = metrics.RenderText();
  for (const char* want : {"prognos_wal_bytes ", "prognos_wal_fsync_duration_seconds_count 2",
                           "prognos_wal_repairs_total 0", "prognos_wal_truncated_bytes_total 0",
                           "prognos_wal_records_replayed_total 0", "prognos_storage_series 2",
                           "prognos_storage_head_samples 2"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
}

// Policy never skips the fsync at segment roll; an explicit Sync() then covers those segments
// too (one sync round: the rolled segments, the directory, the current segment).
TEST(StorageTest, SyncUnderPolicyNeverCoversRolledSegments) {
  TempDir dir;
  StorageOptions o = Options(dir.path());
  o.wal_segment_bytes = 4096;
  auto s = MustOpen(o);
  for (int i = 0; i < 400; ++i) CommitOne(*s, Metric("cpu", "h1"), i, i);
  EXPECT_EQ(s->Stats().wal_fsyncs, 0u);
  ASSERT_TRUE(s->Sync().has_value());
  EXPECT_EQ(s->Stats().wal_fsyncs, 1u);
  ASSERT_TRUE(s->Sync().has_value());  // nothing new: no second fsync
  EXPECT_EQ(s->Stats().wal_fsyncs, 1u);
}

TEST(StorageTest, HugeLabelSetIsRejectedAndTheRestOfTheBatchKept) {
  TempDir dir;
  auto s = MustOpen(Options(dir.path()));
  const Labels huge = L({{"__name__", "cpu"}, {"note", std::string((1u << 20) + 1, 'x')}});
  auto r = MustCommit(*s, {{huge, {1, 1}}, {Metric("cpu", "h1"), {1, 1}}});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(Describe(r[0]), "too_large");
  EXPECT_EQ(Describe(r[1]), "stored");
  EXPECT_EQ(s->Stats().series, 1u);
}

// A checksummed record that does not fit the head (samples of a series never declared) cannot
// come from our writer; replay skips it, logs it and goes on - it is not a repair.
TEST(StorageTest, ReplaySkipsSamplesOfUnknownSeriesAndLogsThem) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/wal");
  std::string bytes("PGWL\x01\0\0\0", 8);
  std::string body;
  const Labels known = Metric("cpu", "h1");
  EncodeSeriesBody(known.Hash(), known, &body);
  AppendFramedRecord(WalRecordType::kSeries, body, &bytes);
  SamplesRecordBuilder b(&bytes);
  const Sample one[] = {{1000, 1.0}};
  b.AddGroup(known.Hash(), one, 1);
  b.AddGroup(12345, one, 1);  // no series record for 12345
  b.Finish();
  std::ofstream(dir.path() + "/wal/00000001", std::ios::binary) << bytes;

  std::vector<std::string> logs;
  auto s = Storage::Open(Options(dir.path()), nullptr,
                         [&logs](const std::string& m) { logs.push_back(m); });
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ((*s)->Stats().samples, 1u);
  EXPECT_EQ((*s)->Stats().wal_repairs, 0u);
  EXPECT_EQ((*s)->Stats().replayed_records, 2u);
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_NE(logs[0].find("skipped 1 inconsistent sample"), std::string::npos) << logs[0];
}

TEST(StorageTest, SecondOpenOfTheSameDirIsRefusedUntilTheFirstCloses) {
  TempDir dir;
  auto first = MustOpen(Options(dir.path()));
  auto second = Storage::Open(Options(dir.path()), nullptr);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  first.reset();
  EXPECT_TRUE(Storage::Open(Options(dir.path()), nullptr).has_value());
}

// The interval policy returns from Commit after write(); a background thread fsyncs. The test
// waits for that thread's first fsync by polling a counter (bounded), not by sleeping.
TEST(StorageTest, IntervalPolicyFsyncsInTheBackground) {
  TempDir dir;
  StorageOptions o = Options(dir.path(), FsyncPolicy::kInterval);
  o.fsync_interval_ms = 1;
  auto s = MustOpen(o);
  ASSERT_EQ(Describe(CommitOne(*s, Metric("cpu", "h1"), 1, 1)), "stored");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (s->Stats().wal_fsyncs == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_GE(s->Stats().wal_fsyncs, 1u);
}

// A write that fails part-way (here: the file size limit, EFBIG) is cut back: the commit fails
// with kIo, nothing of it is applied, no torn record stays behind, and the store keeps working.
TEST(StorageTest, FailedWriteAppliesNothingAndLeavesNoTornRecord) {
  TempDir dir;
  StorageOptions o = Options(dir.path());
  o.wal_preallocate_bytes = 0;  // the write itself must fail part-way, not the reservation
  auto s = MustOpen(o);
  const Labels l = Metric("cpu", "h1");
  ASSERT_EQ(Describe(CommitOne(*s, l, 1000, 1)), "stored");
  const StorageStats before = s->Stats();
  const std::string segment = dir.path() + "/wal/00000001";
  ASSERT_EQ(std::filesystem::file_size(segment), before.wal_bytes);

  Appender app = s->NewAppender();
  app.Add(l, {2000, 2});
  for (int i = 0; i < 200; ++i) app.Add(Metric("mem", Name("h", i)), {2000, 1});
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit lim = old;
  lim.rlim_cur = before.wal_bytes + 100;  // the batch needs ~4 KiB: a partial write, then EFBIG
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &lim), 0);
  auto r = app.Commit();
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, SIG_DFL);

  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_EQ(s->Stats().samples, before.samples);
  EXPECT_EQ(s->Stats().series, before.series);
  EXPECT_EQ(s->Stats().wal_bytes, before.wal_bytes);
  EXPECT_EQ(std::filesystem::file_size(segment), before.wal_bytes);
  EXPECT_FALSE(s->GetSeries(Metric("mem", "h0").Hash()).has_value());

  EXPECT_EQ(Describe(CommitOne(*s, l, 2000, 2)), "stored");
  s.reset();
  s = MustOpen(Options(dir.path()));
  EXPECT_EQ(s->Stats().wal_repairs, 0u);
  EXPECT_EQ(s->Stats().samples, 2u);
}

// Several threads commit with fsync=always; each Commit returns only once its samples are
// durable, and concurrent committers share fsyncs. Every acknowledged sample survives reopen.
void RunGroupCommit(std::uint64_t segment_bytes) {
  TempDir dir;
  constexpr int kThreads = 8;
  constexpr int kCommits = 100;
  MetricsRegistry metrics;
  StorageOptions o = Options(dir.path(), FsyncPolicy::kAlways);
  o.wal_segment_bytes = segment_bytes;
  {
    auto s = MustOpen(o, &metrics);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&s, t] {
        const Labels l = Metric("cpu", Name("host-", t));
        for (int i = 0; i < kCommits; ++i) {
          Appender app = s->NewAppender();
          app.Add(l, {i * 1000, static_cast<double>(t * kCommits + i)});
          app.Add(Metric("shared", "all"), {i * 1000, 1.0});  // contended series: stored once
          auto r = app.Commit();
          ASSERT_TRUE(r.has_value());
          ASSERT_EQ((*r)[0].outcome, SampleOutcome::kStored);
          ASSERT_NE((*r)[1].outcome, SampleOutcome::kRejected);
        }
      });
    }
    for (auto& th : threads) th.join();
    // Reads may run concurrently with appends; here they simply see the final state.
    EXPECT_EQ(s->Stats().samples, static_cast<std::uint64_t>(kThreads * kCommits + kCommits));
  }
  const std::string text = metrics.RenderText();
  const std::string key = "prognos_wal_fsync_duration_seconds_count ";
  const auto pos = text.find(key);
  ASSERT_NE(pos, std::string::npos);
  const std::uint64_t fsyncs = std::stoull(text.substr(pos + key.size()));
  // One fsync per commit at most; with 8 committers, sharing normally makes it far fewer.
  EXPECT_LE(fsyncs, static_cast<std::uint64_t>(kThreads * kCommits));
  std::printf("group commit: %d commits, %llu fsyncs (segments of %llu bytes)\n",
              kThreads * kCommits, static_cast<unsigned long long>(fsyncs),
              static_cast<unsigned long long>(segment_bytes));

  auto s = MustOpen(Options(dir.path()));
  for (int t = 0; t < kThreads; ++t) {
    const auto got = s->ReadSamples(Metric("cpu", Name("host-", t)).Hash(), 0, INT64_MAX);
    ASSERT_EQ(got.size(), static_cast<std::size_t>(kCommits));
    for (int i = 0; i < kCommits; ++i) EXPECT_EQ(got[i].v, t * kCommits + i);
  }
  EXPECT_EQ(s->ReadSamples(Metric("shared", "all").Hash(), 0, INT64_MAX).size(),
            static_cast<std::size_t>(kCommits));
  EXPECT_EQ(s->Stats().wal_repairs, 0u);
}

TEST(StorageGroupCommitTest, ConcurrentCommittersAreAllDurable) { RunGroupCommit(128ull << 20); }

// Segments roll every few commits, while a sync leader may still hold the previous segment.
TEST(StorageGroupCommitTest, ConcurrentCommittersAcrossSegmentRolls) { RunGroupCommit(4096); }

TEST(StorageGroupCommitTest, ReadersRunConcurrentlyWithAppends) {
  TempDir dir;
  auto s = MustOpen(Options(dir.path()));
  const Labels l = Metric("cpu", "h1");
  std::atomic<bool> done{false};
  std::thread reader([&] {
    std::size_t last = 0;
    while (!done.load()) {
      const auto got = s->ReadSamples(l.Hash(), 0, INT64_MAX);
      EXPECT_GE(got.size(), last);  // monotone: a reader never sees a partial commit undone
      for (std::size_t i = 1; i < got.size(); ++i) EXPECT_LT(got[i - 1].t, got[i].t);
      last = got.size();
      (void)s->ListSeries();
      (void)s->Stats();
    }
  });
  for (int i = 0; i < 2000; ++i) CommitOne(*s, l, i, i);
  done.store(true);
  reader.join();
  EXPECT_EQ(s->Stats().samples, 2000u);
}

}  // namespace
}  // namespace prognos::store
