// `prognos demo`: starts a daemon on a temporary store, sends the bundled real data (NAB AWS
// CloudWatch series, MIT) through its HTTP API as health messages, reads it back through the API,
// and prints what it stored and where to look. --serve keeps the daemon up afterwards.
#include <httplib.h>
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/planning_replay.h"
#include "policy/audit_codec.h"
#include "core/time.h"
#include "daemon/daemon.h"
#include "ingest/table_reader.h"

#ifndef PROGNOS_DEMO_DATA
#define PROGNOS_DEMO_DATA "data/demo"
#endif

namespace prognos::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct DemoArgs {
  bool serve = false;
  std::string listen = "127.0.0.1:0";
  std::string data_dir;
  std::string demo_data;
};

std::string FindDemoData(const std::string& explicit_dir) {
  std::vector<fs::path> candidates;
  if (!explicit_dir.empty()) return explicit_dir;
  candidates.emplace_back(PROGNOS_DEMO_DATA);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "../../data/demo");
    candidates.push_back(exe.parent_path() / "../share/prognos/demo");
  }
  candidates.emplace_back("data/demo");
  for (const auto& c : candidates) {
    if (fs::exists(c / "ATTRIBUTION.md", ec)) return c.string();
  }
  return {};
}

struct HostFeed {
  std::string host;
  std::string indicator;
  std::string file;
  std::uint64_t rows = 0;
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::uint64_t read_back = 0;
};

// "ec2_cpu_utilization_24ae8d.csv" -> host "ec2-24ae8d", indicator "cpu_util".
HostFeed FeedFor(const fs::path& file) {
  const std::string stem = file.stem().string();
  HostFeed f;
  f.file = file.string();
  const std::string prefix = stem.substr(0, stem.find('_'));
  f.host = prefix + "-" + stem.substr(stem.rfind('_') + 1);
  f.indicator = stem.find("network_in") != std::string::npos ? "net_in_bytes" : "cpu_util";
  return f;
}

// Runs the bundled policy over the bundled series (in a store of its own under `dir`) and prints
// the decisions. False when the policy or the data cannot be read.
bool RunDemoPlanner(const std::string& data, const std::vector<HostFeed>& feeds,
                    const std::string& dir) {
  std::vector<daemon::ConfigIssue> issues;
  auto config = daemon::LoadConfigFile(data + "/policy.yaml", &issues);
  if (!config) {
    for (const auto& i : issues) std::fprintf(stderr, "%s\n", i.ToString().c_str());
    return false;
  }
  config->store.data_dir = (fs::path(dir) / "planner").string();
  config->store.fsync = daemon::FsyncMode::kNever;
  engine::EngineOptions options = daemon::ToEngineOptions(*config);
  options.future_tolerance_ms = 0;
  FakeClock clock;
  MetricsRegistry metrics;
  auto engine = engine::Engine::Open(options, clock, metrics);
  if (!engine) {
    std::fprintf(stderr, "demo: planner store: %s\n", engine.error().message.c_str());
    return false;
  }
  std::vector<ingest::ReplaySeries> batches;
  for (const auto& f : feeds) {
    auto table = ingest::ReadNumericTable(f.file, ingest::TableOptions{});
    if (!table || table->columns.empty()) return false;
    ingest::ReplaySeries b;
    auto labels = Labels::FromUnsorted({{std::string(kMetricNameLabel), f.indicator},
                                        {std::string(kHostLabel), f.host}});
    if (!labels) return false;
    b.series.push_back(*labels);
    for (std::size_t r = 0; r < table->columns[0].size(); ++r) {
      if (!table->times[r]) continue;
      b.points.push_back({0, static_cast<std::uint32_t>(r + 2), {*table->times[r], table->columns[0][r]}});
    }
    b.rows = table->columns[0].size();
    batches.push_back(std::move(b));
  }
  PlanningTotals totals;
  constexpr std::size_t kShown = 12;
  std::size_t shown = 0, hidden = 0;
  std::printf("\nplanner (%s/policy.yaml: invented hosts and requests over the real series; "
              "dry-run actuator, ticks every %llds of data time):\n",
              data.c_str(), static_cast<long long>(config->control.tick_ms / 1000));
  const bool ok = RunPlanningReplay(batches, *config, **engine, clock, &totals,
                                    [&](const policy::AuditEntry& e) {
                                      if (shown >= kShown) {
                                        ++hidden;
                                        return;
                                      }
                                      ++shown;
                                      std::printf("  %s  %s\n", FormatTimestamp(e.t).c_str(),
                                                  policy::Explain(e).c_str());
                                    });
  if (!ok) return false;
  if (hidden > 0) std::printf("  … %zu more (prognos replay prints them all)\n", hidden);
  std::uint64_t total = 0;
  std::string by_type;
  for (const auto& [type, n] : totals.decisions) {
    total += n;
    by_type += (by_type.empty() ? "" : ", ") + type + " " + std::to_string(n);
  }
  std::printf("decisions: %llu (%s); scale-ups decided while demand was still within the "
              "allocation: %llu of %llu\n",
              static_cast<unsigned long long>(total), by_type.c_str(),
              static_cast<unsigned long long>(totals.scale_ahead),
              static_cast<unsigned long long>(totals.scale_ahead + totals.scale_late));
  return true;
}

