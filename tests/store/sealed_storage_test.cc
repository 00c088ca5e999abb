// Sealed blocks behind the Storage API: round trips through seal, merge and restart; WAL
// checkpointing; retention; quarantine of a damaged block.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "store/storage.h"
#include "store/test_util.h"

namespace prognos::store {
namespace {

using testing::Metric;
using testing::Name;
using testing::TempDir;

StorageOptions Opts(const std::string& dir) {
  StorageOptions o;
  o.dir = dir;
  o.fsync = FsyncPolicy::kNever;
  o.max_age_ms = std::numeric_limits<std::int64_t>::max();
  o.block_samples = 100;
  o.block_age_ms = std::numeric_limits<std::int64_t>::max();
  o.merge_target_samples = 1000;
  o.maintenance_interval_ms = 0;  // tests drive maintenance explicitly
  o.zstd_level = 3;
  return o;
}

std::unique_ptr<Storage> MustOpen(const StorageOptions& o, MetricsRegistry* metrics = nullptr,
                                  std::vector<std::string>* logs = nullptr) {
  auto s = Storage::Open(o, metrics, [logs](const std::string& m) {
    if (logs != nullptr) {
      logs->push_back(m);
    } else {
      ADD_FAILURE() << "unexpected log: " << m;
    }
  });
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return s ? std::move(*s) : nullptr;
}

std::uint64_t Bits(double v) { return std::bit_cast<std::uint64_t>(v); }

using Model = std::map<std::string, std::vector<Sample>>;  // host -> samples, what was acked

void ExpectSame(Storage& s, const Model& model) {
  ASSERT_EQ(s.ListSeries().size(), model.size());
  for (const auto& info : s.ListSeries()) {
    const std::string host(info.labels.Get("host").value_or(""));
    const auto& want = model.at(host);
    SCOPED_TRACE(host);
    EXPECT_EQ(info.samples, want.size());
    EXPECT_EQ(info.first_ms, want.front().t);
    EXPECT_EQ(info.last_ms, want.back().t);
    const auto got = s.ReadSamples(info.id, std::numeric_limits<TimestampMs>::min(),
                                   std::numeric_limits<TimestampMs>::max());
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i].t, want[i].t) << i;
      ASSERT_EQ(Bits(got[i].v), Bits(want[i].v)) << i;
    }
  }
}

// Random series of every awkward kind, committed in interleaved batches, with a maintenance
// pass (sealing heads of >= 100 samples, merging) every three batches.
Model Fill(Storage& s, std::mt19937_64& rng, int series, int per_series) {
  Model model;
  for (int k = 0; k < series; ++k) {
    auto& v = model[Name("h", k)];
    std::int64_t t = static_cast<std::int64_t>(rng() % 1000000) - 500000;
    const int n = k == 0 ? 1 : per_series + static_cast<int>(rng() % 50);  // h0: single sample
    for (int i = 0; i < n; ++i) {
      t +=
          k % 3 == 0 ? 300000 : 1 + static_cast<std::int64_t>(rng() % 100000);  // regular/irregular
      double x = 0;
      switch (rng() % 6) {
        case 0:
          x = std::bit_cast<double>(rng());
          break;  // any bits: NaN payloads included
        case 1:
          x = (rng() % 2 != 0) ? -0.0 : 0.0;
          break;
        case 2:
          x = (rng() % 2 != 0) ? std::numeric_limits<double>::infinity()
                               : -std::numeric_limits<double>::infinity();
          break;
        default:
          x = static_cast<double>(rng() % 100000) / 15.0;
      }
      v.push_back({t, x});
    }
  }
  // Commit in time-interleaved chunks of up to 37 samples per series.
  std::map<std::string, std::size_t> pos;
  int rounds = 0;
  bool more = true;
  while (more) {
    more = false;
    Appender app = s.NewAppender();
    for (const auto& [host, v] : model) {
      std::size_t& p = pos[host];
      for (std::size_t c = 0; c < 37 && p < v.size(); ++c, ++p) app.Add(Metric("m", host), v[p]);
      more = more || p < v.size();
    }
    auto r = app.Commit();
    EXPECT_TRUE(r.has_value());
    if (++rounds % 3 == 0) {
      EXPECT_TRUE(s.Maintain().has_value());
    }
  }
  return model;
}

