// The pipeline every mode shares (DESIGN.md §1): ingest → store → signals. `serve` drives it on
// wall-clock time from HTTP handlers; `replay`, `demo` and the simulator drive the same object on
// virtual time. Thread-safe: any number of threads may ingest and read at once.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/reject.h"
#include "core/result.h"
#include "ingest/health_parser.h"
#include "store/storage.h"

namespace prognos::engine {

struct EngineOptions {
  store::StorageOptions storage;
  ingest::IngestLimits limits;
  // > 0: reject samples more than this far ahead of the clock (serve only; replay sets 0).
  DurationMs future_tolerance_ms = 10 * kMinuteMs;
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
  Result<IngestReport> IngestParsed(std::vector<ingest::ParsedSample> samples,
                                    std::vector<ingest::Rejection> rejected, std::uint32_t messages);

  store::Storage& storage() { return *storage_; }
  const store::Storage& storage() const { return *storage_; }
  const EngineOptions& options() const { return options_; }
  const Clock& clock() const { return clock_; }
  MetricsRegistry& metrics() { return metrics_; }

 private:
  Engine(const EngineOptions& options, const Clock& clock, MetricsRegistry& metrics);
  void CountRejection(IngestReport* report, const ingest::Rejection& r);

  EngineOptions options_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  std::unique_ptr<store::Storage> storage_;
  Counter* accepted_total_ = nullptr;
  Counter* messages_total_ = nullptr;
  std::array<Counter*, kRejectReasonCount> rejected_total_{};
};

}  // namespace prognos::engine
