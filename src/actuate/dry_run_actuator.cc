#include "actuate/dry_run_actuator.h"

#include <string>
#include <utility>

namespace prognos::actuate {

DryRunActuator::DryRunActuator(LogFn log) : log_(std::move(log)) {}

void DryRunActuator::Log(std::string_view line) const {
  if (log_) log_(line);
}

Result<void> DryRunActuator::CheckPrecondition(const policy::Action& action) {
  ++checks_;
  Log("dry-run: check " + Describe(action) + ": ok");
  return Ok();
}

Result<void> DryRunActuator::Apply(const policy::Action& action, TimestampMs now) {
  ++applies_;
  Log("dry-run: apply " + Describe(action) + " at " + std::to_string(now));
  return Ok();
}

Verification DryRunActuator::Verify(const policy::Action& action, TimestampMs /*now*/) {
  ++verifies_;
  Log("dry-run: verify " + Describe(action) + ": confirmed");
  return Verification::kConfirmed;
}

}  // namespace prognos::actuate
