#include "sim/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "policy/policy_yaml.h"

namespace prognos::sim {
namespace {

constexpr std::array<std::string_view, 6> kFaultNames = {
    "disk", "cpu_throttle", "memory_errors", "network_outage", "network_latency", "host"};
constexpr std::array<std::string_view, 4> kPolicyNames = {"proactive", "reactive", "vpa", "none"};

// Walks a YAML tree, collecting every error with its line and key path.
class Reader {
 public:
  explicit Reader(std::vector<std::string>* errors) : errors_(errors) {}

  void Error(const YAML::Node& node, const std::string& path, const std::string& message) {
    Issue(node.IsDefined() ? node.Mark().line + 1 : 0, path, message);
  }
  void Issue(int line, const std::string& path, const std::string& message) {
    errors_->push_back("line " + std::to_string(line) + ": " + path + ": " + message);
  }

  // Reports keys of `map` that are not in `known`.
  void CheckKeys(const YAML::Node& map, const std::string& path,
                 std::initializer_list<std::string_view> known) {
    if (!map.IsMap()) return;
    for (const auto& kv : map) {
      const std::string key = kv.first.Scalar();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        Error(kv.first, Join(path, key), "unknown key (known: " + list + ")");
      }
    }
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  bool Map(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap()) {
      Error(node, path, "must be a mapping");
      return false;
    }
    return true;
  }

  void Double(const YAML::Node& map, const std::string& path, const char* key, double* out,
              double lo, double hi) {
    const YAML::Node n = map[key];
    if (!n.IsDefined()) return;
    const std::string p = Join(path, key);
    double v = 0;
    if (!n.IsScalar() || !ParseNumber(n.Scalar(), &v)) {
      Error(n, p, "must be a number");
      return;
    }
    if (!(v >= lo && v <= hi)) {
      Error(n, p, "must be in [" + Num(lo) + ", " + Num(hi) + "]");
      return;
    }
    *out = v;
  }

  void Int(const YAML::Node& map, const std::string& path, const char* key, int* out, int lo,
           int hi) {
    double v = *out;
    const YAML::Node n = map[key];
    if (!n.IsDefined()) return;
    const std::size_t before = errors_->size();
    Double(map, path, key, &v, lo, hi);
    if (errors_->size() != before) return;
    if (v != std::floor(v)) {
      Error(n, Join(path, key), "must be an integer");
      return;
    }
    *out = static_cast<int>(v);
  }

  void String(const YAML::Node& map, const std::string& path, const char* key, std::string* out) {
    const YAML::Node n = map[key];
    if (!n.IsDefined()) return;
    if (!n.IsScalar() || n.Scalar().empty()) {
      Error(n, Join(path, key), "must be a non-empty string");
      return;
    }
    *out = n.Scalar();
  }

  // A duration ("5m", "300s", "2d"); `allow_none` accepts "none" as 0.
  void Duration(const YAML::Node& map, const std::string& path, const char* key, DurationMs* out,
                DurationMs min_ms, bool allow_none = false) {
    const YAML::Node n = map[key];
    if (!n.IsDefined()) return;
    const std::string p = Join(path, key);
    if (!n.IsScalar()) {
      Error(n, p, "must be a duration such as 5m, 300s, 2d");
      return;
    }
    if (allow_none && n.Scalar() == "none") {
      *out = 0;
      return;
    }
    auto d = ParseDuration(n.Scalar());
    if (!d) {
      Error(n, p,
            "must be a duration such as 5m, 300s, 2d" + std::string(allow_none ? " or none" : "") +
                " (" + d.error().message + ")");
      return;
    }
    if (*d < min_ms) {
      Error(n, p, "must be at least " + std::to_string(min_ms / 1000) + " s");
      return;
    }
    *out = *d;
  }

  static bool ParseNumber(const std::string& s, double* out) {
    if (s.empty()) return false;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0' || !std::isfinite(v)) return false;
    *out = v;
    return true;
  }

  static std::string Num(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
  }

