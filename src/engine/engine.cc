#include "engine/engine.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <utility>

namespace prognos::engine {

Engine::Engine(EngineOptions options, const Clock& clock, MetricsRegistry& metrics)
    : options_(std::move(options)), clock_(clock), metrics_(metrics) {
  accepted_total_ = &metrics_
                         .AddCounter("prognos_ingest_samples_accepted_total",
                                     "Samples accepted (stored, or identical retries re-accepted).")
                         .With({});
  messages_total_ = &metrics_
                         .AddCounter("prognos_ingest_messages_total",
                                     "Health messages (lines or array elements) received.")
                         .With({});
  auto& rejected = metrics_.AddCounter("prognos_ingest_samples_rejected_total",
                                       "Samples rejected, by reason.", {"reason"});
  for (int i = 0; i < kRejectReasonCount; ++i) {
    rejected_total_[static_cast<std::size_t>(i)] =
        &rejected.With({std::string(RejectReasonName(static_cast<RejectReason>(i)))});
  }
  signal_updates_total_ = &metrics_
                               .AddCounter("prognos_signal_updates_total",
                                           "Samples run through the per-series signals.")
                               .With({});
  anomaly_alarms_total_ =
      &metrics_
           .AddCounter("prognos_anomaly_alarms_total",
                       "Samples whose anomaly score reached the alarm threshold.")
           .With({});
}

namespace {

std::size_t ShardOf(std::uint64_t id, std::size_t shards) {
  return (id * 0x9E3779B97F4A7C15ULL >> 32) % shards;
}

std::size_t ShardOf(std::string_view host, std::size_t shards) {
  return std::hash<std::string_view>{}(host) % shards;
}

}  // namespace

Engine::SeriesState* Engine::SeriesTable::Insert(std::uint64_t id,
                                                 std::unique_ptr<SeriesState> state) {
  if (2 * (owned_.size() + 1) > slots_.size()) {
    const std::size_t n = slots_.empty() ? 64 : slots_.size() * 2;
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    shift_ = 64 - std::countr_zero(n);
    for (const Slot& s : old) {
      if (s.state == nullptr) continue;
      std::size_t i = Slot0(s.id);
      while (slots_[i].state != nullptr) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  SeriesState* raw = state.get();
  std::size_t i = Slot0(id);
  while (slots_[i].state != nullptr) i = (i + 1) & mask_;
  slots_[i] = Slot{id, raw};
  owned_.push_back(std::move(state));
  return raw;
}

namespace {

// Stable bucket sort of positions 0..n-1 by shard: `order` receives the positions grouped by shard,
// ascending within a shard; `begin[k]..begin[k+1]` is shard k's range.
template <std::size_t kN, typename ShardFn>
void GroupByShard(std::size_t n, ShardFn shard_of, std::vector<std::uint32_t>* order,
                  std::array<std::uint32_t, kN + 1>* begin) {
  std::array<std::uint32_t, kN + 1> count{};
  for (std::size_t k = 0; k < n; ++k) ++count[shard_of(k) + 1];
  for (std::size_t k = 1; k <= kN; ++k) count[k] += count[k - 1];
  *begin = count;
  order->resize(n);
  for (std::size_t k = 0; k < n; ++k)
    (*order)[count[shard_of(k)]++] = static_cast<std::uint32_t>(k);
}

}  // namespace

void Engine::UpdateSignals(const std::vector<const ingest::ParsedSample*>& stored,
                           const std::vector<std::uint64_t>& ids) {
  const std::size_t n = stored.size();
  if (n == 0) return;
  // Per stored sample: its series (null when the signals skipped it) and what the signals said.
  struct Updated {
    SeriesState* st = nullptr;
    signal::SignalSnapshot snap;
    bool alarm = false;
  };
  thread_local std::vector<Updated> out;
  thread_local std::vector<std::uint32_t> order;
  thread_local std::vector<std::uint8_t> shard;
  out.assign(n, Updated{});
  shard.resize(n);
  std::array<std::uint32_t, kShards + 1> begin{};

  // Series phase: one lock per series shard; samples of one series stay in request order.
  for (std::size_t k = 0; k < n; ++k)
    shard[k] = static_cast<std::uint8_t>(ShardOf(ids[k], kShards));
  GroupByShard<kShards>(
      n, [&](std::size_t k) { return shard[k]; }, &order, &begin);
  std::uint64_t updates = 0;
  for (std::size_t sh = 0; sh < kShards; ++sh) {
    if (begin[sh] == begin[sh + 1]) continue;
    auto& series_shard = series_shards_[sh];
    std::lock_guard<std::mutex> lock(series_shard.mu);
    SeriesState* st = nullptr;
    std::uint64_t st_id = 0;
    for (std::uint32_t o = begin[sh]; o < begin[sh + 1]; ++o) {
      const std::uint32_t k = order[o];
      const std::uint64_t id = ids[k];
      const ingest::ParsedSample& ps = *stored[k];
      if (st == nullptr || st_id != id) {
        st = series_shard.series.Find(id);
        if (st == nullptr) {
          signal::SeriesSignalsConfig config = options_.signal_config;
          std::string indicator(ps.labels.Get(kMetricNameLabel).value_or(""));
          if (indicator == "status") {  // ok / warning / fail: categorical entropy over 3 states
            config.entropy.binning = signal::Binning::kCategorical;
            config.entropy.bins = 3;
          } else if (auto ind = options_.indicators.find(indicator);
                     ind != options_.indicators.end() && ind->second.entropy) {
            config.entropy = *ind->second.entropy;
          }
          st = series_shard.series.Insert(id, std::make_unique<SeriesState>(config));
          SeriesState& fresh = *st;
          fresh.host = std::string(ps.labels.Get(kHostLabel).value_or(""));
          fresh.indicator = std::move(indicator);
          fresh.component = std::string(ps.labels.Get(kComponentLabel).value_or(""));
          fresh.host_shard = ShardOf(std::string_view(fresh.host), kShards);
        }
        st_id = id;
      }
      // Concurrent commits may hand the same series' samples over out of order; the signals are
      // a causal stream, so a sample older than the newest one seen is skipped (it is stored all
      // the same).
      const Sample sample = ps.sample;
      if (sample.t <= st->t) continue;
      Updated& u = out[k];
      u.snap = st->signals.Update(sample.t, sample.v);
      st->t = sample.t;
      st->value = sample.v;
      ++st->updates;
      u.alarm = u.snap.anomaly_score >= options_.anomaly_threshold;
      if (u.alarm) ++st->alarms;
      u.st = st;
      ++updates;
    }
  }
  signal_updates_total_->Inc(static_cast<double>(updates));

  // Host phase: one lock per host shard; a host's updates stay in request order.
  for (std::size_t k = 0; k < n; ++k) {
    // Skipped samples and host-less series go to the extra bucket kShards, which is not visited.
    const SeriesState* st = out[k].st;
    shard[k] =
        static_cast<std::uint8_t>(st == nullptr || st->host.empty() ? kShards : st->host_shard);
  }
  std::array<std::uint32_t, kShards + 2> hbegin{};
  GroupByShard<kShards + 1>(
      n, [&](std::size_t k) { return shard[k]; }, &order, &hbegin);
  std::uint64_t alarms = 0;
  for (std::size_t sh = 0; sh < kShards; ++sh) {
    if (hbegin[sh] == hbegin[sh + 1]) continue;
    auto& hshard = host_shards_[sh];
    std::lock_guard<std::mutex> lock(hshard.mu);
    for (std::uint32_t o = hbegin[sh]; o < hbegin[sh + 1]; ++o) {
      const std::uint32_t k = order[o];
      const Updated& u = out[k];
      SeriesState& st = *u.st;
      const std::uint64_t id = ids[k];
      const Sample sample = stored[k]->sample;
      if (st.host_state == nullptr) {
        HostState& hs = hshard.hosts[st.host];
        auto slot = std::find(hs.indicators.begin(), hs.indicators.end(), st.indicator);
        if (slot == hs.indicators.end()) {
          // A new indicator on this host: grow the composite (its slope restarts; this happens
          // only while a host's indicators first appear).
          hs.indicators.push_back(st.indicator);
          auto w = options_.indicators.find(st.indicator);
          hs.weights.push_back(w == options_.indicators.end() ? 1.0 : w->second.weight);
          hs.composite = std::make_unique<signal::CompositeEntropy>(
              hs.weights, options_.entropy_slope_half_life_ms);
          slot = hs.indicators.end() - 1;
        }
        auto& latest = hs.latest[id];
        if (latest.series_id == 0) {
          latest.series_id = id;
          latest.indicator = st.indicator;
          latest.component = st.component;
        }
        st.host_state = &hs;
        st.slot = static_cast<std::size_t>(slot - hs.indicators.begin());
        st.latest = &latest;
      }
      HostState& hs = *st.host_state;
      hs.composite->SetIndicator(st.slot, u.snap.entropy);
      hs.composite->Update(sample.t);
      HostSignalView::Indicator& latest = *st.latest;
      latest.value = sample.v;
      latest.score = u.snap.anomaly_score;
      latest.entropy = u.snap.entropy;
      latest.t = sample.t;
      hs.last = std::max(hs.last, sample.t);
      if (u.alarm) {
        ++hs.alarms;
        ++alarms;
        hs.recent.push_back({sample.t, id, st.host, st.indicator, sample.v, u.snap.anomaly_score,
                             u.snap.forecast, u.snap.lower, u.snap.upper});
        if (hs.recent.size() > kRecentAlarms) hs.recent.pop_front();
      }
    }
  }
  if (alarms > 0) anomaly_alarms_total_->Inc(static_cast<double>(alarms));
}

std::optional<SeriesSignalView> Engine::SeriesSignals(std::uint64_t id) const {
  const auto& shard = series_shards_[ShardOf(id, kShards)];
  std::lock_guard<std::mutex> lock(shard.mu);
  const SeriesState* found = shard.series.Find(id);
  if (found == nullptr) return std::nullopt;
  const SeriesState& st = *found;
  return SeriesSignalView{
      id, st.t, st.value, st.signals.last(), st.updates, st.alarms, st.signals.StateBytes()};
}

namespace {

// Fills *v from a host's state, reusing v's strings and vectors (the controller reads every host
// at every tick; a fresh view per host allocated every indicator's two strings again).
void MakeHostViewInto(const std::string& name, const auto& hs, HostSignalView* v) {
  v->host = name;
  v->entropy = 0;
  v->entropy_slope_per_hour = 0;
  if (hs.composite) {
    v->entropy = hs.composite->value();
    v->entropy_slope_per_hour = hs.composite->slope_per_hour();
  }
  v->max_anomaly = 0;
  v->indicators.resize(hs.latest.size());
  std::size_t i = 0;
  for (const auto& [id, ind] : hs.latest) {
    v->max_anomaly = std::max(v->max_anomaly, ind.score);
    v->indicators[i++] = ind;
  }
  std::sort(v->indicators.begin(), v->indicators.end(), [](const auto& a, const auto& b) {
    return a.indicator != b.indicator ? a.indicator < b.indicator : a.series_id < b.series_id;
  });
  v->alarms = hs.alarms;
  v->last = hs.last;
  v->recent.assign(hs.recent.begin(), hs.recent.end());
}

}  // namespace

std::optional<HostSignalView> Engine::HostSignals(std::string_view host) const {
  const auto& shard = host_shards_[ShardOf(host, kShards)];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.hosts.find(host);
  if (it == shard.hosts.end()) return std::nullopt;
  HostSignalView v;
  MakeHostViewInto(it->first, it->second, &v);
  return v;
}

std::vector<HostSignalView> Engine::AllHostSignals() const {
  std::vector<HostSignalView> out;
  AllHostSignals(&out);
  return out;
}

void Engine::AllHostSignals(std::vector<HostSignalView>* out) const {
  std::size_t n = 0;
  for (const auto& shard : host_shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    for (const auto& [name, hs] : shard.hosts) {
      if (n == out->size()) out->emplace_back();
      MakeHostViewInto(name, hs, &(*out)[n++]);
    }
  }
  out->resize(n);
  // Host names are unique: the order after sorting does not depend on the buffer's history.
  std::sort(out->begin(), out->end(), [](const auto& a, const auto& b) { return a.host < b.host; });
}

Result<SeriesForecast> Engine::Forecast(std::uint64_t id, std::size_t horizon, double level) const {
  auto info = storage_->GetSeries(id);
  if (!info) return MakeError(ErrorCode::kNotFound, "no series " + FormatSeriesId(id));
  // Newest forecast_history samples.
  auto all = storage_->ReadSamples(id, INT64_MIN, INT64_MAX);
  if (all.size() > options_.forecast_history) {
    all.erase(all.begin(), all.end() - static_cast<std::ptrdiff_t>(options_.forecast_history));
  }
  std::vector<double> values;
  values.reserve(all.size());
  for (const auto& s : all) values.push_back(s.v);
  signal::BatchForecastOptions o;
  o.horizon = horizon;
  o.level = level;
  SeriesForecast out;
  out.last_ms = info->last_ms;
  if (all.size() >= 2) {
    // Seasons implied by the median sampling interval: a day and a week of steps.
    std::vector<DurationMs> gaps;
    for (std::size_t i = 1; i < all.size(); ++i) gaps.push_back(all[i].t - all[i - 1].t);
    std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2),
                     gaps.end());
    const DurationMs step = gaps[gaps.size() / 2];
    out.step_ms = std::max<DurationMs>(step, 0);
    if (step > 0) {
      for (DurationMs period : {kDayMs, 7 * kDayMs}) {
        if (period % step == 0 && period / step >= 2) {
          o.preferred_seasons.push_back(static_cast<std::size_t>(period / step));
        }
      }
    }
  }
  auto fc = signal::ForecastBatch(values, o);
  if (!fc) return tl::unexpected(fc.error());
  out.forecast = std::move(*fc);
  return out;
}

Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options, const Clock& clock,
                                             MetricsRegistry& metrics,
                                             std::function<void(const std::string&)> log) {
  std::unique_ptr<Engine> engine(new Engine(options, clock, metrics));
  auto storage = store::Storage::Open(options.storage, &metrics, std::move(log));
  if (!storage) return tl::unexpected(storage.error());
  engine->storage_ = std::move(*storage);
  return engine;
}

