#include "policy/policy_yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "core/time.h"
#include "policy/yaml_keys.h"

namespace prognos::policy {

std::string PolicyIssue::ToString() const {
  std::string out = source;
  if (source.empty()) {
    if (line > 0) out += "line " + std::to_string(line) + ": ";
  } else {
    if (line > 0) out += ":" + std::to_string(line);
    out += ": ";
  }
  if (!path.empty()) out += path + ": ";
  out += message;
  if (!hint.empty()) out += " (hint: " + hint + ")";
  return out;
}

namespace {

int LineOf(const YAML::Node& node) { return YamlLine(node); }

std::string JoinQuoted(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    if (!out.empty()) out += ", ";
    out += "'" + s + "'";
  }
  return out;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.15g", v);
  return buf;
}

using Handler = std::function<void(const YAML::Node& value, const std::string& path, int line)>;

class Walker {
 public:
  Walker(std::string source, std::vector<PolicyIssue>* issues)
      : source_(std::move(source)), issues_(issues) {}

  void Issue(int line, std::string path, std::string message, std::string hint) {
    issues_->push_back(
        PolicyIssue{source_, line, std::move(path), std::move(message), std::move(hint)});
  }

  // A mapping: duplicate and unknown keys are issues; known keys go to their handler.
  void Map(const YAML::Node& node, const std::string& path,
           const std::vector<std::pair<std::string, Handler>>& handlers) {
    if (!node.IsMap()) {
      Issue(LineOf(node), path, "expected a mapping of keys", "write 'key: value' lines below it");
      return;
    }
    std::vector<std::string> known;
    known.reserve(handlers.size());
    for (const auto& h : handlers) known.push_back(h.first);
    ForEachYamlKey(
        node, path,
        [this](int line, const std::string& p, std::string message, std::string hint) {
          Issue(line, p, std::move(message), std::move(hint));
        },
        [&](const std::string& key, const std::string& field, int line, const YAML::Node& value) {
          auto h = std::find_if(handlers.begin(), handlers.end(),
                                [&](const auto& p) { return p.first == key; });
          if (h == handlers.end()) {
            Issue(line, field,
                  "unknown key '" + key + "'" +
                      (path.empty() ? " at the top level" : " in '" + path + "'"),
                  "known keys" + (path.empty() ? std::string() : " of '" + path + "'") + ": " +
                      JoinQuoted(known));
            return;
          }
          h->second(value, field, line);
        });
  }

  std::optional<double> Number(const YAML::Node& v, const std::string& path, int line) {
    if (!v.IsScalar()) {
      Issue(LineOf(v) > 0 ? LineOf(v) : line, path, "expected a number", "e.g. '0.9'");
      return std::nullopt;
    }
    const std::string& s = v.Scalar();
    errno = 0;
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || errno != 0 || !std::isfinite(d)) {
      Issue(LineOf(v), path, "'" + s + "' is not a finite number", "e.g. '0.9' or '16'");
      return std::nullopt;
    }
    return d;
  }

  void Real(const YAML::Node& v, const std::string& path, int line, double* out, double lo,
            double hi, bool lo_open = false) {
    auto d = Number(v, path, line);
    if (!d) return;
    if (*d < lo || *d > hi || (lo_open && *d <= lo)) {
      Issue(LineOf(v), path,
            Num(*d) + " is outside " + (lo_open ? "(" : "[") + Num(lo) + ", " +
                (std::isinf(hi) ? "inf)" : Num(hi) + "]"),
            "use a value in that range");
      return;
    }
    *out = *d;
  }

  void Int(const YAML::Node& v, const std::string& path, int line, int* out, int lo) {
    auto d = Number(v, path, line);
    if (!d) return;
    if (*d != std::floor(*d) || *d < lo || *d > 1e9) {
      Issue(LineOf(v), path, Num(*d) + " is not a whole number >= " + std::to_string(lo),
            "e.g. '" + std::to_string(std::max(lo, 1)) + "'");
      return;
    }
    *out = static_cast<int>(*d);
  }

