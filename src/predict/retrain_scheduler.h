// When and whether to replace the failure model (issue #11: "retrained on a cadence"): a pure
// scheduler that says when a retrain is due (cadence elapsed and enough newly labelled rows),
// and, given the labelled history, trains a candidate on all but the latest slice and keeps the
// serving model unless the candidate's Brier score on that held-out slice is no worse. Accepted
// models get the next version number and their blob (FailureModel::Serialize) for the store.
// Pure: time comes in as arguments, training through an injected function. Not thread-safe;
// owned by the caller that drives retraining (the controller, from a background task).
//
// Use (the controller, once per tick or on a timer):
//   scheduler.AddLabelled(rows_matured, positives_matured);  // labels settle H after a row
//   if (scheduler.Due(now).due) {
//     auto out = scheduler.Run(now, history, serving.get(), trainer);
//     if (out && out->decision == RetrainDecision::kReplaced) {
//       blob_store.Put("failure_model.v" + std::to_string(out->version), out->blob);
//       serving = std::make_shared<const FailureModel>(std::move(*out->model));
//     }
//   }
// State persists with EncodeRetrainState / DecodeRetrainState (docs/formats/retrain_state.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/time.h"
#include "predict/failure_model.h"

namespace prognos::predict {

struct RetrainPolicy {
  DurationMs cadence_ms = kDayMs;     // at most one attempt per cadence
  std::size_t min_new_rows = 1000;    // newly labelled rows since the last attempt
  std::size_t min_new_positives = 1;  // of which positive (failures)
  // The latest share of the history's time span is the comparison slice: the candidate is
  // trained on the rows before it, both models are scored on it.
  double holdout_fraction = 0.2;
  // The candidate replaces the serving model when Brier(candidate) ≤ Brier(serving) + this.
  double brier_tolerance = 0.0;
  // Fewest positives the comparison slice needs for a verdict (with none, Brier only rewards
  // predicting 0 and says nothing about detection): below it the serving model stays.
  std::size_t min_holdout_positives = 1;
  // After acceptance, refit the candidate on every row (the slice included) before serving.
  bool refit_on_all = true;
};

// Checks cadence > 0, holdout_fraction in (0, 1), brier_tolerance ≥ 0.
Result<void> ValidateRetrainPolicy(const RetrainPolicy& policy);

// What survives a restart.
struct RetrainState {
  std::uint32_t version = 0;     // of the serving model; 0 = none accepted yet
  TimestampMs last_attempt = 0;  // 0 = never
  TimestampMs last_accepted = 0;
  std::uint64_t new_rows = 0;  // labelled since the last attempt
  std::uint64_t new_positives = 0;
  double serving_brier = 0.0;  // held-out Brier of the serving model when it was accepted
};

struct RetrainDue {
  bool due = false;
  std::string reason;  // "cadence", "too few new rows", … for logs
};

enum class RetrainDecision {
  kReplaced,  // the candidate serves (version incremented)
  kKeptOld,   // the serving model was no worse, or the slice could not decide
  kFailed,    // the trainer failed; the serving model stays
};
std::string_view RetrainDecisionName(RetrainDecision decision);

struct RetrainOutcome {
  RetrainDecision decision = RetrainDecision::kKeptOld;
  std::string reason;
  double brier_serving = 0.0;    // on the held-out slice (NaN without a serving model)
  double brier_candidate = 0.0;  // on the held-out slice
  std::size_t holdout_rows = 0;
  std::size_t holdout_positives = 0;
  std::uint32_t version = 0;          // of the model serving after this run
  std::optional<FailureModel> model;  // the new model when kReplaced
  std::string blob;                   // its FailureModel::Serialize bytes when kReplaced
};

// Trains a model on the given rows (e.g. serving.Retrain(data, options), or FailureModel::Train
// with a spec when nothing serves yet).
using FailureTrainer = std::function<Result<FailureModel>(const FailureTrainingSet&)>;

class RetrainScheduler {
 public:
  // The policy must be valid (ValidateRetrainPolicy); an invalid one is an invariant violation.
  explicit RetrainScheduler(RetrainPolicy policy, RetrainState state = {});

  // Rows whose label has settled since the last call (a row's label is known H after it, or
  // when its entity failed).
  void AddLabelled(std::size_t rows, std::size_t positives);
  // Due when the cadence has elapsed since the last attempt (or there was none) and at least
  // min_new_rows rows with min_new_positives positives were labelled since.
  RetrainDue Due(TimestampMs now) const;
  // One attempt, whether or not Due says so (the caller decides; Due is the usual gate): splits
  // `history` by time, trains the candidate on the earlier part, scores both on the later one
  // and decides as the policy says. Resets the new-row counters and records the attempt time
  // whatever the decision. Errors (invalid_argument): an empty history or one whose rows all fall
  // into one side of the split; the state is unchanged then.
  Result<RetrainOutcome> Run(TimestampMs now, const FailureTrainingSet& history,
                             const FailureModel* serving, const FailureTrainer& train);

  const RetrainState& state() const { return state_; }
  const RetrainPolicy& policy() const { return policy_; }

 private:
  RetrainPolicy policy_;
  RetrainState state_;
};

// Blob "PGRT" u32 version=1, u32 model version, i64 last_attempt, i64 last_accepted,
// u64 new_rows, u64 new_positives, f64 serving_brier, u64 FNV-1a 64 of the bytes before it.
std::string EncodeRetrainState(const RetrainState& state);
Result<RetrainState> DecodeRetrainState(std::string_view bytes);

}  // namespace prognos::predict
