// Done-when 2 of issue 15 over HTTP: a table of malformed remote-write requests (built with
// libprotobuf and snappy), each with the status Prometheus's sender acts on and the reason in the
// reply and in /metrics; the server stays up and the good series of the same request are stored.
#include <gtest/gtest.h>
#include <httplib.h>
#include <snappy.h>

#include <bit>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "api/server.h"
#include "core/clock.h"
#include "src/ingest/prompb.pb.h"
#include "testing/daemon_process.h"

namespace prognos {
namespace {

using nlohmann::json;
using Pairs = std::vector<std::pair<std::string, std::string>>;

class RemoteWriteHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions options;
    options.storage.dir = dir_.path() + "/data";
    options.storage.fsync = store::FsyncPolicy::kNever;
    options.limits.max_label_value_bytes = 256;
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
  }
  void TearDown() override { server_->Stop(); }

  httplib::Result Post(const std::string& body,
                       httplib::Headers headers = {
                           {"Content-Encoding", "snappy"},
                           {"X-Prometheus-Remote-Write-Version", "0.1.0"}}) {
    return client_->Post("/api/v1/write", headers, body, "application/x-protobuf");
  }
  std::size_t Stored(const std::string& name) {
    auto res = client_->Get(("/v1/series?indicator=" + name).c_str());
    std::size_t n = 0;
    const json listing = json::parse(res->body);
    for (const auto& s : listing["series"]) n += s["samples"].get<std::size_t>();
    return n;
  }
  double Rejected(const std::string& reason) {
    auto res = client_->Get("/metrics");
    const std::string key = "prognos_ingest_samples_rejected_total{reason=\"" + reason + "\"} ";
    auto pos = res->body.find(key);
    return pos == std::string::npos ? -1 : std::stod(res->body.substr(pos + key.size()));
  }

  testing::TempDir dir_;
  FakeClock clock_{1795341600000};  // 2026-11-22; the samples below are from 2023
  MetricsRegistry metrics_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<api::ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

void AddSeries(prometheus::WriteRequest* req, const Pairs& labels, std::int64_t t, double v) {
  auto* ts = req->add_timeseries();
  for (const auto& [n, val] : labels) {
    auto* l = ts->add_labels();
    l->set_name(n);
    l->set_value(val);
  }
  auto* s = ts->add_samples();
  s->set_timestamp(t);
  s->set_value(v);
}

std::string Snappy(const std::string& raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

TEST_F(RemoteWriteHttpTest, MalformedRequestsGetTheirStatusAndReason) {
  const std::int64_t t0 = 1700000000000;
  prometheus::WriteRequest good;
  AddSeries(&good, {{"__name__", "ok_metric"}, {"instance", "n1"}, {"job", "j"}}, t0, 1);
  const std::string good_raw = good.SerializeAsString();
  const std::string good_body = Snappy(good_raw);
  struct Case {
    const char* name;
    std::string body;
    int status;
    std::string code;  // error.code, or "" for 204
  };
  const std::vector<Case> cases = {
      {"bad snappy", "definitely not snappy", 400, "bad_snappy"},
      {"empty body", "", 400, "bad_snappy"},
      {"truncated body", good_body.substr(0, good_body.size() / 2), 400, "bad_snappy"},
      {"bad protobuf", Snappy("\xff\xff\xff\xff\xff"), 400, "bad_protobuf"},
      {"truncated protobuf", Snappy(good_raw.substr(0, good_raw.size() - 1)), 400, "bad_protobuf"},
      {"decompressed size over the limit", std::string("\x80\x80\x80\x80\x04xyz", 8), 413,
       "too_large"},
      {"empty request", Snappy(""), 204, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto res = Post(c.body);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, c.status) << res->body;
    if (!c.code.empty()) {
      EXPECT_EQ(json::parse(res->body)["error"]["code"], c.code) << res->body;
    }
  }
  EXPECT_EQ(Rejected("bad_snappy"), 3);
  EXPECT_EQ(Rejected("bad_protobuf"), 2);
  EXPECT_EQ(Rejected("too_large"), 1);

  // Headers: remote-write 1.0 needs Content-Encoding: snappy; a 2.0 request is not ours.
  auto res = Post(good_body, {});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  res = client_->Post("/api/v1/write", {{"Content-Encoding", "snappy"}}, good_body,
                      "application/x-protobuf;proto=io.prometheus.write.v2.Request");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  EXPECT_EQ(Stored("ok_metric"), 0u);

  // One request, good and bad series mixed: 200, the bad ones listed by series index.
  prometheus::WriteRequest mixed;
  AddSeries(&mixed, {{"__name__", "ok_metric"}, {"instance", "n1"}, {"job", "j"}}, t0, 1);
  AddSeries(&mixed, {{"instance", "n1"}, {"job", "j"}}, t0, 2);             // 2
  AddSeries(&mixed, {{"__name__", "dup"}, {"a", "1"}, {"a", "2"}}, t0, 3);  // 3
  AddSeries(&mixed, {{"job", "j"}, {"__name__", "unsorted"}, {"instance", "n2"}}, t0, 4);
  AddSeries(&mixed, {{"__name__", "huge"}, {"a", std::string(300, 'x')}}, t0, 5);  // 5
  AddSeries(&mixed, {{"__name__", "stale"}, {"instance", "n1"}}, t0,
            std::bit_cast<double>(0x7ff0000000000002ULL));
  res = Post(Snappy(mixed.SerializeAsString()));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json reply = json::parse(res->body);
  EXPECT_EQ(reply["accepted_samples"], 3);
  EXPECT_EQ(reply["rejected_samples"], 3);
  std::map<int, std::string> reasons;
  for (const auto& r : reply["rejected"]) reasons[r["line"].get<int>()] = r["reason"];
  EXPECT_EQ(reasons, (std::map<int, std::string>{
                         {2, "invalid_labels"}, {3, "invalid_labels"}, {5, "too_large"}}));
  EXPECT_EQ(Stored("ok_metric"), 1u);
  EXPECT_EQ(Stored("unsorted"), 1u);
  auto stale = engine_->storage().ListSeries();
  bool found_stale = false;
  for (const auto& s : stale) {
    if (s.labels.Get("__name__") == std::optional<std::string_view>("stale")) {
      auto samples = engine_->storage().ReadSamples(s.id, INT64_MIN, INT64_MAX);
      ASSERT_EQ(samples.size(), 1u);
      EXPECT_EQ(std::bit_cast<std::uint64_t>(samples[0].v), 0x7ff0000000000002ULL);
      EXPECT_EQ(s.labels.ToString(), R"({__name__="stale",host="n1",instance="n1"})");
      found_stale = true;
    }
  }
  EXPECT_TRUE(found_stale);
  EXPECT_EQ(Rejected("invalid_labels"), 2);

  // A retry of the same good request is idempotent (204); an older sample is out of order: every
  // sample rejected -> 400, which Prometheus drops instead of retrying forever.
  res = Post(good_body);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 204);
  prometheus::WriteRequest older;
  AddSeries(&older, {{"__name__", "ok_metric"}, {"instance", "n1"}, {"job", "j"}}, t0 - 1000, 9);
  res = Post(Snappy(older.SerializeAsString()));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  EXPECT_EQ(json::parse(res->body)["rejected"][0]["reason"], "out_of_order");
  EXPECT_EQ(Stored("ok_metric"), 1u);

  res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

}  // namespace
}  // namespace prognos
