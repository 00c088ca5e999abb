#include "actuate/kubernetes_actuator.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "policy/audit_codec.h"

namespace prognos::actuate {
namespace {

using nlohmann::json;

constexpr const char* kMergePatch = "application/merge-patch+json";
constexpr const char* kStrategicPatch = "application/strategic-merge-patch+json";
constexpr const char* kHostnameLabel = "kubernetes.io/hostname";
constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

std::string Enc(std::string_view s) { return net::UrlEncode(s); }

std::string ObjectPath(const KubeObjectRef& r) {
  return "/apis/apps/v1/namespaces/" + Enc(r.ns) + "/" + r.kind + "/" + Enc(r.name);
}

std::string NodePath(std::string_view node) { return "/api/v1/nodes/" + Enc(node); }

// The API server's Status message (or the body's head) for an error reply.
std::string StatusMessage(const net::HttpResponse& r) {
  const auto j = json::parse(r.body, nullptr, false);
  std::string msg;
  if (j.is_object() && j.contains("message") && j["message"].is_string()) {
    msg = j["message"].get<std::string>();
  } else {
    msg = r.body.substr(0, 200);
  }
  return "HTTP " + std::to_string(r.status) + (msg.empty() ? "" : ": " + msg);
}

std::int64_t Int(const json& j, std::initializer_list<const char*> path, std::int64_t def = 0) {
  const json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object() || !cur->contains(key)) return def;
    cur = &(*cur)[key];
  }
  return cur->is_number_integer() ? cur->get<std::int64_t>() : def;
}

std::string Str(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object() || !cur->contains(key)) return {};
    cur = &(*cur)[key];
  }
  return cur->is_string() ? cur->get<std::string>() : std::string();
}

bool Flag(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object() || !cur->contains(key)) return false;
    cur = &(*cur)[key];
  }
  return cur->is_boolean() && cur->get<bool>();
}

// A pod that a drain must move: not finished, not owned by a DaemonSet, not a static (mirror) pod.
bool Evictable(const json& pod) {
  const std::string phase = Str(pod, {"status", "phase"});
  if (phase == "Succeeded" || phase == "Failed") return false;
  const json& meta = pod["metadata"];
  if (meta.contains("annotations") && meta["annotations"].is_object() &&
      meta["annotations"].contains("kubernetes.io/config.mirror")) {
    return false;
  }
  if (meta.contains("ownerReferences") && meta["ownerReferences"].is_array()) {
    for (const auto& o : meta["ownerReferences"]) {
      if (o.is_object() && o.value("kind", "") == "DaemonSet") return false;
    }
  }
  return true;
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<KubernetesConfig> InClusterConfig() {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0') {
    return MakeError(ErrorCode::kNotFound,
                     "not in a Kubernetes pod (KUBERNETES_SERVICE_HOST is unset): set "
                     "actuators.kubernetes.api_url");
  }
  KubernetesConfig c;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 literal
  c.api_url = "https://" + h + ":" + (port != nullptr && *port != '\0' ? port : "443");
  c.bearer_token = ReadFileText(std::string(kServiceAccountDir) + "/token");
  c.ca_file = std::string(kServiceAccountDir) + "/ca.crt";
  const std::string ns = ReadFileText(std::string(kServiceAccountDir) + "/namespace");
  if (!ns.empty()) c.default_namespace = ns;
  if (c.bearer_token.empty()) {
    return MakeError(ErrorCode::kNotFound,
                     std::string("no service account token in ") + kServiceAccountDir + "/token");
  }
  return c;
}

