#include "actuate/plan_runner.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace prognos::actuate {
namespace {

using policy::Action;
using policy::ActionOutcome;
using policy::Outcome;

// The targets an action touches, as prefixed keys (a workload and a host may share a name).
std::vector<std::string> Targets(const Action& a) {
  std::vector<std::string> keys;
  auto add = [&keys](const char* prefix, const std::string& id) {
    if (!id.empty()) keys.push_back(prefix + id);
  };
  add("workload:", a.workload);
  add("host:", a.host);
  add("host:", a.target_host);
  add("pool:", a.pool);
  add("customer:", a.customer);
  return keys;
}

bool Touches(const std::vector<std::string>& keys, const std::vector<std::string>& set) {
  return std::any_of(keys.begin(), keys.end(), [&set](const std::string& k) {
    return std::find(set.begin(), set.end(), k) != set.end();
  });
}

// The reason a blocked target gives, or nullptr when none of the keys is blocked.
const std::string* BlockedBy(const std::map<std::string, std::string>& blocked,
                             const std::vector<std::string>& keys) {
  for (const std::string& k : keys) {
    auto it = blocked.find(k);
    if (it != blocked.end()) return &it->second;
  }
  return nullptr;
}

void Block(std::map<std::string, std::string>& blocked, const std::vector<std::string>& keys,
           const std::string& why) {
  for (const std::string& k : keys) blocked.emplace(k, why);
}

std::string Label(const Action& a) {
  return "action #" + std::to_string(a.id) + " (" + std::string(policy::ActionTypeName(a.type)) +
         ")";
}

std::string Seconds(DurationMs ms) {
  std::string s = std::to_string(ms / kSecondMs);
  if (ms % kSecondMs != 0) {
    // Appending piecewise (not "." + std::string) sidesteps GCC 12's false -Wrestrict (105329).
    s += '.';
    s += std::to_string(ms % kSecondMs + 1000).substr(1);
  }
  s += 's';
  return s;
}

}  // namespace

PlanRunner::PlanRunner(Actuator& actuator, PlanRunnerOptions options)
    : actuator_(actuator), options_(options) {}

DurationMs PlanRunner::WindowOf(const Action& a) const {
  return a.verify_window_ms > 0 ? a.verify_window_ms : options_.default_verify_window_ms;
}

void PlanRunner::Emit(const Action& a, Outcome o, std::string detail, TimestampMs now,
                      std::vector<ActionOutcome>* out) {
  ActionOutcome r;
  r.action_id = a.id;
  r.type = a.type;
  r.workload = a.workload;
  r.outcome = o;
  r.t = now;
  r.detail = std::move(detail);
  r.observed_utilization = std::numeric_limits<double>::quiet_NaN();
  ++counts_[static_cast<std::size_t>(o)];
  out->push_back(std::move(r));
}

std::vector<ActionOutcome> PlanRunner::Submit(const policy::ActionPlan& plan, TimestampMs now) {
  std::vector<ActionOutcome> out;
  const std::uint64_t plan_id = ++next_plan_;
  PlanState state;
  std::vector<std::string> held_keys;
  for (const Action& a : plan.actions) {
    if (a.shadow) {
      Emit(a, Outcome::kShadow, "shadow mode: recorded, not applied", now, &out);
      continue;
    }
    const std::vector<std::string> keys = Targets(a);
    if (const std::string* why = BlockedBy(state.blocked, keys)) {
      const std::string detail = "skipped: " + *why;
      Emit(a, Outcome::kSkipped, detail, now, &out);
      Block(state.blocked, keys, *why);
      continue;
    }
    if (a.not_before > now || Touches(keys, held_keys)) {
      state.held.push_back(a);
      held_keys.insert(held_keys.end(), keys.begin(), keys.end());
      Emit(a, Outcome::kPlanned,
           a.not_before > now ? "held until not_before " + std::to_string(a.not_before)
                              : "held behind an earlier held action on the same target",
           now, &out);
      continue;
    }
    TryApply(state, a, now, &out);
  }
  if (!state.applied.empty() || !state.held.empty()) plans_.emplace(plan_id, std::move(state));
  return out;
}

void PlanRunner::TryApply(PlanState& plan, const Action& a, TimestampMs now,
                          std::vector<ActionOutcome>* out) {
  if (auto pre = actuator_.CheckPrecondition(a); !pre) {
    Emit(a, Outcome::kSkipped, "precondition: " + pre.error().message, now, out);
    return;
  }
  if (auto r = actuator_.Apply(a, now); !r) {
    Emit(a, Outcome::kFailed, "apply: " + r.error().message, now, out);
    Block(plan.blocked, Targets(a), Label(a) + " failed to apply: " + r.error().message);
    return;
  }
  const DurationMs window = WindowOf(a);
  plan.applied.push_back(Applied{a, now, now + window, State::kInFlight});
  Emit(a, Outcome::kApplied,
       "applied by " + std::string(actuator_.name()) + "; verify within " + Seconds(window), now,
       out);
}

void PlanRunner::Revert(Applied& rec, const std::string& why, TimestampMs now,
                        std::vector<ActionOutcome>* out) {
  rec.state = State::kDone;
  if (auto r = actuator_.Apply(policy::Inverse(rec.action), now); !r) {
    ++revert_failures_;
    Emit(rec.action, Outcome::kFailed, why + "; revert failed: " + r.error().message, now, out);
    return;
  }
  Emit(rec.action, Outcome::kRolledBack, why, now, out);
}

