// `prognos forecast`: fit on a whole CSV column and write `step,mean,lower,upper` for steps 1..H
// (DESIGN.md §3). Thin: reading and regularising the input here, the math in signal/forecast.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/time.h"
#include "ingest/table_reader.h"
#include "signal/forecast/selector.h"

namespace prognos::cli {
namespace {

struct ForecastArgs {
  std::string input;
  std::string output;
  std::size_t horizon = 0;
  std::string season = "auto";
  std::string method = "auto";
  double level_pct = 80.0;
  std::string column;
};

// Puts the values on a regular grid when the file has times: the step is the median spacing;
// each row goes to slot round((t − t0) / step); rows sharing a slot (duplicate timestamps,
// jitter) are averaged; empty slots are NaN (gaps, which the forecaster interpolates). Rows
// without a parsable time are dropped. Files without times (or absurdly sparse grids) keep
// their row order. Also returns the step so that daily/weekly periods can be suggested.
struct Regular {
  std::vector<double> values;
  DurationMs step_ms = 0;
};

Regular Regularise(const std::vector<double>& values,
                   const std::vector<std::optional<TimestampMs>>& times, bool has_time_column) {
  Regular out;
  if (!has_time_column) {
    out.values = values;
    return out;
  }
  std::vector<std::pair<TimestampMs, double>> rows;
  for (std::size_t i = 0; i < values.size() && i < times.size(); ++i) {
    if (times[i]) rows.emplace_back(*times[i], values[i]);
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<DurationMs> diffs;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].first > rows[i - 1].first) diffs.push_back(rows[i].first - rows[i - 1].first);
  }
  if (diffs.empty()) {
    for (const auto& r : rows) out.values.push_back(r.second);
    return out;
  }
  std::nth_element(diffs.begin(), diffs.begin() + static_cast<std::ptrdiff_t>(diffs.size() / 2),
                   diffs.end());
  const DurationMs step = diffs[diffs.size() / 2];
  const TimestampMs t0 = rows.front().first;
  const auto slots = static_cast<std::size_t>((rows.back().first - t0 + step / 2) / step) + 1;
  if (slots > 10 * rows.size() + 10) {
    for (const auto& r : rows) out.values.push_back(r.second);
    return out;
  }
  std::vector<double> sum(slots, 0.0);
  std::vector<int> count(slots, 0);
  for (const auto& [t, v] : rows) {
    if (!std::isfinite(v)) continue;
    const auto slot = static_cast<std::size_t>((t - t0 + step / 2) / step);
    sum[slot] += v;
    ++count[slot];
  }
  out.values.resize(slots);
  for (std::size_t s = 0; s < slots; ++s) {
    out.values[s] = count[s] > 0 ? sum[s] / count[s] : std::nan("");
  }
  out.step_ms = step;
  return out;
}

