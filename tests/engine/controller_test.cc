// The control loop end to end on virtual time: telemetry into the real engine, the controller's
// predictions, the planner's decisions, the dry-run actuator and the audit trail. The telemetry
// here is synthetic (seeded, described in each test); real data runs are in tests/sim and replay.
#include "engine/controller.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "actuate/dry_run_actuator.h"
#include "engine/engine.h"
#include "policy/audit_codec.h"
#include "store/audit_log.h"
#include "store/blob_store.h"

namespace prognos::engine {
namespace {

constexpr DurationMs kStep = 5 * kMinuteMs;
constexpr TimestampMs kStart = 1700000000000;

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "prognos-ctl-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    EngineOptions o;
    o.storage.dir = dir_ + "/store";
    o.storage.fsync = store::FsyncPolicy::kNever;
    o.future_tolerance_ms = 0;
    auto e = Engine::Open(o, clock_, metrics_);
    ASSERT_TRUE(e.has_value());
    engine_ = std::move(*e);
  }
  void TearDown() override {
    controller_.reset();
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Three 16-core hosts in one zone; w1 (2 cores × 1, high criticality) on h1, w2 on h2.
  static policy::Inventory Cluster() {
    policy::Inventory inv;
    for (const char* id : {"h1", "h2", "h3"}) {
      policy::Host h;
      h.id = id;
      h.zone = "a";
      h.capacity[policy::Resource::kCpu] = 16;
      h.capacity[policy::Resource::kMemory] = 64;
      h.cost_per_hour = 1.0;
      inv.hosts.push_back(h);
    }
    policy::Workload w1;
    w1.id = "w1";
    w1.host = "h1";
    w1.request[policy::Resource::kCpu] = 2;
    w1.request[policy::Resource::kMemory] = 4;
    w1.criticality = policy::Criticality::kHigh;
    w1.priority = 10;
    policy::Workload w2 = w1;
    w2.id = "w2";
    w2.host = "h2";
    w2.criticality = policy::Criticality::kMedium;
    w2.priority = 5;
    inv.workloads = {w1, w2};
    return inv;
  }

  void Start(ControllerOptions o, store::AuditLog* audit = nullptr) {
    controller_ = std::make_unique<Controller>(
        *engine_, std::move(o), actuator_, audit,
        [this](const policy::AuditEntry& e) { entries_.push_back(e); });
  }

  void Send(const std::string& host, const std::string& component, const std::string& indicator,
            TimestampMs t, double v) {
    std::vector<Label> pairs = {{std::string(kMetricNameLabel), indicator},
                                {std::string(kHostLabel), host}};
    if (!component.empty()) pairs.push_back({std::string(kComponentLabel), component});
    auto labels = Labels::FromUnsorted(pairs);
    ASSERT_TRUE(labels.has_value());
    batch_.push_back({*labels, {t, v}, 1});
  }
  void Flush() {
    auto r = engine_->IngestParsed(batch_, {}, 0);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->accepted_samples, batch_.size());
    batch_.clear();
  }

  std::vector<const policy::AuditEntry*> DecisionsOf(policy::ActionType type,
                                                     const std::string& workload) const {
    std::vector<const policy::AuditEntry*> out;
    for (const auto& e : entries_) {
      if (e.kind == "decision" && e.action && e.action->type == type &&
          e.action->workload == workload) {
        out.push_back(&e);
      }
    }
    return out;
  }

  std::string dir_;
  FakeClock clock_{kStart};
  MetricsRegistry metrics_;
  std::unique_ptr<Engine> engine_;
  actuate::DryRunActuator actuator_{[](std::string_view) {}};
  std::unique_ptr<Controller> controller_;
  std::vector<policy::AuditEntry> entries_;
  std::vector<ingest::ParsedSample> batch_;
};

