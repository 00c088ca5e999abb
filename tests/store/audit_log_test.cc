#include "store/audit_log.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "store/test_util.h"

namespace prognos::store {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr TimestampMs kAnyTime = std::numeric_limits<TimestampMs>::min();

// Record i (1-based) of the fixtures below: t = i, kind "decision", bytes Payload(i) (9 bytes).
// Frame size by hand (docs/formats/audit.md): 8 (length + CRC) + 8 (seq) + 1 (varint t = i,
// zigzag 2i < 128) + 1 (kind length) + 8 ("decision") + 9 (payload) = 35 bytes.
constexpr std::uint64_t kFrame = 35;
constexpr std::uint64_t kHeader = 8;

// Always 9 bytes: "p-0000001".
std::string Payload(std::uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "p-%07llu", static_cast<unsigned long long>(i));
  return buf;
}

AuditLogOptions Opts(AuditFsync fsync, std::uint64_t segment_bytes = 64ull << 20,
                     std::uint32_t batch_appends = 64) {
  AuditLogOptions o;
  o.fsync = fsync;
  o.segment_bytes = segment_bytes;
  o.batch_appends = batch_appends;
  return o;
}

std::unique_ptr<AuditLog> OpenOrDie(const std::string& dir, AuditLogOptions options = {}) {
  auto log = AuditLog::Open(dir, std::move(options));
  EXPECT_TRUE(log.has_value()) << (log ? "" : log.error().message);
  return log ? std::move(*log) : nullptr;
}

void AppendN(AuditLog& log, std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t i = from; i <= to; ++i) {
    auto seq = log.Append(static_cast<TimestampMs>(i), "decision", Payload(i));
    ASSERT_TRUE(seq.has_value()) << seq.error().message;
    ASSERT_EQ(*seq, i);
  }
}

struct Seen {
  std::uint64_t seq;
  TimestampMs t;
  std::string kind;
  std::string bytes;
};

std::vector<Seen> ScanAll(const AuditLog& log, std::uint64_t since_seq = 0,
                          TimestampMs since_t = kAnyTime, std::size_t limit = 0) {
  std::vector<Seen> out;
  auto n = log.Scan(since_seq, since_t, limit, [&out](const AuditRecord& r) {
    out.push_back(Seen{r.seq, r.t, std::string(r.kind), std::string(r.bytes)});
    return true;
  });
  EXPECT_TRUE(n.has_value()) << n.error().message;
  if (n) {
    EXPECT_EQ(*n, out.size());
  }
  return out;
}

std::vector<std::uint64_t> Seqs(const std::vector<Seen>& seen) {
  std::vector<std::uint64_t> out;
  out.reserve(seen.size());
  for (const Seen& s : seen) out.push_back(s.seq);
  return out;
}

std::string Segment(const std::string& dir, int index) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "/%08d", index);
  return dir + buf;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

TEST(AuditLogTest, AppendScanAndReopenKeepTheSequence) {
  TempDir dir;
  {
    auto log = OpenOrDie(dir.path());
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->size(), 0u);
    EXPECT_EQ(log->last_seq(), 0u);
    AppendN(*log, 1, 3);
    EXPECT_EQ(log->size(), 3u);
    EXPECT_EQ(log->last_seq(), 3u);
    const auto seen = ScanAll(*log);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[1].seq, 2u);
    EXPECT_EQ(seen[1].t, 2);
    EXPECT_EQ(seen[1].kind, "decision");
    EXPECT_EQ(seen[1].bytes, "p-0000002");
  }
  // The file holds exactly the header and three frames of 35 bytes (see kFrame).
  EXPECT_EQ(fs::file_size(Segment(dir.path(), 1)), kHeader + 3 * kFrame);
  auto log = OpenOrDie(dir.path());
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->size(), 3u);
  EXPECT_EQ(log->last_seq(), 3u);
  EXPECT_EQ(log->stats().repairs, 0u);
  auto seq = log->Append(-5, "outcome", std::string("\0bin\xff", 5));
  ASSERT_TRUE(seq.has_value());
  EXPECT_EQ(*seq, 4u);
  const auto seen = ScanAll(*log);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[3].t, -5);
  EXPECT_EQ(seen[3].kind, "outcome");
  EXPECT_EQ(seen[3].bytes, std::string("\0bin\xff", 5));
}

