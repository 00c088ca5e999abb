// `prognos sim`: run a scenario under one policy and write the report (DESIGN.md §3), or
// `--compare` every policy over several seeds and print a table with mean and spread. Thin: the
// simulator lives in src/sim.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace prognos::cli {
namespace {

struct SimArgs {
  std::string scenario;
  std::string policy = "proactive";
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::string report;
  std::string svg;
  bool compare = false;
  int seeds = 10;
  std::string table;
  bool progress = false;
  bool quiet = false;
};

class ProgressBar {
 public:
  ProgressBar(bool on, std::string label) : on_(on), label_(std::move(label)) {}
  void operator()(double f) {
    if (!on_) return;
    const int pct = static_cast<int>(f * 100);
    if (pct == last_) return;
    last_ = pct;
    const int filled = pct * 30 / 100;
    std::fprintf(stderr, "\r%s [%-30s] %3d%%", label_.c_str(), std::string(filled, '#').c_str(),
                 pct);
    if (pct >= 100) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  bool on_;
  std::string label_;
  int last_ = -1;
};

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

int RunSim(const SimArgs& a) {
  auto scenario = sim::LoadScenario(a.scenario);
  if (!scenario) {
    std::fprintf(stderr, "%s\n", scenario.error().message.c_str());
    return scenario.error().code == ErrorCode::kNotFound ? kExitEnvironment : kExitFailure;
  }
  const std::uint64_t seed = a.seed_given ? a.seed : scenario->seed;
  const bool bar = a.progress || (!a.quiet && isatty(STDERR_FILENO) != 0);
  if (a.compare) {
    std::vector<sim::CompareRow> rows;
    for (auto p : {sim::PolicyKind::kProactive, sim::PolicyKind::kReactive, sim::PolicyKind::kVpa,
                   sim::PolicyKind::kNone}) {
      sim::CompareRow row;
      row.policy = p;
      double wall = 0;
      double host_hours = 0;
      for (int i = 0; i < a.seeds; ++i) {
        ProgressBar progress(bar, fmt::format("{} seed {}", sim::PolicyKindName(p), seed + i));
        sim::RunOptions o;
        o.progress = [&progress](double f) { progress(f); };
        auto r = sim::RunScenario(*scenario, p, seed + static_cast<std::uint64_t>(i), o);
        if (!r) {
          std::fprintf(stderr, "sim: %s\n", r.error().message.c_str());
          return kExitFailure;
        }
        wall += r->wall_seconds;
        host_hours += r->host_hours;
        row.reports.push_back(r->report);
      }
      std::fprintf(stderr, "sim: %s: %d seeds, %.0f simulated host-hours in %.2f s (%.0f/s)\n",
                   std::string(sim::PolicyKindName(p)).c_str(), a.seeds, host_hours, wall,
                   wall > 0 ? host_hours / wall : 0.0);
      rows.push_back(std::move(row));
    }
    const std::string table = sim::CompareTable(scenario->name, rows);
    std::fputs(table.c_str(), stdout);
    if (!a.table.empty() && !WriteFile(a.table, table)) {
      std::fprintf(stderr, "sim: cannot write %s\n", a.table.c_str());
      return kExitEnvironment;
    }
    return kExitOk;
  }
  auto policy = sim::ParsePolicyKind(a.policy);
  if (!policy) {
    std::fprintf(stderr, "sim: unknown policy %s (proactive, reactive, vpa, none)\n",
                 a.policy.c_str());
    return kExitUsage;
  }
  if (a.report.empty()) {
    std::fprintf(stderr, "sim: --report FILE.json is required (or --compare)\n");
    return kExitUsage;
  }
  ProgressBar progress(bar, fmt::format("{} seed {}", a.policy, seed));
  sim::RunOptions o;
  o.progress = [&progress](double f) { progress(f); };
  auto r = sim::RunScenario(*scenario, *policy, seed, o);
  if (!r) {
    std::fprintf(stderr, "sim: %s\n", r.error().message.c_str());
    return kExitFailure;
  }
  if (!WriteFile(a.report, r->report.dump(2) + "\n")) {
    std::fprintf(stderr, "sim: cannot write %s\n", a.report.c_str());
    return kExitEnvironment;
  }
  if (!a.svg.empty() &&
      !WriteFile(a.svg, sim::RenderSvg(*r, fmt::format("{} / {} / seed {}", scenario->name,
                                                       a.policy, seed)))) {
    std::fprintf(stderr, "sim: cannot write %s\n", a.svg.c_str());
    return kExitEnvironment;
  }
  const auto& rep = r->report;
  std::printf(
      "%s seed %llu: SLA violation %.1f min, cost %.2f, slack %.1f%%, %llu actions, %llu "
      "migrations, faults %d (avoided %d), data lost %.0f bytes\n",
      a.policy.c_str(), static_cast<unsigned long long>(seed),
      rep["sla_violation_minutes"].get<double>(), rep["resource_cost"].get<double>(),
      rep["slack_pct"].get<double>(), rep["actions"].get<unsigned long long>(),
      rep["migrations"].get<unsigned long long>(), rep["actual_failures"].get<int>(),
      rep["failures_avoided"].get<int>(), rep["data_lost_bytes"].get<double>());
  std::fprintf(stderr, "sim: %.0f simulated host-hours in %.2f s = %.0f host-hours/s\n",
               r->host_hours, r->wall_seconds,
               r->wall_seconds > 0 ? r->host_hours / r->wall_seconds : 0.0);
  return kExitOk;
}

}  // namespace

CLI::App* RegisterSimCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "sim",
      "Trace-driven simulator with failure injection: replays real demand traces and injected\n"
      "faults through the real pipeline under a policy (proactive = prognos; reactive = HPA,\n"
      "vpa, none = DESIGN.md §7 baselines) and writes a JSON report; --compare runs all four\n"
      "policies over several seeds and prints mean ± standard deviation");
  auto a = std::make_shared<SimArgs>();
  cmd->add_option("--scenario", a->scenario, "Scenario YAML (examples/scenarios/)")->required();
  cmd->add_option("--policy", a->policy, "proactive | reactive | vpa | none")
      ->default_val("proactive");
  cmd->add_option_function<std::uint64_t>(
      "--seed",
      [a](std::uint64_t s) {
        a->seed = s;
        a->seed_given = true;
      },
      "Seed (default: the scenario's)");
  cmd->add_option("--report", a->report, "Report JSON file");
  cmd->add_option("--svg", a->svg, "Chart: demand, allocation, faults, actions over time");
  cmd->add_flag("--compare", a->compare, "Run all four policies over --seeds seeds");
  cmd->add_option("--seeds", a->seeds, "Seeds for --compare (default 10)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--table", a->table, "--compare: also write the Markdown table here");
  cmd->add_flag("--progress", a->progress, "Progress bar on stderr (default: when a terminal)");
  cmd->add_flag("--quiet", a->quiet, "No progress bar");
  cmd->callback([a, exit_code] { *exit_code = RunSim(*a); });
  return cmd;
}

}  // namespace prognos::cli