  void Bool(const YAML::Node& v, const std::string& path, int line, bool* out) {
    const std::string s = v.IsScalar() ? v.Scalar() : std::string();
    if (s == "true" || s == "yes" || s == "on") {
      *out = true;
    } else if (s == "false" || s == "no" || s == "off") {
      *out = false;
    } else {
      Issue(LineOf(v) > 0 ? LineOf(v) : line, path, "expected true or false, got '" + s + "'",
            "write 'true' or 'false'");
    }
  }

  void Text(const YAML::Node& v, const std::string& path, int line, std::string* out) {
    if (!v.IsScalar()) {
      Issue(LineOf(v) > 0 ? LineOf(v) : line, path, "expected a plain string",
            "write the value on the same line");
      return;
    }
    *out = v.Scalar();
  }

  void Duration(const YAML::Node& v, const std::string& path, int line, DurationMs* out) {
    if (!v.IsScalar()) {
      Issue(LineOf(v) > 0 ? LineOf(v) : line, path, "expected a duration", "e.g. '5m', '30s'");
      return;
    }
    auto d = ParseDuration(v.Scalar());
    if (!d || *d < 0) {
      Issue(LineOf(v), path, "'" + v.Scalar() + "' is not a duration",
            "a number with a unit: 500ms, 30s, 5m, 1h, 2d");
      return;
    }
    *out = *d;
  }

  void Resources(const YAML::Node& v, const std::string& path, ResourceVector* out) {
    std::vector<std::pair<std::string, Handler>> h;
    for (std::size_t r = 0; r < kResourceCount; ++r) {
      h.emplace_back(std::string(ResourceName(static_cast<Resource>(r))),
                     [this, out, r](const YAML::Node& n, const std::string& p, int l) {
                       Real(n, p, l, &out->v[r], 0, INFINITY);
                     });
    }
    Map(v, path, h);
  }

  template <typename T>
  void List(const YAML::Node& v, const std::string& path, const char* what, std::vector<T>* out,
            std::vector<int>* lines,
            const std::function<void(const YAML::Node&, const std::string&, T*)>& item) {
    if (!v.IsSequence()) {
      Issue(LineOf(v), path, std::string("expected a list of ") + what,
            "start each item with '- id: …'");
      return;
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
      const YAML::Node n = v[i];
      std::string ipath = path + "[" + std::to_string(i) + "]";
      if (n.IsMap() && n["id"] && n["id"].IsScalar()) ipath = path + "[" + n["id"].Scalar() + "]";
      T t;
      item(n, ipath, &t);
      out->push_back(std::move(t));
      lines->push_back(LineOf(n));
    }
  }

  void Walk(const YAML::Node& root, PolicyDocument* doc) {
    doc->spec.Normalize();
    if (root.IsNull() || !root.IsDefined()) return;
    PolicySpec& spec = doc->spec;
    Inventory& inv = doc->inventory;
    Map(root, "",
        {
            {"policy",
             [&](const YAML::Node& v, const std::string& p, int) { Policy(v, p, &spec); }},
            {"tiers", [&](const YAML::Node& v, const std::string& p, int) { Tiers(v, p, &spec); }},
            {"zones", [&](const YAML::Node& v, const std::string& p, int) { Zones(v, p, &inv); }},
            {"hosts",
             [&](const YAML::Node& v, const std::string& p, int) {
               List<Host>(v, p, "hosts", &inv.hosts, &host_lines_,
                          [&](const YAML::Node& n, const std::string& ip, Host* h) {
                            HostItem(n, ip, h);
                          });
             }},
            {"pools",
             [&](const YAML::Node& v, const std::string& p, int) {
               List<Pool>(v, p, "pools", &inv.pools, &pool_lines_,
                          [&](const YAML::Node& n, const std::string& ip, Pool* x) {
                            PoolItem(n, ip, x);
                          });
             }},
            {"workloads",
             [&](const YAML::Node& v, const std::string& p, int) {
               List<Workload>(v, p, "workloads", &inv.workloads, &workload_lines_,
                              [&](const YAML::Node& n, const std::string& ip, Workload* w) {
                                WorkloadItem(n, ip, w);
                              });
             }},
            {"customers",
             [&](const YAML::Node& v, const std::string& p, int) {
               List<Customer>(v, p, "customers", &inv.customers, &customer_lines_,
                              [&](const YAML::Node& n, const std::string& ip, Customer* c) {
                                Map(n, ip,
                                    {{"id", [&](const YAML::Node& x, const std::string& xp,
                                                int l) { Text(x, xp, l, &c->id); }},
                                     {"quota", [&](const YAML::Node& x, const std::string& xp,
                                                   int) { Resources(x, xp, &c->quota); }}});
                              });
             }},
        });
    spec.Normalize();
    CrossChecks(doc);
  }

