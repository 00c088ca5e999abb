#include "policy/audit_codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace prognos::policy {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

ResourceVector Rv(double cpu, double mem, double net, double io) {
  ResourceVector v;
  v[Resource::kCpu] = cpu;
  v[Resource::kMemory] = mem;
  v[Resource::kNetwork] = net;
  v[Resource::kDiskIo] = io;
  return v;
}

// Every field set to a non-default value, including non-finite doubles and awkward strings.
Action FullAction() {
  Action a;
  a.id = 18446744073709551615ull;  // max u64
  a.type = ActionType::kMigrate;
  a.workload = "web-3";
  a.host = "node-2";
  a.target_host = "node-7";
  a.pool = "pool \"a\"";
  a.customer = "acme\n\tcorp ☃";
  a.resource = Resource::kDiskIo;
  a.before = Rv(1.5, 2.25, -0.0, 1e300);
  a.after = Rv(0.1, kNaN, kInf, -kInf);
  a.replicas_before = 2;
  a.replicas_after = -3;
  a.nodes_before = 2147483647;
  a.nodes_after = -2147483647 - 1;
  a.amount = 0.30000000000000004;
  a.not_before = -9223372036854775807LL - 1;
  a.rule = "migrate_off_failing_host";
  a.reason = "p_fail 0.83 ≥ 0.50 within 1h, root cause smart_197";
  a.rejected = {{"node-4", "cpu 7.5 > free 4.0"}, {"node-5", ""}};
  a.expected_cost_per_hour = -12.5;
  a.expected_risk = 5e-324;  // smallest subnormal
  a.confidence = 0.875;
  a.precondition = "web-3 on node-2";
  a.expected_effect = "web-3 on node-7";
  a.verify_window_ms = 9223372036854775807LL;
  a.shadow = true;
  return a;
}

AuditEntry FullEntry() {
  AuditEntry e;
  e.seq = 42;
  e.t = 1700000000123;
  e.kind = "decision";
  e.action = FullAction();
  ActionOutcome o;
  o.action_id = 7;
  o.type = ActionType::kScheduleMaintenance;
  o.workload = "db-1";
  o.outcome = Outcome::kRolledBack;
  o.t = 1700000000999;
  o.detail = "verification failed";
  o.observed_utilization = kNaN;
  e.outcome = o;
  WorkloadDemand d;
  d.workload = "web-3";
  d.observed = Rv(1, 2, 3, 4);
  d.levels = {0.5, 0.9, 0.99};
  d.quantiles = {Rv(1, 2, 3, 4), Rv(2, 3, 4, 5), Rv(3, 4, kInf, 6)};
  d.usage_quantiles = {Rv(0.5, 1, 2, 3), Rv(1.5, 2, 3, 4), Rv(2.5, 3, 4, 5)};
  d.model = "ets";
  e.demand = {d, WorkloadDemand{}};
  HostRisk r;
  r.host = "node-2";
  r.component = "disk";
  r.p_fail = 0.83;
  r.horizon_ms = kHourMs;
  r.time_to_failure_ms = 1234;
  r.health = 17.5;
  r.tier = AlertTier::kCritical;
  r.root_cause = "smart_197";
  r.entropy = 0.25;
  r.entropy_forecast = 0.75;
  r.entropy_drivers = Rv(0.5, 0.25, 0, 0);
  r.model = "xgboost-v3";
  e.risks = {r, HostRisk{}};
  e.message = "";
  return e;
}

// Bitwise equality for doubles, so NaN == NaN and -0.0 != 0.0.
bool Same(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b) ||
         (std::isnan(a) && std::isnan(b));
}
bool Same(const ResourceVector& a, const ResourceVector& b) {
  for (std::size_t i = 0; i < kResourceCount; ++i) {
    if (!Same(a.v[i], b.v[i])) return false;
  }
  return true;
}

