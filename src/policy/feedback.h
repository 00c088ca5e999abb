// Feedback (issue #12): the observed effect of past actions adjusts per-action-type confidence and
// per-workload headroom. Pure; fed by the plan runner's outcomes through Planner::RecordOutcome.
#pragma once

#include <array>
#include <map>
#include <string>

#include "policy/types.h"

namespace prognos::policy {

struct FeedbackState {
  // Per action type: verified and failed (failed, rolled back) counts.
  std::array<double, kActionTypeCount> verified{};
  std::array<double, kActionTypeCount> failed{};
  // Per workload: headroom added to the policy's (may be negative, see Feedback).
  std::map<std::string, double> headroom_adjust;
};

// Confidence and headroom learning. Not thread-safe; owned by the Planner.
//
// Confidence of an action type = (verified + 4) / (verified + failed + 5): a Beta(4, 1) prior, so
// a type with no history starts at 0.8 and each failure pulls it down:
//   verified/failed  0/0 → 0.80   0/1 → 0.67   0/3 → 0.50   10/0 → 0.93   10/5 → 0.70
// Headroom: after a verified sizing action (scale up/down/out/in), an observed utilisation above
// kHighUtilization says the allocation was too tight → +kHeadroomStep (at most +kMaxAdjust); one
// below the scale-in threshold says it was too loose → −kHeadroomStep / 2 (at least −kMaxAdjust;
// the planner never lets the total headroom go below 0).
class Feedback {
 public:
  static constexpr double kHighUtilization = 0.9;
  static constexpr double kHeadroomStep = 0.05;
  static constexpr double kMaxAdjust = 0.5;

  double Confidence(ActionType type) const;
  double HeadroomAdjust(const std::string& workload) const;
  // Returns a one-line summary of what changed (for the audit's "feedback" entry).
  std::string Record(const ActionOutcome& outcome, double scale_in_utilization);

  const FeedbackState& state() const { return state_; }
  void Restore(FeedbackState state) { state_ = std::move(state); }

 private:
  FeedbackState state_;
};

}  // namespace prognos::policy
