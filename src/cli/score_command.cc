// `prognos score --input CSV --output CSV [--config FILE]`: causal per-row signals of a recorded
// table (DESIGN.md §3). Each value column runs through its own SeriesSignals in row order, so row
// t's output depends on rows ≤ t only, exactly as a live stream would see it.
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
#include "cli/common.h"
#include "core/labels.h"
#include "engine/controller.h"
#include "ingest/table_reader.h"
#include "predict/dependency_model.h"
#include "predict/failure_features.h"
#include "predict/failure_model.h"
#include "predict/failure_probability.h"
#include "predict/health_score.h"
#include "signal/entropy.h"
#include "signal/series_signals.h"

namespace prognos::cli {
namespace {

// Signal settings of one value column: the configured indicator of the same metric name gives a
// fixed entropy range and bin count; otherwise bins adapt to the column's quantiles.
signal::SeriesSignalsConfig ColumnConfig(const daemon::Config& config, const std::string& column) {
  signal::SeriesSignalsConfig c;
  c.entropy.window_count = static_cast<std::size_t>(std::max(config.signals.entropy_window, 1));
  c.entropy.window_ms = config.signals.entropy_window_ms;
  const std::string metric = ToMetricName(column);
  for (const auto& ind : config.indicators) {
    if (ind.name != metric) continue;
    if (ind.min && ind.max && *ind.max > *ind.min) {
      c.entropy.binning = signal::Binning::kFixedRange;
      c.entropy.range_lo = *ind.min;
      c.entropy.range_hi = *ind.max;
      c.entropy.bins = std::clamp(ind.entropy_bins, 2, 64);  // WindowEntropy supports 2..64 bins
    }
  }
  return c;
}

// The row as a whole from its most anomalous column, corrected for having looked at C columns.
// A column score s is a rarity level z = z½ · s / (1 − s) with tail probability ≈ e^(−z²/2); the
// smallest of C such probabilities is C times likelier by chance (Bonferroni), so
//   z_row = √(max(0, z_max² − 2 ln C)),  score = z_row / (z_row + z½).
// One column: unchanged. 38 columns (SMD): z_max must exceed ≈ 4.2 to reach 0.5 instead of 3.23.
double RowScore(double max_column_score, std::size_t columns, double z_half) {
  if (columns <= 1 || max_column_score <= 0.0) return max_column_score;
  if (max_column_score >= 1.0) return 1.0;
  const double z = z_half * max_column_score / (1.0 - max_column_score);
  const double z2 = z * z - 2.0 * std::log(static_cast<double>(columns));
  if (z2 <= 0.0) return 0.0;
  const double z_row = std::sqrt(z2);
  return z_row / (z_row + z_half);
}

double ColumnWeight(const daemon::Config& config, const std::string& column) {
  const std::string metric = ToMetricName(column);
  for (const auto& ind : config.indicators) {
    if (ind.name == metric) return ind.weight;
  }
  return 1.0;
}

// A column name as it appears in root_cause: ',', ';', '"' and line breaks become '_' so the
// cell needs no quoting and splits on ';'.
std::string CauseName(std::string name) {
  for (char& ch : name) {
    if (ch == ',' || ch == ';' || ch == '"' || ch == '\n' || ch == '\r') ch = '_';
  }
  return name;
}

// Shortest round-trip-ish text for a number; empty for NaN/Inf (an empty cell is "no value").
void AppendNumber(std::string& out, double v, const char* format) {
  if (!std::isfinite(v)) return;
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  out += buf;
}

// The optional failure model (`prognos failure train`): its indicators are matched to the value
// columns by name (as written, or as a Prometheus name: `smart_5_raw`).
struct FailureInput {
  std::optional<predict::FailureModel> model;
  std::optional<predict::FeatureBuilder> features;
  std::vector<std::optional<std::size_t>> column_of;  // per model indicator
};

int LoadFailureModel(const std::string& path, const std::vector<std::string>& names,
                     FailureInput& out) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream buf;
  buf << f.rdbuf();
  if (!f) {
    std::fprintf(stderr, "prognos score: cannot read %s\n", path.c_str());
    return kExitEnvironment;
  }
  auto model = predict::FailureModel::Deserialize(buf.str());
  if (!model) {
    std::fprintf(stderr, "prognos score: %s: %s\n", path.c_str(), model.error().message.c_str());
    return kExitFailure;
  }
  bool any = false;
  for (const std::string& ind : model->spec().indicators) {
    std::optional<std::size_t> col;
    for (std::size_t c = 0; c < names.size() && !col; ++c) {
      if (names[c] == ind || ToMetricName(names[c]) == ind) col = c;
    }
    any = any || col.has_value();
    out.column_of.push_back(col);
  }
  if (!any) {
    std::fprintf(stderr,
                 "prognos score: %s: no input column matches the failure model's indicators\n",
                 path.c_str());
    return kExitFailure;
  }
  out.features.emplace(model->spec());
  out.model.emplace(std::move(*model));
  return kExitOk;
}

// alarm_z: the z at which anomaly_score reaches 0.5 (AnomalyConfig::z_half); ≤ 0 = the default.
int RunScore(const std::string& input, const std::string& output, const std::string& config_path,
             double alarm_z, const std::string& failure_model_path) {
  auto config = LoadConfigOrReport(config_path);
  if (!config) return kExitFailure;
  ingest::TableOptions options;
  auto table = ingest::ReadNumericTable(input, options);
  if (!table) {
    std::fprintf(stderr, "prognos score: %s: %s\n", input.c_str(), table.error().message.c_str());
    return table.error().code == ErrorCode::kIo || table.error().code == ErrorCode::kNotFound
               ? kExitEnvironment
               : kExitFailure;
  }
  if (table->columns.empty()) {
    std::fprintf(stderr, "prognos score: %s: no value column\n", input.c_str());
    return kExitFailure;
  }
  const std::size_t n_cols = table->columns.size();
  const std::size_t n_rows = table->times.size();
  FailureInput failure;
  if (!failure_model_path.empty()) {
    if (int rc = LoadFailureModel(failure_model_path, table->names, failure); rc != kExitOk) {
      return rc;
    }
  }
  // p_fail: the controller's health → hazard mapping over the policy horizon, combined with the
  // failure model (rescaled from its horizon) as an independent cause, as in Controller::Risk.
  const engine::ControllerOptions controller_defaults;
  const predict::HazardMapping hazard{controller_defaults.hazard_a, controller_defaults.hazard_b};
  const DurationMs horizon_ms = config->control.policy.horizon_ms;
  std::vector<double> model_values;
  predict::HealthInput health_in;

  std::vector<std::unique_ptr<signal::SeriesSignals>> series;
  std::vector<double> weights;
  const double z_half = alarm_z > 0.0 ? alarm_z : signal::AnomalyConfig{}.z_half;
  for (const std::string& name : table->names) {
    signal::SeriesSignalsConfig column = ColumnConfig(*config, name);
    column.anomaly.z_half = z_half;
    series.push_back(std::make_unique<signal::SeriesSignals>(column));
    weights.push_back(ColumnWeight(*config, name));
  }
  signal::CompositeEntropy composite(weights, kHourMs);
  // risk: the dependency model over the columns (predict/dependency_model.h); one column has no
  // dependencies, so its risk is its anomaly score and its root cause the column itself.
  predict::DependencyModel dependency(n_cols > 1 ? n_cols : 0);
  std::vector<double> row_values(n_cols, 0.0);

  std::FILE* out = std::fopen(output.c_str(), "w");
  if (out == nullptr) {
    std::fprintf(stderr, "prognos score: cannot write %s: %s\n", output.c_str(),
                 std::strerror(errno));
    return kExitEnvironment;
  }
  std::string text =
      "timestamp,anomaly_score,entropy,forecast,lower,upper,risk,p_fail,root_cause\n";
  TimestampMs t = 0;
  for (std::size_t row = 0; row < n_rows; ++row) {
    // A row whose time does not parse keeps the previous row's time (order is what matters here).
    if (table->times[row]) t = *table->times[row];
    double score = 0.0;
    signal::SignalSnapshot first;
    health_in.indicators.resize(n_cols);
    for (std::size_t c = 0; c < n_cols; ++c) {
      row_values[c] = table->columns[c][row];
      const signal::SignalSnapshot snap = series[c]->Update(t, row_values[c]);
      if (c == 0) first = snap;
      // Per-column scores share one calibration (a score is a rarity level), so the max is
      // comparable across columns; RowScore corrects it for the number of columns.
      score = std::max(score, snap.anomaly_score);
      health_in.indicators[c].name = table->names[c];
      health_in.indicators[c].anomaly_score = snap.anomaly_score;
      composite.SetIndicator(c, series[c]->entropy().Normalized());
    }
    score = RowScore(score, n_cols, z_half);
    const double entropy = composite.Update(t);
    double risk = score;
    std::string root_cause;
    if (n_cols > 1) {
      const predict::RiskResult r = dependency.Update(row_values);
      risk = r.risk;
      for (const predict::Contribution& c : r.ranking) {
        if (!root_cause.empty()) root_cause += ';';
        root_cause += CauseName(table->names[c.indicator]);
      }
    } else if (score > 0.0) {
      root_cause = CauseName(table->names[0]);
    }
    // Health from the columns' anomaly scores, the composite entropy and its trend, and (with
    // several columns) the dependency risk; then the hazard. Causal: every input is of rows ≤ t.
    health_in.entropy = entropy;
    health_in.entropy_trend_per_h = composite.slope_per_hour();
    health_in.risk = n_cols > 1 ? risk : 0.0;
    double p_fail = predict::HealthHazard(predict::ComputeHealth(health_in).score, hazard);
    if (failure.model) {
      model_values.assign(failure.column_of.size(), std::nan(""));
      for (std::size_t i = 0; i < failure.column_of.size(); ++i) {
        if (failure.column_of[i]) model_values[i] = row_values[*failure.column_of[i]];
      }
      // An out-of-order time is rejected by the builder; the row keeps the features it had.
      (void)failure.features->Update("input", t, model_values);
      if (auto pm = failure.model->PredictEntity(*failure.features, "input")) {
        p_fail = predict::CombineIndependent(
            p_fail, predict::RescaleToHorizon(*pm, failure.model->horizon_ms(), horizon_ms));
      }
    }
    text += row < table->time_text.size() ? table->time_text[row] : std::to_string(row);
    text += ',';
    AppendNumber(text, score, "%.6g");
    text += ',';
    AppendNumber(text, entropy, "%.6g");
    text += ',';
    AppendNumber(text, first.forecast, "%.10g");
    text += ',';
    AppendNumber(text, first.lower, "%.10g");
    text += ',';
    AppendNumber(text, first.upper, "%.10g");
    text += ',';
    AppendNumber(text, risk, "%.6g");
    text += ',';
    AppendNumber(text, p_fail, "%.6g");
    text += ',';
    text += root_cause;
    text += '\n';
    if (text.size() > (1U << 16)) {
      std::fwrite(text.data(), 1, text.size(), out);
      text.clear();
    }
  }
  std::fwrite(text.data(), 1, text.size(), out);
  if (std::fclose(out) != 0) {
    std::fprintf(stderr, "prognos score: error writing %s: %s\n", output.c_str(),
                 std::strerror(errno));
    return kExitEnvironment;
  }
  return kExitOk;
}

}  // namespace