void ExpectSameAction(const Action& a, const Action& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.workload, b.workload);
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.target_host, b.target_host);
  EXPECT_EQ(a.pool, b.pool);
  EXPECT_EQ(a.customer, b.customer);
  EXPECT_EQ(a.resource, b.resource);
  EXPECT_TRUE(Same(a.before, b.before));
  EXPECT_TRUE(Same(a.after, b.after));
  EXPECT_EQ(a.replicas_before, b.replicas_before);
  EXPECT_EQ(a.replicas_after, b.replicas_after);
  EXPECT_EQ(a.nodes_before, b.nodes_before);
  EXPECT_EQ(a.nodes_after, b.nodes_after);
  EXPECT_TRUE(Same(a.amount, b.amount));
  EXPECT_EQ(a.not_before, b.not_before);
  EXPECT_EQ(a.rule, b.rule);
  EXPECT_EQ(a.reason, b.reason);
  ASSERT_EQ(a.rejected.size(), b.rejected.size());
  for (std::size_t i = 0; i < a.rejected.size(); ++i) {
    EXPECT_EQ(a.rejected[i].option, b.rejected[i].option);
    EXPECT_EQ(a.rejected[i].reason, b.rejected[i].reason);
  }
  EXPECT_TRUE(Same(a.expected_cost_per_hour, b.expected_cost_per_hour));
  EXPECT_TRUE(Same(a.expected_risk, b.expected_risk));
  EXPECT_TRUE(Same(a.confidence, b.confidence));
  EXPECT_EQ(a.precondition, b.precondition);
  EXPECT_EQ(a.expected_effect, b.expected_effect);
  EXPECT_EQ(a.verify_window_ms, b.verify_window_ms);
  EXPECT_EQ(a.shadow, b.shadow);
}

TEST(AuditCodecTest, FullyPopulatedEntryRoundTrips) {
  const AuditEntry e = FullEntry();
  const std::string bytes = EncodeAuditEntry(e);
  auto back = DecodeAuditEntry(bytes);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->seq, e.seq);
  EXPECT_EQ(back->t, e.t);
  EXPECT_EQ(back->kind, e.kind);
  ASSERT_TRUE(back->action.has_value());
  ExpectSameAction(*back->action, *e.action);
  ASSERT_TRUE(back->outcome.has_value());
  EXPECT_EQ(back->outcome->action_id, 7u);
  EXPECT_EQ(back->outcome->type, ActionType::kScheduleMaintenance);
  EXPECT_EQ(back->outcome->workload, "db-1");
  EXPECT_EQ(back->outcome->outcome, Outcome::kRolledBack);
  EXPECT_EQ(back->outcome->t, 1700000000999);
  EXPECT_EQ(back->outcome->detail, "verification failed");
  EXPECT_TRUE(std::isnan(back->outcome->observed_utilization));
  ASSERT_EQ(back->demand.size(), 2u);
  EXPECT_EQ(back->demand[0].workload, "web-3");
  EXPECT_TRUE(Same(back->demand[0].observed, e.demand[0].observed));
  EXPECT_EQ(back->demand[0].levels, e.demand[0].levels);
  ASSERT_EQ(back->demand[0].quantiles.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(Same(back->demand[0].quantiles[i], e.demand[0].quantiles[i]));
    ASSERT_EQ(back->demand[0].usage_quantiles.size(), 3u);
    EXPECT_TRUE(Same(back->demand[0].usage_quantiles[i], e.demand[0].usage_quantiles[i]));
  }
  EXPECT_EQ(back->demand[0].model, "ets");
  EXPECT_TRUE(back->demand[1].levels.empty());
  ASSERT_EQ(back->risks.size(), 2u);
  const HostRisk& r = back->risks[0];
  EXPECT_EQ(r.host, "node-2");
  EXPECT_EQ(r.component, "disk");
  EXPECT_EQ(r.p_fail, 0.83);
  EXPECT_EQ(r.horizon_ms, kHourMs);
  EXPECT_EQ(r.time_to_failure_ms, std::optional<DurationMs>(1234));
  EXPECT_EQ(r.health, 17.5);
  EXPECT_EQ(r.tier, AlertTier::kCritical);
  EXPECT_EQ(r.root_cause, "smart_197");
  EXPECT_EQ(r.entropy, 0.25);
  EXPECT_EQ(r.entropy_forecast, 0.75);
  EXPECT_TRUE(Same(r.entropy_drivers, e.risks[0].entropy_drivers));
  EXPECT_EQ(r.model, "xgboost-v3");
  EXPECT_FALSE(back->risks[1].time_to_failure_ms.has_value());
  EXPECT_EQ(back->message, "");
  // And the re-encoding is byte-identical.
  EXPECT_EQ(EncodeAuditEntry(*back), bytes);
}

