#include "notify/http_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <utility>

namespace prognos::notify {
namespace {

constexpr std::size_t kMaxReplyBytes = 4096;

// curl_global_init is not thread-safe and must run once per process.
CURLcode GlobalInit() {
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return code;
}

std::size_t CollectReply(char* data, std::size_t size, std::size_t count, void* user) {
  auto* out = static_cast<std::string*>(user);
  const std::size_t n = size * count;
  if (out->size() < kMaxReplyBytes) {
    out->append(data, std::min(n, kMaxReplyBytes - out->size()));
  }
  return n;  // consume everything, keep only the head
}

}  // namespace

Result<std::unique_ptr<CurlTransport>> CurlTransport::Create(CurlTransportConfig config) {
  if (config.url.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "notify: empty Alertmanager URL");
  }
  if (CURLcode rc = GlobalInit(); rc != CURLE_OK) {
    return MakeError(ErrorCode::kInternal,
                     std::string("curl_global_init failed: ") + curl_easy_strerror(rc));
  }
  CURL* handle = curl_easy_init();
  if (handle == nullptr) {
    return MakeError(ErrorCode::kInternal, "curl_easy_init failed");
  }
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  // libcurl 7.88 sends "Expect: 100-continue" for bodies over 1 KiB and then may wait up to 1 s
  // for the 100 reply; a batch of alerts is small enough to send at once.
  if (headers != nullptr) {
    headers = curl_slist_append(headers, "Expect:");
  }
  for (const std::string& h : config.headers) {
    if (headers != nullptr) {
      headers = curl_slist_append(headers, h.c_str());
    }
  }
  if (headers == nullptr) {
    curl_easy_cleanup(handle);
    return MakeError(ErrorCode::kInternal, "curl_slist_append failed");
  }
  return std::unique_ptr<CurlTransport>(new CurlTransport(std::move(config), handle, headers));
}

CurlTransport::CurlTransport(CurlTransportConfig config, void* handle, void* headers)
    : config_(std::move(config)), handle_(handle), headers_(headers) {}

CurlTransport::~CurlTransport() {
  curl_slist_free_all(static_cast<curl_slist*>(headers_));
  curl_easy_cleanup(static_cast<CURL*>(handle_));
}

Result<HttpReply> CurlTransport::PostJson(const std::string& body) {
  CURL* h = static_cast<CURL*>(handle_);
  HttpReply reply;
  curl_easy_setopt(h, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(headers_));
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout_ms));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.request_timeout_ms));
  // Signals are not thread-safe; without this, libcurl's DNS timeouts use SIGALRM.
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &CollectReply);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply.body);
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    return MakeError(ErrorCode::kUnavailable,
                     "POST " + config_.url + ": " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

}  // namespace prognos::notify
