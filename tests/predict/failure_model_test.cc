#include "predict/failure_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace prognos::predict {
namespace {

FailureFeatureSpec OneIndicator() {
  FailureFeatureSpec spec;
  spec.indicators = {"v"};
  spec.delta_days = {1, 7};
  return spec;  // features: v, v_delta_1d, v_delta_7d, v_increases, v_rel_first, age_days
}

// A synthetic table (not real data): 2,000 rows over 10 days; feature 0 ~ U(0, 1), the others
// noise; label 1 with probability 0.9 when feature 0 > 0.8, else 0.02. Seeded.
FailureTrainingSet Synthetic(std::uint64_t seed, double positive_rate_low = 0.02) {
  FailureTrainingSet data;
  data.feature_count = FailureFeatureNames(OneIndicator()).size();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int i = 0; i < 2000; ++i) {
    const double x = u(rng);
    for (std::size_t f = 0; f < data.feature_count; ++f) {
      data.features.push_back(f == 0 ? static_cast<float>(x) : static_cast<float>(u(rng)));
    }
    const double p = x > 0.8 ? 0.9 : positive_rate_low;
    data.labels.push_back(u(rng) < p ? 1.0 : 0.0);
    data.times.push_back((i % 10) * kDayMs);
  }
  return data;
}

FailureTrainOptions SmallOptions() {
  FailureTrainOptions o;
  o.rounds = 30;
  o.max_depth = 3;
  o.seed = 42;
  o.nthread = 1;
  return o;
}

std::vector<float> Row(float x0) {
  std::vector<float> r(FailureFeatureNames(OneIndicator()).size(), 0.5F);
  r[0] = x0;
  return r;
}

TEST(FailureModelTest, LearnsAndCalibratesAThreshold) {
  const auto data = Synthetic(1);
  FailureTrainReport report;
  auto model = FailureModel::Train(OneIndicator(), 10 * kDayMs, data, SmallOptions(), &report);
  ASSERT_TRUE(model.has_value()) << model.error().message;
  // Calibration slice: days ≥ ceil(0.75 · 9) = 6.75 d → days 7, 8, 9 = 600 rows.
  EXPECT_EQ(report.calibration_rows, 600U);
  EXPECT_EQ(report.train_rows, 1400U);
  EXPECT_GT(report.calibration_positives, 0U);
  EXPECT_FALSE(report.calibration_fallback);
  // True P(y | x) is 0.9 above 0.8 and 0.02 below; calibrated on 600 rows (about 120 above), so
  // ±0.1 covers the calibration's sampling error (binomial SE ≈ 0.03 at 0.9, n ≈ 120).
  struct Case {
    float x;
    double p;
  };
  const Case cases[] = {{0.1F, 0.02}, {0.5F, 0.02}, {0.95F, 0.9}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.x);
    auto p = model->Predict(Row(c.x));
    ASSERT_TRUE(p.has_value());
    EXPECT_NEAR(*p, c.p, 0.1);
  }
}

TEST(FailureModelTest, SaveLoadRoundTripGivesIdenticalPredictions) {
  const auto data = Synthetic(2);
  auto model = FailureModel::Train(OneIndicator(), 10 * kDayMs, data, SmallOptions());
  ASSERT_TRUE(model.has_value());
  auto blob = model->Serialize();
  ASSERT_TRUE(blob.has_value());
  auto loaded = FailureModel::Deserialize(*blob);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->horizon_ms(), 10 * kDayMs);
  EXPECT_EQ(loaded->spec().indicators, OneIndicator().indicators);
  EXPECT_EQ(loaded->spec().delta_days, OneIndicator().delta_days);
  EXPECT_EQ(loaded->calibrator().method, model->calibrator().method);
  auto a = model->PredictBatch(data.features);
  auto b = loaded->PredictBatch(data.features);
  ASSERT_TRUE(a.has_value() && b.has_value());
  ASSERT_EQ(a->size(), data.rows());
  for (std::size_t i = 0; i < a->size(); ++i) {
    ASSERT_EQ((*a)[i], (*b)[i]) << "row " << i;
    ASSERT_GE((*a)[i], 0.0);
    ASSERT_LE((*a)[i], 1.0);
  }
  // The blob of a loaded model is the blob it was loaded from.
  auto again = loaded->Serialize();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, *blob);
}

