#include "predict/failure_probability.h"

#include <algorithm>
#include <cmath>

namespace prognos::predict {
namespace {

double Clamp01(double p) { return std::isfinite(p) ? std::clamp(p, 0.0, 1.0) : 0.0; }

}  // namespace

double HealthHazard(double health, const HazardMapping& mapping) {
  const double h = std::isfinite(health) ? std::clamp(health, 0.0, 100.0) : 100.0;
  const double x = mapping.a + mapping.b * (1.0 - h / 100.0);
  return 1.0 / (1.0 + std::exp(-x));
}

double RescaleToHorizon(double p, DurationMs from_ms, DurationMs to_ms) {
  p = Clamp01(p);
  if (from_ms <= 0 || to_ms == from_ms) return p;
  if (to_ms <= 0) return 0.0;
  if (p >= 1.0) return 1.0;
  const double ratio = static_cast<double>(to_ms) / static_cast<double>(from_ms);
  // 1 − (1 − p)^r, computed as −expm1(r · log1p(−p)) so a tiny p keeps its precision.
  return -std::expm1(ratio * std::log1p(-p));
}

double CombineIndependent(double p1, double p2) {
  return 1.0 - (1.0 - Clamp01(p1)) * (1.0 - Clamp01(p2));
}

}  // namespace prognos::predict