 private:
  std::vector<std::string>* errors_;
};

std::string ResolvePath(const std::string& p, const std::vector<std::string>& base_dirs) {
  namespace fs = std::filesystem;
  if (p.empty() || fs::path(p).is_absolute()) return p;
  std::error_code ec;
  for (const auto& b : base_dirs) {
    const fs::path c = fs::path(b) / p;
    if (fs::exists(c, ec)) return c.lexically_normal().string();
  }
  return p;  // missing: the runner reports it (tests skip when shared data is absent)
}

void ParseVms(Reader& r, const YAML::Node& n, const std::string& path, std::vector<int>* out) {
  // A list of numbers, or "A-B".
  if (n.IsSequence()) {
    for (const auto& e : n) {
      double v = 0;
      if (!e.IsScalar() || !Reader::ParseNumber(e.Scalar(), &v) || v < 1 || v != std::floor(v)) {
        r.Error(e, path, "VM numbers are positive integers");
        return;
      }
      out->push_back(static_cast<int>(v));
    }
    return;
  }
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    const auto dash = s.find('-');
    double a = 0;
    double b = 0;
    if (dash != std::string::npos && Reader::ParseNumber(s.substr(0, dash), &a) &&
        Reader::ParseNumber(s.substr(dash + 1), &b) && a >= 1 && b >= a) {
      for (int i = static_cast<int>(a); i <= static_cast<int>(b); ++i) out->push_back(i);
      return;
    }
  }
  r.Error(n, path, "must be a list of VM numbers or a range \"A-B\"");
}

void ParseCluster(Reader& r, const YAML::Node& c, Scenario* s) {
  const std::string p = "cluster";
  if (!r.Map(c, p)) return;
  r.CheckKeys(c, p,
              {"hosts", "host_cores", "memory_gib_per_core", "zones", "core_hour_price",
               "gib_hour_price", "disk_gib_hour_price", "pools", "cpu_qos"});
  r.Int(c, p, "hosts", &s->hosts, 1, 100000);
  if (c["cpu_qos"].IsDefined()) {
    const YAML::Node n = c["cpu_qos"];
    if (auto q = ParseCpuQos(n.IsScalar() ? n.Scalar() : std::string())) {
      s->cpu_qos = *q;
    } else {
      r.Error(n, "cluster.cpu_qos", "must be guaranteed or burstable");
    }
  }
  if (c["host_cores"].IsDefined()) {
    const YAML::Node n = c["host_cores"];
    std::vector<double> sizes;
    bool ok = n.IsSequence() && n.size() > 0;
    for (std::size_t i = 0; ok && i < n.size(); ++i) {
      double v = 0;
      ok = n[i].IsScalar() && Reader::ParseNumber(n[i].Scalar(), &v) && v > 0;
      sizes.push_back(v);
    }
    if (ok) {
      s->host_cores = sizes;
    } else {
      r.Error(n, "cluster.host_cores", "must be a non-empty list of positive core counts");
    }
  }
  r.Double(c, p, "memory_gib_per_core", &s->memory_gib_per_core, 0.01, 1e6);
  if (c["zones"].IsDefined()) {
    const YAML::Node n = c["zones"];
    std::vector<std::string> zones;
    bool ok = n.IsSequence() && n.size() > 0;
    for (std::size_t i = 0; ok && i < n.size(); ++i) {
      ok = n[i].IsScalar() && !n[i].Scalar().empty();
      if (ok) zones.push_back(n[i].Scalar());
    }
    if (ok) {
      s->zones = zones;
    } else {
      r.Error(n, "cluster.zones", "must be a non-empty list of zone names");
    }
  }
  r.Double(c, p, "core_hour_price", &s->core_hour_price, 0, 1e6);
  r.Double(c, p, "gib_hour_price", &s->gib_hour_price, 0, 1e6);
  r.Double(c, p, "disk_gib_hour_price", &s->disk_gib_hour_price, 0, 1e6);
  if (c["pools"].IsDefined()) {
    const YAML::Node pools = c["pools"];
    if (!pools.IsSequence()) {
      r.Error(pools, "cluster.pools", "must be a list of pools");
      return;
    }
    std::set<std::string> ids;
    for (std::size_t i = 0; i < pools.size(); ++i) {
      const std::string pp = "cluster.pools[" + std::to_string(i) + "]";
      const YAML::Node n = pools[i];
      if (!r.Map(n, pp)) continue;
      r.CheckKeys(n, pp,
                  {"id", "zone", "node_cores", "node_memory_gib", "node_cost_per_hour",
                   "creation_cost", "lead_time", "min", "max"});
      PoolSpec pool;
      pool.id = "pool" + std::to_string(i);
      pool.zone = s->zones.front();
      r.String(n, pp, "id", &pool.id);
      r.String(n, pp, "zone", &pool.zone);
      r.Double(n, pp, "node_cores", &pool.node_cores, 0.01, 1e6);
      r.Double(n, pp, "node_memory_gib", &pool.node_memory_gib, 0.01, 1e9);
      r.Double(n, pp, "node_cost_per_hour", &pool.node_cost_per_hour, 0, 1e9);
      r.Double(n, pp, "creation_cost", &pool.creation_cost, 0, 1e9);
      r.Duration(n, pp, "lead_time", &pool.lead_time_ms, 0);
      r.Int(n, pp, "min", &pool.min_nodes, 0, 100000);
      r.Int(n, pp, "max", &pool.max_nodes, 0, 100000);
      if (pool.max_nodes < pool.min_nodes) r.Error(n, pp + ".max", "must be >= min");
      if (!ids.insert(pool.id).second) r.Error(n["id"], pp + ".id", "duplicate pool id");
      s->pools.push_back(pool);
    }
  }
}