TEST(FailureModelTest, TypePriorsSurviveTheBlob) {
  FailureFeatureSpec spec = OneIndicator();
  spec.type_label = "model";
  spec.fleet_rate = 0.01;
  spec.type_rates = {{"ST31500541AS", 0.05}, {"HGST", 0.002}};
  // The synthetic table plus a type_prior column (noise here).
  FailureTrainingSet data = Synthetic(12);
  FailureTrainingSet typed;
  typed.feature_count = data.feature_count + 1;
  for (std::size_t i = 0; i < data.rows(); ++i) {
    for (std::size_t f = 0; f < data.feature_count; ++f) {
      typed.features.push_back(data.features[i * data.feature_count + f]);
    }
    typed.features.push_back(i % 2 == 0 ? 0.05F : 0.002F);
  }
  typed.labels = data.labels;
  typed.times = data.times;
  auto model = FailureModel::Train(spec, kDayMs, typed, SmallOptions());
  ASSERT_TRUE(model.has_value()) << model.error().message;
  auto loaded = FailureModel::Deserialize(*model->Serialize());
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->spec().type_label, "model");
  EXPECT_DOUBLE_EQ(loaded->spec().fleet_rate, 0.01);
  EXPECT_EQ(loaded->spec().type_rates, spec.type_rates);
  EXPECT_EQ(loaded->feature_count(), typed.feature_count);
}

TEST(FailureModelTest, SameSeedSameModel) {
  const auto data = Synthetic(3);
  FailureTrainOptions o = SmallOptions();
  o.negative_keep_fraction = 0.5;
  o.subsample = 0.7;
  auto m1 = FailureModel::Train(OneIndicator(), kDayMs, data, o);
  auto m2 = FailureModel::Train(OneIndicator(), kDayMs, data, o);
  ASSERT_TRUE(m1.has_value() && m2.has_value());
  EXPECT_EQ(*m1->Serialize(), *m2->Serialize());
  o.seed = 43;
  auto m3 = FailureModel::Train(OneIndicator(), kDayMs, data, o);
  ASSERT_TRUE(m3.has_value());
  EXPECT_NE(*m1->Serialize(), *m3->Serialize());
}

TEST(FailureModelTest, NoPositivesInTheCalibrationSliceFallsBackToThePriorShift) {
  auto data = Synthetic(4);
  for (std::size_t i = 0; i < data.rows(); ++i) {
    if (data.times[i] >= 7 * kDayMs) data.labels[i] = 0.0;
  }
  FailureTrainReport report;
  FailureTrainOptions o = SmallOptions();
  o.scale_pos_weight = 4.0;
  auto model = FailureModel::Train(OneIndicator(), kDayMs, data, o, &report);
  ASSERT_TRUE(model.has_value()) << model.error().message;
  EXPECT_TRUE(report.calibration_fallback);
  EXPECT_EQ(report.calibration_rows, 0U);
  EXPECT_EQ(model->calibrator().method, CalibrationMethod::kPlatt);
  EXPECT_DOUBLE_EQ(model->calibrator().platt.a, 1.0);
  EXPECT_NEAR(model->calibrator().platt.b, -std::log(4.0), 1e-12);
}

// All-constant indicators (issue #11's bad-input list): nothing to split on, so every row gets
// the same probability, the calibration slice's positive rate. Labels ~ Bernoulli(0.1) on 600
// calibration rows: SE ≈ √(0.09 / 600) ≈ 0.012, so ±0.04 is more than 3σ.
TEST(FailureModelTest, AllConstantIndicatorsGiveTheBaseRate) {
  FailureTrainingSet data = Synthetic(11);
  std::fill(data.features.begin(), data.features.end(), 1.0F);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  double calib_pos = 0.0;
  for (std::size_t i = 0; i < data.rows(); ++i) {
    data.labels[i] = u(rng) < 0.1 ? 1.0 : 0.0;
    if (data.times[i] >= 7 * kDayMs) calib_pos += data.labels[i];
  }
  auto model = FailureModel::Train(OneIndicator(), kDayMs, data, SmallOptions());
  ASSERT_TRUE(model.has_value()) << model.error().message;
  auto p = model->PredictBatch(data.features);
  ASSERT_TRUE(p.has_value());
  for (const double v : *p) ASSERT_EQ(v, p->front());
  EXPECT_NEAR(p->front(), 0.1, 0.04);
  EXPECT_NEAR(p->front(), calib_pos / 600.0, 0.01);
}

