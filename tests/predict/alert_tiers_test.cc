#include "predict/alert_tiers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace prognos::predict {
namespace {

TierInput P(double p_fail, double criticality = 0.0) {
  TierInput in;
  in.p_fail = p_fail;
  in.criticality = criticality;
  return in;
}

// Floors only (warm-up never ends): the example in alert_tiers.h, step by step. Floors
// 0.05/0.2/0.5, exit levels (baseline 0 in warm-up) 0.8 × floor = 0.04/0.16/0.4. No trend
// lookahead, so the judged score is the score.
TEST(AlertTiersTest, DebounceAndHysteresisFollowTheWorkedExample) {
  AlertTierConfig config;
  config.warmup_updates = 1'000'000;
  config.trend_lookahead_h = 0.0;
  struct Step {
    double score;
    AlertTier tier;
  };
  const std::vector<Step> steps = {
      {0.6, AlertTier::kNone},       // 1st at critical: debounce waits
      {0.6, AlertTier::kCritical},   // 2nd in a row: enter
      {0.45, AlertTier::kCritical},  // above the exit level 0.4: held
      {0.45, AlertTier::kCritical},  //
      {0.3, AlertTier::kCritical},   // below 0.4: 1
      {0.3, AlertTier::kCritical},   // 2
      {0.3, AlertTier::kWarning},    // 3: leave critical; 0.3 ≥ 0.16 keeps warning
      {0.1, AlertTier::kWarning},    // below 0.16: 1
      {0.1, AlertTier::kWarning},    // 2
      {0.1, AlertTier::kInfo},       // 3: leave warning; 0.1 ≥ 0.04 keeps info
      {0.0, AlertTier::kInfo},       //
      {0.0, AlertTier::kInfo},       //
      {0.0, AlertTier::kNone},       // 3 below 0.04: none
  };
  AlertTiers tiers(config);
  AlertTier previous = AlertTier::kNone;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i + 1));
    const auto d = tiers.Update("h", static_cast<TimestampMs>(i) * kHourMs, P(steps[i].score));
    EXPECT_EQ(d.tier, steps[i].tier);
    EXPECT_EQ(d.changed, steps[i].tier != previous);
    previous = d.tier;
  }
  EXPECT_EQ(tiers.Current("h"), AlertTier::kNone);
}

// Minute-by-minute updates: the count-based exit (3 updates) would leave critical three minutes
// after the burst; exit_hold_ms (15 min) keeps it until 15 minutes after the last update at or
// above critical, so a second burst 10 minutes later is the same alert, not a new page.
TEST(AlertTiersTest, ATierIsHeldForExitHoldAfterItsLastUpdateAtOrAboveIt) {
  AlertTierConfig config;
  config.warmup_updates = 1'000'000;
  config.trend_lookahead_h = 0.0;
  AlertTiers tiers(config);
  auto at = [&](int minute, double score) {
    return tiers.Update("h", static_cast<TimestampMs>(minute) * kMinuteMs, P(score));
  };
  EXPECT_EQ(at(0, 0.6).tier, AlertTier::kNone);
  EXPECT_EQ(at(1, 0.6).tier, AlertTier::kCritical);  // last at or above critical: minute 1
  for (int m = 2; m <= 10; ++m) EXPECT_EQ(at(m, 0.0).tier, AlertTier::kCritical) << m;
  EXPECT_EQ(at(11, 0.6).tier, AlertTier::kCritical);  // second burst: last above = 11, no change
  int changes = 0;
  for (int m = 12; m <= 25; ++m) {
    const auto d = at(m, 0.0);
    changes += d.changed ? 1 : 0;
    EXPECT_EQ(d.tier, AlertTier::kCritical) << m;  // 25 − 11 = 14 < 15 min
  }
  EXPECT_EQ(changes, 0);
  // Minute 26: 15 minutes after the last burst, and far more than 3 updates below every exit
  // level (0.4 / 0.16 / 0.04), so every tier is left at once.
  const auto d = at(26, 0.0);
  EXPECT_TRUE(d.changed);
  EXPECT_EQ(d.tier, AlertTier::kNone);
}

