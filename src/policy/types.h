// The planner's vocabulary (DESIGN.md §1, issue #12): what exists (inventory), what the operator
// wants (policy spec and preferences), what the predictions say (planner input) and what the
// planner proposes (ActionPlan of revertible actions). Plain structs; no IO. Shared by the planner,
// the actuators, the controller in `engine`, the simulator and the API.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace prognos::policy {

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

// Resource types a host offers and a workload asks for. Units are fixed per type:
//   kCpu: cores; kMemory: GiB; kNetwork: Mbit/s; kDiskIo: IOPS.
enum class Resource : std::uint8_t { kCpu, kMemory, kNetwork, kDiskIo };
inline constexpr std::size_t kResourceCount = 4;

// "cpu", "memory", "network", "disk_io".
std::string_view ResourceName(Resource r);
std::optional<Resource> ParseResource(std::string_view name);

// One amount per resource type, indexed by Resource.
struct ResourceVector {
  std::array<double, kResourceCount> v{};

  double& operator[](Resource r) { return v[static_cast<std::size_t>(r)]; }
  double operator[](Resource r) const { return v[static_cast<std::size_t>(r)]; }
  ResourceVector& operator+=(const ResourceVector& o);
  ResourceVector& operator-=(const ResourceVector& o);
  friend ResourceVector operator+(ResourceVector a, const ResourceVector& b) { return a += b; }
  friend ResourceVector operator-(ResourceVector a, const ResourceVector& b) { return a -= b; }
  ResourceVector Scaled(double f) const;
  // Every component of *this ≤ the same component of `o` (+ eps).
  bool FitsIn(const ResourceVector& o, double eps = 1e-9) const;
  // max_r this[r] / o[r] over components with o[r] > 0 (the dominant share).
  double DominantShare(const ResourceVector& o) const;
  bool operator==(const ResourceVector& o) const = default;
};

// ---------------------------------------------------------------------------------------------
// Inventory: what exists
// ---------------------------------------------------------------------------------------------

enum class Criticality : std::uint8_t { kLow, kMedium, kHigh, kCritical };
std::string_view CriticalityName(Criticality c);
std::optional<Criticality> ParseCriticality(std::string_view name);

struct Host {
  std::string id;
  ResourceVector capacity;
  std::string zone;
  std::string pool;            // pool this host belongs to ("" = standalone)
  double cost_per_hour = 0.0;  // what keeping it up costs
  bool schedulable = true;     // false: cordoned / draining / failed
  std::map<std::string, std::string> labels;
};

// A resource pool: a group of identical nodes that can be created, grown and shrunk.
struct Pool {
  std::string id;
  std::string zone;
  ResourceVector node_capacity;  // capacity of one node
  int min_nodes = 0;
  int max_nodes = 0;
  int nodes = 0;                  // current size
  double node_cost_per_hour = 0;  // unit cost of one node per hour
  double creation_cost = 0;       // one-off cost of adding a node (or creating the pool)
  DurationMs lead_time_ms = 0;    // time from request to usable capacity
  // false: a template the planner may create (kCreatePool; `nodes` is 0 until then). A declared
  // pool exists even at 0 nodes and grows with kResizePool / kPreallocate.
  bool created = true;
};

// A placed or pending unit of work. `request` is what is reserved on `host` per replica.
struct Workload {
  std::string id;
  std::string host;  // "" = pending (not placed)
  ResourceVector request;
  int replicas = 1;
  int priority = 0;  // higher = more important
  Criticality criticality = Criticality::kMedium;
  std::string sla_tier;  // key into PolicySpec::tiers ("" = the default tier)
  bool preemptible = false;
  std::string data_zone;  // where its data lives ("" = anywhere)
  std::string customer;   // key into Inventory::customers ("" = none)
  ResourceVector limit;   // hard limit (0 = unlimited per component)
  // Stateful data on the host's local disk, GiB (0 = stateless: nothing to protect), and the hosts
  // holding a copy of it (data_protection, docs/policy.md "Data protection"). A copy protects only
  // once in sync; one still syncing counts as under way (not re-requested, not yet protection).
  double data_gib = 0;
  struct DataCopy {
    std::string host;
    bool in_sync = false;
    bool operator==(const DataCopy& o) const = default;
  };
  std::vector<DataCopy> data_copies;
};

