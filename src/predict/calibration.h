// Probability calibration of a classifier's raw score (a margin / log-odds, or any score where
// larger means likelier): Platt scaling and isotonic regression (pool adjacent violators), and
// the choice between them by held-out Brier score. Pure functions and a value type;
// thread-compatible.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace prognos::predict {

enum class CalibrationMethod { kNone, kPlatt, kIsotonic, kAuto };

std::string_view CalibrationMethodName(CalibrationMethod method);  // "none", "platt", …
Result<CalibrationMethod> ParseCalibrationMethod(std::string_view text);

// Platt: p = 1 / (1 + e^−(a·s + b)) for raw score s.
struct PlattCalibration {
  double a = 1.0;
  double b = 0.0;
};

// Isotonic: a non-decreasing piecewise-linear map through the points (x[i], y[i]) (x strictly
// increasing), flat outside [x.front(), x.back()] — sklearn's IsotonicRegression with
// out_of_bounds="clip".
struct IsotonicCalibration {
  std::vector<double> x;
  std::vector<double> y;
};

// Fits Platt's a, b by Newton's method on the log loss, with Platt's (1999) smoothed targets
// t+ = (N+ + 1)/(N+ + 2), t− = 1/(N− + 2) so that separable data still has a finite fit.
// labels are 0/1 (anything > 0.5 counts as 1). Errors: sizes differ, empty input, a non-finite
// score. One class only is fine (the targets keep the fit finite).
Result<PlattCalibration> FitPlatt(std::span<const double> scores, std::span<const double> labels);

// Pool adjacent violators on the labels sorted by score (equal scores pooled first, as one
// point with their mean label and total weight), then each block kept as its two end points
// (first and last score of the block, both at the block mean) with redundant interior points of
// constant runs dropped. Worked example (scores 1..6, labels 1 0 1 0 0 1):
//   1 0 → pool 0.5 (x 1–2); 1 0 → pool 0.5 (x 3–4); 0 < 0.5 → pool x 3–5 = 1/3 < 0.5 → pool
//   x 1–5 = 2/5 = 0.4; then 1 (x 6). Map: 0.4 on [1, 5], rising linearly to 1 at x = 6.
// Errors as FitPlatt.
Result<IsotonicCalibration> FitIsotonic(std::span<const double> scores,
                                        std::span<const double> labels);

// A fitted calibrator: kNone maps s to 1 / (1 + e^−s) (the raw logistic output).
struct Calibrator {
  CalibrationMethod method = CalibrationMethod::kNone;
  PlattCalibration platt;
  IsotonicCalibration isotonic;
  // Held-out Brier scores that chose the method (NaN when not chosen by FitCalibrator's kAuto).
  double brier_platt = 0.0;
  double brier_isotonic = 0.0;

  // Probability in [0, 1] for a raw score; NaN in → NaN out.
  double Apply(double score) const;
};

// Fewest positive rows for kAuto to consider isotonic regression.
inline constexpr std::size_t kMinIsotonicPositives = 30;

// Fits the given method. kAuto: two folds (rows alternately, in the given order), each method
// fitted on one fold and scored on the other (Brier, summed over both directions); the lower
// wins, ties go to Platt (two parameters overfit less than a step function on few positives);
// the winner is then refitted on all rows. With fewer than kMinIsotonicPositives positive rows
// Platt is chosen whatever the Brier scores say (both are still reported): isotonic steps on a
// dozen positives tie most scores at 0 and lose the ranking alarms are set on.
Result<Calibrator> FitCalibrator(std::span<const double> scores, std::span<const double> labels,
                                 CalibrationMethod method);

// Mean of (p − y)²; NaN for empty input.
double BrierScore(std::span<const double> probabilities, std::span<const double> labels);

}  // namespace prognos::predict
