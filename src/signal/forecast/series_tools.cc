#include "signal/forecast/series_tools.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <unsupported/Eigen/FFT>

namespace prognos::signal {

std::vector<double> CleanSeries(std::span<const double> raw) {
  std::vector<double> out;
  std::size_t first = 0;
  while (first < raw.size() && !std::isfinite(raw[first])) ++first;
  if (first == raw.size()) return out;
  out.reserve(raw.size() - first);
  std::size_t last_finite = first;
  out.push_back(raw[first]);
  for (std::size_t i = first + 1; i < raw.size(); ++i) {
    if (!std::isfinite(raw[i])) continue;
    const std::size_t gap = i - last_finite;
    // Interpolate the missing points between last_finite and i.
    for (std::size_t k = 1; k < gap; ++k) {
      const double w = static_cast<double>(k) / static_cast<double>(gap);
      out.push_back(raw[last_finite] * (1.0 - w) + raw[i] * w);
    }
    out.push_back(raw[i]);
    last_finite = i;
  }
  for (std::size_t i = last_finite + 1; i < raw.size(); ++i) out.push_back(raw[last_finite]);
  return out;
}

double SeriesScale(std::span<const double> y) {
  double m = 0.0;
  for (double v : y) m = std::max(m, std::abs(v));
  return (m > 0.0 && std::isfinite(m)) ? m : 1.0;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  q = std::clamp(q, 0.0, 1.0);
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double a = v[lo];
  if (hi == lo) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return a + (pos - static_cast<double>(lo)) * (b - a);
}

double Median(std::vector<double> v) { return Quantile(std::move(v), 0.5); }

std::vector<double> Autocorrelation(std::span<const double> y, std::size_t max_lag) {
  const std::size_t n = y.size();
  std::vector<double> r(max_lag + 1, 0.0);
  if (n == 0) return r;
  r[0] = 1.0;
  double mean = 0.0;
  for (double v : y) mean += v;
  mean /= static_cast<double>(n);
  // Zero-pad to a power of two >= 2n so that the circular correlation equals the linear one.
  std::size_t size = 1;
  while (size < 2 * n) size <<= 1;
  // The FFT object keeps its plans (twiddle factors per size, computed the same way each time)
  // and the buffers their capacity from one call to the next on this thread: refits call this
  // for every series with the same few sizes.
  thread_local Eigen::FFT<double> fft;
  thread_local std::vector<double> x, acov;
  thread_local std::vector<std::complex<double>> spectrum;
  x.assign(size, 0.0);
  for (std::size_t i = 0; i < n; ++i) x[i] = y[i] - mean;
  fft.fwd(spectrum, x);
  for (auto& c : spectrum) c = std::complex<double>(std::norm(c), 0.0);
  fft.inv(acov, spectrum);
  const double c0 = acov[0];
  if (!(c0 > 1e-300)) {
    std::fill(r.begin() + 1, r.end(), 0.0);
    return r;
  }
  for (std::size_t k = 1; k <= max_lag && k < n; ++k) r[k] = acov[k] / c0;
  return r;
}

std::size_t DetectSeason(std::span<const double> y, std::span<const std::size_t> preferred) {
  const std::size_t n = y.size();
  if (n < 8) return 0;
  // Remove a least-squares line so that a trend does not masquerade as correlation at all lags.
  const double nd = static_cast<double>(n);
  double st = 0, sy = 0, stt = 0, sty = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i);
    st += t;
    sy += y[i];
    stt += t * t;
    sty += t * y[i];
  }
  const double denom = nd * stt - st * st;
  const double slope = denom != 0 ? (nd * sty - st * sy) / denom : 0.0;
  const double icpt = (sy - slope * st) / nd;
  std::vector<double> z(n);
  for (std::size_t i = 0; i < n; ++i) z[i] = y[i] - icpt - slope * static_cast<double>(i);
  const std::size_t max_lag = n / 2;
  const std::vector<double> r = Autocorrelation(z, max_lag + 1);
  std::vector<double> smooth(r.size(), 0.0);
  for (std::size_t k = 1; k + 1 < r.size(); ++k) smooth[k] = (r[k - 1] + r[k] + r[k + 1]) / 3.0;

  std::vector<char> qualifies(max_lag + 1, 0);
  double running_min = 1.0;
  for (std::size_t k = 1; k < 3 && k <= max_lag; ++k) running_min = std::min(running_min, r[k]);
  for (std::size_t k = 3; k < max_lag; ++k) {
    running_min = std::min(running_min, r[k]);
    const bool peak = smooth[k] >= smooth[k - 1] && smooth[k] >= smooth[k + 1];
    if (peak && r[k] >= 0.1 && r[k] - running_min >= 0.1) qualifies[k] = 1;
  }
  std::size_t best = 0;
  for (std::size_t k = 3; k < max_lag; ++k) {
    if (qualifies[k] && (best == 0 || r[k] > r[best])) best = k;
  }
  // A period implied by the sampling interval (a day, a week) wins when the ACF near it (±10 %)
  // has a qualifying peak at least half as high as the best peak anywhere: daily cycles of real
  // load drift by a few steps, and a known calendar period generalises better than an odd lag.
  for (std::size_t p : preferred) {
    if (p < 3 || p >= max_lag) continue;
    const auto lo = static_cast<std::size_t>(0.9 * static_cast<double>(p));
    const auto hi = std::min(max_lag - 1, static_cast<std::size_t>(1.1 * static_cast<double>(p)));
    double peak = -1.0;
    for (std::size_t k = lo; k <= hi; ++k) {
      if (qualifies[k]) peak = std::max(peak, r[k]);
    }
    if (peak >= 0.1 && (best == 0 || peak >= 0.5 * r[best])) return p;
  }
  if (best == 0) return 0;
  // Prefer the fundamental period over its multiples.
  for (std::size_t j = 7; j >= 2; --j) {
    const double target = static_cast<double>(best) / static_cast<double>(j);
    const auto lo = static_cast<std::size_t>(std::max(3.0, std::floor(target * 0.97)));
    const auto hi = static_cast<std::size_t>(std::ceil(target * 1.03));
    std::size_t cand = 0;
    for (std::size_t k = lo; k <= hi && k < max_lag; ++k) {
      if (qualifies[k] && (cand == 0 || r[k] > r[cand])) cand = k;
    }
    if (cand != 0 && r[cand] >= 0.85 * r[best]) {
      best = cand;
      break;
    }
  }
  return best;
}

}  // namespace prognos::signal
