// Health score 0–100 of a host or component from its signals: anomaly scores, entropy level and
// trend, reported status, dependency risk and (when known) each indicator's time to its limit,
// with the factors that pulled it down. Pure function; thread-compatible (no state).
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace prognos::predict {

enum class ReportedStatus { kUnknown, kOk, kWarning, kFail };

struct IndicatorHealth {
  std::string name;
  double anomaly_score = 0.0;  // [0, 1]
  // Predicted seconds until the indicator crosses its configured limit (from the forecast
  // interval); ≤ 0 = already crossed; NaN or +Inf = no limit or not heading there.
  double time_to_limit_s = std::numeric_limits<double>::infinity();
};

struct HealthInput {
  std::vector<IndicatorHealth> indicators;
  double entropy = 0.0;              // composite window entropy, [0, 1]
  double entropy_trend_per_h = 0.0;  // change of the entropy per hour (+ = becoming disordered)
  ReportedStatus status = ReportedStatus::kUnknown;
  double risk = 0.0;  // dependency-model risk, [0, 1] (0 when not available)
};

struct HealthConfig {
  // Points (out of 100) each factor takes at its worst; see ComputeHealth.
  double worst_indicator_points = 50.0;
  double mean_indicator_points = 20.0;
  double entropy_level_points = 15.0;
  double entropy_trend_points = 10.0;
  double risk_points = 40.0;
  double warning_points = 25.0;
  double fail_points = 70.0;
  // Entropy below this level is normal (no penalty); at 1 the full entropy_level_points.
  double entropy_normal = 0.5;
  // An entropy rise of this much per hour takes the full entropy_trend_points.
  double entropy_trend_full_per_h = 0.2;
  // Time-to-limit penalty e^(−t / horizon): 1 when crossed, 0.37 one horizon away.
  double limit_horizon_s = 3600.0;
  std::size_t top = 3;
};

struct HealthFactor {
  std::string name;     // an indicator name, or "status", "entropy_level", "entropy_trend", "risk"
  double points = 0.0;  // health points this factor removed (they sum to 100 − score)
};

struct HealthScore {
  double score = 100.0;           // [0, 100], never NaN
  std::vector<HealthFactor> top;  // largest first, at most config.top, only factors > 0
};

// Multiplicative penalties, so the score stays in [0, 100] and each factor's effect is a share of
// what is left:
//   score = 100 · Π_k (1 − f_k),  f_k = points_k / 100 · severity_k,  severity in [0, 1]
// with the factors
//   indicator i:  g_i = 1 − (1 − s_i)(1 − e^(−max(t_i, 0)/horizon))  (anomaly score s, time to
//   limit t) worst:        severity = max_i g_i           (one failing indicator matters on its
//   own) mean:         severity = mean_i g_i          (many slightly bad indicators add up)
//   entropy:      severity = clamp((e − normal) / (1 − normal), 0, 1)
//   trend:        severity = clamp(trend / trend_full, 0, 1)
//   risk:         severity = risk
//   status:       warning → warning_points, fail → fail_points (full severity)
// Monotone: raising any anomaly score, entropy, trend, risk or status severity, or bringing a
// limit nearer, never raises the score. NaN inputs count as 0 (no evidence), t NaN as no limit.
// Contributions: the lost points 100 − score are shared by −ln(1 − f_k) (each factor's share of the
// log of the product, so the order of factors does not matter); the worst-indicator factor goes to
// the worst indicator, the mean factor is spread over the indicators in proportion to g_i, and an
// indicator's parts are added up.
// Example: anomaly 0.8 on one of 5 indicators, status ok, entropy 0.4, risk 0.6:
//   f_worst = 0.4, f_mean = 0.2 · 0.16 = 0.032, f_risk = 0.24 → 100 · 0.6 · 0.968 · 0.76 = 44.1.
HealthScore ComputeHealth(const HealthInput& input, const HealthConfig& config = {});

}  // namespace prognos::predict