Result<KubeObjectRef> ParseWorkloadRef(std::string_view id, std::string_view default_namespace) {
  KubeObjectRef r;
  std::string_view rest = id;
  if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    const std::string_view kind = rest.substr(0, colon);
    if (kind == "deployment" || kind == "deployments") {
      r.kind = "deployments";
    } else if (kind == "statefulset" || kind == "statefulsets") {
      r.kind = "statefulsets";
    } else {
      return MakeError(ErrorCode::kInvalidArgument, "workload '" + std::string(id) +
                                                        "': unknown kind '" + std::string(kind) +
                                                        "' (deployment or statefulset)");
    }
    rest.remove_prefix(colon + 1);
  }
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    r.ns = std::string(rest.substr(0, slash));
    r.name = std::string(rest.substr(slash + 1));
  } else {
    r.ns = std::string(default_namespace);
    r.name = std::string(rest);
  }
  if (r.ns.empty() || r.name.empty() || r.name.find('/') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "workload '" + std::string(id) +
                         "' does not name an object: use name, namespace/name or "
                         "statefulset:namespace/name");
  }
  return r;
}

std::string CpuQuantity(double cores) {
  const auto milli = static_cast<long long>(std::ceil(std::max(cores, 0.0) * 1000.0 - 1e-9));
  if (milli % 1000 == 0) return std::to_string(milli / 1000);
  return std::to_string(milli) + "m";
}

std::string MemoryQuantity(double gib) {
  const auto mi = static_cast<long long>(std::ceil(std::max(gib, 0.0) * 1024.0 - 1e-9));
  if (mi % 1024 == 0) return std::to_string(mi / 1024) + "Gi";
  return std::to_string(mi) + "Mi";
}

Result<std::unique_ptr<KubernetesActuator>> KubernetesActuator::Create(
    const KubernetesConfig& config, Actuator* fallback) {
  net::HttpClientConfig c;
  c.base_url = config.api_url;
  c.request_timeout_ms = config.timeout_ms;
  c.ca_file = config.ca_file;
  c.insecure_skip_verify = config.insecure_skip_verify;
  c.headers.emplace_back("Accept: application/json");
  if (!config.bearer_token.empty())
    c.headers.push_back("Authorization: Bearer " + config.bearer_token);
  auto client = net::HttpClient::Create(std::move(c));
  if (!client) {
    return MakeError(client.error().code,
                     "actuators.kubernetes.api_url: " + client.error().message);
  }
  return std::unique_ptr<KubernetesActuator>(
      new KubernetesActuator(config, std::move(*client), fallback));
}

namespace {

// Why the backend does not do `a` (no webhook configured to take it).
std::string NotDone(const policy::Action& a) {
  std::string s = "the kubernetes backend does not do ";
  s += policy::ActionTypeName(a.type);
  if (a.type == policy::ActionType::kReplicate) {
    // Kubernetes has no verb for a continuously replicated copy of a volume: a VolumeSnapshot is
    // a point-in-time copy, replication belongs to the storage layer (CSI driver, database).
    s += ": Kubernetes has no API for a continuously replicated copy of a workload's data (a "
         "VolumeSnapshot is a point-in-time copy, not a replica); route data-protection actions "
         "to your storage layer through actuators.webhook.url";
  }
  return s;
}

}  // namespace

KubernetesActuator::KubernetesActuator(KubernetesConfig config,
                                       std::unique_ptr<net::HttpClient> client, Actuator* fallback)
    : config_(std::move(config)), client_(std::move(client)), fallback_(fallback) {}

bool KubernetesActuator::Handles(const policy::Action& a) {
  switch (a.type) {
    case policy::ActionType::kScaleOut:
    case policy::ActionType::kScaleIn:
    case policy::ActionType::kScaleUp:
    case policy::ActionType::kScaleDown:
    case policy::ActionType::kDrain:
    case policy::ActionType::kMigrate:
      return true;
    default:
      return false;
  }
}

Result<json> KubernetesActuator::GetJson(const std::string& path) {
  ++stats_.requests;
  auto r = client_->Send("GET", path);
  if (!r) return tl::unexpected(r.error());
  if (r->status == 404) return MakeError(ErrorCode::kNotFound, "GET " + path + ": not found");
  if (r->status != 200) {
    return MakeError(ErrorCode::kUnavailable, "GET " + path + ": " + StatusMessage(*r));
  }
  auto j = json::parse(r->body, nullptr, false);
  if (!j.is_object())
    return MakeError(ErrorCode::kUnavailable, "GET " + path + ": not a JSON object");
  return j;
}

