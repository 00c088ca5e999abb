#include "actuate/kubernetes_actuator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "actuate/dry_run_actuator.h"
#include "actuate/fake_kube_api.h"

namespace prognos::actuate {
namespace {

using policy::Action;
using policy::ActionType;
using testing::FakeKubeApi;
using ::testing::HasSubstr;

constexpr auto kCpu = static_cast<std::size_t>(policy::Resource::kCpu);
constexpr auto kMem = static_cast<std::size_t>(policy::Resource::kMemory);

std::unique_ptr<KubernetesActuator> Make(const FakeKubeApi& api, Actuator* fallback = nullptr,
                                         const std::string& token = "t0ken") {
  KubernetesConfig c;
  c.api_url = api.Url();
  c.bearer_token = token;
  c.default_namespace = "prod";
  auto k = KubernetesActuator::Create(c, fallback);
  EXPECT_TRUE(k.has_value());
  return k ? std::move(*k) : nullptr;
}

Action Scale(ActionType type, const std::string& workload, int before, int after) {
  Action a;
  a.id = 7;
  a.type = type;
  a.workload = workload;
  a.replicas_before = before;
  a.replicas_after = after;
  return a;
}

TEST(KubernetesActuatorTest, WorkloadIdsNameObjects) {
  auto r = ParseWorkloadRef("web", "prod");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, "deployments");
  EXPECT_EQ(r->ns, "prod");
  EXPECT_EQ(r->name, "web");
  r = ParseWorkloadRef("shop/cart", "prod");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ns, "shop");
  EXPECT_EQ(r->name, "cart");
  r = ParseWorkloadRef("statefulset:data/pg", "prod");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, "statefulsets");
  EXPECT_EQ(r->ns, "data");
  EXPECT_EQ(r->name, "pg");
  EXPECT_FALSE(ParseWorkloadRef("cronjob:x", "prod"));
  EXPECT_FALSE(ParseWorkloadRef("a/b/c", "prod"));
  EXPECT_FALSE(ParseWorkloadRef("/web", "prod"));
}

TEST(KubernetesActuatorTest, QuantitiesAreWrittenAsTheApiWritesThem) {
  EXPECT_EQ(CpuQuantity(1.5), "1500m");
  EXPECT_EQ(CpuQuantity(2.0), "2");
  EXPECT_EQ(CpuQuantity(0.0001), "1m");  // rounded up: never request less than planned
  EXPECT_EQ(MemoryQuantity(4.0), "4Gi");
  EXPECT_EQ(MemoryQuantity(1.5), "1536Mi");
  EXPECT_EQ(MemoryQuantity(0.001), "2Mi");  // 1.024 Mi rounded up
}

TEST(KubernetesActuatorTest, ScaleOutPatchesTheScaleAndVerifiesWhenReplicasAreReady) {
  FakeKubeApi api;
  api.AddNode("n1");
  api.AddDeployment("prod", "web", 2, "n1");
  auto k = Make(api);
  const Action a = Scale(ActionType::kScaleOut, "web", 2, 4);
  ASSERT_TRUE(k->CheckPrecondition(a));
  ASSERT_TRUE(k->Apply(a, 0));
  EXPECT_EQ(api.Deployment("prod", "web")["spec"]["replicas"], 4);
  EXPECT_EQ(k->Verify(a, 0), Verification::kPending);  // the controller has not caught up
  api.Reconcile();
  EXPECT_EQ(k->Verify(a, 0), Verification::kConfirmed);
  EXPECT_EQ(api.PodsOn("n1").size(), 4u);
}