// Two days of quiet telemetry (temperatures around 55 °C, no memory errors), then h1's ECC counter
// climbs and its temperature rises for two hours before it would fail. The controller must not
// migrate during the quiet days (noise is not a failing host) and must move w1 off h1 during the
// ramp, to h2 or h3, with the evidence in the audit entry.
TEST_F(ControllerTest, MigratesAWorkloadOffAHostWhoseErrorsClimbAndNotBefore) {
  ControllerOptions o;
  o.inventory = Cluster();
  Start(o);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 1.0);
  const int quiet_steps = 2 * 288;
  const int ramp_steps = 24;
  TimestampMs first_migrate = 0;
  for (int i = 0; i < quiet_steps + ramp_steps; ++i) {
    const TimestampMs t = kStart + i * kStep;
    for (const char* h : {"h1", "h2", "h3"}) {
      const bool ramp = std::string(h) == "h1" && i >= quiet_steps;
      const int k = i - quiet_steps;
      Send(h, "", "cpu_temp_c", t, 55 + noise(rng) + (ramp ? 1.5 * k : 0.0));
      Send(h, "", "ecc_errors", t, ramp ? 3.0 * k * k : 0.0);
    }
    Send("h1", "w1", "cpu_cores", t, 1.0 + 0.05 * noise(rng));
    Send("h2", "w2", "cpu_cores", t, 1.0 + 0.05 * noise(rng));
    Flush();
    clock_.Set(t);
    controller_->Tick(t);
    if (first_migrate == 0 && !DecisionsOf(policy::ActionType::kMigrate, "w1").empty()) {
      first_migrate = t;
    }
  }
  ASSERT_NE(first_migrate, 0) << "no migration of w1 during the ramp";
  EXPECT_GE(first_migrate, kStart + quiet_steps * kStep) << "migrated on noise";
  const auto* e = DecisionsOf(policy::ActionType::kMigrate, "w1").front();
  EXPECT_EQ(e->action->host, "h1");
  EXPECT_TRUE(e->action->target_host == "h2" || e->action->target_host == "h3");
  EXPECT_FALSE(e->action->rule.empty());
  EXPECT_FALSE(e->action->reason.empty());
  ASSERT_FALSE(e->risks.empty());
  bool has_h1 = false;
  for (const auto& r : e->risks) {
    if (r.host == "h1") {
      has_h1 = true;
      EXPECT_GE(r.p_fail, o.policy.thresholds.migrate_p_fail);
      EXPECT_TRUE(r.root_cause == "ecc_errors" || r.root_cause == "cpu_temp_c") << r.root_cause;
    }
  }
  EXPECT_TRUE(has_h1);
  // The dry-run actuator applied it: the controller's inventory model moved w1.
  EXPECT_NE(controller_->inventory().FindWorkload("w1")->host, "h1");
  // No other workload was moved off a healthy host.
  EXPECT_TRUE(DecisionsOf(policy::ActionType::kMigrate, "w2").empty());
  // The verified outcomes fed back into the planner, and the audit says what changed.
  bool feedback = false;
  for (const auto& x : entries_)
    feedback = feedback || (x.kind == "feedback" && !x.message.empty());
  EXPECT_TRUE(feedback);
}

// A gauge that follows its host's load is not failure evidence as far as the load explains it.
// Two days in which h1's and h2's cpu_util follow the same daily wave and their temperatures
// follow the load (40 + 30 · util, ±0.5 noise); then, for four hours, both temperatures climb by
// the same 0.3 °C per step, on h1 because its load climbs (util +0.01 per step, temperature
// still 40 + 30 · util) and on h2 with the load staying on its wave. The controller learns each
// gauge's correlation with its host's mean load from the samples it observes (cached per series
// after the first), so h1's temperature deviation is discounted by its load deviation and h2's is
// not: h1 must look healthier than h2.
TEST_F(ControllerTest, AGaugeThatFollowsItsHostsLoadCountsLessThanOneThatDoesNot) {
  ControllerOptions o;
  o.inventory = Cluster();
  Start(o);
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0.0, 0.5);
  const int quiet_steps = 2 * 288;
  const int ramp_steps = 48;
  TimestampMs t = kStart;
  for (int i = 0; i < quiet_steps + ramp_steps; ++i) {
    t = kStart + i * kStep;
    const double wave = 0.4 + 0.2 * std::sin(2 * M_PI * i / 288.0);
    const int k = std::max(0, i - quiet_steps);
    const double util_h1 = wave + 0.01 * k;
    Send("h1", "", "cpu_util", t, util_h1);
    Send("h1", "", "board_temp_c", t, 40 + 30 * util_h1 + noise(rng));
    Send("h2", "", "cpu_util", t, wave);
    Send("h2", "", "board_temp_c", t, 40 + 30 * wave + 0.3 * k + noise(rng));
    Flush();
    clock_.Set(t);
  }
  const policy::PlannerInput in = controller_->Predict(t);
  const policy::HostRisk* h1 = nullptr;
  const policy::HostRisk* h2 = nullptr;
  for (const auto& r : in.risks) {
    if (r.host == "h1" && r.component.empty()) h1 = &r;
    if (r.host == "h2" && r.component.empty()) h2 = &r;
  }
  ASSERT_NE(h1, nullptr);
  ASSERT_NE(h2, nullptr);
  EXPECT_LT(h2->health, 100.0) << "h2's unexplained temperature rise is evidence";
  // 93 vs 80 with this seed; the discount is rho · (load deviation), not all of the evidence.
  EXPECT_GT(h1->health, h2->health + 5.0);
  EXPECT_EQ(h2->root_cause, "board_temp_c");
}

