#include "predict/retrain_scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace prognos::predict {
namespace {

FailureFeatureSpec Spec() {
  FailureFeatureSpec spec;
  spec.indicators = {"v"};
  spec.delta_days = {1, 7};
  return spec;
}

// Synthetic (not real data): 2,000 rows over days 0..9 (200 a day); feature 0 ~ U(0, 1), the
// others noise; label 1 with probability 0.9 when feature 0 > 0.8, else 0.02. Seeded.
FailureTrainingSet Synthetic(std::uint64_t seed) {
  FailureTrainingSet data;
  data.feature_count = FailureFeatureNames(Spec()).size();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int i = 0; i < 2000; ++i) {
    const double x = u(rng);
    for (std::size_t f = 0; f < data.feature_count; ++f) {
      data.features.push_back(f == 0 ? static_cast<float>(x) : static_cast<float>(u(rng)));
    }
    data.labels.push_back(u(rng) < (x > 0.8 ? 0.9 : 0.02) ? 1.0 : 0.0);
    data.times.push_back((i % 10) * kDayMs);
  }
  return data;
}

// The same rows with the labels permuted: no relation between features and labels left.
FailureTrainingSet Shuffled(FailureTrainingSet data) {
  std::mt19937_64 rng(99);
  std::shuffle(data.labels.begin(), data.labels.end(), rng);
  return data;
}

FailureTrainOptions Small() {
  FailureTrainOptions o;
  o.rounds = 30;
  o.max_depth = 3;
  o.seed = 42;
  return o;
}

FailureTrainer RealTrainer() {
  return [](const FailureTrainingSet& d) {
    return FailureModel::Train(Spec(), 10 * kDayMs, d, Small());
  };
}

// A trainer that learns from label noise (the rows' labels permuted before training).
FailureTrainer NoiseTrainer() {
  return [](const FailureTrainingSet& d) {
    return FailureModel::Train(Spec(), 10 * kDayMs, Shuffled(d), Small());
  };
}

RetrainPolicy Policy() {
  RetrainPolicy p;
  p.cadence_ms = kDayMs;
  p.min_new_rows = 100;
  p.min_new_positives = 2;
  return p;
}

TEST(RetrainSchedulerTest, DueNeedsTheCadenceAndEnoughNewLabels) {
  RetrainScheduler s(Policy());
  EXPECT_FALSE(s.Due(10 * kDayMs).due);
  s.AddLabelled(150, 1);
  EXPECT_FALSE(s.Due(10 * kDayMs).due);  // one positive of two
  s.AddLabelled(10, 1);
  EXPECT_TRUE(s.Due(10 * kDayMs).due);
  auto out = s.Run(10 * kDayMs, Synthetic(1), nullptr, RealTrainer());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(s.state().new_rows, 0U);
  s.AddLabelled(500, 20);
  EXPECT_FALSE(s.Due(10 * kDayMs + 12 * kHourMs).due);  // half a cadence
  EXPECT_TRUE(s.Due(11 * kDayMs).due);
}

TEST(RetrainSchedulerTest, FirstModelIsAcceptedWithVersionOneAndALoadableBlob) {
  RetrainScheduler s(Policy());
  auto out = s.Run(5, Synthetic(1), nullptr, RealTrainer());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->decision, RetrainDecision::kReplaced);
  EXPECT_EQ(out->version, 1U);
  EXPECT_EQ(s.state().version, 1U);
  EXPECT_EQ(s.state().last_accepted, 5);
  // Held out: times ≥ ceil(0.8 · 9 days) = 7.2 days → days 8 and 9, 2 × 200 rows.
  EXPECT_EQ(out->holdout_rows, 400U);
  EXPECT_TRUE(std::isnan(out->brier_serving));
  ASSERT_TRUE(out->model.has_value());
  auto back = FailureModel::Deserialize(out->blob);
  ASSERT_TRUE(back) << back.error().message;
  auto a = back->Predict(std::vector<float>{0.95F, 0.5F, 0.5F, 0.5F, 0.5F, 0.5F});
  auto b = out->model->Predict(std::vector<float>{0.95F, 0.5F, 0.5F, 0.5F, 0.5F, 0.5F});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

