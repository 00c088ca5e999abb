// Hand-worked planner cases: each test states the numbers and derives the expected plan in a
// comment. Default test policy: tier "t" with demand_quantile 0.9 and target_utilization 0.5,
// headroom 0, hysteresis 0.1 → need = 2 × q0.9, scale-up target = need × 1.05.
#include "policy/planner.h"

#include <gtest/gtest.h>

// g++ 12 -O3 reports a false -Wrestrict inside inlined std::string assignments (GCC bug 105651).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace prognos::policy {
namespace {

constexpr TimestampMs kT0 = 1'700'000'000'000;

// The reference: the snprintf formatting ReasonNumber replaced (plan reasons must not change).
std::string SnprintfReasonNumber(double v) {
  char buf[32];
  if (std::fabs(v) >= 100 || v == std::floor(v)) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f", v);
  }
  return buf;
}

TEST(ReasonNumberTest, MatchesSnprintfByteForByte) {
  using Limits = std::numeric_limits<double>;
  std::vector<double> values = {0.0,    -0.0,   0.005, 0.015, 0.125,  0.375,    1.005,  2.675,
                                99.995, 99.994, 100.0, 100.5, 101.5,  -0.004,   -0.005, -99.999,
                                1e15,   1e31,   -1e31, 1e300, 5e-324, 0.1 + 0.2};
  for (double v : {Limits::max(), Limits::lowest(), Limits::infinity(), Limits::quiet_NaN()}) {
    values.push_back(v);
    values.push_back(-v);
  }
  // Near-ties at two decimals ((k + 0.5) / 100 is not exact in binary: the digits hinge on the
  // last bit) and exact ties at none (k + 0.5: both round half to even).
  for (int k = 0; k < 20000; ++k) {
    values.push_back((k + 0.5) / 100.0);
    values.push_back(-(k + 0.5) / 100.0);
    values.push_back(k + 0.5);
  }
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> small(-150.0, 150.0);
  std::uniform_int_distribution<int> exponent(-30, 40);
  for (int i = 0; i < 200000; ++i) {
    values.push_back(small(rng));
    values.push_back(std::ldexp(small(rng), exponent(rng)));
  }
  for (double v : values) {
    ASSERT_EQ(ReasonNumber(v), SnprintfReasonNumber(v)) << "v = " << v;
  }
}

ResourceVector Cpu(double cpu, double mem = 0) {
  ResourceVector v;
  v[Resource::kCpu] = cpu;
  v[Resource::kMemory] = mem;
  return v;
}

Host MakeHost(std::string id, double cpu, double mem, std::string zone = "a",
              std::string pool = "") {
  Host h;
  h.id = std::move(id);
  h.capacity = Cpu(cpu, mem);
  h.zone = std::move(zone);
  h.pool = std::move(pool);
  h.cost_per_hour = 1.0;
  return h;
}

Workload MakeWorkload(std::string id, std::string host, double cpu, double mem, int replicas = 1,
                      int priority = 0) {
  Workload w;
  w.id = std::move(id);
  w.host = std::move(host);
  w.request = Cpu(cpu, mem);
  w.replicas = replicas;
  w.priority = priority;
  w.sla_tier = "t";
  return w;
}

WorkloadDemand MakeDemand(std::string workload, ResourceVector observed, ResourceVector q50,
                          ResourceVector q90) {
  WorkloadDemand d;
  d.workload = std::move(workload);
  d.observed = observed;
  d.levels = {0.5, 0.9};
  d.quantiles = {q50, q90};
  return d;
}

PolicySpec TestSpec() {
  PolicySpec spec;
  spec.quantile_sizing = false;  // the worked numbers below divide by target_utilization
  SlaTier t;
  t.name = "t";
  t.demand_quantile = 0.9;
  t.target_utilization = 0.5;
  t.violation_cost_per_hour = 1.0;
  spec.tiers["t"] = t;
  spec.headroom = 0;
  spec.damping.hysteresis = 0.1;
  spec.allow_pool_changes = false;
  return spec;
}

const Action* FindAction(const ActionPlan& plan, ActionType type, const std::string& workload) {
  for (const Action& a : plan.actions) {
    if (a.type == type && a.workload == workload) return &a;
  }
  return nullptr;
}

std::vector<ActionType> Types(const ActionPlan& plan) {
  std::vector<ActionType> out;
  for (const Action& a : plan.actions) out.push_back(a.type);
  return out;
}