TEST(FailureModelTest, RetrainKeepsSpecAndHorizon) {
  auto model = FailureModel::Train(OneIndicator(), 3 * kDayMs, Synthetic(5), SmallOptions());
  ASSERT_TRUE(model.has_value());
  auto next = model->Retrain(Synthetic(6), SmallOptions());
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->horizon_ms(), 3 * kDayMs);
  EXPECT_EQ(next->spec().indicators, model->spec().indicators);
  EXPECT_NE(*next->Serialize(), *model->Serialize());
}

TEST(FailureModelTest, TrainingErrorsAreTyped) {
  struct Case {
    std::string name;
    FailureTrainingSet data;
    std::string message_part;
  };
  FailureTrainingSet no_pos = Synthetic(7);
  for (double& y : no_pos.labels) y = 0.0;
  FailureTrainingSet wrong_width = Synthetic(7);
  wrong_width.feature_count = 3;
  FailureTrainingSet empty;
  empty.feature_count = FailureFeatureNames(OneIndicator()).size();
  FailureTrainingSet short_times = Synthetic(7);
  short_times.times.pop_back();
  const Case cases[] = {{"no positives", no_pos, "no positive"},
                        {"wrong feature count", wrong_width, "features"},
                        {"no rows", empty, "no training rows"},
                        {"sizes disagree", short_times, "sizes"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = FailureModel::Train(OneIndicator(), kDayMs, c.data, SmallOptions());
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(m.error().message.find(c.message_part), std::string::npos) << m.error().message;
  }
  FailureTrainOptions bad = SmallOptions();
  bad.eta = 0.0;
  EXPECT_FALSE(FailureModel::Train(OneIndicator(), kDayMs, Synthetic(7), bad).has_value());
}

TEST(FailureModelTest, DamagedBlobsAreRejected) {
  auto model = FailureModel::Train(OneIndicator(), kDayMs, Synthetic(8), SmallOptions());
  ASSERT_TRUE(model.has_value());
  const std::string blob = *model->Serialize();
  struct Case {
    std::string name;
    std::string bytes;
    ErrorCode code;
  };
  std::string flipped = blob;
  flipped[blob.size() / 2] = static_cast<char>(flipped[blob.size() / 2] ^ 0x40);
  std::string newer = blob;
  newer[4] = 9;  // version 9
  const Case cases[] = {
      {"empty", "", ErrorCode::kCorruption},
      {"bad magic", "XXXX" + blob.substr(4), ErrorCode::kCorruption},
      {"truncated", blob.substr(0, blob.size() - 20), ErrorCode::kCorruption},
      {"flipped byte", flipped, ErrorCode::kCorruption},
      {"newer version", newer, ErrorCode::kInvalidArgument},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = FailureModel::Deserialize(c.bytes);
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().code, c.code);
  }
}

// The engine's path: samples by indicator name into a FeatureBuilder, then PredictEntity; the
// same as Predict on the builder's vector.
TEST(FailureModelTest, PredictEntityUsesTheBuildersFeatures) {
  auto model = FailureModel::Train(OneIndicator(), kDayMs, Synthetic(10), SmallOptions());
  ASSERT_TRUE(model.has_value());
  FeatureBuilder builder(model->spec());
  const auto index = builder.IndicatorIndex("v");
  ASSERT_TRUE(index.has_value());
  EXPECT_FALSE(builder.IndicatorIndex("smart_5_raw").has_value());
  for (int day = 0; day < 3; ++day) {
    ASSERT_TRUE(builder.UpdateOne("disk-1", day * kDayMs, *index, 0.3 * day).has_value());
  }
  auto p = model->PredictEntity(builder, "disk-1");
  ASSERT_TRUE(p.has_value());
  auto direct = model->Predict(builder.Features("disk-1"));
  ASSERT_TRUE(direct.has_value());
  EXPECT_EQ(*p, *direct);
  auto unknown = model->PredictEntity(builder, "disk-2");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  FailureFeatureSpec other = OneIndicator();
  other.indicators.emplace_back("w");
  FeatureBuilder wrong(other);
  EXPECT_FALSE(model->PredictEntity(wrong, "disk-1").has_value());
}

