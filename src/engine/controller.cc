#include "engine/controller.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "actuate/plan_runner.h"
#include "engine/engine.h"
#include "policy/audit_codec.h"
#include "policy/planner.h"
#include "policy/planner_codec.h"
#include "predict/alert_tiers.h"
#include "predict/dependency_model.h"
#include "predict/health_score.h"
#include "signal/deviation.h"
#include "signal/forecast/online_forecaster.h"
#include "store/audit_log.h"
#include "store/blob_store.h"

namespace prognos::engine {
namespace {

constexpr std::size_t kMemoryEntries = 50000;  // audit entries kept in memory
constexpr std::size_t kMinFitSamples = 24;     // samples before a forecaster's first refit
constexpr DurationMs kFitHistoryMs = 14 * kDayMs;
constexpr std::size_t kMaxForecastSteps = 288;

// One resource of one workload: its usage series and online forecaster.
struct UsageTrack {
  explicit UsageTrack(const signal::OnlineForecasterOptions& o) : forecaster(o) {}
  signal::OnlineForecaster forecaster;
  std::uint64_t series_id = 0;
  TimestampMs last_t = 0;
  double last_value = 0;
  DurationMs step_ms = 0;  // spacing of the last two samples (the refit's grid)
  std::uint64_t samples = 0;
  TimestampMs last_refit = INT64_MIN;
};

struct WorkloadTracks {
  std::array<std::unique_ptr<UsageTrack>, policy::kResourceCount> r;
};

// Exponentially weighted correlation between a health gauge and its host's load (half-life a day
// of 5-minute samples): how much of the gauge's movement the load explains. O(1), 48 bytes.
struct LoadCorrelation {
  double n = 0, mean_x = 0, mean_y = 0, var_x = 0, var_y = 0, cov = 0;
  void Update(double x, double y) {
    constexpr double kAlpha = 1.0 / 416.0;  // ≈ 1 − 2^(−1/288)
    n += 1;
    const double a = std::max(kAlpha, 1.0 / n);
    const double dx = x - mean_x;
    const double dy = y - mean_y;
    mean_x += a * dx;
    mean_y += a * dy;
    var_x = (1 - a) * (var_x + a * dx * dx);
    var_y = (1 - a) * (var_y + a * dy * dy);
    cov = (1 - a) * (cov + a * dx * dy);
  }
  // ρ in [−1, 1]; 0 until there is spread in both.
  double rho() const {
    if (n < 12 || var_x <= 0 || var_y <= 0) return 0.0;
    return std::clamp(cov / std::sqrt(var_x * var_y), -1.0, 1.0);
  }
};

double Clamp01(double x) { return std::isfinite(x) ? std::clamp(x, 0.0, 1.0) : 0.0; }

// Two decimals, for alert messages.
std::string FormatNumber(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", x);
  return buf;
}

}  // namespace

struct Controller::Impl {
  Impl(Engine& e, ControllerOptions o, actuate::Actuator& a, store::AuditLog* log,
       std::function<void(const policy::AuditEntry&)> cb)
      : engine(e),
        options(std::move(o)),
        actuator(a),
        audit(log),
        on_entry(std::move(cb)),
        planner(options.policy),
        features(options.failure_model
                     ? std::make_unique<predict::FeatureBuilder>(options.failure_model->spec())
                     : nullptr),
        tiers(options.alert_tiers),
        runner(a),
        inventory(options.inventory) {
    options.policy.Normalize();
    entropy = std::make_unique<EntropyLearner>(options.entropy, options.policy.horizon_ms);
    if (options.failure_model && options.retrain.enabled) {
      retrainer = std::make_unique<ModelRetrainer>(options.failure_model, options.retrain,
                                                   options.state_store);
    }
  }

  Engine& engine;
  ControllerOptions options;
  actuate::Actuator& actuator;
  store::AuditLog* audit;
  std::function<void(const policy::AuditEntry&)> on_entry;

  mutable std::mutex mu;
  policy::Planner planner;
  std::unique_ptr<predict::FeatureBuilder> features;  // when a failure model is configured
  predict::AlertTiers tiers;                          // adaptive, debounced alert tiers per host
  std::vector<policy::AuditEntry> tier_changes;       // written by the tick that computed them
  actuate::PlanRunner runner;
  policy::Inventory inventory;
  std::unordered_map<std::string, WorkloadTracks> workloads;               // by component label
  std::unordered_map<std::uint64_t, signal::DeviationTracker> deviations;  // by series id
  // Each health gauge's correlation with its host's mean load (by series id); the hosts' latest
  // load values are in host_loads (Observe's own state, below).
  std::unordered_map<std::uint64_t, LoadCorrelation> load_corr;
  std::vector<policy::HostRisk> last_risks;
  policy::ActionPlan last_plan;
  std::deque<policy::AuditEntry> memory;
  std::uint64_t next_seq = 1;
  std::vector<std::string> last_alerts;
  std::unique_ptr<ModelRetrainer> retrainer;  // when retraining is on
  std::unique_ptr<EntropyLearner> entropy;    // entropy forecasting
  // Per host: the dependency model over its health indicators (one row each time the host has
  // new telemetry at a tick), rebuilt when the host's set of indicators changes.
  struct HostDependency {
    std::vector<std::string> names;  // indicator[/component] per column
    std::unique_ptr<predict::DependencyModel> model;
    TimestampMs last_row = INT64_MIN;
    predict::RiskResult last;
  };
  std::unordered_map<std::string, HostDependency> dependencies;
  std::vector<std::string> dep_names;  // scratch
  std::vector<double> dep_row;         // scratch