 private:
  void Policy(const YAML::Node& v, const std::string& path, PolicySpec* s) {
    Damping& d = s->damping;
    Thresholds& t = s->thresholds;
    auto real = [this](double* out, double lo, double hi) {
      return [this, out, lo, hi](const YAML::Node& n, const std::string& p, int l) {
        Real(n, p, l, out, lo, hi);
      };
    };
    auto dur = [this](DurationMs* out) {
      return
          [this, out](const YAML::Node& n, const std::string& p, int l) { Duration(n, p, l, out); };
    };
    auto boolean = [this](bool* out) {
      return [this, out](const YAML::Node& n, const std::string& p, int l) { Bool(n, p, l, out); };
    };
    auto integer = [this](int* out, int lo) {
      return [this, out, lo](const YAML::Node& n, const std::string& p, int l) {
        Int(n, p, l, out, lo);
      };
    };
    Map(v, path,
        {
            {"horizon", dur(&s->horizon_ms)},
            {"sizing_horizon", dur(&s->sizing_horizon_ms)},
            {"shadow", boolean(&s->shadow)},
            {"headroom", real(&s->headroom, 0, 10)},
            {"quantile_sizing", boolean(&s->quantile_sizing)},
            {"cpu_sizing",
             [this, s](const YAML::Node& n, const std::string& p, int l) {
               const std::string v = n.IsScalar() ? n.Scalar() : std::string();
               if (auto c = ParseCpuSizing(v)) {
                 s->cpu_sizing = *c;
               } else {
                 Issue(LineOf(n) > 0 ? LineOf(n) : l, p, "expected peak or usage, got '" + v + "'",
                       "peak: CPU requests are limits (guaranteed QoS); usage: requests without "
                       "limits (burstable QoS)");
               }
             }},
            {"allow_preemption", boolean(&s->allow_preemption)},
            {"allow_migration", boolean(&s->allow_migration)},
            {"allow_pool_changes", boolean(&s->allow_pool_changes)},
            {"cost_weight", real(&s->cost_weight, 0, 1e6)},
            {"risk_weight", real(&s->risk_weight, 0, 1e6)},
            {"damping",
             [&, real, dur, integer](const YAML::Node& n, const std::string& p, int) {
               Map(n, p,
                   {
                       {"stabilization_window", dur(&d.stabilization_window_ms)},
                       {"cooldown", dur(&d.cooldown_ms)},
                       {"max_actions_per_interval", integer(&d.max_actions_per_interval, 0)},
                       {"interval", dur(&d.interval_ms)},
                       {"max_concurrent_migrations", integer(&d.max_concurrent_migrations, 0)},
                       {"max_unavailable_per_zone", integer(&d.max_unavailable_per_zone, 0)},
                       {"hysteresis", real(&d.hysteresis, 0, 1)},
                   });
             }},
            {"data_protection", [&](const YAML::Node& n, const std::string& p,
                                    int) { DataProtectionBlock(n, p, &s->data_protection); }},
            {"copy_gib_hour_price", real(&s->copy_gib_hour_price, 0, 1e6)},
            {"thresholds",
             [&, real](const YAML::Node& n, const std::string& p, int) {
               Map(n, p,
                   {
                       {"migrate_p_fail", real(&t.migrate_p_fail, 0, 1)},
                       {"maintenance_p_fail", real(&t.maintenance_p_fail, 0, 1)},
                       {"critical_p_fail", real(&t.critical_p_fail, 0, 1)},
                       {"warning_p_fail", real(&t.warning_p_fail, 0, 1)},
                       {"entropy_request", real(&t.entropy_request, 0, 1)},
                       {"scale_in_utilization", real(&t.scale_in_utilization, 0, 1)},
                       {"reclaim_idle_fraction", real(&t.reclaim_idle_fraction, 0, 1)},
                   });
             }},
        });
    policy_line_ = LineOf(v);
  }