// w1's demand climbs steadily from 1 to 3 cores over 10 hours (request 2 cores at 70 % target
// utilisation: trouble from 1.4 cores on). The planner must raise w1's allocation while the
// observed demand is still below its current allocation — ahead of the problem, not after it.
TEST_F(ControllerTest, ScalesAheadOfRisingDemand) {
  ControllerOptions o;
  o.inventory = Cluster();
  Start(o);
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0.0, 0.02);
  TimestampMs first_scale = 0;
  double demand_at_scale = 0;
  for (int i = 0; i < 120; ++i) {
    const TimestampMs t = kStart + i * kStep;
    const double demand = 1.0 + 2.0 * i / 120.0 + noise(rng);
    Send("h1", "w1", "cpu_cores", t, demand);
    Send("h2", "w2", "cpu_cores", t, 1.0 + noise(rng));
    Flush();
    clock_.Set(t);
    controller_->Tick(t);
    if (first_scale == 0) {
      for (auto type : {policy::ActionType::kScaleUp, policy::ActionType::kScaleOut}) {
        if (!DecisionsOf(type, "w1").empty()) {
          first_scale = t;
          demand_at_scale = demand;
        }
      }
    }
  }
  ASSERT_NE(first_scale, 0) << "w1 was never scaled";
  // Allocated 2 cores; the decision came while demand was still under the allocation.
  EXPECT_LT(demand_at_scale, 2.0);
  const policy::Inventory inventory = controller_->inventory();  // a copy: keep it alive
  const policy::Workload* w1 = inventory.FindWorkload("w1");
  const double allocated = w1->request[policy::Resource::kCpu] * w1->replicas;
  EXPECT_GE(allocated, 3.0) << "allocation did not follow demand to 3 cores";
}

// The sizing horizon bounds the window whose forecast peak sizes a workload. w1's demand rises
// 2/120 cores per 5-minute step; with policy.sizing_horizon = 5m the peak is taken over one step
// ahead, so the quantile peak the scale-up reason quotes exceeds the demand sent at that tick by
// about one step of trend (0.017) plus the interval's width (noise sd 0.02), far less than the
// 12 steps of trend (0.2) a 1-hour window would add. Risk keeps the full horizon.
TEST_F(ControllerTest, SizingHorizonBoundsTheForecastPeakUsedForSizing) {
  ControllerOptions o;
  o.inventory = Cluster();
  o.policy.sizing_horizon_ms = 5 * kMinuteMs;
  EXPECT_EQ(o.policy.SizingHorizonMs(), 5 * kMinuteMs);
  Start(o);
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0.0, 0.02);
  std::vector<std::pair<double, double>> peaks;  // (demand sent, quoted peak) per scale-up
  std::size_t seen = 0;
  for (int i = 0; i < 120; ++i) {
    const TimestampMs t = kStart + i * kStep;
    const double demand = 1.0 + 2.0 * i / 120.0 + noise(rng);
    Send("h1", "w1", "cpu_cores", t, demand);
    Send("h2", "w2", "cpu_cores", t, 1.0 + noise(rng));
    Flush();
    clock_.Set(t);
    controller_->Tick(t);
    for (; seen < entries_.size(); ++seen) {
      const auto& e = entries_[seen];
      if (e.kind != "decision" || !e.action || e.action->workload != "w1" ||
          e.action->rule != "scale_ahead") {
        continue;
      }
      const auto at = e.action->reason.find("cpu q0.90 peak ");
      if (at == std::string::npos) continue;
      peaks.emplace_back(demand, std::stod(e.action->reason.substr(at + 15)));
    }
  }
  ASSERT_FALSE(peaks.empty()) << "w1 was never scaled ahead";
  for (const auto& [demand, peak] : peaks) {
    EXPECT_LT(peak - demand, 0.15) << "peak " << peak << " at demand " << demand;
  }
}

