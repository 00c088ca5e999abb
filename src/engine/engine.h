// The pipeline every mode shares (DESIGN.md §1): ingest → store → signals. `serve` drives it on
// wall-clock time from HTTP handlers; `replay`, `demo` and the simulator drive the same object on
// virtual time. Thread-safe: any number of threads may ingest and read at once.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/reject.h"
#include "core/result.h"
#include "ingest/health_parser.h"
#include "signal/entropy.h"
#include "signal/forecast/selector.h"
#include "signal/series_signals.h"
#include "store/storage.h"

namespace prognos::engine {

struct EngineOptions {
  store::StorageOptions storage;
  ingest::IngestLimits limits;
  // > 0: reject samples more than this far ahead of the clock (serve only; replay sets 0).
  DurationMs future_tolerance_ms = 10 * kMinuteMs;
  // Signals on every stored sample (entropy, one-step forecast, anomaly score).
  bool signals = true;
  signal::SeriesSignalsConfig signal_config;
  // Per configured indicator (by metric name): its weight in the host's composite entropy (missing
  // indicators weigh 1.0) and, when it has a configured range, fixed-range entropy bins instead of
  // the adaptive quantile bins of signal_config.
  struct IndicatorSignals {
    double weight = 1.0;
    std::optional<signal::EntropyConfig> entropy;
  };
  std::map<std::string, IndicatorSignals, std::less<>> indicators;
  // A sample whose anomaly score reaches this is an anomaly alarm (counted, listed per host).
  double anomaly_threshold = 0.5;
  DurationMs entropy_slope_half_life_ms = kHourMs;
  // Forecasts read at most this many of a series' newest samples (14 days of 5-minute data).
  std::size_t forecast_history = 4032;
};

// Latest signal state of one series.
struct SeriesSignalView {
  std::uint64_t id = 0;
  TimestampMs t = 0;  // time of the newest sample the signals saw
  double value = 0;
  signal::SignalSnapshot last;
  std::uint64_t updates = 0;
  std::uint64_t alarms = 0;
  std::size_t state_bytes = 0;
};

// One anomaly alarm: a sample whose score reached the threshold.
struct AnomalyEvent {
  TimestampMs t = 0;
  std::uint64_t series_id = 0;
  std::string host;
  std::string indicator;
  double value = 0;
  double score = 0;
  double forecast = 0;
  double lower = 0;
  double upper = 0;
};

// Host-level view: composite entropy and its trend, the worst current anomaly, recent alarms.
struct HostSignalView {
  std::string host;
  // Latest state of each of the host's series (any component), ordered by indicator then series.
  struct Indicator {
    std::uint64_t series_id = 0;
    std::string indicator;
    std::string component;
    double value = 0;
    double score = 0;    // latest anomaly score
    double entropy = 0;  // latest normalised window entropy, [0, 1]
    TimestampMs t = 0;
  };
  std::vector<Indicator> indicators;
  double entropy = 0;
  double entropy_slope_per_hour = 0;
  double max_anomaly = 0;  // max over the host's series of their latest score
  std::uint64_t alarms = 0;
  TimestampMs last = 0;
  std::vector<AnomalyEvent> recent;  // newest last, at most kRecentAlarms
};

inline constexpr std::size_t kRecentAlarms = 20;

// A forecast of a stored series, with where its steps fall in time.
struct SeriesForecast {
  signal::BatchForecast forecast;
  DurationMs step_ms = 0;   // median spacing of the history used (0 with fewer than 2 samples)
  TimestampMs last_ms = 0;  // time of the newest sample: step h falls at last_ms + h * step_ms
};

// Outcome of one ingest call, in the shape of DESIGN.md §3's reply.
struct IngestReport {
  std::uint64_t accepted_samples = 0;  // stored or idempotently re-accepted
  std::uint64_t rejected_samples = 0;
  std::uint32_t messages = 0;
  std::vector<ingest::Rejection> rejected;  // at most kMaxListedRejections, ordered by line
  std::array<std::uint64_t, kRejectReasonCount> rejected_by_reason{};
};

inline constexpr std::size_t kMaxListedRejections = 100;

class Engine {
 public:
  // Opens the store in options.storage.dir (replaying its WAL). `clock` and `metrics` must outlive
  // the engine; `log` receives warnings (WAL repairs, degraded modes).
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options, const Clock& clock,
                                              MetricsRegistry& metrics,
                                              std::function<void(const std::string&)> log = {});
  ~Engine();

  // POST /v1/health: parse, validate, store durably. An Error means an IO failure: nothing of the
  // batch was acknowledged (the caller answers 503 so the sender retries).
  Result<IngestReport> IngestHealthBody(std::string_view body);
  // Already parsed samples (replay, remote-write); `rejected` are parse-time rejections to merge.
  Result<IngestReport> IngestParsed(const std::vector<ingest::ParsedSample>& samples,
                                    std::vector<ingest::Rejection> rejected,
                                    std::uint32_t messages);

