#include "signal/forecast/ets.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "signal/forecast/optimize.h"

namespace prognos::signal {
namespace {

bool HasSeason(const EtsSpec& s) { return s.season != EtsSeason::kNone && s.period >= 2; }

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double Logit(double p) {
  p = std::clamp(p, 1e-6, 1.0 - 1e-6);
  return std::log(p / (1.0 - p));
}

constexpr double kPhiMin = 0.8;
// A warm fit's single Nelder-Mead run (see EtsModel::WarmParams).
constexpr int kWarmEvaluations = 40;
constexpr double kWarmStep = 0.3;
constexpr double kPhiMax = 0.998;

// Unconstrained x -> parameters with β ≤ α and γ ≤ 1 − α (statsmodels' admissible region).
EtsParams Decode(const std::vector<double>& x, const EtsSpec& spec) {
  EtsParams p;
  std::size_t i = 0;
  p.alpha = Sigmoid(x[i++]);
  if (spec.trend != EtsTrend::kNone) p.beta = p.alpha * Sigmoid(x[i++]);
  if (HasSeason(spec)) p.gamma = (1.0 - p.alpha) * Sigmoid(x[i++]);
  p.phi = spec.trend == EtsTrend::kDamped ? kPhiMin + (kPhiMax - kPhiMin) * Sigmoid(x[i++]) : 1.0;
  return p;
}

std::vector<double> Encode(const EtsParams& p, const EtsSpec& spec) {
  std::vector<double> x{Logit(p.alpha)};
  if (spec.trend != EtsTrend::kNone) x.push_back(Logit(p.beta / std::max(p.alpha, 1e-9)));
  if (HasSeason(spec)) x.push_back(Logit(p.gamma / std::max(1.0 - p.alpha, 1e-9)));
  if (spec.trend == EtsTrend::kDamped) x.push_back(Logit((p.phi - kPhiMin) / (kPhiMax - kPhiMin)));
  return x;
}

double Mean(std::span<const double> v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

}  // namespace

EtsState EtsHeuristicInit(std::span<const double> y, const EtsSpec& spec) {
  EtsState st;
  const std::size_t n = y.size();
  if (n == 0) return st;
  if (HasSeason(spec) && n >= 2 * spec.period) {
    const std::size_t m = spec.period;
    const std::size_t seasons = std::min<std::size_t>(n / m, 14);
    std::vector<double> a(seasons);
    for (std::size_t j = 0; j < seasons; ++j) a[j] = Mean(y.subspan(j * m, m));
    st.level = a[0];
    st.trend = spec.trend == EtsTrend::kNone
                   ? 0.0
                   : (a[seasons - 1] - a[0]) / static_cast<double>((seasons - 1) * m);
    st.season.assign(m, 0.0);
    const bool mul = spec.season == EtsSeason::kMultiplicative;
    for (std::size_t j = 0; j < seasons; ++j) {
      for (std::size_t i = 0; i < m; ++i) {
        const double v = y[j * m + i];
        st.season[i] += (mul ? v / a[j] : v - a[j]) / static_cast<double>(seasons);
      }
    }
    return st;
  }
  st.level = y[0];
  const std::size_t k = std::min<std::size_t>(n / 2, 10);
  if (spec.trend != EtsTrend::kNone && k >= 1) {
    st.trend = (Mean(y.subspan(k, k)) - Mean(y.subspan(0, k))) / static_cast<double>(k);
  }
  return st;
}

namespace {

// The recursions for one season kind, chosen at compile time so that the loop carries no branch
// on the kind; the season slot advances by a compare instead of a modulo (a division on the
// loop-carried path).
template <bool kSeasonal, bool kMul>
std::size_t EtsRun(std::span<const double> y, const EtsParams& p, double* season, std::size_t m,
                   double& level, double& trend, double& acc) {
  std::size_t slot = 0;  // index into season of the next observation's factor (ring buffer)
  double l = level, b = trend, sum = 0.0;
  if constexpr (kSeasonal && kMul) {
    for (double v : y) {
      const double lb = l + p.phi * b;
      const double s = season[slot];
      const double nl = p.alpha * v / s + (1.0 - p.alpha) * lb;
      season[slot] = p.gamma * v / lb + (1.0 - p.gamma) * s;
      const double e = v - lb * s;
      sum += e * e;
      b = p.beta * (nl - l) + (1.0 - p.beta) * p.phi * b;
      l = nl;
      if (++slot == m) slot = 0;
    }
  } else {
    // Additive: the error-correction form of the same recursions (algebraically equal, see
    // ets.h), whose loop-carried chain is 5 floating-point operations instead of 8:
    //   e = (y − s) − (l + φb);  l' = l + φb + αe;  b' = φb + αβe;  s' = s + γe.
    const double ab = p.alpha * p.beta;
    for (double v : y) {
      const double s = kSeasonal ? season[slot] : 0.0;
      const double pb = p.phi * b;
      const double lb = l + pb;
      const double e = (v - s) - lb;
      sum += e * e;
      l = lb + p.alpha * e;
      b = pb + ab * e;
      if constexpr (kSeasonal) {
        season[slot] = s + p.gamma * e;
        if (++slot == m) slot = 0;
      }
    }
  }
  level = l;
  trend = b;
  acc = sum;
  return slot;
}

}  // namespace

EtsState EtsFilter(std::span<const double> y, const EtsSpec& spec, const EtsParams& p, EtsState st,
                   double* sse) {
  const bool seasonal = HasSeason(spec) && st.season.size() == spec.period;
  const bool mul = spec.season == EtsSeason::kMultiplicative;
  double acc = 0.0;
  std::size_t slot = 0;
  if (!seasonal) {
    EtsRun<false, false>(y, p, nullptr, 1, st.level, st.trend, acc);
  } else if (mul) {
    slot = EtsRun<true, true>(y, p, st.season.data(), spec.period, st.level, st.trend, acc);
  } else {
    slot = EtsRun<true, false>(y, p, st.season.data(), spec.period, st.level, st.trend, acc);
  }
  if (sse != nullptr) *sse += acc;
  if (seasonal && slot != 0) {
    std::rotate(st.season.begin(), st.season.begin() + static_cast<std::ptrdiff_t>(slot),
                st.season.end());
  }
  return st;
}

void EtsForecastFromState(const EtsState& st, const EtsSpec& spec, const EtsParams& p,
                          std::span<double> out) {
  const bool seasonal = HasSeason(spec) && st.season.size() == spec.period;
  const bool mul = spec.season == EtsSeason::kMultiplicative;
  double damp_sum = 0.0, phi_h = 1.0;
  for (std::size_t h = 0; h < out.size(); ++h) {
    phi_h *= p.phi;
    damp_sum += phi_h;
    const double base = st.level + damp_sum * st.trend;
    if (!seasonal) {
      out[h] = base;
    } else {
      const double s = st.season[h % spec.period];
      out[h] = mul ? base * s : base + s;
    }
  }
}

std::string EtsModel::Name() const {
  // Built with append (GCC 12 flags `const char* + std::string` with a false -Wrestrict).
  std::string name;
  name.append(spec_.trend == EtsTrend::kNone       ? "N"
              : spec_.trend == EtsTrend::kAdditive ? "A"
                                                   : "Ad");
  name.append(spec_.season == EtsSeason::kNone       ? ",N"
              : spec_.season == EtsSeason::kAdditive ? ",A"
                                                     : ",M");
  if (HasSeason(spec_)) {
    name.append(",");
    name.append(std::to_string(spec_.period));
  }
  return name;
}

std::size_t EtsModel::MinLength() const { return HasSeason(spec_) ? 2 * spec_.period + 2 : 4; }

Result<void> EtsModel::Fit(std::span<const double> y) {
  if (y.size() < MinLength()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "ets: series shorter than " + std::to_string(MinLength()) + " points");
  }
  if (spec_.season == EtsSeason::kMultiplicative && *std::min_element(y.begin(), y.end()) <= 0.0) {
    return MakeError(ErrorCode::kInvalidArgument, "ets: multiplicative season needs y > 0");
  }
  window_offset_ =
      (window_ > 0 && y.size() > window_ && window_ >= MinLength()) ? y.size() - window_ : 0;
  const std::span<const double> fit_y = y.subspan(window_offset_);
  return FitFrom(fit_y, EtsHeuristicInit(fit_y, spec_));
}

Result<void> EtsModel::FitFrom(std::span<const double> y, const EtsState& init) {
  auto objective = [&](const std::vector<double>& x) {
    double sse = 0.0;
    EtsFilter(y, spec_, Decode(x, spec_), init, &sse);
    return sse;
  };
  // Two starts (a smooth and a reactive level) guard against the flat valleys of the SSE surface.
  EtsParams best_p;
  double best = std::numeric_limits<double>::infinity();
  const std::size_t dims = Encode(EtsParams{}, spec_).size();
  const bool warm = warm_.size() == dims && std::all_of(warm_.begin(), warm_.end(),
                                                        [](double v) { return std::isfinite(v); });
  if (warm) {
    NelderMeadOptions opt;
    opt.max_evaluations = kWarmEvaluations;
    opt.initial_step = kWarmStep;
    const NelderMeadResult r = NelderMead(objective, warm_, opt);
    if (r.value < best) {
      best = r.value;
      best_p = Decode(r.x, spec_);
    }
  }
  for (double a0 : {0.2, 0.7}) {
    if (warm) break;
    if (single_start_ && a0 > 0.5) break;
    EtsParams start;
    start.alpha = a0;
    start.beta = 0.05 * a0;
    start.gamma = 0.1 * (1.0 - a0);
    start.phi = 0.95;
    NelderMeadOptions opt;
    opt.max_evaluations = single_start_ ? 100 : 150;
    opt.initial_step = 1.0;
    const NelderMeadResult r = NelderMead(objective, Encode(start, spec_), opt);
    if (r.value < best) {
      best = r.value;
      best_p = Decode(r.x, spec_);
    }
  }
  if (!std::isfinite(best)) {
    return MakeError(ErrorCode::kInvalidArgument, "ets: recursion diverged for every start");
  }
  params_ = best_p;
  sse_ = best;
  fit_state_ = EtsFilter(y, spec_, params_, init, nullptr);
  fit_len_ = y.size();
  fit_first_ = y.front();
  fit_last_ = y.back();
  const double n = static_cast<double>(y.size());
  double k = 2.0;  // α and l0
  if (spec_.trend != EtsTrend::kNone) k += 2.0;
  if (spec_.trend == EtsTrend::kDamped) k += 1.0;
  if (HasSeason(spec_)) k += 1.0 + static_cast<double>(spec_.period);
  const double mse = std::max(sse_ / n, 1e-300);
  aicc_ = n * std::log(mse) + 2.0 * k +
          (n - k - 1.0 > 0 ? 2.0 * k * (k + 1.0) / (n - k - 1.0)
                           : std::numeric_limits<double>::infinity());
  return Ok();
}

std::vector<double> EtsModel::WarmParams() const {
  if (fit_len_ == 0) return {};
  return Encode(params_, spec_);
}

void EtsModel::Forecast(std::span<const double> full, std::span<double> out) const {
  const std::span<const double> history =
      full.size() > window_offset_ ? full.subspan(window_offset_) : full;
  if (history.empty()) {
    std::fill(out.begin(), out.end(), 0.0);
    return;
  }
  EtsSpec spec = spec_;
  if (fit_len_ > 0 && history.size() >= fit_len_ && history[0] == fit_first_ &&
      history[fit_len_ - 1] == fit_last_) {
    const EtsState st = EtsFilter(history.subspan(fit_len_), spec, params_, fit_state_, nullptr);
    EtsForecastFromState(st, spec, params_, out);
  } else {
    if (HasSeason(spec) && history.size() < 2 * spec.period) spec.season = EtsSeason::kNone;
    const EtsState st = EtsFilter(history, spec, params_, EtsHeuristicInit(history, spec), nullptr);
    EtsForecastFromState(st, spec, params_, out);
  }
  for (double& v : out) {
    if (!std::isfinite(v)) v = history.back();
  }
}

Result<void> AutoEtsModel::Fit(std::span<const double> y) {
  std::vector<EtsSpec> specs;
  const std::size_t cap = std::max<std::size_t>(7 * period_, 2016);
  const std::span<const double> fit_y =
      (!multiplicative_ && y.size() > cap) ? y.subspan(y.size() - cap) : y;
  const bool seasonal = period_ >= 2 && fit_y.size() >= 2 * period_ + 2;
  const bool positive = !y.empty() && *std::min_element(y.begin(), y.end()) > 0.0;
  if (seasonal) {
    specs.push_back({EtsTrend::kDamped, EtsSeason::kAdditive, period_});
    if (multiplicative_) specs.push_back({EtsTrend::kNone, EtsSeason::kAdditive, period_});
    if (positive && multiplicative_) {
      specs.push_back({EtsTrend::kDamped, EtsSeason::kMultiplicative, period_});
    }
  }
  specs.push_back({EtsTrend::kDamped, EtsSeason::kNone, 0});
  specs.push_back({EtsTrend::kNone, EtsSeason::kNone, 0});
  double best_aicc = std::numeric_limits<double>::infinity();
  bool any = false;
  Error last{ErrorCode::kInvalidArgument, "ets: no variant fits"};
  // The warm hint [count, winner, blocks…] splits into one block per variant when it was written
  // for this variant list (the same count and, per variant, the same number of parameters);
  // otherwise every fit is cold.
  std::vector<std::span<const double>> warm(specs.size());
  std::size_t warm_winner = specs.size();
  if (warm_in_.size() >= 2 && warm_in_[0] == static_cast<double>(specs.size()) &&
      warm_in_[1] >= 0 && warm_in_[1] < static_cast<double>(specs.size())) {
    warm_winner = static_cast<std::size_t>(warm_in_[1]);
    std::size_t at = 2;
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const std::size_t dims = Encode(EtsParams{}, specs[i]).size();
      if (at < warm_in_.size() && warm_in_[at] == 0.0) {  // the variant did not fit last time
        at += 1;
        continue;
      }
      if (at >= warm_in_.size() || warm_in_[at] != static_cast<double>(dims) ||
          at + 1 + dims > warm_in_.size()) {
        warm.assign(specs.size(), {});
        warm_winner = specs.size();
        break;
      }
      warm[i] = std::span<const double>(warm_in_).subspan(at + 1, dims);
      at += 1 + dims;
    }
  }
  // A warm fit keeps the last winner's variant (when its block is there): the AICc comparison of
  // the variants is redone at the next cold fit (WarmStart, selector.h).
  const bool keep_variant = warm_winner < specs.size() && !warm[warm_winner].empty();
  warm_out_.assign(2, 0.0);
  warm_out_[0] = static_cast<double>(specs.size());
  std::size_t winner = 0;
  // The cheap set fits every variant on the same last max(7 seasons, 2016) points (same data, so
  // AICc values compare): the smoothing parameters are well determined by then, and the cost is
  // linear in the length.
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (keep_variant && i != warm_winner) {
      warm_out_.push_back(0.0);  // not fitted: cold next time, unless it is kept again
      continue;
    }
    const EtsSpec& spec = specs[i];
    EtsModel model(spec);
    model.set_single_start(!multiplicative_);
    model.SetWarmStart(warm[i]);
    auto r = model.Fit(fit_y);
    // [dims, params…]; dims 0 for a variant that did not fit (its next fit is cold).
    const std::vector<double> params = r ? model.WarmParams() : std::vector<double>{};
    warm_out_.push_back(static_cast<double>(params.size()));
    warm_out_.insert(warm_out_.end(), params.begin(), params.end());
    if (!r) {
      last = r.error();
      continue;
    }
    if (!any || model.aicc() < best_aicc) {
      best_aicc = model.aicc();
      best_ = model;
      offset_ = y.size() - fit_y.size();
      winner = i;
      any = true;
    }
  }
  if (!any && keep_variant) {
    // The kept variant no longer fits: a cold fit of every variant.
    warm_in_.clear();
    return Fit(y);
  }
  if (!any) return tl::unexpected<Error>(last);
  warm_out_[1] = static_cast<double>(winner);
  return Ok();
}

}  // namespace prognos::signal
