// Done-when 4 of issue 9: a table of malformed inputs over HTTP; each gets its documented status
// and reason, the server stays up, and the good lines of the same batch are stored.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "api/server.h"
#include "core/clock.h"
#include "testing/daemon_process.h"

namespace prognos {
namespace {

using nlohmann::json;

class IngestHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions options;
    options.storage.dir = dir_.path() + "/data";
    options.storage.fsync = store::FsyncPolicy::kNever;
    options.limits.max_line_bytes = 64 * 1024;
    auto e = engine::Engine::Open(options, clock_, metrics_);
    ASSERT_TRUE(e.has_value()) << e.error().message;
    engine_ = std::move(*e);
    api::ApiOptions api;
    api.port = 0;
    api.threads = 2;
    api.max_body_bytes = 1 << 20;
    server_ = std::make_unique<api::ApiServer>(*engine_, metrics_, api);
    auto port = server_->Start();
    ASSERT_TRUE(port.has_value());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
  }
  void TearDown() override { server_->Stop(); }

  httplib::Result Post(const std::string& body) {
    return client_->Post("/v1/health", body, "application/x-ndjson");
  }
  std::size_t StoredSamples(const std::string& host) {
    auto res = client_->Get(("/v1/series?host=" + host).c_str());
    std::size_t n = 0;
    const json listing = json::parse(res->body);
    for (const auto& s : listing["series"]) n += s["samples"].get<std::size_t>();
    return n;
  }

  testing::TempDir dir_;
  // 2026-11-22T10:00:00Z; the data below is from 2023 (epoch 1.7e9), i.e. in the past.
  FakeClock clock_{1795341600000};
  MetricsRegistry metrics_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<api::ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

std::string Msg(const std::string& host, long long ts, const std::string& indicators) {
  return R"({"ts": )" + std::to_string(ts) + R"(, "host": ")" + host + R"(", "indicators": )" +
         indicators + "}\n";
}

struct Case {
  const char* name;
  std::string host;
  std::vector<std::string> setup;  // bodies sent first (must succeed)
  std::string body;
  int want_status;
  std::size_t want_accepted;
  std::vector<std::pair<int, std::string>> want_rejected;  // (line, reason)
  std::size_t want_stored;                                 // samples of `host` stored afterwards
};

TEST_F(IngestHttpTest, MalformedInputsGetTheirReasonAndGoodLinesAreKept) {
  const long long t0 = 1700000000;
  const std::string big(70 * 1024, 'x');
  const std::vector<Case> cases = {
      {"bad_json",
       "bj",
       {},
       Msg("bj", t0, R"({"cpu_util": 0.5})") + R"({"ts": 1, "host": "bj", "indicators": {)" + "\n" +
           Msg("bj", t0 + 60, R"({"cpu_util": 0.6})"),
       200,
       2,
       {{2, "bad_json"}},
       2},
      {"wrong_types",
       "wt",
       {},
       std::string(R"({"ts": 1700000000, "host": 5, "indicators": {"cpu_util": 0.5}})"
                   "\n") +
           R"({"ts": 1700000000, "host": "wt", "indicators": "cpu"})"
           "\n" +
           Msg("wt", t0, R"({"cpu_util": "high", "mem_used_bytes": 1e9})"),
       200,
       1,
       {{1, "invalid_field"}, {2, "invalid_field"}, {3, "invalid_field"}},
       1},
      {"non_finite",
       "nf",
       {},
       Msg("nf", t0, R"({"cpu_util": 1e999, "error_rate": 0.01})"),
       200,
       1,
       {{1, "non_finite"}},
       1},
      {"missing_host",
       "mh",
       {},
       R"({"ts": 1700000000, "indicators": {"cpu_util": 0.5}})"
       "\n" +
           Msg("mh", t0, R"({"cpu_util": 0.5})"),
       200,
       1,
       {{1, "missing_field"}},
       1},
      {"huge_line",
       "hl",
       {},
       Msg("hl", t0, R"({"cpu_util": 0.5})") + R"({"ts": 1, "host": ")" + big +
           R"(", "indicators": {"x": 1}})"
           "\n",
       200,
       1,
       {{2, "too_large"}},
       1},
      {"out_of_order",
       "oo",
       {Msg("oo", t0 + 600, R"({"cpu_util": 0.5})")},
       Msg("oo", t0 + 300, R"({"cpu_util": 0.4})") + Msg("oo", t0 + 900, R"({"cpu_util": 0.4})"),
       200,
       1,
       {{1, "out_of_order"}},
       2},
      {"too_old",
       "to",
       {Msg("to", t0 + 7200, R"({"cpu_util": 0.5})")},
       Msg("to", t0, R"({"cpu_util": 0.4})"),
       400,
       0,
       {{1, "too_old"}},
       1},
      {"identical_retry_is_idempotent",
       "dup",
       {Msg("dup", t0, R"({"cpu_util": 0.5})")},
       Msg("dup", t0, R"({"cpu_util": 0.5})"),
       200,
       1,
       {},
       1},
      {"conflicting_timestamp",
       "ct",
       {Msg("ct", t0, R"({"cpu_util": 0.5})")},
       Msg("ct", t0, R"({"cpu_util": 0.7})"),
       400,
       0,
       {{1, "duplicate_timestamp"}},
       1},
      {"too_far_in_future",
       "ff",
       {},
       Msg("ff", 1795341600 + 86400, R"({"cpu_util": 0.5})") +
           Msg("ff", t0, R"({"cpu_util": 0.5})"),
       200,
       1,
       {{1, "too_far_in_future"}},
       1},
      {"all_lines_bad",
       "ab",
       {},
       "not json\n{}\n",
       400,
       0,
       {{1, "bad_json"}, {2, "missing_field"}},
       0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    for (const auto& s : c.setup) {
      auto r = Post(s);
      ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no reply");
    }
    auto res = Post(c.body);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, c.want_status) << res->body;
    auto reply = json::parse(res->body);
    EXPECT_EQ(reply["accepted_samples"].get<std::size_t>(), c.want_accepted) << res->body;
    ASSERT_EQ(reply["rejected"].size(), c.want_rejected.size()) << res->body;
    for (std::size_t i = 0; i < c.want_rejected.size(); ++i) {
      EXPECT_EQ(reply["rejected"][i]["line"].get<int>(), c.want_rejected[i].first) << res->body;
      EXPECT_EQ(reply["rejected"][i]["reason"].get<std::string>(), c.want_rejected[i].second)
          << res->body;
      EXPECT_FALSE(reply["rejected"][i]["message"].get<std::string>().empty());
    }
    if (c.want_status == 400 && c.want_accepted == 0) {
      EXPECT_EQ(reply["error"]["code"], "no_valid_message");
    }
    EXPECT_EQ(StoredSamples(c.host), c.want_stored);
    auto health = client_->Get("/healthz");
    ASSERT_TRUE(health && health->status == 200);
  }
}

