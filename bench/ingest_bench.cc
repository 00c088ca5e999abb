// Ingest benchmarks (issue 9, done-when 7): JSON health ingest in-process and over HTTP, fsync per
// batch vs group commit vs none, WAL replay time per million samples, and RSS per series.
// Run: ./build/release/bench/ingest_bench --benchmark_counters_tabular=true
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <benchmark/benchmark.h>

#include "api/server.h"
#include "core/clock.h"
#include "engine/engine.h"

namespace prognos {
namespace {

namespace fs = std::filesystem;

std::string TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "prognos-bench-XXXXXX").string();
  return mkdtemp(tmpl.data());
}

// A batch of `messages` health messages, 5 indicators each, for `hosts` hosts, starting at ts.
std::string MakeBatch(int messages, int hosts, long long* ts) {
  std::string body;
  body.reserve(static_cast<std::size_t>(messages) * 200);
  for (int i = 0; i < messages; ++i) {
    const int h = i % hosts;
    if (h == 0) ++*ts;
    body += R"({"ts": )" + std::to_string(*ts) + R"(, "host": "node-)" + std::to_string(h) +
            R"(", "indicators": {"cpu_util": )" + std::to_string((i * 37 % 100) / 100.0) +
            R"(, "mem_used_bytes": )" + std::to_string(6.1e9 + i) +
            R"(, "disk_io_ms": 4.2, "net_latency_ms": 0.8, "error_rate": 0.0}})" + "\n";
  }
  return body;
}

std::unique_ptr<engine::Engine> OpenEngine(const std::string& dir, store::FsyncPolicy fsync,
                                           const Clock& clock, MetricsRegistry& metrics) {
  engine::EngineOptions o;
  o.storage.dir = dir;
  o.storage.fsync = fsync;
  o.future_tolerance_ms = 0;
  return std::move(*engine::Engine::Open(o, clock, metrics));
}

