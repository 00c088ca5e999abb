// Property tests over random inventories and predictions (seeded): a stand-in runner applies each
// plan in order, and after every action the invariants are checked.
//   - capacity: no host that fit its load before the plan holds more than its capacity at any
//     step; nothing is placed on an unschedulable or draining host;
//   - budgets: actions per interval, concurrent migrations, hosts unavailable per zone, customer
//     quotas (a customer within quota before is within quota after);
//   - preferences: a pinned workload is only placed or moved inside its zone; a workload with
//     forbid_preemption is never preempted;
//   - priorities: a preempted workload is preemptible, not protected, and of lower priority than
//     the workload it made room for; the deferred queue is in SLA/criticality/priority order;
//   - damping: no action reverses an earlier one on the same target inside the stabilization
//     window (urgent migrations off failing hosts excepted, by design);
//   - explanation: every action and deferral has a rule, a reason, a precondition, an expected
//     effect; confidence in (0, 1], expected risk in [0, 1], ids unique and increasing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "policy/damping.h"
#include "policy/planner.h"

namespace prognos::policy {
namespace {

constexpr double kEps = 1e-6;

struct World {
  Inventory inv;
  PolicySpec spec;
  PlannerInput in;
};

double U(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
int I(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

World RandomWorld(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  World w;
  const char* tiers[] = {"gold", "silver", "bronze"};
  const double q[] = {0.99, 0.95, 0.8};
  const double tu[] = {0.6, 0.7, 0.85};
  const double cost[] = {50, 10, 1};
  for (int t = 0; t < 3; ++t) {
    SlaTier tier;
    tier.name = tiers[t];
    tier.demand_quantile = q[t];
    tier.target_utilization = tu[t];
    tier.violation_cost_per_hour = cost[t];
    w.spec.tiers[tier.name] = tier;
  }
  w.spec.damping.max_actions_per_interval = I(rng, 3, 30);
  w.spec.damping.max_concurrent_migrations = I(rng, 1, 6);
  w.spec.damping.max_unavailable_per_zone = I(rng, 1, 3);
  w.spec.allow_preemption = I(rng, 0, 3) > 0;
  w.spec.shadow = I(rng, 0, 9) == 0;

  const int zones = I(rng, 1, 3);
  const int pools = I(rng, 0, 2);
  for (int p = 0; p < pools; ++p) {
    Pool pool;
    pool.id = "p" + std::to_string(p);
    pool.zone = "z" + std::to_string(p % zones);
    pool.node_capacity[Resource::kCpu] = 16;
    pool.node_capacity[Resource::kMemory] = 64;
    pool.min_nodes = 0;
    pool.max_nodes = I(rng, 2, 10);
    pool.node_cost_per_hour = U(rng, 0.1, 2);
    pool.creation_cost = U(rng, 0, 5);
    pool.lead_time_ms = I(rng, 1, 10) * kMinuteMs;
    w.inv.pools.push_back(pool);
  }
  const int hosts = I(rng, 3, 25);
  for (int h = 0; h < hosts; ++h) {
    Host host;
    host.id = "h" + std::to_string(h);
    host.zone = "z" + std::to_string(I(rng, 0, zones - 1));
    host.capacity[Resource::kCpu] = 8.0 * I(rng, 1, 4);
    host.capacity[Resource::kMemory] = 32.0 * I(rng, 1, 4);
    host.cost_per_hour = U(rng, 0.2, 2);
    host.schedulable = I(rng, 0, 14) > 0;
    if (pools > 0 && I(rng, 0, 1) == 1) {
      Pool& pool = w.inv.pools[static_cast<std::size_t>(I(rng, 0, pools - 1))];
      host.pool = pool.id;
      ++pool.nodes;
      pool.max_nodes = std::max(pool.max_nodes, pool.nodes);
    }
    w.inv.hosts.push_back(host);
  }
  const int customers = I(rng, 0, 3);
  for (int c = 0; c < customers; ++c) {
    Customer cust;
    cust.id = "c" + std::to_string(c);
    cust.quota[Resource::kCpu] = U(rng, 10, 80);
    w.inv.customers.push_back(cust);
  }
  std::vector<ResourceVector> free;
  for (const Host& h : w.inv.hosts) free.push_back(h.capacity);
  const int workloads = I(rng, 5, 60);
  for (int i = 0; i < workloads; ++i) {
    Workload wl;
    wl.id = "w" + std::to_string(i);
    wl.request[Resource::kCpu] = U(rng, 0.25, 6);
    wl.request[Resource::kMemory] = U(rng, 0.5, 24);
    wl.replicas = I(rng, 0, 3) == 0 ? I(rng, 2, 4) : 1;
    wl.priority = I(rng, 0, 100);
    wl.criticality = static_cast<Criticality>(I(rng, 0, 3));
    wl.sla_tier = tiers[I(rng, 0, 2)];
    wl.preemptible = I(rng, 0, 2) == 0;
    wl.data_zone = I(rng, 0, 1) ? "z" + std::to_string(I(rng, 0, zones - 1)) : "";
    if (customers > 0 && I(rng, 0, 1)) wl.customer = "c" + std::to_string(I(rng, 0, customers - 1));
    // Place where it fits (first fit from a random start), else pending; a few overloads.
    const ResourceVector size = wl.request.Scaled(wl.replicas);
    const int start = I(rng, 0, hosts - 1);
    for (int k = 0; k < hosts && I(rng, 0, 9) > 0; ++k) {
      const std::size_t h = static_cast<std::size_t>((start + k) % hosts);
      if (w.inv.hosts[h].schedulable && size.FitsIn(free[h])) {
        wl.host = w.inv.hosts[h].id;
        free[h] -= size;
        break;
      }
    }
    w.inv.workloads.push_back(wl);
  }
  w.in.now = 1'700'000'000'000 + static_cast<TimestampMs>(seed) * kMinuteMs;
  return w;
}

void RandomPredictions(std::mt19937_64& rng, World* w) {
  w->in.demand.clear();
  w->in.risks.clear();
  for (const Workload& wl : w->inv.workloads) {
    if (I(rng, 0, 4) == 0) continue;  // no telemetry for some
    WorkloadDemand d;
    d.workload = wl.id;
    const ResourceVector alloc = wl.request.Scaled(wl.replicas);
    const double level = U(rng, 0.05, 1.2);
    d.observed = alloc.Scaled(level);
    d.levels = {0.5, 0.9, 0.99};
    const ResourceVector q50 = alloc.Scaled(level * U(rng, 0.8, 1.3));
    d.quantiles = {q50, q50.Scaled(U(rng, 1.0, 1.4)), q50.Scaled(U(rng, 1.4, 1.8))};
    w->in.demand.push_back(d);
  }
  for (const Host& h : w->inv.hosts) {
    if (I(rng, 0, 5) > 0) continue;
    HostRisk r;
    r.host = h.id;
    r.p_fail = U(rng, 0, 1);
    r.health = 100 * (1 - r.p_fail);
    if (I(rng, 0, 1)) r.time_to_failure_ms = I(rng, 1, 48) * kHourMs;
    r.entropy = U(rng, 0, 0.8);
    r.entropy_forecast = U(rng, 0, 1);
    r.entropy_drivers[Resource::kCpu] = U(rng, 0, 0.5);
    r.entropy_drivers[Resource::kMemory] = U(rng, 0, 0.5);
    w->in.risks.push_back(r);
  }
}

ResourceVector Allocated(const Inventory& inv, const std::string& host) {
  return inv.Allocated(host);
}

std::map<std::string, ResourceVector> CustomerUsage(const Inventory& inv) {
  std::map<std::string, ResourceVector> out;
  for (const Workload& w : inv.workloads) {
    if (!w.customer.empty()) out[w.customer] += w.request.Scaled(w.replicas);
  }
  return out;
}

std::tuple<double, int, int> QueueKey(const PolicySpec& spec, const Inventory& inv,
                                      const std::string& id) {
  const Workload* w = inv.FindWorkload(id);
  const SlaTier& t = spec.Tier(w->sla_tier);
  return {t.violation_cost_per_hour * 10 + t.demand_quantile, static_cast<int>(w->criticality),
          w->priority};
}

void CheckExplained(const Action& a) {
  EXPECT_FALSE(a.rule.empty()) << ActionTypeName(a.type);
  EXPECT_FALSE(a.reason.empty()) << a.rule;
  EXPECT_FALSE(a.precondition.empty()) << a.rule;
  EXPECT_FALSE(a.expected_effect.empty()) << a.rule;
  EXPECT_GE(a.verify_window_ms, 0) << a.rule;
  EXPECT_GT(a.confidence, 0) << a.rule;
  EXPECT_LE(a.confidence, 1) << a.rule;
  EXPECT_GE(a.expected_risk, 0) << a.rule;
  EXPECT_LE(a.expected_risk, 1) << a.rule;
  EXPECT_TRUE(std::isfinite(a.expected_cost_per_hour)) << a.rule;
}

TEST(PlannerPropertyTest, RandomInventoriesKeepEveryInvariant) {
  constexpr int kCases = 300;
  constexpr int kTicks = 4;
  int total_actions = 0;
  int pinned_moves = 0;
  int voluntary_drains = 0;
  int uncordons = 0;
  std::set<ActionType> seen_types;
  for (int c = 0; c < kCases; ++c) {
    SCOPED_TRACE("seed " + std::to_string(c));
    World w = RandomWorld(static_cast<std::uint64_t>(c));
    std::mt19937_64 rng(static_cast<std::uint64_t>(c) * 7919 + 1);
    Planner planner(w.spec);
    const PolicySpec& spec = planner.spec();
    // Random preferences; only the ones the planner accepts are checked against the plans.
    std::map<std::string, Preference> prefs;
    for (const Workload& wl : w.inv.workloads) {
      if (I(rng, 0, 5) > 0) continue;
      Preference p;
      p.workload = wl.id;
      p.pin_zone = I(rng, 0, 1) ? "z" + std::to_string(I(rng, 0, 2)) : "";
      p.forbid_preemption = I(rng, 0, 1) == 1;
      p.prefer_migration = I(rng, 0, 3) == 0;
      if (planner.SetPreference(w.inv, p).has_value()) prefs[wl.id] = p;
    }
    std::uint64_t last_id = 0;
    std::map<std::string, std::pair<TimestampMs, int>> last_dir;  // key → (t, direction)
    std::map<std::string, TimestampMs> migrated_until;            // workload → verify end
    std::vector<TimestampMs> emitted;
    for (int tick = 0; tick < kTicks; ++tick) {
      RandomPredictions(rng, &w);
      const ActionPlan plan = planner.Plan(w.inv, w.in);
      const TimestampMs now = w.in.now;
      // Hosts over capacity before the plan (degraded input) are exempt from the capacity check.
      std::set<std::string> over_before;
      for (const Host& h : w.inv.hosts) {
        if (!Allocated(w.inv, h.id).FitsIn(h.capacity, kEps)) over_before.insert(h.id);
      }
      if (!over_before.empty()) {
        EXPECT_TRUE(plan.degraded);
      }
      const auto usage_before = CustomerUsage(w.inv);
      // Budgets counted per plan.
      for (auto it = migrated_until.begin(); it != migrated_until.end();) {
        it = it->second <= now ? migrated_until.erase(it) : std::next(it);
      }
      std::erase_if(emitted, [&](TimestampMs t) { return t <= now - spec.damping.interval_ms; });
      std::map<std::string, int> unavailable;
      for (const Host& h : w.inv.hosts) {
        // The budget counts hosts being drained: cordoned and still holding work.
        if (!h.schedulable && w.inv.Allocated(h.id) != ResourceVector{}) ++unavailable[h.zone];
      }
      for (const Action& a : plan.actions) {
        SCOPED_TRACE(std::string(ActionTypeName(a.type)) + " " + a.workload + a.host + a.pool +
                     ": " + a.reason);
        ++total_actions;
        seen_types.insert(a.type);
        CheckExplained(a);
        EXPECT_GT(a.id, last_id);
        last_id = a.id;
        EXPECT_EQ(a.shadow, spec.shadow);
        emitted.push_back(now);
        EXPECT_LE(static_cast<int>(emitted.size()), spec.damping.max_actions_per_interval);
        // No reversal inside the window.
        const std::string key = TargetKey(a);
        const int dir = Direction(a);
        auto prev = last_dir.find(key);
        // Urgent actions (moving off / draining a host about to fail) are exempt by design.
        const bool urgent = a.rule == "migrate_off_failing_host" || a.rule == "drain_failing_host";
        if (!urgent && prev != last_dir.end() && dir != 0 && prev->second.second != 0 &&
            dir != prev->second.second) {
          EXPECT_GE(now - prev->second.first, spec.damping.stabilization_window_ms)
              << "reverses an action on " << key;
        }
        if (dir != 0) last_dir[key] = {now, dir};
        // Apply.
        Workload* wl = a.workload.empty() ? nullptr : w.inv.FindWorkload(a.workload);
        switch (a.type) {
          case ActionType::kScaleUp:
          case ActionType::kScaleDown:
          case ActionType::kScaleOut:
          case ActionType::kScaleIn:
            ASSERT_NE(wl, nullptr);
            EXPECT_EQ(wl->request, a.before);
            EXPECT_EQ(wl->replicas, a.replicas_before);
            wl->request = a.after;
            wl->replicas = a.replicas_after;
            break;
          case ActionType::kMigrate: {
            ASSERT_NE(wl, nullptr);
            EXPECT_EQ(wl->host, a.host);
            const Host* to = w.inv.FindHost(a.target_host);
            ASSERT_NE(to, nullptr);
            EXPECT_TRUE(to->schedulable) << "placed on an unschedulable host";
            if (auto p = prefs.find(a.workload); p != prefs.end() && !p->second.pin_zone.empty()) {
              EXPECT_EQ(to->zone, p->second.pin_zone) << "pinned workload moved out of its zone";
              ++pinned_moves;
            }
            if (a.rule == "migrate_off_failing_host" || a.rule == "migrate_to_grow") {
              migrated_until[a.workload] = now + kMigrateVerifyMs;
              EXPECT_LE(static_cast<int>(migrated_until.size()),
                        spec.damping.max_concurrent_migrations);
            }
            wl->host = a.target_host;
            break;
          }
          case ActionType::kPreempt: {
            ASSERT_NE(wl, nullptr);
            EXPECT_TRUE(wl->preemptible);
            EXPECT_TRUE(spec.allow_preemption);
            if (auto p = prefs.find(a.workload); p != prefs.end()) {
              EXPECT_FALSE(p->second.forbid_preemption) << "preempted a protected workload";
            }
            // The next non-preempt action is for the workload it made room for.
            auto self = std::find_if(plan.actions.begin(), plan.actions.end(),
                                     [&](const Action& x) { return x.id == a.id; });
            auto next = std::find_if(self, plan.actions.end(), [](const Action& x) {
              return x.type != ActionType::kPreempt;
            });
            ASSERT_NE(next, plan.actions.end());
            const Workload* beneficiary = w.inv.FindWorkload(next->workload);
            ASSERT_NE(beneficiary, nullptr);
            EXPECT_LT(wl->priority, beneficiary->priority);
            wl->host.clear();
            break;
          }
          case ActionType::kDrain: {
            Host* h = w.inv.FindHost(a.host);
            ASSERT_NE(h, nullptr);
            if (a.amount == 0) {  // uncordon of a recovered host
              EXPECT_EQ(a.rule, "uncordon_recovered");
              EXPECT_FALSE(h->schedulable);
              h->schedulable = true;
              --unavailable[h->zone];
              ++uncordons;
              break;
            }
            EXPECT_EQ(w.inv.Allocated(h->id), ResourceVector{}) << "drained with work on it";
            if (h->schedulable) ++unavailable[h->zone];
            // Hosts about to fail (p ≥ critical_p_fail) are exempt from the zone budget; any
            // other drain keeps the zone's unavailable hosts (all drains so far included)
            // within it.
            double p_fail = 0;
            for (const HostRisk& r : w.in.risks) {
              if (r.host == h->id) p_fail = std::max(p_fail, r.p_fail);
            }
            if (p_fail < spec.thresholds.critical_p_fail) {
              EXPECT_LE(unavailable[h->zone], spec.damping.max_unavailable_per_zone)
                  << "zone budget";
              ++voluntary_drains;
            }
            h->schedulable = false;
            break;
          }
          default:
            break;  // pools, levers, requests, throttles: no inventory change in this stand-in
        }
        // Capacity after every step.
        for (const Host& h : w.inv.hosts) {
          if (over_before.count(h.id) > 0) continue;
          const ResourceVector alloc = Allocated(w.inv, h.id);
          EXPECT_TRUE(alloc.FitsIn(h.capacity, kEps))
              << h.id << " over capacity after the action: cpu " << alloc[Resource::kCpu] << "/"
              << h.capacity[Resource::kCpu] << " mem " << alloc[Resource::kMemory] << "/"
              << h.capacity[Resource::kMemory];
        }
      }
      // Quotas: a customer within quota before the plan stays within it.
      const auto usage_after = CustomerUsage(w.inv);
      for (const Customer& cu : w.inv.customers) {
        auto b = usage_before.find(cu.id);
        auto a = usage_after.find(cu.id);
        if (a == usage_after.end()) continue;
        const bool within_before = b == usage_before.end() || b->second.FitsIn(cu.quota, kEps) ||
                                   cu.quota == ResourceVector{};
        for (std::size_t r = 0; r < kResourceCount; ++r) {
          if (within_before && cu.quota.v[r] > 0) {
            EXPECT_LE(a->second.v[r], cu.quota.v[r] + kEps) << cu.id;
          }
        }
      }
      // Deferred queue order and explanation.
      for (std::size_t i = 0; i < plan.deferred.size(); ++i) {
        const Action& d = plan.deferred[i];
        EXPECT_EQ(d.type, ActionType::kDefer);
        EXPECT_FALSE(d.rule.empty());
        EXPECT_FALSE(d.reason.empty());
        if (i > 0) {
          EXPECT_GE(QueueKey(spec, w.inv, plan.deferred[i - 1].workload),
                    QueueKey(spec, w.inv, d.workload))
              << plan.deferred[i - 1].workload << " before " << d.workload;
        }
      }
      for (const Action& h : plan.held) EXPECT_NE(h.reason.find("held:"), std::string::npos);
      w.in.now += kMinuteMs * I(rng, 1, 4);
    }
  }
  // The random worlds exercise the planner broadly (not a vacuous pass).
  EXPECT_GT(total_actions, 1000);
  EXPECT_GE(seen_types.size(), 10u);
  EXPECT_GT(pinned_moves, 10);
  EXPECT_GT(voluntary_drains, 10);
  std::printf(
      "property: %d actions, %zu action types, %d moves of pinned workloads, %d voluntary "
      "drains, %d uncordons\n",
      total_actions, seen_types.size(), pinned_moves, voluntary_drains, uncordons);
}

}  // namespace
}  // namespace prognos::policy
