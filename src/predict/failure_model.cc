#include "predict/failure_model.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <unordered_map>
#include <utility>

#include "core/hash.h"

namespace prognos::predict {
namespace {

constexpr char kMagic[4] = {'P', 'G', 'F', 'M'};
constexpr std::uint32_t kMaxIndicators = 100'000;
constexpr std::uint32_t kMaxNameBytes = 4096;

Error XgbError(std::string_view what) {
  const char* detail = XGBGetLastError();
  return Error{ErrorCode::kInternal,
               std::string("xgboost ") + std::string(what) + ": " + (detail ? detail : "")};
}

// SplitMix64: a tiny seeded generator for the negative down-sampling draw.
std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Little-endian writer / reader for the blob.
class Writer {
 public:
  template <typename T>
  void Put(T v) {
    unsigned char buf[sizeof(T)];
    std::memcpy(buf, &v, sizeof(T));
    // Hosts we build on are little-endian; a big-endian host would reverse here.
    out_.append(reinterpret_cast<const char*>(buf), sizeof(T));
  }
  void PutBytes(std::string_view b) { out_.append(b); }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  bool Get(T& v) {
    if (in_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool GetBytes(std::size_t n, std::string_view& v) {
    if (in_.size() - pos_ < n) return false;
    v = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  std::size_t pos() const { return pos_; }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

// Owns an XGBoost DMatrix.
struct DMatrix {
  DMatrixHandle handle = nullptr;
  DMatrix() = default;
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  ~DMatrix() {
    if (handle != nullptr) XGDMatrixFree(handle);
  }
};

Result<void> MakeMatrix(std::span<const float> rows, std::size_t cols, DMatrix& m) {
  const std::size_t n = cols == 0 ? 0 : rows.size() / cols;
  if (XGDMatrixCreateFromMat(rows.data(), n, cols, std::numeric_limits<float>::quiet_NaN(),
                             &m.handle) != 0) {
    return tl::unexpected(XgbError("DMatrix"));
  }
  return Ok();
}

}  // namespace

struct FailureModel::Booster {
  BoosterHandle handle = nullptr;
  Booster() = default;
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;
  ~Booster() {
    if (handle != nullptr) XGBoosterFree(handle);
  }
};

FailureModel::FailureModel() = default;
FailureModel::~FailureModel() = default;
FailureModel::FailureModel(FailureModel&&) noexcept = default;
FailureModel& FailureModel::operator=(FailureModel&&) noexcept = default;

bool FailureModel::trained() const { return booster_ != nullptr && booster_->handle != nullptr; }

namespace {

Result<void> CheckOptions(const FailureTrainOptions& o) {
  auto bad = [](const std::string& what) {
    return MakeError(ErrorCode::kInvalidArgument, "failure model option " + what);
  };
  if (o.rounds < 1 || o.rounds > 100'000) return bad("rounds must be in [1, 100000]");
  if (o.max_depth < 1 || o.max_depth > 32) return bad("max_depth must be in [1, 32]");
  if (!(o.eta > 0.0 && o.eta <= 1.0)) return bad("eta must be in (0, 1]");
  if (!(o.subsample > 0.0 && o.subsample <= 1.0)) return bad("subsample must be in (0, 1]");
  if (!(o.colsample_bytree > 0.0 && o.colsample_bytree <= 1.0)) {
    return bad("colsample_bytree must be in (0, 1]");
  }
  if (!(o.min_child_weight >= 0.0)) return bad("min_child_weight must be >= 0");
  if (!(o.scale_pos_weight >= 0.0)) return bad("scale_pos_weight must be >= 0 (0 = auto)");
  if (!(o.negative_keep_fraction > 0.0 && o.negative_keep_fraction <= 1.0)) {
    return bad("negative_keep_fraction must be in (0, 1]");
  }
  if (!(o.calibration_fraction >= 0.0 && o.calibration_fraction < 1.0)) {
    return bad("calibration_fraction must be in [0, 1)");
  }
  if (o.nthread < 1) return bad("nthread must be >= 1");
  return Ok();
}

}  // namespace

Result<FailureModel> FailureModel::Train(const FailureFeatureSpec& spec, DurationMs horizon_ms,
                                         const FailureTrainingSet& data,
                                         const FailureTrainOptions& options,
                                         FailureTrainReport* report) {
  return Fit(spec, horizon_ms, data, options, report, nullptr, nullptr);
}

Result<FailureModel> FailureModel::Fit(const FailureFeatureSpec& spec, DurationMs horizon_ms,
                                       const FailureTrainingSet& data,
                                       const FailureTrainOptions& options,
                                       FailureTrainReport* report,
                                       std::vector<float>* calibration_rows,
                                       std::vector<double>* calibration_labels) {
  if (auto ok = ValidateFeatureSpec(spec); !ok) return tl::unexpected(ok.error());
  if (auto ok = CheckOptions(options); !ok) return tl::unexpected(ok.error());
  if (horizon_ms <= 0) return MakeError(ErrorCode::kInvalidArgument, "horizon must be positive");
  const std::size_t cols = FailureFeatureNames(spec).size();
  if (data.feature_count != cols) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "training rows have " + std::to_string(data.feature_count) +
                         " features, the spec makes " + std::to_string(cols));
  }
  const std::size_t n = data.rows();
  if (n == 0) return MakeError(ErrorCode::kInvalidArgument, "no training rows");
  if (data.features.size() != n * cols || data.times.size() != n) {
    return MakeError(ErrorCode::kInvalidArgument, "training set sizes disagree");
  }

  // Calibration slice: rows at or after t_min + (1 − fraction)·(t_max − t_min).
  const auto [tmin_it, tmax_it] = std::minmax_element(data.times.begin(), data.times.end());
  const TimestampMs t_min = *tmin_it;
  const TimestampMs t_max = *tmax_it;
  TimestampMs split = t_max + 1;
  if (options.calibration_fraction > 0.0 && t_max > t_min) {
    split = t_min + static_cast<TimestampMs>(std::ceil((1.0 - options.calibration_fraction) *
                                                       static_cast<double>(t_max - t_min)));
  }
  auto positive = [&](std::size_t i) { return data.labels[i] > 0.5; };
  std::size_t calib_pos = 0;
  std::size_t train_pos = 0;
  std::size_t train_neg = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (data.times[i] >= split) {
      calib_pos += positive(i) ? 1 : 0;
    } else {
      (positive(i) ? train_pos : train_neg) += 1;
    }
  }
  // No positives to calibrate on: train on every row, calibrate by the prior shift.
  const bool fallback = calib_pos == 0;
  if (fallback) {
    split = t_max + 1;
    train_pos = train_neg = 0;
    for (std::size_t i = 0; i < n; ++i) (positive(i) ? train_pos : train_neg) += 1;
  }
  if (train_pos == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "no positive rows (no entity failed within the horizon) in the training "
                     "history: cannot learn a failure model");
  }
  if (train_neg == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "no negative rows in the training history");
  }

