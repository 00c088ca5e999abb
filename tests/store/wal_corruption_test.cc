// Damaged WALs: every case must open, count one repair, serve exactly what lies before the damage,
// and accept appends afterwards (docs/formats/wal.md, "Recovery").
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "store/storage.h"
#include "store/test_util.h"
#include "store/wal.h"

namespace prognos::store {
namespace {

namespace fs = std::filesystem;
using testing::Metric;
using testing::Name;
using testing::TempDir;

constexpr int kCommits = 300;
constexpr int kSeries = 5;

// Where a commit's bytes ended: segment file index and that file's size right after it.
struct CommitEnd {
  std::uint32_t segment;
  std::uint64_t end;
};

struct Segment {
  std::uint32_t index;
  fs::path path;
  std::uint64_t size;
};

std::vector<Segment> Segments(const std::string& dir) {
  std::vector<Segment> out;
  for (const auto& e : fs::directory_iterator(dir + "/wal")) {
    out.push_back({static_cast<std::uint32_t>(std::stoul(e.path().filename().string())), e.path(),
                   static_cast<std::uint64_t>(fs::file_size(e.path()))});
  }
  std::sort(out.begin(), out.end(),
            [](const Segment& a, const Segment& b) { return a.index < b.index; });
  return out;
}

StorageOptions Options(const std::string& dir) {
  StorageOptions o;
  o.dir = dir;
  o.fsync = FsyncPolicy::kNever;
  o.wal_segment_bytes = 4096;  // ~100 single-sample commits per segment: 3+ segments
  // The cases read each commit's end from the segment's file size: no reserved tail (the
  // reserved-tail cases are WalPreallocationTest's).
  o.wal_preallocate_bytes = 0;
  return o;
}

Labels SeriesOf(int i) { return Metric("cpu", Name("host-", i % kSeries)); }

// Commit i stores (i * 1000, i) in series i % 5, one commit per sample.
std::vector<CommitEnd> BuildWal(const std::string& dir) {
  std::vector<CommitEnd> ends;
  auto s = Storage::Open(Options(dir), nullptr);
  EXPECT_TRUE(s.has_value());
  for (int i = 0; i < kCommits; ++i) {
    Appender app = (*s)->NewAppender();
    app.Add(SeriesOf(i), {i * 1000, static_cast<double>(i)});
    EXPECT_TRUE(app.Commit().has_value());
    const Segment last = Segments(dir).back();
    ends.push_back({last.index, last.size});
  }
  return ends;
}

std::uint64_t CommitStart(const std::vector<CommitEnd>& ends, int i) {
  if (i > 0 && ends[i - 1].segment == ends[i].segment) return ends[i - 1].end;
  return kSegmentHeaderBytes;
}

void FlipBit(const fs::path& p, std::uint64_t offset, int bit = 0) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  c = static_cast<char>(c ^ (1 << bit));
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(c);
}

void AppendBytes(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::app | std::ios::binary);
  f << bytes;
}

// Damage is described by where the first bad byte is: (segment index, offset). Everything that
// ended at or before it must survive; nothing after it may.
struct Damage {
  std::uint32_t segment;
  std::uint64_t offset;
  bool repaired = true;
};

struct Case {
  const char* name;
  // Damages the WAL; returns where the damage starts.
  std::function<Damage(const std::vector<Segment>&, const std::vector<CommitEnd>&)> damage;
};