 public:
  // policy.data_protection: copies (1..10), spread (zone | host), min_criticality.
  void DataProtectionBlock(const YAML::Node& v, const std::string& path, DataProtection* dp) {
    Map(v, path,
        {
            {"copies",
             [&](const YAML::Node& n, const std::string& p, int l) {
               int copies = dp->copies;
               Int(n, p, l, &copies, 1);
               if (copies > 10) {
                 Issue(LineOf(n), p, std::to_string(copies) + " copies is more than 10",
                       "2 or 3 copies survive one or two failed disks; 1 turns protection off");
                 return;
               }
               dp->copies = copies;
             }},
            {"spread",
             [&](const YAML::Node& n, const std::string& p, int l) {
               std::string x;
               Text(n, p, l, &x);
               if (x.empty() && !n.IsScalar()) return;
               auto sp = ParseCopySpread(x);
               if (!sp) {
                 Issue(LineOf(n), p, "unknown spread '" + x + "'",
                       "'zone' (another zone than the workload's host) or 'host' (any other "
                       "host)");
                 return;
               }
               dp->spread = *sp;
             }},
            {"min_criticality",
             [&](const YAML::Node& n, const std::string& p, int l) {
               std::string x;
               Text(n, p, l, &x);
               if (x.empty() && !n.IsScalar()) return;
               auto c = ParseCriticality(x);
               if (!c) {
                 Issue(LineOf(n), p, "unknown criticality '" + x + "'",
                       "one of 'low', 'medium', 'high', 'critical'");
                 return;
               }
               dp->min_criticality = *c;
             }},
        });
  }

