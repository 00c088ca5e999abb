#include "policy/planner.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <numeric>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "policy/packing.h"

namespace prognos::policy {
namespace {

constexpr double kEps = 1e-9;
// Candidates the index returns for ranking (migration targets, placements).
constexpr std::size_t kCandidates = 32;
// Hosts with victims looked at when making room by preemption.
constexpr std::size_t kPreemptHostScan = 256;
// A single-resource shortfall up to this share of the current allocation is handled with a finer
// lever (cpu shares, memory limit, bandwidth, io priority) for high-criticality workloads.
constexpr double kLeverShortfallShare = 0.25;
// The fleet is short ahead (pre-allocation) when the forecast need exceeds this share of capacity.
constexpr double kFleetFillLimit = 0.9;
// Held actions listed in a plan; beyond, they are counted (ActionPlan::held_omitted).
constexpr std::size_t kMaxHeldListed = 1000;

std::string Num(double v) { return ReasonNumber(v); }

// Concatenates the parts into one string (one allocation; for sentences built in loops).
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::size_t n = 0;
  for (std::string_view p : parts) n += p.size();
  std::string out;
  out.reserve(n);
  for (std::string_view p : parts) out.append(p);
  return out;
}

std::string Vec(const ResourceVector& v) {
  std::string out;
  for (std::size_t r = 0; r < kResourceCount; ++r) {
    if (v.v[r] == 0) continue;
    if (!out.empty()) out += " ";
    out += std::string(ResourceName(static_cast<Resource>(r))) + " " + Num(v.v[r]);
  }
  return out.empty() ? "0" : out;
}

double HorizonHours(const PolicySpec& spec) {
  return static_cast<double>(spec.horizon_ms) / static_cast<double>(kHourMs);
}

// Rank of a tier for queue order: higher violation cost first, then higher quantile.
std::pair<double, double> TierRank(const SlaTier& t) {
  return {t.violation_cost_per_hour, t.demand_quantile};
}

ActionType LeverFor(Resource r) {
  switch (r) {
    case Resource::kCpu:
      return ActionType::kSetCpuShares;
    case Resource::kMemory:
      return ActionType::kSetMemoryLimit;
    case Resource::kNetwork:
      return ActionType::kReserveBandwidth;
    case Resource::kDiskIo:
      return ActionType::kSetIoPriority;
  }
  return ActionType::kSetCpuShares;
}

}  // namespace

// One Plan() call: the working copy of the world the rules act on.
struct PlanRun {
  enum class Mode : std::uint8_t { kNormal, kUrgent, kLinked };

  Planner& planner;
  const Inventory& inv;
  const PlannerInput& in;
  const PolicySpec& spec;
  ActionPlan plan;

  std::unordered_map<std::string_view, std::size_t> host_idx, wl_idx, pool_idx;
  std::vector<int> demand_of;              // per workload: index into in.demand or −1
  std::vector<std::size_t> wl_host;        // per workload: host index or npos
  std::vector<ResourceVector> wl_request;  // per replica (working)
  std::vector<int> wl_replicas;            // working
  std::vector<bool> wl_touched;            // acted on in this plan
  std::vector<const SlaTier*> wl_tier;
  std::unordered_map<std::string_view, const Customer*> customers;
  std::vector<std::size_t> preempt_hosts;  // hosts running preemptible work at the start
  std::vector<std::vector<std::size_t>> host_wls;
  std::vector<double> host_pfail, host_health;
  std::vector<bool> host_evacuate;
  std::unordered_map<std::string_view, ResourceVector> customer_usage;
  std::unordered_map<std::string, const Preference*> prefs;
  const Preference* fleet_pref = nullptr;
  HostIndex index;
  int migrations = 0;
  std::map<std::string, int> zone_unavailable;
  ResourceVector deferred_need;
  double deferred_violation_cost = 0;

  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  PlanRun(Planner& p, const Inventory& i, const PlannerInput& input)
      : planner(p), inv(i), in(input), spec(p.spec_) {}

  // ----- helpers --------------------------------------------------------------------------------

  const Workload& W(std::size_t w) const { return inv.workloads[w]; }
  const Host& H(std::size_t h) const { return inv.hosts[h]; }
  ResourceVector Size(std::size_t w) const { return wl_request[w].Scaled(wl_replicas[w]); }
  const SlaTier& TierOf(std::size_t w) const { return *wl_tier[w]; }

  const Preference* PrefOf(std::size_t w) const {
    auto it = prefs.find(W(w).id);
    return it == prefs.end() ? fleet_pref : it->second;
  }
  std::string PinZone(std::size_t w) const {
    const Preference* p = PrefOf(w);
    return p ? p->pin_zone : std::string();
  }
  bool PreemptionForbidden(std::size_t w) const {
    const Preference* p = PrefOf(w);
    return p && p->forbid_preemption;
  }
  double Headroom(std::size_t w) const {
    const Preference* p = PrefOf(w);
    double h = (p && p->headroom) ? *p->headroom : spec.headroom;
    return std::max(0.0, h + planner.feedback_.HeadroomAdjust(W(w).id));
  }

  // The allocation a workload needs per resource: the peak over the horizon of its forecast's
  // tier quantile, plus headroom: need_r = q_r(tier.demand_quantile) × (1 + headroom). The
  // quantile already is the margin for forecast uncertainty (the tier's coverage), so it is not
  // divided by target_utilization again: on the tier quantile that over-allocated twice
  // (docs/policy.md, "Sizing"). With quantile_sizing off, the earlier rule: ... /
  // target_utilization. The CPU request follows spec.cpu_sizing: with kUsage it is the tier's
  // cpu_quantile of the forecast usage over the horizon (no headroom: the peaks run on the host's
  // idle CPU, which RelieveContention keeps there), with kPeak the CPU quantile's peak like the
  // rest.
  ResourceVector Need(std::size_t w, const WorkloadDemand& d) const {
    const SlaTier& tier = TierOf(w);
    double f = 1 + Headroom(w);
    if (!spec.quantile_sizing && tier.target_utilization > 0) f /= tier.target_utilization;
    ResourceVector need = d.Quantile(tier.demand_quantile).Scaled(f);
    const std::size_t cpu = static_cast<std::size_t>(Resource::kCpu);
    if (spec.cpu_sizing == CpuSizing::kUsage) {
      need.v[cpu] = d.UsageQuantile(CpuQuantile(tier)).v[cpu];
    } else if (tier.cpu_quantile) {
      need.v[cpu] = d.Quantile(*tier.cpu_quantile).v[cpu] * f;
    }
    return need;
  }
  double CpuQuantile(const SlaTier& tier) const {
    return tier.cpu_quantile.value_or(spec.cpu_sizing == CpuSizing::kUsage ? 0.5
                                                                           : tier.demand_quantile);
  }

  // Queue order: tier, criticality, priority (all descending), then inventory order.
  bool QueueBefore(std::size_t a, std::size_t b) const {
    auto ta = TierRank(TierOf(a));
    auto tb = TierRank(TierOf(b));
    if (ta != tb) return ta > tb;
    if (W(a).criticality != W(b).criticality) return W(a).criticality > W(b).criticality;
    if (W(a).priority != W(b).priority) return W(a).priority > W(b).priority;
    return a < b;
  }

  double CostOf(std::size_t h, const ResourceVector& amount) const {
    return H(h).cost_per_hour * amount.DominantShare(H(h).capacity);
  }
  double CostOfSize(std::size_t w, const ResourceVector& amount) const {
    if (wl_host[w] != kNone) return CostOf(wl_host[w], amount);
    return 0;
  }

  static DampingMode Damping(Mode m) {
    switch (m) {
      case Mode::kNormal:
        return DampingMode::kNormal;
      case Mode::kLinked:
        return DampingMode::kLinked;
      case Mode::kUrgent:
        return DampingMode::kUrgent;
    }
    return DampingMode::kNormal;
  }

  // Adds the bookkeeping fields and passes the action through damping. Returns whether it was
  // emitted (false: it is in plan.held with the reason).
  bool Emit(Action a, Mode mode = Mode::kNormal) {
    a.confidence = planner.feedback_.Confidence(a.type);
    a.shadow = spec.shadow;
    const std::optional<std::string> why = planner.damper_.Check(a, in.now, Damping(mode));
    if (why) {
      a.reason += " [" + *why + "]";
      plan.held.push_back(std::move(a));
      return false;
    }
    a.id = planner.next_action_id_++;
    planner.damper_.Record(a, in.now);
    plan.actions.push_back(std::move(a));
    return true;
  }

  // Queues w: it wants `need` more than it has now (its whole size when pending, 0 when only a
  // move is waiting).
  void Defer(std::size_t w, const ResourceVector& need, const std::string& reason,
             std::vector<Rejected> rejected) {
    Action a;
    a.type = ActionType::kDefer;
    a.workload = W(w).id;
    a.host = wl_host[w] == kNone ? std::string() : H(wl_host[w]).id;
    a.before = wl_host[w] == kNone ? ResourceVector{} : Size(w);
    a.after = a.before + need;
    a.amount = 1;
    a.rule = "defer";
    a.reason = reason;
    a.rejected = std::move(rejected);
    a.expected_risk = 1.0 - TierOf(w).demand_quantile;
    a.confidence = planner.feedback_.Confidence(a.type);
    a.precondition = "workload " + W(w).id + " still waits for " + Vec(need);
    a.expected_effect = "served when capacity frees up, in queue order";
    a.verify_window_ms = 0;
    a.shadow = spec.shadow;
    plan.deferred.push_back(std::move(a));
    deferred_need += need;
    deferred_violation_cost += TierOf(w).violation_cost_per_hour * HorizonHours(spec);
  }

  void Place(std::size_t w, std::size_t h) {
    wl_host[w] = h;
    host_wls[h].push_back(w);
    index.Take(h, Size(w));
  }
  void Unplace(std::size_t w) {
    const std::size_t h = wl_host[w];
    if (h == kNone) return;
    index.Give(h, Size(w));
    auto& v = host_wls[h];
    v.erase(std::remove(v.begin(), v.end(), w), v.end());
    wl_host[w] = kNone;
  }
  void Resize(std::size_t w, const ResourceVector& request, int replicas) {
    const ResourceVector old = Size(w);
    wl_request[w] = request;
    wl_replicas[w] = replicas;
    const ResourceVector now = Size(w);
    if (wl_host[w] != kNone) index.Take(wl_host[w], now - old);
    if (!W(w).customer.empty()) customer_usage[W(w).customer] += now - old;
  }

  // A move of w from host `from` (kNone: a placement of a pending workload) to `to`, its size
  // unchanged; the caller adds the reason and the transaction fields.
  Action MoveAction(std::size_t w, std::size_t from, std::size_t to, std::string rule) const {
    Action a;
    a.type = ActionType::kMigrate;
    a.workload = W(w).id;
    if (from != kNone) a.host = H(from).id;
    a.target_host = H(to).id;
    a.before = a.after = wl_request[w];
    a.replicas_before = a.replicas_after = wl_replicas[w];
    a.rule = std::move(rule);
    return a;
  }

  bool ZoneOk(std::size_t w, std::size_t h) const {
    const std::string pin = PinZone(w);
    return pin.empty() || H(h).zone == pin;
  }

