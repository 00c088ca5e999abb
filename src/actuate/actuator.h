// The boundary between plans and the real world (DESIGN.md §1 "actuate"): an Actuator applies one
// policy::Action to a resource manager, checks its precondition and verifies its effect. Backends:
// dry-run (log only) here, `sim` in src/sim, Kubernetes/cloud/webhook later.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "core/time.h"
#include "policy/types.h"

namespace prognos::actuate {

enum class Verification { kPending, kConfirmed, kFailed };

// "#12 migrate web-3 node-2 → node-7": the action's id and policy::Summary, for backend logs
// and error messages.
std::string Describe(const policy::Action& action);

// Implementations document their thread rules; the PlanRunner calls one actuator from one thread.
class Actuator {
 public:
  virtual ~Actuator() = default;
  virtual std::string_view name() const = 0;
  // Whether the action can still be applied now (capacity still free, workload still there…).
  // An Error explains why not (the runner records kSkipped).
  virtual Result<void> CheckPrecondition(const policy::Action& action) = 0;
  // Starts the action. An Error means nothing changed (kFailed).
  virtual Result<void> Apply(const policy::Action& action, TimestampMs now) = 0;
  // Whether the action's expected effect is observed at `now` (the runner calls it until it
  // answers kConfirmed or kFailed, or the action's verify window ends, which counts as kFailed).
  virtual Verification Verify(const policy::Action& action, TimestampMs now) = 0;
};

}  // namespace prognos::actuate