  // The host's dependency risk: learns a row when the host has news (only while recording, i.e.
  // in a tick), then reports the latest result.
  void Dependency(const HostSignalView& v, TimestampMs now, policy::HostRisk& risk) {
    HostDependency& hd = dependencies[v.host];
    if (recording && v.last > hd.last_row) {
      dep_names.clear();
      dep_row.clear();
      for (const auto& ind : v.indicators) {
        if (ind.indicator == "status" || IsUsageIndicator(ind.indicator)) continue;
        if (options.workload_label != kHostLabel && !ind.component.empty() &&
            inventory.FindWorkload(ind.component) != nullptr) {
          continue;  // a workload's own series
        }
        std::string name = ind.indicator;
        if (!ind.component.empty()) name.append("/").append(ind.component);
        dep_names.push_back(std::move(name));
        // A value older than two horizons is missing for this row.
        dep_row.push_back(now - ind.t > 2 * options.policy.horizon_ms
                              ? std::numeric_limits<double>::quiet_NaN()
                              : ind.value);
      }
      if (dep_names != hd.names) {
        hd.names = dep_names;
        hd.model = dep_names.size() >= 2
                       ? std::make_unique<predict::DependencyModel>(dep_names.size())
                       : nullptr;
        hd.last = {};
      }
      if (hd.model) hd.last = hd.model->Update(dep_row);
      hd.last_row = v.last;
    }
    risk.dependency_risk = hd.last.risk;
    if (!hd.last.ranking.empty() && hd.last.ranking.front().indicator < hd.names.size()) {
      risk.dependency_cause = hd.names[hd.last.ranking.front().indicator];
    }
  }
  bool recording = false;  // PredictLocked runs for a tick (not for a read of the API)
  std::unordered_map<std::string, policy::ResourceVector> host_usage;  // this tick, by host
  EntropyLearner::Entropies entropies;  // scratch of Risk (views into the host's signal view)
  std::unordered_map<std::string, bool> host_failing;  // status "fail" at the last Risk
  std::vector<float> feature_row;                      // scratch
  std::vector<double> forecast_levels;                 // scratch of Demand
  // Scratch of PredictLocked, views into inventory.workloads (valid for one prediction).
  std::unordered_map<std::string_view, const policy::Workload*> first_workload;
  std::unordered_map<std::string_view, double> host_criticality;  // by host: max criticality
  std::vector<HostSignalView> host_views;  // scratch of PredictLocked (Risk reads the views)
  std::vector<signal::ForecastPoint> forecast_points;  // scratch of Demand

  std::shared_ptr<const predict::FailureModel> ServingModel() const {
    return retrainer ? retrainer->serving() : options.failure_model;
  }

  // Feeds the retrainer every host's features and failure status, and audits what it did.
  void StepRetraining(const std::vector<policy::HostRisk>& risks, TimestampMs now) {
    if (!retrainer) return;
    for (const auto& r : risks) {
      feature_row.clear();
      if (features) (void)features->FeaturesInto(r.host, feature_row);
      auto f = host_failing.find(r.host);
      retrainer->Observe(r.host, now, feature_row, f != host_failing.end() && f->second);
    }
    for (auto& message : retrainer->Step(now)) {
      policy::AuditEntry e;
      e.t = now;
      e.kind = "model";
      e.message = std::move(message);
      Record(std::move(e));
    }
  }

  int ResourceOf(std::string_view name) const {
    for (std::size_t r = 0; r < policy::kResourceCount; ++r) {
      if (options.usage_indicator[r] == name) return static_cast<int>(r);
    }
    return -1;
  }

  bool IsUsageIndicator(std::string_view name) const { return ResourceOf(name) >= 0; }
  bool IsLoadIndicator(std::string_view name) const {
    for (const auto& word : options.load_indicators) {
      if (!word.empty() && name.find(word) != std::string_view::npos) return true;
    }
    return false;
  }

  // What Observe does with one series, worked out from its labels on its first sample and cached
  // by series id, so the per-sample path builds no strings and does no lookup by name. The
  // pointers stay valid: they point into node-based containers (unordered_map values, std::map
  // values, unique_ptr targets) from which nothing is ever erased.
  struct ObservedSeries {
    enum class Kind : std::uint8_t { kSkip, kUsage, kHealth };
    std::uint64_t id = 0;
    Kind kind = Kind::kSkip;
    bool load = false;  // a load indicator (its latest value feeds the host's mean load)
    std::optional<std::size_t> feature;                  // index in the failure model's indicators
    UsageTrack* track = nullptr;                         // kUsage
    signal::DeviationTracker* deviation = nullptr;       // kHealth
    std::map<std::string, double>* host_load = nullptr;  // kHealth: the host's load indicators
    double* load_slot = nullptr;        // kHealth and load: this series' entry in *host_load
    LoadCorrelation* corr = nullptr;    // kHealth, not load: created on first use
    const std::string* host = nullptr;  // kHealth: key of host_loads (for the failure features)
  };
  // Open addressing with linear probing by series id, at most half full, no deletion; entries
  // are stored inline (one cache line each) and move only when the table grows.
  std::vector<ObservedSeries> observed;
  std::vector<std::uint8_t> observed_used;  // 1 where observed[i] holds a series
  std::size_t observed_count = 0;
  std::unordered_map<std::string, std::map<std::string, double>> host_loads;  // by host

