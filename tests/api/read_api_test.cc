// The read side of the API: series filters and selectors, pagination, sample ranges, hosts,
// /metrics (checked by Prometheus's own promtool) and the OpenAPI document.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "api/selector.h"
#include "api/server.h"
#include "core/clock.h"
#include "testing/daemon_process.h"

namespace prognos {
namespace {

using nlohmann::json;

class ReadApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions options;
    options.storage.dir = dir_.path() + "/data";
    options.storage.fsync = store::FsyncPolicy::kNever;
    options.future_tolerance_ms = 0;
    auto e = engine::Engine::Open(options, clock_, metrics_);
    ASSERT_TRUE(e.has_value()) << e.error().message;
    engine_ = std::move(*e);
    api::ApiOptions api;
    api.port = 0;
    api.threads = 2;
    server_ = std::make_unique<api::ApiServer>(*engine_, metrics_, api);
    auto port = server_->Start();
    ASSERT_TRUE(port.has_value());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
    // 3 hosts x (cpu_util, mem_used_bytes) x 100 samples, 60 s apart; h3 has a component.
    std::string body;
    for (int i = 0; i < 100; ++i) {
      for (const char* h : {"h1", "h2", "h3"}) {
        json m{{"ts", 1700000000 + 60 * i},
               {"host", h},
               {"indicators", {{"cpu_util", i / 100.0}, {"mem_used_bytes", 1e9 + i}}}};
        if (std::string(h) == "h3") m["component"] = "db";
        body += m.dump() + "\n";
      }
    }
    auto res = client_->Post("/v1/health", body, "application/x-ndjson");
    ASSERT_TRUE(res && res->status == 200);
  }
  void TearDown() override { server_->Stop(); }
  json GetJson(const std::string& path, int want_status = 200) {
    auto res = client_->Get(path.c_str());
    EXPECT_TRUE(res);
    if (!res) return {};
    EXPECT_EQ(res->status, want_status) << path << ": " << res->body;
    return json::parse(res->body);
  }

  testing::TempDir dir_;
  FakeClock clock_{1795341600000};
  MetricsRegistry metrics_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<api::ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ReadApiTest, SeriesFiltersByShorthandsAndSelectors) {
  EXPECT_EQ(GetJson("/v1/series")["series"].size(), 6u);
  EXPECT_EQ(GetJson("/v1/series?host=h1")["series"].size(), 2u);
  EXPECT_EQ(GetJson("/v1/series?indicator=cpu_util")["series"].size(), 3u);
  EXPECT_EQ(GetJson("/v1/series?component=db")["series"].size(), 2u);
  EXPECT_EQ(GetJson("/v1/series?match[]=" + httplib::detail::encode_query_param(
                                                R"({host=~"h[12]",__name__="cpu_util"})"))["series"]
                .size(),
            2u);
  EXPECT_EQ(GetJson("/v1/series?match[]=" +
                    httplib::detail::encode_query_param(R"(mem_used_bytes{host!="h1"})"))["series"]
                .size(),
            2u);
  // Two selectors are OR-ed.
  EXPECT_EQ(GetJson("/v1/series?match[]=" + httplib::detail::encode_query_param(R"({host="h1"})") +
                    "&match[]=" + httplib::detail::encode_query_param(R"({host="h2"})"))["series"]
                .size(),
            4u);
  auto one = GetJson("/v1/series?host=h2&indicator=cpu_util")["series"][0];
  EXPECT_EQ(one["labels"]["__name__"], "cpu_util");
  EXPECT_EQ(one["labels"]["host"], "h2");
  EXPECT_EQ(one["first"], 1700000000000LL);
  EXPECT_EQ(one["last"], 1700000000000LL + 99 * 60000);
  EXPECT_EQ(one["samples"], 100);
  EXPECT_EQ(GetJson("/v1/series?match[]=" + httplib::detail::encode_query_param("{host=}"),
                    400)["error"]["code"],
            "bad_selector");
}

TEST_F(ReadApiTest, SeriesPaginationVisitsEachSeriesOnce) {
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = GetJson("/v1/series?limit=4" + (cursor.empty() ? "" : "&cursor=" + cursor));
    for (const auto& s : page["series"]) EXPECT_TRUE(seen.insert(s["id"]).second);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty());
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(pages, 2);
}

