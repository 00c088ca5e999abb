// `prognos failure train|predict` (DESIGN.md §3): trains the failure model on labelled CSV history
// (one row per entity per time, e.g. Backblaze's daily SMART files) and writes P(failure within
// H) per row. Thin: reading files and labelling rows here; features, training and calibration
// in predict/.
//
// Rows of every input are put in time order (stable: file order breaks ties) and fed through
// one predict::FeatureBuilder, so a row's features use rows at or before its time only, as the
// live engine would see them. Training label of a row at t: 1 when the same entity has a row
// with --label > 0 at a time f with t ≤ f < t + H. Rows near the end of the history whose
// horizon is not fully observed are kept as negatives (the drive had not failed by the end).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/commands.h"
#include "core/labels.h"
#include "core/time.h"
#include "ingest/table_reader.h"
#include "predict/failure_features.h"
#include "predict/failure_model.h"

namespace prognos::cli {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// A column is a default indicator when at least this share of the first file's rows hold a
// number in it (Backblaze 2013: 5 SMART columns and capacity_bytes; the other 80 are empty).
constexpr double kMinNumericShare = 0.01;
constexpr std::size_t kPredictBatchRows = 65'536;

struct TrainArgs {
  std::vector<std::string> inputs;
  std::string entity;
  std::string time;
  std::string label;
  std::string horizon = "10d";
  std::string model;
  std::vector<std::string> features;
  std::string type;  // component type column (Backblaze: model) for the type prior
  double type_pseudo_count = 50.0;
  std::vector<int> delta_days = {1, 7, 30};
  int rounds = 150;
  int max_depth = 4;
  double eta = 0.1;
  double negatives_keep = 1.0;
  double scale_pos_weight = 0.0;
  double calibration_fraction = 0.25;
  std::string calibration = "auto";
  std::uint64_t seed = 1;
  int threads = 1;
  bool select = false;
  std::string feature_set = "base";
  std::vector<std::string> alarm_columns;
};

struct PredictArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::string output;
  std::string entity;
  std::string time;
};

// The rows of every input, reduced to what the failure model needs.
struct Rows {
  std::vector<std::string> entity_names;  // by entity id
  std::vector<std::uint32_t> entity;      // per row
  std::vector<TimestampMs> t;
  std::vector<std::string> time_text;   // the time cell as written (for the output)
  std::vector<double> values;           // rows × indicators, NaN = empty or not a number
  std::vector<double> label;            // per row (train only)
  std::vector<std::string> type_names;  // by type id
  std::vector<std::uint32_t> type;      // per row, when a type column is read
  std::size_t skipped = 0;              // rows without an entity or a parsable time
  std::size_t size() const { return entity.size(); }
};

int ExitFor(const Error& e) {
  return e.code == ErrorCode::kIo || e.code == ErrorCode::kNotFound ? kExitEnvironment
                                                                    : kExitFailure;
}

std::optional<double> ParseNumber(const std::string& cell) {
  if (cell.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(cell.c_str(), &end);
  if (end == cell.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

// Index of a column by name: exact, then case-insensitive, then as a metric name.
std::optional<std::size_t> FindColumn(const std::vector<std::string>& names,
                                      const std::string& want) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == want) return i;
  }
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (lower(names[i]) == lower(want)) return i;
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (ToMetricName(names[i]) == ToMetricName(want)) return i;
  }
  return std::nullopt;
}

Result<ingest::Table> ReadTable(const std::string& path, const ingest::TableOptions& options) {
  auto text = ingest::ReadFileMaybeGz(path);
  if (!text) return tl::unexpected(text.error());
  const auto first = text->find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (text->at(first) == '{' || text->at(first) == '[')) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "is JSON lines; failure train/predict read CSV tables");
  }
  auto table = ingest::ParseCsv(*text, options);
  if (!table) return tl::unexpected(table.error());
  if (!table->entity_column) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "no entity column (name it with --entity; a column called host, instance, "
                     "machine_id or serial_number is taken without it)");
  }
  if (!table->time_column) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "no time column (name it with --time; a column called timestamp, time, ts "
                     "or date is taken without it)");
  }
  return table;
}

