#include "predict/dependency_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prognos::predict {
namespace {

constexpr double kClamp = 1e15;
constexpr double kTinyVariance = 1e-30;

double Finite(double v, double fallback) { return std::isfinite(v) ? v : fallback; }

}  // namespace

// ---- RiskCalibrator ----

RiskCalibrator::RiskCalibrator(double decay, double tail_mass)
    : decay_(std::clamp(Finite(decay, 0.0), 0.0, 1.0)),
      tail_mass_(std::clamp(Finite(tail_mass, 0.02), 1e-6, 0.5)),
      counts_(kBins, 0.0) {}

void RiskCalibrator::Add(double joint_score, double weight) {
  if (!std::isfinite(joint_score) || !(weight > 0.0)) return;
  weight = std::min(weight, 1.0);
  const double y = std::log1p(std::max(joint_score, 0.0));
  const double width = kMaxY / static_cast<double>(kBins);
  const auto bin = static_cast<std::size_t>(std::clamp(y / width, 0.0, kBins - 1.0));
  // Plain counting until the histogram holds 1/decay rows, then exponential forgetting.
  if (decay_ > 0.0 && total_ * decay_ >= 1.0) {
    for (double& c : counts_) c *= 1.0 - decay_;
    total_ *= 1.0 - decay_;
  }
  counts_[bin] += weight;
  total_ += weight;
}

double RiskCalibrator::TailProbability(double joint_score) const {
  if (total_ <= 0.0) return 1.0;
  if (std::isnan(joint_score)) return 1.0;
  const double y = std::log1p(std::max(joint_score, 0.0));  // +Inf stays +Inf: p = 0
  const double width = kMaxY / static_cast<double>(kBins);
  // q: the (1 − tail_mass) quantile, walking down from the top bin.
  const double tail = tail_mass_ * total_;
  double above = 0.0;
  double q = 0.0;
  std::size_t qbin = 0;
  for (std::size_t b = kBins; b-- > 0;) {
    if (above + counts_[b] >= tail) {
      const double frac = counts_[b] > 0.0 ? (tail - above) / counts_[b] : 0.0;
      q = (static_cast<double>(b) + 1.0 - frac) * width;
      qbin = b;
      break;
    }
    above += counts_[b];
  }
  if (y > q) {
    // β: mean excess over q of the mass above it (bin centres; the bin holding q counts with its
    // part above q, centred in that part).
    double mass = 0.0;
    double excess = 0.0;
    const double part_q = (static_cast<double>(qbin) + 1.0) * width - q;
    if (counts_[qbin] > 0.0 && part_q > 0.0) {
      const double m = counts_[qbin] * part_q / width;
      mass += m;
      excess += m * part_q / 2.0;
    }
    for (std::size_t b = qbin + 1; b < kBins; ++b) {
      const double centre = (static_cast<double>(b) + 0.5) * width;
      mass += counts_[b];
      excess += counts_[b] * (centre - q);
    }
    const double beta = std::max(mass > 0.0 ? excess / mass : width, width);
    return tail_mass_ * std::exp(-(y - q) / beta);
  }
  // Inside the body: upper-tail mass at y, linear inside y's bin.
  const auto bin = static_cast<std::size_t>(std::clamp(y / width, 0.0, kBins - 1.0));
  double mass = counts_[bin] * ((static_cast<double>(bin) + 1.0) * width - y) / width;
  for (std::size_t b = bin + 1; b < kBins; ++b) mass += counts_[b];
  return std::clamp(mass / total_, tail_mass_, 1.0);
}

double RiskFromTail(double p, double z_half) {
  if (std::isnan(p) || p >= 1.0) return 0.0;
  if (p <= 0.0) return 1.0;
  const double z = std::sqrt(-2.0 * std::log(p));
  const double half = z_half > 0.0 ? z_half : 3.228;
  return std::clamp(z / (z + half), 0.0, 1.0);
}

// ---- DependencyModel ----

