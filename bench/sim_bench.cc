// Simulator speed: simulated host-hours per second of wall time on one core, for the 100-host
// scenario (examples/scenarios/fleet-100.yaml: 300 Bitbrains workloads, 5-minute telemetry,
// 1 day warm-up + 2 days) under each policy. Issue #13's target: >= 1,000 host-hours/s for the
// proactive policy (real engine: ingest, signals, controller, planner).
// Run: ./build/sim/bench/sim_bench --benchmark_min_time=1 (from the repo root, ../shared beside).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "sim/runner.h"
#include "sim/scenario.h"

namespace prognos::sim {
namespace {

void BM_SimFleet100(benchmark::State& state) {
  const auto policy = static_cast<PolicyKind>(state.range(0));
  auto scenario = LoadScenario("examples/scenarios/fleet-100.yaml");
  if (!scenario || !std::filesystem::exists(scenario->trace_path)) {
    state.SkipWithError("run from the repo root with ../shared/data present");
    return;
  }
  double host_hours = 0;
  double wall = 0;
  for (auto _ : state) {
    auto r = RunScenario(*scenario, policy, 1);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    host_hours += r->host_hours;
    wall += r->wall_seconds;
  }
  state.SetLabel(std::string(PolicyKindName(policy)));
  state.counters["host_hours_per_s"] = wall > 0 ? host_hours / wall : 0;
}
BENCHMARK(BM_SimFleet100)
    ->Arg(static_cast<int>(PolicyKind::kProactive))
    ->Arg(static_cast<int>(PolicyKind::kReactive))
    ->Arg(static_cast<int>(PolicyKind::kVpa))
    ->Arg(static_cast<int>(PolicyKind::kNone))
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

}  // namespace
}  // namespace prognos::sim
