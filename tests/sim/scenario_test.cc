#include "sim/scenario.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace prognos::sim {
namespace {

TEST(ScenarioTest, ParsesAFullScenario) {
  const std::string yaml = R"(name: t
seed: 7
duration: 2d
warmup: 1d
telemetry_step: 5m
control_interval: 5m
cluster:
  hosts: 12
  host_cores: [16, 32]
  memory_gib_per_core: 4
  zones: [a, b]
  pools:
    - {id: burst, zone: b, node_cores: 32, node_memory_gib: 128, lead_time: 10m, max: 4}
workloads:
  count: 30
  trace: {source: bitbrains, path: /nowhere, vms: 1-5}
  replicas: 3
sla_tiers:
  - {name: gold, share: 0.3, demand_quantile: 0.95, target_utilization: 0.6}
  - {name: silver, share: 0.7}
delays: {migration: 90s, restart: 300s, migration_failure_rate: 0.25}
faults:
  - {type: disk, count: 2, precursor: 12h, path: /bb}
  - {type: host, host: 3, at: 20h, precursor: none, duration: 2h}
policy: {horizon: 2h, sizing_horizon: 15m, migrate_p_fail: 0.6}
)";
  auto s = ParseScenario(yaml, "t.yaml", {});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->seed, 7U);
  EXPECT_EQ(s->duration_ms, 2 * kDayMs);
  EXPECT_EQ(s->hosts, 12);
  EXPECT_EQ(s->zones.size(), 2U);
  ASSERT_EQ(s->pools.size(), 1U);
  EXPECT_EQ(s->pools[0].lead_time_ms, 10 * kMinuteMs);
  EXPECT_EQ(s->vms, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(s->replicas, 3);
  ASSERT_EQ(s->tiers.size(), 2U);
  EXPECT_DOUBLE_EQ(s->tiers[0].target_utilization, 0.6);
  EXPECT_EQ(s->migration_ms, 90 * kSecondMs);
  EXPECT_DOUBLE_EQ(s->migration_failure_rate, 0.25);
  ASSERT_EQ(s->faults.size(), 2U);
  EXPECT_EQ(s->faults[0].type, FaultType::kDisk);
  EXPECT_EQ(s->faults[0].precursor_ms, 12 * kHourMs);
  EXPECT_EQ(s->faults[0].backblaze_dir, "/bb");
  EXPECT_EQ(s->faults[1].precursor_ms, 0);  // "none"
  ASSERT_TRUE(s->faults[1].host.has_value());
  EXPECT_EQ(*s->faults[1].host, 3);
  EXPECT_EQ(*s->faults[1].at_ms, 20 * kHourMs);
  EXPECT_EQ(s->policy.horizon_ms, 2 * kHourMs);
  EXPECT_EQ(s->policy.SizingHorizonMs(), 15 * kMinuteMs);
  EXPECT_DOUBLE_EQ(s->policy.thresholds.migrate_p_fail, 0.6);
  EXPECT_EQ(s->policy.tiers.count("gold"), 1U);
  // Data protection is off unless the policy asks; copies at 1 Gbit/s, EBS-gp3-priced.
  EXPECT_FALSE(s->policy.data_protection.enabled());
  EXPECT_DOUBLE_EQ(s->copy_bandwidth_mbit_s, 1000);
  EXPECT_DOUBLE_EQ(s->disk_gib_hour_price, 0.000118);
}

TEST(ScenarioTest, DataProtectionKeysAndTheirErrors) {
  const std::string head =
      "cluster: {hosts: 4, zones: [a, b], disk_gib_hour_price: 0.0002}\n"
      "workloads: {trace: {path: x}, data_gib: 30}\n"
      "delays: {copy_bandwidth_mbit_s: 250}\n";
  auto s =
      ParseScenario(head + "policy:\n  data_protection: {copies: 3, spread: host}\n", "x.yaml", {});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->policy.data_protection.copies, 3);
  EXPECT_EQ(s->policy.data_protection.spread, policy::CopySpread::kHost);
  EXPECT_DOUBLE_EQ(s->disk_gib_hour_price, 0.0002);
  EXPECT_DOUBLE_EQ(s->policy.copy_gib_hour_price, 0.0002);  // the planner prices what is charged
  EXPECT_DOUBLE_EQ(s->copy_bandwidth_mbit_s, 250);
  struct Case {
    const char* name;
    std::string yaml;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"copies", head + "policy:\n  data_protection:\n    copies: 0\n",
       "x.yaml: line 6: policy.data_protection.copies: 0 is not a whole number >= 1"},
      {"spread", head + "policy:\n  data_protection: {spread: rack}\n",
       "x.yaml: line 5: policy.data_protection.spread: unknown spread 'rack'"},
      {"bandwidth",
       "cluster: {hosts: 4}\nworkloads: {trace: {path: x}}\ndelays: {copy_bandwidth_mbit_s: 0}\n",
       "line 3: delays.copy_bandwidth_mbit_s: must be in [1, 1e+07]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto bad = ParseScenario(c.yaml, "x.yaml", {});
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().message.find(c.expected), std::string::npos) << bad.error().message;
  }
}

