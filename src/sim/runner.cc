#include "sim/runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "core/labels.h"
#include "core/metrics.h"
#include "engine/controller.h"
#include "engine/engine.h"
#include "policy/planner.h"
#include "sim/cpu_share.h"
#include "sim/traces.h"
#include "sim/world.h"

namespace prognos::sim {
namespace {

constexpr TimestampMs kEpochStart = 1372636800000;  // 2013-07-01T00:00:00Z, Bitbrains' month
constexpr DurationMs kTickMs = 15 * kSecondMs;      // HPA sync period; the world's resolution
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kEps = 1e-9;

// Deterministic noise in [-1, 1] for (seed, host, step, channel): splitmix64 of the mix.
double Noise(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  std::uint64_t z = seed ^ (a * 0x9E3779B97F4A7C15ULL) ^ (b * 0xBF58476D1CE4E5B9ULL) ^
                    (c * 0x94D049BB133111EBULL);
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / static_cast<double>(1ULL << 53) * 2.0 - 1.0;
}

std::uint64_t Below(Rng& rng, std::uint64_t n) { return n == 0 ? 0 : rng.Next() % n; }

// Traces are read once per process (compare runs many seeds and policies on the same files).
Result<std::vector<std::shared_ptr<const DemandTrace>>> LoadTraces(const Scenario& s) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const DemandTrace>> cache;
  std::lock_guard<std::mutex> lock(mu);
  std::vector<std::shared_ptr<const DemandTrace>> out;
  if (s.source == TraceSource::kBitbrains) {
    std::vector<int> vms = s.vms;
    if (vms.empty()) {
      for (int i = 1; i <= 100; ++i) vms.push_back(i);
    }
    for (int vm : vms) {
      const std::string key = fmt::format("bb:{}:{}:{}", s.trace_path, vm, s.step_ms);
      auto it = cache.find(key);
      if (it == cache.end()) {
        auto t = LoadBitbrainsVm(s.trace_path, vm, s.step_ms);
        if (!t) {
          if (t.error().code == ErrorCode::kNotFound && s.vms.empty()) continue;
          return tl::unexpected(t.error());
        }
        it = cache.emplace(key, std::make_shared<const DemandTrace>(std::move(*t))).first;
      }
      out.push_back(it->second);
    }
  } else {
    const std::string key = fmt::format("ali:{}:{}:{}:{}", s.trace_path, s.step_ms, s.alibaba_cores,
                                        s.alibaba_memory_gib);
    std::vector<std::shared_ptr<const DemandTrace>> all;
    for (int i = 0;; ++i) {
      auto it = cache.find(key + ":" + std::to_string(i));
      if (it == cache.end()) break;
      all.push_back(it->second);
    }
    if (all.empty()) {
      auto ts = LoadAlibaba(s.trace_path, s.step_ms, s.alibaba_cores, s.alibaba_memory_gib);
      if (!ts) return tl::unexpected(ts.error());
      for (std::size_t i = 0; i < ts->size(); ++i) {
        auto p = std::make_shared<const DemandTrace>(std::move((*ts)[i]));
        cache.emplace(key + ":" + std::to_string(i), p);
        all.push_back(p);
      }
    }
    if (s.vms.empty()) {
      out = all;
    } else {
      for (int v : s.vms) {
        if (v < 1 || static_cast<std::size_t>(v) > all.size()) {
          return MakeError(
              ErrorCode::kInvalidArgument,
              fmt::format("Alibaba trace has {} machines; vms names {}", all.size(), v));
        }
        out.push_back(all[static_cast<std::size_t>(v - 1)]);
      }
    }
  }
  if (out.empty()) {
    return MakeError(ErrorCode::kNotFound, "no demand traces found in " + s.trace_path);
  }
  for (const auto& t : out) {
    if (t->cores.empty() || !std::isfinite(t->cores.front()) ||
        !std::isfinite(t->memory_gib.front())) {
      return MakeError(ErrorCode::kInvalidArgument, t->name + ": empty trace");
    }
  }
  return out;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

// One injected fault with what happened to it.
struct Fault {
  FaultType type = FaultType::kHost;
  int host = 0;  // index into world hosts (base hosts)
  TimestampMs at = 0;
  TimestampMs precursor_start = 0;
  DurationMs duration_ms = 0;
  double factor = 0;
  bool preceded = false;
  const FailedDrive* drive = nullptr;
  int spec_line = 0;
  // Outcome.
  bool started = false;
  bool hit = false;
  bool repaired = false;
  std::vector<std::string> at_precursor;  // workloads on the host when the precursor began
  int on_host_at_fault = 0;
  std::optional<TimestampMs> predicted_at;
  std::optional<TimestampMs> migration_decided_at;  // first migrate decision off the host
};

// Precursor progress in [0, 1] of a fault at time t (0 outside the precursor window).
double Ramp(const Fault& f, TimestampMs t) {
  if (!f.preceded || t < f.precursor_start || t >= f.at) return 0;
  return static_cast<double>(t - f.precursor_start) /
         static_cast<double>(std::max<DurationMs>(1, f.at - f.precursor_start));
}

enum Indicator : std::size_t {
  kCpuUtil,
  kMemUtil,
  kCpuTemp,
  kCpuThrottle,
  kEcc,
  kNetLatency,
  kNetErrors,
  kErrorRate,
  kSmart5,
  kSmart187,
  kSmart188,
  kSmart197,
  kSmart198,
  kSmart194,
  kStatus,
  kIndicatorCount
};
constexpr std::array<const char*, kIndicatorCount> kIndicatorNames = {
    "cpu_util",       "mem_util",      "cpu_temp_c",    "cpu_throttle_pct", "ecc_errors",
    "net_latency_ms", "net_errors",    "error_rate",    "smart_5_raw",      "smart_187_raw",
    "smart_188_raw",  "smart_197_raw", "smart_198_raw", "smart_194_raw",    "status"};

Labels MakeLabels(std::string_view name, std::string_view component, std::string_view host) {
  std::vector<Label> l;
  l.push_back({std::string(kMetricNameLabel), std::string(name)});
  if (!component.empty()) l.push_back({std::string(kComponentLabel), std::string(component)});
  l.push_back({std::string(kHostLabel), std::string(host)});
  return Labels::FromSortedUnchecked(std::move(l));
}

class Run {
 public:
  Run(const Scenario& s, PolicyKind policy, std::uint64_t seed, const RunOptions& options)
      : s_(s), policy_(policy), seed_(seed), options_(options), world_(s, seed) {}

  Result<RunResult> Execute();

 private:
  Result<void> Setup();
  Result<void> SetupFaults(Rng& rng);
  // Demand (cores, GiB) of workload i in telemetry slot k (k = 0 at the start of the warm-up).
  std::pair<double, double> DemandAt(std::size_t i, std::int64_t k) const;
  void UpdateDemand(TimestampMs t);
  void EmitTelemetry(TimestampMs t, std::int64_t step);
  void FaultEvents(TimestampMs t);
  void Reactive(TimestampMs t);
  void Vpa(TimestampMs t, bool sample_only);
  void ProtectDuringWarmup(TimestampMs t);
  void Proactive(TimestampMs t);
  void Account(TimestampMs t);
  // Burstable CPU: the CPU each workload gets this tick (0 when not running), by FairShare on
  // each host's capacity (× its throttle factor) with the requests as weights.
  void ServedCpu(std::vector<double>& served);
  nlohmann::ordered_json Report() const;

