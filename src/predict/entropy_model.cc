#include "predict/entropy_model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <limits>
#include <numeric>

namespace prognos::predict {
namespace {

double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

// Solves the 3×3 system A x = b by Gaussian elimination with partial pivoting; x = 0 when A is
// singular.
std::array<double, 3> Solve3(std::array<std::array<double, 4>, 3> m) {
  for (int c = 0; c < 3; ++c) {
    int p = c;
    for (int r = c + 1; r < 3; ++r) {
      if (std::abs(m[r][c]) > std::abs(m[p][c])) p = r;
    }
    if (std::abs(m[p][c]) < 1e-12) return {0.0, 0.0, 0.0};
    std::swap(m[c], m[p]);
    for (int r = 0; r < 3; ++r) {
      if (r == c) continue;
      const double f = m[r][c] / m[c][c];
      for (int k = c; k < 4; ++k) m[r][k] -= f * m[c][k];
    }
  }
  return {m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]};
}

}  // namespace

double RocAuc(std::span<const double> scores, std::span<const std::uint8_t> labels) {
  std::vector<std::size_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // Mann-Whitney U with mid-ranks for ties.
  double rank_sum = 0.0;
  std::size_t pos = 0;
  std::size_t i = 0;
  while (i < idx.size()) {
    std::size_t j = i;
    while (j + 1 < idx.size() && scores[idx[j + 1]] == scores[idx[i]]) ++j;
    const double mid = 0.5 * static_cast<double>(i + j) + 1.0;
    for (std::size_t k = i; k <= j; ++k) {
      if (labels[idx[k]] != 0) {
        rank_sum += mid;
        ++pos;
      }
    }
    i = j + 1;
  }
  const std::size_t neg = idx.size() - pos;
  if (pos == 0 || neg == 0) return std::numeric_limits<double>::quiet_NaN();
  const double p = static_cast<double>(pos);
  return (rank_sum - p * (p + 1) / 2) / (p * static_cast<double>(neg));
}

std::vector<std::uint8_t> SpikeEvents(std::span<const double> usage, std::size_t window, double z) {
  std::vector<std::uint8_t> out(usage.size(), 0);
  if (window < 2) return out;
  double s = 0.0, s2 = 0.0;
  std::size_t n = 0;
  bool above_prev = false;
  for (std::size_t t = 0; t < usage.size(); ++t) {
    bool above = false;
    if (n >= window && std::isfinite(usage[t])) {
      const double mean = s / static_cast<double>(n);
      const double var = std::max(0.0, s2 / static_cast<double>(n) - mean * mean);
      above = usage[t] > mean + z * std::sqrt(var) && var > 0;
    }
    if (above && !above_prev) out[t] = 1;
    above_prev = above;
    // The window holds the previous `window` finite values (t included from the next step on).
    if (std::isfinite(usage[t])) {
      s += usage[t];
      s2 += usage[t] * usage[t];
      ++n;
    }
    if (t >= window && std::isfinite(usage[t - window])) {
      s -= usage[t - window];
      s2 -= usage[t - window] * usage[t - window];
      --n;
    }
  }
  return out;
}

EntropyModel::EntropyModel(std::size_t indicators, std::size_t resources)
    : weights_(indicators, indicators > 0 ? 1.0 / static_cast<double>(indicators) : 0.0),
      beta_(indicators, 0.0),
      gamma_(resources, 0.0) {}

