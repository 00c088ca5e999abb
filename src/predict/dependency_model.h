// Dependency model of one host's indicators: a Gaussian Bayesian network on a Chow-Liu tree, learnt
// and refreshed from the stream, that turns deviations and broken correlations into a risk in
// [0, 1] with a root-cause ranking. Pure: no IO, no clock. Not thread-safe; owned by one shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace prognos::predict {

struct DependencyModelConfig {
  // EW memory of the means and covariances (≈ 1/decay rows; SMD and ASD rows are 1 and 5 min).
  // 5,000 rows was best of 100…5,000 on SMD+ASD (docs/evaluation.md).
  double decay = 1.0 / 5000.0;
  // The tree is re-learnt every `relearn_every` rows (O(d²) each time; the rows in between cost
  // O(d²) for the covariance update and O(d) for the score).
  std::uint32_t relearn_every = 256;
  // No risk (0) before this many rows: the statistics and the calibration are still learning.
  std::uint32_t cold_start_rows = 400;
  // An edge whose |ρ| is below this is dropped (the tree becomes a forest: weakly related
  // indicators are scored against their own marginal, not through a meaningless regression).
  double min_edge_correlation = 0.2;
  // Regressions never explain more than this share of a child's variance: σ²_res ≥ σ²(1 − ρ²_max),
  // so two indicators that were identical in history do not make a tiny wiggle infinitely rare.
  double max_correlation = 0.995;
  // Standard deviations are floored at min_sigma_rel × the indicator's all-time range (and at a
  // tiny absolute value), so a column that was nearly constant does not score noise as huge.
  double min_sigma_rel = 0.01;
  // One indicator's term of the joint score is capped at max_z² (a single broken or flapping
  // indicator cannot make the row arbitrarily rare on its own).
  double max_z = 10.0;
  // Calibration of the joint score against its own running distribution (see RiskCalibrator).
  double calibration_decay = 1.0 / 20000.0;
  double tail_mass = 0.02;
  // Risk = z / (z + z_half) with z = √(−2 ln p): the same shape as signal::AnomalyDetector's
  // score (risk 0.5 ↔ p = e^(−z_half²/2) ≈ 5.5e-3; see RiskFromTail).
  double z_half = 3.228;
  // EW smoothing of the joint score before calibration (1 = none). Sustained incidents build up,
  // lone noisy rows are damped; off by default: on SMD+ASD it blurred short incidents and delayed
  // the first alarm of each (docs/evaluation.md).
  double smooth_alpha = 1.0;
  // Rows whose tail probability is below this update the statistics and the calibration with
  // weight robust_weight, so an incident does not teach the model that it is normal while it is
  // still going on (a lasting change is still learnt, ten times slower).
  double robust_p = 1e-3;
  double robust_weight = 0.1;
  // Step nodes: besides each indicator's level x_i the network holds its step x_i(t) − x_i(t−1)
  // as a node of its own, so sudden jumps, and steps that stop moving together, are scored too
  // (a first-order dynamic Bayesian network folded into the tree). On SMD+ASD (docs/evaluation.md)
  // this raised the composite F1 at the shared threshold from 0.55 to 0.70 (same settings).
  bool step_nodes = true;
  // How many indicators the explanation lists.
  std::size_t explain_top = 3;
};

// One indicator's share of a row's improbability.
struct Contribution {
  std::size_t indicator = 0;
  // Δ_i = −2 ln of the indicator's local conditional density given its Markov blanket, relative
  // to its most likely value: (x_i − E[x_i | blanket])² / Var[x_i | blanket] (see Update).
  double score = 0.0;
  // score / Σ_j score_j, in [0, 1].
  double share = 0.0;
};

struct RiskResult {
  // In [0, 1]; 0 during cold start; never NaN.
  double risk = 0.0;
  // Calibrated probability of a joint score at least this large (1 during cold start).
  double tail_probability = 1.0;
  // S = Σ_i min(z_i², max_z²), the sum of squared standardised conditional residuals.
  double joint_score = 0.0;
  // The `explain_top` indicators with the lowest local conditional probability, most improbable
  // first; empty during cold start or when nothing deviates.
  std::vector<Contribution> ranking;
  bool warm = false;
};

// Maps the joint score S to a tail probability under its own running distribution.
//
// y = ln(1 + S) goes into a decaying 128-bin histogram on [0, 16] (S up to 8.9e6). Below the
// running (1 − tail_mass) quantile q, p = the histogram's upper-tail mass at y (linear inside a
// bin). Above q the tail is modelled as exponential, as in peaks-over-threshold (SPOT, Siffer et
// al. 2017): p = tail_mass · exp(−(y − q) / β), β = mean excess of y over q (≥ one bin width).
// This extrapolates smoothly past anything seen so far, so two rows more extreme than all of
// history are still ordered.
//   tail_mass 0.02:  y = q ↦ p = 0.02;  q + 3β ↦ 1e-3;  q + 5.3β ↦ 1e-4.
// Empty histogram: p = 1.
class RiskCalibrator {
 public:
  static constexpr std::size_t kBins = 128;
  static constexpr double kMaxY = 16.0;

  RiskCalibrator(double decay, double tail_mass);
  double TailProbability(double joint_score) const;
  // Adds one observation with a weight (1 = a normal row; robust rows add less).
  void Add(double joint_score, double weight = 1.0);
  double total() const { return total_; }

 private:
  double decay_;
  double tail_mass_;
  std::vector<double> counts_;
  double total_ = 0.0;
};