  static std::size_t ObservedSlot0(std::uint64_t id, std::size_t mask) {
    return static_cast<std::size_t>(id * 0x9E3779B97F4A7C15ULL >> 32) & mask;
  }
  ObservedSeries* FindObserved(std::uint64_t id) {
    if (observed.empty()) return nullptr;
    const std::size_t mask = observed.size() - 1;
    for (std::size_t i = ObservedSlot0(id, mask);; i = (i + 1) & mask) {
      if (observed_used[i] == 0) return nullptr;
      if (observed[i].id == id) return &observed[i];
    }
  }
  ObservedSeries* InsertObserved(ObservedSeries entry) {
    if (2 * (observed_count + 1) > observed.size()) {
      const std::size_t n = observed.empty() ? 256 : observed.size() * 2;
      std::vector<ObservedSeries> old = std::move(observed);
      std::vector<std::uint8_t> old_used = std::move(observed_used);
      observed.assign(n, ObservedSeries{});
      observed_used.assign(n, 0);
      for (std::size_t k = 0; k < old.size(); ++k) {
        if (old_used[k] == 0) continue;
        std::size_t i = ObservedSlot0(old[k].id, n - 1);
        while (observed_used[i] != 0) i = (i + 1) & (n - 1);
        observed[i] = old[k];
        observed_used[i] = 1;
      }
    }
    const std::size_t mask = observed.size() - 1;
    std::size_t i = ObservedSlot0(entry.id, mask);
    while (observed_used[i] != 0) i = (i + 1) & mask;
    observed[i] = entry;
    observed_used[i] = 1;
    ++observed_count;
    return &observed[i];
  }

  // First sample of a series: classify it from its labels (under mu).
  ObservedSeries Classify(const Labels& labels, std::uint64_t id) {
    ObservedSeries o;
    o.id = id;
    const std::string_view name = labels.Get(kMetricNameLabel).value_or("");
    auto component = labels.Get(options.workload_label);
    const int r = ResourceOf(name);
    if (r >= 0 && component && !component->empty()) {
      auto& slot = workloads[std::string(*component)].r[static_cast<std::size_t>(r)];
      if (!slot) {
        signal::OnlineForecasterOptions fo;
        fo.horizon = 12;
        fo.level = 0.8;
        slot = std::make_unique<UsageTrack>(fo);
      }
      o.kind = ObservedSeries::Kind::kUsage;
      o.track = slot.get();
      return o;
    }
    // A health indicator: track how far it is from its own baseline (the failure evidence).
    auto host = labels.Get(kHostLabel);
    if (name == "status" || !host) return o;  // kSkip
    o.kind = ObservedSeries::Kind::kHealth;
    if (features) o.feature = features->IndicatorIndex(name);
    auto it = deviations.find(id);
    if (it == deviations.end()) {
      signal::DeviationConfig dc;
      auto dir = options.directions.find(std::string(name));
      if (dir != options.directions.end()) dc.direction = dir->second;
      it = deviations.emplace(id, signal::DeviationTracker(dc)).first;
    }
    o.deviation = &it->second;
    auto hl = host_loads.try_emplace(std::string(*host)).first;
    o.host = &hl->first;
    o.host_load = &hl->second;
    o.load = IsLoadIndicator(name);
    // A load series' entry appears with its first sample (as before: the host's mean load counts
    // only indicators that have reported).
    if (o.load) o.load_slot = &hl->second.try_emplace(std::string(name), 0.0).first->second;
    return o;
  }

  void Observe(const Labels& labels, std::uint64_t id, Sample s) {
    std::lock_guard<std::mutex> lock(mu);
    ObservedSeries* o = FindObserved(id);
    if (o == nullptr) o = InsertObserved(Classify(labels, id));
    switch (o->kind) {
      case ObservedSeries::Kind::kSkip:
        return;
      case ObservedSeries::Kind::kHealth: {
        if (o->feature) (void)features->UpdateOne(*o->host, s.t, *o->feature, s.v);  // ooo: skipped
        o->deviation->Update(s.t, s.v);
        if (o->load) {
          *o->load_slot = s.v;
        } else if (!o->host_load->empty()) {
          double load = 0;
          for (const auto& [n, v] : *o->host_load) load += v;
          if (o->corr == nullptr) o->corr = &load_corr[id];
          o->corr->Update(s.v, load / static_cast<double>(o->host_load->size()));
        }
        return;
      }
      case ObservedSeries::Kind::kUsage: {
        UsageTrack& t = *o->track;
        if (s.t <= t.last_t && t.samples > 0) return;  // causal stream: skip out-of-order samples
        if (t.samples > 0) t.step_ms = s.t - t.last_t;
        t.series_id = id;  // follows migrations: the newest series of this workload
        t.last_t = s.t;
        t.last_value = s.v;
        ++t.samples;
        t.forecaster.Update(s.t, s.v);
        return;
      }
    }
  }

