// Closed loop on a real demand series: the planner sizes one workload every 5 minutes from a
// forecast, a stand-in runner applies the plan, and we count steps where demand exceeded the
// allocation (the simulator's SLA violation) and the slack. Demand: the Google 2019 week-1
// cluster mean CPU (tests/data/google2019_week1_avg_cpu.csv, 2,016 five-minute rows, see
// tests/data/ATTRIBUTION.md) × 100 cores. The forecast is an oracle (the true peak of the next
// hour) so the test isolates the planner's rules from forecast error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "policy/planner.h"

namespace prognos::policy {
namespace {

std::vector<double> LoadSeries() {
  std::ifstream in(std::string(PROGNOS_SOURCE_DIR) + "/tests/data/google2019_week1_avg_cpu.csv");
  std::vector<double> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) out.push_back(std::stod(line) * 100.0);
  return out;
}

TEST(PlannerTrackingTest, AllocationFollowsRealDemandUpAndDown) {
  const std::vector<double> demand = LoadSeries();
  ASSERT_EQ(demand.size(), 2016u);
  PolicySpec spec;
  SlaTier tier;
  tier.name = "t";
  tier.demand_quantile = 0.9;
  tier.target_utilization = 1.0;
  spec.tiers["t"] = tier;
  spec.headroom = 0.05;
  spec.damping.hysteresis = 0.1;
  spec.thresholds.scale_in_utilization = 0.8;
  Planner planner(spec);
  Inventory inv;
  Host h;
  h.id = "h1";
  h.capacity[Resource::kCpu] = 200;
  inv.hosts = {h};
  Workload w;
  w.id = "w";
  w.host = "h1";
  w.sla_tier = "t";
  w.request[Resource::kCpu] = demand[0];
  inv.workloads = {w};

  constexpr std::size_t kHorizonSteps = 12;  // 1 h of 5-minute steps
  int violations = 0, ups = 0, downs = 0;
  double slack_sum = 0, alloc_min = 1e9, alloc_max = 0;
  PlannerInput in;
  in.now = 1'700'000'000'000;
  for (std::size_t t = 0; t + kHorizonSteps < demand.size(); ++t) {
    const double peak =
        *std::max_element(demand.begin() + static_cast<long>(t) + 1,
                          demand.begin() + static_cast<long>(t + kHorizonSteps) + 1);
    WorkloadDemand d;
    d.workload = "w";
    d.observed[Resource::kCpu] = demand[t];
    d.levels = {0.9};
    d.quantiles = {d.observed};
    d.quantiles[0][Resource::kCpu] = peak;
    in.demand = {d};
    const ActionPlan plan = planner.Plan(inv, in);
    for (const Action& a : plan.actions) {
      ups += a.type == ActionType::kScaleUp;
      downs += a.type == ActionType::kScaleDown;
      inv.workloads[0].request = a.after;
    }
    // The next step's demand against the allocation now in force.
    const double alloc = inv.workloads[0].request[Resource::kCpu];
    violations += demand[t + 1] > alloc + 1e-9;
    slack_sum += (alloc - demand[t + 1]) / alloc;
    alloc_min = std::min(alloc_min, alloc);
    alloc_max = std::max(alloc_max, alloc);
    in.now += 5 * kMinuteMs;
  }
  const double steps = static_cast<double>(demand.size() - kHorizonSteps - 1);
  // With a forecast of the next hour's peak, every scale-up and every scale-down leaves the
  // allocation ≥ that peak × 1.05 (a scale-down never goes below the forecast need), and the next
  // step lies inside that hour: no violation is possible.
  EXPECT_EQ(violations, 0);
  // Scale-in on observed load happened and the allocation followed the daily cycle down.
  EXPECT_GT(downs, 5);
  EXPECT_GT(ups, 5);
  EXPECT_LT(alloc_min, 0.8 * alloc_max);
  // Slack: the allocation sits between the next-hour peak × 1.05 and observed / 0.8 before a
  // scale-in fires; measured mean 0.151 (printed below). Bound: the 1 − 0.8 = 0.2 scale-in
  // trigger plus the 5% headroom.
  const double mean_slack = slack_sum / steps;
  EXPECT_LT(mean_slack, 0.25);
  RecordProperty("mean_slack", std::to_string(mean_slack));
  std::printf(
      "tracking: %d violations, %d scale-ups, %d scale-downs, mean slack %.3f, "
      "allocation %.1f..%.1f cores\n",
      violations, ups, downs, mean_slack, alloc_min, alloc_max);
}

}  // namespace
}  // namespace prognos::policy