DependencyModel::DependencyModel(std::size_t indicators, const DependencyModelConfig& config)
    : n_ind_(indicators),
      d_(config.step_nodes ? 2 * indicators : indicators),
      config_(config),
      calibrator_(config.calibration_decay, config.tail_mass),
      count_(d_, 0),
      mean_(d_, 0.0),
      cov_(d_ * d_, 0.0),
      min_(d_, 0.0),
      max_(d_, 0.0),
      parent_(d_, -1),
      children_(d_),
      slope_(d_, 0.0),
      residual_(d_, 0.0),
      x_(d_, 0.0),
      present_(d_, 0),
      u_(d_, 0.0),
      last_(n_ind_, std::numeric_limits<double>::quiet_NaN()) {
  config_.relearn_every = std::max<std::uint32_t>(config_.relearn_every, 1);
  config_.max_z = config_.max_z > 0.0 ? config_.max_z : 10.0;
  config_.smooth_alpha = std::clamp(Finite(config_.smooth_alpha, 1.0), 1e-6, 1.0);
}

double DependencyModel::SigmaFloor(std::size_t i) const {
  return std::max(config_.min_sigma_rel * (max_[i] - min_[i]), 1e-12 * (1.0 + std::abs(mean_[i])));
}

double DependencyModel::Correlation(std::size_t i, std::size_t j) const {
  if (i >= d_ || j >= d_) return 0.0;
  const double vi = Cov(i, i);
  const double vj = Cov(j, j);
  if (vi <= kTinyVariance || vj <= kTinyVariance) return 0.0;
  return std::clamp(Cov(i, j) / std::sqrt(vi * vj), -1.0, 1.0);
}

void DependencyModel::RelearnStructure() {
  std::fill(parent_.begin(), parent_.end(), -1);
  for (auto& c : children_) c.clear();
  // Eligible: seen at least twice and varied.
  std::vector<std::size_t> nodes;
  for (std::size_t i = 0; i < d_; ++i) {
    if (count_[i] >= 2 && max_[i] > min_[i] && Cov(i, i) > kTinyVariance) nodes.push_back(i);
  }
  if (nodes.empty()) return;
  // Prim's maximum spanning tree over |ρ| (= over Gaussian mutual information), O(d²).
  const std::size_t n = nodes.size();
  std::vector<double> key(n, -1.0);
  std::vector<std::size_t> link(n, 0);
  std::vector<unsigned char> in_tree(n, 0);
  std::vector<std::vector<std::size_t>> adj(n);
  key[0] = 0.0;
  for (std::size_t step = 0; step < n; ++step) {
    std::size_t best = n;
    for (std::size_t k = 0; k < n; ++k) {
      if (!in_tree[k] && (best == n || key[k] > key[best])) best = k;
    }
    in_tree[best] = 1;
    if (step > 0 && key[best] >= config_.min_edge_correlation) {
      adj[best].push_back(link[best]);
      adj[link[best]].push_back(best);
    }
    for (std::size_t k = 0; k < n; ++k) {
      if (in_tree[k]) continue;
      const double w = std::abs(Correlation(nodes[best], nodes[k]));
      if (w > key[k]) {
        key[k] = w;
        link[k] = best;
      }
    }
  }
  // Root each component at its best-connected node (most neighbours; ties: lowest index), so the
  // marginal term sits where the most information is, then orient edges away from it (BFS).
  std::vector<int> component(n, -1);
  int n_components = 0;
  for (std::size_t s = 0; s < n; ++s) {
    if (component[s] >= 0) continue;
    std::vector<std::size_t> members = {s};
    component[s] = n_components;
    for (std::size_t h = 0; h < members.size(); ++h) {
      for (std::size_t nb : adj[members[h]]) {
        if (component[nb] < 0) {
          component[nb] = n_components;
          members.push_back(nb);
        }
      }
    }
    std::size_t root = s;
    for (std::size_t m : members) {
      if (adj[m].size() > adj[root].size()) root = m;
    }
    std::vector<unsigned char> seen(n, 0);
    std::vector<std::size_t> queue = {root};
    seen[root] = 1;
    for (std::size_t h = 0; h < queue.size(); ++h) {
      const std::size_t k = queue[h];
      for (std::size_t nb : adj[k]) {
        if (seen[nb]) continue;
        seen[nb] = 1;
        queue.push_back(nb);
        const std::size_t child = nodes[nb];
        const std::size_t par = nodes[k];
        parent_[child] = static_cast<int>(par);
        children_[par].push_back(static_cast<int>(child));
      }
    }
    ++n_components;
  }
  // Local regressions: b_i = C_ip / C_pp, v_i = C_ii (1 − ρ²), floored.
  const double rho_max2 = config_.max_correlation * config_.max_correlation;
  for (std::size_t i = 0; i < d_; ++i) {
    if (parent_[i] < 0) continue;
    const auto p = static_cast<std::size_t>(parent_[i]);
    const double rho = Correlation(i, p);
    slope_[i] = Cov(i, p) / Cov(p, p);
    const double floor = SigmaFloor(i);
    residual_[i] = std::max({Cov(i, i) * (1.0 - rho * rho), Cov(i, i) * (1.0 - rho_max2),
                             floor * floor, kTinyVariance});
  }
}