  // Training part, negatives down-sampled by a seeded draw.
  std::uint64_t rng = options.seed;
  std::vector<float> train_x;
  std::vector<float> train_y;
  std::vector<float> calib_x;
  std::vector<double> calib_y;
  std::size_t kept_neg = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto row = std::span<const float>(data.features).subspan(i * cols, cols);
    if (data.times[i] >= split) {
      calib_x.insert(calib_x.end(), row.begin(), row.end());
      calib_y.push_back(positive(i) ? 1.0 : 0.0);
      continue;
    }
    if (!positive(i) && options.negative_keep_fraction < 1.0) {
      const double u = static_cast<double>(SplitMix64(rng) >> 11) * 0x1.0p-53;
      if (u >= options.negative_keep_fraction) continue;
    }
    if (!positive(i)) ++kept_neg;
    train_x.insert(train_x.end(), row.begin(), row.end());
    train_y.push_back(positive(i) ? 1.0F : 0.0F);
  }
  if (kept_neg == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "down-sampling kept no negative row; raise negative_keep_fraction");
  }
  const double spw =
      options.scale_pos_weight > 0.0
          ? options.scale_pos_weight
          : std::sqrt(static_cast<double>(kept_neg) / static_cast<double>(train_pos));

  DMatrix dtrain;
  if (auto ok = MakeMatrix(train_x, cols, dtrain); !ok) return tl::unexpected(ok.error());
  if (XGDMatrixSetFloatInfo(dtrain.handle, "label", train_y.data(), train_y.size()) != 0) {
    return tl::unexpected(XgbError("labels"));
  }
  FailureModel model;
  model.spec_ = spec;
  model.horizon_ms_ = horizon_ms;
  model.feature_count_ = cols;
  model.booster_ = std::make_unique<Booster>();
  if (XGBoosterCreate(&dtrain.handle, 1, &model.booster_->handle) != 0) {
    return tl::unexpected(XgbError("create"));
  }
  const std::pair<const char*, std::string> params[] = {
      {"objective", "binary:logistic"},
      {"eval_metric", "logloss"},
      {"tree_method", "hist"},
      {"verbosity", "0"},
      {"max_depth", std::to_string(options.max_depth)},
      {"eta", std::to_string(options.eta)},
      {"subsample", std::to_string(options.subsample)},
      {"colsample_bytree", std::to_string(options.colsample_bytree)},
      {"min_child_weight", std::to_string(options.min_child_weight)},
      {"scale_pos_weight", std::to_string(spw)},
      {"seed", std::to_string(options.seed % 2147483647ULL)},
      {"nthread", std::to_string(options.nthread)},
  };
  for (const auto& [key, value] : params) {
    if (XGBoosterSetParam(model.booster_->handle, key, value.c_str()) != 0) {
      return tl::unexpected(XgbError(std::string("parameter ") + key));
    }
  }
  for (int iter = 0; iter < options.rounds; ++iter) {
    if (XGBoosterUpdateOneIter(model.booster_->handle, iter, dtrain.handle) != 0) {
      return tl::unexpected(XgbError("training"));
    }
  }

  // Predictions run on the caller's thread: a pure module starts no threads of its own, and
  // for one entity at a time XGBoost's thread pool costs more than it saves.
  if (XGBoosterSetParam(model.booster_->handle, "nthread", "1") != 0) {
    return tl::unexpected(XgbError("parameter nthread"));
  }
  FailureTrainReport r;
  r.train_rows = train_y.size();
  r.train_positives = train_pos;
  r.calibration_rows = calib_y.size();
  r.calibration_positives = calib_pos;
  r.calibration_from = split;
  r.scale_pos_weight = spw;
  r.calibration_fallback = fallback;
  r.brier_platt = r.brier_isotonic = std::numeric_limits<double>::quiet_NaN();
  if (fallback) {
    // Weighting positives by w multiplies the odds the trees learn by w: undo it.
    model.calibrator_.method = CalibrationMethod::kPlatt;
    model.calibrator_.platt = PlattCalibration{1.0, -std::log(spw)};
    r.calibration_brier = std::numeric_limits<double>::quiet_NaN();
  } else {
    auto margins = model.PredictMargin(calib_x);
    if (!margins) return tl::unexpected(margins.error());
    CalibrationMethod method = options.calibration;
    auto cal = FitCalibrator(*margins, calib_y, method);
    if (!cal) return tl::unexpected(cal.error());
    model.calibrator_ = std::move(*cal);
    if (method == CalibrationMethod::kNone) {
      // Raw logistic output, with the positive weight undone so it is still a probability.
      model.calibrator_.method = CalibrationMethod::kPlatt;
      model.calibrator_.platt = PlattCalibration{1.0, -std::log(spw)};
    }
    std::vector<double> p(margins->size());
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = model.calibrator_.Apply((*margins)[i]);
    r.calibration_brier = BrierScore(p, calib_y);
    r.brier_platt = model.calibrator_.brier_platt;
    r.brier_isotonic = model.calibrator_.brier_isotonic;
  }
  r.calibration = model.calibrator_.method;
  if (report != nullptr) *report = r;
  if (calibration_rows != nullptr) *calibration_rows = std::move(calib_x);
  if (calibration_labels != nullptr) *calibration_labels = std::move(calib_y);
  return model;
}

