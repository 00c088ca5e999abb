// Probability that a component (drive, host, …) fails within a horizon H, from its
// FailureFeatures: gradient-boosted trees (XGBoost, binary:logistic) trained on labelled history,
// calibrated on a later, held-out time slice (Platt or isotonic, see calibration.h), saved and
// loaded as one versioned byte blob. Pure: bytes in, bytes out, no file IO, no clock; randomness
// from the seed in the options. Thread-compatible: the const Predict* methods may run
// concurrently on one model (they use only XGBoost's in-place prediction, which its docs call
// "safe and lock free" from multiple threads); Train, Retrain and Deserialize return new objects.
// Do not keep a FailureModel in a static: freeing a booster after XGBoost's own statics are
// destroyed aborts the process.
//
// Retraining: `Retrain` refits from scratch on new labelled history with the current model's
// feature spec and horizon (the engine keeps serving the old model until the new one is
// returned). Cadence: once a day is enough for daily telemetry such as SMART; a row's label
// matures only H after it (a drive that is fine at t is a negative only once it survived until
// t + H), so each retrain should use the rows older than now − H as settled history plus the
// failures seen since. Trees are cheap to refit: 20 k drives × 12 days trains in seconds.
//
// Model selection (`Select`): a rolling-origin cross-validation inside the training history
// only. The distinct row times of the latest half of the history are cut into `folds`
// consecutive validation windows; fold j trains on every row before its window (labels
// re-derived from the failures seen before the window starts, so nothing from the window leaks
// into the training labels) and scores the window per entity, as the evaluation protocol does:
// a failed entity is detected when one of its window rows up to its failure scores above the
// threshold that alarms at most target_far of the window's non-failing entities. Every
// candidate (depth × eta × negative keep × positive weight; rounds by prefixes of one fit) is
// ranked by detections pooled over the folds, ties by pooled held-out Brier; calibration is
// then the method with the lower pooled Brier among those that keep the candidate's detections
// (isotonic's flat steps can tie the scores a threshold is set on).
//
// Blob format v2 (little-endian; v1 is v2 without the fields marked [v2], still read):
//   "PGFM" u32 version (2; version 1 blobs are still read)
//   i64 horizon_ms
//   u32 n_indicators, then per indicator u32 length + bytes
//   u32 n_delta_days, then i32 each;  i64 snapshot_spacing_ms
//   u32 length + type label bytes (empty = no type prior); f64 fleet rate;
//   u32 n_types, then per type (sorted by name) u32 length + bytes, f64 rate
//   [v2] u8 extended (0/1); u32 n_alarm, then per alarm indicator u32 length + bytes
//   u8 calibration method (0 none, 1 platt, 2 isotonic); f64 platt a, f64 platt b;
//   u32 n_points, then f64 x[n], f64 y[n]
//   [v2] u32 length + metadata bytes (UTF-8 text: how the model was chosen; may be empty)
//   u64 booster length + XGBoost's own UBJSON model bytes
//   u64 FNV-1a 64 of every byte before it
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "predict/calibration.h"
#include "predict/failure_features.h"

namespace prognos::predict {

inline constexpr std::uint32_t kFailureModelVersion = 2;

// FailureTrainingSet::failure_times value of a row whose entity has no failure after it.
inline constexpr TimestampMs kNoFailure = std::numeric_limits<TimestampMs>::max();

// Labelled rows, row-major features in FailureFeatureNames order (NaN = missing).
struct FailureTrainingSet {
  std::size_t feature_count = 0;
  std::vector<float> features;     // rows × feature_count
  std::vector<double> labels;      // 1 = the entity failed within H of this row, else 0
  std::vector<TimestampMs> times;  // the row's time (chooses the calibration slice)
  // Only for Select (empty otherwise): the row's entity id, and the time of that entity's
  // first failure at or after the row (kNoFailure if none in the history).
  std::vector<std::uint32_t> entities;
  std::vector<TimestampMs> failure_times;
  std::size_t rows() const { return labels.size(); }
};

struct FailureTrainOptions {
  int rounds = 150;
  int max_depth = 4;
  double eta = 0.1;
  double subsample = 0.8;
  double colsample_bytree = 1.0;
  double min_child_weight = 1.0;
  // Weight of a positive row; 0 = auto: √(negatives / positives) of the training part (the full
  // ratio over-weights a handful of drives; calibration undoes the shift either way).
  double scale_pos_weight = 0.0;
  // Share of negative training rows kept (seeded draw); positives are always kept. The
  // calibration slice is never down-sampled, so its probabilities stay honest.
  double negative_keep_fraction = 1.0;
  // The latest share of the time span [t_min, t_max] is held out to fit the calibration.
  double calibration_fraction = 0.25;
  CalibrationMethod calibration = CalibrationMethod::kAuto;
  std::uint64_t seed = 1;
  int nthread = 1;
};

// What Train saw and chose (for logs and the CLI's summary).
struct FailureTrainReport {
  std::size_t train_rows = 0;
  std::size_t train_positives = 0;
  std::size_t calibration_rows = 0;
  std::size_t calibration_positives = 0;
  TimestampMs calibration_from = 0;  // rows at or after this time calibrate
  double scale_pos_weight = 0.0;
  CalibrationMethod calibration = CalibrationMethod::kNone;
  double brier_platt = 0.0;  // held-out (cross-fold) Brier of each method, NaN if not run
  double brier_isotonic = 0.0;
  double calibration_brier = 0.0;     // Brier of the chosen calibrator on the calibration slice
  bool calibration_fallback = false;  // slice had no positives: prior-shift Platt used instead
};

// The grid Select searches (defaults: 4 × 2 × 2 × 2 = 32 fits per fold, 3 rounds each).
struct FailureSelectOptions {
  std::vector<int> max_depths = {2, 3, 4, 6};
  std::vector<double> etas = {0.05, 0.1};
  std::vector<int> rounds = {50, 100, 200};  // prefixes of one fit of the largest
  std::vector<double> negative_keep = {0.1, 0.25};  // all negatives: too slow for a grid here
  std::vector<double> scale_pos_weights = {0.0, 1.0};  // 0 = auto √(neg/pos)
  int folds = 3;
  double target_far = 0.01;
};

// One candidate's cross-validated scores, pooled over the folds.
struct FailureCandidate {
  FailureTrainOptions options;
  std::size_t detected = 0;  // failed entities detected (Platt / margin ranking)
  std::size_t detected_isotonic = 0;
  std::size_t failed = 0;  // failed entities in the validation windows
  std::size_t false_alarms = 0;
  std::size_t healthy = 0;
  double brier_platt = 0.0;  // over every validation row
  double brier_isotonic = 0.0;
};

struct FailureSelection {
  std::vector<FailureCandidate> candidates;  // in grid order
  std::size_t best = 0;
  CalibrationMethod calibration = CalibrationMethod::kPlatt;
  std::vector<TimestampMs> fold_from;  // validation windows [from, to)
  std::vector<TimestampMs> fold_to;
  std::vector<std::size_t> fold_train_positives;
  FailureTrainOptions chosen;  // the base options with the winner's settings and calibration
  // Human-readable record (folds, every candidate, the choice), for the model's metadata.
  std::string Summary() const;
};

class FailureModel {
 public:
  FailureModel();
  ~FailureModel();
  FailureModel(FailureModel&&) noexcept;
  FailureModel& operator=(FailureModel&&) noexcept;
  FailureModel(const FailureModel&) = delete;
  FailureModel& operator=(const FailureModel&) = delete;

