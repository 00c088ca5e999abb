#include "store/wal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "store/encoding.h"
#include "store/file_io.h"

namespace prognos::store {

namespace {

// Samples are grouped in runs of at most this many per group, and a record is closed once its
// groups pass kTargetRecordBytes, so a record stays far below kMaxRecordBytes.
constexpr std::size_t kMaxGroupSamples = 4096;
constexpr std::size_t kTargetRecordBytes = 1u << 20;

std::string SegmentHeader() {
  std::string h(kWalMagic, sizeof kWalMagic);
  h.push_back(static_cast<char>(kWalVersion));
  h.append(3, '\0');
  return h;
}

// Decodes one record's body; false when it is malformed.
bool DecodeSeries(std::string_view body, std::uint64_t* id, Labels* labels) {
  Decoder d(body);
  *id = d.Fixed64();
  const std::uint64_t count = d.Uvarint();
  if (!d.ok() || count > d.remaining() / 2) return false;
  std::vector<Label> items;
  items.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string_view name = d.Bytes(d.Uvarint());
    const std::string_view value = d.Bytes(d.Uvarint());
    if (!d.ok()) return false;
    items.push_back(Label{std::string(name), std::string(value)});
  }
  if (!d.ok() || !d.done()) return false;
  auto l = Labels::FromUnsorted(std::move(items));
  if (!l) return false;
  *labels = std::move(*l);
  return true;
}

struct DecodedSample {
  std::uint64_t id;
  Sample sample;
};

bool DecodeSamples(std::string_view body, std::vector<DecodedSample>* out) {
  Decoder d(body);
  const auto base_t = static_cast<std::uint64_t>(d.Varint());
  const std::uint64_t groups = d.Uvarint();
  // A group takes at least 8 (id) + 1 (n) + 1 (t) + 8 (value) bytes.
  if (!d.ok() || groups > d.remaining() / 18) return false;
  for (std::uint64_t g = 0; g < groups; ++g) {
    const std::uint64_t id = d.Fixed64();
    const std::uint64_t n = d.Uvarint();
    if (!d.ok() || n == 0 || n > d.remaining() / 9) return false;
    // Wrapping arithmetic mirrors the encoder, so any int64 timestamps round-trip.
    std::uint64_t t = base_t + static_cast<std::uint64_t>(d.Varint());
    out->push_back({id, Sample{static_cast<TimestampMs>(t), d.Double()}});
    for (std::uint64_t i = 1; i < n; ++i) {
      const std::uint64_t dt = d.Uvarint();
      if (dt == 0) return false;  // times within a group strictly increase
      t += dt;
      out->push_back({id, Sample{static_cast<TimestampMs>(t), d.Double()}});
    }
    if (!d.ok()) return false;
  }
  return d.ok() && d.done();
}

}  // namespace

Result<int> LockDirectory(const std::string& dir) {
  if (auto r = MakeDirs(dir); !r) return tl::unexpected(r.error());
  const std::string path = dir + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return tl::unexpected(IoError("open", path, errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return MakeError(ErrorCode::kUnavailable,
                       "store " + dir + " is in use by another process or Storage (" + path + ")");
    }
    return tl::unexpected(IoError("flock", path, err));
  }
  return fd;
}

// ---- record encoding ----

void AppendFramedRecord(WalRecordType type, std::string_view body, std::string* out) {
  const std::size_t start = out->size();
  PutFixed32(out, static_cast<std::uint32_t>(body.size() + 1));
  PutFixed32(out, 0);  // CRC patched below, once type and body are in place
  out->push_back(static_cast<char>(type));
  out->append(body);
  const std::uint32_t crc =
      Crc32(std::string_view(*out).substr(start + kRecordHeaderBytes, body.size() + 1));
  for (int i = 0; i < 4; ++i) {
    (*out)[start + 4 + static_cast<std::size_t>(i)] = static_cast<char>((crc >> (8 * i)) & 0xff);
  }
}

void EncodeSeriesBody(std::uint64_t id, const Labels& labels, std::string* body) {
  PutFixed64(body, id);
  PutUvarint(body, labels.size());
  for (const auto& l : labels.items()) {
    PutUvarint(body, l.name.size());
    body->append(l.name);
    PutUvarint(body, l.value.size());
    body->append(l.value);
  }
}