Result<FailureModel> FailureModel::Retrain(const FailureTrainingSet& data,
                                           const FailureTrainOptions& options,
                                           FailureTrainReport* report) const {
  if (horizon_ms_ <= 0) {
    return MakeError(ErrorCode::kInvalidArgument, "retrain needs a trained model's spec");
  }
  return Train(spec_, horizon_ms_, data, options, report);
}

Result<std::vector<double>> FailureModel::PredictMargin(std::span<const float> rows) const {
  return MarginUpTo(rows, 0);
}

Result<std::vector<double>> FailureModel::MarginUpTo(std::span<const float> rows,
                                                     int iterations) const {
  if (!trained()) return MakeError(ErrorCode::kInvalidArgument, "failure model is not trained");
  if (feature_count_ == 0 || rows.size() % feature_count_ != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "feature rows must be a multiple of " + std::to_string(feature_count_) +
                         " values, got " + std::to_string(rows.size()));
  }
  std::vector<double> out;
  if (rows.empty()) return out;
  const std::size_t n = rows.size() / feature_count_;
  // In-place prediction on the caller's floats (no DMatrix copy): the array interface names the
  // buffer by address. Output type 1 = the margin (log-odds), which the calibrator maps.
  const std::string array =
      R"({"data": [)" + std::to_string(reinterpret_cast<std::uintptr_t>(rows.data())) +
      R"(, true], "shape": [)" + std::to_string(n) + ", " + std::to_string(feature_count_) +
      R"(], "typestr": "<f4", "version": 3})";
  const std::string config =
      R"({"type": 1, "training": false, "iteration_begin": 0, "iteration_end": )" +
      std::to_string(std::max(iterations, 0)) +
      R"(, "strict_shape": false, "missing": NaN, "cache_id": 0})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  if (XGBoosterPredictFromDense(booster_->handle, array.c_str(), config.c_str(), nullptr, &shape,
                                &dim, &result) != 0) {
    return tl::unexpected(XgbError("predict"));
  }
  out.assign(result, result + n);
  return out;
}

