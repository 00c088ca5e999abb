#include "policy/audit_codec.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <utility>

namespace prognos::policy {
namespace {

using nlohmann::json;

json Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return v;
}

// Reads typed fields of one JSON object; the first problem latches and names its field path.
class Reader {
 public:
  Reader(const json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) Fail(path_, "not an object");
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  tl::unexpected<Error> Err() const { return MakeError(ErrorCode::kInvalidArgument, error_); }

  // The field, or nullptr when absent, null, or the reader already failed.
  const json* Get(const char* key) {
    if (!ok()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::string Path(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  void Fail(const std::string& field, const std::string& why) {
    if (ok()) error_ = (field.empty() ? std::string("entry") : field) + ": " + why;
  }
  void Adopt(const Error& e) {
    if (ok()) error_ = e.message;
  }

  void Str(const char* key, std::string* out) {
    const json* v = Get(key);
    if (v == nullptr) return;
    if (!v->is_string()) return Fail(Path(key), "expected a string");
    *out = v->get_ref<const std::string&>();
  }
  void Bool(const char* key, bool* out) {
    const json* v = Get(key);
    if (v == nullptr) return;
    if (!v->is_boolean()) return Fail(Path(key), "expected true or false");
    *out = v->get<bool>();
  }
  void Int(const char* key, std::int64_t* out) {
    const json* v = Get(key);
    if (v == nullptr) return;
    if (auto x = AsInt(*v)) {
      *out = *x;
    } else {
      Fail(Path(key), "expected an integer");
    }
  }
  void Int32(const char* key, int* out) {
    std::int64_t x = *out;
    Int(key, &x);
    if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max()) {
      return Fail(Path(key), "out of range");
    }
    *out = static_cast<int>(x);
  }
  void Uint(const char* key, std::uint64_t* out) {
    const json* v = Get(key);
    if (v == nullptr) return;
    if (v->is_number_unsigned()) {
      *out = v->get<std::uint64_t>();
    } else if (v->is_number_integer() && v->get<std::int64_t>() >= 0) {
      *out = static_cast<std::uint64_t>(v->get<std::int64_t>());
    } else {
      Fail(Path(key), "expected a non-negative integer");
    }
  }
  void Num(const char* key, double* out) {
    const json* v = Get(key);
    if (v == nullptr) return;
    if (auto x = AsNumber(*v)) {
      *out = *x;
    } else {
      Fail(Path(key), R"(expected a number (or "NaN", "+Inf", "-Inf"))");
    }
  }
  void Rv(const char* key, ResourceVector* out) {
    const json* v = Get(key);
    if (v == nullptr) return;
    ReadRv(*v, Path(key), out);
  }
  void ReadRv(const json& v, const std::string& path, ResourceVector* out) {
    if (!v.is_object()) return Fail(path, "expected an object of resources");
    for (auto it = v.begin(); it != v.end(); ++it) {
      auto r = ParseResource(it.key());
      if (!r) return Fail(path, "unknown resource '" + it.key() + "'");
      auto x = AsNumber(it.value());
      if (!x) return Fail(path + "." + it.key(), "expected a number");
      (*out)[*r] = *x;
    }
  }
  template <typename E>
  void Enum(const char* key, std::optional<E> (*parse)(std::string_view), E* out) {
    const json* v = Get(key);
    if (v == nullptr) return;
    if (!v->is_string()) return Fail(Path(key), "expected a string");
    auto e = parse(v->get_ref<const std::string&>());
    if (!e) return Fail(Path(key), "unknown value '" + v->get<std::string>() + "'");
    *out = *e;
  }
  // The array at key (nullptr when absent); not an array fails.
  const json* Array(const char* key) {
    const json* v = Get(key);
    if (v == nullptr) return nullptr;
    if (!v->is_array()) {
      Fail(Path(key), "expected an array");
      return nullptr;
    }
    return v;
  }

  static std::optional<std::int64_t> AsInt(const json& v) {
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
      }
      return static_cast<std::int64_t>(u);
    }
    if (v.is_number_integer()) return v.get<std::int64_t>();
    return std::nullopt;
  }
  static std::optional<double> AsNumber(const json& v) {
    if (v.is_number()) return v.get<double>();
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
      if (s == "+Inf") return std::numeric_limits<double>::infinity();
      if (s == "-Inf") return -std::numeric_limits<double>::infinity();
    }
    return std::nullopt;
  }