TEST(FailureModelTest, PredictRejectsWrongLengthAndUntrainedModel) {
  auto model = FailureModel::Train(OneIndicator(), kDayMs, Synthetic(9), SmallOptions());
  ASSERT_TRUE(model.has_value());
  const std::vector<float> short_row = {1.0F, 2.0F};
  EXPECT_FALSE(model->Predict(short_row).has_value());
  EXPECT_FALSE(model->PredictBatch(short_row).has_value());
  // Missing features (NaN) are allowed: the trees route them down their default branch.
  std::vector<float> missing(model->feature_count(), std::nanf(""));
  auto p = model->Predict(missing);
  ASSERT_TRUE(p.has_value());
  EXPECT_GE(*p, 0.0);
  EXPECT_LE(*p, 1.0);
  FailureModel untrained;
  EXPECT_FALSE(untrained.Predict(Row(0.5F)).has_value());
  EXPECT_FALSE(untrained.Serialize().has_value());
}

std::uint64_t Fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// A v1 blob (the format before feature set 2 and metadata) made from a v2 one by the documented
// layout: drop the feature-set fields (u8 extended = 0, u32 n_alarm = 0) after the type priors
// and the metadata (u32 length + bytes) before the booster length, write version 1, re-sum.
std::string AsVersion1(const std::string& v2, const FailureModel& model) {
  EXPECT_TRUE(model.spec().type_label.empty() && model.spec().type_rates.empty());
  EXPECT_FALSE(model.spec().extended);
  // magic 4, version 4, horizon 8, n_ind 4 + each 4 + len, n_days 4 + 4 each, spacing 8,
  // label len 4 (empty), fleet rate 8, n_types 4 (none).
  std::size_t at = 4 + 4 + 8 + 4;
  for (const auto& name : model.spec().indicators) at += 4 + name.size();
  at += 4 + 4 * model.spec().delta_days.size() + 8 + 4 + 8 + 4;
  std::string v1 = v2.substr(0, at) + v2.substr(at + 5);
  const std::size_t points = model.calibrator().isotonic.x.size();
  const std::size_t meta_at = at + 1 + 8 + 8 + 4 + 16 * points;
  v1 = v1.substr(0, meta_at) + v1.substr(meta_at + 4 + model.metadata().size());
  v1[4] = 1;
  v1.resize(v1.size() - 8);
  const std::uint64_t sum = Fnv1a64(v1);
  v1.append(reinterpret_cast<const char*>(&sum), 8);
  return v1;
}

TEST(FailureModelTest, ReadsVersion1BlobsAndKeepsMetadataAndFeatureSetInVersion2) {
  auto model = FailureModel::Train(OneIndicator(), kDayMs, Synthetic(12), SmallOptions());
  ASSERT_TRUE(model.has_value());
  model->set_metadata("chosen by hand");
  const std::string v2 = *model->Serialize();
  EXPECT_EQ(v2[4], 2);
  const std::string v1 = AsVersion1(v2, *model);
  EXPECT_EQ(v1.size(), v2.size() - 5 - 4 - 14);
  auto old = FailureModel::Deserialize(v1);
  ASSERT_TRUE(old.has_value()) << old.error().message;
  EXPECT_TRUE(old->metadata().empty());
  EXPECT_FALSE(old->spec().extended);
  const auto rows = Synthetic(13).features;
  EXPECT_EQ(*old->PredictBatch(rows), *model->PredictBatch(rows));
  auto back = FailureModel::Deserialize(v2);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->metadata(), "chosen by hand");

  FailureFeatureSpec ext = OneIndicator();
  ext.extended = true;
  ext.alarm_indicators = {"v"};
  FailureTrainingSet data = Synthetic(14);
  data.feature_count = FailureFeatureNames(ext).size();  // 6 + 2 + alarm_count = 9
  ASSERT_EQ(data.feature_count, 9U);
  data.features.clear();
  for (std::size_t i = 0; i < data.rows(); ++i) {
    for (std::size_t f = 0; f < 9; ++f) data.features.push_back(static_cast<float>((i * 7 + f) % 5));
  }
  auto m = FailureModel::Train(ext, kDayMs, data, SmallOptions());
  ASSERT_TRUE(m.has_value()) << m.error().message;
  auto loaded = FailureModel::Deserialize(*m->Serialize());
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_TRUE(loaded->spec().extended);
  EXPECT_EQ(loaded->spec().alarm_indicators, ext.alarm_indicators);
  EXPECT_EQ(loaded->feature_count(), 9U);
}

