// Learned entropy model of a fleet (issue #11, "entropy forecasting"): which indicators' window
// entropy rises before incidents or resource spikes (the composite-entropy weights), where a
// host's composite entropy will be one horizon ahead, and how much of each resource hosts
// consumed after past entropy rises — what the planner's entropy_request rule sizes requests
// from. Pure: fitted from arrays passed in, no IO, no clock. Fit returns a new object; the const
// methods are thread-safe.
//
// Fit, on aligned per-host histories sampled at one step (t = 0..n−1):
//   rise_i(t) = e_i(t) − e_i(t − k)       (k = rise_steps; e_i = indicator i's normalised entropy)
//   label(t)  = an event starts in (t, t + lead]
// 1. Weights: L2-regularised logistic regression of label(t) on the standardised rises (classes
//    balanced: positives weigh n₋/n₊), w_i = max(0, β_i) / Σ max(0, β) — an indicator whose
//    entropy rise does not precede events gets weight 0; all β ≤ 0 (or no event) → equal weights.
// 2. Forecast: with the composite c(t) = Σ w_i e_i(t) and its rise r(t) = c(t) − c(t − k),
//    least squares of c(t + H) − c(t) on (1, c(t), r(t)) over every host:
//      ĉ(t + H) = clamp(c + θ₀ + θ₁ c + θ₂ r, 0, 1)
//    (θ₁ < 0 is mean reversion, θ₂ > 0 a rise that carries on).
// 3. Consumption: for every t whose composite rise r(t) ≥ min_rise, the uplift of resource j
//    u_j = max_{t < s ≤ t+H} usage_j(s) − usage_j(t) (usage in the caller's unit, e.g. a share of
//    capacity) is regressed through the origin on r: γ_j = Σ u_j r / Σ r² (≥ 0). Expected uplift
//    after a predicted rise ρ: γ_j · ρ.
// Degenerate input: no host with ≥ k + H + 1 steps → invalid_argument; NaN entropies count as
// missing (the step is skipped for fits that need it); no usage series → γ = 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace prognos::predict {

// One host's history, every series of the same length n (steps).
struct EntropyHistory {
  std::vector<std::vector<double>> entropy;  // [indicator][t], normalised entropy in [0, 1]
  std::vector<std::uint8_t> event_start;   // [t] 1 = an incident / spike starts at t; may be empty
  std::vector<std::vector<double>> usage;  // [resource][t]; may be empty
};

struct EntropyModelOptions {
  std::size_t rise_steps = 10;     // k
  std::size_t lead_steps = 60;     // events within this many steps after t label t
  std::size_t horizon_steps = 60;  // H of the forecast and of the consumption window
  double l2 = 1e-2;                // ridge penalty of the logistic fit (on standardised rises)
  std::size_t iterations = 300;    // gradient steps of the logistic fit
  double min_rise = 0.05;          // composite rise that counts as a rise for consumption
};

// Fraction of positive-negative pairs a score orders correctly (ties count one half): the ROC
// AUC. NaN when either class is empty. Exposed for the evaluation and tests.
double RocAuc(std::span<const double> scores, std::span<const std::uint8_t> labels);

// Events from a usage series when nobody labelled incidents: t starts a spike when usage(t)
// exceeds the mean + z standard deviations of the previous `window` steps (causal) and t − 1
// did not.
std::vector<std::uint8_t> SpikeEvents(std::span<const double> usage, std::size_t window, double z);

class EntropyModel {
 public:
  // Equal weights, no forecast change (persistence), no consumption: what serves before a fit.
  EntropyModel(std::size_t indicators, std::size_t resources);

  static Result<EntropyModel> Fit(std::span<const EntropyHistory> hosts,
                                  const EntropyModelOptions& options = {});

  std::size_t indicators() const { return weights_.size(); }
  const std::vector<double>& weights() const { return weights_; }
  // Logistic coefficients per indicator (standardised rises), before clipping; for reports.
  const std::vector<double>& coefficients() const { return beta_; }
  const std::vector<double>& theta() const { return theta_; }  // θ₀, θ₁, θ₂
  const std::vector<double>& uplift_per_rise() const { return gamma_; }
  const EntropyModelOptions& options() const { return options_; }

  // Σ w_i e_i over the finite e_i, divided by their weights' sum (0 when none is finite).
  double Composite(std::span<const double> entropies) const;
  // ĉ(t + H) from the composite now and its rise over the last k steps; in [0, 1].
  double Forecast(double composite, double rise) const;
  // Expected uplift of each resource after a predicted composite rise (≥ 0; 0 for rise ≤ 0).
  std::vector<double> ExpectedUplift(double rise) const;
  // Per resource, its indicators' share of the host's weighted entropy rise (indicator i
  // belongs to resource resource_of[i], −1 = none); sums to ≤ 1, all 0 when nothing rose.
  // This is HostRisk::entropy_drivers.
  std::vector<double> Drivers(std::span<const double> indicator_rise,
                              std::span<const int> resource_of, std::size_t resources) const;

 private:
  EntropyModelOptions options_;
  std::vector<double> weights_;
  std::vector<double> beta_;
  std::vector<double> theta_ = {0.0, 0.0, 0.0};
  std::vector<double> gamma_;
};

}  // namespace prognos::predict
