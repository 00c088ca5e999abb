// `prognos entropy evaluate`: fits the learned entropy model (predict/entropy_model.h) on
// labelled hosts and measures it host by host, leave-one-host-out: each host is scored by a model
// fitted on the other hosts only. Thin: reading and per-column window entropy here, the model in
// predict.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "ingest/table_reader.h"
#include "predict/entropy_model.h"
#include "signal/entropy.h"

namespace prognos::cli {
namespace {

struct EntropyEvalArgs {
  std::vector<std::string> inputs;
  std::vector<std::string> labels;
  std::vector<std::size_t> usage_columns;  // 1-based
  std::size_t window = 60;
  int bins = 8;
  std::size_t spike_window = 0;  // > 0: events from spikes of the first usage column
  double spike_z = 4.0;
  predict::EntropyModelOptions model;
};

struct Host {
  std::string name;
  predict::EntropyHistory history;
};

Result<Host> LoadHost(const EntropyEvalArgs& args, std::size_t index) {
  auto table = ingest::ReadNumericTable(args.inputs[index], ingest::TableOptions{});
  if (!table) return tl::unexpected<Error>(table.error());
  Host host;
  host.name = args.inputs[index];
  const std::size_t n = table->times.size();
  signal::EntropyConfig cfg;
  cfg.binning = signal::Binning::kAdaptiveQuantile;
  cfg.bins = args.bins;
  cfg.window_count = args.window;
  for (const auto& col : table->columns) {
    signal::WindowEntropy we(cfg);
    std::vector<double> e(n, std::nan(""));
    for (std::size_t t = 0; t < n; ++t) {
      const double v = we.Update(static_cast<TimestampMs>(t) * kMinuteMs, col[t]);
      if (t + 1 >= args.window) e[t] = v;  // a full window first
    }
    host.history.entropy.push_back(std::move(e));
  }
  for (std::size_t c : args.usage_columns) {
    if (c == 0 || c > table->columns.size()) {
      return MakeError(ErrorCode::kInvalidArgument, "usage column out of range");
    }
    host.history.usage.push_back(table->columns[c - 1]);
  }
  host.history.event_start.assign(n, 0);
  if (index < args.labels.size()) {
    auto lab = ingest::ReadNumericTable(args.labels[index], ingest::TableOptions{});
    if (!lab) return tl::unexpected<Error>(lab.error());
    if (lab->columns.empty() || lab->columns[0].size() != n) {
      return MakeError(ErrorCode::kInvalidArgument,
                       args.labels[index] + ": not one label per input row");
    }
    for (std::size_t t = 0; t < n; ++t) {
      const bool on = lab->columns[0][t] > 0.5;
      const bool before = t > 0 && lab->columns[0][t - 1] > 0.5;
      host.history.event_start[t] = on && !before ? 1 : 0;
    }
  } else if (args.spike_window > 0 && !host.history.usage.empty()) {
    host.history.event_start =
        predict::SpikeEvents(host.history.usage[0], args.spike_window, args.spike_z);
  }
  return host;
}

struct HostMetrics {
  double auc_learned = NAN, auc_equal = NAN;
  double mae_model = 0, mae_persist = 0, mae_linear = 0;
  std::size_t forecast_rows = 0;
  double uplift_mae_model = 0, uplift_mae_mean = 0;
  std::size_t uplift_rows = 0;
  std::size_t events = 0;
};

// Scores host h with model m (fitted without h); `mean_uplift` is the training hosts' mean
// uplift after a rise, per resource: the baseline that ignores how large the rise was.
HostMetrics Evaluate(const predict::EntropyModel& m, const predict::EntropyHistory& h,
                     const std::vector<double>& mean_uplift) {
  HostMetrics out;
  const auto& o = m.options();
  const std::size_t n = h.event_start.size(), k = o.rise_steps, H = o.horizon_steps;
  const predict::EntropyModel equal(h.entropy.size(), 0);
  std::vector<double> c(n, NAN), ce(n, NAN), row(h.entropy.size());
  for (std::size_t t = 0; t < n; ++t) {
    bool finite = true;
    for (std::size_t i = 0; i < row.size(); ++i) {
      row[i] = h.entropy[i][t];
      finite = finite && std::isfinite(row[i]);
    }
    if (!finite) continue;
    c[t] = m.Composite(row);
    ce[t] = equal.Composite(row);
  }
  std::vector<std::size_t> next(n + 1, n + o.lead_steps + 1);
  for (std::size_t t = n; t-- > 0;) next[t] = h.event_start[t] != 0 ? t : next[t + 1];
  std::vector<double> s_learned, s_equal;
  std::vector<std::uint8_t> y;
  for (std::size_t t = k; t < n; ++t) {
    out.events += h.event_start[t];
    if (!std::isfinite(c[t]) || !std::isfinite(c[t - k])) continue;
    const double r = c[t] - c[t - k];
    if (t + o.lead_steps < n) {
      s_learned.push_back(r);
      s_equal.push_back(ce[t] - ce[t - k]);
      y.push_back(next[t + 1] <= t + o.lead_steps ? 1 : 0);
    }
    if (t + H < n && std::isfinite(c[t + H])) {
      const double actual = c[t + H];
      out.mae_model += std::abs(m.Forecast(c[t], r) - actual);
      out.mae_persist += std::abs(c[t] - actual);
      out.mae_linear += std::abs(
          std::clamp(c[t] + r * static_cast<double>(H) / static_cast<double>(k), 0.0, 1.0) -
          actual);
      ++out.forecast_rows;
      if (r >= o.min_rise) {
        const auto pred = m.ExpectedUplift(r);
        for (std::size_t j = 0; j < h.usage.size(); ++j) {
          const auto& u = h.usage[j];
          if (!std::isfinite(u[t])) continue;
          double peak = -INFINITY;
          for (std::size_t s = t + 1; s <= t + H; ++s) {
            if (std::isfinite(u[s])) peak = std::max(peak, u[s]);
          }
          if (!std::isfinite(peak)) continue;
          out.uplift_mae_model += std::abs(pred[j] - (peak - u[t]));
          out.uplift_mae_mean += std::abs(mean_uplift[j] - (peak - u[t]));
          ++out.uplift_rows;
        }
      }
    }
  }
  out.auc_learned = predict::RocAuc(s_learned, y);
  out.auc_equal = predict::RocAuc(s_equal, y);
  if (out.forecast_rows > 0) {
    const auto rows = static_cast<double>(out.forecast_rows);
    out.mae_model /= rows;
    out.mae_persist /= rows;
    out.mae_linear /= rows;
  }
  if (out.uplift_rows > 0) {
    out.uplift_mae_model /= static_cast<double>(out.uplift_rows);
    out.uplift_mae_mean /= static_cast<double>(out.uplift_rows);
  }
  return out;
}

// Mean uplift over every row whose composite (equal weights: a baseline needs no fit) rose by at
// least min_rise, per resource.
std::vector<double> MeanUplift(const std::vector<const predict::EntropyHistory*>& hosts,
                               const predict::EntropyModel& m) {
  const auto& o = m.options();
  std::size_t res = 0;
  for (const auto* h : hosts) res = std::max(res, h->usage.size());
  std::vector<double> sum(res, 0.0), count(res, 0.0);
  for (const auto* h : hosts) {
    const std::size_t n = h->event_start.size();
    std::vector<double> row(h->entropy.size());
    std::vector<double> c(n, NAN);
    for (std::size_t t = 0; t < n; ++t) {
      for (std::size_t i = 0; i < row.size(); ++i) row[i] = h->entropy[i][t];
      if (std::all_of(row.begin(), row.end(), [](double v) { return std::isfinite(v); })) {
        c[t] = m.Composite(row);
      }
    }
    for (std::size_t t = o.rise_steps; t + o.horizon_steps < n; ++t) {
      if (!std::isfinite(c[t]) || !std::isfinite(c[t - o.rise_steps]) ||
          c[t] - c[t - o.rise_steps] < o.min_rise) {
        continue;
      }
      for (std::size_t j = 0; j < h->usage.size(); ++j) {
        const auto& u = h->usage[j];
        if (!std::isfinite(u[t])) continue;
        double peak = -INFINITY;
        for (std::size_t s = t + 1; s <= t + o.horizon_steps; ++s) {
          if (std::isfinite(u[s])) peak = std::max(peak, u[s]);
        }
        if (!std::isfinite(peak)) continue;
        sum[j] += peak - u[t];
        count[j] += 1;
      }
    }
  }
  for (std::size_t j = 0; j < res; ++j) sum[j] = count[j] > 0 ? sum[j] / count[j] : 0.0;
  return sum;
}

int RunEntropyEvaluate(const EntropyEvalArgs& args) {
  if (args.inputs.size() < 2) {
    std::fprintf(stderr, "entropy evaluate: give at least two --input hosts (leave-one-out)\n");
    return kExitUsage;
  }
  std::vector<Host> hosts;
  for (std::size_t i = 0; i < args.inputs.size(); ++i) {
    auto h = LoadHost(args, i);
    if (!h) {
      std::fprintf(stderr, "entropy evaluate: %s: %s\n", args.inputs[i].c_str(),
                   h.error().message.c_str());
      return kExitFailure;
    }
    hosts.push_back(std::move(*h));
  }
  std::printf(
      "| held-out host | events | AUC learned | AUC equal | entropy MAE model | persistence | "
      "linear | uplift MAE model | mean uplift | rows "
      "|\n|---|---|---|---|---|---|---|---|---|---|\n");
  double auc_l = 0, auc_e = 0, mm = 0, mp = 0, ml = 0, um = 0, ub = 0;
  std::size_t folds = 0, auc_folds = 0, up_rows = 0;
  for (std::size_t h = 0; h < hosts.size(); ++h) {
    std::vector<predict::EntropyHistory> train;
    std::vector<const predict::EntropyHistory*> train_ptr;
    for (std::size_t j = 0; j < hosts.size(); ++j) {
      if (j != h) train.push_back(hosts[j].history);
    }
    for (const auto& t : train) train_ptr.push_back(&t);
    auto m = predict::EntropyModel::Fit(train, args.model);
    if (!m) {
      std::fprintf(stderr, "entropy evaluate: fit without %s: %s\n", hosts[h].name.c_str(),
                   m.error().message.c_str());
      return kExitFailure;
    }
    const auto base =
        MeanUplift(train_ptr, predict::EntropyModel(hosts[h].history.entropy.size(), 0));
    std::vector<double> mean_uplift = base;
    mean_uplift.resize(hosts[h].history.usage.size(), 0.0);
    const HostMetrics r = Evaluate(*m, hosts[h].history, mean_uplift);
    std::printf("| %s | %zu | %.3f | %.3f | %.4f | %.4f | %.4f | %.4f | %.4f | %zu |\n",
                hosts[h].name.c_str(), r.events, r.auc_learned, r.auc_equal, r.mae_model,
                r.mae_persist, r.mae_linear, r.uplift_mae_model, r.uplift_mae_mean, r.uplift_rows);
    if (std::isfinite(r.auc_learned) && std::isfinite(r.auc_equal)) {
      auc_l += r.auc_learned;
      auc_e += r.auc_equal;
      ++auc_folds;
    }
    mm += r.mae_model;
    mp += r.mae_persist;
    ml += r.mae_linear;
    um += r.uplift_mae_model * static_cast<double>(r.uplift_rows);
    ub += r.uplift_mae_mean * static_cast<double>(r.uplift_rows);
    up_rows += r.uplift_rows;
    ++folds;
  }
  const auto f = static_cast<double>(folds);
  std::printf("| mean | | %.3f | %.3f | %.4f | %.4f | %.4f | %.4f | %.4f | %zu |\n",
              auc_folds ? auc_l / static_cast<double>(auc_folds) : NAN,
              auc_folds ? auc_e / static_cast<double>(auc_folds) : NAN, mm / f, mp / f, ml / f,
              up_rows ? um / static_cast<double>(up_rows) : NAN,
              up_rows ? ub / static_cast<double>(up_rows) : NAN, up_rows);
  // The model on every host: what a deployment would use.
  std::vector<predict::EntropyHistory> all;
  for (const auto& h : hosts) all.push_back(h.history);
  auto m = predict::EntropyModel::Fit(all, args.model);
  if (m) {
    std::vector<std::size_t> order(m->weights().size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return m->weights()[a] > m->weights()[b]; });
    std::printf("\nAll hosts: top weights");
    for (std::size_t i = 0; i < std::min<std::size_t>(8, order.size()); ++i) {
      std::printf(" c%zu=%.3f", order[i] + 1, m->weights()[order[i]]);
    }
    std::printf("; forecast theta %.4f %.4f %.4f; uplift per unit rise", m->theta()[0],
                m->theta()[1], m->theta()[2]);
    for (double g : m->uplift_per_rise()) std::printf(" %.4f", g);
    std::printf("\n");
  }
  return kExitOk;
}

}  // namespace

