// The engine pipeline: parse → future check → durable append → signals, from several threads.
#include "engine/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
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

// The buffered AllHostSignals reuses its views' storage: whatever the buffer held before (more
// hosts, other indicators, alarms), the views must equal freshly built ones field by field.
TEST_F(EngineTest, BufferedHostSignalsEqualFreshViews) {
  auto e = Open();
  auto line = [](const std::string& host, long long ts, const std::string& indicators) {
    return R"({"ts": )" + std::to_string(ts) + R"(, "host": ")" + host + R"(", "indicators": {)" +
           indicators + "}}\n";
  };
  std::string body;
  for (int i = 0; i < 300; ++i) {
    const long long ts = 1600000000LL + 60 * i;
    const std::string v = std::to_string(0.4 + (i * 7 % 10) / 100.0);
    body += line("b-host", ts, R"("cpu_util": )" + v + R"(, "a_temp": 40, "z_errors": 0)");
    body += line("a-host", ts, R"("mem_util": )" + v);
    if (i % 3 == 0) body += line("c-host", ts, R"("cpu_util": )" + std::to_string(i));
  }
  body += line("a-host", 1600000000LL + 60 * 300, R"("mem_util": 0.99)");  // an alarm
  ASSERT_TRUE(e->IngestHealthBody(body).has_value());
  auto expect_same = [](const std::vector<HostSignalView>& want,
                        const std::vector<HostSignalView>& got) {
    ASSERT_EQ(want.size(), got.size());
    for (std::size_t h = 0; h < want.size(); ++h) {
      SCOPED_TRACE(want[h].host);
      const HostSignalView& a = want[h];
      const HostSignalView& b = got[h];
      EXPECT_EQ(a.host, b.host);
      EXPECT_EQ(a.entropy, b.entropy);
      EXPECT_EQ(a.entropy_slope_per_hour, b.entropy_slope_per_hour);
      EXPECT_EQ(a.max_anomaly, b.max_anomaly);
      EXPECT_EQ(a.alarms, b.alarms);
      EXPECT_EQ(a.last, b.last);
      ASSERT_EQ(a.recent.size(), b.recent.size());
      for (std::size_t k = 0; k < a.recent.size(); ++k) {
        EXPECT_EQ(a.recent[k].t, b.recent[k].t);
        EXPECT_EQ(a.recent[k].indicator, b.recent[k].indicator);
      }
      ASSERT_EQ(a.indicators.size(), b.indicators.size());
      for (std::size_t k = 0; k < a.indicators.size(); ++k) {
        const auto& x = a.indicators[k];
        const auto& y = b.indicators[k];
        EXPECT_EQ(x.series_id, y.series_id);
        EXPECT_EQ(x.indicator, y.indicator);
        EXPECT_EQ(x.component, y.component);
        EXPECT_EQ(x.value, y.value);
        EXPECT_EQ(x.score, y.score);
        EXPECT_EQ(x.entropy, y.entropy);
        EXPECT_EQ(x.t, y.t);
      }
    }
  };
  const std::vector<HostSignalView> fresh = e->AllHostSignals();
  ASSERT_EQ(fresh.size(), 3u);
  EXPECT_EQ(fresh[0].host, "a-host");
  EXPECT_EQ(fresh[1].indicators.size(), 3u);
  // A stale buffer: more views than hosts, views with other contents, in another order.
  std::vector<HostSignalView> buffer(5);
  buffer[0] = fresh[1];
  buffer[1] = fresh[0];
  buffer[2] = fresh[1];
  buffer[2].indicators.resize(7);
  buffer[2].recent.resize(3);
  buffer[3].host = "zz";
  for (HostSignalView& v : buffer) {  // every field must be overwritten
    v.entropy = 5;
    v.entropy_slope_per_hour = 5;
    v.max_anomaly = 9;
    v.alarms = 7;
    v.last = 1;
  }
  e->AllHostSignals(&buffer);
  expect_same(fresh, buffer);
  e->AllHostSignals(&buffer);  // again, from its own previous contents
  expect_same(fresh, buffer);
  std::vector<HostSignalView> empty;
  e->AllHostSignals(&empty);
  expect_same(fresh, empty);
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

// The engine updates signals a commit at a time, grouped by shard. Per series and per host the
// result must be exactly that of feeding the samples one by one, in request order, to
// signal::SeriesSignals and to the host's CompositeEntropy (rebuilt when a new indicator appears,
// weight 1 each): the reference below does that directly.
TEST_F(EngineTest, BatchedSignalsEqualSampleBySampleSignals) {
  auto e = Open();
  const std::vector<std::string> hosts = {"h0", "h1", "h2"};
  const std::vector<std::string> names = {"cpu", "mem", "disk"};
  struct Ref {
    signal::SeriesSignals signals;
    signal::SignalSnapshot last;
    std::uint64_t updates = 0;
    std::uint64_t alarms = 0;
  };
  std::map<std::pair<std::string, std::string>, Ref> ref;  // (host, name)
  struct HostRef {
    std::vector<std::string> indicators;
    std::unique_ptr<signal::CompositeEntropy> composite;
  };
  std::map<std::string, HostRef> host_ref;
  std::uint32_t lcg = 12345;
  auto noise = [&lcg] {
    lcg = lcg * 1664525u + 1013904223u;
    return static_cast<double>(lcg >> 8) / static_cast<double>(1u << 24);
  };
  std::vector<ingest::ParsedSample> batch;
  std::uint64_t expected_alarms = 0;
  for (int step = 0; step < 300; ++step) {
    // Each step: every (host, name) pair once, the pairs in a different order each time, and host
    // h2 gets its "disk" series only from step 100 on (a new indicator mid-stream).
    for (std::size_t k = 0; k < hosts.size() * names.size(); ++k) {
      const std::size_t pick = (k * 5 + static_cast<std::size_t>(step)) % 9;
      const std::string& host = hosts[pick / 3];
      const std::string& name = names[pick % 3];
      if (host == "h2" && name == "disk" && step < 100) continue;
      const TimestampMs t = 1600000000000LL + step * 60000LL;
      double v = 0.5 + 0.2 * std::sin(step / 7.0 + static_cast<double>(pick)) + 0.05 * noise();
      if (step == 250 && pick == 4) v = 40.0;  // a spike: at least one alarm
      ingest::ParsedSample ps;
      ps.labels = Labels::FromSortedUnchecked(
          {{"__name__", name}, {"component", "c-" + host}, {"host", host}});
      ps.sample = {t, v};
      ps.line = static_cast<std::uint32_t>(batch.size() + 1);
      batch.push_back(ps);
      auto [it, fresh] = ref.try_emplace({host, name});
      Ref& r = it->second;
      r.last = r.signals.Update(t, v);
      ++r.updates;
      if (r.last.anomaly_score >= 0.5) {
        ++r.alarms;
        ++expected_alarms;
      }
      HostRef& h = host_ref[host];
      auto slot = std::find(h.indicators.begin(), h.indicators.end(), name);
      if (slot == h.indicators.end()) {
        h.indicators.push_back(name);
        h.composite = std::make_unique<signal::CompositeEntropy>(
            std::vector<double>(h.indicators.size(), 1.0), kHourMs);
        slot = h.indicators.end() - 1;
      }
      h.composite->SetIndicator(static_cast<std::size_t>(slot - h.indicators.begin()),
                                r.last.entropy);
      h.composite->Update(t);
    }
  }
  // Commits of uneven sizes, so series and hosts straddle commits.
  for (std::size_t from = 0, size = 1; from < batch.size(); from += size, size = size * 3 + 1) {
    const std::size_t to = std::min(batch.size(), from + size);
    std::vector<ingest::ParsedSample> part(batch.begin() + static_cast<std::ptrdiff_t>(from),
                                           batch.begin() + static_cast<std::ptrdiff_t>(to));
    auto r = e->IngestParsed(part, {}, 0);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->accepted_samples, part.size());
  }
  ASSERT_GT(expected_alarms, 0u);
  std::uint64_t alarms = 0;
  const auto series = e->storage().ListSeries();
  ASSERT_EQ(series.size(), ref.size());
  for (const auto& s : series) {
    const std::string host(*s.labels.Get(kHostLabel));
    const std::string name(*s.labels.Get(kMetricNameLabel));
    const Ref& r = ref.at({host, name});
    auto sig = e->SeriesSignals(s.id);
    ASSERT_TRUE(sig.has_value());
    EXPECT_EQ(sig->updates, r.updates) << host << " " << name;
    EXPECT_EQ(sig->alarms, r.alarms) << host << " " << name;
    EXPECT_EQ(sig->last.entropy, r.last.entropy) << host << " " << name;
    EXPECT_EQ(sig->last.anomaly_score, r.last.anomaly_score) << host << " " << name;
    EXPECT_EQ(sig->last.forecast, r.last.forecast) << host << " " << name;
    alarms += sig->alarms;
  }
  EXPECT_EQ(alarms, expected_alarms);
  for (const auto& host : hosts) {
    auto hv = e->HostSignals(host);
    ASSERT_TRUE(hv.has_value());
    const HostRef& h = host_ref.at(host);
    EXPECT_EQ(hv->entropy, h.composite->value()) << host;
    EXPECT_EQ(hv->entropy_slope_per_hour, h.composite->slope_per_hour()) << host;
    ASSERT_EQ(hv->indicators.size(), names.size()) << host;
    for (const auto& ind : hv->indicators) {
      EXPECT_EQ(ind.component, "c-" + host);
      EXPECT_EQ(ind.score, ref.at({host, ind.indicator}).last.anomaly_score);
    }
  }
}

}  // namespace
}  // namespace prognos::engine
