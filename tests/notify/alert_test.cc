// Alert labels/annotations/JSON, and the notifier's dedup, resolve, queue and retry logic against a
// scripted transport (no network). The real Alertmanager is in alertmanager_notifier_test.cc.
#include "notify/alert.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "notify/alertmanager_notifier.h"

namespace prognos::notify {
namespace {

using predict::AlertTier;

Alert MakeAlert(std::string host, std::string component = "",
                AlertTier tier = AlertTier::kWarning) {
  Alert a;
  a.host = std::move(host);
  a.component = std::move(component);
  a.tier = tier;
  a.summary = "risk on " + a.host;
  return a;
}

TEST(AlertLabelsTest, BuildsCoreLabelsThenExtraThenStatic) {
  Alert a = MakeAlert("node-17", "postgres-0", AlertTier::kCritical);
  a.labels = {{"zone", "eu-1"}, {"empty", ""}};
  auto labels = AlertLabels(a, {{"source", "prognos"}, {"zone", "ignored"}});
  ASSERT_TRUE(labels) << labels.error().message;
  const LabelSet want = {{"alertname", "PrognosFailureRisk"},
                         {"host", "node-17"},
                         {"component", "postgres-0"},
                         {"tier", "critical"},
                         {"zone", "eu-1"},
                         {"source", "prognos"}};
  EXPECT_EQ(*labels, want);
}

TEST(AlertLabelsTest, HostLevelAlertHasNoComponentLabel) {
  auto labels = AlertLabels(MakeAlert("h1"), {});
  ASSERT_TRUE(labels);
  EXPECT_EQ(labels->count("component"), 0U);
  EXPECT_EQ(labels->at("tier"), "warning");
}

TEST(AlertLabelsTest, RejectsMissingHostTierNoneBadNamesAndCoreOverrides) {
  struct Case {
    const char* name;
    Alert alert;
  };
  Alert no_host = MakeAlert("");
  Alert none = MakeAlert("h", "", AlertTier::kNone);
  Alert bad_name = MakeAlert("h");
  bad_name.labels = {{"1zone", "x"}};
  Alert override_tier = MakeAlert("h");
  override_tier.labels = {{"tier", "info"}};
  Alert no_name = MakeAlert("h");
  no_name.alertname.clear();
  const Case cases[] = {{"no host", no_host},
                        {"tier none", none},
                        {"bad label name", bad_name},
                        {"core override", override_tier},
                        {"no alertname", no_name}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto labels = AlertLabels(c.alert, {});
    ASSERT_FALSE(labels);
    EXPECT_EQ(labels.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(AlertAnnotationsTest, FormatsPFailAndLeavesOutEmptyOnes) {
  Alert a = MakeAlert("h");
  a.p_fail = 0.73449;
  a.root_cause = "disk_io_ms";
  a.annotations = {{"dashboard", "http://grafana/d/1"}, {"summary", "not replaced"}};
  const LabelSet want = {{"summary", "risk on h"},
                         {"p_fail", "0.734"},
                         {"root_cause", "disk_io_ms"},
                         {"dashboard", "http://grafana/d/1"}};
  auto got = AlertAnnotations(a);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, want);
  a.annotations = {{"dashboard-url", "x"}};  // Alertmanager would answer 400 for the batch
  EXPECT_FALSE(AlertAnnotations(a));
}

TEST(EncodePostableAlertsTest, WritesAlertmanagerV2Shape) {
  PostableAlert p;
  p.labels = {{"alertname", "A"}, {"host", "h"}};
  p.annotations = {{"summary", "bad \xff byte"}};
  p.starts_at = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
  p.ends_at = 1'700'000'060'500;    // 60.5 s later
  const auto body = nlohmann::json::parse(EncodePostableAlerts({p, p}));
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 2U);
  EXPECT_EQ(body[0]["labels"]["host"], "h");
  EXPECT_EQ(body[0]["startsAt"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(body[0]["endsAt"], "2023-11-14T22:14:20.500Z");
  EXPECT_EQ(body[0]["annotations"]["summary"], "bad \xEF\xBF\xBD byte");  // U+FFFD
  EXPECT_FALSE(body[0].contains("generatorURL"));
}

// Replies from a script (default 200), records bodies; can hold the sender inside a call.
class ScriptedTransport final : public AlertTransport {
 public:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Result<HttpReply>> script;
    std::vector<std::string> bodies;
    bool hold = false;     // block inside PostJson until released
    bool entered = false;  // a call is blocked
  };
  explicit ScriptedTransport(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  Result<HttpReply> PostJson(const std::string& body) override {
    std::unique_lock<std::mutex> lock(s_->mu);
    s_->bodies.push_back(body);
    s_->entered = true;
    s_->cv.notify_all();
    s_->cv.wait(lock, [this] { return !s_->hold; });
    if (s_->script.empty()) {
      return HttpReply{200, ""};
    }
    auto r = s_->script.front();
    s_->script.pop_front();
    return r;
  }

 private:
  std::shared_ptr<Shared> s_;
};

class NotifierLogicTest : public ::testing::Test {
 protected:
  std::unique_ptr<AlertmanagerNotifier> Make(AlertmanagerConfig config = {}) {
    config.backoff_initial_ms = 1;
    config.backoff_max_ms = 2;
    auto n = AlertmanagerNotifier::Create(config, clock_, nullptr,
                                          std::make_unique<ScriptedTransport>(shared_));
    EXPECT_TRUE(n);
    return std::move(*n);
  }
  std::size_t Posts() {
    std::lock_guard<std::mutex> lock(shared_->mu);
    return shared_->bodies.size();
  }
  nlohmann::json LastBody() {
    std::lock_guard<std::mutex> lock(shared_->mu);
    return nlohmann::json::parse(shared_->bodies.back());
  }

  FakeClock clock_{1'000'000};
  std::shared_ptr<ScriptedTransport::Shared> shared_ =
      std::make_shared<ScriptedTransport::Shared>();
};

TEST_F(NotifierLogicTest, ResendsActiveAlertOnlyEveryResendInterval) {
  auto n = Make();  // resend 60 s
  const std::vector<Alert> active = {MakeAlert("h1"), MakeAlert("h2")};
  EXPECT_EQ(n->Update(active, 0).queued, 2U);
  ASSERT_TRUE(n->Flush(5000));
  EXPECT_EQ(n->Update(active, 30'000).deduplicated, 2U);
  EXPECT_EQ(n->Update(active, 59'999).deduplicated, 2U);
  ASSERT_TRUE(n->Flush(5000));
  EXPECT_EQ(Posts(), 1U);
  EXPECT_EQ(n->Update(active, 60'000).queued, 2U);  // exactly one interval later
  ASSERT_TRUE(n->Flush(5000));
  EXPECT_EQ(Posts(), 2U);
  const auto body = LastBody();
  ASSERT_EQ(body.size(), 2U);
  EXPECT_EQ(body[0]["startsAt"], FormatTimestamp(0));  // unchanged across re-sends
  EXPECT_EQ(body[0]["endsAt"], FormatTimestamp(60'000 + 4 * kMinuteMs));
  EXPECT_EQ(n->Stats().sent, 4U);
}

TEST_F(NotifierLogicTest, ResolvesOnceWithEndsAtNowThenForgets) {
  auto n = Make();
  ASSERT_EQ(n->Update({MakeAlert("h1"), MakeAlert("h2")}, 1000).queued, 2U);
  ASSERT_TRUE(n->Flush(5000));
  const auto r = n->Update({MakeAlert("h2")}, 2000);
  EXPECT_EQ(r.resolved, 1U);
  EXPECT_EQ(r.deduplicated, 1U);
  ASSERT_TRUE(n->Flush(5000));
  const auto body = LastBody();
  ASSERT_EQ(body.size(), 1U);
  EXPECT_EQ(body[0]["labels"]["host"], "h1");
  EXPECT_EQ(body[0]["endsAt"], FormatTimestamp(2000));
  EXPECT_EQ(n->Stats().tracked, 1U);
  EXPECT_EQ(n->Update({MakeAlert("h2")}, 3000).resolved, 0U);  // sent once only
  // Firing again later is a new instance with a new startsAt.
  ASSERT_EQ(n->Update({MakeAlert("h1"), MakeAlert("h2")}, 4000).queued, 1U);
  ASSERT_TRUE(n->Flush(5000));
  EXPECT_EQ(LastBody()[0]["startsAt"], FormatTimestamp(4000));
}

TEST_F(NotifierLogicTest, TierChangeResolvesTheOldTierAndSendsTheNew) {
  auto n = Make();
  ASSERT_EQ(n->Update({MakeAlert("h1", "db", AlertTier::kWarning)}, 0).queued, 1U);
  ASSERT_TRUE(n->Flush(5000));
  const auto r = n->Update({MakeAlert("h1", "db", AlertTier::kCritical)}, 1000);
  EXPECT_EQ(r.queued, 2U);
  EXPECT_EQ(r.resolved, 1U);
}

TEST_F(NotifierLogicTest, FullQueueDropsWithoutBlockingAndRetriesOnNextUpdate) {
  AlertmanagerConfig config;
  config.max_queue = 2;
  config.max_batch = 1;
  shared_->hold = true;
  auto n = Make(config);
  ASSERT_EQ(n->Update({MakeAlert("h0")}, 0).queued, 1U);
  {
    std::unique_lock<std::mutex> lock(shared_->mu);  // the sender now holds h0 in flight
    ASSERT_TRUE(
        shared_->cv.wait_for(lock, std::chrono::seconds(5), [&] { return shared_->entered; }));
  }
  std::vector<Alert> active = {MakeAlert("h0"), MakeAlert("h1"), MakeAlert("h2"), MakeAlert("h3"),
                               MakeAlert("h4")};
  const auto r = n->Update(active, 1000);
  EXPECT_EQ(r.deduplicated, 1U);  // h0
  EXPECT_EQ(r.queued, 2U);
  EXPECT_EQ(r.dropped, 2U);
  EXPECT_EQ(n->Stats().dropped, 2U);
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->hold = false;
  }
  shared_->cv.notify_all();
  ASSERT_TRUE(n->Flush(5000));
  EXPECT_EQ(n->Update(active, 2000).queued, 2U);  // the dropped ones, not yet sent
  ASSERT_TRUE(n->Flush(5000));
  EXPECT_EQ(n->Stats().sent, 5U);
}

TEST_F(NotifierLogicTest, RetriesServerErrorsButNotClientErrors) {
  AlertmanagerConfig config;
  config.max_attempts = 3;
  auto n = Make(config);
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->script = {HttpReply{503, ""}, MakeError(ErrorCode::kUnavailable, "refused"),
                       HttpReply{200, ""}, HttpReply{400, "bad"}};
  }
  ASSERT_EQ(n->Update({MakeAlert("h1")}, 0).queued, 1U);
  ASSERT_TRUE(n->Flush(5000));
  auto s = n->Stats();
  EXPECT_EQ(s.requests, 3U);
  EXPECT_EQ(s.request_errors, 2U);
  EXPECT_EQ(s.sent, 1U);
  ASSERT_EQ(n->Update({MakeAlert("h2")}, 1000).queued, 2U);  // h1 resolved, h2 new: 400
  ASSERT_TRUE(n->Flush(5000));
  s = n->Stats();
  EXPECT_EQ(s.requests, 4U);  // no retry after 400
  EXPECT_EQ(s.failed, 2U);
  // Both are due again on the next Update (the resolution keeps its endsAt).
  EXPECT_EQ(n->Update({MakeAlert("h2")}, 1500).queued, 2U);
  ASSERT_TRUE(n->Flush(5000));
  for (const auto& a : LastBody()) {
    if (a["labels"]["host"] == "h1") {
      EXPECT_EQ(a["endsAt"], FormatTimestamp(1000));
    }
  }
  EXPECT_EQ(n->Stats().sent, 3U);
}

TEST_F(NotifierLogicTest, CountsInvalidAlertsAndSendsTheRest) {
  MetricsRegistry registry;
  auto n = AlertmanagerNotifier::Create({}, clock_, &registry,
                                        std::make_unique<ScriptedTransport>(shared_));
  ASSERT_TRUE(n);
  const auto r = (*n)->Update({MakeAlert(""), MakeAlert("h1")});  // clock_ time
  ASSERT_EQ(r.invalid.size(), 1U);
  EXPECT_EQ(r.queued, 1U);
  ASSERT_TRUE((*n)->Flush(5000));
  const std::string text = registry.RenderText();
  EXPECT_NE(text.find("prognos_notify_alerts_invalid_total 1"), std::string::npos) << text;
  EXPECT_NE(text.find("prognos_notify_alerts_sent_total 1"), std::string::npos) << text;
  EXPECT_NE(text.find("prognos_notify_requests_total{result=\"success\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("prognos_notify_request_duration_seconds_count 1"), std::string::npos)
      << text;
  EXPECT_EQ(LastBody()[0]["startsAt"], FormatTimestamp(clock_.NowMs()));
}

TEST_F(NotifierLogicTest, GivesUpAnUndeliverableResolutionAfterRetention) {
  AlertmanagerConfig config;
  config.max_attempts = 1;
  config.resolved_retention_ms = 15 * kMinuteMs;
  auto n = Make(config);
  ASSERT_EQ(n->Update({MakeAlert("h1")}, 0).queued, 1U);
  ASSERT_TRUE(n->Flush(5000));
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    for (int i = 0; i < 10; ++i) {
      shared_->script.emplace_back(HttpReply{503, "down"});
    }
  }
  EXPECT_EQ(n->Update({}, kMinuteMs).resolved, 1U);
  ASSERT_TRUE(n->Flush(5000));
  EXPECT_EQ(n->Update({}, 2 * kMinuteMs).resolved, 1U);  // failed: retried, same endsAt
  ASSERT_TRUE(n->Flush(5000));
  EXPECT_EQ(LastBody()[0]["endsAt"], FormatTimestamp(kMinuteMs));
  EXPECT_EQ(n->Stats().last_error, "HTTP 503: down");
  // 15 min after the resolution: given up, forgotten, nothing sent.
  const auto r = n->Update({}, kMinuteMs + 15 * kMinuteMs + 1);
  EXPECT_EQ(r.queued, 0U);
  ASSERT_TRUE(n->Flush(5000));
  const auto s = n->Stats();
  EXPECT_EQ(s.tracked, 0U);
  EXPECT_EQ(s.requests, 3U);
  EXPECT_EQ(s.failed, 2U);
}

TEST_F(NotifierLogicTest, DestructorCutsABackoffShort) {
  AlertmanagerConfig config;
  config.max_attempts = 5;
  config.backoff_initial_ms = config.backoff_max_ms = kHourMs;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->script.emplace_back(HttpReply{503, ""});
  }
  auto made = AlertmanagerNotifier::Create(config, clock_, nullptr,
                                           std::make_unique<ScriptedTransport>(shared_));
  ASSERT_TRUE(made);
  ASSERT_EQ((*made)->Update({MakeAlert("h1")}, 0).queued, 1U);
  {
    std::unique_lock<std::mutex> lock(shared_->mu);
    ASSERT_TRUE(
        shared_->cv.wait_for(lock, std::chrono::seconds(5), [&] { return shared_->entered; }));
  }
  EXPECT_FALSE((*made)->Flush(10));  // backing off for an hour
  made->reset();                     // returns at once: the wait is on the condition variable
  EXPECT_EQ(Posts(), 1U);
}

TEST(AlertmanagerConfigTest, RejectsBadFields) {
  AlertmanagerConfig c;
  c.url = "127.0.0.1:9093";
  EXPECT_FALSE(ValidateConfig(c));
  c = {};
  c.max_batch = 0;
  EXPECT_FALSE(ValidateConfig(c));
  c = {};
  c.static_labels = {{"a-b", "x"}};
  EXPECT_FALSE(ValidateConfig(c));
  EXPECT_TRUE(ValidateConfig(AlertmanagerConfig{}));
}

}  // namespace
}  // namespace prognos::notify
