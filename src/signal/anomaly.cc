#include "signal/anomaly.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>

namespace prognos::signal {
namespace {

// x clamped to ±1e150 so that differences and squares stay finite.
double Tame(double x) { return std::clamp(x, -1e150, 1e150); }

}  // namespace

double RarityHistogram::Z(double x) const {
  if (empty) return 0.0;
  const auto bins = static_cast<double>(kBins);
  const double width = (hi - lo) / bins;
  if (!(width > 0.0)) return x == lo ? 0.0 : kMaxZ;
  if (x < lo || x > hi) {
    const double dist = x > hi ? x - hi : lo - x;
    return std::min(kMaxZ, kBeyondBase + kBeyondSlope * std::log1p(dist / Spread()));
  }
  const auto bin = static_cast<std::size_t>(std::clamp((x - lo) / width, 0.0, bins - 1.0));
  const double p = (counts[bin] + 0.5) / (total + 0.5 * bins);
  return std::sqrt(-2.0 * std::log(std::min(p * bins / 2.0, 1.0)));
}

// Interquartile width from the cumulative counts (linear inside a bin), at least one bin width.
double RarityHistogram::Spread() const {
  const double width = (hi - lo) / static_cast<double>(kBins);
  double q1 = lo;
  double q3 = hi;
  double cum = 0.0;
  bool have_q1 = false;
  for (std::size_t j = 0; j < kBins; ++j) {
    const double next = cum + counts[j];
    const double left = lo + static_cast<double>(j) * width;
    if (!have_q1 && next >= 0.25 * total) {
      q1 = left + (counts[j] > 0.0F ? width * (0.25 * total - cum) / counts[j] : 0.0);
      have_q1 = true;
    }
    if (next >= 0.75 * total) {
      q3 = left + (counts[j] > 0.0F ? width * (0.75 * total - cum) / counts[j] : 0.0);
      break;
    }
    cum = next;
  }
  return std::max(q3 - q1, width);
}

// Re-maps the counts onto [new_lo, new_hi] by bin centre.
void RarityHistogram::Remap(double new_lo, double new_hi) {
  const auto bins = static_cast<double>(kBins);
  const double old_w = (hi - lo) / bins;
  const double new_w = (new_hi - new_lo) / bins;
  std::array<float, kBins> moved{};
  for (std::size_t i = 0; i < kBins; ++i) {
    const double centre = lo + (static_cast<double>(i) + 0.5) * old_w;
    const double pos = new_w > 0.0 ? (centre - new_lo) / new_w : 0.0;
    moved[static_cast<std::size_t>(std::clamp(pos, 0.0, bins - 1.0))] += counts[i];
  }
  counts = moved;
  lo = new_lo;
  hi = new_hi;
}

void RarityHistogram::Add(double x, double decay, double min_mass) {
  const auto bins = static_cast<double>(kBins);
  if (empty) {
    lo = x;
    hi = x;
    empty = false;
  }
  if (x < lo || x > hi) Remap(std::min(x, lo), std::max(x, hi));
  const auto keep = static_cast<float>(1.0 - decay);
  for (float& c : counts) c *= keep;
  total *= keep;
  double width = (hi - lo) / bins;
  // Shrink: when an end bin has decayed below min_mass of the total, the range is trimmed to the
  // occupied bins, so a long-gone excursion stops blurring the resolution (rare: afterwards both
  // end bins hold mass again).
  if (min_mass > 0.0 && width > 0.0 &&
      (counts[0] < min_mass * total || counts[kBins - 1] < min_mass * total)) {
    std::size_t first = 0;
    std::size_t last = kBins - 1;
    while (first < last && counts[first] < min_mass * total) ++first;
    while (last > first && counts[last] < min_mass * total) --last;
    const double new_lo = lo + static_cast<double>(first) * width;
    const double new_hi = lo + static_cast<double>(last + 1) * width;
    Remap(std::min(new_lo, x), std::max(new_hi, x));
    width = (hi - lo) / bins;
  }
  const double pos = width > 0.0 ? (x - lo) / width : 0.0;
  counts[static_cast<std::size_t>(std::clamp(pos, 0.0, bins - 1.0))] += 1.0F;
  total += 1.0F;
}

AnomalyDetector::AnomalyDetector(const AnomalyConfig& config) : config_(config) {
  config_.agree = std::clamp(config_.agree, 1, static_cast<int>(AnomalyConfig::kFeatures));
  if (!(config_.z_half > 0.0)) config_.z_half = 1.0;
  config_.features &= (1U << AnomalyConfig::kFeatures) - 1;
  // Features that do not vote are never scored nor learned: no histogram for them.
  state_.hist.resize(static_cast<std::size_t>(std::popcount(config_.features)));
  state_.hist.shrink_to_fit();
}

const RarityHistogram* AnomalyDetector::histogram(std::size_t feature) const {
  if (feature >= AnomalyConfig::kFeatures || (config_.features & (1U << feature)) == 0) {
    return nullptr;
  }
  const auto slot = static_cast<std::size_t>(std::popcount(config_.features & ((1U << feature) - 1)));
  return &state_.hist[slot];
}

std::size_t AnomalyDetector::StateBytes() const {
  return sizeof(*this) + state_.hist.capacity() * sizeof(RarityHistogram);
}

double AnomalyDetector::Update(TimestampMs /*t*/, double value, double forecast, double entropy) {
  auto& s = state_;
  if (!std::isfinite(value)) return s.last_score;
  value = Tame(value);
  if (s.n == 0) {
    s.last_value = value;
    s.smooth = value;
  }
  const double predicted = std::isfinite(forecast) ? Tame(forecast) : s.last_value;
  const double smooth = s.smooth + config_.smooth_alpha * (value - s.smooth);
  const bool has_entropy = std::isfinite(entropy);
  const std::array<double, AnomalyConfig::kFeatures> feature = {
      value, value - predicted, value - s.last_value, smooth, has_entropy ? entropy : 0.0};

  // Judge each feature against its histogram, then let the histogram learn it.
  std::array<double, AnomalyConfig::kFeatures> z{};
  std::size_t voters = 0;
  std::size_t slot = 0;  // index of feature i's histogram in s.hist
  for (std::size_t i = 0; i < AnomalyConfig::kFeatures; ++i) {
    if ((config_.features & (1U << i)) == 0) continue;
    RarityHistogram& h = s.hist[slot++];
    if (i == AnomalyConfig::kEntropy && !has_entropy) continue;
    z[voters++] = config_.feature_weight[i] * h.Z(feature[i]);
    h.Add(feature[i], config_.histogram_decay, config_.shrink_mass);
  }
  // Consensus: the agree-th largest z (insertion sort, descending; at most five values).
  for (std::size_t i = 1; i < voters; ++i) {
    for (std::size_t j = i; j > 0 && z[j] > z[j - 1]; --j) std::swap(z[j], z[j - 1]);
  }
  const std::size_t k = std::min(static_cast<std::size_t>(config_.agree), voters);
  const double combined = k > 0 ? z[k - 1] : 0.0;

  s.smooth = smooth;
  s.last_value = value;
  if (s.n < 0xFFFFFFFFU) ++s.n;

  double score = 0.0;
  if (s.n > config_.cold_start_samples) score = combined / (combined + config_.z_half);
  // Debounce: only a score above the decaying peak of recent scores is an alarm of its own.
  const double peak = s.peak;
  s.peak = std::max(score, s.peak * config_.peak_decay);
  if (score <= peak) score *= config_.suppress;
  bool echo = false;
  if (s.since_alarm < config_.echo_samples) {
    const double relax =
        static_cast<double>(s.since_alarm) / static_cast<double>(config_.echo_samples);
    echo = !(combined >= s.alarm_z + config_.echo_margin_z * (1.0 - relax));
  }
  if (echo || s.since_alarm < config_.refractory_samples) {
    score = std::min(score, config_.alarm_threshold * 0.999);
  }
  if (score >= config_.alarm_threshold) {
    s.since_alarm = 0;
    s.alarm_z = combined;
  } else if (s.since_alarm < 0xFFFFFFFFU) {
    ++s.since_alarm;
  }
  if (!std::isfinite(score)) score = 0.0;
  s.last_score = std::clamp(score, 0.0, 1.0);
  return s.last_score;
}

}  // namespace prognos::signal
