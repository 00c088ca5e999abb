// What prognos tells Alertmanager: one alert per (alertname, host, component, tier) label set, and
// its encoding as Alertmanager's v2 `postableAlert` JSON (POST /api/v2/alerts). Pure: no IO.
#pragma once

#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "predict/alert_tiers.h"

namespace prognos::notify {

inline constexpr std::string_view kDefaultAlertName = "PrognosFailureRisk";

// Label or annotation name → value, sorted by name (the order Alertmanager fingerprints in).
using LabelSet = std::map<std::string, std::string>;

// One active alert as the controller sees it now. The integrator fills it from predict's records
// (e.g. policy::HostRisk): host/component, the debounced predict::AlertTier, P(failure), the root
// cause. Identity = the labels (alertname, host, component, tier, `labels`): a tier change is a new
// alert, and the old tier's alert is resolved.
struct Alert {
  std::string alertname{kDefaultAlertName};
  std::string host;       // required
  std::string component;  // empty: a host-level alert (no `component` label)
  predict::AlertTier tier = predict::AlertTier::kWarning;  // kNone is rejected
  // Extra identity labels (e.g. zone). Names match [a-zA-Z_][a-zA-Z0-9_]*; they may not replace
  // alertname, host, component or tier. Empty values are left out (as Prometheus does).
  LabelSet labels;

  // Annotations: not identity; an empty one is left out.
  std::string summary;
  std::string description;
  double p_fail = std::numeric_limits<double>::quiet_NaN();  // [0, 1]; NaN: not sent
  std::string root_cause;                                    // e.g. "disk_io_ms on sda"
  std::string runbook;                                       // a URL
  LabelSet annotations;  // extra annotations; names as for labels

  // When the condition began; 0: the time the notifier first saw this label set.
  TimestampMs starts_at = 0;
  // Link back to prognos (absolute URI); empty: AlertmanagerConfig::generator_url.
  std::string generator_url;
};

// Alertmanager's postableAlert, times resolved.
struct PostableAlert {
  LabelSet labels;
  LabelSet annotations;
  TimestampMs starts_at = 0;
  TimestampMs ends_at = 0;
  std::string generator_url;  // empty: left out
};

// [a-zA-Z_][a-zA-Z0-9_]* (Prometheus label names; Alertmanager rejects others with 400).
bool IsValidLabelName(std::string_view name);

// The alert's identity labels: alertname, host, component (when set), tier, its extra labels, then
// `static_labels` where the alert has no label of that name. kInvalidArgument for an empty
// alertname or host, tier kNone, a bad label name or an extra label that replaces a core one.
Result<LabelSet> AlertLabels(const Alert& alert, const LabelSet& static_labels);

// summary, description, p_fail ("0.734", 3 decimals), root_cause, runbook, then the extra
// annotations (which do not replace those); empty values left out. kInvalidArgument for an extra
// annotation whose name is not a valid label name (Alertmanager validates annotation names too).
Result<LabelSet> AlertAnnotations(const Alert& alert);

// A canonical, collision-free key of a label set (names and values joined by NUL bytes).
std::string LabelSetKey(const LabelSet& labels);

// The JSON array body for POST /api/v2/alerts; times as RFC 3339 UTC. Invalid UTF-8 in a value
// is replaced by U+FFFD rather than failing the batch.
std::string EncodePostableAlerts(const std::vector<PostableAlert>& alerts);

}  // namespace prognos::notify