TEST(KubernetesActuatorTest, ScaleRefusesWhenReplicasChangedSincePlanning) {
  FakeKubeApi api;
  api.AddNode("n1");
  api.AddDeployment("prod", "web", 2, "n1");
  auto k = Make(api);
  auto r = k->CheckPrecondition(Scale(ActionType::kScaleIn, "web", 3, 2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(r.error().message, HasSubstr("has 2 replicas, the plan expected 3"));
}

TEST(KubernetesActuatorTest, ScaleUpSetsTheFirstContainersRequestsAndWaitsForTheRollout) {
  FakeKubeApi api;
  api.AddNode("n1");
  api.AddDeployment("prod", "web", 2, "n1", "500m", "1Gi");
  auto k = Make(api);
  Action a;
  a.id = 3;
  a.type = ActionType::kScaleUp;
  a.workload = "prod/web";
  a.before.v[kCpu] = 0.5;
  a.after.v[kCpu] = 1.5;
  a.before.v[kMem] = 1.0;
  a.after.v[kMem] = 2.0;
  ASSERT_TRUE(k->CheckPrecondition(a));
  ASSERT_TRUE(k->Apply(a, 0));
  const auto d = api.Deployment("prod", "web");
  const auto& c = d["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["resources"]["requests"]["cpu"], "1500m");
  EXPECT_EQ(c["resources"]["requests"]["memory"], "2Gi");
  EXPECT_EQ(c["image"], "registry.example/app:1");  // merged by name, not replaced
  EXPECT_EQ(d["metadata"]["generation"], 2);
  EXPECT_EQ(k->Verify(a, 0), Verification::kPending);
  api.Reconcile();
  EXPECT_EQ(k->Verify(a, 0), Verification::kConfirmed);
}

TEST(KubernetesActuatorTest, ARolloutPastItsDeadlineFailsVerification) {
  FakeKubeApi api;
  api.AddNode("n1");
  api.AddDeployment("prod", "web", 2, "n1");
  auto k = Make(api);
  Action a;
  a.type = ActionType::kScaleDown;
  a.workload = "web";
  a.before.v[kCpu] = 0.5;
  a.after.v[kCpu] = 0.25;
  ASSERT_TRUE(k->Apply(a, 0));
  api.FailRollout("prod", "web");
  api.Reconcile();
  EXPECT_EQ(k->Verify(a, 0), Verification::kFailed);
  EXPECT_THAT(k->last_reason(), HasSubstr("progress deadline"));
}

TEST(KubernetesActuatorTest, DrainCordonsEvictsThroughBudgetsAndLeavesDaemonSetPods) {
  FakeKubeApi api;
  api.AddNode("n1");
  api.AddNode("n2");
  api.AddDeployment("prod", "web", 2, "n1");
  api.AddPod("prod", "batch-1", "n1");
  api.AddPod("kube-system", "node-exporter-x", "n1", /*daemonset=*/true);
  api.BlockEviction("batch-1", 1);  // a PodDisruptionBudget holds it once
  auto k = Make(api);
  Action a;
  a.type = ActionType::kDrain;
  a.host = "n1";
  a.amount = 1;
  ASSERT_TRUE(k->CheckPrecondition(a));
  ASSERT_TRUE(k->Apply(a, 0));
  EXPECT_TRUE(api.Node("n1")["spec"]["unschedulable"].get<bool>());
  EXPECT_EQ(k->stats().evictions, 2u);                 // web's two pods
  EXPECT_EQ(k->stats().evictions_blocked, 1u);         // batch-1: 429
  EXPECT_EQ(k->Verify(a, 0), Verification::kPending);  // batch-1 evicted now, was still there
  EXPECT_EQ(k->stats().evictions, 3u);
  api.Reconcile();  // web's pods are recreated on n2, not on the cordoned n1
  EXPECT_EQ(k->Verify(a, 0), Verification::kConfirmed);
  EXPECT_EQ(api.PodsOn("n1"), std::vector<std::string>{"node-exporter-x"});
  EXPECT_EQ(api.PodsOn("n2").size(), 2u);

  // The inverse (amount 0) uncordons.
  Action undo = policy::Inverse(a);
  ASSERT_EQ(undo.amount, 0);
  ASSERT_TRUE(k->Apply(undo, 0));
  EXPECT_FALSE(api.Node("n1")["spec"]["unschedulable"].get<bool>());
  EXPECT_EQ(k->Verify(undo, 0), Verification::kConfirmed);
}

TEST(KubernetesActuatorTest, MigrateMovesPodsOffTheSourceNodeByAffinity) {
  FakeKubeApi api;
  api.AddNode("n1");
  api.AddNode("n2");
  api.AddNode("n3");
  api.AddDeployment("prod", "web", 3, "n1");
  auto k = Make(api);
  Action a;
  a.id = 12;
  a.type = ActionType::kMigrate;
  a.workload = "web";
  a.host = "n1";
  a.target_host = "n3";
  ASSERT_TRUE(k->CheckPrecondition(a));
  ASSERT_TRUE(k->Apply(a, 0));
  const auto tmpl = api.Deployment("prod", "web")["spec"]["template"];
  EXPECT_EQ(tmpl["metadata"]["annotations"]["prognos.io/migrated-from"], "n1");
  const auto& na = tmpl["spec"]["affinity"]["nodeAffinity"];
  EXPECT_EQ(na["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]
              ["matchExpressions"][0]["values"][0],
            "n1");
  EXPECT_EQ(k->Verify(a, 0), Verification::kPending);
  EXPECT_EQ(api.PodsOn("n1").size(), 3u);
  api.Reconcile();
  EXPECT_EQ(k->Verify(a, 0), Verification::kConfirmed);
  EXPECT_TRUE(api.PodsOn("n1").empty());
  EXPECT_EQ(api.PodsOn("n3").size(), 3u);
}

TEST(KubernetesActuatorTest, MigrateRefusesACordonedTarget) {
  FakeKubeApi api;
  api.AddNode("n1");
  api.AddNode("n2");
  api.AddDeployment("prod", "web", 1, "n1");
  auto k = Make(api);
  Action drain;
  drain.type = ActionType::kDrain;
  drain.host = "n2";
  drain.amount = 1;
  ASSERT_TRUE(k->Apply(drain, 0));
  Action a;
  a.type = ActionType::kMigrate;
  a.workload = "web";
  a.host = "n1";
  a.target_host = "n2";
  auto r = k->CheckPrecondition(a);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("cordoned"));
}

TEST(KubernetesActuatorTest, OtherActionsGoToTheFallbackOrAreRefusedWithAReason) {
  FakeKubeApi api;
  Action a;
  a.type = ActionType::kResizePool;
  a.pool = "batch";
  auto alone = Make(api);
  auto r = alone->CheckPrecondition(a);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(r.error().message, HasSubstr("resize_pool"));
  EXPECT_THAT(r.error().message, HasSubstr("actuators.webhook"));

  DryRunActuator dry(nullptr);
  auto with = Make(api, &dry);
  EXPECT_TRUE(with->CheckPrecondition(a));
  EXPECT_TRUE(with->Apply(a, 0));
  EXPECT_EQ(with->Verify(a, 0), Verification::kConfirmed);
  EXPECT_EQ(with->stats().delegated, 3u);
  EXPECT_EQ(dry.applies(), 1u);
  EXPECT_TRUE(api.Requests().empty());  // nothing went to the API server
}

TEST(KubernetesActuatorTest, ReplicateIsRefusedAsNotReplicationUnlessAWebhookTakesIt) {
  // Kubernetes has no verb for a continuously replicated copy (a VolumeSnapshot is not one): the
  // backend refuses it and says where to route it; nothing reaches the API server.
  FakeKubeApi api;
  Action a;
  a.id = 9;
  a.type = ActionType::kReplicate;
  a.workload = "db";
  a.host = "node-1";
  a.target_host = "node-2";
  a.amount = 50;
  auto alone = Make(api);
  auto check = alone->CheckPrecondition(a);
  ASSERT_FALSE(check);
  EXPECT_EQ(check.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(check.error().message, HasSubstr("does not do replicate"));
  EXPECT_THAT(check.error().message, HasSubstr("VolumeSnapshot is a point-in-time copy"));
  EXPECT_THAT(check.error().message, HasSubstr("actuators.webhook.url"));
  auto apply = alone->Apply(a, 0);
  ASSERT_FALSE(apply);
  EXPECT_THAT(apply.error().message, HasSubstr("storage layer"));
  EXPECT_EQ(alone->Verify(a, 0), Verification::kFailed);
  EXPECT_TRUE(api.Requests().empty());

  DryRunActuator dry(nullptr);
  auto with = Make(api, &dry);
  EXPECT_TRUE(with->CheckPrecondition(a));
  EXPECT_TRUE(with->Apply(a, 0));
  EXPECT_EQ(dry.applies(), 1u);
  EXPECT_TRUE(api.Requests().empty());
}

TEST(KubernetesActuatorTest, ErrorsNameTheirCause) {
  FakeKubeApi api;
  api.AddNode("n1");
  api.AddDeployment("prod", "web", 1, "n1");
  auto bad_token = Make(api, nullptr, "wrong");
  auto r = bad_token->CheckPrecondition(Scale(ActionType::kScaleOut, "web", 1, 2));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("HTTP 401"));

  auto k = Make(api);
  r = k->CheckPrecondition(Scale(ActionType::kScaleOut, "missing", 1, 2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);

  KubernetesConfig c;
  c.api_url = "http://127.0.0.1:1";  // nothing listens on port 1
  c.timeout_ms = 2000;
  auto down = KubernetesActuator::Create(c);
  ASSERT_TRUE(down);
  r = (*down)->CheckPrecondition(Scale(ActionType::kScaleOut, "web", 1, 2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);

  c.api_url = "kube:6443";
  EXPECT_FALSE(KubernetesActuator::Create(c));
}

}  // namespace
}  // namespace prognos::actuate
