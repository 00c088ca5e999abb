#include "signal/entropy.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

namespace prognos::signal {
namespace {

constexpr int kMaxBins = 64;  // bins are stored as uint8 in the window ring

// c log₂ c with 0 log 0 = 0; counts below kTable come from a table built once (immutable after
// its thread-safe initialisation), which halves the cost of an update.
constexpr std::size_t kTable = 1024;

const std::array<double, kTable>& CLogCTable() {
  static const std::array<double, kTable> table = [] {
    std::array<double, kTable> t{};
    for (std::size_t c = 1; c < kTable; ++c) {
      t[c] = static_cast<double>(c) * std::log2(static_cast<double>(c));
    }
    return t;
  }();
  return table;
}

double CLogC(double c) {
  if (c < static_cast<double>(kTable))
    return c > 0.0 ? CLogCTable()[static_cast<std::size_t>(c)] : 0.0;
  return c * std::log2(c);
}

int ClampBins(int bins) { return std::clamp(bins, 2, kMaxBins); }

}  // namespace

WindowEntropy::WindowEntropy(const EntropyConfig& config) : config_(config) {
  config_.bins = ClampBins(config_.bins);
  constexpr std::size_t kMaxCount = 0xFFFFFFFFU;  // 32-bit ring indices and counters
  config_.window_count = std::clamp<std::size_t>(config_.window_count, 1, kMaxCount);
  config_.rebin_every = std::clamp<std::size_t>(config_.rebin_every, 1, kMaxCount);
  if (!(config_.range_hi > config_.range_lo)) config_.range_hi = config_.range_lo + 1.0;
  counts_.assign(static_cast<std::size_t>(config_.bins), 0);
  // Count-based windows know their size up front; time-based ones grow up to window_count.
  const std::size_t initial = config_.window_ms > 0
                                  ? std::min<std::size_t>(config_.window_count, 16)
                                  : config_.window_count;
  cap_ = static_cast<std::uint32_t>(initial);
  ring_.resize(RingBytes(cap_));
}

std::size_t WindowEntropy::RingBytes(std::size_t cap) const {
  const std::size_t slot = (config_.window_ms > 0 ? sizeof(TimestampMs) : 0) +
                           (config_.binning == Binning::kAdaptiveQuantile ? sizeof(float) : 0);
  return cap * slot + (PackedBins() ? (cap + 1) / 2 : cap);
}

// Ring fields are read and written with memcpy (no aliasing questions; compiles to one move).
std::uint8_t WindowEntropy::RingBin(std::size_t i) const {
  if (!PackedBins()) return static_cast<std::uint8_t>(ring_[BinsAt() + i]);
  const auto b = static_cast<unsigned>(ring_[BinsAt() + i / 2]);
  return static_cast<std::uint8_t>((b >> (4 * (i & 1))) & 0xFU);
}

void WindowEntropy::SetRingBin(std::size_t i, int bin) {
  if (!PackedBins()) {
    ring_[BinsAt() + i] = static_cast<std::byte>(bin);
    return;
  }
  std::byte& b = ring_[BinsAt() + i / 2];
  const unsigned shift = 4 * (i & 1);
  b = static_cast<std::byte>((static_cast<unsigned>(b) & ~(0xFU << shift)) |
                             ((static_cast<unsigned>(bin) & 0xFU) << shift));
}

TimestampMs WindowEntropy::RingTime(std::size_t i) const {
  TimestampMs t;
  std::memcpy(&t, ring_.data() + TimesAt() + i * sizeof(TimestampMs), sizeof(t));
  return t;
}

float WindowEntropy::RingValue(std::size_t i) const {
  float v;
  std::memcpy(&v, ring_.data() + ValuesAt() + i * sizeof(float), sizeof(v));
  return v;
}

void WindowEntropy::SetRing(std::size_t i, TimestampMs t, float value) {
  if (config_.window_ms > 0) {
    std::memcpy(ring_.data() + TimesAt() + i * sizeof(TimestampMs), &t, sizeof(t));
  }
  if (config_.binning == Binning::kAdaptiveQuantile) {
    std::memcpy(ring_.data() + ValuesAt() + i * sizeof(float), &value, sizeof(value));
  }
}

int WindowEntropy::BinOf(double value) const {
  const int bins = config_.bins;
  switch (config_.binning) {
    case Binning::kCategorical: {
      const double r = std::round(value);
      if (!(r > 0.0)) return 0;
      return r >= bins - 1 ? bins - 1 : static_cast<int>(r);
    }
    case Binning::kFixedRange: {
      const double x = (value - config_.range_lo) / (config_.range_hi - config_.range_lo) * bins;
      if (!(x > 0.0)) return 0;
      return x >= bins - 1 ? bins - 1 : static_cast<int>(x);
    }
    case Binning::kAdaptiveQuantile: {
      const std::span<const double> edges = Edges();
      if (edges.empty()) return 0;
      // Bin = number of edges ≤ value (edges are sorted).
      return static_cast<int>(std::upper_bound(edges.begin(), edges.end(), value) -
                              edges.begin());
    }
  }
  return 0;
}

void WindowEntropy::Add(int bin) {
  auto& c = counts_[static_cast<std::size_t>(bin)];
  sum_clogc_ += CLogC(c + 1.0) - CLogC(c);
  ++c;
}

void WindowEntropy::Remove(int bin) {
  auto& c = counts_[static_cast<std::size_t>(bin)];
  sum_clogc_ += CLogC(c - 1.0) - CLogC(c);
  --c;
}

void WindowEntropy::PopOldest() {
  Remove(RingBin(head_));
  head_ = head_ + 1 == cap_ ? 0 : head_ + 1;
  --size_;
}

void WindowEntropy::RecomputeSum() {
  double s = 0.0;
  for (const std::uint32_t c : counts_) s += CLogC(c);
  sum_clogc_ = s;
  updates_since_recompute_ = 0;
}

void WindowEntropy::Evict(TimestampMs now) {
  if (config_.window_ms <= 0) return;
  // Keep samples with time > now − window_ms.
  while (size_ > 0 && RingTime(head_) <= now - config_.window_ms) PopOldest();
}

// Stochastic-approximation quantile sketch: edge j tracks the quantile τ_j = (j+1)/bins by
//   q_j ← q_j + η (τ_j − 1[x < q_j]),
// which is stationary exactly where P(x < q_j) = τ_j. η = sketch_rate × current spread, so the
// sketch follows the series' scale; the spread never reaches 0 so a constant series that starts
// moving can still open its bins. Edges are re-sorted after each step (they may cross under noise).
void WindowEntropy::UpdateSketch(double value) {
  const std::span<double> sketch = Sketch();
  const std::size_t k = sketch.size();
  if (k == 0) return;
  const double spread = sketch.back() - sketch.front();
  const double floor = 1e-9 * std::max(1.0, std::fabs(value));
  const double eta =
      config_.sketch_rate * std::max({spread, std::fabs(value - sketch[k / 2]), floor});
  for (std::size_t j = 0; j < k; ++j) {
    const double tau = static_cast<double>(j + 1) / static_cast<double>(k + 1);
    sketch[j] += eta * (tau - (value < sketch[j] ? 1.0 : 0.0));
  }
  std::sort(sketch.begin(), sketch.end());
}

// Freezes the sketch as bin edges and re-assigns every stored value (O(window), rare).
void WindowEntropy::Rebin() {
  const std::size_t k = quantiles_.size() / 2;
  std::copy(quantiles_.begin(), quantiles_.begin() + static_cast<std::ptrdiff_t>(k),
            quantiles_.begin() + static_cast<std::ptrdiff_t>(k));
  std::fill(counts_.begin(), counts_.end(), 0U);
  for (std::size_t i = 0; i < size_; ++i) {
    const std::size_t idx = (head_ + i) % cap_;
    const int bin = BinOf(RingValue(idx));
    SetRingBin(idx, bin);
    ++counts_[static_cast<std::size_t>(bin)];
  }
  RecomputeSum();
  since_rebin_ = 0;
}

double WindowEntropy::Update(TimestampMs t, double value) {
  newest_ = has_time_ ? std::max(newest_, t) : t;
  has_time_ = true;
  Evict(newest_);
  if (!std::isfinite(value)) return Normalized();

  // Make room: a count-based window (or a full time-based one at its cap) drops its oldest sample;
  // a time-based ring below its cap doubles.
  if (size_ == cap_) {
    if (config_.window_ms > 0 && cap_ < config_.window_count) {
      // Unroll the ring into a larger one, oldest first.
      WindowEntropy grown = *this;
      grown.cap_ = static_cast<std::uint32_t>(
          std::min<std::size_t>(config_.window_count, std::size_t{cap_} * 2));
      grown.ring_.assign(RingBytes(grown.cap_), std::byte{0});
      for (std::size_t i = 0; i < size_; ++i) {
        const std::size_t from = (head_ + i) % cap_;
        grown.SetRing(i, RingTime(from),
                      config_.binning == Binning::kAdaptiveQuantile ? RingValue(from) : 0.0F);
        grown.SetRingBin(i, RingBin(from));
      }
      cap_ = grown.cap_;
      ring_ = std::move(grown.ring_);
      head_ = 0;
    } else {
      PopOldest();
    }
  }

  const bool adaptive = config_.binning == Binning::kAdaptiveQuantile;
  if (adaptive) {
    if (seen_ < 0xFFFFFFFFU) ++seen_;
    if (!quantiles_.empty()) UpdateSketch(value);
  }
  const std::size_t tail = (head_ + size_) % cap_;
  SetRing(tail, newest_, static_cast<float>(value));
  const int bin = BinOf(value);
  SetRingBin(tail, bin);
  ++size_;
  Add(bin);

  if (adaptive) {
    // Warm-up: while the window first fills, seed the sketch with the exact quantiles of what is
    // stored at sizes 8, 16, 32, … (geometric, so amortised O(log window) per sample).
    ++since_rebin_;
    const bool warmup = seen_ <= cap_ && (seen_ & (seen_ - 1)) == 0 && seen_ >= 8;
    if (warmup) {
      std::vector<float> sorted(size_);
      for (std::size_t i = 0; i < size_; ++i)
        sorted[i] = RingValue((head_ + i) % cap_);
      std::sort(sorted.begin(), sorted.end());
      quantiles_.resize(2 * (static_cast<std::size_t>(config_.bins) - 1));
      const std::span<double> sketch = Sketch();
      for (std::size_t j = 0; j < sketch.size(); ++j) {
        const double q = static_cast<double>(j + 1) / static_cast<double>(config_.bins);
        sketch[j] = sorted[std::min(
            sorted.size() - 1, static_cast<std::size_t>(q * static_cast<double>(sorted.size())))];
      }
      Rebin();
    } else if (!quantiles_.empty() && since_rebin_ >= config_.rebin_every) {
      Rebin();
    }
  }
  if (++updates_since_recompute_ >= kRecomputeEvery) RecomputeSum();
  return Normalized();
}

double WindowEntropy::Bits() const {
  if (size_ < 2) return 0.0;
  const auto n = static_cast<double>(size_);
  const double h = std::log2(n) - sum_clogc_ / n;
  return std::clamp(h, 0.0, std::log2(static_cast<double>(config_.bins)));
}

double WindowEntropy::Normalized() const {
  return std::clamp(Bits() / std::log2(static_cast<double>(config_.bins)), 0.0, 1.0);
}

std::size_t WindowEntropy::StateBytes() const {
  return sizeof(*this) + counts_.capacity() * sizeof(std::uint32_t) +
         ring_.capacity() +
         quantiles_.capacity() * sizeof(double);
}

double WindowEntropy::EntropyBitsFromCounts(const std::vector<std::uint32_t>& counts) {
  double n = 0.0;
  for (const std::uint32_t c : counts) n += c;
  if (n <= 0.0) return 0.0;
  double h = 0.0;
  for (const std::uint32_t c : counts) {
    if (c == 0) continue;
    const double p = c / n;
    h -= p * std::log2(p);
  }
  return h;
}

CompositeEntropy::CompositeEntropy(std::vector<double> weights, DurationMs slope_half_life_ms)
    : weights_(std::move(weights)),
      latest_(weights_.size(), std::numeric_limits<double>::quiet_NaN()),
      half_life_ms_(std::max<DurationMs>(slope_half_life_ms, 1)) {}

void CompositeEntropy::SetIndicator(std::size_t index, double normalized_entropy) {
  if (index >= latest_.size() || std::isnan(normalized_entropy)) return;
  latest_[index] = std::clamp(normalized_entropy, 0.0, 1.0);
}

// E = Σ w_i h_i / Σ w_i over seen indicators. Slope: the finite difference ΔE/Δt (per hour) is
// folded into an EW mean with weight α = 1 − 2^(−Δt / half_life), so irregular spacing is handled
// (a long gap weighs its difference more, a burst of updates at one time adds nothing).
double CompositeEntropy::Update(TimestampMs now) {
  double num = 0.0;
  double den = 0.0;
  for (std::size_t i = 0; i < latest_.size(); ++i) {
    const double w = weights_[i];
    if (std::isnan(latest_[i]) || !(w > 0.0)) continue;
    num += w * latest_[i];
    den += w;
  }
  const double e = den > 0.0 ? num / den : 0.0;
  if (has_update_ && now > last_update_) {
    const auto dt_ms = static_cast<double>(now - last_update_);
    const double alpha = 1.0 - std::exp2(-dt_ms / static_cast<double>(half_life_ms_));
    const double rate = (e - value_) / (dt_ms / static_cast<double>(kHourMs));
    slope_per_hour_ += alpha * (rate - slope_per_hour_);
  }
  if (!has_update_ || now >= last_update_) last_update_ = now;
  has_update_ = true;
  value_ = e;
  return e;
}

}  // namespace prognos::signal
