// Continuous retraining of the failure model inside the control loop (issue #11: "retrained
// continuously"). The controller hands it, once per tick, each host's current failure features
// and whether the host reports status "fail"; it
//   1. records one labelled-history row per host every row_every (predict::LabelledHistory),
//   2. labels a host's rows when it starts failing (edge: ok → fail) and settles the rows whose
//      horizon passed without a failure,
//   3. asks predict::RetrainScheduler whether a retrain is due (cadence, new rows, new positives),
//      and if so trains a candidate on a copy of the settled rows — on a background thread in
//      `serve`, inline on virtual time (replay, simulator, tests: deterministic) — and
//   4. swaps the serving model only when the candidate's held-out Brier is no worse.
// What it did comes back as messages for the audit log. The serving model, the scheduler state
// and the labelled history persist in the BlobStore ("failure_model.serving", "retrain.state",
// "retrain.history", and "failure_model.base": the configured model's checksum — a different
// configured model discards the retrained ones). Not thread-safe: the controller calls it under
// its mutex; the background job shares nothing mutable with it.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/time.h"
#include "predict/failure_model.h"
#include "predict/labelled_history.h"
#include "predict/retrain_scheduler.h"

namespace prognos::store {
class BlobStore;
}

namespace prognos::engine {

struct RetrainOptions {
  bool enabled = false;
  predict::RetrainPolicy policy;
  // Rows per host at most this often; settled rows older than keep are dropped; beyond
  // max_rows the oldest negatives go first.
  DurationMs row_every_ms = kHourMs;
  DurationMs keep_ms = 90 * kDayMs;
  std::size_t max_rows = 200'000;
  // The history is written to the blob store at most this often (and at shutdown): a crash loses
  // at most this much of the training history, never acknowledged telemetry.
  DurationMs persist_every_ms = kHourMs;
  predict::FailureTrainOptions train;
  // Train on a background thread (serve) or inline in the tick (virtual time: reproducible).
  bool background = true;
};

// Counts for /metrics and the API.
struct RetrainStatus {
  bool enabled = false;
  std::uint32_t version = 0;  // of the serving model; 0 = the configured one
  std::size_t settled_rows = 0;
  std::size_t settled_positives = 0;
  std::size_t pending_rows = 0;
  std::uint64_t attempts = 0;
  std::uint64_t replaced = 0;
  bool training = false;  // a background job is running
  TimestampMs last_attempt = 0;
};

class ModelRetrainer {
 public:
  // `configured` is the model from the config (not null); `store` may be null (nothing persists).
  ModelRetrainer(std::shared_ptr<const predict::FailureModel> configured, RetrainOptions options,
                 store::BlobStore* store);
  ~ModelRetrainer();  // waits for a running job, then persists the history
  ModelRetrainer(const ModelRetrainer&) = delete;
  ModelRetrainer& operator=(const ModelRetrainer&) = delete;

  // Restores the persisted model, state and history; returns messages for the audit log (what
  // was restored or why it was not — an unreadable blob is reported, never fatal).
  std::vector<std::string> Load();

  // The model to predict with (the configured one until a candidate replaces it).
  std::shared_ptr<const predict::FailureModel> serving() const { return serving_; }

  // One host's state this tick: its feature vector (empty: not known to the feature builder yet)
  // and whether it reports failure. Call for every host, then Step.
  void Observe(std::string_view host, TimestampMs now, std::span<const float> features,
               bool failed);
  // Settles rows, collects a finished background job, starts a due one. Messages for the audit.
  std::vector<std::string> Step(TimestampMs now);

  RetrainStatus status() const;

 private:
  struct Job {
    predict::RetrainScheduler scheduler;  // the job's copy; adopted when it finishes
    Result<predict::RetrainOutcome> outcome = predict::RetrainOutcome{};
  };
  std::string Describe(const Result<predict::RetrainOutcome>& outcome) const;
  std::vector<std::string> Finish(Job job, TimestampMs now);
  // Encodes the history now; with background on, the (fsynced) write runs on a thread of its own
  // so the tick — and the ingest that waits on the controller's lock — does not wait for the disk.
  // At most one write is in flight; the destructor writes synchronously.
  void PersistHistory(bool wait);

  std::shared_ptr<const predict::FailureModel> configured_;
  std::shared_ptr<const predict::FailureModel> serving_;
  RetrainOptions options_;
  store::BlobStore* store_;
  predict::LabelledHistory history_;
  predict::RetrainScheduler scheduler_;
  std::unordered_set<std::string> failing_;  // hosts whose status is "fail" now
  std::optional<std::future<Job>> job_;
  std::optional<std::future<void>> persist_job_;
  std::size_t labelled_during_job_ = 0;  // counts that arrived while a job ran
  std::size_t positives_during_job_ = 0;
  TimestampMs last_persist_ = INT64_MIN;
  TimestampMs retry_after_ = INT64_MIN;  // after an attempt that could not run (too few rows)
  std::uint64_t attempts_ = 0;
  std::uint64_t replaced_ = 0;
  std::string configured_sum_;  // hex FNV-1a 64 of the configured model's blob
};

}  // namespace prognos::engine
