// The whole loop acting on Kubernetes: `prognos serve` with actuators.backend kubernetes plans a
// migration off a host whose ECC error counter climbs and carries it out through the Kubernetes
// API (the faithful stand-in of tests/actuate/fake_kube_api.h: no kube-apiserver is packaged in
// Debian 12): the deployment's pod template is patched, the pods move, the action is verified and
// audited as applied. Telemetry is synthetic (described in FailingHostTelemetry).
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "actuate/fake_kube_api.h"
#include "testing/daemon_process.h"

namespace prognos {
namespace {

using nlohmann::json;

// 60 samples a second apart ending now: both nodes at a steady 55 °C; over the last 10, n1's ECC
// error counter climbs (3, 12, 27, …).
std::string FailingHostTelemetry() {
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string body;
  for (int i = 0; i < 60; ++i) {
    for (const char* h : {"n1", "n2"}) {
      const int k = i - 50;
      const double ecc = std::string(h) == "n1" && k > 0 ? 3.0 * k * k : 0.0;
      body += json{{"ts", now_ms - (59 - i) * 1000LL},
                   {"host", h},
                   {"indicators", {{"cpu_temp_c", 55.0 + (i % 3) - 1.0}, {"ecc_errors", ecc}}}}
                  .dump() +
              "\n";
    }
  }
  return body;
}

TEST(KubernetesLoopTest, ServeMigratesADeploymentOffAFailingNodeThroughTheApi) {
  actuate::testing::FakeKubeApi api("loop-token");
  api.AddNode("n1");
  api.AddNode("n2");
  api.AddDeployment("prod", "api", 2, "n1");
  ::setenv("PROGNOS_TEST_KUBE_TOKEN", "loop-token", 1);

  testing::TempDir dir;
  const std::string config = dir.path() + "/prognos.yaml";
  std::ofstream(config) << "actuators:\n  backend: kubernetes\n  tick: 1s\n  kubernetes:\n"
                        << "    api_url: " << api.Url() << "\n"
                        << "    token_env: PROGNOS_TEST_KUBE_TOKEN\n    namespace: prod\n"
                        << "policy:\n  horizon: 1h\n"
                        << "hosts:\n  - {id: n1, zone: a, capacity: {cpu: 16, memory: 64}}\n"
                        << "  - {id: n2, zone: a, capacity: {cpu: 16, memory: 64}}\n"
                        << "workloads:\n  - {id: api, host: n1, request: {cpu: 2, memory: 4}, "
                           "criticality: high, priority: 10}\n";
  testing::DaemonProcess daemon(dir.path() + "/data", {"--config", config});
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  httplib::Client client("127.0.0.1", daemon.port());
  auto res = client.Post("/v1/health", FailingHostTelemetry(), "application/x-ndjson");
  ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "no reply");

  // The controller plans every second; the fake's deployment controller runs when we say so.
  bool verified = false;
  json decisions;
  for (int i = 0; i < 300 && !verified; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    api.Reconcile();
    auto r = client.Get("/v1/decisions?limit=10000");
    if (!r || r->status != 200) continue;
    decisions = json::parse(r->body, nullptr, false);
    for (const auto& d : decisions["decisions"]) {
      if (d["kind"] == "outcome" && d["outcome"].is_object() && d["outcome"]["type"] == "migrate" &&
          d["outcome"]["outcome"] == "verified") {
        verified = true;
      }
    }
  }
  ASSERT_TRUE(verified) << decisions.dump(1) << "\n" << daemon.Log();
  const auto tmpl = api.Deployment("prod", "api")["spec"]["template"];
  EXPECT_EQ(tmpl["metadata"]["annotations"]["prognos.io/migrated-from"], "n1");
  EXPECT_EQ(tmpl["metadata"]["annotations"]["prognos.io/migrated-to"], "n2");
  EXPECT_TRUE(api.PodsOn("n1").empty());
  EXPECT_EQ(api.PodsOn("n2").size(), 2u);
}

}  // namespace
}  // namespace prognos