 private:
  const json& j_;
  std::string path_;
  std::string error_;
};

std::optional<AlertTier> ParseAlertTier(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    const auto t = static_cast<AlertTier>(i);
    if (AlertTierName(t) == name) return t;
  }
  return std::nullopt;
}

std::optional<Outcome> ParseOutcome(std::string_view name) {
  for (int i = 0; i < 7; ++i) {
    const auto o = static_cast<Outcome>(i);
    if (OutcomeName(o) == name) return o;
  }
  return std::nullopt;
}

std::string Fmt(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// "1h", "90s", "1500ms": the largest unit that divides the duration.
std::string FmtDuration(DurationMs ms) {
  if (ms != 0 && ms % kDayMs == 0) return std::to_string(ms / kDayMs) + "d";
  if (ms != 0 && ms % kHourMs == 0) return std::to_string(ms / kHourMs) + "h";
  if (ms != 0 && ms % kMinuteMs == 0) return std::to_string(ms / kMinuteMs) + "m";
  if (ms != 0 && ms % kSecondMs == 0) return std::to_string(ms / kSecondMs) + "s";
  return std::to_string(ms) + "ms";
}

bool IsLever(ActionType t) {
  return t == ActionType::kSetCpuShares || t == ActionType::kSetMemoryLimit ||
         t == ActionType::kReserveBandwidth || t == ActionType::kSetIoPriority ||
         t == ActionType::kRequestResource || t == ActionType::kThrottle;
}

template <typename T, typename F>
json ArrayOf(const std::vector<T>& items, F&& f) {
  json a = json::array();
  for (const T& x : items) a.push_back(f(x));
  return a;
}

}  // namespace

// ---- ToJson ----

json ToJson(const ResourceVector& v) {
  json j = json::object();
  for (std::size_t i = 0; i < kResourceCount; ++i) {
    j[std::string(ResourceName(static_cast<Resource>(i)))] = Number(v.v[i]);
  }
  return j;
}

json ToJson(const Action& a) {
  json rejected = json::array();
  for (const Rejected& r : a.rejected)
    rejected.push_back({{"option", r.option}, {"reason", r.reason}});
  return json{{"id", a.id},
              {"type", ActionTypeName(a.type)},
              {"workload", a.workload},
              {"host", a.host},
              {"target_host", a.target_host},
              {"pool", a.pool},
              {"customer", a.customer},
              {"resource", ResourceName(a.resource)},
              {"before", ToJson(a.before)},
              {"after", ToJson(a.after)},
              {"replicas_before", a.replicas_before},
              {"replicas_after", a.replicas_after},
              {"nodes_before", a.nodes_before},
              {"nodes_after", a.nodes_after},
              {"amount", Number(a.amount)},
              {"not_before", a.not_before},
              {"rule", a.rule},
              {"reason", a.reason},
              {"rejected", std::move(rejected)},
              {"expected_cost_per_hour", Number(a.expected_cost_per_hour)},
              {"expected_risk", Number(a.expected_risk)},
              {"confidence", Number(a.confidence)},
              {"precondition", a.precondition},
              {"expected_effect", a.expected_effect},
              {"verify_window_ms", a.verify_window_ms},
              {"shadow", a.shadow}};
}

json ToJson(const ActionPlan& p) {
  json alerts = json::array();
  for (const std::string& s : p.alerts) alerts.push_back(s);
  return json{{"t", p.t},
              {"actions", ArrayOf(p.actions, [](const Action& a) { return ToJson(a); })},
              {"deferred", ArrayOf(p.deferred, [](const Action& a) { return ToJson(a); })},
              {"degraded", p.degraded},
              {"alerts", std::move(alerts)}};
}