TEST(AuditCodecTest, EntryWithoutActionOrOutcomeRoundTrips) {
  AuditEntry e;
  e.seq = 0;
  e.t = 5;
  e.kind = "preference";
  e.message = "web-3: prefer migration";
  auto back = DecodeAuditEntry(EncodeAuditEntry(e));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_FALSE(back->action.has_value());
  EXPECT_FALSE(back->outcome.has_value());
  EXPECT_EQ(back->message, "web-3: prefer migration");
}

TEST(AuditCodecTest, JsonUsesNamesEpochMsAndNonFiniteStrings) {
  ActionOutcome o;
  o.action_id = 12;
  o.type = ActionType::kMigrate;
  o.workload = "web-3";
  o.outcome = Outcome::kRolledBack;
  o.t = 1700000000000;
  o.detail = "x";
  o.observed_utilization = -kInf;
  // Written out by hand from the field list in docs/formats/audit.md.
  const nlohmann::json want = nlohmann::json::parse(R"({"action_id": 12, "type": "migrate",
      "workload": "web-3", "outcome": "rolled_back", "t": 1700000000000, "detail": "x",
      "observed_utilization": "-Inf"})");
  EXPECT_EQ(ToJson(o), want);
  EXPECT_EQ(
      ToJson(Rv(1, kNaN, kInf, 0.5)),
      nlohmann::json::parse(R"({"cpu": 1, "memory": "NaN", "network": "+Inf", "disk_io": 0.5})"));
  const std::string bytes = EncodeAuditEntry(AuditEntry{});
  EXPECT_NE(bytes.find("\"v\":1"), std::string::npos) << bytes;
}

TEST(AuditCodecTest, PlanJsonListsActionsDeferredAndAlerts) {
  ActionPlan p;
  p.t = 99;
  p.actions = {FullAction()};
  p.deferred = {Action{}, Action{}};
  p.degraded = true;
  p.alerts = {"critical: inventory cannot fit current load"};
  const nlohmann::json j = ToJson(p);
  EXPECT_EQ(j["t"], 99);
  EXPECT_EQ(j["actions"].size(), 1u);
  EXPECT_EQ(j["actions"][0]["type"], "migrate");
  EXPECT_EQ(j["deferred"].size(), 2u);
  EXPECT_EQ(j["degraded"], true);
  EXPECT_EQ(j["alerts"][0], "critical: inventory cannot fit current load");
  auto a = ActionFromJson(j["actions"][0]);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  ExpectSameAction(*a, FullAction());
}

