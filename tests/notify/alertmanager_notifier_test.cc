// AlertmanagerNotifier against the real Alertmanager 0.25 (Debian's prometheus-alertmanager),
// started on a free loopback port by the fixture: labels/annotations/status read back through
// GET /api/v2/alerts, resolution, dedup counted in POSTs, and Alertmanager down then back.
//
// Times: Alertmanager judges endsAt against its wall clock, so the fake clock starts 2 min before
// real time. Active alerts then end at fake + 4 min (> real now: active) and a resolution's
// endsAt = fake now stays in the past (< real now: resolved), whatever the machine's speed.
#include "notify/alertmanager_notifier.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "notify/alertmanager_process.h"

namespace prognos::notify {
namespace {

using predict::AlertTier;
using testing::AlertmanagerProcess;
using testing::HttpGet;
using testing::TempDir;
using testing::WaitFor;

bool SkipWithoutAlertmanager() {
  if (testing::AlertmanagerInstalled()) {
    return false;
  }
  if (std::getenv("CI") != nullptr) {
    ADD_FAILURE() << testing::kAlertmanagerBinary
                  << " is missing (CI is set): apt-get install prometheus-alertmanager";
  }
  return true;
}

// Alerts Alertmanager lists (active, not yet past endsAt) with this alertname.
nlohmann::json ListAlerts(const AlertmanagerProcess& am, const std::string& alertname) {
  const auto reply = HttpGet(
      am.Url() + "/api/v2/alerts?filter=" + testing::UrlEncode("alertname=\"" + alertname + "\""));
  if (reply.status != 200) {
    return nlohmann::json::array();
  }
  return nlohmann::json::parse(reply.body, nullptr, false);
}

Alert RiskAlert(const std::string& alertname, const std::string& host, AlertTier tier) {
  Alert a;
  a.alertname = alertname;
  a.host = host;
  a.component = "postgres-0";
  a.tier = tier;
  a.summary = "postgres-0 on " + host + " likely to fail within 24h";
  a.description = "P(failure) rose from 0.10 to 0.82 over 3h";
  a.p_fail = 0.82;
  a.root_cause = "disk_io_ms";
  a.runbook = "https://runbooks.example/prognos/disk";
  return a;
}

double CounterValue(const MetricsRegistry& registry, const std::string& series) {
  const std::string text = registry.RenderText();
  const auto pos = text.find("\n" + series + " ");
  if (pos == std::string::npos) {
    return -1.0;
  }
  return std::strtod(text.c_str() + pos + series.size() + 2, nullptr);
}

class AlertmanagerNotifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::AlertmanagerInstalled()) {
      return;
    }
    suite_dir = new TempDir();
    suite_am = new AlertmanagerProcess(suite_dir->path());
    if (!suite_am->Start()) {
      ADD_FAILURE() << "Alertmanager did not become ready:\n" << suite_am->Log();
    }
  }
  static void TearDownTestSuite() {
    delete suite_am;
    delete suite_dir;
    suite_am = nullptr;
    suite_dir = nullptr;
  }

  std::unique_ptr<AlertmanagerNotifier> Make(const std::string& url) {
    AlertmanagerConfig config;
    config.url = url;
    config.static_labels = {{"source", "prognos"}};
    config.generator_url = "http://127.0.0.1:8470/v1/alerts";
    config.backoff_initial_ms = 10;
    config.backoff_max_ms = 40;
    config.connect_timeout_ms = 1000;
    config.request_timeout_ms = 2000;
    auto n = AlertmanagerNotifier::Create(config, clock_, &registry_);
    EXPECT_TRUE(n) << n.error().message;
    return n ? std::move(*n) : nullptr;
  }

  static TempDir* suite_dir;
  static AlertmanagerProcess* suite_am;
  FakeClock clock_{SystemClock().NowMs() - 2 * kMinuteMs};
  MetricsRegistry registry_;
};

TempDir* AlertmanagerNotifierTest::suite_dir = nullptr;
AlertmanagerProcess* AlertmanagerNotifierTest::suite_am = nullptr;