json ToJson(const ActionOutcome& o) {
  return json{{"action_id", o.action_id},
              {"type", ActionTypeName(o.type)},
              {"workload", o.workload},
              {"outcome", OutcomeName(o.outcome)},
              {"t", o.t},
              {"detail", o.detail},
              {"observed_utilization", Number(o.observed_utilization)}};
}

json ToJson(const WorkloadDemand& d) {
  json levels = json::array();
  for (double l : d.levels) levels.push_back(Number(l));
  return json{
      {"workload", d.workload},
      {"observed", ToJson(d.observed)},
      {"levels", std::move(levels)},
      {"quantiles", ArrayOf(d.quantiles, [](const ResourceVector& v) { return ToJson(v); })},
      {"usage_quantiles",
       ArrayOf(d.usage_quantiles, [](const ResourceVector& v) { return ToJson(v); })},
      {"model", d.model}};
}

json ToJson(const HostRisk& r) {
  json ttf = nullptr;
  if (r.time_to_failure_ms) ttf = *r.time_to_failure_ms;
  return json{{"host", r.host},
              {"component", r.component},
              {"p_fail", Number(r.p_fail)},
              {"horizon_ms", r.horizon_ms},
              {"time_to_failure_ms", std::move(ttf)},
              {"health", Number(r.health)},
              {"tier", AlertTierName(r.tier)},
              {"root_cause", r.root_cause},
              {"entropy", Number(r.entropy)},
              {"entropy_forecast", Number(r.entropy_forecast)},
              {"entropy_drivers", ToJson(r.entropy_drivers)},
              {"entropy_uplift", ToJson(r.entropy_uplift)},
              {"dependency_risk", Number(r.dependency_risk)},
              {"dependency_cause", r.dependency_cause},
              {"model", r.model}};
}

json ToJson(const AuditEntry& e) {
  return json{{"seq", e.seq},
              {"t", e.t},
              {"kind", e.kind},
              {"action", e.action ? ToJson(*e.action) : json(nullptr)},
              {"outcome", e.outcome ? ToJson(*e.outcome) : json(nullptr)},
              {"demand", ArrayOf(e.demand, [](const WorkloadDemand& d) { return ToJson(d); })},
              {"risks", ArrayOf(e.risks, [](const HostRisk& r) { return ToJson(r); })},
              {"message", e.message}};
}

// ---- FromJson ----