TEST(AuditCodecTest, MalformedOrUnknownVersionIsRejected) {
  struct Case {
    std::string name;
    std::string bytes;
    std::string want_in_message;
  };
  const std::vector<Case> cases = {
      {"empty", "", "malformed JSON"},
      {"truncated", R"({"v":1,"kind":"decision")", "malformed JSON"},
      {"not an object", "[1,2]", "not an object"},
      {"no version", R"({"kind":"decision"})", "no \"v\""},
      {"newer version", R"({"v":2,"kind":"decision"})", "unknown version 2"},
      {"version as string", R"({"v":"1","kind":"decision"})", "unknown version"},
      {"no kind", R"({"v":1,"seq":1})", "kind: missing"},
      {"kind not a string", R"({"v":1,"kind":3})", "kind: expected a string"},
      {"negative seq", R"({"v":1,"kind":"x","seq":-1})", "seq: expected a non-negative integer"},
      {"fractional time", R"({"v":1,"kind":"x","t":1.5})", "t: expected an integer"},
      {"unknown action type", R"({"v":1,"kind":"x","action":{"type":"teleport"}})",
       "action.type: unknown value 'teleport'"},
      {"action not an object", R"({"v":1,"kind":"x","action":[]})", "action: not an object"},
      {"unknown resource", R"({"v":1,"kind":"x","action":{"before":{"gpu":1}}})",
       "action.before: unknown resource 'gpu'"},
      {"replicas out of int range", R"({"v":1,"kind":"x","action":{"replicas_after":4294967296}})",
       "action.replicas_after: out of range"},
      {"rejected not an array", R"({"v":1,"kind":"x","action":{"rejected":{}}})",
       "action.rejected: expected an array"},
      {"unknown outcome", R"({"v":1,"kind":"x","outcome":{"outcome":"exploded"}})",
       "outcome.outcome: unknown value 'exploded'"},
      {"bad non-finite spelling", R"({"v":1,"kind":"x","outcome":{"observed_utilization":"inf"}})",
       "outcome.observed_utilization: expected a number"},
      {"demand not an array", R"({"v":1,"kind":"x","demand":{}})", "demand: expected an array"},
      {"bad level", R"({"v":1,"kind":"x","demand":[{"levels":[0.5,"x"]}]})",
       "demand[0].levels[1]: expected a number"},
      {"bad risk tier", R"({"v":1,"kind":"x","risks":[{},{"tier":"apocalyptic"}]})",
       "risks[1].tier: unknown value 'apocalyptic'"},
      {"bad p_fail", R"({"v":1,"kind":"x","risks":[{"p_fail":true}]})",
       "risks[0].p_fail: expected a number"},
      {"huge integer", R"({"v":1,"kind":"x","t":18446744073709551615})", "t: expected an integer"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = DecodeAuditEntry(c.bytes);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find(c.want_in_message), std::string::npos) << r.error().message;
  }
}

TEST(AuditCodecTest, DecisionEntryKeepsOnlyThePredictionsAboutItsTargets) {
  PlannerInput in;
  in.now = 777;
  auto risk = [](const std::string& host, const std::string& component) {
    HostRisk r;
    r.host = host;
    r.component = component;
    return r;
  };
  auto demand = [](const std::string& w) {
    WorkloadDemand d;
    d.workload = w;
    return d;
  };
  in.risks = {risk("node-2", ""), risk("node-3", ""), risk("node-7", "disk"),
              risk("node-2", "memory"), risk("", "")};
  in.demand = {demand("web-3"), demand("db"), demand("")};
  Action a;
  a.type = ActionType::kMigrate;
  a.workload = "web-3";
  a.host = "node-2";
  a.target_host = "node-7";
  const AuditEntry e = DecisionEntry(a, in);
  EXPECT_EQ(e.t, 777);
  EXPECT_EQ(e.kind, "decision");
  ASSERT_TRUE(e.action.has_value());
  EXPECT_EQ(e.action->target_host, "node-7");
  ASSERT_EQ(e.risks.size(), 3u);  // node-2, node-7/disk, node-2/memory (input order)
  EXPECT_EQ(e.risks[0].host, "node-2");
  EXPECT_EQ(e.risks[1].component, "disk");
  EXPECT_EQ(e.risks[2].component, "memory");
  ASSERT_EQ(e.demand.size(), 1u);
  EXPECT_EQ(e.demand[0].workload, "web-3");

  ActionOutcome o;
  o.action_id = 3;
  o.t = 888;
  o.outcome = Outcome::kVerified;
  const AuditEntry oe = OutcomeEntry(o);
  EXPECT_EQ(oe.t, 888);
  EXPECT_EQ(oe.kind, "outcome");
  ASSERT_TRUE(oe.outcome.has_value());
  EXPECT_EQ(oe.outcome->action_id, 3u);
  EXPECT_FALSE(oe.action.has_value());
}