TEST(SealedStorageTest, RandomSeriesBitIdenticalAfterSealMergeAndRestart) {
  TempDir dir;
  std::mt19937_64 rng(42);
  Model model;
  {
    auto s = MustOpen(Opts(dir.path()));
    StorageOptions o = Opts(dir.path());
    o.merge_target_samples = 100;  // no merging while filling: many blocks of 111 samples
    s.reset();
    s = MustOpen(o);
    model = Fill(*s, rng, 12, 450);
    EXPECT_GT(s->Stats().blocks, 12u);
    EXPECT_GT(s->Stats().head_samples, 0u);
    ExpectSame(*s, model);
    s.reset();
    s = MustOpen(Opts(dir.path()));  // restart: blocks + WAL replayed into the head
    ExpectSame(*s, model);
    ASSERT_TRUE(s->SealAll().has_value());  // everything sealed, WAL checkpointed
    EXPECT_EQ(s->Stats().head_samples, 0u);
    ExpectSame(*s, model);
    const auto before = s->Stats().blocks;
    ASSERT_TRUE(s->MergeBlocks().has_value());
    EXPECT_LT(s->Stats().blocks, before);
    EXPECT_GT(s->Stats().merges, 0u);
    ExpectSame(*s, model);
  }
  {
    auto s = MustOpen(Opts(dir.path()));
    ExpectSame(*s, model);
    EXPECT_EQ(s->Stats().head_samples, 0u);
    // The checkpoint removed the WAL before the seal: only a fresh segment header is left.
    EXPECT_LE(s->Stats().wal_bytes, 8u * 2);
  }
}

TEST(SealedStorageTest, OrderRulesAndIdempotentRetriesHoldAcrossSealing) {
  TempDir dir;
  auto s = MustOpen(Opts(dir.path()));
  const Labels l = Metric("cpu", "a");
  Appender app = s->NewAppender();
  for (int i = 0; i < 10; ++i) app.Add(l, Sample{1000 * i, 0.5 * i});
  ASSERT_TRUE(app.Commit().has_value());
  ASSERT_TRUE(s->SealAll().has_value());
  Appender retry = s->NewAppender();
  retry.Add(l, Sample{3000, 1.5});   // identical to a sealed sample: idempotent
  retry.Add(l, Sample{4000, 9.0});   // same time, other value
  retry.Add(l, Sample{4500, 1.0});   // between sealed samples: out of order
  retry.Add(l, Sample{10000, 5.0});  // new
  auto r = retry.Commit();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)[0].outcome, SampleOutcome::kIdempotent);
  EXPECT_EQ((*r)[1].outcome, SampleOutcome::kRejected);
  EXPECT_EQ((*r)[1].reason, RejectReason::kDuplicateTimestamp);
  EXPECT_EQ((*r)[2].outcome, SampleOutcome::kRejected);
  EXPECT_EQ((*r)[2].reason, RejectReason::kOutOfOrder);
  EXPECT_EQ((*r)[3].outcome, SampleOutcome::kStored);
  EXPECT_EQ(s->GetSeries((*r)[3].series_id)->samples, 11u);
}

