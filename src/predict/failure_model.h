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
// Blob format v1 (little-endian):
//   "PGFM" u32 version=1
//   i64 horizon_ms
//   u32 n_indicators, then per indicator u32 length + bytes
//   u32 n_delta_days, then i32 each;  i64 snapshot_spacing_ms
//   u32 length + type label bytes (empty = no type prior); f64 fleet rate;
//   u32 n_types, then per type (sorted by name) u32 length + bytes, f64 rate
//   u8 calibration method (0 none, 1 platt, 2 isotonic); f64 platt a, f64 platt b;
//   u32 n_points, then f64 x[n], f64 y[n]
//   u64 booster length + XGBoost's own UBJSON model bytes
//   u64 FNV-1a 64 of every byte before it
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "predict/calibration.h"
#include "predict/failure_features.h"

namespace prognos::predict {

inline constexpr std::uint32_t kFailureModelVersion = 1;

// Labelled rows, row-major features in FailureFeatureNames order (NaN = missing).
struct FailureTrainingSet {
  std::size_t feature_count = 0;
  std::vector<float> features;     // rows × feature_count
  std::vector<double> labels;      // 1 = the entity failed within H of this row, else 0
  std::vector<TimestampMs> times;  // the row's time (chooses the calibration slice)
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

 private:
  struct Booster;
  FailureFeatureSpec spec_;
  DurationMs horizon_ms_ = 0;
  std::size_t feature_count_ = 0;
  Calibrator calibrator_;
  std::unique_ptr<Booster> booster_;
};

}  // namespace prognos::predict
