// End-to-end runs of the simulator on short scenarios. The demand traces are small synthetic
// Bitbrains-format files written per test (a daily sine; labelled synthetic, never real data), so
// these tests need nothing from ../shared; the Backblaze test skips when the data is absent.
#include "sim/runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sim/scenario.h"

namespace prognos::sim {
namespace {

class SimRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (std::filesystem::temp_directory_path() / "sim-run-XXXXXX").string();
    dir_ = mkdtemp(t.data());
    // Three synthetic VMs, 3 days of 5-minute rows: 2 cores of 2500 MHz; usage
    // (0.5 + 0.25 · sin(2π · day fraction + phase)) · scale cores, 1 GiB (+ 0.2 GiB · sin).
    for (int vm = 1; vm <= 3; ++vm) {
      std::ofstream out(dir_ + "/" + std::to_string(vm) + ".csv");
      out << "Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\t"
             "Memory usage [KB]\n";
      for (int k = 0; k < 3 * 288; ++k) {
        const double phase = 2 * M_PI * (k % 288) / 288.0 + vm;
        const double cores = (0.5 + 0.25 * std::sin(phase)) * vm;
        const double gib = 1.0 + 0.2 * std::sin(phase);
        out << 1372636800 + k * 300 << ";\t2;\t5000;\t" << cores * 2500 << ";\t"
            << gib * 1024 * 1024 << "\n";
      }
    }
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // A small scenario: 4 hosts of 8 cores, 3 workloads, 12 h after a 1 day warm-up.
  std::string Yaml(const std::string& extra) const {
    return "name: test\nseed: 3\nduration: 12h\nwarmup: 1d\ncluster:\n  hosts: 4\n"
           "  host_cores: [8]\n  zones: [a, b]\n  pools:\n    - {id: p, node_cores: 8, "
           "node_memory_gib: 32, lead_time: 10m, max: 2}\nworkloads:\n  count: 3\n"
           "  trace: {source: bitbrains, path: " +
           dir_ + "}\n  replicas: 2\n" + extra;
  }

  Scenario Parse(const std::string& extra) const {
    auto s = ParseScenario(Yaml(extra), "test.yaml", {});
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
    return s ? *s : Scenario{};
  }

  static RunResult MustRun(const Scenario& s, PolicyKind p, std::uint64_t seed,
                           const RunOptions& o = {}) {
    auto r = RunScenario(s, p, seed, o);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r ? *r : RunResult{};
  }

  // Index of the host workload wl-000 is placed on (from a report's placement).
  static int HostOfFirstWorkload(const RunResult& r) {
    const std::string host = r.report["placement"][0]["host"].get<std::string>();
    return std::stoi(host.substr(host.find('-') + 1));
  }

  std::string dir_;
};

TEST_F(SimRunTest, SameScenarioAndSeedGiveAByteIdenticalReport) {
  const Scenario s = Parse("faults:\n  - {type: memory_errors, precursor: 2h, at: 6h}\n");
  for (PolicyKind p :
       {PolicyKind::kProactive, PolicyKind::kReactive, PolicyKind::kVpa, PolicyKind::kNone}) {
    SCOPED_TRACE(std::string(PolicyKindName(p)));
    const std::string a = MustRun(s, p, 5).report.dump(2);
    const std::string b = MustRun(s, p, 5).report.dump(2);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, MustRun(s, p, 6).report.dump(2));  // the seed matters (placement, sizes)
  }
}

TEST_F(SimRunTest, ReportHasTheDesignKeysPlacementAndFaults) {
  const Scenario s = Parse("faults:\n  - {type: host, precursor: none, at: 6h}\n");
  const RunResult r = MustRun(s, PolicyKind::kReactive, 1);
  for (const char* key :
       {"policy", "sla_violation_minutes", "resource_cost", "slack_pct", "actions", "migrations",
        "failed_migrations", "rollbacks", "preemptions", "mean_lead_time_s", "predicted_failures",
        "actual_failures", "failures_avoided", "data_lost_bytes", "seed", "hosts", "placement",
        "faults"}) {
    SCOPED_TRACE(key);
    EXPECT_TRUE(r.report.contains(key));
  }
  EXPECT_EQ(r.report["placement"].size(), 3U);
  ASSERT_EQ(r.report["faults"].size(), 1U);
  EXPECT_EQ(r.report["faults"][0]["origin"], "synthetic");
  EXPECT_EQ(r.report["faults"][0]["preceded"], false);
  EXPECT_EQ(r.report["actual_failures"], 1);
  EXPECT_NE(RenderSvg(r, "t").find("<polyline"), std::string::npos);
}