// In-process: parse + validate + WAL + head on one thread. Arg: 0 never, 1 fsync per batch.
void BM_IngestInProcess(benchmark::State& state) {
  const std::string dir = TempDir();
  FakeClock clock;
  MetricsRegistry metrics;
  auto engine = OpenEngine(dir, state.range(0) ? store::FsyncPolicy::kAlways : store::FsyncPolicy::kNever,
                           clock, metrics);
  long long ts = 1700000000;
  std::uint64_t samples = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string body = MakeBatch(1000, 100, &ts);
    state.ResumeTiming();
    auto r = engine->IngestHealthBody(body);
    samples += r->accepted_samples;
  }
  state.counters["samples_per_s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  engine.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_IngestInProcess)->Arg(0)->Arg(1)->ArgName("fsync")->UseRealTime()->Unit(benchmark::kMillisecond);

// Parser alone (the part of ingest that runs without any lock).
void BM_ParseOnly(benchmark::State& state) {
  long long ts = 1700000000;
  std::string body = MakeBatch(1000, 100, &ts);
  ingest::IngestLimits limits;
  std::uint64_t samples = 0;
  for (auto _ : state) {
    auto b = ingest::ParseHealthBody(body, limits);
    samples += b.samples.size();
    benchmark::DoNotOptimize(b);
  }
  state.counters["samples_per_s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseOnly)->Unit(benchmark::kMillisecond);

// Over HTTP with N concurrent clients. Args: clients, fsync policy (0 never, 1 always = group commit).
void BM_IngestHttp(benchmark::State& state) {
  const int clients = static_cast<int>(state.range(0));
  const std::string dir = TempDir();
  SystemClock clock;
  MetricsRegistry metrics;
  auto engine = OpenEngine(dir, state.range(1) ? store::FsyncPolicy::kAlways : store::FsyncPolicy::kNever,
                           clock, metrics);
  api::ApiOptions o;
  o.port = 0;
  o.threads = clients;
  api::ApiServer server(*engine, metrics, o);
  const int port = *server.Start();
  // Pre-build bodies: each client sends its own hosts so series never interleave out of order.
  constexpr int kBodies = 50;
  std::vector<std::vector<std::string>> bodies(static_cast<std::size_t>(clients));
  for (int c = 0; c < clients; ++c) {
    long long ts = 1700000000;
    for (int b = 0; b < kBodies; ++b) {
      std::string body = MakeBatch(1000, 100, &ts);
      // Rename hosts per client.
      std::string tagged;
      tagged.reserve(body.size() + 4000);
      std::size_t pos = 0, hit;
      while ((hit = body.find("\"node-", pos)) != std::string::npos) {
        tagged.append(body, pos, hit - pos);
        tagged += "\"c" + std::to_string(c) + "-node-";
        pos = hit + 6;
      }
      tagged.append(body, pos);
      bodies[static_cast<std::size_t>(c)].push_back(std::move(tagged));
    }
  }
  // One pass per run (Iterations(1)): a second pass would only re-send identical samples.
  std::uint64_t samples = 0;
  for (auto _ : state) {
    std::atomic<std::uint64_t> accepted{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(60, 0);
        for (const auto& body : bodies[static_cast<std::size_t>(c)]) {
          auto res = client.Post("/v1/health", body, "application/x-ndjson");
          if (res && res->status == 200) accepted += 5000;
        }
      });
    }
    for (auto& t : threads) t.join();
    samples += accepted.load();
  }
  server.Stop();
  state.counters["samples_per_s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  engine.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_IngestHttp)
    ->Args({1, 0})->Args({4, 0})->Args({4, 1})->Args({8, 1})
    ->ArgNames({"clients", "fsync"})->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

// WAL replay: write N samples, then time Engine::Open. Reported per million samples.
void BM_WalReplay(benchmark::State& state) {
  const std::string dir = TempDir();
  FakeClock clock;
  MetricsRegistry metrics;
  const long long n_messages = state.range(0) / 5;
  {
    auto engine = OpenEngine(dir, store::FsyncPolicy::kNever, clock, metrics);
    long long ts = 1700000000;
    for (long long done = 0; done < n_messages; done += 2000) {
      engine->IngestHealthBody(MakeBatch(2000, 1000, &ts));
    }
    (void)engine->storage().Sync();
  }
  for (auto _ : state) {
    MetricsRegistry m2;
    auto engine = OpenEngine(dir, store::FsyncPolicy::kNever, clock, m2);
    benchmark::DoNotOptimize(engine);
  }
  state.counters["s_per_million"] = benchmark::Counter(
      1e6 / static_cast<double>(state.range(0)) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  fs::remove_all(dir);
}
BENCHMARK(BM_WalReplay)->Arg(1'000'000)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);

long RssBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_rss = 0;
  statm >> pages_total >> pages_rss;
  return pages_rss * sysconf(_SC_PAGESIZE);
}

// RSS per active series with a day of 5-minute history each (288 samples).
void BM_RssPerSeries(benchmark::State& state) {
  const long series_hosts = state.range(0);  // 5 series per host
  for (auto _ : state) {
    const std::string dir = TempDir();
    FakeClock clock;
    MetricsRegistry metrics;
    auto engine = OpenEngine(dir, store::FsyncPolicy::kNever, clock, metrics);
    const long before = RssBytes();
    for (int step = 0; step < 288; ++step) {
      long long ts = 1700000000 + 300LL * step - 1;
      engine->IngestHealthBody(MakeBatch(static_cast<int>(series_hosts), static_cast<int>(series_hosts), &ts));
    }
    const long after = RssBytes();
    state.counters["series"] = static_cast<double>(series_hosts * 5);
    state.counters["rss_bytes_per_series"] =
        static_cast<double>(after - before) / static_cast<double>(series_hosts * 5);
    engine.reset();
    fs::remove_all(dir);
  }
}
BENCHMARK(BM_RssPerSeries)->Arg(2000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace prognos
