#include "predict/failure_features.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "core/check.h"

namespace prognos::predict {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int32_t kMaxDeltaDays = 3650;
constexpr std::size_t kMaxWindows = 16;
constexpr TimestampMs kNever = std::numeric_limits<TimestampMs>::max();

}  // namespace

Result<void> ValidateFeatureSpec(const FailureFeatureSpec& spec) {
  if (spec.indicators.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "failure features need at least one indicator");
  }
  std::set<std::string> seen;
  for (const auto& name : spec.indicators) {
    if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty indicator name");
    if (!seen.insert(name).second) {
      return MakeError(ErrorCode::kInvalidArgument, "indicator '" + name + "' listed twice");
    }
  }
  if (spec.delta_days.size() > kMaxWindows) {
    return MakeError(ErrorCode::kInvalidArgument, "at most 16 delta windows");
  }
  for (const std::int32_t d : spec.delta_days) {
    if (d < 1 || d > kMaxDeltaDays) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "delta window of " + std::to_string(d) + " days is outside [1, 3650]");
    }
  }
  if (spec.snapshot_spacing_ms <= 0) {
    return MakeError(ErrorCode::kInvalidArgument, "snapshot spacing must be positive");
  }
  for (const auto& name : spec.alarm_indicators) {
    if (seen.count(name) == 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "alarm indicator '" + name + "' is not one of the indicators");
    }
  }
  auto bad_rate = [](double r) { return !(r >= 0.0 && r <= 1.0); };
  if (!spec.type_label.empty() && bad_rate(spec.fleet_rate)) {
    return MakeError(ErrorCode::kInvalidArgument, "fleet failure rate must be in [0, 1]");
  }
  for (const auto& [type, rate] : spec.type_rates) {
    if (bad_rate(rate)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "failure rate of type '" + type + "' must be in [0, 1]");
    }
  }
  return Ok();
}

void FitTypeRates(std::span<const std::string> types, std::span<const bool> failed,
                  double pseudo_count, FailureFeatureSpec& spec) {
  const std::size_t n = std::min(types.size(), failed.size());
  std::unordered_map<std::string, std::pair<double, double>> counts;  // failed, entities
  double all_failed = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    auto& c = counts[types[i]];
    c.first += failed[i] ? 1.0 : 0.0;
    c.second += 1.0;
    all_failed += failed[i] ? 1.0 : 0.0;
  }
  spec.fleet_rate = n == 0 ? 0.0 : all_failed / static_cast<double>(n);
  spec.type_rates.clear();
  const double m = std::max(pseudo_count, 0.0);
  for (const auto& [type, c] : counts) {
    if (type.empty()) continue;
    spec.type_rates[type] = (c.first + m * spec.fleet_rate) / (c.second + m);
  }
}

std::vector<std::string> FailureFeatureNames(const FailureFeatureSpec& spec) {
  std::vector<std::string> names;
  for (const auto& ind : spec.indicators) {
    names.push_back(ind);
    for (const std::int32_t d : spec.delta_days) {
      names.push_back(ind + "_delta_" + std::to_string(d) + "d");
    }
    names.push_back(ind + "_increases");
    names.push_back(ind + "_rel_first");
    if (spec.extended) {
      names.push_back(ind + "_rate_per_day");
      names.push_back(ind + "_days_nonzero");
      if (!spec.type_label.empty()) names.push_back(ind + "_type_dev");
    }
  }
  names.emplace_back("age_days");
  if (!spec.type_label.empty()) names.emplace_back("type_prior");
  if (spec.extended && !spec.alarm_indicators.empty()) names.emplace_back("alarm_count");
  return names;
}

FeatureBuilder::FeatureBuilder(FailureFeatureSpec spec) : spec_(std::move(spec)) {
  PROGNOS_CHECK(ValidateFeatureSpec(spec_).has_value());
  feature_count_ = FailureFeatureNames(spec_).size();
  std::int32_t longest = 0;
  for (const std::int32_t d : spec_.delta_days) longest = std::max(longest, d);
  longest_window_ms_ = static_cast<DurationMs>(longest) * kDayMs;
  if (spec_.extended) {
    for (const auto& name : spec_.alarm_indicators) alarm_index_.push_back(*IndicatorIndex(name));
  }
}

void FeatureBuilder::AddToType(const EntityState& state, double sign) {
  if (state.type_id == kNoType) return;
  TypeStats& stats = type_stats_[state.type_id];
  for (std::size_t i = 0; i < state.latest.size(); ++i) {
    if (std::isnan(state.latest[i])) continue;
    stats.sum[i] += sign * state.latest[i];
    stats.count[i] += sign;
  }
}