Result<EntropyModel> EntropyModel::Fit(std::span<const EntropyHistory> hosts,
                                       const EntropyModelOptions& o) {
  const std::size_t k = o.rise_steps, horizon = o.horizon_steps;
  if (k == 0 || horizon == 0 || o.lead_steps == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "entropy model: steps must be >= 1");
  }
  std::size_t n_ind = 0, n_res = 0;
  bool any = false;
  for (const auto& h : hosts) {
    if (h.entropy.empty()) continue;
    n_ind = std::max(n_ind, h.entropy.size());
    n_res = std::max(n_res, h.usage.size());
    if (h.entropy[0].size() >= k + horizon + 1) any = true;
  }
  if (!any || n_ind == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "entropy model: no host with rise_steps + horizon_steps + 1 steps");
  }
  EntropyModel model(n_ind, n_res);
  model.options_ = o;

  // 1. Weights. Rows: (host, t) with every rise finite and a full lead window after t.
  std::vector<double> x;  // rows × n_ind
  std::vector<double> y;
  for (const auto& h : hosts) {
    if (h.entropy.size() != n_ind || h.event_start.empty()) continue;
    const std::size_t n = h.event_start.size();
    // next_event[t]: the first event start at or after t.
    std::vector<std::size_t> next(n + 1, std::numeric_limits<std::size_t>::max());
    for (std::size_t t = n; t-- > 0;) next[t] = h.event_start[t] != 0 ? t : next[t + 1];
    for (std::size_t t = k; t + o.lead_steps < n; ++t) {
      bool ok = true;
      for (std::size_t i = 0; i < n_ind && ok; ++i) {
        ok = std::isfinite(h.entropy[i][t]) && std::isfinite(h.entropy[i][t - k]);
      }
      if (!ok) continue;
      for (std::size_t i = 0; i < n_ind; ++i) x.push_back(h.entropy[i][t] - h.entropy[i][t - k]);
      y.push_back(next[t + 1] <= t + o.lead_steps ? 1.0 : 0.0);
    }
  }
  const std::size_t rows = y.size();
  const double pos = std::accumulate(y.begin(), y.end(), 0.0);
  if (rows > 0 && pos > 0 && pos < static_cast<double>(rows)) {
    std::vector<double> mean(n_ind, 0.0), sd(n_ind, 0.0);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t i = 0; i < n_ind; ++i) mean[i] += x[r * n_ind + i];
    }
    for (double& m : mean) m /= static_cast<double>(rows);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t i = 0; i < n_ind; ++i) {
        const double d = x[r * n_ind + i] - mean[i];
        sd[i] += d * d;
      }
    }
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t i = 0; i < n_ind; ++i) {
        const double s = std::sqrt(sd[i] / static_cast<double>(rows));
        x[r * n_ind + i] = s > 1e-12 ? (x[r * n_ind + i] - mean[i]) / s : 0.0;
      }
    }
    // Balanced classes: each class carries half the total weight.
    const double w_pos = 0.5 / pos, w_neg = 0.5 / (static_cast<double>(rows) - pos);
    std::vector<double> beta(n_ind, 0.0), grad(n_ind);
    double b0 = 0.0;
    const double lr = 1.0;
    for (std::size_t it = 0; it < o.iterations; ++it) {
      std::fill(grad.begin(), grad.end(), 0.0);
      double g0 = 0.0;
      for (std::size_t r = 0; r < rows; ++r) {
        double z = b0;
        for (std::size_t i = 0; i < n_ind; ++i) z += beta[i] * x[r * n_ind + i];
        const double p = 1.0 / (1.0 + std::exp(-z));
        const double e = (p - y[r]) * (y[r] > 0.5 ? w_pos : w_neg);
        g0 += e;
        for (std::size_t i = 0; i < n_ind; ++i) grad[i] += e * x[r * n_ind + i];
      }
      b0 -= lr * g0;
      for (std::size_t i = 0; i < n_ind; ++i) beta[i] -= lr * (grad[i] + o.l2 * beta[i]);
    }
    model.beta_ = beta;
    double sum = 0.0;
    for (double b : beta) sum += std::max(0.0, b);
    if (sum > 0) {
      for (std::size_t i = 0; i < n_ind; ++i) model.weights_[i] = std::max(0.0, beta[i]) / sum;
    }
  }

  // 2. Forecast and 3. consumption, on the composite with the learned weights.
  std::array<std::array<double, 4>, 3> normal{};
  std::vector<double> num(n_res, 0.0), den(n_res, 0.0);
  std::vector<double> c, e_row(n_ind);
  for (const auto& h : hosts) {
    if (h.entropy.size() != n_ind) continue;
    const std::size_t n = h.entropy[0].size();
    c.assign(n, std::numeric_limits<double>::quiet_NaN());
    for (std::size_t t = 0; t < n; ++t) {
      for (std::size_t i = 0; i < n_ind; ++i) e_row[i] = h.entropy[i][t];
      bool finite = false;
      for (double v : e_row) finite = finite || std::isfinite(v);
      if (finite) c[t] = model.Composite(e_row);
    }
    for (std::size_t t = k; t + horizon < n; ++t) {
      if (!std::isfinite(c[t]) || !std::isfinite(c[t - k]) || !std::isfinite(c[t + horizon])) {
        continue;
      }
      const double r = c[t] - c[t - k];
      const std::array<double, 3> f = {1.0, c[t], r};
      const double target = c[t + horizon] - c[t];
      for (int a = 0; a < 3; ++a) {
        for (int b = 0; b < 3; ++b) normal[a][b] += f[a] * f[b];
        normal[a][3] += f[a] * target;
      }
      if (r < o.min_rise) continue;
      for (std::size_t j = 0; j < h.usage.size(); ++j) {
        const auto& u = h.usage[j];
        if (u.size() < n || !std::isfinite(u[t])) continue;
        double peak = -std::numeric_limits<double>::infinity();
        for (std::size_t s = t + 1; s <= t + horizon; ++s) {
          if (std::isfinite(u[s])) peak = std::max(peak, u[s]);
        }
        if (!std::isfinite(peak)) continue;
        num[j] += (peak - u[t]) * r;
        den[j] += r * r;
      }
    }
  }
  for (int a = 0; a < 3; ++a) normal[a][a] += 1e-9;
  const auto th = Solve3(normal);
  model.theta_ = {th[0], th[1], th[2]};
  for (std::size_t j = 0; j < n_res; ++j) {
    model.gamma_[j] = den[j] > 0 ? std::max(0.0, num[j] / den[j]) : 0.0;
  }
  return model;
}