TEST_F(AlertmanagerNotifierTest, DeliversLabelsAnnotationsAndTimes) {
  if (SkipWithoutAlertmanager()) {
    GTEST_SKIP() << "no " << testing::kAlertmanagerBinary;
  }
  auto n = Make(suite_am->Url());
  ASSERT_NE(n, nullptr);
  const TimestampMs now = clock_.NowMs();
  Alert critical = RiskAlert("PrognosDeliver", "node-17", AlertTier::kCritical);
  Alert info = RiskAlert("PrognosDeliver", "node-18", AlertTier::kInfo);
  info.component.clear();
  info.labels = {{"zone", "eu-1"}};
  ASSERT_EQ(n->Update({critical, info}, now).queued, 2U);
  ASSERT_TRUE(n->Flush(10'000));
  EXPECT_EQ(n->Stats().sent, 2U);

  nlohmann::json alerts;
  // The dispatcher marks alerts asynchronously ("unprocessed" → "active").
  ASSERT_TRUE(WaitFor([&] {
    alerts = ListAlerts(*suite_am, "PrognosDeliver");
    if (alerts.size() != 2) {
      return false;
    }
    for (const auto& a : alerts) {
      if (a["status"]["state"] != "active") {
        return false;
      }
    }
    return true;
  })) << alerts.dump(2);
  for (const auto& a : alerts) {
    const auto& labels = a["labels"];
    EXPECT_EQ(labels["source"], "prognos");
    if (labels["host"] == "node-17") {
      EXPECT_EQ(labels["tier"], "critical");
      EXPECT_EQ(labels["component"], "postgres-0");
      EXPECT_FALSE(labels.contains("zone"));
    } else {
      EXPECT_EQ(labels["host"], "node-18");
      EXPECT_EQ(labels["tier"], "info");
      EXPECT_FALSE(labels.contains("component"));
      EXPECT_EQ(labels["zone"], "eu-1");
    }
    const auto& ann = a["annotations"];
    EXPECT_EQ(ann["p_fail"], "0.820");
    EXPECT_EQ(ann["root_cause"], "disk_io_ms");
    EXPECT_EQ(ann["runbook"], "https://runbooks.example/prognos/disk");
    EXPECT_EQ(ann["description"], "P(failure) rose from 0.10 to 0.82 over 3h");
    EXPECT_EQ(a["generatorURL"], "http://127.0.0.1:8470/v1/alerts");
    EXPECT_EQ(a["receivers"][0]["name"], "blackhole");
    // Alertmanager parses and re-renders times; compare through our parser.
    auto starts = ParseTimestamp(a["startsAt"].get<std::string>());
    auto ends = ParseTimestamp(a["endsAt"].get<std::string>());
    ASSERT_TRUE(starts && ends);
    EXPECT_EQ(*starts, now);
    EXPECT_EQ(*ends, now + 4 * kMinuteMs);
  }
}

TEST_F(AlertmanagerNotifierTest, ResolvedAlertLeavesTheActiveList) {
  if (SkipWithoutAlertmanager()) {
    GTEST_SKIP() << "no " << testing::kAlertmanagerBinary;
  }
  auto n = Make(suite_am->Url());
  ASSERT_NE(n, nullptr);
  const std::vector<Alert> both = {RiskAlert("PrognosResolve", "a", AlertTier::kWarning),
                                   RiskAlert("PrognosResolve", "b", AlertTier::kWarning)};
  ASSERT_EQ(n->Update(both, clock_.NowMs()).queued, 2U);
  ASSERT_TRUE(n->Flush(10'000));
  ASSERT_EQ(ListAlerts(*suite_am, "PrognosResolve").size(), 2U);

  clock_.Advance(10 * kSecondMs);
  const auto r = n->Update({both[1]}, clock_.NowMs());
  EXPECT_EQ(r.resolved, 1U);
  EXPECT_EQ(r.deduplicated, 1U);
  ASSERT_TRUE(n->Flush(10'000));
  // endsAt = fake now (real − 110 s) is in the past: Alertmanager lists only b.
  const auto alerts = ListAlerts(*suite_am, "PrognosResolve");
  ASSERT_EQ(alerts.size(), 1U) << alerts.dump(2);
  EXPECT_EQ(alerts[0]["labels"]["host"], "b");
  EXPECT_EQ(n->Stats().sent, 3U);
  EXPECT_EQ(n->Stats().tracked, 1U);  // a forgotten once its resolution was delivered
}

TEST_F(AlertmanagerNotifierTest, ResendsOnlyEveryResendIntervalCountedInPosts) {
  if (SkipWithoutAlertmanager()) {
    GTEST_SKIP() << "no " << testing::kAlertmanagerBinary;
  }
  auto n = Make(suite_am->Url());
  ASSERT_NE(n, nullptr);
  const std::vector<Alert> active = {RiskAlert("PrognosDedup", "a", AlertTier::kCritical)};
  const std::string posts = "prognos_notify_requests_total{result=\"success\"}";
  for (int i = 0; i < 6; ++i) {  // one evaluation every 10 s for 50 s: one POST
    n->Update(active, clock_.NowMs());
    ASSERT_TRUE(n->Flush(10'000));
    clock_.Advance(10 * kSecondMs);
  }
  EXPECT_EQ(CounterValue(registry_, posts), 1.0);
  clock_.Advance(0);  // now start + 60 s: due again
  n->Update(active, clock_.NowMs());
  ASSERT_TRUE(n->Flush(10'000));
  EXPECT_EQ(CounterValue(registry_, posts), 2.0);
  EXPECT_EQ(CounterValue(registry_, "prognos_notify_alerts_sent_total"), 2.0);
  const auto alerts = ListAlerts(*suite_am, "PrognosDedup");
  ASSERT_EQ(alerts.size(), 1U);
  auto ends = ParseTimestamp(alerts[0]["endsAt"].get<std::string>());
  ASSERT_TRUE(ends);
  EXPECT_EQ(*ends, clock_.NowMs() + 4 * kMinuteMs);  // the re-send moved endsAt on
}

TEST_F(AlertmanagerNotifierTest, BatchesManyAlertsIntoFewPosts) {
  if (SkipWithoutAlertmanager()) {
    GTEST_SKIP() << "no " << testing::kAlertmanagerBinary;
  }
  auto n = Make(suite_am->Url());  // max_batch 64
  ASSERT_NE(n, nullptr);
  std::vector<Alert> active;
  active.reserve(150);
  for (int i = 0; i < 150; ++i) {
    active.push_back(RiskAlert("PrognosBatch", "host-" + std::to_string(i), AlertTier::kWarning));
  }
  ASSERT_EQ(n->Update(active, clock_.NowMs()).queued, 150U);
  ASSERT_TRUE(n->Flush(10'000));
  // Update queues all 150 under one lock, so the sender sees them together: 64 + 64 + 22.
  const auto s = n->Stats();
  EXPECT_EQ(s.sent, 150U);
  EXPECT_EQ(s.requests, 3U);
  EXPECT_EQ(ListAlerts(*suite_am, "PrognosBatch").size(), 150U);
}

// The Alertmanager config documented in docs/alerts.md ("routing by tier"), so the doc stays true.
std::string DocumentedAlertmanagerConfig() {
  std::ifstream in(std::string(PROGNOS_SOURCE_DIR) + "/docs/alerts.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const auto section = doc.find("## Alertmanager: routing by tier");
  const auto begin = doc.find("```yaml\n", section);
  const auto end = doc.find("```", begin + 8);
  if (section == std::string::npos || begin == std::string::npos || end == std::string::npos) {
    return "";
  }
  return doc.substr(begin + 8, end - begin - 8);
}

TEST_F(AlertmanagerNotifierTest, DocumentedConfigRoutesByTierAndCriticalInhibitsWarning) {
  if (SkipWithoutAlertmanager()) {
    GTEST_SKIP() << "no " << testing::kAlertmanagerBinary;
  }
  const std::string config = DocumentedAlertmanagerConfig();
  ASSERT_NE(config.find("oncall-pager"), std::string::npos)
      << "section not found in docs/alerts.md";
  TempDir dir;
  AlertmanagerProcess am(dir.path(), config);
  ASSERT_TRUE(am.Start()) << am.Log();
  auto n = Make(am.Url());
  ASSERT_NE(n, nullptr);
  const std::vector<Alert> active = {RiskAlert("PrognosRoute", "a", AlertTier::kCritical),
                                     RiskAlert("PrognosRoute", "a", AlertTier::kWarning),
                                     RiskAlert("PrognosRoute", "b", AlertTier::kWarning),
                                     RiskAlert("PrognosRoute", "c", AlertTier::kInfo)};
  ASSERT_EQ(n->Update(active, clock_.NowMs()).queued, 4U);
  ASSERT_TRUE(n->Flush(10'000));
  struct Want {
    std::string host, tier, receiver, state;
  };
  const std::vector<Want> want = {{"a", "critical", "oncall-pager", "active"},
                                  {"a", "warning", "ops-chat", "suppressed"},  // inhibited
                                  {"b", "warning", "ops-chat", "active"},
                                  {"c", "info", "blackhole", "active"}};
  nlohmann::json alerts;
  // Inhibition follows the alert feed asynchronously: wait for the final states.
  const bool settled = WaitFor([&] {
    alerts = ListAlerts(am, "PrognosRoute");
    if (alerts.size() != want.size()) {
      return false;
    }
    for (const Want& w : want) {
      bool found = false;
      for (const auto& a : alerts) {
        found = found || (a["labels"]["host"] == w.host && a["labels"]["tier"] == w.tier &&
                          a["receivers"].size() == 1 && a["receivers"][0]["name"] == w.receiver &&
                          a["status"]["state"] == w.state);
      }
      if (!found) {
        return false;
      }
    }
    return true;
  });
  EXPECT_TRUE(settled) << alerts.dump(2);
}

TEST_F(AlertmanagerNotifierTest, CountsFailuresWhileDownAndDeliversWhenBack) {
  if (SkipWithoutAlertmanager()) {
    GTEST_SKIP() << "no " << testing::kAlertmanagerBinary;
  }
  TempDir dir;
  AlertmanagerProcess am(dir.path());
  ASSERT_TRUE(am.Start()) << am.Log();
  auto n = Make(am.Url());
  ASSERT_NE(n, nullptr);
  am.Stop();

  const std::vector<Alert> active = {RiskAlert("PrognosDown", "a", AlertTier::kCritical)};
  ASSERT_EQ(n->Update(active, clock_.NowMs()).queued, 1U);
  ASSERT_TRUE(n->Flush(10'000));
  auto s = n->Stats();
  EXPECT_EQ(s.sent, 0U);
  EXPECT_EQ(s.failed, 1U);
  EXPECT_EQ(s.requests, 3U);  // max_attempts
  EXPECT_EQ(s.request_errors, 3U);
  EXPECT_EQ(CounterValue(registry_, "prognos_notify_requests_total{result=\"connection_error\"}"),
            3.0);
  EXPECT_NE(s.last_error.find("Couldn't connect"), std::string::npos) << s.last_error;

  ASSERT_TRUE(am.Start()) << am.Log();  // same port, same storage
  clock_.Advance(5 * kSecondMs);        // well inside the resend interval: due because it failed
  ASSERT_EQ(n->Update(active, clock_.NowMs()).queued, 1U);
  ASSERT_TRUE(n->Flush(10'000));
  s = n->Stats();
  EXPECT_EQ(s.sent, 1U);
  EXPECT_EQ(s.failed, 1U);
  const auto alerts = ListAlerts(am, "PrognosDown");
  ASSERT_EQ(alerts.size(), 1U);
  EXPECT_EQ(alerts[0]["labels"]["tier"], "critical");
}

}  // namespace
}  // namespace prognos::notify