int RunForecast(const ForecastArgs& args) {
  signal::BatchForecastOptions options;
  options.horizon = args.horizon;
  options.level = args.level_pct / 100.0;
  if (!(args.level_pct > 0.0 && args.level_pct < 100.0)) {
    std::fprintf(stderr, "forecast: --level must be a percentage in (0, 100), got %g\n",
                 args.level_pct);
    return kExitUsage;
  }
  auto method = signal::ParseForecastMethod(args.method);
  if (!method) {
    std::fprintf(stderr, "forecast: %s\n", method.error().message.c_str());
    return kExitUsage;
  }
  options.method = *method;
  if (args.season == "auto") {
    options.auto_season = true;
  } else {
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(args.season.c_str(), &end, 10);
    if (errno != 0 || end == args.season.c_str() || *end != '\0' || n < 0) {
      std::fprintf(stderr, "forecast: --season must be 'auto' or a step count >= 0, got '%s'\n",
                   args.season.c_str());
      return kExitUsage;
    }
    options.auto_season = false;
    options.season = static_cast<std::size_t>(n);
  }

  ingest::TableOptions table_options;
  auto table = ingest::ReadNumericTable(args.input, table_options);
  if (!table) {
    std::fprintf(stderr, "forecast: %s: %s\n", args.input.c_str(), table.error().message.c_str());
    const ErrorCode code = table.error().code;
    return code == ErrorCode::kIo || code == ErrorCode::kNotFound ? kExitEnvironment : kExitFailure;
  }
  if (table->names.empty()) {
    std::fprintf(stderr, "forecast: %s has no value column\n", args.input.c_str());
    return kExitFailure;
  }
  std::size_t column = 0;
  if (!args.column.empty()) {
    const auto it = std::find(table->names.begin(), table->names.end(), args.column);
    if (it == table->names.end()) {
      std::fprintf(stderr, "forecast: no value column named '%s' in %s\n", args.column.c_str(),
                   args.input.c_str());
      return kExitFailure;
    }
    column = static_cast<std::size_t>(it - table->names.begin());
  }
  // ReadNumericTable numbers the rows ("0", "1", …) when the file has no time column.
  bool has_times = false;
  for (std::size_t i = 0; i < table->time_text.size() && !has_times; ++i) {
    has_times = table->time_text[i] != std::to_string(i);
  }
  Regular series = Regularise(table->columns[column], table->times, has_times);
  if (series.step_ms > 0) {
    const DurationMs day = kDayMs / series.step_ms;
    if (day >= 2) {
      options.preferred_seasons.push_back(static_cast<std::size_t>(day));
      options.preferred_seasons.push_back(static_cast<std::size_t>(7 * day));
    }
  }
  auto result = signal::ForecastBatch(series.values, options);
  if (!result) {
    std::fprintf(stderr, "forecast: %s\n", result.error().message.c_str());
    return kExitFailure;
  }
  std::FILE* out = std::fopen(args.output.c_str(), "w");
  if (out == nullptr) {
    std::fprintf(stderr, "forecast: cannot write %s: %s\n", args.output.c_str(),
                 std::strerror(errno));
    return kExitEnvironment;
  }
  std::fprintf(out, "step,mean,lower,upper\n");
  for (std::size_t h = 0; h < result->points.size(); ++h) {
    const auto& p = result->points[h];
    std::fprintf(out, "%zu,%.10g,%.10g,%.10g\n", h + 1, p.mean, p.lower, p.upper);
  }
  if (std::fclose(out) != 0) {
    std::fprintf(stderr, "forecast: cannot write %s\n", args.output.c_str());
    return kExitEnvironment;
  }
  std::fprintf(stderr,
               "forecast: %zu points, season %zu, model %s, backtest MAE %.6g (%.3f x "
               "in-sample seasonal naive) over %zu origins\n",
               series.values.size(), result->season, result->model.c_str(), result->backtest_mae,
               result->backtest_relative, result->origins);
  return kExitOk;
}

}  // namespace

CLI::App* RegisterForecastCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ForecastArgs>();
  CLI::App* cmd = app.add_subcommand(
      "forecast", "Fit on a CSV column and forecast H steps with a prediction interval");
  cmd->add_option("--input", args->input, "CSV file (.gz read transparently)")->required();
  cmd->add_option("--horizon", args->horizon, "Steps to forecast (rows of the input's spacing)")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--season", args->season, "Season length in steps, or auto (ACF peak)")
      ->capture_default_str();
  cmd->add_option("--method", args->method, "auto|ets|arima|lstm|naive|snaive")
      ->capture_default_str();
  cmd->add_option("--level", args->level_pct, "Prediction interval, percent")
      ->capture_default_str();
  cmd->add_option("--column", args->column, "Value column (default: the first)");
  cmd->add_option("--output", args->output, "Output CSV: step,mean,lower,upper")->required();
  cmd->callback([args, exit_code] { *exit_code = RunForecast(*args); });
  return cmd;
}

}  // namespace prognos::cli
