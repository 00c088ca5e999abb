// Forecasting costs: ns per OnlineForecaster::Update, refit time for a 14-day 5-minute series,
// batch `forecast` work for horizons 12 and 288, and the state bytes kept per series.
// Run: build/<dir>/bench/forecast_bench (Google Benchmark; counters show bytes and ms).
#include <benchmark/benchmark.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "signal/forecast/online_forecaster.h"
#include "signal/forecast/selector.h"

namespace prognos::signal {
namespace {

constexpr DurationMs kStep = 5 * kMinuteMs;
constexpr std::size_t kDay = 288;

// A day-periodic CPU-like series with AR(1) noise and occasional spikes (seeded).
std::vector<double> Series(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> eps(0.0, 3.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> y(n);
  double ar = 0.0;
  for (std::size_t t = 0; t < n; ++t) {
    ar = 0.7 * ar + eps(rng);
    const double phase = 2.0 * std::numbers::pi * static_cast<double>(t % kDay) / kDay;
    y[t] = 50.0 + 20.0 * std::sin(phase) + ar + (u(rng) < 0.01 ? 40.0 : 0.0);
  }
  return y;
}

void BM_OnlineUpdate(benchmark::State& state) {
  const auto y = Series(14 * kDay + 100'000, 1);
  OnlineForecaster f;
  const std::size_t n = 14 * kDay;
  if (!f.Refit(std::span<const double>(y).first(n), static_cast<TimestampMs>(n - 1) * kStep,
               kStep)) {
    state.SkipWithError("refit failed");
    return;
  }
  std::size_t t = n;
  for (auto _ : state) {
    f.Update(static_cast<TimestampMs>(t) * kStep, y[t]);
    benchmark::DoNotOptimize(f.Next());
    if (++t == y.size()) t = n;  // wraps; older times are ignored, so this stays O(1)
  }
  state.counters["state_bytes"] = static_cast<double>(f.StateBytes());
}
BENCHMARK(BM_OnlineUpdate);

void BM_OnlineRefit14Days(benchmark::State& state) {
  const auto y = Series(14 * kDay, 2);
  OnlineForecaster f;
  for (auto _ : state) {
    auto r = f.Refit(y, static_cast<TimestampMs>(y.size() - 1) * kStep, kStep);
    benchmark::DoNotOptimize(r);
  }
  state.counters["state_bytes"] = static_cast<double>(f.StateBytes());
}
BENCHMARK(BM_OnlineRefit14Days)->Unit(benchmark::kMillisecond);

void BM_BatchForecast14Days(benchmark::State& state) {
  const auto y = Series(14 * kDay, 3);
  BatchForecastOptions opt;
  opt.horizon = static_cast<std::size_t>(state.range(0));
  opt.preferred_seasons = {kDay, 7 * kDay};
  for (auto _ : state) {
    auto r = ForecastBatch(y, opt);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_BatchForecast14Days)->Arg(12)->Arg(288)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace prognos::signal
