#include "api/control_routes.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "api/http_util.h"
#include "core/time.h"
#include "policy/audit_codec.h"
#include "policy/planner.h"

namespace prognos::api {
namespace {

using nlohmann::json;

constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 10000;

// Parses an optional non-negative integer query parameter; false (and a 400 sent) when invalid.
bool QueryCount(const httplib::Request& req, const char* name, std::size_t fallback,
                std::size_t max, std::size_t* out, httplib::Response& res) {
  *out = fallback;
  if (!req.has_param(name)) return true;
  const std::string v = req.get_param_value(name);
  std::size_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9' || n > max) {
      SendError(res, 400, "bad_parameter",
                std::string(name) + " must be an integer from 1 to " + std::to_string(max));
      return false;
    }
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  if (v.empty() || n == 0 || n > max) {
    SendError(res, 400, "bad_parameter",
              std::string(name) + " must be an integer from 1 to " + std::to_string(max));
    return false;
  }
  *out = n;
  return true;
}

json HostRiskJson(const policy::HostRisk& r, double p_within, const policy::ActionPlan& plan) {
  json j = policy::ToJson(r);
  j["p_fail_within"] = ValueJson(p_within);
  json actions = json::array();
  for (const auto& a : plan.actions) {
    if (a.host == r.host || a.target_host == r.host) actions.push_back(policy::ToJson(a));
  }
  for (const auto& a : plan.deferred) {
    if (a.host == r.host) actions.push_back(policy::ToJson(a));
  }
  j["recommended_actions"] = std::move(actions);
  return j;
}

void HandleDecisions(engine::Controller* c, const httplib::Request& req, httplib::Response& res) {
  std::size_t limit = 0;
  if (!QueryCount(req, "limit", kDefaultLimit, kMaxLimit, &limit, res)) return;
  TimestampMs since = INT64_MIN;
  if (req.has_param("since")) {
    auto t = ParseTimestamp(req.get_param_value("since"));
    if (!t) {
      SendError(res, 400, "bad_parameter", "since: " + t.error().message);
      return;
    }
    since = *t;
  }
  std::uint64_t after = 0;
  if (req.has_param("cursor")) {
    const std::string v = req.get_param_value("cursor");
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 19) {
      SendError(res, 400, "bad_cursor", "cursor must be a next_cursor value from a previous page");
      return;
    }
    after = std::stoull(v);
  }
  json items = json::array();
  json next = nullptr;
  if (c != nullptr) {
    // One more than the page: its presence says there is a next page.
    auto entries = c->Decisions(since, req.get_param_value("host"), req.get_param_value("workload"),
                                limit + 1, after);
    for (const auto& e : entries) {
      if (items.size() == limit) {
        next = std::to_string(items.back()["seq"].get<std::uint64_t>());
        break;
      }
      json j = policy::ToJson(e);
      j["explain"] = policy::Explain(e);
      items.push_back(std::move(j));
    }
  }
  SendJson(res, 200, {{"decisions", std::move(items)}, {"next_cursor", next}});
}

