#include "policy/packing.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace prognos::policy {

double NormalizedSize(const ResourceVector& v, const ResourceVector& scale) {
  double s = 0;
  for (std::size_t r = 0; r < kResourceCount; ++r) {
    if (scale.v[r] > 0) s += std::max(0.0, v.v[r]) / scale.v[r];
  }
  return s;
}

double DominantLeftover(const ResourceVector& free, const ResourceVector& need,
                        const ResourceVector& capacity) {
  double left = 0;
  for (std::size_t r = 0; r < kResourceCount; ++r) {
    if (capacity.v[r] > 0) left = std::max(left, (free.v[r] - need.v[r]) / capacity.v[r]);
  }
  return left;
}

HostIndex::HostIndex(std::vector<ResourceVector> capacity, std::vector<ResourceVector> free,
                     const std::vector<bool>& active)
    : capacity_(std::move(capacity)), free_(std::move(free)) {
  for (const ResourceVector& c : capacity_) {
    for (std::size_t r = 0; r < kResourceCount; ++r) scale_.v[r] = std::max(scale_.v[r], c.v[r]);
  }
  key_.resize(free_.size());
  active_.assign(free_.size(), false);
  for (std::size_t i = 0; i < free_.size(); ++i) {
    key_[i] = NormalizedSize(free_[i], scale_);
    if (i < active.size() && active[i]) {
      active_[i] = true;
      order_.emplace(key_[i], i);
    }
  }
}

void HostIndex::Reindex(std::size_t host, const ResourceVector& new_free) {
  if (active_[host]) order_.erase({key_[host], host});
  free_[host] = new_free;
  key_[host] = NormalizedSize(new_free, scale_);
  if (active_[host]) order_.emplace(key_[host], host);
}

void HostIndex::Take(std::size_t host, const ResourceVector& amount) {
  Reindex(host, free_[host] - amount);
}

void HostIndex::Give(std::size_t host, const ResourceVector& amount) {
  Reindex(host, free_[host] + amount);
}

void HostIndex::SetActive(std::size_t host, bool active) {
  if (active_[host] == active) return;
  if (active_[host]) order_.erase({key_[host], host});
  active_[host] = active;
  if (active) order_.emplace(key_[host], host);
}

std::vector<std::size_t> HostIndex::Candidates(const ResourceVector& need, std::size_t limit,
                                               const std::function<bool(std::size_t)>& filter,
                                               std::size_t max_scan) const {
  std::vector<std::size_t> out;
  // A small epsilon below the exact size: rounding in the sums must not hide an exact fit.
  const double size = NormalizedSize(need, scale_) - 1e-9;
  std::size_t scanned = 0;
  for (auto it = order_.lower_bound({size, 0}); it != order_.end(); ++it) {
    if (++scanned > max_scan || out.size() >= limit) break;
    const std::size_t h = it->second;
    if (!need.FitsIn(free_[h])) continue;
    if (filter && !filter(h)) continue;
    out.push_back(h);
  }
  return out;
}

std::string_view PackingAlgorithmName(PackingAlgorithm a) {
  switch (a) {
    case PackingAlgorithm::kFirstFitDecreasing:
      return "first_fit_decreasing";
    case PackingAlgorithm::kBestFitDecreasing:
      return "best_fit_decreasing";
    case PackingAlgorithm::kDominantBestFit:
      return "dominant_best_fit";
  }
  return "?";
}

PackingResult Pack(const std::vector<ResourceVector>& host_capacity,
                   const std::vector<ResourceVector>& items, PackingAlgorithm algorithm) {
  PackingResult result;
  result.assignment.assign(items.size(), -1);
  const std::size_t n = host_capacity.size();
  std::vector<bool> all(n, true);
  HostIndex index(host_capacity, host_capacity, all);
  const ResourceVector scale = index.scale();

  std::vector<std::size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<double> key(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    key[i] = algorithm == PackingAlgorithm::kDominantBestFit ? items[i].DominantShare(scale)
                                                             : NormalizedSize(items[i], scale);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return key[a] > key[b]; });

  for (std::size_t i : order) {
    const ResourceVector& need = items[i];
    int chosen = -1;
    switch (algorithm) {
      case PackingAlgorithm::kFirstFitDecreasing:
        for (std::size_t h = 0; h < n; ++h) {
          if (need.FitsIn(index.free(h))) {
            chosen = static_cast<int>(h);
            break;
          }
        }
        break;
      case PackingAlgorithm::kBestFitDecreasing: {
        // Exact best fit: the tightest L1 fit is the first candidate the index returns.
        auto c = index.Candidates(need, 1, {}, n);
        if (!c.empty()) chosen = static_cast<int>(c.front());
        break;
      }
      case PackingAlgorithm::kDominantBestFit: {
        auto c = index.Candidates(need, 16, {}, n);
        double best = 0;
        for (std::size_t h : c) {
          const double left = DominantLeftover(index.free(h), need, index.capacity(h));
          if (chosen < 0 || left < best - 1e-12) {
            chosen = static_cast<int>(h);
            best = left;
          }
        }
        break;
      }
    }
    if (chosen < 0) continue;
    result.assignment[i] = chosen;
    ++result.placed;
    index.Take(static_cast<std::size_t>(chosen), need);
  }

  // Fragmentation figures over the used hosts.
  std::vector<bool> used(n, false);
  for (int a : result.assignment) {
    if (a >= 0) used[static_cast<std::size_t>(a)] = true;
  }
  std::vector<ResourceVector> sorted_items = items;
  std::sort(sorted_items.begin(), sorted_items.end(),
            [&](const ResourceVector& a, const ResourceVector& b) {
              return NormalizedSize(a, scale) < NormalizedSize(b, scale);
            });
  const ResourceVector small =
      sorted_items.empty() ? ResourceVector{} : sorted_items[sorted_items.size() / 4];
  ResourceVector cap_all, cap_used;
  double free_sum = 0;
  double stranded = 0;
  double share_sum = 0;
  for (std::size_t h = 0; h < n; ++h) {
    if (!used[h]) continue;
    ++result.hosts_used;
    const double f = NormalizedSize(index.free(h), scale);
    free_sum += f;
    if (!small.FitsIn(index.free(h))) stranded += f;
    cap_used += host_capacity[h];
    double s = 0;
    int counted = 0;
    for (std::size_t r = 0; r < kResourceCount; ++r) {
      if (host_capacity[h].v[r] > 0) {
        s += index.free(h).v[r] / host_capacity[h].v[r];
        ++counted;
      }
    }
    share_sum += counted > 0 ? s / counted : 0;
  }
  if (result.hosts_used > 0) result.mean_free_share = share_sum / result.hosts_used;
  for (const ResourceVector& c : host_capacity) cap_all += c;
  double used_sum = 0;
  int resources = 0;
  for (std::size_t r = 0; r < kResourceCount; ++r) {
    if (cap_all.v[r] > 0) {
      used_sum += cap_used.v[r] / cap_all.v[r];
      ++resources;
    }
  }
  result.used_capacity_share = resources > 0 ? used_sum / resources : 0;
  result.stranded_share = free_sum > 0 ? stranded / free_sum : 0;
  return result;
}

}  // namespace prognos::policy