TEST_F(ReadApiTest, SamplesHonourRangeLimitAndCursor) {
  const std::string id = GetJson("/v1/series?host=h1&indicator=cpu_util")["series"][0]["id"];
  // from/to inclusive: minutes 10..19 -> 10 samples; values i/100.
  auto r = GetJson("/v1/series/" + id + "/samples?from=" + std::to_string(1700000000 + 600) +
                   "&to=" + std::to_string(1700000000 + 1140));
  ASSERT_EQ(r["samples"].size(), 10u);
  EXPECT_EQ(r["samples"][0][0], 1700000600000LL);
  EXPECT_DOUBLE_EQ(r["samples"][0][1].get<double>(), 0.10);
  EXPECT_TRUE(r["next_cursor"].is_null());
  // RFC 3339 bounds work too: 2023-11-14T22:13:20Z is epoch 1700000000.
  auto rfc =
      GetJson("/v1/series/" + id + "/samples?from=2023-11-14T22:13:20Z&to=2023-11-14T22:14:20Z");
  EXPECT_EQ(rfc["samples"].size(), 2u);
  std::size_t total = 0;
  std::string cursor;
  do {
    auto page = GetJson("/v1/series/" + id + "/samples?limit=30" +
                        (cursor.empty() ? "" : "&cursor=" + cursor));
    total += page["samples"].size();
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
  } while (!cursor.empty());
  EXPECT_EQ(total, 100u);
  GetJson("/v1/series/" + id + "/samples?from=yesterday", 400);
  GetJson("/v1/series/0123456789abcdef/samples", 404);
}

TEST_F(ReadApiTest, HostsSummariseTheirSeries) {
  auto hosts = GetJson("/v1/hosts")["hosts"];
  ASSERT_EQ(hosts.size(), 3u);
  EXPECT_EQ(hosts[0]["host"], "h1");
  EXPECT_EQ(hosts[0]["series"], 2);
  EXPECT_EQ(hosts[0]["samples"], 200);
  EXPECT_EQ(hosts[2]["components"], json::array({"db"}));
  auto h3 = GetJson("/v1/hosts/h3");
  EXPECT_EQ(h3["series_detail"].size(), 2u);
  EXPECT_EQ(GetJson("/v1/hosts?component=db")["hosts"].size(), 1u);
  GetJson("/v1/hosts/nope", 404);
}

TEST_F(ReadApiTest, MetricsPassPromtoolCheck) {
  client_->Post("/v1/health", "garbage\n", "application/x-ndjson");
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res && res->status == 200);
  const std::string& text = res->body;
  for (const char* name :
       {"prognos_ingest_samples_accepted_total 600",
        "prognos_ingest_samples_rejected_total{reason=\"bad_json\"} 1",
        "prognos_http_requests_total{", "prognos_http_request_duration_seconds_bucket{",
        "prognos_wal_fsync_duration_seconds", "prognos_wal_repairs_total", "prognos_wal_bytes"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name;
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_EQ(line.rfind("prognos_", 0), 0u) << line;
  }
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    if (std::getenv("CI") != nullptr)
      FAIL() << "promtool missing in CI (Debian package prometheus)";
    GTEST_SKIP() << "promtool not installed (apt-get install prometheus)";
  }
  const std::string path = dir_.path() + "/metrics.txt";
  std::ofstream(path) << text;
  const std::string cmd = "promtool check metrics < " + path + " > " + path + ".out 2>&1";
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << testing::ReadWholeFile(path + ".out");
}

TEST_F(ReadApiTest, OpenApiDocumentsExactlyTheServedRoutes) {
  auto doc = GetJson("/v1/openapi.json");
  std::set<std::string> documented;
  for (const auto& [path, ops] : doc["paths"].items()) documented.insert(path);
  const std::set<std::string> served = {
      "/v1/health", "/api/v1/write",  "/v1/series",      "/v1/series/{id}/samples",
      "/v1/hosts",  "/v1/hosts/{id}", "/metrics",        "/v1/forecasts/{series}",
      "/healthz",   "/readyz",        "/v1/openapi.json", "/v1/decisions", "/v1/allocations",
      "/v1/risks",  "/v1/alerts",     "/v1/preferences"};
  EXPECT_EQ(documented, served);
  // Every documented GET path answers something other than 404 for a real id.
  const std::string id = GetJson("/v1/series?host=h1")["series"][0]["id"];
  for (std::string p : served) {
    if (p == "/v1/health" || p == "/api/v1/write") continue;  // POST only
    if (auto pos = p.find("{id}"); pos != std::string::npos) {
      p.replace(pos, 4, p.rfind("/v1/hosts", 0) == 0 ? "h1" : id);
    }
    if (auto pos = p.find("{series}"); pos != std::string::npos) p.replace(pos, 8, id);
    auto res = client_->Get(p.c_str());
    ASSERT_TRUE(res) << p;
    EXPECT_EQ(res->status, 200) << p;
  }
}