  // Signal state (nullopt when unknown or signals are off).
  std::optional<SeriesSignalView> SeriesSignals(std::uint64_t id) const;
  std::optional<HostSignalView> HostSignals(std::string_view host) const;
  std::vector<HostSignalView> AllHostSignals() const;
  // The same into *out, reusing its views' storage (a caller that reads every host often keeps
  // one buffer). Each view is complete: nothing of the buffer's previous contents remains.
  void AllHostSignals(std::vector<HostSignalView>* out) const;
  // Forecast of a stored series from its newest `forecast_history` samples (ForecastBatch: season
  // detection, rolling-backtest model selection, intervals at `level`).
  Result<SeriesForecast> Forecast(std::uint64_t id, std::size_t horizon, double level) const;

  // Called for every stored sample after its signals update, from the ingesting thread (set it
  // before ingest starts; the controller uses it to feed its per-workload forecasters).
  using SampleObserver = std::function<void(const Labels&, std::uint64_t id, Sample)>;
  void SetSampleObserver(SampleObserver observer) { observer_ = std::move(observer); }

  store::Storage& storage() { return *storage_; }
  const store::Storage& storage() const { return *storage_; }
  const EngineOptions& options() const { return options_; }
  const Clock& clock() const { return clock_; }
  MetricsRegistry& metrics() { return metrics_; }

 private:
  Engine(EngineOptions options, const Clock& clock, MetricsRegistry& metrics);
  void CountRejection(IngestReport* report, const ingest::Rejection& r);
  // Runs the signals of every stored sample of one commit. `stored` holds, in request order, the
  // indices into `samples` of the samples stored under `ids` (parallel). Each series shard and
  // each host shard is locked once per call, not once per sample; per series and per host the
  // updates happen in request order, so the result is that of updating sample by sample.
  void UpdateSignals(const std::vector<const ingest::ParsedSample*>& stored,
                     const std::vector<std::uint64_t>& ids);

  struct HostState;

  struct SeriesState {
    explicit SeriesState(const signal::SeriesSignalsConfig& c) : signals(c) {}
    signal::SeriesSignals signals;
    TimestampMs t = INT64_MIN;
    double value = 0;
    std::uint64_t updates = 0;
    std::uint64_t alarms = 0;
    // Set when the series is first seen and never changed: read without the shard lock by the
    // thread that found the series.
    std::string host;
    std::string indicator;
    std::string component;
    std::size_t host_shard = 0;
    // The series' place in its host's state, found on its first host update. Guarded by the host
    // shard's mutex (not the series shard's): only host-phase code touches them. Stable pointers:
    // hosts and their `latest` entries are never erased, and std::map / std::unordered_map nodes
    // do not move.
    HostState* host_state = nullptr;
    std::size_t slot = 0;  // index in host_state->indicators
    HostSignalView::Indicator* latest = nullptr;
  };
  struct HostState {
    std::vector<std::string> indicators;  // index = slot in `composite`
    std::vector<double> weights;
    std::unique_ptr<signal::CompositeEntropy> composite;
    std::unordered_map<std::uint64_t, HostSignalView::Indicator> latest;  // by series id
    std::uint64_t alarms = 0;
    TimestampMs last = 0;
    std::deque<AnomalyEvent> recent;
  };
  static constexpr std::size_t kShards = 16;
  // Series states by id: open addressing with linear probing over (id, state) slots, at most half
  // full, no deletion. A lookup reads one slot (the slot array of a shard stays in cache) and then
  // the state itself; std::unordered_map's bucket → node chain cost two more cache misses per
  // sample. States are heap objects that never move.
  class SeriesTable {
   public:
    SeriesState* Find(std::uint64_t id) const {
      if (slots_.empty()) return nullptr;
      for (std::size_t i = Slot0(id);; i = (i + 1) & mask_) {
        const Slot& s = slots_[i];
        if (s.state == nullptr) return nullptr;
        if (s.id == id) return s.state;
      }
    }
    // `id` must not be present yet.
    SeriesState* Insert(std::uint64_t id, std::unique_ptr<SeriesState> state);

   private:
    struct Slot {
      std::uint64_t id = 0;
      SeriesState* state = nullptr;
    };
    std::size_t Slot0(std::uint64_t id) const {
      return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ULL) >> shift_);
    }
    std::vector<Slot> slots_;
    std::vector<std::unique_ptr<SeriesState>> owned_;
    std::size_t mask_ = 0;
    int shift_ = 63;
  };
  struct SeriesShard {
    mutable std::mutex mu;
    SeriesTable series;
  };
  struct HostShard {
    mutable std::mutex mu;
    std::map<std::string, HostState, std::less<>> hosts;
  };
  std::array<SeriesShard, kShards> series_shards_;
  std::array<HostShard, kShards> host_shards_;
  Counter* signal_updates_total_ = nullptr;
  Counter* anomaly_alarms_total_ = nullptr;

  SampleObserver observer_;
  EngineOptions options_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  std::unique_ptr<store::Storage> storage_;
  Counter* accepted_total_ = nullptr;
  Counter* messages_total_ = nullptr;
  std::array<Counter*, kRejectReasonCount> rejected_total_{};
};

}  // namespace prognos::engine
