// Audit log append throughput by fsync mode (every append, batched by 64, none), scan speed, and
// the cost of encoding/decoding one decision entry. The record is a real-shaped decision: a
// migration with two rejected alternatives and its inputs (one host risk, one demand forecast),
// about 1.5 KB of JSON. Run: ./build/<you>/bench/audit_bench
// Compare appends/s as ratios within one run; absolute numbers depend on the disk.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <limits>
#include <string>

#include "bench_util.h"
#include "policy/audit_codec.h"
#include "store/audit_log.h"

namespace prognos::store {
namespace {

namespace fs = std::filesystem;

std::string FreshDir(const std::string& tag) { return bench::FreshDir("audit-bench", tag); }

policy::AuditEntry Decision() {
  policy::AuditEntry e;
  e.t = 1700000000000;
  e.kind = "decision";
  policy::Action a;
  a.id = 12;
  a.type = policy::ActionType::kMigrate;
  a.workload = "web-3";
  a.host = "node-2";
  a.target_host = "node-7";
  a.before[policy::Resource::kCpu] = 4;
  a.after[policy::Resource::kCpu] = 4;
  a.rule = "migrate_off_failing_host";
  a.reason = "p_fail 0.83 >= 0.50 within 1h, root cause smart_197";
  a.rejected = {{"node-4", "cpu 7.5 > free 4.0"}, {"node-5", "zone eu-2: data in eu-1"}};
  a.precondition = "web-3 on node-2; node-7 has cpu 4 free";
  a.expected_effect = "web-3 running on node-7";
  a.verify_window_ms = 5 * kMinuteMs;
  e.action = a;
  policy::HostRisk r;
  r.host = "node-2";
  r.component = "disk";
  r.p_fail = 0.83;
  r.horizon_ms = kHourMs;
  r.root_cause = "smart_197";
  r.model = "xgboost-v3";
  e.risks = {r};
  policy::WorkloadDemand d;
  d.workload = "web-3";
  d.levels = {0.5, 0.9, 0.99};
  d.quantiles.resize(3);
  d.model = "ets";
  e.demand = {d};
  return e;
}

AuditLogOptions Options(AuditFsync mode) {
  AuditLogOptions o;
  o.fsync = mode;
  return o;
}

void BM_Append(benchmark::State& state, AuditFsync mode) {
  const std::string dir = FreshDir("append");
  auto log = AuditLog::Open(dir, Options(mode));
  if (!log) {
    state.SkipWithError(log.error().message.c_str());
    return;
  }
  const std::string bytes = policy::EncodeAuditEntry(Decision());
  for (auto _ : state) {
    auto seq = (*log)->Append(1700000000000, "decision", bytes);
    if (!seq) {
      state.SkipWithError(seq.error().message.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
  state.counters["record_bytes"] = static_cast<double>(bytes.size());
  state.counters["fsyncs_per_append"] =
      static_cast<double>((*log)->stats().fsyncs) / static_cast<double>(state.iterations());
  log->reset();
  fs::remove_all(dir);
}
BENCHMARK_CAPTURE(BM_Append, every_append, AuditFsync::kEveryAppend)->UseRealTime()->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Append, batched_64, AuditFsync::kBatched)->UseRealTime()->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Append, none, AuditFsync::kNone)->UseRealTime()->MinTime(2.0);

// Scan of the newest `limit` records of a 100 k-record log (the API's "latest decisions" page)
// and of the whole log.
void BM_Scan(benchmark::State& state) {
  constexpr std::uint64_t kRecords = 100'000;
  const std::string dir = FreshDir("scan");
  auto log = AuditLog::Open(dir, Options(AuditFsync::kNone));
  if (!log) {
    state.SkipWithError(log.error().message.c_str());
    return;
  }
  const std::string bytes = policy::EncodeAuditEntry(Decision());
  for (std::uint64_t i = 0; i < kRecords; ++i) {
    (void)(*log)->Append(static_cast<TimestampMs>(i), "decision", bytes);
  }
  const auto limit = static_cast<std::uint64_t>(state.range(0));
  const std::uint64_t since = limit == 0 ? 0 : kRecords - limit + 1;
  std::uint64_t visited = 0;
  for (auto _ : state) {
    auto n =
        (*log)->Scan(since, std::numeric_limits<TimestampMs>::min(), 0, [](const AuditRecord& r) {
          benchmark::DoNotOptimize(r.bytes.data());
          return true;
        });
    if (!n) {
      state.SkipWithError(n.error().message.c_str());
      break;
    }
    visited += *n;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(visited));
  log->reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_Scan)->Arg(100)->Arg(0)->Unit(benchmark::kMicrosecond);

void BM_EncodeDecision(benchmark::State& state) {
  const policy::AuditEntry e = Decision();
  for (auto _ : state) benchmark::DoNotOptimize(policy::EncodeAuditEntry(e));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeDecision);

void BM_DecodeDecision(benchmark::State& state) {
  const std::string bytes = policy::EncodeAuditEntry(Decision());
  for (auto _ : state) benchmark::DoNotOptimize(policy::DecodeAuditEntry(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeDecision);

}  // namespace
}  // namespace prognos::store
