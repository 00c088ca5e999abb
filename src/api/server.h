// The HTTP API (DESIGN.md §3 REST): ingest, series and host reads, /metrics, health and readiness,
// and the OpenAPI document. httplib lives only in this module's .cc files (DEPS.md gotcha 1).
// Thread-safe: handlers run on the server's worker threads and call the thread-safe Engine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "core/result.h"
#include "engine/controller.h"
#include "engine/engine.h"

namespace prognos::api {

struct ApiOptions {
  std::string host = "127.0.0.1";
  int port = 8470;  // 0 = any free port (tests)
  int threads = 8;
  std::uint64_t max_body_bytes = 64ull << 20;
  int read_timeout_s = 30;
  int keep_alive_timeout_s = 5;
  // When non-empty, every route but /healthz, /readyz and /metrics requires
  // `Authorization: Bearer <one of these>` (401 otherwise).
  std::vector<std::string> auth_tokens;
};

class ApiServer {
 public:
  // `controller` (nullable: no planner) answers the control routes (decisions, allocations, risks,
  // alerts, preferences); it must outlive the server.
  ApiServer(engine::Engine& engine, MetricsRegistry& metrics, ApiOptions options,
            engine::Controller* controller = nullptr);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and starts serving on a background thread; returns the bound port.
  Result<int> Start();
  // Stops accepting, finishes in-flight requests, joins the thread. Idempotent.
  void Stop();
  int port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

// The OpenAPI 3 document describing exactly the routes ApiServer serves.
const std::string& OpenApiDocument();

}  // namespace prognos::api