TEST_F(ReadApiTest, ForecastsContinueTheSeriesWithIntervals) {
  // h1's cpu_util is i/100 for i = 0..99 at 60 s steps: a straight line, so any sensible model
  // continues it; the next value is 1.00 and the interval must contain the point forecast.
  const std::string id = GetJson("/v1/series?host=h1&indicator=cpu_util")["series"][0]["id"];
  auto fc = GetJson("/v1/forecasts/" + id + "?horizon=5&level=80");
  ASSERT_EQ(fc["points"].size(), 5u);
  EXPECT_EQ(fc["level"], 0.8);
  EXPECT_EQ(fc["step_ms"], 60000);
  EXPECT_EQ(fc["points"][0]["t"], 1700000000000LL + 100 * 60000);
  for (const auto& p : fc["points"]) {
    EXPECT_LE(p["lower"].get<double>(), p["mean"].get<double>());
    EXPECT_GE(p["upper"].get<double>(), p["mean"].get<double>());
  }
  EXPECT_NEAR(fc["points"][0]["mean"].get<double>(), 1.00, 0.02) << fc.dump();
  EXPECT_FALSE(fc["model"].get<std::string>().empty());
  GetJson("/v1/forecasts/" + id + "?horizon=0", 400);
  GetJson("/v1/forecasts/" + id + "?level=150", 400);
  GetJson("/v1/forecasts/" + id + "?level=0", 400);
  GetJson("/v1/forecasts/" + id + "?level=high", 400);
  GetJson("/v1/forecasts/0123456789abcdef", 404);
  auto metrics = client_->Get("/metrics")->body;
  EXPECT_NE(
      metrics.find("prognos_forecasts_total{model=\"" + fc["model"].get<std::string>() + "\"} 1"),
      std::string::npos);
}

TEST_F(ReadApiTest, HostDetailCarriesSignals) {
  auto h1 = GetJson("/v1/hosts/h1");
  ASSERT_EQ(h1["series_detail"].size(), 2u);
  for (const auto& s : h1["series_detail"]) {
    ASSERT_TRUE(s.contains("signals")) << s.dump();
    const double e = s["signals"]["entropy"].get<double>();
    const double a = s["signals"]["anomaly_score"].get<double>();
    EXPECT_GE(e, 0.0);
    EXPECT_LE(e, 1.0);
    EXPECT_GE(a, 0.0);
    EXPECT_LE(a, 1.0);
  }
  EXPECT_GE(h1["entropy"].get<double>(), 0.0);
  EXPECT_LE(h1["entropy"].get<double>(), 1.0);
  EXPECT_TRUE(h1["recent_anomalies"].is_array());
}

TEST(ApiAuthTest, BearerTokenGuardsEverythingButProbesAndMetrics) {
  testing::TempDir dir;
  FakeClock clock{1795341600000};
  MetricsRegistry metrics;
  engine::EngineOptions options;
  options.storage.dir = dir.path() + "/data";
  options.storage.fsync = store::FsyncPolicy::kNever;
  auto e = engine::Engine::Open(options, clock, metrics);
  ASSERT_TRUE(e.has_value());
  api::ApiOptions o;
  o.port = 0;
  o.threads = 2;
  o.auth_tokens = {"s3cret"};
  api::ApiServer server(**e, metrics, o);
  const int port = *server.Start();
  httplib::Client c("127.0.0.1", port);
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  EXPECT_EQ(c.Get("/metrics")->status, 200);
  auto denied = c.Get("/v1/series");
  EXPECT_EQ(denied->status, 401);
  EXPECT_EQ(json::parse(denied->body)["error"]["code"], "unauthorized");
  EXPECT_EQ(c.Get("/v1/series", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(c.Get("/v1/series", {{"Authorization", "Bearer s3cret"}})->status, 200);
  auto post =
      c.Post("/v1/health", "{\"ts\": 1700000000, \"host\": \"h\", \"indicators\": {\"x\": 1}}",
             "application/json");
  EXPECT_EQ(post->status, 401);
  EXPECT_EQ(server.port(), port);
  server.Stop();
}

TEST(SelectorTest, ParsesPrometheusSelectors) {
  auto m = api::ParseSelector(R"(cpu{host="h1", zone=~"eu-.*",env!="dev",x!~'y'})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  ASSERT_EQ(m->size(), 5u);
  EXPECT_EQ((*m)[0].name, "__name__");
  EXPECT_EQ((*m)[2].op, api::MatchOp::kRegex);
  auto labels = *Labels::FromUnsorted({{"__name__", "cpu"}, {"host", "h1"}, {"zone", "eu-west"}});
  EXPECT_TRUE(api::MatchesAll(*m, labels));
  auto other = *Labels::FromUnsorted({{"__name__", "cpu"}, {"host", "h1"}, {"zone", "us-east"}});
  EXPECT_FALSE(api::MatchesAll(*m, other));
  for (const char* bad : {"", "{", "{a=}", "{a=\"x\"", "{a~\"x\"}", "{a=~\"(\"}", "cpu{} x"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(api::ParseSelector(bad).has_value());
  }
}

}  // namespace
}  // namespace prognos
