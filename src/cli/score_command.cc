// `prognos score --input CSV --output CSV [--config FILE]`: causal per-row signals of a recorded
// table (DESIGN.md §3). Each value column runs through its own SeriesSignals in row order, so row
// t's output depends on rows ≤ t only, exactly as a live stream would see it.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/common.h"
#include "core/labels.h"
#include "ingest/table_reader.h"
#include "predict/dependency_model.h"
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

// alarm_z: the z at which anomaly_score reaches 0.5 (AnomalyConfig::z_half); ≤ 0 = the default.
int RunScore(const std::string& input, const std::string& output, const std::string& config_path,
             double alarm_z) {
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
  std::string text = "timestamp,anomaly_score,entropy,forecast,lower,upper,risk,root_cause\n";
  TimestampMs t = 0;
  for (std::size_t row = 0; row < n_rows; ++row) {
    // A row whose time does not parse keeps the previous row's time (order is what matters here).
    if (table->times[row]) t = *table->times[row];
    double score = 0.0;
    signal::SignalSnapshot first;
    for (std::size_t c = 0; c < n_cols; ++c) {
      row_values[c] = table->columns[c][row];
      const signal::SignalSnapshot snap = series[c]->Update(t, row_values[c]);
      if (c == 0) first = snap;
      // Per-column scores share one calibration (a score is a rarity level), so the max is
      // comparable across columns; RowScore corrects it for the number of columns.
      score = std::max(score, snap.anomaly_score);
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
      "timestamp,anomaly_score,entropy,forecast,lower,upper,risk,root_cause\n"
      "(row t uses rows <= t only; anomaly_score in [0,1] describes the row as a whole: the\n"
      "most anomalous column, corrected for the number of columns; 0.5 is the alarm level;\n"
      "entropy is the weighted composite of the columns' window entropies; forecast/lower/upper\n"
      "are the one-step 80% prediction for the first value column, made before seeing the row;\n"
      "risk in [0,1] is how improbable the row's joint state is under a Chow-Liu dependency\n"
      "model of the columns, root_cause its top-3 columns ';'-separated; one column: risk =\n"
      "anomaly_score, root_cause = the column when its score > 0)");
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
  cmd->callback([=] { *exit_code = RunScore(*input, *output, *config_path, *alarm_z); });
  return cmd;
}

}  // namespace prognos::cli
