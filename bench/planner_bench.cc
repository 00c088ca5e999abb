// Planner benchmarks (issue #12):
//   BM_Plan/<workloads>/<hosts>/<capped>: one Plan() over a synthetic fleet (seeded; sizes below),
//   with
//     1% failing hosts, 1% pending workloads and forecasts that move every workload up or down,
//     so every rule runs. Counters: actions emitted, peak RSS of the process (MiB).
//   BM_PackOpenB/<algorithm>/<fleet>: offline packing of the 8,152 real pod requests (cpu, memory)
//   of the
//     Alibaba GPU 2023 "openb" trace into its 1,523 real nodes (GPU dimension ignored), for
//     first-fit decreasing, best-fit decreasing and the planner's dominant-resource best fit;
//     fleet 0 = the real node list, 1 = as many uniform nodes of its most common type.
//     Counters: hosts used, pods placed, mean free share of used hosts, stranded share.
// Data: $PROGNOS_SHARED_DATA, else ../shared/data, else /work/shared/data.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "policy/packing.h"
#include "policy/planner.h"

namespace prognos::policy {
namespace {

struct Fleet {
  Inventory inv;
  PlannerInput in;
};

Fleet MakeFleet(int workloads, int hosts, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Fleet f;
  for (int h = 0; h < hosts; ++h) {
    Host host;
    host.id = "host-" + std::to_string(h);
    host.zone = "z" + std::to_string(h % 3);
    host.capacity[Resource::kCpu] = 64;
    host.capacity[Resource::kMemory] = 256;
    host.cost_per_hour = 1.5;
    f.inv.hosts.push_back(host);
  }
  f.inv.zone_latency_ms = {{"z0/z1", 1.0}, {"z0/z2", 2.0}, {"z1/z2", 1.5}};
  // Fill hosts to ~60% on average: per-workload mean = 0.6 × total capacity / workloads.
  const double mean_cpu = 0.6 * 64.0 * hosts / workloads;
  std::vector<double> free_cpu(static_cast<std::size_t>(hosts), 64.0);
  std::vector<double> free_mem(static_cast<std::size_t>(hosts), 256.0);
  const char* tiers[] = {"gold", "silver", "bronze"};
  for (int i = 0; i < workloads; ++i) {
    Workload w;
    w.id = "wl-" + std::to_string(i);
    w.request[Resource::kCpu] = mean_cpu * (0.25 + 1.5 * u(rng));
    w.request[Resource::kMemory] = w.request[Resource::kCpu] * (2 + 4 * u(rng));
    w.priority = static_cast<int>(u(rng) * 100);
    w.criticality = static_cast<Criticality>(static_cast<int>(u(rng) * 4));
    w.sla_tier = tiers[i % 3];
    w.preemptible = u(rng) < 0.3;
    // Place on a random host with room (a few tries), else pending; 1% pending on purpose.
    if (u(rng) >= 0.01) {
      for (int t = 0; t < 8; ++t) {
        const auto h = static_cast<std::size_t>(u(rng) * hosts);
        if (free_cpu[h] >= w.request[Resource::kCpu] &&
            free_mem[h] >= w.request[Resource::kMemory]) {
          free_cpu[h] -= w.request[Resource::kCpu];
          free_mem[h] -= w.request[Resource::kMemory];
          w.host = f.inv.hosts[h].id;
          break;
        }
      }
    }
    WorkloadDemand d;
    d.workload = w.id;
    const double level = 0.2 + 0.8 * u(rng);  // observed share of the allocation
    d.observed = w.request.Scaled(level);
    d.levels = {0.5, 0.8, 0.9, 0.95, 0.99};
    const double drift = 0.5 + u(rng);  // forecast vs observed
    for (double q : {1.0, 1.1, 1.2, 1.3, 1.5}) d.quantiles.push_back(d.observed.Scaled(drift * q));
    f.in.demand.push_back(d);
    f.inv.workloads.push_back(w);
  }
  for (int h = 0; h < hosts; h += 100) {
    HostRisk r;
    r.host = f.inv.hosts[static_cast<std::size_t>(h)].id;
    r.p_fail = 0.7;
    r.health = 30;
    r.time_to_failure_ms = 6 * kHourMs;
    r.entropy = 0.5;
    r.entropy_forecast = 0.9;
    r.entropy_drivers[Resource::kCpu] = 0.6;
    f.in.risks.push_back(r);
  }
  f.in.now = 1'700'000'000'000;
  return f;
}

PolicySpec BenchSpec(bool capped = false) {
  PolicySpec spec;
  const char* tiers[] = {"gold", "silver", "bronze"};
  const double q[] = {0.99, 0.95, 0.8};
  for (int t = 0; t < 3; ++t) {
    SlaTier tier;
    tier.name = tiers[t];
    tier.demand_quantile = q[t];
    tier.target_utilization = 0.7;
    tier.violation_cost_per_hour = 10.0 / (t + 1);
    spec.tiers[tier.name] = tier;
  }
  if (!capped) {
    // No action cap: measure the planner doing all the work it finds.
    spec.damping.max_actions_per_interval = 1 << 30;
    spec.damping.max_concurrent_migrations = 1 << 30;
  }
  return spec;
}

double PeakRssMiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: KiB
}

// Google Benchmark's BM_ naming, as in the other bench files.
void BM_Plan(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  const Fleet f = MakeFleet(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)), 42);
  const PolicySpec spec = BenchSpec(state.range(2) == 1);
  std::size_t actions = 0;
  std::size_t held = 0;
  int omitted = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Planner planner(spec);
    state.ResumeTiming();
    ActionPlan plan = planner.Plan(f.inv, f.in);
    actions = plan.actions.size();
    held = plan.held.size();
    omitted = plan.held_omitted;
    benchmark::DoNotOptimize(plan);
  }
  state.counters["actions"] = static_cast<double>(actions);
  state.counters["held"] = static_cast<double>(held);
  state.counters["held_omitted"] = omitted;
  state.counters["peak_rss_mib"] = PeakRssMiB();
  state.SetComplexityN(state.range(0));
}
// Third argument: 0 = no action cap, 1 = the default damping (20 actions per minute, 5
// concurrent migrations): the rest is built, explained and held.
BENCHMARK(BM_Plan)
    ->Args({1000, 100, 0})
    ->Args({10000, 1000, 0})
    ->Args({100000, 10000, 0})
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oNLogN);
BENCHMARK(BM_Plan)->Args({100000, 10000, 1})->Unit(benchmark::kMillisecond);