// A failure model (trained here on a synthetic table: failure within 10 days when the latest
// smart_5_raw ≥ 0.8, else rarely) raises the p_fail of the host whose SMART value is high, through
// the engine's samples, rescaled from the model's 10-day horizon to the policy's hour:
// p_1h = 1 − (1 − p_10d)^(1/240).
TEST_F(ControllerTest, AFailureModelRaisesTheRiskOfTheHostItFlags) {
  predict::FailureFeatureSpec spec;
  spec.indicators = {"smart_5_raw"};
  spec.delta_days = {1};
  predict::FailureTrainingSet data;
  data.feature_count = predict::FailureFeatureNames(spec).size();
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int i = 0; i < 2000; ++i) {
    const double x = u(rng);
    for (std::size_t f = 0; f < data.feature_count; ++f) {
      data.features.push_back(f == 0 ? static_cast<float>(x) : 0.0F);
    }
    data.labels.push_back(u(rng) < (x > 0.8 ? 0.95 : 0.01) ? 1.0 : 0.0);
    data.times.push_back((i % 10) * kDayMs);
  }
  predict::FailureTrainOptions to;
  to.rounds = 30;
  to.max_depth = 3;
  to.seed = 42;
  to.nthread = 1;
  auto model = predict::FailureModel::Train(spec, 10 * kDayMs, data, to);
  ASSERT_TRUE(model.has_value()) << model.error().message;
  auto shared = std::make_shared<const predict::FailureModel>(std::move(*model));
  std::vector<float> high(data.feature_count, 0.0F);
  high[0] = 0.95F;
  const double p10d = *shared->Predict(high);
  ControllerOptions o;
  o.inventory = Cluster();
  o.failure_model = shared;
  Start(o);
  const TimestampMs t = kStart;
  Send("h1", "", "smart_5_raw", t, 0.95);
  Send("h2", "", "smart_5_raw", t, 0.05);
  Flush();
  controller_->Tick(t);
  double p1 = -1, p2 = -1;
  for (const auto& r : controller_->risks()) {
    if (r.host == "h1") p1 = r.p_fail;
    if (r.host == "h2") p2 = r.p_fail;
    if (r.host == "h1") {
      EXPECT_EQ(r.model, "health-hazard+failure-model");
    }
  }
  ASSERT_GE(p1, 0);
  ASSERT_GE(p2, 0);
  EXPECT_GT(p1, p2);
  // One sample: no deviation yet, so the health hazard is its floor 1 / (1 + e^5) and the model
  // adds 1 − (1 − p10d)^(1/240).
  const double floor = 1.0 / (1.0 + std::exp(5.0));
  const double expected = 1.0 - (1.0 - floor) * std::pow(1.0 - p10d, 1.0 / 240.0);
  EXPECT_NEAR(p1, expected, 0.02);
}