Result<std::vector<double>> FailureModel::PredictBatch(std::span<const float> rows) const {
  auto margins = PredictMargin(rows);
  if (!margins) return margins;
  for (double& v : *margins) v = calibrator_.Apply(v);
  return margins;
}

Result<double> FailureModel::Predict(std::span<const float> features) const {
  if (features.size() != feature_count_) {
    return MakeError(ErrorCode::kInvalidArgument, "expected " + std::to_string(feature_count_) +
                                                      " features, got " +
                                                      std::to_string(features.size()));
  }
  auto p = PredictBatch(features);
  if (!p) return tl::unexpected(p.error());
  return p->front();
}

Result<double> FailureModel::PredictEntity(const FeatureBuilder& features,
                                           std::string_view entity) const {
  if (features.feature_count() != feature_count_) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "feature builder makes " + std::to_string(features.feature_count()) +
                         " features, the model expects " + std::to_string(feature_count_));
  }
  std::vector<float> row;
  if (!features.FeaturesInto(entity, row)) {
    return MakeError(ErrorCode::kNotFound, "no history for '" + std::string(entity) + "'");
  }
  return Predict(row);
}

Result<std::string> FailureModel::Serialize() const {
  if (!trained()) return MakeError(ErrorCode::kInvalidArgument, "failure model is not trained");
  bst_ulong len = 0;
  const char* bytes = nullptr;
  if (XGBoosterSaveModelToBuffer(booster_->handle, R"({"format": "ubj"})", &len, &bytes) != 0) {
    return tl::unexpected(XgbError("save"));
  }
  Writer w;
  w.PutBytes(std::string_view(kMagic, 4));
  w.Put<std::uint32_t>(kFailureModelVersion);
  w.Put<std::int64_t>(horizon_ms_);
  w.Put<std::uint32_t>(static_cast<std::uint32_t>(spec_.indicators.size()));
  for (const auto& name : spec_.indicators) {
    w.Put<std::uint32_t>(static_cast<std::uint32_t>(name.size()));
    w.PutBytes(name);
  }
  w.Put<std::uint32_t>(static_cast<std::uint32_t>(spec_.delta_days.size()));
  for (const std::int32_t d : spec_.delta_days) w.Put<std::int32_t>(d);
  w.Put<std::int64_t>(spec_.snapshot_spacing_ms);
  w.Put<std::uint32_t>(static_cast<std::uint32_t>(spec_.type_label.size()));
  w.PutBytes(spec_.type_label);
  w.Put<double>(spec_.fleet_rate);
  std::vector<std::pair<std::string, double>> rates(spec_.type_rates.begin(),
                                                    spec_.type_rates.end());
  std::sort(rates.begin(), rates.end());
  w.Put<std::uint32_t>(static_cast<std::uint32_t>(rates.size()));
  for (const auto& [type, rate] : rates) {
    w.Put<std::uint32_t>(static_cast<std::uint32_t>(type.size()));
    w.PutBytes(type);
    w.Put<double>(rate);
  }
  w.Put<std::uint8_t>(spec_.extended ? 1 : 0);
  w.Put<std::uint32_t>(static_cast<std::uint32_t>(spec_.alarm_indicators.size()));
  for (const auto& name : spec_.alarm_indicators) {
    w.Put<std::uint32_t>(static_cast<std::uint32_t>(name.size()));
    w.PutBytes(name);
  }
  std::uint8_t method = 0;
  if (calibrator_.method == CalibrationMethod::kPlatt) method = 1;
  if (calibrator_.method == CalibrationMethod::kIsotonic) method = 2;
  w.Put<std::uint8_t>(method);
  w.Put<double>(calibrator_.platt.a);
  w.Put<double>(calibrator_.platt.b);
  w.Put<std::uint32_t>(static_cast<std::uint32_t>(calibrator_.isotonic.x.size()));
  for (const double x : calibrator_.isotonic.x) w.Put<double>(x);
  for (const double y : calibrator_.isotonic.y) w.Put<double>(y);
  w.Put<std::uint32_t>(static_cast<std::uint32_t>(metadata_.size()));
  w.PutBytes(metadata_);
  w.Put<std::uint64_t>(static_cast<std::uint64_t>(len));
  w.PutBytes(std::string_view(bytes, static_cast<std::size_t>(len)));
  const std::uint64_t sum = Fnv1a64(w.out());
  w.Put<std::uint64_t>(sum);
  return std::move(w.out());
}

