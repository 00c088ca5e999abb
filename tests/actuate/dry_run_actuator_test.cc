#include "actuate/dry_run_actuator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "actuate/plan_runner.h"

namespace prognos::actuate {
namespace {

policy::Action MigrateWeb3() {
  policy::Action a;
  a.id = 12;
  a.type = policy::ActionType::kMigrate;
  a.workload = "web-3";
  a.host = "node-2";
  a.target_host = "node-7";
  return a;
}

TEST(DryRunActuatorTest, LogsEveryCallAndChangesNothing) {
  std::vector<std::string> lines;
  DryRunActuator dry([&lines](std::string_view l) { lines.emplace_back(l); });
  EXPECT_EQ(dry.name(), "dry-run");
  const policy::Action a = MigrateWeb3();
  EXPECT_TRUE(dry.CheckPrecondition(a).has_value());
  EXPECT_TRUE(dry.Apply(a, 1700000000000).has_value());
  EXPECT_EQ(dry.Verify(a, 1700000001000), Verification::kConfirmed);
  const std::vector<std::string> want = {
      "dry-run: check #12 migrate web-3 node-2 → node-7: ok",
      "dry-run: apply #12 migrate web-3 node-2 → node-7 at 1700000000000",
      "dry-run: verify #12 migrate web-3 node-2 → node-7: confirmed",
  };
  EXPECT_EQ(lines, want);
  EXPECT_EQ(dry.checks(), 1u);
  EXPECT_EQ(dry.applies(), 1u);
  EXPECT_EQ(dry.verifies(), 1u);
}

TEST(DryRunActuatorTest, RecordsACopyAndItsDrop) {
  std::vector<std::string> lines;
  DryRunActuator dry([&lines](std::string_view l) { lines.emplace_back(l); });
  policy::Action a;
  a.id = 5;
  a.type = policy::ActionType::kReplicate;
  a.workload = "db";
  a.host = "node-1";
  a.target_host = "node-4";
  a.amount = 50;
  EXPECT_TRUE(dry.Apply(a, 1700000000000).has_value());
  EXPECT_TRUE(dry.Apply(policy::Inverse(a), 1700000060000).has_value());
  const std::vector<std::string> want = {
      "dry-run: apply #5 replicate db on node-1 → node-4 copy 50 GiB at 1700000000000",
      "dry-run: apply #0 replicate db on node-1 → node-4 drop copy at 1700000060000",
  };
  EXPECT_EQ(lines, want);
}

TEST(DryRunActuatorTest, EmptyLogFunctionIsAllowed) {
  DryRunActuator dry(nullptr);
  EXPECT_TRUE(dry.Apply(MigrateWeb3(), 0).has_value());
  EXPECT_EQ(dry.applies(), 1u);
}

TEST(DryRunActuatorTest, RunnerOverDryRunVerifiesEachActionAtTheNextTick) {
  std::vector<std::string> lines;
  DryRunActuator dry([&lines](std::string_view l) { lines.emplace_back(l); });
  PlanRunner runner(dry);
  policy::ActionPlan plan;
  plan.actions = {MigrateWeb3()};
  plan.actions.push_back(MigrateWeb3());
  plan.actions[1].id = 13;
  plan.actions[1].shadow = true;  // shadow: never reaches the actuator
  const auto submitted = runner.Submit(plan, 0);
  ASSERT_EQ(submitted.size(), 2u);
  EXPECT_EQ(submitted[0].outcome, policy::Outcome::kApplied);
  EXPECT_EQ(submitted[0].detail, "applied by dry-run; verify within 300s");
  EXPECT_EQ(submitted[1].outcome, policy::Outcome::kShadow);
  const auto ticked = runner.Tick(1);
  ASSERT_EQ(ticked.size(), 1u);
  EXPECT_EQ(ticked[0].outcome, policy::Outcome::kVerified);
  EXPECT_TRUE(runner.idle());
  EXPECT_EQ(lines.size(), 3u);  // check, apply, verify of #12 only
}

}  // namespace
}  // namespace prognos::actuate
