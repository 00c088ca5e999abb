#include "engine/model_retrainer.h"

#include <fmt/format.h>

#include <chrono>
#include <utility>

#include "core/hash.h"
#include "store/blob_store.h"

namespace prognos::engine {
namespace {

constexpr std::string_view kServingKey = "failure_model.serving";
constexpr std::string_view kBaseKey = "failure_model.base";
constexpr std::string_view kStateKey = "retrain.state";
constexpr std::string_view kHistoryKey = "retrain.history";

predict::LabelledHistoryOptions HistoryOptions(const predict::FailureModel& model,
                                               const RetrainOptions& o) {
  predict::LabelledHistoryOptions h;
  h.horizon_ms = model.horizon_ms();
  h.row_every_ms = o.row_every_ms;
  h.keep_ms = o.keep_ms;
  h.max_settled_rows = o.max_rows;
  return h;
}

// The blob checksum of a model: what identifies "the configured model" across restarts.
std::string ModelSum(const predict::FailureModel& model) {
  auto blob = model.Serialize();
  return blob ? fmt::format("{:016x}", Fnv1a64(*blob)) : std::string();
}

}  // namespace

ModelRetrainer::ModelRetrainer(std::shared_ptr<const predict::FailureModel> configured,
                               RetrainOptions options, store::BlobStore* store)
    : configured_(std::move(configured)),
      serving_(configured_),
      options_(options),
      store_(store),
      history_(configured_->feature_count(), HistoryOptions(*configured_, options_)),
      scheduler_(options_.policy) {}

ModelRetrainer::~ModelRetrainer() {
  if (job_) job_->wait();
  PersistHistory(true);
}

std::vector<std::string> ModelRetrainer::Load() {
  std::vector<std::string> messages;
  if (store_ == nullptr) return messages;
  configured_sum_ = ModelSum(*configured_);
  auto base = store_->Get(kBaseKey);
  const bool same_base = base && *base && **base == configured_sum_;
  if (!same_base) {
    // First start, or the operator configured another model: retrained versions of the old one
    // do not apply, and neither do rows built for its features.
    if (base && *base) {
      messages.emplace_back(
          "failure model retraining: the configured model changed; starting from it with an "
          "empty labelled history");
    }
    (void)store_->Put(kBaseKey, configured_sum_);
    (void)store_->Put(kStateKey, predict::EncodeRetrainState(scheduler_.state()));
    return messages;
  }
  if (auto state = store_->Get(kStateKey); state && *state) {
    auto decoded = predict::DecodeRetrainState(**state);
    if (decoded) {
      scheduler_ = predict::RetrainScheduler(options_.policy, *decoded);
    } else {
      messages.push_back("warning: retrain state unreadable (" + decoded.error().message +
                         "); the cadence starts afresh");
    }
  }
  if (scheduler_.state().version > 0) {
    auto blob = store_->Get(kServingKey);
    Result<predict::FailureModel> model =
        blob && *blob ? predict::FailureModel::Deserialize(**blob)
                      : Result<predict::FailureModel>(
                            MakeError(ErrorCode::kNotFound, "no stored model"));
    if (model && model->feature_count() == configured_->feature_count()) {
      serving_ = std::make_shared<const predict::FailureModel>(std::move(*model));
      messages.push_back("failure model v" + std::to_string(scheduler_.state().version) +
                         " (retrained) restored");
    } else {
      messages.push_back("warning: retrained failure model v" +
                         std::to_string(scheduler_.state().version) + " unreadable (" +
                         (model ? std::string("feature count differs") : model.error().message) +
                         "); serving the configured model");
    }
  }
  if (auto bytes = store_->Get(kHistoryKey); bytes && *bytes) {
    auto h = predict::LabelledHistory::Decode(**bytes, configured_->feature_count(),
                                              HistoryOptions(*configured_, options_));
    if (h) {
      history_ = std::move(*h);
    } else {
      messages.push_back("warning: labelled history unreadable (" + h.error().message +
                         "); collecting it afresh");
    }
  }
  return messages;
}

void ModelRetrainer::Observe(std::string_view host, TimestampMs now,
                             std::span<const float> features, bool failed) {
  const std::string key(host);
  if (failed) {
    if (failing_.insert(key).second) {
      const auto n = history_.Failed(host, now);
      if (job_) {
        labelled_during_job_ += n.rows;
        positives_during_job_ += n.positives;
      } else {
        scheduler_.AddLabelled(n.rows, n.positives);
      }
    }
    return;  // no rows while the host is down
  }
  failing_.erase(key);
  if (!features.empty()) (void)history_.AddRow(host, now, features);
}

std::string ModelRetrainer::Describe(const Result<predict::RetrainOutcome>& outcome) const {
  if (!outcome) return "failure model retraining: not attempted: " + outcome.error().message;
  const predict::RetrainOutcome& o = *outcome;
  const std::string version = o.decision == predict::RetrainDecision::kReplaced
                                  ? fmt::format(" -> v{}", o.version)
                                  : fmt::format(" (v{} serves)", o.version);
  return fmt::format(
      "failure model retraining: {}{}: {}; held-out Brier candidate {:.4g} vs serving {:.4g} on {} "
      "rows ({} positive)",
      predict::RetrainDecisionName(o.decision), version, o.reason, o.brier_candidate,
      o.brier_serving, o.holdout_rows, o.holdout_positives);
}

std::vector<std::string> ModelRetrainer::Finish(Job job, TimestampMs now) {
  std::vector<std::string> messages;
  ++attempts_;
  messages.push_back(Describe(job.outcome));
  if (!job.outcome) {
    // Too little data to split: nothing was attempted; keep the counters, and try again one
    // cadence later rather than every tick.
    retry_after_ = now + options_.policy.cadence_ms;
    scheduler_.AddLabelled(labelled_during_job_, positives_during_job_);
    labelled_during_job_ = positives_during_job_ = 0;
    return messages;
  }
  scheduler_ = job.scheduler;
  scheduler_.AddLabelled(labelled_during_job_, positives_during_job_);
  labelled_during_job_ = positives_during_job_ = 0;
  predict::RetrainOutcome& o = *job.outcome;
  if (o.decision == predict::RetrainDecision::kReplaced && o.model) {
    ++replaced_;
    serving_ = std::make_shared<const predict::FailureModel>(std::move(*o.model));
    if (store_ != nullptr) {
      auto ok = store_->Put(kServingKey, o.blob);
      if (!ok) messages.push_back("warning: cannot persist the retrained model: " + ok.error().message);
    }
  }
  if (store_ != nullptr) {
    auto ok = store_->Put(kStateKey, predict::EncodeRetrainState(scheduler_.state()));
    if (!ok) messages.push_back("warning: cannot persist the retrain state: " + ok.error().message);
  }
  return messages;
}

std::vector<std::string> ModelRetrainer::Step(TimestampMs now) {
  std::vector<std::string> messages;
  const auto settled = history_.Settle(now);
  if (job_) {
    labelled_during_job_ += settled.rows;
    positives_during_job_ += settled.positives;
    if (job_->wait_for(std::chrono::seconds(0)) != std::future_status::ready) return messages;
    Job done = job_->get();
    job_.reset();
    messages = Finish(std::move(done), now);
  } else {
    scheduler_.AddLabelled(settled.rows, settled.positives);
  }
  if (last_persist_ == INT64_MIN || now - last_persist_ >= options_.persist_every_ms) {
    PersistHistory(!options_.background);
    last_persist_ = now;
  }
  if (now < retry_after_ || !scheduler_.Due(now).due) return messages;
  // The job owns copies of everything it reads: the rows, the scheduler, and a model of its own
  // (the serving booster keeps predicting on the tick's thread meanwhile).
  auto blob = serving_->Serialize();
  if (!blob) {
    messages.push_back("failure model retraining: cannot copy the serving model: " +
                       blob.error().message);
    return messages;
  }
  auto run = [history = history_.Settled(), scheduler = scheduler_, blob = std::move(*blob),
              train = options_.train, now]() mutable {
    Job job{scheduler, predict::RetrainOutcome{}};
    auto serving = predict::FailureModel::Deserialize(blob);
    if (!serving) {
      job.outcome = tl::unexpected(serving.error());
      return job;
    }
    const predict::FailureModel& base = *serving;
    job.outcome = job.scheduler.Run(now, history, &base,
                                    [&](const predict::FailureTrainingSet& data) {
                                      return base.Retrain(data, train);
                                    });
    return job;
  };
  if (options_.background) {
    job_ = std::async(std::launch::async, std::move(run));
  } else {
    auto more = Finish(run(), now);
    messages.insert(messages.end(), more.begin(), more.end());
  }
  return messages;
}

void ModelRetrainer::PersistHistory(bool wait) {
  if (store_ == nullptr) return;
  if (persist_job_) {
    persist_job_->wait();  // the previous write (an hour ago) is long done
    persist_job_.reset();
  }
  std::string bytes = history_.Encode();
  if (wait) {
    (void)store_->Put(kHistoryKey, bytes);
    return;
  }
  persist_job_ = std::async(std::launch::async, [store = store_, bytes = std::move(bytes)] {
    (void)store->Put(kHistoryKey, bytes);
  });
}

RetrainStatus ModelRetrainer::status() const {
  RetrainStatus s;
  s.enabled = true;
  s.version = scheduler_.state().version;
  s.settled_rows = history_.settled_rows();
  s.settled_positives = history_.settled_positives();
  s.pending_rows = history_.pending_rows();
  s.attempts = attempts_;
  s.replaced = replaced_;
  s.training = job_.has_value();
  s.last_attempt = scheduler_.state().last_attempt;
  return s;
}

}  // namespace prognos::engine
