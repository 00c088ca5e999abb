#include "policy/damping.h"

#include <algorithm>
#include <iterator>

namespace prognos::policy {

std::string TargetKey(const Action& a) {
  switch (a.type) {
    case ActionType::kScaleUp:
    case ActionType::kScaleDown:
    case ActionType::kScaleOut:
    case ActionType::kScaleIn:
    case ActionType::kMigrate:
    case ActionType::kPreempt:
    case ActionType::kDefer:
      return "w:" + a.workload;
    case ActionType::kCreatePool:
    case ActionType::kResizePool:
    case ActionType::kPreallocate:
    case ActionType::kReclaim:
    case ActionType::kRebalance:
      return "p:" + a.pool;
    case ActionType::kThrottle:
      return "c:" + a.customer;
    case ActionType::kSetCpuShares:
    case ActionType::kSetMemoryLimit:
    case ActionType::kReserveBandwidth:
    case ActionType::kSetIoPriority:
      return "l:" + std::string(ActionTypeName(a.type)) + ":" + a.workload;
    case ActionType::kRequestResource:
      return "r:" + a.host + ":" + std::string(ResourceName(a.resource));
    case ActionType::kDrain:
    case ActionType::kScheduleMaintenance:
      return "h:" + a.host;
    case ActionType::kReplicate:
      // One target per copy: a copy does not hold back sizing or migrating its workload.
      return "d:" + a.workload + ":" + a.target_host;
  }
  return "?";
}

int Direction(const Action& a) {
  switch (a.type) {
    case ActionType::kScaleUp:
    case ActionType::kScaleOut:
    case ActionType::kCreatePool:
    case ActionType::kPreallocate:
      return 1;
    case ActionType::kScaleDown:
    case ActionType::kScaleIn:
    case ActionType::kReclaim:
      return -1;
    case ActionType::kResizePool:
    case ActionType::kRebalance:
      return a.nodes_after > a.nodes_before ? 1 : (a.nodes_after < a.nodes_before ? -1 : 0);
    case ActionType::kSetCpuShares:
    case ActionType::kSetMemoryLimit:
    case ActionType::kReserveBandwidth:
    case ActionType::kSetIoPriority:
    case ActionType::kThrottle:
    case ActionType::kDrain:
    case ActionType::kRequestResource:
    case ActionType::kScheduleMaintenance:
    case ActionType::kReplicate:
      return a.amount > a.amount_before ? 1 : (a.amount < a.amount_before ? -1 : 0);
    case ActionType::kMigrate:
    case ActionType::kPreempt:
    case ActionType::kDefer:
      return 0;
  }
  return 0;
}

void Damper::Expire(TimestampMs now) {
  while (!state_.emitted.empty() && state_.emitted.front() <= now - config_.interval_ms) {
    state_.emitted.pop_front();
  }
}

std::optional<std::string> Damper::Check(const Action& a, TimestampMs now, DampingMode mode) {
  Expire(now);
  if (config_.max_actions_per_interval >= 0 &&
      static_cast<int>(state_.emitted.size()) >= config_.max_actions_per_interval) {
    return "held: max " + std::to_string(config_.max_actions_per_interval) + " actions per " +
           std::to_string(config_.interval_ms / 1000) + " s reached";
  }
  if (mode == DampingMode::kUrgent) return std::nullopt;
  auto it = state_.last.find(TargetKey(a));
  if (it == state_.last.end()) return std::nullopt;
  const DampingRecord& prev = it->second;
  const DurationMs age = now - prev.t;
  const int dir = Direction(a);
  const bool reversal = (dir != 0 && prev.direction != 0 && dir != prev.direction) ||
                        (a.type == ActionType::kMigrate && prev.type == ActionType::kMigrate &&
                         !prev.from_host.empty() && a.target_host == prev.from_host);
  if (reversal && age < config_.stabilization_window_ms) {
    return "held: would reverse action " + std::to_string(prev.action_id) + " (" +
           std::string(ActionTypeName(prev.type)) + ") " + std::to_string(age / 1000) +
           " s ago, inside the " + std::to_string(config_.stabilization_window_ms / 1000) +
           " s stabilization window";
  }
  if (mode == DampingMode::kNormal && age < config_.cooldown_ms) {
    return "held: cooldown, action " + std::to_string(prev.action_id) + " (" +
           std::string(ActionTypeName(prev.type)) + ") on the same target " +
           std::to_string(age / 1000) + " s ago < " + std::to_string(config_.cooldown_ms / 1000) +
           " s";
  }
  return std::nullopt;
}

std::size_t Damper::Room(TimestampMs now) {
  Expire(now);
  const auto cap = static_cast<std::size_t>(std::max(0, config_.max_actions_per_interval));
  return state_.emitted.size() >= cap ? 0 : cap - state_.emitted.size();
}

void Damper::Record(const Action& a, TimestampMs now) {
  Expire(now);
  state_.emitted.push_back(now);
  DampingRecord& rec = state_.last[TargetKey(a)];
  const int dir = Direction(a);
  // A neutral action (a migration) keeps the direction of the last sized change on the target,
  // so a scale-up followed by a migration still cannot be undone by a scale-down in the window.
  if (dir != 0 || now - rec.t >= config_.stabilization_window_ms) rec.direction = dir;
  rec.t = now;
  rec.action_id = a.id;
  rec.type = a.type;
  rec.from_host = a.type == ActionType::kMigrate ? a.host : std::string();
}

void Damper::Prune(TimestampMs now) {
  const DurationMs keep = std::max(config_.stabilization_window_ms, config_.cooldown_ms);
  for (auto it = state_.last.begin(); it != state_.last.end();) {
    it = now - it->second.t >= keep ? state_.last.erase(it) : std::next(it);
  }
  Expire(now);
}

void Damper::Forget(std::uint64_t action_id) {
  for (auto it = state_.last.begin(); it != state_.last.end(); ++it) {
    if (it->second.action_id == action_id) {
      state_.last.erase(it);
      return;
    }
  }
}

}  // namespace prognos::policy
