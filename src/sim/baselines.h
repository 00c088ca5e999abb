// The fixed baselines of DESIGN.md §7, as small pure decision objects the runner calls:
//   HpaRecommender — Kubernetes HorizontalPodAutoscaler semantics (one per workload),
//   VpaRecommender — the Vertical Pod Autoscaler's percentile recommender (one per workload and
//                    resource).
// They are defined in the design so that nobody can weaken them; tests/sim/baselines_test.cc
// holds hand-worked decisions. Not thread-safe; owned by the runner.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "core/time.h"

namespace prognos::sim {

struct HpaConfig {
  double target_utilization = 0.70;
  double tolerance = 0.10;  // no action while |utilization / target − 1| ≤ tolerance
  DurationMs downscale_window_ms = 5 * kMinuteMs;
  int min_replicas = 1;
  int max_replicas = 20;
};

// Kubernetes HPA (pkg/controller/podautoscaler), evaluated every 15 s:
//   for each metric m: ratio_m = utilization_m / target
//     desired_m = replicas            when |ratio_m − 1| ≤ tolerance
//               = ceil(replicas · ratio_m) otherwise
//   desired = max_m desired_m, clamped to [min_replicas, max_replicas]
//   recommendation history: (now, desired); entries older than the downscale window dropped
//   result = max of the recommendations in the window (scale-up at once: the newest one is in the
//            window; scale-down only to the highest recommendation of the last 5 minutes).
// utilization_m = usage_m / (replicas · request_m). Example: 4 replicas at 91 % → ratio 1.3 →
// ceil(5.2) = 6; at 75 % → ratio 1.07 ≤ 1.1 → stays 4.
class HpaRecommender {
 public:
  explicit HpaRecommender(HpaConfig config = {}) : config_(config) {}
  // Replica count to run from `now` on, given the current count and each metric's utilization.
  int Decide(TimestampMs now, int replicas, const std::vector<double>& utilizations);
  const HpaConfig& config() const { return config_; }

 private:
  HpaConfig config_;
  std::deque<std::pair<TimestampMs, int>> recommendations_;
};

struct VpaConfig {
  DurationMs half_life_ms = 24 * kHourMs;
  DurationMs history_ms = 8 * kDayMs;
  double target_percentile = 0.90;
  double lower_percentile = 0.50;
  double upper_percentile = 0.95;
  double margin = 0.15;  // safety margin on every estimate
  // Exponential buckets as in the VPA recommender: bucket n starts at
  // first · (ratio^n − 1) / (ratio − 1) (bucket 0 is [0, first)).
  double first_bucket = 0.01;
  double bucket_ratio = 1.05;
  double min_request = 0.01;
};

// VPA recommender (autoscaler/vertical-pod-autoscaler/pkg/recommender): every usage sample is added
// to a histogram with exponential buckets with weight 2^((t − t_ref) / half_life), so a sample a
// day old weighs half as much; samples older than the history length leave the histogram.
//   target = P90 · (1 + margin), lower = P50 · (1 + margin), upper = P95 · (1 + margin)
// The updater applies the target only when the current request is outside [lower, upper].
// A percentile is the upper edge of the first bucket where the cumulative weight reaches p of the
// total (the VPA histogram's Percentile()). An empty histogram gives 0.
class VpaRecommender {
 public:
  explicit VpaRecommender(VpaConfig config = {});
  void AddSample(TimestampMs t, double usage);
  double Percentile(double p) const;
  double Target() const { return Estimate(config_.target_percentile); }
  double Lower() const { return Estimate(config_.lower_percentile); }
  double Upper() const { return Estimate(config_.upper_percentile); }
  // The request to run with: the target when `current` is outside [lower, upper] (and the
  // histogram has samples), else `current`.
  double Recommend(double current) const;
  std::size_t samples() const { return window_.size(); }

 private:
  double Estimate(double p) const;
  std::size_t Bucket(double v) const;
  double BucketEnd(std::size_t i) const;

  VpaConfig config_;
  std::vector<double> weights_;
  double total_ = 0;
  bool have_ref_ = false;
  TimestampMs ref_ = 0;
  struct Entry {
    TimestampMs t;
    std::size_t bucket;
    double weight;
  };
  std::deque<Entry> window_;
};

}  // namespace prognos::sim