void HandleAllocations(engine::Controller* c, httplib::Response& res) {
  json hosts = json::array();
  json workloads = json::array();
  json pools = json::array();
  json pending = json::array();
  json deferred = json::array();
  json alerts = json::array();
  bool degraded = false;
  std::string manifest;
  if (c != nullptr) {
    const policy::Inventory inv = c->inventory();
    manifest = policy::CapacityManifest(inv, c->last_plan());
    for (const auto& h : inv.hosts) {
      const policy::ResourceVector used = inv.Allocated(h.id);
      hosts.push_back({{"id", h.id},
                       {"zone", h.zone},
                       {"pool", h.pool},
                       {"schedulable", h.schedulable},
                       {"capacity", policy::ToJson(h.capacity)},
                       {"allocated", policy::ToJson(used)},
                       {"free", policy::ToJson(h.capacity - used)},
                       {"cost_per_hour", h.cost_per_hour}});
    }
    for (const auto& w : inv.workloads) {
      json copies = json::array();
      for (const auto& c : w.data_copies) {
        copies.push_back({{"host", c.host}, {"in_sync", c.in_sync}});
      }
      workloads.push_back({{"id", w.id},
                           {"host", w.host.empty() ? json(nullptr) : json(w.host)},
                           {"request", policy::ToJson(w.request)},
                           {"replicas", w.replicas},
                           {"allocated", policy::ToJson(w.request.Scaled(w.replicas))},
                           {"priority", w.priority},
                           {"criticality", policy::CriticalityName(w.criticality)},
                           {"sla_tier", w.sla_tier},
                           {"preemptible", w.preemptible},
                           {"data_gib", w.data_gib},
                           {"data_copies", std::move(copies)}});
    }
    for (const auto& p : inv.pools) {
      pools.push_back({{"id", p.id},
                       {"zone", p.zone},
                       {"nodes", p.nodes},
                       {"min_nodes", p.min_nodes},
                       {"max_nodes", p.max_nodes},
                       {"node_capacity", policy::ToJson(p.node_capacity)},
                       {"node_cost_per_hour", p.node_cost_per_hour},
                       {"lead_time_ms", p.lead_time_ms}});
    }
    for (const auto& a : c->pending()) pending.push_back(policy::ToJson(a));
    const policy::ActionPlan plan = c->last_plan();
    for (const auto& a : plan.deferred) deferred.push_back(policy::ToJson(a));
    for (const auto& s : plan.alerts) alerts.push_back(s);
    degraded = plan.degraded;
  }
  SendJson(res, 200,
           {{"hosts", std::move(hosts)},
            {"workloads", std::move(workloads)},
            {"pools", std::move(pools)},
            {"pending", std::move(pending)},
            {"deferred", std::move(deferred)},
            {"degraded", degraded},
            {"alerts", std::move(alerts)},
            {"capacity_manifest", manifest}});
}

void HandleRisks(engine::Controller* c, const httplib::Request& req, httplib::Response& res) {
  std::size_t top = 0;
  if (!QueryCount(req, "top", kDefaultLimit, kMaxLimit, &top, res)) return;
  DurationMs within = 0;
  if (req.has_param("within")) {
    auto d = ParseDuration(req.get_param_value("within"));
    if (!d || *d <= 0) {
      SendError(res, 400, "bad_parameter",
                "within must be a positive duration such as 30m, 1h or 7d");
      return;
    }
    within = *d;
  }
  json items = json::array();
  if (c != nullptr) {
    auto risks = c->risks();
    const policy::ActionPlan plan = c->last_plan();
    std::vector<std::pair<double, const policy::HostRisk*>> ranked;
    for (const auto& r : risks) {
      double p = r.p_fail;
      // Another window than the model's horizon: constant hazard over the horizon,
      // P(within w) = 1 − (1 − p)^(w / H).
      if (within > 0 && r.horizon_ms > 0 && p < 1.0) {
        p = 1.0 -
            std::pow(1.0 - p, static_cast<double>(within) / static_cast<double>(r.horizon_ms));
      }
      ranked.emplace_back(p, &r);
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [p, r] : ranked) {
      if (items.size() == top) break;
      items.push_back(HostRiskJson(*r, p, plan));
    }
  }
  SendJson(res, 200, {{"risks", std::move(items)}});
}

void HandleAlerts(engine::Controller* c, httplib::Response& res) {
  json items = json::array();
  if (c != nullptr) {
    for (const auto& r : c->risks()) {
      if (r.tier == policy::AlertTier::kNone) continue;
      items.push_back({{"tier", policy::AlertTierName(r.tier)},
                       {"host", r.host},
                       {"component", r.component},
                       {"p_fail", ValueJson(r.p_fail)},
                       {"health", ValueJson(r.health)},
                       {"root_cause", r.root_cause},
                       {"model", r.model}});
    }
    for (const auto& s : c->last_plan().alerts) {
      const bool critical = s.rfind("critical", 0) == 0;
      items.push_back({{"tier", critical ? "critical" : "warning"}, {"message", s}});
    }
    std::stable_sort(items.begin(), items.end(), [](const json& a, const json& b) {
      auto rank = [](const json& x) {
        const std::string t = x["tier"];
        return t == "critical" ? 0 : t == "warning" ? 1 : 2;
      };
      return rank(a) < rank(b);
    });
  }
  SendJson(res, 200, {{"alerts", std::move(items)}});
}

