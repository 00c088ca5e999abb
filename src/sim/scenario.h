// A simulator scenario (issue #13): cluster, workloads driven by real traces, SLA tiers, delays and
// injected faults, parsed from YAML with line-numbered errors ("line N: key.path: what is wrong").
// Plain data; the runner (sim/runner.h) turns it into a world for one seed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "policy/types.h"

namespace prognos::sim {

enum class TraceSource : std::uint8_t { kBitbrains, kAlibaba };

enum class FaultType : std::uint8_t {
  kDisk,            // Backblaze-driven: a real failed drive's SMART history, fails on its last day
  kCpuThrottle,     // synthetic: temperature/throttle ramp, then the host's CPU runs at `factor`
  kMemoryErrors,    // synthetic: corrected-ECC ramp, then the host fails (uncorrectable error)
  kNetworkOutage,   // synthetic: latency/error ramp, then the host is unreachable
  kNetworkLatency,  // synthetic: latency ramp, then its workloads run degraded (SLA violation)
  kHost,            // synthetic: whole-host failure (warning status and error rate as precursor)
};
std::string_view FaultTypeName(FaultType t);
std::optional<FaultType> ParseFaultType(std::string_view name);

// How a workload's CPU request behaves (Kubernetes QoS). kGuaranteed: the request is also the
// limit, so any demand above it is throttled (an SLA violation). kBurstable: the request is a
// reservation with no limit (CFS shares): demand above it runs on the host's idle CPU, and a
// workload is throttled (an SLA violation) only when its host's CPU is contended and its
// request-weighted fair share is below its demand. Memory is never compressible: above the
// request is an OOM kill in both.
enum class CpuQos : std::uint8_t { kGuaranteed, kBurstable };
std::string_view CpuQosName(CpuQos q);  // "guaranteed", "burstable"
std::optional<CpuQos> ParseCpuQos(std::string_view name);

enum class PolicyKind : std::uint8_t { kProactive, kReactive, kVpa, kNone };
std::string_view PolicyKindName(PolicyKind p);
std::optional<PolicyKind> ParsePolicyKind(std::string_view name);

struct PoolSpec {
  std::string id;
  std::string zone;
  double node_cores = 32;
  double node_memory_gib = 128;
  double node_cost_per_hour = 1.0;
  double creation_cost = 0;
  DurationMs lead_time_ms = 10 * kMinuteMs;
  int min_nodes = 0;
  int max_nodes = 10;
};

struct TierSpec {
  std::string name;
  double share = 1.0;  // fraction of the workloads in this tier (normalised over tiers)
  double demand_quantile = 0.9;
  std::optional<double> cpu_quantile =
      std::nullopt;  // the planner's CPU sizing quantile (policy::SlaTier)
  double target_utilization = 0.7;
  double violation_cost_per_hour = 1.0;
  int priority = 0;
};

struct FaultSpec {
  FaultType type = FaultType::kHost;
  int count = 1;            // faults of this kind (each on its own host)
  std::optional<int> host;  // host index (0-based); nullopt = seeded random host
  std::optional<DurationMs>
      at_ms;                    // offset from the start of the measured period; nullopt = seeded
  DurationMs precursor_ms = 0;  // 0 = no precursor at all ("precursor: none")
  DurationMs duration_ms = 4 * kHourMs;  // how long the host stays broken before repair
  double factor = 0.3;        // cpu_throttle: CPU left; network_latency: added latency in ms / 100
  std::string backblaze_dir;  // disk: daily SMART files (resolved path)
  int line = 0;               // line of the fault in the scenario (for the report)
};

struct Scenario {
  std::string name;
  std::string file;                     // where it was read from
  DurationMs duration_ms = 2 * kDayMs;  // measured period (SLA, cost)
  DurationMs warmup_ms = kDayMs;        // telemetry before the measured period (history)
  DurationMs step_ms = 5 * kMinuteMs;   // telemetry step
  DurationMs control_interval_ms = 5 * kMinuteMs;
  std::uint64_t seed = 1;

  // Cluster.
  int hosts = 10;
  std::vector<double> host_cores = {16, 32, 48};  // sizes drawn from the seed
  double memory_gib_per_core = 4;
  std::vector<std::string> zones = {"a"};
  double core_hour_price = 0.04;
  double gib_hour_price = 0.005;
  // Storage of data-protection copies, per GiB-hour (primary data is charged to no policy: every
  // policy holds the same). Default: block storage list price $0.08 per GB-month (AWS EBS gp3,
  // us-east-1) = 0.08 × 1.0737 GB/GiB / 730 h ≈ 0.000118.
  double disk_gib_hour_price = 0.000118;
  std::vector<PoolSpec> pools;
  CpuQos cpu_qos = CpuQos::kGuaranteed;

  // Workloads.
  int workloads = 20;
  TraceSource source = TraceSource::kBitbrains;
  std::string trace_path;    // resolved
  std::vector<int> vms;      // Bitbrains file numbers / Alibaba machine ids' order; empty = all
  double alibaba_cores = 8;  // Alibaba: cores the 100 % of cpu_util_percent stands for
  double alibaba_memory_gib = 32;  // Alibaba: GiB the 100 % of mem_util_percent stands for
  double demand_scale = 1.0;
  double growth = 0.0;  // demand × (1 + growth · elapsed/duration) (synthetic trend)
  int bursts = 0;       // synthetic bursts (seeded times and workloads)
  double burst_factor = 2.0;
  DurationMs burst_ms = kHourMs;
  int replicas = 2;
  int max_replicas = 20;
  double data_gib = 20;  // local data per workload (lost with its disk)
  std::vector<TierSpec> tiers;

  // Delays.
  DurationMs migration_ms = 2 * kMinuteMs;
  DurationMs restart_ms = 300 * kSecondMs;
  double migration_failure_rate = 0.0;  // share of migrations that fail midway (seeded)
  // Bandwidth a data-protection copy syncs at: a copy of data_gib is in sync after
  // data_gib × 8 × 1024³ / (bandwidth × 10⁶) s (50 GiB at 1 Gbit/s: 429 s).
  double copy_bandwidth_mbit_s = 1000;

  std::vector<FaultSpec> faults;

  // Planner settings of the proactive policy (a subset of docs/configuration.md `policy:`).
  policy::PolicySpec policy;
};

// Parses a scenario. Relative trace paths are resolved against `base_dirs` in order (the first
// that exists wins; the runner passes the current directory and the scenario file's ancestors).
// Every problem is reported, one per line, "line N: key.path: message".
Result<Scenario> ParseScenario(std::string_view yaml, const std::string& file,
                               const std::vector<std::string>& base_dirs);
// Reads the file and parses it with base dirs: ".", then each ancestor of the file.
Result<Scenario> LoadScenario(const std::string& path);

}  // namespace prognos::sim
