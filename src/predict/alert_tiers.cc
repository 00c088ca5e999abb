#include "predict/alert_tiers.h"

#include <algorithm>
#include <cmath>

namespace prognos::predict {
namespace {

double Score(const TierInput& in) {
  double s = 0.0;
  if (std::isfinite(in.p_fail)) s = std::max(s, std::clamp(in.p_fail, 0.0, 1.0));
  if (std::isfinite(in.health)) s = std::max(s, std::clamp(1.0 - in.health / 100.0, 0.0, 1.0));
  return s;
}

}  // namespace

std::string_view AlertTierName(AlertTier tier) {
  switch (tier) {
    case AlertTier::kNone:
      return "none";
    case AlertTier::kInfo:
      return "info";
    case AlertTier::kWarning:
      return "warning";
    case AlertTier::kCritical:
      return "critical";
  }
  return "none";
}

AlertTiers::AlertTiers(AlertTierConfig config) : config_(config) {}

TierDecision AlertTiers::Update(std::string_view host, TimestampMs t, const TierInput& input) {
  auto [it, inserted] = hosts_.try_emplace(std::string(host));
  AlertTierState& s = it->second;
  TierDecision d;
  d.score = Score(input);
  if (inserted) {
    s.mean = d.score;
    s.last_score = d.score;
    s.last_t = t;
  }
  const double criticality =
      std::isfinite(input.criticality) ? std::clamp(input.criticality, 0.0, 1.0) : 0.5;
  const double floor_scale = 1.0 - config_.criticality_discount * criticality;
  const bool warm = s.updates >= config_.warmup_updates;
  const double sigma = std::max(std::sqrt(std::max(s.var, 0.0)), config_.min_sigma);
  d.baseline = s.mean;
  d.sigma = sigma;
  d.judged = d.score + std::max(0.0, s.slope_per_h) * config_.trend_lookahead_h;
  std::array<bool, 3> absolute = {false, false, false};
  for (std::size_t i = 0; i < 3; ++i) {
    const double floor = config_.floor[i] * floor_scale;
    d.threshold[i] = warm ? std::max(floor, s.mean + config_.k_sigma[i] * sigma) : floor;
    // A higher tier's absolute level implies the lower tiers too.
    for (std::size_t j = i; j < 3; ++j)
      absolute[i] = absolute[i] || d.judged >= config_.absolute[j];
    if (d.judged >= d.threshold[i] || absolute[i]) d.raw = static_cast<AlertTier>(i + 1);
  }

  // Debounce with hysteresis: per tier, consecutive updates at/above it and clearly below it.
  const double base = warm ? s.mean : 0.0;
  for (std::size_t i = 0; i < 3; ++i) {
    const bool at_or_above = d.judged >= d.threshold[i] || absolute[i];
    const double exit_level = d.threshold[i] - config_.hysteresis * (d.threshold[i] - base);
    const bool clearly_below = d.judged < exit_level && !absolute[i];
    s.above[i] = at_or_above ? s.above[i] + 1 : 0;
    if (at_or_above) s.last_above[i] = std::max(s.last_above[i], t);
    s.below[i] = clearly_below ? s.below[i] + 1 : 0;
  }
  const AlertTier before = s.tier;
  int enter = 0;
  for (int i = 0; i < 3; ++i) {
    if (s.above[static_cast<std::size_t>(i)] >= config_.enter_updates) enter = i + 1;
  }
  auto level = static_cast<int>(s.tier);
  if (enter > level) {
    level = enter;
  } else {
    auto held = [&](int l) {
      const TimestampMs last = s.last_above[static_cast<std::size_t>(l - 1)];
      return last != std::numeric_limits<TimestampMs>::min() && t - last < config_.exit_hold_ms;
    };
    while (level > 0 && s.below[static_cast<std::size_t>(level - 1)] >= config_.exit_updates &&
           !held(level)) {
      --level;
    }
  }
  s.tier = static_cast<AlertTier>(level);
  d.tier = s.tier;
  d.changed = s.tier != before;

  // Baseline after judging; slowed down during a warning or critical incident.
  const DurationMs dt = t - s.last_t;
  if (!inserted && dt > 0) {
    const bool incident = warm && (s.tier == AlertTier::kWarning || s.tier == AlertTier::kCritical);
    double alpha =
        1.0 - std::exp2(-static_cast<double>(dt) / static_cast<double>(std::max<DurationMs>(
                                                       config_.baseline_half_life_ms, 1)));
    alpha = std::max(alpha, 1.0 / static_cast<double>(s.updates + 1));
    if (incident) alpha *= std::clamp(config_.incident_rate, 0.0, 1.0);
    {
      const double diff = d.score - s.mean;
      const double incr = alpha * diff;
      s.mean += incr;
      if (!incident) s.var = (1.0 - alpha) * (s.var + diff * incr);
      const double dt_h = static_cast<double>(dt) / static_cast<double>(kHourMs);
      const double inst_slope = (d.score - s.last_score) / dt_h;
      s.slope_per_h += alpha * (inst_slope - s.slope_per_h);
    }
    s.last_t = t;
    s.last_score = d.score;
  }
  ++s.updates;
  return d;
}

AlertTier AlertTiers::Current(std::string_view host) const {
  const auto* s = State(host);
  return s == nullptr ? AlertTier::kNone : s->tier;
}

const AlertTierState* AlertTiers::State(std::string_view host) const {
  const auto it = hosts_.find(std::string(host));
  return it == hosts_.end() ? nullptr : &it->second;
}

void AlertTiers::Forget(std::string_view host) { hosts_.erase(std::string(host)); }

}  // namespace prognos::predict
