#include "sim/baselines.h"

#include <algorithm>
#include <cmath>

namespace prognos::sim {

int HpaRecommender::Decide(TimestampMs now, int replicas, const std::vector<double>& utilizations) {
  int desired = std::clamp(replicas, config_.min_replicas, config_.max_replicas);
  bool any = false;
  for (double u : utilizations) {
    if (!std::isfinite(u) || u < 0) continue;  // a missing metric does not vote
    const double ratio = u / config_.target_utilization;
    int d = replicas;
    if (std::fabs(ratio - 1.0) > config_.tolerance) {
      // ceil with a tiny guard so that 4 · 1.5 = 6.000000000001 is 6, as in Kubernetes' float64.
      d = static_cast<int>(std::ceil(replicas * ratio - 1e-9));
    }
    desired = any ? std::max(desired, d) : d;
    any = true;
  }
  if (!any) desired = replicas;
  desired = std::clamp(desired, config_.min_replicas, config_.max_replicas);
  recommendations_.emplace_back(now, desired);
  while (!recommendations_.empty() &&
         recommendations_.front().first <= now - config_.downscale_window_ms) {
    recommendations_.pop_front();
  }
  int result = desired;
  for (const auto& [t, r] : recommendations_) result = std::max(result, r);
  return result;
}

VpaRecommender::VpaRecommender(VpaConfig config) : config_(config) {}

std::size_t VpaRecommender::Bucket(double v) const {
  if (v < config_.first_bucket) return 0;
  const double r = config_.bucket_ratio;
  const double n = std::log(v * (r - 1) / config_.first_bucket + 1) / std::log(r);
  return static_cast<std::size_t>(std::floor(n + 1e-12));
}

double VpaRecommender::BucketEnd(std::size_t i) const {
  const double r = config_.bucket_ratio;
  return config_.first_bucket * (std::pow(r, static_cast<double>(i + 1)) - 1) / (r - 1);
}

void VpaRecommender::AddSample(TimestampMs t, double usage) {
  if (!std::isfinite(usage) || usage < 0) return;
  if (!have_ref_) {
    have_ref_ = true;
    ref_ = t;
  }
  while (!window_.empty() && window_.front().t <= t - config_.history_ms) {
    const Entry& e = window_.front();
    weights_[e.bucket] -= e.weight;
    total_ -= e.weight;
    window_.pop_front();
  }
  const double w =
      std::exp2(static_cast<double>(t - ref_) / static_cast<double>(config_.half_life_ms));
  const std::size_t b = Bucket(usage);
  if (b >= weights_.size()) weights_.resize(b + 1, 0.0);
  weights_[b] += w;
  total_ += w;
  window_.push_back({t, b, w});
}

double VpaRecommender::Percentile(double p) const {
  if (window_.empty() || total_ <= 0) return 0;
  const double threshold = p * total_;
  double sum = 0;
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    sum += weights_[i];
    // Relative guard: removing expired weights leaves rounding residue in the sums.
    if (sum >= threshold * (1 - 1e-12) && weights_[i] > 1e-12 * total_) return BucketEnd(i);
  }
  return BucketEnd(weights_.size() - 1);
}

double VpaRecommender::Estimate(double p) const {
  return std::max(config_.min_request, Percentile(p) * (1 + config_.margin));
}

double VpaRecommender::Recommend(double current) const {
  if (window_.empty()) return current;
  if (current < Lower() || current > Upper()) return Target();
  return current;
}

}  // namespace prognos::sim
