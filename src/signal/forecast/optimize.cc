#include "signal/forecast/optimize.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace prognos::signal {

NelderMeadResult NelderMead(const std::function<double(const std::vector<double>&)>& f,
                            std::vector<double> x0, const NelderMeadOptions& options) {
  const std::size_t n = x0.size();
  NelderMeadResult result;
  auto eval = [&](const std::vector<double>& x) {
    ++result.evaluations;
    const double v = f(x);
    return std::isfinite(v) ? v : std::numeric_limits<double>::infinity();
  };
  if (n == 0) {
    result.value = eval(x0);
    result.x = std::move(x0);
    return result;
  }
  std::vector<std::vector<double>> simplex(n + 1, x0);
  std::vector<double> values(n + 1);
  for (std::size_t i = 0; i < n; ++i) simplex[i + 1][i] += options.initial_step;
  for (std::size_t i = 0; i <= n; ++i) values[i] = eval(simplex[i]);

  std::vector<std::size_t> order(n + 1);
  std::vector<double> centroid(n), trial(n), trial2(n);
  while (result.evaluations < options.max_evaluations) {
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    const std::size_t best = order.front(), worst = order.back(), second = order[n - 1];
    const double spread = std::abs(values[worst] - values[best]);
    if (std::isfinite(values[worst]) &&
        spread <= options.tolerance * (std::abs(values[best]) + 1e-300)) {
      break;
    }
    std::fill(centroid.begin(), centroid.end(), 0.0);
    for (std::size_t i = 0; i <= n; ++i) {
      if (i == worst) continue;
      for (std::size_t j = 0; j < n; ++j) centroid[j] += simplex[i][j] / static_cast<double>(n);
    }
    // Reflect the worst point through the centroid of the others.
    for (std::size_t j = 0; j < n; ++j) trial[j] = 2.0 * centroid[j] - simplex[worst][j];
    const double fr = eval(trial);
    if (fr < values[best]) {
      for (std::size_t j = 0; j < n; ++j) trial2[j] = 3.0 * centroid[j] - 2.0 * simplex[worst][j];
      const double fe = eval(trial2);
      if (fe < fr) {
        simplex[worst] = trial2;
        values[worst] = fe;
      } else {
        simplex[worst] = trial;
        values[worst] = fr;
      }
      continue;
    }
    if (fr < values[second]) {
      simplex[worst] = trial;
      values[worst] = fr;
      continue;
    }
    // Contract towards the better of (worst, reflected).
    const bool outside = fr < values[worst];
    for (std::size_t j = 0; j < n; ++j) {
      const double from = outside ? trial[j] : simplex[worst][j];
      trial2[j] = centroid[j] + 0.5 * (from - centroid[j]);
    }
    const double fc = eval(trial2);
    if (fc < std::min(fr, values[worst])) {
      simplex[worst] = trial2;
      values[worst] = fc;
      continue;
    }
    // Shrink everything towards the best point.
    for (std::size_t i = 0; i <= n; ++i) {
      if (i == best) continue;
      for (std::size_t j = 0; j < n; ++j) {
        simplex[i][j] = simplex[best][j] + 0.5 * (simplex[i][j] - simplex[best][j]);
      }
      values[i] = eval(simplex[i]);
    }
  }
  const auto it = std::min_element(values.begin(), values.end());
  result.x = simplex[static_cast<std::size_t>(it - values.begin())];
  result.value = *it;
  return result;
}

}  // namespace prognos::signal
