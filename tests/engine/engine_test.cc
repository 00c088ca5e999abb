// The engine pipeline: parse → future check → durable append → signals, from several threads.
#include "engine/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <thread>

namespace prognos::engine {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "prognos-engine-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Engine> Open(DurationMs future_tolerance_ms = 0) {
    EngineOptions o;
    o.storage.dir = dir_;
    o.storage.fsync = store::FsyncPolicy::kNever;
    o.future_tolerance_ms = future_tolerance_ms;
    auto e = Engine::Open(o, clock_, metrics_);
    EXPECT_TRUE(e.has_value());
    return std::move(*e);
  }
  static std::string Line(const std::string& host, long long ts, double v) {
    return R"({"ts": )" + std::to_string(ts) + R"(, "host": ")" + host +
           R"(", "indicators": {"cpu_util": )" + std::to_string(v) + "}}\n";
  }

  std::string dir_;
  FakeClock clock_{1700000000000};
  MetricsRegistry metrics_;
};

TEST_F(EngineTest, FutureSamplesAreRejectedOnlyWhenAToleranceIsSet) {
  auto e = Open(10 * kMinuteMs);
  // now = 1700000000 s; +9 min is fine, +11 min is too far.
  auto r = e->IngestHealthBody(Line("h", 1700000000 + 540, 0.1) + Line("h", 1700000000 + 660, 0.2));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->accepted_samples, 1u);
  ASSERT_EQ(r->rejected.size(), 1u);
  EXPECT_EQ(r->rejected[0].reason, RejectReason::kTooFarInFuture);
  EXPECT_EQ(r->rejected[0].line, 2u);
  EXPECT_EQ(r->rejected_by_reason[static_cast<std::size_t>(RejectReason::kTooFarInFuture)], 1u);
}

TEST_F(EngineTest, ConcurrentIngestStoresEverySampleOnce) {
  auto e = Open();
  constexpr int kThreads = 4;
  constexpr int kBatches = 50;
  constexpr int kPerBatch = 20;
  std::vector<std::thread> threads;
  std::atomic<std::uint64_t> accepted{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::string body;
        for (int i = 0; i < kPerBatch; ++i) {
          body +=
              Line("host-" + std::to_string(t), 1600000000LL + b * kPerBatch + i, (i % 10) / 10.0);
        }
        auto r = e->IngestHealthBody(body);
        if (r) accepted += r->accepted_samples;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), static_cast<std::uint64_t>(kThreads * kBatches * kPerBatch));
  auto stats = e->storage().Stats();
  EXPECT_EQ(stats.series, static_cast<std::uint64_t>(kThreads));
  EXPECT_EQ(stats.samples, static_cast<std::uint64_t>(kThreads * kBatches * kPerBatch));
  // Every stored sample went through its series' signals exactly once.
  for (const auto& s : e->storage().ListSeries()) {
    auto sig = e->SeriesSignals(s.id);
    ASSERT_TRUE(sig.has_value());
    EXPECT_EQ(sig->updates, static_cast<std::uint64_t>(kBatches * kPerBatch));
  }
}

TEST_F(EngineTest, ASpikeAfterAQuietStretchRaisesAnAlarmOnItsHost) {
  auto e = Open();
  std::string body;
  // 400 samples of a noisy-but-steady signal (values in 0.40..0.49), then one jump to 0.95.
  for (int i = 0; i < 400; ++i)
    body += Line("quiet", 1600000000LL + 60 * i, 0.40 + (i * 7 % 10) / 100.0);
  ASSERT_TRUE(e->IngestHealthBody(body).has_value());
  auto before = e->HostSignals("quiet");
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->alarms, 0u) << "no alarm on the steady stretch";
  ASSERT_TRUE(e->IngestHealthBody(Line("quiet", 1600000000LL + 60 * 400, 0.95)).has_value());
  auto after = e->HostSignals("quiet");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->alarms, 1u);
  ASSERT_EQ(after->recent.size(), 1u);
  EXPECT_EQ(after->recent[0].t, (1600000000LL + 60 * 400) * 1000);
  EXPECT_EQ(after->recent[0].indicator, "cpu_util");
  EXPECT_GE(after->recent[0].score, 0.5);
  EXPECT_GE(after->entropy, 0.0);
  EXPECT_LE(after->entropy, 1.0);
  EXPECT_FALSE(std::isnan(after->entropy_slope_per_hour));
}

TEST_F(EngineTest, SignalsSkipRejectedAndIdempotentSamples) {
  auto e = Open();
  ASSERT_TRUE(e->IngestHealthBody(Line("h", 1600000600, 0.5)).has_value());
  // Identical retry (idempotent), an out-of-order and a conflicting sample: none reaches the
  // signals.
  auto r = e->IngestHealthBody(Line("h", 1600000600, 0.5) + Line("h", 1600000000, 0.1) +
                               Line("h", 1600000600, 0.9));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->accepted_samples, 1u);
  EXPECT_EQ(r->rejected_samples, 2u);
  auto id = e->storage().ListSeries().at(0).id;
  EXPECT_EQ(e->SeriesSignals(id)->updates, 1u);
}

TEST_F(EngineTest, ForecastOfAStoredSeriesUsesItsHistory) {
  auto e = Open();
  std::string body;
  // A daily sine at 5-minute steps for 4 days: the forecast should follow the season.
  for (int i = 0; i < 4 * 288; ++i) {
    body += Line("sine", 1600000000LL + 300LL * i, 0.5 + 0.3 * std::sin(2 * M_PI * i / 288.0));
  }
  ASSERT_TRUE(e->IngestHealthBody(body).has_value());
  auto id = e->storage().ListSeries().at(0).id;
  auto sf = e->Forecast(id, 288, 0.8);
  ASSERT_TRUE(sf.has_value()) << sf.error().message;
  const signal::BatchForecast* fc = &sf->forecast;
  ASSERT_EQ(fc->points.size(), 288u);
  double max_err = 0;
  for (int h = 1; h <= 288; ++h) {
    const double want = 0.5 + 0.3 * std::sin(2 * M_PI * (4 * 288 + h - 1) / 288.0);
    max_err = std::max(max_err, std::fabs(fc->points[static_cast<std::size_t>(h - 1)].mean - want));
  }
  EXPECT_LT(max_err, 0.02) << "model " << fc->model << " season " << fc->season;
  EXPECT_EQ(e->Forecast(12345, 12, 0.8).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace prognos::engine