  const Scenario& s_;
  PolicyKind policy_;
  std::uint64_t seed_;
  const RunOptions& options_;
  World world_;
  std::vector<std::shared_ptr<const DemandTrace>> traces_;
  std::vector<Fault> faults_;
  struct Burst {
    std::size_t workload;
    TimestampMs from;
    TimestampMs to;
  };
  std::vector<Burst> bursts_;
  const BackblazeSet* backblaze_ = nullptr;
  TimestampMs t_begin_ = kEpochStart;
  TimestampMs t_measure_ = 0;
  TimestampMs t_end_ = 0;
  int base_hosts_ = 0;
  nlohmann::ordered_json placement_ = nlohmann::ordered_json::array();

  // Engine + controller (proactive only).
  std::unique_ptr<FakeClock> clock_;
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<SimActuator> actuator_;
  std::unique_ptr<engine::Controller> controller_;
  // The warm-up's planner: only its data-protection actions are applied (copies exist when the
  // measured period starts, as on a cluster that already ran with the policy).
  std::unique_ptr<policy::Planner> warmup_planner_;
  std::string store_dir_;
  std::vector<std::vector<Labels>> host_labels_;
  std::vector<std::pair<std::string, std::array<Labels, 2>>> workload_labels_;
  std::vector<ingest::ParsedSample> batch_;  // EmitTelemetry's, reused from step to step
  std::uint64_t samples_sent_ = 0;
  std::uint64_t samples_rejected_ = 0;
  std::map<std::string, std::uint64_t> audit_counts_;
  std::set<std::string> false_alarm_hosts_;
  std::uint64_t false_alarm_ticks_ = 0;
  std::map<std::string, std::uint64_t> false_alarm_causes_;  // root cause → host-ticks
  std::uint64_t plans_degraded_ = 0;

