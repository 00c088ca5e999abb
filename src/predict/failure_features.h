// Causal per-entity features for failure prediction (drives, components): from each entity's
// history of indicator values up to now, the latest values, their changes over 1/7/30 days, how
// often they rose, and the entity's age. Built incrementally, so batch training (`prognos
// failure train`) and the live engine compute exactly the same vector. Pure; not thread-safe
// (owned by one shard).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace prognos::predict {

// What the features are made of. Indicator names are free-form: the engine passes Prometheus
// names (`smart_5_raw`), the Backblaze CSV has the same column names.
struct FailureFeatureSpec {
  std::vector<std::string> indicators;
  // Change windows in days; each gives one `…_delta_<d>d` feature per indicator.
  std::vector<std::int32_t> delta_days = {1, 7, 30};
  // A snapshot of the latest values enters the history at most once per this spacing (bounds
  // memory for minute-level streams: ≤ 30 d / 1 h = 720 snapshots an entity).
  DurationMs snapshot_spacing_ms = kHourMs;
  // Component type priors (issue #11: fleet or manufacturer failure rates per type). When
  // type_label is set (Backblaze: the drive `model`), the feature vector ends with
  // `type_prior`, the prior failure rate of the entity's type: the rate learned for that type,
  // else fleet_rate (a type never seen in training), else NaN (type not reported). The trees
  // weigh it against the entity's own history (age_days says how much there is).
  std::string type_label;
  std::unordered_map<std::string, double> type_rates;
  double fleet_rate = 0.0;
  // Feature set 2 (off by default, so a spec written before it keeps its layout): per
  // indicator the rate of change per day since first seen, days since the value first became
  // > 0, and with a type_label the deviation from the mean latest value of the entity's type;
  // plus `alarm_count`, how many of alarm_indicators are > 0 now (a threshold rule such as
  // Backblaze's "any of SMART 5, 187, 188, 197, 198 raw > 0" as one feature).
  bool extended = false;
  std::vector<std::string> alarm_indicators;  // each must be one of indicators
};

// Smoothed failure rate per type from labelled entities: (failed + m · fleet) / (n + m), fleet =
// all failed / all entities, so a type seen on a handful of entities stays near the fleet rate.
// types[i], failed[i] describe entity i. Example: fleet 2 of 100, m = 50, a type with 1 of 2
// failed: (1 + 50 · 0.02) / (2 + 50) = 2 / 52 ≈ 0.038.
void FitTypeRates(std::span<const std::string> types, std::span<const bool> failed,
                  double pseudo_count, FailureFeatureSpec& spec);

// Checks a spec: at least one indicator, unique non-empty names, delta days in [1, 3650],
// spacing > 0.
Result<void> ValidateFeatureSpec(const FailureFeatureSpec& spec);

// Feature layout, per indicator i (in spec order), then one entity-level feature:
//   <name>                  latest value (carried forward; NaN if never seen)
//   <name>_delta_<d>d       latest − the value in the oldest snapshot taken at or after
//                           t_latest − d days (the change over at most d days; 0 with one
//                           snapshot; NaN when either end is unknown)
//   <name>_increases        number of snapshots in which the value rose above the previous
//                           snapshot's (over the entity's whole history)
//   <name>_rel_first        latest − the first value ever seen (growth since first seen)
//   <name>_rate_per_day     extended only: rel_first / age_days (NaN at age 0)
//   <name>_days_nonzero     extended only: days since the first snapshot with value > 0 (NaN
//                           while it never was; a value > 0 when first seen counts from then)
//   <name>_type_dev         extended with a type_label only: latest − the mean latest value
//                           over the entities of the same type (itself included; NaN if the
//                           entity has no type or the value is unknown). Kept exactly by running
//                           sums per type, O(1) per update.
//   age_days                (t_latest − t_first) / 1 day
//   type_prior              only with a type_label: see FailureFeatureSpec
//   alarm_count             extended with alarm_indicators only: how many are > 0 now
// Example, daily snapshots of smart_5_raw 0, 0, 4, 6 on days 0..3: latest 6, delta_1d 2,
// delta_7d 6 (vs day 0), increases 2, rel_first 6, age_days 3.
std::vector<std::string> FailureFeatureNames(const FailureFeatureSpec& spec);

