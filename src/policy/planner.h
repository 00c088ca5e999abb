// The planner (issue #12): predictions + inventory + policy → an ordered ActionPlan of revertible
// actions, taken ahead of predicted demand and failures, each with its reason, rejected
// alternatives, expected cost and residual risk. Pure: no IO, no clock, no threads. The rules are
// described in docs/policy.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"
#include "policy/damping.h"
#include "policy/feedback.h"
#include "policy/types.h"

namespace prognos::policy {

// Everything the planner needs to continue after a restart (encoded by planner_codec.h).
struct PlannerState {
  std::uint64_t next_action_id = 1;
  DampingState damping;
  FeedbackState feedback;
  std::vector<Preference> preferences;
  // Lever values the planner set, by "<action type>:<workload>" (what an inverse restores), and
  // throttle caps by "throttle:<customer>" (not re-emitted while unchanged).
  std::map<std::string, double> levers;
  // Host → end of the maintenance hold-off: window end + kMaintenanceRepeatMs (no second window
  // for the host before it).
  std::map<std::string, TimestampMs> maintenance_until;
  // Host → start of that window (workloads are moved off when it comes).
  std::map<std::string, TimestampMs> maintenance_start;
  // Workload → end of the verify window of its migration (counts against the disruption budget).
  std::map<std::string, TimestampMs> migrations_in_flight;
  // Host → when the planner drained it (it uncordons the host once it has recovered).
  std::map<std::string, TimestampMs> drained;
};

// Verification windows the planner gives its actions.
inline constexpr DurationMs kSizingVerifyMs = 5 * kMinuteMs;
inline constexpr DurationMs kMigrateVerifyMs = 15 * kMinuteMs;
inline constexpr DurationMs kLeverVerifyMs = 5 * kMinuteMs;
inline constexpr DurationMs kDrainVerifyMs = 30 * kMinuteMs;
inline constexpr DurationMs kPoolVerifyMs = 10 * kMinuteMs;  // after the pool's lead time
// A copy of a workload's data must be in sync within this window (50 GiB at 1 Gbit/s: 7 min).
inline constexpr DurationMs kReplicateVerifyMs = kHourMs;
// Length of a proposed maintenance window.
inline constexpr DurationMs kMaintenanceWindowMs = kHourMs;
// After a window ends, no new one is proposed for the same host for this long.
inline constexpr DurationMs kMaintenanceRepeatMs = kDayMs;
// Default value of a cpu-shares lever before the planner touched it (cgroup v1 default).
inline constexpr double kDefaultCpuShares = 1024;

// Not thread-safe; owned by one controller thread.
class Planner {
 public:
  explicit Planner(PolicySpec spec);

  // One plan at input.now. Does not mutate `inventory`; records the emitted actions in the damping
  // state (and the action id counter). Never fails: an inventory that cannot fit its current load
  // gives a best-effort plan with degraded = true and a critical alert.
  ActionPlan Plan(const Inventory& inventory, const PlannerInput& input);

  // Feedback from the plan runner: per-action-type confidence, per-workload headroom; a failed or
  // rolled-back action releases its damping hold so the target can be retried.
  void RecordOutcome(const ActionOutcome& outcome);
  // Summary of what the last RecordOutcome changed ("" = nothing), for the audit.
  const std::string& last_feedback() const { return last_feedback_; }

  // Validates `p` against the inventory and policy and stores it (replacing an earlier preference
  // for the same workload). Rejected with kInvalidArgument and a reason when it contradicts them.
  Result<void> SetPreference(const Inventory& inventory, Preference p);
  const std::vector<Preference>& preferences() const { return preferences_; }

  PlannerState state() const;
  void Restore(PlannerState state);

  const PolicySpec& spec() const { return spec_; }
  double Confidence(ActionType type) const { return feedback_.Confidence(type); }

 private:
  friend struct PlanRun;

  PolicySpec spec_;
  Damper damper_;
  Feedback feedback_;
  std::vector<Preference> preferences_;
  std::uint64_t next_action_id_ = 1;
  std::map<std::string, double> levers_;
  std::map<std::string, TimestampMs> maintenance_until_;
  std::map<std::string, TimestampMs> maintenance_start_;
  std::map<std::string, TimestampMs> migrations_in_flight_;
  std::map<std::string, TimestampMs> drained_;
  std::string last_feedback_;
};

// Reviewable artefacts of a plan's capacity changes (issue #12): a YAML manifest of every pool
// with its current and planned node count, then the allocation schedule — one line per pool
// action (create, resize, preallocate, rebalance, reclaim) with when it is ordered, when its
// capacity is usable (ordered + the pool's lead time) and why. Pure text.
std::string CapacityManifest(const Inventory& inventory, const ActionPlan& plan);

// A number as plan reasons print it: no decimals when |v| >= 100 or v is whole, else two
// (printf's "%.0f" / "%.2f", correctly rounded), at most 31 characters.
std::string ReasonNumber(double v);

}  // namespace prognos::policy
