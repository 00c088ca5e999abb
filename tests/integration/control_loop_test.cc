// The control loop in the real daemon: `prognos serve --config` with a policy plans on its own
// wall-clock ticker, acts through the dry-run actuator, and its audit log survives kill -9.
// Telemetry is synthetic (described in the test).
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "notify/alertmanager_process.h"
#include "testing/daemon_process.h"

namespace prognos {
namespace {

using nlohmann::json;

constexpr const char* kConfig = R"(actuators:
  backend: dry-run
  tick: 1s
policy:
  horizon: 1h
hosts:
  - {id: h1, zone: a, capacity: {cpu: 16, memory: 64}}
  - {id: h2, zone: a, capacity: {cpu: 16, memory: 64}}
workloads:
  - {id: api, host: h1, request: {cpu: 2, memory: 4}, criticality: high, priority: 10}
)";

json Get(httplib::Client& c, const std::string& path) {
  auto res = c.Get(path.c_str());
  if (!res || res->status != 200) return json();
  return json::parse(res->body, nullptr, false);
}

// 60 samples one second apart ending now: h1 and h2 at a steady 55 °C with no memory errors,
// then for the last 10 samples h1's ECC error counter climbs (3, 12, 27, …).
std::string FailingHostTelemetry() {
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string body;
  for (int i = 0; i < 60; ++i) {
    const long long t = now_ms - (59 - i) * 1000LL;
    for (const char* h : {"h1", "h2"}) {
      const int k = i - 50;
      const double ecc = std::string(h) == "h1" && k > 0 ? 3.0 * k * k : 0.0;
      body += json{{"ts", t},
                   {"host", h},
                   {"indicators", {{"cpu_temp_c", 55.0 + (i % 3) - 1.0}, {"ecc_errors", ecc}}}}
                  .dump() +
              "\n";
    }
  }
  return body;
}

bool HasMigration(const json& decisions) {
  if (!decisions.is_object()) return false;
  for (const auto& d : decisions["decisions"]) {
    if (d["kind"] == "decision" && d["action"]["type"] == "migrate" &&
        d["action"]["workload"] == "api") {
      return true;
    }
  }
  return false;
}

TEST(ControlLoopTest, ServeMigratesOffAFailingHostAndTheAuditSurvivesKill9) {
  testing::TempDir dir;
  const std::string config = dir.path() + "/prognos.yaml";
  std::ofstream(config) << kConfig;
  testing::DaemonProcess daemon(dir.path() + "/data", {"--config", config});
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  httplib::Client client("127.0.0.1", daemon.port());
  const std::string body = FailingHostTelemetry();
  auto res = client.Post("/v1/health", body, "application/x-ndjson");
  ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "no reply");
  // The ticker plans every second: within 20 s the migration is decided and applied (dry-run).
  json decisions;
  for (int i = 0; i < 200 && !HasMigration(decisions); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    decisions = Get(client, "/v1/decisions?limit=10000");
  }
  ASSERT_TRUE(HasMigration(decisions)) << decisions.dump() << "\n" << daemon.Log();
  const json allocations = Get(client, "/v1/allocations");
  ASSERT_EQ(allocations["workloads"].size(), 1u);
  EXPECT_EQ(allocations["workloads"][0]["host"], "h2");
  const std::size_t before = decisions["decisions"].size();

  // kill -9: every entry acknowledged to the API before is in the audit log after the restart.
  daemon.Kill();
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  httplib::Client again("127.0.0.1", daemon.port());
  const json after = Get(again, "/v1/decisions?limit=10000");
  ASSERT_TRUE(after.is_object());
  ASSERT_GE(after["decisions"].size(), before);
  for (std::size_t i = 0; i < before; ++i) {
    EXPECT_EQ(after["decisions"][i], decisions["decisions"][i]) << i;
  }
  EXPECT_TRUE(HasMigration(after));
}

// With notify.alertmanager set, serve sends the failing host's tier to a real Alertmanager
// (Debian's prometheus-alertmanager, started here on loopback), labelled as docs/alerts.md says.
TEST(ControlLoopTest, ServeSendsTheFailingHostsAlertToAlertmanager) {
  if (!notify::testing::AlertmanagerInstalled()) {
    if (std::getenv("CI") != nullptr) FAIL() << "prometheus-alertmanager missing in CI";
    GTEST_SKIP() << "prometheus-alertmanager not installed";
  }
  testing::TempDir dir;
  notify::testing::AlertmanagerProcess am(dir.path() + "/am");
  std::filesystem::create_directories(dir.path() + "/am");
  ASSERT_TRUE(am.Start());
  const std::string config = dir.path() + "/prognos.yaml";
  std::ofstream(config) << kConfig << "notify:\n  alertmanager:\n    url: " << am.Url()
                        << "\n    resend_interval: 1s\n";
  testing::DaemonProcess daemon(dir.path() + "/data", {"--config", config});
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  httplib::Client client("127.0.0.1", daemon.port());
  auto res = client.Post("/v1/health", FailingHostTelemetry(), "application/x-ndjson");
  ASSERT_TRUE(res && res->status == 200);
  json alerts;
  auto h1_alert = [&]() -> const json* {
    if (!alerts.is_array()) return nullptr;
    for (const auto& a : alerts) {
      if (a["labels"].value("host", "") == "h1") return &a;
    }
    return nullptr;
  };
  for (int i = 0; i < 200 && h1_alert() == nullptr; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    alerts = json::parse(notify::testing::HttpGet(am.Url() + "/api/v2/alerts").body, nullptr,
                         false);
  }
  const json* a = h1_alert();
  ASSERT_NE(a, nullptr) << alerts.dump() << "\n" << daemon.Log();
  EXPECT_EQ((*a)["labels"]["source"], "prognos");
  const std::string tier = (*a)["labels"]["tier"];
  EXPECT_TRUE(tier == "warning" || tier == "critical") << tier;
  EXPECT_EQ((*a)["annotations"]["root_cause"], "ecc_errors");
  for (const auto& other : alerts) EXPECT_NE(other["labels"].value("host", ""), "h2") << other.dump();
}

}  // namespace
}  // namespace prognos