TEST(AlertTiersTest, AScoreFlappingAroundAThresholdDoesNotFlapTheTier) {
  AlertTierConfig config;
  config.warmup_updates = 1'000'000;
  config.trend_lookahead_h = 0.0;
  AlertTiers tiers(config);
  int changes = 0;
  for (int i = 0; i < 50; ++i) {
    const auto d = tiers.Update("h", i * kHourMs, P(i % 2 == 0 ? 0.19 : 0.21));
    EXPECT_NE(d.tier, AlertTier::kWarning);
    changes += d.changed ? 1 : 0;
  }
  // Info is entered once (both values are above 0.05) and never left.
  EXPECT_EQ(changes, 1);
  EXPECT_EQ(tiers.Current("h"), AlertTier::kInfo);
}

// The same probe score means different things on hosts with different baselines. After 48
// hourly updates at a constant level the running mean is that level and σ = 0, so σ counts as
// min_sigma 0.01:
//   quiet host (0.02): thresholds max(floor, 0.02 + k·0.01) = 0.05 / 0.2 / 0.5;
//   busy host (0.3):   max(0.05, 0.32) = 0.32, max(0.2, 0.33) = 0.33, max(0.5, 0.35) = 0.5.
// Probes (two in a row, the debounce): 0.25 → quiet: warning, busy: none (below its baseline);
// 0.38 → quiet: warning, busy: warning; 0.6 → both critical.
TEST(AlertTiersTest, ThresholdsAdaptToEachHostsBaseline) {
  struct Case {
    std::string name;
    double baseline;
    double probe;
    AlertTier expected;
  };
  const Case cases[] = {
      {"quiet host, 0.25", 0.02, 0.25, AlertTier::kWarning},
      {"busy host, 0.25", 0.3, 0.25, AlertTier::kNone},
      {"quiet host, 0.38", 0.02, 0.38, AlertTier::kWarning},
      {"busy host, 0.38", 0.3, 0.38, AlertTier::kWarning},
      {"quiet host, 0.6", 0.02, 0.6, AlertTier::kCritical},
      {"busy host, 0.6", 0.3, 0.6, AlertTier::kCritical},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    AlertTiers tiers;
    TierDecision d;
    for (int i = 0; i < 48; ++i) d = tiers.Update("h", i * kHourMs, P(c.baseline));
    EXPECT_NEAR(d.baseline, c.baseline, 1e-12);
    EXPECT_DOUBLE_EQ(d.sigma, 0.01);
    if (c.baseline > 0.1) {
      EXPECT_NEAR(d.threshold[0], 0.32, 1e-9);
      EXPECT_NEAR(d.threshold[1], 0.33, 1e-9);
      EXPECT_NEAR(d.threshold[2], 0.5, 1e-9);
    }
    d = tiers.Update("h", 48 * kHourMs, P(c.probe));
    d = tiers.Update("h", 49 * kHourMs, P(c.probe));
    EXPECT_EQ(d.tier, c.expected);
  }
}

// Criticality 1 halves the floors (discount 0.5): 0.12 is warning for a critical component
// (floor 0.1) and only info for a batch worker (floor 0.2).
TEST(AlertTiersTest, CriticalityLowersTheFloors) {
  struct Case {
    double criticality;
    AlertTier expected;
  };
  const Case cases[] = {{0.0, AlertTier::kInfo}, {1.0, AlertTier::kWarning}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.criticality);
    AlertTiers tiers;
    TierDecision d;
    for (int i = 0; i < 3; ++i) d = tiers.Update("h", i * kHourMs, P(0.12, c.criticality));
    EXPECT_EQ(d.tier, c.expected);
  }
}

// Health counts as 1 − health/100 and the larger of the two wins; nothing known = 0.
TEST(AlertTiersTest, ScoreCombinesFailureProbabilityAndHealth) {
  struct Case {
    std::string name;
    TierInput in;
    double score;
  };
  TierInput both;
  both.p_fail = 0.1;
  both.health = 60.0;
  TierInput only_p;
  only_p.p_fail = 0.7;
  TierInput only_h;
  only_h.health = 95.0;
  const Case cases[] = {{"both", both, 0.4},
                        {"p_fail only", only_p, 0.7},
                        {"health only", only_h, 0.05},
                        {"nothing", TierInput{}, 0.0}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    AlertTiers tiers;
    EXPECT_NEAR(tiers.Update("h", 0, c.in).score, c.score, 1e-12);
  }
}