// Default indicators: every column but entity, time and label that holds a number in at least
// kMinNumericShare of the rows and more numbers than text (so Backblaze's `model` is not one).
std::vector<std::string> DefaultIndicators(const ingest::Table& table,
                                           std::optional<std::size_t> label_column) {
  std::vector<std::string> out;
  const double rows = static_cast<double>(table.rows.size());
  for (std::size_t c = 0; c < table.column_names.size(); ++c) {
    if (c == table.entity_column || c == table.time_column || c == label_column) continue;
    std::size_t numbers = 0;
    std::size_t text = 0;
    for (const auto& row : table.rows) {
      if (row[c].empty()) continue;
      (ParseNumber(row[c]) ? numbers : text) += 1;
    }
    if (numbers > text && static_cast<double>(numbers) >= kMinNumericShare * rows) {
      out.push_back(table.column_names[c]);
    }
  }
  return out;
}

// Appends one table's rows. indicator_columns / label_column index into this table's columns.
void AppendRows(const ingest::Table& table, const ingest::TableOptions& options,
                const std::vector<std::size_t>& indicator_columns,
                std::optional<std::size_t> label_column, std::optional<std::size_t> type_column,
                std::unordered_map<std::string, std::uint32_t>& ids,
                std::unordered_map<std::string, std::uint32_t>& type_ids, Rows& rows) {
  const auto times = ingest::RowTimes(table, options);
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const std::string& name = row[*table.entity_column];
    if (name.empty() || !times[r]) {
      ++rows.skipped;
      continue;
    }
    auto [it, inserted] = ids.emplace(name, static_cast<std::uint32_t>(rows.entity_names.size()));
    if (inserted) rows.entity_names.push_back(name);
    rows.entity.push_back(it->second);
    rows.t.push_back(*times[r]);
    rows.time_text.push_back(row[*table.time_column]);
    for (const std::size_t c : indicator_columns) {
      rows.values.push_back(ParseNumber(row[c]).value_or(kNaN));
    }
    if (label_column) {
      const auto v = ParseNumber(row[*label_column]);
      rows.label.push_back(v && *v > 0.5 ? 1.0 : 0.0);
    }
    if (type_column) {
      auto [t, fresh] =
          type_ids.emplace(row[*type_column], static_cast<std::uint32_t>(rows.type_names.size()));
      if (fresh) rows.type_names.push_back(row[*type_column]);
      rows.type.push_back(t->second);
    }
  }
}

// Reads every input. On the first file, chooses the indicators when `indicators` is empty.
// Error messages are prefixed with the file.
Result<Rows> ReadInputs(const std::vector<std::string>& inputs, const ingest::TableOptions& options,
                        const std::string& label, const std::string& type,
                        std::vector<std::string>& indicators) {
  Rows rows;
  std::unordered_map<std::string, std::uint32_t> ids;
  std::unordered_map<std::string, std::uint32_t> type_ids;
  for (const std::string& path : inputs) {
    auto fail = [&](const Error& e) {
      return tl::unexpected(Error{e.code, path + ": " + e.message});
    };
    auto table = ReadTable(path, options);
    if (!table) return fail(table.error());
    std::optional<std::size_t> label_column;
    if (!label.empty()) {
      label_column = FindColumn(table->column_names, label);
      if (!label_column) {
        return fail(Error{ErrorCode::kInvalidArgument, "no label column '" + label + "'"});
      }
    }
    std::optional<std::size_t> type_column;
    if (!type.empty()) {
      type_column = FindColumn(table->column_names, type);
      if (!type_column) {
        return fail(Error{ErrorCode::kInvalidArgument, "no type column '" + type + "'"});
      }
    }
    if (indicators.empty()) {
      indicators = DefaultIndicators(*table, label_column);
      if (indicators.empty()) {
        return fail(Error{ErrorCode::kInvalidArgument,
                          "no numeric indicator column besides entity, time and label"});
      }
    }
    std::vector<std::size_t> columns;
    std::string missing;
    for (const auto& name : indicators) {
      const auto c = FindColumn(table->column_names, name);
      if (!c) {
        missing += (missing.empty() ? "" : ", ") + name;
        continue;
      }
      columns.push_back(*c);
    }
    if (!missing.empty()) {
      return fail(Error{ErrorCode::kInvalidArgument, "missing indicator column(s): " + missing});
    }
    AppendRows(*table, options, columns, label_column, type_column, ids, type_ids, rows);
  }
  return rows;
}

