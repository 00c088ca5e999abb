#include "predict/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace prognos::predict {
namespace {

double Sigmoid(double f) { return 1.0 / (1.0 + std::exp(-f)); }

// Draws n scores ~ N(0, 1.5²) and labels ~ Bernoulli(p(score)), seeded.
template <typename P>
void Draw(std::size_t n, std::uint64_t seed, P p, std::vector<double>& s, std::vector<double>& y) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> score(0.0, 1.5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  s.clear();
  y.clear();
  for (std::size_t i = 0; i < n; ++i) {
    const double x = score(rng);
    s.push_back(x);
    y.push_back(u(rng) < p(x) ? 1.0 : 0.0);
  }
}

// The worked example in calibration.h: scores 1..6, labels 1 0 1 0 0 1 pool to 0.4 on [1, 5]
// and 1 at 6. Between 5 and 6 the map is linear: 0.4 + 0.5 · 0.6 = 0.7 at 5.5.
TEST(CalibrationTest, IsotonicMatchesHandWorkedPav) {
  const std::vector<double> s = {1, 2, 3, 4, 5, 6};
  const std::vector<double> y = {1, 0, 1, 0, 0, 1};
  auto fit = FitIsotonic(s, y);
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->x, (std::vector<double>{1, 5, 6}));
  ASSERT_EQ(fit->y.size(), 3U);
  EXPECT_DOUBLE_EQ(fit->y[0], 0.4);
  EXPECT_DOUBLE_EQ(fit->y[1], 0.4);
  EXPECT_DOUBLE_EQ(fit->y[2], 1.0);
  Calibrator c;
  c.method = CalibrationMethod::kIsotonic;
  c.isotonic = *fit;
  struct Case {
    double score;
    double p;
  };
  const Case cases[] = {{0.0, 0.4}, {3.0, 0.4}, {5.5, 0.7}, {6.0, 1.0}, {9.0, 1.0}};
  for (const auto& k : cases) {
    SCOPED_TRACE(k.score);
    EXPECT_NEAR(c.Apply(k.score), k.p, 1e-12);
  }
}

// Equal scores are one point first: (0.1: labels 0, 1 → 0.5, weight 2), (0.2: 0) violates →
// pooled (1 / 3) over [0.1, 0.2]; then 0.3 → 1.
TEST(CalibrationTest, IsotonicPoolsTiedScoresFirst) {
  const std::vector<double> s = {0.2, 0.1, 0.3, 0.1};
  const std::vector<double> y = {0, 1, 1, 0};
  auto fit = FitIsotonic(s, y);
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->x, (std::vector<double>{0.1, 0.2, 0.3}));
  EXPECT_NEAR(fit->y[0], 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(fit->y[1], 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(fit->y[2], 1.0, 1e-12);
}

// Property: on noisy data the fitted map is non-decreasing and within [0, 1] everywhere.
TEST(CalibrationTest, IsotonicIsMonotoneOnNoisyData) {
  std::vector<double> s;
  std::vector<double> y;
  Draw(
      3000, 7, [](double x) { return Sigmoid(x) * 0.8 + 0.1 * std::sin(5 * x) * 0.5 + 0.05; }, s,
      y);
  auto fit = FitIsotonic(s, y);
  ASSERT_TRUE(fit.has_value());
  for (std::size_t i = 1; i < fit->x.size(); ++i) {
    EXPECT_LT(fit->x[i - 1], fit->x[i]);
    EXPECT_LE(fit->y[i - 1], fit->y[i]);
  }
  Calibrator c;
  c.method = CalibrationMethod::kIsotonic;
  c.isotonic = *fit;
  double prev = -1.0;
  for (double x = -6.0; x <= 6.0; x += 0.01) {
    const double p = c.Apply(x);
    ASSERT_GE(p, prev);
    ASSERT_GE(p, 0.0);
    ASSERT_LE(p, 1.0);
    prev = p;
  }
}

// Labels drawn from σ(a·s + b) with known a, b; the MLE's standard error at n = 20,000 is about
// 0.02 for a and b (Fisher information ≈ n · E[p(1−p)·s²] ≈ 5,000), so ±0.08 is 4σ.
TEST(CalibrationTest, PlattRecoversKnownSlopeAndIntercept) {
  struct Case {
    std::string name;
    double a;
    double b;
  };
  const Case cases[] = {{"steep, shifted down", 2.0, -1.0},
                        {"shallow, shifted up", 0.5, 0.7},
                        {"identity", 1.0, 0.0}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<double> s;
    std::vector<double> y;
    Draw(
        20000, 11, [&](double x) { return Sigmoid(c.a * x + c.b); }, s, y);
    auto fit = FitPlatt(s, y);
    ASSERT_TRUE(fit.has_value());
    EXPECT_NEAR(fit->a, c.a, 0.08);
    EXPECT_NEAR(fit->b, c.b, 0.08);
  }
}

// Separable data (all positives above all negatives) still gives a finite fit thanks to
// Platt's smoothed targets, and one class only is not an error.
TEST(CalibrationTest, PlattStaysFiniteOnSeparableOrOneClassData) {
  const std::vector<double> s = {-3, -2, -1, 1, 2, 3};
  const std::vector<double> separable = {0, 0, 0, 1, 1, 1};
  const std::vector<double> all_neg = {0, 0, 0, 0, 0, 0};
  for (const auto* y : {&separable, &all_neg}) {
    auto fit = FitPlatt(s, *y);
    ASSERT_TRUE(fit.has_value());
    EXPECT_TRUE(std::isfinite(fit->a));
    EXPECT_TRUE(std::isfinite(fit->b));
  }
  // All negative: t− = 1/8 for every row, so the fit is the constant 1/8 (a ≈ 0).
  auto fit = FitPlatt(s, all_neg);
  Calibrator c;
  c.method = CalibrationMethod::kPlatt;
  c.platt = *fit;
  EXPECT_NEAR(c.Apply(0.0), 1.0 / 8.0, 1e-3);
  EXPECT_NEAR(fit->a, 0.0, 1e-3);
}

TEST(CalibrationTest, AutoPicksIsotonicForAStepAndPlattForALogistic) {
  std::vector<double> s;
  std::vector<double> y;
  // A flat 0.3 then a jump to 0.9 at s = 2: no logistic curve is flat on both sides.
  Draw(
      4000, 3, [](double x) { return x < 2.0 ? 0.3 : 0.9; }, s, y);
  auto step = FitCalibrator(s, y, CalibrationMethod::kAuto);
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->method, CalibrationMethod::kIsotonic);
  EXPECT_LT(step->brier_isotonic, step->brier_platt);

  Draw(
      400, 5, [](double x) { return Sigmoid(1.5 * x - 0.5); }, s, y);
  auto logistic = FitCalibrator(s, y, CalibrationMethod::kAuto);
  ASSERT_TRUE(logistic.has_value());
  EXPECT_EQ(logistic->method, CalibrationMethod::kPlatt);
  EXPECT_LT(logistic->brier_platt, logistic->brier_isotonic);
}