void DependencyModel::Learn(double weight) {
  const double lambda = std::clamp(Finite(config_.decay, 0.0), 0.0, 1.0);
  // u_ holds x_i − m_i (before this row) and α_i per present indicator.
  std::vector<double>& alpha = u_;
  for (std::size_t i = 0; i < d_; ++i) {
    if (!present_[i]) continue;
    ++count_[i];
    if (count_[i] == 1) {
      min_[i] = max_[i] = x_[i];
    } else {
      min_[i] = std::min(min_[i], x_[i]);
      max_[i] = std::max(max_[i], x_[i]);
    }
    // Plain average while count < 1/λ, then EW; a down-weighted row moves the estimates less.
    alpha[i] = std::max(lambda, 1.0 / static_cast<double>(count_[i]));
    if (count_[i] > 1) alpha[i] *= weight;
  }
  // C_ij ← (1 − α)(C_ij + α δ_i δ_j), δ = x − m_old (the EW Welford update), then m += α δ.
  for (std::size_t i = 0; i < d_; ++i) {
    if (!present_[i]) continue;
    const double di = x_[i] - mean_[i];
    for (std::size_t j = i; j < d_; ++j) {
      if (!present_[j]) continue;
      const double a = std::max(alpha[i], alpha[j]);
      const double dj = x_[j] - mean_[j];
      double& c = cov_[i * d_ + j];
      c = (1.0 - a) * (c + a * di * dj);
      cov_[j * d_ + i] = c;
    }
  }
  for (std::size_t i = 0; i < d_; ++i) {
    if (present_[i]) mean_[i] += alpha[i] * (x_[i] - mean_[i]);
  }
}

