// Per-sample cost of the streaming signals and their memory per series.
// Run: build/bench/signal_bench  (Release build). Inputs are a real-looking seeded series: a daily
// sine plus noise and rare spikes, so histograms and codebooks see realistic range growth.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "signal/anomaly.h"
#include "signal/entropy.h"
#include "signal/series_signals.h"

namespace {

using prognos::TimestampMs;
namespace sig = prognos::signal;

std::vector<double> MakeSeries(std::size_t n) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0.0, 0.1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = 1.0 + std::sin(2.0 * M_PI * static_cast<double>(i) / 288.0) + noise(rng);
    if (u(rng) < 0.001) v[i] += 5.0;
  }
  return v;
}

constexpr std::size_t kN = 1 << 16;
constexpr TimestampMs kStepMs = 5 * 60 * 1000;

void BM_WindowEntropyFixedRange(benchmark::State& state) {
  const auto v = MakeSeries(kN);
  sig::EntropyConfig c;
  c.binning = sig::Binning::kFixedRange;
  c.range_lo = -1.0;
  c.range_hi = 3.0;
  c.bins = 16;
  c.window_count = 64;
  sig::WindowEntropy e(c);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(e.Update(static_cast<TimestampMs>(i) * kStepMs, v[i & (kN - 1)]));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WindowEntropyFixedRange);

void BM_WindowEntropyAdaptiveQuantile(benchmark::State& state) {
  const auto v = MakeSeries(kN);
  sig::WindowEntropy e(sig::SeriesSignalsConfig::DefaultEntropyConfig());
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(e.Update(static_cast<TimestampMs>(i) * kStepMs, v[i & (kN - 1)]));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WindowEntropyAdaptiveQuantile);

void BM_WindowEntropyTimeBased(benchmark::State& state) {
  const auto v = MakeSeries(kN);
  sig::EntropyConfig c = sig::SeriesSignalsConfig::DefaultEntropyConfig();
  c.window_ms = 6 * 3600 * 1000;  // 6 h = 72 samples at 5 min
  c.window_count = 128;
  sig::WindowEntropy e(c);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(e.Update(static_cast<TimestampMs>(i) * kStepMs, v[i & (kN - 1)]));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WindowEntropyTimeBased);

void BM_AnomalyDetector(benchmark::State& state) {
  const auto v = MakeSeries(kN);
  sig::AnomalyDetector d;
  std::size_t i = 0;
  for (auto _ : state) {
    const double x = v[i & (kN - 1)];
    benchmark::DoNotOptimize(d.Update(static_cast<TimestampMs>(i) * kStepMs, x, x, 0.5));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AnomalyDetector);

void BM_SeriesSignalsUpdate(benchmark::State& state) {
  const auto v = MakeSeries(kN);
  sig::SeriesSignals s;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.Update(static_cast<TimestampMs>(i) * kStepMs, v[i & (kN - 1)]));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["state_bytes"] = static_cast<double>(s.StateBytes());
}
BENCHMARK(BM_SeriesSignalsUpdate);

// Many series at once (cache misses included): one sample to each of `range(0)` series in turn.
void BM_SeriesSignalsManySeries(benchmark::State& state) {
  const auto n_series = static_cast<std::size_t>(state.range(0));
  const auto v = MakeSeries(kN);
  std::vector<sig::SeriesSignals> series(n_series);
  std::size_t i = 0;
  for (auto _ : state) {
    auto& s = series[i % n_series];
    benchmark::DoNotOptimize(
        s.Update(static_cast<TimestampMs>(i / n_series) * kStepMs, v[i & (kN - 1)]));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SeriesSignalsManySeries)->Arg(1000)->Arg(100000);

// Memory per series: heap in use (glibc mallinfo2: small blocks plus mmapped ones, so the array of
// 10,000 objects counts too) for 10,000 warmed-up SeriesSignals, divided by their number — object,
// its heap and the allocator's per-block overhead; and StateBytes() as the code counts it.
void BM_SeriesSignalsMemory(benchmark::State& state) {
  constexpr std::size_t kSeries = 10000;
  const auto v = MakeSeries(1000);
  double heap_per_series = 0.0;
  double state_bytes = 0.0;
  for (auto _ : state) {
    auto in_use = [] {
      const auto mi = mallinfo2();
      return mi.uordblks + mi.hblkhd;
    };
    const std::size_t before = in_use();
    auto series = std::make_unique<std::vector<sig::SeriesSignals>>(kSeries);
    for (std::size_t k = 0; k < kSeries; ++k) {
      for (std::size_t i = 0; i < 300; ++i)
        (*series)[k].Update(static_cast<TimestampMs>(i) * kStepMs, v[i]);
    }
    const std::size_t after = in_use();
    heap_per_series = static_cast<double>(after - before) / kSeries;
    state_bytes = static_cast<double>((*series)[0].StateBytes());
  }
  state.counters["heap_bytes_per_series"] = heap_per_series;
  state.counters["state_bytes_per_series"] = state_bytes;
}
BENCHMARK(BM_SeriesSignalsMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