// The same step shape with positives too few for isotonic steps (about 20 of 1,000 rows): Platt
// is kept, and both held-out scores are still reported.
TEST(CalibrationTest, AutoKeepsPlattWhenPositivesAreFew) {
  std::vector<double> s;
  std::vector<double> y;
  Draw(1000, 9, [](double x) { return x < 2.0 ? 0.01 : 0.3; }, s, y);
  double positives = 0;
  for (const double v : y) positives += v;
  ASSERT_LT(positives, static_cast<double>(kMinIsotonicPositives));
  ASSERT_GT(positives, 0.0);
  auto c = FitCalibrator(s, y, CalibrationMethod::kAuto);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->method, CalibrationMethod::kPlatt);
  EXPECT_TRUE(std::isfinite(c->brier_isotonic));
  EXPECT_TRUE(std::isfinite(c->brier_platt));
}

TEST(CalibrationTest, BrierScoreByHand) {
  // (0.8−1)² + (0.3−0)² + (0.5−1)² = 0.04 + 0.09 + 0.25 = 0.38; / 3.
  const std::vector<double> p = {0.8, 0.3, 0.5};
  const std::vector<double> y = {1, 0, 1};
  EXPECT_NEAR(BrierScore(p, y), 0.38 / 3.0, 1e-12);
  EXPECT_TRUE(std::isnan(BrierScore({}, {})));
}

TEST(CalibrationTest, RejectsBadInput) {
  const std::vector<double> two = {1, 2};
  const std::vector<double> one = {1};
  const std::vector<double> nan = {1, std::nan("")};
  const std::vector<double> empty;
  EXPECT_FALSE(FitPlatt(two, one).has_value());
  EXPECT_FALSE(FitIsotonic(empty, empty).has_value());
  EXPECT_FALSE(FitIsotonic(nan, two).has_value());
  EXPECT_FALSE(FitCalibrator(two, one, CalibrationMethod::kAuto).has_value());
  EXPECT_TRUE(ParseCalibrationMethod("isotonic").has_value());
  EXPECT_FALSE(ParseCalibrationMethod("sigmoid").has_value());
}

}  // namespace
}  // namespace prognos::predict
