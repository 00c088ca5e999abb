// Global LSTM forecaster (DESIGN.md §5): one network per indicator family, trained on windows of
// many series, each window normalised by its own series' scale, so that one model serves every
// series of the family with cheap inference. Pure: bytes in, bytes out, randomness from a seed.
// Not thread-safe while training; a trained LstmNetwork is immutable and its const methods may
// run concurrently.
//
// What the network predicts. For a history y[0..n) and its season m, the base forecast of step
// s is the median of y[s − d·m] over the last `base_days` seasons before the origin (a robust
// seasonal profile, like the selector's profile candidates). The LSTM reads the last `window`
// steps t with inputs
//   u₁ = (y_t − level) / scale,  u₂ = (y_t − base_t) / scale
// (level = mean of the window, scale = the history's mean |y_t − y_{t−m}|, the MASE scale), and
// its linear head writes the correction for steps 1..horizon:
//   ŷ_{n−1+h} = base_{n−1+h} + scale · out_h.
// A network with zero head weights is the seasonal-median forecast; training teaches it how the
// current deviation from the profile carries into the next hours.
//
// Cell (gates in the order input, forget, candidate, output; σ = logistic):
//   z = W_x u_t + W_h h_{t−1} + b;  i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o)
//   c_t = f ⊙ c_{t−1} + i ⊙ g;  h_t = o ⊙ tanh(c_t);  out = W_y h_T + b_y + a ⊙ d
// where d_h = (y_{n−1+h−m} − base_{n−1+h}) / scale is how the last season at that slot departed
// from the profile (a = 1 makes the forecast seasonal naive, a = 0 the profile): the head
// learns per step how much of yesterday to trust.
// Loss: mean Huber loss (δ = huber_delta) of out − target over the batch and the horizon.
//
// Blob format v1 (little-endian), see docs/formats/lstm.md:
//   "PGLS" u32 version=1
//   u32 inputs, hidden, window, horizon, period, base_days
//   u64 seed; u32 length + family name bytes
//   u64 n_params, then f64 × n_params (W_x, W_h, b, W_y, b_y, a; matrices column-major)
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
#include "signal/forecast/forecast_types.h"

namespace prognos::signal {

inline constexpr std::uint32_t kLstmBlobVersion = 1;
inline constexpr std::size_t kLstmInputs = 2;

struct LstmConfig {
  std::size_t hidden = 32;
  std::size_t window = 48;    // input steps read before the origin
  std::size_t horizon = 288;  // output steps (longer requests continue with the base profile)
  std::size_t period = 288;   // season m of the base profile (a day of 5-minute steps)
  std::size_t base_days = 7;  // seasons in the median profile
  std::size_t inputs = kLstmInputs;
};

// Checks hidden, window, horizon, period in [1, 4096], base_days in [1, 64], inputs == 2.
Result<void> ValidateLstmConfig(const LstmConfig& config);

// One training sample or inference input, already normalised.
struct LstmWindow {
  std::vector<double> inputs;      // window × inputs, step-major: inputs[t · I + k]
  std::vector<double> base;        // base forecast for steps 1..horizon (series units)
  std::vector<double> season_dev;  // d_h for steps 1..horizon (normalised)
  double scale = 1.0;
};

// Normalised inputs of the window ending at the last element of `history` and the base forecast
// for the next `steps` steps. Requires history.size() ≥ window + period (LstmNetwork::MinHistory).
LstmWindow MakeLstmWindow(const LstmConfig& config, std::span<const double> history,
                          std::size_t steps);

class LstmNetwork {
 public:
  // Weights drawn from the seed: W uniform in ±1/√hidden, forget-gate bias 1, head ±0.01.
  static Result<LstmNetwork> Create(const LstmConfig& config, std::uint64_t seed);
  // Weights given explicitly (tests): params in the blob's order, size ParamCount(config).
  static Result<LstmNetwork> FromParams(const LstmConfig& config, std::vector<double> params);
  static std::size_t ParamCount(const LstmConfig& config);

  const LstmConfig& config() const { return config_; }
  std::span<const double> params() const { return params_; }
  std::uint64_t seed() const { return seed_; }
  const std::string& family() const { return family_; }
  void set_family(std::string family) { family_ = std::move(family); }
  std::size_t MinHistory() const { return config_.window + config_.period; }

  // The head's output (normalised correction) for one window of inputs (window × inputs) and
  // season deviations d (horizon values; empty = zeros).
  std::vector<double> Forward(std::span<const double> inputs,
                              std::span<const double> season_dev = {}) const;
  // Mean Huber loss over a batch: inputs is B windows back to back, season_dev and targets
  // B × horizon (season_dev may be empty = zeros); sets *grad (resized to ParamCount) to the
  // gradient with respect to params when grad != null.
  double LossAndGradient(std::span<const double> inputs, std::span<const double> season_dev,
                         std::span<const double> targets, std::size_t batch, double huber_delta,
                         std::vector<double>* grad) const;
  // Point forecast of steps 1..out.size() after history (series units). A history shorter than
  // MinHistory gets the naive forecast (its last value); an empty history gets zeros.
  void Forecast(std::span<const double> history, std::span<double> out) const;

  void AdamStep(std::span<const double> grad, double learning_rate, std::vector<double>& m,
                std::vector<double>& v, std::size_t step);

  Result<std::string> Serialize() const;
  // Errors: corruption (bad magic, checksum, truncated, sizes inconsistent), invalid_argument
  // (a newer version).
  static Result<LstmNetwork> Deserialize(std::string_view bytes);

 private:
  LstmConfig config_;
  std::vector<double> params_;
  std::uint64_t seed_ = 0;
  std::string family_;
};

struct LstmTrainOptions {
  std::size_t epochs = 6;
  std::size_t batch = 32;
  double learning_rate = 2e-3;
  double huber_delta = 0.25;
  // Origins every `stride` steps of each series (a series of n points gives about
  // (n − min_history − horizon) / stride windows).
  std::size_t stride = 12;
  // Every k-th series (by index, k − 1, 2k − 1, …) validates instead of training; the epoch with
  // the lowest validation loss is kept. 0 = no validation (the last epoch is kept).
  std::size_t validation_every = 8;
  std::uint64_t seed = 1;
};

struct LstmTrainReport {
  std::size_t series = 0;
  std::size_t train_windows = 0;
  std::size_t validation_windows = 0;
  std::vector<double> train_loss;       // per epoch
  std::vector<double> validation_loss;  // per epoch (empty without validation)
  double validation_loss_base = 0.0;    // the base profile's own loss (zero correction)
  std::size_t best_epoch = 0;           // 1-based
};

// Trains one network on many (finite, NaN-free) series of one family. Deterministic for a given
// seed and input. Errors (invalid_argument): bad config/options, no training window (every series
// shorter than window + period + horizon).
Result<LstmNetwork> TrainLstm(std::span<const std::vector<double>> series, const LstmConfig& config,
                              const LstmTrainOptions& options, LstmTrainReport* report = nullptr);

// The network as a backtest candidate (selector.h): Fit only checks the length (the weights are
// global), Forecast runs the network on the given history.
class LstmForecastModel final : public PointModel {
 public:
  explicit LstmForecastModel(std::shared_ptr<const LstmNetwork> network)
      : network_(std::move(network)) {}
  std::string Name() const override { return "lstm"; }
  Result<void> Fit(std::span<const double> y) override;
  void Forecast(std::span<const double> history, std::span<double> out) const override;
  std::size_t MinLength() const override { return network_->MinHistory(); }

 private:
  std::shared_ptr<const LstmNetwork> network_;
};

}  // namespace prognos::signal
