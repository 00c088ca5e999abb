// Shared vocabulary of the forecasters: a forecast step with its interval, method names, and the
// small interface every point model implements so that the backtest selector can compare them.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace prognos::signal {

// One forecast step: the point forecast and a central prediction interval [lower, upper].
struct ForecastPoint {
  double mean = 0.0;
  double lower = 0.0;
  double upper = 0.0;
};

// The methods a user can ask for (`prognos forecast --method`).
enum class ForecastMethod {
  kAuto,           // rolling backtest over every candidate; the winner serves
  kEts,            // exponential smoothing / Holt-Winters, variant chosen by AICc
  kArima,          // ARIMA on the seasonally adjusted series, order chosen by AICc
  kLstm,           // global LSTM (not available yet)
  kNaive,          // last value
  kSeasonalNaive,  // value one season ago
};

// "auto", "ets", "arima", "lstm", "naive", "snaive".
std::string_view ForecastMethodName(ForecastMethod method);
Result<ForecastMethod> ParseForecastMethod(std::string_view text);

// A point forecaster with parameters estimated once by Fit and then applied to any history.
// Separating the two lets a rolling backtest score many origins with one fit: Fit on the data
// before the first origin, then Forecast from each origin (states are re-run over the history).
// Inputs are finite (callers clean NaN/Inf first) and already divided by a positive scale.
// Not thread-safe; cheap to copy.
class PointModel {
 public:
  virtual ~PointModel() = default;
  virtual std::string Name() const = 0;
  // Estimates parameters on `y`. Fails when y is too short for this model.
  virtual Result<void> Fit(std::span<const double> y) = 0;
  // Writes the mean forecast for steps 1..out.size() after the last element of `history`.
  virtual void Forecast(std::span<const double> history, std::span<double> out) const = 0;
  // The rolling backtest's many origins in one call: for origin o_k (1 ≤ o_k ≤ y.size()), the
  // forecast of steps 1..steps after y[0 .. o_k) goes to out[k·steps, (k+1)·steps). The numbers
  // are exactly those of Forecast(y.first(o_k)) per origin; models override this to share work
  // between origins (e.g. a seasonal profile computed once over the series, arima.h).
  virtual void ForecastOrigins(std::span<const double> y, std::span<const std::size_t> origins,
                               std::size_t steps, std::span<double> out) const;
  // Smallest history Fit accepts.
  virtual std::size_t MinLength() const = 0;
  // Warm start across the refits of one series (OnlineForecaster, via SelectModel): the fitted
  // parameters in the model's own coding, and a hint that the next Fit starts its optimiser
  // there (with a smaller budget) instead of from its fixed starts. Models without optimised
  // parameters return an empty vector and ignore the hint; a hint that does not match the
  // model's shape is ignored (a cold fit).
  virtual std::vector<double> WarmParams() const { return {}; }
  virtual void SetWarmStart(std::span<const double> params) { (void)params; }
  // The model's configuration (its constructor's arguments, not its fitted state): a warm hint
  // goes to the candidate with the same key at the next selection.
  virtual std::string WarmKey() const { return Name(); }
};

}  // namespace prognos::signal