// A whole-host failure without precursor under `none`: the workload on it is down from the
// fault until the shared scheduler restarts it 300 s later: 20 ticks of 15 s = 5.0 minutes.
TEST_F(SimRunTest, FailedHostsWorkloadsRestartElsewhereAfter300Seconds) {
  const Scenario probe = Parse("");
  const int host = HostOfFirstWorkload(MustRun(probe, PolicyKind::kNone, 1));
  int others = 0;  // other workloads on the same host also go down
  const RunResult p = MustRun(probe, PolicyKind::kNone, 1);
  for (const auto& w : p.report["placement"]) {
    others += w["host"] == p.report["placement"][0]["host"] ? 1 : 0;
  }
  const Scenario s = Parse("faults:\n  - {type: host, host: " + std::to_string(host) +
                           ", precursor: none, at: 6h, duration: 2h}\n");
  const RunResult r = MustRun(s, PolicyKind::kNone, 1);
  EXPECT_DOUBLE_EQ(r.report["sla"]["down_minutes"].get<double>(), 5.0 * others);
  EXPECT_EQ(r.report["restarts"].get<int>(), others);
  EXPECT_EQ(r.report["faults"][0]["workloads_on_host_at_fault"].get<int>(), others);
  EXPECT_EQ(r.report["failures_avoided"].get<int>(), 0);
}

// Burstable CPU (cluster.cpu_qos): demand above the request runs on idle CPU and is not a
// violation by itself; only memory above its request (OOM) or a contended host is. Synthetic VMs
// with flat memory (1 GiB) and 1 core of CPU that jumps to 5 cores in one slot of 50: the
// initial allocation (P95 of the warm-up day / 0.7 = 1.43 cores) is below every jump and memory
// never leaves it. Under `none` on hosts of 64 cores (no contention), guaranteed counts every
// jump as a violation; burstable counts the same minutes above the request and no violation.
TEST_F(SimRunTest, BurstableCpuAboveTheRequestIsNotAViolationOnAnIdleHost) {
  const std::string spiky = dir_ + "/spiky";
  std::filesystem::create_directory(spiky);
  for (int vm = 1; vm <= 3; ++vm) {
    std::ofstream out(spiky + "/" + std::to_string(vm) + ".csv");
    out << "Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\t"
           "Memory usage [KB]\n";
    for (int k = 0; k < 3 * 288; ++k) {
      const double cores = (k + vm) % 50 == 0 ? 5.0 : 1.0;
      out << 1372636800 + k * 300 << ";\t8;\t20000;\t" << cores * 2500 << ";\t" << 1024 * 1024
          << "\n";
    }
  }
  std::string yaml = Yaml("");
  yaml.replace(yaml.find(dir_), dir_.size(), spiky);
  auto parsed = ParseScenario(yaml, "test.yaml", {});
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  Scenario s = *parsed;
  s.host_cores = {64};
  const RunResult g = MustRun(s, PolicyKind::kNone, 1);
  s.cpu_qos = CpuQos::kBurstable;
  const RunResult b = MustRun(s, PolicyKind::kNone, 1);
  EXPECT_EQ(g.report["cpu_qos"], "guaranteed");
  EXPECT_EQ(b.report["cpu_qos"], "burstable");
  const double above = g.report["sla"]["cpu_above_request_minutes"].get<double>();
  EXPECT_GT(above, 0);
  EXPECT_DOUBLE_EQ(g.report["sla_violation_minutes"].get<double>(), above);
  EXPECT_DOUBLE_EQ(b.report["sla"]["cpu_above_request_minutes"].get<double>(), above);
  EXPECT_DOUBLE_EQ(b.report["sla"]["throttled_minutes"].get<double>(), 0);
  EXPECT_DOUBLE_EQ(b.report["sla_violation_minutes"].get<double>(), 0);
}

