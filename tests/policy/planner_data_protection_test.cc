// Hand-worked cases for the data-protection rules (docs/policy.md "Data protection"): protect_data
// picks the copy host by 4·p_fail + 2·(1 − health/100) + 0.05·(copies held), in another zone
// with spread: zone; a copy that no longer counts is replaced, then dropped once the new one is in
// sync; recovery of a pending workload prefers the host of its in-sync copy.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/planner.h"

namespace prognos::policy {
namespace {

constexpr TimestampMs kT0 = 1'700'000'000'000;

Host MkHost(std::string id, std::string zone) {
  Host h;
  h.id = std::move(id);
  h.capacity[Resource::kCpu] = 16;
  h.capacity[Resource::kMemory] = 64;
  h.zone = std::move(zone);
  h.cost_per_hour = 1.0;
  return h;
}

// h1, h2 in zone a; h3, h4 in zone b. One workload "db" on h1 with 50 GiB of data.
Inventory Fleet() {
  Inventory inv;
  inv.hosts = {MkHost("h1", "a"), MkHost("h2", "a"), MkHost("h3", "b"), MkHost("h4", "b")};
  Workload w;
  w.id = "db";
  w.host = "h1";
  w.request[Resource::kCpu] = 2;
  w.request[Resource::kMemory] = 4;
  w.data_gib = 50;
  inv.workloads = {w};
  return inv;
}

HostRisk Risk(std::string host, double p_fail) {
  HostRisk r;
  r.host = std::move(host);
  r.p_fail = p_fail;
  return r;
}

PolicySpec Protect(int copies, CopySpread spread = CopySpread::kZone) {
  PolicySpec spec;
  spec.data_protection.copies = copies;
  spec.data_protection.spread = spread;
  return spec;
}

std::vector<Action> Replicates(const ActionPlan& plan) {
  std::vector<Action> out;
  for (const Action& a : plan.actions) {
    if (a.type == ActionType::kReplicate) out.push_back(a);
  }
  return out;
}

TEST(PlannerDataProtectionTest, CopiesToTheLowestRiskHostInTheOtherZone) {
  // Zone b only (spread: zone): h3 scores 4 × 0.2 = 0.8, h4 4 × 0.05 = 0.2 → h4. h2 (p_fail 0)
  // is in db's zone a and not a candidate.
  PlannerInput in;
  in.now = kT0;
  in.risks = {Risk("h3", 0.2), Risk("h4", 0.05)};
  Planner planner(Protect(2));
  const auto reps = Replicates(planner.Plan(Fleet(), in));
  ASSERT_EQ(reps.size(), 1u);
  const Action& a = reps[0];
  EXPECT_EQ(a.rule, "protect_data");
  EXPECT_EQ(a.workload, "db");
  EXPECT_EQ(a.host, "h1");
  EXPECT_EQ(a.target_host, "h4");
  EXPECT_DOUBLE_EQ(a.amount, 50);
  EXPECT_DOUBLE_EQ(a.amount_before, 0);
  // 50 GiB × the default 0.000118 per GiB-hour.
  EXPECT_NEAR(a.expected_cost_per_hour, 50 * 0.000118, 1e-12);
  EXPECT_NEAR(a.expected_risk, 0.0, 1e-12);  // p_fail(h1) 0 × p_fail(h4) 0.05
  EXPECT_EQ(a.verify_window_ms, kReplicateVerifyMs);
  ASSERT_EQ(a.rejected.size(), 1u);
  EXPECT_EQ(a.rejected[0].option, "copy to h3");
  EXPECT_NE(a.reason.find("keep a copy of db's 50 GiB on h4 (zone b"), std::string::npos)
      << a.reason;
  EXPECT_NE(a.reason.find("0 of 1 copy in sync off h1"), std::string::npos) << a.reason;
}

TEST(PlannerDataProtectionTest, SpreadHostAllowsTheSameZone) {
  PlannerInput in;
  in.now = kT0;
  in.risks = {Risk("h3", 0.2), Risk("h4", 0.05)};
  Planner planner(Protect(2, CopySpread::kHost));
  const auto reps = Replicates(planner.Plan(Fleet(), in));
  ASSERT_EQ(reps.size(), 1u);
  EXPECT_EQ(reps[0].target_host, "h2");  // score 0 < 0.2 of h4
}

TEST(PlannerDataProtectionTest, ThreeCopiesGoToTwoHosts) {
  PlannerInput in;
  in.now = kT0;
  in.risks = {Risk("h3", 0.2), Risk("h4", 0.05)};
  Planner planner(Protect(3));
  const auto reps = Replicates(planner.Plan(Fleet(), in));
  ASSERT_EQ(reps.size(), 2u);
  EXPECT_EQ(reps[0].target_host, "h4");
  EXPECT_EQ(reps[1].target_host, "h3");
}

TEST(PlannerDataProtectionTest, NothingWhenCopiesAreThereOrUnderWayOrProtectionIsOff) {
  struct Case {
    const char* name;
    PolicySpec spec;
    std::vector<Workload::DataCopy> copies;
    double data_gib;
    Criticality criticality;
  };
  PolicySpec high_only = Protect(2);
  high_only.data_protection.min_criticality = Criticality::kHigh;
  const std::vector<Case> cases = {
      {"in_sync", Protect(2), {{"h3", true}}, 50, Criticality::kMedium},
      {"syncing", Protect(2), {{"h4", false}}, 50, Criticality::kMedium},
      {"off", Protect(1), {}, 50, Criticality::kMedium},
      {"stateless", Protect(2), {}, 0, Criticality::kMedium},
      {"below_min_criticality", high_only, {}, 50, Criticality::kMedium},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Inventory inv = Fleet();
    inv.workloads[0].data_copies = c.copies;
    inv.workloads[0].data_gib = c.data_gib;
    inv.workloads[0].criticality = c.criticality;
    PlannerInput in;
    in.now = kT0;
    Planner planner(c.spec);
    EXPECT_TRUE(Replicates(planner.Plan(inv, in)).empty());
  }
}

TEST(PlannerDataProtectionTest, MovesACopyOffARiskyHostThenDropsTheOldOne) {
  // The copy on h4 is in sync but h4 is now at p_fail 0.6 ≥ migrate_p_fail 0.5: it no longer
  // counts, so a new copy goes to h3 (the only other zone-b host), and the old one is kept
  // until the new one is in sync.
  Inventory inv = Fleet();
  inv.workloads[0].data_copies = {{"h4", true}};
  PlannerInput in;
  in.now = kT0;
  in.risks = {Risk("h4", 0.6)};
  Planner planner(Protect(2));
  auto reps = Replicates(planner.Plan(inv, in));
  ASSERT_EQ(reps.size(), 1u);
  EXPECT_EQ(reps[0].target_host, "h3");
  EXPECT_DOUBLE_EQ(reps[0].amount, 50);
  EXPECT_NE(reps[0].reason.find("its copy on h4 no longer counts (it has p_fail 0.60 >= 0.50)"),
            std::string::npos)
      << reps[0].reason;
  // Syncing: nothing new, the old copy stays.
  inv.workloads[0].data_copies = {{"h4", true}, {"h3", false}};
  in.now = kT0 + 5 * kMinuteMs;
  EXPECT_TRUE(Replicates(planner.Plan(inv, in)).empty());
  // In sync: the copy on h4 is dropped (amount 0; the inverse of creating it).
  inv.workloads[0].data_copies = {{"h4", true}, {"h3", true}};
  in.now = kT0 + 10 * kMinuteMs;
  reps = Replicates(planner.Plan(inv, in));
  ASSERT_EQ(reps.size(), 1u);
  EXPECT_EQ(reps[0].rule, "drop_stale_copy");
  EXPECT_EQ(reps[0].target_host, "h4");
  EXPECT_DOUBLE_EQ(reps[0].amount, 0);
  EXPECT_DOUBLE_EQ(reps[0].amount_before, 50);
  EXPECT_NEAR(reps[0].expected_cost_per_hour, -50 * 0.000118, 1e-12);
}

TEST(PlannerDataProtectionTest, ACopyOnAnUnschedulableHostIsReplaced) {
  Inventory inv = Fleet();
  inv.workloads[0].data_copies = {{"h3", true}};
  inv.hosts[2].schedulable = false;  // h3 down
  PlannerInput in;
  in.now = kT0;
  Planner planner(Protect(2));
  const auto reps = Replicates(planner.Plan(inv, in));
  ASSERT_EQ(reps.size(), 1u);
  EXPECT_EQ(reps[0].target_host, "h4");
}

TEST(PlannerDataProtectionTest, NoHostInAnotherZoneIsReportedNotForced) {
  Inventory inv = Fleet();
  inv.hosts[2].schedulable = false;
  inv.hosts[3].schedulable = false;
  PlannerInput in;
  in.now = kT0;
  Planner planner(Protect(2));
  const ActionPlan plan = planner.Plan(inv, in);
  EXPECT_TRUE(Replicates(plan).empty());
  ASSERT_EQ(plan.rejected.size(), 1u);
  EXPECT_EQ(plan.rejected[0].option, "copy of db");
  EXPECT_NE(plan.rejected[0].reason.find("outside zone a"), std::string::npos);
}

TEST(PlannerDataProtectionTest, InverseOfACopyDropsIt) {
  Action a;
  a.type = ActionType::kReplicate;
  a.workload = "db";
  a.host = "h1";
  a.target_host = "h4";
  a.amount = 50;
  const Action r = Inverse(a);
  EXPECT_EQ(r.type, ActionType::kReplicate);
  EXPECT_EQ(r.target_host, "h4");
  EXPECT_DOUBLE_EQ(r.amount, 0);
  EXPECT_DOUBLE_EQ(r.amount_before, 50);
}

TEST(PlannerDataProtectionTest, APendingWorkloadRestartsWhereItsInSyncCopyIs) {
  // db lost its host: pending, with an in-sync copy on h3. The tightest fit alone would pick h1
  // (host order among equal empty hosts); the copy's host wins.
  Inventory inv = Fleet();
  inv.workloads[0].host.clear();
  inv.workloads[0].data_copies = {{"h3", true}};
  PlannerInput in;
  in.now = kT0;
  Planner planner(Protect(2));
  const ActionPlan plan = planner.Plan(inv, in);
  ASSERT_FALSE(plan.actions.empty());
  const Action& a = plan.actions[0];
  EXPECT_EQ(a.type, ActionType::kMigrate);
  EXPECT_EQ(a.rule, "place_pending");
  EXPECT_EQ(a.target_host, "h3");
  EXPECT_NE(a.reason.find("it holds an in-sync copy of its 50 GiB"), std::string::npos) << a.reason;
  // Without the copy: the tightest fit.
  inv.workloads[0].data_copies.clear();
  Planner plain(Protect(2));
  const ActionPlan p2 = plain.Plan(inv, in);
  ASSERT_FALSE(p2.actions.empty());
  EXPECT_NE(p2.actions[0].target_host, "h3");
}

}  // namespace
}  // namespace prognos::policy