// A customer or application with quotas on the sum of its workloads' requests.
struct Customer {
  std::string id;
  ResourceVector quota;  // 0 = no quota for that resource
};

struct Inventory {
  std::vector<Host> hosts;
  std::vector<Pool> pools;
  std::vector<Workload> workloads;
  std::vector<Customer> customers;
  // Round-trip latency between zones in ms, key "zoneA/zoneB" with zoneA < zoneB (same zone = 0).
  std::map<std::string, double> zone_latency_ms;

  const Host* FindHost(std::string_view id) const;
  Host* FindHost(std::string_view id);
  const Workload* FindWorkload(std::string_view id) const;
  Workload* FindWorkload(std::string_view id);
  const Pool* FindPool(std::string_view id) const;
  Pool* FindPool(std::string_view id);
  // Sum of request × replicas of the workloads placed on `host`.
  ResourceVector Allocated(std::string_view host) const;
  double ZoneLatencyMs(std::string_view a, std::string_view b) const;
};

// ---------------------------------------------------------------------------------------------
// Policy: what the operator wants (declarative YAML, see docs/configuration.md `policy:`)
// ---------------------------------------------------------------------------------------------

// An SLA tier chooses how far up the demand distribution allocation reaches.
struct SlaTier {
  std::string name;
  double demand_quantile = 0.9;        // plan for this quantile of forecast demand
  double target_utilization = 0.7;     // allocation = demand / target_utilization
  double violation_cost_per_hour = 0;  // what an hour of SLA violation costs (for the cost model)
  // Quantile that sizes the CPU request (docs/policy.md "Sizing"); unset = demand_quantile with
  // cpu_sizing peak, 0.5 (the expected usage) with cpu_sizing usage.
  std::optional<double> cpu_quantile = std::nullopt;
};

// What a workload's CPU request covers (docs/policy.md "Sizing"). kPeak: the forecast peak over
// the sizing horizon at the tier quantile, plus headroom — the request is also the limit
// (Kubernetes guaranteed QoS), so demand above it is throttled. kUsage: the forecast usage over
// the sizing horizon (the mean over its steps of the per-step tier quantile), no headroom — the
// request is a reservation without a limit (burstable QoS), peaks above it run on the host's idle
// CPU, and the planner keeps hosts from contention instead (rule relieve_cpu_contention: the
// forecast peaks of a host's workloads must fit its capacity). Memory is sized to the peak in
// both: above its request a container is killed.
enum class CpuSizing : std::uint8_t { kPeak, kUsage };
std::string_view CpuSizingName(CpuSizing s);  // "peak", "usage"
std::optional<CpuSizing> ParseCpuSizing(std::string_view name);

struct Damping {
  DurationMs stabilization_window_ms = 5 * kMinuteMs;  // no reversal of an action inside it
  DurationMs cooldown_ms = 3 * kMinuteMs;              // min time between actions on one target
  int max_actions_per_interval = 20;
  DurationMs interval_ms = kMinuteMs;
  int max_concurrent_migrations = 5;  // disruption budget, fleet-wide
  int max_unavailable_per_zone = 2;   // hosts drained at once per zone
  double hysteresis = 0.1;            // act only when the change exceeds this fraction
};

struct Thresholds {
  double migrate_p_fail = 0.5;      // P(failure within horizon) that triggers migration off a host
  double maintenance_p_fail = 0.2;  // propose a drain + maintenance window above this
  double critical_p_fail = 0.8;     // tier boundaries for alerts and ordering
  double warning_p_fail = 0.3;
  double entropy_request = 0.8;  // predicted host entropy above this → entropy-driven request
  double scale_in_utilization = 0.4;   // observed utilisation below this may scale in
  double reclaim_idle_fraction = 0.5;  // pool capacity idle above this fraction is reclaimed
};

// Where a workload's second (and further) copy may live.
enum class CopySpread : std::uint8_t {
  kZone,  // another zone than the workload's host (survives a zone outage)
  kHost,  // any other host
};
std::string_view CopySpreadName(CopySpread s);  // "zone", "host"
std::optional<CopySpread> ParseCopySpread(std::string_view name);

