// Sends prognos alerts to Alertmanager (v2 API, POST /api/v2/alerts) the way Prometheus' rule
// manager does: active alerts re-sent every resend interval, resolutions sent with endsAt, batched
// by a background sender with a bounded queue, retries with backoff, and counters.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/result.h"
#include "core/time.h"
#include "notify/alert.h"
#include "notify/http_transport.h"

namespace prognos::notify {

struct AlertmanagerConfig {
  // Alertmanager's base URL; "/api/v2/alerts" is appended.
  std::string url = "http://127.0.0.1:9093";
  // An active alert is re-sent when at least this long has passed since it was last queued
  // (Prometheus' --rules.alert.resend-delay).
  DurationMs resend_interval_ms = kMinuteMs;
  // An active alert is sent with endsAt = now + valid_for, so Alertmanager resolves it by itself
  // if prognos stops sending. 0: 4 × resend_interval (Prometheus' choice).
  DurationMs valid_for_ms = 0;
  // A resolution that cannot be delivered is retried on each Update for this long, then given up
  // (the alert's endsAt expires in Alertmanager anyway). Prometheus keeps resolved alerts 15 min.
  DurationMs resolved_retention_ms = 15 * kMinuteMs;
  std::size_t max_queue = 10000;  // alerts waiting to be sent; more are dropped and counted
  std::size_t max_batch = 64;     // alerts per POST
  DurationMs connect_timeout_ms = 2 * kSecondMs;
  DurationMs request_timeout_ms = 5 * kSecondMs;
  // POST attempts per batch on connection errors, timeouts, 5xx and 429 (other 4xx: no retry).
  int max_attempts = 3;
  // Backoff between attempts: initial, doubling, capped.
  DurationMs backoff_initial_ms = 200;
  DurationMs backoff_max_ms = 5 * kSecondMs;
  // Added to every alert unless it has a label of that name (e.g. {"source": "prognos"}).
  LabelSet static_labels;
  // generatorURL for alerts that carry none (absolute URI, e.g. http://prognos:8470/v1/alerts).
  std::string generator_url;
  // Extra request headers, "Name: value" (e.g. "Authorization: Bearer …", read from an env var or
  // a file by the caller: never inline in YAML).
  std::vector<std::string> headers;
};

// kInvalidArgument naming the first bad field.
Result<void> ValidateConfig(const AlertmanagerConfig& config);

// What one Update did (counts of alerts).
struct UpdateResult {
  std::size_t queued = 0;        // new, due for re-send, or resolved: queued for the sender
  std::size_t deduplicated = 0;  // active and sent less than resend_interval ago
  std::size_t resolved = 0;      // no longer active: queued once with endsAt = now
  std::size_t dropped = 0;       // queue full: retried on the next Update
  std::vector<Error> invalid;    // rejected alerts (bad labels), in input order
};

// Totals since construction.
struct NotifierStats {
  std::uint64_t sent = 0;            // alerts delivered (2xx reply)
  std::uint64_t failed = 0;          // alerts given up: retries exhausted or rejected (4xx)
  std::uint64_t dropped = 0;         // alerts not queued: queue full
  std::uint64_t invalid = 0;         // alerts rejected by Update
  std::uint64_t requests = 0;        // POST attempts
  std::uint64_t request_errors = 0;  // attempts without a 2xx reply
  std::size_t queue_length = 0;      // now
  std::size_t tracked = 0;           // label sets active or awaiting resolution delivery
  std::string last_error;            // of the last failed attempt ("" if none yet), for logs
};

// Dedup/resolve state + bounded queue + one sender thread.
// Threading: Update, Flush and Stats may be called from any thread (internally locked; Update is
// meant for the controller thread, once per evaluation). The sender thread only does the HTTP
// calls; Update never waits for the network.
//
// Per label set (Prometheus rule-manager semantics):
//   new / re-fired        → queued now (startsAt = Alert::starts_at or now, endsAt = now + valid)
//   active, sent < resend → deduplicated
//   active, sent ≥ resend → queued again (same startsAt, endsAt moved on)
//   missing from Update   → resolved: queued once with endsAt = now, forgotten once delivered
//   delivery failed       → queued again on the next Update (for resolutions: within retention)
// A label set still waiting in the queue is replaced in place by its newer state (coalesced), so
// the queue holds at most one entry per label set.
class AlertmanagerNotifier {
 public:
  // Validates the config, builds the libcurl transport (unless `transport` is given) and starts
  // the sender. `clock` and `metrics` (optional) must outlive the notifier. Metric families:
  // prognos_notify_alerts_{sent,failed,dropped,invalid}_total, prognos_notify_requests_total
  // {result=success|client_error|server_error|connection_error}, prognos_notify_queue_length,
  // prognos_notify_request_duration_seconds. One notifier per registry.
  static Result<std::unique_ptr<AlertmanagerNotifier>> Create(
      AlertmanagerConfig config, const Clock& clock, MetricsRegistry* metrics = nullptr,
      std::unique_ptr<AlertTransport> transport = nullptr);

