#include "api/server.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "api/control_routes.h"
#include "api/http_util.h"
#include "api/selector.h"
#include "core/labels.h"
#include "ingest/remote_write.h"

namespace prognos::api {
namespace {

using nlohmann::json;

constexpr std::size_t kDefaultSeriesLimit = 1000;
constexpr std::size_t kMaxSeriesLimit = 10000;
constexpr std::size_t kDefaultSamplesLimit = 10000;
constexpr std::size_t kMaxSamplesLimit = 100000;

json LabelsJson(const Labels& labels) {
  json j = json::object();
  for (const auto& l : labels.items()) j[l.name] = l.value;
  return j;
}

// The ingest reply of DESIGN.md §3: counts and the listed rejections (error added by the caller).
json ReportJson(const engine::IngestReport& report) {
  json rejected = json::array();
  for (const auto& r : report.rejected) {
    json item{{"line", r.line}, {"reason", RejectReasonName(r.reason)}, {"message", r.message}};
    if (!r.indicator.empty()) item["indicator"] = r.indicator;
    rejected.push_back(std::move(item));
  }
  return {{"accepted_samples", report.accepted_samples},
          {"rejected_samples", report.rejected_samples},
          {"rejected", std::move(rejected)}};
}

// Route label for metrics: the pattern, never the raw path (bounded cardinality).
std::string RouteOf(const std::string& path) {
  static const std::pair<const char*, const char*> kRoutes[] = {
      {"/v1/health", "/v1/health"}, {"/api/v1/write", "/api/v1/write"},
      {"/v1/series", "/v1/series"}, {"/v1/hosts", "/v1/hosts"},
      {"/metrics", "/metrics"},     {"/healthz", "/healthz"},
      {"/readyz", "/readyz"},       {"/v1/openapi.json", "/v1/openapi.json"},
      {"/v1/decisions", "/v1/decisions"}, {"/v1/allocations", "/v1/allocations"},
      {"/v1/risks", "/v1/risks"},   {"/v1/alerts", "/v1/alerts"},
      {"/v1/preferences", "/v1/preferences"},
  };
  for (const auto& [p, r] : kRoutes) {
    if (path == p) return r;
  }
  if (path.rfind("/v1/series/", 0) == 0 && path.size() > 19 &&
      path.compare(path.size() - 8, 8, "/samples") == 0) {
    return "/v1/series/{id}/samples";
  }
  if (path.rfind("/v1/hosts/", 0) == 0) return "/v1/hosts/{id}";
  if (path.rfind("/v1/forecasts/", 0) == 0) return "/v1/forecasts/{series}";
  return "other";
}

// A positive decimal integer (no sign, no spaces), capped at `max`; nullopt when malformed or 0.
std::optional<std::size_t> ParsePositive(const std::string& v, std::size_t max) {
  std::size_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9' || n > 100000000) return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  if (v.empty() || n == 0) return std::nullopt;
  return std::min(n, max);
}

Result<std::size_t> ParseLimit(const httplib::Request& req, std::size_t def, std::size_t max) {
  if (!req.has_param("limit")) return def;
  auto n = ParsePositive(req.get_param_value("limit"), max);
  if (!n) return MakeError(ErrorCode::kInvalidArgument, "limit must be a positive integer");
  return *n;
}

}  // namespace

struct ApiServer::Impl {
  engine::Engine& engine;
  MetricsRegistry& metrics;
  ApiOptions options;
  httplib::Server server;
  std::thread thread;
  Family<Counter>* requests = nullptr;
  Family<Histogram>* latency = nullptr;
  Gauge* series_gauge = nullptr;
  Family<Counter>* forecasts = nullptr;
  Histogram* forecast_fit = nullptr;

