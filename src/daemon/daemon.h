// Wiring: turns a Config into a running engine and API server. Owns the clock, metrics, engine and
// server for `serve` and `demo`; replay uses the engine alone. Thread-compatible (start/stop from
// one thread; the parts it owns are thread-safe).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <string>

#include "api/server.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/result.h"
#include "daemon/config.h"
#include "actuate/actuator.h"
#include "engine/controller.h"
#include "engine/engine.h"
#include "notify/alertmanager_notifier.h"
#include "store/audit_log.h"
#include "store/blob_store.h"

namespace prognos::daemon {

engine::EngineOptions ToEngineOptions(const Config& config);
// Splits "host:port" ("[::1]:80" too); port 0 allowed.
Result<std::pair<std::string, int>> ParseListen(const std::string& listen);
Result<api::ApiOptions> ToApiOptions(const Config& config);
// Reads models.failure_model when set (an unreadable or corrupt model file is an error).
Result<engine::ControllerOptions> ToControllerOptions(const Config& config);
// Alerts for the hosts whose tier is warning or critical (what serve sends to Alertmanager; info
// tiers are listed by GET /v1/alerts only).
std::vector<notify::Alert> AlertsFromRisks(const std::vector<policy::HostRisk>& risks,
                                           const NotifyConfig& config);
// The actuators named by actuators.backend: `primary` acts ("dry-run" logs through spdlog);
// `fallback` is set for kubernetes when actuators.webhook is configured and receives the action
// types the Kubernetes API has no verb for (pools, throttles, finer levers). Tokens are read from
// the named environment variables or files; a named one that is missing or empty is an error.
struct Actuators {
  std::unique_ptr<actuate::Actuator> fallback;  // declared first: outlives primary
  std::unique_ptr<actuate::Actuator> primary;
};
Result<Actuators> MakeActuators(const Config& config);

// A running daemon: engine + HTTP API on wall-clock time.
class Daemon {
 public:
  // Opens the store (replaying the WAL) and binds the listen address.
  static Result<std::unique_ptr<Daemon>> Start(const Config& config);
  ~Daemon();
  int port() const { return server_->port(); }
  engine::Engine& engine() { return *engine_; }
  engine::Controller& controller() { return *controller_; }
  // Stops the server (finishing in-flight requests) and syncs the store.
  void Stop();

 private:
  Daemon() = default;
  SystemClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<engine::Engine> engine_;
  Actuators actuators_;
  std::unique_ptr<store::AuditLog> audit_;
  std::unique_ptr<store::BlobStore> state_;
  std::unique_ptr<engine::Controller> controller_;
  std::unique_ptr<api::ApiServer> server_;
  std::unique_ptr<notify::AlertmanagerNotifier> notifier_;  // when notify.alertmanager is set
  // The planning thread: ticks the controller every actuators.tick until Stop.
  std::thread ticker_;
  std::mutex ticker_mu_;
  std::condition_variable ticker_cv_;
  bool stopping_ = false;
};

// `prognos serve`: starts, logs the URLs, blocks until SIGINT/SIGTERM, stops. Returns the exit code.
int RunServe(const Config& config);

}  // namespace prognos::daemon
