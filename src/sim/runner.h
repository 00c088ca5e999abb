// The scenario runner (issue #13): builds the world for one seed, replays trace demand on a virtual
// clock in 15-second ticks, emits host and workload telemetry into the real engine every telemetry
// step, injects faults, runs one policy (proactive = the engine's Controller + planner +
// SimActuator; reactive / vpa / none = DESIGN.md §7's baselines) and measures SLA violation, cost,
// slack, actions and failures. Same scenario + policy + seed → byte-identical report.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "policy/types.h"
#include "sim/scenario.h"

namespace prognos::sim {

struct RunOptions {
  // Called now and then with the fraction of simulated time done (progress bar).
  std::function<void(double)> progress;
  // Receives every audit entry of the proactive controller (tests assert on them).
  std::function<void(const policy::AuditEntry&)> on_audit;
  // Directory for the engine's temporary store ("" = the system temp dir).
  std::string temp_dir;
};

// One point of the timeline (per telemetry step) for the chart.
struct TimelinePoint {
  TimestampMs t = 0;
  double demand_cores = 0;
  double allocated_cores = 0;
  int down = 0;  // workloads down or pending
};

struct TimelineEvent {
  TimestampMs t = 0;
  std::string kind;    // "fault", "precursor", "migrate", "scale", "restart", …
  std::string detail;  // host or workload
};

struct RunResult {
  nlohmann::ordered_json report;  // DESIGN.md §3 keys first, then the details
  std::vector<TimelinePoint> timeline;
  std::vector<TimelineEvent> events;
  double host_hours = 0;    // simulated host-hours (base hosts × simulated hours incl. warm-up)
  double wall_seconds = 0;  // not part of the report (determinism)
};

Result<RunResult> RunScenario(const Scenario& scenario, PolicyKind policy, std::uint64_t seed,
                              const RunOptions& options = {});

// SVG chart of a run: demand and allocation over time, down workloads, faults and actions.
std::string RenderSvg(const RunResult& run, const std::string& title);

// Mean and spread of the report keys over several runs per policy, as a Markdown table.
struct CompareRow {
  PolicyKind policy = PolicyKind::kNone;
  std::vector<nlohmann::ordered_json> reports;  // one per seed
};
std::string CompareTable(const std::string& scenario_name, const std::vector<CompareRow>& rows);

}  // namespace prognos::sim