void PlanRunner::RollBack(PlanState& plan, std::size_t index, const std::string& why,
                          TimestampMs now, std::vector<ActionOutcome>* out) {
  const Action& failed = plan.applied[index].action;
  std::vector<std::string> keys = Targets(failed);
  // Later-applied actions that depend on it, transitively, in apply order.
  std::vector<std::size_t> dependents;
  for (std::size_t j = index + 1; j < plan.applied.size(); ++j) {
    const Applied& rec = plan.applied[j];
    if (rec.state == State::kDone) continue;
    const std::vector<std::string> k = Targets(rec.action);
    if (!Touches(k, keys)) continue;
    dependents.push_back(j);
    keys.insert(keys.end(), k.begin(), k.end());
  }
  const std::string label = Label(failed);
  std::string with = "rolled back with ";
  with += label;
  with += ": ";
  with += why;
  for (std::size_t k = dependents.size(); k-- > 0;) {  // newest first
    Revert(plan.applied[dependents[k]], with, now, out);
  }
  Revert(plan.applied[index], why, now, out);
  // Held actions of the plan that build on any of it are skipped when their turn comes.
  Block(plan.blocked, keys, label + " was rolled back: " + why);
  std::vector<Action> kept;
  for (Action& h : plan.held) {
    if (const std::string* reason = BlockedBy(plan.blocked, Targets(h))) {
      Emit(h, Outcome::kSkipped, "skipped: " + *reason, now, out);
    } else {
      kept.push_back(std::move(h));
    }
  }
  plan.held = std::move(kept);
}

void PlanRunner::VerifyPlan(PlanState& plan, TimestampMs now, bool final_pass, DrainMode mode,
                            std::vector<ActionOutcome>* out) {
  // Index loop: RollBack changes the state of later entries (never the vector's size).
  for (std::size_t i = 0; i < plan.applied.size(); ++i) {
    Applied& rec = plan.applied[i];
    if (rec.state != State::kInFlight) continue;
    const Verification v = actuator_.Verify(rec.action, now);
    if (v == Verification::kConfirmed) {
      rec.state = State::kVerified;
      Emit(rec.action, Outcome::kVerified, "verified by " + std::string(actuator_.name()), now,
           out);
    } else if (v == Verification::kFailed) {
      RollBack(plan, i, "verification failed", now, out);
    } else if (now >= rec.deadline) {
      RollBack(plan, i,
               "not verified within the " + Seconds(rec.deadline - rec.applied_at) + " window", now,
               out);
    } else if (final_pass) {
      if (mode == DrainMode::kRevertUnverified) {
        RollBack(plan, i, "not verified before shutdown", now, out);
      } else {
        rec.state = State::kDone;
        Emit(rec.action, Outcome::kApplied, "left applied and unverified at shutdown", now, out);
      }
    }
  }
}

void PlanRunner::ReleaseHeld(PlanState& plan, TimestampMs now, std::vector<ActionOutcome>* out) {
  std::vector<Action> still;
  std::vector<std::string> held_keys;
  std::vector<Action> held = std::move(plan.held);
  plan.held.clear();
  for (Action& a : held) {
    const std::vector<std::string> keys = Targets(a);
    if (const std::string* why = BlockedBy(plan.blocked, keys)) {
      // Blocked by an action released earlier in this loop that failed to apply.
      const std::string reason = *why;
      Emit(a, Outcome::kSkipped, "skipped: " + reason, now, out);
      Block(plan.blocked, keys, reason);
      continue;
    }
    if (a.not_before > now || Touches(keys, held_keys)) {
      held_keys.insert(held_keys.end(), keys.begin(), keys.end());
      still.push_back(std::move(a));
      continue;
    }
    TryApply(plan, a, now, out);
  }
  plan.held = std::move(still);
}

std::vector<ActionOutcome> PlanRunner::Tick(TimestampMs now) {
  std::vector<ActionOutcome> out;
  for (auto it = plans_.begin(); it != plans_.end();) {
    PlanState& plan = it->second;
    VerifyPlan(plan, now, /*final_pass=*/false, DrainMode::kKeepUnverified, &out);
    ReleaseHeld(plan, now, &out);
    const bool busy = !plan.held.empty() ||
                      std::any_of(plan.applied.begin(), plan.applied.end(),
                                  [](const Applied& a) { return a.state == State::kInFlight; });
    it = busy ? std::next(it) : plans_.erase(it);
  }
  return out;
}

std::vector<ActionOutcome> PlanRunner::Drain(TimestampMs now, DrainMode mode) {
  std::vector<ActionOutcome> out;
  for (auto& [id, plan] : plans_) {
    VerifyPlan(plan, now, /*final_pass=*/true, mode, &out);
    for (const Action& h : plan.held) {
      Emit(h, Outcome::kSkipped, "runner stopped before it was due", now, &out);
    }
    plan.held.clear();
  }
  plans_.clear();
  return out;
}

std::vector<PendingAction> PlanRunner::pending() const {
  std::vector<PendingAction> out;
  for (const auto& [id, plan] : plans_) {
    for (const Applied& rec : plan.applied) {
      if (rec.state == State::kInFlight) {
        out.push_back(PendingAction{rec.action, id, rec.applied_at, rec.deadline});
      }
    }
  }
  return out;
}

std::vector<HeldAction> PlanRunner::held() const {
  std::vector<HeldAction> out;
  for (const auto& [id, plan] : plans_) {
    for (const Action& a : plan.held) out.push_back(HeldAction{a, id});
  }
  return out;
}

}  // namespace prognos::actuate
