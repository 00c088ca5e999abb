#include "signal/forecast/online_forecaster.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "signal/forecast/selector.h"
#include "signal/forecast/series_tools.h"

namespace prognos::signal {
namespace {

constexpr std::size_t kMaxPath = 512;  // steps of mean path kept (≥ a day at 5 minutes)
constexpr std::size_t kHistogramRefill = 2016;

// Anchor steps 1, 2, 4, … up to `last` (inclusive of the last power of two ≤ last, plus last).
std::vector<std::size_t> Anchors(std::size_t last) {
  std::vector<std::size_t> a;
  for (std::size_t s = 1; s <= last; s *= 2) a.push_back(s);
  if (a.empty() || a.back() != last) a.push_back(last);
  return a;
}

}  // namespace

double InverseNormalCdf(double p) {
  // Acklam's algorithm: rational approximations in the central region and the tails.
  static constexpr double kA[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                  -2.759285104469687e+02, 1.383577518672690e+02,
                                  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double kB[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                  -1.556989798598866e+02, 6.680131188771972e+01,
                                  -1.328068155288572e+01};
  static constexpr double kC[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                  -2.400758277161838e+00, -2.549732539343734e+00,
                                  4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double kD[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                  2.445134137142996e+00, 3.754408661907416e+00};
  p = std::clamp(p, 1e-12, 1.0 - 1e-12);
  constexpr double kLow = 0.02425;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((kC[0] * q + kC[1]) * q + kC[2]) * q + kC[3]) * q + kC[4]) * q + kC[5]) /
           ((((kD[0] * q + kD[1]) * q + kD[2]) * q + kD[3]) * q + 1);
  }
  if (p > 1 - kLow) return -InverseNormalCdf(1 - p);
  const double q = p - 0.5, r = q * q;
  return (((((kA[0] * r + kA[1]) * r + kA[2]) * r + kA[3]) * r + kA[4]) * r + kA[5]) * q /
         (((((kB[0] * r + kB[1]) * r + kB[2]) * r + kB[3]) * r + kB[4]) * r + 1);
}

OnlineForecaster::OnlineForecaster(OnlineForecasterOptions options)
    : options_(options), histogram_(options.histogram_half_life) {
  options_.horizon = std::clamp<std::size_t>(options_.horizon, 1, kMaxPath);
  options_.level = std::clamp(options_.level, 0.01, 0.999);
}

void OnlineForecaster::Update(TimestampMs t, double v) {
  if (has_sample_ && t <= last_time_ms_) return;  // duplicate or out of order
  has_sample_ = true;
  last_time_ms_ = t;
  if (fitted_ && step_ms_ > 0) {
    // Round to the nearest step so that jittered timestamps keep their slot.
    last_step_ = (t - origin_ms_ + step_ms_ / 2) / step_ms_;
  }
  if (!std::isfinite(v)) return;
  histogram_.Add(v);
  if (fitted_ && last_step_ >= 1) {
    correction_ = v - PathAt(last_step_);
    correction_step_ = last_step_;
  }
}