  // Stops the sender (an attempt in flight finishes, bounded by request_timeout_ms); what is still
  // queued is discarded. Call Flush first to drain.
  ~AlertmanagerNotifier();
  AlertmanagerNotifier(const AlertmanagerNotifier&) = delete;
  AlertmanagerNotifier& operator=(const AlertmanagerNotifier&) = delete;

  // `active` is the complete set of alerts firing now; anything sent before and absent now is
  // resolved. Never blocks on the network.
  UpdateResult Update(const std::vector<Alert>& active, TimestampMs now);
  UpdateResult Update(const std::vector<Alert>& active) { return Update(active, clock_.NowMs()); }

  // Waits (real time) until the queue is empty and no POST is in flight; false on timeout.
  bool Flush(DurationMs timeout_ms);

  NotifierStats Stats() const;
  const AlertmanagerConfig& config() const { return config_; }

 private:
  struct Metrics;
  struct Tracked {
    LabelSet labels;
    LabelSet annotations;
    std::string generator_url;
    TimestampMs starts_at = 0;
    TimestampMs ends_at = 0;  // resolution time, when resolved
    TimestampMs last_queued = 0;
    bool queued_ever = false;  // false: due now (new, or the last delivery failed)
    bool resolved = false;
    std::uint64_t seq = 0;  // of the last enqueue; a sender outcome applies only to it
  };
  struct Item {
    std::string key;
    std::uint64_t seq = 0;
    PostableAlert alert;
  };
  enum class EnqueueOutcome { kQueued, kDropped };

  AlertmanagerNotifier(AlertmanagerConfig config, const Clock& clock, MetricsRegistry* metrics,
                       std::unique_ptr<AlertTransport> transport);

  EnqueueOutcome EnqueueLocked(const std::string& key, Tracked& t, TimestampMs now);
  void SenderLoop();
  // Posts one batch with retries; true when delivered.
  bool Deliver(const std::vector<Item>& batch);
  void Finish(const std::vector<Item>& batch, bool delivered);

  const AlertmanagerConfig config_;
  const Clock& clock_;
  std::unique_ptr<Metrics> metrics_;  // null without a registry
  std::unique_ptr<AlertTransport> transport_;

  mutable std::mutex mu_;
  std::condition_variable wake_;  // sender: queue not empty, or stop
  std::condition_variable idle_;  // Flush: queue empty and nothing in flight
  bool stop_ = false;
  std::unordered_map<std::string, Tracked> tracked_;
  std::list<Item> queue_;
  std::unordered_map<std::string, std::list<Item>::iterator> queued_;  // key → queue entry
  std::size_t in_flight_ = 0;
  std::uint64_t next_seq_ = 0;
  NotifierStats stats_;
  std::thread sender_;  // last: starts after everything above exists
};

}  // namespace prognos::notify
