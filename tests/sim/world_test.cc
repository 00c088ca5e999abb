// The world's shared scheduler and the SimActuator under the real plan runner.
#include "sim/world.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "actuate/plan_runner.h"

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

}  // namespace
}  // namespace prognos::sim