namespace {

Result<Action> ActionAt(const json& j, const std::string& path) {
  Reader r(j, path);
  Action a;
  r.Uint("id", &a.id);
  r.Enum("type", &ParseActionType, &a.type);
  r.Str("workload", &a.workload);
  r.Str("host", &a.host);
  r.Str("target_host", &a.target_host);
  r.Str("pool", &a.pool);
  r.Str("customer", &a.customer);
  r.Enum("resource", &ParseResource, &a.resource);
  r.Rv("before", &a.before);
  r.Rv("after", &a.after);
  r.Int32("replicas_before", &a.replicas_before);
  r.Int32("replicas_after", &a.replicas_after);
  r.Int32("nodes_before", &a.nodes_before);
  r.Int32("nodes_after", &a.nodes_after);
  r.Num("amount", &a.amount);
  r.Int("not_before", &a.not_before);
  r.Str("rule", &a.rule);
  r.Str("reason", &a.reason);
  if (const json* rej = r.Array("rejected")) {
    for (std::size_t i = 0; i < rej->size() && r.ok(); ++i) {
      Reader rr((*rej)[i], r.Path("rejected") + "[" + std::to_string(i) + "]");
      Rejected x;
      rr.Str("option", &x.option);
      rr.Str("reason", &x.reason);
      if (!rr.ok()) return rr.Err();
      a.rejected.push_back(std::move(x));
    }
  }
  r.Num("expected_cost_per_hour", &a.expected_cost_per_hour);
  r.Num("expected_risk", &a.expected_risk);
  r.Num("confidence", &a.confidence);
  r.Str("precondition", &a.precondition);
  r.Str("expected_effect", &a.expected_effect);
  r.Int("verify_window_ms", &a.verify_window_ms);
  r.Bool("shadow", &a.shadow);
  if (!r.ok()) return r.Err();
  return a;
}

Result<ActionOutcome> OutcomeAt(const json& j, const std::string& path) {
  Reader r(j, path);
  ActionOutcome o;
  r.Uint("action_id", &o.action_id);
  r.Enum("type", &ParseActionType, &o.type);
  r.Str("workload", &o.workload);
  r.Enum("outcome", &ParseOutcome, &o.outcome);
  r.Int("t", &o.t);
  r.Str("detail", &o.detail);
  r.Num("observed_utilization", &o.observed_utilization);
  if (!r.ok()) return r.Err();
  return o;
}

Result<WorkloadDemand> DemandAt(const json& j, const std::string& path) {
  Reader r(j, path);
  WorkloadDemand d;
  r.Str("workload", &d.workload);
  r.Rv("observed", &d.observed);
  if (const json* levels = r.Array("levels")) {
    for (std::size_t i = 0; i < levels->size(); ++i) {
      auto x = Reader::AsNumber((*levels)[i]);
      if (!x) {
        r.Fail(r.Path("levels") + "[" + std::to_string(i) + "]", "expected a number");
        break;
      }
      d.levels.push_back(*x);
    }
  }
  if (const json* qs = r.Array("quantiles")) {
    for (std::size_t i = 0; i < qs->size() && r.ok(); ++i) {
      ResourceVector v;
      r.ReadRv((*qs)[i], r.Path("quantiles") + "[" + std::to_string(i) + "]", &v);
      d.quantiles.push_back(v);
    }
  }
  // Absent in entries written before cpu_sizing existed.
  if (const json* qs = r.Array("usage_quantiles")) {
    for (std::size_t i = 0; i < qs->size() && r.ok(); ++i) {
      ResourceVector v;
      r.ReadRv((*qs)[i], r.Path("usage_quantiles") + "[" + std::to_string(i) + "]", &v);
      d.usage_quantiles.push_back(v);
    }
  }
  r.Str("model", &d.model);
  if (!r.ok()) return r.Err();
  return d;
}

Result<HostRisk> RiskAt(const json& j, const std::string& path) {
  Reader r(j, path);
  HostRisk h;
  r.Str("host", &h.host);
  r.Str("component", &h.component);
  r.Num("p_fail", &h.p_fail);
  r.Int("horizon_ms", &h.horizon_ms);
  if (r.Get("time_to_failure_ms") != nullptr) {
    std::int64_t ttf = 0;
    r.Int("time_to_failure_ms", &ttf);
    h.time_to_failure_ms = ttf;
  }
  r.Num("health", &h.health);
  r.Enum("tier", &ParseAlertTier, &h.tier);
  r.Str("root_cause", &h.root_cause);
  r.Num("entropy", &h.entropy);
  r.Num("entropy_forecast", &h.entropy_forecast);
  r.Rv("entropy_drivers", &h.entropy_drivers);
  r.Rv("entropy_uplift", &h.entropy_uplift);  // these three are absent in older entries
  r.Num("dependency_risk", &h.dependency_risk);
  r.Str("dependency_cause", &h.dependency_cause);
  r.Str("model", &h.model);
  if (!r.ok()) return r.Err();
  return h;
}

}  // namespace

Result<Action> ActionFromJson(const json& j) { return ActionAt(j, ""); }
Result<ActionOutcome> ActionOutcomeFromJson(const json& j) { return OutcomeAt(j, ""); }
Result<WorkloadDemand> WorkloadDemandFromJson(const json& j) { return DemandAt(j, ""); }
Result<HostRisk> HostRiskFromJson(const json& j) { return RiskAt(j, ""); }