json PreferenceJson(const policy::Preference& p) {
  json j{{"workload", p.workload},
         {"prefer_migration", p.prefer_migration},
         {"pin_zone", p.pin_zone},
         {"forbid_preemption", p.forbid_preemption}};
  j["headroom"] = p.headroom ? json(*p.headroom) : json(nullptr);
  return j;
}

void HandlePutPreferences(engine::Controller* c, const Clock& clock, const httplib::Request& req,
                          httplib::Response& res) {
  if (c == nullptr) {
    SendError(res, 503, "not_configured", "no planner is configured on this daemon");
    return;
  }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    SendError(res, 400, "bad_json",
              R"(body must be a JSON object such as {"workload": "web-1", "pin_zone": "a"})");
    return;
  }
  policy::Preference p;
  static const std::map<std::string, json::value_t> kFields = {
      {"workload", json::value_t::string},
      {"prefer_migration", json::value_t::boolean},
      {"pin_zone", json::value_t::string},
      {"forbid_preemption", json::value_t::boolean},
      {"headroom", json::value_t::number_float}};
  for (const auto& [key, value] : body.items()) {
    auto f = kFields.find(key);
    if (f == kFields.end()) {
      SendError(res, 400, "invalid_field",
                "unknown field '" + key +
                    "' (expected workload, prefer_migration, pin_zone, forbid_preemption, "
                    "headroom)");
      return;
    }
    const bool number_ok = f->second == json::value_t::number_float && value.is_number();
    if (!number_ok && value.type() != f->second && !value.is_null()) {
      SendError(res, 400, "invalid_field", "field '" + key + "' has the wrong type");
      return;
    }
  }
  p.workload = body.value("workload", "");
  p.prefer_migration = body.value("prefer_migration", false);
  p.pin_zone = body.value("pin_zone", "");
  p.forbid_preemption = body.value("forbid_preemption", false);
  if (body.contains("headroom") && !body["headroom"].is_null()) {
    const double h = body["headroom"].get<double>();
    if (!std::isfinite(h) || h < 0 || h > 10) {
      SendError(res, 400, "invalid_field", "headroom must be a fraction from 0 to 10");
      return;
    }
    p.headroom = h;
  }
  auto ok = c->SetPreference(p, clock.NowMs());
  if (!ok) {
    SendError(res, 422, "rejected", ok.error().message);
    return;
  }
  json list = json::array();
  for (const auto& q : c->preferences()) list.push_back(PreferenceJson(q));
  SendJson(res, 200, {{"preferences", std::move(list)}});
}

}  // namespace

void RegisterControlRoutes(httplib::Server& server, engine::Controller* controller,
                           const Clock& clock) {
  server.Get("/v1/decisions", [controller](const httplib::Request& req, httplib::Response& res) {
    HandleDecisions(controller, req, res);
  });
  server.Get("/v1/allocations", [controller](const httplib::Request&, httplib::Response& res) {
    HandleAllocations(controller, res);
  });
  server.Get("/v1/risks", [controller](const httplib::Request& req, httplib::Response& res) {
    HandleRisks(controller, req, res);
  });
  server.Get("/v1/alerts", [controller](const httplib::Request&, httplib::Response& res) {
    HandleAlerts(controller, res);
  });
  server.Get("/v1/preferences", [controller](const httplib::Request&, httplib::Response& res) {
    json list = json::array();
    if (controller != nullptr) {
      for (const auto& q : controller->preferences()) list.push_back(PreferenceJson(q));
    }
    SendJson(res, 200, {{"preferences", std::move(list)}});
  });
  server.Put("/v1/preferences",
             [controller, &clock](const httplib::Request& req, httplib::Response& res) {
               HandlePutPreferences(controller, clock, req, res);
             });
}

}  // namespace prognos::api