  Impl(engine::Engine& e, MetricsRegistry& m, ApiOptions o)
      : engine(e), metrics(m), options(std::move(o)) {
    requests =
        &metrics.AddCounter("prognos_http_requests_total",
                            "HTTP requests served, by route and status code.", {"route", "code"});
    latency = &metrics.AddHistogram("prognos_http_request_duration_seconds",
                                    "HTTP request latency by route.",
                                    ExponentialBuckets(0.0005, 2.5, 12), {"route"});
    series_gauge = &metrics.AddGauge("prognos_series", "Series known to the store.").With({});
    forecasts =
        &metrics.AddCounter("prognos_forecasts_total",
                            "Forecasts served by GET /v1/forecasts, by serving model.", {"model"});
    forecast_fit = &metrics
                        .AddHistogram("prognos_forecast_fit_duration_seconds",
                                      "Time to select, fit and forecast one series.",
                                      ExponentialBuckets(0.001, 2.5, 12))
                        .With({});
  }

  void Install();
  void HandleHealth(const httplib::Request& req, httplib::Response& res);
  void HandleRemoteWrite(const httplib::Request& req, httplib::Response& res);
  void HandleSeries(const httplib::Request& req, httplib::Response& res);
  void HandleSamples(const httplib::Request& req, httplib::Response& res);
  void HandleHosts(const httplib::Request& req, httplib::Response& res);
  void HandleHost(const httplib::Request& req, httplib::Response& res);
  void HandleMetrics(const httplib::Request& req, httplib::Response& res);
  void HandleForecast(const httplib::Request& req, httplib::Response& res);
};

namespace {
thread_local std::chrono::steady_clock::time_point g_request_start;
}  // namespace

void ApiServer::Impl::Install() {
  server.set_tcp_nodelay(true);
  server.set_payload_max_length(options.max_body_bytes);
  server.set_read_timeout(options.read_timeout_s, 0);
  server.set_keep_alive_timeout(options.keep_alive_timeout_s);
  const int threads = std::max(1, options.threads);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };

  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    g_request_start = std::chrono::steady_clock::now();
    if (options.auth_tokens.empty() || req.path == "/healthz" || req.path == "/readyz" ||
        req.path == "/metrics") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    const std::string auth = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() > kBearer.size() && auth.compare(0, kBearer.size(), kBearer) == 0) {
      const std::string token = auth.substr(kBearer.size());
      for (const auto& t : options.auth_tokens) {
        if (t == token) return httplib::Server::HandlerResponse::Unhandled;
      }
    }
    res.set_header("WWW-Authenticate", "Bearer");
    SendError(res, 401, "unauthorized",
              "a valid 'Authorization: Bearer <token>' header is required");
    return httplib::Server::HandlerResponse::Handled;
  });
  server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const std::string route = RouteOf(req.path);
    requests->With({route, std::to_string(res.status)}).Inc();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - g_request_start).count();
    latency->With({route}).Observe(secs);
  });
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 404) {
          SendError(res, 404, "not_found", "no route for " + req.method + " " + req.path);
        } else if (res.status == 413) {
          SendError(res, 413, "too_large",
                    "request body exceeds ingest.max_body_bytes (" +
                        std::to_string(options.max_body_bytes) + " bytes)");
        } else {
          SendError(res, res.status, "http_" + std::to_string(res.status),
                    "request failed with HTTP status " + std::to_string(res.status));
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, const std::exception_ptr& ep) {
        std::string what = "unexpected error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        SendError(res, 500, "internal", what);
      });

  server.Post("/v1/health", [this](const auto& req, auto& res) { HandleHealth(req, res); });
  server.Post("/api/v1/write", [this](const auto& req, auto& res) { HandleRemoteWrite(req, res); });
  server.Get("/v1/series", [this](const auto& req, auto& res) { HandleSeries(req, res); });
  server.Get(R"(/v1/series/([^/]+)/samples)",
             [this](const auto& req, auto& res) { HandleSamples(req, res); });
  server.Get("/v1/hosts", [this](const auto& req, auto& res) { HandleHosts(req, res); });
  server.Get(R"(/v1/hosts/([^/]+))", [this](const auto& req, auto& res) { HandleHost(req, res); });
  server.Get(R"(/v1/forecasts/([^/]+))",
             [this](const auto& req, auto& res) { HandleForecast(req, res); });
  server.Get("/metrics", [this](const auto& req, auto& res) { HandleMetrics(req, res); });
  server.Get("/healthz", [](const auto&, auto& res) { SendJson(res, 200, {{"status", "ok"}}); });
  server.Get("/readyz", [](const auto&, auto& res) { SendJson(res, 200, {{"status", "ready"}}); });
  server.Get("/v1/openapi.json", [](const auto&, auto& res) {
    res.set_content(OpenApiDocument(), "application/json");
  });
}