void SamplesRecordBuilder::AddGroup(std::uint64_t series_id, const Sample* samples, std::size_t n) {
  while (n > 0) {
    const std::size_t run = std::min(n, kMaxGroupSamples);
    if (group_count_ == 0) base_t_ = samples[0].t;
    PutFixed64(&groups_, series_id);
    PutUvarint(&groups_, run);
    PutVarint(&groups_, static_cast<std::int64_t>(static_cast<std::uint64_t>(samples[0].t) -
                                                  static_cast<std::uint64_t>(base_t_)));
    PutDouble(&groups_, samples[0].v);
    for (std::size_t i = 1; i < run; ++i) {
      PutUvarint(&groups_, static_cast<std::uint64_t>(samples[i].t) -
                               static_cast<std::uint64_t>(samples[i - 1].t));
      PutDouble(&groups_, samples[i].v);
    }
    ++group_count_;
    samples += run;
    n -= run;
    if (groups_.size() >= kTargetRecordBytes) Flush();
  }
}

void SamplesRecordBuilder::Flush() {
  if (group_count_ == 0) return;
  std::string body;
  body.reserve(groups_.size() + 20);
  PutVarint(&body, base_t_);
  PutUvarint(&body, group_count_);
  body.append(groups_);
  AppendFramedRecord(WalRecordType::kSamples, body, out_);
  groups_.clear();
  group_count_ = 0;
}

void SamplesRecordBuilder::Finish() { Flush(); }

// ---- segments ----

struct Wal::SegmentFile {
  SegmentFile(int f, std::string p) : fd(f), path(std::move(p)) {}
  ~SegmentFile() {
    if (fd >= 0) ::close(fd);
  }
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;
  int fd;
  std::string path;
};

Wal::Wal(WalOptions options)
    : options_(std::move(options)), preallocate_(options_.preallocate_bytes > 0) {}

Wal::~Wal() {
  // A clean close leaves the segment exactly its records (a crash leaves the reserved zero tail,
  // which replay accepts).
  if (current_ != nullptr && current_allocated_ > current_size_ && !failed_.load()) {
    (void)::ftruncate(current_->fd, static_cast<off_t>(current_size_));
  }
  if (interval_thread_.joinable()) {
    {
      std::lock_guard<std::mutex> l(sync_mu_);
      stop_ = true;
    }
    stop_cv_.notify_all();
    interval_thread_.join();
  }
}

Result<std::unique_ptr<Wal>> Wal::Open(const WalOptions& options, WalReplayHandler& handler,
                                       MetricsRegistry* metrics,
                                       const std::function<void(const std::string&)>& log) {
  std::unique_ptr<Wal> wal(new Wal(options));
  if (auto r = MakeDirs(options.dir); !r) return tl::unexpected(r.error());
  if (auto r = wal->Replay(handler, log); !r) return tl::unexpected(r.error());
  if (metrics != nullptr) {
    wal->bytes_gauge_ =
        &metrics->AddGauge("prognos_wal_bytes", "Bytes in WAL segment files on disk.").With({});
    wal->fsync_seconds_ =
        &metrics
             ->AddHistogram("prognos_wal_fsync_duration_seconds", "Time spent in WAL fsync calls.",
                            ExponentialBuckets(0.0001, 2, 16))
             .With({});
    metrics
        ->AddCounter("prognos_wal_repairs_total",
                     "Torn or corrupt WAL tails truncated when the store was opened.")
        .With({})
        .Inc(static_cast<double>(wal->stats_.repairs));
    metrics
        ->AddCounter("prognos_wal_truncated_bytes_total",
                     "Bytes cut from the WAL by repairs (including removed later segments).")
        .With({})
        .Inc(static_cast<double>(wal->stats_.truncated_bytes));
    metrics
        ->AddCounter("prognos_wal_records_replayed_total",
                     "WAL records replayed into the head when the store was opened.")
        .With({})
        .Inc(static_cast<double>(wal->stats_.replayed_records));
    wal->bytes_gauge_->Set(static_cast<double>(wal->bytes_.load()));
  }
  return wal;
}

