#include "policy/policy_yaml.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>
#include <string>

namespace prognos::policy {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(PolicyYamlTest, ParsesTheExampleCluster) {
  const std::string text =
      ReadFile(std::string(PROGNOS_SOURCE_DIR) + "/examples/policy/cluster.yaml");
  ASSERT_FALSE(text.empty());
  auto doc = ParsePolicyYaml(text, "cluster.yaml");
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  const Inventory& inv = doc->inventory;
  EXPECT_EQ(inv.hosts.size(), 8u);
  EXPECT_EQ(inv.pools.size(), 2u);
  EXPECT_EQ(inv.workloads.size(), 12u);
  EXPECT_EQ(inv.customers.size(), 2u);
  EXPECT_DOUBLE_EQ(inv.ZoneLatencyMs("eu-1b", "eu-1a"), 1.2);
  const PolicySpec& spec = doc->spec;
  EXPECT_EQ(spec.tiers.size(), 4u);  // gold, silver, bronze + the default ""
  EXPECT_DOUBLE_EQ(spec.Tier("gold").demand_quantile, 0.99);
  EXPECT_DOUBLE_EQ(spec.Tier("bronze").target_utilization, 0.85);
  EXPECT_EQ(spec.damping.max_concurrent_migrations, 3);
  EXPECT_EQ(spec.damping.cooldown_ms, 3 * kMinuteMs);
  EXPECT_EQ(spec.horizon_ms, kHourMs);
  EXPECT_EQ(spec.SizingHorizonMs(), kHourMs);  // unset: the planning horizon
  const Pool* pool = inv.FindPool("general-a");
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->lead_time_ms, 4 * kMinuteMs);
  EXPECT_EQ(pool->nodes, 3);
  const Workload* w = inv.FindWorkload("checkout-api");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->replicas, 3);
  EXPECT_EQ(w->criticality, Criticality::kHigh);
  EXPECT_DOUBLE_EQ(w->request[Resource::kCpu], 2);
  EXPECT_EQ(inv.FindWorkload("ml-training")->host, "");
  EXPECT_TRUE(inv.FindWorkload("etl-nightly")->preemptible);
  EXPECT_EQ(inv.FindHost("db-a")->labels.at("disk"), "nvme");
}

TEST(PolicyYamlTest, BadPolicyReportsEveryErrorWithItsLine) {
  const std::string text =
      ReadFile(std::string(PROGNOS_SOURCE_DIR) + "/examples/policy/bad-policy.yaml");
  auto doc = ParsePolicyYaml(text, "bad-policy.yaml");
  ASSERT_FALSE(doc.has_value());
  const std::string& m = doc.error().message;
  // Line numbers counted in examples/policy/bad-policy.yaml (line 1 is the comment).
  const std::vector<std::string> expected = {
      "bad-policy.yaml:3: policy.horizon: 'soon' is not a duration",
      std::string("bad-policy.yaml:6: policy.damping.max_actions: unknown key 'max_actions' in ") +
          "'policy.damping' (hint: known keys of 'policy.damping': 'stabilization_window', " +
          "'cooldown', 'max_actions_per_interval'",
      "bad-policy.yaml:8: tiers.gold.demand_quantile: 1.5 is outside (0, 1]",
      "bad-policy.yaml:12: hosts[node-1].capacity.gpu: unknown key 'gpu'",
      "bad-policy.yaml:14: workloads[web].host: unknown host 'node-9'",
      std::string("bad-policy.yaml:14: workloads[web].sla_tier: unknown tier 'platinum' ") +
          "(hint: known tiers: 'default', 'gold')",
      "bad-policy.yaml:18: workloads[web]: duplicate id 'web' (first at line 14)",
      "bad-policy.yaml:20: workloads[web].criticality: unknown criticality 'urgent'",
  };
  for (const std::string& e : expected) {
    SCOPED_TRACE(e);
    EXPECT_NE(m.find(e), std::string::npos) << m;
  }
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n') + 1, static_cast<long>(expected.size())) << m;
}