TEST(RetrainSchedulerTest, KeepsTheServingModelWhenTheCandidateIsWorse) {
  const auto data = Synthetic(2);
  auto serving = FailureModel::Train(Spec(), 10 * kDayMs, Synthetic(3), Small());
  ASSERT_TRUE(serving);
  RetrainState st;
  st.version = 4;
  RetrainScheduler s(Policy(), st);
  s.AddLabelled(300, 10);
  auto out = s.Run(7, data, &*serving, NoiseTrainer());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->decision, RetrainDecision::kKeptOld) << out->reason;
  EXPECT_GT(out->brier_candidate, out->brier_serving);
  // The serving model's Brier on the slice, recomputed here from its predictions.
  std::vector<float> x;
  std::vector<double> y;
  for (std::size_t r = 0; r < data.rows(); ++r) {
    if (data.times[r] < 8 * kDayMs) continue;
    x.insert(x.end(), data.features.begin() + static_cast<std::ptrdiff_t>(r * 6),
             data.features.begin() + static_cast<std::ptrdiff_t>(r * 6 + 6));
    y.push_back(data.labels[r]);
  }
  auto p = serving->PredictBatch(x);
  ASSERT_TRUE(p);
  double brier = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) brier += ((*p)[i] - y[i]) * ((*p)[i] - y[i]);
  EXPECT_NEAR(out->brier_serving, brier / static_cast<double>(y.size()), 1e-12);
  EXPECT_EQ(out->version, 4U);
  EXPECT_EQ(s.state().version, 4U);
  EXPECT_TRUE(out->blob.empty());
  EXPECT_EQ(s.state().new_rows, 0U);
  EXPECT_EQ(s.state().last_attempt, 7);
}

TEST(RetrainSchedulerTest, ReplacesAServingModelThatLearnedNoise) {
  auto serving = FailureModel::Train(Spec(), 10 * kDayMs, Shuffled(Synthetic(3)), Small());
  ASSERT_TRUE(serving);
  RetrainState st;
  st.version = 4;
  RetrainScheduler s(Policy(), st);
  auto out = s.Run(9, Synthetic(2), &*serving, RealTrainer());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->decision, RetrainDecision::kReplaced) << out->reason;
  EXPECT_LT(out->brier_candidate, out->brier_serving);
  EXPECT_EQ(out->version, 5U);
  EXPECT_EQ(s.state().serving_brier, out->brier_candidate);
}

TEST(RetrainSchedulerTest, TrainerFailureAndUndecidableSlicesKeepTheServingModel) {
  auto serving = FailureModel::Train(Spec(), 10 * kDayMs, Synthetic(3), Small());
  ASSERT_TRUE(serving);
  RetrainScheduler s(Policy());
  auto failed =
      s.Run(1, Synthetic(2), &*serving, [](const FailureTrainingSet&) -> Result<FailureModel> {
        return MakeError(ErrorCode::kInvalidArgument, "no positives");
      });
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->decision, RetrainDecision::kFailed);
  EXPECT_EQ(s.state().version, 0U);
  // No positive in the held-out days: the slice cannot tell the models apart.
  auto data = Synthetic(2);
  for (std::size_t r = 0; r < data.rows(); ++r) {
    if (data.times[r] >= 8 * kDayMs) data.labels[r] = 0.0;
  }
  auto undecided = s.Run(2, data, &*serving, RealTrainer());
  ASSERT_TRUE(undecided);
  EXPECT_EQ(undecided->decision, RetrainDecision::kKeptOld);
  EXPECT_EQ(undecided->holdout_positives, 0U);
  // One time only: no split possible.
  FailureTrainingSet flat = Synthetic(2);
  std::fill(flat.times.begin(), flat.times.end(), 0);
  EXPECT_FALSE(s.Run(3, flat, &*serving, RealTrainer()));
}

TEST(RetrainStateCodecTest, RoundTripsAndRejectsDamage) {
  RetrainState s;
  s.version = 7;
  s.last_attempt = 123456789;
  s.last_accepted = 123;
  s.new_rows = 42;
  s.new_positives = 3;
  s.serving_brier = 0.0125;
  const std::string blob = EncodeRetrainState(s);
  auto back = DecodeRetrainState(blob);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->version, 7U);
  EXPECT_EQ(back->last_attempt, 123456789);
  EXPECT_EQ(back->last_accepted, 123);
  EXPECT_EQ(back->new_rows, 42U);
  EXPECT_EQ(back->new_positives, 3U);
  EXPECT_EQ(back->serving_brier, 0.0125);
  std::string bad = blob;
  bad[20] ^= 1;
  EXPECT_EQ(DecodeRetrainState(bad).error().code, ErrorCode::kCorruption);
  EXPECT_EQ(DecodeRetrainState(blob.substr(0, 30)).error().code, ErrorCode::kCorruption);
  std::string newer = blob;
  newer[4] = 2;
  EXPECT_EQ(DecodeRetrainState(newer).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace prognos::predict