// Row order for the causal pass: by time, file order breaking ties.
// Feeds row i to the builder and writes its entity's features after it into `feats`; false when
// the row is older than the entity's latest (skipped, counted by the caller as out of order).
bool FeedRow(const Rows& rows, std::size_t i, std::size_t n_ind, predict::FeatureBuilder& builder,
             std::vector<float>& feats) {
  const std::string& name = rows.entity_names[rows.entity[i]];
  const auto values = std::span<const double>(rows.values).subspan(i * n_ind, n_ind);
  const std::string_view type =
      rows.type.empty() ? std::string_view() : rows.type_names[rows.type[i]];
  if (!builder.Update(name, rows.t[i], values, type)) return false;
  builder.FeaturesInto(name, feats);
  return true;
}

std::vector<std::size_t> TimeOrder(const Rows& rows) {
  std::vector<std::size_t> order(rows.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return rows.t[a] < rows.t[b]; });
  return order;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kIo, "cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream s;
  s << in.rdbuf();
  if (!in.good() && !in.eof()) return MakeError(ErrorCode::kIo, "error reading " + path);
  return s.str();
}

Result<void> WriteWholeFile(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  std::FILE* out = std::fopen(tmp.c_str(), "wb");
  if (out == nullptr) {
    return MakeError(ErrorCode::kIo, "cannot write " + tmp + ": " + std::strerror(errno));
  }
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size();
  if (std::fclose(out) != 0 || !ok) {
    std::remove(tmp.c_str());
    return MakeError(ErrorCode::kIo, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return MakeError(ErrorCode::kIo, "cannot rename " + tmp + " to " + path);
  }
  return Ok();
}

int RunTrain(const TrainArgs& args) {
  auto horizon = ParseDuration(args.horizon);
  if (!horizon || *horizon <= 0) {
    std::fprintf(stderr, "failure train: --horizon must be a positive duration (10d), got '%s'\n",
                 args.horizon.c_str());
    return kExitUsage;
  }
  auto calibration = predict::ParseCalibrationMethod(args.calibration);
  if (!calibration) {
    std::fprintf(stderr, "failure train: --calibration: %s\n", calibration.error().message.c_str());
    return kExitUsage;
  }
  ingest::TableOptions options;
  options.entity.text = args.entity;
  options.time.text = args.time;
  std::vector<std::string> indicators = args.features;
  auto rows = ReadInputs(args.inputs, options, args.label, args.type, indicators);
  if (!rows) {
    std::fprintf(stderr, "failure train: %s\n", rows.error().message.c_str());
    return ExitFor(rows.error());
  }
  if (args.feature_set != "base" && args.feature_set != "extended" && args.feature_set != "auto") {
    std::fprintf(stderr, "failure train: --feature-set must be base, extended or auto, got '%s'\n",
                 args.feature_set.c_str());
    return kExitUsage;
  }
  if (args.feature_set == "auto" && !args.select) {
    std::fprintf(stderr, "failure train: --feature-set auto needs --select\n");
    return kExitUsage;
  }
  predict::FailureFeatureSpec spec;
  spec.indicators = indicators;
  spec.delta_days.assign(args.delta_days.begin(), args.delta_days.end());
  spec.snapshot_spacing_ms = kHourMs;
  // Alarm columns that are not indicators (e.g. never filled, so not chosen by default) are
  // left out and named in the summary.
  std::string alarms_ignored;
  for (const auto& name : args.alarm_columns) {
    if (std::find(indicators.begin(), indicators.end(), name) != indicators.end()) {
      spec.alarm_indicators.push_back(name);
    } else {
      alarms_ignored += (alarms_ignored.empty() ? "" : ",") + name;
    }
  }
  if (auto ok = predict::ValidateFeatureSpec(spec); !ok) {
    std::fprintf(stderr, "failure train: %s\n", ok.error().message.c_str());
    return kExitUsage;
  }

  // Event times per entity, sorted, for the horizon labels.
  std::vector<std::vector<TimestampMs>> events(rows->entity_names.size());
  std::size_t event_rows = 0;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    if (rows->label[i] > 0.5) {
      events[rows->entity[i]].push_back(rows->t[i]);
      ++event_rows;
    }
  }
  for (auto& e : events) std::sort(e.begin(), e.end());
  if (!args.type.empty()) {
    // Type priors from the training history: each entity's last reported type, failed or not.
    std::vector<std::string> entity_type(rows->entity_names.size());
    for (std::size_t i = 0; i < rows->size(); ++i) {
      entity_type[rows->entity[i]] = rows->type_names[rows->type[i]];
    }
    std::unique_ptr<bool[]> failed(new bool[events.size()]);
    for (std::size_t e = 0; e < events.size(); ++e) failed[e] = !events[e].empty();
    spec.type_label = args.type;
    predict::FitTypeRates(entity_type, std::span<const bool>(failed.get(), events.size()),
                          args.type_pseudo_count, spec);
  }
  if (event_rows == 0) {
    std::fprintf(stderr,
                 "failure train: no positive labels: column '%s' is never > 0 in %zu rows, so "
                 "there is no failure to learn from\n",
                 args.label.c_str(), rows->size());
    return kExitFailure;
  }

  // Features of every row, causally, for a spec; with the per-row entity and failure time that
  // selection needs.
  std::size_t out_of_order = 0;
  auto build = [&](const predict::FailureFeatureSpec& feature_spec) {
    predict::FeatureBuilder builder(feature_spec);
    const std::size_t n_ind = indicators.size();
    predict::FailureTrainingSet data;
    data.feature_count = builder.feature_count();
    data.features.reserve(rows->size() * data.feature_count);
    std::vector<float> feats;
    out_of_order = 0;
    for (const std::size_t i : TimeOrder(*rows)) {
      if (!FeedRow(*rows, i, n_ind, builder, feats)) {
        ++out_of_order;
        continue;
      }
      data.features.insert(data.features.end(), feats.begin(), feats.end());
      const auto& ev = events[rows->entity[i]];
      const auto it = std::lower_bound(ev.begin(), ev.end(), rows->t[i]);
      data.labels.push_back(it != ev.end() && *it < rows->t[i] + *horizon ? 1.0 : 0.0);
      data.times.push_back(rows->t[i]);
      data.entities.push_back(rows->entity[i]);
      data.failure_times.push_back(it != ev.end() ? *it : predict::kNoFailure);
    }
    return data;
  };

  predict::FailureTrainOptions o;
  o.rounds = args.rounds;
  o.max_depth = args.max_depth;
  o.eta = args.eta;
  o.negative_keep_fraction = args.negatives_keep;
  o.scale_pos_weight = args.scale_pos_weight;
  o.calibration_fraction = args.calibration_fraction;
  o.calibration = *calibration;
  o.seed = args.seed;
  o.nthread = args.threads;
  std::vector<std::string> sets;
  if (args.feature_set == "auto") {
    sets = {"base", "extended"};
  } else {
    sets = {args.feature_set};
  }
  // Each feature set's cross-validated winner; the better one (same rule as within a set:
  // more detections pooled over the folds, then lower Brier) is trained on all rows.
  std::string metadata;
  predict::FailureTrainingSet data;
  std::optional<predict::FailureSelection> best;
  for (const auto& set : sets) {
    predict::FailureFeatureSpec candidate_spec = spec;
    candidate_spec.extended = set == "extended";
    predict::FailureTrainingSet candidate_data = build(candidate_spec);
    if (!args.select) {
      spec = candidate_spec;
      data = std::move(candidate_data);
      break;
    }
    auto sel = predict::FailureModel::Select(candidate_spec, *horizon, candidate_data, o,
                                             predict::FailureSelectOptions{});
    if (!sel) {
      std::fprintf(stderr, "failure train: %s\n", sel.error().message.c_str());
      return ExitFor(sel.error());
    }
    const std::string summary = "feature set " + set + " (" +
                                std::to_string(candidate_data.feature_count) +
                                " features): " + sel->Summary();
    std::fprintf(stderr, "failure train: %s", summary.c_str());
    metadata += summary;
    auto score = [](const predict::FailureSelection& x) {
      const auto& k = x.candidates[x.best];
      return std::make_pair(k.detected, -std::min(k.brier_platt, k.brier_isotonic));
    };
    if (!best || score(*sel) > score(*best)) {
      best = std::move(*sel);
      spec = candidate_spec;
      data = std::move(candidate_data);
    }
  }
  if (best) {
    o = best->chosen;
    char buf[200];
    std::snprintf(buf, sizeof(buf),
                  "selected: feature set %s, depth %d, eta %g, rounds %d, negatives_keep %g, "
                  "scale_pos_weight %s, calibration %s\n",
                  spec.extended ? "extended" : "base", o.max_depth, o.eta, o.rounds,
                  o.negative_keep_fraction,
                  o.scale_pos_weight == 0.0 ? "auto" : std::to_string(o.scale_pos_weight).c_str(),
                  std::string(predict::CalibrationMethodName(o.calibration)).c_str());
    std::fprintf(stderr, "failure train: %s", buf);
    metadata += buf;
  }
  predict::FailureTrainReport report;
  auto model = predict::FailureModel::Train(spec, *horizon, data, o, &report);
  if (!model) {
    std::fprintf(stderr, "failure train: %s\n", model.error().message.c_str());
    return ExitFor(model.error());
  }
  model->set_metadata(metadata);
  auto blob = model->Serialize();
  if (!blob) {
    std::fprintf(stderr, "failure train: %s\n", blob.error().message.c_str());
    return kExitFailure;
  }
  if (auto ok = WriteWholeFile(args.model, *blob); !ok) {
    std::fprintf(stderr, "failure train: %s\n", ok.error().message.c_str());
    return kExitEnvironment;
  }
  std::size_t failed_entities = 0;
  for (const auto& e : events) failed_entities += e.empty() ? 0 : 1;
  std::string names;
  for (const auto& n : indicators) names += (names.empty() ? "" : ",") + n;
  if (!spec.alarm_indicators.empty()) {
    names += "; alarm columns";
    for (const auto& a : spec.alarm_indicators) names += " " + a;
  }
  if (!alarms_ignored.empty())
    names += "; alarm columns not among the indicators: " + alarms_ignored;
  if (!spec.type_label.empty()) {
    names += "; type prior from '" + spec.type_label + "' (" +
             std::to_string(spec.type_rates.size()) + " types, fleet rate " +
             std::to_string(spec.fleet_rate) + ")";
  }
  std::fprintf(stderr,
               "failure train: %zu rows (%zu skipped, %zu out of order), %zu entities, %zu failed "
               "(%zu event rows); indicators %s\n",
               rows->size(), rows->skipped, out_of_order, rows->entity_names.size(),
               failed_entities, event_rows, names.c_str());
  std::string calibration_text;
  if (report.calibration_fallback) {
    calibration_text =
        "calibration by prior shift (Platt a = 1, b = -ln scale_pos_weight): the held-out slice "
        "had no positive row, so the trees used every row (prior-shift fallback)";
  } else {
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "calibration %s on %zu rows (%zu positive) from %s, Brier %.5f (held-out "
                  "platt %.5f, isotonic %.5f)",
                  std::string(predict::CalibrationMethodName(report.calibration)).c_str(),
                  report.calibration_rows, report.calibration_positives,
                  FormatTimestamp(report.calibration_from).c_str(), report.calibration_brier,
                  report.brier_platt, report.brier_isotonic);
    calibration_text = buf;
  }
  std::fprintf(stderr,
               "failure train: trees on %zu rows (%zu positive, scale_pos_weight %.3g); %s; "
               "model %s (%zu bytes)\n",
               report.train_rows, report.train_positives, report.scale_pos_weight,
               calibration_text.c_str(), args.model.c_str(), blob->size());
  return kExitOk;
}