  // Trains on `data` (features built with `spec`; labels for horizon_ms). Errors
  // (invalid_argument): feature count ≠ the spec's, sizes differ, no rows, no positive or no
  // negative rows in the training part, bad options. When the calibration slice has no positive
  // rows, the booster is trained on every row and calibrated by undoing the positive weight
  // (Platt a = 1, b = −ln scale_pos_weight), and the report says so.
  static Result<FailureModel> Train(const FailureFeatureSpec& spec, DurationMs horizon_ms,
                                    const FailureTrainingSet& data,
                                    const FailureTrainOptions& options,
                                    FailureTrainReport* report = nullptr);
  // Chooses training options by the rolling-origin cross-validation described above, on `data`
  // only (needs entities and failure_times). base supplies everything the grid does not vary
  // (subsample, seed, threads, calibration_fraction). Errors (invalid_argument): what Train
  // rejects, missing entities/failure_times, fewer than 2 · folds distinct times, an empty grid,
  // or no fold with a positive row to train on.
  static Result<FailureSelection> Select(const FailureFeatureSpec& spec, DurationMs horizon_ms,
                                         const FailureTrainingSet& data,
                                         const FailureTrainOptions& base,
                                         const FailureSelectOptions& grid);
  // A fresh fit on new labelled history with this model's spec and horizon.
  Result<FailureModel> Retrain(const FailureTrainingSet& data, const FailureTrainOptions& options,
                               FailureTrainReport* report = nullptr) const;

  // Blob format above. Deserialize errors: corruption (bad magic, checksum, truncated,
  // XGBoost refuses the booster bytes), invalid_argument (a newer version).
  Result<std::string> Serialize() const;
  static Result<FailureModel> Deserialize(std::string_view bytes);

  // Calibrated P(failure within H) in [0, 1] for one feature vector (NaN entries = missing).
  // Errors: wrong length, model not trained.
  Result<double> Predict(std::span<const float> features) const;
  // Many rows at once (rows × feature_count, row-major): far cheaper per row.
  Result<std::vector<double>> PredictBatch(std::span<const float> rows) const;
  // P(failure) of one entity from a FeatureBuilder built with this model's spec(); errors when
  // the entity was never seen (not_found) or the builder's feature count differs.
  Result<double> PredictEntity(const FeatureBuilder& features, std::string_view entity) const;
  // The booster's raw margin (log-odds before calibration), for diagnostics and calibration.
  Result<std::vector<double>> PredictMargin(std::span<const float> rows) const;

  bool trained() const;
  const FailureFeatureSpec& spec() const { return spec_; }
  DurationMs horizon_ms() const { return horizon_ms_; }
  const Calibrator& calibrator() const { return calibrator_; }
  std::size_t feature_count() const { return feature_count_; }
  // Free text saved with the model (e.g. FailureSelection::Summary()); empty by default.
  const std::string& metadata() const { return metadata_; }
  void set_metadata(std::string text) { metadata_ = std::move(text); }

 private:
  struct Booster;
  // Train, optionally handing back the calibration slice (rows, labels) it held out.
  static Result<FailureModel> Fit(const FailureFeatureSpec& spec, DurationMs horizon_ms,
                                  const FailureTrainingSet& data,
                                  const FailureTrainOptions& options, FailureTrainReport* report,
                                  std::vector<float>* calibration_rows,
                                  std::vector<double>* calibration_labels);
  // Margins from the first `iterations` trees (0 = all).
  Result<std::vector<double>> MarginUpTo(std::span<const float> rows, int iterations) const;
  std::string metadata_;
  FailureFeatureSpec spec_;
  DurationMs horizon_ms_ = 0;
  std::size_t feature_count_ = 0;
  Calibrator calibrator_;
  std::unique_ptr<Booster> booster_;
};

}  // namespace prognos::predict