// A CPU throttle fault leaves the host 0.02 x 8 = 0.16 cores for 2 h, below every VM's lowest
// demand (0.25 cores), so each workload on it is short of CPU for the whole 120 minutes (to a
// tick of 15 s). Burstable counts that as throttled; guaranteed as degraded (the host's load is
// above its capacity), never as throttled.
TEST_F(SimRunTest, BurstableCpuIsThrottledWhenItsHostIsContended) {
  const RunResult probe = MustRun(Parse(""), PolicyKind::kNone, 1);
  const int host = HostOfFirstWorkload(probe);
  int on_host = 0;
  for (const auto& w : probe.report["placement"]) {
    on_host += w["host"] == probe.report["placement"][0]["host"] ? 1 : 0;
  }
  Scenario s = Parse("faults:\n  - {type: cpu_throttle, host: " + std::to_string(host) +
                     ", precursor: none, at: 6h, duration: 2h, factor: 0.02}\n");
  const RunResult g = MustRun(s, PolicyKind::kNone, 1);
  s.cpu_qos = CpuQos::kBurstable;
  const RunResult b = MustRun(s, PolicyKind::kNone, 1);
  EXPECT_NEAR(b.report["sla"]["throttled_minutes"].get<double>(), 120.0 * on_host, 0.25 * on_host);
  EXPECT_DOUBLE_EQ(g.report["sla"]["throttled_minutes"].get<double>(), 0);
  EXPECT_NEAR(g.report["sla"]["degraded_minutes"].get<double>(), 120.0 * on_host, 0.25 * on_host);
}

TEST_F(SimRunTest, BaselinesAct) {
  // Demand grows 3x over 12 h: HPA adds replicas, VPA raises requests, none does nothing.
  const Scenario s = Parse("  growth: 2.0\n");
  const RunResult reactive = MustRun(s, PolicyKind::kReactive, 1);
  const RunResult vpa = MustRun(s, PolicyKind::kVpa, 1);
  const RunResult none = MustRun(s, PolicyKind::kNone, 1);
  EXPECT_GT(reactive.report["actions"].get<int>(), 0);
  EXPECT_GT(vpa.report["actions"].get<int>(), 0);
  EXPECT_EQ(none.report["actions"].get<int>(), 0);
  EXPECT_LT(reactive.report["sla_violation_minutes"].get<double>(),
            none.report["sla_violation_minutes"].get<double>());
}

// Each fault type with a precursor: the controller's audit shows a migration decision off the
// faulty host before the fault, and the report counts the fault as migrated before it.
TEST_F(SimRunTest, EachFaultTypeWithPrecursorTriggersAMigrationBeforeTheFault) {
  const Scenario probe = Parse("");
  const RunResult placed = MustRun(probe, PolicyKind::kNone, 1);
  const int host = HostOfFirstWorkload(placed);
  const std::string host_id = placed.report["placement"][0]["host"].get<std::string>();
  for (const char* type :
       {"memory_errors", "cpu_throttle", "network_outage", "network_latency", "host"}) {
    SCOPED_TRACE(type);
    const Scenario s =
        Parse(std::string("faults:\n  - {type: ") + type + ", host: " + std::to_string(host) +
              ", precursor: 3h, at: 8h, duration: 2h}\n");
    const TimestampMs fault_at = 1372636800000 + kDayMs + 8 * kHourMs;
    std::vector<policy::AuditEntry> migrations;
    RunOptions o;
    o.on_audit = [&](const policy::AuditEntry& e) {
      if (e.kind == "decision" && e.action && e.action->type == policy::ActionType::kMigrate &&
          e.action->host == host_id) {
        migrations.push_back(e);
      }
    };
    const RunResult r = MustRun(s, PolicyKind::kProactive, 1, o);
    ASSERT_FALSE(migrations.empty()) << r.report["audit"].dump();
    EXPECT_LT(migrations.front().t, fault_at);
    EXPECT_FALSE(migrations.front().action->target_host.empty());
    EXPECT_EQ(r.report["faults"][0]["migrated_before_fault"], true) << r.report["faults"].dump();
    EXPECT_EQ(r.report["predicted_failures"].get<int>(), 1);
  }
}

// Every migration fails midway: the plan runner sees Verify fail and rolls the migration back;
// the workload is still on its source host and the report counts the failure and the rollback.
TEST_F(SimRunTest, AMigrationFailingMidwayIsRolledBack) {
  const Scenario probe = Parse("");
  const RunResult placed = MustRun(probe, PolicyKind::kNone, 1);
  const int host = HostOfFirstWorkload(placed);
  const std::string host_id = placed.report["placement"][0]["host"].get<std::string>();
  const Scenario s = Parse(
      "delays: {migration: 2m, migration_failure_rate: 1.0}\nfaults:\n"
      "  - {type: memory_errors, host: " +
      std::to_string(host) + ", precursor: 3h, at: 8h, duration: 2h}\n");
  std::vector<policy::ActionOutcome> rolled_back;
  RunOptions o;
  o.on_audit = [&](const policy::AuditEntry& e) {
    if (e.outcome && e.outcome->outcome == policy::Outcome::kRolledBack &&
        e.outcome->type == policy::ActionType::kMigrate) {
      rolled_back.push_back(*e.outcome);
    }
  };
  const RunResult r = MustRun(s, PolicyKind::kProactive, 1, o);
  EXPECT_FALSE(rolled_back.empty()) << r.report["audit"].dump();
  EXPECT_GE(r.report["failed_migrations"].get<int>(), 1);
  EXPECT_GE(r.report["rollbacks"].get<int>(), 1);
  // Nothing could leave the host: the fault hits its workloads.
  EXPECT_EQ(r.report["faults"][0]["migrated_before_fault"], false);
}

