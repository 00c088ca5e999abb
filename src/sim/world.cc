#include "sim/world.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prognos::sim {
namespace {

constexpr double kEps = 1e-9;
constexpr DurationMs kIdleNodeMs = 10 * kMinuteMs;  // cluster autoscaler's scale-down-unneeded-time
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

}  // namespace

World::World(const Scenario& scenario, std::uint64_t seed) : scenario_(scenario), rng_(seed) {
  for (int i = 0; i < scenario.hosts; ++i) {
    SimHost h;
    char name[32];
    std::snprintf(name, sizeof(name), "host-%03d", i);
    h.id = name;
    const auto pick = static_cast<std::size_t>(rng_.Next() % scenario.host_cores.size());
    h.cores = scenario.host_cores[pick];
    h.memory_gib = h.cores * scenario.memory_gib_per_core;
    h.zone = scenario.zones[static_cast<std::size_t>(i) % scenario.zones.size()];
    hosts_.push_back(h);
  }
  for (const PoolSpec& p : scenario.pools) {
    for (int n = 0; n < p.min_nodes; ++n) {
      SimHost h;
      h.id = p.id + "-" + std::to_string(pool_serial_[p.id]++);
      h.cores = p.node_cores;
      h.memory_gib = p.node_memory_gib;
      h.zone = p.zone;
      h.pool = p.id;
      hosts_.push_back(h);
    }
  }
}

SimHost* World::FindHost(std::string_view id) {
  const int i = HostIndex(id);
  return i < 0 ? nullptr : &hosts_[static_cast<std::size_t>(i)];
}

const SimHost* World::FindHost(std::string_view id) const {
  const int i = HostIndex(id);
  return i < 0 ? nullptr : &hosts_[static_cast<std::size_t>(i)];
}

int World::HostIndex(std::string_view id) const {
  if (host_index_.size() != hosts_.size()) {
    host_index_.clear();
    for (std::size_t i = 0; i < hosts_.size(); ++i) host_index_[hosts_[i].id] = static_cast<int>(i);
  }
  auto it = host_index_.find(std::string(id));
  return it == host_index_.end() ? -1 : it->second;
}

SimWorkload* World::FindWorkload(std::string_view id) {
  for (auto& w : workloads_) {
    if (w.id == id) return &w;
  }
  return nullptr;
}