  // Accounting.
  double violation_minutes_ = 0;
  double violation_cost_ = 0;
  double down_minutes_ = 0;
  double underallocated_minutes_ = 0;
  double degraded_minutes_ = 0;
  // Burstable CPU: workload-minutes throttled by a contended host (an SLA violation), and
  // workload-minutes whose CPU demand ran above its request (on borrowed idle CPU under
  // burstable; a violation under guaranteed).
  double throttled_minutes_ = 0;
  double above_request_minutes_ = 0;
  std::vector<double> served_;                     // per workload: CPU served this tick (burstable)
  std::vector<std::vector<std::size_t>> on_host_;  // scratch for ServedCpu, by host index
  std::vector<double> share_weight_, share_demand_, share_got_;  // scratch for ServedCpu
  // Each workload's host index, cached by its host's name (host indices never change: the world
  // only appends hosts), so the per-tick accounting hashes no strings.
  std::vector<std::string> wl_host_name_;
  std::vector<int> wl_host_idx_;
  int HostOf(std::size_t i) {
    const SimWorkload& w = world_.workloads()[i];
    if (wl_host_idx_.size() <= i) {
      wl_host_name_.resize(i + 1);
      wl_host_idx_.resize(i + 1, -1);
    }
    if (wl_host_name_[i] != w.host || (wl_host_idx_[i] < 0 && !w.host.empty())) {
      wl_host_name_[i] = w.host;
      wl_host_idx_[i] = w.host.empty() ? -1 : world_.HostIndex(w.host);
    }
    return wl_host_idx_[i];
  }
  std::vector<double> host_use_;  // scratch of Account (guaranteed), by host index
  double alloc_cost_ = 0;
  double node_cost_ = 0;
  double alloc_core_ticks_ = 0;
  double slack_core_ticks_ = 0;
  double alloc_mem_ticks_ = 0;
  double slack_mem_ticks_ = 0;
  double demand_core_ticks_ = 0;
  // Slack breakdown (report key `slack_breakdown`, docs/evaluation.md "Where the slack sits").
  // Per running workload-tick with allocation a, demand d and P = the true peak of d over the
  // policy horizon (perfect foresight): a − min(a, d) = [min(a, P) − min(a, d)] (the horizon's
  // own variability) + [min(a, P(1+h)) − min(a, P)] (headroom h) + [a − min(a, P(1+h))] (above
  // the true peak plus headroom: forecast interval width, quantile, damping, quantisation, floors).
  static constexpr std::size_t kOracleCount = 3;  // peaks over 1 step, 3 steps, the policy horizon
  std::vector<std::array<double, kOracleCount>> oracle_peak_;
  std::array<double, kOracleCount> oracle_alloc_ticks_{};
  std::array<double, kOracleCount> oracle_slack_ticks_{};
  double slack_horizon_ticks_ = 0;
  double slack_headroom_ticks_ = 0;
  double slack_above_ticks_ = 0;
  struct WorkloadSlack {
    double alloc = 0;
    double slack = 0;
    double demand = 0;
    double ticks = 0;
  };
  std::vector<WorkloadSlack> wl_slack_;
  std::uint64_t measured_ticks_ = 0;
  std::uint64_t baseline_actions_ = 0;
  std::vector<TimelinePoint> timeline_;
  std::vector<TimelineEvent> events_;
};

Result<void> Run::Setup() {
  auto traces = LoadTraces(s_);
  if (!traces) return tl::unexpected(traces.error());
  traces_ = std::move(*traces);
  t_measure_ = t_begin_ + s_.warmup_ms;
  t_end_ = t_measure_ + s_.duration_ms;
  world_.set_measure_from(t_measure_);
  base_hosts_ = s_.hosts;
  Rng rng(seed_ * 0x2545F4914F6CDD1DULL + 17);
  // Workloads: trace, offset, tier, initial size.
  std::vector<std::size_t> perm(traces_.size());
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng.engine());
  double share_total = 0;
  for (const auto& t : s_.tiers) share_total += t.share;
  const auto warm_slots =
      static_cast<std::size_t>(std::max<DurationMs>(s_.warmup_ms, kDayMs) / s_.step_ms);
  HpaConfig hpa;
  hpa.max_replicas = s_.max_replicas;
  for (int i = 0; i < s_.workloads; ++i) {
    SimWorkload w;
    char name[32];
    std::snprintf(name, sizeof(name), "wl-%03d", i);
    w.id = name;
    w.trace = perm[static_cast<std::size_t>(i) % perm.size()];
    const DemandTrace& tr = *traces_[w.trace];
    w.offset_slot = static_cast<std::int64_t>(Below(rng, tr.cores.size()));
    double u = rng.Uniform() * share_total;
    w.tier = s_.tiers.size() - 1;
    for (std::size_t k = 0; k < s_.tiers.size(); ++k) {
      if (u < s_.tiers[k].share) {
        w.tier = k;
        break;
      }
      u -= s_.tiers[k].share;
    }
    std::vector<double> c;
    std::vector<double> m;
    for (std::size_t k = 0; k < warm_slots; ++k) {
      const std::size_t slot = (static_cast<std::size_t>(w.offset_slot) + k) % tr.cores.size();
      c.push_back(tr.cores[slot] * s_.demand_scale);
      m.push_back(tr.memory_gib[slot] * s_.demand_scale);
    }
    const double target = s_.tiers[w.tier].target_utilization;
    w.replicas = s_.replicas;
    w.req_cores = std::max(0.01, Quantile(c, 0.95) / target / w.replicas);
    w.req_mem = std::max(0.01, Quantile(m, 0.95) / target / w.replicas);
    w.hpa = HpaRecommender(hpa);
    VpaConfig mem_cfg;
    mem_cfg.first_bucket = 1e7 / kGiB;  // VPA's memory histogram starts at 10 MB
    w.vpa_mem = VpaRecommender(mem_cfg);
    world_.workloads().push_back(std::move(w));
  }
  // Placement: workloads in a seeded order, each on a seeded random host among those it fits.
  std::vector<std::size_t> order(world_.workloads().size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng.engine());
  for (std::size_t wi : order) {
    SimWorkload& w = world_.workloads()[wi];
    std::vector<std::size_t> fits;
    for (std::size_t h = 0; h < world_.hosts().size(); ++h) {
      if (world_.Fits(world_.hosts()[h], w.replicas * w.req_cores, w.replicas * w.req_mem,
                      nullptr)) {
        fits.push_back(h);
      }
    }
    if (!fits.empty()) w.host = world_.hosts()[fits[Below(rng, fits.size())]].id;
  }
  for (const auto& w : world_.workloads()) {
    placement_.push_back({{"workload", w.id},
                          {"trace", traces_[w.trace]->name},
                          {"offset_s", w.offset_slot * s_.step_ms / 1000},
                          {"tier", s_.tiers[w.tier].name},
                          {"host", w.host},
                          {"replicas", w.replicas},
                          {"request_cores", std::round(w.req_cores * 1e4) / 1e4},
                          {"request_memory_gib", std::round(w.req_mem * 1e4) / 1e4}});
  }
  for (int b = 0; b < s_.bursts; ++b) {
    Burst burst;
    burst.workload = Below(rng, world_.workloads().size());
    burst.from =
        t_measure_ +
        static_cast<TimestampMs>(rng.Uniform() * static_cast<double>(s_.duration_ms - s_.burst_ms));
    burst.to = burst.from + s_.burst_ms;
    bursts_.push_back(burst);
  }
  return SetupFaults(rng);
}

Result<void> Run::SetupFaults(Rng& rng) {
  std::set<int> used;
  for (const FaultSpec& spec : s_.faults) {
    if (spec.type == FaultType::kDisk && backblaze_ == nullptr) {
      auto set = LoadBackblaze(spec.backblaze_dir);
      if (!set) return tl::unexpected(set.error());
      backblaze_ = *set;
      if (backblaze_->failed.empty()) {
        return MakeError(ErrorCode::kInvalidArgument, "no failed drives in " + spec.backblaze_dir);
      }
    }
    for (int n = 0; n < spec.count; ++n) {
      Fault f;
      f.type = spec.type;
      f.spec_line = spec.line;
      if (spec.host) {
        f.host = *spec.host;
      } else {
        if (static_cast<int>(used.size()) >= base_hosts_) {
          return MakeError(ErrorCode::kInvalidArgument, "more faults than hosts");
        }
        do {
          f.host = static_cast<int>(Below(rng, static_cast<std::uint64_t>(base_hosts_)));
        } while (used.count(f.host) != 0);
      }
      used.insert(f.host);
      const DurationMs lo = std::min(s_.duration_ms / 10, s_.duration_ms);
      const DurationMs hi = s_.duration_ms * 9 / 10;
      const DurationMs at =
          spec.at_ms ? *spec.at_ms
                     : lo + static_cast<DurationMs>(rng.Uniform() * static_cast<double>(hi - lo));
      // On the world's 15 s grid.
      f.at = t_measure_ + at / kTickMs * kTickMs;
      f.precursor_start = f.at - spec.precursor_ms / kTickMs * kTickMs;
      f.duration_ms = spec.duration_ms;
      f.factor = spec.factor;
      f.preceded = spec.precursor_ms > 0;
      if (spec.type == FaultType::kDisk) {
        f.drive = &backblaze_->failed[Below(rng, backblaze_->failed.size())];
        // A drive whose SMART shortlist never moved gave no warning: no precursor, whatever the
        // scenario allows.
        f.preceded = f.preceded && f.drive->has_precursor;
      }
      faults_.push_back(f);
      world_.hosts()[static_cast<std::size_t>(f.host)].fault = static_cast<int>(faults_.size() - 1);
    }
  }
  return Ok();
}

std::pair<double, double> Run::DemandAt(std::size_t i, std::int64_t k) const {
  const TimestampMs t = t_begin_ + k * s_.step_ms;
  double growth = 1.0;
  if (t > t_measure_) {
    growth += s_.growth * std::min(1.0, static_cast<double>(t - t_measure_) /
                                            static_cast<double>(s_.duration_ms));
  }
  const SimWorkload& w = world_.workloads()[i];
  const DemandTrace& tr = *traces_[w.trace];
  const auto slot =
      static_cast<std::size_t>((w.offset_slot + k) % static_cast<std::int64_t>(tr.cores.size()));
  double f = s_.demand_scale * growth;
  for (const Burst& b : bursts_) {
    if (b.workload == i && t >= b.from && t < b.to) f *= s_.burst_factor;
  }
  return {tr.cores[slot] * f, tr.memory_gib[slot] * f};
}

void Run::UpdateDemand(TimestampMs t) {
  const std::int64_t k = (t - t_begin_) / s_.step_ms;
  auto& ws = world_.workloads();
  for (std::size_t i = 0; i < ws.size(); ++i) {
    std::tie(ws[i].demand_cores, ws[i].demand_mem) = DemandAt(i, k);
  }
  if (t < t_measure_) return;
  // Perfect-foresight peaks of each workload's CPU demand for the slack breakdown: the max over
  // this step and the next n steps, n = 1, 3 and the policy horizon in steps (what the
  // controller's Demand() takes the peak over: the last value and `horizon / step` forecasts).
  const std::array<std::int64_t, kOracleCount> steps = {
      1, 3, std::max<std::int64_t>(1, s_.policy.horizon_ms / s_.step_ms)};
  oracle_peak_.assign(ws.size(), {});
  for (std::size_t i = 0; i < ws.size(); ++i) {
    double peak = ws[i].demand_cores;
    std::int64_t done = 0;
    for (std::size_t o = 0; o < kOracleCount; ++o) {
      for (; done < steps[o]; ++done) peak = std::max(peak, DemandAt(i, k + done + 1).first);
      oracle_peak_[i][o] = peak;
    }
  }
}

void Run::EmitTelemetry(TimestampMs t, std::int64_t step) {
  auto& hosts = world_.hosts();
  auto& ws = world_.workloads();
  // The batch is kept from step to step: its label sets are only copied when a slot's series
  // changed (a host went down, a workload moved), not for every sample of every step.
  std::vector<ingest::ParsedSample>& batch = batch_;
  std::size_t used_slots = 0;
  auto add = [&](const Labels& labels, Sample sample) {
    if (used_slots == batch.size()) batch.emplace_back();
    ingest::ParsedSample& slot = batch[used_slots++];
    if (!(slot.labels == labels)) slot.labels = labels;
    slot.sample = sample;
    slot.line = 0;
  };
  while (host_labels_.size() < hosts.size()) {
    const SimHost& h = hosts[host_labels_.size()];
    std::vector<Labels> l;
    l.reserve(kIndicatorNames.size());
    for (const char* name : kIndicatorNames) l.push_back(MakeLabels(name, "", h.id));
    host_labels_.push_back(std::move(l));
  }
  std::unordered_map<std::string, std::pair<double, double>> used;
  for (const auto& w : ws) {
    if (w.down || w.host.empty()) continue;
    auto& u = used[w.host];
    u.first += w.demand_cores;
    u.second += w.demand_mem;
  }
  for (std::size_t hi = 0; hi < hosts.size(); ++hi) {
    const SimHost& h = hosts[hi];
    if (!h.up || h.removed) continue;  // a down host sends nothing
    std::array<double, kIndicatorCount> v{};
    auto noise = [&](std::uint64_t ch) {
      return Noise(seed_, hi, static_cast<std::uint64_t>(step), ch);
    };
    const auto u = used[h.id];
    const double cpu_util = std::min(1.0, u.first / (h.cores * h.cpu_factor));
    v[kCpuUtil] = cpu_util;
    v[kMemUtil] = std::min(1.0, u.second / h.memory_gib);
    v[kCpuTemp] = 42 + 30 * cpu_util + 0.5 * noise(1);
    v[kCpuThrottle] = 0;
    v[kEcc] = noise(2) > 0.96 ? 1 : 0;
    v[kNetLatency] = 0.5 + 0.05 * noise(3);
    v[kNetErrors] = 0;
    v[kErrorRate] = 0;
    v[kSmart194] = 28 + static_cast<double>(hi % 8);
    v[kStatus] = 0;
    for (std::size_t k = kSmart5; k <= kSmart198; ++k) v[k] = 0;
    if (h.fault >= 0) {
      const Fault& f = faults_[static_cast<std::size_t>(h.fault)];
      const double ramp = Ramp(f, t);
      const bool active = f.hit && !f.repaired;
      switch (f.type) {
        case FaultType::kCpuThrottle:
          v[kCpuTemp] += 40 * ramp + (active ? 50 : 0);
          v[kCpuThrottle] = 30 * ramp + (active ? 100 * (1 - f.factor) : 0);
          break;
        case FaultType::kMemoryErrors:
          if (ramp > 0) v[kEcc] = std::floor(std::exp2(8 * ramp));
          break;
        case FaultType::kNetworkOutage:
        case FaultType::kNetworkLatency:
          v[kNetLatency] += 30 * ramp * ramp + (active ? f.factor * 100 : 0);
          v[kNetErrors] = std::floor(100 * ramp);
          break;
        case FaultType::kHost:
          v[kErrorRate] = 0.3 * ramp;
          if (ramp > 0.5) v[kStatus] = 1;
          break;
        case FaultType::kDisk:
          if (f.preceded && f.drive != nullptr && t >= f.precursor_start && !f.repaired) {
            // The drive's days, time-compressed onto the precursor window: day d of n shows
            // from precursor_start + d · window / n.
            const auto n = static_cast<std::int64_t>(f.drive->days.size());
            const DurationMs window = std::max<DurationMs>(1, f.at - f.precursor_start);
            const std::int64_t d =
                std::min<std::int64_t>(n - 1, (t - f.precursor_start) * n / window);
            const auto& day = f.drive->days[static_cast<std::size_t>(d)];
            for (std::size_t k = 0; k < kSmartCount; ++k) {
              v[kSmart5 + k] = day[k];
            }
          }
          break;
      }
    }
    for (std::size_t k = 0; k < kIndicatorCount; ++k) {
      if (!std::isfinite(v[k])) continue;  // a SMART attribute the drive does not report
      add(host_labels_[hi][k], Sample{t, v[k]});
    }
  }
  if (workload_labels_.size() < ws.size()) workload_labels_.resize(ws.size());
  for (std::size_t i = 0; i < ws.size(); ++i) {
    const SimWorkload& w = ws[i];
    if (w.down || w.host.empty()) continue;
    auto& cached = workload_labels_[i];
    if (cached.first != w.host) {
      cached.first = w.host;
      cached.second = {MakeLabels("cpu_cores", w.id, w.host),
                       MakeLabels("memory_gib", w.id, w.host)};
    }
    add(cached.second[0], Sample{t, w.demand_cores});
    add(cached.second[1], Sample{t, w.demand_mem});
  }
  batch.resize(used_slots);
  clock_->Set(t);
  samples_sent_ += batch.size();
  auto r = engine_->IngestParsed(batch, {}, static_cast<std::uint32_t>(batch.size()));
  if (r) samples_rejected_ += r->rejected_samples;
}

void Run::FaultEvents(TimestampMs t) {
  for (Fault& f : faults_) {
    SimHost& h = world_.hosts()[static_cast<std::size_t>(f.host)];
    const TimestampMs watch = f.preceded ? f.precursor_start : f.at - s_.control_interval_ms;
    if (!f.started && t >= watch) {
      f.started = true;
      for (const auto& w : world_.workloads()) {
        if (w.host == h.id && !w.down) f.at_precursor.push_back(w.id);
      }
      if (f.preceded) events_.push_back({t, "precursor", h.id});
    }
    if (!f.hit && t >= f.at) {
      f.hit = true;
      for (const auto& w : world_.workloads()) {
        if (w.host == h.id && !w.down) ++f.on_host_at_fault;
      }
      events_.push_back({t, "fault", fmt::format("{} {}", FaultTypeName(f.type), h.id)});
      switch (f.type) {
        case FaultType::kCpuThrottle:
          h.cpu_factor = f.factor;
          break;
        case FaultType::kNetworkLatency:
          h.net_degraded = true;
          break;
        default:
          if (f.type == FaultType::kDisk) {
            const World::DiskFailure disk{f.preceded, f.precursor_start};
            world_.FailHost(h, t, &disk);
          } else {
            world_.FailHost(h, t, nullptr);
          }
          break;
      }
    }
    if (f.hit && !f.repaired && t >= f.at + f.duration_ms) {
      f.repaired = true;
      world_.RepairHost(h);
      events_.push_back({t, "repair", h.id});
    }
  }
}

void Run::Reactive(TimestampMs t) {
  for (auto& w : world_.workloads()) {
    if (w.down || w.host.empty() || w.migrating) continue;
    const double uc = w.demand_cores / (w.replicas * w.req_cores);
    const double um = w.demand_mem / (w.replicas * w.req_mem);
    const int desired = w.hpa.Decide(t, w.replicas, {uc, um});
    if (desired != w.replicas && world_.Resize(w, desired, w.req_cores, w.req_mem, t)) {
      ++baseline_actions_;
      events_.push_back({t, "scale", w.id});
    }
  }
}

void Run::Vpa(TimestampMs t, bool sample_only) {
  for (auto& w : world_.workloads()) {
    if (w.down || w.host.empty()) continue;
    // Per-replica usage, as the VPA sees one container of the deployment.
    w.vpa_cpu.AddSample(t, w.demand_cores / w.replicas);
    w.vpa_mem.AddSample(t, w.demand_mem / w.replicas);
    if (sample_only || w.migrating) continue;
    const double c = w.vpa_cpu.Recommend(w.req_cores);
    const double m = w.vpa_mem.Recommend(w.req_mem);
    if ((std::fabs(c - w.req_cores) > kEps || std::fabs(m - w.req_mem) > kEps) &&
        world_.Resize(w, w.replicas, c, m, t)) {
      ++baseline_actions_;
      events_.push_back({t, "scale", w.id});
    }
  }
}

void Run::ProtectDuringWarmup(TimestampMs t) {
  if (!s_.policy.data_protection.enabled()) return;
  if (!warmup_planner_) warmup_planner_ = std::make_unique<policy::Planner>(s_.policy);
  policy::PlannerInput in;
  in.now = t;
  const policy::ActionPlan plan = warmup_planner_->Plan(world_.ToInventory(), in);
  for (const policy::Action& a : plan.actions) {
    if (a.type != policy::ActionType::kReplicate) continue;
    if (actuator_->Apply(a, t)) {
      // Counted in data_protection.copies_created_in_warmup, not in the measured actions.
      --world_.counters().actions;
      if (options_.on_audit) {
        policy::AuditEntry e;
        e.t = t;
        e.kind = "decision";
        e.action = a;
        options_.on_audit(e);
      }
    }
  }
}

void Run::Proactive(TimestampMs t) {
  controller_->SetInventory(world_.ToInventory());
  engine::TickReport tick = controller_->Tick(t);
  if (tick.plan.degraded) ++plans_degraded_;
  for (const auto& o : tick.outcomes) {
    if (o.outcome == policy::Outcome::kRolledBack) ++world_.counters().rollbacks;
    if (o.outcome == policy::Outcome::kApplied) {
      events_.push_back({t, std::string(policy::ActionTypeName(o.type)), o.workload});
    }
  }
  const double threshold = s_.policy.thresholds.migrate_p_fail;
  for (const auto& r : controller_->risks()) {
    if (r.p_fail < threshold) continue;
    bool explained = false;
    for (auto& f : faults_) {
      if (world_.hosts()[static_cast<std::size_t>(f.host)].id != r.host) continue;
      const TimestampMs from = (f.preceded ? f.precursor_start : f.at) - s_.policy.horizon_ms;
      if (t >= from && t <= f.at + f.duration_ms) {
        explained = true;
        if (t <= f.at && !f.predicted_at) f.predicted_at = t;
      }
    }
    if (!explained) {
      ++false_alarm_ticks_;
      false_alarm_hosts_.insert(r.host);
      ++false_alarm_causes_[r.root_cause.empty() ? "(none)" : r.root_cause];
    }
  }
}

void Run::ServedCpu(std::vector<double>& served) {
  const auto& ws = world_.workloads();
  const auto& hs = world_.hosts();
  served.assign(ws.size(), 0.0);
  if (on_host_.size() < hs.size()) on_host_.resize(hs.size());
  for (auto& v : on_host_) v.clear();
  for (std::size_t i = 0; i < ws.size(); ++i) {
    const SimWorkload& w = ws[i];
    if (w.down || w.host.empty()) continue;
    const int h = HostOf(i);
    if (h >= 0) on_host_[static_cast<std::size_t>(h)].push_back(i);
  }
  for (std::size_t h = 0; h < hs.size(); ++h) {
    const auto& idx = on_host_[h];
    if (idx.empty()) continue;
    share_weight_.clear();
    share_demand_.clear();
    for (std::size_t i : idx) {
      share_weight_.push_back(ws[i].replicas * ws[i].req_cores);
      share_demand_.push_back(ws[i].demand_cores);
    }
    FairShare(hs[h].up ? hs[h].cores * hs[h].cpu_factor : 0.0, share_weight_, share_demand_,
              share_got_);
    for (std::size_t k = 0; k < idx.size(); ++k) served[idx[k]] = share_got_[k];
  }
}

void Run::Account(TimestampMs t) {
  const double minutes = static_cast<double>(kTickMs) / kMinuteMs;
  const double hours = static_cast<double>(kTickMs) / kHourMs;
  const auto& ws = world_.workloads();
  const bool burstable = s_.cpu_qos == CpuQos::kBurstable;
  // CPU each running workload gets this tick (guaranteed: up to its request; burstable: its
  // request-weighted fair share of the host, see ServedCpu) and, for guaranteed, each host's load.
  if (burstable) {
    ServedCpu(served_);
  } else {
    host_use_.assign(world_.hosts().size(), 0.0);
    for (std::size_t i = 0; i < ws.size(); ++i) {
      const SimWorkload& w = ws[i];
      const int h = HostOf(i);
      if (!w.down && h >= 0) {
        host_use_[static_cast<std::size_t>(h)] +=
            std::min(w.demand_cores, w.replicas * w.req_cores);
      }
    }
  }
  ++measured_ticks_;
  for (std::size_t i = 0; i < ws.size(); ++i) {
    const SimWorkload& w = ws[i];
    demand_core_ticks_ += w.demand_cores;
    bool violated = false;
    if (w.down || w.host.empty()) {
      down_minutes_ += minutes;
      violated = true;
    } else {
      const double ac = w.replicas * w.req_cores;
      const double am = w.replicas * w.req_mem;
      alloc_cost_ += (ac * s_.core_hour_price + am * s_.gib_hour_price) * hours;
      alloc_core_ticks_ += ac;
      slack_core_ticks_ += ac - std::min(ac, w.demand_cores);
      if (i < oracle_peak_.size()) {
        const auto& peak = oracle_peak_[i];
        const double p = peak[kOracleCount - 1];
        const double ph = p * (1 + s_.policy.headroom);
        slack_horizon_ticks_ += std::min(ac, p) - std::min(ac, w.demand_cores);
        slack_headroom_ticks_ += std::min(ac, ph) - std::min(ac, p);
        slack_above_ticks_ += ac - std::min(ac, ph);
        for (std::size_t o = 0; o < kOracleCount; ++o) {
          oracle_alloc_ticks_[o] += peak[o];
          oracle_slack_ticks_[o] += peak[o] - w.demand_cores;
        }
      }
      if (wl_slack_.size() <= i) wl_slack_.resize(i + 1);
      wl_slack_[i].alloc += ac;
      wl_slack_[i].slack += ac - std::min(ac, w.demand_cores);
      wl_slack_[i].demand += w.demand_cores;
      wl_slack_[i].ticks += 1;
      alloc_mem_ticks_ += am;
      slack_mem_ticks_ += am - std::min(am, w.demand_mem);
      const int hi = HostOf(i);
      const SimHost* h = hi >= 0 ? &world_.hosts()[static_cast<std::size_t>(hi)] : nullptr;
      const bool above_request = w.demand_cores > ac * (1 + 1e-9);
      if (above_request) above_request_minutes_ += minutes;
      if (burstable) {
        // Memory above its request is an OOM kill; CPU above it runs on idle cycles unless the
        // host is contended and the fair share falls short of the demand (throttled).
        if (w.demand_mem > am * (1 + 1e-9)) {
          underallocated_minutes_ += minutes;
          violated = true;
        } else if (served_[i] < w.demand_cores * (1 - 1e-9) - kEps) {
          throttled_minutes_ += minutes;
          violated = true;
        } else if (h != nullptr && h->net_degraded) {
          degraded_minutes_ += minutes;
          violated = true;
        }
      } else if (above_request || w.demand_mem > am * (1 + 1e-9)) {
        underallocated_minutes_ += minutes;
        violated = true;
      } else if (h != nullptr && (h->net_degraded || host_use_[static_cast<std::size_t>(hi)] >
                                                         h->cores * h->cpu_factor + kEps)) {
        degraded_minutes_ += minutes;
        violated = true;
      }
    }
    if (violated) {
      violation_minutes_ += minutes;
      violation_cost_ += s_.tiers[w.tier].violation_cost_per_hour * hours;
    }
  }
  (void)t;
  for (const auto& h : world_.hosts()) {
    if (!h.pool.empty() && !h.removed) {
      const PoolSpec* p = world_.FindPoolSpec(h.pool);
      if (p != nullptr) node_cost_ += p->node_cost_per_hour * hours;
    }
  }
}

Result<RunResult> Run::Execute() {
  const auto wall0 = std::chrono::steady_clock::now();
  if (auto ok = Setup(); !ok) return tl::unexpected(ok.error());
  if (policy_ == PolicyKind::kProactive) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path base =
        options_.temp_dir.empty() ? fs::temp_directory_path(ec) : fs::path(options_.temp_dir);
    std::string tmpl = (base / "prognos-sim-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      return MakeError(ErrorCode::kIo, "cannot create a temp dir under " + base.string());
    }
    store_dir_ = tmpl;
    clock_ = std::make_unique<FakeClock>(t_begin_);
    metrics_ = std::make_unique<MetricsRegistry>();
    engine::EngineOptions eo;
    eo.storage.dir = store_dir_;
    eo.storage.fsync = store::FsyncPolicy::kNever;
    eo.storage.max_age_ms = 30 * kDayMs;
    eo.future_tolerance_ms = 0;
    auto e = engine::Engine::Open(eo, *clock_, *metrics_);
    if (!e) return tl::unexpected(e.error());
    engine_ = std::move(*e);
    actuator_ = std::make_unique<SimActuator>(world_);
    engine::ControllerOptions co;
    co.policy = s_.policy;
    co.inventory = world_.ToInventory();
    auto on_entry = [this](const policy::AuditEntry& entry) {
      std::string key = entry.kind;
      if (entry.action) key += ":" + std::string(policy::ActionTypeName(entry.action->type));
      if (entry.outcome) key += ":" + std::string(policy::OutcomeName(entry.outcome->outcome));
      ++audit_counts_[key];
      if (entry.kind == "decision" && entry.action &&
          entry.action->type == policy::ActionType::kMigrate && !entry.action->host.empty()) {
        for (Fault& f : faults_) {
          const TimestampMs from = f.preceded ? f.precursor_start : f.at - s_.control_interval_ms;
          if (world_.hosts()[static_cast<std::size_t>(f.host)].id == entry.action->host &&
              entry.t >= from - s_.policy.horizon_ms && entry.t <= f.at + f.duration_ms &&
              !f.migration_decided_at) {
            f.migration_decided_at = entry.t;
          }
        }
      }
      if (options_.on_audit) options_.on_audit(entry);
    };
    controller_ = std::make_unique<engine::Controller>(*engine_, co, *actuator_, nullptr, on_entry);
  }
  const DurationMs total = t_end_ - t_begin_;
  DurationMs next_progress = 0;
  for (TimestampMs t = t_begin_; t < t_end_; t += kTickMs) {
    world_.Advance(t);
    FaultEvents(t);
    const bool step = (t - t_begin_) % s_.step_ms == 0;
    if (step) {
      UpdateDemand(t);
      const std::int64_t k = (t - t_begin_) / s_.step_ms;
      if (engine_) EmitTelemetry(t, k);
      TimelinePoint p;
      p.t = t;
      for (const auto& w : world_.workloads()) {
        p.demand_cores += w.demand_cores;
        if (!w.down && !w.host.empty()) {
          p.allocated_cores += w.replicas * w.req_cores;
        } else {
          ++p.down;
        }
      }
      timeline_.push_back(p);
    }
    const bool measured = t >= t_measure_;
    switch (policy_) {
      case PolicyKind::kReactive:
        if (measured) Reactive(t);
        break;
      case PolicyKind::kVpa:
        if (step) Vpa(t, !measured);
        break;
      case PolicyKind::kProactive:
        if ((t - t_begin_) % s_.control_interval_ms == 0) {
          if (measured) {
            Proactive(t);
          } else {
            ProtectDuringWarmup(t);
          }
        }
        break;
      case PolicyKind::kNone:
        break;
    }
    if (measured) Account(t);
    if (options_.progress && t - t_begin_ >= next_progress) {
      options_.progress(static_cast<double>(t - t_begin_) / static_cast<double>(total));
      next_progress += total / 100;
    }
  }
  if (options_.progress) options_.progress(1.0);
  RunResult result;
  result.report = Report();
  result.timeline = std::move(timeline_);
  result.events = std::move(events_);
  result.host_hours = static_cast<double>(base_hosts_) * static_cast<double>(total) / kHourMs;
  controller_.reset();
  engine_.reset();
  if (!store_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(store_dir_, ec);
  }
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return result;
}

