// Done-when 2 of issue 14: SIGKILL a process at random points while it commits samples and
// seals, checkpoints and merges blocks; after every kill, reopening the store must show every
// acknowledged sample bit for bit, exactly once. The writer is a forked child (the real Storage
// code, no mocks); it reports each acknowledged batch over a pipe only after Commit() returned
// with FsyncPolicy::kAlways, i.e. after the ack a client would have received.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <csignal>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "store/storage.h"
#include "store/test_util.h"

namespace prognos::store {
namespace {

using testing::Metric;
using testing::Name;
using testing::TempDir;

constexpr int kSeries = 8;
constexpr int kTrials = 24;
constexpr int kBatch = 50;  // samples per series per commit

StorageOptions Opts(const std::string& dir) {
  StorageOptions o;
  o.dir = dir;
  o.fsync = FsyncPolicy::kAlways;
  o.max_age_ms = std::numeric_limits<std::int64_t>::max();
  o.block_samples = 64;
  o.merge_target_samples = 1024;
  // Maintain() seals due heads but keeps the WAL until it passes 64 KiB (a checkpoint every ~16
  // batches), so most restarts replay WAL samples that are already sealed and must skip them.
  o.checkpoint_wal_bytes = 64u << 10;
  o.maintenance_interval_ms = 0;
  o.zstd_level = 19;  // slow on purpose: kills land inside seals and merges
  return o;
}

// The value stored for (series, t): deterministic, with NaN payloads and -0.0 among them.
double ValueOf(int series, std::int64_t t) {
  const std::uint64_t h =
      (static_cast<std::uint64_t>(t) * 0x9E3779B97F4A7C15ull) ^ static_cast<std::uint64_t>(series);
  switch (h % 5) {
    case 0:
      return std::bit_cast<double>(0x7ff8000000000000ull | (h >> 20));  // NaN payload
    case 1:
      return -0.0;
    default:
      return static_cast<double>(h % 100000) / 15.0;
  }
}

// Child: commit, report, seal/merge, forever (until killed).
[[noreturn]] void Writer(const std::string& dir, std::int64_t t0, int fd, std::uint64_t seed) {
  auto s = Storage::Open(Opts(dir), nullptr);
  if (!s) _exit(3);
  std::mt19937_64 rng(seed);
  std::int64_t t = t0;
  for (int round = 0;; ++round) {
    Appender app = (*s)->NewAppender();
    for (int k = 0; k < kSeries; ++k) {
      for (int i = 0; i < kBatch; ++i) {
        app.Add(Metric("m", Name("h", k)), Sample{t + i * 1000, ValueOf(k, t + i * 1000)});
      }
    }
    if (!app.Commit()) _exit(4);
    const std::int64_t acked[2] = {t, t + (kBatch - 1) * 1000};  // this range of every series
    if (::write(fd, acked, sizeof acked) != static_cast<ssize_t>(sizeof acked)) _exit(5);
    t += kBatch * 1000;
    switch (rng() % 3) {
      case 0:
        (void)(*s)->Maintain();
        break;  // seal due heads (+ checkpoint) + merge
      case 1:
        (void)(*s)->MergeBlocks();
        break;
      default:
        (void)(*s)->SealAll();
        break;
    }
  }
}

TEST(SealCrashTest, KillNineDuringSealAndMergeLosesNothingAndDuplicatesNothing) {
  TempDir dir;
  std::mt19937_64 rng(2026);
  std::vector<std::pair<std::int64_t, std::int64_t>> acked;  // ranges, every series
  std::int64_t next_t = 1'000'000;
  for (int trial = 0; trial < kTrials; ++trial) {
    SCOPED_TRACE(trial);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      Writer(dir.path(), next_t, fds[1], rng());
    }
    ::close(fds[1]);
    // Let it ack a random number of batches, then kill it a random moment later.
    const int batches = 1 + static_cast<int>(rng() % 6);
    std::int64_t got[2];
    for (int b = 0; b < batches; ++b) {
      if (::read(fds[0], got, sizeof got) != static_cast<ssize_t>(sizeof got)) break;
      acked.emplace_back(got[0], got[1]);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 40000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited by itself, status " << status;
    while (::read(fds[0], got, sizeof got) == static_cast<ssize_t>(sizeof got)) {
      acked.emplace_back(got[0], got[1]);  // acks sent before the kill
    }
    ::close(fds[0]);
    next_t = (acked.empty() ? next_t : acked.back().second) + 10'000'000;

    // Reopen (repairs, replays) and check every series: acked ⊆ stored, no time twice, values
    // exactly ValueOf (nothing invented).
    auto s = Storage::Open(Opts(dir.path()), nullptr);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    std::set<std::int64_t> want;
    for (const auto& [a, b] : acked) {
      for (std::int64_t x = a; x <= b; x += 1000) want.insert(x);
    }
    ASSERT_EQ((*s)->ListSeries().size(), static_cast<std::size_t>(kSeries));
    for (const auto& info : (*s)->ListSeries()) {
      const int k = std::stoi(std::string(info.labels.Get("host").value_or("h0")).substr(1));
      const auto v = (*s)->ReadSamples(info.id, std::numeric_limits<TimestampMs>::min(),
                                       std::numeric_limits<TimestampMs>::max());
      EXPECT_EQ(v.size(), info.samples);
      std::set<std::int64_t> have;
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i > 0) {
          ASSERT_GT(v[i].t, v[i - 1].t) << "duplicate or disorder in series " << k;
        }
        ASSERT_EQ(std::bit_cast<std::uint64_t>(v[i].v),
                  std::bit_cast<std::uint64_t>(ValueOf(k, v[i].t)));
        have.insert(v[i].t);
      }
      for (const std::int64_t x : want) {
        ASSERT_EQ(have.count(x), 1u) << "acknowledged sample lost: series " << k << " t " << x;
      }
    }
    EXPECT_EQ((*s)->Stats().quarantined_blocks, 0u);
  }
}

}  // namespace
}  // namespace prognos::store