Result<FailureModel> FailureModel::Deserialize(std::string_view bytes) {
  auto corrupt = [](const std::string& what) {
    return MakeError(ErrorCode::kCorruption, "failure model blob: " + what);
  };
  if (bytes.size() < 4 + 4 + 8 || std::memcmp(bytes.data(), kMagic, 4) != 0) {
    return corrupt("not a prognos failure model (bad magic)");
  }
  Reader r(bytes.substr(4));
  std::uint32_t version = 0;
  r.Get(version);
  if (version == 0 || version > kFailureModelVersion) {
    return MakeError(ErrorCode::kInvalidArgument, "failure model blob version " +
                                                      std::to_string(version) +
                                                      " is not supported (this build reads up to " +
                                                      std::to_string(kFailureModelVersion) + ")");
  }
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  std::uint64_t stored_sum = 0;
  std::memcpy(&stored_sum, bytes.data() + bytes.size() - 8, 8);
  if (Fnv1a64(body) != stored_sum) return corrupt("checksum mismatch (truncated or damaged)");
  Reader in(body.substr(8));
  FailureModel model;
  std::int64_t horizon = 0;
  std::uint32_t n_ind = 0;
  if (!in.Get(horizon) || !in.Get(n_ind) || n_ind > kMaxIndicators) return corrupt("header");
  for (std::uint32_t i = 0; i < n_ind; ++i) {
    std::uint32_t len = 0;
    std::string_view name;
    if (!in.Get(len) || len > kMaxNameBytes || !in.GetBytes(len, name)) {
      return corrupt("indicator names");
    }
    model.spec_.indicators.emplace_back(name);
  }
  std::uint32_t n_days = 0;
  if (!in.Get(n_days) || n_days > 1000) return corrupt("delta windows");
  model.spec_.delta_days.clear();
  for (std::uint32_t i = 0; i < n_days; ++i) {
    std::int32_t d = 0;
    if (!in.Get(d)) return corrupt("delta windows");
    model.spec_.delta_days.push_back(d);
  }
  if (!in.Get(model.spec_.snapshot_spacing_ms)) return corrupt("snapshot spacing");
  std::uint32_t label_len = 0;
  std::string_view label;
  std::uint32_t n_types = 0;
  if (!in.Get(label_len) || label_len > kMaxNameBytes || !in.GetBytes(label_len, label) ||
      !in.Get(model.spec_.fleet_rate) || !in.Get(n_types) || n_types > body.size() / 12) {
    return corrupt("type priors");
  }
  model.spec_.type_label = std::string(label);
  for (std::uint32_t i = 0; i < n_types; ++i) {
    std::uint32_t len = 0;
    std::string_view type;
    double rate = 0.0;
    if (!in.Get(len) || len > kMaxNameBytes || !in.GetBytes(len, type) || !in.Get(rate)) {
      return corrupt("type priors");
    }
    model.spec_.type_rates[std::string(type)] = rate;
  }
  if (version >= 2) {
    std::uint8_t extended = 0;
    std::uint32_t n_alarm = 0;
    if (!in.Get(extended) || extended > 1 || !in.Get(n_alarm) || n_alarm > n_ind) {
      return corrupt("feature set");
    }
    model.spec_.extended = extended == 1;
    for (std::uint32_t i = 0; i < n_alarm; ++i) {
      std::uint32_t len = 0;
      std::string_view name;
      if (!in.Get(len) || len > kMaxNameBytes || !in.GetBytes(len, name)) {
        return corrupt("alarm indicators");
      }
      model.spec_.alarm_indicators.emplace_back(name);
    }
  }
  if (auto ok = ValidateFeatureSpec(model.spec_); !ok) return corrupt(ok.error().message);
  std::uint8_t method = 0;
  std::uint32_t n_points = 0;
  if (!in.Get(method) || method > 2 || !in.Get(model.calibrator_.platt.a) ||
      !in.Get(model.calibrator_.platt.b) || !in.Get(n_points) || n_points > (body.size() / 16)) {
    return corrupt("calibration");
  }
  model.calibrator_.method = method == 1   ? CalibrationMethod::kPlatt
                             : method == 2 ? CalibrationMethod::kIsotonic
                                           : CalibrationMethod::kNone;
  model.calibrator_.isotonic.x.resize(n_points);
  model.calibrator_.isotonic.y.resize(n_points);
  for (double& x : model.calibrator_.isotonic.x) {
    if (!in.Get(x)) return corrupt("calibration points");
  }
  for (double& y : model.calibrator_.isotonic.y) {
    if (!in.Get(y)) return corrupt("calibration points");
  }
  if (version >= 2) {
    std::uint32_t meta_len = 0;
    std::string_view meta;
    if (!in.Get(meta_len) || !in.GetBytes(meta_len, meta)) return corrupt("metadata");
    model.metadata_ = std::string(meta);
  }
  std::uint64_t booster_len = 0;
  std::string_view booster_bytes;
  if (!in.Get(booster_len) || booster_len > body.size() ||
      !in.GetBytes(static_cast<std::size_t>(booster_len), booster_bytes) ||
      in.pos() != body.size() - 8) {
    return corrupt("booster bytes");
  }
  model.horizon_ms_ = horizon;
  model.feature_count_ = FailureFeatureNames(model.spec_).size();
  model.booster_ = std::make_unique<Booster>();
  if (XGBoosterCreate(nullptr, 0, &model.booster_->handle) != 0) {
    return tl::unexpected(XgbError("create"));
  }
  if (XGBoosterLoadModelFromBuffer(model.booster_->handle, booster_bytes.data(),
                                   static_cast<bst_ulong>(booster_bytes.size())) != 0) {
    return corrupt(std::string("XGBoost rejected the booster: ") + XGBGetLastError());
  }
  if (XGBoosterSetParam(model.booster_->handle, "nthread", "1") != 0) {
    return tl::unexpected(XgbError("parameter nthread"));
  }
  // The booster's feature count must match what the spec makes.
  bst_ulong n_features = 0;
  if (XGBoosterGetNumFeature(model.booster_->handle, &n_features) != 0 ||
      n_features != model.feature_count_) {
    return corrupt("booster expects " + std::to_string(n_features) + " features, spec makes " +
                   std::to_string(model.feature_count_));
  }
  return model;
}