void ParseWorkloads(Reader& r, const YAML::Node& w, Scenario* s,
                    const std::vector<std::string>& base_dirs) {
  const std::string p = "workloads";
  if (!r.Map(w, p)) return;
  r.CheckKeys(w, p,
              {"count", "trace", "demand_scale", "growth", "bursts", "replicas", "max_replicas",
               "data_gib"});
  r.Int(w, p, "count", &s->workloads, 1, 1000000);
  r.Double(w, p, "demand_scale", &s->demand_scale, 1e-6, 1e6);
  r.Double(w, p, "growth", &s->growth, -0.9, 100);
  r.Int(w, p, "replicas", &s->replicas, 1, 10000);
  r.Int(w, p, "max_replicas", &s->max_replicas, 1, 10000);
  r.Double(w, p, "data_gib", &s->data_gib, 0, 1e9);
  if (s->max_replicas < s->replicas) r.Error(w["max_replicas"], p + ".max_replicas", ">= replicas");
  if (w["bursts"].IsDefined()) {
    const YAML::Node b = w["bursts"];
    const std::string bp = "workloads.bursts";
    if (r.Map(b, bp)) {
      r.CheckKeys(b, bp, {"count", "factor", "duration"});
      r.Int(b, bp, "count", &s->bursts, 0, 1000000);
      r.Double(b, bp, "factor", &s->burst_factor, 0.01, 1000);
      r.Duration(b, bp, "duration", &s->burst_ms, kMinuteMs);
    }
  }
  const YAML::Node t = w["trace"];
  const std::string tp = "workloads.trace";
  if (!t.IsDefined()) {
    r.Error(w, tp, "missing (source and path of the demand traces)");
    return;
  }
  if (!r.Map(t, tp)) return;
  r.CheckKeys(t, tp, {"source", "path", "vms", "cores", "memory_gib"});
  std::string source = "bitbrains";
  r.String(t, tp, "source", &source);
  if (source == "bitbrains") {
    s->source = TraceSource::kBitbrains;
  } else if (source == "alibaba") {
    s->source = TraceSource::kAlibaba;
  } else {
    r.Error(t["source"], tp + ".source", "must be bitbrains or alibaba");
  }
  std::string path;
  r.String(t, tp, "path", &path);
  if (path.empty() && !t["path"].IsDefined()) r.Error(t, tp + ".path", "missing");
  s->trace_path = ResolvePath(path, base_dirs);
  if (t["vms"].IsDefined()) ParseVms(r, t["vms"], tp + ".vms", &s->vms);
  r.Double(t, tp, "cores", &s->alibaba_cores, 0.01, 1e6);
  r.Double(t, tp, "memory_gib", &s->alibaba_memory_gib, 0.01, 1e9);
}

