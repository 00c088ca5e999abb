// Placement: which host takes a workload. A HostIndex keeps hosts ordered by normalised free
// capacity so that a fitting host is found in O(log n + k) instead of a scan of every host, and
// three offline packers (first-fit decreasing, best-fit decreasing, dominant-resource best fit)
// are kept side by side so docs/policy.md can compare them on the same items.
#pragma once

#include <cstddef>
#include <functional>
#include <set>
#include <utility>
#include <vector>

#include "policy/types.h"

namespace prognos::policy {

// Size of a resource vector as one number: Σ_r v[r] / scale[r] (scale = the largest host
// capacity per resource, so every resource weighs the same). A request fits a host only if its
// size ≤ the host's free size, which is what makes the ordered index a valid pre-filter.
double NormalizedSize(const ResourceVector& v, const ResourceVector& scale);

// Leftover after placing `need` into `free`, as the largest share of capacity left free on any
// resource: max_r (free[r] − need[r]) / capacity[r]. The dominant-resource best fit minimises it.
double DominantLeftover(const ResourceVector& free, const ResourceVector& need,
                        const ResourceVector& capacity);

// Hosts ordered by normalised free capacity (a std::set of (size, host index)). Not thread-safe.
//
// Query: Candidates(need) starts at the first host whose free size ≥ size(need) and walks up,
// keeping hosts where `need` fits in every resource and the filter agrees, until `limit` hosts
// are found or `max_scan` hosts were looked at. Walking up from the smallest sufficient size
// visits the tightest fits first (best fit by L1 size); the caller ranks the few it gets back.
class HostIndex {
 public:
  HostIndex() = default;
  // `capacity[i]` and `free[i]` for host i; hosts with active[i] == false are not indexed.
  HostIndex(std::vector<ResourceVector> capacity, std::vector<ResourceVector> free,
            const std::vector<bool>& active);

  std::size_t size() const { return free_.size(); }
  const ResourceVector& free(std::size_t host) const { return free_[host]; }
  const ResourceVector& capacity(std::size_t host) const { return capacity_[host]; }
  const ResourceVector& scale() const { return scale_; }
  bool active(std::size_t host) const { return active_[host]; }

  // Takes `amount` from (negative: gives back to) host `host`'s free capacity.
  void Take(std::size_t host, const ResourceVector& amount);
  void Give(std::size_t host, const ResourceVector& amount);
  // Removes a host from placement (drained, failing) or puts it back.
  void SetActive(std::size_t host, bool active);

  std::vector<std::size_t> Candidates(const ResourceVector& need, std::size_t limit,
                                      const std::function<bool(std::size_t)>& filter = {},
                                      std::size_t max_scan = 4096) const;

 private:
  void Reindex(std::size_t host, const ResourceVector& new_free);

  std::vector<ResourceVector> capacity_;
  std::vector<ResourceVector> free_;
  std::vector<double> key_;
  std::vector<bool> active_;
  ResourceVector scale_;
  std::set<std::pair<double, std::size_t>> order_;
};

enum class PackingAlgorithm : std::uint8_t {
  kFirstFitDecreasing,  // items by L1 size desc; first host (index order) that fits
  kBestFitDecreasing,   // items by L1 size desc; host with the least L1 free size left
  kDominantBestFit,     // items by dominant share desc; host with the least dominant leftover,
                        // among the k tightest L1 fits of the HostIndex (what the planner uses)
};
std::string_view PackingAlgorithmName(PackingAlgorithm a);

struct PackingResult {
  std::vector<int> assignment;  // host index per item, -1 = not placed
  int placed = 0;
  int hosts_used = 0;
  // Mean over used hosts and resources of the free share left (0 = perfectly full).
  double mean_free_share = 0;
  // Share of the used hosts' free capacity that is stranded: on hosts whose free capacity cannot
  // take a small item (the 25th percentile by L1 size: some resource is exhausted), as a fraction
  // of all their free capacity (L1).
  double stranded_share = 0;
  // Capacity of the used hosts over the capacity of all hosts (mean over resources present): on
  // a heterogeneous fleet, the fair "how much did we open" figure (hosts_used favours big hosts).
  double used_capacity_share = 0;
};

// Packs `items` into empty hosts of the given capacities (offline; for comparison and tests).
PackingResult Pack(const std::vector<ResourceVector>& host_capacity,
                   const std::vector<ResourceVector>& items, PackingAlgorithm algorithm);

}  // namespace prognos::policy