void ApiServer::Impl::HandleHealth(const httplib::Request& req, httplib::Response& res) {
  auto report = engine.IngestHealthBody(req.body);
  if (!report) {
    SendError(res, 503, "unavailable",
              "could not store the batch durably (" + report.error().message + "); retry");
    return;
  }
  json body = ReportJson(*report);
  if (report->accepted_samples == 0) {
    const std::string msg = report->messages == 0
                                ? std::string("empty body: send JSON lines or a JSON array")
                                : "all " + std::to_string(report->messages) +
                                      (report->messages == 1 ? " line" : " lines") + " rejected";
    body["error"] = {{"code", report->messages == 0 ? "empty_body" : "no_valid_message"},
                     {"message", msg}};
    SendJson(res, 400, body);
    return;
  }
  SendJson(res, 200, body);
}

// Prometheus remote-write 1.0. Status codes as Prometheus's sender reads them: 2xx stored (204
// when every sample was accepted; 200 with the ingest reply when some were rejected), 4xx bad data
// that it drops rather than retries (400 with the reason; 413 over the size limits; 415 without
// Content-Encoding: snappy or for another protocol version), 503 when the WAL write failed so it
// retries. Rejections are counted in prognos_ingest_samples_rejected_total{reason}.
void ApiServer::Impl::HandleRemoteWrite(const httplib::Request& req, httplib::Response& res) {
  if (req.get_header_value("Content-Encoding") != "snappy") {
    return SendError(res, 415, "unsupported_encoding",
                     "remote-write bodies must be sent with Content-Encoding: snappy");
  }
  const std::string type = req.get_header_value("Content-Type");
  if (!type.empty() && (type.rfind("application/x-protobuf", 0) != 0 ||
                        (type.find("proto=") != std::string::npos &&
                         type.find("proto=prometheus.WriteRequest") == std::string::npos))) {
    return SendError(
        res, 415, "unsupported_media_type",
        "expected Content-Type: application/x-protobuf (remote-write 1.0), got '" + type + "'");
  }
  ingest::RemoteWriteBatch batch = ingest::DecodeRemoteWrite(req.body, engine.options().limits);
  if (batch.request_error) {
    const ingest::Rejection r = batch.rejections.front();
    (void)engine.IngestParsed({}, std::move(batch.rejections), 0);  // counts the rejection only
    return SendError(res, *batch.request_error == RejectReason::kTooLarge ? 413 : 400,
                     std::string(RejectReasonName(r.reason)), r.message);
  }
  auto report = engine.IngestParsed(batch.samples, std::move(batch.rejections), batch.series);
  if (!report) {
    return SendError(res, 503, "unavailable",
                     "could not store the batch durably (" + report.error().message + "); retry");
  }
  if (report->rejected_samples == 0) {
    res.status = 204;
    return;
  }
  json body = ReportJson(*report);
  if (report->accepted_samples == 0) {
    body["error"] = {
        {"code", "no_valid_sample"},
        {"message", "all " + std::to_string(report->rejected_samples) + " samples rejected"}};
    return SendJson(res, 400, body);
  }
  SendJson(res, 200, body);
}