void ParseTiers(Reader& r, const YAML::Node& t, Scenario* s) {
  if (!t.IsSequence() || t.size() == 0) {
    r.Error(t, "sla_tiers", "must be a non-empty list of tiers");
    return;
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const std::string p = "sla_tiers[" + std::to_string(i) + "]";
    const YAML::Node n = t[i];
    if (!r.Map(n, p)) continue;
    r.CheckKeys(n, p,
                {"name", "share", "demand_quantile", "cpu_quantile", "target_utilization",
                 "violation_cost_per_hour", "priority"});
    TierSpec tier;
    r.String(n, p, "name", &tier.name);
    if (tier.name.empty()) r.Error(n, p + ".name", "missing");
    r.Double(n, p, "share", &tier.share, 0, 1);
    r.Double(n, p, "demand_quantile", &tier.demand_quantile, 0.5, 0.999);
    if (n["cpu_quantile"].IsDefined()) {
      double q = -1;
      r.Double(n, p, "cpu_quantile", &q, 0.5, 0.999);
      if (q >= 0) tier.cpu_quantile = q;
    }
    r.Double(n, p, "target_utilization", &tier.target_utilization, 0.05, 1.0);
    r.Double(n, p, "violation_cost_per_hour", &tier.violation_cost_per_hour, 0, 1e9);
    r.Int(n, p, "priority", &tier.priority, -1000000, 1000000);
    if (!tier.name.empty() && !names.insert(tier.name).second) {
      r.Error(n["name"], p + ".name", "duplicate tier name");
    }
    s->tiers.push_back(tier);
  }
}

void ParseFaults(Reader& r, const YAML::Node& f, Scenario* s,
                 const std::vector<std::string>& base_dirs) {
  if (!f.IsSequence()) {
    r.Error(f, "faults", "must be a list of faults");
    return;
  }
  for (std::size_t i = 0; i < f.size(); ++i) {
    const std::string p = "faults[" + std::to_string(i) + "]";
    const YAML::Node n = f[i];
    if (!r.Map(n, p)) continue;
    r.CheckKeys(n, p, {"type", "count", "host", "at", "precursor", "duration", "factor", "path"});
    FaultSpec fault;
    fault.line = n.Mark().line + 1;
    std::string type;
    r.String(n, p, "type", &type);
    if (auto ft = ParseFaultType(type)) {
      fault.type = *ft;
    } else {
      std::string list;
      for (auto k : kFaultNames) list += (list.empty() ? "" : ", ") + std::string(k);
      r.Error(n["type"].IsDefined() ? n["type"] : n, p + ".type",
              type.empty() ? "missing (" + list + ")" : "unknown fault type (" + list + ")");
    }
    r.Int(n, p, "count", &fault.count, 1, 100000);
    if (n["host"].IsDefined()) {
      int h = 0;
      r.Int(n, p, "host", &h, 0, s->hosts - 1);
      fault.host = h;
      if (fault.count != 1) r.Error(n["host"], p + ".host", "a fixed host needs count: 1");
    }
    if (n["at"].IsDefined() && n["at"].IsScalar() && n["at"].Scalar() != "random") {
      DurationMs at = 0;
      r.Duration(n, p, "at", &at, 0);
      fault.at_ms = at;
    }
    fault.precursor_ms = fault.type == FaultType::kDisk ? 12 * kHourMs : kHourMs;
    r.Duration(n, p, "precursor", &fault.precursor_ms, 0, /*allow_none=*/true);
    r.Duration(n, p, "duration", &fault.duration_ms, kMinuteMs);
    r.Double(n, p, "factor", &fault.factor, 0.0, 100.0);
    if (fault.type == FaultType::kDisk) {
      std::string path = "../shared/data/backblaze_2013/daily";
      r.String(n, p, "path", &path);
      fault.backblaze_dir = ResolvePath(path, base_dirs);
    } else if (n["path"].IsDefined()) {
      r.Error(n["path"], p + ".path", "only disk faults read a path (Backblaze daily files)");
    }
    if (fault.at_ms && *fault.at_ms > s->duration_ms) {
      r.Error(n["at"], p + ".at", "after the end of the scenario (duration)");
    }
    s->faults.push_back(fault);
  }
}

