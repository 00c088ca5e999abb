// Tiered alerts (critical / warning / info) per host or component from its P(failure) and
// health score, with thresholds that adapt to the host's own baseline and trend, scaled by the
// component's criticality, and debounced with hysteresis so a tier does not flap. Pure; not
// thread-safe (owned by one shard); time comes in as an argument.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/time.h"

namespace prognos::predict {

enum class AlertTier { kNone = 0, kInfo = 1, kWarning = 2, kCritical = 3 };

std::string_view AlertTierName(AlertTier tier);  // "none", "info", "warning", "critical"

struct AlertTierConfig {
  // Baseline: exponentially weighted mean and variance of the score, half-life in time.
  DurationMs baseline_half_life_ms = kDayMs;
  // Updates before the baseline is trusted; until then only the absolute floors apply. The
  // first updates weigh 1/n (a running mean), so the baseline is the plain average of the
  // warm-up rather than drifting up from the first score.
  std::size_t warmup_updates = 10;
  // While the tier is warning or critical (after warm-up), the baseline mean learns at this
  // share of its normal rate and σ is frozen: a long incident is not quickly taken as the host's
  // new normal, and the jump into it does not inflate σ (which would raise the thresholds).
  double incident_rate = 0.1;
  // A judged score at or above absolute[i] is tier i+1 whatever the baseline (a drive at
  // p_fail 0.8 every day is not "normal for it"; a slow ramp that the baseline absorbs still
  // alerts at 0.5). Info has none (> 1).
  std::array<double, 3> absolute = {2.0, 0.5, 0.8};
  // σ never counts as less than this (a host whose score never moved would otherwise alert on
  // any twitch).
  double min_sigma = 0.01;
  // Per tier (info, warning, critical): the score must reach both baseline + k·σ and the floor.
  std::array<double, 3> k_sigma = {2.0, 3.0, 5.0};
  std::array<double, 3> floor = {0.05, 0.2, 0.5};
  // Criticality in [0, 1] lowers the floors by up to this share (a critical database alerts
  // earlier than a batch worker): floor × (1 − criticality_discount · criticality).
  double criticality_discount = 0.5;
  // A rising score is judged by where it will be this far ahead (slope per hour × hours);
  // a falling one by where it is.
  double trend_lookahead_h = 1.0;
  // Debounce: enter a tier after this many consecutive updates at or above it; leave it after
  // this many consecutive updates below its exit level, thr − hysteresis · (thr − baseline)
  // (baseline taken as 0 during warm-up): a band between the baseline and the threshold.
  std::size_t enter_updates = 2;
  std::size_t exit_updates = 3;
  double hysteresis = 0.2;
  // And leave it only once this long has passed since the last update at or above it
  // (Prometheus' keep_firing_for): on minute-by-minute telemetry, three quiet minutes between two
  // bursts of the same incident do not resolve the alert and page again. Count-based exit alone
  // governs sparse updates (hourly, daily) where three updates already span longer.
  DurationMs exit_hold_ms = 15 * kMinuteMs;
};

struct TierInput {
  double p_fail = std::numeric_limits<double>::quiet_NaN();  // [0, 1]; NaN = not known
  double health = std::numeric_limits<double>::quiet_NaN();  // [0, 100]; NaN = not known
  double criticality = 0.5;                                  // [0, 1]
};

struct TierDecision {
  AlertTier tier = AlertTier::kNone;  // debounced: what to alert on
  AlertTier raw = AlertTier::kNone;   // this update alone
  bool changed = false;               // tier differs from the previous update's
  double score = 0.0;                 // max(p_fail, 1 − health/100), in [0, 1]
  double judged = 0.0;                // score + max(0, slope) · lookahead
  double baseline = 0.0;
  double sigma = 0.0;
  std::array<double, 3> threshold = {0.0, 0.0, 0.0};  // info, warning, critical
};

// One host's state (plain struct, so the engine can checkpoint it).
struct AlertTierState {
  std::size_t updates = 0;
  TimestampMs last_t = 0;
  double last_score = 0.0;
  double mean = 0.0;
  double var = 0.0;
  double slope_per_h = 0.0;  // EW slope of the score
  AlertTier tier = AlertTier::kNone;
  std::array<std::size_t, 3> above = {0, 0, 0};  // consecutive updates at or above tier i+1
  std::array<std::size_t, 3> below = {0, 0, 0};  // consecutive updates clearly below it
  // Time of the last update at or above tier i+1 (INT64_MIN: never).
  std::array<TimestampMs, 3> last_above = {std::numeric_limits<TimestampMs>::min(),
                                           std::numeric_limits<TimestampMs>::min(),
                                           std::numeric_limits<TimestampMs>::min()};
};

// The score and thresholds per update:
//   score  = max(p_fail, 1 − health/100) (a missing one is left out; both missing → 0)
//   judged = score + max(0, slope_per_h) · trend_lookahead_h
//   thr_i  = max(floor_i · (1 − discount · criticality), mean + k_i · max(σ, min_sigma))
//            (floors only during warm-up)
//   raw    = the highest tier i with judged ≥ thr_i or judged ≥ absolute_i
// The baseline (mean, EW variance σ², slope) is updated with the score after judging, with
// weight α = max(1 − 2^(−Δt / half-life), 1 / (n + 1)); while the debounced tier is warning or
// critical after warm-up, mean and slope use α · incident_rate and σ² is frozen.
// A tier is left after exit_updates consecutive updates clearly below it AND exit_hold_ms after
// the last update at or above it.
// Example (floors only, enter 2, exit 3, hysteresis 0.2, hourly updates; floors 0.05/0.2/0.5 so exit levels
// 0.04/0.16/0.4): scores 0.6 0.6 → critical on the 2nd; 0.45 stays critical (above 0.4);
// three 0.3 → warning; three 0.1 → info; three 0 → none. Scores 0.19 0.21 0.19 0.21 … never
// reach warning (never two in a row at or above 0.2).
class AlertTiers {
 public:
  explicit AlertTiers(AlertTierConfig config = {});

  // Judges one update of `host` at time t. An update older than the host's last one is judged
  // but does not move the baseline (Δt ≤ 0 gives α = 0).
  TierDecision Update(std::string_view host, TimestampMs t, const TierInput& input);

  AlertTier Current(std::string_view host) const;
  const AlertTierState* State(std::string_view host) const;
  void Forget(std::string_view host);
  const AlertTierConfig& config() const { return config_; }

 private:
  AlertTierConfig config_;
  std::unordered_map<std::string, AlertTierState> hosts_;
};

}  // namespace prognos::predict