class FeatureBuilder {
 public:
  // The spec must be valid (ValidateFeatureSpec); an invalid spec is an invariant violation.
  explicit FeatureBuilder(FailureFeatureSpec spec);

  const FailureFeatureSpec& spec() const { return spec_; }
  // Index of an indicator name in spec().indicators (for UpdateOne from a sample's __name__);
  // nullopt for a name the spec does not use (the engine skips that sample).
  std::optional<std::size_t> IndicatorIndex(std::string_view name) const;
  std::size_t feature_count() const { return feature_count_; }
  std::vector<std::string> FeatureNames() const { return FailureFeatureNames(spec_); }

  // Records the entity's indicator values at time t: values[i] belongs to spec().indicators[i];
  // NaN = not reported this time (the last value is carried forward). Errors: wrong number of
  // values (invalid_argument), t older than the entity's latest update (out of order: rejected,
  // state unchanged). Equal t merges into the latest values.
  // `type` (optional) sets the entity's type for type_prior; empty keeps the one it has.
  Result<void> Update(std::string_view entity, TimestampMs t, std::span<const double> values,
                      std::string_view type = {});
  // One indicator only (the engine sees one sample at a time); same rules.
  Result<void> UpdateOne(std::string_view entity, TimestampMs t, std::size_t indicator,
                         double value);

  // The entity's current feature vector (FailureFeatureNames order); empty if never seen.
  std::vector<float> Features(std::string_view entity) const;
  // Same, written into out (resized); returns false if the entity was never seen.
  bool FeaturesInto(std::string_view entity, std::vector<float>& out) const;

  // Sets a known entity's type for type_prior (the engine's per-sample path, where the type
  // comes as a label rather than with a row); false if the entity was never seen.
  bool SetType(std::string_view entity, std::string_view type);

  bool Known(std::string_view entity) const;
  std::size_t entity_count() const { return entities_.size(); }
  // Drops an entity (decommissioned drive, deleted host).
  void Forget(std::string_view entity);

 private:
  static constexpr std::uint32_t kNoType = std::numeric_limits<std::uint32_t>::max();
  struct EntityState {
    TimestampMs first_t = 0;
    TimestampMs latest_t = 0;
    std::vector<double> latest;  // carried-forward values
    std::vector<double> first;   // first value seen per indicator (NaN until seen)
    std::vector<std::uint32_t> increases;
    // Snapshots, oldest first, pruned to the longest delta window: their times, and their
    // values flat (indicator i of snapshot j at j · n + i) so a snapshot costs n doubles and no
    // allocation of its own.
    std::deque<TimestampMs> snap_t;
    std::deque<double> snap_values;
    double type_prior = std::numeric_limits<double>::quiet_NaN();
    std::vector<TimestampMs> nonzero_since;  // extended: first time > 0 (kNever until then)
    std::uint32_t type_id = kNoType;          // extended with type: index into type_stats_
  };
  // Running sums of the latest values of one type's entities (extended features).
  struct TypeStats {
    std::vector<double> sum;
    std::vector<double> count;
  };
  void SetTypeOf(EntityState& state, std::string_view type);
  void AddToType(const EntityState& state, double sign);
  Result<EntityState*> Touch(std::string_view entity, TimestampMs t);
  void TakeSnapshot(EntityState& state) const;

  FailureFeatureSpec spec_;
  std::size_t feature_count_ = 0;
  DurationMs longest_window_ms_ = 0;
  std::unordered_map<std::string, EntityState> entities_;
  std::vector<TypeStats> type_stats_;
  std::unordered_map<std::string, std::uint32_t> type_ids_;
  std::vector<std::size_t> alarm_index_;
};

}  // namespace prognos::predict