 private:
  void Tiers(const YAML::Node& v, const std::string& path, PolicySpec* s) {
    if (!v.IsMap()) {
      Issue(LineOf(v), path, "expected a mapping of tier names",
            "e.g. 'gold: {demand_quantile: 0.99}'");
      return;
    }
    std::map<std::string, int> seen;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const int line = LineOf(it->first);
      const std::string name = it->first.IsScalar() ? it->first.Scalar() : std::string();
      std::string p = path;
      p += '.';
      p += name;
      if (!seen.emplace(name, line).second) {
        Issue(line, p, "duplicate tier '" + name + "'", "remove one of them");
        continue;
      }
      SlaTier t;
      t.name = name == "default" ? "" : name;
      if (!it->second.IsNull()) {
        Map(it->second, p,
            {
                {"demand_quantile",
                 [&](const YAML::Node& n, const std::string& fp, int l) {
                   Real(n, fp, l, &t.demand_quantile, 0, 1, /*lo_open=*/true);
                 }},
                {"cpu_quantile",
                 [&](const YAML::Node& n, const std::string& fp, int l) {
                   double q = -1;
                   Real(n, fp, l, &q, 0.5, 0.999);
                   if (q >= 0) t.cpu_quantile = q;
                 }},
                {"target_utilization",
                 [&](const YAML::Node& n, const std::string& fp, int l) {
                   Real(n, fp, l, &t.target_utilization, 0, 1, /*lo_open=*/true);
                 }},
                {"violation_cost_per_hour",
                 [&](const YAML::Node& n, const std::string& fp, int l) {
                   Real(n, fp, l, &t.violation_cost_per_hour, 0, 1e9);
                 }},
            });
      }
      s->tiers[t.name] = t;
    }
  }

  void Zones(const YAML::Node& v, const std::string& path, Inventory* inv) {
    if (!v.IsSequence()) {
      Issue(LineOf(v), path, "expected a list of zone pairs",
            "e.g. '- {a: eu-1a, b: eu-1b, latency_ms: 1.5}'");
      return;
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string p = path + "[" + std::to_string(i) + "]";
      std::string a, b;
      double latency = -1;
      Map(v[i], p,
          {
              {"a", [&](const YAML::Node& n, const std::string& fp, int l) { Text(n, fp, l, &a); }},
              {"b", [&](const YAML::Node& n, const std::string& fp, int l) { Text(n, fp, l, &b); }},
              {"latency_ms", [&](const YAML::Node& n, const std::string& fp,
                                 int l) { Real(n, fp, l, &latency, 0, 1e6); }},
          });
      if (a.empty() || b.empty() || latency < 0) {
        Issue(LineOf(v[i]), p, "a zone pair needs 'a', 'b' and 'latency_ms'",
              "e.g. '{a: eu-1a, b: eu-1b, latency_ms: 1.5}'");
        continue;
      }
      std::string key = a < b ? a : b;
      key += '/';
      key += a < b ? b : a;
      inv->zone_latency_ms[key] = latency;
    }
  }

  void HostItem(const YAML::Node& n, const std::string& p, Host* h) {
    Map(n, p,
        {
            {"id",
             [&](const YAML::Node& x, const std::string& xp, int l) { Text(x, xp, l, &h->id); }},
            {"zone",
             [&](const YAML::Node& x, const std::string& xp, int l) { Text(x, xp, l, &h->zone); }},
            {"pool",
             [&](const YAML::Node& x, const std::string& xp, int l) { Text(x, xp, l, &h->pool); }},
            {"capacity", [&](const YAML::Node& x, const std::string& xp,
                             int) { Resources(x, xp, &h->capacity); }},
            {"cost_per_hour", [&](const YAML::Node& x, const std::string& xp,
                                  int l) { Real(x, xp, l, &h->cost_per_hour, 0, 1e9); }},
            {"schedulable", [&](const YAML::Node& x, const std::string& xp,
                                int l) { Bool(x, xp, l, &h->schedulable); }},
            {"labels",
             [&](const YAML::Node& x, const std::string& xp, int l) {
               if (!x.IsMap()) {
                 Issue(LineOf(x) > 0 ? LineOf(x) : l, xp, "expected a mapping of labels",
                       "e.g. '{rack: r1}'");
                 return;
               }
               for (auto it = x.begin(); it != x.end(); ++it) {
                 if (it->first.IsScalar() && it->second.IsScalar()) {
                   h->labels[it->first.Scalar()] = it->second.Scalar();
                 } else {
                   Issue(LineOf(it->first), xp, "a label is 'name: value'", "quote odd values");
                 }
               }
             }},
        });
  }

  void PoolItem(const YAML::Node& n, const std::string& p, Pool* x) {
    Map(n, p,
        {
            {"id",
             [&](const YAML::Node& v, const std::string& vp, int l) { Text(v, vp, l, &x->id); }},
            {"zone",
             [&](const YAML::Node& v, const std::string& vp, int l) { Text(v, vp, l, &x->zone); }},
            {"node_capacity", [&](const YAML::Node& v, const std::string& vp,
                                  int) { Resources(v, vp, &x->node_capacity); }},
            {"min_nodes", [&](const YAML::Node& v, const std::string& vp,
                              int l) { Int(v, vp, l, &x->min_nodes, 0); }},
            {"max_nodes", [&](const YAML::Node& v, const std::string& vp,
                              int l) { Int(v, vp, l, &x->max_nodes, 0); }},
            {"nodes", [&](const YAML::Node& v, const std::string& vp,
                          int l) { Int(v, vp, l, &x->nodes, 0); }},
            {"node_cost_per_hour", [&](const YAML::Node& v, const std::string& vp,
                                       int l) { Real(v, vp, l, &x->node_cost_per_hour, 0, 1e9); }},
            {"creation_cost", [&](const YAML::Node& v, const std::string& vp,
                                  int l) { Real(v, vp, l, &x->creation_cost, 0, 1e12); }},
            {"lead_time", [&](const YAML::Node& v, const std::string& vp,
                              int l) { Duration(v, vp, l, &x->lead_time_ms); }},
            {"created", [&](const YAML::Node& v, const std::string& vp,
                            int l) { Bool(v, vp, l, &x->created); }},
        });
  }

  void WorkloadItem(const YAML::Node& n, const std::string& p, Workload* w) {
    Map(n, p,
        {
            {"id",
             [&](const YAML::Node& v, const std::string& vp, int l) { Text(v, vp, l, &w->id); }},
            {"host",
             [&](const YAML::Node& v, const std::string& vp, int l) { Text(v, vp, l, &w->host); }},
            {"request", [&](const YAML::Node& v, const std::string& vp,
                            int) { Resources(v, vp, &w->request); }},
            {"limit",
             [&](const YAML::Node& v, const std::string& vp, int) { Resources(v, vp, &w->limit); }},
            {"replicas", [&](const YAML::Node& v, const std::string& vp,
                             int l) { Int(v, vp, l, &w->replicas, 0); }},
            {"priority", [&](const YAML::Node& v, const std::string& vp,
                             int l) { Int(v, vp, l, &w->priority, -1000000); }},
            {"criticality",
             [&](const YAML::Node& v, const std::string& vp, int l) {
               std::string s;
               Text(v, vp, l, &s);
               if (s.empty()) return;
               auto c = ParseCriticality(s);
               if (!c) {
                 Issue(LineOf(v), vp, "unknown criticality '" + s + "'",
                       "one of 'low', 'medium', 'high', 'critical'");
                 return;
               }
               w->criticality = *c;
             }},
            {"sla_tier",
             [&](const YAML::Node& v, const std::string& vp, int l) {
               Text(v, vp, l, &w->sla_tier);
               if (w->sla_tier == "default") w->sla_tier.clear();
             }},
            {"preemptible", [&](const YAML::Node& v, const std::string& vp,
                                int l) { Bool(v, vp, l, &w->preemptible); }},
            {"data_zone", [&](const YAML::Node& v, const std::string& vp,
                              int l) { Text(v, vp, l, &w->data_zone); }},
            {"customer", [&](const YAML::Node& v, const std::string& vp,
                             int l) { Text(v, vp, l, &w->customer); }},
            {"data_gib", [&](const YAML::Node& v, const std::string& vp,
                             int l) { Real(v, vp, l, &w->data_gib, 0, 1e9); }},
            {"data_copies",
             [&](const YAML::Node& v, const std::string& vp, int) {
               if (!v.IsSequence()) {
                 Issue(LineOf(v), vp, "expected a list of copies",
                       "e.g. '[{host: node-2, in_sync: true}]'");
                 return;
               }
               for (std::size_t i = 0; i < v.size(); ++i) {
                 Workload::DataCopy c;
                 c.in_sync = true;  // an existing copy the operator lists: in sync unless told
                 Map(v[i], vp + "[" + std::to_string(i) + "]",
                     {{"host", [&](const YAML::Node& x, const std::string& xp,
                                   int l) { Text(x, xp, l, &c.host); }},
                      {"in_sync", [&](const YAML::Node& x, const std::string& xp, int l) {
                         Bool(x, xp, l, &c.in_sync);
                       }}});
                 w->data_copies.push_back(std::move(c));
               }
             }},
        });
  }

  // References between sections, ids, and pool sizes.
  void CrossChecks(PolicyDocument* doc) {
    Inventory& inv = doc->inventory;
    const PolicySpec& spec = doc->spec;
    auto unique = [&](const auto& items, const std::vector<int>& lines, const char* section) {
      std::map<std::string, int> seen;
      for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string p = std::string(section) + "[" + std::to_string(i) + "]";
        if (items[i].id.empty()) {
          Issue(lines[i], p, "missing 'id'", "every item needs a unique 'id'");
          continue;
        }
        auto [first, inserted] = seen.emplace(items[i].id, lines[i]);
        if (!inserted) {
          Issue(lines[i], std::string(section) + "[" + items[i].id + "]",
                "duplicate id '" + items[i].id + "' (first at line " +
                    std::to_string(first->second) + ")",
                "ids must be unique within '" + std::string(section) + "'");
        }
      }
    };
    unique(inv.hosts, host_lines_, "hosts");
    unique(inv.pools, pool_lines_, "pools");
    unique(inv.workloads, workload_lines_, "workloads");
    unique(inv.customers, customer_lines_, "customers");
    std::vector<std::string> tier_names, pool_names, host_names, customer_names;
    for (const auto& [name, t] : spec.tiers) tier_names.push_back(name.empty() ? "default" : name);
    for (const Pool& p : inv.pools) pool_names.push_back(p.id);
    for (const Host& h : inv.hosts) host_names.push_back(h.id);
    for (const Customer& c : inv.customers) customer_names.push_back(c.id);
    auto cut = [](std::vector<std::string> v) {
      if (v.size() > 8) v.resize(8);
      return JoinQuoted(v);
    };
    for (std::size_t i = 0; i < inv.hosts.size(); ++i) {
      const Host& h = inv.hosts[i];
      const std::string p = "hosts[" + h.id + "]";
      if (!h.pool.empty() && !inv.FindPool(h.pool)) {
        Issue(host_lines_[i], p + ".pool", "unknown pool '" + h.pool + "'",
              "known pools: " + cut(pool_names));
      }
      if (h.capacity == ResourceVector{}) {
        Issue(host_lines_[i], p + ".capacity", "a host needs a capacity",
              "e.g. 'capacity: {cpu: 16, memory: 64}'");
      }
    }
    for (std::size_t i = 0; i < inv.pools.size(); ++i) {
      const Pool& x = inv.pools[i];
      if (x.min_nodes > x.max_nodes || x.nodes < x.min_nodes || x.nodes > x.max_nodes) {
        Issue(pool_lines_[i], "pools[" + x.id + "]",
              "needs min_nodes <= nodes <= max_nodes, got " + std::to_string(x.min_nodes) +
                  " <= " + std::to_string(x.nodes) + " <= " + std::to_string(x.max_nodes),
              "raise max_nodes or change nodes");
      }
    }
    for (std::size_t i = 0; i < inv.workloads.size(); ++i) {
      const Workload& w = inv.workloads[i];
      const std::string p = "workloads[" + w.id + "]";
      if (!w.host.empty() && !inv.FindHost(w.host)) {
        Issue(workload_lines_[i], p + ".host", "unknown host '" + w.host + "'",
              "known hosts: " + cut(host_names) + " (leave it out for a pending workload)");
      }
      for (const Workload::DataCopy& c : w.data_copies) {
        if (c.host.empty() || !inv.FindHost(c.host)) {
          Issue(workload_lines_[i], p + ".data_copies", "unknown host '" + c.host + "'",
                "known hosts: " + cut(host_names));
        } else if (c.host == w.host) {
          Issue(workload_lines_[i], p + ".data_copies",
                "a copy on the workload's own host '" + c.host + "' protects nothing",
                "list only the other hosts that hold a copy");
        }
      }
      if (spec.tiers.find(w.sla_tier) == spec.tiers.end()) {
        Issue(workload_lines_[i], p + ".sla_tier", "unknown tier '" + w.sla_tier + "'",
              "known tiers: " + cut(tier_names));
      }
      if (!w.customer.empty() && !inv.customers.empty() &&
          std::none_of(inv.customers.begin(), inv.customers.end(),
                       [&](const Customer& c) { return c.id == w.customer; })) {
        Issue(workload_lines_[i], p + ".customer", "unknown customer '" + w.customer + "'",
              "known customers: " + cut(customer_names));
      } else if (!w.customer.empty() && inv.customers.empty()) {
        Issue(workload_lines_[i], p + ".customer", "unknown customer '" + w.customer + "'",
              "declare it under 'customers:'");
      }
      if (w.request == ResourceVector{}) {
        Issue(workload_lines_[i], p + ".request", "a workload needs a request",
              "e.g. 'request: {cpu: 2, memory: 4}'");
      }
    }
    if (spec.thresholds.maintenance_p_fail > spec.thresholds.migrate_p_fail) {
      Issue(policy_line_, "policy.thresholds",
            "maintenance_p_fail " + Num(spec.thresholds.maintenance_p_fail) + " > migrate_p_fail " +
                Num(spec.thresholds.migrate_p_fail),
            "maintenance is proposed before migration becomes necessary: keep it lower");
    }
  }

  std::string source_;
  std::vector<PolicyIssue>* issues_;
  std::vector<int> host_lines_, pool_lines_, workload_lines_, customer_lines_;
  int policy_line_ = 0;
};