namespace {

// Per-entity scores of one validation window: detected failures and false alarms at the
// threshold that alarms at most `far` of the non-failing entities (the protocol's oracle,
// applied inside the training history).
struct WindowScore {
  std::size_t detected = 0;
  std::size_t failed = 0;
  std::size_t false_alarms = 0;
  std::size_t healthy = 0;
};

WindowScore ScoreWindow(const std::vector<std::uint32_t>& entity, const std::vector<bool>& failed,
                        const std::vector<bool>& counts, std::span<const double> score,
                        double far) {
  std::unordered_map<std::uint32_t, std::pair<double, bool>> best;  // max score, failed
  for (std::size_t i = 0; i < entity.size(); ++i) {
    if (!counts[i]) continue;
    auto [it, fresh] = best.emplace(entity[i], std::make_pair(score[i], failed[i]));
    if (!fresh) it->second.first = std::max(it->second.first, score[i]);
  }
  std::vector<double> healthy;
  std::vector<double> sick;
  for (const auto& [id, v] : best) (v.second ? sick : healthy).push_back(v.first);
  std::sort(healthy.begin(), healthy.end(), std::greater<>());
  WindowScore w;
  w.failed = sick.size();
  w.healthy = healthy.size();
  const auto k = static_cast<std::size_t>(std::floor(far * static_cast<double>(healthy.size())));
  // Alarm on scores strictly above the (k+1)-th highest healthy score: at most k false alarms.
  const double threshold =
      k < healthy.size() ? healthy[k] : -std::numeric_limits<double>::infinity();
  for (const double v : sick) w.detected += v > threshold ? 1 : 0;
  for (const double v : healthy) w.false_alarms += v > threshold ? 1 : 0;
  return w;
}

std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

}  // namespace