void ParsePolicy(Reader& r, const YAML::Node& n, Scenario* s) {
  const std::string p = "policy";
  if (!r.Map(n, p)) return;
  r.CheckKeys(
      n, p,
      {"horizon", "sizing_horizon", "headroom", "migrate_p_fail", "maintenance_p_fail",
       "scale_in_utilization", "stabilization_window", "cooldown", "max_actions_per_interval",
       "max_concurrent_migrations", "max_unavailable_per_zone", "hysteresis", "allow_preemption",
       "allow_migration", "allow_pool_changes", "cpu_sizing", "data_protection"});
  policy::PolicySpec& spec = s->policy;
  r.Duration(n, p, "horizon", &spec.horizon_ms, kMinuteMs);
  r.Duration(n, p, "sizing_horizon", &spec.sizing_horizon_ms, kMinuteMs);
  r.Double(n, p, "headroom", &spec.headroom, 0, 10);
  r.Double(n, p, "migrate_p_fail", &spec.thresholds.migrate_p_fail, 0, 1);
  r.Double(n, p, "maintenance_p_fail", &spec.thresholds.maintenance_p_fail, 0, 1);
  r.Double(n, p, "scale_in_utilization", &spec.thresholds.scale_in_utilization, 0, 1);
  r.Duration(n, p, "stabilization_window", &spec.damping.stabilization_window_ms, 0);
  r.Duration(n, p, "cooldown", &spec.damping.cooldown_ms, 0);
  r.Int(n, p, "max_actions_per_interval", &spec.damping.max_actions_per_interval, 1, 1000000);
  r.Int(n, p, "max_concurrent_migrations", &spec.damping.max_concurrent_migrations, 0, 1000000);
  r.Int(n, p, "max_unavailable_per_zone", &spec.damping.max_unavailable_per_zone, 0, 1000000);
  r.Double(n, p, "hysteresis", &spec.damping.hysteresis, 0, 10);
  if (n["cpu_sizing"].IsDefined()) {
    const YAML::Node c = n["cpu_sizing"];
    if (auto q = policy::ParseCpuSizing(c.IsScalar() ? c.Scalar() : std::string())) {
      spec.cpu_sizing = *q;
    } else {
      r.Error(c, p + ".cpu_sizing", "must be peak or usage");
    }
  }
  auto flag = [&](const char* key, bool* out) {
    const YAML::Node b = n[key];
    if (!b.IsDefined()) return;
    if (b.IsScalar() && (b.Scalar() == "true" || b.Scalar() == "false")) {
      *out = b.Scalar() == "true";
    } else {
      r.Error(b, p + "." + key, "must be true or false");
    }
  };
  flag("allow_preemption", &spec.allow_preemption);
  flag("allow_migration", &spec.allow_migration);
  flag("allow_pool_changes", &spec.allow_pool_changes);
  if (n["data_protection"].IsDefined()) {
    // The policy file's own block and checks (policy/policy_yaml.h).
    for (const policy::PolicyIssue& i : policy::CheckDataProtectionYaml(
             n["data_protection"], p + ".data_protection", &spec.data_protection)) {
      r.Issue(i.line, i.path, i.message + (i.hint.empty() ? "" : " (hint: " + i.hint + ")"));
    }
  }
}

// yaml-cpp 0.7 keeps the first of duplicate keys silently: report them.
void FindDuplicateKeys(Reader& r, const YAML::Node& n, const std::string& path) {
  if (n.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      if (!seen.insert(key).second) r.Error(kv.first, Reader::Join(path, key), "duplicate key");
      FindDuplicateKeys(r, kv.second, Reader::Join(path, key));
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      FindDuplicateKeys(r, n[i], path + "[" + std::to_string(i) + "]");
    }
  }
}

}  // namespace

std::string_view FaultTypeName(FaultType t) { return kFaultNames[static_cast<std::size_t>(t)]; }

std::optional<FaultType> ParseFaultType(std::string_view name) {
  for (std::size_t i = 0; i < kFaultNames.size(); ++i) {
    if (kFaultNames[i] == name) return static_cast<FaultType>(i);
  }
  return std::nullopt;
}

std::string_view CpuQosName(CpuQos q) {
  return q == CpuQos::kBurstable ? "burstable" : "guaranteed";
}

std::optional<CpuQos> ParseCpuQos(std::string_view name) {
  if (name == "guaranteed") return CpuQos::kGuaranteed;
  if (name == "burstable") return CpuQos::kBurstable;
  return std::nullopt;
}

std::string_view PolicyKindName(PolicyKind p) { return kPolicyNames[static_cast<std::size_t>(p)]; }

std::optional<PolicyKind> ParsePolicyKind(std::string_view name) {
  for (std::size_t i = 0; i < kPolicyNames.size(); ++i) {
    if (kPolicyNames[i] == name) return static_cast<PolicyKind>(i);
  }
  return std::nullopt;
}