  // Migration / placement score (lower is better), see docs/policy.md:
  //   4·p_fail + 2·(1 − health/100) + 1·used share after + 1·min(1, latency/10 ms) + 0.5·cross-zone
  double TargetScore(std::size_t w, std::size_t h, const ResourceVector& need,
                     std::size_t from) const {
    const Host& host = H(h);
    const double used_after =
        1.0 - std::max(0.0, DominantLeftover(index.free(h), need, host.capacity));
    const std::string& data_zone =
        !W(w).data_zone.empty() ? W(w).data_zone : (from != kNone ? H(from).zone : host.zone);
    const double latency = std::min(1.0, inv.ZoneLatencyMs(host.zone, data_zone) / 10.0);
    const double cross = (from != kNone && H(from).zone != host.zone) ? 1.0 : 0.0;
    return 4 * host_pfail[h] + 2 * (1 - host_health[h] / 100.0) + used_after + latency +
           0.5 * cross;
  }

  // Placement score (lower is better): 4·p_fail + dominant leftover after + min(1, latency/10 ms)
  // to the data zone. The dominant leftover term is the dominant-resource best fit.
  double PackScore(std::size_t w, std::size_t h, const ResourceVector& need) const {
    const std::string& zone = W(w).data_zone.empty() ? H(h).zone : W(w).data_zone;
    return 4 * host_pfail[h] + DominantLeftover(index.free(h), need, H(h).capacity) +
           std::min(1.0, inv.ZoneLatencyMs(H(h).zone, zone) / 10.0);
  }

  // Best host for `need` (excluding `from`), ranked by TargetScore; fills `rejected` with the
  // runners-up.
  std::size_t FindTarget(std::size_t w, const ResourceVector& need, std::size_t from,
                         std::vector<Rejected>* rejected, bool spread) {
    auto cands = index.Candidates(need, kCandidates, [&](std::size_t h) {
      return h != from && ZoneOk(w, h) && !host_evacuate[h];
    });
    if (cands.empty()) return kNone;
    std::vector<std::pair<double, std::size_t>> scored;
    for (std::size_t h : cands) {
      // Placement packs tightly (best fit: the least dominant leftover); migration spreads.
      const double s = spread ? TargetScore(w, h, need, from) : PackScore(w, h, need);
      scored.emplace_back(s, h);
    }
    std::sort(scored.begin(), scored.end());
    if (rejected) {
      for (std::size_t i = 1; i < scored.size() && i < 3; ++i) {
        rejected->push_back({"migrate to " + H(scored[i].second).id,
                             "score " + Num(scored[i].first) + " > " + Num(scored[0].first) +
                                 " of " + H(scored[0].second).id});
      }
    }
    return scored.front().second;
  }

  double Impact(std::size_t w) const {
    return (1 + TierOf(w).violation_cost_per_hour) * (1 + static_cast<int>(W(w).criticality));
  }

  bool CanEvict(std::size_t victim, std::size_t for_w) const {
    return W(victim).preemptible && !PreemptionForbidden(victim) && !wl_touched[victim] &&
           W(victim).priority < W(for_w).priority;
  }

  // Victims on host h (cheapest impact first) that free `need` beyond its free capacity, or empty.
  std::vector<std::size_t> VictimsOn(std::size_t h, std::size_t for_w, const ResourceVector& need,
                                     double* impact) const {
    std::vector<std::size_t> cand;
    for (std::size_t v : host_wls[h]) {
      if (CanEvict(v, for_w)) cand.push_back(v);
    }
    std::sort(cand.begin(), cand.end(), [&](std::size_t a, std::size_t b) {
      if (Impact(a) != Impact(b)) return Impact(a) < Impact(b);
      if (W(a).priority != W(b).priority) return W(a).priority < W(b).priority;
      return a < b;
    });
    ResourceVector free = index.free(h);
    std::vector<std::size_t> chosen;
    *impact = 0;
    for (std::size_t v : cand) {
      if (need.FitsIn(free)) break;
      chosen.push_back(v);
      free += Size(v);
      *impact += Impact(v);
    }
    if (!need.FitsIn(free)) chosen.clear();
    return chosen;
  }

  void EmitPreemptions(const std::vector<std::size_t>& victims, std::size_t for_w,
                       const std::string& why) {
    for (std::size_t v : victims) {
      Action a;
      a.type = ActionType::kPreempt;
      a.workload = W(v).id;
      a.host = H(wl_host[v]).id;
      a.before = Size(v);
      a.rule = "preempt_for_priority";
      a.reason = "evict " + W(v).id + " (priority " + std::to_string(W(v).priority) +
                 ", preemptible, impact " + Num(Impact(v)) + ") from " + a.host + " for " +
                 W(for_w).id + " (priority " + std::to_string(W(for_w).priority) + "): " + why;
      a.expected_cost_per_hour = -CostOf(wl_host[v], Size(v));
      a.expected_risk = 1.0 - TierOf(v).demand_quantile;
      a.precondition = W(v).id + " runs on " + a.host;
      a.expected_effect = "frees " + Vec(Size(v)) + " on " + a.host + "; " + W(v).id + " re-queued";
      a.verify_window_ms = kSizingVerifyMs;
      Emit(std::move(a), Mode::kLinked);
      wl_touched[v] = true;
      Unplace(v);
      Defer(v, Size(v),
            W(v).id + " was preempted for " + W(for_w).id + " and waits to be placed again", {});
    }
  }

  // ----- rules ----------------------------------------------------------------------------------

  bool Setup() {
    for (std::size_t i = 0; i < inv.hosts.size(); ++i) host_idx.emplace(inv.hosts[i].id, i);
    for (std::size_t i = 0; i < inv.workloads.size(); ++i) wl_idx.emplace(inv.workloads[i].id, i);
    for (std::size_t i = 0; i < inv.pools.size(); ++i) pool_idx.emplace(inv.pools[i].id, i);
    const std::size_t nh = inv.hosts.size();
    const std::size_t nw = inv.workloads.size();
    demand_of.assign(nw, -1);
    for (std::size_t i = 0; i < in.demand.size(); ++i) {
      auto it = wl_idx.find(in.demand[i].workload);
      if (it != wl_idx.end()) demand_of[it->second] = static_cast<int>(i);
    }
    host_pfail.assign(nh, 0.0);
    host_health.assign(nh, 100.0);
    host_evacuate.assign(nh, false);
    for (const HostRisk& r : in.risks) {
      auto it = host_idx.find(r.host);
      if (it == host_idx.end()) continue;
      host_pfail[it->second] = std::max(host_pfail[it->second], r.p_fail);
      host_health[it->second] = std::min(host_health[it->second], r.health);
    }
    for (const Preference& p : planner.preferences_) {
      if (p.workload.empty()) {
        fleet_pref = &p;
      } else {
        prefs[p.workload] = &p;
      }
    }
    wl_host.assign(nw, kNone);
    wl_request.resize(nw);
    wl_replicas.resize(nw);
    wl_touched.assign(nw, false);
    wl_tier.resize(nw);
    for (std::size_t w = 0; w < nw; ++w) wl_tier[w] = &spec.Tier(W(w).sla_tier);
    for (const Customer& c : inv.customers) customers.emplace(c.id, &c);
    host_wls.assign(nh, {});
    std::vector<ResourceVector> capacity(nh), free(nh);
    std::vector<bool> active(nh);
    for (std::size_t h = 0; h < nh; ++h) {
      capacity[h] = free[h] = H(h).capacity;
      active[h] = H(h).schedulable;
    }
    ResourceVector total_request, total_capacity, total_observed;
    for (std::size_t w = 0; w < nw; ++w) {
      wl_request[w] = W(w).request;
      wl_replicas[w] = std::max(0, W(w).replicas);
      total_request += Size(w);
      if (!W(w).customer.empty()) customer_usage[W(w).customer] += Size(w);
      if (demand_of[w] >= 0) total_observed += in.demand[demand_of[w]].observed;
      auto it = W(w).host.empty() ? host_idx.end() : host_idx.find(W(w).host);
      if (it == host_idx.end()) continue;  // pending, or on a host the inventory does not know
      wl_host[w] = it->second;
      host_wls[it->second].push_back(w);
      free[it->second] -= Size(w);
    }
    for (std::size_t h = 0; h < nh; ++h) {
      // The zone disruption budget counts hosts being drained: cordoned and still holding work. A
      // cordoned host already emptied (drained earlier, kept cordoned for its maintenance window)
      // disrupts nothing more, so it does not hold the budget against a host predicted to fail.
      if (!H(h).schedulable && !host_wls[h].empty()) ++zone_unavailable[H(h).zone];
      if (H(h).schedulable) total_capacity += H(h).capacity;
      if (std::any_of(host_wls[h].begin(), host_wls[h].end(),
                      [&](std::size_t w) { return W(w).preemptible; })) {
        preempt_hosts.push_back(h);
      }
    }
    // Degraded: some host holds more than it has, or the fleet cannot hold what exists.
    int overloaded = 0;
    std::string first;
    for (std::size_t h = 0; h < nh; ++h) {
      if (!(H(h).capacity - free[h]).FitsIn(H(h).capacity, 1e-6)) {
        if (overloaded++ == 0) {
          first = H(h).id + " allocated " + Vec(H(h).capacity - free[h]) + " > capacity " +
                  Vec(H(h).capacity);
        }
      }
    }
    if (overloaded > 0) {
      plan.degraded = true;
      plan.alerts.push_back("critical: inventory cannot fit current load: " +
                            std::to_string(overloaded) + " host(s) over capacity, e.g. " + first);
    }
    for (const ResourceVector* need : {&total_request, &total_observed}) {
      if (!need->FitsIn(total_capacity, 1e-6)) {
        plan.degraded = true;
        plan.alerts.push_back(std::string("critical: inventory cannot fit current load: ") +
                              (need == &total_request ? "requested " : "observed ") + Vec(*need) +
                              " > schedulable capacity " + Vec(total_capacity));
      }
    }
    // Hosts to evacuate: predicted to fail, or their maintenance window has come.
    for (std::size_t h = 0; h < nh; ++h) {
      const bool window = MaintenanceActive(h);
      if (host_pfail[h] >= spec.thresholds.migrate_p_fail || window) {
        host_evacuate[h] = true;
        active[h] = false;
      }
    }
    index = HostIndex(std::move(capacity), std::move(free), active);
    for (const auto& [w, end] : planner.migrations_in_flight_) {
      if (end > in.now) ++migrations;
    }
    return true;
  }

  // Whether host h's maintenance window is running now.
  bool MaintenanceActive(std::size_t h) const {
    auto ms = planner.maintenance_start_.find(H(h).id);
    return ms != planner.maintenance_start_.end() && ms->second <= in.now &&
           in.now < ms->second + kMaintenanceWindowMs;
  }

