#include "signal/forecast/arima.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/check.h"
#include "signal/forecast/optimize.h"
#include "signal/forecast/series_tools.h"

namespace prognos::signal {
namespace {

std::vector<double> Difference(std::span<const double> y, int d) {
  std::vector<double> w(y.begin(), y.end());
  for (int k = 0; k < d && !w.empty(); ++k) {
    for (std::size_t i = w.size() - 1; i > 0; --i) w[i] -= w[i - 1];
    w.erase(w.begin());
  }
  return w;
}

// Ordinary least squares via the normal equations (k ≤ kMaxColumns columns, so this is cheap
// and stable enough after a small ridge); rows are produced by `row(t, x)` for t in [t0, n).
// The sums are accumulated in plain arrays, term for term what Eigen's per-row
// selfadjointView<Lower>().rankUpdate(x) and xty += x · target[t] add (x_i · x_j into the lower
// triangle, in row order), so they are bit-identical, without Eigen's per-row dispatch on
// dynamic sizes; Eigen solves.
constexpr std::size_t kMaxColumns = 16;

template <typename RowFn>
Eigen::VectorXd LeastSquares(std::size_t t0, std::size_t n, std::size_t k,
                             std::span<const double> target, RowFn row) {
  PROGNOS_CHECK(k <= kMaxColumns);
  double a[kMaxColumns][kMaxColumns] = {};  // a[j][i], j >= i: lower triangle
  double b[kMaxColumns] = {};
  double x[kMaxColumns] = {};
  for (std::size_t t = t0; t < n; ++t) {
    row(t, x);
    for (std::size_t i = 0; i < k; ++i) {
      const double xi = x[i];
      for (std::size_t j = i; j < k; ++j) a[j][i] += xi * x[j];
    }
    const double y = target[t];
    for (std::size_t i = 0; i < k; ++i) b[i] += x[i] * y;
  }
  const auto kk = static_cast<Eigen::Index>(k);
  Eigen::MatrixXd xtx(kk, kk);
  Eigen::VectorXd xty(kk);
  for (std::size_t i = 0; i < k; ++i) {
    xty(static_cast<Eigen::Index>(i)) = b[i];
    for (std::size_t j = i; j < k; ++j) {
      xtx(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(i)) = a[j][i];
      xtx(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = a[j][i];
    }
  }
  const double ridge =
      1e-9 * (xtx.trace() / static_cast<double>(std::max<std::size_t>(k, 1)) + 1e-12);
  xtx.diagonal().array() += ridge;
  return xtx.ldlt().solve(xty);
}

double Aicc(double css, std::size_t n_eff, int k) {
  const double n = static_cast<double>(n_eff);
  const double kk = static_cast<double>(k);
  if (n - kk - 1.0 <= 0 || !std::isfinite(css)) return std::numeric_limits<double>::infinity();
  return n * std::log(std::max(css / n, 1e-300)) + 2.0 * kk +
         2.0 * kk * (kk + 1.0) / (n - kk - 1.0);
}

}  // namespace

bool IsStationary(std::span<const double> ar) {
  // Step-down (reverse Durbin-Levinson) recursion: the AR polynomial is stationary iff every
  // partial autocorrelation r_k it implies has |r_k| < 1. O(p²), no eigen-decomposition:
  //   φ^(k−1)_j = (φ^(k)_j + r_k φ^(k)_{k−j}) / (1 − r_k²),  r_k = φ^(k)_k.
  constexpr double kMargin = 0.998;
  double a[16];
  const std::size_t p = ar.size();
  if (p > 16) return false;
  for (std::size_t i = 0; i < p; ++i) a[i] = ar[i];
  for (std::size_t k = p; k >= 1; --k) {
    const double r = a[k - 1];
    if (!(std::abs(r) < kMargin)) return false;
    double b[16];
    const double denom = 1.0 - r * r;
    for (std::size_t j = 1; j < k; ++j) b[j - 1] = (a[j - 1] + r * a[k - j - 1]) / denom;
    for (std::size_t j = 1; j < k; ++j) a[j - 1] = b[j - 1];
  }
  return true;
}

namespace {

// ArmaCss without the residual vector, for orders known at compile time (the order search's
// p ≤ 3, q ≤ 2): the last Q residuals live in registers. The arithmetic is the generic loop's,
// term for term and in the same order (a residual before t = p is 0 there and adds +0.0 here),
// so the sums are bit-identical.
template <std::size_t P, std::size_t Q>
double ArmaCssFixed(std::span<const double> w, const ArimaFit& fit, double* last_e = nullptr) {
  const std::size_t n = w.size();
  double phi[P > 0 ? P : 1], theta[Q > 0 ? Q : 1], e[Q > 0 ? Q : 1] = {};  // e[j] = e_{t−1−j}
  for (std::size_t i = 0; i < P; ++i) phi[i] = fit.ar[i];
  for (std::size_t j = 0; j < Q; ++j) theta[j] = fit.ma[j];
  const double mean = fit.mean;
  double css = 0.0;
  for (std::size_t t = P; t < n; ++t) {
    double pred = mean;
    for (std::size_t i = 0; i < P; ++i) pred += phi[i] * (w[t - 1 - i] - mean);
    for (std::size_t j = 0; j < Q; ++j) pred += theta[j] * e[j];
    const double et = w[t] - pred;
    for (std::size_t j = Q; j-- > 1;) e[j] = e[j - 1];
    if constexpr (Q > 0) e[0] = et;
    css += et * et;
  }
  // The newest Q residuals, e_{n−1} first (0 where t < P, as the generic loop leaves them).
  if (last_e != nullptr) {
    for (std::size_t j = 0; j < Q; ++j) last_e[j] = e[j];
  }
  return css;
}

template <std::size_t P>
double ArmaCssFixedP(std::span<const double> w, const ArimaFit& fit, double* last_e = nullptr) {
  switch (fit.ma.size()) {
    case 0:
      return ArmaCssFixed<P, 0>(w, fit, last_e);
    case 1:
      return ArmaCssFixed<P, 1>(w, fit, last_e);
    default:
      return ArmaCssFixed<P, 2>(w, fit, last_e);
  }
}

// ArmaCss's residuals for p ≤ 3, q ≤ 2, keeping only the newest q (what a forecast reads).
void ArmaLastResiduals(std::span<const double> w, const ArimaFit& fit, double* last_e) {
  switch (fit.ar.size()) {
    case 0:
      ArmaCssFixedP<0>(w, fit, last_e);
      break;
    case 1:
      ArmaCssFixedP<1>(w, fit, last_e);
      break;
    case 2:
      ArmaCssFixedP<2>(w, fit, last_e);
      break;
    default:
      ArmaCssFixedP<3>(w, fit, last_e);
      break;
  }
}

}  // namespace

double ArmaCss(std::span<const double> w, const ArimaFit& fit, std::vector<double>* residuals) {
  const std::size_t p = fit.ar.size(), q = fit.ma.size(), n = w.size();
  if (residuals == nullptr && p <= 3 && q <= 2) {
    double css = 0.0;
    switch (p) {
      case 0:
        css = ArmaCssFixedP<0>(w, fit);
        break;
      case 1:
        css = ArmaCssFixedP<1>(w, fit);
        break;
      case 2:
        css = ArmaCssFixedP<2>(w, fit);
        break;
      default:
        css = ArmaCssFixedP<3>(w, fit);
        break;
    }
    return std::isfinite(css) ? css : std::numeric_limits<double>::infinity();
  }
  std::vector<double> local;
  std::vector<double>& e = residuals != nullptr ? *residuals : local;
  e.assign(n, 0.0);
  double css = 0.0;
  for (std::size_t t = p; t < n; ++t) {
    double pred = fit.mean;
    for (std::size_t i = 0; i < p; ++i) pred += fit.ar[i] * (w[t - 1 - i] - fit.mean);
    for (std::size_t j = 0; j < q && j < t; ++j) pred += fit.ma[j] * e[t - 1 - j];
    e[t] = w[t] - pred;
    css += e[t] * e[t];
  }
  return std::isfinite(css) ? css : std::numeric_limits<double>::infinity();
}

namespace {

// What every order fitted at the same d shares: the differenced, mean-removed series and the
// Hannan-Rissanen innovations from one long autoregression (computed once for a whole order
// search instead of once per order).
struct Prepared {
  std::vector<double> w;  // differenced series
  std::vector<double> z;  // w − mean
  double mean = 0.0;
  bool with_mean = true;
  std::vector<double> innov;  // long-AR residuals (0 before long_p)
  std::size_t long_p = 0;
};

Prepared Prepare(std::span<const double> y, int d) {
  Prepared pr;
  pr.w = Difference(y, d);
  pr.with_mean = d == 0;
  const std::size_t n = pr.w.size();
  if (pr.with_mean && n > 0) {
    for (double v : pr.w) pr.mean += v;
    pr.mean /= static_cast<double>(n);
  }
  pr.z.resize(n);
  for (std::size_t t = 0; t < n; ++t) pr.z[t] = pr.w[t] - pr.mean;
  pr.innov.assign(n, 0.0);
  pr.long_p = std::min<std::size_t>(10, n / 5);
  if (pr.long_p >= 1) {
    const std::size_t lp = pr.long_p;
    const Eigen::VectorXd a = LeastSquares(lp, n, lp, pr.z, [&](std::size_t t, double* x) {
      for (std::size_t i = 0; i < lp; ++i) x[i] = pr.z[t - 1 - i];
    });
    for (std::size_t t = lp; t < n; ++t) {
      double pred = 0.0;
      for (std::size_t i = 0; i < lp; ++i)
        pred += a(static_cast<Eigen::Index>(i)) * pr.z[t - 1 - i];
      pr.innov[t] = pr.z[t] - pred;
    }
  }
  return pr;
}

Result<ArimaFit> FitPrepared(const Prepared& pr, ArimaOrder order, bool refine,
                             std::size_t refine_window, std::span<const double> warm = {});

}  // namespace

Result<ArimaFit> FitArima(std::span<const double> y, ArimaOrder order, bool refine) {
  return FitPrepared(Prepare(y, order.d), order, refine, 0);
}

namespace {

Result<ArimaFit> FitPrepared(const Prepared& pr, ArimaOrder order, bool refine,
                             std::size_t refine_window, std::span<const double> warm) {
  const std::vector<double>& w = pr.w;
  const std::vector<double>& z = pr.z;
  const auto p = static_cast<std::size_t>(order.p), q = static_cast<std::size_t>(order.q);
  const std::size_t n = w.size();
  if (n < 3 * (p + q + 1) + 10 || (q > 0 && pr.long_p < p + q)) {
    return MakeError(ErrorCode::kInvalidArgument, "arima: series too short for the order");
  }
  ArimaFit fit;
  fit.order = order;
  fit.with_mean = pr.with_mean;
  fit.mean = pr.mean;
  const std::vector<double>& innov = pr.innov;
  const std::size_t start = q > 0 ? pr.long_p + std::max(p, q) : p;
  // Hannan-Rissanen step 2: z_t on its own lags and the lagged long-AR innovations.
  if (p + q > 0) {
    const Eigen::VectorXd b = LeastSquares(start, n, p + q, z, [&](std::size_t t, double* x) {
      for (std::size_t i = 0; i < p; ++i) x[i] = z[t - 1 - i];
      for (std::size_t j = 0; j < q; ++j) x[p + j] = innov[t - 1 - j];
    });
    fit.ar.resize(p);
    fit.ma.resize(q);
    for (std::size_t i = 0; i < p; ++i) fit.ar[i] = b(static_cast<Eigen::Index>(i));
    for (std::size_t j = 0; j < q; ++j) fit.ma[j] = b(static_cast<Eigen::Index>(p + j));
  }
  // Pull an explosive or non-invertible start back inside the admissible region.
  // Invertibility of the MA part: stationarity of −θ, negated on the stack (the refinement's
  // objective asks at every evaluation).
  auto invertible = [](const std::vector<double>& ma) {
    double m[16];
    if (ma.size() > 16) return false;  // IsStationary's own limit
    for (std::size_t j = 0; j < ma.size(); ++j) m[j] = -ma[j];
    return IsStationary(std::span<const double>(m, ma.size()));
  };
  for (int k = 0; k < 50 && !IsStationary(fit.ar); ++k) {
    for (double& a : fit.ar) a *= 0.9;
  }
  for (int k = 0; k < 50 && !invertible(fit.ma); ++k) {
    for (double& m : fit.ma) m *= 0.9;
  }
  double css = ArmaCss(w, fit, nullptr);
  // Pure AR: Hannan-Rissanen's least squares already minimises the CSS (given the sample mean).
  if (refine && q > 0) {
    // CSS refinement of (μ, φ, θ); inadmissible points score +∞.
    std::vector<double> x0;
    if (fit.with_mean) x0.push_back(fit.mean);
    x0.insert(x0.end(), fit.ar.begin(), fit.ar.end());
    x0.insert(x0.end(), fit.ma.begin(), fit.ma.end());
    ArimaFit trial = fit;
    // With a refine_window the refinement runs on the last points only: the HR start is already
    // close, and this bounds its cost (evaluations × points) whatever the history.
    const std::span<const double> tail = std::span<const double>(w).subspan(
        refine_window > 0 && w.size() > refine_window ? w.size() - refine_window : 0);
    const double start_css = ArmaCss(tail, fit, nullptr);
    auto unpack = [&](const std::vector<double>& x) {
      std::size_t i = 0;
      if (trial.with_mean) trial.mean = x[i++];
      for (std::size_t k = 0; k < p; ++k) trial.ar[k] = x[i++];
      for (std::size_t k = 0; k < q; ++k) trial.ma[k] = x[i++];
    };
    auto objective = [&](const std::vector<double>& x) {
      unpack(x);
      if (!IsStationary(trial.ar) || !invertible(trial.ma)) {
        return std::numeric_limits<double>::infinity();
      }
      return ArmaCss(tail, trial, nullptr);
    };
    // Warm start: the earlier fit's φ, θ for the same order (the mean is this series' own: the
    // history's scale may have changed), when admissible and better than Hannan-Rissanen's.
    const bool warm_match = warm.size() == 3 + p + q && warm[0] == static_cast<double>(order.p) &&
                            warm[1] == static_cast<double>(order.d) &&
                            warm[2] == static_cast<double>(order.q);
    if (warm_match) {
      std::vector<double> xw;
      if (fit.with_mean) xw.push_back(fit.mean);
      xw.insert(xw.end(), warm.begin() + 3, warm.end());
      if (objective(xw) < start_css) x0 = std::move(xw);
    }
    NelderMeadOptions opt;
    opt.max_evaluations = (warm_match ? 10 : 30) * static_cast<int>(x0.size());
    opt.initial_step = 0.05;
    opt.tolerance = 1e-10;
    const NelderMeadResult r = NelderMead(objective, x0, opt);
    if (r.value < start_css) {
      unpack(r.x);
      fit = trial;
      css = ArmaCss(w, fit, nullptr);
    }
  }
  const std::size_t n_eff = n - p;
  fit.sigma2 = css / static_cast<double>(std::max<std::size_t>(n_eff, 1));
  fit.aicc = Aicc(css, n_eff, static_cast<int>(p + q + (fit.with_mean ? 1 : 0) + 1));
  return fit;
}

}  // namespace

double KpssStatistic(std::span<const double> y) {
  const std::size_t n = y.size();
  if (n < 4) return 0.0;
  double mean = 0.0;
  for (double v : y) mean += v;
  mean /= static_cast<double>(n);
  double partial = 0.0, sum_s2 = 0.0, gamma0 = 0.0;
  for (double v : y) {
    partial += v - mean;
    sum_s2 += partial * partial;
    gamma0 += (v - mean) * (v - mean);
  }
  const auto lags = static_cast<std::size_t>(3.0 * std::sqrt(static_cast<double>(n)) / 13.0);
  double lrv = gamma0;
  for (std::size_t s = 1; s <= lags && s < n; ++s) {
    double g = 0.0;
    for (std::size_t t = s; t < n; ++t) g += (y[t] - mean) * (y[t - s] - mean);
    lrv += 2.0 * (1.0 - static_cast<double>(s) / static_cast<double>(lags + 1)) * g;
  }
  lrv /= static_cast<double>(n);
  if (!(lrv > 1e-300)) return 0.0;
  return sum_s2 / (static_cast<double>(n) * static_cast<double>(n) * lrv);
}

std::vector<double> ArimaWarmParams(const ArimaFit& fit) {
  if (fit.ar.size() != static_cast<std::size_t>(fit.order.p) ||
      fit.ma.size() != static_cast<std::size_t>(fit.order.q)) {
    return {};  // not fitted
  }
  std::vector<double> w{static_cast<double>(fit.order.p), static_cast<double>(fit.order.d),
                        static_cast<double>(fit.order.q)};
  w.insert(w.end(), fit.ar.begin(), fit.ar.end());
  w.insert(w.end(), fit.ma.begin(), fit.ma.end());
  return w;
}

Result<ArimaFit> AutoArima(std::span<const double> y, std::span<const double> warm) {
  if (warm.size() >= 3) {
    // Warm: the hint's order, without the KPSS test and the order search.
    const ArimaOrder order{static_cast<int>(warm[0]), static_cast<int>(warm[1]),
                           static_cast<int>(warm[2])};
    if (order.p >= 0 && order.p <= 3 && order.q >= 0 && order.q <= 2 && order.d >= 0 &&
        order.d <= 1 &&
        warm.size() == 3 + static_cast<std::size_t>(order.p) + static_cast<std::size_t>(order.q)) {
      Result<ArimaFit> f = FitPrepared(Prepare(y, order.d), order, true, 1000, warm);
      if (f) return f;
    }
  }
  const int d = KpssStatistic(y) > 0.463 ? 1 : 0;
  const Prepared pr = Prepare(y, d);
  Result<ArimaFit> best = MakeError(ErrorCode::kInvalidArgument, "arima: series too short");
  for (int p = 0; p <= 3; ++p) {
    for (int q = 0; q <= 2; ++q) {
      Result<ArimaFit> f = FitPrepared(pr, ArimaOrder{p, d, q}, false, 0);
      if (f && (!best || f->aicc < best->aicc)) best = std::move(f);
    }
  }
  if (!best) return best;
  return FitPrepared(pr, best->order, true, 1000, warm);
}

void ArimaForecast(const ArimaFit& fit, std::span<const double> y, std::span<double> out) {
  if (y.empty()) {
    std::fill(out.begin(), out.end(), 0.0);
    return;
  }
  const std::vector<double> w = Difference(y, fit.order.d);
  const std::size_t p = fit.ar.size(), q = fit.ma.size(), n = w.size();
  const std::size_t hn = out.size();
  // w's newest p values followed by the forecasts (wt[p + h] = step h), and the newest q
  // residuals followed by the future shocks (zero): the only history the recursion reads.
  // For the orders the search fits (p ≤ 3, q ≤ 2) on a series longer than both, the residuals
  // come from the fixed-order loop without a residual vector; otherwise from the generic one.
  // Either way the terms and their order are those of extending whole copies of w and e.
  thread_local std::vector<double> wt, et, e;
  const std::size_t pw = std::min(p, n), qe = std::min(q, n);
  wt.assign(pw + hn, 0.0);
  et.assign(qe + hn, 0.0);
  for (std::size_t k = 0; k < pw; ++k) wt[k] = w[n - pw + k];
  if (p <= 3 && q <= 2 && n > std::max(p, q)) {
    double last_e[2] = {};
    ArmaLastResiduals(w, fit, last_e);
    for (std::size_t k = 0; k < qe; ++k) et[k] = last_e[qe - 1 - k];
  } else {
    ArmaCss(w, fit, &e);
    for (std::size_t k = 0; k < qe; ++k) et[k] = e[n - qe + k];
  }
  // Forecast step h sits at t = n + h of the extended series; its value t − 1 − i is
  // wt[pw + h − 1 − i], an index ≥ 0 whenever t ≥ i + 1 (likewise et for the residuals).
  for (std::size_t h = 0; h < hn; ++h) {
    const std::size_t t = n + h;
    double pred = fit.mean;
    for (std::size_t i = 0; i < p; ++i)
      pred += fit.ar[i] * ((t >= i + 1 ? wt[pw + h - 1 - i] : fit.mean) - fit.mean);
    for (std::size_t j = 0; j < q; ++j) pred += t >= j + 1 ? fit.ma[j] * et[qe + h - 1 - j] : 0.0;
    wt[pw + h] = pred;
  }
  double last = y.back();
  for (std::size_t h = 0; h < hn; ++h) {
    const double wf = wt[pw + h];
    if (fit.order.d == 1) {
      last += wf;
      out[h] = last;
    } else {
      out[h] = wf;
    }
    if (!std::isfinite(out[h])) out[h] = y.back();
  }
}

double SeasonalProfileAt(std::span<const double> y, std::size_t i, std::size_t m, std::size_t days,
                         std::size_t width) {
  const std::size_t n = y.size();
  if (n == 0) return 0.0;
  if (m < 2) return y.back();
  // First season back that is observed: i − j m ≤ n − 1.
  std::size_t j0 = 1;
  if (i + 1 > n) j0 = (i + 1 - n + m - 1) / m;
  j0 = std::max<std::size_t>(j0, 1);
  double buf[64];
  std::size_t count = 0;
  for (std::size_t j = j0; j < j0 + days && j * m <= i; ++j) {
    const std::size_t c = i - j * m;
    for (std::size_t k = (c >= width ? c - width : 0); k <= c + width && count < 64; ++k) {
      if (k < n) buf[count++] = y[k];
    }
  }
  if (count == 0) return y.back();
  std::nth_element(buf, buf + count / 2, buf + count);
  double med = buf[count / 2];
  if (count % 2 == 0) med = 0.5 * (med + *std::max_element(buf, buf + count / 2));
  return med;
}

std::string AdjustedArimaModel::Name() const {
  const ArimaOrder& o = fit_.order;
  std::string name = "arima(";
  name.append(std::to_string(o.p)).append(",").append(std::to_string(o.d)).append(",");
  name.append(std::to_string(o.q)).append(")");
  if (period_ >= 2) {
    name.append("+profile(m=").append(std::to_string(period_));
    name.append(",k=").append(std::to_string(days_));
    if (width_ > 0) name.append(",w=").append(std::to_string(width_));
    name.append(")");
  }
  return name;
}

std::vector<double> AdjustedArimaModel::Adjusted(std::span<const double> y,
                                                 std::size_t start) const {
  std::vector<double> x;
  x.reserve(y.size() - std::min(start, y.size()));
  for (std::size_t t = start; t < y.size(); ++t) {
    const double prof =
        period_ >= 2 ? SeasonalProfileAt(y.subspan(0, t), t, period_, days_, width_) : 0.0;
    x.push_back(y[t] - prof);
  }
  return x;
}

Result<void> AdjustedArimaModel::Fit(std::span<const double> y) {
  if (y.size() < MinLength()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "arima: series shorter than " + std::to_string(MinLength()) + " points");
  }
  constexpr std::size_t kFitWindow = 1152;  // 4 days of 5-minute points bound the fit cost
  const std::size_t first = period_ >= 2 ? period_ : 0;
  const std::size_t start = std::max(first, y.size() > kFitWindow ? y.size() - kFitWindow : 0);
  const std::vector<double> x = Adjusted(y, start);
  auto f = AutoArima(x, warm_);
  if (!f) return tl::unexpected<Error>(f.error());
  fit_ = *f;
  return Ok();
}

std::size_t AdjustedArimaModel::ForecastStart(std::size_t n) const {
  const bool seasonal = period_ >= 2 && n > period_;
  // The AR part needs only its last p + d values; an MA part needs a residual history.
  const std::size_t need =
      fit_.ma.empty() ? fit_.ar.size() + static_cast<std::size_t>(fit_.order.d) + 1 : 120;
  const std::size_t first = seasonal ? period_ : 0;
  return std::max(first, n > need ? n - need : 0);
}

void AdjustedArimaModel::Forecast(std::span<const double> history, std::span<double> out) const {
  const std::size_t n = history.size();
  if (n == 0) {
    std::fill(out.begin(), out.end(), 0.0);
    return;
  }
  const bool seasonal = period_ >= 2 && n > period_;
  const std::size_t start = ForecastStart(n);
  std::vector<double> x;
  if (seasonal) {
    x = Adjusted(history, start);
  } else {
    x.assign(history.begin() + static_cast<std::ptrdiff_t>(start), history.end());
  }
  if (x.empty()) x.push_back(0.0);
  ArimaForecast(fit_, x, out);
  if (seasonal) {
    for (std::size_t h = 0; h < out.size(); ++h) {
      out[h] += SeasonalProfileAt(history, n + h, period_, days_, width_);
    }
  }
  for (double& v : out) {
    if (!std::isfinite(v)) v = history.back();
  }
}

void AdjustedArimaModel::ForecastOrigins(std::span<const double> y,
                                         std::span<const std::size_t> origins, std::size_t steps,
                                         std::span<double> out) const {
  if (period_ < 2 || origins.empty()) {
    PointModel::ForecastOrigins(y, origins, steps, out);
    return;
  }
  // Adjusted values x_t = y_t − P_t for every t in [lo, hi): the union of the origins' input
  // windows and of the steps they forecast (P_t reads y[0 .. t) only, so one value serves every
  // origin after t).
  std::size_t lo = y.size(), hi = 0;
  for (std::size_t o : origins) {
    if (o <= period_) continue;
    lo = std::min(lo, ForecastStart(o));
    hi = std::max(hi, std::min(y.size(), o + steps));
  }
  std::vector<double> profile(hi > lo ? hi - lo : 0), x(profile.size());
  for (std::size_t t = lo; t < hi; ++t) {
    profile[t - lo] = SeasonalProfileAt(y.first(t), t, period_, days_, width_);
    x[t - lo] = y[t] - profile[t - lo];
  }
  // A forecast step h (0-based) after origin o reads the same points as P_{o+h} when every slot
  // it pools lies before o: o + h − m + width < o.
  const std::size_t same_steps = period_ > width_ ? period_ - width_ : 0;
  for (std::size_t k = 0; k < origins.size(); ++k) {
    const std::size_t o = origins[k];
    const std::span<double> dst = out.subspan(k * steps, steps);
    if (o <= period_) {
      Forecast(y.first(o), dst);
      continue;
    }
    const std::size_t start = ForecastStart(o);
    ArimaForecast(fit_, std::span<const double>(x).subspan(start - lo, o - start), dst);
    for (std::size_t h = 0; h < steps; ++h) {
      dst[h] += (h < same_steps && o + h < hi)
                    ? profile[o + h - lo]
                    : SeasonalProfileAt(y.first(o), o + h, period_, days_, width_);
    }
    for (double& v : dst) {
      if (!std::isfinite(v)) v = y[o - 1];
    }
  }
}

}  // namespace prognos::signal
