#include "notify/http_transport.h"

#include <utility>

namespace prognos::notify {

Result<std::unique_ptr<CurlTransport>> CurlTransport::Create(CurlTransportConfig config) {
  if (config.url.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "notify: empty Alertmanager URL");
  }
  net::HttpClientConfig c;
  c.base_url = std::move(config.url);
  c.headers = std::move(config.headers);
  c.connect_timeout_ms = config.connect_timeout_ms;
  c.request_timeout_ms = config.request_timeout_ms;
  c.max_reply_bytes = 4096;  // the reply's head is only used in error messages
  auto client = net::HttpClient::Create(std::move(c));
  if (!client) return tl::unexpected(client.error());
  return std::unique_ptr<CurlTransport>(new CurlTransport(std::move(*client)));
}

Result<HttpReply> CurlTransport::PostJson(const std::string& body) {
  auto reply = client_->Send("POST", "", body, "application/json");
  if (!reply) return tl::unexpected(reply.error());
  return HttpReply{reply->status, std::move(reply->body)};
}

}  // namespace prognos::notify