Result<void> KubernetesActuator::Patch(const std::string& path, const json& patch,
                                       std::string_view content_type) {
  ++stats_.requests;
  auto r = client_->Send("PATCH", path + "?fieldManager=" + Enc(config_.field_manager),
                         patch.dump(), content_type);
  if (!r) return tl::unexpected(r.error());
  if (r->status >= 200 && r->status < 300) return Ok();
  const ErrorCode code = r->status == 404                       ? ErrorCode::kNotFound
                         : r->status >= 500 || r->status == 429 ? ErrorCode::kUnavailable
                                                                : ErrorCode::kFailedPrecondition;
  return MakeError(code, "PATCH " + path + ": " + StatusMessage(*r));
}

Verification KubernetesActuator::Fail(std::string reason) {
  last_reason_ = std::move(reason);
  return Verification::kFailed;
}

Result<void> KubernetesActuator::CheckPrecondition(const policy::Action& action) {
  if (!Handles(action)) {
    if (fallback_ != nullptr) {
      ++stats_.delegated;
      return fallback_->CheckPrecondition(action);
    }
    return MakeError(ErrorCode::kFailedPrecondition,
                     NotDone(action) + " (configure actuators.webhook to receive it)");
  }
  return CheckHandled(action);
}

Result<void> KubernetesActuator::CheckHandled(const policy::Action& a) {
  using policy::ActionType;
  if (a.type == ActionType::kDrain) {
    auto node = GetJson(NodePath(a.host));
    if (!node) return tl::unexpected(node.error());
    return Ok();
  }
  auto ref = ParseWorkloadRef(a.workload, config_.default_namespace);
  if (!ref) return tl::unexpected(ref.error());
  if (a.type == ActionType::kScaleOut || a.type == ActionType::kScaleIn) {
    auto scale = GetJson(ObjectPath(*ref) + "/scale");
    if (!scale) return tl::unexpected(scale.error());
    const std::int64_t now = Int(*scale, {"spec", "replicas"}, -1);
    if (now != a.replicas_before) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       a.workload + " has " + std::to_string(now) +
                           " replicas, the plan expected " + std::to_string(a.replicas_before) +
                           " (changed since planning; is another autoscaler managing it?)");
    }
    return Ok();
  }
  auto object = GetJson(ObjectPath(*ref));
  if (!object) return tl::unexpected(object.error());
  const json& containers = (*object)["spec"]["template"]["spec"]["containers"];
  if (!containers.is_array() || containers.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition, a.workload + " has no containers");
  }
  if (a.type == ActionType::kMigrate) {
    auto target = GetJson(NodePath(a.target_host));
    if (!target) return tl::unexpected(target.error());
    if (Flag(*target, {"spec", "unschedulable"})) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "target node " + a.target_host + " is cordoned (spec.unschedulable)");
    }
  }
  return Ok();
}

Result<void> KubernetesActuator::Apply(const policy::Action& action, TimestampMs now) {
  if (!Handles(action)) {
    if (fallback_ != nullptr) {
      ++stats_.delegated;
      return fallback_->Apply(action, now);
    }
    return MakeError(ErrorCode::kFailedPrecondition, NotDone(action));
  }
  return ApplyHandled(action);
}

