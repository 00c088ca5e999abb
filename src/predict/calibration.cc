#include "predict/calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

namespace prognos::predict {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Result<void> CheckInput(std::span<const double> scores, std::span<const double> labels) {
  if (scores.size() != labels.size()) {
    return MakeError(ErrorCode::kInvalidArgument, "calibration: " + std::to_string(scores.size()) +
                                                      " scores but " +
                                                      std::to_string(labels.size()) + " labels");
  }
  if (scores.empty()) return MakeError(ErrorCode::kInvalidArgument, "calibration: no rows");
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i]) || !std::isfinite(labels[i])) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "calibration: non-finite score or label at row " + std::to_string(i));
    }
  }
  return Ok();
}

double Sigmoid(double f) {
  if (f >= 0.0) return 1.0 / (1.0 + std::exp(-f));
  const double e = std::exp(f);
  return e / (1.0 + e);
}

// log(1 + e^f) without overflow.
double Softplus(double f) { return std::max(f, 0.0) + std::log1p(std::exp(-std::abs(f))); }

// Platt's log loss: Σ t·log(1 + e^−f) + (1 − t)·log(1 + e^f), f = a·s + b.
double PlattLoss(std::span<const double> s, std::span<const double> t, double a, double b) {
  double loss = 0.0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double f = a * s[i] + b;
    loss += t[i] * Softplus(-f) + (1.0 - t[i]) * Softplus(f);
  }
  return loss;
}

}  // namespace

std::string_view CalibrationMethodName(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::kNone:
      return "none";
    case CalibrationMethod::kPlatt:
      return "platt";
    case CalibrationMethod::kIsotonic:
      return "isotonic";
    case CalibrationMethod::kAuto:
      return "auto";
  }
  return "none";
}

Result<CalibrationMethod> ParseCalibrationMethod(std::string_view text) {
  for (const auto m : {CalibrationMethod::kNone, CalibrationMethod::kPlatt,
                       CalibrationMethod::kIsotonic, CalibrationMethod::kAuto}) {
    if (text == CalibrationMethodName(m)) return m;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "calibration method must be none, platt, "
                   "isotonic or auto, got '" +
                       std::string(text) + "'");
}

Result<PlattCalibration> FitPlatt(std::span<const double> scores, std::span<const double> labels) {
  if (auto ok = CheckInput(scores, labels); !ok) return tl::unexpected(ok.error());
  double n_pos = 0.0;
  for (const double y : labels) n_pos += y > 0.5 ? 1.0 : 0.0;
  const double n_neg = static_cast<double>(labels.size()) - n_pos;
  const double t_pos = (n_pos + 1.0) / (n_pos + 2.0);
  const double t_neg = 1.0 / (n_neg + 2.0);
  std::vector<double> t(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) t[i] = labels[i] > 0.5 ? t_pos : t_neg;

  double a = 0.0;
  double b = std::log((n_pos + 1.0) / (n_neg + 1.0));
  double loss = PlattLoss(scores, t, a, b);
  constexpr int kMaxIterations = 100;
  constexpr double kRidge = 1e-12;  // keeps the Hessian invertible when every score is equal
  for (int iter = 0; iter < kMaxIterations; ++iter) {
    double ga = 0.0;
    double gb = 0.0;
    double haa = kRidge;
    double hab = 0.0;
    double hbb = kRidge;
    for (std::size_t i = 0; i < scores.size(); ++i) {
      const double p = Sigmoid(a * scores[i] + b);
      const double d = p - t[i];
      const double w = std::max(p * (1.0 - p), 1e-12);
      ga += d * scores[i];
      gb += d;
      haa += w * scores[i] * scores[i];
      hab += w * scores[i];
      hbb += w;
    }
    if (std::abs(ga) < 1e-9 && std::abs(gb) < 1e-9) break;
    const double det = haa * hbb - hab * hab;
    if (!(det > 0.0)) break;
    const double da = -(hbb * ga - hab * gb) / det;
    const double db = -(-hab * ga + haa * gb) / det;
    // Backtracking line search: halve the Newton step until the loss goes down enough.
    double step = 1.0;
    bool moved = false;
    while (step >= 1e-10) {
      const double na = a + step * da;
      const double nb = b + step * db;
      const double nloss = PlattLoss(scores, t, na, nb);
      if (nloss < loss + 1e-4 * step * (ga * da + gb * db)) {
        a = na;
        b = nb;
        loss = nloss;
        moved = true;
        break;
      }
      step /= 2.0;
    }
    if (!moved) break;
  }
  return PlattCalibration{a, b};
}

Result<IsotonicCalibration> FitIsotonic(std::span<const double> scores,
                                        std::span<const double> labels) {
  if (auto ok = CheckInput(scores, labels); !ok) return tl::unexpected(ok.error());
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t l, std::size_t r) { return scores[l] < scores[r]; });
  // Blocks of the PAV stack: total label, weight and score range.
  struct Block {
    double sum = 0.0;
    double weight = 0.0;
    double x_lo = 0.0;
    double x_hi = 0.0;
    double mean() const { return sum / weight; }
  };
  std::vector<Block> blocks;
  std::size_t i = 0;
  while (i < order.size()) {
    // Equal scores first become one point (their mean label, their count as weight).
    Block point;
    point.x_lo = point.x_hi = scores[order[i]];
    while (i < order.size() && scores[order[i]] == point.x_lo) {
      point.sum += labels[order[i]] > 0.5 ? 1.0 : 0.0;
      point.weight += 1.0;
      ++i;
    }
    blocks.push_back(point);
    // Pool while the newest block breaks monotonicity with the one before it.
    while (blocks.size() >= 2 && blocks[blocks.size() - 2].mean() > blocks.back().mean()) {
      Block last = blocks.back();
      blocks.pop_back();
      Block& prev = blocks.back();
      prev.sum += last.sum;
      prev.weight += last.weight;
      prev.x_hi = last.x_hi;
    }
  }
  IsotonicCalibration out;
  for (const Block& block : blocks) {
    const double y = block.mean();
    out.x.push_back(block.x_lo);
    out.y.push_back(y);
    if (block.x_hi > block.x_lo) {
      out.x.push_back(block.x_hi);
      out.y.push_back(y);
    }
  }
  // Drop interior points of constant runs: (x1, c), (x2, c), (x3, c) -> keep x1 and x3.
  IsotonicCalibration pruned;
  for (std::size_t k = 0; k < out.x.size(); ++k) {
    const bool interior =
        k > 0 && k + 1 < out.x.size() && out.y[k - 1] == out.y[k] && out.y[k] == out.y[k + 1];
    if (interior) continue;
    pruned.x.push_back(out.x[k]);
    pruned.y.push_back(out.y[k]);
  }
  return pruned;
}

