// Damping (DESIGN.md §5 "no flapping"): stabilization windows, cooldowns and a cap on actions per
// interval, applied to the actions the planner rules propose. Pure; time comes in as `now`.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "policy/types.h"

namespace prognos::policy {

// The last action applied to one target (a workload, host, pool, customer or lever).
struct DampingRecord {
  TimestampMs t = 0;
  std::uint64_t action_id = 0;
  ActionType type = ActionType::kScaleUp;
  int direction = 0;      // +1 grows / moves away, −1 shrinks / moves back, 0 neutral
  std::string from_host;  // kMigrate: where the workload came from (moving back = reversal)
};

struct DampingState {
  std::map<std::string, DampingRecord> last;  // by TargetKey
  std::deque<TimestampMs> emitted;            // emission times inside the last interval
};

// The damping key of an action: "w:<workload>" (scale and migrate share it), "h:<host>" (drain,
// maintenance, requests), "p:<pool>", "c:<customer>", "l:<type>:<workload>" for levers.
std::string TargetKey(const Action& a);
// +1 for growth (scale up/out, pool grow, preallocate, lever raised, drain, throttle), −1 for the
// opposite, 0 when the action has no direction.
int Direction(const Action& a);

// Not thread-safe; owned by the Planner.
//
// Check(a, now) answers why `a` may not be emitted at `now`, in this order:
//   1. max actions: ≥ max_actions_per_interval actions emitted in (now − interval_ms, now];
//   2. reversal: the last action on the same target went the other way (or the migration goes
//      back to where the workload came from) less than stabilization_window_ms ago;
//   3. cooldown: any action on the same target less than cooldown_ms ago.
// Urgent actions (migration off a failing host) skip 2 and 3, never 1. Linked actions (the second
// half of one decision, e.g. the resize after a migration, on the same target in the same plan)
// skip 3 only: the first half just set the cooldown.
enum class DampingMode : std::uint8_t { kNormal, kLinked, kUrgent };

class Damper {
 public:
  explicit Damper(Damping config) : config_(config) {}

  std::optional<std::string> Check(const Action& a, TimestampMs now,
                                   DampingMode mode = DampingMode::kNormal);
  void Record(const Action& a, TimestampMs now);
  // How many more actions the interval ending at `now` allows.
  std::size_t Room(TimestampMs now);
  // A failed or rolled-back action no longer holds its target: the next tick may retry.
  void Forget(std::uint64_t action_id);
  // Drops records older than both windows (they can no longer hold anything back).
  void Prune(TimestampMs now);

  const DampingState& state() const { return state_; }
  void Restore(DampingState state) { state_ = std::move(state); }
  const Damping& config() const { return config_; }

 private:
  void Expire(TimestampMs now);

  Damping config_;
  DampingState state_;
};

}  // namespace prognos::policy
