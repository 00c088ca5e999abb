#include "predict/retrain_scheduler.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/check.h"
#include "core/hash.h"
#include "predict/calibration.h"

namespace prognos::predict {
namespace {

// The rows whose time is before (`later` = false) or at/after (`later` = true) the cutoff.
FailureTrainingSet Slice(const FailureTrainingSet& data, TimestampMs cutoff, bool later) {
  FailureTrainingSet out;
  out.feature_count = data.feature_count;
  for (std::size_t r = 0; r < data.rows(); ++r) {
    if ((data.times[r] >= cutoff) != later) continue;
    const auto begin = data.features.begin() + static_cast<std::ptrdiff_t>(r * data.feature_count);
    out.features.insert(out.features.end(), begin,
                        begin + static_cast<std::ptrdiff_t>(data.feature_count));
    out.labels.push_back(data.labels[r]);
    out.times.push_back(data.times[r]);
  }
  return out;
}

Result<double> HoldoutBrier(const FailureModel& model, const FailureTrainingSet& holdout) {
  auto p = model.PredictBatch(holdout.features);
  if (!p) return tl::unexpected<Error>(p.error());
  return BrierScore(*p, holdout.labels);
}

}  // namespace

Result<void> ValidateRetrainPolicy(const RetrainPolicy& p) {
  if (p.cadence_ms <= 0)
    return MakeError(ErrorCode::kInvalidArgument, "retrain: cadence must be > 0");
  if (!(p.holdout_fraction > 0.0 && p.holdout_fraction < 1.0)) {
    return MakeError(ErrorCode::kInvalidArgument, "retrain: holdout_fraction must be in (0, 1)");
  }
  if (!(p.brier_tolerance >= 0.0)) {
    return MakeError(ErrorCode::kInvalidArgument, "retrain: brier_tolerance must be >= 0");
  }
  return Ok();
}

std::string_view RetrainDecisionName(RetrainDecision decision) {
  switch (decision) {
    case RetrainDecision::kReplaced:
      return "replaced";
    case RetrainDecision::kKeptOld:
      return "kept_old";
    case RetrainDecision::kFailed:
      return "failed";
  }
  return "unknown";
}

RetrainScheduler::RetrainScheduler(RetrainPolicy policy, RetrainState state)
    : policy_(policy), state_(state) {
  PROGNOS_CHECK(ValidateRetrainPolicy(policy_).has_value());
}

void RetrainScheduler::AddLabelled(std::size_t rows, std::size_t positives) {
  state_.new_rows += rows;
  state_.new_positives += std::min(positives, rows);
}

RetrainDue RetrainScheduler::Due(TimestampMs now) const {
  if (state_.last_attempt != 0 && now - state_.last_attempt < policy_.cadence_ms) {
    return {false, "cadence not elapsed"};
  }
  if (state_.new_rows < policy_.min_new_rows) return {false, "too few new labelled rows"};
  if (state_.new_positives < policy_.min_new_positives) return {false, "too few new positives"};
  return {true, state_.version == 0 ? "first model" : "cadence elapsed with new labels"};
}

Result<RetrainOutcome> RetrainScheduler::Run(TimestampMs now, const FailureTrainingSet& history,
                                             const FailureModel* serving,
                                             const FailureTrainer& train) {
  if (history.rows() == 0 || history.times.size() != history.rows() ||
      history.features.size() != history.rows() * history.feature_count) {
    return MakeError(ErrorCode::kInvalidArgument, "retrain: empty or inconsistent history");
  }
  const auto [lo, hi] = std::minmax_element(history.times.begin(), history.times.end());
  // Cutoff: the latest holdout_fraction of the span; rows at or after it are held out.
  const auto span = static_cast<double>(*hi - *lo);
  const TimestampMs cutoff =
      *lo + static_cast<TimestampMs>(std::ceil((1.0 - policy_.holdout_fraction) * span));
  FailureTrainingSet early = Slice(history, cutoff, false);
  FailureTrainingSet holdout = Slice(history, cutoff, true);
  if (early.rows() == 0 || holdout.rows() == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "retrain: the history spans one time only; no held-out slice");
  }
  RetrainOutcome out;
  out.holdout_rows = holdout.rows();
  out.holdout_positives = static_cast<std::size_t>(std::count_if(
      holdout.labels.begin(), holdout.labels.end(), [](double y) { return y > 0.5; }));
  out.brier_serving = std::numeric_limits<double>::quiet_NaN();
  out.version = state_.version;
  state_.last_attempt = now;
  state_.new_rows = 0;
  state_.new_positives = 0;