TEST_F(SimRunTest, BackblazeDiskFaultFollowsARealFailedDrive) {
  const std::string bb = std::string(PROGNOS_SOURCE_DIR) + "/../shared/data/backblaze_2013/daily";
  if (!std::filesystem::exists(bb)) GTEST_SKIP() << "shared data absent";
  const Scenario s =
      Parse("  data_gib: 10\nfaults:\n  - {type: disk, precursor: 6h, at: 8h, path: " + bb + "}\n");
  const RunResult r = MustRun(s, PolicyKind::kNone, 1);
  const auto& f = r.report["faults"][0];
  EXPECT_EQ(f["origin"], "backblaze");
  EXPECT_FALSE(f["drive"]["serial"].get<std::string>().empty());
  EXPECT_EQ(r.report["backblaze"]["failed_drives"], 43);
  // `none` never moves anything: every workload on the host loses its 10 GiB.
  const double lost = f["workloads_on_host_at_fault"].get<double>() * 10 * 1024 * 1024 * 1024;
  EXPECT_DOUBLE_EQ(r.report["data_lost_bytes"].get<double>(), lost);
  // The breakdown: all of it on the one fault, warned or not as its drive was; no move caused it.
  const bool warned = f["preceded"].get<bool>();
  EXPECT_DOUBLE_EQ(r.report["data_lost_preceded_bytes"].get<double>(), warned ? lost : 0.0);
  EXPECT_DOUBLE_EQ(r.report["data_lost_unpreceded_bytes"].get<double>(), warned ? 0.0 : lost);
  EXPECT_DOUBLE_EQ(r.report["data_lost_by_move_bytes"].get<double>(), 0.0);
  if (f["preceded"].get<bool>()) {
    // history_days real days shown in 6 h: compression = days · 24 h / 6 h.
    EXPECT_NEAR(f["drive"]["time_compression"].get<double>(),
                f["drive"]["history_days"].get<double>() * 4, 0.05);
  }
}

// A disk fault without any precursor (SMART never moved: nothing to predict) under the workloads
// of wl-000's host. With data_protection (copies 2, spread zone) the proactive policy made their
// copies in the warm-up: every workload on the host fails over, 0 bytes lost. Without it the same
// run loses data_gib (10 GiB) per workload on the host.
TEST_F(SimRunTest, ADiskFaultWithoutPrecursorLosesNothingUnderDataProtection) {
  const std::string bb = std::string(PROGNOS_SOURCE_DIR) + "/../shared/data/backblaze_2013/daily";
  if (!std::filesystem::exists(bb)) GTEST_SKIP() << "shared data absent";
  const int host = HostOfFirstWorkload(MustRun(Parse(""), PolicyKind::kNone, 1));
  const std::string fault =
      "  data_gib: 10\nfaults:\n  - {type: disk, host: " + std::to_string(host) +
      ", precursor: none, at: 6h, path: " + bb + "}\n";
  const Scenario plain = Parse(fault);
  const Scenario protected_ =
      Parse(fault + "policy:\n  data_protection: {copies: 2, spread: zone}\n");
  ASSERT_EQ(protected_.policy.data_protection.copies, 2);

  const RunResult lost = MustRun(plain, PolicyKind::kProactive, 1);
  const double on_host = lost.report["faults"][0]["workloads_on_host_at_fault"].get<double>();
  ASSERT_GE(on_host, 1);
  EXPECT_FALSE(lost.report["faults"][0]["preceded"].get<bool>());
  EXPECT_DOUBLE_EQ(lost.report["data_lost_bytes"].get<double>(),
                   on_host * 10 * 1024 * 1024 * 1024.0);
  EXPECT_EQ(lost.report["data_protection"]["copies_created"], 0);
  EXPECT_EQ(lost.report["data_protection"]["failovers"], 0);

  std::vector<policy::AuditEntry> audit;
  RunOptions o;
  o.on_audit = [&audit](const policy::AuditEntry& e) { audit.push_back(e); };
  const RunResult kept = MustRun(protected_, PolicyKind::kProactive, 1, o);
  EXPECT_DOUBLE_EQ(kept.report["faults"][0]["workloads_on_host_at_fault"].get<double>(), on_host);
  EXPECT_DOUBLE_EQ(kept.report["data_lost_bytes"].get<double>(), 0.0);
  const auto& dp = kept.report["data_protection"];
  EXPECT_EQ(dp["copies"], 2);
  EXPECT_EQ(dp["failovers"].get<double>(), on_host);
  // One copy per workload (3) made in the warm-up, before the measured period.
  EXPECT_EQ(dp["copies_created_in_warmup"], 3);
  EXPECT_GT(dp["copy_gib_hours"].get<double>(), 0);
  EXPECT_GT(kept.report["cost"]["copy_storage"].get<double>(), 0);
  // The audit holds the planner's replicate decisions, each to a host in the other zone: 3 in
  // the warm-up, then new ones after the fault (the failed-over workloads, the copies that died
  // with the disk) and when a copy's host is drained.
  int replicate_decisions = 0;
  for (const auto& e : audit) {
    if (e.kind != "decision" || !e.action || e.action->type != policy::ActionType::kReplicate ||
        e.action->rule == "drop_stale_copy") {  // (a copy on a host drained later is dropped)
      continue;
    }
    ++replicate_decisions;
    EXPECT_EQ(e.action->rule, "protect_data") << e.action->reason;
    // Zones alternate a, b over host-000 … host-003: the copy's host index has the other parity.
    const int from = std::stoi(e.action->host.substr(5));
    const int to = std::stoi(e.action->target_host.substr(5));
    EXPECT_NE(from % 2, to % 2) << e.action->reason;
  }
  EXPECT_GE(replicate_decisions, 3);
  // Determinism: the same seed gives a byte-identical report.
  EXPECT_EQ(kept.report.dump(2), MustRun(protected_, PolicyKind::kProactive, 1).report.dump(2));
}

