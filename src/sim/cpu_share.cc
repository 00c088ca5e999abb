#include "sim/cpu_share.h"

#include <algorithm>
#include <cstddef>

namespace prognos::sim {
namespace {
// Kubernetes' floor of 2 cpu.shares against 1024 per core.
constexpr double kMinWeight = 2.0 / 1024.0;
}  // namespace

void FairShare(double capacity, std::span<const double> weight, std::span<const double> demand,
               std::vector<double>& served) {
  const std::size_t n = demand.size();
  served.assign(n, 0.0);
  double total = 0;
  for (double d : demand) total += std::max(0.0, d);
  if (total <= capacity) {
    for (std::size_t i = 0; i < n; ++i) served[i] = std::max(0.0, demand[i]);
    return;
  }
  // Water-filling: repeatedly give every unsatisfied workload its weighted share of what is
  // left; those whose demand is below their share are satisfied and drop out. Each round either
  // satisfies at least one workload or ends, so it takes at most n rounds.
  std::vector<bool> done(n, false);
  double left = std::max(0.0, capacity);
  for (std::size_t round = 0; round <= n; ++round) {
    double w_sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!done[i]) w_sum += std::max(kMinWeight, weight[i]);
    }
    if (w_sum <= 0) break;
    bool satisfied_any = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      const double share = left * std::max(kMinWeight, weight[i]) / w_sum;
      if (std::max(0.0, demand[i]) <= share) {
        served[i] = std::max(0.0, demand[i]);
        done[i] = true;
        satisfied_any = true;
      }
    }
    if (!satisfied_any) {
      for (std::size_t i = 0; i < n; ++i) {
        if (!done[i]) served[i] = left * std::max(kMinWeight, weight[i]) / w_sum;
      }
      return;
    }
    left = std::max(0.0, capacity);
    for (std::size_t i = 0; i < n; ++i) {
      if (done[i]) left -= served[i];
    }
    left = std::max(0.0, left);
  }
}

}  // namespace prognos::sim
