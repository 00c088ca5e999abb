#include "predict/health_score.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace prognos::predict {
namespace {

double Unit(double v) { return std::isnan(v) ? 0.0 : std::clamp(v, 0.0, 1.0); }

// f = points/100 · severity, kept below 1 so ln(1 − f) stays finite.
double Fraction(double points, double severity) {
  const double p = std::isfinite(points) ? std::clamp(points, 0.0, 100.0) : 0.0;
  return std::min(p / 100.0 * Unit(severity), 1.0 - 1e-9);
}

}  // namespace

HealthScore ComputeHealth(const HealthInput& input, const HealthConfig& config) {
  // Per-indicator badness g_i.
  std::vector<double> g(input.indicators.size(), 0.0);
  std::size_t worst = 0;
  double g_sum = 0.0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    const IndicatorHealth& ind = input.indicators[i];
    double limit = 0.0;
    if (!std::isnan(ind.time_to_limit_s) && ind.time_to_limit_s < 1e300) {
      const double horizon = config.limit_horizon_s > 0.0 ? config.limit_horizon_s : 3600.0;
      limit = std::exp(-std::max(ind.time_to_limit_s, 0.0) / horizon);
    }
    g[i] = 1.0 - (1.0 - Unit(ind.anomaly_score)) * (1.0 - limit);
    g_sum += g[i];
    if (g[i] > g[worst]) worst = i;
  }
  const double g_mean = g.empty() ? 0.0 : g_sum / static_cast<double>(g.size());
  const double entropy_span = std::max(1.0 - config.entropy_normal, 1e-9);
  const double trend_full =
      config.entropy_trend_full_per_h > 0.0 ? config.entropy_trend_full_per_h : 0.2;
  double status_points = 0.0;
  if (input.status == ReportedStatus::kWarning) status_points = config.warning_points;
  if (input.status == ReportedStatus::kFail) status_points = config.fail_points;

  struct Factor {
    const char* name;  // nullptr: an indicator factor
    double f;
  };
  const Factor f_worst{nullptr,
                       Fraction(config.worst_indicator_points, g.empty() ? 0.0 : g[worst])};
  const Factor f_mean{nullptr, Fraction(config.mean_indicator_points, g_mean)};
  const double entropy = std::isnan(input.entropy) ? 0.0 : input.entropy;
  const double trend = std::isnan(input.entropy_trend_per_h) ? 0.0 : input.entropy_trend_per_h;
  const Factor others[] = {
      {"entropy_level",
       Fraction(config.entropy_level_points, (entropy - config.entropy_normal) / entropy_span)},
      {"entropy_trend", Fraction(config.entropy_trend_points, trend / trend_full)},
      {"risk", Fraction(config.risk_points, input.risk)},
      {"status", Fraction(status_points, 1.0)},
  };
  double log_keep = std::log1p(-f_worst.f) + std::log1p(-f_mean.f);
  for (const Factor& f : others) log_keep += std::log1p(-f.f);
  HealthScore out;
  out.score = std::clamp(100.0 * std::exp(log_keep), 0.0, 100.0);
  const double lost = 100.0 - out.score;
  if (lost <= 0.0 || log_keep >= 0.0) return out;
  // Points removed by a factor: lost · ln(1 − f) / Σ ln(1 − f).
  auto removed = [&](double f) { return lost * std::log1p(-f) / log_keep; };
  std::map<std::string, double> points;
  if (!g.empty() && f_worst.f > 0.0) points[input.indicators[worst].name] += removed(f_worst.f);
  if (g_sum > 0.0 && f_mean.f > 0.0) {
    const double total = removed(f_mean.f);
    for (std::size_t i = 0; i < g.size(); ++i) {
      if (g[i] > 0.0) points[input.indicators[i].name] += total * g[i] / g_sum;
    }
  }
  for (const Factor& f : others) {
    if (f.f > 0.0) points[f.name] += removed(f.f);
  }
  for (const auto& [name, p] : points) out.top.push_back({name, p});
  std::sort(out.top.begin(), out.top.end(), [](const HealthFactor& l, const HealthFactor& r) {
    return l.points != r.points ? l.points > r.points : l.name < r.name;
  });
  if (out.top.size() > config.top) out.top.resize(config.top);
  return out;
}

}  // namespace prognos::predict
