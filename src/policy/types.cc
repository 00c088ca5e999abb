#include "policy/types.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prognos::policy {
namespace {

constexpr std::array<std::string_view, kResourceCount> kResourceNames = {"cpu", "memory", "network",
                                                                         "disk_io"};
constexpr std::array<std::string_view, 4> kCriticalityNames = {"low", "medium", "high", "critical"};
constexpr std::array<std::string_view, kActionTypeCount> kActionNames = {"scale_up",
                                                                         "scale_down",
                                                                         "scale_out",
                                                                         "scale_in",
                                                                         "migrate",
                                                                         "preempt",
                                                                         "defer",
                                                                         "create_pool",
                                                                         "resize_pool",
                                                                         "preallocate",
                                                                         "reclaim",
                                                                         "rebalance",
                                                                         "throttle",
                                                                         "set_cpu_shares",
                                                                         "set_memory_limit",
                                                                         "reserve_bandwidth",
                                                                         "set_io_priority",
                                                                         "request_resource",
                                                                         "drain",
                                                                         "schedule_maintenance",
                                                                         "replicate"};

template <typename E, std::size_t N>
std::optional<E> ParseName(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view ResourceName(Resource r) { return kResourceNames[static_cast<std::size_t>(r)]; }
std::optional<Resource> ParseResource(std::string_view name) {
  return ParseName<Resource>(kResourceNames, name);
}

ResourceVector& ResourceVector::operator+=(const ResourceVector& o) {
  for (std::size_t i = 0; i < kResourceCount; ++i) v[i] += o.v[i];
  return *this;
}
ResourceVector& ResourceVector::operator-=(const ResourceVector& o) {
  for (std::size_t i = 0; i < kResourceCount; ++i) v[i] -= o.v[i];
  return *this;
}
ResourceVector ResourceVector::Scaled(double f) const {
  ResourceVector r = *this;
  for (double& x : r.v) x *= f;
  return r;
}
bool ResourceVector::FitsIn(const ResourceVector& o, double eps) const {
  for (std::size_t i = 0; i < kResourceCount; ++i) {
    if (v[i] > o.v[i] + eps) return false;
  }
  return true;
}
double ResourceVector::DominantShare(const ResourceVector& o) const {
  double share = 0;
  for (std::size_t i = 0; i < kResourceCount; ++i) {
    if (o.v[i] > 0) share = std::max(share, v[i] / o.v[i]);
  }
  return share;
}

std::string_view CriticalityName(Criticality c) {
  return kCriticalityNames[static_cast<std::size_t>(c)];
}
std::optional<Criticality> ParseCriticality(std::string_view name) {
  return ParseName<Criticality>(kCriticalityNames, name);
}

const Host* Inventory::FindHost(std::string_view id) const {
  auto it = std::find_if(hosts.begin(), hosts.end(), [&](const Host& h) { return h.id == id; });
  return it == hosts.end() ? nullptr : &*it;
}
Host* Inventory::FindHost(std::string_view id) {
  return const_cast<Host*>(static_cast<const Inventory*>(this)->FindHost(id));
}
const Workload* Inventory::FindWorkload(std::string_view id) const {
  auto it = std::find_if(workloads.begin(), workloads.end(),
                         [&](const Workload& w) { return w.id == id; });
  return it == workloads.end() ? nullptr : &*it;
}
Workload* Inventory::FindWorkload(std::string_view id) {
  return const_cast<Workload*>(static_cast<const Inventory*>(this)->FindWorkload(id));
}
const Pool* Inventory::FindPool(std::string_view id) const {
  auto it = std::find_if(pools.begin(), pools.end(), [&](const Pool& p) { return p.id == id; });
  return it == pools.end() ? nullptr : &*it;
}
Pool* Inventory::FindPool(std::string_view id) {
  return const_cast<Pool*>(static_cast<const Inventory*>(this)->FindPool(id));
}
ResourceVector Inventory::Allocated(std::string_view host) const {
  ResourceVector sum;
  for (const Workload& w : workloads) {
    if (w.host == host) sum += w.request.Scaled(w.replicas);
  }
  return sum;
}
double Inventory::ZoneLatencyMs(std::string_view a, std::string_view b) const {
  if (a == b) return 0.0;
  std::string key =
      a < b ? std::string(a) + "/" + std::string(b) : std::string(b) + "/" + std::string(a);
  auto it = zone_latency_ms.find(key);
  // Unknown pairs of different zones: a cross-zone default of 2 ms (typical intra-region RTT).
  return it == zone_latency_ms.end() ? 2.0 : it->second;
}

void PolicySpec::Normalize() {
  if (tiers.find("") == tiers.end()) {
    SlaTier t;
    t.name = "";
    tiers.emplace("", t);
  }
}
const SlaTier& PolicySpec::Tier(std::string_view name) const {
  auto it = tiers.find(std::string(name));
  if (it != tiers.end()) return it->second;
  static const SlaTier kDefault{};
  auto def = tiers.find("");
  return def == tiers.end() ? kDefault : def->second;
}

namespace {
// Linear between the neighbouring levels; outside them, the nearest.
ResourceVector Interpolate(const std::vector<double>& levels, const std::vector<ResourceVector>& qs,
                           double level) {
  if (level <= levels.front()) return qs.front();
  if (level >= levels.back()) return qs.back();
  for (std::size_t i = 1; i < levels.size(); ++i) {
    if (level <= levels[i]) {
      double w = (level - levels[i - 1]) / (levels[i] - levels[i - 1]);
      return qs[i - 1].Scaled(1 - w) + qs[i].Scaled(w);
    }
  }
  return qs.back();
}
}  // namespace

ResourceVector WorkloadDemand::Quantile(double level) const {
  if (levels.empty() || quantiles.size() != levels.size()) return observed;
  return Interpolate(levels, quantiles, level);
}

ResourceVector WorkloadDemand::UsageQuantile(double level) const {
  if (levels.empty() || usage_quantiles.size() != levels.size()) return Quantile(level);
  return Interpolate(levels, usage_quantiles, level);
}

std::string_view CpuSizingName(CpuSizing s) { return s == CpuSizing::kUsage ? "usage" : "peak"; }

std::optional<CpuSizing> ParseCpuSizing(std::string_view name) {
  if (name == "peak") return CpuSizing::kPeak;
  if (name == "usage") return CpuSizing::kUsage;
  return std::nullopt;
}

std::string_view CopySpreadName(CopySpread s) { return s == CopySpread::kZone ? "zone" : "host"; }
std::optional<CopySpread> ParseCopySpread(std::string_view name) {
  if (name == "zone") return CopySpread::kZone;
  if (name == "host") return CopySpread::kHost;
  return std::nullopt;
}

std::string_view AlertTierName(AlertTier t) {
  constexpr std::array<std::string_view, 4> kNames = {"none", "info", "warning", "critical"};
  return kNames[static_cast<std::size_t>(t)];
}

std::string_view ActionTypeName(ActionType t) { return kActionNames[static_cast<std::size_t>(t)]; }
std::optional<ActionType> ParseActionType(std::string_view name) {
  return ParseName<ActionType>(kActionNames, name);
}

std::string_view OutcomeName(Outcome o) {
  constexpr std::array<std::string_view, 7> kNames = {
      "planned", "shadow", "applied", "verified", "failed", "rolled_back", "skipped"};
  return kNames[static_cast<std::size_t>(o)];
}

Action Inverse(const Action& a) {
  Action r = a;
  r.id = 0;
  r.rule = "rollback";
  r.reason =
      "revert of action " + std::to_string(a.id) + " (" + std::string(ActionTypeName(a.type)) + ")";
  r.rejected.clear();
  std::swap(r.before, r.after);
  std::swap(r.replicas_before, r.replicas_after);
  std::swap(r.nodes_before, r.nodes_after);
  std::swap(r.amount, r.amount_before);
  r.expected_cost_per_hour = -a.expected_cost_per_hour;
  r.precondition = "action " + std::to_string(a.id) + " was applied: " + a.expected_effect;
  r.expected_effect = "state before action " + std::to_string(a.id) + " restored";
  switch (a.type) {
    case ActionType::kScaleUp:
      r.type = ActionType::kScaleDown;
      break;
    case ActionType::kScaleDown:
      r.type = ActionType::kScaleUp;
      break;
    case ActionType::kScaleOut:
      r.type = ActionType::kScaleIn;
      break;
    case ActionType::kScaleIn:
      r.type = ActionType::kScaleOut;
      break;
    case ActionType::kMigrate:
      std::swap(r.host, r.target_host);
      break;
    case ActionType::kPreempt:
      // Undo an eviction: place the victim back where it ran.
      r.type = ActionType::kMigrate;
      r.target_host = a.host;
      r.host.clear();
      break;
    case ActionType::kRebalance:
      // Move the same number of nodes back: the source becomes the destination.
      std::swap(r.pool, r.source_pool);
      std::swap(r.nodes_before, r.replicas_before);
      std::swap(r.nodes_after, r.replicas_after);
      r.amount = a.amount;
      r.amount_before = a.amount_before;
      break;
    case ActionType::kPreallocate:
      r.type = ActionType::kReclaim;
      break;
    case ActionType::kReclaim:
      r.type = ActionType::kPreallocate;
      break;
    default:
      break;  // resize/rebalance swap before/after; levers and releases swap amounts
  }
  return r;
}

}  // namespace prognos::policy
