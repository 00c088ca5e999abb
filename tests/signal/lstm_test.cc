#include "signal/forecast/lstm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "signal/forecast/selector.h"

namespace prognos::signal {
namespace {

// One hidden unit, two inputs, two steps, one output. Parameters in the blob's order: W_x
// (4 × 2, column-major: the i, f, g, o weights of input 0, then of input 1), W_h (4 × 1), b, W_y,
// b_y. Hand computation (python3, math.tanh and 1/(1+e^-x), no numpy):
//   step 1, u = (1, 2), h0 = c0 = 0: z = (0.55, 1.05, 1.8, 2.3); c1 = σ(.55)·tanh(1.8)
//     = 0.600403390528848; h1 = σ(2.3)·tanh(c1) = 0.488372851176033
//   step 2, u = (−0.5, 0.25): z = W_x u + W_h h1 + b = (−0.0965119, −0.0023254, 0.1953491,
//     −0.1988373); c2 = σ(z_f)·c1 + σ(z_i)·tanh(z_g) = 0.391652718628398;
//     h2 = σ(z_o)·tanh(c2) = 0.167922039729786
//   out = 2 · h2 + 0.5 = 0.835844079459573
TEST(LstmNetworkTest, ForwardMatchesAHandComputedTwoStepCell) {
  LstmConfig cfg;
  cfg.hidden = 1;
  cfg.window = 2;
  cfg.horizon = 1;
  cfg.period = 1;
  std::vector<double> p = {0.1,  0.3,   0.5, 0.7,  0.2, 0.4, 0.6, 0.8,  // W_x
                           -0.3, 0.2,   0.4, -0.1,                      // W_h
                           0.05, -0.05, 0.1, 0.0,                       // b
                           2.0,                                         // W_y
                           0.5,                                         // b_y
                           0.25};                                       // a
  auto net = LstmNetwork::FromParams(cfg, p);
  ASSERT_TRUE(net);
  const std::vector<double> in = {1.0, 2.0, -0.5, 0.25};
  const auto out = net->Forward(in);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_NEAR(out[0], 0.835844079459573, 1e-12);
  // The season term adds a · d = 0.25 · 2.
  const std::vector<double> dev = {2.0};
  EXPECT_NEAR(net->Forward(in, dev)[0], 0.835844079459573 + 0.5, 1e-12);
}

double Loss(const LstmConfig& cfg, const std::vector<double>& p, const std::vector<double>& in,
            const std::vector<double>& tgt, std::size_t batch, double delta) {
  auto net = LstmNetwork::FromParams(cfg, p);
  std::vector<double> dev(batch * cfg.horizon);
  for (std::size_t i = 0; i < dev.size(); ++i) dev[i] = std::sin(static_cast<double>(i));
  return net->LossAndGradient(in, dev, tgt, batch, delta, nullptr);
}

// Backpropagation through time against central finite differences, on every parameter; both in
// the quadratic part of the Huber loss (δ = 100) and with targets in its linear part (δ = 0.05).
TEST(LstmNetworkTest, GradientMatchesFiniteDifferences) {
  LstmConfig cfg;
  cfg.hidden = 3;
  cfg.window = 5;
  cfg.horizon = 4;
  cfg.period = 1;
  const std::size_t batch = 3;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> p(LstmNetwork::ParamCount(cfg));
  for (double& v : p) v = 0.5 * g(rng);
  std::vector<double> in(batch * cfg.window * cfg.inputs), tgt(batch * cfg.horizon);
  for (double& v : in) v = g(rng);
  for (double& v : tgt) v = g(rng);
  for (double delta : {100.0, 0.05}) {
    SCOPED_TRACE(delta);
    auto net = LstmNetwork::FromParams(cfg, p);
    std::vector<double> grad;
    std::vector<double> dev(batch * cfg.horizon);
    for (std::size_t i = 0; i < dev.size(); ++i) dev[i] = std::sin(static_cast<double>(i));
    net->LossAndGradient(in, dev, tgt, batch, delta, &grad);
    ASSERT_EQ(grad.size(), p.size());
    const double eps = 1e-6;
    double worst = 0.0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      auto hi = p, lo = p;
      hi[i] += eps;
      lo[i] -= eps;
      const double fd =
          (Loss(cfg, hi, in, tgt, batch, delta) - Loss(cfg, lo, in, tgt, batch, delta)) / (2 * eps);
      // Central differences are accurate to O(eps²) ≈ 1e-12 plus rounding ≈ 1e-16/eps = 1e-10.
      worst = std::max(worst,
                       std::abs(fd - grad[i]) / std::max(1e-4, std::abs(fd) + std::abs(grad[i])));
      EXPECT_NEAR(grad[i], fd, 1e-7) << "param " << i;
    }
    EXPECT_LT(worst, 1e-4);
  }
}

TEST(LstmWindowTest, BaseIsTheMedianOfPastSeasonsAndScaleTheSeasonalMae) {
  LstmConfig cfg;
  cfg.window = 2;
  cfg.period = 3;
  cfg.base_days = 3;
  cfg.horizon = 4;
  // Seasons (period 3): [0 1 2] [3 1 2] [6 1 5] [0 1 2]; n = 12.
  const std::vector<double> y = {0, 1, 2, 3, 1, 2, 6, 1, 5, 0, 1, 2};
  const LstmWindow w = MakeLstmWindow(cfg, y, 4);
  // Step 12 (slot 0): median of y[9], y[6], y[3] = median(0, 6, 3) = 3; step 13: median(1,1,1)
  // = 1; step 14: median(2, 5, 2) = 2; step 15 (slot 0 one season on): lags 6, 9, 12 → y[9],
  // y[6], y[3] = 3.
  ASSERT_EQ(w.base.size(), 4U);
  EXPECT_DOUBLE_EQ(w.base[0], 3.0);
  EXPECT_DOUBLE_EQ(w.base[1], 1.0);
  EXPECT_DOUBLE_EQ(w.base[2], 2.0);
  EXPECT_DOUBLE_EQ(w.base[3], 3.0);
  // Season deviations (y one season before the step − base) / scale: y9 − 3, y10 − 1, y11 − 2,
  // and for step 15 the value two seasons back, y9 − 3.
  ASSERT_EQ(w.season_dev.size(), 4U);
  EXPECT_DOUBLE_EQ(w.season_dev[0], (0 - 3.0) / 2);
  EXPECT_DOUBLE_EQ(w.season_dev[1], 0.0);
  EXPECT_DOUBLE_EQ(w.season_dev[2], 0.0);
  EXPECT_DOUBLE_EQ(w.season_dev[3], (0 - 3.0) / 2);
  // Scale: mean |y_t − y_{t−3}| for t = 3..11 = (3+0+0+3+0+3+6+0+3)/9 = 2.
  EXPECT_DOUBLE_EQ(w.scale, 2.0);
  // Inputs of the window (t = 10, 11): level = 1.5; base_10 = median(y7, y4, y1) = 1,
  // base_11 = median(y8, y5, y2) = 2.
  ASSERT_EQ(w.inputs.size(), 4U);
  EXPECT_DOUBLE_EQ(w.inputs[0], (1 - 1.5) / 2);
  EXPECT_DOUBLE_EQ(w.inputs[1], (1 - 1.0) / 2);
  EXPECT_DOUBLE_EQ(w.inputs[2], (2 - 1.5) / 2);
  EXPECT_DOUBLE_EQ(w.inputs[3], (2 - 2.0) / 2);
}

TEST(LstmNetworkTest, SerializeRoundTripsAndRejectsDamage) {
  LstmConfig cfg;
  cfg.hidden = 4;
  cfg.window = 3;
  cfg.horizon = 5;
  cfg.period = 6;
  auto net = LstmNetwork::Create(cfg, 42);
  ASSERT_TRUE(net);
  net->set_family("cpu");
  auto blob = net->Serialize();
  ASSERT_TRUE(blob);
  auto back = LstmNetwork::Deserialize(*blob);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->family(), "cpu");
  EXPECT_EQ(back->seed(), 42U);
  EXPECT_EQ(back->config().period, 6U);
  ASSERT_EQ(back->params().size(), net->params().size());
  for (std::size_t i = 0; i < net->params().size(); ++i)
    EXPECT_EQ(back->params()[i], net->params()[i]);

