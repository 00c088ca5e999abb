// CPU sharing on one host under contention, as the Linux CFS scheduler shares it between
// Kubernetes pods with CPU requests and no CPU limits (burstable QoS): each pod's cpu.shares is
// proportional to its request, and a pod that wants less than its share leaves the rest to the
// others in proportion to theirs (weighted max-min fairness, "water-filling").
#pragma once

#include <span>
#include <vector>

namespace prognos::sim {

// CPU each workload gets on a host of `capacity` cores, given each one's weight (its request) and
// demand. Fills `served` (same size as `demand`). Nobody gets more than its demand; when the
// demands fit, everybody gets its demand; otherwise the capacity is used up. Weights ≤ 0 count as
// a minimal weight (Kubernetes gives every container at least 2 shares), so a workload without
// a request still gets a little.
void FairShare(double capacity, std::span<const double> weight, std::span<const double> demand,
               std::vector<double>& served);

}  // namespace prognos::sim