TEST_F(IngestHttpTest, BodyOverTheLimitIs413WithJsonError) {
  std::string body;
  while (body.size() < (1u << 20) + 10) body += Msg("big", 1700000000, R"({"cpu_util": 0.5})");
  auto res = Post(body);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(json::parse(res->body)["error"]["code"], "too_large");
  EXPECT_EQ(StoredSamples("big"), 0u);
  EXPECT_EQ(client_->Get("/healthz")->status, 200);
}

TEST_F(IngestHttpTest, UnknownRouteIs404WithJsonError) {
  auto res = client_->Get("/v1/nothing-here");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(json::parse(res->body)["error"]["code"], "not_found");
  auto bad_id = client_->Get("/v1/series/zzzz/samples");
  EXPECT_EQ(bad_id->status, 404);
}

TEST_F(IngestHttpTest, EmptyBodyIs400) {
  auto res = Post("");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["error"]["code"], "empty_body");
}

TEST_F(IngestHttpTest, JsonArrayBodyUsesElementNumbers) {
  auto res = client_->Post(
      "/v1/health",
      R"([{"ts": 1700000000, "host": "arr", "indicators": {"cpu_util": 0.5}}, {"ts": 1700000060, "host": "arr"}])",
      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto reply = json::parse(res->body);
  EXPECT_EQ(reply["accepted_samples"], 1);
  ASSERT_EQ(reply["rejected"].size(), 1u);
  EXPECT_EQ(reply["rejected"][0]["line"], 2);
  EXPECT_EQ(reply["rejected"][0]["reason"], "missing_field");
}

}  // namespace
}  // namespace prognos