int RunDemo(const DemoArgs& args) {
  const std::string data = FindDemoData(args.demo_data);
  if (data.empty()) {
    std::fprintf(stderr,
                 "demo: bundled data not found (looked for data/demo/); pass --demo-data DIR\n");
    return kExitEnvironment;
  }
  daemon::Config config = daemon::DefaultConfig();
  config.api.listen = args.listen;
  std::string temp_dir;
  if (args.data_dir.empty()) {
    char tmpl[] = "/tmp/prognos-demo-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("demo: mkdtemp");
      return kExitEnvironment;
    }
    temp_dir = tmpl;
    config.store.data_dir = temp_dir;
  } else {
    config.store.data_dir = args.data_dir;
  }
  auto started = daemon::Daemon::Start(config);
  if (!started) {
    std::fprintf(stderr, "demo: cannot start the daemon: %s\n", started.error().message.c_str());
    return kExitEnvironment;
  }
  auto& d = **started;
  const std::string host = daemon::ParseListen(config.api.listen)->first;
  const std::string base = "http://" + host + ":" + std::to_string(d.port());
  std::printf("prognos demo: daemon listening on %s (store: %s)\n", base.c_str(),
              config.store.data_dir.c_str());
  std::printf(
      "sending the bundled real data (%s: NAB AWS CloudWatch series, MIT) as health messages...\n",
      data.c_str());

  std::vector<HostFeed> feeds;
  for (const auto& entry : fs::directory_iterator(data)) {
    if (entry.path().extension() == ".csv") feeds.push_back(FeedFor(entry.path()));
  }
  std::sort(feeds.begin(), feeds.end(),
            [](const auto& a, const auto& b) { return a.host < b.host; });

  httplib::Client client(host, d.port());
  client.set_read_timeout(60, 0);
  std::map<std::string, std::uint64_t> rejected_by_reason;
  ProgressBar bar("demo");
  for (std::size_t i = 0; i < feeds.size(); ++i) {
    auto& f = feeds[i];
    auto table = ingest::ReadNumericTable(f.file, ingest::TableOptions{});
    if (!table || table->columns.empty()) {
      std::fprintf(stderr, "demo: cannot read %s: %s\n", f.file.c_str(),
                   table ? "no value column" : table.error().message.c_str());
      return kExitFailure;
    }
    constexpr std::size_t kBatch = 1000;
    const std::size_t n = table->columns[0].size();
    f.rows = n;
    for (std::size_t start = 0; start < n; start += kBatch) {
      std::string body;
      for (std::size_t r = start; r < std::min(n, start + kBatch); ++r) {
        json msg{{"ts", table->time_text[r]},
                 {"host", f.host},
                 {"component", f.indicator == "cpu_util" ? "cpu" : "network"},
                 {"kind", "resource_status"},
                 {"indicators", {{f.indicator, table->columns[0][r]}}}};
        body += msg.dump();
        body += '\n';
      }
      auto res = client.Post("/v1/health", body, "application/x-ndjson");
      if (!res || (res->status != 200 && res->status != 400)) {
        std::fprintf(stderr, "demo: POST /v1/health failed: %s\n",
                     res ? res->body.c_str() : httplib::to_string(res.error()).c_str());
        return kExitFailure;
      }
      auto reply = json::parse(res->body, nullptr, false);
      f.accepted += reply.value("accepted_samples", 0ull);
      f.rejected += reply.value("rejected_samples", 0ull);
      for (const auto& r : reply["rejected"]) rejected_by_reason[r.value("reason", "?")]++;
      bar.Update(
          (static_cast<double>(i) + static_cast<double>(start + kBatch) / static_cast<double>(n)) /
              static_cast<double>(feeds.size()),
          f.host);
    }
  }
  bar.Finish();

  // Read everything back through the API, page by page.
  for (auto& f : feeds) {
    auto res = client.Get(("/v1/series?host=" + f.host).c_str());
    if (!res || res->status != 200) {
      std::fprintf(stderr, "demo: GET /v1/series failed\n");
      return kExitFailure;
    }
    const json listing = json::parse(res->body);
    for (const auto& s : listing["series"]) {
      std::string cursor;
      do {
        std::string path = "/v1/series/" + s["id"].get<std::string>() + "/samples?limit=2000";
        if (!cursor.empty()) path += "&cursor=" + cursor;
        auto page = client.Get(path.c_str());
        if (!page || page->status != 200) {
          std::fprintf(stderr, "demo: GET %s failed\n", path.c_str());
          return kExitFailure;
        }
        auto body = json::parse(page->body);
        f.read_back += body["samples"].size();
        cursor = body["next_cursor"].is_null() ? "" : body["next_cursor"].get<std::string>();
      } while (!cursor.empty());
    }
  }

  std::uint64_t rows = 0, accepted = 0, rejected = 0, read_back = 0;
  std::printf("\n%-14s %-13s %8s %9s %9s %10s\n", "host", "indicator", "rows", "accepted",
              "rejected", "read back");
  for (const auto& f : feeds) {
    std::printf(
        "%-14s %-13s %8llu %9llu %9llu %10llu\n", f.host.c_str(), f.indicator.c_str(),
        static_cast<unsigned long long>(f.rows), static_cast<unsigned long long>(f.accepted),
        static_cast<unsigned long long>(f.rejected), static_cast<unsigned long long>(f.read_back));
    rows += f.rows;
    accepted += f.accepted;
    rejected += f.rejected;
    read_back += f.read_back;
  }
  std::printf("%-28s %8llu %9llu %9llu %10llu\n", "total", static_cast<unsigned long long>(rows),
              static_cast<unsigned long long>(accepted), static_cast<unsigned long long>(rejected),
              static_cast<unsigned long long>(read_back));
  for (const auto& [reason, n] : rejected_by_reason) {
    std::printf("  rejected %s: %llu (listed)\n", reason.c_str(),
                static_cast<unsigned long long>(n));
  }
  const bool match = accepted == read_back;
  std::printf("\n%s: %llu samples acknowledged, %llu read back through the API\n",
              match ? "OK" : "MISMATCH", static_cast<unsigned long long>(accepted),
              static_cast<unsigned long long>(read_back));

  // What the signals made of it: anomaly alarms per host against NAB's labelled anomaly windows.
  std::map<std::string, std::vector<std::pair<TimestampMs, TimestampMs>>> windows;
  {
    auto text = ingest::ReadFileMaybeGz(data + "/anomaly_windows.json");
    auto j = text ? json::parse(*text, nullptr, false) : json();
    if (j.is_object()) {
      for (const auto& [file, list] : j.items()) {
        const HostFeed f = FeedFor(fs::path(file));
        for (const auto& w : list) {
          auto a = ParseTimestamp(w[0].get<std::string>());
          auto b = ParseTimestamp(w[1].get<std::string>());
          if (a && b) windows[f.host].emplace_back(*a, *b);
        }
      }
    }
  }
  std::printf(
      "\nsignals (computed on every sample as it arrived; NAB labels used only to report):\n");
  std::printf("%-14s %8s %8s %7s %8s  %s\n", "host", "entropy", "anomaly", "alarms", "windows",
              "first alarm in each labelled anomaly window");
  int windows_total = 0, windows_hit = 0;
  for (const auto& f : feeds) {
    auto res = client.Get(("/v1/hosts/" + f.host).c_str());
    if (!res || res->status != 200) continue;
    const json h = json::parse(res->body);
    // The host view lists its most recent alarms: match them against the labelled windows.
    std::string hits;
    const auto& wins = windows[f.host];
    for (const auto& [a, b] : wins) {
      ++windows_total;
      TimestampMs first = 0;
      for (const auto& e : h["recent_anomalies"]) {
        const TimestampMs t = e["t"].get<TimestampMs>();
        if (t >= a && t <= b && (first == 0 || t < first)) first = t;
      }
      if (first != 0) {
        ++windows_hit;
        hits += FormatTimestamp(first).substr(0, 16) + " ";
      } else {
        hits += "- ";
      }
    }
    std::printf("%-14s %8.3f %8.3f %7llu %8zu  %s\n", f.host.c_str(), h.value("entropy", 0.0),
                h.value("anomaly_score", 0.0),
                static_cast<unsigned long long>(h.value("anomaly_alarms", 0ull)), wins.size(),
                hits.c_str());
  }
  std::printf(
      "labelled anomaly windows with an alarm among each host's %zu most recent alarms: %d of %d\n",
      engine::kRecentAlarms, windows_hit, windows_total);

  // A forecast of the first host's series through the API.
  if (!feeds.empty()) {
    auto series = client.Get(("/v1/series?host=" + feeds[0].host).c_str());
    const json listing = json::parse(series->body);
    if (!listing["series"].empty()) {
      const std::string id = listing["series"][0]["id"];
      auto fc = client.Get(("/v1/forecasts/" + id + "?horizon=12&level=80").c_str());
      if (fc && fc->status == 200) {
        const json j = json::parse(fc->body);
        std::printf("\nforecast for %s %s, next hour (model %s, season %d steps, 80%% interval):\n",
                    feeds[0].host.c_str(), feeds[0].indicator.c_str(),
                    j["model"].get<std::string>().c_str(), j["season"].get<int>());
        for (const auto& p : j["points"]) {
          const int step = p["step"].get<int>();
          if (step % 3 != 0) continue;
          std::printf("  +%3d min  %7.3f  [%7.3f, %7.3f]\n", step * 5, p["mean"].get<double>(),
                      p["lower"].get<double>(), p["upper"].get<double>());
        }
      }
    }
  }

  // The planner over the same data on its own clock (data/demo/policy.yaml: invented hosts and
  // requests, the dry-run actuator): what it decided, when and why.
  const bool planned = RunDemoPlanner(data, feeds, temp_dir.empty() ? config.store.data_dir
                                                                    : temp_dir);
  int rc = match && planned ? kExitOk : kExitFailure;
  std::printf(
      "\nlook at:\n  %s/v1/hosts\n  %s/v1/hosts/%s\n  %s/v1/series?host=%s\n  %s/metrics\n  "
      "%s/v1/openapi.json\n",
      base.c_str(), base.c_str(), feeds.empty() ? "" : feeds[0].host.c_str(), base.c_str(),
      feeds.empty() ? "" : feeds[0].host.c_str(), base.c_str(), base.c_str());
  if (args.serve) {
    std::printf("serving until Ctrl-C (SIGINT) or SIGTERM...\n");
    std::fflush(stdout);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    int sig = 0;
    sigwait(&set, &sig);
  }
  d.Stop();
  started->reset();
  if (!temp_dir.empty()) {
    std::error_code ec;
    fs::remove_all(temp_dir, ec);
  }
  return rc;
}

}  // namespace

CLI::App* RegisterDemoCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand(
      "demo", "Send bundled real data through a live daemon's API and show what it did");
  cmd->add_flag("--serve", args->serve, "Keep the daemon up afterwards (until Ctrl-C)");
  cmd->add_option("--listen", args->listen, "HOST:PORT for the demo daemon (default: a free port)");
  cmd->add_option("--data-dir", args->data_dir, "Keep the store here (default: temporary)");
  cmd->add_option("--demo-data", args->demo_data, "Directory of the bundled data (default: found)");
  cmd->callback([args, exit_code] { *exit_code = RunDemo(*args); });
  return cmd;
}

}  // namespace prognos::cli