void ApiServer::Impl::HandleSeries(const httplib::Request& req, httplib::Response& res) {
  // Selectors in match[] (or match) are OR-ed; shorthands are AND-ed onto each.
  std::vector<std::vector<LabelMatcher>> selectors;
  for (const char* key : {"match[]", "match"}) {
    const std::size_t n = req.get_param_value_count(key);
    for (std::size_t i = 0; i < n; ++i) {
      auto sel = ParseSelector(req.get_param_value(key, i));
      if (!sel) return SendError(res, 400, "bad_selector", sel.error().message);
      selectors.push_back(std::move(*sel));
    }
  }
  std::vector<LabelMatcher> shorthands;
  for (auto [param, label] : {std::pair{"host", "host"}, std::pair{"component", "component"},
                              std::pair{"indicator", "__name__"}}) {
    if (req.has_param(param)) {
      shorthands.push_back(*MakeMatcher(label, MatchOp::kEqual, req.get_param_value(param)));
    }
  }
  auto limit = ParseLimit(req, kDefaultSeriesLimit, kMaxSeriesLimit);
  if (!limit) return SendError(res, 400, "bad_limit", limit.error().message);
  std::uint64_t after = 0;
  bool has_cursor = false;
  if (req.has_param("cursor") && !req.get_param_value("cursor").empty()) {
    auto c = ParseSeriesId(req.get_param_value("cursor"));
    if (!c) return SendError(res, 400, "bad_cursor", "cursor must be a next_cursor value");
    after = *c;
    has_cursor = true;
  }
  auto all = engine.storage().ListSeries();
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  json items = json::array();
  json next = nullptr;
  for (const auto& s : all) {
    if (has_cursor && s.id <= after) continue;
    if (!MatchesAll(shorthands, s.labels)) continue;
    if (!selectors.empty()) {
      bool any = std::any_of(selectors.begin(), selectors.end(),
                             [&](const auto& sel) { return MatchesAll(sel, s.labels); });
      if (!any) continue;
    }
    if (items.size() == *limit) {
      next = items.back()["id"];
      break;
    }
    items.push_back({{"id", FormatSeriesId(s.id)},
                     {"labels", LabelsJson(s.labels)},
                     {"first", s.first_ms},
                     {"last", s.last_ms},
                     {"samples", s.samples}});
  }
  SendJson(res, 200, {{"series", std::move(items)}, {"next_cursor", next}});
}

void ApiServer::Impl::HandleSamples(const httplib::Request& req, httplib::Response& res) {
  const std::string id_text = req.matches[1];
  auto id = ParseSeriesId(id_text);
  if (!id) return SendError(res, 404, "not_found", "no series with id '" + id_text + "'");
  auto info = engine.storage().GetSeries(*id);
  if (!info) return SendError(res, 404, "not_found", "no series with id '" + id_text + "'");
  TimestampMs from = INT64_MIN;
  TimestampMs to = INT64_MAX;
  for (auto [param, target] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
    if (req.has_param(param) && !req.get_param_value(param).empty()) {
      auto t = ParseTimestamp(req.get_param_value(param));
      if (!t) return SendError(res, 400, std::string("bad_") + param, t.error().message);
      *target = *t;
    }
  }
  if (req.has_param("cursor") && !req.get_param_value("cursor").empty()) {
    auto t = ParseTimestamp(req.get_param_value("cursor"));
    if (!t) return SendError(res, 400, "bad_cursor", "cursor must be a next_cursor value");
    from = std::max(from, *t);
  }
  auto limit = ParseLimit(req, kDefaultSamplesLimit, kMaxSamplesLimit);
  if (!limit) return SendError(res, 400, "bad_limit", limit.error().message);
  auto samples = engine.storage().ReadSamples(*id, from, to, *limit + 1);
  json next = nullptr;
  if (samples.size() > *limit) {
    next = std::to_string(samples[*limit].t);
    samples.resize(*limit);
  }
  json arr = json::array();
  for (const auto& s : samples) arr.push_back(json::array({s.t, ValueJson(s.v)}));
  SendJson(res, 200,
           {{"id", FormatSeriesId(*id)},
            {"labels", LabelsJson(info->labels)},
            {"samples", std::move(arr)},
            {"next_cursor", next}});
}

