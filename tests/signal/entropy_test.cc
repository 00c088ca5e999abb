#include "signal/entropy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace prognos::signal {
namespace {

EntropyConfig FixedConfig(int bins, std::size_t window) {
  EntropyConfig c;
  c.binning = Binning::kFixedRange;
  c.bins = bins;
  c.range_lo = 0.0;
  c.range_hi = static_cast<double>(bins);
  c.window_count = window;
  return c;
}

// Exact from-scratch entropy of the last `window` values binned by `e`.
double FromScratchBits(const WindowEntropy& e, const std::vector<double>& values, int bins) {
  std::vector<std::uint32_t> counts(static_cast<std::size_t>(bins), 0);
  for (double v : values) ++counts[static_cast<std::size_t>(e.BinOf(v))];
  return WindowEntropy::EntropyBitsFromCounts(counts);
}

TEST(WindowEntropyTest, UniformOverKBinsIsLog2K) {
  for (int k : {2, 3, 4, 8, 16, 64}) {
    SCOPED_TRACE("k=" + std::to_string(k));
    WindowEntropy e(FixedConfig(k, static_cast<std::size_t>(4 * k)));
    for (int i = 0; i < 4 * k; ++i) e.Update(i, i % k + 0.5);
    // Each bin holds exactly 4 of 4k samples: H = −Σ (1/k) log₂(1/k) = log₂ k.
    EXPECT_NEAR(e.Bits(), std::log2(k), 1e-12);
    EXPECT_NEAR(e.Normalized(), 1.0, 1e-12);
  }
}

TEST(WindowEntropyTest, ConstantSeriesIsZero) {
  WindowEntropy e(FixedConfig(8, 32));
  for (int i = 0; i < 100; ++i) e.Update(i, 3.3);
  EXPECT_EQ(e.Bits(), 0.0);
  EXPECT_EQ(e.Normalized(), 0.0);
}

TEST(WindowEntropyTest, EmptyAndSingleSampleAreZero) {
  WindowEntropy e(FixedConfig(8, 32));
  EXPECT_EQ(e.Normalized(), 0.0);
  e.Update(0, 1.0);
  EXPECT_EQ(e.Normalized(), 0.0);
}

TEST(WindowEntropyTest, TwoEqualHalvesIsOneBit) {
  WindowEntropy e(FixedConfig(4, 10));
  for (int i = 0; i < 10; ++i) e.Update(i, i % 2 == 0 ? 0.5 : 3.5);
  // p = (½, ½): H = 1 bit; normalised by log₂ 4 = 2 → 0.5.
  EXPECT_NEAR(e.Bits(), 1.0, 1e-12);
  EXPECT_NEAR(e.Normalized(), 0.5, 1e-12);
}

TEST(WindowEntropyTest, NonFiniteValuesAreSkipped) {
  WindowEntropy e(FixedConfig(4, 8));
  e.Update(0, 0.5);
  e.Update(1, std::numeric_limits<double>::quiet_NaN());
  e.Update(2, std::numeric_limits<double>::infinity());
  e.Update(3, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(e.count(), 1U);
  EXPECT_EQ(e.Normalized(), 0.0);
}

TEST(WindowEntropyTest, OutOfRangeValuesClampToEndBins) {
  WindowEntropy e(FixedConfig(4, 8));
  EXPECT_EQ(e.BinOf(-1e300), 0);
  EXPECT_EQ(e.BinOf(1e300), 3);
  EXPECT_EQ(e.BinOf(4.0), 3);
}

TEST(WindowEntropyTest, CategoricalStatusUsesThreeBins) {
  EntropyConfig c;
  c.binning = Binning::kCategorical;
  c.bins = 3;
  c.window_count = 6;
  WindowEntropy e(c);
  for (int i = 0; i < 6; ++i) e.Update(i, i % 3);  // ok, warning, fail equally often
  EXPECT_NEAR(e.Bits(), std::log2(3.0), 1e-12);
  EXPECT_NEAR(e.Normalized(), 1.0, 1e-12);
  EXPECT_EQ(e.BinOf(7.0), 2);
  EXPECT_EQ(e.BinOf(-2.0), 0);
}

// Property: the incremental entropy equals the entropy recomputed from the window's values, on
// seeded random streams, for every binning and window kind; and it stays within [0, log₂ k].
TEST(WindowEntropyTest, IncrementalEqualsRecomputedOnRandomStreams) {
  std::mt19937_64 rng(12345);
  for (int trial = 0; trial < 20; ++trial) {
    SCOPED_TRACE("trial=" + std::to_string(trial));
    const int bins = 2 + static_cast<int>(rng() % 30);
    const std::size_t window = 1 + rng() % 200;
    EntropyConfig c = FixedConfig(bins, window);
    if (trial % 3 == 1) c.binning = Binning::kCategorical;
    WindowEntropy e(c);
    std::vector<double> all;
    std::normal_distribution<double> noise(bins / 2.0, bins / 4.0);
    for (int i = 0; i < 10'000; ++i) {
      const double v = noise(rng);
      all.push_back(v);
      e.Update(i, v);
      if (i % 97 == 0 || i > 9'990) {
        const std::size_t n = std::min(all.size(), window);
        std::vector<double> last(all.end() - static_cast<std::ptrdiff_t>(n), all.end());
        const double expected = FromScratchBits(e, last, bins);
        // Tolerance: S = Σ c log₂ c is rebuilt every 4096 updates, so drift is a few ulps of S.
        ASSERT_NEAR(e.Bits(), expected, 1e-9);
        ASSERT_GE(e.Bits(), 0.0);
        ASSERT_LE(e.Bits(), std::log2(bins) + 1e-12);
      }
    }
  }
}

TEST(WindowEntropyTest, AdaptiveQuantileIncrementalEqualsRecomputed) {
  std::mt19937_64 rng(7);
  EntropyConfig c;
  c.binning = Binning::kAdaptiveQuantile;
  c.bins = 8;
  c.window_count = 64;
  c.rebin_every = 100;
  WindowEntropy e(c);
  std::vector<double> all;
  std::lognormal_distribution<double> d(0.0, 1.0);
  for (int i = 0; i < 5'000; ++i) {
    // Stored values are floats: recompute from the same float-rounded values.
    const double v = static_cast<float>(d(rng) * (i > 2'500 ? 10.0 : 1.0));
    all.push_back(v);
    e.Update(i, v);
    const std::size_t n = std::min<std::size_t>(all.size(), 64);
    std::vector<double> last(all.end() - static_cast<std::ptrdiff_t>(n), all.end());
    ASSERT_NEAR(e.Bits(), FromScratchBits(e, last, 8), 1e-9) << "i=" << i;
  }
  // Quantile bins of a stationary stream are roughly equally filled: entropy near its maximum.
  EXPECT_GT(e.Normalized(), 0.8);
}

TEST(WindowEntropyTest, AdaptiveQuantileConstantIsZeroAndChangeRaisesIt) {
  EntropyConfig c;
  c.binning = Binning::kAdaptiveQuantile;
  c.bins = 8;
  c.window_count = 32;
  WindowEntropy e(c);
  for (int i = 0; i < 500; ++i) e.Update(i, 42.0);
  EXPECT_EQ(e.Normalized(), 0.0);
  for (int i = 500; i < 520; ++i) e.Update(i, 42.0 + (i % 5));
  EXPECT_GT(e.Normalized(), 0.0);
}

TEST(WindowEntropyTest, TimeBasedWindowEvictsOldSamples) {
  EntropyConfig c = FixedConfig(4, 1000);
  c.window_ms = 10'000;  // 10 s
  WindowEntropy e(c);
  // t = 0..9 s: one sample per second in bin 0; t = 10..14 s: bin 3.
  for (int s = 0; s < 10; ++s) e.Update(s * 1000, 0.5);
  EXPECT_EQ(e.count(), 10U);
  for (int s = 10; s < 15; ++s) e.Update(s * 1000, 3.5);
  // The window is (14 s − 10 s, 14 s]: samples at 5..14 s, five in each bin → 1 bit.
  EXPECT_EQ(e.count(), 10U);
  EXPECT_NEAR(e.Bits(), 1.0, 1e-12);
  // Advance the clock with no sample: everything older than 30 s − 10 s goes.
  e.Evict(30'000);
  EXPECT_EQ(e.count(), 0U);
  EXPECT_EQ(e.Normalized(), 0.0);
}

TEST(WindowEntropyTest, TimeBasedWindowRespectsCountCapAndGrows) {
  EntropyConfig c = FixedConfig(4, 50);
  c.window_ms = kHourMs;
  WindowEntropy e(c);
  for (int i = 0; i < 200; ++i) e.Update(i * 1000, i % 4 + 0.5);
  EXPECT_EQ(e.count(), 50U);
  EXPECT_NEAR(e.Bits(), WindowEntropy::EntropyBitsFromCounts(e.bin_counts()), 1e-12);
}

// The ring holds times, float values and bins in one array, bins two to a byte when there are
// at most 16: a time-based adaptive window that grows (16 → 32 → 64 → 100 slots), wraps and
// evicts must still count exactly the samples with time > newest − window (at most 100 of them),
// for packed (8, 16 bins) and unpacked (17, 40 bins) rings alike.
TEST(WindowEntropyTest, TimeBasedAdaptiveRingGrowsWrapsAndEvictsExactly) {
  for (const int bins : {8, 16, 17, 40}) {
    SCOPED_TRACE("bins=" + std::to_string(bins));
    EntropyConfig c;
    c.binning = Binning::kAdaptiveQuantile;
    c.bins = bins;
    c.window_count = 100;
    c.window_ms = 60'000;
    c.rebin_every = 50;
    WindowEntropy e(c);
    std::mt19937_64 rng(static_cast<std::uint64_t>(bins));
    std::normal_distribution<double> d(100.0, 15.0);
    std::vector<std::pair<TimestampMs, double>> all;
    TimestampMs t = 0;
    for (int i = 0; i < 3'000; ++i) {
      t += 100 + static_cast<TimestampMs>(rng() % 2'000);  // 0.1–2.1 s apart: 28–600 in a window
      const double v = static_cast<float>(d(rng));
      all.emplace_back(t, v);
      e.Update(t, v);
      std::vector<double> in_window;
      for (std::size_t k = all.size(); k-- > 0 && in_window.size() < 100;) {
        if (all[k].first <= t - c.window_ms) break;
        in_window.push_back(all[k].second);
      }
      ASSERT_EQ(e.count(), in_window.size()) << "i=" << i;
      ASSERT_NEAR(e.Bits(), FromScratchBits(e, in_window, bins), 1e-9) << "i=" << i;
    }
  }
}

TEST(CompositeEntropyTest, WeightedMeanOfSeenIndicators) {
  CompositeEntropy h({1.0, 3.0, 0.0}, kHourMs);
  EXPECT_EQ(h.Update(0), 0.0);  // nothing seen yet
  h.SetIndicator(0, 0.2);
  EXPECT_NEAR(h.Update(0), 0.2, 1e-12);  // only indicator 0 seen
  h.SetIndicator(1, 0.6);
  h.SetIndicator(2, 1.0);  // weight 0: ignored
  // (1·0.2 + 3·0.6) / 4 = 0.5
  EXPECT_NEAR(h.Update(0), 0.5, 1e-12);
  h.SetIndicator(1, std::numeric_limits<double>::quiet_NaN());  // ignored
  EXPECT_NEAR(h.Update(0), 0.5, 1e-12);
}

TEST(CompositeEntropyTest, SlopeFollowsASteadyRise) {
  CompositeEntropy h({1.0}, 10 * kMinuteMs);
  // Entropy rising 0.1 per hour, updated every minute for 10 hours.
  for (int m = 0; m <= 600; ++m) {
    h.SetIndicator(0, 0.1 * m / 60.0);
    h.Update(m * kMinuteMs);
  }
  EXPECT_NEAR(h.slope_per_hour(), 0.1, 1e-6);
  EXPECT_NEAR(h.value(), 1.0, 1e-12);
}

}  // namespace
}  // namespace prognos::signal
