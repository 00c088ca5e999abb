#include "engine/model_retrainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>
#include <string>
#include <vector>

#include "store/blob_store.h"
#include "testing/temp_dir.h"

namespace prognos::engine {
namespace {

using predict::FailureFeatureNames;
using predict::FailureFeatureSpec;
using predict::FailureModel;
using predict::FailureTrainingSet;
using predict::FailureTrainOptions;

FailureFeatureSpec Spec() {
  FailureFeatureSpec spec;
  spec.indicators = {"v"};
  spec.delta_days = {1};
  return spec;
}

std::size_t Features() { return FailureFeatureNames(Spec()).size(); }

FailureTrainOptions Small() {
  FailureTrainOptions o;
  o.rounds = 30;
  o.max_depth = 3;
  o.seed = 7;
  return o;
}

// The configured model of these tests knows nothing: trained (horizon 1 day) on synthetic rows
// whose labels are random coin flips at 10 %, independent of the features.
std::shared_ptr<const FailureModel> Ignorant() {
  FailureTrainingSet d;
  d.feature_count = Features();
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int i = 0; i < 1000; ++i) {
    for (std::size_t f = 0; f < d.feature_count; ++f) d.features.push_back(static_cast<float>(u(rng)));
    d.labels.push_back(u(rng) < 0.1 ? 1.0 : 0.0);
    d.times.push_back((i % 10) * kHourMs);
  }
  auto m = FailureModel::Train(Spec(), kDayMs, d, Small());
  EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
  return std::make_shared<const FailureModel>(std::move(*m));
}

RetrainOptions Options() {
  RetrainOptions o;
  o.enabled = true;
  o.policy.cadence_ms = kDayMs;
  o.policy.min_new_rows = 200;
  o.policy.min_new_positives = 3;
  o.train = Small();
  o.background = false;
  return o;
}

// Synthetic fleet (not real data): 40 hosts, host h has feature 0 = h / 40 (the other features
// 0.5); the 8 hosts with h ≥ 32 fail once each, host h at hour 30 + 12 (h − 32), and are back
// (a replaced part) 6 hours later. One tick an hour.
std::vector<float> Row(int h) {
  std::vector<float> f(Features(), 0.5F);
  f[0] = static_cast<float>(h) / 40.0F;
  return f;
}
bool Down(int h, int hour) {
  if (h < 32) return false;
  const int at = 30 + 12 * (h - 32);
  return hour >= at && hour < at + 6;
}
std::vector<std::string> RunFleet(ModelRetrainer& r, int from_hour, int to_hour) {
  std::vector<std::string> messages;
  for (int hour = from_hour; hour <= to_hour; ++hour) {
    const TimestampMs now = hour * kHourMs;
    for (int h = 0; h < 40; ++h) {
      const auto row = Row(h);
      r.Observe(std::string("host-").append(std::to_string(h)), now, row, Down(h, hour));
    }
    for (auto& m : r.Step(now)) messages.push_back(std::move(m));
  }
  return messages;
}

TEST(ModelRetrainerTest, RowsSettleAsNegativeOneHorizonLaterWithoutFailures) {
  ModelRetrainer r(Ignorant(), Options(), nullptr);
  for (int hour = 0; hour <= 48; ++hour) {
    for (int h = 0; h < 10; ++h) r.Observe(std::string("h").append(std::to_string(h)), hour * kHourMs, Row(h), false);
    (void)r.Step(hour * kHourMs);
  }
  // Rows at hours 0..48; a row at t settles when t + 1 day < now = 48 h: hours 0..23.
  const RetrainStatus s = r.status();
  EXPECT_EQ(s.settled_rows, 10u * 24u);
  EXPECT_EQ(s.settled_positives, 0u);
  EXPECT_EQ(s.pending_rows, 10u * 25u);
  EXPECT_EQ(s.attempts, 0u);  // no positive yet: never due
  EXPECT_EQ(s.version, 0u);
}

TEST(ModelRetrainerTest, FailuresLabelTheHostsRowsAndABetterCandidateReplacesTheModel) {
  auto configured = Ignorant();
  ModelRetrainer r(configured, Options(), nullptr);
  const auto messages = RunFleet(r, 0, 200);
  const RetrainStatus s = r.status();
  ASSERT_GE(s.attempts, 1u);
  bool replaced = false;
  for (const auto& m : messages) replaced |= m.find("replaced -> v1") != std::string::npos;
  EXPECT_TRUE(replaced) << (messages.empty() ? "no messages" : messages.front());
  EXPECT_GE(s.version, 1u);
  EXPECT_EQ(s.replaced, s.version);
  EXPECT_NE(r.serving().get(), configured.get());
  // A failing host's rows in the day before its failure are positive: the tick of the failure
  // reports it before that tick's row, so the rows at at − 24 h … at − 1 h (24 rows; the row at
  // at − 24 h is still pending then: it settles only once now > t + 24 h). 8 hosts → 192.
  EXPECT_EQ(s.settled_positives, 8u * 24u);
  // The retrained model separates what the configured one could not: a host like the failing
  // ones against a host like the healthy ones.
  auto high = r.serving()->Predict(Row(36));
  auto low = r.serving()->Predict(Row(4));
  ASSERT_TRUE(high && low);
  EXPECT_GT(*high, *low + 0.2);
}

TEST(ModelRetrainerTest, ModelStateAndHistorySurviveARestartUnlessTheConfiguredModelChanged) {
  testing::TempDir dir;
  auto store = store::BlobStore::Open(dir.path());
  ASSERT_TRUE(store.has_value());
  auto configured = Ignorant();
  std::size_t settled = 0;
  std::uint32_t version = 0;
  {
    ModelRetrainer r(configured, Options(), store->get());
    EXPECT_TRUE(r.Load().empty());  // first start: nothing to restore, nothing to warn about
    (void)RunFleet(r, 0, 200);
    version = r.status().version;
    ASSERT_GE(version, 1u);
    settled = r.status().settled_rows;
  }  // the destructor persists the history
  {
    ModelRetrainer r(configured, Options(), store->get());
    const auto messages = r.Load();
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0], std::string("failure model v")
                              .append(std::to_string(version))
                              .append(" (retrained) restored"));
    EXPECT_EQ(r.status().version, version);
    EXPECT_EQ(r.status().settled_rows, settled);
    EXPECT_NE(r.serving().get(), configured.get());
  }
  {
    // The operator configures another model: the retrained one of the old model is dropped.
    FailureTrainingSet d;
    d.feature_count = Features();
    for (int i = 0; i < 200; ++i) {
      for (std::size_t f = 0; f < d.feature_count; ++f) d.features.push_back(i % 2 ? 0.9F : 0.1F);
      d.labels.push_back(i % 2);
      d.times.push_back(i * kHourMs);
    }
    auto other = FailureModel::Train(Spec(), kDayMs, d, Small());
    ASSERT_TRUE(other.has_value());
    auto model = std::make_shared<const FailureModel>(std::move(*other));
    ModelRetrainer r(model, Options(), store->get());
    const auto messages = r.Load();
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_NE(messages[0].find("configured model changed"), std::string::npos);
    EXPECT_EQ(r.status().version, 0u);
    EXPECT_EQ(r.status().settled_rows, 0u);
    EXPECT_EQ(r.serving().get(), model.get());
  }
}