TEST(AuditLogTest, RecordBytesMatchTheDocumentedExample) {
  TempDir dir;
  {
    auto log = OpenOrDie(dir.path());
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Append(1700000000000, "outcome", R"({"v":1})").has_value());
  }
  // docs/formats/audit.md: segment header, then the example record. CRC by Python's zlib.crc32.
  const unsigned char want[] = {
      0x50, 0x47, 0x41, 0x55, 0x01, 0x00, 0x00, 0x00,  // "PGAU", version 1, reserved
      0x1D, 0x00, 0x00, 0x00,                          // length 29
      0x7E, 0xF3, 0x5B, 0x46,                          // crc32
      0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq 1
      0x80, 0xA0, 0xAB, 0xFE, 0xF9, 0x62,              // varint t
      0x07, 'o',  'u',  't',  'c',  'o',  'm',  'e',   // kind
      '{',  '"',  'v',  '"',  ':',  '1',  '}',         // bytes
  };
  EXPECT_EQ(ReadFile(Segment(dir.path(), 1)),
            std::string(reinterpret_cast<const char*>(want), sizeof want));
}

TEST(AuditLogTest, ScanFiltersBySeqTimeAndLimit) {
  TempDir dir;
  auto log = OpenOrDie(dir.path(), Opts(AuditFsync::kNone));
  ASSERT_NE(log, nullptr);
  // Times are not monotone in seq: record i has t = times[i - 1].
  const std::vector<TimestampMs> times = {50, 10, 90, 30, 70, 20, 80, 60, 40, 100};
  for (std::size_t i = 0; i < times.size(); ++i) {
    ASSERT_TRUE(log->Append(times[i], "decision", Payload(i + 1)).has_value());
  }
  struct Case {
    std::string name;
    std::uint64_t since_seq;
    TimestampMs since_t;
    std::size_t limit;
    std::vector<std::uint64_t> want;
  };
  const std::vector<Case> cases = {
      {"everything", 0, kAnyTime, 0, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
      {"since seq 1 is everything", 1, kAnyTime, 0, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
      {"since seq 7", 7, kAnyTime, 0, {7, 8, 9, 10}},
      {"since t 70 (t ≥ 70: 90, 70, 80, 100)", 0, 70, 0, {3, 5, 7, 10}},
      {"since seq 4 and t 60 (70, 80, 60, 100)", 4, 60, 0, {5, 7, 8, 10}},
      {"limit 3", 0, kAnyTime, 3, {1, 2, 3}},
      {"since t 45 limit 2 (50, 90)", 0, 45, 2, {1, 3}},
      {"past the end", 11, kAnyTime, 0, {}},
      {"no time that late", 0, 101, 0, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Seqs(ScanAll(*log, c.since_seq, c.since_t, c.limit)), c.want);
  }
  // The visitor stops the scan by returning false.
  std::vector<std::uint64_t> seen;
  auto n = log->Scan(0, kAnyTime, 0, [&seen](const AuditRecord& r) {
    seen.push_back(r.seq);
    return seen.size() < 2;
  });
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2}));
}

TEST(AuditLogTest, ScanBySeqSeeksAcrossSegmentsAndIndexEntries) {
  TempDir dir;
  // 4 KiB segments hold 116 records of 35 bytes ((4096 - 8) / 35 = 116.8, rounded down): 300
  // records span 3 segments, and each segment's seek index has entries every 64 records.
  auto log = OpenOrDie(dir.path(), Opts(AuditFsync::kNone, 4096));
  ASSERT_NE(log, nullptr);
  for (std::uint64_t i = 1; i <= 300; ++i) {
    ASSERT_TRUE(log->Append(1, "decision", "payload-x").has_value());
  }
  EXPECT_EQ(log->stats().segments, 3u);
  for (std::uint64_t since :
       {1ull, 63ull, 64ull, 65ull, 116ull, 117ull, 130ull, 181ull, 233ull, 300ull}) {
    SCOPED_TRACE(since);
    const auto seen = ScanAll(*log, since, kAnyTime, 1);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].seq, since);
  }
}