Result<AuditEntry> AuditEntryFromJson(const json& j) {
  Reader r(j, "");
  AuditEntry e;
  r.Uint("seq", &e.seq);
  r.Int("t", &e.t);
  if (r.ok() && r.Get("kind") == nullptr) r.Fail("kind", "missing");
  r.Str("kind", &e.kind);
  if (const json* a = r.Get("action")) {
    auto action = ActionAt(*a, "action");
    if (!action) return tl::unexpected(action.error());
    e.action = std::move(*action);
  }
  if (const json* o = r.Get("outcome")) {
    auto outcome = OutcomeAt(*o, "outcome");
    if (!outcome) return tl::unexpected(outcome.error());
    e.outcome = std::move(*outcome);
  }
  if (const json* demand = r.Array("demand")) {
    for (std::size_t i = 0; i < demand->size(); ++i) {
      auto d = DemandAt((*demand)[i], "demand[" + std::to_string(i) + "]");
      if (!d) return tl::unexpected(d.error());
      e.demand.push_back(std::move(*d));
    }
  }
  if (const json* risks = r.Array("risks")) {
    for (std::size_t i = 0; i < risks->size(); ++i) {
      auto h = RiskAt((*risks)[i], "risks[" + std::to_string(i) + "]");
      if (!h) return tl::unexpected(h.error());
      e.risks.push_back(std::move(*h));
    }
  }
  r.Str("message", &e.message);
  if (!r.ok()) return r.Err();
  return e;
}

std::string EncodeAuditEntry(const AuditEntry& e) {
  json j = ToJson(e);
  j["v"] = kAuditEntryVersion;
  // `replace`: a stray invalid UTF-8 byte in a free-text field becomes U+FFFD instead of throwing.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<AuditEntry> DecodeAuditEntry(std::string_view bytes) {
  try {
    const json j = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return MakeError(ErrorCode::kCorruption, "audit entry: malformed JSON");
    if (!j.is_object()) return MakeError(ErrorCode::kInvalidArgument, "audit entry: not an object");
    auto v = j.find("v");
    if (v == j.end()) return MakeError(ErrorCode::kInvalidArgument, "audit entry: no \"v\"");
    if (!v->is_number_integer() || v->get<std::int64_t>() != kAuditEntryVersion) {
      return MakeError(ErrorCode::kInvalidArgument, "audit entry: unknown version " + v->dump() +
                                                        " (this build reads " +
                                                        std::to_string(kAuditEntryVersion) + ")");
    }
    return AuditEntryFromJson(j);
  } catch (const std::exception& ex) {
    // Not expected (every access is type-checked), but no exception leaves the codec.
    return MakeError(ErrorCode::kInvalidArgument, std::string("audit entry: ") + ex.what());
  }
}

// ---- Entries ----

AuditEntry DecisionEntry(const Action& a, const PlannerInput& input) {
  AuditEntry e;
  e.t = input.now;
  e.kind = "decision";
  e.action = a;
  for (const HostRisk& r : input.risks) {
    if (!r.host.empty() && (r.host == a.host || r.host == a.target_host)) e.risks.push_back(r);
  }
  for (const WorkloadDemand& d : input.demand) {
    if (!d.workload.empty() && d.workload == a.workload) e.demand.push_back(d);
  }
  return e;
}

AuditEntry OutcomeEntry(const ActionOutcome& o) {
  AuditEntry e;
  e.t = o.t;
  e.kind = "outcome";
  e.outcome = o;
  return e;
}

// ---- Explain ----