// Policy `data_protection:` (docs/policy.md "Data protection"): keep `copies` copies (the primary
// included) of every stateful workload at or above `min_criticality`. 1 = off (the default).
struct DataProtection {
  int copies = 1;
  CopySpread spread = CopySpread::kZone;
  Criticality min_criticality = Criticality::kLow;
  bool enabled() const { return copies > 1; }
};

struct PolicySpec {
  std::map<std::string, SlaTier> tiers;  // always has "" (the default tier) after Normalize
  Damping damping;
  Thresholds thresholds;
  DurationMs horizon_ms = kHourMs;  // how far ahead the planner looks
  // Window whose forecast peak sizes a workload (docs/policy.md "Sizing"); 0 = horizon_ms. The
  // planner re-plans every control interval and an in-place resize is immediate, so an allocation
  // need only hold until the next plan can correct it; failure risk keeps the full horizon.
  DurationMs sizing_horizon_ms = 0;
  DurationMs SizingHorizonMs() const {
    return sizing_horizon_ms > 0 ? sizing_horizon_ms : horizon_ms;
  }
  bool shadow = false;    // plan and record, never act
  double headroom = 0.1;  // extra fraction above the planned quantile
  // Sizing rule (docs/policy.md "Sizing"). true: need = q(tier) × (1 + headroom), scaled in as
  // soon as the need is below the allocation by more than the hysteresis. false (the rule before
  // issue #13's calibration): need = q(tier) × (1 + headroom) / target_utilization, scaled in only
  // when observed utilisation < thresholds.scale_in_utilization.
  bool quantile_sizing = true;
  CpuSizing cpu_sizing = CpuSizing::kPeak;
  bool allow_preemption = true;
  bool allow_migration = true;
  bool allow_pool_changes = true;
  // Objective weights: cost of capacity per hour vs expected SLA-violation cost.
  double cost_weight = 1.0;
  double risk_weight = 1.0;
  DataProtection data_protection;
  // What a GiB of copy storage costs per hour, for expected_cost_per_hour of replicate actions
  // (0 = not priced). Default: block storage list price, $0.08 per GB-month (AWS EBS gp3,
  // us-east-1) = 0.08 × 1.0737 GB/GiB / 730 h ≈ 0.000118 per GiB-hour.
  double copy_gib_hour_price = 0.000118;

  // Fills the default tier and clamps nothing: validation is the parser's job.
  void Normalize();
  const SlaTier& Tier(std::string_view name) const;
};

// Operator preferences set through PUT /v1/preferences (validated against inventory + policy).
struct Preference {
  std::string workload;            // "" = fleet-wide
  bool prefer_migration = false;   // prefer migrating over scaling up on the same host
  std::string pin_zone;            // "" = not pinned
  bool forbid_preemption = false;  // never preempt this workload
  std::optional<double> headroom;  // overrides PolicySpec::headroom
};

// ---------------------------------------------------------------------------------------------
// Planner input: predictions at time `now`
// ---------------------------------------------------------------------------------------------

// Forecast demand of one workload over the horizon, per replica-set (total, not per replica).
// quantiles[i] is the peak over the horizon of the forecast's `levels[i]` quantile.
struct WorkloadDemand {
  std::string workload;
  ResourceVector observed;                // latest observed usage
  std::vector<double> levels;             // ascending, e.g. {0.5, 0.9, 0.95, 0.99}
  std::vector<ResourceVector> quantiles;  // same size as levels
  // usage_quantiles[i]: the mean over the sizing horizon's steps of the forecast's `levels[i]`
  // quantile (what the workload is expected to use, rather than its peak). Empty = unknown (the
  // planner then falls back on `quantiles`).
  std::vector<ResourceVector> usage_quantiles;
  std::string model;  // serving forecast model ("ets", "histogram", …)
  // The quantile for `level` (linear between neighbours; outside: the nearest).
  ResourceVector Quantile(double level) const;
  // Same over usage_quantiles (Quantile when they are missing).
  ResourceVector UsageQuantile(double level) const;
};

enum class AlertTier : std::uint8_t { kNone, kInfo, kWarning, kCritical };
std::string_view AlertTierName(AlertTier t);

