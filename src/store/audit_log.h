// The audit log (issue #12, DESIGN.md §5 "explain everything"): an append-only, durable, numbered
// sequence of opaque byte records (policy::EncodeAuditEntry's JSON in practice) in CRC-framed
// segment files (docs/formats/audit.md), repaired on open like the WAL, scanned by seq and time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/metrics.h"
#include "core/result.h"
#include "core/time.h"

namespace prognos::store {

// Segment header: magic "PGAU", format version, three reserved zero bytes.
inline constexpr char kAuditMagic[4] = {'P', 'G', 'A', 'U'};
inline constexpr std::uint8_t kAuditVersion = 1;
inline constexpr std::size_t kAuditSegmentHeaderBytes = 8;
// Record frame: u32 body length, u32 CRC-32 of the body.
inline constexpr std::size_t kAuditRecordHeaderBytes = 8;
// Largest body Append accepts and open treats as plausible (seq + time + kind + bytes).
inline constexpr std::uint32_t kAuditMaxRecordBytes = 16u << 20;

enum class AuditFsync {
  kEveryAppend,  // Append returns after fdatasync: acknowledged = durable (power loss included)
  kBatched,      // fdatasync after every `batch_appends` appends, at roll, Sync() and close
  kNone,         // never fsync (the OS writes back); Sync() still does
};

struct AuditLogOptions {
  AuditFsync fsync = AuditFsync::kEveryAppend;
  std::uint32_t batch_appends = 64;             // kBatched only
  std::uint64_t segment_bytes = 64ull << 20;    // start a new segment past this size
  std::function<void(const std::string&)> log;  // repairs and IO failures (may be empty)
  MetricsRegistry* metrics = nullptr;           // prognos_audit_* metrics when set
};

// One record as Scan presents it. The views are valid only during the visitor call.
struct AuditRecord {
  std::uint64_t seq = 0;
  TimestampMs t = 0;
  std::string_view kind;
  std::string_view bytes;
};

struct AuditLogStats {
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;  // all segment files
  std::uint64_t segments = 0;
  std::uint64_t repairs = 0;  // damaged tails truncated when opened
  std::uint64_t truncated_bytes = 0;
  std::uint64_t fsyncs = 0;
};

// Thread-safe: one writer (the controller) appends while any number of readers (API handlers)
// scan; Append, Sync and the accessors serialize on one mutex, Scan holds it only to pick its
// byte ranges and reads the files without it. Records are immutable once written, so a scan sees
// a consistent prefix of the log (every record acknowledged before it started, perhaps more).
//
// Durability: every Append writes its record with pwrite before returning, so an acknowledged
// record survives the process being killed (kill -9) in every mode; fsync decides what survives
// a crash of the machine: kEveryAppend — every acknowledged record; kBatched — all but at most the
// last `batch_appends` - 1 appends (and anything since the last Sync()); kNone — what the kernel
// had written back. Records lost that way take their seqs with them: the next record reuses the
// first lost seq (consumers that paged past it may see a seq twice after such a crash).
class AuditLog {
 public:
  // Creates `dir` (and parents), locks it (a second open fails with kUnavailable), reads every
  // segment, truncates a torn or corrupt tail to the last good record (logged and counted, never
  // fatal), deletes later segments, and continues numbering after the last good record. Fails on
  // environment errors and on a segment of an unknown newer format version (left untouched).
  static Result<std::unique_ptr<AuditLog>> Open(const std::string& dir, AuditLogOptions options);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one record and returns its seq (last_seq() + 1, starting at 1). `kind` is at most
  // 255 bytes; kind + bytes at most ~16 MiB (kInvalidArgument otherwise, nothing written). After
  // an fsync failure, or a failed write that could not be cut back, every later Append fails
  // (kIo) until the log is reopened.
  Result<std::uint64_t> Append(TimestampMs t, std::string_view kind, std::string_view bytes);
  // fdatasyncs the current segment (any mode).
  Result<void> Sync();

  // Visits records with seq ≥ since_seq and t ≥ since_t, in seq order, at most `limit` of them
  // (0 = no limit); the visitor returns false to stop. Returns how many were visited. since_seq
  // 0 and since_t = std::numeric_limits<TimestampMs>::min() filter nothing; to page, pass the
  // last seq seen + 1. Reads cost O(records from the seek point): segments wholly before
  // since_seq or wholly older than since_t are skipped, and within a segment the scan seeks to
  // within 64 records of since_seq. A record
  // that fails its checksum now (the disk changed under us) ends the scan with kCorruption.
  Result<std::size_t> Scan(std::uint64_t since_seq, TimestampMs since_t, std::size_t limit,
                           const std::function<bool(const AuditRecord&)>& visitor) const;

  std::uint64_t size() const;      // records in the log
  std::uint64_t last_seq() const;  // 0 when empty
  AuditLogStats stats() const;

 private:
  struct Segment {
    std::uint32_t index = 0;
    std::string path;
    std::uint64_t size = 0;  // bytes of whole, valid records + header
    std::uint64_t first_seq = 0, last_seq = 0, records = 0;
    TimestampMs max_t = 0;
    // Every kIndexEvery-th record: (seq, offset), so a scan by seq seeks instead of reading from
    // the segment's start.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> seek;
  };

  AuditLog(std::string dir, AuditLogOptions options);
  Result<void> Recover();
  Result<void> OpenForAppend(Segment segment, bool create);
  Result<void> Roll();
  Result<void> SyncLocked();
  void Note(Segment& s, std::uint64_t seq, TimestampMs t, std::uint64_t offset);
  void SetFailed(const std::string& why);

  const std::string dir_;
  const AuditLogOptions options_;
  int lock_fd_ = -1;

  // Lock order: write_mu_, then mu_. write_mu_ serializes writers (Append, Sync) and guards the
  // writer's state; mu_ guards what readers see (segments_, last_seq_, records_, stats_), which
  // changes only while write_mu_ is held too (so the writer may read it without mu_).
  std::mutex write_mu_;
  mutable std::mutex mu_;
  std::vector<Segment> segments_;  // in index order; the last one is appended to
  int fd_ = -1;                    // the last segment, open for writing (write_mu_)
  std::uint64_t last_seq_ = 0;
  std::uint64_t records_ = 0;
  std::uint32_t unsynced_ = 0;  // appends since the last fsync (write_mu_)
  std::string failure_;         // non-empty: sticky failure (write_mu_)
  AuditLogStats stats_;

  Counter* appends_total_ = nullptr;
  Gauge* bytes_gauge_ = nullptr;
};

}  // namespace prognos::store
