// A stand-in for the Kubernetes API server (no kube-apiserver is packaged in Debian 12), faithful
// to the parts of the protocol the kubernetes actuator uses, as the real server answers them:
//   GET  /apis/apps/v1/namespaces/{ns}/deployments/{name}            Deployment | 404 Status
//   GET  …/deployments/{name}/scale                                    autoscaling/v1 Scale
//   PATCH …/deployments/{name}/scale          merge patch              spec.replicas
//   PATCH …/deployments/{name}                strategic merge patch    containers merged by name;
//        other lists replaced; metadata.generation + 1 when the spec changes
//   GET/PATCH /api/v1/nodes/{name}            merge patch
//   GET  /api/v1/pods?fieldSelector=spec.nodeName={node}               PodList
//   GET  /api/v1/namespaces/{ns}/pods?labelSelector=k=v,…              PodList
//   POST /api/v1/namespaces/{ns}/pods/{name}/eviction   policy/v1 Eviction → 201, or 429 while a
//        PodDisruptionBudget blocks it, 404 for an unknown pod
// A PATCH with another Content-Type is 415, as on the real server; a missing or wrong bearer
// token is 401. Errors are Status objects. The controllers are not simulated in the background:
// the test calls Reconcile() to play one round of the deployment controller and scheduler
// (status catches up; pods move off nodes their template's required affinity excludes, onto the
// preferred node), so every step is deterministic.
#pragma once