Result<void> KubernetesActuator::ApplyHandled(const policy::Action& a) {
  using policy::ActionType;
  if (a.type == ActionType::kDrain) {
    const bool cordon = a.amount > 0;
    auto r = Patch(NodePath(a.host), {{"spec", {{"unschedulable", cordon}}}}, kMergePatch);
    if (!r || !cordon) return r;
    auto left = EvictPods(a.host);  // first pass; Verify evicts what a budget held back
    if (!left) return tl::unexpected(left.error());
    return Ok();
  }
  auto ref = ParseWorkloadRef(a.workload, config_.default_namespace);
  if (!ref) return tl::unexpected(ref.error());
  if (a.type == ActionType::kScaleOut || a.type == ActionType::kScaleIn) {
    return Patch(ObjectPath(*ref) + "/scale", {{"spec", {{"replicas", a.replicas_after}}}},
                 kMergePatch);
  }
  auto object = GetJson(ObjectPath(*ref));
  if (!object) return tl::unexpected(object.error());
  const std::string container =
      Str((*object)["spec"]["template"]["spec"]["containers"][0], {"name"});
  if (a.type == ActionType::kScaleUp || a.type == ActionType::kScaleDown) {
    json requests = json::object();
    const auto cpu = static_cast<std::size_t>(policy::Resource::kCpu);
    const auto mem = static_cast<std::size_t>(policy::Resource::kMemory);
    if (a.after.v[cpu] > 0 && a.after.v[cpu] != a.before.v[cpu]) {
      requests["cpu"] = CpuQuantity(a.after.v[cpu]);
    }
    if (a.after.v[mem] > 0 && a.after.v[mem] != a.before.v[mem]) {
      requests["memory"] = MemoryQuantity(a.after.v[mem]);
    }
    if (requests.empty()) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "nothing the kubernetes backend can set: only cpu and memory requests");
    }
    json patch = {
        {"spec",
         {{"template",
           {{"spec",
             {{"containers", json::array({{{"name", container},
                                           {"resources", {{"requests", requests}}}}})}}}}}}}};
    return Patch(ObjectPath(*ref), patch, kStrategicPatch);
  }
  // kMigrate: keep the pods off the source node and prefer the target; the rolling update that
  // the template change starts moves them.
  json node_affinity = {
      {"requiredDuringSchedulingIgnoredDuringExecution",
       {{"nodeSelectorTerms",
         json::array(
             {{{"matchExpressions", json::array({{{"key", kHostnameLabel},
                                                  {"operator", "NotIn"},
                                                  {"values", json::array({a.host})}}})}}})}}},
      {"preferredDuringSchedulingIgnoredDuringExecution",
       json::array({{{"weight", 100},
                     {"preference",
                      {{"matchExpressions",
                        json::array({{{"key", kHostnameLabel},
                                      {"operator", "In"},
                                      {"values", json::array({a.target_host})}}})}}}}})}};
  json patch = {{"spec",
                 {{"template",
                   {{"metadata",
                     {{"annotations",
                       {{"prognos.io/migrated-from", a.host},
                        {"prognos.io/migrated-to", a.target_host},
                        {"prognos.io/action", std::to_string(a.id)}}}}},
                    {"spec", {{"affinity", {{"nodeAffinity", node_affinity}}}}}}}}}};
  return Patch(ObjectPath(*ref), patch, kStrategicPatch);
}

Result<std::size_t> KubernetesActuator::EvictPods(const std::string& node) {
  auto pods = GetJson("/api/v1/pods?fieldSelector=" + Enc("spec.nodeName=" + node));
  if (!pods) return tl::unexpected(pods.error());
  std::size_t remaining = 0;
  if (!(*pods)["items"].is_array()) return remaining;
  for (const auto& pod : (*pods)["items"]) {
    if (!pod.is_object() || !Evictable(pod)) continue;
    ++remaining;
    if (pod["metadata"].contains("deletionTimestamp")) continue;  // already going
    const std::string ns = Str(pod, {"metadata", "namespace"});
    const std::string name = Str(pod, {"metadata", "name"});
    const json eviction = {{"apiVersion", "policy/v1"},
                           {"kind", "Eviction"},
                           {"metadata", {{"name", name}, {"namespace", ns}}}};
    ++stats_.requests;
    auto r =
        client_->Send("POST", "/api/v1/namespaces/" + Enc(ns) + "/pods/" + Enc(name) + "/eviction",
                      eviction.dump(), "application/json");
    if (!r) return tl::unexpected(r.error());
    if (r->status == 200 || r->status == 201) {
      ++stats_.evictions;
    } else if (r->status == 429) {
      ++stats_.evictions_blocked;  // a PodDisruptionBudget holds it: try again on the next verify
    } else if (r->status != 404) {
      std::string what = "evicting ";
      what += ns;
      what += '/';
      what += name;
      what += ": ";
      what += StatusMessage(*r);
      return MakeError(ErrorCode::kUnavailable, std::move(what));
    }
  }
  return remaining;
}

