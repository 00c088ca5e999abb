// The simulated world: hosts (base cluster and pool nodes), workloads with their demand, placement,
// migrations in flight, injected faults and the one scheduler every policy shares (placement of
// restarts, resizes that no longer fit, cluster-autoscaler node requests). SimActuator applies the
// planner's actions to it. Single-threaded: owned by one simulation run.
//
// Workload model (VM-like, one host): a workload is `replicas × request` and all its replicas sit
// on one host, so a resize that does not fit moves the whole workload (taking the migration delay)
// to the best-fit host where it fits, or waits for a pool node.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "actuate/actuator.h"
#include "core/clock.h"
#include "core/time.h"
#include "policy/types.h"
#include "sim/baselines.h"
#include "sim/scenario.h"

namespace prognos::sim {

struct SimHost {
  std::string id;
  double cores = 0;
  double memory_gib = 0;
  std::string zone;
  std::string pool;  // "" = base cluster
  bool up = true;
  bool schedulable = true;  // false: drained or down
  bool removed = false;     // pool node given back
  double cpu_factor = 1.0;  // < 1 while throttled
  bool net_degraded = false;
  TimestampMs empty_since = -1;  // pool nodes: when they last became empty
  TimestampMs created = 0;
  int fault = -1;  // index of the fault this host carries (telemetry precursors), -1 = none
};

struct SimWorkload {
  std::string id;
  std::size_t trace = 0;         // index into the run's traces
  std::int64_t offset_slot = 0;  // trace slot at the start of the warm-up
  std::size_t tier = 0;
  std::string host;  // current host ("" = pending: preempted or not placeable)
  int replicas = 1;
  double req_cores = 0;  // per replica
  double req_mem = 0;
  bool down = false;  // its host failed; restarted elsewhere at restart_at
  TimestampMs restart_at = 0;
  bool preempted = false;
  // Migration in flight (host → mig_target), with the size it will have there.
  bool migrating = false;
  std::string mig_target;
  int mig_replicas = 0;
  double mig_cores = 0;
  double mig_mem = 0;
  TimestampMs mig_done = 0;
  std::optional<TimestampMs> mig_fail_at;  // fault injection: fails midway at this time
  std::uint64_t mig_action = 0;            // planner action id (0 = the shared scheduler's)
  // When it last arrived on its host by a move (migration done or restart placed); -1 = it has
  // been there since the initial placement. For the data-loss breakdown.
  TimestampMs arrived_at = -1;
  // Data-protection copies of its data_gib on other hosts (policy data_protection): a copy is in
  // sync (protects) from synced_at on and dies with its host's disk.
  struct Copy {
    std::string host;
    TimestampMs synced_at = 0;
    std::uint64_t action = 0;  // planner action that created it
  };
  std::vector<Copy> copies;
  // After its host failed: the host of the in-sync copy it restarts from ("" = none).
  std::string failover_host;
  // Demand now (cores / GiB), from the trace.
  double demand_cores = 0;
  double demand_mem = 0;
  HpaRecommender hpa;
  VpaRecommender vpa_cpu;
  VpaRecommender vpa_mem;
};

// Counters the report is built from.
struct WorldCounters {
  std::uint64_t actions = 0;
  std::uint64_t migrations = 0;
  std::uint64_t failed_migrations = 0;
  std::uint64_t rollbacks = 0;
  std::uint64_t preemptions = 0;
  std::uint64_t restarts = 0;
  std::uint64_t pool_nodes_added = 0;
  std::uint64_t pool_nodes_removed = 0;
  double data_lost_bytes = 0;             // total; the parts below split it by cause
  double data_lost_preceded_bytes = 0;    // disk faults whose drive's SMART warned first
  double data_lost_unpreceded_bytes = 0;  // disk faults whose drive's SMART never moved
  // Of the total, loss a move caused: a workload migrating off the disk when it failed (the copy
  // dies with its source), or one moved onto the host after its disk's warning began.
  double data_lost_in_migration_bytes = 0;
  double data_lost_moved_onto_warned_bytes = 0;
  double pool_creation_cost = 0;
  // Data protection (docs/simulator.md "Data protection").
  std::uint64_t copies_created = 0;  // copies started (planner kReplicate), warm-up included
  std::uint64_t copies_created_warmup = 0;
  std::uint64_t copies_dropped = 0;  // dropped by the planner
  std::uint64_t copies_lost = 0;     // died with their host's disk
  std::uint64_t failovers = 0;       // disk faults a workload survived by restarting from a copy
  double copy_gib_hours = 0;         // copies held × data_gib × hours (measured period)
  double copy_storage_cost = 0;      // copy_gib_hours × disk_gib_hour_price
  double copy_traffic_gib = 0;       // GiB sent to create copies and to restore from them
  double unprotected_workload_hours = 0;  // workloads with data and no in-sync copy on an up host
};

// Outcome of a finished migration attempt, kept for the actuator's Verify.
enum class MigrationState { kNone, kInFlight, kDone, kFailed };

class World {
 public:
  World(const Scenario& scenario, std::uint64_t seed);

