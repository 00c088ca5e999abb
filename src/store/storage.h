// The embedded store: an append-only write-ahead log (WAL), an in-memory head per series, and
// sealed, compressed, immutable blocks in a SQLite catalog (docs/formats/blocks.md).
// Append transactions validate each sample against its series (DESIGN.md §3 order rules), write the
// accepted ones to the WAL, apply them in memory, and wait for durability per the fsync policy.
// Maintenance (a background thread, or explicit calls) seals heads into blocks, checkpoints the
// WAL, merges small blocks and enforces retention. Reads merge blocks and head transparently.
// Thread-safe: any number of threads may append and read concurrently.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/labels.h"
#include "core/metrics.h"
#include "core/reject.h"
#include "core/result.h"
#include "core/sample.h"

namespace prognos::store {

enum class FsyncPolicy {
  kAlways,    // durable before Commit() returns; concurrent commits share one fsync (group commit)
  kInterval,  // a background thread fsyncs every fsync_interval_ms; Commit returns after write()
  kNever,     // leave it to the OS (tests, benchmarks)
};

struct StorageOptions {
  std::string dir;  // created if missing; holds wal/
  FsyncPolicy fsync = FsyncPolicy::kAlways;
  std::int64_t fsync_interval_ms = 1000;
  std::int64_t max_age_ms = 3'600'000;  // ingest.max_age: older than newest - max_age = too_old
  std::uint64_t wal_segment_bytes = 128ull << 20;  // roll size (at least 4096 is used)
  // WAL space reserved ahead of the writes (WalOptions::preallocate_bytes); 0 = plain appends.
  std::uint64_t wal_preallocate_bytes = 0;
  // Sealing: a series' head becomes a block once it holds block_samples samples, or once its
  // oldest sample is block_age_ms older than the store's newest sample.
  std::size_t block_samples = 4096;
  std::int64_t block_age_ms = 6LL * 3'600'000;
  // Merging: consecutive blocks of a series are merged while the result stays within this many
  // samples (bigger blocks compress better).
  std::size_t merge_target_samples = 32768;
  // Retention: blocks whose newest sample is older than the store's newest sample minus this are
  // deleted (DESIGN.md §3). 0 keeps everything.
  std::int64_t retention_ms = 0;
  // Checkpoint: once the WAL holds this many bytes, every head is sealed and the WAL before it
  // deleted, so restart time and disk use stay bounded.
  std::uint64_t checkpoint_wal_bytes = 64ull << 20;
  // Background maintenance period; 0 = no thread (callers run Maintain() themselves).
  std::int64_t maintenance_interval_ms = 10'000;
  int zstd_level = 19;   // block compression level (zstd)
  bool try_lzma = true;  // also try LZMA2 per block and keep the smaller (slower to seal)
  // Tests only: replaces Labels::Hash() as the source of new series ids, to force collisions.
  std::function<std::uint64_t(const Labels&)> series_hash_for_testing;
};

enum class SampleOutcome {
  kStored,      // new sample, in the WAL and the head
  kIdempotent,  // identical (series, time, value) already in the head: accepted, not stored twice
  kRejected,    // see reason
};

struct SampleResult {
  SampleOutcome outcome = SampleOutcome::kStored;
  RejectReason reason = RejectReason::kOutOfOrder;  // meaningful when kRejected
  std::uint64_t series_id = 0;                      // set unless rejected
};

struct SeriesInfo {
  std::uint64_t id = 0;
  Labels labels;
  TimestampMs first_ms = 0;
  TimestampMs last_ms = 0;
  std::uint64_t samples = 0;
};

struct StorageStats {
  std::uint64_t series = 0;
  std::uint64_t samples = 0;  // head + sealed blocks
  std::uint64_t head_samples = 0;
  std::uint64_t sealed_samples = 0;
  std::uint64_t blocks = 0;
  std::uint64_t block_bytes = 0;  // payload bytes of the live blocks
  std::uint64_t seals = 0;        // blocks written by sealing since open
  std::uint64_t merges = 0;       // merged blocks written since open
  std::uint64_t checkpoints = 0;  // WAL checkpoints since open
  std::uint64_t retention_deleted_blocks = 0;
  std::uint64_t quarantined_blocks = 0;  // blocks failing their checksum or decode, since open
  std::uint64_t wal_bytes = 0;
  std::uint64_t wal_repairs = 0;          // torn/corrupt tails truncated since start
  std::uint64_t wal_truncated_bytes = 0;  // bytes cut by those repairs
  std::uint64_t replayed_records = 0;
  std::uint64_t wal_fsyncs = 0;  // fsync calls since open (group commit shares them)
};

class Storage;

// One-use append transaction (Prometheus style): Add() samples, then Commit() once.
class Appender {
 public:
  explicit Appender(Storage* storage) : storage_(storage) {}
  void Add(Labels labels, Sample sample) {
    owned_.push_back(std::move(labels));
    pending_.push_back({&owned_.back(), sample, 0});
  }
  // Like Add, without copying the label set: `labels` must stay alive and unchanged until
  // Commit() returns (the engine passes the decoded request's own label sets).
  void AddBorrowed(const Labels& labels, Sample sample) {
    pending_.push_back({&labels, sample, 0});
  }
  std::size_t size() const { return pending_.size(); }
  // Validates, writes the WAL, applies to the head, waits per fsync policy. One result per Add, in
  // order. An error means nothing of this transaction was acknowledged (IO failure: retry later).
  Result<std::vector<SampleResult>> Commit();