  std::string bad = *blob;
  bad[bad.size() / 2] ^= 0x40;
  auto r = LstmNetwork::Deserialize(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCorruption);
  auto t = LstmNetwork::Deserialize(blob->substr(0, blob->size() - 3));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ErrorCode::kCorruption);
  std::string newer = *blob;
  newer[4] = 2;  // version field (little-endian u32 after the magic)
  auto v = LstmNetwork::Deserialize(newer);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kInvalidArgument);
}

// Daily profile plus an AR(1) deviation (φ = 0.9): the seasonal median cannot see the current
// deviation, the LSTM can (the best one-step forecast keeps 90 % of it), so training must bring
// the validation loss well below the base profile's.
std::vector<std::vector<double>> ArSeries(std::size_t count, std::size_t n, std::size_t m,
                                          std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<std::vector<double>> out;
  for (std::size_t s = 0; s < count; ++s) {
    std::vector<double> y(n);
    double e = 0.0;
    const double amp = 1.0 + static_cast<double>(s % 5);
    for (std::size_t t = 0; t < n; ++t) {
      e = 0.9 * e + g(rng);
      y[t] =
          amp *
          (10 + 5 * std::sin(2 * M_PI * static_cast<double>(t % m) / static_cast<double>(m)) + e);
    }
    out.push_back(std::move(y));
  }
  return out;
}