double Round(double v, double scale = 1e3) { return std::round(v * scale) / scale; }

// "5m", "1h", "90s": a duration as a report key.
std::string DurationKey(DurationMs ms) {
  if (ms % kHourMs == 0) return fmt::format("{}h", ms / kHourMs);
  if (ms % kMinuteMs == 0) return fmt::format("{}m", ms / kMinuteMs);
  return fmt::format("{}s", ms / kSecondMs);
}

nlohmann::ordered_json Run::Report() const {
  const WorldCounters& c = world_.counters();
  int preceded = 0;
  int preceded_migrated = 0;
  int avoided = 0;
  int predicted = 0;
  double lead_sum = 0;
  nlohmann::ordered_json faults = nlohmann::ordered_json::array();
  for (const Fault& f : faults_) {
    const SimHost& h = world_.hosts()[static_cast<std::size_t>(f.host)];
    const bool migrated = f.hit && !f.at_precursor.empty() && f.on_host_at_fault == 0;
    if (migrated) ++avoided;
    if (f.preceded && !f.at_precursor.empty()) {
      ++preceded;
      if (migrated) ++preceded_migrated;
    }
    if (f.predicted_at) {
      ++predicted;
      lead_sum += static_cast<double>(f.at - *f.predicted_at) / 1000.0;
    }
    nlohmann::ordered_json j = {
        {"type", FaultTypeName(f.type)},
        {"origin", f.type == FaultType::kDisk ? "backblaze" : "synthetic"},
        {"host", h.id},
        {"at", FormatTimestamp(f.at)},
        {"precursor_s", f.preceded ? (f.at - f.precursor_start) / 1000 : 0},
        {"preceded", f.preceded},
        {"duration_s", f.duration_ms / 1000},
        {"scenario_line", f.spec_line},
        {"workloads_at_precursor", f.at_precursor.size()},
        {"workloads_on_host_at_fault", f.on_host_at_fault},
        {"migrated_before_fault", migrated},
        {"predicted_at", f.predicted_at ? FormatTimestamp(*f.predicted_at) : ""},
        {"lead_time_s", f.predicted_at ? (f.at - *f.predicted_at) / 1000 : 0},
        {"migration_decided_at",
         f.migration_decided_at ? FormatTimestamp(*f.migration_decided_at) : ""}};
    if (f.drive != nullptr) {
      const double days = static_cast<double>(f.drive->days.size());
      j["drive"] = {
          {"serial", f.drive->serial},
          {"model", f.drive->model},
          {"failure_date", f.drive->failure_date},
          {"history_days", f.drive->days.size()},
          {"smart_warning_before_failure", f.drive->has_precursor},
          {"time_compression", f.preceded ? Round(days * kDayMs /
                                                      static_cast<double>(std::max<DurationMs>(
                                                          1, f.at - f.precursor_start)),
                                                  10)
                                          : 0.0}};
    }
    faults.push_back(j);
  }
  const double slack = alloc_core_ticks_ > 0 ? 100 * slack_core_ticks_ / alloc_core_ticks_ : 0;
  const std::uint64_t actions = policy_ == PolicyKind::kProactive ? c.actions : baseline_actions_;
  nlohmann::ordered_json r;
  r["policy"] = PolicyKindName(policy_);
  r["sla_violation_minutes"] = Round(violation_minutes_, 100);
  r["resource_cost"] =
      Round(alloc_cost_ + node_cost_ + c.pool_creation_cost + c.copy_storage_cost, 100);
  r["slack_pct"] = Round(slack, 100);
  r["actions"] = actions;
  r["migrations"] = c.migrations;
  r["failed_migrations"] = c.failed_migrations;
  r["rollbacks"] = c.rollbacks;
  r["preemptions"] = c.preemptions;
  r["mean_lead_time_s"] = predicted > 0 ? Round(lead_sum / predicted, 10) : 0.0;
  r["predicted_failures"] = predicted;
  r["actual_failures"] =
      std::count_if(faults_.begin(), faults_.end(), [](const Fault& f) { return f.hit; });
  r["failures_avoided"] = avoided;
  r["data_lost_bytes"] = c.data_lost_bytes;
  // The total split by cause: faults whose drive warned vs never moved; and, of the total, loss
  // a move caused (a migration off the disk in flight when it failed, or a workload moved onto
  // the host after its warning began).
  r["data_lost_preceded_bytes"] = c.data_lost_preceded_bytes;
  r["data_lost_unpreceded_bytes"] = c.data_lost_unpreceded_bytes;
  r["data_lost_by_move_bytes"] =
      c.data_lost_in_migration_bytes + c.data_lost_moved_onto_warned_bytes;
  r["data_lost"] = {{"in_migration_bytes", c.data_lost_in_migration_bytes},
                    {"moved_onto_warned_host_bytes", c.data_lost_moved_onto_warned_bytes}};
  // Policy data_protection (proactive only; the baselines keep one copy, as HPA/VPA do).
  r["data_protection"] = {
      {"copies", policy_ == PolicyKind::kProactive ? s_.policy.data_protection.copies : 1},
      {"copies_created", c.copies_created},
      {"copies_created_in_warmup", c.copies_created_warmup},
      {"copies_dropped", c.copies_dropped},
      {"copies_lost_with_disk", c.copies_lost},
      {"failovers", c.failovers},
      {"copy_gib_hours", Round(c.copy_gib_hours, 10)},
      {"copy_storage_cost", Round(c.copy_storage_cost, 100)},
      {"copy_traffic_gib", Round(c.copy_traffic_gib, 10)},
      {"unprotected_workload_hours", Round(c.unprotected_workload_hours, 100)}};
  r["scenario"] = s_.name;
  r["seed"] = seed_;
  r["start"] = FormatTimestamp(t_measure_);
  r["duration_s"] = s_.duration_ms / 1000;
  r["warmup_s"] = s_.warmup_ms / 1000;
  r["telemetry_step_s"] = s_.step_ms / 1000;
  r["control_interval_s"] = s_.control_interval_ms / 1000;
  r["workload_model"] =
      "one host per workload: replicas x request on one host; a resize that does not fit moves "
      "the workload (migration delay) or waits for a pool node";
  r["sla"] = {{"violation_cost", Round(violation_cost_, 100)},
              {"down_minutes", Round(down_minutes_, 100)},
              {"underallocated_minutes", Round(underallocated_minutes_, 100)},
              {"degraded_minutes", Round(degraded_minutes_, 100)},
              {"throttled_minutes", Round(throttled_minutes_, 100)},
              {"cpu_above_request_minutes", Round(above_request_minutes_, 100)}};
  r["cpu_qos"] = CpuQosName(s_.cpu_qos);
  r["cost"] = {{"allocation", Round(alloc_cost_, 100)},
               {"pool_nodes", Round(node_cost_, 100)},
               {"pool_creation", Round(c.pool_creation_cost, 100)},
               {"copy_storage", Round(c.copy_storage_cost, 100)}};
  const double ticks = static_cast<double>(std::max<std::uint64_t>(1, measured_ticks_));
  r["mean_demand_cores"] = Round(demand_core_ticks_ / ticks, 100);
  r["mean_allocated_cores"] = Round(alloc_core_ticks_ / ticks, 100);
  r["slack_memory_pct"] =
      Round(alloc_mem_ticks_ > 0 ? 100 * slack_mem_ticks_ / alloc_mem_ticks_ : 0, 100);
  {
    // Where the slack sits (see the members' comment): the three parts sum to slack_pct; the
    // oracle slack is that of allocating exactly the true peak over the next 1 / 3 / horizon
    // steps (perfect foresight, no headroom), over the same running workload-ticks.
    auto pct = [&](double x) {
      return Round(alloc_core_ticks_ > 0 ? 100 * x / alloc_core_ticks_ : 0, 100);
    };
    nlohmann::ordered_json oracle = nlohmann::ordered_json::object();
    const std::array<std::string, kOracleCount> names = {
        DurationKey(s_.step_ms), DurationKey(3 * s_.step_ms),
        DurationKey(
            std::max<DurationMs>(s_.step_ms, s_.policy.horizon_ms / s_.step_ms * s_.step_ms))};
    for (std::size_t o = 0; o < kOracleCount; ++o) {
      oracle[names[o]] = Round(
          oracle_alloc_ticks_[o] > 0 ? 100 * oracle_slack_ticks_[o] / oracle_alloc_ticks_[o] : 0,
          100);
    }
    nlohmann::ordered_json top = nlohmann::ordered_json::array();
    std::vector<std::size_t> order(wl_slack_.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return wl_slack_[a].slack != wl_slack_[b].slack ? wl_slack_[a].slack > wl_slack_[b].slack
                                                      : a < b;
    });
    const double tick_h = static_cast<double>(kTickMs) / kHourMs;
    for (std::size_t n = 0; n < std::min<std::size_t>(10, order.size()); ++n) {
      const WorkloadSlack& x = wl_slack_[order[n]];
      if (x.ticks <= 0) break;
      top.push_back({{"workload", world_.workloads()[order[n]].id},
                     {"mean_demand_cores", Round(x.demand / x.ticks, 1000)},
                     {"mean_allocated_cores", Round(x.alloc / x.ticks, 1000)},
                     {"slack_core_hours", Round(x.slack * tick_h, 100)},
                     {"share_of_slack_pct",
                      Round(slack_core_ticks_ > 0 ? 100 * x.slack / slack_core_ticks_ : 0, 100)}});
    }
    r["slack_breakdown"] = {{"horizon_variability_pct", pct(slack_horizon_ticks_)},
                            {"headroom_pct", pct(slack_headroom_ticks_)},
                            {"above_peak_and_headroom_pct", pct(slack_above_ticks_)},
                            {"headroom", s_.policy.headroom},
                            {"oracle_peak_slack_pct", oracle},
                            {"top_workloads", top}};
  }
  r["restarts"] = c.restarts;
  r["pool_nodes_added"] = c.pool_nodes_added;
  r["pool_nodes_removed"] = c.pool_nodes_removed;
  r["preceded_faults"] = preceded;
  r["preceded_faults_migrated"] = preceded_migrated;
  r["preceded_migrated_pct"] = preceded > 0 ? Round(100.0 * preceded_migrated / preceded, 10) : 0;
  r["false_alarm_hosts"] = false_alarm_hosts_.size();
  r["false_alarm_ticks"] = false_alarm_ticks_;
  nlohmann::ordered_json causes = nlohmann::ordered_json::object();
  for (const auto& [k, n] : false_alarm_causes_) causes[k] = n;
  r["false_alarm_causes"] = causes;
  r["degraded_plans"] = plans_degraded_;
  if (policy_ == PolicyKind::kProactive) {
    r["telemetry_samples"] = samples_sent_;
    r["telemetry_rejected"] = samples_rejected_;
    nlohmann::ordered_json audit = nlohmann::ordered_json::object();
    for (const auto& [k, n] : audit_counts_) audit[k] = n;
    r["audit"] = audit;
  }
  nlohmann::ordered_json hosts = nlohmann::ordered_json::array();
  for (int i = 0; i < base_hosts_; ++i) {
    const SimHost& h = world_.hosts()[static_cast<std::size_t>(i)];
    hosts.push_back(
        {{"id", h.id}, {"cores", h.cores}, {"memory_gib", h.memory_gib}, {"zone", h.zone}});
  }
  r["hosts"] = hosts;
  r["placement"] = placement_;
  r["faults"] = faults;
  if (backblaze_ != nullptr) {
    int disk = 0;
    for (const Fault& f : faults_) disk += f.type == FaultType::kDisk ? 1 : 0;
    // Backblaze's rate: failures per drive-day in the files; the scenario's: disk faults per
    // host-day of the measured period.
    const double real = static_cast<double>(backblaze_->failed.size()) /
                        static_cast<double>(std::max<std::uint64_t>(1, backblaze_->drive_days));
    const double sim =
        disk / (static_cast<double>(base_hosts_) * (static_cast<double>(s_.duration_ms) / kDayMs));
    r["backblaze"] = {{"drives", backblaze_->drives},
                      {"drive_days", backblaze_->drive_days},
                      {"failed_drives", backblaze_->failed.size()},
                      {"failures_per_drive_day", real},
                      {"disk_faults_per_host_day", sim},
                      {"enrichment", real > 0 ? Round(sim / real, 10) : 0.0}};
  }
  std::uint64_t rows = 0;
  std::uint64_t rejected = 0;
  std::uint64_t filled = 0;
  std::set<const DemandTrace*> seen;
  for (const auto& w : world_.workloads()) {
    const DemandTrace* t = traces_[w.trace].get();
    if (!seen.insert(t).second) continue;
    rows += t->rows;
    rejected += t->rejected_rows + t->duplicate_rows;
    filled += t->filled_slots;
  }
  r["traces"] = {{"source", s_.source == TraceSource::kBitbrains ? "bitbrains" : "alibaba"},
                 {"path", s_.trace_path},
                 {"distinct", seen.size()},
                 {"rows", rows},
                 {"rows_skipped", rejected},
                 {"gap_slots_held", filled},
                 {"synthetic_transform", fmt::format("growth {} over the period, {} bursts x{}",
                                                     s_.growth, s_.bursts, s_.burst_factor)}};
  return r;
}

}  // namespace