RiskResult DependencyModel::Update(std::span<const double> values) {
  RiskResult result;
  if (d_ == 0) return result;
  for (std::size_t i = 0; i < n_ind_; ++i) {
    const double v = i < values.size() ? values[i] : std::numeric_limits<double>::quiet_NaN();
    present_[i] = std::isfinite(v) ? 1 : 0;
    x_[i] = present_[i] ? std::clamp(v, -kClamp, kClamp) : 0.0;
    if (d_ > n_ind_) {
      // The step node: missing when this or the previous value is.
      const std::size_t k = n_ind_ + i;
      present_[k] = present_[i] && !std::isnan(last_[i]) ? 1 : 0;
      x_[k] = present_[k] ? x_[i] - last_[i] : 0.0;
      last_[i] = present_[i] ? x_[i] : std::numeric_limits<double>::quiet_NaN();
    }
  }
  const std::uint32_t first_structure = std::max<std::uint32_t>(config_.cold_start_rows / 2, 2);
  const bool have_structure = rows_ >= first_structure;
  double p = 1.0;
  if (have_structure) {
    const double max_z2 = config_.max_z * config_.max_z;
    // Standardised pieces: u_i = x_i − m_i; v_own_i and a_i (the conditional mean offset) per node.
    std::vector<double> u(d_, 0.0);
    std::vector<double> v_own(d_, 1.0);
    std::vector<double> a_own(d_, 0.0);
    std::vector<unsigned char> scored(d_, 0);       // modelled and present
    std::vector<unsigned char> conditioned(d_, 0);  // term uses the parent
    std::vector<double> delta(d_, 0.0);
    double s = 0.0;
    for (std::size_t i = 0; i < d_; ++i) {
      if (!present_[i] || count_[i] == 0) continue;
      if (max_[i] <= min_[i]) {
        // Constant so far: 0 at its constant, max_z² for any other value.
        if (x_[i] != mean_[i]) {
          s += max_z2;
          delta[i] = max_z2;
        }
        continue;
      }
      scored[i] = 1;
      u[i] = x_[i] - mean_[i];
    }
    for (std::size_t i = 0; i < d_; ++i) {
      if (!scored[i]) continue;
      const double floor = SigmaFloor(i);
      double v = std::max({Cov(i, i), floor * floor, kTinyVariance});
      double a = 0.0;
      const int p_idx = parent_[i];
      if (p_idx >= 0 && scored[static_cast<std::size_t>(p_idx)]) {
        a = slope_[i] * u[static_cast<std::size_t>(p_idx)];
        v = residual_[i];
        conditioned[i] = 1;
      }
      v_own[i] = v;
      a_own[i] = a;
      const double r = u[i] - a;
      s += std::min(r * r / v, max_z2);
    }
    // Markov-blanket explanation Δ_i = A (u − B/A)².
    for (std::size_t i = 0; i < d_; ++i) {
      if (!scored[i]) continue;
      double big_a = 1.0 / v_own[i];
      double big_b = a_own[i] / v_own[i];
      std::size_t kids = 0;
      for (int c : children_[i]) {
        const auto ci = static_cast<std::size_t>(c);
        if (!conditioned[ci]) continue;
        big_a += slope_[ci] * slope_[ci] / v_own[ci];
        big_b += slope_[ci] * u[ci] / v_own[ci];
        ++kids;
      }
      const double dev = u[i] - big_b / big_a;
      delta[i] = std::min(big_a * dev * dev, max_z2 * static_cast<double>(kids + 1));
    }
    s = Finite(s, 0.0);
    const double alpha = config_.smooth_alpha;
    smoothed_ = rows_ == first_structure ? s : alpha * s + (1.0 - alpha) * smoothed_;
    result.joint_score = s;
    p = calibrator_.TailProbability(smoothed_);
    calibrator_.Add(smoothed_, rows_ >= config_.cold_start_rows && p < config_.robust_p
                                   ? config_.robust_weight
                                   : 1.0);
    if (rows_ >= config_.cold_start_rows) {
      result.warm = true;
      result.tail_probability = p;
      result.risk = RiskFromTail(p, config_.z_half);
      // An indicator's evidence is that of its level node plus its step node.
      for (std::size_t k = n_ind_; k < d_; ++k) delta[k - n_ind_] += delta[k];
      double total = 0.0;
      std::vector<std::size_t> order;
      for (std::size_t i = 0; i < n_ind_; ++i) {
        if (delta[i] > 0.0 && std::isfinite(delta[i])) {
          order.push_back(i);
          total += delta[i];
        }
      }
      const std::size_t k = std::min(config_.explain_top, order.size());
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                        [&](std::size_t l, std::size_t r) {
                          return delta[l] != delta[r] ? delta[l] > delta[r] : l < r;
                        });
      for (std::size_t j = 0; j < k; ++j) {
        const std::size_t i = order[j];
        result.ranking.push_back({i, delta[i], total > 0.0 ? delta[i] / total : 0.0});
      }
    }
  }
  const double weight =
      result.warm && p < config_.robust_p ? std::clamp(config_.robust_weight, 0.0, 1.0) : 1.0;
  Learn(weight);
  ++rows_;
  if (rows_ == first_structure || rows_ % config_.relearn_every == 0) RelearnStructure();
  return result;
}

}  // namespace prognos::predict
