// WAL append throughput by fsync policy (fsync per commit, group commit across threads, never)
// and WAL replay time per million samples. Run: ./build/store/bench/wal_bench
// Compare the samples/s counters as ratios within one run; absolute numbers depend on the disk.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "store/storage.h"

namespace prognos::store {
namespace {

namespace fs = std::filesystem;

std::string FreshDir(const std::string& tag) { return bench::FreshDir("wal-bench", tag); }

std::vector<Labels> MakeSeries(int thread, int count) {
  std::vector<Labels> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    // Appending to a named string (not "literal" + std::string) dodges GCC 12's false -Wrestrict.
    std::string host = "node-";
    host += std::to_string(thread);
    std::string component = "c";
    component += std::to_string(i);
    out.push_back(*Labels::FromUnsorted({{"__name__", "cpu_util"},
                                         {"host", std::move(host)},
                                         {"component", std::move(component)}}));
  }
  return out;
}

// Args: threads, samples per commit. Each iteration, every thread makes kCommitsPerThread commits
// of one sample for each of its `batch` series (a remote-write-like batch).
template <FsyncPolicy kPolicy>
void BM_Append(benchmark::State& state) {
  constexpr int kCommitsPerThread = 400;
  const int threads = static_cast<int>(state.range(0));
  const int batch = static_cast<int>(state.range(1));
  const std::string dir = FreshDir("append");
  StorageOptions o;
  o.dir = dir;
  o.fsync = kPolicy;
  o.fsync_interval_ms = 100;
  auto storage = Storage::Open(o, nullptr);
  if (!storage) {
    state.SkipWithError(storage.error().message.c_str());
    return;
  }
  Storage& s = **storage;
  std::vector<std::vector<Labels>> series;
  for (int t = 0; t < threads; ++t) series.push_back(MakeSeries(t, batch));
  std::int64_t round = 0;
  std::atomic<bool> failed{false};
  for (auto _ : state) {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t, round] {
        for (int c = 0; c < kCommitsPerThread; ++c) {
          Appender app = s.NewAppender();
          const TimestampMs ts = (round * kCommitsPerThread + c) * 1000;
          for (const auto& l : series[static_cast<std::size_t>(t)]) app.Add(l, {ts, 0.5 * c});
          if (!app.Commit()) failed.store(true);
        }
      });
    }
    for (auto& th : pool) th.join();
    ++round;
  }
  if (failed.load()) state.SkipWithError("commit failed");
  const auto commits = static_cast<double>(round * threads * kCommitsPerThread);
  const StorageStats st = s.Stats();
  state.SetItemsProcessed(static_cast<std::int64_t>(commits) * batch);
  state.counters["commits"] = commits;
  state.counters["fsyncs_per_commit"] = static_cast<double>(st.wal_fsyncs) / commits;
  state.counters["wal_bytes_per_sample"] =
      static_cast<double>(st.wal_bytes) / static_cast<double>(st.samples);
  storage->reset();
  fs::remove_all(dir);
}

BENCHMARK_TEMPLATE(BM_Append, FsyncPolicy::kAlways)
    ->Name("BM_Append/fsync_per_commit")
    ->Args({1, 1})
    ->Args({1, 100})
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Append, FsyncPolicy::kAlways)
    ->Name("BM_Append/group_commit")
    ->Args({8, 1})
    ->Args({4, 100})
    ->Args({8, 100})
    ->Args({16, 100})
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Append, FsyncPolicy::kInterval)
    ->Name("BM_Append/interval")
    ->Args({1, 100})
    ->Args({8, 100})
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Append, FsyncPolicy::kNever)
    ->Name("BM_Append/never")
    ->Args({1, 100})
    ->Args({8, 100})
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Replay of a WAL holding 1,000,000 samples (10,000 series x 100 scrapes, one commit per scrape).
// The time per iteration is the time per million samples.
void BM_Replay(benchmark::State& state) {
  constexpr int kSeries = 10'000;
  constexpr int kScrapes = 100;
  const std::string dir = FreshDir("replay");
  StorageOptions o;
  o.dir = dir;
  o.fsync = FsyncPolicy::kNever;
  {
    auto s = Storage::Open(o, nullptr);
    if (!s) {
      state.SkipWithError(s.error().message.c_str());
      return;
    }
    std::vector<Labels> series;
    for (int h = 0; h < kSeries / 100; ++h) {
      auto part = MakeSeries(h, 100);
      series.insert(series.end(), part.begin(), part.end());
    }
    for (int r = 0; r < kScrapes; ++r) {
      Appender app = (*s)->NewAppender();
      for (std::size_t i = 0; i < series.size(); ++i) {
        app.Add(series[i], {1'700'000'000'000 + r * 15'000, 0.001 * static_cast<double>(i + r)});
      }
      if (!app.Commit()) state.SkipWithError("commit failed");
    }
    (void)(*s)->Sync();
  }
  std::uint64_t samples = 0;
  std::uint64_t wal_bytes = 0;
  for (auto _ : state) {
    auto s = Storage::Open(o, nullptr);
    if (!s) {
      state.SkipWithError(s.error().message.c_str());
      break;
    }
    const StorageStats st = (*s)->Stats();
    samples = st.samples;
    wal_bytes = st.wal_bytes;
    benchmark::DoNotOptimize(samples);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(samples) * state.iterations());
  state.counters["samples"] = static_cast<double>(samples);
  state.counters["wal_bytes_per_sample"] =
      static_cast<double>(wal_bytes) / static_cast<double>(samples == 0 ? 1 : samples);
  fs::remove_all(dir);
}
BENCHMARK(BM_Replay)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace prognos::store