// Risk of one host (or a component of it) failing within the horizon.
struct HostRisk {
  std::string host;
  std::string component;  // "" = the host as a whole; else e.g. "disk", "memory"
  double p_fail = 0.0;    // calibrated P(failure within horizon_ms)
  DurationMs horizon_ms = 0;
  // Expected time until failure when known (from the forecast crossing a limit), else nullopt.
  std::optional<DurationMs> time_to_failure_ms;
  double health = 100.0;  // 0..100
  AlertTier tier = AlertTier::kNone;
  std::string root_cause;         // top contributing indicator
  double entropy = 0.0;           // composite entropy now, [0, 1]
  double entropy_forecast = 0.0;  // predicted composite entropy at the horizon
  // Per resource type: share of the entropy rise its indicators explain (sums to ≤ 1).
  ResourceVector entropy_drivers;
  // Per resource type: usage the host's workloads are expected to add after the predicted entropy
  // rise, learned from past rises (engine::EntropyLearner; 0 = nothing learned). In the
  // resource's unit (cores, GiB, …); entropy_request sizes its request from it when > 0.
  ResourceVector entropy_uplift;
  // Cross-metric dependency model of the host's indicators (predict::DependencyModel, a Gaussian
  // network on a Chow-Liu tree): how improbable the host's latest joint state is, in [0, 1] (0
  // during its cold start), and the indicator that explains most of it.
  double dependency_risk = 0.0;
  std::string dependency_cause;
  std::string model;  // which model gave p_fail ("xgboost-v3", "health-hazard", …)
};

struct PlannerInput {
  TimestampMs now = 0;
  std::vector<WorkloadDemand> demand;
  std::vector<HostRisk> risks;
};

// ---------------------------------------------------------------------------------------------
// Output: the ActionPlan
// ---------------------------------------------------------------------------------------------

enum class ActionType : std::uint8_t {
  kScaleUp,       // raise a workload's per-replica request in place
  kScaleDown,     // lower it (only on observed load)
  kScaleOut,      // add replicas
  kScaleIn,       // remove replicas (only on observed load)
  kMigrate,       // move a workload from host to target_host
  kPreempt,       // evict a lower-priority workload to make room
  kDefer,         // queue a request that cannot be served now
  kCreatePool,    // create a pool
  kResizePool,    // change a pool's node count (grow or shrink)
  kPreallocate,   // reserve capacity ahead of forecast demand
  kReclaim,       // release idle capacity
  kRebalance,     // move capacity between pools
  kThrottle,      // cap a customer/application over quota
  kSetCpuShares,  // finer levers: actuator maps these to its platform
  kSetMemoryLimit,
  kReserveBandwidth,
  kSetIoPriority,
  kRequestResource,  // entropy-driven request for a resource type
  kDrain,            // cordon + drain a host
  kScheduleMaintenance,
  // Keep a copy of a workload's data on target_host (amount = GiB, > 0), or drop that copy
  // (amount 0, amount_before = GiB: the inverse). `host` is the workload's host.
  kReplicate,
};
inline constexpr std::size_t kActionTypeCount = 21;
std::string_view ActionTypeName(ActionType t);  // "scale_up", "migrate", …
std::optional<ActionType> ParseActionType(std::string_view name);

// An alternative the planner considered and did not take, and why.
struct Rejected {
  std::string option;  // e.g. "migrate to node-3"
  std::string reason;  // e.g. "capacity: cpu 7.5 > free 4.0"
};

struct Action {
  std::uint64_t id = 0;  // unique within a planner's life (monotone)
  ActionType type = ActionType::kScaleUp;
  // Targets (which fields apply depends on the type).
  std::string workload;
  std::string host;         // source host (migrate, drain) or host acted on
  std::string target_host;  // migrate destination
  std::string pool;         // pool acted on (kRebalance: the pool that gains nodes)
  std::string source_pool;  // kRebalance: the pool that gives `amount` nodes (its counts are in
                            // replicas_before/replicas_after)
  std::string customer;
  Resource resource = Resource::kCpu;  // for single-resource levers and requests
  ResourceVector before;  // the quantity before (request, pool size in node_capacity units…)
  ResourceVector after;   // the quantity after
  int replicas_before = 0, replicas_after = 0;
  int nodes_before = 0, nodes_after = 0;
  double amount = 0;  // scalar lever value (cpu shares, io priority, bandwidth Mbit/s, …)
  // The scalar before the action (levers: the old value; kDrain/kThrottle/kDefer/
  // kScheduleMaintenance/kRequestResource: 0 = not in effect, their `amount` > 0 = in effect).
  // Inverse() swaps amount and amount_before.
  double amount_before = 0;
  TimestampMs not_before = 0;  // earliest time to apply (maintenance windows, lead times)