  // Rule migrate_off_failing_host: high criticality first, within the disruption budgets.
  void Evacuate() {
    if (!spec.allow_migration) return;
    std::vector<std::size_t> hosts;
    for (std::size_t h = 0; h < inv.hosts.size(); ++h) {
      if (host_evacuate[h]) hosts.push_back(h);
    }
    std::sort(hosts.begin(), hosts.end(), [&](std::size_t a, std::size_t b) {
      if (host_pfail[a] != host_pfail[b]) return host_pfail[a] > host_pfail[b];
      return a < b;
    });
    // Zone budget: a host that is still schedulable will be drained; count it now.
    std::vector<bool> may_drain(inv.hosts.size(), false);
    for (std::size_t h : hosts) {
      if (!H(h).schedulable) {
        may_drain[h] = true;  // already cordoned: keep moving its workloads
        continue;
      }
      int& unavailable = zone_unavailable[H(h).zone];
      // The budget limits voluntary disruption. A host at p_fail ≥ critical_p_fail is about to be
      // unavailable anyway: moving its work first loses nothing, so it does not wait for it.
      if (unavailable < spec.damping.max_unavailable_per_zone ||
          host_pfail[h] >= spec.thresholds.critical_p_fail) {
        ++unavailable;
        may_drain[h] = true;
      }
    }
    std::vector<std::size_t> wls;
    for (std::size_t h : hosts) {
      for (std::size_t w : host_wls[h]) wls.push_back(w);
    }
    std::sort(wls.begin(), wls.end(), [&](std::size_t a, std::size_t b) {
      if (W(a).criticality != W(b).criticality) return W(a).criticality > W(b).criticality;
      return QueueBefore(a, b);
    });
    std::vector<int> left(inv.hosts.size(), 0);
    for (std::size_t h : hosts) left[h] = static_cast<int>(host_wls[h].size());
    for (std::size_t w : wls) {
      const std::size_t from = wl_host[w];
      const std::string why_host = H(from).id + " has p_fail " + Num(host_pfail[from]) +
                                   (host_pfail[from] >= spec.thresholds.migrate_p_fail
                                        ? " >= " + Num(spec.thresholds.migrate_p_fail)
                                        : " and its maintenance window has started");
      if (!may_drain[from]) {
        Defer(w, ResourceVector{},
              "queued: move " + W(w).id + " off " + H(from).id + " (" + why_host +
                  ") waits for the zone " + H(from).zone + " disruption budget (" +
                  std::to_string(spec.damping.max_unavailable_per_zone) + " hosts unavailable)",
              {});
        continue;
      }
      if (migrations >= spec.damping.max_concurrent_migrations) {
        Defer(w, ResourceVector{},
              "queued: move " + W(w).id + " off " + H(from).id + " (" + why_host +
                  ") waits for the migration budget (" +
                  std::to_string(spec.damping.max_concurrent_migrations) + " concurrent)",
              {});
        continue;
      }
      std::vector<Rejected> rejected;
      const ResourceVector need = Size(w);
      const std::size_t to = FindTarget(w, need, from, &rejected, /*spread=*/true);
      if (to == kNone) {
        if (!MakeRoomByPreemption(w, need, "it must leave " + H(from).id, &rejected)) {
          Defer(w, ResourceVector{},
                "queued: no host fits " + W(w).id + " (" + Vec(need) + ") to move it off " +
                    H(from).id + " (" + why_host + ")",
                rejected);
          continue;
        }
        ++migrations;  // placed elsewhere by MakeRoomByPreemption
        planner.migrations_in_flight_[W(w).id] = in.now + kMigrateVerifyMs;
        --left[from];
        continue;
      }
      Action a = MoveAction(w, from, to, "migrate_off_failing_host");
      a.reason = "move " + W(w).id + " (criticality " +
                 std::string(CriticalityName(W(w).criticality)) + ") off " + why_host + " to " +
                 H(to).id + " (zone " + H(to).zone + ", p_fail " + Num(host_pfail[to]) +
                 ", health " + Num(host_health[to]) + ")";
      a.rejected = std::move(rejected);
      a.expected_cost_per_hour = CostOf(to, need) - CostOf(from, need);
      a.expected_risk = host_pfail[to];
      a.precondition =
          W(w).id + " runs on " + H(from).id + " and " + H(to).id + " has " + Vec(need) + " free";
      a.expected_effect = W(w).id + " runs on " + H(to).id;
      a.verify_window_ms = kMigrateVerifyMs;
      if (!Emit(std::move(a), Mode::kUrgent)) continue;
      ++migrations;
      planner.migrations_in_flight_[W(w).id] = in.now + kMigrateVerifyMs;
      wl_touched[w] = true;
      Unplace(w);
      Place(w, to);
      --left[from];
    }
    for (std::size_t h : hosts) {
      if (!H(h).schedulable || !may_drain[h]) continue;
      if (left[h] > 0) {
        plan.alerts.push_back("warning: " + H(h).id + " at p_fail " + Num(host_pfail[h]) +
                              " still runs " + std::to_string(left[h]) +
                              " workload(s) that could not move yet");
        continue;
      }
      Action a;
      a.type = ActionType::kDrain;
      a.host = H(h).id;
      a.amount = 1;
      a.rule = "drain_failing_host";
      a.reason = "cordon and drain " + H(h).id + ": p_fail " + Num(host_pfail[h]) + " (health " +
                 Num(host_health[h]) + "); its workloads were moved first";
      a.expected_cost_per_hour = 0;
      a.expected_risk = 0;
      a.precondition = H(h).id + " runs no workload";
      a.expected_effect = H(h).id + " unschedulable";
      a.verify_window_ms = kDrainVerifyMs;
      if (Emit(std::move(a), Mode::kUrgent)) planner.drained_[H(h).id] = in.now;
    }
  }

