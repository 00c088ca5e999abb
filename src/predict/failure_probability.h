// P(failure within a horizon) from the pieces the controller and `prognos score` combine: the
// health hazard, a failure model's probability rescaled to another horizon, and independent
// causes. Pure functions; NaN inputs count as no evidence (probability 0, health 100).
#pragma once

#include "core/time.h"

namespace prognos::predict {

// Health → hazard mapping: p = 1 / (1 + e^−(a + b · (1 − health/100))), health clamped to
// [0, 100]. With the controller's defaults a = −5, b = 10: health 100 → 0.0067, 70 → 0.12,
// 50 → 0.5, 30 → 0.88 (σ(−5) = 0.00669, σ(−2) = 0.119, σ(2) = 0.881).
struct HazardMapping {
  double a = -5.0;
  double b = 10.0;
};
double HealthHazard(double health, const HazardMapping& mapping = {});

// p over `from_ms` to p over `to_ms` assuming a constant hazard: 1 − (1 − p)^(to/from).
// from_ms ≤ 0 returns p unchanged; p is clamped to [0, 1].
double RescaleToHorizon(double p, DurationMs from_ms, DurationMs to_ms);

// Two independent causes: 1 − (1 − p1)(1 − p2).
double CombineIndependent(double p1, double p2);

}  // namespace prognos::predict
