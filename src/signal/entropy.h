// Window entropy of one indicator (how disordered its recent values are) and the composite entropy
// score of a host (weighted mean of its indicators' normalised entropies, with its rate of change).
// Pure streaming math: time is passed in, no IO. Not thread-safe; each object is owned by one
// shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "core/time.h"

namespace prognos::signal {

// How a value becomes a bin index.
enum class Binning {
  kFixedRange,  // `bins` equal bins over [range_lo, range_hi]; outside values go to the end bins
  kAdaptiveQuantile,  // bin edges at quantiles of a slowly updated sketch, re-binned every
                      // `rebin_every`
  kCategorical,       // the value rounded to an integer category 0..bins-1 (status: 0 ok, 1 warn, 2
                      // fail)
};

struct EntropyConfig {
  Binning binning = Binning::kFixedRange;
  int bins = 16;          // 2..64; categorical status uses 3
  double range_lo = 0.0;  // kFixedRange only
  double range_hi = 1.0;  // kFixedRange only
  // Window: count-based when window_ms == 0 (the last `window_count` samples), else time-based (the
  // samples with time > newest - window_ms; `window_count` then caps how many are kept).
  std::size_t window_count = 64;
  DurationMs window_ms = 0;
  // kAdaptiveQuantile: samples between re-binnings, and the sketch's step size as a fraction of its
  // current spread. A re-binning re-assigns the window's stored values: O(window), amortised O(1).
  std::size_t rebin_every = 256;
  double sketch_rate = 0.02;
};

// Streaming Shannon entropy over a sliding window, H = −Σ_i p_i log₂ p_i with p_i = c_i / n.
//
// O(1) per sample: with S = Σ_i c_i log₂ c_i kept up to date as counts change,
//   H = log₂ n − S / n
// (expand p_i = c_i/n: −Σ (c_i/n)(log₂ c_i − log₂ n) = log₂ n − S/n). Adding a sample to bin i
// changes S by (c+1)log₂(c+1) − c log₂ c; evicting one reverses it. S is recomputed from the counts
// every kRecomputeEvery updates so that rounding never drifts (amortised O(bins / 4096)).
//
// Normalised entropy = H / log₂(bins) ∈ [0, 1]: 0 when every sample falls in one bin (constant
// series), 1 when the window is spread uniformly over all bins.
// Degenerate cases: empty window → 0; one sample → 0; NaN/Inf values are skipped (not counted).
// Time-based windows evict on every Update and on Evict(now); timestamps must be non-decreasing
// (an older sample is treated as arriving at the newest time seen).
class WindowEntropy {
 public:
  explicit WindowEntropy(const EntropyConfig& config);

  // Adds one sample (skipped when not finite) and evicts what left the window. Returns
  // Normalized().
  double Update(TimestampMs t, double value);
  // Time-based windows: drops samples older than now − window_ms without adding one.
  void Evict(TimestampMs now);

  double Bits() const;        // H in bits, ∈ [0, log₂ bins]
  double Normalized() const;  // H / log₂ bins, ∈ [0, 1]
  std::size_t count() const { return size_; }
  const std::vector<std::uint32_t>& bin_counts() const { return counts_; }
  // Bin a value would fall into now (exposed for tests).
  int BinOf(double value) const;
  // Bytes of heap + object state (for the per-series memory budget).
  std::size_t StateBytes() const;

  // Reference implementation: entropy (bits) of a count vector, computed from scratch.
  static double EntropyBitsFromCounts(const std::vector<std::uint32_t>& counts);

 private:
  static constexpr std::uint32_t kRecomputeEvery = 4096;

  void Add(int bin);
  void Remove(int bin);
  void PopOldest();
  void UpdateSketch(double value);
  void Rebin();
  void RecomputeSum();

  // The sketch's edge estimates and the frozen edges used for binning (see quantiles_).
  std::span<double> Sketch() { return {quantiles_.data(), quantiles_.size() / 2}; }
  std::span<const double> Edges() const {
    return std::span<const double>(quantiles_).subspan(quantiles_.size() / 2);
  }

  // Counters are 32-bit (the window is capped at 2³² − 1 samples) and packed next to each other:
  // with all signals on, this object is held once per series.
  EntropyConfig config_;
  std::vector<std::uint32_t> counts_;  // per bin
  double sum_clogc_ = 0.0;             // S = Σ c log₂ c
  std::uint32_t updates_since_recompute_ = 0;
  bool has_time_ = false;

  // Ring buffer of the window in one array of cap_ slots: times (time-based windows only), then
  // values (adaptive binning only), then bins — one allocation and one vector instead of three;
  // with ≤ 16 bins, two bins per byte (the default 8 bins over 64 samples: 32 bytes, not 64).
  std::size_t TimesAt() const { return 0; }
  std::size_t ValuesAt() const { return config_.window_ms > 0 ? cap_ * sizeof(TimestampMs) : 0; }
  std::size_t BinsAt() const {
    return ValuesAt() + (config_.binning == Binning::kAdaptiveQuantile ? cap_ * sizeof(float) : 0);
  }
  bool PackedBins() const { return config_.bins <= 16; }
  std::size_t RingBytes(std::size_t cap) const;
  std::uint8_t RingBin(std::size_t i) const;
  void SetRingBin(std::size_t i, int bin);
  TimestampMs RingTime(std::size_t i) const;
  float RingValue(std::size_t i) const;
  void SetRing(std::size_t i, TimestampMs t, float value);

  std::uint32_t head_ = 0;  // index of the oldest entry
  std::uint32_t size_ = 0;
  std::uint32_t cap_ = 0;  // slots in ring_
  std::vector<std::byte> ring_;
  TimestampMs newest_ = 0;

  // Adaptive quantile sketch: bins−1 edge estimates, updated by stochastic approximation, then
  // the bins−1 frozen edges used for binning, in one array (empty until the sketch starts).
  std::vector<double> quantiles_;
  std::uint32_t seen_ = 0;  // saturates
  std::uint32_t since_rebin_ = 0;
};

// Composite entropy score of a host: E = Σ w_i h_i / Σ w_i over the indicators seen so far (h_i the
// normalised window entropy of indicator i), and its rate of change, an exponentially weighted
// slope dE/dt (per hour) with the given half-life. Weights come from config; a weight ≤ 0 or NaN
// drops that indicator. Before any indicator is set: value 0, slope 0.
class CompositeEntropy {
 public:
  CompositeEntropy(std::vector<double> weights, DurationMs slope_half_life_ms);

  // Records indicator i's latest normalised entropy (clamped to [0, 1]; NaN is ignored).
  void SetIndicator(std::size_t index, double normalized_entropy);
  // Recomputes the composite at `now` and folds the change since the last Update into the slope.
  // Returns the composite value.
  double Update(TimestampMs now);

  double value() const { return value_; }
  double slope_per_hour() const { return slope_per_hour_; }

 private:
  std::vector<double> weights_;
  std::vector<double> latest_;  // NaN = not seen
  DurationMs half_life_ms_;
  double value_ = 0.0;
  double slope_per_hour_ = 0.0;
  TimestampMs last_update_ = 0;
  bool has_update_ = false;
};

}  // namespace prognos::signal