Result<void> OnlineForecaster::Refit(std::span<const double> history, TimestampMs last_time_ms,
                                     DurationMs step_ms,
                                     std::span<const std::shared_ptr<PointModel>> extra) {
  if (step_ms <= 0) return MakeError(ErrorCode::kInvalidArgument, "refit: step must be > 0");
  std::vector<double> y = CleanSeries(history);
  if (y.empty()) return MakeError(ErrorCode::kInvalidArgument, "refit: no finite value");
  const double scale = SeriesScale(y);
  for (double& v : y) v /= scale;

  std::size_t m = 0;
  const auto day = static_cast<std::size_t>(kDayMs / step_ms);
  if (options_.auto_season) {
    std::vector<std::size_t> preferred;
    if (day >= 2) preferred = {day, 7 * day};
    m = DetectSeason(y, preferred);
  } else if (options_.season >= 2) {
    m = options_.season;
  }
  if (m > std::numeric_limits<std::uint16_t>::max()) m = 0;
  const std::size_t path_len = std::min(kMaxPath, std::max(options_.horizon, m));
  std::vector<double> path(path_len, y.back());
  std::vector<double> lo(options_.horizon, 0.0), hi(options_.horizon, 0.0);
  const bool constant = std::all_of(y.begin(), y.end(), [&](double v) { return v == y[0]; });
  if (y.size() == 1 || constant) {
    model_name_ = "constant";
    backtest_relative_ = 0.0;
    if (y.size() == 1) {
      // One sample says nothing about spread: the histogram's n = 1 widening of ±|v|/2.
      const double half = std::max(std::abs(y[0]), 1e-12) * 1.5;
      std::fill(lo.begin(), lo.end(), -half);
      std::fill(hi.begin(), hi.end(), half);
    }
    rho_ = 0.0F;
  } else {
    const ForecastMethod method =
        options_.method == ForecastMethod::kLstm ? ForecastMethod::kAuto : options_.method;
    auto sel = SelectModel(y, method, m, options_.horizon, options_.level,
                           day >= 2 && day <= kMaxPath ? day : 0, extra, &warm_);
    if (!sel) return tl::unexpected<Error>(sel.error());
    sel->model->Forecast(y, path);
    lo = sel->bands.lower;
    hi = sel->bands.upper;
    model_name_ = sel->name;
    backtest_relative_ = sel->backtest_relative;
    // Persistence of deviations: lag-1 autocorrelation of the seasonally differenced series.
    std::vector<double> dev;
    const std::size_t lag = (m >= 2 && y.size() > m) ? m : 0;
    const std::size_t from = y.size() > kHistogramRefill + lag ? y.size() - kHistogramRefill : lag;
    for (std::size_t t = from; t < y.size(); ++t) dev.push_back(lag ? y[t] - y[t - lag] : y[t]);
    const double r1 = dev.size() > 3 ? Autocorrelation(dev, 1)[1] : 0.0;
    rho_ = static_cast<float>(std::clamp(std::isfinite(r1) ? r1 : 0.0, 0.0, 0.98));
  }
  // Quantise the path to 16 bits over its own range.
  double pmin = std::numeric_limits<double>::infinity(), pmax = -pmin;
  for (double& v : path) {
    if (!std::isfinite(v)) v = y.back();
    v *= scale;
    pmin = std::min(pmin, v);
    pmax = std::max(pmax, v);
  }
  path_lo_ = pmin;
  path_step_ = (pmax - pmin) / 65535.0;
  scale_ = scale;
  path_.resize(path_len);
  for (std::size_t i = 0; i < path_len; ++i) {
    const double q = path_step_ > 0 ? (path[i] - pmin) / path_step_ : 0.0;
    path_[i] = static_cast<std::uint16_t>(std::clamp(std::lround(q), 0L, 65535L));
  }
  // Bands at anchor steps, in series units; beyond the backtested horizon they grow like √h.
  const std::vector<std::size_t> anchors = Anchors(path_len);
  band_lo_.resize(anchors.size());
  band_hi_.resize(anchors.size());
  const std::size_t hb = lo.size();
  for (std::size_t i = 0; i < anchors.size(); ++i) {
    const std::size_t s = anchors[i];
    const double g = s > hb ? std::sqrt(static_cast<double>(s) / static_cast<double>(hb)) : 1.0;
    const std::size_t at = std::min(s, hb) - 1;
    band_lo_[i] = static_cast<float>(lo[at] * g);
    band_hi_[i] = static_cast<float>(hi[at] * g);
  }
  season_ = static_cast<std::uint16_t>(m <= path_len ? m : 0);
  step_ms_ = step_ms;
  origin_ms_ = last_time_ms;
  last_step_ = 0;
  correction_ = 0.0;
  correction_step_ = 0;
  fitted_ = true;
  if (!has_sample_ || last_time_ms > last_time_ms_) last_time_ms_ = last_time_ms;
  has_sample_ = true;
  // Rebuild the fallback histogram from the recent history.
  const std::size_t from = y.size() > kHistogramRefill ? y.size() - kHistogramRefill : 0;
  double hmin = std::numeric_limits<double>::infinity(), hmax = -hmin;
  for (std::size_t t = from; t < y.size(); ++t) {
    hmin = std::min(hmin, y[t] * scale);
    hmax = std::max(hmax, y[t] * scale);
  }
  histogram_.Reset(hmin, hmax);
  for (std::size_t t = from; t < y.size(); ++t) histogram_.Add(y[t] * scale);
  return Ok();
}

double OnlineForecaster::PathAt(std::int64_t step) const {
  if (path_.empty()) return 0.0;
  const auto p = static_cast<std::int64_t>(path_.size());
  step = std::max<std::int64_t>(step, 1);
  if (step > p) {
    if (season_ >= 2) {
      const std::int64_t m = season_;
      step = p - m + (step - p - 1) % m + 1;  // the path's last season repeats
    } else {
      step = p;
    }
  }
  return path_lo_ + path_step_ * path_[static_cast<std::size_t>(step - 1)];
}

bool OnlineForecaster::Stale() const {
  if (!fitted_) return true;
  const auto limit = season_ >= 2 ? 7 * static_cast<std::int64_t>(season_)
                                  : 4 * static_cast<std::int64_t>(path_.size());
  return last_step_ > limit;
}

OnlineForecaster::AnchorSteps OnlineForecaster::PathAnchors() const {
  // The same steps as Anchors(path_.size()), without the allocation.
  AnchorSteps a;
  const std::size_t last = path_.size();
  for (std::size_t s = 1; s <= last; s *= 2) a.at[a.size++] = s;
  if (a.size == 0 || a.at[a.size - 1] != last) a.at[a.size++] = last;
  return a;
}