  std::vector<SimHost>& hosts() { return hosts_; }
  const std::vector<SimHost>& hosts() const { return hosts_; }
  std::vector<SimWorkload>& workloads() { return workloads_; }
  const std::vector<SimWorkload>& workloads() const { return workloads_; }
  WorldCounters& counters() { return counters_; }
  const Scenario& scenario() const { return scenario_; }
  const WorldCounters& counters() const { return counters_; }

  SimHost* FindHost(std::string_view id);
  const SimHost* FindHost(std::string_view id) const;
  SimWorkload* FindWorkload(std::string_view id);
  int HostIndex(std::string_view id) const;  // -1 when unknown

  // Cores / GiB reserved on a host: workloads on it plus migrations heading to it.
  std::pair<double, double> Reserved(const SimHost& h) const;
  bool Fits(const SimHost& h, double cores, double mem, const SimWorkload* except) const;
  // Best-fit schedulable up host for (cores, mem), excluding `exclude`; nullptr when none.
  SimHost* BestFit(double cores, double mem, std::string_view exclude);

  // The shared scheduler. Resizes `w` to replicas × (cores, mem): in place when it fits, else by
  // moving the workload to the best-fit host, else asks a pool for a node and grows as far as
  // the current host allows. Returns whether anything changed.
  bool Resize(SimWorkload& w, int replicas, double cores, double mem, TimestampMs now);
  // Places a pending or down workload (restart); false when nothing fits (a node was requested).
  bool Place(SimWorkload& w, TimestampMs now);
  // Starts moving `w` to `target` (size as given). `action` = planner action id or 0.
  void StartMigration(SimWorkload& w, const std::string& target, int replicas, double cores,
                      double mem, TimestampMs now, std::uint64_t action);
  // Cluster autoscaler: asks the first pool with room for one node (usable after its lead time).
  bool RequestNode(TimestampMs now);
  // Adds `n` nodes to pool `pool` at now + lead time (planner resize); false when over max.
  bool GrowPool(const std::string& pool, int n, TimestampMs now);
  int PoolNodes(const std::string& pool) const;  // up + arriving
  const PoolSpec* FindPoolSpec(std::string_view id) const;

  // Advances world events to `now`: migrations finishing or failing midway, nodes arriving,
  // restarts due, idle pool nodes given back (after 10 minutes empty).
  void Advance(TimestampMs now);
  // Host failure / repair (faults). `disk` (nullptr = not a disk fault) says whether the drive
  // warned and since when, for the data-loss breakdown.
  struct DiskFailure {
    bool preceded = false;
    TimestampMs warned_from = 0;  // start of the precursor (preceded only)
  };
  void FailHost(SimHost& h, TimestampMs now, const DiskFailure* disk);
  void RepairHost(SimHost& h);

  MigrationState Migration(std::uint64_t action) const;

  // Data protection. Starts a copy of w's data on `host` (in sync after CopySyncMs); false when
  // the host already holds one. Drops the copy on `host`; false when there is none.
  bool AddCopy(SimWorkload& w, const std::string& host, TimestampMs now, std::uint64_t action);
  bool DropCopy(SimWorkload& w, const std::string& host);
  // Time a copy of data_gib takes at the scenario's copy bandwidth.
  DurationMs CopySyncMs() const;
  // An in-sync copy of w's data on an up host other than `except`, or nullptr.
  const SimWorkload::Copy* SurvivingCopy(const SimWorkload& w, std::string_view except) const;
  // Storage and protection are accounted from this time on (the start of the measured period).
  void set_measure_from(TimestampMs t) { measure_from_ = t; }

  // The inventory the planner sees.
  policy::Inventory ToInventory() const;

  Rng& rng() { return rng_; }

 private:
  void FinishMigration(SimWorkload& w, TimestampMs now);
  void AbortMigration(SimWorkload& w, bool count_failed);

  const Scenario& scenario_;
  Rng rng_;
  std::vector<SimHost> hosts_;
  std::vector<SimWorkload> workloads_;
  struct Arrival {
    TimestampMs at;
    std::string pool;
  };
  std::vector<Arrival> arrivals_;
  std::map<std::string, int> pool_serial_;
  mutable std::unordered_map<std::string, int> host_index_;  // rebuilt when hosts_ grows
  std::map<std::uint64_t, MigrationState> planner_migrations_;
  WorldCounters counters_;
  TimestampMs now_ = 0;  // last Advance
  TimestampMs measure_from_ = 0;
};

// Applies the planner's actions to the world (actuate::Actuator). Migrations take the scenario's
// migration delay and may fail midway (delays.migration_failure_rate): Verify then answers
// kFailed and the plan runner rolls back with the inverse migration, which finds the workload
// still on its source host. Pool growth arrives after the pool's lead time.
class SimActuator final : public actuate::Actuator {
 public:
  explicit SimActuator(World& world) : world_(world) {}
  std::string_view name() const override { return "sim"; }
  Result<void> CheckPrecondition(const policy::Action& action) override;
  Result<void> Apply(const policy::Action& action, TimestampMs now) override;
  actuate::Verification Verify(const policy::Action& action, TimestampMs now) override;

 private:
  World& world_;
};

}  // namespace prognos::sim