CLI::App* RegisterScoreCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "score",
      "Causal per-row signals of a CSV:\n"
      "timestamp,anomaly_score,entropy,forecast,lower,upper,risk,p_fail,root_cause\n"
      "(row t uses rows <= t only; anomaly_score in [0,1] describes the row as a whole: the\n"
      "most anomalous column, corrected for the number of columns; 0.5 is the alarm level;\n"
      "entropy is the weighted composite of the columns' window entropies; forecast/lower/upper\n"
      "are the one-step 80% prediction for the first value column, made before seeing the row;\n"
      "risk in [0,1] is how improbable the row's joint state is under a Chow-Liu dependency\n"
      "model of the columns, root_cause its top-3 columns ';'-separated; one column: risk =\n"
      "anomaly_score, root_cause = the column when its score > 0; p_fail = P(failure within the\n"
      "policy horizon, default 1h): the controller's health hazard 1/(1+e^-(a+b(1-health/100))),\n"
      "a=-5, b=10, health from the row's anomaly scores, entropy, trend and risk, combined with\n"
      "--failure-model's calibrated probability, rescaled to the horizon, as independent causes)");
  auto input = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto config_path = std::make_shared<std::string>();
  cmd->add_option("--input", *input, "Input CSV (.gz read transparently)")->required();
  cmd->add_option("--output", *output, "Output CSV")->required();
  cmd->add_option("--config", *config_path,
                  "YAML configuration: signals.entropy_window[_ms], and indicators' range, "
                  "entropy_bins and weight for columns of the same name");
  auto alarm_z = std::make_shared<double>(0.0);
  cmd->add_option(
      "--alarm-z", *alarm_z,
      "The rarity z at which anomaly_score reaches 0.5, the alarm level (default 3.228, "
      "chosen on NAB); moves the alarm level while the detectors' holds stay consistent "
      "with it");
  auto failure_model = std::make_shared<std::string>();
  cmd->add_option("--failure-model", *failure_model,
                  "Model from `prognos failure train`: its indicators are read from the columns "
                  "of the same name; its probability joins p_fail");
  cmd->callback(
      [=] { *exit_code = RunScore(*input, *output, *config_path, *alarm_z, *failure_model); });
  return cmd;
}

}  // namespace prognos::cli
