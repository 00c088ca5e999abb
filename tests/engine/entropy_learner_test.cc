#include "engine/entropy_learner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace prognos::engine {
namespace {

constexpr DurationMs kStep = 5 * kMinuteMs;

EntropyLearnerOptions Options() {
  EntropyLearnerOptions o;
  o.min_fit_steps = 200;
  o.spike_window = 48;
  o.spike_z = 4.0;
  return o;
}

TEST(EntropyLearnerTest, BeforeAFitTheOutlookIsPersistenceOfTheEqualWeightMean) {
  EntropyLearner l(Options(), kHourMs);
  const EntropyLearner::Entropies e = {{"cpu_util", 0.2}, {"mem_util", 0.6}, {"disk_io", NAN}};
  const EntropyOutlook o = l.Outlook("h", e);
  EXPECT_FALSE(o.learned);
  EXPECT_DOUBLE_EQ(o.composite, 0.4);  // (0.2 + 0.6) / 2: NaN is "no value"
  EXPECT_DOUBLE_EQ(o.forecast, 0.4);
  EXPECT_DOUBLE_EQ(o.rise, 0.0);
  for (double u : o.uplift.v) EXPECT_EQ(u, 0.0);
}

TEST(EntropyLearnerTest, ResourceOfAnIndicatorFollowsItsName) {
  EXPECT_EQ(EntropyLearner::ResourceOf("cpu_temp_c"), 0);
  EXPECT_EQ(EntropyLearner::ResourceOf("ecc_errors"), 1);
  EXPECT_EQ(EntropyLearner::ResourceOf("net_latency_ms"), 2);
  EXPECT_EQ(EntropyLearner::ResourceOf("smart_5_raw"), 3);
  EXPECT_EQ(EntropyLearner::ResourceOf("status"), -1);
  EXPECT_EQ(EntropyLearner::ResourceOf("queue_depth"), -1);
}

// Synthetic fleet (not real data): 6 hosts, 600 five-minute steps. Every 60 steps (offset per
// host) the entropy of "cpu_sched" rises from ~0.3 to 0.8 for 6 steps and, 3 steps after the rise
// starts, the host's CPU usage jumps from ~2 to ~10 cores for 6 steps; "mem_pages" is noise
// around 0.5 that never moves with the spikes.
TEST(EntropyLearnerTest, LearnsWhichIndicatorRisesBeforeSpikesAndTheUsageThatFollows) {
  EntropyLearner l(Options(), kHourMs);
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::optional<std::string> message;
  std::vector<int> refits;
  for (int t = 0; t < 600; ++t) {
    const TimestampMs now = t * kStep;
    for (int h = 0; h < 6; ++h) {
      const int phase = (t + 7 * h) % 60;
      const bool rising = phase >= 30 && phase < 36;
      const bool spike = phase >= 33 && phase < 39;
      const double cpu_e = rising ? 0.8 + 0.01 * noise(rng) : 0.3 + 0.01 * noise(rng);
      const double mem_e = 0.5 + 0.05 * noise(rng);
      policy::ResourceVector usage;
      usage.v[0] = spike ? 10.0 + 0.1 * noise(rng) : 2.0 + 0.1 * noise(rng);
      usage.v[1] = 8.0 + 0.1 * noise(rng);
      const EntropyLearner::Entropies e = {{"cpu_sched", cpu_e}, {"mem_pages", mem_e}};
      l.Observe(std::string("h").append(std::to_string(h)), now, e, usage, false);
    }
    if (auto m = l.MaybeRefit(now)) {
      // The first fit once 200 steps are recorded (t = 199), then one a day (288 steps) later.
      refits.push_back(t);
      message = m;
    }
  }
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(refits, (std::vector<int>{199, 199 + 288}));
  ASSERT_TRUE(l.fitted()) << *message;
  EXPECT_NE(message->find("entropy model refit on 6 host(s)"), std::string::npos) << *message;
  const auto& w = l.model().weights();
  ASSERT_EQ(w.size(), 2u);
  EXPECT_GT(w[0], 0.8) << *message;  // cpu_sched's rises precede the spikes
  EXPECT_LT(w[1], 0.2) << *message;
  // Three steps into a rise on h0: the cpu indicator drives it, and the learned uplift is of
  // the order of the 8-core jumps that followed such rises.
  const EntropyLearner::Entropies now = {{"cpu_sched", 0.8}, {"mem_pages", 0.5}};
  // Rewind h0 to a quiet state 3 steps ago by observing fresh steps: quiet, then the rise.
  for (int t = 600; t < 604; ++t) {
    const EntropyLearner::Entropies quiet = {{"cpu_sched", 0.3}, {"mem_pages", 0.5}};
    l.Observe("h0", t * kStep, t < 603 ? quiet : now, {}, false);
  }
  const EntropyOutlook o = l.Outlook("h0", now);
  EXPECT_TRUE(o.learned);
  EXPECT_NEAR(o.rise, 0.5 * w[0] + 0.0 * w[1], 0.02);
  EXPECT_GT(o.drivers.v[0], 0.99);  // cpu: only cpu_sched rose
  EXPECT_GT(o.uplift.v[0], 4.0);
  EXPECT_LT(o.uplift.v[0], 16.0);
  EXPECT_LT(o.uplift.v[1], 1.0);  // memory only wobbled (noise of 0.1 GiB) after rises
}

TEST(EntropyLearnerTest, NoFitBeforeEnoughHistory) {
  EntropyLearner l(Options(), kHourMs);
  for (int t = 0; t < 150; ++t) {
    l.Observe("h", t * kStep, {{"cpu_x", 0.5}}, {}, false);
    EXPECT_FALSE(l.MaybeRefit(t * kStep).has_value());
  }
  EXPECT_FALSE(l.fitted());
}

// Six hosts, 250 steps of two indicators (the second only from step 100) and a failure start.
EntropyLearner Recorded(EntropyLearnerOptions o) {
  EntropyLearner l(o, kHourMs);
  for (int t = 0; t < 250; ++t) {
    for (int h = 0; h < 6; ++h) {
      EntropyLearner::Entropies e = {{"cpu_sched", 0.3 + 0.001 * ((t * (h + 1)) % 97)}};
      if (t >= 100) e.push_back({"mem_pages", 0.5 + 0.002 * ((t + h) % 13)});
      policy::ResourceVector usage;
      usage.v[0] = 2.0 + ((t + 5 * h) % 40 == 0 ? 8.0 : 0.0);
      l.Observe(std::string("h").append(std::to_string(h)), t * kStep, e, usage,
                h == 2 && t >= 180);
    }
  }
  return l;
}

// The history survives Encode/Restore byte for byte, the restored learner is unfitted with its
// refit due, and that refit gives the same model as the original's on the same history.
TEST(EntropyLearnerTest, HistoryRoundTripsAndTheRestoredLearnerRefitsTheSameModel) {
  EntropyLearner a = Recorded(Options());
  const std::string bytes = a.Encode();
  EntropyLearner b(Options(), kHourMs);
  ASSERT_TRUE(b.Restore(bytes).has_value());
  EXPECT_EQ(b.hosts(), 6u);
  EXPECT_EQ(b.steps(), 6u * 250u);
  EXPECT_EQ(b.indicators(), a.indicators());
  EXPECT_EQ(b.Encode(), bytes);
  EXPECT_FALSE(b.fitted());
  const TimestampMs now = 250 * kStep;
  ASSERT_TRUE(a.MaybeRefit(now).has_value());
  ASSERT_TRUE(b.MaybeRefit(now).has_value());  // due at once after a restore
  ASSERT_TRUE(a.fitted() && b.fitted());
  EXPECT_EQ(b.model().weights(), a.model().weights());
  EXPECT_EQ(b.model().theta(), a.model().theta());
  EXPECT_EQ(b.model().uplift_per_rise(), a.model().uplift_per_rise());
}

TEST(EntropyLearnerTest, ACorruptOrForeignHistoryIsRejectedAndChangesNothing) {
  EntropyLearner a = Recorded(Options());
  std::string bytes = a.Encode();
  EntropyLearner b = Recorded(Options());
  const std::string before = b.Encode();
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  auto r = b.Restore(flipped);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kCorruption);
  EXPECT_NE(r.error().message.find("checksum"), std::string::npos);
  EXPECT_FALSE(b.Restore(bytes.substr(0, 20)).has_value());
  EXPECT_FALSE(b.Restore("PGLH and something else entirely").has_value());
  EXPECT_EQ(b.Encode(), before);
  // Recorded every 5 minutes, read by a learner that steps every minute: refused.
  EntropyLearnerOptions other = Options();
  other.step_ms = kMinuteMs;
  EntropyLearner c(other, kHourMs);
  auto step = c.Restore(bytes);
  ASSERT_FALSE(step.has_value());
  EXPECT_NE(step.error().message.find("recorded every 300000 ms"), std::string::npos);
  EXPECT_EQ(c.hosts(), 0u);
}

TEST(EntropyLearnerTest, ARestoreKeepsTheNewestStepsWithinTheLearnersLimits) {
  const std::string bytes = Recorded(Options()).Encode();
  EntropyLearnerOptions small = Options();
  small.history_steps = 100;
  small.max_hosts = 4;
  EntropyLearner l(small, kHourMs);
  ASSERT_TRUE(l.Restore(bytes).has_value());
  EXPECT_EQ(l.hosts(), 4u);
  EXPECT_EQ(l.steps(), 4u * 100u);
  // The newest steps are kept: observing at step 250 on h0 appends after t = 249.
  l.Observe("h0", 250 * kStep, {{"cpu_sched", 0.4}}, {}, false);
  EXPECT_EQ(l.steps(), 4u * 100u);
}

}  // namespace
}  // namespace prognos::engine
