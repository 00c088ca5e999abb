// Remote-write decoder alone (snappy + protobuf + label validation), on requests shaped like
// ../shared/tools/remote_write_load.py's: `series` series of {__name__, instance, job}, `per`
// samples each. Run: ./build/rw/bench/remote_write_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <snappy.h>

#include <cstring>
#include <string>

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

}  // namespace
}  // namespace prognos
