#include "store/storage.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "store/block_codec.h"
#include "store/catalog.h"
#include "store/wal.h"

namespace prognos::store {

namespace {

// A series' first vector holds this many samples; it then grows by half (not doubling), so a
// long-lived series wastes at most a third of its capacity.
constexpr std::size_t kInitialSamples = 16;
// Label sets whose series record would be this large are refused (kTooLarge): a WAL record must
// stay under kMaxRecordBytes, and nothing sane comes close.
constexpr std::size_t kMaxLabelBytes = 1u << 20;

struct Series {
  Series(std::uint64_t i, Labels l) : id(i), labels(std::move(l)) {}
  std::uint64_t id;
  Labels labels;
  std::vector<Sample> samples;     // the head: strictly increasing t, all after sealed_through
  std::vector<BlockMeta> blocks;   // sealed, by time, non-overlapping
  std::uint64_t sealed_count = 0;  // samples in `blocks`
  // Newest time ever sealed (kept when retention deletes the blocks): the order rules compare
  // against it, and WAL replay skips samples at or before it.
  bool has_sealed = false;
  TimestampMs sealed_through = 0;
  // 1 + index of this series' entry in the running commit's staging, 0 when not staged. Only
  // committers (under the commit mutex) touch it; readers never do.
  std::uint32_t stage = 0;
};

// A series touched by the running commit: an existing head series or a new one (labels borrowed
// from the Appender), and the samples this commit accepted for it so far, which later samples of
// the same commit are checked against.
struct Staged {
  std::uint64_t id = 0;
  Series* existing = nullptr;
  const Labels* labels = nullptr;
  std::vector<Sample> added;
};

void AppendSample(std::vector<Sample>* v, Sample s) {
  if (v->size() == v->capacity()) {
    v->reserve(v->empty() ? kInitialSamples : v->capacity() + v->capacity() / 2);
  }
  v->push_back(s);
}

bool SameBits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// The sample at exactly time t in a sorted run, or null.
const Sample* FindAt(const std::vector<Sample>& v, TimestampMs t) {
  auto it = std::lower_bound(v.begin(), v.end(), t,
                             [](const Sample& s, TimestampMs x) { return s.t < x; });
  return it != v.end() && it->t == t ? &*it : nullptr;
}

std::size_t LabelBytes(const Labels& l) {
  std::size_t n = 0;
  for (const auto& x : l.items()) n += x.name.size() + x.value.size();
  return n;
}

// Series by id: open addressing with linear probing, at most half full, no deletion. Series ids
// are FNV-1a hashes, whose low bits mix poorly, so the slot comes from a Fibonacci multiply's
// high bits. One probe usually lands on the series: replay and commit look a series up per sample.
// Not thread-safe: Storage guards it (readers shared, inserts exclusive).
class SeriesIndex {
 public:
  Series* Find(std::uint64_t id) const {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = Slot0(id);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.series == nullptr) return nullptr;
      if (s.id == id) return s.series;
    }
  }

  // `series->id` must not be present yet.
  Series* Insert(std::unique_ptr<Series> series) {
    if (2 * (owned_.size() + 1) > slots_.size()) Grow();
    Series* raw = series.get();
    Place(raw);
    owned_.push_back(std::move(series));
    return raw;
  }

  std::size_t size() const { return owned_.size(); }
  const std::vector<std::unique_ptr<Series>>& all() const { return owned_; }

 private:
  struct Slot {
    std::uint64_t id = 0;
    Series* series = nullptr;
  };

  std::size_t Slot0(std::uint64_t id) const {
    return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void Place(Series* s) {
    std::size_t i = Slot0(s->id);
    while (slots_[i].series != nullptr) i = (i + 1) & mask_;
    slots_[i] = Slot{s->id, s};
  }
  void Grow() {
    const std::size_t n = slots_.empty() ? 64 : slots_.size() * 2;
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    shift_ = 64 - std::countr_zero(n);
    for (const auto& s : owned_) Place(s.get());
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  int shift_ = 64;
  std::vector<std::unique_ptr<Series>> owned_;
};

// Per-commit working memory, kept between commits (guarded by the commit mutex) so that a
// steady stream of commits allocates almost nothing.
struct CommitScratch {
  std::vector<Staged> staged;  // [0, used) are live; the rest keep their capacity for reuse
  std::size_t used = 0;
  std::unordered_map<std::uint64_t, std::size_t> new_by_id;  // staged new series by id
  std::string buf;
  std::string body;

  std::size_t Add(std::uint64_t id, Series* existing, const Labels* labels) {
    if (used == staged.size()) staged.emplace_back();
    Staged& s = staged[used];
    s.id = id;
    s.existing = existing;
    s.labels = labels;
    s.added.clear();
    return used++;
  }

  // Unmarks the staged head series and drops borrowed pointers; trims buffers a huge commit grew.
  void Reset() {
    constexpr std::size_t kKeepBytes = 4u << 20;
    for (std::size_t k = 0; k < used; ++k) {
      if (staged[k].existing != nullptr) staged[k].existing->stage = 0;
      staged[k].labels = nullptr;
      if (staged[k].added.capacity() > 4096) std::vector<Sample>().swap(staged[k].added);
    }
    used = 0;
    if (staged.size() > 65536) staged.resize(65536);
    new_by_id.clear();
    if (buf.capacity() > kKeepBytes) std::string().swap(buf);
    buf.clear();
    body.clear();
  }
};

}  // namespace

struct Storage::Impl final : WalReplayHandler {
  StorageOptions options;
  std::function<void(const std::string&)> log;
  int lock_fd = -1;  // flock on <dir>/LOCK, held while open
  std::unique_ptr<Wal> wal;