  // Rule uncordon_recovered: a host the planner drained comes back once its p_fail is under
  // warning_p_fail and no maintenance window holds it (the inverse direction of the drain, so
  // not inside the drain's stabilization window).
  void Uncordon() {
    for (auto it = planner.drained_.begin(); it != planner.drained_.end();) {
      auto hi = host_idx.find(it->first);
      if (hi == host_idx.end()) {
        it = planner.drained_.erase(it);  // the host is gone
        continue;
      }
      const std::size_t h = hi->second;
      if (H(h).schedulable) {
        // Drained in this very plan (not applied yet): keep. Else someone uncordoned it.
        it = it->second < in.now ? planner.drained_.erase(it) : std::next(it);
        continue;
      }
      // Held while its window is pending or running.
      auto ms = planner.maintenance_start_.find(H(h).id);
      const bool window =
          ms != planner.maintenance_start_.end() && in.now < ms->second + kMaintenanceWindowMs;
      // At least kMaintenanceRepeatMs cordoned: a noisy risk that dips under the warning level
      // for a tick must not cycle the host through drains (measured in the simulator: with a
      // 30 min minimum, false-alarm hosts were drained 429 times in 2 days).
      if (host_evacuate[h] || window || host_pfail[h] >= spec.thresholds.warning_p_fail ||
          in.now - it->second < kMaintenanceRepeatMs) {
        ++it;
        continue;
      }
      Action a;
      a.type = ActionType::kDrain;
      a.host = H(h).id;
      a.amount = 0;
      a.amount_before = 1;
      a.rule = "uncordon_recovered";
      a.reason = "uncordon " + H(h).id + ": p_fail " + Num(host_pfail[h]) + " < warning " +
                 Num(spec.thresholds.warning_p_fail) + " (health " + Num(host_health[h]) +
                 "), drained at " + FormatTimestamp(it->second) + ", no maintenance pending";
      a.expected_cost_per_hour = 0;
      a.expected_risk = host_pfail[h];
      a.precondition = H(h).id + " cordoned";
      a.expected_effect = H(h).id + " schedulable";
      a.verify_window_ms = kDrainVerifyMs;
      if (Emit(std::move(a))) {
        index.SetActive(h, true);
        it = planner.drained_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // Finds a host where evicting lower-priority preemptible work fits `need` for w (smallest total
  // impact), emits the preemptions and places w there. False when no such host exists.
  bool MakeRoomByPreemption(std::size_t w, const ResourceVector& need, const std::string& why,
                            std::vector<Rejected>* rejected) {
    if (!spec.allow_preemption) {
      rejected->push_back({"preempt lower-priority work", "preemption disabled by policy"});
      return false;
    }
    std::size_t best = kNone;
    double best_impact = 0;
    std::vector<std::size_t> best_victims;
    std::size_t scanned = 0;
    for (std::size_t i = 0; i < preempt_hosts.size() && scanned < kPreemptHostScan; ++i) {
      const std::size_t h = preempt_hosts[i];
      if (h == wl_host[w] || !index.active(h) || !ZoneOk(w, h) || host_wls[h].empty()) continue;
      if (!need.FitsIn(H(h).capacity)) continue;
      ++scanned;
      double impact = 0;
      auto victims = VictimsOn(h, w, need, &impact);
      if (victims.empty()) continue;
      if (best == kNone || impact < best_impact) {
        best = h;
        best_impact = impact;
        best_victims = std::move(victims);
      }
    }
    if (best != kNone && Room() < best_victims.size() + 1) {
      rejected->push_back({"preempt lower-priority work", "max actions per interval reached"});
      return false;
    }
    if (best == kNone) {
      rejected->push_back({"preempt lower-priority work",
                           "no host where evicting preemptible work of priority < " +
                               std::to_string(W(w).priority) + " frees " + Vec(need)});
      return false;
    }
    EmitPreemptions(best_victims, w, why);
    const std::size_t from = wl_host[w];
    Action a =
        MoveAction(w, from, best, from == kNone ? "place_pending" : "migrate_off_failing_host");
    a.reason = "place " + W(w).id + " on " + H(best).id + " after preempting " +
               std::to_string(best_victims.size()) + " lower-priority workload(s): " + why;
    a.rejected = *rejected;
    a.rejected.push_back({"defer " + W(w).id, "priority " + std::to_string(W(w).priority) +
                                                  " outranks the preemptible work on " +
                                                  H(best).id});
    a.expected_cost_per_hour = CostOf(best, need);
    a.expected_risk = host_pfail[best];
    a.precondition = H(best).id + " has " + Vec(need) + " free after the preemptions";
    a.expected_effect = W(w).id + " runs on " + H(best).id;
    a.verify_window_ms = kMigrateVerifyMs;
    // Urgent: the room was checked and the victims are already evicted, so this half must go.
    Emit(std::move(a), Mode::kUrgent);
    wl_touched[w] = true;
    if (from != kNone) Unplace(w);
    Place(w, best);
    return true;
  }

  // Rule place_pending: pending workloads in queue order, best fit; preempt or defer when full.
  void PlacePending() {
    std::vector<std::size_t> pending;
    for (std::size_t w = 0; w < inv.workloads.size(); ++w) {
      if (wl_host[w] == kNone && !wl_touched[w] && wl_replicas[w] > 0) pending.push_back(w);
    }
    std::sort(pending.begin(), pending.end(),
              [&](std::size_t a, std::size_t b) { return QueueBefore(a, b); });
    for (std::size_t w : pending) {
      ResourceVector need = Size(w);
      std::vector<Rejected> rejected;
      // A workload with an in-sync copy of its data restarts where the copy is (no data to move)
      // when that host is schedulable, low-risk and has room; else the tightest fit.
      std::size_t to = kNone;
      std::string copy_note;
      for (const Workload::DataCopy& c : W(w).data_copies) {
        auto it = host_idx.find(c.host);
        if (!c.in_sync || it == host_idx.end()) continue;
        const std::size_t h = it->second;
        if (H(h).schedulable && !host_evacuate[h] && ZoneOk(w, h) &&
            need.FitsIn(index.free(h), 1e-9)) {
          to = h;
          copy_note = ": it holds an in-sync copy of its " + Num(W(w).data_gib) + " GiB";
          break;
        }
      }
      if (to == kNone) to = FindTarget(w, need, kNone, &rejected, /*spread=*/false);
      if (to == kNone) {
        if (MakeRoomByPreemption(w, need, "no host has " + Vec(need) + " free", &rejected)) {
          continue;
        }
        Defer(w, need,
              "queued: no host has " + Vec(need) + " free for " + W(w).id + " (tier " +
                  TierOf(w).name + ", priority " + std::to_string(W(w).priority) + ")",
              rejected);
        continue;
      }
      Action a = MoveAction(w, kNone, to, "place_pending");
      a.reason =
          "place pending " + W(w).id + " (" + Vec(need) + ") on " + H(to).id +
          (!copy_note.empty()
               ? copy_note
               : ": tightest fit, dominant share left " +
                     Num(std::max(0.0, DominantLeftover(index.free(to), need, H(to).capacity))));
      a.rejected = std::move(rejected);
      a.expected_cost_per_hour = CostOf(to, need);
      a.expected_risk = host_pfail[to];
      a.precondition = H(to).id + " has " + Vec(need) + " free";
      a.expected_effect = W(w).id + " runs on " + H(to).id;
      a.verify_window_ms = kMigrateVerifyMs;
      if (!Emit(std::move(a))) continue;
      wl_touched[w] = true;
      Place(w, to);
    }
  }

  // Rule scale_in_observed: allocation comes down to the forecast need as soon as the need (and
  // the observed load, with headroom) is below the allocation by more than the hysteresis:
  // target_r = max(need_r, observed_r × (1 + headroom)) × (1 + hysteresis/2). Damping (the
  // stabilization window, cooldown) keeps it from flapping; never below the forecast need, which
  // would be undone at the next tick.
  void ScaleIn() {
    for (std::size_t w = 0; w < inv.workloads.size(); ++w) {
      if (demand_of[w] < 0 || wl_host[w] == kNone || wl_touched[w]) continue;
      const WorkloadDemand& d = in.demand[demand_of[w]];
      const ResourceVector cur = Size(w);
      const ResourceVector need = Need(w, d);
      const double h = Headroom(w);
      double util = 0;
      bool any = false;
      for (std::size_t r = 0; r < kResourceCount; ++r) {
        if (cur.v[r] > 0 && (d.observed.v[r] > 0 || need.v[r] > 0)) {
          util = std::max(util, d.observed.v[r] / cur.v[r]);
          any = true;
        }
      }
      if (!any) continue;
      // The earlier rule: only on observed utilisation below the threshold, floor at
      // max(q, observed) × (1 + headroom) / target_utilization.
      const bool legacy = !spec.quantile_sizing;
      if (legacy && util >= spec.thresholds.scale_in_utilization) continue;
      const double tu = TierOf(w).target_utilization > 0 ? TierOf(w).target_utilization : 1.0;
      ResourceVector target = cur;
      bool shrink = false;
      double need_share = 0;  // max_r floor_r / allocation_r, for the reason
      for (std::size_t r = 0; r < kResourceCount; ++r) {
        if (need.v[r] <= 0 && d.observed.v[r] <= 0) continue;  // no telemetry for r: leave it
        // Burstable CPU (cpu_sizing usage): the usage now is a floor, but no headroom above it.
        const bool usage_cpu =
            spec.cpu_sizing == CpuSizing::kUsage && r == static_cast<std::size_t>(Resource::kCpu);
        const double floor_r =
            std::max(need.v[r], d.observed.v[r] * (usage_cpu ? 1.0 : (1 + h) / (legacy ? tu : 1)));
        if (cur.v[r] > 0) need_share = std::max(need_share, floor_r / cur.v[r]);
        const double t = std::min(cur.v[r], floor_r * (1 + spec.damping.hysteresis / 2));
        if (floor_r > cur.v[r] + kEps) {
          shrink = false;  // short on r: the scale-up rule handles this workload
          break;
        }
        if (t < cur.v[r] * (1 - spec.damping.hysteresis)) shrink = true;
        target.v[r] = t;
      }
      if (!shrink) continue;
      if (CapFull()) continue;
      auto [req, reps] = Quantize(w, target, /*round_up=*/true);
      EmitSizing(w, req, reps, /*up=*/false,
                 legacy ? "observed utilization " + Num(util) + " < scale-in threshold " +
                              Num(spec.thresholds.scale_in_utilization)
                        : "need " + Num(need_share * 100) +
                              "% of the allocation (observed "
                              "utilization " +
                              Num(util) + ")",
                 {});
    }
  }

  // The (request, replicas) that realise a total allocation. Horizontal workloads (replicas > 1)
  // keep their request and change replicas = ceil (or floor, for a partial grow) of
  // max_r total_r / request_r, at least 1 — when that lands every resource within the hysteresis
  // band of its total. Whole replicas of a fixed request couple the resources: growing CPU by
  // replicas also grows memory by the same factor, and one tiny request can turn a modest CPU
  // need into hundreds of replicas of memory. When the replica count would over-allocate some
  // resource by more than the hysteresis (or land under it on a partial grow), the workload keeps
  // its replicas and its request is resized per resource to total / replicas (a vertical resize).
  // Single-replica workloads take the total as request.
  std::pair<ResourceVector, int> Quantize(std::size_t w, const ResourceVector& total,
                                          bool round_up) const {
    const int cur_reps = std::max(1, wl_replicas[w]);
    if (wl_replicas[w] <= 1) return {total, cur_reps};
    double k = 0;
    for (std::size_t r = 0; r < kResourceCount; ++r) {
      if (wl_request[w].v[r] > 0) k = std::max(k, total.v[r] / wl_request[w].v[r]);
    }
    const int n =
        std::max(1, static_cast<int>(round_up ? std::ceil(k - 1e-9) : std::floor(k + 1e-9)));
    bool shape_fits = true;
    for (std::size_t r = 0; r < kResourceCount; ++r) {
      const double got = wl_request[w].v[r] * n;
      if (total.v[r] <= kEps && got <= kEps) continue;
      if (got > total.v[r] * (1 + spec.damping.hysteresis) + kEps ||
          got < total.v[r] * (1 - spec.damping.hysteresis) - kEps) {
        shape_fits = false;
      }
    }
    if (shape_fits) return {wl_request[w], n};
    ResourceVector req = total;
    for (double& x : req.v) x /= cur_reps;
    return {req, cur_reps};
  }

  // Emits the sizing action to (new_request, new_replicas): scale up/down for one replica, out/in
  // for several. Applies it to the working state. False when nothing changes or it was held.
  bool EmitSizing(std::size_t w, const ResourceVector& new_request, int new_replicas, bool up,
                  const std::string& why, std::vector<Rejected> rejected,
                  Mode mode = Mode::kNormal) {
    const ResourceVector cur = Size(w);
    const SlaTier& tier = TierOf(w);
    Action a;
    a.workload = W(w).id;
    a.host = wl_host[w] == kNone ? std::string() : H(wl_host[w]).id;
    a.before = wl_request[w];
    a.replicas_before = wl_replicas[w];
    if (new_replicas != wl_replicas[w]) {
      a.type = new_replicas > wl_replicas[w] ? ActionType::kScaleOut : ActionType::kScaleIn;
    } else {
      if (new_request == wl_request[w]) return false;
      a.type = up ? ActionType::kScaleUp : ActionType::kScaleDown;
    }
    a.after = new_request;
    a.replicas_after = new_replicas;
    const ResourceVector new_total = new_request.Scaled(new_replicas);
    a.rule = up ? "scale_ahead" : "scale_in_observed";
    a.reason = std::string(up ? "forecast" : "observed") + ": " + why + "; allocation " + Vec(cur) +
               " -> " + Vec(new_total) + " (tier " + tier.name + " q" + Num(tier.demand_quantile) +
               ", headroom " + Num(Headroom(w)) + ", target " + Num(tier.target_utilization) + ")";
    a.rejected = std::move(rejected);
    ResourceVector grow = new_total - cur;
    ResourceVector shrink = cur - new_total;
    for (std::size_t r = 0; r < kResourceCount; ++r) {
      grow.v[r] = std::max(0.0, grow.v[r]);
      shrink.v[r] = std::max(0.0, shrink.v[r]);
    }
    a.expected_cost_per_hour = CostOfSize(w, grow) - CostOfSize(w, shrink);
    a.expected_risk = 1.0 - tier.demand_quantile;
    a.precondition = up ? (a.host + " has " + Vec(grow) + " free")
                        : (W(w).id + " allocation is still " + Vec(cur));
    a.expected_effect = W(w).id + " allocation " + Vec(new_total);
    a.verify_window_ms = kSizingVerifyMs;
    if (!Emit(std::move(a), mode)) return false;
    wl_touched[w] = true;
    Resize(w, new_request, new_replicas);
    return true;
  }

  // Actions still allowed in this interval.
  std::size_t Room() { return planner.damper_.Room(in.now); }

  // True when the action cap is reached and the held list is full: the caller skips building the
  // action (it could only be held) and it is counted in held_omitted.
  bool CapFull() {
    if (plan.held.size() < kMaxHeldListed || Room() > 0) return false;
    ++plan.held_omitted;
    return true;
  }

  // Rule scale_ahead: allocation ≥ q(tier) × (1 + headroom) / target_utilization.
  void ScaleAhead() {
    std::vector<std::size_t> order;
    for (std::size_t w = 0; w < inv.workloads.size(); ++w) {
      if (demand_of[w] >= 0 && wl_host[w] != kNone) order.push_back(w);
    }
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return QueueBefore(a, b); });
    for (std::size_t w : order) {
      if (wl_host[w] == kNone || (wl_touched[w] && !WasPlacedThisPlan(w))) continue;
      const WorkloadDemand& d = in.demand[demand_of[w]];
      const SlaTier& tier = TierOf(w);
      const ResourceVector cur = Size(w);
      const ResourceVector q = d.Quantile(tier.demand_quantile);
      ResourceVector need = Need(w, d);
      ResourceVector target = cur;
      bool short_any = false;
      for (std::size_t r = 0; r < kResourceCount; ++r) {
        if (need.v[r] > cur.v[r] * (1 + kEps) + kEps) {
          short_any = true;
          target.v[r] = need.v[r] * (1 + spec.damping.hysteresis / 2);
        }
      }
      if (!short_any || CapFull()) continue;
      std::string short_desc;
      for (std::size_t r = 0; r < kResourceCount; ++r) {
        if (target.v[r] == cur.v[r]) continue;
        if (!short_desc.empty()) short_desc += ", ";
        const bool cpu = r == static_cast<std::size_t>(Resource::kCpu);
        if (cpu && spec.cpu_sizing == CpuSizing::kUsage) {
          short_desc += "cpu usage q" + Num(CpuQuantile(tier)) + " " + Num(need.v[r]) +
                        " > allocated " + Num(cur.v[r]);
          continue;
        }
        const double level = cpu ? CpuQuantile(tier) : tier.demand_quantile;
        short_desc += std::string(ResourceName(static_cast<Resource>(r))) + " q" + Num(level) +
                      " peak " + Num(cpu ? d.Quantile(level).v[r] : q.v[r]) + " needs " +
                      Num(need.v[r]) + " > allocated " + Num(cur.v[r]);
      }
      GrowWorkload(w, cur, target, short_desc);
    }
  }

  // cpu_sizing usage: CPU requests cover expected usage and the peaks borrow the host's idle CPU,
  // so a host whose workloads' forecast CPU peaks (the tier quantile's peak over the horizon, at
  // least the request) add up to more than its capacity will throttle them. Moves workloads off
  // such a host, fewest moves first (the smallest workload whose peak covers the excess, else the
  // largest), to the best-scored host where both its request fits and the peaks stay within
  // capacity. Damped and budgeted like every migration.
  void RelieveContention() {
    if (spec.cpu_sizing != CpuSizing::kUsage || !spec.allow_migration) return;
    const std::size_t cpu = static_cast<std::size_t>(Resource::kCpu);
    std::vector<double> peak(inv.workloads.size(), 0.0);
    std::vector<double> load(inv.hosts.size(), 0.0);
    for (std::size_t w = 0; w < inv.workloads.size(); ++w) {
      if (wl_host[w] == kNone) continue;
      peak[w] = Size(w).v[cpu];
      if (demand_of[w] >= 0) {
        peak[w] =
            std::max(peak[w], in.demand[demand_of[w]].Quantile(TierOf(w).demand_quantile).v[cpu]);
      }
      load[wl_host[w]] += peak[w];
    }
    for (std::size_t h = 0; h < inv.hosts.size(); ++h) {
      const double cap = H(h).capacity.v[cpu];
      if (host_evacuate[h] || cap <= 0 || load[h] <= cap * (1 + kEps)) continue;
      std::vector<std::size_t> movable;
      for (std::size_t w : host_wls[h]) {
        if (!wl_touched[w] && demand_of[w] >= 0 &&
            !planner.migrations_in_flight_.contains(W(w).id)) {
          movable.push_back(w);
        }
      }
      const double excess = load[h] - cap;
      std::sort(movable.begin(), movable.end(), [&](std::size_t a, std::size_t b) {
        const bool ca = peak[a] >= excess, cb = peak[b] >= excess;
        if (ca != cb) return ca;
        if (peak[a] != peak[b]) return ca ? peak[a] < peak[b] : peak[a] > peak[b];
        return a < b;
      });
      for (std::size_t w : movable) {
        if (load[h] <= cap * (1 + kEps)) break;
        if (migrations >= spec.damping.max_concurrent_migrations || Room() < 1) return;
        const ResourceVector size = Size(w);
        std::vector<Rejected> rejected;
        std::size_t best = kNone;
        double best_score = 0;
        for (std::size_t t : index.Candidates(size, inv.hosts.size(), [&](std::size_t c) {
               return c != h && ZoneOk(w, c) && !host_evacuate[c];
             })) {
          const double cap_t = H(t).capacity.v[cpu];
          if (load[t] + peak[w] > cap_t * (1 + kEps)) {
            if (rejected.size() < 3) {
              rejected.push_back({"migrate to " + H(t).id, "cpu peaks " + Num(load[t] + peak[w]) +
                                                               " > capacity " + Num(cap_t)});
            }
            continue;
          }
          const double sc = TargetScore(w, t, size, h);
          if (best == kNone || sc < best_score) {
            best = t;
            best_score = sc;
          }
        }
        if (best == kNone) continue;
        Action a = MoveAction(w, h, best, "relieve_cpu_contention");
        a.reason = "the forecast CPU peaks on " + H(h).id + " add up to " + Num(load[h]) +
                   " cores > its " + Num(cap) + ": move " + W(w).id + " (peak " + Num(peak[w]) +
                   ") to " + H(best).id + " (peaks " + Num(load[best]) + " + " + Num(peak[w]) +
                   " <= " + Num(H(best).capacity.v[cpu]) + ")";
        a.rejected = std::move(rejected);
        a.expected_cost_per_hour = CostOf(best, size) - CostOf(h, size);
        a.expected_risk = host_pfail[best];
        a.precondition = H(best).id + " has " + Vec(size) + " free";
        a.expected_effect = W(w).id + " runs on " + H(best).id;
        a.verify_window_ms = kMigrateVerifyMs;
        if (!Emit(std::move(a))) continue;
        ++migrations;
        planner.migrations_in_flight_[W(w).id] = in.now + kMigrateVerifyMs;
        wl_touched[w] = true;
        Unplace(w);
        Place(w, best);
        load[h] -= peak[w];
        load[best] += peak[w];
      }
    }
  }

  bool WasPlacedThisPlan(std::size_t w) const {
    return wl_touched[w] && wl_host[w] != kNone && W(w).host != H(wl_host[w]).id;
  }

  // Clamps growth to the customer's quota; returns the clamped target and notes the cut.
  ResourceVector ClampToQuota(std::size_t w, const ResourceVector& cur, ResourceVector target,
                              std::vector<Rejected>* rejected) const {
    if (W(w).customer.empty()) return target;
    auto ci = customers.find(W(w).customer);
    if (ci == customers.end()) return target;
    const Customer* c = ci->second;
    auto it = customer_usage.find(W(w).customer);
    const ResourceVector usage = it == customer_usage.end() ? ResourceVector{} : it->second;
    for (std::size_t r = 0; r < kResourceCount; ++r) {
      if (c->quota.v[r] <= 0 || target.v[r] <= cur.v[r]) continue;
      const double room = std::max(0.0, c->quota.v[r] - usage.v[r]);
      if (target.v[r] - cur.v[r] > room + kEps) {
        rejected->push_back(
            {"grow " + std::string(ResourceName(static_cast<Resource>(r))) + " to " +
                 Num(target.v[r]),
             "customer " + c->id + " quota " + Num(c->quota.v[r]) + ", in use " + Num(usage.v[r])});
        target.v[r] = cur.v[r] + room;
      }
    }
    return target;
  }

  void GrowWorkload(std::size_t w, const ResourceVector& cur, ResourceVector target,
                    const std::string& why) {
    std::vector<Rejected> rejected;
    const Mode mode = WasPlacedThisPlan(w) ? Mode::kLinked : Mode::kNormal;
    target = ClampToQuota(w, cur, target, &rejected);
    auto [req, reps] = Quantize(w, target, /*round_up=*/true);
    const ResourceVector new_total = req.Scaled(reps);
    ResourceVector delta = new_total - cur;
    bool any = false;
    for (double& x : delta.v) {
      x = std::max(0.0, x);
      any = any || x > kEps;
    }
    if (!any) return;
    const std::size_t h = wl_host[w];
    const Preference* pref = PrefOf(w);
    const bool prefer_move = pref && pref->prefer_migration;
    // Damping first: if the growth itself may not happen now (it would reverse a recent
    // shrink, or the target is cooling down), no half of a combined decision may start either.
    Action probe;
    probe.type = reps != wl_replicas[w] ? ActionType::kScaleOut : ActionType::kScaleUp;
    probe.workload = W(w).id;
    if (planner.damper_.Check(probe, in.now, Damping(mode))) {
      EmitSizing(w, req, reps, true, why, rejected, mode);  // lands in plan.held with the reason
      return;
    }
    // 1. In place.
    if (!prefer_move && delta.FitsIn(index.free(h))) {
      EmitSizing(w, req, reps, true, why, rejected, mode);
      return;
    }
    if (!prefer_move) {
      rejected.push_back(
          {"grow in place on " + H(h).id, "needs " + Vec(delta) + ", free " + Vec(index.free(h))});
    }
    // 2. Evict co-located lower-priority preemptible work.
    if (!prefer_move && spec.allow_preemption) {
      double impact = 0;
      auto victims = VictimsOn(h, w, delta, &impact);
      if (!victims.empty() && Room() >= victims.size() + 1) {
        EmitPreemptions(victims, w,
                        "forecast needs " + Vec(delta) + " more on " + H(h).id + " (" + why + ")");
        EmitSizing(w, req, reps, true, why, rejected, Mode::kLinked);
        return;
      }
      rejected.push_back({"preempt on " + H(h).id,
                          victims.empty()
                              ? "no preemptible work of lower priority frees " + Vec(delta)
                              : std::string("max actions per interval reached")});
    }
    // 3. A finer lever for a small single-resource shortfall of important work.
    if (!prefer_move && W(w).criticality >= Criticality::kHigh) {
      const ResourceVector missing = delta - index.free(h);
      int short_resources = 0;
      std::size_t rr = 0;
      for (std::size_t r = 0; r < kResourceCount; ++r) {
        if (missing.v[r] > kEps) {
          ++short_resources;
          rr = r;
        }
      }
      if (short_resources == 1 && missing.v[rr] <= kLeverShortfallShare * cur.v[rr]) {
        GrowPartly(w, cur, target, why, rejected, mode);
        EmitLever(w, static_cast<Resource>(rr), cur.v[rr], new_total.v[rr],
                  "contended host " + H(h).id + ": " +
                      std::string(ResourceName(static_cast<Resource>(rr))) + " short by " +
                      Num(missing.v[rr]) + " (<= " + Num(kLeverShortfallShare * 100) +
                      "% of allocation); keep " + W(w).id + " in place with priority on the host");
        return;
      }
    }
    // 4. Move it to a host that fits the new size.
    if (spec.allow_migration && migrations < spec.damping.max_concurrent_migrations &&
        Room() >= 2) {
      std::vector<Rejected> targets;
      const std::size_t to = FindTarget(w, new_total, h, &targets, /*spread=*/true);
      if (to != kNone) {
        Action a = MoveAction(w, h, to, "migrate_to_grow");
        a.reason = "move " + W(w).id + " from " + H(h).id + " to " + H(to).id +
                   " where its forecast allocation " + Vec(new_total) + " fits (" + why + ")";
        a.rejected = rejected;
        a.rejected.insert(a.rejected.end(), targets.begin(), targets.end());
        a.expected_cost_per_hour = CostOf(to, cur) - CostOf(h, cur);
        a.expected_risk = host_pfail[to];
        a.precondition = H(to).id + " has " + Vec(new_total) + " free";
        a.expected_effect = W(w).id + " runs on " + H(to).id;
        a.verify_window_ms = kMigrateVerifyMs;
        if (Emit(std::move(a), mode)) {
          ++migrations;
          planner.migrations_in_flight_[W(w).id] = in.now + kMigrateVerifyMs;
          wl_touched[w] = true;
          Unplace(w);
          Place(w, to);
          EmitSizing(w, req, reps, true, why, {}, Mode::kLinked);
        }
        return;
      }
      rejected.push_back({"migrate " + W(w).id, "no host has " + Vec(new_total) + " free"});
    } else if (spec.allow_migration) {
      rejected.push_back(
          {"migrate " + W(w).id, "migration budget (" +
                                     std::to_string(spec.damping.max_concurrent_migrations) +
                                     " concurrent) or action budget used"});
    }
    if (prefer_move && delta.FitsIn(index.free(h))) {
      EmitSizing(w, req, reps, true, why + " (preferred migration impossible)", rejected, mode);
      return;
    }
    // 5. What fits now, the rest deferred.
    GrowPartly(w, cur, target, why, rejected, mode);
    ResourceVector rest = new_total - Size(w);
    for (double& x : rest.v) x = std::max(0.0, x);
    Defer(w, rest,
          "queued: " + W(w).id + " needs " + Vec(rest) + " more than its host " + H(h).id +
              " can give (" + why + ")",
          rejected);
  }

  // Grows w towards `target` by what its host has free (rounded down to whole replicas).
  void GrowPartly(std::size_t w, const ResourceVector& cur, const ResourceVector& target,
                  const std::string& why, const std::vector<Rejected>& rejected, Mode mode) {
    const std::size_t h = wl_host[w];
    ResourceVector partial = cur;
    for (std::size_t r = 0; r < kResourceCount; ++r) {
      partial.v[r] =
          std::max(cur.v[r], std::min(target.v[r], cur.v[r] + std::max(0.0, index.free(h).v[r])));
    }
    auto [req, reps] = Quantize(w, partial, /*round_up=*/false);
    const ResourceVector total = req.Scaled(reps);
    if (!(total - cur).FitsIn(index.free(h))) return;
    bool grew = false;
    for (std::size_t r = 0; r < kResourceCount; ++r) {
      if (total.v[r] > cur.v[r] * (1 + spec.damping.hysteresis / 2) + kEps) grew = true;
    }
    if (grew) EmitSizing(w, req, reps, true, why + " (partly: host full)", rejected, mode);
  }

  void EmitLever(std::size_t w, Resource r, double cur, double want, const std::string& why) {
    Action a;
    a.type = LeverFor(r);
    a.workload = W(w).id;
    a.host = H(wl_host[w]).id;
    a.resource = r;
    const std::string key = std::string(ActionTypeName(a.type)) + ":" + W(w).id;
    auto it = planner.levers_.find(key);
    const double ratio = cur > 0 ? want / cur : 1.0;
    switch (a.type) {
      case ActionType::kSetCpuShares: {
        const double old = it == planner.levers_.end() ? kDefaultCpuShares : it->second;
        a.amount_before = old;
        a.amount = std::round(kDefaultCpuShares * ratio);
        break;
      }
      case ActionType::kSetIoPriority:
        // Linux ionice best-effort levels 0 (highest) .. 7; 4 is the default.
        a.amount_before = it == planner.levers_.end() ? 4 : it->second;
        a.amount = std::max(0.0, a.amount_before - 2);
        break;
      default:
        // Memory limit (GiB) and bandwidth reservation (Mbit/s) are set to the forecast need.
        a.amount_before = it == planner.levers_.end() ? cur : it->second;
        a.amount = want;
        break;
    }
    if (a.amount <= a.amount_before + kEps && a.type != ActionType::kSetIoPriority) return;
    if (a.type == ActionType::kSetIoPriority && a.amount >= a.amount_before) return;
    a.before.v[static_cast<std::size_t>(r)] = a.amount_before;
    a.after.v[static_cast<std::size_t>(r)] = a.amount;
    a.rule = "finer_lever";
    a.reason = std::string(ActionTypeName(a.type)) + " " + Num(a.amount_before) + " -> " +
               Num(a.amount) + " for " + W(w).id + ": " + why;
    a.rejected.push_back({"migrate " + W(w).id, "a move costs more than a " +
                                                    Num(kLeverShortfallShare * 100) +
                                                    "% shortfall is worth for critical work"});
    a.expected_risk = 1.0 - TierOf(w).demand_quantile;
    a.precondition = W(w).id + " runs on " + a.host;
    a.expected_effect = W(w).id + " gets a larger share of contended " +
                        std::string(ResourceName(r)) + " on " + a.host;
    a.verify_window_ms = kLeverVerifyMs;
    const double amount = a.amount;
    if (Emit(std::move(a), Mode::kLinked)) planner.levers_[key] = amount;
  }

  // Rule predictive_maintenance: a maintenance window at the cheapest time before the failure.
  void Maintenance() {
    for (const HostRisk& r : in.risks) {
      auto it = host_idx.find(r.host);
      if (it == host_idx.end() || r.p_fail < spec.thresholds.maintenance_p_fail) continue;
      const std::size_t h = it->second;
      auto until = planner.maintenance_until_.find(H(h).id);
      if (until != planner.maintenance_until_.end() && until->second > in.now) continue;
      const DurationMs ttf = r.time_to_failure_ms
                                 ? *r.time_to_failure_ms
                                 : (r.horizon_ms > 0 ? r.horizon_ms : spec.horizon_ms);
      // With a constant host cost, the cheapest time is the latest one that still leaves the
      // window and a 25% safety margin before the predicted failure: earlier windows lose the
      // host's capacity for longer without lowering the risk before the hazard rises.
      const DurationMs margin = ttf / 4;
      const DurationMs latest = std::max<DurationMs>(0, ttf - margin - kMaintenanceWindowMs);
      const TimestampMs start = host_evacuate[h] ? in.now : in.now + latest;
      Action a;
      a.type = ActionType::kScheduleMaintenance;
      a.host = H(h).id;
      a.amount = 1;
      a.not_before = start;
      a.rule = "predictive_maintenance";
      a.reason = "p_fail " + Num(r.p_fail) + " >= " + Num(spec.thresholds.maintenance_p_fail) +
                 (r.component.empty() ? std::string() : " (component " + r.component + ")") +
                 ", failure expected in " + Num(static_cast<double>(ttf) / kHourMs) +
                 " h: drain and maintain " + H(h).id + " from " + FormatTimestamp(start) + " for " +
                 Num(static_cast<double>(kMaintenanceWindowMs) / kHourMs) + " h";
      a.rejected.push_back({"maintain now", host_evacuate[h]
                                                ? "chosen: the host is being evacuated anyway"
                                                : "loses the host's capacity " +
                                                      Num(static_cast<double>(latest) / kHourMs) +
                                                      " h earlier at no lower risk"});
      a.rejected.push_back({"wait for the failure", "unplanned loss of " +
                                                        std::to_string(host_wls[h].size()) +
                                                        " workload(s) at p_fail " + Num(r.p_fail)});
      a.expected_cost_per_hour = H(h).cost_per_hour;
      a.expected_risk = 0;
      a.precondition = H(h).id + " drained by " + FormatTimestamp(start);
      a.expected_effect =
          H(h).id + " repaired; p_fail back under " + Num(spec.thresholds.warning_p_fail);
      a.verify_window_ms = kMaintenanceWindowMs;
      // Linked to the drain of an evacuated host (same damping key, same decision).
      if (Emit(std::move(a), host_evacuate[h] ? Mode::kLinked : Mode::kNormal)) {
        // No second window for this host until a day after this one ends: the host was just
        // maintained, and a lingering false alarm must not cycle it through drains.
        planner.maintenance_until_[H(h).id] = start + kMaintenanceWindowMs + kMaintenanceRepeatMs;
        planner.maintenance_start_[H(h).id] = start;
      }
    }
  }

  // Rule pool_shaping: grow (or create) the cheapest pool for deferred demand, pre-allocate for a
  // forecast that overfills the fleet, rebalance from idle pools, reclaim idle nodes.
  void PoolShaping() {
    if (!spec.allow_pool_changes || inv.pools.empty()) return;
    // Forecast need of the fleet vs capacity (nodes on order count as capacity).
    ResourceVector total_need, total_cap;
    for (std::size_t w = 0; w < inv.workloads.size(); ++w) {
      ResourceVector n = Size(w);
      if (demand_of[w] >= 0) {
        const ResourceVector q = Need(w, in.demand[demand_of[w]]);
        for (std::size_t r = 0; r < kResourceCount; ++r) n.v[r] = std::max(n.v[r], q.v[r]);
      }
      total_need += n;
    }
    std::vector<int> hosts_in_pool(inv.pools.size(), 0);
    std::vector<std::vector<std::size_t>> empty_hosts(inv.pools.size());
    for (std::size_t h = 0; h < inv.hosts.size(); ++h) {
      if (H(h).schedulable && !host_evacuate[h]) total_cap += H(h).capacity;
      auto it = pool_idx.find(H(h).pool);
      if (it == pool_idx.end()) continue;
      ++hosts_in_pool[it->second];
      if (host_wls[h].empty() && H(h).schedulable && !host_evacuate[h]) {
        empty_hosts[it->second].push_back(h);
      }
    }
    for (std::size_t p = 0; p < inv.pools.size(); ++p) {
      const int on_order = std::max(0, inv.pools[p].nodes - hosts_in_pool[p]);
      total_cap += inv.pools[p].node_capacity.Scaled(on_order);
    }
    // Deferred demand first (it is short now); the forecast only when nothing is deferred, since
    // the deferred demand is part of the forecast need and was already judged.
    bool attempted = false;
    if (deferred_need != ResourceVector{}) {
      attempted = true;
      GrowPool(deferred_need, deferred_violation_cost, /*forecast=*/false, empty_hosts);
    }
    ResourceVector fill_limit = total_cap.Scaled(kFleetFillLimit);
    if (!attempted && !total_need.FitsIn(fill_limit)) {
      attempted = true;
      ResourceVector shortfall = total_need - fill_limit;
      for (double& x : shortfall.v) x = std::max(0.0, x);
      // Expected violation cost: every workload's tier cost over the horizon, times the share of
      // the fleet's forecast need that would not fit.
      double share = 0;
      for (std::size_t r = 0; r < kResourceCount; ++r) {
        if (total_need.v[r] > 0) share = std::max(share, shortfall.v[r] / total_need.v[r]);
      }
      double cost = 0;
      for (std::size_t w = 0; w < inv.workloads.size(); ++w) {
        if (demand_of[w] >= 0) cost += TierOf(w).violation_cost_per_hour;
      }
      GrowPool(shortfall, cost * HorizonHours(spec) * share, /*forecast=*/true, empty_hosts);
    }
    if (!attempted) Reclaim(total_need, total_cap, empty_hosts);
  }

  bool GrowPool(const ResourceVector& shortfall, double violation_cost, bool forecast,
                const std::vector<std::vector<std::size_t>>& empty_hosts) {
    struct Option {
      std::size_t pool;
      int nodes;
      double cost;
    };
    std::optional<Option> best;
    std::optional<Option> blocked;  // cheapest pool at max_nodes
    for (std::size_t p = 0; p < inv.pools.size(); ++p) {
      const Pool& pool = inv.pools[p];
      double k = 0;
      bool usable = true;
      for (std::size_t r = 0; r < kResourceCount; ++r) {
        if (shortfall.v[r] <= kEps) continue;
        if (pool.node_capacity.v[r] <= 0) {
          usable = false;
          break;
        }
        k = std::max(k, shortfall.v[r] / pool.node_capacity.v[r]);
      }
      if (!usable || k <= 0) continue;
      const int nodes = static_cast<int>(std::ceil(k - 1e-9));
      const double cost =
          nodes * (pool.node_cost_per_hour * HorizonHours(spec) + pool.creation_cost);
      Option o{p, nodes, cost};
      if (pool.nodes + nodes > pool.max_nodes) {
        if (!blocked || cost < blocked->cost) blocked = o;
        continue;
      }
      if (!best || cost < best->cost) best = o;
    }
    if (!best && blocked) {
      // Rebalance: take idle nodes of a compatible pool for the blocked one.
      const Pool& dst = inv.pools[blocked->pool];
      for (std::size_t p = 0; p < inv.pools.size(); ++p) {
        const Pool& src = inv.pools[p];
        if (p == blocked->pool || !dst.node_capacity.FitsIn(src.node_capacity)) continue;
        const int spare =
            std::min(static_cast<int>(empty_hosts[p].size()), src.nodes - src.min_nodes);
        const int room = dst.max_nodes - dst.nodes;
        const int k = std::min({spare, blocked->nodes, std::max(0, room + spare)});
        if (k <= 0) continue;
        Action a;
        a.type = ActionType::kRebalance;
        a.pool = dst.id;
        a.source_pool = src.id;
        a.amount = k;
        a.nodes_before = dst.nodes;
        a.nodes_after = dst.nodes + k;
        a.replicas_before = src.nodes;
        a.replicas_after = src.nodes - k;
        a.rule = "pool_rebalance";
        a.reason = "move " + std::to_string(k) + " idle node(s) from pool " + src.id + " to " +
                   dst.id + ": " + dst.id + " is short of " + Vec(shortfall) +
                   " and at its maximum of " + std::to_string(dst.max_nodes) + " nodes";
        a.rejected.push_back(
            {"resize pool " + dst.id, "at max_nodes " + std::to_string(dst.max_nodes)});
        a.expected_cost_per_hour = k * (dst.node_cost_per_hour - src.node_cost_per_hour);
        a.expected_risk = 0;
        a.precondition = "pool " + src.id + " has " + std::to_string(k) + " idle node(s)";
        a.expected_effect = "pool " + dst.id + " has " + std::to_string(dst.nodes + k) + " nodes";
        a.verify_window_ms = dst.lead_time_ms + kPoolVerifyMs;
        a.not_before = in.now;
        return Emit(std::move(a));
      }
      plan.rejected.push_back({"grow pool " + dst.id + " by " + std::to_string(blocked->nodes),
                               "at max_nodes " + std::to_string(dst.max_nodes) +
                                   " and no compatible idle pool to rebalance from"});
      return false;
    }
    if (!best) return false;
    const Pool& pool = inv.pools[best->pool];
    const std::string option = (!pool.created ? "create pool " : "grow pool ") + pool.id + " by " +
                               std::to_string(best->nodes) + " node(s)";
    if (spec.cost_weight * best->cost > spec.risk_weight * violation_cost) {
      plan.rejected.push_back(
          {option, "cost " + Num(best->cost) + " (nodes × " + Num(pool.node_cost_per_hour) +
                       "/h × " + Num(HorizonHours(spec)) + " h + creation " +
                       Num(pool.creation_cost) + " each) > expected SLA-violation cost " +
                       Num(violation_cost) + " over the horizon"});
      for (Action& d : plan.deferred) d.rejected.push_back(plan.rejected.back());
      return false;
    }
    Action a;
    a.type = !pool.created ? ActionType::kCreatePool
                           : (forecast ? ActionType::kPreallocate : ActionType::kResizePool);
    a.pool = pool.id;
    a.nodes_before = pool.nodes;
    a.nodes_after = pool.nodes + best->nodes;
    a.before = pool.node_capacity.Scaled(pool.nodes);
    a.after = pool.node_capacity.Scaled(a.nodes_after);
    a.amount = best->nodes;
    a.not_before = in.now;
    a.rule = forecast ? "preallocate_ahead" : "pool_grow_for_deferred";
    a.reason =
        option + ": " +
        (forecast ? "forecast need exceeds " + Num(kFleetFillLimit * 100) + "% of capacity by "
                  : "deferred demand ") +
        Vec(shortfall) + "; cost " + Num(best->cost) + " <= expected SLA-violation cost " +
        Num(violation_cost) + " over " + Num(HorizonHours(spec)) + " h; usable at " +
        FormatTimestamp(in.now + pool.lead_time_ms) +
        (pool.lead_time_ms > spec.horizon_ms ? " (after the horizon: order is late)" : "");
    a.expected_cost_per_hour = best->nodes * pool.node_cost_per_hour;
    a.expected_risk = 0;
    a.precondition = "pool " + pool.id + " has " + std::to_string(pool.nodes) + " nodes";
    a.expected_effect = "pool " + pool.id + " has " + std::to_string(a.nodes_after) + " nodes";
    a.verify_window_ms = pool.lead_time_ms + kPoolVerifyMs;
    return Emit(std::move(a));
  }

  // Rule reclaim_idle: one empty node per pool per cooldown, when the pool's observed idle share
  // is above reclaim_idle_fraction and the fleet keeps room for the forecast.
  void Reclaim(const ResourceVector& total_need, const ResourceVector& total_cap,
               const std::vector<std::vector<std::size_t>>& empty_hosts) {
    std::vector<ResourceVector> cap(inv.pools.size()), used(inv.pools.size());
    for (std::size_t h = 0; h < inv.hosts.size(); ++h) {
      auto it = pool_idx.find(H(h).pool);
      if (it == pool_idx.end() || !H(h).schedulable) continue;
      cap[it->second] += H(h).capacity;
      used[it->second] += H(h).capacity - index.free(h);
    }
    for (std::size_t p = 0; p < inv.pools.size(); ++p) {
      const Pool& pool = inv.pools[p];
      if (empty_hosts[p].empty() || pool.nodes <= pool.min_nodes) continue;
      const double idle = 1.0 - used[p].DominantShare(cap[p]);
      if (idle <= spec.thresholds.reclaim_idle_fraction) continue;
      const std::size_t h = empty_hosts[p].front();
      ResourceVector after = total_cap - H(h).capacity;
      if (!total_need.FitsIn(after.Scaled(kFleetFillLimit))) continue;
      Action a;
      a.type = ActionType::kReclaim;
      a.pool = pool.id;
      a.host = H(h).id;
      a.nodes_before = pool.nodes;
      a.nodes_after = pool.nodes - 1;
      a.before = pool.node_capacity.Scaled(pool.nodes);
      a.after = pool.node_capacity.Scaled(pool.nodes - 1);
      a.amount = 1;
      a.rule = "reclaim_idle";
      a.reason = "release idle node " + H(h).id + " of pool " + pool.id + ": pool idle share " +
                 Num(idle) + " > " + Num(spec.thresholds.reclaim_idle_fraction) +
                 " on observed allocation, forecast still fits";
      a.expected_cost_per_hour = -H(h).cost_per_hour;
      a.expected_risk = 0;
      a.precondition = H(h).id + " runs no workload";
      a.expected_effect = "pool " + pool.id + " has " + std::to_string(pool.nodes - 1) + " nodes";
      a.verify_window_ms = kPoolVerifyMs;
      if (Emit(std::move(a))) index.SetActive(h, false);
    }
  }

  // Rule throttle_over_quota.
  void Throttle() {
    for (const Customer& c : inv.customers) {
      auto it = customer_usage.find(c.id);
      if (it == customer_usage.end()) continue;
      double ratio = 1.0;
      std::string over;
      for (std::size_t r = 0; r < kResourceCount; ++r) {
        if (c.quota.v[r] > 0 && it->second.v[r] > c.quota.v[r] + kEps) {
          ratio = std::min(ratio, c.quota.v[r] / it->second.v[r]);
          over += std::string(over.empty() ? "" : ", ") +
                  std::string(ResourceName(static_cast<Resource>(r))) + " " + Num(it->second.v[r]) +
                  " > quota " + Num(c.quota.v[r]);
        }
      }
      const std::string key = "throttle:" + c.id;
      if (over.empty()) {
        planner.levers_.erase(key);  // back within quota: a later excess is throttled afresh
        continue;
      }
      // Already capped at (about) this ratio by an earlier plan: nothing new to do.
      auto prev = planner.levers_.find(key);
      if (prev != planner.levers_.end() && std::fabs(prev->second - ratio) < 0.01) continue;
      Action a;
      a.type = ActionType::kThrottle;
      a.customer = c.id;
      a.amount = ratio;
      a.amount_before = 0;
      a.before = it->second;
      a.after = it->second.Scaled(ratio);
      a.rule = "throttle_over_quota";
      a.reason = "customer " + c.id + " over quota (" + over + "): cap its workloads at " +
                 Num(ratio * 100) + "% of their requests";
      a.rejected.push_back({"grow capacity for " + c.id, "quota is the customer's budget"});
      a.expected_cost_per_hour = 0;
      a.expected_risk = 0;
      a.precondition = "customer " + c.id + " still over quota";
      a.expected_effect = "customer " + c.id + " usage within quota";
      a.verify_window_ms = kLeverVerifyMs;
      if (Emit(std::move(a))) planner.levers_[key] = ratio;
    }
  }

  // Rule entropy_request: a host whose predicted entropy crosses the threshold asks for more of
  // the resource whose indicators drive the rise.
  void EntropyRequests() {
    for (const HostRisk& r : in.risks) {
      if (r.entropy_forecast < spec.thresholds.entropy_request) continue;
      auto it = host_idx.find(r.host);
      if (it == host_idx.end()) continue;
      std::size_t best = 0;
      for (std::size_t i = 1; i < kResourceCount; ++i) {
        if (r.entropy_drivers.v[i] > r.entropy_drivers.v[best]) best = i;
      }
      if (r.entropy_drivers.v[best] <= 0) continue;
      const Host& h = H(it->second);
      // Sized from the learned uplift after such rises when there is one; else linearly:
      // capacity × the predicted rise × the resource's share of it. At least 5% of the capacity.
      const double rise = std::max(0.05, r.entropy_forecast - r.entropy);
      Action a;
      a.type = ActionType::kRequestResource;
      a.host = h.id;
      a.resource = static_cast<Resource>(best);
      const bool learned = r.entropy_uplift.v[best] > 0;
      a.amount = learned ? r.entropy_uplift.v[best]
                         : h.capacity.v[best] * rise * r.entropy_drivers.v[best];
      a.amount = std::max(a.amount, 0.05 * h.capacity.v[best]);
      a.amount_before = 0;
      a.after.v[best] = a.amount;
      a.rule = "entropy_request";
      a.reason =
          "predicted entropy " + Num(r.entropy_forecast) +
          " >= " + Num(spec.thresholds.entropy_request) + " on " + h.id + " (now " +
          Num(r.entropy) + "); " + std::string(ResourceName(a.resource)) + " indicators drive " +
          Num(r.entropy_drivers.v[best] * 100) + "% of the rise: request " + Num(a.amount) +
          (learned ? " (expected uplift after such rises " + Num(r.entropy_uplift.v[best]) + ")"
                   : std::string());
      for (std::size_t i = 0; i < kResourceCount; ++i) {
        if (i != best && r.entropy_drivers.v[i] > 0) {
          a.rejected.push_back({"request " + std::string(ResourceName(static_cast<Resource>(i))),
                                "drives only " + Num(r.entropy_drivers.v[i] * 100) + "%"});
        }
      }
      a.expected_cost_per_hour =
          h.cost_per_hour * (h.capacity.v[best] > 0 ? a.amount / h.capacity.v[best] : 0);
      a.expected_risk = r.p_fail;
      a.precondition = h.id + " schedulable";
      a.expected_effect =
          h.id + " has " + Num(a.amount) + " more " + std::string(ResourceName(a.resource));
      a.verify_window_ms = kLeverVerifyMs;
      Emit(std::move(a));
    }
  }

  // Rule protect_data (docs/policy.md "Data protection"): every stateful workload (data_gib > 0)
  // at or above data_protection.min_criticality keeps copies − 1 copies of its data off its host.
  // A copy counts when its host is schedulable, not the workload's host, below migrate_p_fail, not
  // being evacuated and (spread: zone) in another zone than the workload's host; one still
  // syncing counts as under way. Missing copies go to the lowest-scoring eligible host:
  //   score = 4·p_fail + 2·(1 − health/100) + 0.05·(copies the host already holds)
  // (risk first, as for migration targets; the last term spreads copies, 20 copies ≈ one point of
  // p_fail). Once the copies that count are all in sync, copies that no longer count are dropped.
  void ProtectData() {
    const DataProtection& dp = spec.data_protection;
    if (!dp.enabled()) return;
    const int want = dp.copies - 1;
    const std::size_t nh = inv.hosts.size();
    std::vector<int> held(nh, 0);
    std::vector<std::size_t> order;
    for (std::size_t w = 0; w < inv.workloads.size(); ++w) {
      for (const Workload::DataCopy& c : W(w).data_copies) {
        auto it = host_idx.find(c.host);
        if (it != host_idx.end()) ++held[it->second];
      }
      if (W(w).data_gib > 0 && W(w).criticality >= dp.min_criticality && wl_host[w] != kNone) {
        order.push_back(w);
      }
    }
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return QueueBefore(a, b); });
    const std::string policy_note = "data_protection.copies " + std::to_string(dp.copies) +
                                    ", spread " + std::string(CopySpreadName(dp.spread));
    const double risky = spec.thresholds.migrate_p_fail;
    for (std::size_t w : order) {
      const std::size_t home = wl_host[w];
      const double gib = W(w).data_gib;
      int in_sync = 0;
      int syncing = 0;
      std::vector<std::pair<std::string, std::string>> stale;  // copy host, why it does not count
      std::vector<bool> taken(nh, false);
      taken[home] = true;
      for (const Workload::DataCopy& c : W(w).data_copies) {
        auto it = host_idx.find(c.host);
        std::string why;
        if (it == host_idx.end()) {
          why = "is not in the inventory";
        } else {
          const std::size_t h = it->second;
          taken[h] = true;
          if (h == home) {
            why = "is the workload's own host";
          } else if (!H(h).schedulable) {
            why = "is unschedulable or down";
          } else if (host_pfail[h] >= risky) {
            why = "has p_fail " + Num(host_pfail[h]) + " >= " + Num(risky);
          } else if (host_evacuate[h]) {
            why = "is being evacuated (maintenance window)";
          } else if (dp.spread == CopySpread::kZone && H(h).zone == H(home).zone) {
            why = "is in the workload's zone " + H(home).zone;
          }
        }
        if (!why.empty()) {
          stale.emplace_back(c.host, std::move(why));
        } else if (c.in_sync) {
          ++in_sync;
        } else {
          ++syncing;
        }
      }
      for (int k = in_sync + syncing; k < want; ++k) {
        if (CapFull()) break;
        std::vector<std::pair<double, std::size_t>> scored;
        for (std::size_t h = 0; h < nh; ++h) {
          if (taken[h] || !H(h).schedulable || host_evacuate[h]) continue;
          if (dp.spread == CopySpread::kZone && H(h).zone == H(home).zone) continue;
          const double score =
              4 * host_pfail[h] + 2 * (1 - host_health[h] / 100.0) + 0.05 * held[h];
          scored.emplace_back(score, h);
        }
        if (scored.empty()) {
          plan.rejected.push_back(
              {"copy of " + W(w).id,
               "no schedulable host " +
                   std::string(dp.spread == CopySpread::kZone ? "outside zone " + H(home).zone
                                                              : "other than " + H(home).id) +
                   " below p_fail " + Num(risky) + " (" + policy_note + ")"});
          break;
        }
        std::sort(scored.begin(), scored.end());
        const std::size_t to = scored.front().second;
        Action a;
        a.type = ActionType::kReplicate;
        a.workload = W(w).id;
        a.host = H(home).id;
        a.target_host = H(to).id;
        a.amount = gib;
        a.amount_before = 0;
        a.rule = "protect_data";
        std::string why_now = std::to_string(in_sync) + " of " + std::to_string(want) + " cop" +
                              (want == 1 ? "y" : "ies") + " in sync off " + H(home).id;
        if (!stale.empty()) {
          why_now += "; its copy on " + stale.front().first + " no longer counts (it " +
                     stale.front().second + ")";
        }
        a.reason = Cat({"keep a copy of ", W(w).id, "'s ", Num(gib), " GiB on ", H(to).id,
                        " (zone ", H(to).zone, ", p_fail ", Num(host_pfail[to]), ", health ",
                        Num(host_health[to]), "): it has ", why_now, " (", policy_note, ")"});
        for (std::size_t i = 1; i < scored.size() && i < 3; ++i) {
          a.rejected.push_back({Cat({"copy to ", H(scored[i].second).id}),
                                Cat({"score ", Num(scored[i].first), " > ", Num(scored[0].first),
                                     " of ", H(to).id})});
        }
        a.expected_cost_per_hour = gib * spec.copy_gib_hour_price;
        // Data is lost only if both disks fail within the horizon (independent failures).
        a.expected_risk = host_pfail[home] * host_pfail[to];
        a.precondition = H(to).id + " is up and " + W(w).id + " has data to copy";
        a.expected_effect = "a copy of " + W(w).id + " on " + H(to).id + ", in sync";
        a.verify_window_ms = kReplicateVerifyMs;
        taken[to] = true;
        if (Emit(std::move(a))) ++held[to];
      }
      if (in_sync < want) continue;  // keep the old copies until the new ones are in sync
      for (const auto& [copy_host, why] : stale) {
        if (CapFull()) break;
        Action a;
        a.type = ActionType::kReplicate;
        a.workload = W(w).id;
        a.host = H(home).id;
        a.target_host = copy_host;
        a.amount = 0;
        a.amount_before = gib;
        a.rule = "drop_stale_copy";
        a.reason = Cat({"drop ", W(w).id, "'s copy on ", copy_host, ": it ", why, ", and ",
                        std::to_string(in_sync), " other cop", in_sync == 1 ? "y is" : "ies are",
                        " in sync (", policy_note, ")"});
        a.expected_cost_per_hour = -gib * spec.copy_gib_hour_price;
        a.expected_risk = 0;
        a.precondition = W(w).id + " has a copy on " + copy_host;
        a.expected_effect = "no copy of " + W(w).id + " on " + copy_host;
        a.verify_window_ms = kReplicateVerifyMs;
        Emit(std::move(a));
      }
    }
  }

  ActionPlan Run() {
    plan.t = in.now;
    planner.damper_.Prune(in.now);
    for (auto it = planner.migrations_in_flight_.begin();
         it != planner.migrations_in_flight_.end();) {
      it = it->second <= in.now ? planner.migrations_in_flight_.erase(it) : std::next(it);
    }
    for (auto it = planner.maintenance_until_.begin(); it != planner.maintenance_until_.end();) {
      if (it->second <= in.now) {
        planner.maintenance_start_.erase(it->first);
        it = planner.maintenance_until_.erase(it);
      } else {
        ++it;
      }
    }
    Setup();
    Evacuate();
    Uncordon();
    ScaleIn();
    PlacePending();
    ScaleAhead();
    RelieveContention();
    Maintenance();
    PoolShaping();
    Throttle();
    EntropyRequests();
    ProtectData();
    std::stable_sort(plan.deferred.begin(), plan.deferred.end(),
                     [&](const Action& a, const Action& b) {
                       return QueueBefore(wl_idx.at(a.workload), wl_idx.at(b.workload));
                     });
    return std::move(plan);
  }
};