  // Reads the track's recent history onto a regular grid and refits its forecaster.
  void Refit(UsageTrack& t, TimestampMs now) {
    t.last_refit = now;
    if (t.step_ms <= 0) return;
    auto samples = engine.storage().ReadSamples(t.series_id, t.last_t - kFitHistoryMs, t.last_t);
    if (samples.size() < 2) return;
    const TimestampMs first = samples.front().t;
    const auto n = static_cast<std::size_t>((t.last_t - first) / t.step_ms) + 1;
    std::vector<double> grid(n, std::numeric_limits<double>::quiet_NaN());
    for (const Sample& s : samples) {
      const auto i = static_cast<std::size_t>((t.last_t - s.t + t.step_ms / 2) / t.step_ms);
      if (i < n) grid[n - 1 - i] = s.v;
    }
    (void)t.forecaster.Refit(grid, t.last_t, t.step_ms, options.forecast_models);
  }

  // `w` is inventory.FindWorkload(id) (PredictLocked looks it up once for all workloads).
  policy::WorkloadDemand Demand(const std::string& id, const policy::Workload* w,
                                WorkloadTracks& tracks, TimestampMs now) {
    policy::WorkloadDemand d;
    d.workload = id;
    d.levels = options.levels;
    d.quantiles.assign(d.levels.size(), policy::ResourceVector{});
    d.usage_quantiles.assign(d.levels.size(), policy::ResourceVector{});
    // The demand at which the planner's rule keeps the allocation as it is (need = demand ·
    // (1 + headroom), divided by the tier's target_utilization without quantile_sizing).
    auto keep_level = [&](std::size_t r) {
      if (w == nullptr) return 0.0;
      const policy::SlaTier& tier = options.policy.Tier(w->sla_tier);
      return w->request.v[r] * w->replicas *
             (options.policy.quantile_sizing ? 1.0 : tier.target_utilization) /
             (1.0 + options.policy.headroom);
    };
    for (std::size_t r = 0; r < policy::kResourceCount; ++r) {
      UsageTrack* t = tracks.r[r].get();
      if (t == nullptr || t->samples == 0) {
        // No telemetry for this resource: an unmeasured resource is never scaled.
        const double keep = keep_level(r);
        d.observed.v[r] = keep;
        for (auto& q : d.quantiles) q.v[r] = keep;
        for (auto& q : d.usage_quantiles) q.v[r] = keep;
        continue;
      }
      if ((!t->forecaster.fitted() && t->samples >= kMinFitSamples && t->last_refit == INT64_MIN) ||
          (t->last_refit != INT64_MIN && now - t->last_refit >= options.refit_every_ms)) {
        Refit(*t, now);
      }
      d.observed.v[r] = t->last_value;
      std::size_t steps = 1;
      if (t->step_ms > 0) {
        steps = static_cast<std::size_t>(std::clamp<DurationMs>(
            options.policy.SizingHorizonMs() / t->step_ms, 1, kMaxForecastSteps));
      }
      // The upper bound of a central interval at level 2q − 1 is the q quantile; the median
      // (q = 0.5) is the mean path. All levels in one pass over the steps.
      forecast_levels.clear();
      for (const double level : d.levels) {
        const double q = std::clamp(level, 0.5, 0.999);
        forecast_levels.push_back(q <= 0.5 ? 0.5 : 2 * q - 1);
      }
      t->forecaster.ForecastLevels(steps, forecast_levels, &forecast_points);
      for (std::size_t i = 0; i < d.levels.size(); ++i) {
        // The peak over the sizing horizon of the q quantile (and the value now), and the mean
        // over its steps of the q quantile (the usage the workload is expected to have).
        const bool median = std::clamp(d.levels[i], 0.5, 0.999) <= 0.5;
        double peak = t->last_value;
        double sum = 0;
        for (std::size_t h = 0; h < steps; ++h) {
          const signal::ForecastPoint& p = forecast_points[i * steps + h];
          const double v = median ? p.mean : p.upper;
          peak = std::max(peak, v);
          sum += v;
        }
        d.quantiles[i].v[r] = std::max(0.0, peak);
        d.usage_quantiles[i].v[r] = std::max(0.0, sum / static_cast<double>(steps));
      }
      // Too little history to size down from (the forecaster's first fit needs kMinFitSamples):
      // a few samples may be a quiet moment, so until then demand may raise the allocation but
      // never reads below what keeps it (the VPA likewise widens its bounds on short history).
      if (!t->forecaster.fitted()) {
        const double keep = keep_level(r);
        for (auto& q : d.quantiles) q.v[r] = std::max(q.v[r], keep);
        for (auto& q : d.usage_quantiles) q.v[r] = std::max(q.v[r], keep);
      }
      if (r == 0 || d.model.empty()) d.model = t->forecaster.model_name();
    }
    return d;
  }