TEST(AuditLogTest, SegmentsRotateAtTheSizeLimit) {
  TempDir dir;
  // 100-byte segments: header 8 + two frames = 78; a third would make 113 > 100, so each
  // segment holds two records and ten records make five segments.
  const AuditLogOptions options = Opts(AuditFsync::kNone, 100);
  {
    auto log = OpenOrDie(dir.path(), options);
    ASSERT_NE(log, nullptr);
    AppendN(*log, 1, 10);
    EXPECT_EQ(log->stats().segments, 5u);
    EXPECT_EQ(log->stats().bytes, 5 * (kHeader + 2 * kFrame));
  }
  for (int i = 1; i <= 5; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(fs::file_size(Segment(dir.path(), i)), kHeader + 2 * kFrame);
  }
  EXPECT_FALSE(fs::exists(Segment(dir.path(), 6)));
  auto log = OpenOrDie(dir.path(), options);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_seq(), 10u);
  AppendN(*log, 11, 11);
  EXPECT_EQ(Seqs(ScanAll(*log)), (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_TRUE(fs::exists(Segment(dir.path(), 6)));
}

TEST(AuditLogTest, DamagedTailIsTruncatedLoggedAndCounted) {
  // Five records in one segment: frame k (1-based) spans [8 + 35 (k - 1), 8 + 35 k); the file
  // is 183 bytes.
  struct Case {
    std::string name;
    std::function<void(std::string&)> damage;
    std::uint64_t want_records;
    std::uint64_t want_truncated;
    std::string want_reason;
  };
  const std::vector<Case> cases = {
      {"torn body", [](std::string& d) { d.resize(d.size() - 3); }, 4, kFrame - 3, "torn record"},
      // 148 = header + 4 frames; 4 bytes of the fifth frame's header remain.
      {"torn record header", [](std::string& d) { d.resize(152); }, 4, 4, "torn record header"},
      // A payload byte of record 3 (offset 8 + 70 + 30) flipped: records 3..5 go.
      {"bad CRC", [](std::string& d) { d[108] ^= 0x01; }, 2, 3 * kFrame, "checksum mismatch"},
      // Record 4's length field (offset 8 + 105) set to 0.
      {"zero length",
       [](std::string& d) {
         for (int i = 0; i < 4; ++i) d[113 + i] = 0;
       },
       3, 2 * kFrame, "implausible record length 0"},
      {"garbage after the last record", [](std::string& d) { d += std::string(20, '\x7f'); }, 5, 20,
       "implausible record length"},
      {"bad magic", [](std::string& d) { d[0] = 'X'; }, 0, kHeader + 5 * kFrame,
       "bad segment magic"},
      {"empty file", [](std::string& d) { d.clear(); }, 0, 0, "empty segment"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    {
      auto log = OpenOrDie(dir.path());
      ASSERT_NE(log, nullptr);
      AppendN(*log, 1, 5);
    }
    const std::string path = Segment(dir.path(), 1);
    std::string data = ReadFile(path);
    ASSERT_EQ(data.size(), kHeader + 5 * kFrame);
    c.damage(data);
    WriteFile(path, data);

    std::vector<std::string> logged;
    AuditLogOptions options;
    options.log = [&logged](const std::string& m) { logged.push_back(m); };
    auto log = OpenOrDie(dir.path(), options);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->size(), c.want_records);
    EXPECT_EQ(log->last_seq(), c.want_records);
    EXPECT_EQ(log->stats().repairs, 1u);
    EXPECT_EQ(log->stats().truncated_bytes, c.want_truncated);
    ASSERT_EQ(logged.size(), 1u);
    EXPECT_NE(logged[0].find(c.want_reason), std::string::npos) << logged[0];
    // Appending goes on right after the last good record, with the next seq.
    auto seq = log->Append(9, "decision", Payload(9));
    ASSERT_TRUE(seq.has_value());
    EXPECT_EQ(*seq, c.want_records + 1);
    EXPECT_EQ(ScanAll(*log).size(), c.want_records + 1);
    EXPECT_EQ(fs::file_size(path), kHeader + (c.want_records + 1) * kFrame);
    log.reset();
    // And the repaired log opens clean.
    auto again = OpenOrDie(dir.path());
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(again->stats().repairs, 0u);
    EXPECT_EQ(again->size(), c.want_records + 1);
  }
}

TEST(AuditLogTest, RepairsAppendsAndBytesAreExportedAsMetrics) {
  TempDir dir;
  {
    auto log = OpenOrDie(dir.path());
    ASSERT_NE(log, nullptr);
    AppendN(*log, 1, 5);
  }
  // Cut 3 bytes off record 5: the repair truncates its other 32 bytes, leaving 8 + 4 × 35 = 148.
  fs::resize_file(Segment(dir.path(), 1), kHeader + 5 * kFrame - 3);
  MetricsRegistry metrics;
  AuditLogOptions options;
  options.metrics = &metrics;
  auto log = OpenOrDie(dir.path(), options);
  ASSERT_NE(log, nullptr);
  AppendN(*log, 5, 6);  // 148 + 2 × 35 = 218 bytes
  const std::string text = metrics.RenderText();
  for (const char* line :
       {"prognos_audit_repairs_total 1\n", "prognos_audit_truncated_bytes_total 32\n",
        "prognos_audit_appends_total 2\n", "prognos_audit_bytes 218\n"}) {
    SCOPED_TRACE(line);
    EXPECT_NE(text.find(line), std::string::npos) << text;
  }
}

TEST(AuditLogTest, DamageInAnEarlierSegmentDropsTheLaterOnes) {
  TempDir dir;
  const AuditLogOptions options = Opts(AuditFsync::kNone, 100);
  {
    auto log = OpenOrDie(dir.path(), options);
    ASSERT_NE(log, nullptr);
    AppendN(*log, 1, 6);  // segments 1: {1, 2}, 2: {3, 4}, 3: {5, 6}
  }
  std::string seg2 = ReadFile(Segment(dir.path(), 2));
  seg2[kHeader + 20] ^= 0x40;  // inside record 3's body
  WriteFile(Segment(dir.path(), 2), seg2);
  auto log = OpenOrDie(dir.path(), options);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_seq(), 2u);
  // Cut: both frames of segment 2 (70) and all of segment 3 (78).
  EXPECT_EQ(log->stats().truncated_bytes, 2 * kFrame + kHeader + 2 * kFrame);
  EXPECT_FALSE(fs::exists(Segment(dir.path(), 3)));
  EXPECT_EQ(fs::file_size(Segment(dir.path(), 2)), kHeader);
  AppendN(*log, 3, 3);
  EXPECT_EQ(Seqs(ScanAll(*log)), (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST(AuditLogTest, NewerFormatVersionIsRefusedAndLeftAlone) {
  TempDir dir;
  {
    auto log = OpenOrDie(dir.path());
    ASSERT_NE(log, nullptr);
    AppendN(*log, 1, 2);
  }
  std::string data = ReadFile(Segment(dir.path(), 1));
  data[4] = 2;
  WriteFile(Segment(dir.path(), 1), data);
  auto log = AuditLog::Open(dir.path(), {});
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().code, ErrorCode::kCorruption);
  EXPECT_EQ(ReadFile(Segment(dir.path(), 1)), data);
}

TEST(AuditLogTest, SecondOpenOfTheSameDirectoryIsRefused) {
  TempDir dir;
  auto first = OpenOrDie(dir.path());
  ASSERT_NE(first, nullptr);
  auto second = AuditLog::Open(dir.path(), {});
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
}

TEST(AuditLogTest, OversizedRecordsAreRefusedAndNothingIsWritten) {
  TempDir dir;
  auto log = OpenOrDie(dir.path());
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->Append(1, std::string(256, 'k'), "x").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(log->Append(1, "decision", std::string(16u << 20, 'x')).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(log->size(), 0u);
  EXPECT_EQ(fs::file_size(Segment(dir.path(), 1)), kHeader);
  // Still usable.
  AppendN(*log, 1, 1);
}

TEST(AuditLogTest, FsyncModesSyncAsDocumented) {
  struct Case {
    std::string name;
    AuditFsync mode;
    std::uint32_t batch;
    std::uint64_t want_fsyncs;  // after 10 appends
  };
  const std::vector<Case> cases = {
      {"every append", AuditFsync::kEveryAppend, 64, 10},
      {"batched by 4: after appends 4 and 8", AuditFsync::kBatched, 4, 2},
      {"none", AuditFsync::kNone, 64, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    auto log = OpenOrDie(dir.path(), Opts(c.mode, 64ull << 20, c.batch));
    ASSERT_NE(log, nullptr);
    AppendN(*log, 1, 10);
    EXPECT_EQ(log->stats().fsyncs, c.want_fsyncs);
    ASSERT_TRUE(log->Sync().has_value());
    EXPECT_EQ(log->stats().fsyncs, c.want_fsyncs + 1);
  }
}

TEST(AuditLogTest, ConcurrentReadersSeeConsistentPrefixes) {
  TempDir dir;
  auto log = OpenOrDie(dir.path(), Opts(AuditFsync::kNone, 8192));
  ASSERT_NE(log, nullptr);
  constexpr std::uint64_t kRecords = 3000;
  std::thread writer([&log] {
    for (std::uint64_t i = 1; i <= kRecords; ++i) {
      std::string bytes = "r";
      bytes += std::to_string(i);
      if (!log->Append(static_cast<TimestampMs>(i), "decision", bytes)) return;
    }
  });
  // Readers scan until they see everything; every scan must be a gap-free prefix whose
  // payloads match their seqs.
  std::uint64_t scans = 0;
  bool ok = true;
  std::uint64_t seen = 0;
  while (seen < kRecords && ok) {
    std::uint64_t expect = 1;
    auto n = log->Scan(0, kAnyTime, 0, [&](const AuditRecord& r) {
      std::string want = "r";
      want += std::to_string(expect);
      if (r.seq != expect || r.bytes != want || r.t != static_cast<TimestampMs>(expect)) {
        ok = false;
        return false;
      }
      ++expect;
      return true;
    });
    ok = ok && n.has_value();
    seen = expect - 1;
    EXPECT_LE(seen, log->last_seq());
    ++scans;
  }
  writer.join();
  EXPECT_TRUE(ok);
  EXPECT_EQ(seen, kRecords);
  EXPECT_GE(scans, 1u);
  EXPECT_EQ(ScanAll(*log).size(), kRecords);
}

TEST(AuditLogTest, AcknowledgedRecordsSurviveKillNine) {
  // A child process appends (fsync per append) and reports each acknowledged seq through a
  // pipe; the parent kills it with SIGKILL mid-stream and reopens the log. (A process kill
  // cannot show the fsync at work - the page cache survives it - but it shows that nothing
  // acknowledged is held back in user space and that the torn tail, if any, is repaired.)
  TempDir dir;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto log = AuditLog::Open(dir.path(), {});
    if (!log) ::_exit(2);
    for (std::uint64_t i = 1;; ++i) {
      auto seq = (*log)->Append(static_cast<TimestampMs>(i), "decision", Payload(i));
      if (!seq || ::write(fds[1], &*seq, sizeof *seq) != sizeof *seq) ::_exit(3);
    }
  }
  ::close(fds[1]);
  std::uint64_t acked = 0;
  std::uint64_t seq = 0;
  while (acked < 200 && ::read(fds[0], &seq, sizeof seq) == sizeof seq) acked = seq;
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(acked, 200u);

  auto log = OpenOrDie(dir.path());
  ASSERT_NE(log, nullptr);
  EXPECT_GE(log->last_seq(), acked);
  const auto seen = ScanAll(*log, 1, kAnyTime, acked);
  ASSERT_EQ(seen.size(), acked);
  for (std::uint64_t i = 1; i <= acked; ++i) {
    ASSERT_EQ(seen[i - 1].seq, i);
    ASSERT_EQ(seen[i - 1].bytes, Payload(i));
  }
}

}  // namespace
}  // namespace prognos::store