TEST(LstmTrainTest, LearnsAPersistentDeviationAndIsDeterministic) {
  LstmConfig cfg;
  cfg.hidden = 8;
  cfg.window = 8;
  cfg.horizon = 4;
  cfg.period = 24;
  cfg.base_days = 5;
  LstmTrainOptions opt;
  opt.epochs = 4;
  opt.stride = 3;
  opt.validation_every = 4;
  opt.seed = 3;
  const auto series = ArSeries(8, 24 * 20, 24, 11);
  LstmTrainReport rep;
  auto a = TrainLstm(series, cfg, opt, &rep);
  ASSERT_TRUE(a);
  EXPECT_GT(rep.train_windows, 0U);
  EXPECT_GT(rep.validation_windows, 0U);
  ASSERT_EQ(rep.validation_loss.size(), 4U);
  const double best = *std::min_element(rep.validation_loss.begin(), rep.validation_loss.end());
  EXPECT_LT(best, 0.8 * rep.validation_loss_base);
  auto b = TrainLstm(series, cfg, opt);
  ASSERT_TRUE(b);
  ASSERT_EQ(a->params().size(), b->params().size());
  for (std::size_t i = 0; i < a->params().size(); ++i) ASSERT_EQ(a->params()[i], b->params()[i]);
}

TEST(LstmTrainTest, RejectsSeriesTooShortForOneWindow) {
  LstmConfig cfg;
  cfg.window = 8;
  cfg.horizon = 4;
  cfg.period = 24;
  const std::vector<std::vector<double>> series = {std::vector<double>(30, 1.0)};
  auto r = TrainLstm(series, cfg, LstmTrainOptions{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(LstmForecastModelTest, ShortHistoryGetsNaiveAndSelectorServesTheLstmWhenAsked) {
  LstmConfig cfg;
  cfg.hidden = 2;
  cfg.window = 4;
  cfg.horizon = 6;
  cfg.period = 10;
  auto net = LstmNetwork::Create(cfg, 1);
  ASSERT_TRUE(net);
  auto shared = std::make_shared<const LstmNetwork>(*net);
  std::vector<double> out(3);
  const std::vector<double> short_hist = {1, 2, 3, 4, 5};
  shared->Forecast(short_hist, out);
  EXPECT_EQ(out, std::vector<double>(3, 5.0));

  std::vector<double> y;
  for (int t = 0; t < 200; ++t) y.push_back(10 + (t % 10) + 0.01 * (t % 7));
  BatchForecastOptions opt;
  opt.horizon = 6;
  opt.method = ForecastMethod::kLstm;
  opt.extra_candidates.push_back(std::make_shared<LstmForecastModel>(shared));
  auto r = ForecastBatch(y, opt);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->model, "lstm");
  ASSERT_EQ(r->points.size(), 6U);
  for (const auto& p : r->points) {
    EXPECT_TRUE(std::isfinite(p.mean));
    EXPECT_LE(p.lower, p.mean);
    EXPECT_GE(p.upper, p.mean);
  }
}

}  // namespace
}  // namespace prognos::signal
