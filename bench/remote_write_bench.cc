// Remote-write decoder alone (snappy + protobuf + label validation), on requests shaped like
// ../shared/tools/remote_write_load.py's: `series` series of {__name__, instance, job}, `per`
// samples each. Run: ./build/release/bench/remote_write_bench --benchmark_counters_tabular=true
//
// Also a bare ingest server for end-to-end runs with the load script, where `prognos serve` has no
// switch for it: the engine and the HTTP API exactly as serve builds them with the default config,
// but without the controller (serve's planner, which observes every sample), and optionally
// without the per-sample signals (issue 10 item 4: signals on vs off):
//   ./build/release/bench/remote_write_bench --serve PORT DATA_DIR [--no-signals] [--fsync never]
//       [--wal-preallocate BYTES]   (WAL space reserved ahead of the writes; 0 = plain appends)
#include <benchmark/benchmark.h>
#include <snappy.h>

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "api/server.h"
#include "core/clock.h"
#include "engine/engine.h"
#include "ingest/remote_write.h"

namespace prognos {
namespace {

void Varint(std::uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void Len(int field, const std::string& payload, std::string* out) {
  Varint(static_cast<std::uint64_t>(field) << 3 | 2, out);
  Varint(payload.size(), out);
  out->append(payload);
}

std::string Label(const std::string& name, const std::string& value) {
  std::string l;
  Len(1, name, &l);
  Len(2, value, &l);
  return l;
}

std::string Request(int series, int per) {
  std::string req;
  for (int s = 0; s < series; ++s) {
    std::string ts;
    Len(1, Label("__name__", "cpu_usage_mhz"), &ts);
    Len(1, Label("instance", "vm-" + std::to_string(s)), &ts);
    Len(1, Label("job", "bench"), &ts);
    for (int j = 0; j < per; ++j) {
      std::string smp = "\x09";
      const double v = 1234.5 + s * 0.25 + j;
      char bits[8];
      std::memcpy(bits, &v, 8);
      smp.append(bits, 8);
      smp.push_back('\x10');
      Varint(1700000000000ULL + 15000ULL * static_cast<std::uint64_t>(j), &smp);
      Len(2, smp, &ts);
    }
    Len(1, ts, &req);
  }
  std::string out;
  snappy::Compress(req.data(), req.size(), &out);
  return out;
}

void BM_DecodeRemoteWrite(benchmark::State& state) {
  const std::string body =
      Request(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  ingest::IngestLimits limits;
  std::size_t samples = 0;
  for (auto _ : state) {
    auto batch = ingest::DecodeRemoteWrite(body, limits);
    samples += batch.samples.size();
    benchmark::DoNotOptimize(batch);
  }
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.counters["body_bytes"] = static_cast<double>(body.size());
}
// 1000 x 1: remote_write_load.py's default request; 100 x 10: several samples per series.
BENCHMARK(BM_DecodeRemoteWrite)->Args({1000, 1})->Args({100, 10});

volatile std::sig_atomic_t g_stop = 0;

int Serve(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: %s --serve PORT DATA_DIR [--no-signals] [--fsync never] "
                 "[--wal-preallocate BYTES]\n",
                 argv[0]);
    return 2;
  }
  engine::EngineOptions options;
  options.storage.dir = argv[3];
  for (int i = 4; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--no-signals") {
      options.signals = false;
    } else if (a == "--fsync" && i + 1 < argc && std::string_view(argv[i + 1]) == "never") {
      options.storage.fsync = store::FsyncPolicy::kNever;
      ++i;
    } else if (a == "--wal-preallocate" && i + 1 < argc) {
      options.storage.wal_preallocate_bytes = std::strtoull(argv[i + 1], nullptr, 10);
      ++i;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  SystemClock clock;
  MetricsRegistry metrics;
  auto engine = engine::Engine::Open(options, clock, metrics);
  if (!engine) {
    std::fprintf(stderr, "%s\n", engine.error().message.c_str());
    return 3;
  }
  api::ApiOptions api_options;
  api_options.port = std::atoi(argv[2]);
  api::ApiServer server(**engine, metrics, api_options);
  auto port = server.Start();
  if (!port) {
    std::fprintf(stderr, "%s\n", port.error().message.c_str());
    return 3;
  }
  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  while (g_stop == 0) pause();
  server.Stop();
  return 0;
}

}  // namespace
}  // namespace prognos

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "--serve") return prognos::Serve(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