TEST(PolicyYamlTest, ErrorsCarryLineAndPath) {
  struct Case {
    const char* name;
    const char* yaml;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"syntax", "policy:\n  horizon: [1h\n", "x.yaml:3: YAML syntax error"},
      {"unknown_top", "polcy: {}\n", "x.yaml:1: polcy: unknown key 'polcy' at the top level"},
      {"not_a_number", "policy:\n  headroom: lots\n",
       "x.yaml:2: policy.headroom: 'lots' is not a finite number"},
      {"negative_int", "policy:\n  damping:\n    max_concurrent_migrations: -1\n",
       "x.yaml:3: policy.damping.max_concurrent_migrations: -1 is not a whole number >= 0"},
      {"bool", "policy:\n  shadow: maybe\n",
       "x.yaml:2: policy.shadow: expected true or false, got 'maybe'"},
      {"duplicate_key", "policy:\n  headroom: 0.1\n  headroom: 0.2\n",
       "x.yaml:3: policy.headroom: duplicate key 'headroom' (first at line 2)"},
      {"pool_sizes",
       "pools:\n  - id: p\n    node_capacity: {cpu: 4}\n    min_nodes: 3\n    max_nodes: 2\n",
       "x.yaml:2: pools[p]: needs min_nodes <= nodes <= max_nodes"},
      {"host_pool", "hosts:\n  - {id: h, pool: nope, capacity: {cpu: 1}}\n",
       "x.yaml:2: hosts[h].pool: unknown pool 'nope'"},
      {"missing_id", "customers:\n  - quota: {cpu: 1}\n", "x.yaml:2: customers[0]: missing 'id'"},
      {"cpu_sizing", "policy:\n  cpu_sizing: mean\n",
       "x.yaml:2: policy.cpu_sizing: expected peak or usage, got 'mean'"},
      {"cpu_quantile", "tiers:\n  gold: {cpu_quantile: 0.2}\n",
       "x.yaml:2: tiers.gold.cpu_quantile: 0.2 is outside [0.5, 0.999]"},
      {"thresholds_order", "policy:\n  thresholds:\n    maintenance_p_fail: 0.9\n",
       "x.yaml:2: policy.thresholds: maintenance_p_fail 0.9 > migrate_p_fail 0.5"},
      {"copies_zero", "policy:\n  data_protection:\n    copies: 0\n",
       "x.yaml:3: policy.data_protection.copies: 0 is not a whole number >= 1"},
      {"copies_fraction", "policy:\n  data_protection: {copies: 1.5}\n",
       "x.yaml:2: policy.data_protection.copies: 1.5 is not a whole number >= 1"},
      {"copies_too_many", "policy:\n  data_protection:\n    copies: 11\n",
       "x.yaml:3: policy.data_protection.copies: 11 copies is more than 10"},
      {"spread", "policy:\n  data_protection:\n    copies: 2\n    spread: rack\n",
       "x.yaml:4: policy.data_protection.spread: unknown spread 'rack'"},
      {"min_criticality", "policy:\n  data_protection:\n    min_criticality: urgent\n",
       "x.yaml:3: policy.data_protection.min_criticality: unknown criticality 'urgent'"},
      {"data_protection_key", "policy:\n  data_protection:\n    replicas: 2\n",
       "x.yaml:3: policy.data_protection.replicas: unknown key 'replicas' in "
       "'policy.data_protection'"},
      {"data_gib",
       "hosts:\n  - {id: h, capacity: {cpu: 1}}\nworkloads:\n  - {id: w, host: h, "
       "data_gib: -5}\n",
       "x.yaml:4: workloads[w].data_gib: -5 is outside [0, 1000000000]"},
      {"copy_host",
       "hosts:\n  - {id: h, capacity: {cpu: 1}}\nworkloads:\n  - {id: w, host: h, "
       "data_copies: [{host: g}]}\n",
       "x.yaml:4: workloads[w].data_copies: unknown host 'g'"},
      {"copy_on_own_host",
       "hosts:\n  - {id: h, capacity: {cpu: 1}}\nworkloads:\n  - {id: w, "
       "host: h, data_copies: [{host: h}]}\n",
       "x.yaml:4: workloads[w].data_copies: a copy on the workload's own host 'h' protects "
       "nothing"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto doc = ParsePolicyYaml(c.yaml, "x.yaml");
    ASSERT_FALSE(doc.has_value());
    EXPECT_NE(doc.error().message.find(c.expected), std::string::npos) << doc.error().message;
  }
}