int RunPredict(const PredictArgs& args) {
  auto bytes = ReadWholeFile(args.model);
  if (!bytes) {
    std::fprintf(stderr, "failure predict: %s\n", bytes.error().message.c_str());
    return kExitEnvironment;
  }
  auto model = predict::FailureModel::Deserialize(*bytes);
  if (!model) {
    std::fprintf(stderr, "failure predict: %s: %s\n", args.model.c_str(),
                 model.error().message.c_str());
    return kExitFailure;
  }
  ingest::TableOptions options;
  options.entity.text = args.entity;
  options.time.text = args.time;
  std::vector<std::string> indicators = model->spec().indicators;
  auto rows = ReadInputs(args.inputs, options, "", model->spec().type_label, indicators);
  if (!rows) {
    std::fprintf(stderr, "failure predict: %s\n", rows.error().message.c_str());
    return ExitFor(rows.error());
  }
  std::FILE* out = std::fopen(args.output.c_str(), "w");
  if (out == nullptr) {
    std::fprintf(stderr, "failure predict: cannot write %s: %s\n", args.output.c_str(),
                 std::strerror(errno));
    return kExitEnvironment;
  }
  std::fprintf(out, "entity,time,p_fail\n");
  predict::FeatureBuilder builder(model->spec());
  const std::size_t n_ind = indicators.size();
  std::vector<float> batch;
  std::vector<std::size_t> batch_rows;
  std::vector<float> feats;
  std::size_t out_of_order = 0;
  std::size_t written = 0;
  bool failed = false;
  auto flush = [&]() {
    if (batch_rows.empty()) return;
    auto p = model->PredictBatch(batch);
    if (!p) {
      std::fprintf(stderr, "failure predict: %s\n", p.error().message.c_str());
      failed = true;
      return;
    }
    for (std::size_t k = 0; k < batch_rows.size(); ++k) {
      const std::size_t i = batch_rows[k];
      std::fprintf(out, "%s,%s,%.6g\n", rows->entity_names[rows->entity[i]].c_str(),
                   rows->time_text[i].c_str(), (*p)[k]);
    }
    written += batch_rows.size();
    batch.clear();
    batch_rows.clear();
  };
  for (const std::size_t i : TimeOrder(*rows)) {
    if (!FeedRow(*rows, i, n_ind, builder, feats)) {
      ++out_of_order;
      continue;
    }
    batch.insert(batch.end(), feats.begin(), feats.end());
    batch_rows.push_back(i);
    if (batch_rows.size() >= kPredictBatchRows) flush();
    if (failed) break;
  }
  if (!failed) flush();
  if (std::fclose(out) != 0 || failed) {
    if (!failed) std::fprintf(stderr, "failure predict: cannot write %s\n", args.output.c_str());
    return failed ? kExitFailure : kExitEnvironment;
  }
  std::fprintf(stderr,
               "failure predict: %zu rows written (%zu skipped, %zu out of order), %zu entities, "
               "horizon %s\n",
               written, rows->skipped, out_of_order, rows->entity_names.size(),
               std::to_string(model->horizon_ms() / kDayMs).append("d").c_str());
  return kExitOk;
}

}  // namespace

