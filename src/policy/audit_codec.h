// JSON mapping of the planner's vocabulary for the audit log, the API and the CLI: ToJson of
// actions, plans, outcomes and predictions; the versioned byte encoding of an AuditEntry that
// store::AuditLog persists (docs/formats/audit.md); and one-line human explanations.
// Pure: bytes in, bytes out, no IO. Never throws (nlohmann's exceptions are caught here).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"
#include "policy/types.h"

namespace prognos::policy {

// Version written as "v" by EncodeAuditEntry; DecodeAuditEntry rejects any other.
inline constexpr int kAuditEntryVersion = 1;

// Field by field, every field always present (docs/formats/audit.md lists them). Times are epoch
// ms, durations ms (integers); a ResourceVector is {"cpu":…, "memory":…, "network":…,
// "disk_io":…}; doubles that are NaN or ±Inf are the strings "NaN", "+Inf", "-Inf" (the API's
// convention); enums are their names ("migrate", "rolled_back", "critical", …).
nlohmann::json ToJson(const ResourceVector& v);
nlohmann::json ToJson(const Action& a);
nlohmann::json ToJson(const ActionPlan& p);
nlohmann::json ToJson(const ActionOutcome& o);
nlohmann::json ToJson(const WorkloadDemand& d);
nlohmann::json ToJson(const HostRisk& r);
// {"seq", "t", "kind", "action" (null when absent), "outcome" (null when absent), "demand",
//  "risks", "message"}: no "v" (EncodeAuditEntry adds it).
nlohmann::json ToJson(const AuditEntry& e);

// Inverses of ToJson. Missing fields take the struct's default; a present field of the wrong
// type, an unknown enum name or a bad number is an Error (kInvalidArgument) naming the field.
Result<Action> ActionFromJson(const nlohmann::json& j);
Result<ActionOutcome> ActionOutcomeFromJson(const nlohmann::json& j);
Result<WorkloadDemand> WorkloadDemandFromJson(const nlohmann::json& j);
Result<HostRisk> HostRiskFromJson(const nlohmann::json& j);
// Requires "kind"; ignores "v" (DecodeAuditEntry checks it).
Result<AuditEntry> AuditEntryFromJson(const nlohmann::json& j);

// Compact JSON of ToJson(e) plus "v": 1 (UTF-8; strings are escaped by nlohmann; invalid UTF-8
// in a string is replaced by U+FFFD rather than failing).
std::string EncodeAuditEntry(const AuditEntry& e);
// Parses what EncodeAuditEntry wrote. Malformed JSON, a missing or other "v", a missing "kind" or
// any bad field → Error (kInvalidArgument, or kCorruption for malformed JSON). Never throws.
Result<AuditEntry> DecodeAuditEntry(std::string_view bytes);

// The "decision" entry of one planned action at input.now, with the predictions about its
// targets as evidence: the risks of its host and target_host (every component) and the demand
// of its workload. Entries are thus self-contained (no join needed to explain them later).
AuditEntry DecisionEntry(const Action& a, const PlannerInput& input);
// The "outcome" entry of one runner outcome (t = o.t).
AuditEntry OutcomeEntry(const ActionOutcome& o);

// What an action does, in a few words: "migrate web-3 node-2 → node-7",
// "scale_up web-3 on node-2 cpu 2 → 4", "resize_pool pool batch nodes 3 → 5".
std::string Summary(const Action& a);

// One or two lines for the CLI (no trailing newline; the second line, when present, starts with
// two spaces and lists the inputs):
//   decision: "migrate web-3 node-2 → node-7 (migrate_off_failing_host: p_fail 0.83 ≥ 0.50 within
//              1h, root cause smart_197; rejected node-4: cpu 7.5 > free 4.0) [shadow]"
//   outcome:  "#12 migrate web-3: rolled_back (verification failed: …)"
//   others:   "<kind>: <message>"
std::string Explain(const AuditEntry& e);

}  // namespace prognos::policy
