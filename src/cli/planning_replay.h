// The planner on recorded data (replay and demo): the samples of every input are merged in time
// order so the controller sees the fleet advance together, and it ticks every actuators.tick of
// data time with the dry-run actuator.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/reject.h"
#include "daemon/config.h"
#include "engine/engine.h"
#include "ingest/table_reader.h"
#include "policy/types.h"

namespace prognos::cli {

struct PlanningTotals {
  std::uint64_t rows = 0, accepted = 0, rejected = 0;
  std::array<std::uint64_t, kRejectReasonCount> by_reason{};
  int failed_files = 0;
  std::map<std::string, std::uint64_t> decisions;  // by action type
  std::uint64_t outcomes_failed = 0, rolled_back = 0;
  // Scale-ups and scale-outs decided while the observed demand was still within the allocation
  // (ahead of the problem) and after it had already exceeded it (late).
  std::uint64_t scale_ahead = 0, scale_late = 0;
  std::vector<policy::AuditEntry> entries;  // when keep_entries
};

// Ingests `batches` in time order into `engine`, ticking a Controller built from `config` (its
// policy and inventory) on the data's clock. `print` sees every decision, alert and preference
// entry and every outcome that is not a plain success. False on a storage failure (reported).
bool RunPlanningReplay(const std::vector<ingest::ReplaySeries>& batches,
                       const daemon::Config& config, engine::Engine& engine, FakeClock& clock,
                       PlanningTotals* totals,
                       const std::function<void(const policy::AuditEntry&)>& print,
                       bool keep_entries = false);

}  // namespace prognos::cli
