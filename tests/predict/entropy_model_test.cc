#include "predict/entropy_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace prognos::predict {
namespace {

// Pairs (positive, negative) ordered correctly: 0.35 > 0.1 yes, 0.35 > 0.4 no, 0.8 > both:
// 3 of 4 = 0.75. A tie counts one half.
TEST(RocAucTest, CountsCorrectlyOrderedPairs) {
  const std::vector<double> s = {0.1, 0.4, 0.35, 0.8};
  const std::vector<std::uint8_t> y = {0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(RocAuc(s, y), 0.75);
  const std::vector<double> tie = {1.0, 1.0};
  const std::vector<std::uint8_t> ty = {0, 1};
  EXPECT_DOUBLE_EQ(RocAuc(tie, ty), 0.5);
  const std::vector<std::uint8_t> none = {0, 0};
  EXPECT_TRUE(std::isnan(RocAuc(tie, none)));
}

// Window 4, z = 2: before t = 6 the window is 1 2 1 2 (mean 1.5, sd 0.5, limit 2.5) and 10
// starts a spike; at t = 7 the window 2 1 2 10 has mean 3.75 and sd √13.1875 = 3.63 (limit 11.0),
// so the second 10 is not above it; nothing else is.
TEST(SpikeEventsTest, MarksTheFirstStepAboveTheCausalBand) {
  const std::vector<double> u = {1, 2, 1, 2, 1, 2, 10, 10, 1, 2};
  const auto e = SpikeEvents(u, 4, 2.0);
  const std::vector<std::uint8_t> want = {0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
  EXPECT_EQ(e, want);
}

// Three indicators; indicator 0's entropy rises 20 steps before each event, 1 and 2 are noise:
// the fit must give indicator 0 nearly all the weight.
TEST(EntropyModelTest, WeightsTheIndicatorWhoseRisePrecedesEvents) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.3, 0.5);
  EntropyHistory h;
  const std::size_t n = 20000;
  h.entropy.assign(3, std::vector<double>(n));
  h.event_start.assign(n, 0);
  for (std::size_t t = 0; t < n; ++t) {
    for (auto& e : h.entropy) e[t] = u(rng);
  }
  for (std::size_t ev = 200; ev + 50 < n; ev += 400) {
    h.event_start[ev] = 1;
    for (std::size_t t = ev - 20; t < ev + 30; ++t) h.entropy[0][t] = 0.5 + 0.4 * u(rng);
  }
  EntropyModelOptions o;
  o.rise_steps = 10;
  o.lead_steps = 30;
  o.horizon_steps = 30;
  const std::vector<EntropyHistory> hosts = {h};
  auto m = EntropyModel::Fit(hosts, o);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_GT(m->weights()[0], 0.8);
  EXPECT_NEAR(m->weights()[0] + m->weights()[1] + m->weights()[2], 1.0, 1e-12);
}

// Independent uniform entropies on [0, 1]: the best forecast of c(t + H) is the mean 0.5
// whatever c(t) and its rise are, i.e. θ = (0.5, −1, 0); 20,000 rows → each θ within ±0.03
// (standard errors ≈ 0.3/√20000 · a few).
TEST(EntropyModelTest, ForecastRegressionRecoversMeanReversion) {
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  EntropyHistory h;
  h.entropy.assign(1, std::vector<double>(20000));
  for (double& v : h.entropy[0]) v = u(rng);
  const std::vector<EntropyHistory> hosts = {h};
  auto m = EntropyModel::Fit(hosts, {});
  ASSERT_TRUE(m);
  EXPECT_NEAR(m->theta()[0], 0.5, 0.03);
  EXPECT_NEAR(m->theta()[1], -1.0, 0.03);
  EXPECT_NEAR(m->theta()[2], 0.0, 0.03);
  EXPECT_NEAR(m->Forecast(0.9, 0.0), 0.5, 0.05);
  EXPECT_EQ(m->weights()[0], 1.0);  // no events: equal weights
}

// Entropy 0.2 → 0.6 for 100 steps at each episode; usage 1.0 → 1.12 from 30 steps after the
// rise. With k = 10 and H = 60 the rows with r ≥ 0.05 are the 10 steps after each rise, r = 0.4,
// each seeing an uplift of 0.12 within its next 60 steps: γ = Σ 0.12 · 0.4 / Σ 0.4² = 0.3.
TEST(EntropyModelTest, LearnsTheUpliftPerUnitRise) {
  const std::size_t n = 5000;
  EntropyHistory h;
  h.entropy.assign(1, std::vector<double>(n, 0.2));
  h.usage.assign(1, std::vector<double>(n, 1.0));
  for (std::size_t s = 100; s + 200 < n; s += 400) {
    for (std::size_t t = s; t < s + 100; ++t) h.entropy[0][t] = 0.6;
    for (std::size_t t = s + 30; t < s + 100; ++t) h.usage[0][t] = 1.12;
  }
  const std::vector<EntropyHistory> hosts = {h};
  auto m = EntropyModel::Fit(hosts, {});
  ASSERT_TRUE(m);
  ASSERT_EQ(m->uplift_per_rise().size(), 1U);
  EXPECT_NEAR(m->uplift_per_rise()[0], 0.3, 1e-9);
  EXPECT_NEAR(m->ExpectedUplift(0.5)[0], 0.15, 1e-9);
  EXPECT_EQ(m->ExpectedUplift(-0.1)[0], 0.0);
}

// Equal weights 1/4: rises 0.2, 0.1, −0.3 (ignored), 0.1 on resources 0, 1, 0, none → weighted
// parts 0.05, 0.025, 0, 0.025 of 0.1 in all: resource 0 has 0.5, resource 1 0.25.
TEST(EntropyModelTest, DriversShareTheWeightedRiseByResource) {
  EntropyModel m(4, 2);
  const std::vector<double> rise = {0.2, 0.1, -0.3, 0.1};
  const std::vector<int> res = {0, 1, 0, -1};
  const auto d = m.Drivers(rise, res, 2);
  ASSERT_EQ(d.size(), 2U);
  EXPECT_DOUBLE_EQ(d[0], 0.5);
  EXPECT_DOUBLE_EQ(d[1], 0.25);
  // Composite with a NaN indicator: the mean of the others.
  const std::vector<double> e = {0.2, NAN, 0.4, 0.6};
  EXPECT_DOUBLE_EQ(m.Composite(e), 0.4);
  // Unfitted: persistence.
  EXPECT_DOUBLE_EQ(m.Forecast(0.3, 0.2), 0.3);
}

TEST(EntropyModelTest, RejectsHistoriesTooShort) {
  EntropyHistory h;
  h.entropy.assign(2, std::vector<double>(20, 0.5));
  const std::vector<EntropyHistory> hosts = {h};
  auto m = EntropyModel::Fit(hosts, {});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace prognos::predict
