#include "actuate/webhook_actuator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace prognos::actuate {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// A receiver on loopback: answers each POST with the next scripted reply and records requests.
class Receiver {
 public:
  struct Reply {
    int status;
    std::string body;
  };
  Receiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
      Reply r{200, "{}"};
      if (!script_.empty()) {
        r = script_.front();
        script_.pop_front();
      }
      res.status = r.status;
      res.set_content(r.body, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  void Script(std::vector<Reply> replies) {
    std::lock_guard lock(mu_);
    script_.assign(replies.begin(), replies.end());
  }
  std::vector<httplib::Request> Requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::deque<Reply> script_;
  std::vector<httplib::Request> requests_;
};

WebhookConfig Config(std::string url, std::string token = "", DurationMs timeout_ms = 10'000) {
  WebhookConfig c;
  c.url = std::move(url);
  c.bearer_token = std::move(token);
  c.timeout_ms = timeout_ms;
  return c;
}

policy::Action Migrate() {
  policy::Action a;
  a.id = 42;
  a.type = policy::ActionType::kMigrate;
  a.workload = "web-3";
  a.host = "node-2";
  a.target_host = "node-7";
  a.rule = "migrate_off_failing_host";
  return a;
}

TEST(WebhookActuatorTest, EachPhaseIsOnePostCarryingTheActionAndKeys) {
  Receiver rx;
  rx.Script({{200, "{}"}, {202, ""}, {202, ""}, {200, R"({"state":"confirmed"})"}});
  auto w = WebhookActuator::Create(Config(rx.Url(), "s3cret"));
  ASSERT_TRUE(w);
  const auto a = Migrate();
  ASSERT_TRUE((*w)->CheckPrecondition(a));
  ASSERT_TRUE((*w)->Apply(a, 1'700'000'000'000));
  EXPECT_EQ((*w)->Verify(a, 1'700'000'060'000), Verification::kPending);  // 202
  EXPECT_EQ((*w)->Verify(a, 1'700'000'120'000), Verification::kConfirmed);
  const auto reqs = rx.Requests();
  ASSERT_EQ(reqs.size(), 4u);
  const std::vector<std::string> phases = {"check", "apply", "verify", "verify"};
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    const json body = json::parse(reqs[i].body);
    EXPECT_EQ(body["phase"], phases[i]);
    EXPECT_EQ(body["action"]["type"], "migrate");
    EXPECT_EQ(body["action"]["workload"], "web-3");
    EXPECT_EQ(body["action"]["target_host"], "node-7");
    EXPECT_EQ(body["summary"], "migrate web-3 node-2 → node-7");
    EXPECT_EQ(reqs[i].get_header_value("Authorization"), "Bearer s3cret");
    EXPECT_EQ(reqs[i].get_header_value("Idempotency-Key"), "prognos-42-" + phases[i]);
    EXPECT_EQ(reqs[i].get_header_value("Content-Type"), "application/json");
  }
  EXPECT_EQ(json::parse(reqs[1].body)["now"], 1'700'000'000'000);
}

TEST(WebhookActuatorTest, ForwardsADataProtectionCopyToTheStorageLayer) {
  // The webhook is where replicate goes (the kubernetes backend refuses it): the receiver gets
  // the copy's workload, source and target hosts and size.
  Receiver rx;
  rx.Script({{200, "{}"}, {200, "{}"}, {200, R"({"state":"pending"})"}});
  auto w = WebhookActuator::Create(Config(rx.Url()));
  ASSERT_TRUE(w);
  policy::Action a;
  a.id = 43;
  a.type = policy::ActionType::kReplicate;
  a.workload = "db";
  a.host = "node-1";
  a.target_host = "node-4";
  a.amount = 50;
  a.rule = "protect_data";
  ASSERT_TRUE((*w)->CheckPrecondition(a));
  ASSERT_TRUE((*w)->Apply(a, 1'700'000'000'000));
  EXPECT_EQ((*w)->Verify(a, 1'700'000'060'000), Verification::kPending);  // still syncing
  const auto reqs = rx.Requests();
  ASSERT_EQ(reqs.size(), 3u);
  const json body = json::parse(reqs[1].body);
  EXPECT_EQ(body["phase"], "apply");
  EXPECT_EQ(body["action"]["type"], "replicate");
  EXPECT_EQ(body["action"]["workload"], "db");
  EXPECT_EQ(body["action"]["host"], "node-1");
  EXPECT_EQ(body["action"]["target_host"], "node-4");
  EXPECT_EQ(body["action"]["amount"], 50);
  EXPECT_EQ(body["summary"], "replicate db on node-1 → node-4 copy 50 GiB");
}

TEST(WebhookActuatorTest, RefusalsAndFailuresCarryTheReceiversReason) {
  Receiver rx;
  rx.Script({{409, R"({"reason":"node-7 is in a change freeze"})"},
             {500, "boom"},
             {422, "plain text reason\nsecond line"},
             {503, ""},
             {200, R"({"state":"failed","reason":"pods crash-looping on node-7"})"},
             {400, R"({"reason":"unknown action"})"},
             {200, R"({"status":"ok"})"}});
  auto w = WebhookActuator::Create(Config(rx.Url()));
  ASSERT_TRUE(w);
  const auto a = Migrate();
  auto r = (*w)->CheckPrecondition(a);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(r.error().message, "node-7 is in a change freeze");
  r = (*w)->CheckPrecondition(a);  // 500: cannot tell, not a refusal
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(r.error().message, HasSubstr("HTTP 500"));
  r = (*w)->Apply(a, 0);  // 422
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("plain text reason"));
  EXPECT_THAT(r.error().message, ::testing::Not(HasSubstr("second line")));
  EXPECT_EQ((*w)->Verify(a, 0), Verification::kPending);  // 503: transient
  EXPECT_EQ((*w)->Verify(a, 0), Verification::kFailed);
  EXPECT_EQ((*w)->last_reason(), "pods crash-looping on node-7");
  EXPECT_EQ((*w)->Verify(a, 0), Verification::kFailed);  // 400
  EXPECT_EQ((*w)->last_reason(), "unknown action");
  EXPECT_EQ((*w)->Verify(a, 0), Verification::kFailed);  // 200 without a state
  EXPECT_THAT((*w)->last_reason(), HasSubstr("without a state"));
  EXPECT_EQ((*w)->stats().requests, 7u);
  EXPECT_EQ((*w)->stats().rejected, 3u);
}

TEST(WebhookActuatorTest, AnUnreachableReceiverIsTransient) {
  auto w = WebhookActuator::Create(Config("http://127.0.0.1:1/hook", "", 2000));
  ASSERT_TRUE(w);
  const auto a = Migrate();
  auto r = (*w)->CheckPrecondition(a);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ((*w)->Verify(a, 0), Verification::kPending);
  EXPECT_EQ((*w)->stats().unreachable, 2u);
  EXPECT_FALSE(WebhookActuator::Create(Config("ftp://x/hook")));
}

}  // namespace
}  // namespace prognos::actuate