TEST(SealedStorageTest, RetentionDeletesExpiredBlocksAndDiskUseDrops) {
  TempDir dir;
  StorageOptions o = Opts(dir.path());
  o.retention_ms = 10LL * 86'400'000;  // 10 days
  auto s = MustOpen(o);
  std::mt19937_64 rng(9);
  auto commit_days = [&](int from_day, int to_day) {
    for (int h = 0; h < 20; ++h) {
      Appender app = s->NewAppender();
      for (std::int64_t t = from_day * 86'400'000LL; t < to_day * 86'400'000LL; t += 300'000) {
        app.Add(Metric("m", Name("h", h)), Sample{t, std::bit_cast<double>(rng())});
      }
      ASSERT_TRUE(app.Commit().has_value());
    }
  };
  auto disk = [&] {
    std::uintmax_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
      if (e.is_regular_file()) n += e.file_size();
    }
    return n;
  };
  commit_days(0, 10);  // days 0..9: 20 series x 2880 samples of incompressible bits
  ASSERT_TRUE(s->SealAll().has_value());
  ASSERT_TRUE(s->EnforceRetention().has_value());
  EXPECT_EQ(s->Stats().retention_deleted_blocks, 0u);  // nothing is older than 10 days yet
  const auto full = disk();
  const auto id = s->ListSeries().front().id;
  commit_days(15, 16);  // newest is now day 16: days 0..5 are past retention
  ASSERT_TRUE(s->SealAll().has_value());
  ASSERT_TRUE(s->EnforceRetention().has_value());
  const StorageStats st = s->Stats();
  EXPECT_GT(st.retention_deleted_blocks, 0u);
  // Everything left ends within 10 days of day 16; blocks of 1000 samples (3.5 days) may start
  // earlier than day 6 but none ends before it.
  const auto left = s->ReadSamples(id, std::numeric_limits<TimestampMs>::min(),
                                   std::numeric_limits<TimestampMs>::max());
  ASSERT_FALSE(left.empty());
  EXPECT_GT(left.front().t, 2 * 86'400'000LL);
  EXPECT_EQ(left.back().t, 16 * 86'400'000LL - 300'000);
  EXPECT_LT(disk(), full) << "retention must hand space back";
}

TEST(SealedStorageTest, CorruptBlockIsQuarantinedLoggedCountedAndTheRestServed) {
  TempDir dir;
  MetricsRegistry metrics;
  std::vector<std::string> logs;
  auto s = MustOpen(Opts(dir.path()), &metrics, &logs);
  const Labels l = Metric("cpu", "a");
  for (int b = 0; b < 3; ++b) {  // three blocks of 100 samples
    Appender app = s->NewAppender();
    for (int i = 0; i < 100; ++i) app.Add(l, Sample{(b * 100 + i) * 1000LL, 1.0 * (b * 100 + i)});
    ASSERT_TRUE(app.Commit().has_value());
    ASSERT_TRUE(s->SealAll().has_value());
  }
  const auto id = s->ListSeries().front().id;
  ASSERT_TRUE(s->CorruptBlockForTesting(id, 1).has_value());
  const auto got = s->ReadSamples(id, 0, 1'000'000);
  ASSERT_EQ(got.size(), 200u);  // blocks 0 and 2
  EXPECT_EQ(got[99].t, 99'000);
  EXPECT_EQ(got[100].t, 200'000);
  EXPECT_EQ(s->Stats().quarantined_blocks, 1u);
  bool logged = false;
  for (const auto& m : logs) logged = logged || m.find("quarantined") != std::string::npos;
  EXPECT_TRUE(logged);
  EXPECT_NE(metrics.RenderText().find("prognos_storage_quarantined_blocks_total 1"),
            std::string::npos);
  // Reading again serves the same and counts nothing new; after maintenance and a restart the
  // series reports what is left.
  EXPECT_EQ(s->ReadSamples(id, 0, 1'000'000).size(), 200u);
  EXPECT_EQ(s->Stats().quarantined_blocks, 1u);
  ASSERT_TRUE(s->Maintain().has_value());
  EXPECT_EQ(s->GetSeries(id)->samples, 200u);
  s.reset();
  s = MustOpen(Opts(dir.path()));
  EXPECT_EQ(s->GetSeries(id)->samples, 200u);
  EXPECT_EQ(s->ReadSamples(id, 0, 1'000'000).size(), 200u);
}

}  // namespace
}  // namespace prognos::store
