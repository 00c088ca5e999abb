// `prognos forecast`: fit on a whole CSV column and write `step,mean,lower,upper` for steps 1..H
// (DESIGN.md §3), and `prognos lstm train`: one global LSTM (signal/forecast/lstm.h) from many
// CSV series, which `forecast --lstm-model` adds to the backtest competition. Thin: reading and
// regularising the input here, the math in signal/forecast.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/time.h"
#include "ingest/table_reader.h"
#include "signal/forecast/lstm.h"
#include "signal/forecast/selector.h"
#include "signal/forecast/series_tools.h"

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
  std::string lstm_model;
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
  if (!args.lstm_model.empty()) {
    std::ifstream f(args.lstm_model, std::ios::binary);
    std::stringstream buf;
    buf << f.rdbuf();
    if (!f) {
      std::fprintf(stderr, "forecast: cannot read %s\n", args.lstm_model.c_str());
      return kExitEnvironment;
    }
    auto net = signal::LstmNetwork::Deserialize(buf.str());
    if (!net) {
      std::fprintf(stderr, "forecast: %s: %s\n", args.lstm_model.c_str(),
                   net.error().message.c_str());
      return kExitFailure;
    }
    options.extra_candidates.push_back(std::make_shared<signal::LstmForecastModel>(
        std::make_shared<const signal::LstmNetwork>(std::move(*net))));
  }
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
  cmd->add_option("--lstm-model", args->lstm_model,
                  "Global LSTM from `prognos lstm train`: joins the backtest (serves only where "
                  "it wins); required by --method lstm");
  cmd->callback([args, exit_code] { *exit_code = RunForecast(*args); });
  return cmd;
}

namespace {

struct LstmTrainArgs {
  std::vector<std::string> inputs;
  std::string model;
  std::string column;
  std::string family;
  std::size_t hidden = 32;
  std::size_t window = 48;
  std::size_t horizon = 288;
  std::size_t period = 0;  // 0 = a day of the inputs' sampling interval
  std::size_t base_days = 7;
  std::size_t epochs = 6;
  std::size_t stride = 12;
  std::uint64_t seed = 1;
};

int RunLstmTrain(const LstmTrainArgs& args) {
  std::vector<std::vector<double>> series;
  DurationMs step_ms = 0;
  for (const std::string& path : args.inputs) {
    auto table = ingest::ReadNumericTable(path, ingest::TableOptions{});
    if (!table) {
      std::fprintf(stderr, "lstm train: %s: %s\n", path.c_str(), table.error().message.c_str());
      return kExitFailure;
    }
    std::size_t column = 0;
    if (!args.column.empty()) {
      const auto it = std::find(table->names.begin(), table->names.end(), args.column);
      if (it == table->names.end()) continue;  // a file without the family's column
      column = static_cast<std::size_t>(it - table->names.begin());
    }
    if (table->names.empty()) continue;
    bool has_times = false;
    for (std::size_t i = 0; i < table->time_text.size() && !has_times; ++i) {
      has_times = table->time_text[i] != std::to_string(i);
    }
    Regular r = Regularise(table->columns[column], table->times, has_times);
    if (r.step_ms > 0) step_ms = step_ms == 0 ? r.step_ms : std::min(step_ms, r.step_ms);
    auto y = signal::CleanSeries(r.values);
    if (!y.empty()) series.push_back(std::move(y));
  }
  signal::LstmConfig cfg;
  cfg.hidden = args.hidden;
  cfg.window = args.window;
  cfg.horizon = args.horizon;
  cfg.base_days = args.base_days;
  cfg.period = args.period;
  if (cfg.period == 0) {
    if (step_ms <= 0 || kDayMs / step_ms < 2) {
      std::fprintf(stderr, "lstm train: the inputs have no time column; give --period\n");
      return kExitUsage;
    }
    cfg.period = static_cast<std::size_t>(kDayMs / step_ms);
  }
  signal::LstmTrainOptions opt;
  opt.epochs = args.epochs;
  opt.stride = args.stride;
  opt.seed = args.seed;
  signal::LstmTrainReport rep;
  auto net = signal::TrainLstm(series, cfg, opt, &rep);
  if (!net) {
    std::fprintf(stderr, "lstm train: %s\n", net.error().message.c_str());
    return kExitFailure;
  }
  net->set_family(args.family.empty() ? args.column : args.family);
  auto blob = net->Serialize();
  if (!blob) {
    std::fprintf(stderr, "lstm train: %s\n", blob.error().message.c_str());
    return kExitFailure;
  }
  std::ofstream f(args.model, std::ios::binary | std::ios::trunc);
  f.write(blob->data(), static_cast<std::streamsize>(blob->size()));
  f.close();
  if (!f) {
    std::fprintf(stderr, "lstm train: cannot write %s\n", args.model.c_str());
    return kExitEnvironment;
  }
  std::string losses;
  for (std::size_t e = 0; e < rep.train_loss.size(); ++e) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), " %zu:%.4f/%.4f", e + 1, rep.train_loss[e],
                  e < rep.validation_loss.size() ? rep.validation_loss[e] : std::nan(""));
    losses += buf;
  }
  std::fprintf(stderr,
               "lstm train: %zu series, period %zu, %zu training and %zu validation windows; "
               "epoch train/validation loss%s; base profile validation loss %.4f; kept epoch %zu; "
               "%zu parameters -> %s\n",
               rep.series, cfg.period, rep.train_windows, rep.validation_windows, losses.c_str(),
               rep.validation_loss_base, rep.best_epoch, net->params().size(), args.model.c_str());
  return kExitOk;
}

}  // namespace

CLI::App* RegisterLstmCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "lstm", "Global LSTM forecaster: train one model per indicator family on many series");
  cmd->require_subcommand(1);
  auto args = std::make_shared<LstmTrainArgs>();
  CLI::App* train = cmd->add_subcommand(
      "train",
      "Train on CSV series (one per file; the first value column or --column) and write the\n"
      "model blob (docs/formats/lstm.md) for `prognos forecast --lstm-model FILE`");
  train->add_option("--input", args->inputs, "CSV files (.gz read transparently)")->required();
  train->add_option("--model", args->model, "Model file to write")->required();
  train->add_option("--column", args->column, "Value column (files without it are skipped)");
  train->add_option("--family", args->family, "Indicator family name stored in the model");
  train->add_option("--hidden", args->hidden, "Hidden units")->capture_default_str();
  train->add_option("--window", args->window, "Input steps")->capture_default_str();
  train->add_option("--horizon", args->horizon, "Output steps")->capture_default_str();
  train->add_option("--period", args->period, "Season in steps (0: a day of the inputs' spacing)")
      ->capture_default_str();
  train->add_option("--base-days", args->base_days, "Seasons in the median base profile")
      ->capture_default_str();
  train->add_option("--epochs", args->epochs, "Passes over the windows")->capture_default_str();
  train->add_option("--stride", args->stride, "Steps between training origins")
      ->capture_default_str();
  train->add_option("--seed", args->seed, "Seed (training is deterministic given it)")
      ->capture_default_str();
  train->callback([args, exit_code] { *exit_code = RunLstmTrain(*args); });
  return cmd;
}

}  // namespace prognos::cli
