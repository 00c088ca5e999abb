// Inverse() of every action type: what the plan runner applies to roll an action back.
#include "policy/types.h"

#include <gtest/gtest.h>

// g++ 12 -O3 reports a false -Wrestrict inside std::string assignments here (GCC bug 105651).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace prognos::policy {
namespace {

Action Base(ActionType type) {
  Action a;
  a.id = 7;
  a.type = type;
  a.workload = "w";
  a.host = "h1";
  a.target_host = "h2";
  a.pool = "p";
  a.source_pool = "q";
  a.customer = "c";
  a.before[Resource::kCpu] = 2;
  a.after[Resource::kCpu] = 3;
  a.replicas_before = 2;
  a.replicas_after = 3;
  a.nodes_before = 4;
  a.nodes_after = 6;
  a.amount_before = 1024;
  a.amount = 1536;
  a.expected_cost_per_hour = 1.5;
  a.expected_effect = "x";
  return a;
}

TEST(InverseTest, EveryActionTypeHasTheRightInverse) {
  struct Case {
    ActionType type;
    ActionType inverse_type;
  };
  const std::vector<Case> cases = {
      {ActionType::kScaleUp, ActionType::kScaleDown},
      {ActionType::kScaleDown, ActionType::kScaleUp},
      {ActionType::kScaleOut, ActionType::kScaleIn},
      {ActionType::kScaleIn, ActionType::kScaleOut},
      {ActionType::kMigrate, ActionType::kMigrate},
      {ActionType::kPreempt, ActionType::kMigrate},
      {ActionType::kDefer, ActionType::kDefer},
      {ActionType::kCreatePool, ActionType::kCreatePool},
      {ActionType::kResizePool, ActionType::kResizePool},
      {ActionType::kPreallocate, ActionType::kReclaim},
      {ActionType::kReclaim, ActionType::kPreallocate},
      {ActionType::kRebalance, ActionType::kRebalance},
      {ActionType::kThrottle, ActionType::kThrottle},
      {ActionType::kSetCpuShares, ActionType::kSetCpuShares},
      {ActionType::kSetMemoryLimit, ActionType::kSetMemoryLimit},
      {ActionType::kReserveBandwidth, ActionType::kReserveBandwidth},
      {ActionType::kSetIoPriority, ActionType::kSetIoPriority},
      {ActionType::kRequestResource, ActionType::kRequestResource},
      {ActionType::kDrain, ActionType::kDrain},
      {ActionType::kScheduleMaintenance, ActionType::kScheduleMaintenance},
      {ActionType::kReplicate, ActionType::kReplicate},
  };
  ASSERT_EQ(cases.size(), kActionTypeCount);
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(ActionTypeName(c.type)));
    const Action a = Base(c.type);
    const Action inv = Inverse(a);
    EXPECT_EQ(inv.type, c.inverse_type);
    EXPECT_EQ(inv.rule, "rollback");
    EXPECT_EQ(inv.id, 0u);
    EXPECT_DOUBLE_EQ(inv.expected_cost_per_hour, -1.5);
    switch (c.type) {
      case ActionType::kMigrate:
        EXPECT_EQ(inv.host, "h2");
        EXPECT_EQ(inv.target_host, "h1");
        break;
      case ActionType::kPreempt:
        // Re-place the victim where it ran.
        EXPECT_EQ(inv.host, "");
        EXPECT_EQ(inv.target_host, "h1");
        EXPECT_EQ(inv.workload, "w");
        break;
      case ActionType::kRebalance:
        // 2 nodes went q → p: move them back p → q. Destination (now q) counts were in replicas.
        EXPECT_EQ(inv.pool, "q");
        EXPECT_EQ(inv.source_pool, "p");
        EXPECT_EQ(inv.nodes_before, 3);
        EXPECT_EQ(inv.nodes_after, 2);
        EXPECT_EQ(inv.replicas_before, 6);
        EXPECT_EQ(inv.replicas_after, 4);
        EXPECT_DOUBLE_EQ(inv.amount, 1536);
        break;
      default:
        EXPECT_EQ(inv.host, "h1");
        EXPECT_DOUBLE_EQ(inv.before[Resource::kCpu], 3);
        EXPECT_DOUBLE_EQ(inv.after[Resource::kCpu], 2);
        EXPECT_EQ(inv.replicas_before, 3);
        EXPECT_EQ(inv.replicas_after, 2);
        EXPECT_EQ(inv.nodes_before, 6);
        EXPECT_EQ(inv.nodes_after, 4);
        EXPECT_DOUBLE_EQ(inv.amount, 1024);  // levers back to the old value; releases to 0
        EXPECT_DOUBLE_EQ(inv.amount_before, 1536);
        break;
    }
    // Inverting twice gives the action back (targets and quantities).
    const Action twice = Inverse(inv);
    if (c.type != ActionType::kPreempt) {
      EXPECT_EQ(twice.host, a.host);
      EXPECT_EQ(twice.target_host, a.target_host);
      EXPECT_EQ(twice.pool, a.pool);
      EXPECT_EQ(twice.before, a.before);
      EXPECT_EQ(twice.after, a.after);
      EXPECT_EQ(twice.nodes_after, a.nodes_after);
      EXPECT_DOUBLE_EQ(twice.amount, a.amount);
    }
  }
}

TEST(ResourceVectorTest, FitsAndDominantShare) {
  ResourceVector a;
  a[Resource::kCpu] = 2;
  a[Resource::kMemory] = 8;
  ResourceVector cap;
  cap[Resource::kCpu] = 4;
  cap[Resource::kMemory] = 32;
  EXPECT_TRUE(a.FitsIn(cap));
  EXPECT_DOUBLE_EQ(a.DominantShare(cap), 0.5);  // max(2/4, 8/32)
  EXPECT_FALSE(cap.FitsIn(a));
}

}  // namespace
}  // namespace prognos::policy