double Calibrator::Apply(double score) const {
  if (std::isnan(score)) return kNaN;
  switch (method) {
    case CalibrationMethod::kPlatt:
      return Sigmoid(platt.a * score + platt.b);
    case CalibrationMethod::kIsotonic: {
      const auto& x = isotonic.x;
      const auto& y = isotonic.y;
      if (x.empty()) return Sigmoid(score);
      if (score <= x.front()) return y.front();
      if (score >= x.back()) return y.back();
      const auto hi =
          static_cast<std::size_t>(std::upper_bound(x.begin(), x.end(), score) - x.begin());
      const std::size_t lo = hi - 1;
      const double frac = (score - x[lo]) / (x[hi] - x[lo]);
      return std::clamp(y[lo] + frac * (y[hi] - y[lo]), 0.0, 1.0);
    }
    case CalibrationMethod::kNone:
    case CalibrationMethod::kAuto:
      return Sigmoid(score);
  }
  return Sigmoid(score);
}

double BrierScore(std::span<const double> probabilities, std::span<const double> labels) {
  const std::size_t n = std::min(probabilities.size(), labels.size());
  if (n == 0) return kNaN;
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double y = labels[i] > 0.5 ? 1.0 : 0.0;
    sum += (probabilities[i] - y) * (probabilities[i] - y);
  }
  return sum / static_cast<double>(n);
}

namespace {

Result<Calibrator> FitOne(std::span<const double> scores, std::span<const double> labels,
                          CalibrationMethod method) {
  Calibrator c;
  c.method = method;
  c.brier_platt = kNaN;
  c.brier_isotonic = kNaN;
  if (method == CalibrationMethod::kPlatt) {
    auto fit = FitPlatt(scores, labels);
    if (!fit) return tl::unexpected(fit.error());
    c.platt = *fit;
  } else if (method == CalibrationMethod::kIsotonic) {
    auto fit = FitIsotonic(scores, labels);
    if (!fit) return tl::unexpected(fit.error());
    c.isotonic = std::move(*fit);
  }
  return c;
}

// Brier score of `method` fitted on one fold and applied to the other.
Result<double> CrossBrier(const std::vector<double>& fit_s, const std::vector<double>& fit_y,
                          const std::vector<double>& test_s, const std::vector<double>& test_y,
                          CalibrationMethod method) {
  auto c = FitOne(fit_s, fit_y, method);
  if (!c) return tl::unexpected(c.error());
  std::vector<double> p(test_s.size());
  for (std::size_t i = 0; i < test_s.size(); ++i) p[i] = c->Apply(test_s[i]);
  return BrierScore(p, test_y) * static_cast<double>(test_s.size());
}

}  // namespace

Result<Calibrator> FitCalibrator(std::span<const double> scores, std::span<const double> labels,
                                 CalibrationMethod method) {
  if (auto ok = CheckInput(scores, labels); !ok) return tl::unexpected(ok.error());
  if (method != CalibrationMethod::kAuto) return FitOne(scores, labels, method);
  if (scores.size() < 4) return FitOne(scores, labels, CalibrationMethod::kPlatt);
  std::vector<double> s[2];
  std::vector<double> y[2];
  for (std::size_t i = 0; i < scores.size(); ++i) {
    s[i % 2].push_back(scores[i]);
    y[i % 2].push_back(labels[i]);
  }
  double brier[2] = {0.0, 0.0};  // platt, isotonic
  const CalibrationMethod methods[2] = {CalibrationMethod::kPlatt, CalibrationMethod::kIsotonic};
  for (int m = 0; m < 2; ++m) {
    for (int fold = 0; fold < 2; ++fold) {
      auto b = CrossBrier(s[fold], y[fold], s[1 - fold], y[1 - fold], methods[m]);
      if (!b) return tl::unexpected(b.error());
      brier[m] += *b;
    }
    brier[m] /= static_cast<double>(scores.size());
  }
  // Isotonic needs enough positives to place its steps: with few, its held-out Brier is noisy
  // and its flat blocks tie most scores at one value (0 below the first positive), which throws
  // away the ranking an alarm threshold needs. Below kMinIsotonicPositives Platt is kept.
  std::size_t positives = 0;
  for (const double v : labels) positives += v > 0.5 ? 1 : 0;
  const bool isotonic_allowed = positives >= kMinIsotonicPositives;
  const CalibrationMethod best =
      isotonic_allowed && brier[1] < brier[0] ? methods[1] : methods[0];
  auto c = FitOne(scores, labels, best);
  if (!c) return c;
  c->brier_platt = brier[0];
  c->brier_isotonic = brier[1];
  return c;
}

}  // namespace prognos::predict
