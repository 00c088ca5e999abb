// The plan runner (DESIGN.md §5 "every action is a transaction"): applies an ActionPlan's actions
// in order through one Actuator, verifies each within its window, and reverts in reverse order
// on failure. Its ActionOutcomes feed the audit log and the planner's feedback.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "actuate/actuator.h"
#include "core/time.h"
#include "policy/types.h"

namespace prognos::actuate {

struct PlanRunnerOptions {
  // Verify window for actions whose verify_window_ms is 0 (or negative).
  DurationMs default_verify_window_ms = 5 * kMinuteMs;
};

// An action applied and not yet verified.
struct PendingAction {
  policy::Action action;
  std::uint64_t plan = 0;  // the runner's number for the plan (1, 2, … in Submit order)
  TimestampMs applied_at = 0;
  TimestampMs deadline = 0;  // applied_at + verify window: unverified by then = failed
};

// An action waiting for its not_before time (or for an earlier held action on the same target).
struct HeldAction {
  policy::Action action;
  std::uint64_t plan = 0;
};

// What Drain() does with actions that are applied but not yet verified.
enum class DrainMode {
  kRevertUnverified,  // verify once more; still pending → roll back (only verified changes stay)
  kKeepUnverified,    // verify once more; still pending → leave applied, reported kApplied
};

// Transaction semantics
// ---------------------
// Targets: an action touches its workload, host, target_host, pool and customer (non-empty ones).
// Two actions of one plan *depend* on each other when they touch a common target; dependence is
// transitive along the plan's order (A→B share a host, B→C share a workload: C depends on A).
//
// Submit(plan, now) walks plan.actions in order (plan.deferred is the planner's queue, not run):
//   shadow            → kShadow, never applied, blocks nothing;
//   depends on an action of this plan that failed (apply error, failed revert, rollback)
//                     → kSkipped ("… failed"), and blocks its own targets in turn;
//   not_before > now, or depends on a held action of this plan
//                     → held (reported kPlanned "held until …"); Tick applies it later, in plan
//                       order, once not_before ≤ now and nothing it depends on is still held;
//   precondition fails (Actuator::CheckPrecondition) → kSkipped with the actuator's reason. A
//                       skipped action changed nothing and blocks nothing: later actions carry
//                       their own preconditions, checked against the world as it is then;
//   Apply error       → kFailed (nothing changed); later dependent actions are skipped;
//   applied           → kApplied, in flight until verified.
//
// Tick(now), for each plan in Submit order:
//   1. verifies in-flight actions in apply order: kConfirmed → kVerified; kFailed, or still
//      kPending at or after applied_at + verify window → the action fails verification and is
//      rolled back: every later-applied action of the same plan that depends on it (in flight
//      or already verified) is reverted first, newest first, then the action itself — each by
//      Actuator::Apply(policy::Inverse(action)) and reported kRolledBack with the reason. Held
//      actions that depend on it are skipped. A failed migration thus ends with the workload on
//      its original host, and whatever was stacked on the new placement undone before it.
//      A revert whose Apply fails is reported kFailed ("…; revert failed: …") and counted in
//      revert_failures(): the world is then in an unknown state for that target, which the
//      operator must see. Reverts are applied, not verified.
//   2. applies held actions that are due (precondition, Apply, as in Submit).
// A plan is forgotten once nothing of it is held or in flight.
//
// Outcomes are events: one action may report kApplied, then kVerified or kRolledBack; counts()
// counts events. Every ActionOutcome has t = now and observed_utilization = NaN (the runner does
// not measure; feedback fills it later).
//
// Not thread-safe: one controller thread owns the runner and calls the actuator through it.
class PlanRunner {
 public:
  explicit PlanRunner(Actuator& actuator, PlanRunnerOptions options = {});

  std::vector<policy::ActionOutcome> Submit(const policy::ActionPlan& plan, TimestampMs now);
  std::vector<policy::ActionOutcome> Tick(TimestampMs now);
  // Shutdown: verifies in-flight actions once more (as Tick does, rolling back failures), then
  // handles the still-pending ones per `mode`, and skips every held action ("runner stopped").
  // Afterwards nothing is held or in flight.
  std::vector<policy::ActionOutcome> Drain(TimestampMs now,
                                           DrainMode mode = DrainMode::kRevertUnverified);

  // Applied and awaiting verification: by plan (Submit order), then in apply order.
  std::vector<PendingAction> pending() const;
  // Waiting for not_before: by plan, then in plan order.
  std::vector<HeldAction> held() const;
  // Outcome events reported so far, by outcome.
  std::uint64_t count(policy::Outcome o) const { return counts_[static_cast<std::size_t>(o)]; }
  const std::array<std::uint64_t, 7>& counts() const { return counts_; }
  std::uint64_t revert_failures() const { return revert_failures_; }
  bool idle() const { return plans_.empty(); }

 private:
  enum class State { kInFlight, kVerified, kDone };
  struct Applied {
    policy::Action action;
    TimestampMs applied_at = 0;
    TimestampMs deadline = 0;
    State state = State::kInFlight;
  };
  struct PlanState {
    std::vector<Applied> applied;                // apply order
    std::vector<policy::Action> held;            // plan order
    std::map<std::string, std::string> blocked;  // target key → why dependents are skipped
  };

  void Emit(const policy::Action& a, policy::Outcome o, std::string detail, TimestampMs now,
            std::vector<policy::ActionOutcome>* out);
  void TryApply(PlanState& plan, const policy::Action& a, TimestampMs now,
                std::vector<policy::ActionOutcome>* out);
  void VerifyPlan(PlanState& plan, TimestampMs now, bool final_pass, DrainMode mode,
                  std::vector<policy::ActionOutcome>* out);
  void RollBack(PlanState& plan, std::size_t index, const std::string& why, TimestampMs now,
                std::vector<policy::ActionOutcome>* out);
  void Revert(Applied& rec, const std::string& why, TimestampMs now,
              std::vector<policy::ActionOutcome>* out);
  void ReleaseHeld(PlanState& plan, TimestampMs now, std::vector<policy::ActionOutcome>* out);
  DurationMs WindowOf(const policy::Action& a) const;

  Actuator& actuator_;
  PlanRunnerOptions options_;
  std::uint64_t next_plan_ = 0;
  std::map<std::uint64_t, PlanState> plans_;  // by plan number = Submit order
  std::array<std::uint64_t, 7> counts_{};
  std::uint64_t revert_failures_ = 0;
};

}  // namespace prognos::actuate