TEST(PolicyYamlTest, ParsesDataProtectionAndWorkloadData) {
  const char* yaml = R"(policy:
  data_protection:
    copies: 3
    spread: host
    min_criticality: high
  copy_gib_hour_price: 0.0002
hosts:
  - {id: a1, zone: a, capacity: {cpu: 4}}
  - {id: b1, zone: b, capacity: {cpu: 4}}
workloads:
  - {id: db, host: a1, request: {cpu: 1}, data_gib: 120,
     data_copies: [{host: b1}, {host: b1x, in_sync: false}]}
)";
  // b1x is unknown: one issue, the rest parsed.
  std::vector<PolicyIssue> issues;
  PolicyDocument doc;
  issues = CheckPolicyYaml(YAML::Load(yaml), "x.yaml", &doc);
  ASSERT_EQ(issues.size(), 1u) << issues.back().ToString();
  EXPECT_EQ(issues[0].line, 11);
  EXPECT_EQ(doc.spec.data_protection.copies, 3);
  EXPECT_EQ(doc.spec.data_protection.spread, CopySpread::kHost);
  EXPECT_EQ(doc.spec.data_protection.min_criticality, Criticality::kHigh);
  EXPECT_TRUE(doc.spec.data_protection.enabled());
  EXPECT_DOUBLE_EQ(doc.spec.copy_gib_hour_price, 0.0002);
  ASSERT_EQ(doc.inventory.workloads.size(), 1u);
  const Workload& w = doc.inventory.workloads[0];
  EXPECT_DOUBLE_EQ(w.data_gib, 120);
  ASSERT_EQ(w.data_copies.size(), 2u);
  EXPECT_EQ(w.data_copies[0], (Workload::DataCopy{"b1", true}));  // listed copies: in sync
  EXPECT_EQ(w.data_copies[1], (Workload::DataCopy{"b1x", false}));
}

TEST(PolicyYamlTest, DataProtectionIsOffByDefault) {
  auto doc = ParsePolicyYaml("policy: {headroom: 0.1}\n", "x.yaml");
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  EXPECT_EQ(doc->spec.data_protection.copies, 1);
  EXPECT_FALSE(doc->spec.data_protection.enabled());
  EXPECT_EQ(doc->spec.data_protection.spread, CopySpread::kZone);
  EXPECT_EQ(doc->spec.data_protection.min_criticality, Criticality::kLow);
}

TEST(PolicyYamlTest, CpuSizingAndATiersCpuQuantile) {
  auto doc = ParsePolicyYaml(
      "policy:\n  cpu_sizing: usage\ntiers:\n  gold: {demand_quantile: 0.99, cpu_quantile: 0.6}\n"
      "  bronze: {}\n",
      "x.yaml");
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  EXPECT_EQ(doc->spec.cpu_sizing, CpuSizing::kUsage);
  ASSERT_TRUE(doc->spec.Tier("gold").cpu_quantile.has_value());
  EXPECT_DOUBLE_EQ(*doc->spec.Tier("gold").cpu_quantile, 0.6);
  EXPECT_FALSE(doc->spec.Tier("bronze").cpu_quantile.has_value());
  auto def = ParsePolicyYaml("", "x.yaml");
  ASSERT_TRUE(def.has_value());
  EXPECT_EQ(def->spec.cpu_sizing, CpuSizing::kPeak);
}

TEST(PolicyYamlTest, EmptyDocumentGivesDefaults) {
  auto doc = ParsePolicyYaml("", "empty.yaml");
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->spec.tiers.count(""), 1u);
  EXPECT_TRUE(doc->inventory.hosts.empty());
}

TEST(PolicyYamlTest, NodeOverloadKeepsTheEnclosingFileLines) {
  // A daemon config or scenario hands its `planner:` subtree; lines stay those of the file.
  const YAML::Node root = YAML::Load("other: 1\nplanner:\n  policy:\n    headroom: -1\n");
  auto doc = ParsePolicyYaml(root["planner"], "scenario.yaml");
  ASSERT_FALSE(doc.has_value());
  EXPECT_NE(doc.error().message.find("scenario.yaml:4: policy.headroom: -1 is outside [0, 10]"),
            std::string::npos)
      << doc.error().message;
}

TEST(PolicyYamlTest, WithoutASourceNameErrorsReadLineN) {
  // The simulator's scenario parser prefixes its own file name and expects "line N: path: …".
  auto doc = ParsePolicyYaml("policy:\n  shadow: maybe\n", "");
  ASSERT_FALSE(doc.has_value());
  EXPECT_EQ(doc.error().message.rfind("line 2: policy.shadow: expected true or false", 0), 0u)
      << doc.error().message;
}

}  // namespace
}  // namespace prognos::policy
