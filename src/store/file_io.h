// File helpers shared by the store's append-only logs (WAL, audit log): the CRC-32 both formats
// use (zlib's, docs/formats/wal.md), segment names, IO errors with the path and errno text, and
// the whole-file read, positional write and directory fsync they are built on. Internal to store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace prognos::store {

// zlib's CRC-32 of `data`.
std::uint32_t Crc32(std::string_view data);
// "00000042" for segment 42.
std::string SegmentName(std::uint32_t index);
// kIo: "<what> <path>: <strerror(err)>".
Error IoError(const std::string& what, const std::string& path, int err);
// fsync of a directory (makes a create or rename in it durable).
Result<void> FsyncDir(const std::string& dir);
// mkdir -p.
Result<void> MakeDirs(const std::string& path);
// The file's bytes as they are now (a file that shrinks while read gives what was there).
Result<std::string> ReadWholeFile(const std::string& path);
// pwrite until every byte is written (EINTR retried).
Result<void> PwriteAll(int fd, std::string_view data, std::uint64_t offset,
                       const std::string& path);

}  // namespace prognos::store