Result<RunResult> RunScenario(const Scenario& scenario, PolicyKind policy, std::uint64_t seed,
                              const RunOptions& options) {
  Run run(scenario, policy, seed, options);
  return run.Execute();
}

std::string RenderSvg(const RunResult& run, const std::string& title) {
  constexpr double kW = 1000;
  constexpr double kH = 360;
  constexpr double kLeft = 60;
  constexpr double kTop = 40;
  constexpr double kPlotH = 240;
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n<text x=\"{}\" y=\"20\" font-size=\"14\">{}</text>\n",
      kW, kH, kLeft, title);
  if (run.timeline.empty()) return out + "</svg>\n";
  const TimestampMs t0 = run.timeline.front().t;
  const TimestampMs t1 = run.timeline.back().t;
  double ymax = 1e-9;
  int dmax = 1;
  for (const auto& p : run.timeline) {
    ymax = std::max({ymax, p.demand_cores, p.allocated_cores});
    dmax = std::max(dmax, p.down);
  }
  const double plot_w = kW - kLeft - 20;
  auto x = [&](TimestampMs t) {
    return kLeft + plot_w * static_cast<double>(t - t0) /
                       static_cast<double>(std::max<TimestampMs>(1, t1 - t0));
  };
  auto y = [&](double v) { return kTop + kPlotH * (1 - v / ymax); };
  auto line = [&](auto value, const char* color) {
    std::string pts;
    for (const auto& p : run.timeline) pts += fmt::format("{:.1f},{:.1f} ", x(p.t), y(value(p)));
    return fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1\" points=\"{}\"/>\n",
                       color, pts);
  };
  out += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" "
      "stroke=\"#999\"/>\n",
      kLeft, kTop, plot_w, kPlotH);
  // Down workloads as grey bars (own scale, bottom quarter).
  for (const auto& p : run.timeline) {
    if (p.down == 0) continue;
    const double h = kPlotH / 4 * p.down / dmax;
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"1.5\" height=\"{:.1f}\" "
        "fill=\"#bbb\"/>\n",
        x(p.t), kTop + kPlotH - h, h);
  }
  out += line([](const TimelinePoint& p) { return p.allocated_cores; }, "#1f77b4");
  out += line([](const TimelinePoint& p) { return p.demand_cores; }, "#d62728");
  for (const auto& e : run.events) {
    if (e.t < t0 || e.t > t1) continue;
    const char* color = e.kind == "fault"       ? "#000"
                        : e.kind == "precursor" ? "#ff7f0e"
                        : e.kind == "repair"    ? "#2ca02c"
                        : e.kind == "migrate"   ? "#9467bd"
                                                : "#17becf";
    if (e.kind == "fault" || e.kind == "precursor" || e.kind == "repair") {
      out += fmt::format(
          "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{3}\" "
          "stroke-dasharray=\"4 2\"><title>{4} {5}</title></line>\n",
          x(e.t), kTop, kTop + kPlotH, color, e.kind, e.detail);
    } else {
      out += fmt::format(
          "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{3}\">"
          "<title>{4} {5}</title></line>\n",
          x(e.t), kTop + kPlotH + 8, kTop + kPlotH + 20, color, e.kind, e.detail);
    }
  }
  out += fmt::format("<text x=\"5\" y=\"{}\">{:.0f} cores</text>\n", kTop + 10, ymax);
  out += fmt::format("<text x=\"5\" y=\"{}\">0</text>\n", kTop + kPlotH);
  out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", kLeft, kTop + kPlotH + 35,
                     FormatTimestamp(t0));
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", kW - 20,
                     kTop + kPlotH + 35, FormatTimestamp(t1));
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\"><tspan fill=\"#d62728\">demand</tspan>  <tspan "
      "fill=\"#1f77b4\">allocation</tspan>  <tspan fill=\"#888\">down workloads</tspan>  <tspan "
      "fill=\"#000\">fault</tspan>  <tspan fill=\"#ff7f0e\">precursor</tspan>  <tspan "
      "fill=\"#9467bd\">migrate</tspan>  <tspan fill=\"#17becf\">other actions</tspan></text>\n",
      kLeft, kH - 10);
  return out + "</svg>\n";
}

