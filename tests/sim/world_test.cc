// The world's shared scheduler and the SimActuator under the real plan runner.
#include "sim/world.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "actuate/plan_runner.h"
#include "policy/planner.h"

namespace prognos::sim {
namespace {

Scenario TwoHosts(double failure_rate) {
  Scenario s;
  s.hosts = 2;
  s.host_cores = {8};
  s.memory_gib_per_core = 4;
  s.migration_ms = 2 * kMinuteMs;
  s.migration_failure_rate = failure_rate;
  s.tiers.push_back(TierSpec{.name = "standard"});
  return s;
}

SimWorkload Workload(const std::string& id, const std::string& host, int replicas, double cores) {
  SimWorkload w;
  w.id = id;
  w.host = host;
  w.replicas = replicas;
  w.req_cores = cores;
  w.req_mem = 1;
  return w;
}

policy::Action Migrate(std::uint64_t id, const std::string& from, const std::string& to) {
  policy::Action a;
  a.id = id;
  a.type = policy::ActionType::kMigrate;
  a.workload = "wl";
  a.host = from;
  a.target_host = to;
  a.verify_window_ms = 5 * kMinuteMs;
  return a;
}

std::vector<policy::Outcome> Outcomes(const std::vector<policy::ActionOutcome>& v) {
  std::vector<policy::Outcome> out;
  out.reserve(v.size());
  for (const auto& o : v) out.push_back(o.outcome);
  return out;
}

TEST(SimActuatorTest, MigrationFailingMidwayIsRolledBackByThePlanRunner) {
  const Scenario s = TwoHosts(1.0);  // every migration fails halfway (at 60 s of 120 s)
  World world(s, 1);
  world.workloads().push_back(Workload("wl", "host-000", 2, 1.0));
  SimActuator actuator(world);
  actuate::PlanRunner runner(actuator);
  policy::ActionPlan plan;
  plan.actions.push_back(Migrate(7, "host-000", "host-001"));
  EXPECT_EQ(Outcomes(runner.Submit(plan, 0)),
            std::vector<policy::Outcome>{policy::Outcome::kApplied});
  EXPECT_TRUE(world.workloads()[0].migrating);
  world.Advance(60 * kSecondMs);
  EXPECT_FALSE(world.workloads()[0].migrating);
  EXPECT_EQ(world.Migration(7), MigrationState::kFailed);
  EXPECT_EQ(Outcomes(runner.Tick(60 * kSecondMs)),
            std::vector<policy::Outcome>{policy::Outcome::kRolledBack});
  EXPECT_EQ(world.workloads()[0].host, "host-000");
  EXPECT_EQ(world.counters().failed_migrations, 1U);
  EXPECT_EQ(runner.revert_failures(), 0U);
}

TEST(SimActuatorTest, MigrationCompletesAfterTheDelayAndVerifies) {
  const Scenario s = TwoHosts(0.0);
  World world(s, 1);
  world.workloads().push_back(Workload("wl", "host-000", 2, 1.0));
  SimActuator actuator(world);
  actuate::PlanRunner runner(actuator);
  policy::ActionPlan plan;
  plan.actions.push_back(Migrate(1, "host-000", "host-001"));
  runner.Submit(plan, 0);
  world.Advance(60 * kSecondMs);
  EXPECT_TRUE(runner.Tick(60 * kSecondMs).empty());  // still copying: pending
  EXPECT_EQ(world.workloads()[0].host, "host-000");
  world.Advance(120 * kSecondMs);
  EXPECT_EQ(world.workloads()[0].host, "host-001");
  EXPECT_EQ(Outcomes(runner.Tick(120 * kSecondMs)),
            std::vector<policy::Outcome>{policy::Outcome::kVerified});
}

TEST(SimActuatorTest, PreconditionsFollowTheWorld) {
  const Scenario s = TwoHosts(0.0);
  World world(s, 1);
  world.workloads().push_back(Workload("wl", "host-000", 2, 3.0));   // 6 cores
  world.workloads().push_back(Workload("big", "host-001", 1, 7.0));  // host-001 has 1 core left
  SimActuator actuator(world);
  struct Case {
    const char* name;
    policy::Action action;
    bool ok;
  };
  policy::Action up;
  up.type = policy::ActionType::kScaleUp;
  up.workload = "wl";
  up.after[policy::Resource::kCpu] = 4.0;  // 2 × 4 = 8 cores: fits exactly on host-000
  up.after[policy::Resource::kMemory] = 1.0;
  policy::Action too_big = up;
  too_big.after[policy::Resource::kCpu] = 4.5;  // 9 cores > 8
  policy::Action out;
  out.type = policy::ActionType::kScaleOut;
  out.workload = "wl";
  out.replicas_after = 3;  // 3 × 3 = 9 cores > 8
  const std::vector<Case> cases = {
      {"migrate to a full host", Migrate(1, "host-000", "host-001"), false},
      {"scale up within the host", up, true},
      {"scale up beyond the host", too_big, false},
      {"scale out beyond the host", out, false},
      {"unknown host", Migrate(2, "host-000", "host-9"), false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(actuator.CheckPrecondition(c.action).has_value(), c.ok);
  }
}

// The shared scheduler: a resize that no longer fits moves the workload to the best-fit host
// (taking the migration delay); when nothing fits it asks a pool for a node.
TEST(WorldTest, ResizeThatDoesNotFitMovesTheWorkloadOrRequestsANode) {
  Scenario s = TwoHosts(0.0);
  PoolSpec pool;
  pool.id = "p";
  pool.node_cores = 16;
  pool.node_memory_gib = 64;
  pool.lead_time_ms = 10 * kMinuteMs;
  pool.max_nodes = 1;
  s.pools.push_back(pool);
  World world(s, 1);
  world.workloads().push_back(Workload("wl", "host-000", 2, 2.0));     // 4 of 8 cores
  world.workloads().push_back(Workload("other", "host-000", 1, 3.0));  // 3 more
  SimWorkload& wl = world.workloads()[0];
  // 3 replicas × 2 = 6 cores: host-000 would need 9 > 8; host-001 is empty → move there.
  EXPECT_TRUE(world.Resize(wl, 3, 2.0, 1.0, 0));
  EXPECT_TRUE(wl.migrating);
  EXPECT_EQ(wl.mig_target, "host-001");
  world.Advance(2 * kMinuteMs);
  EXPECT_EQ(wl.host, "host-001");
  EXPECT_EQ(wl.replicas, 3);
  // 5 replicas = 10 cores fit nowhere: a node is requested; meanwhile 4 replicas fit in place.
  EXPECT_TRUE(world.Resize(wl, 5, 2.0, 1.0, 3 * kMinuteMs));
  EXPECT_EQ(wl.replicas, 4);
  EXPECT_EQ(world.PoolNodes("p"), 1);  // arriving
  world.Advance(13 * kMinuteMs);
  EXPECT_EQ(world.counters().pool_nodes_added, 1U);
  EXPECT_NE(world.FindHost("p-0"), nullptr);
}

// Data protection. Three hosts (host-000 a, host-001 b, host-002 a — zones alternate), 50 GiB per
// workload, copies at 1000 Mbit/s: 50 × 8 × 1024³ / 10⁶ = 429496.7296 Mbit → 429.5 s → 429497 ms.
Scenario Protected() {
  Scenario s = TwoHosts(0.0);
  s.hosts = 3;
  s.zones = {"a", "b"};
  s.data_gib = 50;
  s.copy_bandwidth_mbit_s = 1000;
  s.restart_ms = 300 * kSecondMs;
  return s;
}

policy::Action Replicate(std::uint64_t id, const std::string& to, double gib) {
  policy::Action a;
  a.id = id;
  a.type = policy::ActionType::kReplicate;
  a.workload = "wl";
  a.host = "host-000";
  a.target_host = to;
  a.amount = gib;
  a.verify_window_ms = policy::kReplicateVerifyMs;
  return a;
}

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr TimestampMs kStart = 1'000'000;  // world time of the first Advance

TEST(WorldDataProtectionTest, ACopySyncsAtTheCopyBandwidthThenVerifies) {
  const Scenario s = Protected();
  World world(s, 1);
  EXPECT_EQ(world.CopySyncMs(), 429497);
  world.workloads().push_back(Workload("wl", "host-000", 1, 1.0));
  world.Advance(kStart);
  SimActuator actuator(world);
  actuate::PlanRunner runner(actuator);
  policy::ActionPlan plan;
  plan.actions.push_back(Replicate(3, "host-001", 50));
  EXPECT_EQ(Outcomes(runner.Submit(plan, kStart)),
            std::vector<policy::Outcome>{policy::Outcome::kApplied});
  ASSERT_EQ(world.workloads()[0].copies.size(), 1u);
  EXPECT_EQ(world.workloads()[0].copies[0].synced_at, kStart + 429497);
  world.Advance(kStart + 429496);
  EXPECT_TRUE(runner.Tick(kStart + 429496).empty());  // still syncing: pending
  EXPECT_FALSE(world.ToInventory().workloads[0].data_copies[0].in_sync);
  world.Advance(kStart + 429497);
  EXPECT_EQ(Outcomes(runner.Tick(kStart + 429497)),
            std::vector<policy::Outcome>{policy::Outcome::kVerified});
  const auto inv = world.ToInventory();
  EXPECT_DOUBLE_EQ(inv.workloads[0].data_gib, 50);
  EXPECT_EQ(inv.workloads[0].data_copies,
            (std::vector<policy::Workload::DataCopy>{{"host-001", true}}));
  EXPECT_EQ(world.counters().copies_created, 1u);
  EXPECT_DOUBLE_EQ(world.counters().copy_traffic_gib, 50);
  // A copy on the workload's own host is refused.
  EXPECT_FALSE(actuator.CheckPrecondition(Replicate(4, "host-000", 50)).has_value());
}

TEST(WorldDataProtectionTest, ADiskFaultWithAnInSyncCopyFailsOverInsteadOfLosingData) {
  struct Case {
    const char* name;
    bool copy;
    DurationMs copy_age_ms;  // how long before the fault the copy started
    double lost_gib;
    std::uint64_t failovers;
    const char* restarted_on;
  };
  const std::vector<Case> cases = {
      // In sync (started 10 min before): restarts on the copy's host, nothing lost.
      {"in_sync_copy", true, 10 * kMinuteMs, 0, 1, "host-001"},
      // Still syncing (started 1 min before, needs 429.5 s): no protection, 50 GiB lost; the
      // restart goes to the best fit: host-001 and host-002 are equally empty, ties go to host
      // order (host-000 is down).
      {"syncing_copy", true, kMinuteMs, 50, 0, "host-001"},
      {"no_copy", false, 0, 50, 0, "host-001"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Scenario s = Protected();
    World world(s, 1);
    world.set_measure_from(kStart);
    world.workloads().push_back(Workload("wl", "host-000", 1, 1.0));
    const TimestampMs fault = kStart + 10 * kMinuteMs;
    world.Advance(kStart);
    if (c.copy) world.AddCopy(world.workloads()[0], "host-001", fault - c.copy_age_ms, 9);
    world.Advance(fault);
    const World::DiskFailure disk{false, 0};
    world.FailHost(*world.FindHost("host-000"), fault, &disk);
    EXPECT_DOUBLE_EQ(world.counters().data_lost_bytes, c.lost_gib * kGiB);
    EXPECT_DOUBLE_EQ(world.counters().data_lost_unpreceded_bytes, c.lost_gib * kGiB);
    EXPECT_EQ(world.counters().failovers, c.failovers);
    EXPECT_TRUE(world.workloads()[0].down);
    world.Advance(fault + 299 * kSecondMs);
    EXPECT_TRUE(world.workloads()[0].down);  // the restart delay
    world.Advance(fault + 300 * kSecondMs);
    EXPECT_FALSE(world.workloads()[0].down);
    EXPECT_EQ(world.workloads()[0].host, c.restarted_on);
    // Restarted from its copy: the copy is its primary data now (no copy left until the planner
    // makes a new one).
    if (c.failovers > 0) {
      EXPECT_TRUE(world.workloads()[0].copies.empty());
    }
  }
}

TEST(WorldDataProtectionTest, ACopyDiesWithItsHostsDiskAndCostsStorageWhileHeld) {
  const Scenario s = Protected();
  World world(s, 1);
  world.set_measure_from(kStart);
  world.workloads().push_back(Workload("wl", "host-000", 1, 1.0));
  world.Advance(kStart - kHourMs);  // warm-up: no storage charged before kStart
  world.AddCopy(world.workloads()[0], "host-001", kStart - kHourMs, 1);
  world.Advance(kStart);
  EXPECT_DOUBLE_EQ(world.counters().copy_gib_hours, 0);
  EXPECT_EQ(world.counters().copies_created_warmup, 1u);
  world.Advance(kStart + 2 * kHourMs);
  // 1 copy × 50 GiB × 2 h = 100 GiB-h at the default 0.000118 per GiB-hour.
  EXPECT_DOUBLE_EQ(world.counters().copy_gib_hours, 100);
  EXPECT_NEAR(world.counters().copy_storage_cost, 100 * 0.000118, 1e-12);
  EXPECT_DOUBLE_EQ(world.counters().unprotected_workload_hours, 0);
  const World::DiskFailure disk{false, 0};
  world.FailHost(*world.FindHost("host-001"), kStart + 2 * kHourMs, &disk);
  EXPECT_TRUE(world.workloads()[0].copies.empty());
  EXPECT_EQ(world.counters().copies_lost, 1u);
  EXPECT_FALSE(world.workloads()[0].down);  // its own host is fine
  world.Advance(kStart + 3 * kHourMs);
  EXPECT_DOUBLE_EQ(world.counters().copy_gib_hours, 100);
  EXPECT_DOUBLE_EQ(world.counters().unprotected_workload_hours, 1);
}

}  // namespace
}  // namespace prognos::sim