// Moves the entity's latest values from its old type's sums to the new type's.
void FeatureBuilder::SetTypeOf(EntityState& state, std::string_view type) {
  if (!spec_.extended || spec_.type_label.empty() || type.empty()) return;
  const auto [it, fresh] =
      type_ids_.emplace(std::string(type), static_cast<std::uint32_t>(type_stats_.size()));
  if (fresh) {
    const std::size_t n = spec_.indicators.size();
    type_stats_.push_back(TypeStats{std::vector<double>(n, 0.0), std::vector<double>(n, 0.0)});
  }
  if (state.type_id == it->second) return;
  AddToType(state, -1.0);
  state.type_id = it->second;
  AddToType(state, 1.0);
}

Result<FeatureBuilder::EntityState*> FeatureBuilder::Touch(std::string_view entity, TimestampMs t) {
  auto it = entities_.find(std::string(entity));
  if (it == entities_.end()) {
    const std::size_t n = spec_.indicators.size();
    EntityState state;
    state.first_t = t;
    state.latest_t = t;
    state.latest.assign(n, kNaN);
    state.first.assign(n, kNaN);
    state.increases.assign(n, 0);
    if (spec_.extended) state.nonzero_since.assign(n, kNever);
    it = entities_.emplace(std::string(entity), std::move(state)).first;
    return &it->second;
  }
  if (t < it->second.latest_t) {
    return MakeError(ErrorCode::kInvalidArgument, "out of order: " + std::string(entity) + " at " +
                                                      FormatTimestamp(t) +
                                                      " is older than its latest update " +
                                                      FormatTimestamp(it->second.latest_t));
  }
  it->second.latest_t = t;
  return &it->second;
}

// Pushes a snapshot of the latest values when the newest one is at least a spacing old, or
// rewrites the newest when it has the same time (several indicators of one instant arrive
// one by one). Increases are counted against the snapshot before the newest, so a rewrite
// first takes back what the old values counted.
void FeatureBuilder::TakeSnapshot(EntityState& state) const {
  const std::size_t n = spec_.indicators.size();
  auto rose = [](double prev, double now) {
    return !std::isnan(prev) && !std::isnan(now) && now > prev;
  };
  auto& times = state.snap_t;
  auto& values = state.snap_values;
  const std::size_t count = times.size();
  if (count > 0 && times.back() == state.latest_t) {
    const std::size_t newest = (count - 1) * n;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = state.latest[i];
      if (count >= 2) {
        const double prev = values[newest - n + i];
        if (rose(prev, values[newest + i])) --state.increases[i];
        if (rose(prev, v)) ++state.increases[i];
      }
      values[newest + i] = v;
    }
    return;
  }
  if (count > 0 && state.latest_t - times.back() < spec_.snapshot_spacing_ms) return;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = state.latest[i];
    if (count > 0 && rose(values[(count - 1) * n + i], v)) ++state.increases[i];
    values.push_back(v);
  }
  times.push_back(state.latest_t);
  // Keep the oldest snapshot any window can still reach (t ≥ latest − longest window).
  while (times.size() > 2 && times.front() < state.latest_t - longest_window_ms_) {
    times.pop_front();
    values.erase(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

Result<void> FeatureBuilder::Update(std::string_view entity, TimestampMs t,
                                    std::span<const double> values, std::string_view type) {
  if (values.size() != spec_.indicators.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "expected " + std::to_string(spec_.indicators.size()) +
                         " indicator values, got " + std::to_string(values.size()));
  }
  auto state = Touch(entity, t);
  if (!state) return tl::unexpected(state.error());
  EntityState& s = **state;
  if (!type.empty() && !spec_.type_label.empty()) {
    const auto rate = spec_.type_rates.find(std::string(type));
    s.type_prior = rate != spec_.type_rates.end() ? rate->second : spec_.fleet_rate;
    SetTypeOf(s, type);
  }
  TypeStats* stats = s.type_id != kNoType ? &type_stats_[s.type_id] : nullptr;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (std::isnan(v)) continue;
    if (stats != nullptr) {
      if (std::isnan(s.latest[i])) {
        stats->sum[i] += v;
        stats->count[i] += 1.0;
      } else {
        stats->sum[i] += v - s.latest[i];
      }
    }
    s.latest[i] = v;
    if (std::isnan(s.first[i])) s.first[i] = v;
    if (spec_.extended && v > 0.0 && s.nonzero_since[i] == kNever) s.nonzero_since[i] = t;
  }
  TakeSnapshot(s);
  return Ok();
}