std::string CompareTable(const std::string& scenario_name, const std::vector<CompareRow>& rows) {
  struct Col {
    const char* key;
    const char* title;
  };
  const std::vector<Col> cols = {{"sla_violation_minutes", "SLA-violation min"},
                                 {"resource_cost", "cost"},
                                 {"slack_pct", "slack %"},
                                 {"actions", "actions"},
                                 {"migrations", "migrations"},
                                 {"rollbacks", "rollbacks"},
                                 {"failures_avoided", "faults avoided"},
                                 {"actual_failures", "faults"},
                                 {"data_lost_bytes", "data lost GiB"},
                                 {"data_lost_preceded_bytes", "lost, warned GiB"},
                                 {"data_lost_unpreceded_bytes", "lost, no warning GiB"},
                                 {"data_lost_by_move_bytes", "lost by a move GiB"},
                                 {"data_protection.failovers", "failovers"},
                                 {"data_protection.copy_gib_hours", "copy GiB-h"}};
  std::string out = fmt::format(
      "**{}** ({} seeds; mean ± standard deviation)\n\n| policy | preceded faults migrated "
      "before the fault (all seeds) |",
      scenario_name, rows.empty() ? 0 : rows.front().reports.size());
  for (const auto& c : cols) out += fmt::format(" {} |", c.title);
  out += "\n|---|---|";
  for (std::size_t i = 0; i < cols.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& row : rows) {
    // Faults with a precursor migrated before the fault, summed over the seeds (a per-seed
    // percentage would count seeds without such faults as 0 %).
    std::uint64_t preceded = 0;
    std::uint64_t migrated = 0;
    for (const auto& r : row.reports) {
      preceded += r.value("preceded_faults", 0U);
      migrated += r.value("preceded_faults_migrated", 0U);
    }
    out += fmt::format("| {} | {}/{} |", PolicyKindName(row.policy), migrated, preceded);
    for (const auto& c : cols) {
      std::vector<double> v;
      for (const auto& r : row.reports) {
        // "a.b": key b of the object under a.
        const std::string_view key = c.key;
        const std::size_t dot = key.find('.');
        const auto& obj = dot == std::string_view::npos ? r : r.value(key.substr(0, dot), r);
        const std::string leaf(dot == std::string_view::npos ? key : key.substr(dot + 1));
        double x = obj.is_object() && obj.contains(leaf) && obj[leaf].is_number()
                       ? obj[leaf].get<double>()
                       : 0.0;
        if (std::string_view(c.key).starts_with("data_lost")) x /= kGiB;
        v.push_back(x);
      }
      double mean = 0;
      for (double x : v) mean += x;
      mean /= static_cast<double>(std::max<std::size_t>(1, v.size()));
      double var = 0;
      for (double x : v) var += (x - mean) * (x - mean);
      const double sd = v.size() > 1 ? std::sqrt(var / static_cast<double>(v.size() - 1)) : 0;
      out += fmt::format(" {:.1f} ± {:.1f} |", mean, sd);
    }
    out += "\n";
  }
  return out;
}

}  // namespace prognos::sim