OnlineForecaster::StepBase OnlineForecaster::BaseAt(std::int64_t ahead,
                                                    const AnchorSteps& anchors) const {
  const std::int64_t s = std::max<std::int64_t>(last_step_, 0) + ahead;
  const std::int64_t since = s - correction_step_;
  const double decay =
      correction_step_ >= 1 ? std::pow(static_cast<double>(rho_), static_cast<double>(since)) : 0.0;
  const double mean = PathAt(s) + decay * correction_;
  // Error band at `ahead` steps: log-linear interpolation between anchors, √ growth beyond.
  const std::size_t na = anchors.size;
  double lo = band_lo_.back(), hi = band_hi_.back();
  const auto a = static_cast<std::size_t>(ahead);
  if (a <= anchors.at[na - 1]) {
    std::size_t i = 0;
    while (i + 1 < na && anchors.at[i + 1] < a) ++i;
    if (anchors.at[i] >= a || i + 1 == na) {
      lo = band_lo_[i];
      hi = band_hi_[i];
    } else {
      const double w =
          std::log(static_cast<double>(a) / static_cast<double>(anchors.at[i])) /
          std::log(static_cast<double>(anchors.at[i + 1]) / static_cast<double>(anchors.at[i]));
      lo = band_lo_[i] + w * (band_lo_[i + 1] - band_lo_[i]);
      hi = band_hi_[i] + w * (band_hi_[i + 1] - band_hi_[i]);
    }
  } else {
    const double g = std::sqrt(static_cast<double>(a) / static_cast<double>(anchors.at[na - 1]));
    lo *= g;
    hi *= g;
  }
  return {mean, lo * scale_, hi * scale_};
}

double OnlineForecaster::LevelFactor(double level) const {
  // Another level: rescale by the ratio of normal quantiles (the bands' shape is kept).
  if (std::abs(level - options_.level) > 1e-9) {
    return InverseNormalCdf(0.5 + level / 2.0) / InverseNormalCdf(0.5 + options_.level / 2.0);
  }
  return 1.0;  // x · 1 == x exactly: the configured level's bands are used as they are
}

ForecastPoint OnlineForecaster::Step(std::int64_t ahead, double level) const {
  if (Stale()) return histogram_.Interval(level);
  const StepBase b = BaseAt(ahead, PathAnchors());
  const double k = LevelFactor(level);
  const double lo = b.lo * k, hi = b.hi * k;
  return {b.mean, b.mean + std::min(lo, 0.0), b.mean + std::max(hi, 0.0)};
}

ForecastPoint OnlineForecaster::Next() const { return Step(1, options_.level); }

std::vector<ForecastPoint> OnlineForecaster::Forecast(std::size_t horizon, double level) const {
  std::vector<ForecastPoint> out;
  ForecastLevels(horizon, std::span<const double>(&level, 1), &out);
  return out;
}

void OnlineForecaster::ForecastLevels(std::size_t horizon, std::span<const double> levels,
                                      std::vector<ForecastPoint>* out) const {
  out->resize(horizon * levels.size());
  if (horizon == 0 || levels.empty()) return;
  if (Stale()) {
    for (std::size_t i = 0; i < levels.size(); ++i) {
      const ForecastPoint p = histogram_.Interval(std::clamp(levels[i], 0.01, 0.999));
      std::fill_n(out->begin() + static_cast<std::ptrdiff_t>(i * horizon), horizon, p);
    }
    return;
  }
  const AnchorSteps anchors = PathAnchors();
  // The per-step base is written into the first level's row, then scaled for each level from
  // the last row back to the first (so the base is read before it is overwritten).
  ForecastPoint* o = out->data();
  for (std::size_t h = 0; h < horizon; ++h) {
    const StepBase b = BaseAt(static_cast<std::int64_t>(h) + 1, anchors);
    o[h] = {b.mean, b.lo, b.hi};
  }
  for (std::size_t i = levels.size(); i-- > 0;) {
    const double k = LevelFactor(std::clamp(levels[i], 0.01, 0.999));
    ForecastPoint* row = o + i * horizon;
    for (std::size_t h = 0; h < horizon; ++h) {
      const double mean = o[h].mean, lo = o[h].lower * k, hi = o[h].upper * k;
      row[h] = {mean, mean + std::min(lo, 0.0), mean + std::max(hi, 0.0)};
    }
  }
}

const std::string& OnlineForecaster::model_name() const {
  static const std::string kHistogram = "histogram";
  static const std::string kNone = "none";
  if (Stale()) return histogram_.total_weight() > 0 ? kHistogram : kNone;
  return model_name_;
}

std::size_t OnlineForecaster::StateBytes() const {
  return sizeof(*this) + path_.capacity() * sizeof(std::uint16_t) +
         (band_lo_.capacity() + band_hi_.capacity()) * sizeof(float) +
         (model_name_.capacity() > 15 ? model_name_.capacity() + 1 : 0) + warm_.Bytes();
}

}  // namespace prognos::signal
