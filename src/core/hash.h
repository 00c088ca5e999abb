// FNV-1a 64 (Fowler–Noll–Vo), the checksum the model and state blobs end with
// (docs/formats/: failure model, LSTM, retrain state). Not for hash tables under attack.
#pragma once

#include <cstdint>
#include <string_view>

namespace prognos {

inline constexpr std::uint64_t kFnv1a64Offset = 14695981039346656037ULL;
inline constexpr std::uint64_t kFnv1a64Prime = 1099511628211ULL;

// Continues hash `h` over `bytes` (start from kFnv1a64Offset).
constexpr std::uint64_t Fnv1a64(std::string_view bytes, std::uint64_t h = kFnv1a64Offset) {
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnv1a64Prime;
  }
  return h;
}

// The published test vectors.
static_assert(Fnv1a64("") == 0xcbf29ce484222325ULL);
static_assert(Fnv1a64("a") == 0xaf63dc4c8601ec8cULL);

}  // namespace prognos
