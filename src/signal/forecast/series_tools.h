// Helpers shared by the forecasters: cleaning a raw series (NaN, Inf, gaps), robust statistics,
// the autocorrelation function and automatic season detection. Pure functions, no state.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace prognos::signal {

// Raw values to a finite series a model can fit:
//   * leading non-finite values (NaN, ±Inf) are dropped;
//   * interior runs of non-finite values (gaps) are filled by linear interpolation between the
//     neighbouring finite values — a gap neither breaks the season's phase nor adds a jump;
//   * trailing non-finite values repeat the last finite value (the phase of the origin is kept).
// Returns an empty vector when no value is finite.
std::vector<double> CleanSeries(std::span<const double> raw);

// A positive divisor that brings the series to order 1: max |y| (cannot overflow, unlike a sum
// of squares of 1e300-sized values); 1 for an all-zero or empty series.
double SeriesScale(std::span<const double> y);

// Median and quantile (linear interpolation between order statistics, as numpy's default) of a
// copy of `v`. Empty input gives 0.
double Median(std::vector<double> v);
double Quantile(std::vector<double> v, double q);

// Sample autocorrelation r[k] for k = 0..max_lag of the mean-removed series (r[0] = 1),
// computed with an FFT in O(n log n). A constant series gives r[k] = 0 for k > 0.
std::vector<double> Autocorrelation(std::span<const double> y, std::size_t max_lag);

// Automatic season: the ACF peak among lags 3..n/2 of the linearly detrended series.
// A lag qualifies when it is a local maximum of the (3-lag smoothed) ACF, its ACF is >= 0.1, and
// it rises >= 0.1 above the lowest ACF at shorter lags (so the slow decay of a persistent,
// non-seasonal series is not taken for a season). Of the qualifying peaks the highest wins; a
// divisor of it (winner / j, j = 2..7) that also qualifies with >= 0.85 x its ACF is preferred,
// since a daily season repeats at 2, 3, … days. A `preferred` period (e.g. the number of steps in
// a day and a week, known from the sampling interval; the first listed wins) is returned when a
// qualifying peak within ±10 % of it reaches half the best peak's ACF. Returns 0 when nothing
// qualifies (no season), for a constant series, or when the series holds fewer than 8 points.
std::size_t DetectSeason(std::span<const double> y, std::span<const std::size_t> preferred = {});

}  // namespace prognos::signal