CLI::App* RegisterEntropyCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd =
      app.add_subcommand("entropy", "Learned entropy model: weights, forecast, uplift per rise");
  cmd->require_subcommand(1);
  auto args = std::make_shared<EntropyEvalArgs>();
  CLI::App* ev = cmd->add_subcommand(
      "evaluate",
      "Leave-one-host-out evaluation on labelled hosts (one CSV per host, equally spaced rows):\n"
      "AUC of the composite entropy rise for 'an event starts within --lead steps' with learned\n"
      "vs equal weights; MAE of the entropy forecast --horizon steps ahead vs persistence and\n"
      "linear extrapolation; MAE of the predicted resource uplift vs the mean uplift");
  ev->add_option("--input", args->inputs, "Host CSVs")->required();
  ev->add_option("--labels", args->labels, "0/1 per row, one file per --input, same order");
  ev->add_option("--usage-columns", args->usage_columns, "1-based columns whose uplift is learned");
  ev->add_option("--window", args->window, "Entropy window (rows)")->capture_default_str();
  ev->add_option("--bins", args->bins, "Entropy bins (adaptive quantiles)")->capture_default_str();
  ev->add_option("--rise", args->model.rise_steps, "Rise window k (rows)")->capture_default_str();
  ev->add_option("--lead", args->model.lead_steps, "Event lead (rows)")->capture_default_str();
  ev->add_option("--horizon", args->model.horizon_steps, "Forecast horizon (rows)")
      ->capture_default_str();
  ev->add_option("--spike-window", args->spike_window,
                 "Without labels: events = spikes of the first usage column over this window")
      ->capture_default_str();
  ev->add_option("--spike-z", args->spike_z, "Spike threshold in standard deviations")
      ->capture_default_str();
  ev->callback([args, exit_code] { *exit_code = RunEntropyEvaluate(*args); });
  return cmd;
}

}  // namespace prognos::cli