 private:
  struct Pending {
    const Labels* labels;
    Sample sample;
    std::uint64_t hash;  // the label set's hash, computed by Commit before the commit lock
  };
  Storage* storage_;
  std::vector<Pending> pending_;
  std::deque<Labels> owned_;  // label sets given to Add (stable addresses)
  friend class Storage;
};

class Storage {
 public:
  // Opens (creating) the store in options.dir and replays its WAL; a torn or corrupt tail is
  // truncated to the last good record, logged via `log` and counted (never a failure).
  // Holds an exclusive lock on options.dir/LOCK until destroyed: a second open of the same dir
  // fails with kUnavailable. Format and recovery rule: docs/formats/wal.md.
  // `metrics` may be null; when given, storage registers prognos_wal_* / prognos_storage_* metrics.
  static Result<std::unique_ptr<Storage>> Open(const StorageOptions& options,
                                               MetricsRegistry* metrics,
                                               std::function<void(const std::string&)> log = {});
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  Appender NewAppender() { return Appender(this); }

  // Snapshot of all series (unordered by id; callers sort/filter).
  std::vector<SeriesInfo> ListSeries() const;
  std::optional<SeriesInfo> GetSeries(std::uint64_t id) const;
  // Samples of a series with from_ms <= t <= to_ms, ascending, at most `limit` (0 = no limit).
  std::vector<Sample> ReadSamples(std::uint64_t id, TimestampMs from_ms, TimestampMs to_ms,
                                  std::size_t limit = 0) const;
  StorageStats Stats() const;
  // Flushes and fsyncs everything written so far.
  Result<void> Sync();

  // Maintenance; each is safe to call concurrently with appends and reads (they serialize among
  // themselves). One pass of everything the background thread does: seal heads that reached
  // block_samples or block_age_ms, checkpoint when the WAL passed checkpoint_wal_bytes, merge,
  // retention.
  Result<void> Maintain();
  // Seals every non-empty head and deletes the WAL before it (a checkpoint).
  Result<void> SealAll();
  // Merges runs of consecutive blocks per series up to merge_target_samples.
  Result<void> MergeBlocks();
  // Deletes blocks past retention and hands the space back to the file system.
  Result<void> EnforceRetention();
  // Tests only: flips a byte of the payload of the series' `index`-th block (by time).
  Result<void> CorruptBlockForTesting(std::uint64_t series_id, std::size_t index);

 private:
  Storage();
  Result<std::vector<SampleResult>> CommitBatch(std::vector<Appender::Pending>& pending);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  friend class Appender;
};

}  // namespace prognos::store