TEST(WalCorruptionTest, OpenRepairsServesThePrefixAndAcceptsAppends) {
  const auto last_commit = kCommits - 1;
  const Case cases[] = {
      {"clean log needs no repair",
       [](const auto& segs, const auto&) {
         return Damage{segs.back().index, segs.back().size, false};
       }},
      {"torn inside the last record header",
       [&](const auto& segs, const auto& ends) {
         const auto start = CommitStart(ends, last_commit);
         fs::resize_file(segs.back().path, start + 3);
         return Damage{segs.back().index, start};
       }},
      {"torn right after the last record header",
       [&](const auto& segs, const auto& ends) {
         const auto start = CommitStart(ends, last_commit);
         fs::resize_file(segs.back().path, start + kRecordHeaderBytes);
         return Damage{segs.back().index, start};
       }},
      {"torn one byte before the end",
       [&](const auto& segs, const auto& ends) {
         fs::resize_file(segs.back().path, segs.back().size - 1);
         return Damage{segs.back().index, CommitStart(ends, last_commit)};
       }},
      {"torn inside an earlier record of the last segment",
       [&](const auto& segs, const auto& ends) {
         const auto start = CommitStart(ends, last_commit - 3);
         EXPECT_EQ(ends[last_commit - 3].segment, segs.back().index);
         fs::resize_file(segs.back().path, start + 11);
         return Damage{segs.back().index, start};
       }},
      {"bit flipped in the last record's CRC",
       [&](const auto& segs, const auto& ends) {
         const auto start = CommitStart(ends, last_commit);
         FlipBit(segs.back().path, start + 5);
         return Damage{segs.back().index, start};
       }},
      {"bit flipped in the last record's body",
       [&](const auto& segs, const auto& ends) {
         FlipBit(segs.back().path, segs.back().size - 2, 3);
         return Damage{segs.back().index, CommitStart(ends, last_commit)};
       }},
      {"bit flipped in the last record's length",
       [&](const auto& segs, const auto& ends) {
         const auto start = CommitStart(ends, last_commit);
         FlipBit(segs.back().path, start + 3, 7);  // length becomes > 2^31: over the limit
         return Damage{segs.back().index, start};
       }},
      {"bit flipped in the record type",
       [&](const auto& segs, const auto& ends) {
         const auto start = CommitStart(ends, last_commit - 1);
         FlipBit(segs.back().path, start + kRecordHeaderBytes, 4);
         return Damage{segs.back().index, start};
       }},
      {"garbage appended",
       [](const auto& segs, const auto&) {
         std::string junk;
         std::uint32_t x = 12345;
         for (int i = 0; i < 37; ++i) {
           x = x * 1103515245 + 12345;
           junk.push_back(static_cast<char>(x >> 16));
         }
         AppendBytes(segs.back().path, junk);
         return Damage{segs.back().index, segs.back().size};
       }},
      {"zero-filled tail (reserved space after a crash) is the end of the log, not damage",
       [](const auto& segs, const auto&) {
         AppendBytes(segs.back().path, std::string(4096, '\0'));
         return Damage{segs.back().index, segs.back().size, false};
       }},
      {"zero-length next segment (crash right after creating it)",
       [](const auto& segs, const auto&) {
         char name[16];
         std::snprintf(name, sizeof name, "%08u", segs.back().index + 1);
         std::ofstream(segs.back().path.parent_path() / name, std::ios::binary);
         return Damage{segs.back().index + 1, 0};
       }},
      {"last segment's header damaged",
       [](const auto& segs, const auto&) {
         FlipBit(segs.back().path, 1);
         return Damage{segs.back().index, 0};
       }},
      {"bit flipped in an earlier segment drops the later ones",
       [&](const auto& segs, const auto& ends) {
         int victim = 0;
         while (ends[victim].segment != segs.front().index || victim < 40) ++victim;
         const auto start = CommitStart(ends, victim);
         FlipBit(segs.front().path, ends[victim].end - 1);
         return Damage{segs.front().index, start};
       }},
  };

  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    const std::vector<CommitEnd> ends = BuildWal(dir.path());
    const std::vector<Segment> before = Segments(dir.path());
    ASSERT_GE(before.size(), 3u);
    const Damage d = c.damage(before, ends);

    // Bytes the repair must cut: the damaged segment from the damage on, and all later ones.
    std::uint64_t want_cut = 0;
    for (const auto& seg : d.repaired ? Segments(dir.path()) : std::vector<Segment>{}) {
      if (seg.index == d.segment) want_cut += seg.size - d.offset;
      if (seg.index > d.segment) want_cut += seg.size;
    }
    auto survives = [&](int i) {
      return ends[i].segment < d.segment ||
             (ends[i].segment == d.segment && ends[i].end <= d.offset);
    };

    std::vector<std::string> logs;
    MetricsRegistry metrics;
    {
      auto opened = Storage::Open(Options(dir.path()), &metrics,
                                  [&logs](const std::string& m) { logs.push_back(m); });
      ASSERT_TRUE(opened.has_value()) << opened.error().message;
      Storage& s = **opened;
      const StorageStats st = s.Stats();
      EXPECT_EQ(st.wal_repairs, d.repaired ? 1u : 0u);
      EXPECT_EQ(st.wal_truncated_bytes, want_cut);
      EXPECT_EQ(logs.size(), d.repaired ? 1u : 0u);
      if (d.repaired) {
        const std::string text = metrics.RenderText();
        EXPECT_NE(text.find("prognos_wal_repairs_total 1"), std::string::npos);
        EXPECT_NE(text.find("prognos_wal_truncated_bytes_total " + std::to_string(want_cut)),
                  std::string::npos);
      }
      int survivors = 0;
      for (int i = 0; i < kCommits; ++i) {
        const auto got = s.ReadSamples(SeriesOf(i).Hash(), i * 1000, i * 1000);
        ASSERT_EQ(got.size(), survives(i) ? 1u : 0u) << "commit " << i;
        if (survives(i)) {
          EXPECT_EQ(got[0].v, i);
          ++survivors;
        }
      }
      EXPECT_EQ(st.samples, static_cast<std::uint64_t>(survivors));
      EXPECT_GT(survivors, 0);

      // Appends work on the repaired log, including the samples the damage lost.
      Appender app = s.NewAppender();
      for (int i = 0; i < kCommits; ++i) {
        if (!survives(i)) app.Add(SeriesOf(i), {i * 1000, static_cast<double>(i)});
      }
      for (int k = 0; k < kSeries; ++k) app.Add(SeriesOf(k), {10'000'000, -1.0});
      auto r = app.Commit();
      ASSERT_TRUE(r.has_value());
      for (const auto& x : *r) EXPECT_EQ(x.outcome, SampleOutcome::kStored);
    }
    // And the repaired, appended log reopens clean with everything in it.
    auto again = Storage::Open(Options(dir.path()), nullptr);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ((*again)->Stats().wal_repairs, 0u);
    EXPECT_EQ((*again)->Stats().samples, static_cast<std::uint64_t>(kCommits + kSeries));
  }
}