Result<void> Wal::Replay(WalReplayHandler& handler,
                         const std::function<void(const std::string&)>& log) {
  std::vector<std::uint32_t> indexes;
  DIR* dir = ::opendir(options_.dir.c_str());
  if (dir == nullptr) return tl::unexpected(IoError("opendir", options_.dir, errno));
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name(e->d_name);
    if (name.size() != 8 ||
        !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;  // not a segment (temp files, editor leftovers): ignored
    }
    indexes.push_back(static_cast<std::uint32_t>(std::stoul(std::string(name))));
  }
  ::closedir(dir);
  std::sort(indexes.begin(), indexes.end());

  if (indexes.empty()) return OpenForAppend(1, 0, /*create=*/true);

  std::vector<DecodedSample> decoded;
  for (std::size_t k = 0; k < indexes.size(); ++k) {
    const std::string path = options_.dir + "/" + SegmentName(indexes[k]);
    auto data_or = ReadWholeFile(path);
    if (!data_or) return tl::unexpected(data_or.error());
    const std::string& data = *data_or;
    const std::size_t size = data.size();

    std::string damage;        // empty = segment is clean
    std::size_t good_end = 0;  // bytes of the segment known good (0 = header unusable)
    bool zero_tail = false;    // the segment ends in reserved space (good_end < size, clean)
    if (size < kSegmentHeaderBytes) {
      damage = size == 0 ? "empty segment (no header)" : "short segment header";
    } else if (std::memcmp(data.data(), kWalMagic, sizeof kWalMagic) != 0) {
      damage = "bad segment magic";
    } else if (static_cast<std::uint8_t>(data[4]) > kWalVersion) {
      // Not damage: a newer build wrote this. Refuse rather than truncate someone's data.
      return MakeError(
          ErrorCode::kCorruption,
          "WAL segment " + path + " has format version " +
              std::to_string(static_cast<unsigned>(static_cast<std::uint8_t>(data[4]))) +
              "; this build reads version " + std::to_string(kWalVersion));
    } else if (static_cast<std::uint8_t>(data[4]) != kWalVersion) {
      damage = "bad segment version";
    } else {
      std::size_t off = kSegmentHeaderBytes;
      good_end = off;
      while (off < size) {
        const auto* p = reinterpret_cast<const unsigned char*>(data.data()) + off;
        if (size - off < kRecordHeaderBytes) {
          damage = "torn record header";
          break;
        }
        const std::uint32_t len = DecodeFixed32(p);
        const std::uint32_t crc = DecodeFixed32(p + 4);
        if (len == 0) {
          // All zeros from here to the end: space reserved ahead of the writes (clean end).
          // Zeros followed by anything else: a gap, i.e. damage.
          if (std::all_of(data.begin() + static_cast<std::ptrdiff_t>(off), data.end(),
                          [](char c) { return c == 0; })) {
            zero_tail = true;
            break;
          }
          damage = "zero record length";
          break;
        }
        if (len > kMaxRecordBytes) {
          damage = "record length " + std::to_string(len) + " over the limit";
          break;
        }
        if (size - off - kRecordHeaderBytes < len) {
          damage = "torn record (" + std::to_string(size - off - kRecordHeaderBytes) + " of " +
                   std::to_string(len) + " bytes)";
          break;
        }
        const std::string_view payload(data.data() + off + kRecordHeaderBytes, len);
        if (Crc32(payload) != crc) {
          damage = "checksum mismatch";
          break;
        }
        const auto type = static_cast<std::uint8_t>(payload[0]);
        const std::string_view body = payload.substr(1);
        if (type == static_cast<std::uint8_t>(WalRecordType::kSeries)) {
          std::uint64_t id = 0;
          Labels labels;
          if (!DecodeSeries(body, &id, &labels)) {
            damage = "malformed series record";
            break;
          }
          handler.OnSeries(id, std::move(labels));
        } else if (type == static_cast<std::uint8_t>(WalRecordType::kSamples)) {
          decoded.clear();
          if (!DecodeSamples(body, &decoded)) {
            damage = "malformed samples record";
            break;
          }
          for (const auto& s : decoded) handler.OnSample(s.id, s.sample);
        } else {
          damage = "unknown record type " + std::to_string(type);
          break;
        }
        ++stats_.replayed_records;
        off += kRecordHeaderBytes + len;
        good_end = off;
      }
    }

    if (damage.empty()) {
      const std::size_t end = zero_tail ? good_end : size;
      if (k + 1 == indexes.size()) return OpenForAppend(indexes[k], end, /*create=*/false, size);
      closed_bytes_ += size;
      continue;
    }

    // Repair: keep the good prefix, drop the rest of this segment and every later segment.
    std::uint64_t cut = size - good_end;
    std::size_t removed = 0;
    for (std::size_t j = k + 1; j < indexes.size(); ++j) {
      const std::string later = options_.dir + "/" + SegmentName(indexes[j]);
      struct stat st {};
      if (::stat(later.c_str(), &st) == 0) cut += static_cast<std::uint64_t>(st.st_size);
      if (::unlink(later.c_str()) != 0) return tl::unexpected(IoError("unlink", later, errno));
      ++removed;
    }
    if (::truncate(path.c_str(), static_cast<off_t>(good_end)) != 0) {
      return tl::unexpected(IoError("truncate", path, errno));
    }
    ++stats_.repairs;
    stats_.truncated_bytes += cut;
    if (log) {
      log("wal: segment " + SegmentName(indexes[k]) + ": " + damage + " at offset " +
          std::to_string(good_end) + "; truncated " + std::to_string(size - good_end) +
          " byte(s) there and removed " + std::to_string(removed) + " later segment(s) (" +
          std::to_string(cut) + " bytes in all); replay kept everything before it");
    }
    // A segment cut to nothing gets a fresh header (OpenForAppend writes it).
    auto r = OpenForAppend(indexes[k], good_end, /*create=*/good_end == 0);
    if (!r) return r;
    if (::fdatasync(current_->fd) != 0) return tl::unexpected(IoError("fsync", path, errno));
    return FsyncDir(options_.dir);
  }
  return Ok();  // unreachable: the loop returns on its last segment
}