Result<void> FeatureBuilder::UpdateOne(std::string_view entity, TimestampMs t,
                                       std::size_t indicator, double value) {
  if (indicator >= spec_.indicators.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "indicator index " + std::to_string(indicator) + " out of range");
  }
  std::vector<double> values(spec_.indicators.size(), kNaN);
  values[indicator] = value;
  return Update(entity, t, values);
}

std::optional<std::size_t> FeatureBuilder::IndicatorIndex(std::string_view name) const {
  for (std::size_t i = 0; i < spec_.indicators.size(); ++i) {
    if (spec_.indicators[i] == name) return i;
  }
  return std::nullopt;
}

bool FeatureBuilder::SetType(std::string_view entity, std::string_view type) {
  const auto it = entities_.find(std::string(entity));
  if (it == entities_.end()) return false;
  if (spec_.type_label.empty() || type.empty()) return true;
  const auto rate = spec_.type_rates.find(std::string(type));
  it->second.type_prior = rate != spec_.type_rates.end() ? rate->second : spec_.fleet_rate;
  SetTypeOf(it->second, type);
  return true;
}

bool FeatureBuilder::Known(std::string_view entity) const {
  return entities_.find(std::string(entity)) != entities_.end();
}

void FeatureBuilder::Forget(std::string_view entity) {
  const auto it = entities_.find(std::string(entity));
  if (it == entities_.end()) return;
  AddToType(it->second, -1.0);
  entities_.erase(it);
}

std::vector<float> FeatureBuilder::Features(std::string_view entity) const {
  std::vector<float> out;
  if (!FeaturesInto(entity, out)) out.clear();
  return out;
}

bool FeatureBuilder::FeaturesInto(std::string_view entity, std::vector<float>& out) const {
  const auto it = entities_.find(std::string(entity));
  if (it == entities_.end()) return false;
  const EntityState& s = it->second;
  out.resize(feature_count_);
  const std::size_t n = spec_.indicators.size();
  // Per window, the oldest snapshot at or after latest − d (times are sorted).
  std::size_t base_index[kMaxWindows];
  const std::size_t windows = std::min(spec_.delta_days.size(), kMaxWindows);
  for (std::size_t w = 0; w < windows; ++w) {
    const TimestampMs from = s.latest_t - static_cast<DurationMs>(spec_.delta_days[w]) * kDayMs;
    base_index[w] = static_cast<std::size_t>(
        std::lower_bound(s.snap_t.begin(), s.snap_t.end(), from) - s.snap_t.begin());
  }
  const double age_days =
      static_cast<double>(s.latest_t - s.first_t) / static_cast<double>(kDayMs);
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double latest = s.latest[i];
    out[k++] = static_cast<float>(latest);
    for (std::size_t w = 0; w < spec_.delta_days.size(); ++w) {
      const double base = w < windows && base_index[w] < s.snap_t.size()
                              ? s.snap_values[base_index[w] * n + i]
                              : kNaN;
      out[k++] = static_cast<float>(latest - base);  // NaN when either is unknown
    }
    out[k++] = static_cast<float>(s.increases[i]);
    out[k++] = static_cast<float>(latest - s.first[i]);
    if (spec_.extended) {
      out[k++] = age_days > 0.0 ? static_cast<float>((latest - s.first[i]) / age_days)
                                : std::numeric_limits<float>::quiet_NaN();
      out[k++] = s.nonzero_since[i] == kNever
                     ? std::numeric_limits<float>::quiet_NaN()
                     : static_cast<float>(static_cast<double>(s.latest_t - s.nonzero_since[i]) /
                                          static_cast<double>(kDayMs));
      if (!spec_.type_label.empty()) {
        double dev = kNaN;
        if (s.type_id != kNoType) {
          const TypeStats& stats = type_stats_[s.type_id];
          if (stats.count[i] > 0.0) dev = latest - stats.sum[i] / stats.count[i];
        }
        out[k++] = static_cast<float>(dev);
      }
    }
  }
  out[k++] = static_cast<float>(age_days);
  if (!spec_.type_label.empty()) out[k++] = static_cast<float>(s.type_prior);
  if (spec_.extended && !alarm_index_.empty()) {
    int alarms = 0;
    for (const std::size_t i : alarm_index_) alarms += s.latest[i] > 0.0 ? 1 : 0;
    out[k++] = static_cast<float>(alarms);
  }
  return true;
}

}  // namespace prognos::predict
