// The one outbound call the notifier makes: POST a JSON body to a fixed URL. An interface so the
// queueing logic can be tested with a stand-in; CurlTransport is the real one (net::HttpClient,
// libcurl).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "net/http_client.h"

namespace prognos::notify {

struct HttpReply {
  long status = 0;   // HTTP status code
  std::string body;  // first 4 KiB, for error messages
};

// Called from the notifier's sender thread only.
class AlertTransport {
 public:
  virtual ~AlertTransport() = default;
  // kUnavailable when no HTTP reply came (connection refused, DNS, timeout); otherwise the reply,
  // whatever its status.
  virtual Result<HttpReply> PostJson(const std::string& body) = 0;
};

struct CurlTransportConfig {
  std::string url;                   // full URL, e.g. http://127.0.0.1:9093/api/v2/alerts
  std::vector<std::string> headers;  // extra "Name: value" headers (e.g. Authorization)
  DurationMs connect_timeout_ms = 2 * kSecondMs;
  DurationMs request_timeout_ms = 5 * kSecondMs;  // whole request, connect included
};

// One keep-alive connection reused across calls. Not thread-safe: one per sender thread.
class CurlTransport final : public AlertTransport {
 public:
  // kInvalidArgument for an empty or non-http(s) URL; kInternal when libcurl cannot start.
  static Result<std::unique_ptr<CurlTransport>> Create(CurlTransportConfig config);

  Result<HttpReply> PostJson(const std::string& body) override;

 private:
  explicit CurlTransport(std::unique_ptr<net::HttpClient> client) : client_(std::move(client)) {}

  std::unique_ptr<net::HttpClient> client_;
};

}  // namespace prognos::notify
