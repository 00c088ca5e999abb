// The engine's per-series forecaster: a model chosen by rolling backtest at each Refit (on history
// the engine reads from its store), then O(1) work per sample between refits. Per-series state is
// small (≈ 1.5 KiB for a daily season at 5-minute steps, a third of it the warm start): the serving
// model's forecast path from the last refit, quantised to 16 bits, a decaying AR(1) correction for
// what the samples since then say, empirical error bands, and the decaying-histogram fallback.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "signal/forecast/baselines.h"
#include "signal/forecast/forecast_types.h"
#include "signal/forecast/selector.h"

namespace prognos::signal {

struct OnlineForecasterOptions {
  ForecastMethod method = ForecastMethod::kAuto;  // kLstm behaves as kAuto for now
  std::size_t horizon = 12;  // steps the backtest scores (the horizon plans look at)
  double level = 0.8;        // interval of Next(); Forecast() may ask for another
  bool auto_season = true;
  std::size_t season = 0;               // used when !auto_season (steps)
  double histogram_half_life = 2016.0;  // samples (a week at 5 minutes)
};

// Degenerate input, as the engine sees it:
//   * before the first successful Refit (cold start), and when the path is stale (more than
//     7 seasons, or 4 paths without a season, since the refit), answers come from the decaying
//     histogram of the samples seen: its median with percentile bounds widened by 1 + 2/√n;
//     with no sample at all, {0, 0, 0} and model_name() "none";
//   * NaN/±Inf samples are skipped (time still advances, so a gap keeps the season's phase);
//   * a sample at or before the previous sample's time (duplicate, out of order) is ignored;
//   * gaps: the step index follows the timestamps, so after a gap the path is read at the right
//     phase and the correction decays as if the missing steps had no news;
//   * Refit with an empty or all-NaN history fails (kInvalidArgument) and keeps the old state;
//     one sample or a constant history serve a constant path (zero-width bands when constant);
//     a history shorter than a season is fitted without a season.
// Not thread-safe; owned by one shard.
class OnlineForecaster {
 public:
  explicit OnlineForecaster(OnlineForecasterOptions options = {});

  // One sample. O(1) (the histogram's 32 bins are a constant).
  void Update(TimestampMs t, double v);
  // Re-selects and refits on `history` (equally spaced by step_ms, NaN = missing, the last element
  // at last_time_ms). Cost grows linearly with history (≈ 20–40 ms for 14 days of 5-min data).
  // `extra` global models (a trained LSTM: lstm.h) join the backtest and serve only where they
  // win it; they are shared, not copied (no per-series state).
  // Refits between cold ones are warm (WarmStart, selector.h: about 0.5 KiB per series): each
  // candidate keeps its last structure (ARIMA order, ETS variant) and starts its parameter search
  // from its last fit, with a smaller budget. The first refit, every 4th after a cold one (once a
  // day at the engine's 6 h), and any refit whose candidate list changed (another season) are
  // cold. The warm parameters are not part of any persisted state: after a restart the first
  // refit is cold again.
  Result<void> Refit(std::span<const double> history, TimestampMs last_time_ms, DurationMs step_ms,
                     std::span<const std::shared_ptr<PointModel>> extra = {});

  // One step after the newest sample, at the configured level.
  ForecastPoint Next() const;
  // Steps 1..horizon after the newest sample at `level` in (0, 1).
  std::vector<ForecastPoint> Forecast(std::size_t horizon, double level) const;
  // Steps 1..horizon at each of `levels` in one pass: (*out)[i * horizon + h] is exactly what
  // Forecast(horizon, levels[i])[h] returns (same arithmetic, bit for bit), but the path, the
  // correction's decay and the band interpolation are computed once per step, not per level.
  // `out` is resized; its storage is reused across calls.
  void ForecastLevels(std::size_t horizon, std::span<const double> levels,
                      std::vector<ForecastPoint>* out) const;

  // The serving model ("histogram" when cold or stale, "none" before any sample).
  const std::string& model_name() const;
  // Backtest MAE of the serving model relative to the in-sample seasonal-naive MAE (MASE-like;
  // < 1 beats seasonal naive). 0 when cold.
  double backtest_error() const { return backtest_relative_; }
  bool fitted() const { return fitted_; }
  std::size_t season() const { return season_; }
  // Bytes of state held for this series (object plus heap).
  std::size_t StateBytes() const;

 private:
  bool Stale() const;
  double PathAt(std::int64_t step) const;  // step >= 1 after the refit origin
  ForecastPoint Step(std::int64_t ahead, double level) const;
  // Anchor steps of the bands (1, 2, 4, … up to the path length, plus the length): at most
  // 11 for the 512-step path, so they live on the stack.
  struct AnchorSteps {
    std::array<std::size_t, 16> at{};
    std::size_t size = 0;
  };
  AnchorSteps PathAnchors() const;
  // The mean and the band offsets (series units, at the configured level) `ahead` steps after
  // the newest sample; the model must not be stale.
  struct StepBase {
    double mean, lo, hi;
  };
  StepBase BaseAt(std::int64_t ahead, const AnchorSteps& anchors) const;
  // Band multiplier for `level` (1 at the configured level).
  double LevelFactor(double level) const;

  OnlineForecasterOptions options_;
  DecayingHistogram histogram_;
  bool fitted_ = false;
  std::uint16_t season_ = 0;
  std::vector<std::uint16_t> path_;  // quantised mean path, steps 1..path_.size() after origin
  double path_lo_ = 0.0, path_step_ = 0.0;
  double scale_ = 1.0;                    // series scale at refit (max |y|): bands are in its units
  std::vector<float> band_lo_, band_hi_;  // error quantiles / scale_ at anchor steps 1, 2, 4, …
  float rho_ = 0.0F;                      // persistence of the deviation from the path
  double correction_ = 0.0;               // last (sample − path) deviation
  TimestampMs origin_ms_ = 0;             // time of the refit origin
  DurationMs step_ms_ = 0;
  std::int64_t last_step_ = 0;        // newest sample's step index after the origin
  std::int64_t correction_step_ = 0;  // step at which correction_ was measured
  bool has_sample_ = false;
  TimestampMs last_time_ms_ = 0;
  double backtest_relative_ = 0.0;
  std::string model_name_ = "none";
  WarmStart warm_;  // the candidates' fitted parameters at the last refit
};

// Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9).
double InverseNormalCdf(double p);

}  // namespace prognos::signal