#include <httplib.h>

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace prognos::actuate::testing {

class FakeKubeApi {
 public:
  using json = nlohmann::json;

  explicit FakeKubeApi(std::string token = "t0ken") : token_(std::move(token)) {
    Routes();
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeKubeApi() {
    server_.stop();
    thread_.join();
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void AddNode(const std::string& name) {
    std::lock_guard lock(mu_);
    nodes_[name] = {{"apiVersion", "v1"},
                    {"kind", "Node"},
                    {"metadata", {{"name", name}, {"labels", {{"kubernetes.io/hostname", name}}}}},
                    {"spec", json::object()}};
  }
  // A deployment with `replicas` ready pods on `node`, container "app" requesting cpu/memory.
  void AddDeployment(const std::string& ns, const std::string& name, int replicas,
                     const std::string& node, const std::string& cpu = "500m",
                     const std::string& memory = "1Gi") {
    std::lock_guard lock(mu_);
    json d = {{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", {{"name", name}, {"namespace", ns}, {"generation", 1}}},
              {"spec",
               {{"replicas", replicas},
                {"selector", {{"matchLabels", {{"app", name}}}}},
                {"template",
                 {{"metadata", {{"labels", {{"app", name}}}}},
                  {"spec",
                   {{"containers",
                     json::array({{{"name", "app"},
                                   {"image", "registry.example/app:1"},
                                   {"resources",
                                    {{"requests", {{"cpu", cpu}, {"memory", memory}}}}}}})}}}}}}},
              {"status", json::object()}};
    deployments_[ns + "/" + name] = d;
    home_[ns + "/" + name] = node;
    ReconcileLocked();
  }
  // A pod not managed by a deployment (e.g. owned by a DaemonSet when daemonset is true).
  void AddPod(const std::string& ns, const std::string& name, const std::string& node,
              bool daemonset = false) {
    std::lock_guard lock(mu_);
    json p = Pod(ns, name, node, json::object());
    if (daemonset) {
      p["metadata"]["ownerReferences"] = json::array({{{"kind", "DaemonSet"}, {"name", "ds"}}});
    }
    pods_.push_back(p);
  }
  // The next `times` evictions of this pod answer 429 (a PodDisruptionBudget holds it).
  void BlockEviction(const std::string& pod, int times) {
    std::lock_guard lock(mu_);
    blocked_[pod] = times;
  }
  // Mark a deployment's rollout as stuck past its progress deadline.
  void FailRollout(const std::string& ns, const std::string& name) {
    std::lock_guard lock(mu_);
    stuck_.insert(ns + "/" + name);
  }

  // One round of the deployment controller and the scheduler.
  void Reconcile() {
    std::lock_guard lock(mu_);
    ReconcileLocked();
  }

  json Deployment(const std::string& ns, const std::string& name) {
    std::lock_guard lock(mu_);
    return deployments_.at(ns + "/" + name);
  }
  json Node(const std::string& name) {
    std::lock_guard lock(mu_);
    return nodes_.at(name);
  }
  std::vector<std::string> PodsOn(const std::string& node) {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& p : pods_) {
      if (p["spec"]["nodeName"] == node) out.push_back(p["metadata"]["name"]);
    }
    return out;
  }
  std::vector<std::string> Requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  static json Status(int code, const std::string& reason, const std::string& message) {
    return {{"apiVersion", "v1"}, {"kind", "Status"}, {"status", "Failure"},
            {"message", message}, {"reason", reason}, {"code", code}};
  }
  static void Reply(httplib::Response& res, int code, const json& body) {
    res.status = code;
    res.set_content(body.dump(), "application/json");
  }
  json Pod(const std::string& ns, const std::string& name, const std::string& node,
           const json& labels) const {
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
            {"spec", {{"nodeName", node}}},
            {"status", {{"phase", "Running"}}}};
  }

  // Nodes a template's required node affinity excludes, and its preferred node.
  static void Affinity(const json& tmpl, std::set<std::string>* excluded, std::string* preferred) {
    const json& na =
        tmpl["spec"].value("affinity", json::object()).value("nodeAffinity", json::object());
    for (const auto& term :
         na.value("requiredDuringSchedulingIgnoredDuringExecution", json::object())
             .value("nodeSelectorTerms", json::array())) {
      for (const auto& e : term.value("matchExpressions", json::array())) {
        if (e.value("key", "") == "kubernetes.io/hostname" && e.value("operator", "") == "NotIn") {
          for (const auto& v : e["values"]) excluded->insert(v.get<std::string>());
        }
      }
    }
    for (const auto& p :
         na.value("preferredDuringSchedulingIgnoredDuringExecution", json::array())) {
      for (const auto& e : p["preference"].value("matchExpressions", json::array())) {
        if (e.value("key", "") == "kubernetes.io/hostname" && e.value("operator", "") == "In") {
          *preferred = e["values"][0].get<std::string>();
        }
      }
    }
  }

  void ReconcileLocked() {
    for (auto& [key, d] : deployments_) {
      const std::string ns = d["metadata"]["namespace"];
      const std::string name = d["metadata"]["name"];
      if (stuck_.count(key) != 0) {
        d["status"]["conditions"] = json::array(
            {{{"type", "Progressing"},
              {"status", "False"},
              {"reason", "ProgressDeadlineExceeded"},
              {"message", "ReplicaSet \"" + name + "-7d4\" has timed out progressing."}}});
        continue;
      }
      std::set<std::string> excluded;
      std::string preferred;
      Affinity(d["spec"]["template"], &excluded, &preferred);
      // The scheduler: the preferred node if it can take pods; else stay, unless the node is
      // excluded or cordoned, then the first node that can.
      auto schedulable = [&](const std::string& n) {
        return nodes_.count(n) != 0 && excluded.count(n) == 0 &&
               !nodes_[n]["spec"].value("unschedulable", false);
      };
      std::string node = home_[key];
      if (!preferred.empty() && schedulable(preferred)) {
        node = preferred;
      } else if (!schedulable(node)) {
        for (const auto& [n, obj] : nodes_) {
          if (schedulable(n)) {
            node = n;
            break;
          }
        }
      }
      home_[key] = node;
      // Replace the deployment's pods: `replicas` pods on its node.
      std::vector<json> kept;
      for (auto& p : pods_) {
        if (p["metadata"]["labels"].value("app", "") != name || p["metadata"]["namespace"] != ns) {
          kept.push_back(p);
        }
      }
      const int replicas = d["spec"]["replicas"];
      for (int i = 0; i < replicas; ++i) {
        kept.push_back(Pod(ns,
                           name + "-" + std::to_string(d["metadata"]["generation"].get<int>()) +
                               "-" + std::to_string(i),
                           node, {{"app", name}}));
      }
      pods_ = std::move(kept);
      d["status"] = {{"observedGeneration", d["metadata"]["generation"]},
                     {"replicas", replicas},
                     {"updatedReplicas", replicas},
                     {"readyReplicas", replicas},
                     {"availableReplicas", replicas}};
    }
  }

  bool Authorized(const httplib::Request& req, httplib::Response& res) {
    requests_.push_back(req.method + " " + req.path +
                        (req.params.empty() ? "" : "?" + req.params.begin()->first));
    if (req.get_header_value("Authorization") != "Bearer " + token_) {
      Reply(res, 401, Status(401, "Unauthorized", "Unauthorized"));
      return false;
    }
    return true;
  }

  // Strategic merge for the shapes a pod template patch uses: objects merge; a list of objects
  // with "name" merges by name (containers); any other list is replaced.
  static void StrategicMerge(json& target, const json& patch) {
    if (!patch.is_object() || !target.is_object()) {
      target = patch;
      return;
    }
    for (const auto& [k, v] : patch.items()) {
      if (v.is_null()) {
        target.erase(k);
      } else if (v.is_array() && target.contains(k) && target[k].is_array() && !v.empty() &&
                 v[0].is_object() && v[0].contains("name")) {
        for (const auto& item : v) {
          bool merged = false;
          for (auto& t : target[k]) {
            if (t.value("name", "") == item.value("name", "")) {
              StrategicMerge(t, item);
              merged = true;
            }
          }
          if (!merged) target[k].push_back(item);
        }
      } else if (v.is_object() && target.contains(k)) {
        StrategicMerge(target[k], v);
      } else {
        target[k] = v;
      }
    }
  }

  void Routes() {
    const std::string deploy = R"(/apis/apps/v1/namespaces/([^/]+)/deployments/([^/]+))";
    server_.Get(deploy, [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      if (!Authorized(req, res)) return;
      auto it = deployments_.find(req.matches[1].str() + "/" + req.matches[2].str());
      if (it == deployments_.end()) {
        Reply(
            res, 404,
            Status(404, "NotFound", "deployments.apps \"" + req.matches[2].str() + "\" not found"));
        return;
      }
      Reply(res, 200, it->second);
    });
    server_.Get(deploy + "/scale", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      if (!Authorized(req, res)) return;
      auto it = deployments_.find(req.matches[1].str() + "/" + req.matches[2].str());
      if (it == deployments_.end()) {
        Reply(
            res, 404,
            Status(404, "NotFound", "deployments.apps \"" + req.matches[2].str() + "\" not found"));
        return;
      }
      Reply(res, 200, ScaleOf(it->second));
    });
    server_.Patch(deploy + "/scale", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      if (!Authorized(req, res)) return;
      if (req.get_header_value("Content-Type") != "application/merge-patch+json" &&
          req.get_header_value("Content-Type") != "application/strategic-merge-patch+json") {
        Reply(res, 415,
              Status(415, "UnsupportedMediaType",
                     "the body of the request was in an unknown format"));
        return;
      }
      auto it = deployments_.find(req.matches[1].str() + "/" + req.matches[2].str());
      if (it == deployments_.end()) {
        Reply(res, 404, Status(404, "NotFound", "not found"));
        return;
      }
      json scale = ScaleOf(it->second);
      scale.merge_patch(json::parse(req.body));
      if (scale["spec"]["replicas"] != it->second["spec"]["replicas"]) {
        it->second["spec"]["replicas"] = scale["spec"]["replicas"];
        it->second["metadata"]["generation"] = it->second["metadata"]["generation"].get<int>() + 1;
      }
      Reply(res, 200, ScaleOf(it->second));
    });
    server_.Patch(deploy, [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      if (!Authorized(req, res)) return;
      if (req.get_header_value("Content-Type") != "application/strategic-merge-patch+json") {
        Reply(res, 415,
              Status(415, "UnsupportedMediaType",
                     "the body of the request was in an unknown format"));
        return;
      }
      auto it = deployments_.find(req.matches[1].str() + "/" + req.matches[2].str());
      if (it == deployments_.end()) {
        Reply(res, 404, Status(404, "NotFound", "not found"));
        return;
      }
      const json before = it->second["spec"];
      StrategicMerge(it->second, json::parse(req.body));
      if (it->second["spec"] != before) {
        it->second["metadata"]["generation"] = it->second["metadata"]["generation"].get<int>() + 1;
      }
      Reply(res, 200, it->second);
    });
    const std::string node = R"(/api/v1/nodes/([^/]+))";
    server_.Get(node, [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      if (!Authorized(req, res)) return;
      auto it = nodes_.find(req.matches[1].str());
      if (it == nodes_.end()) {
        Reply(res, 404,
              Status(404, "NotFound", "nodes \"" + req.matches[1].str() + "\" not found"));
        return;
      }
      Reply(res, 200, it->second);
    });
    server_.Patch(node, [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      if (!Authorized(req, res)) return;
      if (req.get_header_value("Content-Type") != "application/merge-patch+json") {
        Reply(res, 415,
              Status(415, "UnsupportedMediaType",
                     "the body of the request was in an unknown format"));
        return;
      }
      auto it = nodes_.find(req.matches[1].str());
      if (it == nodes_.end()) {
        Reply(res, 404, Status(404, "NotFound", "not found"));
        return;
      }
      it->second.merge_patch(json::parse(req.body));
      Reply(res, 200, it->second);
    });
    auto list = [this](const httplib::Request& req, httplib::Response& res, const std::string& ns) {
      std::string on_node;
      std::map<std::string, std::string> selector;
      if (req.has_param("fieldSelector")) {
        const std::string f = req.get_param_value("fieldSelector");
        if (f.rfind("spec.nodeName=", 0) != 0) {
          Reply(res, 400, Status(400, "BadRequest", "field label not supported: " + f));
          return;
        }
        on_node = f.substr(14);
      }
      if (req.has_param("labelSelector")) {
        std::string s = req.get_param_value("labelSelector");
        std::size_t pos = 0;
        while (pos < s.size()) {
          std::size_t comma = s.find(',', pos);
          if (comma == std::string::npos) comma = s.size();
          const std::string term = s.substr(pos, comma - pos);
          const auto eq = term.find('=');
          selector[term.substr(0, eq)] = term.substr(eq + 1);
          pos = comma + 1;
        }
      }
      json items = json::array();
      for (const auto& p : pods_) {
        if (!ns.empty() && p["metadata"]["namespace"] != ns) continue;
        if (!on_node.empty() && p["spec"]["nodeName"] != on_node) continue;
        bool match = true;
        for (const auto& [k, v] : selector) {
          match = match && p["metadata"]["labels"].value(k, "") == v;
        }
        if (match) items.push_back(p);
      }
      Reply(res, 200, {{"apiVersion", "v1"}, {"kind", "PodList"}, {"items", items}});
    };
    server_.Get("/api/v1/pods", [this, list](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      if (!Authorized(req, res)) return;
      list(req, res, "");
    });
    server_.Get(R"(/api/v1/namespaces/([^/]+)/pods)",
                [this, list](const httplib::Request& req, httplib::Response& res) {
                  std::lock_guard lock(mu_);
                  if (!Authorized(req, res)) return;
                  list(req, res, req.matches[1].str());
                });
    server_.Post(R"(/api/v1/namespaces/([^/]+)/pods/([^/]+)/eviction)",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard lock(mu_);
                   if (!Authorized(req, res)) return;
                   const json e = json::parse(req.body, nullptr, false);
                   if (!e.is_object() || e.value("kind", "") != "Eviction" ||
                       e.value("apiVersion", "") != "policy/v1") {
                     Reply(res, 400, Status(400, "BadRequest", "not a policy/v1 Eviction"));
                     return;
                   }
                   const std::string ns = req.matches[1].str();
                   const std::string name = req.matches[2].str();
                   auto it = std::find_if(pods_.begin(), pods_.end(), [&](const json& p) {
                     return p["metadata"]["namespace"] == ns && p["metadata"]["name"] == name;
                   });
                   if (it == pods_.end()) {
                     Reply(res, 404, Status(404, "NotFound", "pods \"" + name + "\" not found"));
                     return;
                   }
                   if (auto b = blocked_.find(name); b != blocked_.end() && b->second > 0) {
                     --b->second;
                     Reply(res, 429,
                           Status(429, "TooManyRequests",
                                  "Cannot evict pod as it would violate the pod's "
                                  "disruption budget."));
                     return;
                   }
                   pods_.erase(it);
                   Reply(res, 201, {{"kind", "Status"}, {"status", "Success"}, {"code", 201}});
                 });
  }

  static json ScaleOf(const json& d) {
    return {
        {"apiVersion", "autoscaling/v1"},
        {"kind", "Scale"},
        {"metadata", {{"name", d["metadata"]["name"]}, {"namespace", d["metadata"]["namespace"]}}},
        {"spec", {{"replicas", d["spec"]["replicas"]}}},
        {"status",
         {{"replicas", d["status"].value("replicas", 0)},
          {"selector", "app=" + d["metadata"]["name"].get<std::string>()}}}};
  }

  std::string token_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, json> deployments_;
  std::map<std::string, std::string> home_;  // deployment → node its pods run on
  std::map<std::string, json> nodes_;
  std::vector<json> pods_;
  std::map<std::string, int> blocked_;
  std::set<std::string> stuck_;
  std::vector<std::string> requests_;
};

}  // namespace prognos::actuate::testing
