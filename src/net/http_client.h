// An outbound HTTP(S) client over libcurl for the modules that call other services: the
// Alertmanager notifier (src/notify) and the actuator backends (src/actuate: webhook, Kubernetes
// API). One keep-alive connection per client; requests are synchronous with bounded timeouts.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace prognos::net {

struct HttpClientConfig {
  std::string base_url;              // e.g. "https://10.0.0.1:6443"; a request path is appended
  std::vector<std::string> headers;  // extra "Name: value" headers on every request
  DurationMs connect_timeout_ms = 2 * kSecondMs;
  DurationMs request_timeout_ms = 10 * kSecondMs;  // whole request, connect included
  std::string ca_file;                // PEM bundle to verify the server with; empty = system CAs
  bool insecure_skip_verify = false;  // do not verify the server's certificate (test clusters)
  std::size_t max_reply_bytes = 16u << 20;  // a longer reply body is cut here (and truncated set)
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
  bool truncated = false;  // the body was longer than max_reply_bytes
};

// Not thread-safe: one client per calling thread (the libcurl easy handle is reused).
class HttpClient {
 public:
  // kInvalidArgument for an empty or non-http(s) base URL; kInternal when libcurl cannot start.
  static Result<std::unique_ptr<HttpClient>> Create(HttpClientConfig config);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `method` is GET, POST, PUT, PATCH or DELETE; `path` (starting with '/', or empty) is appended
  // to the base URL; a non-empty `content_type` sets Content-Type. kUnavailable when no HTTP reply
  // came (connection refused, DNS, TLS, timeout), naming the method and URL; otherwise the reply,
  // whatever its status.
  // `extra_headers` ("Name: value") go on this request only.
  Result<HttpResponse> Send(std::string_view method, std::string_view path,
                            std::string_view body = {}, std::string_view content_type = {},
                            const std::vector<std::string>& extra_headers = {});

  const HttpClientConfig& config() const { return config_; }

 private:
  HttpClient(HttpClientConfig config, void* handle);

  HttpClientConfig config_;
  void* handle_;  // CURL*
};

// Percent-encodes a string for a URL path segment or query value (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view s);

}  // namespace prognos::net
