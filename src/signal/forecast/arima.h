// ARIMA(p, d, q) with automatic order selection, and its seasonal use without seasonal ARIMA
// (DESIGN.md §5): the series minus a robust seasonal profile is modelled by ARIMA, the profile is
// added back. Estimation is Hannan-Rissanen (long AR, then least squares on lagged values and
// lagged residuals) refined by conditional sum of squares (CSS) with Nelder-Mead.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "signal/forecast/forecast_types.h"

namespace prognos::signal {

struct ArimaOrder {
  int p = 1;
  int d = 0;
  int q = 0;
};

struct ArimaFit {
  ArimaOrder order;
  bool with_mean = true;  // only when d == 0
  double mean = 0.0;
  std::vector<double> ar;  // φ_1..φ_p
  std::vector<double> ma;  // θ_1..θ_q
  double sigma2 = 0.0;     // CSS / effective n
  double aicc = 0.0;
};

// CSS residuals of w (already differenced): e_t = w_t − μ − Σφ_i (w_{t−i} − μ) − Σθ_j e_{t−j},
// starting at t = p with earlier residuals 0. Returns Σ e_t² (infinite when non-finite).
double ArmaCss(std::span<const double> w, const ArimaFit& fit, std::vector<double>* residuals);

// True when all roots of 1 − φ_1 z − … − φ_p z^p lie outside the unit circle: every partial
// autocorrelation implied by φ has magnitude below 0.998 (p ≤ 16).
bool IsStationary(std::span<const double> ar);

// Fits one order: Hannan-Rissanen start, then (if refine) CSS minimisation. Needs at least
// 3 (p + q + d) + 10 points.
Result<ArimaFit> FitArima(std::span<const double> y, ArimaOrder order, bool refine);

// KPSS level-stationarity statistic with a Newey-West long-run variance; > 0.463 rejects
// stationarity at 5 %. Used to choose d ∈ {0, 1}.
double KpssStatistic(std::span<const double> y);

// Order by AICc over p ∈ [0, 3], q ∈ [0, 2] at the d chosen by KPSS (Hannan-Rissanen fits
// sharing one long autoregression); the winner is refined by CSS on its last 1000 points.
// `warm` (ArimaWarmParams of an earlier fit of the same series; may be empty) keeps that fit's
// order: no KPSS test and no order search (the next cold fit redoes them); the refinement starts
// from the better (on the CSS) of the Hannan-Rissanen estimate and the warm φ, θ (with this
// fit's mean) and runs 10 instead of 30 Nelder-Mead evaluations per parameter, so its CSS is
// never above that of either start. A malformed hint, or an order the series is now too short
// for, gives the cold fit.
Result<ArimaFit> AutoArima(std::span<const double> y, std::span<const double> warm = {});

// A fit's warm-start coding for AutoArima: [p, d, q, φ_1..φ_p, θ_1..θ_q]; empty when not fitted.
std::vector<double> ArimaWarmParams(const ArimaFit& fit);

// h-step mean forecast of a fitted model after the series y (future shocks = 0, then
// undifferenced).
void ArimaForecast(const ArimaFit& fit, std::span<const double> y, std::span<double> out);

// Robust seasonal profile: the median of y at the same phase in up to `days` earlier seasons,
// pooled over ±`width` neighbouring slots (so 3 × days values when width = 1). For a target index
// i (possibly beyond y's end) the seasons used are j = ceil((i − (n − 1)) / m) … with i − j m ≥ 0.
double SeasonalProfileAt(std::span<const double> y, std::size_t i, std::size_t m, std::size_t days,
                         std::size_t width);

// ARIMA on the seasonally adjusted series: x_t = y_t − P_t with P the robust profile (m = 0:
// plain ARIMA). Fit uses the last `fit_window` points of x at most.
class AdjustedArimaModel final : public PointModel {
 public:
  AdjustedArimaModel(std::size_t period, std::size_t days, std::size_t width)
      : period_(period), days_(days), width_(width) {}
  std::string Name() const override;
  Result<void> Fit(std::span<const double> y) override;
  void Forecast(std::span<const double> history, std::span<double> out) const override;
  // The profile at t depends on y[0 .. t) only, so the backtest computes it once for every t the
  // origins need instead of once per origin; the forecast steps' profiles reuse it where they
  // read only points before the origin (steps h < m − width). Same numbers as Forecast.
  void ForecastOrigins(std::span<const double> y, std::span<const std::size_t> origins,
                       std::size_t steps, std::span<double> out) const override;
  std::size_t MinLength() const override { return period_ >= 2 ? period_ + 20 : 20; }
  // Warm start of the CSS refinement (AutoArima's `warm`).
  std::vector<double> WarmParams() const override { return ArimaWarmParams(fit_); }
  void SetWarmStart(std::span<const double> params) override {
    warm_.assign(params.begin(), params.end());
  }
  std::string WarmKey() const override {
    return "arima/" + std::to_string(period_) + "/" + std::to_string(days_) + "/" +
           std::to_string(width_);
  }
  const ArimaFit& fit() const { return fit_; }

 private:
  // x_t for t in [start, n).
  std::vector<double> Adjusted(std::span<const double> y, std::size_t start) const;
  // First index of the adjusted series Forecast reads for a history of n points.
  std::size_t ForecastStart(std::size_t n) const;

  std::size_t period_, days_, width_;
  std::vector<double> warm_;
  ArimaFit fit_;
};

}  // namespace prognos::signal
