// The write-ahead log: numbered segment files of CRC-framed records (docs/formats/wal.md), replay
// with repair of torn or corrupt tails, and durability by group commit or a background fsync.
// Thread-safety: Write() and Roll are serialized by the caller (Storage holds its commit mutex);
// WaitDurable(), Sync() and the read-only accessors may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/labels.h"
#include "core/metrics.h"
#include "core/result.h"
#include "core/sample.h"

namespace prognos::store {

// Segment header: magic "PGWL", format version, three reserved zero bytes.
inline constexpr char kWalMagic[4] = {'P', 'G', 'W', 'L'};
inline constexpr std::uint8_t kWalVersion = 1;
inline constexpr std::size_t kSegmentHeaderBytes = 8;
// Record frame: u32 length of (type + body), u32 CRC-32 of (type + body).
inline constexpr std::size_t kRecordHeaderBytes = 8;
// Replay treats a larger length as corruption; writers never produce one.
inline constexpr std::uint32_t kMaxRecordBytes = 16u << 20;

enum class WalRecordType : std::uint8_t {
  kSeries = 1,   // a new series: id and full label set
  kSamples = 2,  // samples of one or more series, grouped by series
};

// Appends one framed record (header + type + body) to `out`.
void AppendFramedRecord(WalRecordType type, std::string_view body, std::string* out);
// Body of a series record.
void EncodeSeriesBody(std::uint64_t id, const Labels& labels, std::string* body);

// Builds samples records: Add samples of one series at a time (strictly increasing time per
// series); Finish() frames them, splitting into several records so none exceeds ~1 MiB.
class SamplesRecordBuilder {
 public:
  explicit SamplesRecordBuilder(std::string* out) : out_(out) {}
  void AddGroup(std::uint64_t series_id, const Sample* samples, std::size_t n);
  void Finish();

 private:
  void Flush();
  std::string* out_;
  std::string groups_;  // encoded groups of the record being built
  std::uint64_t group_count_ = 0;
  TimestampMs base_t_ = 0;
};

// Receives decoded records during replay, in log order. A record reaches the handler only whole
// and checksummed; consistency (e.g. samples of an unknown series) is the handler's to judge.
class WalReplayHandler {
 public:
  virtual ~WalReplayHandler() = default;
  virtual void OnSeries(std::uint64_t id, Labels labels) = 0;
  virtual void OnSample(std::uint64_t id, Sample sample) = 0;
};

struct WalOptions {
  std::string dir;  // the wal/ directory itself
  std::uint64_t segment_bytes = 128ull << 20;
  bool sync_on_roll =
      true;  // fsync a segment before starting the next (off for FsyncPolicy::kNever)
  // When > 0, segment space is reserved this many bytes at a time ahead of the writes
  // (fallocate), so appends overwrite allocated blocks instead of growing the file. The reserved
  // tail reads as zeros, which replay takes as the end of the log; a rolled segment is cut back
  // to its records. Off by default: on this machine's ext4 it did not make the group commit's
  // fdatasync cheaper (docs/performance.md, 2026-11-26 issue 15 round 2). File systems without
  // fallocate fall back to plain appends.
  std::uint64_t preallocate_bytes = 0;
};

struct WalStats {
  std::uint64_t bytes = 0;  // all segment files on disk
  std::uint64_t repairs = 0;
  std::uint64_t truncated_bytes = 0;
  std::uint64_t replayed_records = 0;
};

// Creates `dir` (and parents) and takes an exclusive, non-blocking flock on `dir`/LOCK, so two
// processes (or two Storage objects) never append to one WAL. Returns the fd holding the lock
// (close it to release); kUnavailable when another holder has it.
Result<int> LockDirectory(const std::string& dir);

class Wal {
 public:
  // Replays every segment in order into `handler`, repairing damage (truncate at the last good
  // record, delete later segments, log, count), then opens the last segment for appending.
  // Fails only on environment errors (cannot create, read or truncate files) or on a segment
  // written by a newer, unknown format version.
  static Result<std::unique_ptr<Wal>> Open(const WalOptions& options, WalReplayHandler& handler,
                                           MetricsRegistry* metrics,
                                           const std::function<void(const std::string&)>& log);
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends framed records. The bytes never span two segments: the segment is rolled first when
  // they would push it past segment_bytes. On failure the segment is cut back to where it was.
  // Returns the log position (bytes written since Open) at the end of these bytes.
  Result<std::uint64_t> Write(std::string_view records);
  // Log position after the last successful Write.
  std::uint64_t written_pos() const { return written_pos_.load(std::memory_order_acquire); }
  // Blocks until everything up to `pos` is fsynced. Group commit: one caller (the leader) fsyncs
  // on behalf of everyone waiting; the others wait for "synced up to" to pass their position.
  Result<void> WaitDurable(std::uint64_t pos);
  // Fsyncs everything written so far.
  Result<void> Sync() { return WaitDurable(written_pos()); }