Result<Scenario> ParseScenario(std::string_view yaml, const std::string& file,
                               const std::vector<std::string>& base_dirs) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     file + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  std::vector<std::string> errors;
  Reader r(&errors);
  Scenario s;
  s.file = file;
  if (!root.IsMap()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     file + ": line 1: the scenario must be a mapping");
  }
  FindDuplicateKeys(r, root, "");
  r.CheckKeys(root, "",
              {"name", "seed", "duration", "warmup", "telemetry_step", "control_interval",
               "cluster", "workloads", "sla_tiers", "delays", "faults", "policy"});
  r.String(root, "", "name", &s.name);
  if (root["seed"].IsDefined()) {
    double v = 0;
    if (root["seed"].IsScalar() && Reader::ParseNumber(root["seed"].Scalar(), &v) && v >= 0 &&
        v == std::floor(v) && v < 9e15) {
      s.seed = static_cast<std::uint64_t>(v);
    } else {
      r.Error(root["seed"], "seed", "must be a non-negative integer");
    }
  }
  r.Duration(root, "", "duration", &s.duration_ms, kHourMs);
  r.Duration(root, "", "warmup", &s.warmup_ms, 0);
  r.Duration(root, "", "telemetry_step", &s.step_ms, kMinuteMs);
  r.Duration(root, "", "control_interval", &s.control_interval_ms, 15 * kSecondMs);
  if (s.step_ms % (15 * kSecondMs) != 0 || s.control_interval_ms % (15 * kSecondMs) != 0) {
    r.Error(root, "telemetry_step",
            "telemetry_step and control_interval must be multiples of 15 s");
  }
  if (root["cluster"].IsDefined()) {
    ParseCluster(r, root["cluster"], &s);
  } else {
    r.Error(root, "cluster", "missing");
  }
  if (root["workloads"].IsDefined()) {
    ParseWorkloads(r, root["workloads"], &s, base_dirs);
  } else {
    r.Error(root, "workloads", "missing");
  }
  if (root["sla_tiers"].IsDefined()) ParseTiers(r, root["sla_tiers"], &s);
  if (s.tiers.empty()) s.tiers.push_back(TierSpec{.name = "standard"});
  if (root["delays"].IsDefined()) {
    const YAML::Node d = root["delays"];
    if (r.Map(d, "delays")) {
      r.CheckKeys(d, "delays",
                  {"migration", "restart", "migration_failure_rate", "copy_bandwidth_mbit_s"});
      r.Duration(d, "delays", "migration", &s.migration_ms, kSecondMs);
      r.Duration(d, "delays", "restart", &s.restart_ms, 0);
      r.Double(d, "delays", "migration_failure_rate", &s.migration_failure_rate, 0, 1);
      r.Double(d, "delays", "copy_bandwidth_mbit_s", &s.copy_bandwidth_mbit_s, 1, 1e7);
    }
  }
  if (root["faults"].IsDefined()) ParseFaults(r, root["faults"], &s, base_dirs);
  if (root["policy"].IsDefined()) ParsePolicy(r, root["policy"], &s);
  // The planner's SLA tiers follow the scenario's.
  for (const TierSpec& t : s.tiers) {
    policy::SlaTier tier;
    tier.name = t.name;
    tier.demand_quantile = t.demand_quantile;
    tier.cpu_quantile = t.cpu_quantile;
    tier.target_utilization = t.target_utilization;
    tier.violation_cost_per_hour = t.violation_cost_per_hour;
    s.policy.tiers[t.name] = tier;
  }
  s.policy.Normalize();
  // The planner prices copies as the world charges them.
  s.policy.copy_gib_hour_price = s.disk_gib_hour_price;
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) {
      if (!all.empty()) all += '\n';
      all += file;
      all += ": ";
      all += e;
    }
    return MakeError(ErrorCode::kInvalidArgument, all);
  }
  if (s.name.empty()) s.name = std::filesystem::path(file).stem().string();
  return s;
}

Result<Scenario> LoadScenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kNotFound, "cannot read scenario " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> bases = {"."};
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = fs::absolute(fs::path(path), ec).parent_path();
  while (!dir.empty()) {
    bases.push_back(dir.string());
    if (dir == dir.root_path()) break;
    dir = dir.parent_path();
  }
  return ParseScenario(ss.str(), path, bases);
}

}  // namespace prognos::sim
