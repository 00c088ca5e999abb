// PlannerState ↔ versioned bytes (docs/formats/planner-state.md), so a restarted controller
// continues with the same damping holds, feedback, preferences and action ids. Pure: bytes in,
// bytes out; `store` persists the blob by key. Never throws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "policy/planner.h"

namespace prognos::policy {

// 2: 21 action types (kReplicate); version 1 (20 types) is still read.
inline constexpr std::uint16_t kPlannerStateVersion = 2;

std::string EncodePlannerState(const PlannerState& state);
// Rejects (kCorruption) a wrong magic, a truncated or over-long blob, a CRC mismatch, an enum out
// of range; (kInvalidArgument) an unknown version.
Result<PlannerState> DecodePlannerState(std::string_view bytes);

}  // namespace prognos::policy