Verification KubernetesActuator::Verify(const policy::Action& action, TimestampMs now) {
  if (!Handles(action)) {
    if (fallback_ != nullptr) {
      ++stats_.delegated;
      return fallback_->Verify(action, now);
    }
    return Fail(NotDone(action));
  }
  return VerifyHandled(action);
}

Verification KubernetesActuator::RolloutStatus(const json& object) {
  for (const auto& c : object["status"].value("conditions", json::array())) {
    if (c.is_object() && c.value("type", "") == "Progressing" &&
        c.value("reason", "") == "ProgressDeadlineExceeded") {
      return Fail("rollout exceeded its progress deadline: " + c.value("message", ""));
    }
  }
  const std::int64_t want = Int(object, {"spec", "replicas"}, 1);
  const bool observed =
      Int(object, {"status", "observedGeneration"}) >= Int(object, {"metadata", "generation"});
  const bool done = observed && Int(object, {"status", "updatedReplicas"}) == want &&
                    Int(object, {"status", "replicas"}) == want &&
                    Int(object, {"status", "availableReplicas"}) == want;
  return done ? Verification::kConfirmed : Verification::kPending;
}

Verification KubernetesActuator::VerifyHandled(const policy::Action& a) {
  using policy::ActionType;
  if (a.type == ActionType::kDrain) {
    if (a.amount > 0) {
      auto left = EvictPods(a.host);
      if (!left) return Verification::kPending;  // transient; the window bounds it
      return *left == 0 ? Verification::kConfirmed : Verification::kPending;
    }
    auto node = GetJson(NodePath(a.host));
    if (!node) return Verification::kPending;
    return Flag(*node, {"spec", "unschedulable"}) ? Verification::kPending
                                                  : Verification::kConfirmed;
  }
  auto ref = ParseWorkloadRef(a.workload, config_.default_namespace);
  if (!ref) return Fail(ref.error().message);
  auto object = GetJson(ObjectPath(*ref));
  if (!object) {
    return object.error().code == ErrorCode::kNotFound ? Fail(object.error().message)
                                                       : Verification::kPending;
  }
  if (a.type == ActionType::kScaleOut || a.type == ActionType::kScaleIn) {
    if (Int(*object, {"spec", "replicas"}, -1) != a.replicas_after) {
      return Fail(a.workload + " replicas changed to " +
                  std::to_string(Int(*object, {"spec", "replicas"}, -1)) + " by someone else");
    }
    const bool observed =
        Int(*object, {"status", "observedGeneration"}) >= Int(*object, {"metadata", "generation"});
    const bool ready = Int(*object, {"status", "readyReplicas"}) == a.replicas_after &&
                       Int(*object, {"status", "replicas"}) == a.replicas_after;
    return observed && ready ? Verification::kConfirmed : Verification::kPending;
  }
  const Verification rollout = RolloutStatus(*object);
  if (rollout != Verification::kConfirmed || a.type != ActionType::kMigrate) return rollout;
  // Migrate: no pod of the workload left on the source node.
  std::string selector;
  const json& labels = (*object)["spec"]["selector"]["matchLabels"];
  if (labels.is_object()) {
    for (const auto& [k, v] : labels.items()) {
      if (!selector.empty()) selector += ',';
      selector += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  auto pods =
      GetJson("/api/v1/namespaces/" + Enc(ref->ns) + "/pods?labelSelector=" + Enc(selector));
  if (!pods) return Verification::kPending;
  for (const auto& pod : (*pods)["items"]) {
    if (Str(pod, {"spec", "nodeName"}) == a.host) return Verification::kPending;
  }
  return Verification::kConfirmed;
}

}  // namespace prognos::actuate