double EntropyModel::Composite(std::span<const double> e) const {
  double s = 0.0, w = 0.0;
  for (std::size_t i = 0; i < e.size() && i < weights_.size(); ++i) {
    if (!std::isfinite(e[i])) continue;
    s += weights_[i] * Clamp01(e[i]);
    w += weights_[i];
  }
  return w > 0 ? s / w : 0.0;
}

double EntropyModel::Forecast(double composite, double rise) const {
  if (!std::isfinite(composite)) return 0.0;
  if (!std::isfinite(rise)) rise = 0.0;
  return Clamp01(composite + theta_[0] + theta_[1] * composite + theta_[2] * rise);
}

std::vector<double> EntropyModel::ExpectedUplift(double rise) const {
  std::vector<double> out(gamma_.size(), 0.0);
  if (!(rise > 0)) return out;
  for (std::size_t j = 0; j < gamma_.size(); ++j) out[j] = gamma_[j] * rise;
  return out;
}

std::vector<double> EntropyModel::Drivers(std::span<const double> indicator_rise,
                                          std::span<const int> resource_of,
                                          std::size_t resources) const {
  std::vector<double> out(resources, 0.0);
  double total = 0.0;
  for (std::size_t i = 0; i < indicator_rise.size() && i < weights_.size(); ++i) {
    if (!(indicator_rise[i] > 0)) continue;
    const double part = weights_[i] * indicator_rise[i];
    total += part;
    if (i < resource_of.size() && resource_of[i] >= 0 &&
        static_cast<std::size_t>(resource_of[i]) < resources) {
      out[static_cast<std::size_t>(resource_of[i])] += part;
    }
  }
  if (total <= 0) return out;
  for (double& v : out) v /= total;
  return out;
}

}  // namespace prognos::predict