Planner::Planner(PolicySpec spec) : spec_(std::move(spec)), damper_(spec_.damping) {
  spec_.Normalize();
}

ActionPlan Planner::Plan(const Inventory& inventory, const PlannerInput& input) {
  PlanRun run(*this, inventory, input);
  return run.Run();
}

void Planner::RecordOutcome(const ActionOutcome& outcome) {
  last_feedback_ = feedback_.Record(outcome, spec_.thresholds.scale_in_utilization);
  if (outcome.outcome == Outcome::kFailed || outcome.outcome == Outcome::kRolledBack) {
    damper_.Forget(outcome.action_id);
    if (outcome.type == ActionType::kMigrate) migrations_in_flight_.erase(outcome.workload);
  }
}

Result<void> Planner::SetPreference(const Inventory& inventory, Preference p) {
  const Workload* w = nullptr;
  if (!p.workload.empty()) {
    w = inventory.FindWorkload(p.workload);
    if (!w) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "preference for unknown workload '" + p.workload + "'");
    }
  }
  if (p.headroom && (!std::isfinite(*p.headroom) || *p.headroom < 0 || *p.headroom > 10)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "headroom " + Num(*p.headroom) + " outside [0, 10]");
  }
  if (p.prefer_migration && !spec_.allow_migration) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "prefer_migration contradicts the policy: allow_migration is false");
  }
  if (!p.pin_zone.empty()) {
    bool zone_known = false;
    bool fits = false;
    for (const Host& h : inventory.hosts) {
      if (h.zone != p.pin_zone) continue;
      zone_known = true;
      if (!h.schedulable) continue;
      if (!w) {
        fits = true;
        break;
      }
      const ResourceVector size = w->request.Scaled(w->replicas);
      if (size.FitsIn(h.capacity)) {
        fits = true;
        break;
      }
    }
    if (!zone_known) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "pin_zone '" + p.pin_zone + "': no host in that zone");
    }
    if (!fits) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          "pin_zone '" + p.pin_zone + "': no schedulable host in that zone can fit " +
              (w ? "workload '" + w->id + "' (" + Vec(w->request.Scaled(w->replicas)) + ")"
                 : std::string("any workload")));
    }
  }
  auto it = std::find_if(preferences_.begin(), preferences_.end(),
                         [&](const Preference& q) { return q.workload == p.workload; });
  if (it != preferences_.end()) {
    *it = std::move(p);
  } else {
    preferences_.push_back(std::move(p));
  }
  return Ok();
}