  policy::HostRisk Risk(const HostSignalView& v, TimestampMs now) {
    policy::HostRisk risk;
    risk.host = v.host;
    risk.horizon_ms = options.policy.horizon_ms;
    // Entropy: the learned composite and its forecast (persistence of the engine's composite
    // until the learner's first fit: linear extrapolation measured worse than persistence).
    entropies.clear();
    for (const auto& ind : v.indicators) {
      if (std::isfinite(ind.entropy)) entropies.emplace_back(ind.indicator, ind.entropy);
    }
    const EntropyOutlook outlook = entropy->Outlook(v.host, entropies);
    risk.entropy = outlook.learned ? outlook.composite : v.entropy;
    risk.entropy_forecast = outlook.learned ? outlook.forecast : v.entropy;
    risk.entropy_uplift = outlook.uplift;
    predict::HealthInput in;
    in.entropy = v.entropy;
    in.entropy_trend_per_h = v.entropy_slope_per_hour;
    double status_floor = 0;
    std::array<double, policy::kResourceCount> driver{};
    // How far the host's load is above its own normal: a gauge that deviates together with the
    // load (temperature following utilisation after a workload moved in) is explained by it.
    double load = 0.0;
    for (const auto& ind : v.indicators) {
      if (!IsLoadIndicator(ind.indicator) || now - ind.t > 2 * options.policy.horizon_ms) continue;
      if (auto d = deviations.find(ind.series_id); d != deviations.end()) {
        load = std::max(load, d->second.severity());
      }
    }
    for (const auto& ind : v.indicators) {
      if (ind.indicator == "status") {
        if (ind.value >= 2) {
          in.status = predict::ReportedStatus::kFail;
          status_floor = 1.0;
        } else if (ind.value >= 1) {
          if (in.status != predict::ReportedStatus::kFail)
            in.status = predict::ReportedStatus::kWarning;
          status_floor = std::max(status_floor, options.warning_p_fail);
        } else if (in.status == predict::ReportedStatus::kUnknown) {
          in.status = predict::ReportedStatus::kOk;
        }
        continue;
      }
      // Workload usage is demand, not a symptom of failure: it drives allocation, not p_fail.
      if (IsUsageIndicator(ind.indicator)) continue;
      if (options.workload_label != kHostLabel && !ind.component.empty() &&
          inventory.FindWorkload(ind.component) != nullptr) {
        continue;  // a workload's own series speak for the workload, not for its host
      }
      // Stale indicators (older than two horizons) no longer speak for the host.
      if (now - ind.t > 2 * options.policy.horizon_ms) continue;
      if (IsLoadIndicator(ind.indicator)) continue;  // load is demand, not a symptom
      // Evidence of an indicator: how far it is from its baseline (sustained), or half its
      // anomaly score (a transient surprise alone cannot make a host look like it is failing);
      // a gauge's part that the host's load explains is taken off (counters of errors are never
      // explained by load).
      double severity = 0.5 * Clamp01(ind.score);
      bool counter = false;
      if (auto d = deviations.find(ind.series_id); d != deviations.end()) {
        severity = std::max(severity, d->second.severity());
        counter = d->second.is_counter();
      }
      if (!counter) {
        // Only as far as the gauge is known to follow the load (ρ > 0 learned on this host).
        double rho = 0.0;
        if (auto c = load_corr.find(ind.series_id); c != load_corr.end()) rho = c->second.rho();
        severity = std::max(0.0, severity - std::max(0.0, rho) * load);
      }
      in.indicators.push_back({ind.indicator, severity});
      const auto res = ResourceForIndicator(ind.indicator);
      driver[static_cast<std::size_t>(res)] += severity;
    }
    host_failing[v.host] = in.status == predict::ReportedStatus::kFail;
    Dependency(v, now, risk);
    if (recording) {
      auto u = host_usage.find(v.host);
      entropy->Observe(v.host, now, entropies,
                       u != host_usage.end() ? u->second : policy::ResourceVector{},
                       in.status == predict::ReportedStatus::kFail);
    }
    const predict::HealthScore h = predict::ComputeHealth(in);
    risk.health = h.score;
    if (!h.top.empty()) risk.root_cause = h.top.front().name;
    const double x = options.hazard_a + options.hazard_b * (1.0 - h.score / 100.0);
    // Debounced upstream: each indicator's deviation needs two of its last three samples.
    double p = 1.0 / (1.0 + std::exp(-x));
    risk.model = "health-hazard";
    if (features && features->Known(v.host)) {
      const auto model = ServingModel();
      auto pm = model->PredictEntity(*features, v.host);
      if (pm) {
        const double model_h = static_cast<double>(model->horizon_ms());
        const double ratio =
            model_h > 0 ? static_cast<double>(options.policy.horizon_ms) / model_h : 1.0;
        const double p_model = 1.0 - std::pow(1.0 - Clamp01(*pm), ratio);
        if (p_model > p) risk.root_cause = "failure_model";
        p = 1.0 - (1.0 - p) * (1.0 - p_model);
        risk.model = "health-hazard+failure-model";
      }
    }
    risk.p_fail = std::max(status_floor, p);
    // Tier: adaptive to the host's own baseline and trend, debounced (predict::AlertTiers); the
    // host's criticality is that of the most critical workload it runs.
    double criticality = 0.25;
    if (auto c = host_criticality.find(v.host); c != host_criticality.end()) {
      criticality = std::max(criticality, c->second);
    }
    const predict::TierDecision td =
        tiers.Update(v.host, now, {risk.p_fail, risk.health, criticality});
    risk.tier = static_cast<policy::AlertTier>(static_cast<int>(td.tier));
    if (td.changed) {
      policy::AuditEntry e;
      e.t = now;
      e.kind = "alert";
      e.message = std::string(policy::AlertTierName(risk.tier)) + ": host " + v.host + " p_fail " +
                  FormatNumber(risk.p_fail) + " health " + FormatNumber(risk.health) +
                  (risk.root_cause.empty() ? "" : " (root cause " + risk.root_cause + ")") +
                  " [score " + FormatNumber(td.judged) + " vs threshold " +
                  FormatNumber(td.threshold[std::max(0, static_cast<int>(td.tier) - 1)]) + "]";
      e.risks.push_back(risk);
      tier_changes.push_back(std::move(e));
    }
    // Drivers: the learned share of the entropy rise per resource when the entropy rose; else
    // each resource's share of the health evidence.
    double learned_total = 0;
    for (double d : outlook.drivers.v) learned_total += d;
    if (outlook.learned && outlook.rise > 0 && learned_total > 0) {
      risk.entropy_drivers = outlook.drivers;
    } else {
      double total = 0;
      for (double d : driver) total += d;
      if (total > 0) {
        for (std::size_t r = 0; r < policy::kResourceCount; ++r) {
          risk.entropy_drivers.v[r] = driver[r] / total;
        }
      }
    }
    return risk;
  }