// Retraining in the loop (synthetic telemetry): h1's SMART counter climbs from hour 24 and it
// reports status "fail" at hour 48; h2 and h3 stay quiet. The controller records a feature row
// per host an hour, labels h1's rows of the day before the failure positive when the status
// arrives, and — with enough labelled rows — runs a retrain whose verdict is in the audit log.
TEST_F(ControllerTest, AFailingHostsStatusLabelsItsRowsAndTheRetrainIsAudited) {
  predict::FailureFeatureSpec spec;
  spec.indicators = {"smart_5_raw"};
  spec.delta_days = {1};
  predict::FailureTrainingSet data;  // the configured model: labels are coin flips (10 %)
  data.feature_count = predict::FailureFeatureNames(spec).size();
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int i = 0; i < 500; ++i) {
    for (std::size_t f = 0; f < data.feature_count; ++f) {
      data.features.push_back(static_cast<float>(u(rng)));
    }
    data.labels.push_back(u(rng) < 0.1 ? 1.0 : 0.0);
    data.times.push_back((i % 10) * kHourMs);
  }
  predict::FailureTrainOptions to;
  to.rounds = 20;
  to.max_depth = 3;
  to.seed = 42;
  auto model = predict::FailureModel::Train(spec, kDayMs, data, to);
  ASSERT_TRUE(model.has_value()) << model.error().message;
  ControllerOptions o;
  o.inventory = Cluster();
  o.failure_model = std::make_shared<const predict::FailureModel>(std::move(*model));
  o.retrain.enabled = true;
  o.retrain.background = false;
  o.retrain.policy.min_new_rows = 50;
  o.retrain.policy.min_new_positives = 1;
  o.retrain.train = to;
  Start(o);
  EXPECT_FALSE(controller_->retrain_status().attempts);
  for (int hour = 0; hour <= 48; ++hour) {
    const TimestampMs t = kStart + hour * kHourMs;
    clock_.Set(t);
    Send("h1", "", "smart_5_raw", t, hour < 24 ? 0.0 : hour - 24.0);
    Send("h1", "", "status", t, hour < 48 ? 0.0 : 2.0);
    for (const char* h : {"h2", "h3"}) {
      Send(h, "", "smart_5_raw", t, 0.0);
      Send(h, "", "status", t, 0.0);
    }
    Flush();
    controller_->Tick(t);
  }
  const RetrainStatus s = controller_->retrain_status();
  EXPECT_TRUE(s.enabled);
  // h1: rows at hours 0..47; 0..22 settled negative by hour 47 (t + 24 h < now), and at hour
  // 48 the failure labels 24..47 positive (within a day of it) and 23 negative. h2, h3: rows
  // 0..23 settled (t + 24 h < 48 h), 24..48 pending.
  EXPECT_EQ(s.settled_positives, 24u);
  EXPECT_EQ(s.settled_rows, 48u + 2u * 24u);
  EXPECT_EQ(s.pending_rows, 2u * 25u);
  EXPECT_EQ(s.attempts, 1u);
  int model_entries = 0;
  for (const auto& e : entries_) {
    if (e.kind == "model") {
      ++model_entries;
      EXPECT_NE(e.message.find("failure model retraining: "), std::string::npos) << e.message;
    }
  }
  EXPECT_EQ(model_entries, 1);
}

// w1 holds 2 cores and uses a steady 0.2 (synthetic). A few samples are not enough to size down
// from: no scale-in before its forecaster's first fit (24 samples, 2 hours at 5 minutes), and a
// scale-in once fitted.
TEST_F(ControllerTest, NoScaleInBeforeTheWorkloadsForecasterIsFitted) {
  ControllerOptions o;
  o.inventory = Cluster();
  Start(o);
  auto first_scale_in = [&]() -> TimestampMs {
    for (const auto& e : entries_) {
      if (e.kind == "decision" && e.action && e.action->workload == "w1" &&
          (e.action->type == policy::ActionType::kScaleDown ||
           e.action->type == policy::ActionType::kScaleIn)) {
        return e.t;
      }
    }
    return -1;
  };
  for (int i = 0; i < 60; ++i) {
    const TimestampMs t = kStart + i * kStep;
    clock_.Set(t);
    Send("h1", "w1", "cpu_cores", t, 0.2);
    Flush();
    controller_->Tick(t);
    if (i == 22) {
      EXPECT_EQ(first_scale_in(), -1) << "scaled in after " << i + 1 << " samples";
    }
  }
  const TimestampMs at = first_scale_in();
  ASSERT_NE(at, -1);
  EXPECT_GE(at, kStart + 23 * kStep);  // the tick of the 24th sample at the earliest
  const auto downs = DecisionsOf(policy::ActionType::kScaleDown, "w1");
  ASSERT_FALSE(downs.empty());
  EXPECT_LT(downs.front()->action->after[policy::Resource::kCpu], 2.0);
}

