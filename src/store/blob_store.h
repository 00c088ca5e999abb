// Versioned state blobs by key (planner state, model checkpoints): the store keeps the bytes, the
// module that owns the state encodes them (its own codec, with its own version and checksum). A
// Put is atomic and durable: the bytes go to a temporary file that is fsynced and renamed over the
// old one (and the directory fsynced), so a crash leaves either the old or the new blob.
// Thread-safe (one mutex).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace prognos::store {

class BlobStore {
 public:
  // Creates `dir` if needed.
  static Result<std::unique_ptr<BlobStore>> Open(const std::string& dir);
  // Keys are [a-z0-9_.-]{1,64} (they are file names).
  Result<void> Put(std::string_view key, std::string_view bytes);
  // nullopt when the key was never written.
  Result<std::optional<std::string>> Get(std::string_view key) const;

 private:
  explicit BlobStore(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  mutable std::mutex mu_;
};

}  // namespace prognos::store