  // Which resource an indicator's health evidence speaks for: EntropyLearner::ResourceOf's
  // reading of its name, CPU when the name says nothing.
  static policy::Resource ResourceForIndicator(std::string_view name) {
    const int r = EntropyLearner::ResourceOf(name);
    return r < 0 ? policy::Resource::kCpu : static_cast<policy::Resource>(r);
  }

  policy::PlannerInput PredictLocked(TimestampMs now) {
    policy::PlannerInput input;
    input.now = now;
    host_usage.clear();
    // Per tick, one pass over the inventory instead of a search per workload and per host: the
    // first workload of each id (what FindWorkload returns) and each host's most critical
    // workload (max is exact in any order).
    first_workload.clear();
    host_criticality.clear();
    for (const policy::Workload& w : inventory.workloads) {
      first_workload.try_emplace(w.id, &w);
      const double c = 0.25 * (1 + static_cast<int>(w.criticality));
      auto [hc, fresh] = host_criticality.try_emplace(w.host, c);
      if (!fresh) hc->second = std::max(hc->second, c);
    }
    for (const policy::Workload& w : inventory.workloads) {
      auto it = workloads.find(w.id);
      if (it == workloads.end()) continue;  // no telemetry yet: the planner leaves it alone
      input.demand.push_back(Demand(w.id, first_workload.at(w.id), it->second, now));
      if (!w.host.empty()) {
        policy::ResourceVector& u = host_usage[w.host];
        for (std::size_t r = 0; r < policy::kResourceCount; ++r) {
          if (const UsageTrack* t = it->second.r[r].get(); t != nullptr && t->samples > 0) {
            u.v[r] += t->last_value;
          }
        }
      }
    }
    engine.AllHostSignals(&host_views);
    for (const HostSignalView& v : host_views) {
      if (inventory.FindHost(v.host) == nullptr && !inventory.hosts.empty()) continue;
      input.risks.push_back(Risk(v, now));
    }
    return input;
  }

  void Record(policy::AuditEntry e) {
    if (audit != nullptr) {
      auto seq = audit->Append(e.t, e.kind, policy::EncodeAuditEntry(e));
      e.seq = seq ? *seq : next_seq;
    } else {
      e.seq = next_seq;
    }
    next_seq = e.seq + 1;
    if (on_entry) on_entry(e);
    memory.push_back(std::move(e));
    while (memory.size() > kMemoryEntries) memory.pop_front();
  }

  // The inventory model follows the actions that took effect (dry-run: what the allocation would
  // be; the simulator overwrites it with the world's state before each tick).
  void ApplyToInventory(const policy::Action& a) {
    using policy::ActionType;
    policy::Workload* w = a.workload.empty() ? nullptr : inventory.FindWorkload(a.workload);
    switch (a.type) {
      case ActionType::kScaleUp:
      case ActionType::kScaleDown:
        if (w != nullptr) w->request = a.after;
        break;
      case ActionType::kScaleOut:
      case ActionType::kScaleIn:
        if (w != nullptr) w->replicas = a.replicas_after;
        break;
      case ActionType::kMigrate:
        if (w != nullptr) w->host = a.target_host;
        break;
      case ActionType::kPreempt:
        if (w != nullptr) w->host.clear();
        break;
      case ActionType::kDrain:
        if (auto* h = inventory.FindHost(a.host)) h->schedulable = false;
        break;
      case ActionType::kResizePool:
        if (auto* p = inventory.FindPool(a.pool)) p->nodes = a.nodes_after;
        break;
      case ActionType::kReplicate:
        // A new copy is syncing until the inventory source says otherwise; a drop removes it.
        if (w != nullptr) {
          auto& copies = w->data_copies;
          copies.erase(std::remove_if(copies.begin(), copies.end(),
                                      [&](const auto& c) { return c.host == a.target_host; }),
                       copies.end());
          if (a.amount > 0) copies.push_back({a.target_host, false});
        }
        break;
      default:
        break;
    }
  }