namespace {

struct HostSummary {
  std::set<std::string> components;
  std::set<std::string> indicators;
  std::uint64_t series = 0;
  std::uint64_t samples = 0;
  TimestampMs last = INT64_MIN;
};

std::map<std::string, HostSummary> SummariseHosts(const std::vector<store::SeriesInfo>& all) {
  std::map<std::string, HostSummary> hosts;
  for (const auto& s : all) {
    auto host = s.labels.Get(kHostLabel);
    if (!host) continue;
    auto& h = hosts[std::string(*host)];
    if (auto c = s.labels.Get(kComponentLabel)) h.components.emplace(*c);
    if (auto n = s.labels.Get(kMetricNameLabel)) h.indicators.emplace(*n);
    ++h.series;
    h.samples += s.samples;
    h.last = std::max(h.last, s.last_ms);
  }
  return hosts;
}

json HostJson(const std::string& name, const HostSummary& h,
              const std::optional<engine::HostSignalView>& sig) {
  json j{{"host", name},       {"components", h.components}, {"indicators", h.indicators},
         {"series", h.series}, {"samples", h.samples},       {"last", h.last}};
  if (sig) {
    j["entropy"] = sig->entropy;
    j["entropy_slope_per_hour"] = sig->entropy_slope_per_hour;
    j["anomaly_score"] = sig->max_anomaly;
    j["anomaly_alarms"] = sig->alarms;
  }
  return j;
}

json AnomalyJson(const engine::AnomalyEvent& e) {
  return {{"t", e.t},
          {"series_id", FormatSeriesId(e.series_id)},
          {"indicator", e.indicator},
          {"value", ValueJson(e.value)},
          {"score", e.score},
          {"forecast", ValueJson(e.forecast)},
          {"lower", ValueJson(e.lower)},
          {"upper", ValueJson(e.upper)}};
}

}  // namespace

void ApiServer::Impl::HandleHosts(const httplib::Request& req, httplib::Response& res) {
  auto limit = ParseLimit(req, kDefaultSeriesLimit, kMaxSeriesLimit);
  if (!limit) return SendError(res, 400, "bad_limit", limit.error().message);
  const std::string cursor = req.has_param("cursor") ? req.get_param_value("cursor") : "";
  auto hosts = SummariseHosts(engine.storage().ListSeries());
  json items = json::array();
  json next = nullptr;
  for (auto it = cursor.empty() ? hosts.begin() : hosts.upper_bound(cursor); it != hosts.end();
       ++it) {
    if (req.has_param("component") &&
        !it->second.components.count(req.get_param_value("component"))) {
      continue;
    }
    if (items.size() == *limit) {
      next = items.back()["host"];
      break;
    }
    items.push_back(HostJson(it->first, it->second, engine.HostSignals(it->first)));
  }
  SendJson(res, 200, {{"hosts", std::move(items)}, {"next_cursor", next}});
}

void ApiServer::Impl::HandleHost(const httplib::Request& req, httplib::Response& res) {
  const std::string host = req.matches[1];
  auto all = engine.storage().ListSeries();
  std::vector<store::SeriesInfo> mine;
  for (auto& s : all) {
    if (s.labels.Get(kHostLabel) == std::optional<std::string_view>(host)) mine.push_back(s);
  }
  if (mine.empty()) return SendError(res, 404, "not_found", "no host '" + host + "'");
  std::sort(mine.begin(), mine.end(),
            [](const auto& a, const auto& b) { return a.labels < b.labels; });
  auto summary = SummariseHosts(mine);
  auto host_signals = engine.HostSignals(host);
  json body = HostJson(host, summary.begin()->second, host_signals);
  json series = json::array();
  for (const auto& s : mine) {
    auto latest = engine.storage().ReadSamples(s.id, s.last_ms, s.last_ms, 1);
    json item{{"id", FormatSeriesId(s.id)},
              {"labels", LabelsJson(s.labels)},
              {"last", s.last_ms},
              {"last_value", latest.empty() ? json(nullptr) : ValueJson(latest[0].v)},
              {"samples", s.samples}};
    if (auto sig = engine.SeriesSignals(s.id)) {
      item["signals"] = {{"entropy", sig->last.entropy},
                         {"anomaly_score", sig->last.anomaly_score},
                         {"forecast", ValueJson(sig->last.forecast)},
                         {"lower", ValueJson(sig->last.lower)},
                         {"upper", ValueJson(sig->last.upper)},
                         {"anomaly_alarms", sig->alarms},
                         {"state_bytes", sig->state_bytes}};
    }
    series.push_back(std::move(item));
  }
  body["series_detail"] = std::move(series);
  json recent = json::array();
  if (host_signals) {
    for (const auto& e : host_signals->recent) recent.push_back(AnomalyJson(e));
  }
  body["recent_anomalies"] = std::move(recent);
  SendJson(res, 200, body);
}