TEST(PlannerTest, SizesWorkloadsFromTheTierQuantileAndObservedLoad) {
  struct Case {
    const char* name;
    int replicas;
    ResourceVector request;
    ResourceVector observed, q50, q90;
    ActionType expected_type;
    ResourceVector expected_request;
    int expected_replicas;
  };
  const std::vector<Case> cases = {
      // q0.9 cpu 3 → need 6 > 2 → target 6 × 1.05 = 6.3; memory need 2 × 2 = 4 = request: kept.
      {"scale_up", 1, Cpu(2, 4), Cpu(1.5, 2), Cpu(2, 2), Cpu(3, 2), ActionType::kScaleUp,
       Cpu(6.3, 4), 1},
      // 2 × (cpu 2, mem 4) = cpu 4: need 6 → target cpu 6.3, mem 8 → replicas = ceil(max(6.3/2,
      // 8/4)) = ceil(3.15) = 4 would give (8, 16): cpu 8 > 6.3 × 1.1 and memory twice its need,
      // so the two replicas are resized instead: request (6.3/2, 8/2) = (3.15, 4).
      {"scale_out_shape_mismatch", 2, Cpu(2, 4), Cpu(1.5, 2), Cpu(2, 2), Cpu(3, 4),
       ActionType::kScaleUp, Cpu(3.15, 4), 2},
      // q0.9 (2.8, 5.6) → need (5.6, 11.2) > (4, 8) → target × 1.05 = (5.88, 11.76) →
      // replicas = ceil(2.94) = 3 → (6, 12), within 10 % of the target on both: scale out.
      {"scale_out", 2, Cpu(2, 4), Cpu(1.5, 2), Cpu(2, 2), Cpu(2.8, 5.6), ActionType::kScaleOut,
       Cpu(2, 4), 3},
      // 4 × (2, 4) = (8, 16); observed (1, 2): utilization max(1/8, 2/16) = 0.125 < 0.4.
      // floor = max(q0.9, observed) × 2 = (3, 6); target × 1.05 = (3.15, 6.3) < 0.9 × current.
      // replicas = ceil(max(3.15/2, 6.3/4)) = ceil(1.575) = 2 would give (4, 8), 27 % above the
      // target: the four replicas are resized to (3.15/4, 6.3/4) = (0.7875, 1.575).
      {"scale_in_shape_mismatch", 4, Cpu(2, 4), Cpu(1, 2), Cpu(1, 2), Cpu(1.5, 3),
       ActionType::kScaleDown, Cpu(0.7875, 1.575), 4},
      // q0.9 (2.8, 5.6) → floor (5.6, 11.2) → target (5.88, 11.76) < 0.9 × (8, 16) →
      // replicas = ceil(2.94) = 3 → (6, 12), within 10 %: scale in to 3.
      {"scale_in", 4, Cpu(2, 4), Cpu(1, 2), Cpu(1, 2), Cpu(2.8, 5.6), ActionType::kScaleIn,
       Cpu(2, 4), 3},
      // One replica of (8, 16), same demand: request → (3.15, 6.3).
      {"scale_down", 1, Cpu(8, 16), Cpu(1, 2), Cpu(1, 2), Cpu(1.5, 3), ActionType::kScaleDown,
       Cpu(3.15, 6.3), 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Inventory inv;
    inv.hosts = {MakeHost("h1", 32, 128)};
    Workload w = MakeWorkload("w1", "h1", 0, 0, c.replicas);
    w.request = c.request;
    inv.workloads = {w};
    PlannerInput in;
    in.now = kT0;
    in.demand = {MakeDemand("w1", c.observed, c.q50, c.q90)};
    Planner planner(TestSpec());
    ActionPlan plan = planner.Plan(inv, in);
    ASSERT_EQ(plan.actions.size(), 1u);
    const Action& a = plan.actions[0];
    EXPECT_EQ(a.type, c.expected_type);
    for (std::size_t r = 0; r < kResourceCount; ++r) {
      EXPECT_NEAR(a.after.v[r], c.expected_request.v[r], 1e-9) << r;
    }
    EXPECT_EQ(a.replicas_after, c.expected_replicas);
    EXPECT_FALSE(a.rule.empty());
    EXPECT_FALSE(a.reason.empty());
    EXPECT_FALSE(a.precondition.empty());
    EXPECT_FALSE(a.expected_effect.empty());
    EXPECT_GT(a.verify_window_ms, 0);
    EXPECT_NEAR(a.expected_risk, 0.1, 1e-12);  // 1 − q0.9
  }
}

TEST(PlannerTest, QuantileSizingNeedsTheTierQuantileAndScalesInPromptly) {
  // quantile_sizing (the default): need = q0.9 × (1 + headroom 0), not divided by the target
  // utilization (0.5 here); scale-in whenever max(need, observed) × 1.05 < 0.9 × allocation.
  struct Case {
    std::string name;
    ResourceVector request, observed, q90;
    ActionType expected_type;
    ResourceVector expected_request;
  };
  const std::vector<Case> cases = {
      // need (3, 4): cpu short (3 > 2) → 3 × 1.05 = 3.15; memory need 4 = allocation: kept.
      {"scale_up", Cpu(2, 4), Cpu(1.5, 2), Cpu(3, 4), ActionType::kScaleUp, Cpu(3.15, 4)},
      // floor max((1.5, 3), (1, 2)) = (1.5, 3) → (1.575, 3.15) < 0.9 × (8, 16).
      {"scale_down", Cpu(8, 16), Cpu(1, 2), Cpu(1.5, 3), ActionType::kScaleDown,
       Cpu(1.575, 3.15)},
      // Observed utilization max(1.8/4, 3.6/8) = 0.45 ≥ 0.4 (the earlier rule would keep it),
      // but need (2, 4) × 1.05 = (2.1, 4.2) < 0.9 × (4, 8): scale down now.
      {"scale_down_above_threshold", Cpu(4, 8), Cpu(1.8, 3.6), Cpu(2, 4), ActionType::kScaleDown,
       Cpu(2.1, 4.2)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Inventory inv;
    inv.hosts = {MakeHost("h1", 32, 128)};
    Workload w = MakeWorkload("w1", "h1", 0, 0, 1);
    w.request = c.request;
    inv.workloads = {w};
    PlannerInput in;
    in.now = kT0;
    in.demand = {MakeDemand("w1", c.observed, c.observed, c.q90)};
    PolicySpec spec = TestSpec();
    spec.quantile_sizing = true;
    Planner planner(spec);
    ActionPlan plan = planner.Plan(inv, in);
    ASSERT_EQ(plan.actions.size(), 1u);
    EXPECT_EQ(plan.actions[0].type, c.expected_type);
    for (std::size_t r = 0; r < kResourceCount; ++r) {
      EXPECT_NEAR(plan.actions[0].after.v[r], c.expected_request.v[r], 1e-9) << r;
    }
  }
}

TEST(PlannerTest, NoActionInsideTheHysteresisBand) {
  // Request cpu 6.2 ≥ need 6 (q0.9 3 × 2), observed 3/6.2 = 0.48 ≥ 0.4: nothing to do.
  Inventory inv;
  inv.hosts = {MakeHost("h1", 32, 128)};
  inv.workloads = {MakeWorkload("w1", "h1", 6.2, 4)};
  PlannerInput in;
  in.now = kT0;
  in.demand = {MakeDemand("w1", Cpu(3, 2), Cpu(2.5, 2), Cpu(3, 2))};
  Planner planner(TestSpec());
  EXPECT_TRUE(planner.Plan(inv, in).actions.empty());
}

TEST(PlannerTest, MigratesOffFailingHostHighCriticalityFirstThenDrains) {
  Inventory inv;
  inv.hosts = {MakeHost("h1", 16, 64), MakeHost("h2", 16, 64)};
  Workload low = MakeWorkload("w_low", "h1", 2, 4);
  low.criticality = Criticality::kLow;
  Workload high = MakeWorkload("w_high", "h1", 2, 4);
  high.criticality = Criticality::kCritical;
  inv.workloads = {low, high};
  PlannerInput in;
  in.now = kT0;
  HostRisk r;
  r.host = "h1";
  r.p_fail = 0.9;
  r.health = 20;
  in.risks = {r};
  Planner planner(TestSpec());
  ActionPlan plan = planner.Plan(inv, in);
  // Expected order: w_high (critical) then w_low, then the drain of h1, then maintenance
  // (p_fail 0.9 ≥ 0.2) starting now since the host is evacuated.
  ASSERT_EQ(Types(plan),
            (std::vector<ActionType>{ActionType::kMigrate, ActionType::kMigrate, ActionType::kDrain,
                                     ActionType::kScheduleMaintenance}));
  EXPECT_EQ(plan.actions[0].workload, "w_high");
  EXPECT_EQ(plan.actions[1].workload, "w_low");
  EXPECT_EQ(plan.actions[0].target_host, "h2");
  EXPECT_EQ(plan.actions[0].rule, "migrate_off_failing_host");
  EXPECT_EQ(plan.actions[2].host, "h1");
  EXPECT_EQ(plan.actions[3].not_before, kT0);
}

TEST(PlannerTest, RanksMigrationTargetsByHealthFreeCapacityLatencyAndTransfer) {
  // Workload (cpu 2, mem 4) with data in zone a leaves h1 (p_fail 0.9). Scores (lower wins):
  //   score = 4·p_fail + 2·(1 − health/100) + used share after + min(1, latency/10) + 0.5·cross
  //   h2 (zone a, p_fail 0.3, health 60, empty 8/32): used after = 1 − max(6/8, 28/32) = 0.125
  //        → 1.2 + 0.8 + 0.125 + 0 + 0 = 2.125
  //   h3 (zone b, healthy, empty 8/32, latency a/b 5 ms): 0.125 + 0.5 + 0.5 = 1.125
  //   h4 (zone a, healthy, 5/20 used of 8/32): after, free (1, 8): used = 1 − max(1/8, 8/32)
  //        = 0.75 → 0.75
  // → h4, then h3, then h2.
  Inventory inv;
  inv.hosts = {MakeHost("h1", 8, 32, "a"), MakeHost("h2", 8, 32, "a"), MakeHost("h3", 8, 32, "b"),
               MakeHost("h4", 8, 32, "a")};
  inv.zone_latency_ms["a/b"] = 5;
  Workload w = MakeWorkload("w", "h1", 2, 4);
  w.data_zone = "a";
  inv.workloads = {w, MakeWorkload("other", "h4", 5, 20)};
  PlannerInput in;
  in.now = kT0;
  HostRisk r1;
  r1.host = "h1";
  r1.p_fail = 0.9;
  HostRisk r2;
  r2.host = "h2";
  r2.p_fail = 0.3;
  r2.health = 60;
  in.risks = {r1, r2};
  PolicySpec spec = TestSpec();
  spec.thresholds.maintenance_p_fail = 0.95;  // keep the plan to the migration
  Planner planner(spec);
  ActionPlan plan = planner.Plan(inv, in);
  const Action* m = FindAction(plan, ActionType::kMigrate, "w");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->target_host, "h4");
  ASSERT_GE(m->rejected.size(), 2u);
  EXPECT_EQ(m->rejected[0].option, "migrate to h3");
  EXPECT_EQ(m->rejected[1].option, "migrate to h2");
  EXPECT_NEAR(m->expected_risk, 0.0, 1e-12);
}

TEST(PlannerTest, ContentionPreemptsLowerPriorityOrDefers) {
  struct Case {
    const char* name;
    bool allow_preemption;
    bool victim_preemptible;
    int victim_priority;
    bool expect_preempt;
  };
  const std::vector<Case> cases = {
      {"preempt", true, true, 1, true},
      {"policy_forbids", false, true, 1, false},
      {"victim_not_preemptible", true, false, 1, false},
      {"victim_outranks", true, true, 20, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // h1 (4 cpu) runs the victim (3 cpu): free 1 < 2 for the pending workload (priority 10).
    Inventory inv;
    inv.hosts = {MakeHost("h1", 4, 16)};
    Workload victim = MakeWorkload("victim", "h1", 3, 4, 1, c.victim_priority);
    victim.preemptible = c.victim_preemptible;
    inv.workloads = {victim, MakeWorkload("pending", "", 2, 4, 1, 10)};
    PlannerInput in;
    in.now = kT0;
    PolicySpec spec = TestSpec();
    spec.allow_preemption = c.allow_preemption;
    Planner planner(spec);
    ActionPlan plan = planner.Plan(inv, in);
    if (c.expect_preempt) {
      ASSERT_EQ(Types(plan), (std::vector<ActionType>{ActionType::kPreempt, ActionType::kMigrate}));
      EXPECT_EQ(plan.actions[0].workload, "victim");
      EXPECT_EQ(plan.actions[1].workload, "pending");
      EXPECT_EQ(plan.actions[1].target_host, "h1");
      EXPECT_EQ(plan.actions[1].rule, "place_pending");
      ASSERT_EQ(plan.deferred.size(), 1u);  // the victim waits to be placed again
      EXPECT_EQ(plan.deferred[0].workload, "victim");
    } else {
      EXPECT_TRUE(plan.actions.empty());
      ASSERT_EQ(plan.deferred.size(), 1u);
      EXPECT_EQ(plan.deferred[0].workload, "pending");
      EXPECT_EQ(plan.deferred[0].type, ActionType::kDefer);
      EXPECT_FALSE(plan.deferred[0].rejected.empty());
    }
  }
}

TEST(PlannerTest, DeferredQueueIsOrderedBySlaCriticalityPriority) {
  Inventory inv;
  inv.hosts = {MakeHost("h1", 1, 1)};
  PolicySpec spec = TestSpec();
  SlaTier gold = spec.tiers["t"];
  gold.name = "gold";
  gold.violation_cost_per_hour = 10;
  spec.tiers["gold"] = gold;
  Workload a = MakeWorkload("a_bronze_prio9", "", 4, 4, 1, 9);
  Workload b = MakeWorkload("b_gold_low", "", 4, 4, 1, 1);
  b.sla_tier = "gold";
  b.criticality = Criticality::kLow;
  Workload c = MakeWorkload("c_gold_high", "", 4, 4, 1, 0);
  c.sla_tier = "gold";
  c.criticality = Criticality::kHigh;
  Workload d = MakeWorkload("d_bronze_prio1", "", 4, 4, 1, 1);
  inv.workloads = {a, b, c, d};
  PlannerInput in;
  in.now = kT0;
  Planner planner(spec);
  ActionPlan plan = planner.Plan(inv, in);
  // gold before t (cost 10 > 1); within gold: high before low criticality; within t: priority.
  std::vector<std::string> order;
  for (const Action& x : plan.deferred) order.push_back(x.workload);
  EXPECT_EQ(order, (std::vector<std::string>{"c_gold_high", "b_gold_low", "a_bronze_prio9",
                                             "d_bronze_prio1"}));
  EXPECT_TRUE(plan.degraded);  // 16 cpu requested > 1 cpu of capacity
}

TEST(PlannerTest, ShadowModeMarksEveryAction) {
  Inventory inv;
  inv.hosts = {MakeHost("h1", 32, 128)};
  inv.workloads = {MakeWorkload("w1", "h1", 2, 4), MakeWorkload("w2", "", 1, 1)};
  PlannerInput in;
  in.now = kT0;
  in.demand = {MakeDemand("w1", Cpu(1.5, 2), Cpu(2, 2), Cpu(3, 2))};
  PolicySpec spec = TestSpec();
  spec.shadow = true;
  Planner planner(spec);
  ActionPlan plan = planner.Plan(inv, in);
  ASSERT_EQ(plan.actions.size(), 2u);  // place w2, scale up w1
  for (const Action& a : plan.actions) EXPECT_TRUE(a.shadow);
}

TEST(PlannerTest, DampingCooldownReversalAndMaxActions) {
  Inventory inv;
  inv.hosts = {MakeHost("h1", 64, 256)};
  inv.workloads = {MakeWorkload("w1", "h1", 2, 4)};
  PolicySpec spec = TestSpec();
  spec.damping.cooldown_ms = 3 * kMinuteMs;
  spec.damping.stabilization_window_ms = 5 * kMinuteMs;
  Planner planner(spec);

  // t0: q0.9 cpu 3 → scale up to 6.3.
  PlannerInput in;
  in.now = kT0;
  in.demand = {MakeDemand("w1", Cpu(2, 2), Cpu(2, 2), Cpu(3, 2))};
  ActionPlan p0 = planner.Plan(inv, in);
  ASSERT_EQ(Types(p0), (std::vector<ActionType>{ActionType::kScaleUp}));
  inv.workloads[0].request = p0.actions[0].after;  // the runner applied it

  // t0 + 1 min: forecast rises to 4 (need 8 > 6.3): held by the 3 min cooldown.
  in.now = kT0 + kMinuteMs;
  in.demand = {MakeDemand("w1", Cpu(2, 2), Cpu(3, 2), Cpu(4, 2))};
  ActionPlan p1 = planner.Plan(inv, in);
  EXPECT_TRUE(p1.actions.empty());
  ASSERT_EQ(p1.held.size(), 1u);
  EXPECT_NE(p1.held[0].reason.find("cooldown"), std::string::npos) << p1.held[0].reason;

  // t0 + 4 min: observed 0.5 (utilization 0.08 < 0.4) wants a scale-down: it would reverse the
  // scale-up of t0 inside the 5 min window → held.
  in.now = kT0 + 4 * kMinuteMs;
  in.demand = {MakeDemand("w1", Cpu(0.5, 0.5), Cpu(0.5, 0.5), Cpu(0.5, 0.5))};
  ActionPlan p2 = planner.Plan(inv, in);
  EXPECT_TRUE(p2.actions.empty());
  ASSERT_EQ(p2.held.size(), 1u);
  EXPECT_NE(p2.held[0].reason.find("reverse"), std::string::npos) << p2.held[0].reason;

  // t0 + 6 min: outside the window → scale down to max(0.5, 0.5) × 2 × 1.05 = 1.05 cpu.
  in.now = kT0 + 6 * kMinuteMs;
  ActionPlan p3 = planner.Plan(inv, in);
  ASSERT_EQ(Types(p3), (std::vector<ActionType>{ActionType::kScaleDown}));
  EXPECT_NEAR(p3.actions[0].after[Resource::kCpu], 1.05, 1e-9);
}

TEST(PlannerTest, MaxActionsPerIntervalHoldsTheRest) {
  Inventory inv;
  inv.hosts = {MakeHost("h1", 64, 256)};
  PlannerInput in;
  in.now = kT0;
  for (int i = 0; i < 5; ++i) {
    const std::string id = "w" + std::to_string(i);
    inv.workloads.push_back(MakeWorkload(id, "h1", 1, 1));
    in.demand.push_back(MakeDemand(id, Cpu(1, 0.5), Cpu(1, 0.5), Cpu(2, 0.5)));
  }
  PolicySpec spec = TestSpec();
  spec.damping.max_actions_per_interval = 3;
  Planner planner(spec);
  ActionPlan plan = planner.Plan(inv, in);
  EXPECT_EQ(plan.actions.size(), 3u);
  EXPECT_EQ(plan.held.size(), 2u);
  // Next interval: the two held ones go through.
  in.now += spec.damping.interval_ms;
  for (const Action& a : plan.actions) inv.FindWorkload(a.workload)->request = a.after;
  ActionPlan next = planner.Plan(inv, in);
  EXPECT_EQ(next.actions.size(), 2u);
}

TEST(PlannerTest, HeldListIsCappedAndTheRestCounted) {
  // 1,200 workloads all short, 3 actions allowed: 3 emitted, 1,000 listed as held, 197 counted.
  Inventory inv;
  inv.hosts = {MakeHost("h1", 1e6, 1e6)};
  PlannerInput in;
  in.now = kT0;
  for (int i = 0; i < 1200; ++i) {
    std::string id = "w";
    id += std::to_string(i);
    inv.workloads.push_back(MakeWorkload(id, "h1", 1, 1));
    in.demand.push_back(MakeDemand(id, Cpu(1, 0.5), Cpu(1, 0.5), Cpu(2, 0.5)));
  }
  PolicySpec spec = TestSpec();
  spec.damping.max_actions_per_interval = 3;
  Planner planner(spec);
  ActionPlan plan = planner.Plan(inv, in);
  EXPECT_EQ(plan.actions.size(), 3u);
  EXPECT_EQ(plan.held.size(), 1000u);
  EXPECT_EQ(plan.held_omitted, 197);
}

TEST(PlannerTest, DegradedWhenInventoryCannotFitCurrentLoad) {
  Inventory inv;
  inv.hosts = {MakeHost("h1", 4, 8)};
  inv.workloads = {MakeWorkload("w1", "h1", 3, 4), MakeWorkload("w2", "h1", 3, 4)};
  PlannerInput in;
  in.now = kT0;
  Planner planner(TestSpec());
  ActionPlan plan = planner.Plan(inv, in);
  EXPECT_TRUE(plan.degraded);
  ASSERT_FALSE(plan.alerts.empty());
  EXPECT_EQ(plan.alerts[0].rfind("critical:", 0), 0u) << plan.alerts[0];
}

TEST(PlannerTest, EmptyInventoryGivesAnEmptyPlan) {
  Planner planner(TestSpec());
  ActionPlan plan = planner.Plan(Inventory{}, PlannerInput{});
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_FALSE(plan.degraded);
}

}  // namespace
}  // namespace prognos::policy