  // Committers hold commit_mu for validate + WAL write + apply, so the head only changes under
  // it and validation may read the head without head_mu. Readers take head_mu shared; apply
  // takes it exclusively (briefly, after the WAL write).
  std::mutex commit_mu;
  mutable std::shared_mutex head_mu;
  SeriesIndex series;
  std::atomic<std::uint64_t> samples{0};
  CommitScratch scratch;  // guarded by commit_mu

  std::uint64_t replay_orphans = 0;    // samples of unknown series or out of order, skipped
  std::uint64_t replay_conflicts = 0;  // series records reusing an id with other labels
  std::uint64_t replay_sealed = 0;     // WAL samples already in blocks (crash before truncation)

  // Sealed storage. Catalog mutations happen under head_mu held exclusively, so a reader holding
  // it shared sees blocks and head consistently. Lock order: commit_mu, head_mu, catalog's own.
  std::unique_ptr<Catalog> catalog;
  std::mutex maint_mu;  // one maintenance pass at a time
  std::atomic<TimestampMs> newest{std::numeric_limits<TimestampMs>::min()};
  std::atomic<std::uint64_t> head_samples{0};
  std::atomic<std::uint64_t> sealed_samples{0};
  std::atomic<std::uint64_t> block_count{0};
  std::atomic<std::uint64_t> block_bytes{0};
  std::atomic<std::uint64_t> seals{0};
  std::atomic<std::uint64_t> merges{0};
  std::atomic<std::uint64_t> checkpoints{0};
  std::atomic<std::uint64_t> retention_deleted{0};
  std::atomic<std::uint64_t> quarantined{0};
  std::mutex quarantine_mu;
  std::unordered_set<std::int64_t> quarantined_ids;  // skipped by reads until pruned

  std::thread maint_thread;
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stop = false;

  Gauge* series_gauge = nullptr;
  Gauge* samples_gauge = nullptr;
  Gauge* blocks_gauge = nullptr;
  Gauge* block_bytes_gauge = nullptr;
  Gauge* sealed_samples_gauge = nullptr;
  Counter* seals_counter = nullptr;
  Counter* sealed_samples_counter = nullptr;
  Counter* merges_counter = nullptr;
  Counter* merged_inputs_counter = nullptr;
  Counter* checkpoints_counter = nullptr;
  Counter* checkpoint_bytes_counter = nullptr;
  Counter* retention_blocks_counter = nullptr;
  Counter* retention_samples_counter = nullptr;
  Counter* quarantine_counter = nullptr;
  Counter* maint_errors_counter = nullptr;
  Histogram* seal_seconds = nullptr;
  Histogram* merge_seconds = nullptr;

  void NoteNewest(TimestampMs t) {
    TimestampMs cur = newest.load(std::memory_order_relaxed);
    while (t > cur && !newest.compare_exchange_weak(cur, t, std::memory_order_relaxed)) {
    }
  }
  static void Inc(Counter* c, double by = 1.0) {
    if (c != nullptr) c->Inc(by);
  }
  void Log(const std::string& m) const {
    if (log) log(m);
  }

  // Decoded samples of one block, verified; quarantines (log, count) a block that fails.
  bool LoadBlock(const BlockMeta& b, std::vector<Sample>* out);
  // The sealed sample at time t of a series, if any (for idempotent retries of sealed samples).
  std::optional<Sample> FindSealed(const Series& s, TimestampMs t);
  Result<void> Seal(bool all, bool checkpoint);
  Result<void> Merge();
  Result<void> Retention();
  void PruneQuarantined();
  void MaintenanceLoop();

  std::uint64_t HashOf(const Labels& l) const {
    return options.series_hash_for_testing ? options.series_hash_for_testing(l) : l.Hash();
  }

  void OnSeries(std::uint64_t id, Labels labels) override {
    if (const Series* existing = series.Find(id); existing != nullptr) {
      if (existing->labels != labels) ++replay_conflicts;
      return;
    }
    series.Insert(std::make_unique<Series>(id, std::move(labels)));
  }

  void OnSample(std::uint64_t id, Sample s) override {
    Series* target = series.Find(id);
    if (target == nullptr) {
      ++replay_orphans;
      return;
    }
    if (target->has_sealed && s.t <= target->sealed_through) {
      ++replay_sealed;  // sealed before the crash that kept its WAL segment alive
      return;
    }
    auto& v = target->samples;
    if (!v.empty() && s.t <= v.back().t) {
      // Our writer never logs this; an identical sample is harmless, anything else is counted.
      if (const Sample* at = FindAt(v, s.t); at == nullptr || !SameBits(at->v, s.v)) {
        ++replay_orphans;
      }
      return;
    }
    AppendSample(&v, s);
    samples.fetch_add(1, std::memory_order_relaxed);
    head_samples.fetch_add(1, std::memory_order_relaxed);
    NoteNewest(s.t);
  }