// Ten entities reported daily on days 0..7; e0 fails on day 1, e1 on day 3, e2 on day 4, e3 on
// day 7 (each gone after its failure day); horizon 2 days. Feature 0 = 1 on rows within the
// horizon of a failure (failure day − row day < 2), else 0 (a perfect signal), the rest 0.5.
// Two folds over the latest half of the 8 distinct days: windows [day 4, day 6), [day 6, day 8).
// Fold 1 trains on days 0..3 with labels from failures before day 4 only:
//   e0 days 0, 1 = 2; e1 days 2, 3 = 2; e2 fails on day 4, inside the window, so its day-3 row
//   stays negative (with the leak it would count: 5) → 4 positives.
// Fold 2 trains on days 0..5: e0 2 + e1 2 + e2 days 3, 4 = 2 → 6 (e3's rows before day 6 are
//   2+ days before its failure).
// Validation, per entity: fold 1 has e2 failed (day 4) and e3..e9 healthy (7; e3's rows on
// days 4, 5 have feature 0 = 0); fold 2 has e3 failed (days 6, 7) and e4..e9 healthy (6). With a
// perfect signal every candidate detects both at zero false alarms.
TEST(FailureModelTest, SelectionFoldsUseOnlyThePastAndPoolPerEntityScores) {
  const int fail_day[] = {1, 3, 4, 7};
  FailureTrainingSet data;
  data.feature_count = FailureFeatureNames(OneIndicator()).size();
  for (int day = 0; day < 8; ++day) {
    for (std::uint32_t e = 0; e < 10; ++e) {
      const int fd = e < 4 ? fail_day[e] : -1;
      if (fd >= 0 && day > fd) continue;
      const bool soon = fd >= 0 && fd - day < 2;
      for (std::size_t f = 0; f < data.feature_count; ++f) {
        data.features.push_back(f == 0 ? (soon ? 1.0F : 0.0F) : 0.5F);
      }
      data.labels.push_back(soon ? 1.0 : 0.0);
      data.times.push_back(day * kDayMs);
      data.entities.push_back(e);
      data.failure_times.push_back(fd >= 0 ? fd * kDayMs : kNoFailure);
    }
  }
  FailureSelectOptions grid;
  grid.max_depths = {1, 2};
  grid.etas = {0.3};
  grid.rounds = {5, 10};
  grid.negative_keep = {1.0};
  grid.scale_pos_weights = {1.0};
  grid.folds = 2;
  FailureTrainOptions base = SmallOptions();
  base.subsample = 1.0;
  base.min_child_weight = 0.0;
  auto sel = FailureModel::Select(OneIndicator(), 2 * kDayMs, data, base, grid);
  ASSERT_TRUE(sel.has_value()) << sel.error().message;
  ASSERT_EQ(sel->fold_from.size(), 2U);
  EXPECT_EQ(sel->fold_from[0], 4 * kDayMs);
  EXPECT_EQ(sel->fold_to[0], 6 * kDayMs);
  EXPECT_EQ(sel->fold_from[1], 6 * kDayMs);
  EXPECT_EQ(sel->fold_to[1], 7 * kDayMs + 1);
  EXPECT_EQ(sel->fold_train_positives, (std::vector<std::size_t>{4, 6}));
  ASSERT_EQ(sel->candidates.size(), 4U);  // 2 depths × 2 rounds
  for (const auto& c : sel->candidates) {
    EXPECT_EQ(c.failed, 2U);
    EXPECT_EQ(c.healthy, 13U);
    EXPECT_EQ(c.detected, 2U);
    EXPECT_EQ(c.false_alarms, 0U);
  }
  EXPECT_EQ(sel->candidates[1].options.rounds, 10);
  EXPECT_EQ(sel->chosen.max_depth, sel->candidates[sel->best].options.max_depth);
  EXPECT_NE(sel->Summary().find("depth 2 eta 0.3 rounds 10"), std::string::npos);

  // Bad input: no per-row entities, too few distinct times, no positives anywhere.
  FailureTrainingSet no_ids = data;
  no_ids.entities.clear();
  EXPECT_FALSE(FailureModel::Select(OneIndicator(), 2 * kDayMs, no_ids, base, grid).has_value());
  grid.folds = 5;  // needs 10 distinct times, there are 8
  auto few = FailureModel::Select(OneIndicator(), 2 * kDayMs, data, base, grid);
  ASSERT_FALSE(few.has_value());
  EXPECT_NE(few.error().message.find("too few"), std::string::npos);
  grid.folds = 2;
  FailureTrainingSet none = data;
  for (double& y : none.labels) y = 0.0;
  for (auto& t : none.failure_times) t = kNoFailure;
  auto empty = FailureModel::Select(OneIndicator(), 2 * kDayMs, none, base, grid);
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(empty.error().message.find("no fold has a positive"), std::string::npos);
}

}  // namespace
}  // namespace prognos::predict
