#include "store/storage.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

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
  std::vector<Sample> samples;  // strictly increasing t
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

  Gauge* series_gauge = nullptr;
  Gauge* samples_gauge = nullptr;

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
  }

  void UpdateGauges() {
    if (series_gauge != nullptr) series_gauge->Set(static_cast<double>(series.size()));
    if (samples_gauge != nullptr) samples_gauge->Set(static_cast<double>(samples.load()));
  }
};

Storage::Storage() : impl_(std::make_unique<Impl>()) {}

Storage::~Storage() {
  if (impl_->wal && impl_->options.fsync != FsyncPolicy::kNever) (void)impl_->wal->Sync();
  impl_->wal.reset();  // joins the interval thread before the lock goes
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
  WalOptions wo;
  wo.dir = options.dir + "/wal";
  wo.segment_bytes = std::max<std::uint64_t>(options.wal_segment_bytes, 4096);
  wo.sync_on_roll = options.fsync != FsyncPolicy::kNever;
  auto wal = Wal::Open(wo, m, metrics, m.log);
  if (!wal) return tl::unexpected(wal.error());
  m.wal = std::move(*wal);
  if (metrics != nullptr) {
    m.series_gauge =
        &metrics->AddGauge("prognos_storage_series", "Series in the in-memory head.").With({});
    m.samples_gauge =
        &metrics->AddGauge("prognos_storage_head_samples", "Samples in the in-memory head.")
             .With({});
  }
  m.UpdateGauges();
  if (m.log && (m.replay_orphans > 0 || m.replay_conflicts > 0)) {
    m.log("wal: replay skipped " + std::to_string(m.replay_orphans) +
          " inconsistent sample(s) and " + std::to_string(m.replay_conflicts) +
          " conflicting series record(s)");
  }
  if (options.fsync == FsyncPolicy::kInterval) m.wal->StartIntervalSync(options.fsync_interval_ms);
  return storage;
}

Result<std::vector<SampleResult>> Appender::Commit() {
  auto r = storage_->CommitBatch(pending_);
  pending_.clear();
  return r;
}

Result<std::vector<SampleResult>> Storage::CommitBatch(std::vector<Appender::Pending>& pending) {
  Impl& m = *impl_;
  std::vector<SampleResult> results(pending.size());
  if (pending.empty()) return results;

  // DESIGN.md §3 order rules, in their order, against head + this commit's accepted samples.
  const auto max_age = static_cast<std::uint64_t>(std::max<std::int64_t>(0, m.options.max_age_ms));
  auto check = [max_age](const Staged& s, Sample x) -> SampleResult {
    SampleResult r;
    r.series_id = s.id;
    const std::vector<Sample>* head = s.existing != nullptr ? &s.existing->samples : nullptr;
    TimestampMs last = 0;
    if (!s.added.empty()) {
      last = s.added.back().t;
    } else if (head != nullptr && !head->empty()) {
      last = head->back().t;
    } else {
      return r;  // first sample of the series
    }
    if (x.t > last) return r;
    const Sample* at = !s.added.empty() && x.t >= s.added.front().t ? FindAt(s.added, x.t)
                       : head != nullptr                            ? FindAt(*head, x.t)
                                                                    : nullptr;
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
    auto resolve = [&](const Labels& labels) -> std::size_t {
      std::uint64_t id = m.HashOf(labels);
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
      // Runs of one series are common (a scrape's history, a retry): skip the hash for them.
      const std::size_t si =
          prev != SIZE_MAX && p.labels == pending[i - 1].labels ? prev : resolve(p.labels);
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
      }
      m.samples.fetch_add(stored, std::memory_order_relaxed);
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

std::vector<SeriesInfo> Storage::ListSeries() const {
  std::shared_lock<std::shared_mutex> l(impl_->head_mu);
  std::vector<SeriesInfo> out;
  out.reserve(impl_->series.size());
  for (const auto& s : impl_->series.all()) {
    SeriesInfo info;
    info.id = s->id;
    info.labels = s->labels;
    if (!s->samples.empty()) {
      info.first_ms = s->samples.front().t;
      info.last_ms = s->samples.back().t;
    }
    info.samples = s->samples.size();
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<SeriesInfo> Storage::GetSeries(std::uint64_t id) const {
  std::shared_lock<std::shared_mutex> l(impl_->head_mu);
  const Series* found = impl_->series.Find(id);
  if (found == nullptr) return std::nullopt;
  const Series& s = *found;
  SeriesInfo info;
  info.id = id;
  info.labels = s.labels;
  if (!s.samples.empty()) {
    info.first_ms = s.samples.front().t;
    info.last_ms = s.samples.back().t;
  }
  info.samples = s.samples.size();
  return info;
}

std::vector<Sample> Storage::ReadSamples(std::uint64_t id, TimestampMs from_ms, TimestampMs to_ms,
                                         std::size_t limit) const {
  std::vector<Sample> out;
  if (from_ms > to_ms) return out;
  std::shared_lock<std::shared_mutex> l(impl_->head_mu);
  const Series* found = impl_->series.Find(id);
  if (found == nullptr) return out;
  const auto& v = found->samples;
  auto lo = std::lower_bound(v.begin(), v.end(), from_ms,
                             [](const Sample& s, TimestampMs t) { return s.t < t; });
  auto hi =
      std::upper_bound(lo, v.end(), to_ms, [](TimestampMs t, const Sample& s) { return t < s.t; });
  auto n = static_cast<std::size_t>(hi - lo);
  if (limit > 0) n = std::min(n, limit);
  out.assign(lo, lo + static_cast<std::ptrdiff_t>(n));
  return out;
}

StorageStats Storage::Stats() const {
  StorageStats s;
  {
    std::shared_lock<std::shared_mutex> l(impl_->head_mu);
    s.series = impl_->series.size();
  }
  s.samples = impl_->samples.load();
  const WalStats w = impl_->wal->Stats();
  s.wal_bytes = w.bytes;
  s.wal_repairs = w.repairs;
  s.wal_truncated_bytes = w.truncated_bytes;
  s.replayed_records = w.replayed_records;
  s.wal_fsyncs = impl_->wal->fsyncs();
  return s;
}

Result<void> Storage::Sync() { return impl_->wal->Sync(); }

}  // namespace prognos::store
