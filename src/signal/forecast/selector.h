// Model selection by rolling backtest, and the batch entry point of `prognos forecast`.
// Every candidate is fitted once on the series minus its last R points, then forecasts from
// origins spread over those R points; the candidate (or the equal-weight mean of two or three
// candidates) with the lowest mean absolute error over steps 1..H serves. Its signed backtest
// errors, per step, give the prediction interval (empirical quantiles), so intervals are honest
// about the model's real out-of-sample error instead of an assumed Gaussian one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "signal/forecast/forecast_types.h"

namespace prognos::signal {

// Mean of several fitted models' forecasts (forecast combination).
class CombinationModel final : public PointModel {
 public:
  explicit CombinationModel(std::vector<std::shared_ptr<PointModel>> members)
      : members_(std::move(members)) {}
  std::string Name() const override;
  Result<void> Fit(std::span<const double> y) override;
  void Forecast(std::span<const double> history, std::span<double> out) const override;
  std::size_t MinLength() const override;

 private:
  std::vector<std::shared_ptr<PointModel>> members_;
};

// The candidates a method stands for, for season m (0 = none), a second calendar season `day`
// (the steps in a day when the sampling interval is known; 0 = none; ignored when equal to m)
// and a series of n points. kAuto: for each season, ARIMA on the series minus a robust profile
// (median of 7 and 3 days ±1 slot, and of 1 day), seasonal naive and Holt-Winters; then
// non-seasonal ARIMA, ETS and naive.
std::vector<std::shared_ptr<PointModel>> CandidateModels(ForecastMethod method, std::size_t m,
                                                         std::size_t n, std::size_t day = 0);

// Per-step empirical error quantiles: for step h (1-based), the interval is
// [mean + lower[h−1], mean + upper[h−1]].
struct ErrorBands {
  std::vector<double> lower;
  std::vector<double> upper;
};

struct Selection {
  std::shared_ptr<PointModel> model;  // fitted on the whole series
  std::string name;
  double backtest_mae = 0.0;       // mean |error| over origins and steps 1..H (series units)
  double backtest_relative = 0.0;  // that MAE / the in-sample seasonal-naive (or naive) MAE
  std::size_t origins = 0;
  ErrorBands bands;  // at the requested level, steps 1..H
};

// Fitted parameters of each built-in candidate of the previous selection on the same series, so
// that the next selection's optimisers start there (PointModel::SetWarmStart): OnlineForecaster
// refits every few hours on a history that moved by a few percent. A warm fit also keeps the
// candidate's structure (the ARIMA order, the ETS variant) instead of searching it again; every
// kColdEvery-th selection is cold (every search redone), so the structure is at most
// kColdEvery − 1 selections old. A hint goes to the candidate with the same configuration
// (PointModel::WarmKey, so a season detected differently this time leaves the calendar-day
// candidates warm); candidates without one fit cold. Warm fits change the numbers slightly
// (a shorter search from a different start), so the batch `prognos forecast` never uses them.
struct WarmStart {
  // With the engine's 6 h refits: a cold selection once a day.
  static constexpr std::uint32_t kColdEvery = 4;
  std::uint32_t warm_selections = 0;  // selections since the last cold one
  // Per candidate of the last selection: hash of its WarmKey and its WarmParams.
  std::vector<std::pair<std::uint64_t, std::vector<double>>> params;
  // Bytes held (for OnlineForecaster::StateBytes).
  std::size_t Bytes() const;
};

// Selects and fits the serving model for horizon H on a clean (finite) series y.
// Degenerate input: fewer than 2 points → error; a series too short for a backtest
// (n < 2H + 8) → the first candidate fitted on everything, with bands from its one-step
// in-sample errors widened by √h. Intervals are at least as wide as 0 (a constant series
// gives zero-width bands).
// The serving model is the backtest winner with the parameters fitted on the training part, run
// over the whole series (no second fit: the backtest already showed how those parameters do).
// `extra` candidates (e.g. the global LSTM, lstm.h) join the backtest after the built-in ones;
// with method kLstm they are the only candidates.
// `warm` (may be null): read as the built-in candidates' starting points when it matches, and
// rewritten with their fitted parameters (see WarmStart).
Result<Selection> SelectModel(std::span<const double> y, ForecastMethod method, std::size_t m,
                              std::size_t horizon, double level, std::size_t day = 0,
                              std::span<const std::shared_ptr<PointModel>> extra = {},
                              WarmStart* warm = nullptr);

struct BatchForecastOptions {
  std::size_t horizon = 12;
  bool auto_season = true;
  std::size_t season = 0;  // used when !auto_season; 0 or 1 = no season
  // Periods implied by the sampling interval (steps per day, per week) that auto-detection
  // snaps to; may be empty.
  std::vector<std::size_t> preferred_seasons;
  ForecastMethod method = ForecastMethod::kAuto;
  double level = 0.8;  // central interval probability, (0, 1)
  // Global models that join the backtest (a trained LSTM: LstmForecastModel); kLstm needs one.
  std::vector<std::shared_ptr<PointModel>> extra_candidates;
};

struct BatchForecast {
  std::string model;
  std::size_t season = 0;
  std::vector<ForecastPoint> points;  // steps 1..horizon
  double backtest_mae = 0.0;
  double backtest_relative = 0.0;
  std::size_t origins = 0;
};

// Fits on a whole raw series and forecasts `horizon` steps: NaN/±Inf are gaps (CleanSeries),
// values are divided by max |y| while fitting (so 1e300-sized values neither overflow nor lose
// precision), the season is detected when asked, then SelectModel. On degenerate input:
// no finite value → kInvalidArgument; one finite value → that value with the decaying-histogram
// fallback's widened interval; a constant series → that constant with a zero-width interval.
// kLstm without extra_candidates → kUnavailable. Never returns a NaN.
Result<BatchForecast> ForecastBatch(std::span<const double> values,
                                    const BatchForecastOptions& options);

}  // namespace prognos::signal