// The dependency model in the loop (synthetic telemetry): on h1, fan_rpm = 2 · cpu_temp_c and
// power_w = cpu_temp_c + 100 (each with small noise) for 450 five-minute rows; then fan_rpm
// breaks away (falls while the temperature stays normal). Each indicator alone stays inside its
// usual range; only the broken relation is news. Risk stays low while the relations hold (after
// the model's 400-row cold start) and is high at the break, explained by one end of the broken
// edge (fan_rpm or its parent cpu_temp_c: which of the two is ranked first depends on the learnt
// tree's direction), never by power_w, whose relation held.
TEST_F(ControllerTest, ABrokenCorrelationRaisesTheDependencyRiskWithItsCause) {
  ControllerOptions o;
  o.inventory = Cluster();
  Start(o);
  std::mt19937_64 rng(17);
  std::normal_distribution<double> n01(0.0, 1.0);
  double max_quiet = 0.0;
  for (int i = 0; i < 455; ++i) {
    const TimestampMs t = kStart + i * kStep;
    clock_.Set(t);
    const double temp = 60.0 + 10.0 * std::sin(i / 20.0) + 0.5 * n01(rng);
    const double fan = i < 450 ? 2.0 * temp + 0.5 * n01(rng) : 2.0 * (120.0 - temp);
    Send("h1", "", "cpu_temp_c", t, temp);
    Send("h1", "", "fan_rpm", t, fan);
    Send("h1", "", "power_w", t, temp + 100.0 + 0.5 * n01(rng));
    Flush();
    controller_->Tick(t);
    for (const auto& r : controller_->risks()) {
      if (r.host != "h1") continue;
      if (i >= 410 && i < 450) max_quiet = std::max(max_quiet, r.dependency_risk);
      if (i == 449) {
        EXPECT_GT(r.dependency_risk, 0.0);  // warm by now (400-row cold start)
      }
    }
  }
  EXPECT_LT(max_quiet, 0.5);
  policy::HostRisk last;
  for (const auto& r : controller_->risks()) {
    if (r.host == "h1") last = r;
  }
  EXPECT_GT(last.dependency_risk, 0.5);
  EXPECT_TRUE(last.dependency_cause == "fan_rpm" || last.dependency_cause == "cpu_temp_c")
      << last.dependency_cause;
}

TEST_F(ControllerTest, PreferencesAreValidatedAndAudited) {
  ControllerOptions o;
  o.inventory = Cluster();
  Start(o);
  policy::Preference bad;
  bad.workload = "no-such-workload";
  bad.forbid_preemption = true;
  EXPECT_FALSE(controller_->SetPreference(bad, kStart).has_value());
  policy::Preference good;
  good.workload = "w1";
  good.forbid_preemption = true;
  EXPECT_TRUE(controller_->SetPreference(good, kStart).has_value());
  ASSERT_EQ(controller_->preferences().size(), 1u);
  EXPECT_EQ(controller_->preferences()[0].workload, "w1");
  ASSERT_EQ(entries_.size(), 2u);
  EXPECT_EQ(entries_[0].kind, "preference");
  EXPECT_NE(entries_[0].message.find("rejected"), std::string::npos);
  EXPECT_NE(entries_[1].message.find("set"), std::string::npos);
}

