// Exponential smoothing (Holt-Winters) with additive or damped trend and additive or
// multiplicative season, parameters by least squares (Nelder-Mead on the one-step SSE), and an
// automatic variant chosen by AICc. The recursions are statsmodels' ExponentialSmoothing ones, so
// fits can be checked against Debian's python3-statsmodels.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "signal/forecast/forecast_types.h"

namespace prognos::signal {

enum class EtsTrend { kNone, kAdditive, kDamped };
enum class EtsSeason { kNone, kAdditive, kMultiplicative };

struct EtsSpec {
  EtsTrend trend = EtsTrend::kDamped;
  EtsSeason season = EtsSeason::kAdditive;
  std::size_t period = 0;  // m; a season needs m >= 2
};

struct EtsParams {
  double alpha = 0.3;  // level smoothing, [0, 1]
  double beta = 0.0;   // trend smoothing, [0, alpha]
  double gamma = 0.0;  // season smoothing, [0, 1 - alpha]
  double phi = 1.0;    // trend damping, [0.8, 0.998] when damped, else 1
};

// Initial states l0, b0 and s[0..m) (s[i] pairs with y[i]). The heuristic, for n >= 2m, uses the
// J = min(n/m, 14) complete seasons: with a_j the mean of season j,
//   l0 = a_0;  b0 = (a_{J−1} − a_0) / ((J − 1) m);  s_i = mean_j (y_{jm+i} − a_j)
// (ratios y / a_j for a multiplicative season). Averaging every season rather than the first two
// matters because a small fitted γ keeps the initial season for the whole series.
// Without a season: l0 = y_0, b0 = (mean of y[k..2k) − mean of y[0..k)) / k with k = min(n/2, 10).
struct EtsState {
  double level = 0.0;
  double trend = 0.0;
  std::vector<double> season;  // season[0] is the factor of the next observation
};
EtsState EtsHeuristicInit(std::span<const double> y, const EtsSpec& spec);

// Runs the recursions over y from `init` (statsmodels' holt_win_* forms):
//   ŷ_t = l + φb + s            (additive season; × s for multiplicative)
//   l'  = α(y − s) + (1 − α)(l + φb)             [α y / s + … for multiplicative]
//   b'  = β(l' − l) + (1 − β)φb
//   s'  = γ(y − l − φb) + (1 − γ)s               [γ y / (l + φb) + … for multiplicative]
// With an additive season (or none) this runs as the equal error-correction form, with
// e = y − ŷ:  l' = l + φb + αe,  b' = φb + αβe,  s' = s + γe  (expand statsmodels' forms:
// l' = α(y − s) + (1 − α)(l + φb) = l + φb + αe; b' = β(l' − l) + (1 − β)φb = φb + αβe;
// s' = γ(y − l − φb) + (1 − γ)s = s + γe): a shorter loop-carried chain, same values up to
// rounding.
// Returns the state after the last observation and adds the one-step squared errors to *sse
// (non-finite when the recursion diverges).
EtsState EtsFilter(std::span<const double> y, const EtsSpec& spec, const EtsParams& p,
                   EtsState init, double* sse);

// h-step mean from a state: l + (φ + … + φ^h) b, plus/times the season of that step.
void EtsForecastFromState(const EtsState& state, const EtsSpec& spec, const EtsParams& p,
                          std::span<double> out);

// A fitted Holt-Winters model of one fixed spec.
class EtsModel final : public PointModel {
 public:
  explicit EtsModel(EtsSpec spec) : spec_(spec) {}
  std::string Name() const override;
  Result<void> Fit(std::span<const double> y) override;
  // Fit with given initial states (only α, β, γ, φ are estimated).
  Result<void> FitFrom(std::span<const double> y, const EtsState& init);
  void Forecast(std::span<const double> history, std::span<double> out) const override;
  std::size_t MinLength() const override;
  // Warm start: the fitted (α, β, γ, φ) in the optimiser's unconstrained coding. A warm Fit runs
  // one Nelder-Mead start from them (edge 0.3, 40 evaluations) instead of the fixed starts
  // (α = 0.2 and 0.7, edge 1, 100–150 evaluations each): refits every few hours on a history
  // that moved by a few percent land close to the last optimum. The result is never worse on the
  // one-step SSE than the warm parameters themselves (Nelder-Mead keeps its best vertex).
  std::vector<double> WarmParams() const override;
  void SetWarmStart(std::span<const double> params) override {
    warm_.assign(params.begin(), params.end());
  }

