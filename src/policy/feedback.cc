#include "policy/feedback.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace prognos::policy {
namespace {

bool IsSizing(ActionType t) {
  return t == ActionType::kScaleUp || t == ActionType::kScaleDown || t == ActionType::kScaleOut ||
         t == ActionType::kScaleIn;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g", v);
  return buf;
}

}  // namespace

double Feedback::Confidence(ActionType type) const {
  const auto i = static_cast<std::size_t>(type);
  return (state_.verified[i] + 4.0) / (state_.verified[i] + state_.failed[i] + 5.0);
}

double Feedback::HeadroomAdjust(const std::string& workload) const {
  auto it = state_.headroom_adjust.find(workload);
  return it == state_.headroom_adjust.end() ? 0.0 : it->second;
}

std::string Feedback::Record(const ActionOutcome& outcome, double scale_in_utilization) {
  const auto i = static_cast<std::size_t>(outcome.type);
  std::string type(ActionTypeName(outcome.type));
  switch (outcome.outcome) {
    case Outcome::kVerified:
      state_.verified[i] += 1;
      break;
    case Outcome::kFailed:
    case Outcome::kRolledBack:
      state_.failed[i] += 1;
      break;
    default:
      return "";
  }
  std::string msg = type + " confidence " + Num(Confidence(outcome.type));
  const double u = outcome.observed_utilization;
  if (outcome.outcome == Outcome::kVerified && IsSizing(outcome.type) &&
      !outcome.workload.empty() && std::isfinite(u) && u > 0) {
    double& adj = state_.headroom_adjust[outcome.workload];
    const double old = adj;
    if (u > kHighUtilization) {
      adj = std::min(kMaxAdjust, adj + kHeadroomStep);
    } else if (u < scale_in_utilization) {
      adj = std::max(-kMaxAdjust, adj - kHeadroomStep / 2);
    }
    if (adj != old) {
      msg += "; workload " + outcome.workload + " headroom adjust " + Num(old) + " -> " + Num(adj) +
             " (observed utilization " + Num(u) + ")";
    }
    if (adj == 0) state_.headroom_adjust.erase(outcome.workload);
  }
  return msg;
}

}  // namespace prognos::policy