std::string Summary(const Action& a) {
  std::string s(ActionTypeName(a.type));
  auto add = [&s](const std::string& part) {
    s += ' ';
    s += part;
  };
  if (!a.workload.empty()) add(a.workload);
  if (!a.host.empty())
    add(a.workload.empty() || a.type == ActionType::kMigrate ? a.host : "on " + a.host);
  if (!a.target_host.empty()) add("→ " + a.target_host);
  if (!a.pool.empty()) add("pool " + a.pool);
  if (!a.customer.empty()) add("customer " + a.customer);
  if (a.replicas_before != a.replicas_after) {
    add("replicas " + std::to_string(a.replicas_before) + " → " + std::to_string(a.replicas_after));
  }
  if (a.nodes_before != a.nodes_after) {
    add("nodes " + std::to_string(a.nodes_before) + " → " + std::to_string(a.nodes_after));
  }
  for (std::size_t i = 0; i < kResourceCount; ++i) {
    if (a.before.v[i] != a.after.v[i]) {
      add(std::string(ResourceName(static_cast<Resource>(i))) + " " + Fmt(a.before.v[i]) + " → " +
          Fmt(a.after.v[i]));
    }
  }
  if (a.type == ActionType::kReplicate) {
    add(a.amount > 0 ? "copy " + Fmt(a.amount) + " GiB" : "drop copy");
  }
  if (IsLever(a.type) && a.amount != 0) {
    add(std::string(ResourceName(a.resource)) + " " + Fmt(a.amount));
  }
  if (a.not_before != 0) add("at " + FormatTimestamp(a.not_before));
  return s;
}

std::string Explain(const AuditEntry& e) {
  if (e.outcome) {
    const ActionOutcome& o = *e.outcome;
    std::string s = "#" + std::to_string(o.action_id) + " " + std::string(ActionTypeName(o.type));
    if (!o.workload.empty()) s += " " + o.workload;
    s += ": ";
    s += OutcomeName(o.outcome);
    if (!o.detail.empty()) s += " (" + o.detail + ")";
    return s;
  }
  if (!e.action) return e.kind + ": " + e.message;

  const Action& a = *e.action;
  std::string s = Summary(a);
  std::string why = a.rule;
  if (!a.reason.empty()) why += (why.empty() ? "" : ": ") + a.reason;
  // At most three rejected alternatives inline; the audit entry keeps them all.
  constexpr std::size_t kMaxRejected = 3;
  for (std::size_t i = 0; i < a.rejected.size() && i < kMaxRejected; ++i) {
    why += (why.empty() ? "rejected " : "; rejected ") + a.rejected[i].option;
    if (!a.rejected[i].reason.empty()) why += ": " + a.rejected[i].reason;
  }
  if (a.rejected.size() > kMaxRejected) {
    why += " (+" + std::to_string(a.rejected.size() - kMaxRejected) + " more)";
  }
  if (!why.empty()) s += " (" + why + ")";
  if (a.shadow) s += " [shadow]";

  // Second line: the inputs the decision used, at most three of them.
  std::string inputs;
  std::size_t shown = 0;
  for (const HostRisk& r : e.risks) {
    if (shown++ == kMaxRejected) break;
    if (!inputs.empty()) inputs += "; ";
    inputs += r.host + (r.component.empty() ? "" : "/" + r.component) + " p_fail " + Fmt(r.p_fail);
    if (r.horizon_ms > 0) inputs += " within " + FmtDuration(r.horizon_ms);
    if (!r.model.empty()) inputs += " (" + r.model + ")";
  }
  for (const WorkloadDemand& d : e.demand) {
    if (shown++ >= kMaxRejected) break;
    if (!inputs.empty()) inputs += "; ";
    inputs += d.workload + " demand";
    if (!d.levels.empty() && d.levels.size() == d.quantiles.size()) {
      inputs += " p" + Fmt(d.levels.back() * 100) + " cpu " +
                Fmt(d.quantiles.back()[Resource::kCpu]) + " memory " +
                Fmt(d.quantiles.back()[Resource::kMemory]);
    } else {
      inputs += " observed cpu " + Fmt(d.observed[Resource::kCpu]);
    }
    if (!d.model.empty()) inputs += " (" + d.model + ")";
  }
  if (!inputs.empty()) s += "\n  inputs: " + inputs;
  return s;
}

}  // namespace prognos::policy