CLI::App* RegisterFailureCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "failure", "Train or apply the P(failure within H) model on labelled CSV history");
  cmd->require_subcommand(1);

  auto t = std::make_shared<TrainArgs>();
  CLI::App* train = cmd->add_subcommand(
      "train", "Train on CSV rows (one per entity per time) and write a model file");
  train->add_option("--input", t->inputs, "CSV files (.gz read transparently), any order")
      ->required();
  train->add_option("--entity", t->entity, "Entity column (default: serial_number|host|…)");
  train->add_option("--time", t->time, "Time column (default: timestamp|time|ts|date)");
  train->add_option("--label", t->label, "Event column: > 0 on the row where the entity failed")
      ->required();
  train->add_option("--horizon", t->horizon, "Predict failure within this horizon (10d, 48h)")
      ->capture_default_str();
  train->add_option("--model", t->model, "Model file to write")->required();
  train
      ->add_option("--features", t->features,
                   "Indicator columns (default: numeric columns filled in >= 1% of rows)")
      ->delimiter(',');
  train->add_option("--type", t->type,
                    "Component type column (e.g. model): adds a smoothed per-type failure-rate "
                    "prior; types unseen in training get the fleet rate");
  train
      ->add_option("--type-pseudo-count", t->type_pseudo_count,
                   "Entities of fleet rate mixed into each type's rate")
      ->capture_default_str();
  train->add_option("--delta-days", t->delta_days, "Change windows in days")
      ->delimiter(',')
      ->capture_default_str();
  train->add_option("--rounds", t->rounds, "Boosting rounds")->capture_default_str();
  train->add_option("--max-depth", t->max_depth, "Tree depth")->capture_default_str();
  train->add_option("--eta", t->eta, "Learning rate")->capture_default_str();
  train
      ->add_option("--negatives-keep", t->negatives_keep,
                   "Share of negative rows kept for the trees (seeded draw)")
      ->capture_default_str();
  train
      ->add_option("--scale-pos-weight", t->scale_pos_weight,
                   "Weight of a positive row (0 = auto: sqrt(negatives / positives))")
      ->capture_default_str();
  train
      ->add_option("--calibration-fraction", t->calibration_fraction,
                   "Latest share of the time span held out to calibrate")
      ->capture_default_str();
  train->add_option("--calibration", t->calibration, "auto|platt|isotonic|none")
      ->capture_default_str();
  train->add_option("--seed", t->seed, "Random seed")->capture_default_str();
  train->add_option("--threads", t->threads, "XGBoost threads")->capture_default_str();
  train->add_flag("--select", t->select,
                  "Choose depth, eta, rounds, negative keep, positive weight and calibration by "
                  "rolling-origin cross-validation inside the training history (overrides those "
                  "options; the choice and every candidate go into the model's metadata)");
  train
      ->add_option("--feature-set", t->feature_set,
                   "base|extended|auto: extended adds rate per day, days since > 0, deviation "
                   "from the type's mean (with --type) and alarm_count; auto = chosen by --select")
      ->capture_default_str();
  train
      ->add_option("--alarm-columns", t->alarm_columns,
                   "Columns of a threshold rule (any > 0 alarms), counted as alarm_count by the "
                   "extended features; those not among the indicators are ignored")
      ->delimiter(',');
  train->callback([t, exit_code] { *exit_code = RunTrain(*t); });

  auto p = std::make_shared<PredictArgs>();
  CLI::App* predict = cmd->add_subcommand(
      "predict", "Write entity,time,p_fail for every row, causally (history first)");
  predict->add_option("--model", p->model, "Model file from `failure train`")->required();
  predict->add_option("--input", p->inputs, "CSV files (.gz read transparently)")->required();
  predict->add_option("--output", p->output, "Output CSV: entity,time,p_fail")->required();
  predict->add_option("--entity", p->entity, "Entity column (default: serial_number|host|…)");
  predict->add_option("--time", p->time, "Time column (default: timestamp|time|ts|date)");
  predict->callback([p, exit_code] { *exit_code = RunPredict(*p); });
  return cmd;
}

}  // namespace prognos::cli