std::string FailureSelection::Summary() const {
  std::string out = "selection: rolling-origin cross-validation on the training history, " +
                    std::to_string(fold_from.size()) + " folds (validation windows";
  for (std::size_t f = 0; f < fold_from.size(); ++f) {
    out += (f == 0 ? " " : ", ") + FormatTimestamp(fold_from[f]) + ".." +
           FormatTimestamp(fold_to[f]) + " after " + std::to_string(fold_train_positives[f]) +
           " positive training rows";
  }
  out +=
      "); per candidate: failed entities detected at the fold's false-alarm target, pooled "
      "(platt ranking / isotonic), false alarms, Brier platt / isotonic\n";
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    const auto& k = candidates[c];
    char buf[320];
    std::snprintf(buf, sizeof(buf),
                  "%s depth %d eta %g rounds %d negatives_keep %g scale_pos_weight %s: detected "
                  "%zu/%zu (isotonic %zu), false alarms %zu/%zu, Brier %.7f / %.7f\n",
                  c == best ? "*" : " ", k.options.max_depth, k.options.eta, k.options.rounds,
                  k.options.negative_keep_fraction,
                  k.options.scale_pos_weight == 0.0
                      ? "auto"
                      : FormatNumber(k.options.scale_pos_weight).c_str(),
                  k.detected, k.failed, k.detected_isotonic, k.false_alarms, k.healthy,
                  k.brier_platt, k.brier_isotonic);
    out += buf;
  }
  out += "chosen: candidate marked *, calibration " +
         std::string(CalibrationMethodName(calibration)) + "\n";
  return out;
}

