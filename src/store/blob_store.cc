#include "store/blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/file_io.h"

namespace prognos::store {
namespace {

bool ValidKey(std::string_view key) {
  if (key.empty() || key.size() > 64 || key == "." || key == "..") return false;
  for (char c : key) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<BlobStore>> BlobStore::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create " + dir + ": " + ec.message());
  return std::unique_ptr<BlobStore>(new BlobStore(dir));
}

Result<void> BlobStore::Put(std::string_view key, std::string_view bytes) {
  if (!ValidKey(key)) {
    return MakeError(ErrorCode::kInvalidArgument, "bad blob key '" + std::string(key) + "'");
  }
  std::lock_guard<std::mutex> lock(mu_);
  const std::string path = dir_ + "/" + std::string(key);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return tl::unexpected(IoError("cannot create", tmp, errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto err = IoError("cannot write", tmp, errno);
      ::close(fd);
      return tl::unexpected(err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto err = IoError("cannot fsync", tmp, errno);
    ::close(fd);
    return tl::unexpected(err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return tl::unexpected(IoError("cannot rename", tmp, errno));
  return FsyncDir(dir_);  // the rename is durable once the directory is
}

Result<std::optional<std::string>> BlobStore::Get(std::string_view key) const {
  if (!ValidKey(key)) {
    return MakeError(ErrorCode::kInvalidArgument, "bad blob key '" + std::string(key) + "'");
  }
  std::lock_guard<std::mutex> lock(mu_);
  const std::string path = dir_ + "/" + std::string(key);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return tl::unexpected(IoError("cannot open", path, errno));
  }
  std::string out;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto err = IoError("cannot read", path, errno);
      ::close(fd);
      return tl::unexpected(err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return std::optional<std::string>(std::move(out));
}

}  // namespace prognos::store