TEST(WalCorruptionTest, NewerFormatVersionIsRefusedNotTruncated) {
  TempDir dir;
  BuildWal(dir.path());
  const auto segs = Segments(dir.path());
  FlipBit(segs.front().path, 4, 1);  // version 1 -> 3
  auto opened = Storage::Open(Options(dir.path()), nullptr);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kCorruption);
  EXPECT_EQ(Segments(dir.path()).size(), segs.size());  // nothing deleted
}

// The WAL reserves segment space ahead of its writes (WalOptions::preallocate_bytes). A crash
// leaves that reserved zero tail behind: replay takes it as the end of the log (no repair, nothing
// lost), appends overwrite it, and zeros followed by anything else are still damage. The crash is
// modelled by copying the WAL of a store that is still open (its segment has the tail).
TEST(WalPreallocationTest, ReservedZeroTailIsTheEndOfTheLogNotDamage) {
  TempDir live;
  TempDir crashed;
  StorageOptions o;
  o.dir = live.path();
  o.fsync = FsyncPolicy::kAlways;
  o.maintenance_interval_ms = 0;
  o.wal_preallocate_bytes = 64 << 10;
  auto s = Storage::Open(o, nullptr);
  ASSERT_TRUE(s.has_value());
  for (int i = 0; i < kCommits; ++i) {
    Appender app = (*s)->NewAppender();
    app.Add(SeriesOf(i), {i * 1000, static_cast<double>(i)});
    ASSERT_TRUE(app.Commit().has_value());
  }
  const std::uint64_t records = (*s)->Stats().wal_bytes;
  const fs::path seg = fs::path(live.path()) / "wal" / "00000001";
  // The header, then one 64 KiB reservation (the commits need ~2.5 KiB).
  const std::uint64_t reserved = kSegmentHeaderBytes + (64u << 10);
  ASSERT_EQ(fs::file_size(seg), reserved) << "space reserved ahead of the records";
  ASSERT_LT(records, reserved);
  fs::create_directories(fs::path(crashed.path()) / "wal");
  fs::copy_file(seg, fs::path(crashed.path()) / "wal" / "00000001");

  StorageOptions c = o;
  c.dir = crashed.path();
  {
    auto reopened = Storage::Open(c, nullptr);
    ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
    const StorageStats st = (*reopened)->Stats();
    EXPECT_EQ(st.wal_repairs, 0u);
    EXPECT_EQ(st.samples, static_cast<std::uint64_t>(kCommits));
    EXPECT_EQ(st.wal_bytes, records) << "the reserved tail is not log";
    // Appends go where the records end, over the reserved zeros.
    Appender app = (*reopened)->NewAppender();
    app.Add(SeriesOf(0), {10'000'000, -1.0});
    ASSERT_TRUE(app.Commit().has_value());
  }
  // A clean close cuts the reserve: the segment is exactly its records again.
  const fs::path cseg = fs::path(crashed.path()) / "wal" / "00000001";
  {
    auto again = Storage::Open(c, nullptr);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ((*again)->Stats().wal_repairs, 0u);
    EXPECT_EQ((*again)->Stats().samples, static_cast<std::uint64_t>(kCommits + 1));
    EXPECT_EQ(fs::file_size(cseg), (*again)->Stats().wal_bytes);
  }
  EXPECT_GT(fs::file_size(cseg), records);

  // Zeros followed by something else are a gap, i.e. damage: repaired, the records before kept.
  TempDir gap;
  fs::create_directories(fs::path(gap.path()) / "wal");
  const fs::path gseg = fs::path(gap.path()) / "wal" / "00000001";
  fs::copy_file(seg, gseg);
  AppendBytes(gseg, "not a record");
  StorageOptions g = o;
  g.dir = gap.path();
  auto damaged = Storage::Open(g, nullptr);
  ASSERT_TRUE(damaged.has_value());
  EXPECT_EQ((*damaged)->Stats().wal_repairs, 1u);
  EXPECT_EQ((*damaged)->Stats().samples, static_cast<std::uint64_t>(kCommits));
  EXPECT_EQ((*damaged)->Stats().wal_truncated_bytes, reserved - records + 12);
}