PlannerState Planner::state() const {
  PlannerState s;
  s.next_action_id = next_action_id_;
  s.damping = damper_.state();
  s.feedback = feedback_.state();
  s.preferences = preferences_;
  s.levers = levers_;
  s.maintenance_until = maintenance_until_;
  s.maintenance_start = maintenance_start_;
  s.migrations_in_flight = migrations_in_flight_;
  s.drained = drained_;
  return s;
}

void Planner::Restore(PlannerState state) {
  next_action_id_ = std::max<std::uint64_t>(1, state.next_action_id);
  damper_.Restore(std::move(state.damping));
  feedback_.Restore(std::move(state.feedback));
  preferences_ = std::move(state.preferences);
  levers_ = std::move(state.levers);
  maintenance_until_ = std::move(state.maintenance_until);
  maintenance_start_ = std::move(state.maintenance_start);
  migrations_in_flight_ = std::move(state.migrations_in_flight);
  drained_ = std::move(state.drained);
}

namespace {

std::string YamlQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string ReasonNumber(double v) {
  // std::to_chars with a precision writes printf's "%.Nf" digits (both are correctly rounded,
  // ties to even), without printf's format parsing and locale; a plan formats thousands of these.
  // The 31-character cap is the old snprintf(buf, 32, …)'s truncation (|v| ≥ 1e31), kept so that
  // reasons stay byte-identical. The longest "%.0f" of a double is 310 characters.
  char buf[320];
  const int precision = (std::fabs(v) >= 100 || v == std::floor(v)) ? 0 : 2;
  const auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed, precision);
  return {buf, std::min<std::size_t>(static_cast<std::size_t>(r.ptr - buf), 31)};
}