  void UpdateGauges() {
    if (series_gauge != nullptr) series_gauge->Set(static_cast<double>(series.size()));
    if (samples_gauge != nullptr) samples_gauge->Set(static_cast<double>(head_samples.load()));
    if (blocks_gauge != nullptr) blocks_gauge->Set(static_cast<double>(block_count.load()));
    if (block_bytes_gauge != nullptr)
      block_bytes_gauge->Set(static_cast<double>(block_bytes.load()));
    if (sealed_samples_gauge != nullptr) {
      sealed_samples_gauge->Set(static_cast<double>(sealed_samples.load()));
    }
  }
};

Storage::Storage() : impl_(std::make_unique<Impl>()) {}

Storage::~Storage() {
  if (impl_->maint_thread.joinable()) {
    {
      std::lock_guard<std::mutex> l(impl_->stop_mu);
      impl_->stop = true;
    }
    impl_->stop_cv.notify_all();
    impl_->maint_thread.join();
  }
  if (impl_->wal && impl_->options.fsync != FsyncPolicy::kNever) (void)impl_->wal->Sync();
  impl_->wal.reset();  // joins the interval thread before the lock goes
  impl_->catalog.reset();
  if (impl_->lock_fd >= 0) ::close(impl_->lock_fd);
}

Result<std::unique_ptr<Storage>> Storage::Open(const StorageOptions& options,
                                               MetricsRegistry* metrics,
                                               std::function<void(const std::string&)> log) {
  if (options.dir.empty()) return MakeError(ErrorCode::kInvalidArgument, "storage dir is empty");
  std::unique_ptr<Storage> storage(new Storage());
  Impl& m = *storage->impl_;
  m.options = options;
  m.log = std::move(log);
  auto lock = LockDirectory(options.dir);
  if (!lock) return tl::unexpected(lock.error());
  m.lock_fd = *lock;
  auto catalog = Catalog::Open(options.dir + "/catalog.db");
  if (!catalog) return tl::unexpected(catalog.error());
  m.catalog = std::move(*catalog);
  {
    auto rows = m.catalog->LoadSeries();
    if (!rows) return tl::unexpected(rows.error());
    for (CatalogSeries& c : *rows) {
      Series* s = m.series.Insert(std::make_unique<Series>(c.id, std::move(c.labels)));
      s->has_sealed = c.has_sealed;
      s->sealed_through = c.sealed_through;
      if (c.has_sealed) m.NoteNewest(c.sealed_through);
    }
    auto blocks = m.catalog->LoadBlocks();
    if (!blocks) return tl::unexpected(blocks.error());
    for (const BlockMeta& b : *blocks) {
      Series* s = m.series.Find(b.series_id);
      if (s == nullptr) continue;  // cannot happen: seal writes the series row with the block
      s->blocks.push_back(b);
      s->sealed_count += b.count;
      m.sealed_samples += b.count;
      m.samples += b.count;
      m.block_count += 1;
      m.block_bytes += b.bytes;
    }
  }
  WalOptions wo;
  wo.dir = options.dir + "/wal";
  wo.segment_bytes = std::max<std::uint64_t>(options.wal_segment_bytes, 4096);
  wo.preallocate_bytes = options.wal_preallocate_bytes;
  wo.sync_on_roll = options.fsync != FsyncPolicy::kNever;
  auto wal = Wal::Open(wo, m, metrics, m.log);
  if (!wal) return tl::unexpected(wal.error());
  m.wal = std::move(*wal);
  if (metrics != nullptr) {
    m.series_gauge = &metrics->AddGauge("prognos_storage_series", "Series in the store.").With({});
    m.samples_gauge =
        &metrics->AddGauge("prognos_storage_head_samples", "Samples in the in-memory head.")
             .With({});
    m.blocks_gauge = &metrics->AddGauge("prognos_storage_blocks", "Sealed blocks.").With({});
    m.block_bytes_gauge =
        &metrics->AddGauge("prognos_storage_block_bytes", "Payload bytes of the sealed blocks.")
             .With({});
    m.sealed_samples_gauge =
        &metrics->AddGauge("prognos_storage_sealed_samples", "Samples in sealed blocks.").With({});
    m.seals_counter =
        &metrics->AddCounter("prognos_storage_seals_total", "Blocks written by sealing heads.")
             .With({});
    m.sealed_samples_counter =
        &metrics->AddCounter("prognos_storage_sealed_samples_total", "Samples sealed into blocks.")
             .With({});
    m.merges_counter =
        &metrics->AddCounter("prognos_storage_merges_total", "Merged blocks written.").With({});
    m.merged_inputs_counter = &metrics
                                   ->AddCounter("prognos_storage_merged_input_blocks_total",
                                                "Blocks replaced by merged blocks.")
                                   .With({});
    m.checkpoints_counter =
        &metrics->AddCounter("prognos_storage_checkpoints_total", "WAL checkpoints.").With({});
    m.checkpoint_bytes_counter = &metrics
                                      ->AddCounter("prognos_storage_checkpoint_wal_bytes_total",
                                                   "WAL bytes deleted by checkpoints.")
                                      .With({});
    m.retention_blocks_counter = &metrics
                                      ->AddCounter("prognos_storage_retention_deleted_blocks_total",
                                                   "Blocks deleted by retention.")
                                      .With({});
    m.retention_samples_counter =
        &metrics
             ->AddCounter("prognos_storage_retention_deleted_samples_total",
                          "Samples deleted by retention.")
             .With({});
    m.quarantine_counter =
        &metrics
             ->AddCounter("prognos_storage_quarantined_blocks_total",
                          "Blocks that failed their checksum or decode, moved to quarantine.")
             .With({});
    m.maint_errors_counter = &metrics
                                  ->AddCounter("prognos_storage_maintenance_errors_total",
                                               "Failed seal, merge or retention passes.")
                                  .With({});
    m.seal_seconds = &metrics
                          ->AddHistogram("prognos_storage_seal_duration_seconds",
                                         "Time of a seal pass.", {0.01, 0.1, 1, 10, 100})
                          .With({});
    m.merge_seconds = &metrics
                           ->AddHistogram("prognos_storage_merge_duration_seconds",
                                          "Time of a merge pass.", {0.01, 0.1, 1, 10, 100})
                           .With({});
  }
  m.UpdateGauges();
  if (m.log && (m.replay_orphans > 0 || m.replay_conflicts > 0)) {
    m.log("wal: replay skipped " + std::to_string(m.replay_orphans) +
          " inconsistent sample(s) and " + std::to_string(m.replay_conflicts) +
          " conflicting series record(s)");
  }
  if (options.fsync == FsyncPolicy::kInterval) m.wal->StartIntervalSync(options.fsync_interval_ms);
  if (options.maintenance_interval_ms > 0) {
    m.maint_thread = std::thread([&m] { m.MaintenanceLoop(); });
  }
  return storage;
}

Result<std::vector<SampleResult>> Appender::Commit() {
  auto r = storage_->CommitBatch(pending_);
  pending_.clear();
  owned_.clear();
  return r;
}

Result<std::vector<SampleResult>> Storage::CommitBatch(std::vector<Appender::Pending>& pending) {
  Impl& m = *impl_;
  std::vector<SampleResult> results(pending.size());
  if (pending.empty()) return results;

  // DESIGN.md §3 order rules, in their order, against head + this commit's accepted samples.
  const auto max_age = static_cast<std::uint64_t>(std::max<std::int64_t>(0, m.options.max_age_ms));
  auto check = [max_age, &m](const Staged& s, Sample x) -> SampleResult {
    SampleResult r;
    r.series_id = s.id;
    const std::vector<Sample>* head = s.existing != nullptr ? &s.existing->samples : nullptr;
    const bool sealed = s.existing != nullptr && s.existing->has_sealed;
    TimestampMs last = 0;
    if (!s.added.empty()) {
      last = s.added.back().t;
    } else if (head != nullptr && !head->empty()) {
      last = head->back().t;
    } else if (sealed) {
      last = s.existing->sealed_through;
    } else {
      return r;  // first sample of the series
    }
    if (x.t > last) return r;
    const Sample* at = !s.added.empty() && x.t >= s.added.front().t ? FindAt(s.added, x.t)
                       : head != nullptr && !head->empty() && x.t >= head->front().t
                           ? FindAt(*head, x.t)
                           : nullptr;
    std::optional<Sample> sealed_at;
    if (at == nullptr && sealed && x.t <= s.existing->sealed_through) {
      // A retry of a sample that was sealed since: still idempotent (rare; reads one block).
      sealed_at = m.FindSealed(*s.existing, x.t);
      if (sealed_at) at = &*sealed_at;
    }
    r.outcome = SampleOutcome::kRejected;
    r.series_id = 0;
    if (at != nullptr) {
      if (SameBits(at->v, x.v)) {
        r.outcome = SampleOutcome::kIdempotent;
        r.series_id = s.id;
      } else {
        r.reason = RejectReason::kDuplicateTimestamp;
      }
      return r;
    }
    // last - t without signed overflow: the true difference is in [1, 2^64).
    const std::uint64_t behind = static_cast<std::uint64_t>(last) - static_cast<std::uint64_t>(x.t);
    r.reason = behind > max_age ? RejectReason::kTooOld : RejectReason::kOutOfOrder;
    return r;
  };

  // Label hashing (FNV-1a, a byte at a time) needs no lock: done before taking it, so concurrent
  // committers hash in parallel and the lock is held for lookups, validation and the write only.
  for (auto& p : pending) p.hash = m.HashOf(*p.labels);

  bool any_stored = false;
  bool any_accepted = false;
  std::uint64_t durable_target = 0;
  {
    // In flight from here until the WAL write is done: a sync leader may wait to include us.
    m.wal->BeginCommit();
    struct EndCommit {
      Wal* wal;
      ~EndCommit() { wal->EndCommit(); }
    } end_commit{m.wal.get()};
    std::lock_guard<std::mutex> commit(m.commit_mu);
    CommitScratch& sc = m.scratch;
    sc.Reset();

    // Finds or creates the staged entry for a label set; SIZE_MAX when its labels are too large
    // to log. Ids probe hash, hash+1, … past ids held by other label sets, so a collision gets
    // the next free id (then persisted by the series record).
    auto resolve = [&](const Labels& labels, std::uint64_t hash) -> std::size_t {
      std::uint64_t id = hash;
      for (;;) {
        if (Series* found = m.series.Find(id); found != nullptr) {
          Series& head = *found;
          if (head.labels != labels) {
            ++id;
            continue;
          }
          if (head.stage == 0) {
            head.stage = static_cast<std::uint32_t>(sc.Add(id, &head, nullptr) + 1);
          }
          return head.stage - 1;
        }
        if (auto it = sc.new_by_id.find(id); it != sc.new_by_id.end()) {
          if (*sc.staged[it->second].labels == labels) return it->second;
          ++id;
          continue;
        }
        if (LabelBytes(labels) > kMaxLabelBytes) return SIZE_MAX;
        const std::size_t si = sc.Add(id, nullptr, &labels);
        sc.new_by_id.emplace(id, si);
        return si;
      }
    };

    std::size_t prev = SIZE_MAX;
    for (std::size_t i = 0; i < pending.size(); ++i) {
      const auto& p = pending[i];
      // Runs of one series are common (a scrape's history, a retry): skip the lookup for them.
      // Equal hashes first: most neighbours differ, and then no label is compared.
      const bool same_as_prev = prev != SIZE_MAX && p.hash == pending[i - 1].hash &&
                                (p.labels == pending[i - 1].labels ||
                                 *p.labels == *pending[i - 1].labels);
      const std::size_t si = same_as_prev ? prev : resolve(*p.labels, p.hash);
      prev = si;
      if (si == SIZE_MAX) {
        results[i].outcome = SampleOutcome::kRejected;
        results[i].reason = RejectReason::kTooLarge;
        continue;
      }
      Staged& st = sc.staged[si];
      results[i] = check(st, p.sample);
      if (results[i].outcome == SampleOutcome::kStored) {
        st.added.push_back(p.sample);
        any_stored = true;
      }
      if (results[i].outcome != SampleOutcome::kRejected) any_accepted = true;
    }

    if (any_stored) {
      // WAL first: series records for new series, then their samples; then memory.
      std::string& buf = sc.buf;
      std::string& body = sc.body;
      for (std::size_t k = 0; k < sc.used; ++k) {
        const Staged& st = sc.staged[k];
        if (st.existing != nullptr || st.added.empty()) continue;
        body.clear();
        EncodeSeriesBody(st.id, *st.labels, &body);
        AppendFramedRecord(WalRecordType::kSeries, body, &buf);
      }
      SamplesRecordBuilder builder(&buf);
      std::uint64_t stored = 0;
      for (std::size_t k = 0; k < sc.used; ++k) {
        const Staged& st = sc.staged[k];
        if (st.added.empty()) continue;
        builder.AddGroup(st.id, st.added.data(), st.added.size());
        stored += st.added.size();
      }
      builder.Finish();
      auto written = m.wal->Write(buf);
      if (!written) {
        sc.Reset();
        return tl::unexpected(written.error());  // nothing applied
      }

      std::unique_lock<std::shared_mutex> head(m.head_mu);
      for (std::size_t k = 0; k < sc.used; ++k) {
        Staged& st = sc.staged[k];
        if (st.added.empty()) continue;
        Series* series = st.existing;
        if (series == nullptr) {
          auto fresh = std::make_unique<Series>(st.id, *st.labels);
          fresh->samples.reserve(std::max(kInitialSamples, st.added.size()));
          series = m.series.Insert(std::move(fresh));
        }
        for (const Sample& x : st.added) AppendSample(&series->samples, x);
        m.NoteNewest(st.added.back().t);
      }
      m.samples.fetch_add(stored, std::memory_order_relaxed);
      m.head_samples.fetch_add(stored, std::memory_order_relaxed);
      m.UpdateGauges();
    }
    sc.Reset();
    durable_target = m.wal->written_pos();
  }

  // Outside the lock, so concurrent committers can join one fsync (group commit). Idempotent
  // samples wait too: the write that stored them may not be durable yet.
  if (any_accepted && m.options.fsync == FsyncPolicy::kAlways) {
    if (auto r = m.wal->WaitDurable(durable_target); !r) return tl::unexpected(r.error());
  }
  return results;
}

namespace {

SeriesInfo InfoOf(const Series& s) {
  SeriesInfo info;
  info.id = s.id;
  info.labels = s.labels;
  if (!s.blocks.empty()) {
    info.first_ms = s.blocks.front().min_t;
    info.last_ms = s.blocks.back().max_t;
  }
  if (!s.samples.empty()) {
    if (s.blocks.empty()) info.first_ms = s.samples.front().t;
    info.last_ms = s.samples.back().t;
  }
  info.samples = s.sealed_count + s.samples.size();
  return info;
}

}  // namespace

std::vector<SeriesInfo> Storage::ListSeries() const {
  std::shared_lock<std::shared_mutex> l(impl_->head_mu);
  std::vector<SeriesInfo> out;
  out.reserve(impl_->series.size());
  for (const auto& s : impl_->series.all()) out.push_back(InfoOf(*s));
  return out;
}

std::optional<SeriesInfo> Storage::GetSeries(std::uint64_t id) const {
  std::shared_lock<std::shared_mutex> l(impl_->head_mu);
  const Series* found = impl_->series.Find(id);
  if (found == nullptr) return std::nullopt;
  return InfoOf(*found);
}

bool Storage::Impl::LoadBlock(const BlockMeta& b, std::vector<Sample>* out) {
  {
    std::lock_guard<std::mutex> l(quarantine_mu);
    if (quarantined_ids.count(b.id) != 0) return false;
  }
  auto payload = catalog->ReadPayload(b);
  std::string why;
  ErrorCode code = ErrorCode::kCorruption;
  if (!payload) {
    why = payload.error().message;
    code = payload.error().code;
  } else {
    const std::size_t before = out->size();
    auto decoded = DecodeBlock(*payload, out);
    if (!decoded) {
      why = decoded.error().message;
    } else if (out->size() - before != b.count || out->empty() || (*out)[before].t != b.min_t ||
               out->back().t != b.max_t) {
      out->resize(before);
      why = "decoded samples do not match the catalog's count or time range";
    } else {
      return true;
    }
  }
  if (code != ErrorCode::kCorruption) {  // an IO error is not damage: log, serve the rest
    Log("store: cannot read block " + std::to_string(b.id) + ": " + why);
    return false;
  }
  {
    std::lock_guard<std::mutex> l(quarantine_mu);
    if (!quarantined_ids.insert(b.id).second) return false;
  }
  (void)catalog->Quarantine(b, why);
  quarantined.fetch_add(1);
  Inc(quarantine_counter);
  Log("store: block " + std::to_string(b.id) + " of series " + std::to_string(b.series_id) + " (" +
      std::to_string(b.count) + " samples, " + std::to_string(b.min_t) + ".." +
      std::to_string(b.max_t) + ") quarantined: " + why + "; the rest is served");
  return false;
}

std::optional<Sample> Storage::Impl::FindSealed(const Series& s, TimestampMs t) {
  for (const BlockMeta& b : s.blocks) {
    if (t < b.min_t || t > b.max_t) continue;
    std::vector<Sample> v;
    if (!LoadBlock(b, &v)) return std::nullopt;
    if (const Sample* at = FindAt(v, t); at != nullptr) return *at;
    return std::nullopt;
  }
  return std::nullopt;
}

std::vector<Sample> Storage::ReadSamples(std::uint64_t id, TimestampMs from_ms, TimestampMs to_ms,
                                         std::size_t limit) const {
  std::vector<Sample> out;
  if (from_ms > to_ms) return out;
  std::shared_lock<std::shared_mutex> l(impl_->head_mu);
  const Series* found = impl_->series.Find(id);
  if (found == nullptr) return out;
  auto full = [&] { return limit > 0 && out.size() >= limit; };
  std::vector<Sample> block;
  for (const BlockMeta& b : found->blocks) {
    if (b.max_t < from_ms || b.min_t > to_ms) continue;
    block.clear();
    if (!impl_->LoadBlock(b, &block)) continue;
    auto lo = std::lower_bound(block.begin(), block.end(), from_ms,
                               [](const Sample& s, TimestampMs t) { return s.t < t; });
    for (; lo != block.end() && lo->t <= to_ms && !full(); ++lo) out.push_back(*lo);
    if (full()) return out;
  }
  const auto& v = found->samples;
  auto lo = std::lower_bound(v.begin(), v.end(), from_ms,
                             [](const Sample& s, TimestampMs t) { return s.t < t; });
  auto hi =
      std::upper_bound(lo, v.end(), to_ms, [](TimestampMs t, const Sample& s) { return t < s.t; });
  auto n = static_cast<std::size_t>(hi - lo);
  if (limit > 0) n = std::min(n, limit - out.size());
  out.insert(out.end(), lo, lo + static_cast<std::ptrdiff_t>(n));
  return out;
}

StorageStats Storage::Stats() const {
  const Impl& m = *impl_;
  StorageStats s;
  {
    std::shared_lock<std::shared_mutex> l(m.head_mu);
    s.series = m.series.size();
  }
  s.samples = m.samples.load();
  s.head_samples = m.head_samples.load();
  s.sealed_samples = m.sealed_samples.load();
  s.blocks = m.block_count.load();
  s.block_bytes = m.block_bytes.load();
  s.seals = m.seals.load();
  s.merges = m.merges.load();
  s.checkpoints = m.checkpoints.load();
  s.retention_deleted_blocks = m.retention_deleted.load();
  s.quarantined_blocks = m.quarantined.load();
  const WalStats w = m.wal->Stats();
  s.wal_bytes = w.bytes;
  s.wal_repairs = w.repairs;
  s.wal_truncated_bytes = w.truncated_bytes;
  s.replayed_records = w.replayed_records;
  s.wal_fsyncs = m.wal->fsyncs();
  return s;
}

Result<void> Storage::Sync() { return impl_->wal->Sync(); }

namespace {

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Encodes a sorted run as blocks of at most `max_samples` samples each.
void EncodeRun(std::uint64_t series_id, const Sample* s, std::size_t n, std::size_t max_samples,
               const BlockEncodeOptions& options, std::vector<NewBlock>* out) {
  const std::size_t step = std::max<std::size_t>(1, max_samples);
  for (std::size_t i = 0; i < n; i += step) {
    const std::size_t k = std::min(step, n - i);
    NewBlock b;
    b.series_id = series_id;
    b.min_t = s[i].t;
    b.max_t = s[i + k - 1].t;
    b.count = k;
    b.payload = EncodeBlock(s + i, k, options);
    out->push_back(std::move(b));
  }
}

}  // namespace

// Seal: (1) under the commit lock, optionally start a new WAL segment (checkpoint) and copy the
// heads to seal; (2) encode without locks; (3) under commit + head locks, commit the blocks and
// the series' sealed_through in one SQLite transaction, then drop the sealed prefix of each
// head; (4) on a checkpoint, delete the WAL segments before the new one. A crash before (3)'s
// commit leaves the WAL as it was; after it, replay skips WAL samples at or before each series'
// sealed_through, so nothing is lost or doubled.
Result<void> Storage::Impl::Seal(bool all, bool checkpoint) {
  const auto t0 = std::chrono::steady_clock::now();
  struct Job {
    Series* series;
    std::vector<Sample> copy;
  };
  std::vector<Job> jobs;
  std::uint32_t keep_segment = 0;
  {
    std::lock_guard<std::mutex> commit(commit_mu);
    if (checkpoint) {
      auto seg = wal->StartNewSegment();
      if (!seg) return tl::unexpected(seg.error());
      keep_segment = *seg;
    }
    const TimestampMs now = newest.load();
    for (const auto& sp : series.all()) {
      const auto& head = sp->samples;
      if (head.empty()) continue;
      const bool due =
          head.size() >= options.block_samples ||
          static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(head.front().t) >=
              static_cast<std::uint64_t>(std::max<std::int64_t>(0, options.block_age_ms));
      if (all || due) jobs.push_back(Job{sp.get(), head});
    }
  }
  std::vector<NewBlock> blocks;
  std::vector<std::pair<std::uint64_t, const Labels*>> rows;
  for (const Job& j : jobs) {
    EncodeRun(j.series->id, j.copy.data(), j.copy.size(),
              std::max(options.block_samples, options.merge_target_samples),
              BlockEncodeOptions{options.zstd_level, options.try_lzma}, &blocks);
    rows.emplace_back(j.series->id, &j.series->labels);
  }
  std::uint64_t sealed = 0;
  if (!jobs.empty()) {
    std::lock_guard<std::mutex> commit(commit_mu);
    std::unique_lock<std::shared_mutex> head(head_mu);
    std::vector<BlockMeta> metas;
    if (auto r = catalog->Seal(rows, blocks, &metas); !r) return r;
    std::size_t next = 0;
    for (const Job& j : jobs) {
      Series& sr = *j.series;
      const std::size_t n = j.copy.size();
      // Heads only grow at the back meanwhile (one maintenance pass at a time): drop the prefix.
      sr.samples.erase(sr.samples.begin(), sr.samples.begin() + static_cast<std::ptrdiff_t>(n));
      if (sr.samples.capacity() > 4 * std::max<std::size_t>(sr.samples.size(), kInitialSamples)) {
        sr.samples.shrink_to_fit();
      }
      while (next < metas.size() && metas[next].series_id == sr.id) {
        const BlockMeta& b = metas[next++];
        sr.blocks.push_back(b);
        sr.sealed_count += b.count;
        block_count += 1;
        block_bytes += b.bytes;
      }
      sr.has_sealed = true;
      sr.sealed_through = j.copy.back().t;
      sealed += n;
    }
    head_samples -= sealed;
    sealed_samples += sealed;
    seals += metas.size();
    Inc(seals_counter, static_cast<double>(metas.size()));
    Inc(sealed_samples_counter, static_cast<double>(sealed));
    UpdateGauges();
  }
  if (checkpoint) {
    std::lock_guard<std::mutex> commit(commit_mu);
    auto freed = wal->DeleteSegmentsBefore(keep_segment);
    if (!freed) return tl::unexpected(freed.error());
    checkpoints += 1;
    Inc(checkpoints_counter);
    Inc(checkpoint_bytes_counter, static_cast<double>(*freed));
  }
  if (seal_seconds != nullptr) seal_seconds->Observe(SecondsSince(t0));
  return Ok();
}

// Merge: per series, runs of consecutive blocks whose total stays within merge_target_samples
// (and at least one of which is below half of it) are decoded, concatenated, re-encoded and
// swapped for the originals in one SQLite transaction: a crash keeps the old blocks or the new
// one, never both.
Result<void> Storage::Impl::Merge() {
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t target = std::max<std::size_t>(options.merge_target_samples, 2);
  struct Run {
    Series* series;
    std::vector<BlockMeta> blocks;
  };
  std::vector<Run> runs;
  {
    std::shared_lock<std::shared_mutex> head(head_mu);
    for (const auto& sp : series.all()) {
      const auto& bs = sp->blocks;
      std::size_t i = 0;
      while (i < bs.size()) {
        std::size_t j = i;
        std::uint64_t total = 0;
        bool small = false;
        while (j < bs.size() && total + bs[j].count <= target) {
          total += bs[j].count;
          small = small || bs[j].count < target / 2;
          ++j;
        }
        if (j - i >= 2 && small) {
          runs.push_back(
              Run{sp.get(), std::vector<BlockMeta>(bs.begin() + static_cast<std::ptrdiff_t>(i),
                                                   bs.begin() + static_cast<std::ptrdiff_t>(j))});
        }
        i = std::max(j, i + 1);
      }
    }
  }
  for (const Run& run : runs) {
    std::vector<Sample> all;
    bool ok = true;
    for (const BlockMeta& b : run.blocks) ok = ok && LoadBlock(b, &all);
    if (!ok) continue;  // a quarantined input: leave the run alone
    NewBlock merged;
    merged.series_id = run.series->id;
    merged.min_t = all.front().t;
    merged.max_t = all.back().t;
    merged.count = all.size();
    merged.payload = EncodeBlock(all.data(), all.size(),
                                 BlockEncodeOptions{options.zstd_level, options.try_lzma});
    std::vector<std::int64_t> ids;
    for (const BlockMeta& b : run.blocks) ids.push_back(b.id);
    std::unique_lock<std::shared_mutex> head(head_mu);
    auto meta = catalog->Replace(ids, merged);
    if (!meta) return tl::unexpected(meta.error());
    auto& bs = run.series->blocks;
    auto first =
        std::find_if(bs.begin(), bs.end(), [&](const BlockMeta& b) { return b.id == ids.front(); });
    const auto at = first - bs.begin();
    std::uint64_t old_bytes = 0;
    for (const BlockMeta& b : run.blocks) old_bytes += b.bytes;
    bs.erase(first, first + static_cast<std::ptrdiff_t>(ids.size()));
    bs.insert(bs.begin() + at, *meta);
    block_count -= ids.size() - 1;
    block_bytes += meta->bytes;
    block_bytes -= old_bytes;
    merges += 1;
    Inc(merges_counter);
    Inc(merged_inputs_counter, static_cast<double>(ids.size()));
    UpdateGauges();
  }
  if (!runs.empty() && merge_seconds != nullptr) merge_seconds->Observe(SecondsSince(t0));
  if (!runs.empty()) return catalog->Shrink();
  return Ok();
}

// Retention (DESIGN.md §3): relative to the store's newest sample, never the wall clock.
Result<void> Storage::Impl::Retention() {
  if (options.retention_ms <= 0) return Ok();
  const TimestampMs now = newest.load();
  if (now == std::numeric_limits<TimestampMs>::min()) return Ok();
  if (now < std::numeric_limits<TimestampMs>::min() + options.retention_ms) return Ok();
  const TimestampMs cutoff = now - options.retention_ms;
  std::vector<std::int64_t> ids;
  {
    std::shared_lock<std::shared_mutex> head(head_mu);
    for (const auto& sp : series.all()) {
      for (const BlockMeta& b : sp->blocks) {
        if (b.max_t < cutoff) ids.push_back(b.id);
      }
    }
  }
  if (ids.empty()) return Ok();
  std::uint64_t samples_gone = 0;
  {
    std::unique_lock<std::shared_mutex> head(head_mu);
    if (auto r = catalog->Delete(ids); !r) return r;
    for (const auto& sp : series.all()) {
      auto& bs = sp->blocks;
      auto keep = std::stable_partition(bs.begin(), bs.end(),
                                        [&](const BlockMeta& b) { return b.max_t >= cutoff; });
      for (auto it = keep; it != bs.end(); ++it) {
        samples_gone += it->count;
        sp->sealed_count -= it->count;
        block_bytes -= it->bytes;
      }
      bs.erase(keep, bs.end());
    }
    block_count -= ids.size();
    sealed_samples -= samples_gone;
    samples -= samples_gone;
    retention_deleted += ids.size();
    Inc(retention_blocks_counter, static_cast<double>(ids.size()));
    Inc(retention_samples_counter, static_cast<double>(samples_gone));
    UpdateGauges();
  }
  return catalog->Shrink();
}

// Drops quarantined blocks from the series' block lists (their rows already moved away).
void Storage::Impl::PruneQuarantined() {
  std::unordered_set<std::int64_t> ids;
  {
    std::lock_guard<std::mutex> l(quarantine_mu);
    if (quarantined_ids.empty()) return;
    ids = quarantined_ids;
  }
  std::unique_lock<std::shared_mutex> head(head_mu);
  for (const auto& sp : series.all()) {
    auto& bs = sp->blocks;
    for (auto it = bs.begin(); it != bs.end();) {
      if (ids.count(it->id) == 0) {
        ++it;
        continue;
      }
      sp->sealed_count -= it->count;
      sealed_samples -= it->count;
      samples -= it->count;
      block_count -= 1;
      block_bytes -= it->bytes;
      it = bs.erase(it);
    }
  }
  UpdateGauges();
}

void Storage::Impl::MaintenanceLoop() {
  std::unique_lock<std::mutex> l(stop_mu);
  while (!stop_cv.wait_for(l, std::chrono::milliseconds(options.maintenance_interval_ms),
                           [&] { return stop; })) {
    l.unlock();
    std::lock_guard<std::mutex> maint(maint_mu);
    const bool checkpoint = wal->Stats().bytes >= options.checkpoint_wal_bytes;
    for (auto r : {Seal(checkpoint, checkpoint), Merge(), Retention()}) {
      if (!r) {
        Inc(maint_errors_counter);
        Log("store: maintenance failed: " + r.error().message);
      }
    }
    PruneQuarantined();
    l.lock();
  }
}

Result<void> Storage::Maintain() {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> maint(m.maint_mu);
  const bool checkpoint = m.wal->Stats().bytes >= m.options.checkpoint_wal_bytes;
  if (auto r = m.Seal(checkpoint, checkpoint); !r) return r;
  if (auto r = m.Merge(); !r) return r;
  if (auto r = m.Retention(); !r) return r;
  m.PruneQuarantined();
  return Ok();
}

Result<void> Storage::SealAll() {
  std::lock_guard<std::mutex> maint(impl_->maint_mu);
  return impl_->Seal(/*all=*/true, /*checkpoint=*/true);
}

Result<void> Storage::MergeBlocks() {
  std::lock_guard<std::mutex> maint(impl_->maint_mu);
  auto r = impl_->Merge();
  impl_->PruneQuarantined();
  return r;
}

Result<void> Storage::EnforceRetention() {
  std::lock_guard<std::mutex> maint(impl_->maint_mu);
  auto r = impl_->Retention();
  impl_->PruneQuarantined();
  return r;
}

Result<void> Storage::CorruptBlockForTesting(std::uint64_t series_id, std::size_t index) {
  std::int64_t id = 0;
  {
    std::shared_lock<std::shared_mutex> head(impl_->head_mu);
    const Series* s = impl_->series.Find(series_id);
    if (s == nullptr || index >= s->blocks.size()) {
      return MakeError(ErrorCode::kNotFound, "no such block");
    }
    id = s->blocks[index].id;
  }
  return impl_->catalog->CorruptForTesting(id, 20);
}

}  // namespace prognos::store