// z = √(−2 ln p), risk = z / (z + z_half): p = 1 ↦ 0, p = 1e-3 ↦ 0.53, 1e-6 ↦ 0.62, 0 ↦ 1.
double RiskFromTail(double p, double z_half);

// Gaussian network on a Chow-Liu tree over d indicators.
//
// Statistics: EW means m_i and covariances C_ij (decay λ; the first rows are plain averages),
// updated in O(d²) per row. Structure, every `relearn_every` rows: Chow-Liu's maximum spanning tree
// over the pairwise mutual information, which for Gaussians is I_ij = −½ ln(1 − ρ²_ij), i.e. over
// |ρ_ij| (Prim, O(d²)); edges with |ρ| < min_edge_correlation are dropped, each component is rooted
// at its best-connected node. Why a tree: it is the best tree-shaped approximation of the joint
// distribution in KL (Chow & Liu 1968), it learns from d² sufficient statistics that update
// incrementally, and every local conditional is one regression, so scoring and explaining a row
// cost O(d) — a full Gaussian (d×d inverse) or a score-based DAG search would not.
//
// Scoring row x (before learning it, so a row never explains itself): for node i with parent p,
//   x_i | x_p ~ N(m_i + b_i (x_p − m_p), v_i),  b_i = C_ip / C_pp,  v_i = C_ii (1 − ρ²_ip),
// a root: N(m_i, C_ii). z_i = standardised residual; S = Σ min(z_i², max_z²) — −2 ln of the
// joint density up to a constant, and χ²_d under the model. Risk = RiskFromTail of S's calibrated
// tail probability (heavy tails and d differ per host; the calibration makes one threshold mean
// the same rarity on every host).
// Intuition: a correlation that breaks while both marginals stay normal shows as a large z of the
// child (its residual variance is small when ρ is high), which a per-indicator detector cannot see.
// With step_nodes the nodes are the d levels and their d steps (2d nodes, O(4d²) per row); a jump
// inside an indicator's usual range shows on its step node. The first row has no steps.
//
// Root cause: for each indicator, Δ_i = how much of S is removed by letting x_i take its most
// likely value given its Markov blanket (parent and children). In the tree the terms holding
// u = x_i − m_i are its own (u − a)²/v_i and each child's (r_c − b_c u)²/v_c, a quadratic
// A u² − 2 B u + C with A = 1/v_i + Σ b_c²/v_c, B = a/v_i + Σ b_c r_c/v_c, so
//   Δ_i = A (u − B/A)² = (x_i − E[x_i | blanket])² / Var[x_i | blanket]
// (−2 ln of its local conditional probability). A deviating leaf explains its own term; a
// deviating parent also explains every child's residual it caused, so the ranking names the
// indicator that moved, not its neighbours. An indicator's Δ is that of its level plus its step.
//
// Degenerate input:
//   - NaN/±Inf (or a row shorter than d): that indicator is missing for the row — it adds no term,
//     is not ranked and not learnt from; its children are scored against their marginals; its
//     step node is missing for this row and the next.
//   - Constant indicator (all-time range 0): not in the tree; at its constant it adds 0, any other
//     value adds max_z² (a constant that changes is news) and is ranked; once it has varied it is
//     modelled like any other, with σ floored at min_sigma_rel × range.
//   - Cold start (< cold_start_rows rows): risk 0, tail 1, empty ranking; the model still learns.
//   - Broken correlation: see above. Values are clamped to ±1e15 so squares stay finite.
//   - d = 0: risk 0 for every row.
class DependencyModel {
 public:
  explicit DependencyModel(std::size_t indicators, const DependencyModelConfig& config = {});

  // Scores the row (values[i] for indicator i), then learns from it. Never NaN.
  RiskResult Update(std::span<const double> values);

  std::size_t indicators() const { return n_ind_; }
  // Nodes of the network: the indicators, then (with step_nodes) their steps: node n_ind + i is
  // the step of indicator i.
  std::size_t nodes() const { return d_; }
  std::uint64_t rows() const { return rows_; }
  // Parent of each node in the current tree: -1 for a root, an isolated or constant node.
  const std::vector<int>& parents() const { return parent_; }
  // Current EW correlation of two nodes (0 when either has no variance).
  double Correlation(std::size_t i, std::size_t j) const;
  // Re-learns the tree now (Update does it on its cadence).
  void RelearnStructure();

 private:
  double Cov(std::size_t i, std::size_t j) const { return cov_[i * d_ + j]; }
  double SigmaFloor(std::size_t i) const;
  // Learns the row held in x_/present_ with the given weight (1 = a normal row).
  void Learn(double weight);

  std::size_t n_ind_;
  std::size_t d_;  // nodes
  DependencyModelConfig config_;
  RiskCalibrator calibrator_;
  std::uint64_t rows_ = 0;
  std::vector<std::uint64_t> count_;  // finite values seen per indicator
  std::vector<double> mean_;
  std::vector<double> cov_;  // d × d, row-major
  std::vector<double> min_;
  std::vector<double> max_;
  std::vector<int> parent_;
  std::vector<std::vector<int>> children_;
  std::vector<double> slope_;     // b_i
  std::vector<double> residual_;  // v_i (conditional variance, floored)
  double smoothed_ = 0.0;
  // Scratch, kept to avoid per-row allocation.
  std::vector<double> x_;
  std::vector<unsigned char> present_;
  std::vector<double> u_;
  std::vector<double> last_;  // previous row's values (NaN = missing), for the step nodes
};

}  // namespace prognos::predict