Result<PolicyDocument> Finish(std::vector<PolicyIssue> issues, PolicyDocument doc) {
  if (issues.empty()) return doc;
  std::stable_sort(issues.begin(), issues.end(),
                   [](const PolicyIssue& a, const PolicyIssue& b) { return a.line < b.line; });
  std::string msg;
  for (const PolicyIssue& i : issues) {
    if (!msg.empty()) msg += "\n";
    msg += i.ToString();
  }
  return MakeError(ErrorCode::kInvalidArgument, std::move(msg));
}

}  // namespace

std::vector<PolicyIssue> CheckPolicyYaml(const YAML::Node& root, std::string_view source_name,
                                         PolicyDocument* out) {
  std::vector<PolicyIssue> issues;
  PolicyDocument doc;
  try {
    Walker walker{std::string(source_name), &issues};
    walker.Walk(root, &doc);
  } catch (const YAML::Exception& e) {
    issues.push_back(PolicyIssue{std::string(source_name), e.mark.line < 0 ? 0 : e.mark.line + 1,
                                 "", std::string("YAML error: ") + e.msg, ""});
  } catch (const std::exception& e) {
    issues.push_back(PolicyIssue{std::string(source_name), 0, "", e.what(), ""});
  }
  std::stable_sort(issues.begin(), issues.end(),
                   [](const PolicyIssue& a, const PolicyIssue& b) { return a.line < b.line; });
  if (out) *out = std::move(doc);
  return issues;
}

std::vector<PolicyIssue> CheckDataProtectionYaml(const YAML::Node& node, const std::string& path,
                                                 DataProtection* out) {
  std::vector<PolicyIssue> issues;
  try {
    Walker walker{std::string(), &issues};
    walker.DataProtectionBlock(node, path, out);
  } catch (const YAML::Exception& e) {
    issues.push_back(PolicyIssue{"", e.mark.line < 0 ? 0 : e.mark.line + 1, path,
                                 std::string("YAML error: ") + e.msg, ""});
  }
  return issues;
}

Result<PolicyDocument> ParsePolicyYaml(const YAML::Node& root, std::string_view source_name) {
  PolicyDocument doc;
  std::vector<PolicyIssue> issues = CheckPolicyYaml(root, source_name, &doc);
  return Finish(std::move(issues), std::move(doc));
}

Result<PolicyDocument> ParsePolicyYaml(std::string_view text, std::string_view source_name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    return Finish({PolicyIssue{std::string(source_name), line, "", "YAML syntax error: " + e.msg,
                               "check the indentation and the ':' after each key"}},
                  PolicyDocument{});
  }
  return ParsePolicyYaml(root, source_name);
}

}  // namespace prognos::policy