const PoolSpec* World::FindPoolSpec(std::string_view id) const {
  for (const auto& p : scenario_.pools) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::pair<double, double> World::Reserved(const SimHost& h) const {
  double c = 0;
  double m = 0;
  for (const auto& w : workloads_) {
    if (w.host == h.id && !w.down) {
      c += w.replicas * w.req_cores;
      m += w.replicas * w.req_mem;
    }
    if (w.migrating && w.mig_target == h.id) {
      c += w.mig_replicas * w.mig_cores;
      m += w.mig_replicas * w.mig_mem;
    }
  }
  return {c, m};
}

bool World::Fits(const SimHost& h, double cores, double mem, const SimWorkload* except) const {
  auto [c, m] = Reserved(h);
  if (except != nullptr && except->host == h.id && !except->down) {
    c -= except->replicas * except->req_cores;
    m -= except->replicas * except->req_mem;
  }
  return c + cores <= h.cores + kEps && m + mem <= h.memory_gib + kEps;
}

SimHost* World::BestFit(double cores, double mem, std::string_view exclude) {
  SimHost* best = nullptr;
  double best_left = std::numeric_limits<double>::infinity();
  // Reserved per host in one pass over the workloads (O(W + H), not O(W · H)).
  std::vector<std::pair<double, double>> reserved(hosts_.size());
  for (const auto& w : workloads_) {
    if (!w.down && !w.host.empty()) {
      const int i = HostIndex(w.host);
      if (i >= 0) {
        reserved[static_cast<std::size_t>(i)].first += w.replicas * w.req_cores;
        reserved[static_cast<std::size_t>(i)].second += w.replicas * w.req_mem;
      }
    }
    if (w.migrating) {
      const int i = HostIndex(w.mig_target);
      if (i >= 0) {
        reserved[static_cast<std::size_t>(i)].first += w.mig_replicas * w.mig_cores;
        reserved[static_cast<std::size_t>(i)].second += w.mig_replicas * w.mig_mem;
      }
    }
  }
  for (std::size_t hi = 0; hi < hosts_.size(); ++hi) {
    SimHost& h = hosts_[hi];
    if (!h.up || !h.schedulable || h.removed || h.id == exclude) continue;
    auto [c, m] = reserved[hi];
    if (c + cores > h.cores + kEps || m + mem > h.memory_gib + kEps) continue;
    // Best fit by the dominant share left (ties: first in host order).
    const double left =
        std::max((h.cores - c - cores) / h.cores, (h.memory_gib - m - mem) / h.memory_gib);
    if (left < best_left - 1e-12) {
      best_left = left;
      best = &h;
    }
  }
  return best;
}

bool World::RequestNode(TimestampMs now) {
  for (const auto& p : scenario_.pools) {
    if (PoolNodes(p.id) < p.max_nodes) return GrowPool(p.id, 1, now);
  }
  return false;
}

bool World::GrowPool(const std::string& pool, int n, TimestampMs now) {
  const PoolSpec* p = FindPoolSpec(pool);
  if (p == nullptr || PoolNodes(pool) + n > p->max_nodes) return false;
  for (int i = 0; i < n; ++i) arrivals_.push_back({now + p->lead_time_ms, pool});
  counters_.pool_creation_cost += n * p->creation_cost;
  return true;
}

int World::PoolNodes(const std::string& pool) const {
  int n = 0;
  for (const auto& h : hosts_) n += h.pool == pool && !h.removed ? 1 : 0;
  for (const auto& a : arrivals_) n += a.pool == pool ? 1 : 0;
  return n;
}

bool World::Resize(SimWorkload& w, int replicas, double cores, double mem, TimestampMs now) {
  if (w.down || w.migrating || w.host.empty()) return false;
  if (replicas == w.replicas && std::fabs(cores - w.req_cores) < kEps &&
      std::fabs(mem - w.req_mem) < kEps) {
    return false;
  }
  SimHost* h = FindHost(w.host);
  if (h != nullptr && Fits(*h, replicas * cores, replicas * mem, &w)) {
    w.replicas = replicas;
    w.req_cores = cores;
    w.req_mem = mem;
    return true;
  }
  if (SimHost* t = BestFit(replicas * cores, replicas * mem, w.host)) {
    StartMigration(w, t->id, replicas, cores, mem, now, 0);
    return true;
  }
  // Nothing fits: a node is requested (pending pods), and the workload grows as far as its
  // host allows meanwhile.
  bool pending = false;
  for (const auto& a : arrivals_) pending = pending || a.at > now;
  if (!pending) RequestNode(now);
  if (h == nullptr) return false;
  int best = w.replicas;
  for (int r = w.replicas + 1; r <= replicas; ++r) {
    if (Fits(*h, r * w.req_cores, r * w.req_mem, &w)) best = r;
  }
  double best_cores = w.req_cores;
  double best_mem = w.req_mem;
  if (replicas == w.replicas) {  // vertical: grow each resource as far as it fits
    auto [c, m] = Reserved(*h);
    c -= w.replicas * w.req_cores;
    m -= w.replicas * w.req_mem;
    best_cores = std::max(w.req_cores, std::min(cores, (h->cores - c) / w.replicas));
    best_mem = std::max(w.req_mem, std::min(mem, (h->memory_gib - m) / w.replicas));
    if (cores < w.req_cores) best_cores = cores;
    if (mem < w.req_mem) best_mem = mem;
  }
  if (best == w.replicas && std::fabs(best_cores - w.req_cores) < kEps &&
      std::fabs(best_mem - w.req_mem) < kEps) {
    return false;
  }
  w.replicas = best;
  w.req_cores = best_cores;
  w.req_mem = best_mem;
  return true;
}

bool World::Place(SimWorkload& w, TimestampMs now) {
  const double cores = w.replicas * w.req_cores;
  const double mem = w.replicas * w.req_mem;
  if (!w.failover_host.empty()) {
    // Recovery from a copy: on the copy's host when it fits (the copy becomes the primary),
    // else wherever it fits, restoring the data from the copy over the network.
    SimHost* c = FindHost(w.failover_host);
    if (c != nullptr && c->up && c->schedulable && !c->removed && Fits(*c, cores, mem, nullptr)) {
      w.host = c->id;
      w.arrived_at = now;
      w.down = false;
      w.preempted = false;
      DropCopy(w, c->id);
      w.failover_host.clear();
      return true;
    }
  }
  SimHost* t = BestFit(cores, mem, "");
  if (t == nullptr) {
    bool pending = false;
    for (const auto& a : arrivals_) pending = pending || a.at > now;
    if (!pending) RequestNode(now);
    return false;
  }
  w.host = t->id;
  w.arrived_at = now;
  w.down = false;
  w.preempted = false;
  if (!w.failover_host.empty()) {
    counters_.copy_traffic_gib += scenario_.data_gib;
    w.failover_host.clear();
  }
  DropCopy(w, t->id);  // a copy on its new host is its primary data now
  return true;
}

void World::StartMigration(SimWorkload& w, const std::string& target, int replicas, double cores,
                           double mem, TimestampMs now, std::uint64_t action) {
  w.migrating = true;
  w.mig_target = target;
  w.mig_replicas = replicas;
  w.mig_cores = cores;
  w.mig_mem = mem;
  w.mig_done = now + scenario_.migration_ms;
  w.mig_fail_at.reset();
  w.mig_action = action;
  if (scenario_.migration_failure_rate > 0 && rng_.Uniform() < scenario_.migration_failure_rate) {
    w.mig_fail_at = now + scenario_.migration_ms / 2;
  }
  if (action != 0) planner_migrations_[action] = MigrationState::kInFlight;
  ++counters_.migrations;
}

void World::FinishMigration(SimWorkload& w, TimestampMs now) {
  w.host = w.mig_target;
  DropCopy(w, w.host);  // moved onto a host holding its copy: that is its primary data now
  w.arrived_at = now;
  w.replicas = w.mig_replicas;
  w.req_cores = w.mig_cores;
  w.req_mem = w.mig_mem;
  w.migrating = false;
  if (w.mig_action != 0) planner_migrations_[w.mig_action] = MigrationState::kDone;
  w.mig_target.clear();
}

void World::AbortMigration(SimWorkload& w, bool count_failed) {
  w.migrating = false;
  if (count_failed) ++counters_.failed_migrations;
  if (w.mig_action != 0) planner_migrations_[w.mig_action] = MigrationState::kFailed;
  w.mig_target.clear();
  w.mig_fail_at.reset();
}

MigrationState World::Migration(std::uint64_t action) const {
  auto it = planner_migrations_.find(action);
  return it == planner_migrations_.end() ? MigrationState::kNone : it->second;
}

bool World::AddCopy(SimWorkload& w, const std::string& host, TimestampMs now,
                    std::uint64_t action) {
  for (const auto& c : w.copies) {
    if (c.host == host) return false;
  }
  w.copies.push_back({host, now + CopySyncMs(), action});
  ++counters_.copies_created;
  if (now < measure_from_) ++counters_.copies_created_warmup;
  counters_.copy_traffic_gib += scenario_.data_gib;
  return true;
}

bool World::DropCopy(SimWorkload& w, const std::string& host) {
  auto it = std::find_if(w.copies.begin(), w.copies.end(),
                         [&](const SimWorkload::Copy& c) { return c.host == host; });
  if (it == w.copies.end()) return false;
  w.copies.erase(it);
  return true;
}

DurationMs World::CopySyncMs() const {
  // GiB → Mbit: × 8 × 1024³ / 10⁶; at copy_bandwidth_mbit_s, in ms.
  const double mbit = scenario_.data_gib * 8.0 * kGiB / 1e6;
  return static_cast<DurationMs>(std::ceil(mbit / scenario_.copy_bandwidth_mbit_s * 1000.0));
}

const SimWorkload::Copy* World::SurvivingCopy(const SimWorkload& w, std::string_view except) const {
  for (const auto& c : w.copies) {
    if (c.host == except || c.synced_at > now_) continue;
    const SimHost* h = FindHost(c.host);
    if (h != nullptr && h->up && !h->removed) return &c;
  }
  return nullptr;
}

void World::Advance(TimestampMs now) {
  // Copy storage and protection over [now_, now) in the measured period, with the state since
  // the last Advance.
  const TimestampMs from = std::max(now_, measure_from_);
  if (now > from && now_ > 0) {
    const double hours = static_cast<double>(now - from) / kHourMs;
    for (const auto& w : workloads_) {
      const double gib_hours = static_cast<double>(w.copies.size()) * scenario_.data_gib * hours;
      counters_.copy_gib_hours += gib_hours;
      counters_.copy_storage_cost += gib_hours * scenario_.disk_gib_hour_price;
      if (scenario_.data_gib > 0 && SurvivingCopy(w, w.host) == nullptr) {
        counters_.unprotected_workload_hours += hours;
      }
    }
  }
  now_ = now;
  // Nodes arriving.
  for (std::size_t i = 0; i < arrivals_.size();) {
    if (arrivals_[i].at <= now) {
      const PoolSpec* p = FindPoolSpec(arrivals_[i].pool);
      SimHost h;
      h.id = p->id + "-" + std::to_string(pool_serial_[p->id]++);
      h.cores = p->node_cores;
      h.memory_gib = p->node_memory_gib;
      h.zone = p->zone;
      h.pool = p->id;
      h.created = now;
      h.empty_since = now;
      hosts_.push_back(h);
      ++counters_.pool_nodes_added;
      arrivals_.erase(arrivals_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  for (auto& w : workloads_) {
    if (!w.migrating) continue;
    if (w.mig_fail_at && *w.mig_fail_at <= now) {
      AbortMigration(w, true);
    } else if (w.mig_done <= now) {
      FinishMigration(w, now);
    }
  }
  for (auto& w : workloads_) {
    if ((w.down && w.restart_at <= now) || (w.host.empty() && !w.down && !w.preempted)) {
      if (Place(w, now)) ++counters_.restarts;
    }
  }
  // Idle pool nodes are given back (not below the pool's minimum).
  for (auto& h : hosts_) {
    if (h.pool.empty() || h.removed) continue;
    auto [c, m] = Reserved(h);
    if (c > kEps || m > kEps) {
      h.empty_since = -1;
      continue;
    }
    if (h.empty_since < 0) h.empty_since = now;
    const PoolSpec* p = FindPoolSpec(h.pool);
    int live = 0;
    for (const auto& o : hosts_) live += o.pool == h.pool && !o.removed ? 1 : 0;
    if (now - h.empty_since >= kIdleNodeMs && p != nullptr && live > p->min_nodes) {
      h.removed = true;
      h.up = false;
      ++counters_.pool_nodes_removed;
    }
  }
}

void World::FailHost(SimHost& h, TimestampMs now, const DiskFailure* disk) {
  h.up = false;
  h.schedulable = false;
  now_ = std::max(now_, now);
  if (disk != nullptr) {
    for (auto& w : workloads_) {  // data-protection copies die with the disk
      if (DropCopy(w, h.id)) ++counters_.copies_lost;
    }
  }
  for (auto& w : workloads_) {
    if (w.migrating && w.mig_target == h.id) AbortMigration(w, true);
    if (w.host != h.id || w.down) continue;
    const bool was_migrating = w.migrating;
    if (w.migrating) AbortMigration(w, true);  // the copy dies with its source
    w.down = true;
    w.restart_at = now + scenario_.restart_ms;
    // Recovery prefers the host of an in-sync copy that survives (failover).
    const SimWorkload::Copy* copy = SurvivingCopy(w, h.id);
    if (copy != nullptr) w.failover_host = copy->host;
    if (disk == nullptr) continue;
    if (copy != nullptr) {
      ++counters_.failovers;  // the data survives in the copy
      continue;
    }
    const double bytes = scenario_.data_gib * kGiB;
    counters_.data_lost_bytes += bytes;
    (disk->preceded ? counters_.data_lost_preceded_bytes : counters_.data_lost_unpreceded_bytes) +=
        bytes;
    if (was_migrating) {
      counters_.data_lost_in_migration_bytes += bytes;
    } else if (disk->preceded && w.arrived_at >= disk->warned_from) {
      counters_.data_lost_moved_onto_warned_bytes += bytes;
    }
  }
}

void World::RepairHost(SimHost& h) {
  // Copies on a host that was down (not a disk fault) are stale: they resync.
  for (auto& w : workloads_) {
    for (auto& c : w.copies) {
      if (c.host == h.id) c.synced_at = now_ + CopySyncMs();
    }
  }
  h.up = true;
  h.schedulable = true;
  h.cpu_factor = 1.0;
  h.net_degraded = false;
}

policy::Inventory World::ToInventory() const {
  policy::Inventory inv;
  for (const auto& h : hosts_) {
    if (h.removed) continue;
    policy::Host ph;
    ph.id = h.id;
    ph.capacity[policy::Resource::kCpu] = h.cores;
    ph.capacity[policy::Resource::kMemory] = h.memory_gib;
    ph.zone = h.zone;
    ph.pool = h.pool;
    ph.cost_per_hour =
        h.cores * scenario_.core_hour_price + h.memory_gib * scenario_.gib_hour_price;
    ph.schedulable = h.up && h.schedulable;
    inv.hosts.push_back(ph);
  }
  for (const auto& p : scenario_.pools) {
    policy::Pool pp;
    pp.id = p.id;
    pp.zone = p.zone;
    pp.node_capacity[policy::Resource::kCpu] = p.node_cores;
    pp.node_capacity[policy::Resource::kMemory] = p.node_memory_gib;
    pp.min_nodes = p.min_nodes;
    pp.max_nodes = p.max_nodes;
    pp.nodes = PoolNodes(p.id);
    pp.node_cost_per_hour = p.node_cost_per_hour;
    pp.creation_cost = p.creation_cost;
    pp.lead_time_ms = p.lead_time_ms;
    inv.pools.push_back(pp);
  }
  for (const auto& w : workloads_) {
    policy::Workload pw;
    pw.id = w.id;
    pw.host = w.host;
    pw.request[policy::Resource::kCpu] = w.req_cores;
    pw.request[policy::Resource::kMemory] = w.req_mem;
    pw.replicas = w.replicas;
    const TierSpec& tier = scenario_.tiers[w.tier];
    pw.priority = tier.priority;
    pw.sla_tier = tier.name;
    pw.criticality = tier.priority > 0 ? policy::Criticality::kHigh : policy::Criticality::kMedium;
    pw.preemptible = tier.priority < 0;
    pw.data_gib = scenario_.data_gib;
    for (const auto& c : w.copies) pw.data_copies.push_back({c.host, c.synced_at <= now_});
    inv.workloads.push_back(pw);
  }
  return inv;
}

// ---------------------------------------------------------------------------------------------
// SimActuator
// ---------------------------------------------------------------------------------------------

Result<void> SimActuator::CheckPrecondition(const policy::Action& a) {
  using policy::ActionType;
  SimWorkload* w = a.workload.empty() ? nullptr : world_.FindWorkload(a.workload);
  if (!a.workload.empty() && w == nullptr) {
    return MakeError(ErrorCode::kNotFound, "no workload " + a.workload);
  }
  switch (a.type) {
    case ActionType::kMigrate: {
      if (a.target_host.empty()) return Ok();  // un-placing (inverse of a placement)
      SimHost* t = world_.FindHost(a.target_host);
      if (t == nullptr || !t->up || t->removed) {
        return MakeError(ErrorCode::kUnavailable, "target host " + a.target_host + " is not up");
      }
      if (w->down) return MakeError(ErrorCode::kUnavailable, "workload is down (restart pending)");
      if (w->host == a.target_host && !w->migrating) return Ok();  // already there (rollback)
      if (w->migrating) return MakeError(ErrorCode::kUnavailable, "already migrating");
      if (!world_.Fits(*t, w->replicas * w->req_cores, w->replicas * w->req_mem, nullptr)) {
        return MakeError(ErrorCode::kResourceExhausted,
                         "target host " + a.target_host + " has no room");
      }
      return Ok();
    }
    case ActionType::kScaleUp:
    case ActionType::kScaleDown:
    case ActionType::kScaleOut:
    case ActionType::kScaleIn: {
      if (w == nullptr || w->down || w->host.empty()) {
        return MakeError(ErrorCode::kUnavailable, "workload is not running");
      }
      if (w->migrating) return MakeError(ErrorCode::kUnavailable, "workload is migrating");
      const bool vertical = a.type == ActionType::kScaleUp || a.type == ActionType::kScaleDown;
      const int replicas = vertical ? w->replicas : a.replicas_after;
      const double c = vertical ? a.after[policy::Resource::kCpu] : w->req_cores;
      const double m = vertical ? a.after[policy::Resource::kMemory] : w->req_mem;
      SimHost* h = world_.FindHost(w->host);
      if (h == nullptr || !world_.Fits(*h, replicas * c, replicas * m, w)) {
        return MakeError(ErrorCode::kResourceExhausted, "host " + w->host + " has no room");
      }
      return Ok();
    }
    case ActionType::kReplicate: {
      if (a.amount <= 0) return Ok();  // dropping a copy (no-op when it is gone)
      SimHost* t = world_.FindHost(a.target_host);
      if (t == nullptr || !t->up || t->removed) {
        return MakeError(ErrorCode::kUnavailable, "copy host " + a.target_host + " is not up");
      }
      if (w == nullptr || w->down || w->host.empty()) {
        return MakeError(ErrorCode::kUnavailable, "workload is not running (no source to copy)");
      }
      if (w->host == a.target_host) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "the copy host " + a.target_host + " is the workload's own host");
      }
      return Ok();
    }
    default:
      return Ok();
  }
}

Result<void> SimActuator::Apply(const policy::Action& a, TimestampMs now) {
  using policy::ActionType;
  if (auto ok = CheckPrecondition(a); !ok) return ok;
  SimWorkload* w = a.workload.empty() ? nullptr : world_.FindWorkload(a.workload);
  ++world_.counters().actions;
  switch (a.type) {
    case ActionType::kMigrate:
      if (a.target_host.empty()) {  // inverse of a placement: un-place
        w->host.clear();
        w->preempted = true;
        return Ok();
      }
      if (w->host == a.target_host) return Ok();  // the rollback of a failed migration
      if (w->host.empty()) {                      // placement of a pending workload
        w->host = a.target_host;
        w->preempted = false;
        return Ok();
      }
      world_.StartMigration(*w, a.target_host, w->replicas, w->req_cores, w->req_mem, now, a.id);
      return Ok();
    case ActionType::kScaleUp:
    case ActionType::kScaleDown:
      w->req_cores = a.after[policy::Resource::kCpu];
      w->req_mem = a.after[policy::Resource::kMemory];
      return Ok();
    case ActionType::kScaleOut:
    case ActionType::kScaleIn:
      w->replicas = std::max(1, a.replicas_after);
      return Ok();
    case ActionType::kPreempt:
      if (w != nullptr && !w->host.empty()) {
        w->host.clear();
        w->preempted = true;
        ++world_.counters().preemptions;
      }
      return Ok();
    case ActionType::kResizePool: {
      const int now_nodes = world_.PoolNodes(a.pool);
      if (a.nodes_after > now_nodes) {
        if (!world_.GrowPool(a.pool, a.nodes_after - now_nodes, now)) {
          return MakeError(ErrorCode::kResourceExhausted, "pool " + a.pool + " at its maximum");
        }
      }
      // Shrinking: idle nodes are given back by the world's idle rule.
      return Ok();
    }
    case ActionType::kDrain:
      // amount > 0 cordons; the inverse (amount 0 after amount_before > 0) uncordons.
      if (SimHost* h = world_.FindHost(a.host)) {
        h->schedulable = a.amount <= 0 && a.amount_before > 0;
      }
      return Ok();
    case ActionType::kReplicate:
      if (a.amount > 0) {
        world_.AddCopy(*w, a.target_host, now, a.id);
      } else if (w != nullptr && world_.DropCopy(*w, a.target_host)) {
        ++world_.counters().copies_dropped;
      }
      return Ok();
    default:
      return Ok();  // levers the world does not model (cpu shares, io priority, …)
  }
}

actuate::Verification SimActuator::Verify(const policy::Action& a, TimestampMs now) {
  if (a.type == policy::ActionType::kReplicate) {
    if (a.amount <= 0) return actuate::Verification::kConfirmed;
    // A copy is verified once in sync; one that died with its host before that failed.
    SimWorkload* w = world_.FindWorkload(a.workload);
    if (w == nullptr) return actuate::Verification::kFailed;
    for (const auto& c : w->copies) {
      if (c.host != a.target_host) continue;
      return c.synced_at <= now ? actuate::Verification::kConfirmed
                                : actuate::Verification::kPending;
    }
    // Gone: died with its host, or the workload restarted from it (then it is the primary).
    return w->host == a.target_host ? actuate::Verification::kConfirmed
                                    : actuate::Verification::kFailed;
  }
  if (a.type != policy::ActionType::kMigrate || a.host.empty() || a.target_host.empty()) {
    return actuate::Verification::kConfirmed;
  }
  switch (world_.Migration(a.id)) {
    case MigrationState::kInFlight:
      return actuate::Verification::kPending;
    case MigrationState::kFailed:
      return actuate::Verification::kFailed;
    case MigrationState::kDone:
    case MigrationState::kNone:  // applied as a no-op (already there)
      return actuate::Verification::kConfirmed;
  }
  return actuate::Verification::kConfirmed;
}

}  // namespace prognos::sim
