#include "actuate/webhook_actuator.h"

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "policy/audit_codec.h"

namespace prognos::actuate {
namespace {

// The receiver's reason: {"reason": "..."} if the body is such JSON, else the body's first line.
std::string ReasonOf(const net::HttpResponse& r) {
  const auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("reason") && j["reason"].is_string()) {
    return j["reason"].get<std::string>();
  }
  std::string line = r.body.substr(0, r.body.find('\n'));
  if (line.size() > 200) line.resize(200);
  if (!line.empty()) return line;
  std::string code = "HTTP ";
  code += std::to_string(r.status);
  return code;
}

std::string HttpStatusText(std::string_view what, long status) {
  std::string s(what);
  s += " answered HTTP ";
  s += std::to_string(status);
  return s;
}

}  // namespace

Result<std::unique_ptr<WebhookActuator>> WebhookActuator::Create(const WebhookConfig& config) {
  net::HttpClientConfig c;
  c.base_url = config.url;
  c.request_timeout_ms = config.timeout_ms;
  c.ca_file = config.ca_file;
  c.insecure_skip_verify = config.insecure_skip_verify;
  c.max_reply_bytes = std::size_t{64} * 1024;
  if (!config.bearer_token.empty())
    c.headers.push_back("Authorization: Bearer " + config.bearer_token);
  auto client = net::HttpClient::Create(std::move(c));
  if (!client) {
    return MakeError(client.error().code, "actuators.webhook.url: " + client.error().message);
  }
  return std::unique_ptr<WebhookActuator>(new WebhookActuator(std::move(*client)));
}

Result<net::HttpResponse> WebhookActuator::Post(const policy::Action& action,
                                                std::string_view phase, TimestampMs now) {
  nlohmann::json body = {{"phase", phase},
                         {"action", policy::ToJson(action)},
                         {"summary", policy::Summary(action)},
                         {"now", now}};
  ++stats_.requests;
  std::string key = "Idempotency-Key: prognos-";
  key += std::to_string(action.id);
  key += '-';
  key += phase;
  auto reply =
      client_->Send("POST", "", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "application/json", {key});
  if (!reply) ++stats_.unreachable;
  return reply;
}

Result<void> WebhookActuator::CheckPrecondition(const policy::Action& action) {
  auto r = Post(action, "check", 0);
  if (!r)
    return MakeError(ErrorCode::kUnavailable,
                     "webhook check " + Describe(action) + ": " + r.error().message);
  if (r->status >= 200 && r->status < 300) return Ok();
  ++stats_.rejected;
  if (r->status == 409 || r->status == 412 || r->status == 422) {
    return MakeError(ErrorCode::kFailedPrecondition, ReasonOf(*r));
  }
  return MakeError(ErrorCode::kUnavailable,
                   HttpStatusText("webhook check", r->status) + ": " + ReasonOf(*r));
}

Result<void> WebhookActuator::Apply(const policy::Action& action, TimestampMs now) {
  auto r = Post(action, "apply", now);
  if (!r)
    return MakeError(ErrorCode::kUnavailable,
                     "webhook apply " + Describe(action) + ": " + r.error().message);
  if (r->status >= 200 && r->status < 300) return Ok();
  ++stats_.rejected;
  return MakeError(ErrorCode::kFailedPrecondition,
                   HttpStatusText("webhook apply", r->status) + ": " + ReasonOf(*r));
}

Verification WebhookActuator::Verify(const policy::Action& action, TimestampMs now) {
  auto r = Post(action, "verify", now);
  if (!r || r->status >= 500) return Verification::kPending;
  if (r->status == 202) return Verification::kPending;
  if (r->status >= 400) {
    last_reason_ = ReasonOf(*r);
    return Verification::kFailed;
  }
  const auto j = nlohmann::json::parse(r->body, nullptr, false);
  const std::string state = j.is_object() && j.contains("state") && j["state"].is_string()
                                ? j["state"].get<std::string>()
                                : std::string();
  if (state == "confirmed") return Verification::kConfirmed;
  if (state == "failed") {
    last_reason_ = ReasonOf(*r);
    return Verification::kFailed;
  }
  if (state == "pending") return Verification::kPending;
  last_reason_ = "verify reply without a state of confirmed, pending or failed: " + ReasonOf(*r);
  return Verification::kFailed;
}

}  // namespace prognos::actuate
