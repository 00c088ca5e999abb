#include "store/audit_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

#include "store/encoding.h"
#include "store/file_io.h"
#include "store/wal.h"

namespace prognos::store {
namespace {

// Every kIndexEvery-th record of a segment is in its seek index (16 bytes per 64 records).
constexpr std::uint64_t kIndexEvery = 64;
// Scan reads segment files in chunks of this size.
constexpr std::size_t kReadChunkBytes = 256u << 10;
constexpr std::size_t kMaxKindBytes = 255;
// seq (8) + time (≥ 1) + kind length (≥ 1).
constexpr std::size_t kMinBodyBytes = 10;

std::string SegmentHeader() {
  std::string h(kAuditMagic, sizeof kAuditMagic);
  h.push_back(static_cast<char>(kAuditVersion));
  h.append(3, '\0');
  return h;
}

struct Body {
  std::uint64_t seq = 0;
  TimestampMs t = 0;
  std::string_view kind;
  std::string_view bytes;
};

// Decodes a checksummed body; false when it is malformed.
bool DecodeBody(std::string_view body, Body* out) {
  Decoder d(body);
  out->seq = d.Fixed64();
  out->t = d.Varint();
  const std::uint64_t kind_len = d.Uvarint();
  if (!d.ok() || kind_len > kMaxKindBytes) return false;
  out->kind = d.Bytes(kind_len);
  if (!d.ok()) return false;
  out->bytes = d.Bytes(d.remaining());
  return d.ok() && out->seq != 0;
}

// Reads byte ranges of one segment file through a chunk buffer.
class ChunkReader {
 public:
  explicit ChunkReader(std::string path) : path_(std::move(path)) {}
  ~ChunkReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  ChunkReader(const ChunkReader&) = delete;
  ChunkReader& operator=(const ChunkReader&) = delete;