std::string CapacityManifest(const Inventory& inventory, const ActionPlan& plan) {
  std::map<std::string, int> planned;
  for (const Pool& p : inventory.pools) planned[p.id] = p.nodes;
  std::string schedule;
  for (const Action& a : plan.actions) {
    const bool pool_action = a.type == ActionType::kCreatePool ||
                             a.type == ActionType::kResizePool ||
                             a.type == ActionType::kPreallocate ||
                             a.type == ActionType::kRebalance || a.type == ActionType::kReclaim;
    if (!pool_action) continue;
    const Pool* pool = inventory.FindPool(a.pool);
    const DurationMs lead = pool ? pool->lead_time_ms : 0;
    planned[a.pool] = a.nodes_after;
    if (a.type == ActionType::kRebalance) planned[a.source_pool] = a.replicas_after;
    const TimestampMs at = std::max(a.not_before, plan.t);
    schedule +=
        "  - {action_id: " + std::to_string(a.id) +
        ", action: " + std::string(ActionTypeName(a.type)) + ", pool: " + YamlQuote(a.pool) +
        (a.source_pool.empty() ? std::string() : ", from_pool: " + YamlQuote(a.source_pool)) +
        ", nodes_before: " + std::to_string(a.nodes_before) +
        ", nodes_after: " + std::to_string(a.nodes_after) +
        ", ordered_at: " + YamlQuote(FormatTimestamp(at)) + ", usable_at: " +
        YamlQuote(FormatTimestamp(a.type == ActionType::kReclaim ? at : at + lead)) +
        ", shadow: " + (a.shadow ? "true" : "false") + ", reason: " + YamlQuote(a.reason) + "}\n";
  }
  std::string out = "# prognos capacity plan at " + FormatTimestamp(plan.t) + "\npools:\n";
  for (const Pool& p : inventory.pools) {
    out += "  - {id: " + YamlQuote(p.id) + ", zone: " + YamlQuote(p.zone) +
           ", nodes: " + std::to_string(p.nodes) +
           ", planned_nodes: " + std::to_string(planned[p.id]) +
           ", min_nodes: " + std::to_string(p.min_nodes) +
           ", max_nodes: " + std::to_string(p.max_nodes) + "}\n";
  }
  if (inventory.pools.empty()) out += "  []\n";
  out += "schedule:\n";
  out += schedule.empty() ? "  []\n" : schedule;
  return out;
}

}  // namespace prognos::policy
