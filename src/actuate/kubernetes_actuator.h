// The Kubernetes backend: applies planner actions through the Kubernetes API server, the way
// kubectl and the descheduler do (docs/actuators.md has the full mapping):
//   scale_out / scale_in    PATCH …/{deployments|statefulsets}/{name}/scale (merge patch) to the
//                           planned replicas; verified when the controller reports them ready.
//   scale_up / scale_down   strategic-merge PATCH of the first container's resources.requests
//                           (cpu in millicores, memory in Mi); verified when the rollout is
//                           complete (kubectl rollout status), failed on ProgressDeadlineExceeded.
//   drain (amount > 0)      cordon the node (spec.unschedulable) and evict its pods through the
//                           Eviction API (policy/v1), which honours PodDisruptionBudgets: a 429 is
//                           retried on the next verify; DaemonSet, mirror and finished pods stay.
//   drain (amount 0)        uncordon (the inverse of a drain).
//   migrate                 pod-template node affinity: required NotIn [source], preferred In
//                           [target] (a rolling update moves the pods); verified when the rollout
//                           is complete and no pod of the workload runs on the source node.
// Other action types (pools, throttles, finer levers…) go to the optional `fallback` actuator
// (e.g. the webhook backend); without one, their precondition fails with the reason, so the
// runner records them as skipped and the audit says why.
// Workload ids name the object: "name" (default namespace), "namespace/name", or with a kind,
// "statefulset:namespace/name" (default kind: deployment). Host ids are node names.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "actuate/actuator.h"
#include "net/http_client.h"

namespace prognos::actuate {

struct KubernetesConfig {
  std::string api_url;  // e.g. https://10.96.0.1:443; empty = in-cluster (KUBERNETES_SERVICE_HOST)
  std::string bearer_token;  // empty = none (the daemon reads it from a file or env var)
  std::string ca_file;       // PEM of the API server's CA
  bool insecure_skip_verify = false;
  std::string default_namespace = "default";
  DurationMs timeout_ms = 10 * kSecondMs;
  // Field manager name for server-side bookkeeping (?fieldManager=).
  std::string field_manager = "prognos";
};

// The in-cluster defaults: API URL from KUBERNETES_SERVICE_HOST/PORT, the service account's
// token and CA from /var/run/secrets/kubernetes.io/serviceaccount. kNotFound outside a cluster.
Result<KubernetesConfig> InClusterConfig();

// A workload id parsed into the object it names.
struct KubeObjectRef {
  std::string kind = "deployments";  // resource plural: deployments or statefulsets
  std::string ns;
  std::string name;
};
Result<KubeObjectRef> ParseWorkloadRef(std::string_view id, std::string_view default_namespace);

// Quantities as the API writes them: cores → "1500m", GiB → "4096Mi" (rounded up).
std::string CpuQuantity(double cores);
std::string MemoryQuantity(double gib);

// Thread-compatible (the runner calls it from one thread).
class KubernetesActuator final : public Actuator {
 public:
  // `fallback` (may be null) must outlive the actuator.
  static Result<std::unique_ptr<KubernetesActuator>> Create(const KubernetesConfig& config,
                                                            Actuator* fallback = nullptr);

  std::string_view name() const override { return "kubernetes"; }
  Result<void> CheckPrecondition(const policy::Action& action) override;
  Result<void> Apply(const policy::Action& action, TimestampMs now) override;
  Verification Verify(const policy::Action& action, TimestampMs now) override;

  struct Stats {
    std::uint64_t requests = 0;
    std::uint64_t evictions = 0;          // pods evicted
    std::uint64_t evictions_blocked = 0;  // 429 from a PodDisruptionBudget (retried)
    std::uint64_t delegated = 0;          // calls passed to the fallback
  };
  const Stats& stats() const { return stats_; }
  const std::string& last_reason() const { return last_reason_; }

 private:
  KubernetesActuator(KubernetesConfig config, std::unique_ptr<net::HttpClient> client,
                     Actuator* fallback);
  static bool Handles(const policy::Action& action);
  // GET a JSON object; kNotFound on 404, kUnavailable on no reply or another status (with the
  // API's Status message).
  Result<nlohmann::json> GetJson(const std::string& path);
  // PATCH with the given patch type; an Error carries the API's Status message.
  Result<void> Patch(const std::string& path, const nlohmann::json& patch,
                     std::string_view content_type);
  Result<void> CheckHandled(const policy::Action& action);
  Result<void> ApplyHandled(const policy::Action& action);
  Verification VerifyHandled(const policy::Action& action);
  // Evicts the evictable pods still on `node`; returns how many remain (evicted or not).
  Result<std::size_t> EvictPods(const std::string& node);
  // kConfirmed when the object's rollout is complete, kFailed past its progress deadline.
  Verification RolloutStatus(const nlohmann::json& object);
  Verification Fail(std::string reason);

  KubernetesConfig config_;
  std::unique_ptr<net::HttpClient> client_;
  Actuator* fallback_;
  Stats stats_;
  std::string last_reason_;
};

}  // namespace prognos::actuate
