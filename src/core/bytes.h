// Fixed-size values in and out of a byte string, in the host's byte order: the persisted blobs
// (labelled history, retrain state, entropy history) are read back by the same build on the same
// machine, and each carries a magic, a version and a checksum.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace prognos {

template <typename T>
void PutRaw(std::string& out, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

// Reads a T at pos if the bytes hold it; false (pos unchanged) when truncated.
template <typename T>
bool TakeRaw(std::string_view bytes, std::size_t& pos, T& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (pos > bytes.size() || bytes.size() - pos < sizeof(T)) return false;
  std::memcpy(&v, bytes.data() + pos, sizeof(T));
  pos += sizeof(T);
  return true;
}

}  // namespace prognos
