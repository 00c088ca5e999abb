// `prognos replay`: the full pipeline over recorded files on virtual time (DESIGN.md §3).
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/planning_replay.h"
#include "core/clock.h"
#include "core/labels.h"
#include "daemon/daemon.h"
#include "engine/engine.h"
#include "policy/audit_codec.h"
#include "ingest/table_reader.h"

namespace prognos::cli {
namespace {

struct ReplayArgs {
  std::string config_path;
  std::string data_dir;
  std::string entity;
  std::string time;
  std::string columns;
  std::string step = "60s";
  std::vector<std::string> inputs;
};

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Time of the next row for a file without a time column: continue after the newest sample of the
// series this file feeds (SMD's test/ file after its train/ file), else start at epoch 0.
TimestampMs ContinueClock(const engine::Engine& engine, const std::string& host, DurationMs step) {
  TimestampMs newest = INT64_MIN;
  for (const auto& s : engine.storage().ListSeries()) {
    if (s.labels.Get(kHostLabel) == std::optional<std::string_view>(host)) {
      newest = std::max(newest, s.last_ms);
    }
  }
  return newest == INT64_MIN ? 0 : newest + step;
}

int RunReplay(const ReplayArgs& args) {
  auto config = LoadConfigOrReport(args.config_path);
  if (!config) return kExitFailure;
  auto step = ParseDuration(args.step);
  if (!step || *step <= 0) {
    std::fprintf(stderr, "replay: --step '%s' is not a positive duration (e.g. 60s, 5m)\n",
                 args.step.c_str());
    return kExitUsage;
  }
  std::string temp_dir;
  if (!args.data_dir.empty()) {
    config->store.data_dir = args.data_dir;
  } else {
    char tmpl[] = "/tmp/prognos-replay-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("replay: mkdtemp");
      return kExitEnvironment;
    }
    temp_dir = tmpl;
    config->store.data_dir = temp_dir;
    config->store.fsync = daemon::FsyncMode::kNever;  // nothing to keep: skip the fsyncs
  }
  engine::EngineOptions options = daemon::ToEngineOptions(*config);
  options.future_tolerance_ms = 0;  // virtual time: the data's own clock
  FakeClock clock;
  MetricsRegistry metrics;
  auto engine = engine::Engine::Open(options, clock, metrics, [](const std::string& m) {
    std::fprintf(stderr, "replay: warning: %s\n", m.c_str());
  });
  if (!engine) {
    std::fprintf(stderr, "replay: cannot open store in %s: %s\n", config->store.data_dir.c_str(),
                 engine.error().message.c_str());
    return kExitEnvironment;
  }
  ingest::TableOptions table;
  table.entity.text = args.entity;
  table.time.text = args.time;
  table.columns = SplitComma(args.columns);
  table.step_ms = *step;

