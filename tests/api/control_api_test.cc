// The control routes over HTTP: /v1/allocations, /v1/risks, /v1/alerts, /v1/decisions and
// /v1/preferences, answered by a real Controller ticking over telemetry posted to /v1/health.
// The telemetry is synthetic (described below); the controller logic has its own tests in
// tests/engine/controller_test.cc.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "actuate/dry_run_actuator.h"
#include "api/server.h"
#include "core/clock.h"
#include "engine/controller.h"
#include "testing/daemon_process.h"

namespace prognos {
namespace {

using nlohmann::json;

constexpr TimestampMs kStart = 1700000000000;
constexpr DurationMs kStep = 5 * kMinuteMs;

class ControlApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions options;
    options.storage.dir = dir_.path() + "/data";
    options.storage.fsync = store::FsyncPolicy::kNever;
    options.future_tolerance_ms = 0;
    auto e = engine::Engine::Open(options, clock_, metrics_);
    ASSERT_TRUE(e.has_value()) << e.error().message;
    engine_ = std::move(*e);
    engine::ControllerOptions co;
    for (const char* id : {"h1", "h2"}) {
      policy::Host h;
      h.id = id;
      h.zone = "a";
      h.capacity[policy::Resource::kCpu] = 16;
      h.capacity[policy::Resource::kMemory] = 64;
      co.inventory.hosts.push_back(h);
    }
    policy::Workload w;
    w.id = "api";
    w.host = "h1";
    w.request[policy::Resource::kCpu] = 2;
    w.request[policy::Resource::kMemory] = 4;
    w.criticality = policy::Criticality::kHigh;
    co.inventory.workloads.push_back(w);
    controller_ = std::make_unique<engine::Controller>(*engine_, co, actuator_, nullptr);
    api::ApiOptions api;
    api.port = 0;
    api.threads = 2;
    server_ = std::make_unique<api::ApiServer>(*engine_, metrics_, api, controller_.get());
    auto port = server_->Start();
    ASSERT_TRUE(port.has_value());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
    // Two days: both hosts report a temperature around 55 °C (deterministic ±1 wobble) and "api"
    // uses 1 core; for the last hour h1's ECC error counter climbs (0, 3, 12, 27, …).
    const int steps = 2 * 288 + 12;
    for (int i = 0; i < steps; ++i) {
      const TimestampMs t = kStart + i * kStep;
      std::string body;
      for (const char* h : {"h1", "h2"}) {
        const int k = i - 2 * 288;
        const double ecc = std::string(h) == "h1" && k > 0 ? 3.0 * k * k : 0.0;
        body += json{{"ts", t},
                     {"host", h},
                     {"indicators", {{"cpu_temp_c", 55.0 + (i % 3) - 1.0}, {"ecc_errors", ecc}}}}
                    .dump() +
                "\n";
      }
      body += json{{"ts", t},
                   {"host", "h1"},
                   {"component", "api"},
                   {"indicators", {{"cpu_cores", 1.0 + 0.01 * (i % 5)}}}}
                  .dump() +
              "\n";
      auto res = client_->Post("/v1/health", body, "application/x-ndjson");
      ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "no reply");
      clock_.Set(t);
      controller_->Tick(t);
    }
  }
  void TearDown() override { server_->Stop(); }

  json GetJson(const std::string& path, int want_status = 200) {
    auto res = client_->Get(path.c_str());
    EXPECT_TRUE(res);
    if (!res) return {};
    EXPECT_EQ(res->status, want_status) << path << ": " << res->body;
    return json::parse(res->body, nullptr, false);
  }

  testing::TempDir dir_;
  FakeClock clock_{kStart};
  MetricsRegistry metrics_;
  std::unique_ptr<engine::Engine> engine_;
  actuate::DryRunActuator actuator_{[](std::string_view) {}};
  std::unique_ptr<engine::Controller> controller_;
  std::unique_ptr<api::ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ControlApiTest, RisksRankTheFailingHostFirstWithItsRecommendedActions) {
  const json risks = GetJson("/v1/risks?top=1")["risks"];
  ASSERT_EQ(risks.size(), 1u);
  EXPECT_EQ(risks[0]["host"], "h1");
  EXPECT_GE(risks[0]["p_fail"].get<double>(), 0.5);
  EXPECT_EQ(risks[0]["root_cause"], "ecc_errors");
  // A 1 h model horizon read for 30 minutes under a constant hazard: 1 − (1 − p)^0.5 < p.
  const json half = GetJson("/v1/risks?top=1&within=30m")["risks"][0];
  const double p = half["p_fail"].get<double>();
  EXPECT_NEAR(half["p_fail_within"].get<double>(), 1.0 - std::sqrt(1.0 - p), 1e-9);
  GetJson("/v1/risks?within=soon", 400);
  GetJson("/v1/risks?top=0", 400);
}

