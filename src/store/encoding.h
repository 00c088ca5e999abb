// Byte-level codecs shared by the store's on-disk formats (docs/formats/wal.md): little-endian
// fixed-width integers, LEB128 varints (zigzag for signed), raw IEEE-754 doubles.
// Pure functions and a bounds-checked reader; thread-compatible (no shared state).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace prognos::store {

inline void PutFixed32(std::string* out, std::uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out->append(b, 4);
}

inline void PutFixed64(std::string* out, std::uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out->append(b, 8);
}

inline void PutUvarint(std::string* out, std::uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Zigzag: 0, -1, 1, -2, … -> 0, 1, 2, 3, … so small magnitudes of either sign stay short.
inline void PutVarint(std::string* out, std::int64_t v) {
  PutUvarint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

// The value's 8 bytes exactly as stored in memory (NaN payloads and -0.0 survive).
inline void PutDouble(std::string* out, double v) {
  PutFixed64(out, std::bit_cast<std::uint64_t>(v));
}

inline std::uint32_t DecodeFixed32(const unsigned char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Reads from a byte span; any overrun or malformed varint latches ok() to false and returns 0.
class Decoder {
 public:
  explicit Decoder(std::string_view data)
      : p_(reinterpret_cast<const unsigned char*>(data.data())), end_(p_ + data.size()) {}

  bool ok() const { return ok_; }
  bool done() const { return p_ == end_; }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }

  std::uint8_t Byte() {
    if (!Need(1)) return 0;
    return *p_++;
  }
  std::uint64_t Fixed64() {
    if (!Need(8)) return 0;
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p_[i];
    p_ += 8;
    return v;
  }
  std::uint64_t Uvarint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!Need(1)) return 0;
      const std::uint8_t b = *p_++;
      // The tenth byte may only carry the top bit of a 64-bit value.
      if (shift == 63 && b > 1) return Fail();
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();
  }
  std::int64_t Varint() {
    const std::uint64_t u = Uvarint();
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  double Double() { return std::bit_cast<double>(Fixed64()); }
  std::string_view Bytes(std::size_t n) {
    if (!Need(n)) return {};
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

 private:
  bool Need(std::size_t n) {
    if (!ok_ || remaining() < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  std::uint64_t Fail() {
    ok_ = false;
    return 0;
  }

  const unsigned char* p_;
  const unsigned char* end_;
  bool ok_ = true;
};

}  // namespace prognos::store