Result<FailureSelection> FailureModel::Select(const FailureFeatureSpec& spec, DurationMs horizon_ms,
                                              const FailureTrainingSet& data,
                                              const FailureTrainOptions& base,
                                              const FailureSelectOptions& grid) {
  auto bad = [](const std::string& what) {
    return MakeError(ErrorCode::kInvalidArgument, "failure model selection: " + what);
  };
  if (auto ok = ValidateFeatureSpec(spec); !ok) return tl::unexpected(ok.error());
  if (auto ok = CheckOptions(base); !ok) return tl::unexpected(ok.error());
  if (horizon_ms <= 0) return bad("horizon must be positive");
  const std::size_t cols = FailureFeatureNames(spec).size();
  const std::size_t n = data.rows();
  if (data.feature_count != cols || data.features.size() != n * cols || data.times.size() != n) {
    return bad("training set sizes disagree with the spec");
  }
  if (data.entities.size() != n || data.failure_times.size() != n) {
    return bad("needs each row's entity and failure time");
  }
  if (grid.max_depths.empty() || grid.etas.empty() || grid.rounds.empty() ||
      grid.negative_keep.empty() || grid.scale_pos_weights.empty()) {
    return bad("empty grid");
  }
  if (grid.folds < 1 || !(grid.target_far >= 0.0 && grid.target_far < 1.0)) {
    return bad("folds must be >= 1 and target_far in [0, 1)");
  }
  const int max_rounds = *std::max_element(grid.rounds.begin(), grid.rounds.end());
  std::vector<TimestampMs> distinct(data.times);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const auto folds = static_cast<std::size_t>(grid.folds);
  if (distinct.size() < 2 * folds) {
    return bad(std::to_string(distinct.size()) + " distinct row times are too few for " +
               std::to_string(folds) + " folds (need " + std::to_string(2 * folds) + ")");
  }

  // Candidates in grid order; rounds vary fastest (prefixes of one fit).
  FailureSelection sel;
  for (const int depth : grid.max_depths) {
    for (const double eta : grid.etas) {
      for (const double keep : grid.negative_keep) {
        for (const double spw : grid.scale_pos_weights) {
          for (const int rounds : grid.rounds) {
            FailureCandidate c;
            c.options = base;
            c.options.max_depth = depth;
            c.options.eta = eta;
            c.options.negative_keep_fraction = keep;
            c.options.scale_pos_weight = spw;
            c.options.rounds = rounds;
            if (auto ok = CheckOptions(c.options); !ok) return tl::unexpected(ok.error());
            sel.candidates.push_back(c);
          }
        }
      }
    }
  }
  std::vector<double> brier_sum[2];
  brier_sum[0].assign(sel.candidates.size(), 0.0);
  brier_sum[1].assign(sel.candidates.size(), 0.0);
  std::size_t brier_rows = 0;

  const std::size_t half = distinct.size() / 2;
  const std::size_t first = distinct.size() - half;
  std::size_t usable_folds = 0;
  for (std::size_t f = 0; f < folds; ++f) {
    const std::size_t lo = first + f * half / folds;
    const std::size_t hi = first + (f + 1) * half / folds;
    const TimestampMs from = distinct[lo];
    const TimestampMs to = hi < distinct.size() ? distinct[hi] : distinct.back() + 1;
    // Training part: rows before the window, labelled from failures seen before it.
    FailureTrainingSet train;
    train.feature_count = cols;
    std::vector<float> val_x;
    std::vector<double> val_y;
    std::vector<std::uint32_t> val_entity;
    std::vector<bool> val_failed;
    std::vector<bool> val_counts;
    std::size_t positives = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const TimestampMs t = data.times[i];
      const TimestampMs ft = data.failure_times[i];
      const auto row = std::span<const float>(data.features).subspan(i * cols, cols);
      if (t < from) {
        const bool y = ft != kNoFailure && ft >= t && ft - t < horizon_ms && ft < from;
        train.features.insert(train.features.end(), row.begin(), row.end());
        train.labels.push_back(y ? 1.0 : 0.0);
        train.times.push_back(t);
        positives += y ? 1 : 0;
      } else if (t < to) {
        const bool fails_in_window = ft != kNoFailure && ft >= from && ft < to;
        val_x.insert(val_x.end(), row.begin(), row.end());
        val_y.push_back(ft != kNoFailure && ft >= t && ft - t < horizon_ms ? 1.0 : 0.0);
        val_entity.push_back(data.entities[i]);
        val_failed.push_back(fails_in_window);
        val_counts.push_back(!fails_in_window || t <= ft);
      }
    }
    sel.fold_from.push_back(from);
    sel.fold_to.push_back(to);
    sel.fold_train_positives.push_back(positives);
    if (positives == 0 || val_x.empty()) continue;
    ++usable_folds;
    brier_rows += val_y.size();
    std::size_t c = 0;
    while (c < sel.candidates.size()) {
      FailureTrainOptions o = sel.candidates[c].options;
      o.rounds = max_rounds;
      o.calibration = CalibrationMethod::kPlatt;
      std::vector<float> cal_x;
      std::vector<double> cal_y;
      FailureTrainReport report;
      auto model = Fit(spec, horizon_ms, train, o, &report, &cal_x, &cal_y);
      if (!model) return tl::unexpected(model.error());
      for (const int rounds : grid.rounds) {
        FailureCandidate& cand = sel.candidates[c++];
        auto val_m = model->MarginUpTo(val_x, rounds);
        if (!val_m) return tl::unexpected(val_m.error());
        Calibrator cal[2];
        if (report.calibration_fallback) {
          cal[0].method = cal[1].method = CalibrationMethod::kPlatt;
          cal[0].platt = cal[1].platt = PlattCalibration{1.0, -std::log(report.scale_pos_weight)};
        } else {
          auto cal_m = model->MarginUpTo(cal_x, rounds);
          if (!cal_m) return tl::unexpected(cal_m.error());
          for (int m = 0; m < 2; ++m) {
            auto fit = FitCalibrator(
                *cal_m, cal_y, m == 0 ? CalibrationMethod::kPlatt : CalibrationMethod::kIsotonic);
            if (!fit) return tl::unexpected(fit.error());
            cal[m] = std::move(*fit);
          }
        }
        std::vector<double> p(val_m->size());
        for (int m = 0; m < 2; ++m) {
          for (std::size_t i = 0; i < p.size(); ++i) p[i] = cal[m].Apply((*val_m)[i]);
          brier_sum[m][c - 1] += BrierScore(p, val_y) * static_cast<double>(p.size());
          if (m == 1) {
            cand.detected_isotonic +=
                ScoreWindow(val_entity, val_failed, val_counts, p, grid.target_far).detected;
          }
        }
        const WindowScore w =
            ScoreWindow(val_entity, val_failed, val_counts, *val_m, grid.target_far);
        cand.detected += w.detected;
        cand.failed += w.failed;
        cand.false_alarms += w.false_alarms;
        cand.healthy += w.healthy;
      }
    }
  }
  if (usable_folds == 0) return bad("no fold has a positive row to train on");
  for (std::size_t c = 0; c < sel.candidates.size(); ++c) {
    sel.candidates[c].brier_platt = brier_sum[0][c] / static_cast<double>(brier_rows);
    sel.candidates[c].brier_isotonic = brier_sum[1][c] / static_cast<double>(brier_rows);
  }
  auto brier = [](const FailureCandidate& k) { return std::min(k.brier_platt, k.brier_isotonic); };
  for (std::size_t c = 1; c < sel.candidates.size(); ++c) {
    const auto& k = sel.candidates[c];
    const auto& b = sel.candidates[sel.best];
    if (k.detected > b.detected || (k.detected == b.detected && brier(k) < brier(b))) sel.best = c;
  }
  const auto& winner = sel.candidates[sel.best];
  sel.calibration =
      winner.brier_isotonic < winner.brier_platt && winner.detected_isotonic >= winner.detected
          ? CalibrationMethod::kIsotonic
          : CalibrationMethod::kPlatt;
  sel.chosen = winner.options;
  sel.chosen.calibration = sel.calibration;
  return sel;
}

}  // namespace prognos::predict