std::string DataDir() {
  if (const char* env = std::getenv("PROGNOS_SHARED_DATA")) return env;
  for (const char* p : {"../shared/data", "/work/shared/data"}) {
    if (std::filesystem::exists(p)) return p;
  }
  return "../shared/data";
}

// Reads `cpu_milli,memory_mib` (columns 2 and 3 after a header) of an openb CSV.
std::vector<ResourceVector> ReadOpenB(const std::string& path) {
  std::vector<ResourceVector> out;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string name, cpu, mem;
    if (!std::getline(ss, name, ',') || !std::getline(ss, cpu, ',') ||
        !std::getline(ss, mem, ',')) {
      continue;
    }
    ResourceVector v;
    v[Resource::kCpu] = std::strtod(cpu.c_str(), nullptr) / 1000.0;     // cores
    v[Resource::kMemory] = std::strtod(mem.c_str(), nullptr) / 1024.0;  // GiB
    out.push_back(v);
  }
  return out;
}

void BM_PackOpenB(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  const std::string dir = DataDir() + "/alibaba_gpu2023_openb/";
  const auto nodes = ReadOpenB(dir + "openb_node_list_all_node.csv");
  const auto pods = ReadOpenB(dir + "openb_pod_list_default.csv");
  if (nodes.empty() || pods.empty()) {
    state.SkipWithError(("openb trace not found under " + dir).c_str());
    return;
  }
  auto hosts = nodes;
  if (state.range(1) == 1) {
    // Uniform fleet: as many nodes of the trace's most common type (96 cores, 384 GiB).
    ResourceVector common;
    common[Resource::kCpu] = 96;
    common[Resource::kMemory] = 384;
    hosts.assign(nodes.size(), common);
  }
  const auto algorithm = static_cast<PackingAlgorithm>(state.range(0));
  PackingResult r;
  for (auto _ : state) {
    r = Pack(hosts, pods, algorithm);
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(std::string(PackingAlgorithmName(algorithm)) +
                 (state.range(1) == 1 ? " uniform-96c-384g" : " real-nodes"));
  state.counters["hosts_used"] = r.hosts_used;
  state.counters["placed"] = r.placed;
  state.counters["mean_free_share"] = r.mean_free_share;
  state.counters["stranded_share"] = r.stranded_share;
  state.counters["used_capacity_share"] = r.used_capacity_share;
}
BENCHMARK(BM_PackOpenB)
    ->ArgsProduct({{static_cast<int>(PackingAlgorithm::kFirstFitDecreasing),
                    static_cast<int>(PackingAlgorithm::kBestFitDecreasing),
                    static_cast<int>(PackingAlgorithm::kDominantBestFit)},
                   {0, 1}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace prognos::policy