void ApiServer::Impl::HandleForecast(const httplib::Request& req, httplib::Response& res) {
  const std::string id_text = req.matches[1];
  auto id = ParseSeriesId(id_text);
  if (!id) return SendError(res, 404, "not_found", "no series with id '" + id_text + "'");
  std::size_t horizon = 12;
  if (req.has_param("horizon")) {
    auto h = ParsePositive(req.get_param_value("horizon"), 10000);
    if (!h)
      return SendError(res, 400, "bad_horizon", "horizon must be an integer in 1..10000 (steps)");
    horizon = *h;
  }
  double level = 0.8;
  if (req.has_param("level")) {
    char* end = nullptr;
    const std::string v = req.get_param_value("level");
    level = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end != '\0') level = -1;
    if (level > 1 && level < 100) level /= 100;  // "80" means 80 %
    if (!(level > 0 && level < 1)) {
      return SendError(res, 400, "bad_level",
                       "level must be in (0, 1) or a percentage, e.g. 0.8 or 80");
    }
  }
  const auto start = std::chrono::steady_clock::now();
  auto sf = engine.Forecast(*id, horizon, level);
  if (!sf) {
    const int status = sf.error().code == ErrorCode::kNotFound ? 404 : 422;
    return SendError(res, status, status == 404 ? "not_found" : "cannot_forecast",
                     sf.error().message);
  }
  forecast_fit->Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  const signal::BatchForecast* fc = &sf->forecast;
  forecasts->With({fc->model}).Inc();
  auto info = engine.storage().GetSeries(*id);
  const DurationMs step = sf->step_ms;
  json points = json::array();
  for (std::size_t h = 0; h < fc->points.size(); ++h) {
    json p{{"step", h + 1},
           {"mean", ValueJson(fc->points[h].mean)},
           {"lower", ValueJson(fc->points[h].lower)},
           {"upper", ValueJson(fc->points[h].upper)}};
    if (step > 0) p["t"] = sf->last_ms + step * static_cast<DurationMs>(h + 1);
    points.push_back(std::move(p));
  }
  SendJson(res, 200,
           {{"id", FormatSeriesId(*id)},
            {"labels", LabelsJson(info->labels)},
            {"model", fc->model},
            {"season", fc->season},
            {"level", level},
            {"step_ms", step},
            {"backtest",
             {{"mae", fc->backtest_mae},
              {"relative_to_naive", fc->backtest_relative},
              {"origins", fc->origins}}},
            {"points", std::move(points)}});
}

void ApiServer::Impl::HandleMetrics(const httplib::Request&, httplib::Response& res) {
  series_gauge->Set(static_cast<double>(engine.storage().Stats().series));
  res.set_content(metrics.RenderText(), "text/plain; version=0.0.4; charset=utf-8");
}

ApiServer::ApiServer(engine::Engine& engine, MetricsRegistry& metrics, ApiOptions options,
                     engine::Controller* controller)
    : impl_(std::make_unique<Impl>(engine, metrics, std::move(options))) {
  impl_->Install();
  RegisterControlRoutes(impl_->server, controller, engine.clock());
}

ApiServer::~ApiServer() { Stop(); }

Result<int> ApiServer::Start() {
  int port = impl_->options.port;
  if (port == 0) {
    port = impl_->server.bind_to_any_port(impl_->options.host);
    if (port < 0) {
      return MakeError(ErrorCode::kIo, "cannot bind " + impl_->options.host + ":0");
    }
  } else if (!impl_->server.bind_to_port(impl_->options.host, port)) {
    return MakeError(ErrorCode::kIo, "cannot bind " + impl_->options.host + ":" +
                                         std::to_string(port) + " (in use or not permitted)");
  }
  port_ = port;
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  for (int i = 0; i < 2000 && !impl_->server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return port_;
}

void ApiServer::Stop() {
  if (!impl_) return;
  if (impl_->thread.joinable()) {
    impl_->server.stop();
    impl_->thread.join();
  }
}

}  // namespace prognos::api