TEST(ModelRetrainerTest, BackgroundTrainingIsCollectedByALaterStepAndServes) {
  RetrainOptions bg = Options();
  bg.background = true;
  ModelRetrainer r(Ignorant(), bg, nullptr);
  auto messages = RunFleet(r, 0, 200);
  // The job started at the due tick is collected by a later Step; wait for it.
  for (int i = 0; i < 600 && (r.status().training || r.status().attempts == 0); ++i) {
    for (auto& m : r.Step(200 * kHourMs)) messages.push_back(std::move(m));
    if (r.status().training) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(r.status().training);
  EXPECT_GE(r.status().version, 1u);
}

TEST(ModelRetrainerTest, HistoryWrittenInTheBackgroundIsWhatARestartReads) {
  testing::TempDir dir;
  auto store = store::BlobStore::Open(dir.path());
  ASSERT_TRUE(store.has_value());
  auto configured = Ignorant();
  RetrainOptions bg = Options();
  bg.background = true;
  bg.policy.min_new_positives = 1000;  // no retrain: only the history's writes are exercised
  std::size_t settled = 0, pending = 0;
  {
    ModelRetrainer r(configured, bg, store->get());
    (void)r.Load();
    (void)RunFleet(r, 0, 80);  // hourly writes on their own thread, the last at hour 80
    settled = r.status().settled_rows;
    pending = r.status().pending_rows;
    ASSERT_GT(settled, 0u);
  }
  ModelRetrainer again(configured, bg, store->get());
  EXPECT_TRUE(again.Load().empty());
  EXPECT_EQ(again.status().settled_rows, settled);
  EXPECT_EQ(again.status().pending_rows, pending);
}

}  // namespace
}  // namespace prognos::engine
