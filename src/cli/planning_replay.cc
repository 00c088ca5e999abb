#include "cli/planning_replay.h"

#include <algorithm>
#include <cstdio>

#include "actuate/dry_run_actuator.h"
#include "cli/common.h"
#include "daemon/daemon.h"
#include "engine/controller.h"

namespace prognos::cli {
namespace {

// Whether a scale decision came before the trouble: the workload's observed demand was still
// within its allocation for every resource the action raises.
bool Ahead(const policy::AuditEntry& e) {
  const policy::Action& a = *e.action;
  for (const auto& d : e.demand) {
    if (d.workload != a.workload) continue;
    const double replicas = std::max(1, a.replicas_before);
    for (std::size_t r = 0; r < policy::kResourceCount; ++r) {
      const bool raised = a.type == policy::ActionType::kScaleOut || a.after.v[r] > a.before.v[r];
      if (raised && d.observed.v[r] > a.before.v[r] * replicas) return false;
    }
  }
  return true;
}

}  // namespace

bool RunPlanningReplay(const std::vector<ingest::ReplaySeries>& batches,
                       const daemon::Config& config, engine::Engine& engine, FakeClock& clock,
                       PlanningTotals* totals,
                       const std::function<void(const policy::AuditEntry&)>& print,
                       bool keep_entries) {
  struct Ref {
    TimestampMs t;
    std::uint32_t batch;
    std::uint32_t point;
  };
  std::vector<Ref> order;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    for (std::size_t i = 0; i < batches[b].points.size(); ++i) {
      order.push_back({batches[b].points[i].sample.t, static_cast<std::uint32_t>(b),
                       static_cast<std::uint32_t>(i)});
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const Ref& a, const Ref& b) { return a.t < b.t; });

  auto options = daemon::ToControllerOptions(config);
  if (!options) {
    std::fprintf(stderr, "replay: %s\n", options.error().message.c_str());
    return false;
  }
  options->retrain.background = false;  // virtual time: retraining inline, reproducible
  actuate::DryRunActuator actuator([](std::string_view) {});
  engine::Controller controller(
      engine, std::move(*options), actuator, nullptr,
      [&](const policy::AuditEntry& e) {
        if (keep_entries) totals->entries.push_back(e);
        if (e.kind == "decision" && e.action) {
          ++totals->decisions[std::string(policy::ActionTypeName(e.action->type))];
          if (!e.action->shadow && (e.action->type == policy::ActionType::kScaleUp ||
                                    e.action->type == policy::ActionType::kScaleOut)) {
            ++(Ahead(e) ? totals->scale_ahead : totals->scale_late);
          }
        }
        if (e.kind == "outcome" && e.outcome) {
          if (e.outcome->outcome == policy::Outcome::kFailed) ++totals->outcomes_failed;
          if (e.outcome->outcome == policy::Outcome::kRolledBack) ++totals->rolled_back;
          if (e.outcome->outcome == policy::Outcome::kApplied ||
              e.outcome->outcome == policy::Outcome::kVerified) {
            return;  // the decision line already said it; print only what went wrong
          }
        }
        if (print) print(e);
      });
  const DurationMs tick = std::max<DurationMs>(config.control.tick_ms, kSecondMs);
  ProgressBar bar("replay");
  std::vector<ingest::Rejection> pending;
  for (const auto& b : batches) {
    pending.insert(pending.end(), b.rejections.begin(), b.rejections.end());
  }
  TimestampMs next_tick = order.empty() ? 0 : (order.front().t / tick + 1) * tick;
  std::vector<ingest::ParsedSample> chunk;
  auto flush = [&]() -> bool {
    auto report = engine.IngestParsed(chunk, std::move(pending), 0);
    pending.clear();
    chunk.clear();
    if (!report) {
      bar.Finish();
      std::fprintf(stderr, "replay: storage failed: %s\n", report.error().message.c_str());
      return false;
    }
    totals->accepted += report->accepted_samples;
    totals->rejected += report->rejected_samples;
    for (std::size_t r = 0; r < kRejectReasonCount; ++r) {
      totals->by_reason[r] += report->rejected_by_reason[r];
    }
    return true;
  };
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Ref& ref = order[i];
    if (ref.t >= next_tick) {
      if (!flush()) return false;
      // Every tick boundary the data crossed; a long gap ticks at most 1000 times and then the
      // clock jumps to the data.
      int ticks = 0;
      while (ref.t >= next_tick && ticks++ < 1000) {
        clock.Set(next_tick);
        bar.Clear();
        controller.Tick(next_tick);
        next_tick += tick;
      }
      if (ref.t >= next_tick) next_tick = (ref.t / tick + 1) * tick;
      bar.Update(static_cast<double>(i) / static_cast<double>(order.size()),
                 WithThousands(totals->accepted) + " samples");
    }
    const auto& batch = batches[ref.batch];
    const auto& p = batch.points[ref.point];
    chunk.push_back({batch.series[p.series], p.sample, p.line});
  }
  if (!flush()) return false;
  if (!order.empty()) {
    clock.Set(next_tick);
    bar.Clear();
    controller.Tick(next_tick);
  }
  bar.Finish();
  return true;
}

}  // namespace prognos::cli