// A long incident is not taken as the new normal: 10 days at 0.45 after a quiet baseline stays
// warning when the mean learns at a tenth of its rate (half-life 1 d → 10 d: the mean is only
// ≈ 0.02 + 0.43 · (1 − 2^−1) ≈ 0.235 after 10 days, σ frozen at 0.01, so warning's threshold
// is max(0.2, 0.265)); at the full rate the mean reaches ≈ 0.45 and the alert ends.
TEST(AlertTiersTest, ALongIncidentKeepsAlerting) {
  struct Case {
    double incident_rate;
    AlertTier expected;
  };
  const Case cases[] = {{0.1, AlertTier::kWarning}, {1.0, AlertTier::kNone}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.incident_rate);
    AlertTierConfig config;
    config.incident_rate = c.incident_rate;
    AlertTiers tiers(config);
    int t = 0;
    for (; t < 48; ++t) tiers.Update("h", t * kHourMs, P(0.02));
    TierDecision d;
    for (; t < 48 + 240; ++t) d = tiers.Update("h", t * kHourMs, P(0.45));
    EXPECT_EQ(d.tier, c.expected);
  }
}

// Whatever the baseline, p_fail ≥ 0.8 is critical: a drive that has been at 0.9 for weeks.
TEST(AlertTiersTest, AbsoluteCriticalIgnoresTheBaseline) {
  AlertTierConfig config;
  config.incident_rate = 1.0;
  AlertTiers tiers(config);
  TierDecision d;
  for (int t = 0; t < 500; ++t) d = tiers.Update("h", t * kHourMs, P(0.9));
  EXPECT_EQ(d.tier, AlertTier::kCritical);
  EXPECT_NEAR(d.baseline, 0.9, 1e-9);
}

// A slow ramp (0.01 an hour, half-life 2 h) is absorbed by the baseline (it lags ≈ 0.034
// behind and σ ≈ 0.029, so mean + 3σ stays above the score): without lookahead it alerts only
// at the absolute level 0.5 (two in a row: 0.51). With a 5-hour lookahead the judged score is
// ≈ score + 0.05, so warning comes earlier.
TEST(AlertTiersTest, ARisingTrendEscalatesEarlier) {
  auto first_warning = [](double lookahead_h) {
    AlertTierConfig config;
    config.trend_lookahead_h = lookahead_h;
    config.baseline_half_life_ms = 2 * kHourMs;
    AlertTiers tiers(config);
    int t = 0;
    for (; t < 24; ++t) tiers.Update("h", t * kHourMs, P(0.02));
    for (int k = 1; k < 50; ++k, ++t) {
      const double score = 0.02 + 0.01 * k;
      if (tiers.Update("h", t * kHourMs, P(score)).tier >= AlertTier::kWarning) return score;
    }
    return 1.0;
  };
  const double without = first_warning(0.0);
  const double with = first_warning(5.0);
  EXPECT_NEAR(without, 0.51, 1e-9);
  EXPECT_LT(with, without);
}

TEST(AlertTiersTest, HostsAreIndependentAndForgettable) {
  AlertTiers tiers;
  for (int t = 0; t < 3; ++t) {
    tiers.Update("a", t * kHourMs, P(0.9));
    tiers.Update("b", t * kHourMs, P(0.0));
  }
  EXPECT_EQ(tiers.Current("a"), AlertTier::kCritical);
  EXPECT_EQ(tiers.Current("b"), AlertTier::kNone);
  tiers.Forget("a");
  EXPECT_EQ(tiers.State("a"), nullptr);
  EXPECT_EQ(tiers.Current("a"), AlertTier::kNone);
  EXPECT_EQ(AlertTierName(AlertTier::kWarning), "warning");
}

}  // namespace
}  // namespace prognos::predict