  void HandleOutcomes(const std::vector<policy::ActionOutcome>& outcomes,
                      const std::unordered_map<std::uint64_t, policy::Action>& by_id) {
    for (const auto& o : outcomes) {
      planner.RecordOutcome(o);
      if (!planner.last_feedback().empty() && planner.last_feedback() != last_feedback) {
        // Feedback (confidence per action type, headroom per workload) is visible in the audit.
        last_feedback = planner.last_feedback();
        policy::AuditEntry f;
        f.t = o.t;
        f.kind = "feedback";
        f.message = last_feedback;
        Record(std::move(f));
      }
      if (o.outcome == policy::Outcome::kApplied) {
        auto it = by_id.find(o.action_id);
        if (it != by_id.end()) ApplyToInventory(it->second);
      } else if (o.outcome == policy::Outcome::kRolledBack) {
        auto it = by_id.find(o.action_id);
        if (it != by_id.end()) ApplyToInventory(policy::Inverse(it->second));
      }
      policy::AuditEntry e;
      e.t = o.t;
      e.kind = "outcome";
      e.outcome = o;
      Record(std::move(e));
    }
  }

  std::unordered_map<std::uint64_t, policy::Action> in_flight;  // by id, until final outcome

  static constexpr std::string_view kStateKey = "planner.state";

  // Restores the planner from its persisted state; an unreadable state is an alert, not a crash.
  void LoadState(TimestampMs now) {
    if (options.state_store == nullptr) return;
    auto bytes = options.state_store->Get(kStateKey);
    std::string problem;
    if (!bytes) {
      problem = bytes.error().message;
    } else if (*bytes) {
      auto state = policy::DecodePlannerState(**bytes);
      if (state) {
        planner.Restore(std::move(*state));
        return;
      }
      problem = state.error().message;
    } else {
      return;  // first start
    }
    policy::AuditEntry e;
    e.t = now;
    e.kind = "alert";
    e.message = "warning: planner state unreadable (" + problem +
                "); starting with empty damping windows and preferences";
    Record(std::move(e));
  }

  void SaveState(TimestampMs now) {
    if (options.state_store == nullptr) return;
    auto ok = options.state_store->Put(kStateKey, policy::EncodePlannerState(planner.state()));
    if (!ok && !state_save_failed) {
      state_save_failed = true;
      policy::AuditEntry e;
      e.t = now;
      e.kind = "alert";
      e.message = "warning: cannot persist the planner state: " + ok.error().message;
      Record(std::move(e));
    } else if (ok) {
      state_save_failed = false;
    }
  }
  bool state_save_failed = false;
  std::string last_feedback;

  static constexpr std::string_view kEntropyKey = "entropy.history";

  // The entropy learner's history across restarts (its model refits from it at once).
  void LoadEntropyHistory(TimestampMs now) {
    if (options.state_store == nullptr || !options.entropy.enabled) return;
    auto bytes = options.state_store->Get(kEntropyKey);
    std::string message;
    if (!bytes) {
      message = "entropy history not restored: " + bytes.error().message;
    } else if (!*bytes) {
      return;  // first start
    } else if (auto ok = entropy->Restore(**bytes); !ok) {
      message = "entropy history not restored: " + ok.error().message + "; learning anew";
    } else {
      message = fmt::format("entropy history restored: {} host(s), {} steps", entropy->hosts(),
                            entropy->steps());
    }
    policy::AuditEntry e;
    e.t = now;
    e.kind = "model";
    e.message = std::move(message);
    Record(std::move(e));
  }

  void SaveEntropyHistory(TimestampMs now) {
    if (options.state_store == nullptr || !options.entropy.enabled || entropy->hosts() == 0) {
      return;
    }
    auto ok = options.state_store->Put(kEntropyKey, entropy->Encode());
    if (!ok) {
      policy::AuditEntry e;
      e.t = now;
      e.kind = "alert";
      e.message = "warning: cannot persist the entropy history: " + ok.error().message;
      Record(std::move(e));
    }
  }
};

Controller::Controller(Engine& engine, ControllerOptions options, actuate::Actuator& actuator,
                       store::AuditLog* audit,
                       std::function<void(const policy::AuditEntry&)> on_entry)
    : impl_(std::make_unique<Impl>(engine, std::move(options), actuator, audit,
                                   std::move(on_entry))) {
  engine.SetSampleObserver(
      [this](const Labels& labels, std::uint64_t id, Sample s) { Observe(labels, id, s); });
  if (audit != nullptr) impl_->next_seq = audit->last_seq() + 1;
  const TimestampMs now = engine.clock().NowMs();
  impl_->LoadState(now);
  impl_->LoadEntropyHistory(now);
  if (impl_->retrainer) {
    for (auto& message : impl_->retrainer->Load()) {
      policy::AuditEntry e;
      e.t = now;
      e.kind = "model";
      e.message = std::move(message);
      impl_->Record(std::move(e));
    }
  }
}

Controller::~Controller() {
  impl_->engine.SetSampleObserver({});
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->SaveEntropyHistory(impl_->engine.clock().NowMs());
}

void Controller::Observe(const Labels& labels, std::uint64_t series_id, Sample sample) {
  impl_->Observe(labels, series_id, sample);
}

policy::PlannerInput Controller::Predict(TimestampMs now) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->PredictLocked(now);
}