// The planner's state (here a preference) persists in the blob store across a restart; a
// corrupt state blob is reported as an alert and the controller starts fresh instead of failing.
TEST_F(ControllerTest, PlannerStateSurvivesARestartAndACorruptStateIsAnAlert) {
  auto blobs = store::BlobStore::Open(dir_ + "/state");
  ASSERT_TRUE(blobs.has_value());
  ControllerOptions o;
  o.inventory = Cluster();
  o.state_store = blobs->get();
  Start(o);
  policy::Preference p;
  p.workload = "w2";
  p.pin_zone = "a";
  ASSERT_TRUE(controller_->SetPreference(p, kStart).has_value());
  controller_.reset();
  Start(o);
  ASSERT_EQ(controller_->preferences().size(), 1u);
  EXPECT_EQ(controller_->preferences()[0].pin_zone, "a");
  controller_.reset();
  ASSERT_TRUE((*blobs)->Put("planner.state", "not a planner state").has_value());
  entries_.clear();
  Start(o);
  EXPECT_TRUE(controller_->preferences().empty());
  ASSERT_EQ(entries_.size(), 1u);
  EXPECT_EQ(entries_[0].kind, "alert");
  EXPECT_NE(entries_[0].message.find("planner state unreadable"), std::string::npos);
}

// The entropy learner's history persists at shutdown and comes back at the next start (its
// model refits from it at once); a corrupt blob is reported and the learner starts anew.
TEST_F(ControllerTest, EntropyHistorySurvivesARestart) {
  auto blobs = store::BlobStore::Open(dir_ + "/state");
  ASSERT_TRUE(blobs.has_value());
  ControllerOptions o;
  o.inventory = Cluster();
  o.state_store = blobs->get();
  Start(o);
  for (int i = 0; i < 40; ++i) {
    const TimestampMs t = kStart + i * kStep;
    Send("h1", "", "cpu_temp_c", t, 50.0 + (i % 7));
    Send("h1", "", "ecc_errors", t, static_cast<double>(i / 5));
    Flush();
    controller_->Tick(t);
  }
  controller_.reset();
  auto saved = (*blobs)->Get("entropy.history");
  ASSERT_TRUE(saved.has_value() && saved->has_value());
  entries_.clear();
  Start(o);
  bool restored = false;
  for (const auto& e : entries_) {
    if (e.kind == "model" && e.message.find("entropy history restored: 1 host(s)") !=
                                 std::string::npos) {
      restored = true;
    }
  }
  EXPECT_TRUE(restored);
  controller_.reset();
  ASSERT_TRUE((*blobs)->Put("entropy.history", "PGEL garbage").has_value());
  entries_.clear();
  Start(o);
  ASSERT_FALSE(entries_.empty());
  EXPECT_EQ(entries_[0].kind, "model");
  EXPECT_NE(entries_[0].message.find("entropy history not restored"), std::string::npos)
      << entries_[0].message;
}

// With a durable audit log, decisions survive a restart of the controller and are filtered by
// host and workload.
TEST_F(ControllerTest, DecisionsAreDurableAndFiltered) {
  store::AuditLogOptions ao;
  auto audit = store::AuditLog::Open(dir_ + "/audit", ao);
  ASSERT_TRUE(audit.has_value());
  ControllerOptions o;
  o.inventory = Cluster();
  Start(o, audit->get());
  policy::Preference p;
  p.workload = "w2";
  p.prefer_migration = true;
  ASSERT_TRUE(controller_->SetPreference(p, kStart).has_value());
  for (int i = 0; i < 120; ++i) {
    const TimestampMs t = kStart + i * kStep;
    Send("h1", "w1", "cpu_cores", t, 1.0 + 2.0 * i / 120.0);
    Flush();
    controller_->Tick(t);
  }
  const auto all = controller_->Decisions(0, "", "", 0);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.size(), entries_.size());
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i].seq, all[i - 1].seq);
  for (const auto& e : controller_->Decisions(0, "", "w1", 0)) {
    const std::string& w = e.action ? e.action->workload : e.outcome->workload;
    EXPECT_EQ(w, "w1");
  }
  controller_.reset();
  audit->reset();
  auto reopened = store::AuditLog::Open(dir_ + "/audit", ao);
  ASSERT_TRUE(reopened.has_value());
  Start(o, reopened->get());
  const auto again = controller_->Decisions(0, "", "", 0);
  ASSERT_EQ(again.size(), all.size());
  EXPECT_EQ(policy::EncodeAuditEntry(again.back()), policy::EncodeAuditEntry(all.back()));
}

}  // namespace
}  // namespace prognos::engine