// The slack breakdown against perfect foresight, worked out here from the synthetic traces
// (SetUp's formula) and the report's placement: under `none` (fixed allocation, no faults) every
// workload runs every measured tick; the oracle slack over n steps is
// Σ_k (max(d_k … d_k+n) − d_k) / Σ_k max(d_k … d_k+n) over the measured steps k = 288 … 431
// (1 day warm-up, 12 h measured; every step has 20 ticks, so ticks cancel).
TEST_F(SimRunTest, SlackBreakdownMatchesPerfectForesightPeaksWorkedOutFromTheTraces) {
  const Scenario s = Parse("");
  const RunResult r = MustRun(s, PolicyKind::kNone, 2);
  const auto& b = r.report["slack_breakdown"];
  auto demand = [](int vm, long slot) {
    const long k = slot % (3 * 288);
    return (0.5 + 0.25 * std::sin(2 * M_PI * static_cast<double>(k % 288) / 288.0 + vm)) * vm;
  };
  for (const auto& [key, steps] :
       std::vector<std::pair<std::string, int>>{{"5m", 1}, {"15m", 3}, {"1h", 12}}) {
    SCOPED_TRACE(key);
    double peak_sum = 0;
    double slack_sum = 0;
    for (const auto& p : r.report["placement"]) {
      const std::string trace = p["trace"].get<std::string>();
      const int vm = std::stoi(trace.substr(trace.find('/') + 1));
      const long offset = p["offset_s"].get<long>() / 300;
      for (long k = 288; k < 288 + 144; ++k) {
        double peak = 0;
        for (int j = 0; j <= steps; ++j) peak = std::max(peak, demand(vm, offset + k + j));
        peak_sum += peak;
        slack_sum += peak - demand(vm, offset + k);
      }
    }
    // The report rounds to 0.01 percentage points.
    EXPECT_NEAR(b["oracle_peak_slack_pct"][key].get<double>(), 100 * slack_sum / peak_sum, 0.006);
  }
  // The three parts split the run's slack (each rounded to 0.01).
  EXPECT_NEAR(b["horizon_variability_pct"].get<double>() + b["headroom_pct"].get<double>() +
                  b["above_peak_and_headroom_pct"].get<double>(),
              r.report["slack_pct"].get<double>(), 0.02);
  // Three workloads: the per-workload shares cover all the slack.
  double share = 0;
  for (const auto& w : b["top_workloads"]) share += w["share_of_slack_pct"].get<double>();
  EXPECT_EQ(b["top_workloads"].size(), 3U);
  EXPECT_NEAR(share, 100.0, 0.02);
}

}  // namespace
}  // namespace prognos::sim