  auto candidate = train(early);
  if (!candidate) {
    out.decision = RetrainDecision::kFailed;
    out.reason = "training failed: " + candidate.error().message;
    return out;
  }
  auto cb = HoldoutBrier(*candidate, holdout);
  if (!cb) {
    out.decision = RetrainDecision::kFailed;
    out.reason = "candidate cannot predict: " + cb.error().message;
    return out;
  }
  out.brier_candidate = *cb;
  if (serving != nullptr && serving->trained()) {
    auto sb = HoldoutBrier(*serving, holdout);
    if (sb) out.brier_serving = *sb;
    if (sb && out.holdout_positives < policy_.min_holdout_positives) {
      out.decision = RetrainDecision::kKeptOld;
      out.reason = "held-out slice has too few positives to compare";
      return out;
    }
    if (sb && !(out.brier_candidate <= out.brier_serving + policy_.brier_tolerance)) {
      out.decision = RetrainDecision::kKeptOld;
      out.reason = "candidate's held-out Brier is worse";
      return out;
    }
  }
  FailureModel accepted = std::move(*candidate);
  if (policy_.refit_on_all) {
    auto all = train(history);
    if (!all) {
      out.decision = RetrainDecision::kFailed;
      out.reason = "refit on all rows failed: " + all.error().message;
      return out;
    }
    accepted = std::move(*all);
  }
  auto blob = accepted.Serialize();
  if (!blob) {
    out.decision = RetrainDecision::kFailed;
    out.reason = "serialize failed: " + blob.error().message;
    return out;
  }
  state_.version += 1;
  state_.last_accepted = now;
  state_.serving_brier = out.brier_candidate;
  out.decision = RetrainDecision::kReplaced;
  out.reason = serving == nullptr ? "first model" : "candidate no worse on the held-out slice";
  out.version = state_.version;
  out.blob = std::move(*blob);
  out.model.emplace(std::move(accepted));
  return out;
}

std::string EncodeRetrainState(const RetrainState& s) {
  std::string out = "PGRT";
  PutRaw<std::uint32_t>(out, 1);
  PutRaw<std::uint32_t>(out, s.version);
  PutRaw<std::int64_t>(out, s.last_attempt);
  PutRaw<std::int64_t>(out, s.last_accepted);
  PutRaw<std::uint64_t>(out, s.new_rows);
  PutRaw<std::uint64_t>(out, s.new_positives);
  PutRaw<double>(out, s.serving_brier);
  PutRaw<std::uint64_t>(out, Fnv1a64(out));
  return out;
}

Result<RetrainState> DecodeRetrainState(std::string_view bytes) {
  auto corrupt = [](const char* why) {
    return MakeError(ErrorCode::kCorruption, std::string("retrain state: ") + why);
  };
  constexpr std::size_t kSize = 4 + 4 + 4 + 8 + 8 + 8 + 8 + 8 + 8;
  if (bytes.size() < 8 || bytes.substr(0, 4) != "PGRT") return corrupt("bad magic");
  std::size_t pos = 4;
  std::uint32_t version = 0;
  TakeRaw(bytes, pos, version);
  if (version > 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "retrain state: version " + std::to_string(version) + " is newer than 1");
  }
  if (bytes.size() != kSize) return corrupt("wrong size");
  std::uint64_t sum = 0;
  std::size_t sum_pos = kSize - 8;
  TakeRaw(bytes, sum_pos, sum);
  if (Fnv1a64(bytes.substr(0, kSize - 8)) != sum) return corrupt("checksum mismatch");
  RetrainState s;
  TakeRaw(bytes, pos, s.version);
  TakeRaw(bytes, pos, s.last_attempt);
  TakeRaw(bytes, pos, s.last_accepted);
  TakeRaw(bytes, pos, s.new_rows);
  TakeRaw(bytes, pos, s.new_positives);
  TakeRaw(bytes, pos, s.serving_brier);
  return s;
}

}  // namespace prognos::predict
