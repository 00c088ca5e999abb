// The dry-run backend (issue #12): logs what it would do and changes nothing. Preconditions
// always hold and every action verifies at once, so a PlanRunner over it walks each action from
// apply to verified in one Tick. Meant for the daemon's `actuators: dry-run` setting and for
// demos (not wired yet: see the issue #12 note).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "actuate/actuator.h"

namespace prognos::actuate {

// Thread-compatible (like every Actuator, called from the runner's one thread). The log function
// is called synchronously on the caller's thread, one line per call, without a trailing newline:
//   "dry-run: check #12 migrate web-3 node-2 → node-7: ok"
//   "dry-run: apply #12 migrate web-3 node-2 → node-7 at 1700000000000"
//   "dry-run: verify #12 migrate web-3 node-2 → node-7: confirmed"
class DryRunActuator final : public Actuator {
 public:
  using LogFn = std::function<void(std::string_view)>;
  // An empty `log` logs nothing.
  explicit DryRunActuator(LogFn log);

  std::string_view name() const override { return "dry-run"; }
  Result<void> CheckPrecondition(const policy::Action& action) override;
  Result<void> Apply(const policy::Action& action, TimestampMs now) override;
  Verification Verify(const policy::Action& action, TimestampMs now) override;

  // Calls made so far.
  std::uint64_t checks() const { return checks_; }
  std::uint64_t applies() const { return applies_; }
  std::uint64_t verifies() const { return verifies_; }

 private:
  void Log(std::string_view line) const;

  LogFn log_;
  std::uint64_t checks_ = 0;
  std::uint64_t applies_ = 0;
  std::uint64_t verifies_ = 0;
};

}  // namespace prognos::actuate