  // Why: the rule that fired, the evidence and the rejected alternatives.
  std::string rule;    // e.g. "scale_ahead", "migrate_off_failing_host"
  std::string reason;  // one sentence a human reads
  std::vector<Rejected> rejected;
  double expected_cost_per_hour = 0;  // change in capacity cost (+ = more expensive)
  double expected_risk = 0;           // residual risk after the action, [0, 1]
  double confidence = 1.0;            // per-action-type confidence from feedback, (0, 1]

  // Transaction (DESIGN.md §5): checked before apply, expected after, verified within the window.
  std::string precondition;     // human-readable; the runner checks it via the actuator
  std::string expected_effect;  // human-readable
  DurationMs verify_window_ms = 0;
  bool shadow = false;  // planned in shadow mode: recorded, never applied
};

// The inverse of an action (what the runner applies to roll it back): migrate back, restore the
// old request / replicas / pool size, uncordon. Defer, kScheduleMaintenance and kThrottle invert
// to their release (same type, amount 0). kPreempt inverts to a placement of the victim back on
// its host (kMigrate from "" to that host). A kMigrate with host "" is a placement of a pending
// workload (rule "place_pending"); its inverse (target_host "") un-places it.
Action Inverse(const Action& a);

struct ActionPlan {
  TimestampMs t = 0;
  std::vector<Action> actions;      // in the order to apply
  std::vector<Action> deferred;     // requests queued (priority order: SLA, criticality, priority)
  bool degraded = false;            // inventory cannot fit current load: best effort plan
  std::vector<std::string> alerts;  // e.g. "critical: inventory cannot fit current load (…)"
  // Plan-level options considered and refused (e.g. a pool resize refused by the cost model).
  std::vector<Rejected> rejected;
  // Actions the rules wanted but damping held back (cooldown, stabilization window, max actions
  // per interval, disruption budget); `reason` ends with why it was held. Never applied. Once the
  // action cap is reached and 1,000 are listed, further ones are only counted in held_omitted.
  std::vector<Action> held;
  int held_omitted = 0;
};

// ---------------------------------------------------------------------------------------------
// Outcomes and audit
// ---------------------------------------------------------------------------------------------

enum class Outcome : std::uint8_t {
  kPlanned,     // recorded, not yet applied
  kShadow,      // shadow mode: never applied
  kApplied,     // applied, verification pending
  kVerified,    // effect observed within the window: committed
  kFailed,      // apply failed (nothing changed)
  kRolledBack,  // verification failed; the inverse was applied
  kSkipped,     // precondition no longer held at apply time
};
std::string_view OutcomeName(Outcome o);

// The result of running one action, fed back to the planner (feedback loop) and to the audit log.
struct ActionOutcome {
  std::uint64_t action_id = 0;
  ActionType type = ActionType::kScaleUp;
  std::string workload;
  Outcome outcome = Outcome::kPlanned;
  TimestampMs t = 0;
  std::string detail;  // error, verification result
  // Observed effect (e.g. utilisation after a scale-up), NaN when not measured.
  double observed_utilization = 0;
};

// One audit record. Append-only: the plan writes kind "decision" entries; the runner appends
// "outcome" entries referring to action_id; feedback appends "feedback" entries.
struct AuditEntry {
  std::uint64_t seq = 0;  // assigned by the log, monotone
  TimestampMs t = 0;
  std::string kind;  // "decision" | "outcome" | "feedback" | "preference" | "alert"
  std::optional<Action> action;
  std::optional<ActionOutcome> outcome;
  // Inputs: the predictions the decision used (for decision entries).
  std::vector<WorkloadDemand> demand;
  std::vector<HostRisk> risks;
  std::string message;  // preferences, alerts, feedback: a human-readable summary
};

}  // namespace prognos::policy