void Engine::CountRejection(IngestReport* report, const ingest::Rejection& r) {
  const std::uint32_t n = std::max<std::uint32_t>(1, r.samples);
  report->rejected_samples += n;
  report->rejected_by_reason[static_cast<std::size_t>(r.reason)] += n;
  rejected_total_[static_cast<std::size_t>(r.reason)]->Inc(n);
  if (report->rejected.size() < kMaxListedRejections) report->rejected.push_back(r);
}

Result<IngestReport> Engine::IngestHealthBody(std::string_view body) {
  ingest::ParsedBatch batch = ingest::ParseHealthBody(body, options_.limits);
  return IngestParsed(batch.samples, std::move(batch.rejections), batch.messages);
}

Result<IngestReport> Engine::IngestParsed(const std::vector<ingest::ParsedSample>& samples,
                                          std::vector<ingest::Rejection> rejected,
                                          std::uint32_t messages) {
  IngestReport report;
  report.messages = messages;
  messages_total_->Inc(messages);

  const TimestampMs horizon =
      options_.future_tolerance_ms > 0 ? clock_.NowMs() + options_.future_tolerance_ms : INT64_MAX;
  store::Appender app = storage_->NewAppender();
  std::vector<const ingest::ParsedSample*> appended;
  appended.reserve(samples.size());
  for (const auto& s : samples) {
    if (s.sample.t > horizon) {
      std::string indicator(s.labels.Get(kMetricNameLabel).value_or(""));
      rejected.push_back({s.line, std::move(indicator), RejectReason::kTooFarInFuture,
                          "timestamp " + FormatTimestamp(s.sample.t) + " is more than " +
                              std::to_string(options_.future_tolerance_ms / 1000) +
                              "s ahead of the server clock",
                          1});
      continue;
    }
    appended.push_back(&s);
    app.AddBorrowed(s.labels, s.sample);  // `samples` outlives the commit
  }
  std::vector<store::SampleResult> results;
  if (app.size() > 0) {
    auto committed = app.Commit();
    if (!committed) return tl::unexpected(committed.error());
    results = std::move(*committed);
  }
  if (options_.signals || observer_) {
    thread_local std::vector<const ingest::ParsedSample*> stored;
    thread_local std::vector<std::uint64_t> ids;
    stored.clear();
    ids.clear();
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i].outcome != store::SampleOutcome::kStored) continue;
      stored.push_back(appended[i]);
      ids.push_back(results[i].series_id);
    }
    if (options_.signals) UpdateSignals(stored, ids);
    if (observer_) {
      for (std::size_t k = 0; k < stored.size(); ++k) {
        observer_(stored[k]->labels, ids[k], stored[k]->sample);
      }
    }
  }
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (r.outcome == store::SampleOutcome::kRejected) {
      const auto* s = appended[i];
      std::string indicator(s->labels.Get(kMetricNameLabel).value_or(""));
      std::string msg;
      switch (r.reason) {
        case RejectReason::kDuplicateTimestamp:
          msg = "series already has another value at " + FormatTimestamp(s->sample.t);
          break;
        case RejectReason::kTooOld:
          msg = "older than the series' newest sample minus ingest.max_age";
          break;
        case RejectReason::kOutOfOrder:
          msg = "older than the series' newest sample";
          break;
        default:
          msg = std::string(RejectReasonName(r.reason));
      }
      rejected.push_back({s->line, std::move(indicator), r.reason, std::move(msg), 1});
    } else {
      ++report.accepted_samples;
    }
  }
  accepted_total_->Inc(static_cast<double>(report.accepted_samples));
  std::stable_sort(
      rejected.begin(), rejected.end(),
      [](const ingest::Rejection& a, const ingest::Rejection& b) { return a.line < b.line; });
  for (const auto& r : rejected) CountRejection(&report, r);
  return report;
}

}  // namespace prognos::engine