  // Gathering for group commit: a committer calls BeginCommit() before it validates and
  // EndCommit() once its bytes are written (or it wrote nothing). A new sync leader first waits
  // for such in-flight committers - at most about one recent fsync's duration, capped at 2 ms -
  // so that one fsync covers them too. Without it, N busy committers split into two cohorts that
  // alternate fsyncs (N/2 per fsync); with it, one fsync serves all N.
  void BeginCommit() { in_flight_.fetch_add(1); }
  void EndCommit();
  // Starts a thread that fsyncs whatever was written every `interval_ms` (FsyncPolicy::kInterval).
  void StartIntervalSync(std::int64_t interval_ms);

  // Checkpointing (caller-serialized like Write): starts a new segment unless the current one
  // holds no record yet, and returns the current segment's index. Every record written before
  // the call lives in segments with a lower index.
  Result<std::uint32_t> StartNewSegment();
  // Deletes every segment whose index is below `index` (their records are sealed elsewhere).
  // Returns the bytes freed.
  Result<std::uint64_t> DeleteSegmentsBefore(std::uint32_t index);

  WalStats Stats() const;
  std::uint64_t fsyncs() const { return fsyncs_.load(std::memory_order_relaxed); }

 private:
  struct SegmentFile;
  explicit Wal(WalOptions options);
  Result<void> Replay(WalReplayHandler& handler,
                      const std::function<void(const std::string&)>& log);
  // `size` is the segment's end of records; `allocated` its file size when larger (a reserved
  // zero tail found by replay).
  Result<void> OpenForAppend(std::uint32_t index, std::uint64_t size, bool create,
                             std::uint64_t allocated = 0);
  // Reserves segment space so that `end` bytes fit (no-op when preallocation is off).
  Result<void> Reserve(std::uint64_t end);
  Result<void> Roll();
  void SetFailed(const std::string& why);

  WalOptions options_;
  // Writer state (caller-serialized).
  std::shared_ptr<SegmentFile> current_;  // guarded by sync_mu_ for readers (the sync leader)
  std::uint32_t current_index_ = 0;
  std::uint64_t current_size_ = 0;       // bytes of records (and header) in the current segment
  std::uint64_t current_allocated_ = 0;  // its file size: current_size_ + the reserved zero tail
  bool preallocate_ = true;              // off after fallocate reported "not supported"
  std::uint64_t closed_bytes_ = 0;  // sizes of the segments before current_
  std::atomic<std::uint64_t> written_pos_{0};

  // Group commit.
  mutable std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::uint64_t synced_pos_ = 0;     // everything before this log position is fsynced
  std::uint64_t published_pos_ = 0;  // written_pos_ as published together with current_
  bool syncing_ = false;             // a leader is inside fsync
  // Segments rolled without an fsync (sync_on_roll off); the next sync leader fsyncs them.
  std::vector<std::string> unsynced_closed_;  // paths
  std::string failure_;                       // first IO failure (guarded by sync_mu_)
  // Sticky after a failed fsync or a write that could not be cut back: what reached the disk is
  // unknown, so every later Write/WaitDurable fails until the store is reopened and replayed.
  std::atomic<bool> failed_{false};
  std::atomic<std::uint64_t> fsyncs_{0};
  std::atomic<int> in_flight_{0};               // committers between BeginCommit and EndCommit
  std::atomic<bool> gathering_{false};          // a leader waits for in_flight_ to reach 0
  std::atomic<std::int64_t> last_fsync_ns_{0};  // duration of the latest leader fsync

  // Interval sync thread.
  std::thread interval_thread_;
  bool stop_ = false;  // guarded by sync_mu_
  std::condition_variable stop_cv_;

  WalStats stats_;  // repairs/truncated/replayed are fixed after Open; bytes are tracked live
  std::atomic<std::uint64_t> bytes_{0};

  Gauge* bytes_gauge_ = nullptr;
  Histogram* fsync_seconds_ = nullptr;
};

}  // namespace prognos::store