  const EtsSpec& spec() const { return spec_; }
  const EtsParams& params() const { return params_; }
  double sse() const { return sse_; }
  // AICc of the last fit: n log(SSE/n) + 2k + 2k(k+1)/(n−k−1), k = smoothing parameters +
  // initial states (1 level, 1 trend, m seasonal).
  double aicc() const { return aicc_; }
  // Fits with the given parameters held fixed (used by tests and by the selector's refit).
  void SetParams(const EtsParams& p) { params_ = p; }
  // One Nelder-Mead start (α = 0.2) instead of two (α = 0.2 and 0.7): half the cost.
  void set_single_start(bool single) { single_start_ = single; }
  // Fit on the last `points` of the series only (0 = all); Forecast aligns histories to it.
  void set_fit_window(std::size_t points) { window_ = points; }

 private:
  EtsSpec spec_;
  EtsParams params_;
  bool single_start_ = false;
  std::vector<double> warm_;  // SetWarmStart's hint, used by the next Fit when its size matches
  std::size_t window_ = 0;
  std::size_t window_offset_ = 0;
  // End of the fitted series: Forecast on a history that extends it (same length-th value and
  // first value, as in a rolling backtest) resumes the recursions from fit_state_ instead of
  // re-running them from the start — O(new points) per origin instead of O(n).
  EtsState fit_state_;
  std::size_t fit_len_ = 0;
  double fit_first_ = 0.0, fit_last_ = 0.0;
  double sse_ = 0.0;
  double aicc_ = 0.0;
};

// Fits the candidate specs (damped/none trend × additive/multiplicative/no season when the
// series allows) and keeps the lowest AICc. Multiplicative seasons need y > 0 and are skipped
// when !multiplicative (the backtest selector's cheaper set).
class AutoEtsModel final : public PointModel {
 public:
  // multiplicative = false is the backtest selector's cheaper set: no multiplicative season, one
  // optimiser start per variant.
  explicit AutoEtsModel(std::size_t period, bool multiplicative = true)
      : period_(period), multiplicative_(multiplicative), best_(EtsSpec{}) {}
  std::string Name() const override { return "ets(" + best_.Name() + ")"; }
  Result<void> Fit(std::span<const double> y) override;
  // The winner was fitted on the last points of the series (see Fit): histories are aligned to
  // that window so that its recursions resume where the fit ended.
  void Forecast(std::span<const double> history, std::span<double> out) const override {
    best_.Forecast(history.size() > offset_ ? history.subspan(offset_) : history, out);
  }
  std::size_t MinLength() const override { return 4; }
  // Warm start: [variant count, index of the winning variant, then per variant its parameter
  // count and EtsModel::WarmParams (count 0 when it was not fitted)]. A warm Fit fits only the
  // hint's winning variant, warm-started (no AICc comparison: the next cold fit redoes it); it
  // falls back to the cold fit of every variant when that one fails. A hint for another variant
  // list is ignored.
  std::vector<double> WarmParams() const override { return warm_out_; }
  void SetWarmStart(std::span<const double> params) override {
    warm_in_.assign(params.begin(), params.end());
  }
  std::string WarmKey() const override {
    return "ets/" + std::to_string(period_) + (multiplicative_ ? "/mul" : "");
  }
  const EtsModel& best() const { return best_; }

 private:
  std::size_t period_;
  bool multiplicative_;
  std::vector<double> warm_in_, warm_out_;
  std::size_t offset_ = 0;  // index in the fitted series where the fit window starts
  EtsModel best_;
};

}  // namespace prognos::signal