TEST_F(ControlApiTest, DecisionsListTheMigrationWithItsExplanationAndPage) {
  const json all = GetJson("/v1/decisions?workload=api&limit=10000");
  bool migrated = false;
  for (const auto& d : all["decisions"]) {
    if (d["kind"] == "decision" && d["action"]["type"] == "migrate") {
      migrated = true;
      EXPECT_EQ(d["action"]["host"], "h1");
      EXPECT_EQ(d["action"]["target_host"], "h2");
      EXPECT_NE(d["explain"].get<std::string>().find("migrate api"), std::string::npos);
    }
  }
  EXPECT_TRUE(migrated);
  // Pages of one entry walk the same list in order.
  const json first = GetJson("/v1/decisions?limit=1");
  ASSERT_EQ(first["decisions"].size(), 1u);
  ASSERT_TRUE(first["next_cursor"].is_string());
  const json second =
      GetJson("/v1/decisions?limit=1&cursor=" + first["next_cursor"].get<std::string>());
  ASSERT_EQ(second["decisions"].size(), 1u);
  EXPECT_GT(second["decisions"][0]["seq"].get<std::uint64_t>(),
            first["decisions"][0]["seq"].get<std::uint64_t>());
  GetJson("/v1/decisions?cursor=abc", 400);
  GetJson("/v1/decisions?since=yesterday", 400);
}

TEST_F(ControlApiTest, AllocationsFollowTheAppliedActions) {
  const json a = GetJson("/v1/allocations");
  ASSERT_EQ(a["hosts"].size(), 2u);
  ASSERT_EQ(a["workloads"].size(), 1u);
  ASSERT_TRUE(a["capacity_manifest"].is_string());
  // The dry-run actuator applied the migration: the model now places "api" on h2, and h1 was
  // drained.
  EXPECT_EQ(a["workloads"][0]["host"], "h2");
  for (const auto& h : a["hosts"]) {
    if (h["id"] == "h1") {
      EXPECT_FALSE(h["schedulable"].get<bool>());
    }
  }
  const json alerts = GetJson("/v1/alerts")["alerts"];
  ASSERT_FALSE(alerts.empty());
  EXPECT_EQ(alerts[0]["host"], "h1");
}

TEST_F(ControlApiTest, PreferencesAreValidatedAndListed) {
  auto put = [&](const std::string& body) {
    return client_->Put("/v1/preferences", body, "application/json");
  };
  auto ok = put(R"({"workload": "api", "forbid_preemption": true})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  // Unknown workload: a reason, 422.
  auto unknown = put(R"({"workload": "nope", "forbid_preemption": true})");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 422);
  EXPECT_NE(json::parse(unknown->body)["error"]["message"].get<std::string>().find("nope"),
            std::string::npos);
  // Malformed bodies: 400 with the field named.
  struct Case {
    const char* body;
    const char* needle;
  };
  for (const Case& c : {Case{"not json", "JSON object"}, Case{R"({"colour": "red"})", "colour"},
                        Case{R"({"headroom": "lots"})", "headroom"},
                        Case{R"({"headroom": -1})", "headroom"}}) {
    SCOPED_TRACE(c.body);
    auto r = put(c.body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_NE(r->body.find(c.needle), std::string::npos) << r->body;
  }
  const json list = GetJson("/v1/preferences")["preferences"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["workload"], "api");
  EXPECT_TRUE(list[0]["forbid_preemption"].get<bool>());
  // Both the accepted and the rejected preference are in the audit log.
  int audited = 0;
  const std::string since = std::to_string(clock_.NowMs());
  const json recent = GetJson("/v1/decisions?limit=10000&since=" + since);
  for (const auto& d : recent["decisions"]) {
    if (d["kind"] == "preference") ++audited;
  }
  EXPECT_EQ(audited, 2);
}

}  // namespace
}  // namespace prognos