Result<void> Wal::OpenForAppend(std::uint32_t index, std::uint64_t size, bool create,
                                 std::uint64_t allocated) {
  const std::string path = options_.dir + "/" + SegmentName(index);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return tl::unexpected(IoError("open", path, errno));
  auto file = std::make_shared<SegmentFile>(fd, path);
  if (create) {
    if (::ftruncate(fd, 0) != 0) return tl::unexpected(IoError("truncate", path, errno));
    if (auto r = PwriteAll(fd, SegmentHeader(), 0, path); !r) return r;
    size = kSegmentHeaderBytes;
    if (options_.sync_on_roll) {
      if (::fdatasync(fd) != 0) return tl::unexpected(IoError("fsync", path, errno));
      if (auto r = FsyncDir(options_.dir); !r) return r;
    }
  }
  current_index_ = index;
  current_size_ = size;
  current_allocated_ = std::max(size, allocated);
  bytes_.store(closed_bytes_ + current_size_);
  std::lock_guard<std::mutex> l(sync_mu_);
  current_ = std::move(file);
  return Ok();
}

Result<void> Wal::Reserve(std::uint64_t end) {
  if (!preallocate_ || end <= current_allocated_) return Ok();
  const std::uint64_t chunk = options_.preallocate_bytes;
  const std::uint64_t target = std::min(std::max(end, current_allocated_ + chunk),
                                        std::max(end, options_.segment_bytes));
  if (::fallocate(current_->fd, 0, static_cast<off_t>(current_allocated_),
                  static_cast<off_t>(target - current_allocated_)) != 0) {
    if (errno == EOPNOTSUPP || errno == ENOSYS) {
      preallocate_ = false;  // this file system cannot reserve: plain appends, as without it
      return Ok();
    }
    return tl::unexpected(IoError("fallocate", current_->path, errno));
  }
  current_allocated_ = target;
  return Ok();
}

