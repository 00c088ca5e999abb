// The control loop (DESIGN.md §1 predict → plan → act → verify → audit) on top of the Engine:
// turns the engine's signals into planner input (workload demand quantiles from per-workload
// online forecasters, host failure risk from health and failure models), runs the policy Planner,
// hands the plan to an actuate::PlanRunner, and records every decision and outcome in the audit
// log. `serve` ticks it on wall-clock time; `replay`, `demo` and the simulator tick it on virtual
// time with the same objects. Thread-safe: Tick, Observe and the read accessors may be called from
// different threads (one internal mutex; ticks are serialised).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actuate/actuator.h"
#include "core/labels.h"
#include "core/result.h"
#include "core/sample.h"
#include "core/time.h"
#include "engine/entropy_learner.h"
#include "engine/model_retrainer.h"
#include "policy/types.h"
#include "predict/alert_tiers.h"
#include "predict/failure_model.h"
#include "signal/deviation.h"
#include "signal/forecast/forecast_types.h"

namespace prognos::store {
class AuditLog;
class BlobStore;
}

namespace prognos::engine {

class Engine;

struct ControllerOptions {
  policy::PolicySpec policy;
  policy::Inventory inventory;
  // Workload telemetry: a series whose label `component` is a workload id and whose __name__ is
  // usage_indicator[r] carries that workload's total usage of resource r, in the resource's unit
  // (policy/types.h: cores, GiB, Mbit/s, IOPS). The host label may change (migration): the
  // workload's forecaster follows the component, not the series.
  // The label that names the workload on its usage series ("component"; replaying per-VM files
  // whose host label is the VM, "host").
  std::string workload_label = "component";
  std::array<std::string, policy::kResourceCount> usage_indicator = {"cpu_cores", "memory_gib",
                                                                     "network_mbps", "disk_iops"};
  // Which way is worse per health indicator (default: higher), for the baseline deviation that
  // feeds the failure hazard.
  std::map<std::string, signal::WorseDirection> directions;
  // Host indicators that measure load, not health (an indicator whose name contains one of these
  // words): never failure evidence themselves, and when they are up, the deviation of a gauge on
  // the same host (a temperature that rises with load) is discounted by theirs.
  std::vector<std::string> load_indicators = {"util", "usage", "load"};
  // Quantile levels the planner input carries (the tiers pick among them).
  std::vector<double> levels = {0.5, 0.8, 0.9, 0.95, 0.99};
  // Workload forecasters refit on their stored history this often (virtual time).
  DurationMs refit_every_ms = 6 * kHourMs;
  // Host failure probability from health: p = 1 / (1 + exp(−(a + b · (1 − health/100)))).
  // Defaults: health 100 → 0.007, 70 → 0.12, 50 → 0.5, 30 → 0.88.
  double hazard_a = -5.0;
  double hazard_b = 10.0;
  // Optional calibrated failure model (prognos failure train): fed the host's samples of the
  // model's indicators (e.g. SMART counters); its P(failure within its own horizon) is rescaled
  // to the policy horizon assuming a constant hazard, p_H = 1 − (1 − p)^(H / H_model), and
  // combined with the health hazard as independent causes: 1 − (1 − p_health)(1 − p_H).
  std::shared_ptr<const predict::FailureModel> failure_model;
  // Continuous retraining of failure_model (models.retrain; engine/model_retrainer.h): a host's
  // status "fail" labels its recent feature rows, and a candidate trained on the labelled
  // history replaces the serving model when its held-out Brier is no worse. Needs
  // failure_model; persists through state_store.
  RetrainOptions retrain;
  // Global forecasting models (a trained LSTM, models.lstm_model) that join every workload
  // forecaster's backtest at each refit and serve a workload only where they win it.
  std::vector<std::shared_ptr<signal::PointModel>> forecast_models;
  // Entropy forecasting (engine/entropy_learner.h): the learned composite weights, the entropy
  // forecast one horizon ahead and the usage uplift after a rise, refit daily from the hosts'
  // recent history; persistence until the first fit.
  EntropyLearnerOptions entropy;
  // Where the planner's state (damping windows, feedback, preferences, maintenance windows)
  // persists across restarts (blob "planner.state"); nullptr = not persisted. Must outlive the
  // controller.
  store::BlobStore* state_store = nullptr;
  // A host reporting status "fail" has p_fail 1; "warning" raises p to at least this.
  double warning_p_fail = 0.3;
  // Alert tiers per host: adaptive thresholds, debounce and hold (config section `alerts`).
  predict::AlertTierConfig alert_tiers;
};

// What one tick did.
struct TickReport {
  policy::ActionPlan plan;
  std::vector<policy::ActionOutcome> outcomes;  // of this plan and of earlier in-flight actions
};

class Controller {
 public:
  // `engine`, `actuator` and `audit` (nullable: no durable audit, entries kept in memory only)
  // must outlive the controller. `on_entry` sees every audit entry as it is written (replay
  // prints decisions with it). Registers itself as the engine's sample observer.
  Controller(Engine& engine, ControllerOptions options, actuate::Actuator& actuator,
             store::AuditLog* audit, std::function<void(const policy::AuditEntry&)> on_entry = {});
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // One control step at `now`: predictions → plan → run (apply, verify in-flight, roll back) →
  // audit → the inventory model follows the applied actions.
  TickReport Tick(TimestampMs now);
  // The planner input the next tick would use (also served by GET /v1/risks).
  policy::PlannerInput Predict(TimestampMs now);

  // Current inventory model (a copy). The simulator replaces it with the world's state before each
  // tick; the API and serve mutate it through SetInventory.
  policy::Inventory inventory() const;
  void SetInventory(policy::Inventory inventory);
  // Validated by the planner, persisted in the audit log ("preference" entry).
  Result<void> SetPreference(policy::Preference preference, TimestampMs now);
  std::vector<policy::Preference> preferences() const;

  // Audit entries in order with seq > after_seq and t ≥ since, filtered by host and workload
  // ("" = any); at most `limit` (0 = all).
  std::vector<policy::AuditEntry> Decisions(TimestampMs since, std::string_view host,
                                            std::string_view workload, std::size_t limit,
                                            std::uint64_t after_seq = 0) const;
  // Latest risks and plan computed by Tick.
  std::vector<policy::HostRisk> risks() const;
  policy::ActionPlan last_plan() const;
  std::vector<policy::Action> pending() const;  // applied, verification pending
  // Retraining counters (enabled = false when no failure model or retraining is off).
  RetrainStatus retrain_status() const;

  // Called by the engine for every accepted sample (any thread).
  void Observe(const Labels& labels, std::uint64_t series_id, Sample sample);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace prognos::engine