  // n bytes at `offset`; the view is valid until the next call.
  Result<std::string_view> Read(std::uint64_t offset, std::size_t n) {
    if (offset >= buf_offset_ && offset + n <= buf_offset_ + buf_.size()) {
      return std::string_view(buf_).substr(offset - buf_offset_, n);
    }
    if (fd_ < 0) {
      fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) return tl::unexpected(IoError("open", path_, errno));
    }
    buf_.resize(std::max(n, kReadChunkBytes));
    std::size_t got = 0;
    while (got < buf_.size()) {
      const ssize_t r =
          ::pread(fd_, buf_.data() + got, buf_.size() - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return tl::unexpected(IoError("read", path_, errno));
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    buf_.resize(got);
    buf_offset_ = offset;
    if (got < n) {
      return MakeError(ErrorCode::kCorruption,
                       "audit segment " + path_ + " is shorter than its indexed records");
    }
    return std::string_view(buf_).substr(0, n);
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::string buf_;
  std::uint64_t buf_offset_ = 0;
};

}  // namespace

AuditLog::AuditLog(std::string dir, AuditLogOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {}

AuditLog::~AuditLog() {
  if (fd_ >= 0) {
    // Batched mode promises that closing the log makes everything durable.
    if (options_.fsync == AuditFsync::kBatched && unsynced_ > 0 && failure_.empty()) {
      (void)::fdatasync(fd_);
    }
    ::close(fd_);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& dir, AuditLogOptions options) {
  if (options.segment_bytes < kAuditSegmentHeaderBytes + kAuditRecordHeaderBytes) {
    return MakeError(ErrorCode::kInvalidArgument, "audit log: segment_bytes too small");
  }
  std::unique_ptr<AuditLog> log(new AuditLog(dir, std::move(options)));
  auto lock = LockDirectory(dir);  // creates dir and parents
  if (!lock) return tl::unexpected(lock.error());
  log->lock_fd_ = *lock;
  if (auto r = log->Recover(); !r) return tl::unexpected(r.error());
  if (MetricsRegistry* m = log->options_.metrics) {
    log->appends_total_ =
        &m->AddCounter("prognos_audit_appends_total", "Records appended to the audit log.")
             .With({});
    log->bytes_gauge_ =
        &m->AddGauge("prognos_audit_bytes", "Bytes in audit log segment files.").With({});
    log->bytes_gauge_->Set(static_cast<double>(log->stats_.bytes));
    m->AddCounter("prognos_audit_repairs_total",
                  "Torn or corrupt audit log tails truncated when the log was opened.")
        .With({})
        .Inc(static_cast<double>(log->stats_.repairs));
    m->AddCounter("prognos_audit_truncated_bytes_total",
                  "Bytes cut from the audit log by repairs (including removed later segments).")
        .With({})
        .Inc(static_cast<double>(log->stats_.truncated_bytes));
  }
  return log;
}

void AuditLog::Note(Segment& s, std::uint64_t seq, TimestampMs t, std::uint64_t offset) {
  if (s.records % kIndexEvery == 0) s.seek.emplace_back(seq, offset);
  if (s.records == 0) s.first_seq = seq;
  s.last_seq = seq;
  s.max_t = s.records == 0 ? t : std::max(s.max_t, t);
  ++s.records;
}

Result<void> AuditLog::Recover() {
  std::vector<std::uint32_t> indexes;
  DIR* dir = ::opendir(dir_.c_str());
  if (dir == nullptr) return tl::unexpected(IoError("opendir", dir_, errno));
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name(e->d_name);
    if (name.size() != 8 ||
        !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;  // LOCK, temp files: not segments
    }
    indexes.push_back(static_cast<std::uint32_t>(std::stoul(std::string(name))));
  }
  ::closedir(dir);
  std::sort(indexes.begin(), indexes.end());

  if (indexes.empty()) {
    Segment first;
    first.index = 1;
    first.path = dir_ + "/" + SegmentName(1);
    return OpenForAppend(std::move(first), /*create=*/true);
  }

  for (std::size_t k = 0; k < indexes.size(); ++k) {
    Segment seg;
    seg.index = indexes[k];
    seg.path = dir_ + "/" + SegmentName(indexes[k]);
    auto data_or = ReadWholeFile(seg.path);
    if (!data_or) return tl::unexpected(data_or.error());
    const std::string& data = *data_or;
    const std::size_t size = data.size();

    std::string damage;
    std::size_t good_end = 0;
    if (size < kAuditSegmentHeaderBytes) {
      damage = size == 0 ? "empty segment (no header)" : "short segment header";
    } else if (std::memcmp(data.data(), kAuditMagic, sizeof kAuditMagic) != 0) {
      damage = "bad segment magic";
    } else if (static_cast<std::uint8_t>(data[4]) > kAuditVersion) {
      // A newer build wrote this: refuse rather than truncate someone's data.
      return MakeError(
          ErrorCode::kCorruption,
          "audit segment " + seg.path + " has format version " +
              std::to_string(static_cast<unsigned>(static_cast<std::uint8_t>(data[4]))) +
              "; this build reads version " + std::to_string(kAuditVersion));
    } else if (static_cast<std::uint8_t>(data[4]) != kAuditVersion) {
      damage = "bad segment version";
    } else {
      std::size_t off = kAuditSegmentHeaderBytes;
      good_end = off;
      while (off < size) {
        const auto* p = reinterpret_cast<const unsigned char*>(data.data()) + off;
        if (size - off < kAuditRecordHeaderBytes) {
          damage = "torn record header";
          break;
        }
        const std::uint32_t len = DecodeFixed32(p);
        const std::uint32_t crc = DecodeFixed32(p + 4);
        if (len < kMinBodyBytes || len > kAuditMaxRecordBytes) {
          damage = "implausible record length " + std::to_string(len);
          break;
        }
        if (size - off - kAuditRecordHeaderBytes < len) {
          damage = "torn record (" + std::to_string(size - off - kAuditRecordHeaderBytes) + " of " +
                   std::to_string(len) + " bytes)";
          break;
        }
        const std::string_view body(data.data() + off + kAuditRecordHeaderBytes, len);
        if (Crc32(body) != crc) {
          damage = "checksum mismatch";
          break;
        }
        Body b;
        if (!DecodeBody(body, &b)) {
          damage = "malformed record";
          break;
        }
        if (b.seq <= last_seq_) {
          damage = "seq " + std::to_string(b.seq) + " not after " + std::to_string(last_seq_);
          break;
        }
        Note(seg, b.seq, b.t, off);
        last_seq_ = b.seq;
        ++records_;
        off += kAuditRecordHeaderBytes + len;
        good_end = off;
      }
    }

    if (damage.empty()) {
      seg.size = size;
      stats_.bytes += size;
      segments_.push_back(std::move(seg));
      if (k + 1 == indexes.size()) return OpenForAppend(segments_.back(), /*create=*/false);
      continue;
    }

    // Repair: keep the good prefix, drop the rest of this segment and every later segment.
    std::uint64_t cut = size - good_end;
    std::size_t removed = 0;
    for (std::size_t j = k + 1; j < indexes.size(); ++j) {
      const std::string later = dir_ + "/" + SegmentName(indexes[j]);
      struct stat st {};
      if (::stat(later.c_str(), &st) == 0) cut += static_cast<std::uint64_t>(st.st_size);
      if (::unlink(later.c_str()) != 0) return tl::unexpected(IoError("unlink", later, errno));
      ++removed;
    }
    if (::truncate(seg.path.c_str(), static_cast<off_t>(good_end)) != 0) {
      return tl::unexpected(IoError("truncate", seg.path, errno));
    }
    ++stats_.repairs;
    stats_.truncated_bytes += cut;
    if (options_.log) {
      options_.log("audit: segment " + SegmentName(seg.index) + ": " + damage + " at offset " +
                   std::to_string(good_end) + "; truncated " + std::to_string(size - good_end) +
                   " byte(s) there and removed " + std::to_string(removed) + " later segment(s) (" +
                   std::to_string(cut) + " bytes in all); kept every record before it (last seq " +
                   std::to_string(last_seq_) + ")");
    }
    const bool fresh = good_end == 0;  // cut to nothing: gets a new header
    seg.size = good_end;
    stats_.bytes += good_end;
    segments_.push_back(std::move(seg));
    if (auto r = OpenForAppend(segments_.back(), fresh); !r) return r;
    if (::fdatasync(fd_) != 0)
      return tl::unexpected(IoError("fsync", segments_.back().path, errno));
    return FsyncDir(dir_);
  }
  return Ok();  // unreachable: the loop returns on its last segment
}

Result<void> AuditLog::OpenForAppend(Segment segment, bool create) {
  const int fd = ::open(segment.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return tl::unexpected(IoError("open", segment.path, errno));
  if (create) {
    Result<void> r = Ok();
    if (::ftruncate(fd, 0) != 0) r = tl::unexpected(IoError("truncate", segment.path, errno));
    if (r) r = PwriteAll(fd, SegmentHeader(), 0, segment.path);
    if (r && options_.fsync != AuditFsync::kNone) {
      if (::fdatasync(fd) != 0) r = tl::unexpected(IoError("fsync", segment.path, errno));
      if (r) r = FsyncDir(dir_);
    }
    if (!r) {
      ::close(fd);
      return r;
    }
    // Only now does the old segment stop being the one appended to.
    std::lock_guard<std::mutex> l(mu_);
    stats_.bytes -=
        segments_.empty() || segments_.back().index != segment.index ? 0 : segments_.back().size;
    if (!segments_.empty() && segments_.back().index == segment.index) segments_.pop_back();
    segment.size = kAuditSegmentHeaderBytes;
    stats_.bytes += segment.size;
    segments_.push_back(std::move(segment));
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  return Ok();
}

Result<void> AuditLog::Roll() {
  if (options_.fsync != AuditFsync::kNone) {
    // The old segment is complete: make it durable before records go elsewhere.
    if (auto r = SyncLocked(); !r) return r;
  }
  Segment next;
  next.index = segments_.back().index + 1;
  next.path = dir_ + "/" + SegmentName(next.index);
  return OpenForAppend(std::move(next), /*create=*/true);
}

void AuditLog::SetFailed(const std::string& why) {
  if (failure_.empty()) failure_ = why;
  if (options_.log) options_.log("audit: " + why + "; appends refused until reopened");
}

Result<void> AuditLog::SyncLocked() {
  if (!failure_.empty()) return MakeError(ErrorCode::kIo, "audit log failed earlier: " + failure_);
  if (::fdatasync(fd_) != 0) {
    const Error e = IoError("fsync", segments_.back().path, errno);
    SetFailed(e.message);
    return tl::unexpected(e);
  }
  unsynced_ = 0;
  std::lock_guard<std::mutex> l(mu_);
  ++stats_.fsyncs;
  return Ok();
}

Result<void> AuditLog::Sync() {
  std::lock_guard<std::mutex> w(write_mu_);
  return SyncLocked();
}

Result<std::uint64_t> AuditLog::Append(TimestampMs t, std::string_view kind,
                                       std::string_view bytes) {
  if (kind.size() > kMaxKindBytes) {
    return MakeError(ErrorCode::kInvalidArgument, "audit record kind longer than 255 bytes");
  }
  std::lock_guard<std::mutex> w(write_mu_);
  if (!failure_.empty()) return MakeError(ErrorCode::kIo, "audit log failed earlier: " + failure_);
  const std::uint64_t seq = last_seq_ + 1;
  std::string frame;
  frame.reserve(kAuditRecordHeaderBytes + kMinBodyBytes + 10 + kind.size() + bytes.size());
  frame.append(kAuditRecordHeaderBytes, '\0');  // length and CRC, filled in below
  PutFixed64(&frame, seq);
  PutVarint(&frame, t);
  PutUvarint(&frame, kind.size());
  frame.append(kind);
  frame.append(bytes);
  const std::size_t body_len = frame.size() - kAuditRecordHeaderBytes;
  if (body_len > kAuditMaxRecordBytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "audit record of " + std::to_string(body_len) + " bytes over the limit");
  }
  std::string header;
  PutFixed32(&header, static_cast<std::uint32_t>(body_len));
  PutFixed32(&header, Crc32(std::string_view(frame).substr(kAuditRecordHeaderBytes)));
  frame.replace(0, kAuditRecordHeaderBytes, header);

  // segments_ changes only under write_mu_ (held), so reading it here without mu_ is safe.
  if (segments_.back().size > kAuditSegmentHeaderBytes &&
      segments_.back().size + frame.size() > options_.segment_bytes) {
    if (auto r = Roll(); !r) return tl::unexpected(r.error());
  }
  const Segment& cur = segments_.back();
  const std::uint64_t offset = cur.size;
  if (auto r = PwriteAll(fd_, frame, offset, cur.path); !r) {
    // Cut back a partial write so that no later record sits behind a torn one.
    if (::ftruncate(fd_, static_cast<off_t>(offset)) != 0) {
      SetFailed(r.error().message + "; could not cut the segment back");
    }
    return tl::unexpected(r.error());
  }
  const bool sync_now =
      options_.fsync == AuditFsync::kEveryAppend ||
      (options_.fsync == AuditFsync::kBatched && ++unsynced_ >= options_.batch_appends);
  Result<void> synced = sync_now ? SyncLocked() : Ok();
  // Publish: from here on scans see the record. It is in the file either way (a failed fsync
  // makes the log refuse later appends, and the caller gets the error, not the seq).
  {
    std::lock_guard<std::mutex> l(mu_);
    Segment& s = segments_.back();
    s.size += frame.size();
    Note(s, seq, t, offset);
    last_seq_ = seq;
    ++records_;
    stats_.bytes += frame.size();
  }
  if (appends_total_ != nullptr) appends_total_->Inc();
  if (bytes_gauge_ != nullptr) bytes_gauge_->Add(static_cast<double>(frame.size()));
  if (!synced) return tl::unexpected(synced.error());
  return seq;
}

Result<std::size_t> AuditLog::Scan(std::uint64_t since_seq, TimestampMs since_t, std::size_t limit,
                                   const std::function<bool(const AuditRecord&)>& visitor) const {
  struct Range {
    std::string path;
    std::uint64_t begin = 0, end = 0;
  };
  std::vector<Range> ranges;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const Segment& s : segments_) {
      if (s.records == 0 || s.last_seq < since_seq || s.max_t < since_t) continue;
      std::uint64_t begin = kAuditSegmentHeaderBytes;
      // The last indexed record at or before since_seq.
      auto it =
          std::upper_bound(s.seek.begin(), s.seek.end(), since_seq,
                           [](std::uint64_t seq, const std::pair<std::uint64_t, std::uint64_t>& e) {
                             return seq < e.first;
                           });
      if (it != s.seek.begin()) begin = std::prev(it)->second;
      ranges.push_back(Range{s.path, begin, s.size});
    }
  }
  std::size_t visited = 0;
  for (const Range& range : ranges) {
    ChunkReader reader(range.path);
    std::uint64_t off = range.begin;
    while (off < range.end) {
      auto head = reader.Read(off, kAuditRecordHeaderBytes);
      if (!head) return tl::unexpected(head.error());
      const auto* p = reinterpret_cast<const unsigned char*>(head->data());
      const std::uint32_t len = DecodeFixed32(p);
      const std::uint32_t crc = DecodeFixed32(p + 4);
      if (len < kMinBodyBytes || len > kAuditMaxRecordBytes ||
          off + kAuditRecordHeaderBytes + len > range.end) {
        return MakeError(
            ErrorCode::kCorruption,
            "audit segment " + range.path + ": bad record length at offset " + std::to_string(off));
      }
      auto body = reader.Read(off + kAuditRecordHeaderBytes, len);
      if (!body) return tl::unexpected(body.error());
      Body b;
      if (Crc32(*body) != crc || !DecodeBody(*body, &b)) {
        return MakeError(ErrorCode::kCorruption, "audit segment " + range.path +
                                                     ": record at offset " + std::to_string(off) +
                                                     " fails its checksum");
      }
      off += kAuditRecordHeaderBytes + len;
      if (b.seq < since_seq || b.t < since_t) continue;
      ++visited;
      if (!visitor(AuditRecord{b.seq, b.t, b.kind, b.bytes})) return visited;
      if (limit != 0 && visited >= limit) return visited;
    }
  }
  return visited;
}

std::uint64_t AuditLog::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return records_;
}

std::uint64_t AuditLog::last_seq() const {
  std::lock_guard<std::mutex> l(mu_);
  return last_seq_;
}

AuditLogStats AuditLog::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  AuditLogStats s = stats_;
  s.records = records_;
  s.segments = segments_.size();
  return s;
}

}  // namespace prognos::store