Result<void> Wal::Roll() {
  if (current_allocated_ > current_size_) {
    // Cut the reserved tail off, so a closed segment is exactly its records.
    if (::ftruncate(current_->fd, static_cast<off_t>(current_size_)) != 0) {
      return tl::unexpected(IoError("truncate", current_->path, errno));
    }
    current_allocated_ = current_size_;
  }
  if (options_.sync_on_roll) {
    const auto t0 = std::chrono::steady_clock::now();
    if (::fdatasync(current_->fd) != 0) {
      const Error e = IoError("fsync", current_->path, errno);
      SetFailed(e.message);
      return tl::unexpected(e);
    }
    if (fsync_seconds_ != nullptr) {
      fsync_seconds_->Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    fsyncs_.fetch_add(1, std::memory_order_relaxed);
    // Everything written so far lived in the old segment and is now durable.
    std::lock_guard<std::mutex> l(sync_mu_);
    synced_pos_ = std::max(synced_pos_, written_pos());
  } else {
    // Not synced now (policy never); an explicit Sync() still covers it.
    std::lock_guard<std::mutex> l(sync_mu_);
    unsynced_closed_.push_back(current_->path);
  }
  closed_bytes_ += current_size_;
  auto r = OpenForAppend(current_index_ + 1, 0, /*create=*/true);
  if (!r) closed_bytes_ -= current_size_;  // still appending to the old segment; retried later
  return r;
}

Result<std::uint32_t> Wal::StartNewSegment() {
  if (current_size_ > kSegmentHeaderBytes) {
    if (auto r = Roll(); !r) return tl::unexpected(r.error());
  }
  return current_index_;
}

Result<std::uint64_t> Wal::DeleteSegmentsBefore(std::uint32_t index) {
  DIR* dir = ::opendir(options_.dir.c_str());
  if (dir == nullptr) return tl::unexpected(IoError("opendir", options_.dir, errno));
  std::vector<std::string> doomed;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.size() != 8 || name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stoul(name) < index) doomed.push_back(options_.dir + "/" + name);
  }
  ::closedir(dir);
  std::uint64_t freed = 0;
  for (const std::string& path : doomed) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;
    if (::unlink(path.c_str()) != 0) return tl::unexpected(IoError("unlink", path, errno));
    freed += static_cast<std::uint64_t>(st.st_size);
  }
  if (!doomed.empty()) {
    {
      std::lock_guard<std::mutex> l(sync_mu_);
      std::erase_if(unsynced_closed_, [&](const std::string& p) {
        return std::find(doomed.begin(), doomed.end(), p) != doomed.end();
      });
    }
    closed_bytes_ -= std::min(closed_bytes_, freed);
    const std::uint64_t total = closed_bytes_ + current_size_;
    bytes_.store(total);
    if (bytes_gauge_ != nullptr) bytes_gauge_->Set(static_cast<double>(total));
    if (options_.sync_on_roll) {
      if (auto r = FsyncDir(options_.dir); !r) return tl::unexpected(r.error());
    }
  }
  return freed;
}

void Wal::SetFailed(const std::string& why) {
  std::lock_guard<std::mutex> l(sync_mu_);
  if (!failed_.load()) failure_ = why;
  failed_.store(true);
  sync_cv_.notify_all();
}

Result<std::uint64_t> Wal::Write(std::string_view records) {
  if (failed_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> l(sync_mu_);
    return MakeError(ErrorCode::kIo, "WAL failed earlier (" + failure_ + "); reopen the store");
  }
  if (current_size_ > kSegmentHeaderBytes &&
      current_size_ + records.size() > options_.segment_bytes) {
    if (auto r = Roll(); !r) return tl::unexpected(r.error());
  }
  if (auto r = Reserve(current_size_ + records.size()); !r) return tl::unexpected(r.error());
  if (auto r = PwriteAll(current_->fd, records, current_size_, current_->path); !r) {
    // Cut back a partial write, so that no later record sits behind a torn one (replay would
    // stop at the torn one and lose the later, acknowledged records).
    if (::ftruncate(current_->fd, static_cast<off_t>(current_size_)) != 0) {
      SetFailed(r.error().message + "; could not cut the segment back");
    }
    current_allocated_ = current_size_;
    return tl::unexpected(r.error());
  }
  current_size_ += records.size();
  const std::uint64_t total = bytes_.fetch_add(records.size()) + records.size();
  const std::uint64_t pos = written_pos() + records.size();
  {
    std::lock_guard<std::mutex> l(sync_mu_);
    published_pos_ = pos;
    written_pos_.store(pos, std::memory_order_release);
  }
  if (bytes_gauge_ != nullptr) bytes_gauge_->Set(static_cast<double>(total));
  return pos;
}