TickReport Controller::Tick(TimestampMs now) {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mu);
  TickReport report;
  // 1. Verify what is in flight (commit or roll back) before planning on top of it.
  auto verified = m.runner.Tick(now);
  m.HandleOutcomes(verified, m.in_flight);
  report.outcomes = verified;
  // 2. Predict and plan.
  m.recording = true;
  policy::PlannerInput input = m.PredictLocked(now);
  m.recording = false;
  if (auto message = m.entropy->MaybeRefit(now)) {
    policy::AuditEntry e;
    e.t = now;
    e.kind = "model";
    e.message = std::move(*message);
    m.Record(std::move(e));
    m.SaveEntropyHistory(now);  // at each refit (daily) and at shutdown
  }
  m.last_risks = input.risks;
  for (auto& e : m.tier_changes) m.Record(std::move(e));
  m.tier_changes.clear();
  m.StepRetraining(input.risks, now);
  report.plan = m.planner.Plan(m.inventory, input);
  // 3. Audit each decision with the evidence it used.
  for (const policy::Action& a : report.plan.actions) {
    policy::AuditEntry e;
    e.t = now;
    e.kind = "decision";
    e.action = a;
    for (const auto& d : input.demand) {
      if (!a.workload.empty() && d.workload == a.workload) e.demand.push_back(d);
    }
    for (const auto& r : input.risks) {
      if (r.host == a.host || (!a.target_host.empty() && r.host == a.target_host)) {
        e.risks.push_back(r);
      }
    }
    m.Record(std::move(e));
    m.in_flight[a.id] = a;
  }
  for (const policy::Action& a : report.plan.deferred) {
    policy::AuditEntry e;
    e.t = now;
    e.kind = "decision";
    e.action = a;
    m.Record(std::move(e));
  }
  if (report.plan.alerts != m.last_alerts) {
    for (const std::string& alert : report.plan.alerts) {
      policy::AuditEntry e;
      e.t = now;
      e.kind = "alert";
      e.message = alert;
      m.Record(std::move(e));
    }
    m.last_alerts = report.plan.alerts;
  }
  // 4. Act.
  auto outcomes = m.runner.Submit(report.plan, now);
  m.HandleOutcomes(outcomes, m.in_flight);
  report.outcomes.insert(report.outcomes.end(), outcomes.begin(), outcomes.end());
  for (const auto& o : report.outcomes) {
    switch (o.outcome) {
      case policy::Outcome::kVerified:
      case policy::Outcome::kFailed:
      case policy::Outcome::kRolledBack:
      case policy::Outcome::kSkipped:
      case policy::Outcome::kShadow:
        m.in_flight.erase(o.action_id);
        break;
      default:
        break;
    }
  }
  m.last_plan = report.plan;
  if (!report.plan.actions.empty() || !report.outcomes.empty()) m.SaveState(now);
  return report;
}

policy::Inventory Controller::inventory() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->inventory;
}

void Controller::SetInventory(policy::Inventory inventory) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->inventory = std::move(inventory);
}

Result<void> Controller::SetPreference(policy::Preference preference, TimestampMs now) {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mu);
  policy::Preference copy = preference;
  auto ok = m.planner.SetPreference(m.inventory, std::move(preference));
  policy::AuditEntry e;
  e.t = now;
  e.kind = "preference";
  std::string what = copy.workload.empty() ? "fleet" : "workload " + copy.workload;
  if (copy.prefer_migration) what += ", prefer migration";
  if (!copy.pin_zone.empty()) what += ", pin to zone " + copy.pin_zone;
  if (copy.forbid_preemption) what += ", forbid preemption";
  if (copy.headroom) what += ", headroom " + std::to_string(*copy.headroom);
  e.message =
      ok ? "preference set: " + what : "preference rejected: " + what + ": " + ok.error().message;
  m.Record(std::move(e));
  if (ok) m.SaveState(now);
  return ok;
}

std::vector<policy::Preference> Controller::preferences() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->planner.preferences();
}

std::vector<policy::AuditEntry> Controller::Decisions(TimestampMs since, std::string_view host,
                                                      std::string_view workload, std::size_t limit,
                                                      std::uint64_t after_seq) const {
  const Impl& m = *impl_;
  auto matches = [&](const policy::AuditEntry& e) {
    if (e.t < since) return false;
    if (!host.empty()) {
      if (!e.action || (e.action->host != host && e.action->target_host != host)) return false;
    }
    if (!workload.empty()) {
      const std::string* w = e.action    ? &e.action->workload
                             : e.outcome ? &e.outcome->workload
                                         : nullptr;
      if (w == nullptr || *w != workload) return false;
    }
    return true;
  };
  std::vector<policy::AuditEntry> out;
  if (m.audit != nullptr) {
    (void)m.audit->Scan(after_seq + 1, since, 0, [&](const store::AuditRecord& r) {
      auto e = policy::DecodeAuditEntry(r.bytes);
      if (!e) return true;  // an entry of a newer format: skipped, the rest still listed
      e->seq = r.seq;
      if (matches(*e)) out.push_back(std::move(*e));
      return limit == 0 || out.size() < limit;
    });
    return out;
  }
  std::lock_guard<std::mutex> lock(m.mu);
  for (const auto& e : m.memory) {
    if (e.seq <= after_seq || !matches(e)) continue;
    out.push_back(e);
    if (limit != 0 && out.size() >= limit) break;
  }
  return out;
}

RetrainStatus Controller::retrain_status() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->retrainer ? impl_->retrainer->status() : RetrainStatus{};
}

std::vector<policy::HostRisk> Controller::risks() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->last_risks;
}

policy::ActionPlan Controller::last_plan() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->last_plan;
}

std::vector<policy::Action> Controller::pending() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<policy::Action> out;
  for (const auto& [id, a] : impl_->in_flight) out.push_back(a);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

}  // namespace prognos::engine