TEST(AuditCodecTest, ExplainGivesOneOrTwoLines) {
  Action migrate;
  migrate.id = 12;
  migrate.type = ActionType::kMigrate;
  migrate.workload = "web-3";
  migrate.host = "node-2";
  migrate.target_host = "node-7";
  migrate.rule = "migrate_off_failing_host";
  migrate.reason = "p_fail 0.83 ≥ 0.50 within 1h, root cause smart_197";
  migrate.rejected = {{"node-4", "cpu 7.5 > free 4.0"}};
  migrate.shadow = true;

  Action scale;
  scale.type = ActionType::kScaleUp;
  scale.workload = "db";
  scale.host = "n2";
  scale.before[Resource::kCpu] = 2;
  scale.after[Resource::kCpu] = 4.5;
  scale.rule = "scale_ahead";

  Action resize;
  resize.type = ActionType::kResizePool;
  resize.pool = "batch";
  resize.nodes_before = 3;
  resize.nodes_after = 5;
  resize.rejected = {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}};

  HostRisk risk;
  risk.host = "node-2";
  risk.component = "disk";
  risk.p_fail = 0.83;
  risk.horizon_ms = kHourMs;
  risk.model = "xgboost-v3";
  WorkloadDemand demand;
  demand.workload = "web-3";
  demand.levels = {0.5, 0.9};
  demand.quantiles = {Rv(1, 2, 0, 0), Rv(6, 8, 0, 0)};
  demand.model = "ets";

  ActionOutcome rolled;
  rolled.action_id = 12;
  rolled.type = ActionType::kMigrate;
  rolled.workload = "web-3";
  rolled.outcome = Outcome::kRolledBack;
  rolled.detail = "verification failed: web-3 not ready on node-7";

  struct Case {
    std::string name;
    AuditEntry entry;
    std::string want;
  };
  auto decision = [](const Action& a, std::vector<HostRisk> risks = {},
                     std::vector<WorkloadDemand> demand = {}) {
    AuditEntry e;
    e.kind = "decision";
    e.action = a;
    e.risks = std::move(risks);
    e.demand = std::move(demand);
    return e;
  };
  AuditEntry outcome_entry;
  outcome_entry.kind = "outcome";
  outcome_entry.outcome = rolled;
  AuditEntry alert;
  alert.kind = "alert";
  alert.message = "critical: inventory cannot fit current load";
  const std::vector<Case> cases = {
      {"the issue's migration example", decision(migrate),
       "migrate web-3 node-2 → node-7 (migrate_off_failing_host: p_fail 0.83 ≥ 0.50 within 1h, "
       "root cause smart_197; rejected node-4: cpu 7.5 > free 4.0) [shadow]"},
      {"scale-up shows the changed resource", decision(scale),
       "scale_up db on n2 cpu 2 → 4.5 (scale_ahead)"},
      {"at most three rejected alternatives inline", decision(resize),
       "resize_pool pool batch nodes 3 → 5 (rejected a: 1; rejected b: 2; rejected c: 3 (+1 "
       "more))"},
      {"inputs on a second line", decision(scale, {risk}, {demand}),
       "scale_up db on n2 cpu 2 → 4.5 (scale_ahead)\n"
       "  inputs: node-2/disk p_fail 0.83 within 1h (xgboost-v3); web-3 demand p90 cpu 6 memory 8 "
       "(ets)"},
      {"outcome", outcome_entry,
       "#12 migrate web-3: rolled_back (verification failed: web-3 not ready on node-7)"},
      {"alert", alert, "alert: critical: inventory cannot fit current load"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Explain(c.entry), c.want);
  }
}

}  // namespace
}  // namespace prognos::policy