Result<void> Wal::WaitDurable(std::uint64_t pos) {
  std::unique_lock<std::mutex> l(sync_mu_);
  while (synced_pos_ < pos) {
    if (failed_.load()) {
      return MakeError(ErrorCode::kIo, "WAL failed earlier (" + failure_ + "); reopen the store");
    }
    if (syncing_) {
      // A leader is in fsync; it may cover us, or we lead the next round.
      sync_cv_.wait(l);
      continue;
    }
    // Become the leader: sync everything published so far, on behalf of all waiters.
    syncing_ = true;
    // Let committers just released by the previous fsync reach BeginCommit before we look.
    l.unlock();
    std::this_thread::yield();
    l.lock();
    if (in_flight_.load() > 0) {
      // Committers are about to write: wait (bounded) so this fsync covers them as well.
      const auto window = std::chrono::nanoseconds(
          std::clamp<std::int64_t>(last_fsync_ns_.load(std::memory_order_relaxed), 0, 2'000'000));
      gathering_.store(true);
      sync_cv_.wait_for(l, window, [this] { return in_flight_.load() == 0 || failed_.load(); });
      gathering_.store(false);
    }
    const std::uint64_t target = published_pos_;
    const std::shared_ptr<SegmentFile> file = current_;
    const std::vector<std::string> closed = std::move(unsynced_closed_);
    unsynced_closed_.clear();
    l.unlock();
    const auto t0 = std::chrono::steady_clock::now();
    int rc = 0;
    int err = 0;
    std::string failed_path;
    for (const auto& path : closed) {
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (rc == 0 && (fd < 0 || ::fdatasync(fd) != 0)) {
        rc = -1;
        err = errno;
        failed_path = path;
      }
      if (fd >= 0) ::close(fd);
    }
    if (rc == 0 && !closed.empty() && !FsyncDir(options_.dir)) {
      rc = -1;
      err = EIO;
      failed_path = options_.dir;
    }
    if (rc == 0 && ::fdatasync(file->fd) != 0) {
      rc = -1;
      err = errno;
      failed_path = file->path;
    }
    const auto took = std::chrono::steady_clock::now() - t0;
    last_fsync_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count(),
                         std::memory_order_relaxed);
    if (fsync_seconds_ != nullptr) {
      fsync_seconds_->Observe(std::chrono::duration<double>(took).count());
    }
    fsyncs_.fetch_add(1, std::memory_order_relaxed);
    l.lock();
    syncing_ = false;
    if (rc != 0) {
      if (!failed_.load()) failure_ = IoError("fsync", failed_path, err).message;
      failed_.store(true);
      sync_cv_.notify_all();
      return MakeError(ErrorCode::kIo, failure_);
    }
    synced_pos_ = std::max(synced_pos_, target);
    sync_cv_.notify_all();
  }
  return Ok();
}

void Wal::EndCommit() {
  // Seq-cst pairing with the leader (store gathering_, then read in_flight_): either the leader
  // sees our decrement, or we see gathering_ and wake it. Locking sync_mu_ before notifying
  // means the leader is already waiting, so the wake-up cannot be lost.
  if (in_flight_.fetch_sub(1) == 1 && gathering_.load()) {
    std::lock_guard<std::mutex> l(sync_mu_);
    sync_cv_.notify_all();
  }
}

void Wal::StartIntervalSync(std::int64_t interval_ms) {
  const auto interval = std::chrono::milliseconds(std::max<std::int64_t>(1, interval_ms));
  interval_thread_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> l(sync_mu_);
    while (!stop_) {
      stop_cv_.wait_for(l, interval, [this] { return stop_; });
      if (stop_) break;
      if (synced_pos_ >= published_pos_ || failed_.load()) continue;
      const std::uint64_t pos = published_pos_;
      l.unlock();
      (void)WaitDurable(pos);  // a failure is sticky and surfaces on the next Write
      l.lock();
    }
  });
}

WalStats Wal::Stats() const {
  WalStats s = stats_;
  s.bytes = bytes_.load();
  return s;
}

}  // namespace prognos::store