  std::uint64_t rows = 0, accepted = 0, rejected = 0;
  std::array<std::uint64_t, kRejectReasonCount> by_reason{};
  int failed_files = 0;
  PlanningTotals planning;
  const bool plan = config->control.has_policy;
  if (plan) {
    std::vector<ingest::ReplaySeries> batches;
    for (const std::string& path : args.inputs) {
      auto batch = ingest::ReadReplaySeries(path, table, options.limits);
      if (!batch) {
        std::fprintf(stderr, "replay: %s: %s\n", path.c_str(), batch.error().message.c_str());
        ++planning.failed_files;
        continue;
      }
      planning.rows += batch->rows;
      batches.push_back(std::move(*batch));
    }
    const bool ok = RunPlanningReplay(batches, *config, **engine, clock, &planning,
                                      [](const policy::AuditEntry& e) {
                                        std::printf("%s  %s\n", FormatTimestamp(e.t).c_str(),
                                                    policy::Explain(e).c_str());
                                      });
    if (!ok) return kExitEnvironment;
    rows = planning.rows;
    accepted = planning.accepted;
    rejected = planning.rejected;
    by_reason = planning.by_reason;
    failed_files = planning.failed_files;
  }
  ProgressBar bar("replay");
  for (std::size_t f = 0; f < (plan ? 0 : args.inputs.size()); ++f) {
    const std::string& path = args.inputs[f];
    table.start_ms = ContinueClock(**engine, ingest::HostFromPath(path), *step);
    auto batch = ingest::ReadReplaySeries(path, table, options.limits);
    if (!batch) {
      bar.Finish();
      std::fprintf(stderr, "replay: %s: %s\n", path.c_str(), batch.error().message.c_str());
      ++failed_files;
      continue;
    }
    rows += batch->rows;
    // Feed in chunks so the progress bar moves and memory for reports stays small.
    constexpr std::size_t kChunk = 50000;
    const auto& samples = batch->points;
    std::vector<ingest::Rejection> pending = std::move(batch->rejections);
    for (std::size_t start = 0; start < samples.size() || !pending.empty(); start += kChunk) {
      const std::size_t end = std::min(samples.size(), start + kChunk);
      std::vector<ingest::ParsedSample> chunk;
      if (start < samples.size()) {
        // Label sets are stored once per series in the file; a chunk copies them per point.
        chunk.reserve(end - start);
        TimestampMs newest = clock.NowMs();
        for (std::size_t i = start; i < end; ++i) {
          const auto& p = samples[i];
          chunk.push_back({batch->series[p.series], p.sample, p.line});
          newest = std::max(newest, p.sample.t);
        }
        clock.Set(newest);
      }
      auto report = (*engine)->IngestParsed(chunk, std::move(pending), 0);
      pending.clear();
      if (!report) {
        bar.Finish();
        std::fprintf(stderr, "replay: storage failed: %s\n", report.error().message.c_str());
        return kExitEnvironment;
      }
      accepted += report->accepted_samples;
      rejected += report->rejected_samples;
      for (int r = 0; r < kRejectReasonCount; ++r) {
        by_reason[static_cast<std::size_t>(r)] +=
            report->rejected_by_reason[static_cast<std::size_t>(r)];
      }
      const double frac =
          (static_cast<double>(f) +
           (samples.empty() ? 1.0
                            : static_cast<double>(end) / static_cast<double>(samples.size()))) /
          static_cast<double>(args.inputs.size());
      bar.Update(frac, std::to_string(f + 1) + "/" + std::to_string(args.inputs.size()) + " " +
                           WithThousands(accepted) + " samples");
      if (end >= samples.size()) break;
    }
  }
  bar.Finish();
  if (temp_dir.empty()) {
    // A kept store: seal every head into blocks, merge them and truncate the WAL, so the data dir
    // is compact and `serve --data-dir` serves it (docs/formats/blocks.md).
    store::Storage& st = (*engine)->storage();
    for (auto r : {st.SealAll(), st.MergeBlocks(), st.Sync()}) {
      if (!r) {
        std::fprintf(stderr, "replay: sealing the store in %s failed: %s\n",
                     config->store.data_dir.c_str(), r.error().message.c_str());
        return kExitEnvironment;
      }
    }
  }
  auto stats = (*engine)->storage().Stats();
  std::size_t hosts = 0;
  {
    std::vector<std::string> names;
    for (const auto& s : (*engine)->storage().ListSeries()) {
      if (auto h = s.labels.Get(kHostLabel)) names.emplace_back(*h);
    }
    std::sort(names.begin(), names.end());
    hosts = static_cast<std::size_t>(std::unique(names.begin(), names.end()) - names.begin());
  }
  std::printf("replay: %zu file(s), %s rows -> %s samples accepted, %s rejected\n",
              args.inputs.size() - static_cast<std::size_t>(failed_files),
              WithThousands(rows).c_str(), WithThousands(accepted).c_str(),
              WithThousands(rejected).c_str());
  for (int r = 0; r < kRejectReasonCount; ++r) {
    if (by_reason[static_cast<std::size_t>(r)] > 0) {
      std::printf("  rejected %-20s %s\n",
                  std::string(RejectReasonName(static_cast<RejectReason>(r))).c_str(),
                  WithThousands(by_reason[static_cast<std::size_t>(r)]).c_str());
    }
  }
  std::printf(
      "  store: %s series on %zu host(s), %s samples, WAL %s bytes, %s block(s) of %s bytes%s%s\n",
      WithThousands(stats.series).c_str(), hosts, WithThousands(stats.samples).c_str(),
      WithThousands(stats.wal_bytes).c_str(), WithThousands(stats.blocks).c_str(),
      WithThousands(stats.block_bytes).c_str(), temp_dir.empty() ? " in " : " (temporary)",
      temp_dir.empty() ? config->store.data_dir.c_str() : "");
  if (plan) {
    std::uint64_t total = 0;
    std::string by_type;
    for (const auto& [type, n] : planning.decisions) {
      total += n;
      by_type += (by_type.empty() ? "" : ", ") + type + " " + std::to_string(n);
    }
    std::printf("  planner: %s decision(s)%s%s; %s failed, %s rolled back\n",
                WithThousands(total).c_str(), by_type.empty() ? "" : ": ", by_type.c_str(),
                WithThousands(planning.outcomes_failed).c_str(),
                WithThousands(planning.rolled_back).c_str());
    std::printf("  scale-ups decided while demand was still within the allocation: %s of %s\n",
                WithThousands(planning.scale_ahead).c_str(),
                WithThousands(planning.scale_ahead + planning.scale_late).c_str());
  }
  engine->reset();
  if (!temp_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temp_dir, ec);
  }
  return failed_files > 0 ? kExitFailure : kExitOk;
}

}  // namespace

CLI::App* RegisterReplayCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ReplayArgs>();
  auto* cmd = app.add_subcommand(
      "replay",
      "Run recorded files (CSV or JSON lines, .gz ok) through the pipeline on virtual time");
  cmd->add_option("--config", args->config_path, "YAML configuration file");
  cmd->add_option("--data-dir", args->data_dir,
                  "Keep the store here (default: a temporary store, removed at exit)");
  cmd->add_option("--entity", args->entity, "Entity (host) column: name or 1-based index");
  cmd->add_option("--time", args->time, "Time column: name or 1-based index");
  cmd->add_option("--columns", args->columns, "Names for a headerless file's columns: a,b,c");
  cmd->add_option("--step", args->step, "Row spacing when there is no time column (default 60s)");
  cmd->add_option("INPUT", args->inputs, "Input files")->required();
  cmd->callback([args, exit_code] { *exit_code = RunReplay(*args); });
  return cmd;
}

}  // namespace prognos::cli
