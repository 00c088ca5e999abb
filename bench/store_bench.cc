// Sealed-block store (issue 14): seal and merge throughput, range reads from blocks (1 series and
// 1,000 series) against the same reads from the in-memory head, restart time for 10 M samples
// sealed against 10 M samples replayed from the WAL, and RSS per series with sealed history.
// Run: nice ./build/release/bench/store_bench   (compare ratios within one run; the machine is
// shared and noisy). Data: random walks of k/15 values on a regular 5-minute grid with jitter,
// synthetic (shaped like the Bitbrains averages; the real-data size figures are in
// docs/performance.md).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "store/storage.h"

namespace prognos::store {
namespace {

constexpr TimestampMs kStep = 300'000;
constexpr TimestampMs kT0 = 1'372'629'804'000;

StorageOptions Opts(const std::string& dir) {
  StorageOptions o;
  o.dir = dir;
  o.fsync = FsyncPolicy::kNever;
  o.max_age_ms = std::numeric_limits<std::int64_t>::max();
  o.block_samples = 1u << 20;
  o.block_age_ms = std::numeric_limits<std::int64_t>::max();
  o.merge_target_samples = 16384;
  o.checkpoint_wal_bytes = std::numeric_limits<std::uint64_t>::max();
  o.maintenance_interval_ms = 0;
  return o;
}

Labels SeriesLabels(int i) {
  std::string host = "vm-";
  host += std::to_string(i);
  return *Labels::FromUnsorted({{"__name__", "cpu_usage_pct"}, {"host", std::move(host)}});
}

// `series` x `per_series` samples, committed in time order, 64 samples per series per commit.
void Fill(Storage& s, int series, int per_series, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::int64_t> k(static_cast<std::size_t>(series), 1500);
  for (int from = 0; from < per_series; from += 64) {
    Appender app = s.NewAppender();
    for (int i = 0; i < series; ++i) {
      const Labels l = SeriesLabels(i);
      for (int j = from; j < std::min(per_series, from + 64); ++j) {
        auto& ki = k[static_cast<std::size_t>(i)];
        ki = std::max<std::int64_t>(0, ki + static_cast<std::int64_t>(rng() % 41) - 20);
        const TimestampMs t = kT0 + j * kStep + static_cast<TimestampMs>(rng() % 3) * 1000;
        app.Add(l, Sample{t, static_cast<double>(ki) / 15.0});
      }
    }
    if (!app.Commit()) std::abort();
  }
}

std::unique_ptr<Storage> Open(const StorageOptions& o) {
  auto s = Storage::Open(o, nullptr);
  if (!s) std::abort();
  return std::move(*s);
}

// Seal throughput (samples/s) at the default level (zstd 19 + LZMA2) and at zstd 3 only.
void BM_Seal(benchmark::State& state) {
  const bool fast = state.range(0) == 1;
  std::int64_t samples = 0;
  for (auto _ : state) {
    state.PauseTiming();
    StorageOptions o = Opts(bench::FreshDir("store-bench", "seal"));
    if (fast) {
      o.zstd_level = 3;
      o.try_lzma = false;
    }
    auto s = Open(o);
    Fill(*s, 100, 8192, 1);
    state.ResumeTiming();
    if (!s->SealAll()) std::abort();
    samples += 100 * 8192;
    state.PauseTiming();
    const std::string dir = o.dir;
    s.reset();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Seal)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(1);

// Merge throughput: 100 series sealed as blocks of 512 samples, merged into blocks of 8,192.
void BM_Merge(benchmark::State& state) {
  std::int64_t samples = 0;
  for (auto _ : state) {
    state.PauseTiming();
    StorageOptions o = Opts(bench::FreshDir("store-bench", "merge"));
    o.block_samples = 512;
    o.merge_target_samples = 512;
    auto s = Open(o);
    Fill(*s, 100, 8192, 2);
    if (!s->SealAll()) std::abort();
    s.reset();
    o.merge_target_samples = 8192;
    s = Open(o);
    state.ResumeTiming();
    if (!s->MergeBlocks()) std::abort();
    samples += 100 * 8192;
    state.PauseTiming();
    s.reset();
    std::filesystem::remove_all(o.dir);
    state.ResumeTiming();
  }
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Merge)->Unit(benchmark::kMillisecond)->Iterations(1);

// Range reads: arg0 = series (1 or 1000), arg1 = 1 sealed blocks, 0 head only (baseline).
void BM_Read(benchmark::State& state) {
  const int series = static_cast<int>(state.range(0));
  const bool sealed = state.range(1) == 1;
  const int per_series = series == 1 ? 200'000 : 2'000;
  StorageOptions o = Opts(bench::FreshDir("store-bench", "read"));
  auto s = Open(o);
  Fill(*s, series, per_series, 3);
  if (sealed && !s->SealAll()) std::abort();
  std::vector<std::uint64_t> ids;
  for (const auto& info : s->ListSeries()) ids.push_back(info.id);
  std::int64_t samples = 0;
  for (auto _ : state) {
    for (const std::uint64_t id : ids) {
      auto v = s->ReadSamples(id, kT0, kT0 + per_series * kStep);
      samples += static_cast<std::int64_t>(v.size());
      benchmark::DoNotOptimize(v.data());
    }
  }
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  s.reset();
  std::filesystem::remove_all(o.dir);
}
BENCHMARK(BM_Read)->Args({1, 0})->Args({1, 1})->Args({1000, 0})->Args({1000, 1})->Unit(
    benchmark::kMillisecond);

// Restart time for 10 M samples (1,000 series x 10,000): sealed (catalog load) vs WAL replay.
void BM_Restart(benchmark::State& state) {
  const bool sealed = state.range(0) == 1;
  StorageOptions o = Opts(bench::FreshDir("store-bench", "restart"));
  o.zstd_level = 3;
  o.try_lzma = false;
  {
    auto s = Open(o);
    Fill(*s, 1000, 10'000, 4);
    if (sealed && !s->SealAll()) std::abort();
  }
  for (auto _ : state) {
    auto s = Open(o);
    benchmark::DoNotOptimize(s.get());
    if (s->Stats().samples != 10'000'000u) std::abort();
  }
  std::filesystem::remove_all(o.dir);
}
BENCHMARK(BM_Restart)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3);

std::int64_t RssBytes() {
  std::ifstream f("/proc/self/statm");
  std::int64_t pages = 0;
  std::int64_t rss = 0;
  f >> pages >> rss;
  return rss * ::sysconf(_SC_PAGESIZE);
}

// RSS per series: 10,000 series, each with 8,192 sealed samples (28 days of 5-minute data),
// reopened: resident bytes per series of the store with an empty head (no signal state).
void BM_RssPerSeries(benchmark::State& state) {
  for (auto _ : state) {
    StorageOptions o = Opts(bench::FreshDir("store-bench", "rss"));
    o.zstd_level = 3;
    o.try_lzma = false;
    const std::int64_t before = RssBytes();
    auto s = Open(o);
    Fill(*s, 10'000, 8192, 5);
    if (!s->SealAll()) std::abort();
    s.reset();
    ::malloc_trim(0);
    const std::int64_t base = RssBytes();
    s = Open(o);  // a restart: what the store holds per series for its sealed history
    const std::int64_t after = RssBytes();
    state.counters["rss_bytes_per_series"] =
        static_cast<double>(after - std::min(before, base)) / 10'000.0;
    s.reset();
    std::filesystem::remove_all(o.dir);
  }
}
BENCHMARK(BM_RssPerSeries)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace prognos::store
