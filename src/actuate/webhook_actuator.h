// The webhook backend: every step of an action's transaction is a JSON POST to one URL, so any
// resource manager can be driven by a small receiver (a CI job, a Nomad/ECS/OpenStack script, a
// ticketing bridge). Protocol (docs/actuators.md):
//   request  {"phase": "check"|"apply"|"verify", "action": <policy::ToJson(action)>,
//             "summary": "migrate web-3 node-2 → node-7", "now": <epoch ms>}
//            headers Content-Type: application/json, Idempotency-Key: prognos-<id>-<phase>,
//            Authorization: Bearer <token> when configured.
//   check    2xx = precondition holds; 409, 412 or 422 = it does not ({"reason": …} or text);
//            anything else, or no reply = cannot tell → the action is not applied now.
//   apply    2xx = started; anything else = failed, nothing changed.
//   verify   200 {"state": "confirmed"|"pending"|"failed", "reason": …}; 202 = pending;
//            4xx = failed; 5xx or no reply = pending (transient: the runner's verify window
//            bounds the wait, after which the action counts as failed and is rolled back).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "actuate/actuator.h"
#include "net/http_client.h"

namespace prognos::actuate {

struct WebhookConfig {
  std::string url;  // http(s)://host:port/path
  std::string
      bearer_token;  // empty = no Authorization header (the daemon reads it from an env var)
  DurationMs timeout_ms = 10 * kSecondMs;
  std::string ca_file;
  bool insecure_skip_verify = false;
};

// Thread-compatible (the runner calls it from one thread).
class WebhookActuator final : public Actuator {
 public:
  static Result<std::unique_ptr<WebhookActuator>> Create(const WebhookConfig& config);

  std::string_view name() const override { return "webhook"; }
  Result<void> CheckPrecondition(const policy::Action& action) override;
  Result<void> Apply(const policy::Action& action, TimestampMs now) override;
  Verification Verify(const policy::Action& action, TimestampMs now) override;

  struct Stats {
    std::uint64_t requests = 0;
    std::uint64_t unreachable = 0;  // no HTTP reply
    std::uint64_t rejected = 0;     // a check or apply answered with a refusal
  };
  const Stats& stats() const { return stats_; }
  // The reason the last failed verify gave (for the audit's outcome).
  const std::string& last_reason() const { return last_reason_; }

 private:
  explicit WebhookActuator(std::unique_ptr<net::HttpClient> client) : client_(std::move(client)) {}
  Result<net::HttpResponse> Post(const policy::Action& action, std::string_view phase,
                                 TimestampMs now);

  std::unique_ptr<net::HttpClient> client_;
  Stats stats_;
  std::string last_reason_;
};

}  // namespace prognos::actuate
