// Derivative-free minimisation (Nelder-Mead) used to fit smoothing and ARMA parameters.
#pragma once

#include <functional>
#include <vector>

namespace prognos::signal {

struct NelderMeadOptions {
  int max_evaluations = 400;
  double initial_step = 0.5;  // simplex edge along each axis
  double tolerance = 1e-8;    // stop when the simplex's value spread falls below this (relative)
};

struct NelderMeadResult {
  std::vector<double> x;
  double value = 0.0;
  int evaluations = 0;
};

// Minimises f from x0 with the standard reflection (1), expansion (2), contraction (0.5) and
// shrink (0.5) moves. Non-finite values of f are treated as +infinity, so f may return NaN/Inf
// for infeasible points. Deterministic.
NelderMeadResult NelderMead(const std::function<double(const std::vector<double>&)>& f,
                            std::vector<double> x0, const NelderMeadOptions& options = {});

}  // namespace prognos::signal
