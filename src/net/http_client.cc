#include "net/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <utility>

namespace prognos::net {
namespace {

// curl_global_init is not thread-safe and must run once per process.
CURLcode GlobalInit() {
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return code;
}

struct Sink {
  HttpResponse* reply;
  std::size_t max;
};

std::size_t Collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t n = size * count;
  std::string& body = sink->reply->body;
  if (body.size() < sink->max) {
    body.append(data, std::min(n, sink->max - body.size()));
  }
  if (body.size() >= sink->max && n > 0) sink->reply->truncated = true;
  return n;  // consume everything, keep the head
}

// Frees a curl_slist when the request is done.
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

Result<std::unique_ptr<HttpClient>> HttpClient::Create(HttpClientConfig config) {
  if (!config.base_url.starts_with("http://") && !config.base_url.starts_with("https://")) {
    return MakeError(ErrorCode::kInvalidArgument, "not an http(s) URL: '" + config.base_url + "'");
  }
  while (config.base_url.ends_with('/')) config.base_url.pop_back();
  if (CURLcode rc = GlobalInit(); rc != CURLE_OK) {
    return MakeError(ErrorCode::kInternal,
                     std::string("curl_global_init failed: ") + curl_easy_strerror(rc));
  }
  CURL* handle = curl_easy_init();
  if (handle == nullptr) return MakeError(ErrorCode::kInternal, "curl_easy_init failed");
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(config), handle));
}

HttpClient::HttpClient(HttpClientConfig config, void* handle)
    : config_(std::move(config)), handle_(handle) {}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(handle_)); }

Result<HttpResponse> HttpClient::Send(std::string_view method, std::string_view path,
                                      std::string_view body, std::string_view content_type,
                                      const std::vector<std::string>& extra_headers) {
  CURL* h = static_cast<CURL*>(handle_);
  curl_easy_reset(h);  // keeps the connection cache, drops the previous request's options
  const std::string url = config_.base_url + std::string(path);
  curl_slist* raw = nullptr;
  // libcurl 7.88 sends "Expect: 100-continue" for bodies over 1 KiB and then may wait up to 1 s.
  raw = curl_slist_append(raw, "Expect:");
  if (!content_type.empty() && raw != nullptr) {
    raw = curl_slist_append(raw, ("Content-Type: " + std::string(content_type)).c_str());
  }
  const std::vector<std::string>* lists[] = {&config_.headers, &extra_headers};
  for (const auto* list : lists) {
    for (const std::string& hdr : *list) {
      if (raw != nullptr) raw = curl_slist_append(raw, hdr.c_str());
    }
  }
  if (raw == nullptr) return MakeError(ErrorCode::kInternal, "curl_slist_append failed");
  const std::unique_ptr<curl_slist, SlistDeleter> headers(raw);

  HttpResponse reply;
  Sink sink{&reply, config_.max_reply_bytes};
  const std::string verb(method);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  if (verb == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, verb.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout_ms));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.request_timeout_ms));
  // Signals are not thread-safe; without this, libcurl's DNS timeouts use SIGALRM.
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (!config_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, config_.ca_file.c_str());
  if (config_.insecure_skip_verify) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    return MakeError(ErrorCode::kUnavailable, verb + " " + url + ": " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
  char* ct = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != nullptr) {
    reply.content_type = ct;
  }
  return reply;
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace prognos::net