// A rolled segment is cut back to its records; only the segment being written has a reserve.
TEST(WalPreallocationTest, RolledSegmentsHoldExactlyTheirRecords) {
  TempDir dir;
  StorageOptions o = Options(dir.path());
  o.wal_preallocate_bytes = 1024;
  auto s = Storage::Open(o, nullptr);
  ASSERT_TRUE(s.has_value());
  for (int i = 0; i < kCommits; ++i) {
    Appender app = (*s)->NewAppender();
    app.Add(SeriesOf(i), {i * 1000, static_cast<double>(i)});
    ASSERT_TRUE(app.Commit().has_value());
  }
  const std::vector<Segment> segs = Segments(dir.path());
  ASSERT_GE(segs.size(), 3u);
  std::uint64_t closed = 0;
  for (std::size_t k = 0; k + 1 < segs.size(); ++k) {
    closed += segs[k].size;
    std::ifstream f(segs[k].path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(data.empty());
    EXPECT_NE(data.back(), '\0') << "segment " << segs[k].index << " ends in reserved zeros";
  }
  EXPECT_LT(closed, (*s)->Stats().wal_bytes);
  EXPECT_GE(segs.back().size, (*s)->Stats().wal_bytes - closed) << "the open segment's reserve";
}

}  // namespace
}  // namespace prognos::store