// Each error names its line and key path; all are reported at once.
TEST(ScenarioTest, InvalidScenarioFileGivesLineNumberedErrors) {
  auto s = LoadScenario(std::string(PROGNOS_SOURCE_DIR) + "/examples/scenarios/invalid.yaml");
  ASSERT_FALSE(s.has_value());
  const std::string& m = s.error().message;
  const std::vector<std::string> expected = {
      "line 3: duration: must be a duration",
      "line 5: cluster.hosts: must be in [1, 100000]",
      "line 10: cluster.pools[0].colour: unknown key",
      "line 14: workloads.replicas: must be a number",
      "line 16: faults[0].type: unknown fault type",
      "line 19: faults[1].precursor: must be a duration",
      "line 20: speed: unknown key",
  };
  for (const auto& e : expected) {
    SCOPED_TRACE(e);
    EXPECT_NE(m.find(e), std::string::npos) << m;
  }
}

TEST(ScenarioTest, SyntaxErrorsAndDuplicateKeysAreReportedWithLines) {
  struct Case {
    const char* name;
    const char* yaml;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"syntax", "cluster: {hosts: 3\nworkloads: x\n", "x.yaml: line "},
      {"duplicate key", "cluster: {hosts: 3}\ncluster: {hosts: 4}\nworkloads: {}\n",
       "line 2: cluster: duplicate key"},
      {"missing sections", "name: x\n", "line 1: cluster: missing"},
      {"trace missing", "cluster: {hosts: 2}\nworkloads: {count: 3}\n",
       "line 2: workloads.trace: missing"},
      {"cpu_qos", "cluster: {hosts: 2, cpu_qos: shared}\nworkloads: {trace: {path: x}}\n",
       "line 1: cluster.cpu_qos: must be guaranteed or burstable"},
      {"cpu_sizing",
       "cluster: {hosts: 2}\nworkloads: {trace: {path: x}}\npolicy:\n"
       "  cpu_sizing: mean\n",
       "line 4: policy.cpu_sizing: must be peak or usage"},
      {"cpu_quantile",
       "cluster: {hosts: 2}\nworkloads: {trace: {path: x}}\nsla_tiers:\n"
       "  - {name: a, cpu_quantile: 0.3}\n",
       "line 4: sla_tiers[0].cpu_quantile: must be in [0.5, 0.999]"},
      {"fixed host out of range",
       "cluster: {hosts: 2}\nworkloads: {trace: {path: x}}\nfaults:\n  - {type: host, host: 5}\n",
       "line 4: faults[0].host: must be in [0, 1]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = ParseScenario(c.yaml, "x.yaml", {});
    ASSERT_FALSE(s.has_value());
    EXPECT_NE(s.error().message.find(c.expected), std::string::npos) << s.error().message;
  }
}

TEST(ScenarioTest, BurstableCpuAndUsageSizing) {
  auto s = ParseScenario(
      "cluster: {hosts: 2, cpu_qos: burstable}\nworkloads: {trace: {path: x}}\n"
      "sla_tiers:\n  - {name: a, demand_quantile: 0.9, cpu_quantile: 0.6}\n  - {name: b}\n"
      "policy: {cpu_sizing: usage}\n",
      "x.yaml", {});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->cpu_qos, CpuQos::kBurstable);
  EXPECT_EQ(s->policy.cpu_sizing, policy::CpuSizing::kUsage);
  ASSERT_TRUE(s->policy.Tier("a").cpu_quantile.has_value());
  EXPECT_DOUBLE_EQ(*s->policy.Tier("a").cpu_quantile, 0.6);
  EXPECT_FALSE(s->policy.Tier("b").cpu_quantile.has_value());
  auto d = ParseScenario("cluster: {hosts: 2}\nworkloads: {trace: {path: x}}\n", "x.yaml", {});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->cpu_qos, CpuQos::kGuaranteed);  // the default
  EXPECT_EQ(d->policy.cpu_sizing, policy::CpuSizing::kPeak);
}

}  // namespace
}  // namespace prognos::sim
