#include "policy/planner_codec.h"

#include <array>
#include <cstring>
#include <limits>
#include <optional>
#include <type_traits>

namespace prognos::policy {
namespace {

constexpr std::array<char, 4> kMagic = {'P', 'G', 'P', 'S'};
constexpr std::size_t kHeaderBytes = 4 + 2 + 4;  // magic, version, payload length
constexpr std::size_t kTrailerBytes = 4;         // CRC-32 of the payload

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), bitwise: the blob is small.
std::uint32_t Crc32(std::string_view data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

class Writer {
 public:
  template <typename T>
  void Put(T v) {
    static_assert(std::is_arithmetic_v<T>);
    std::array<char, sizeof(T)> b;
    std::memcpy(b.data(), &v, sizeof(T));  // little-endian hosts only (x86-64, arm64)
    out_.append(b.data(), b.size());
  }
  void Str(std::string_view s) {
    Put<std::uint32_t>(static_cast<std::uint32_t>(s.size()));
    out_.append(s.data(), s.size());
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  bool Get(T* v) {
    if (in_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool Str(std::string* s) {
    std::uint32_t n = 0;
    if (!Get(&n) || in_.size() - pos_ < n) return false;
    s->assign(in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  // A count of items each at least `min_item_bytes` long must fit in what is left.
  bool Count(std::uint32_t* n, std::size_t min_item_bytes) {
    return Get(n) && static_cast<std::size_t>(*n) * min_item_bytes <= in_.size() - pos_;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

void PutTimeMap(Writer& w, const std::map<std::string, TimestampMs>& m) {
  w.Put<std::uint32_t>(static_cast<std::uint32_t>(m.size()));
  for (const auto& [k, v] : m) {
    w.Str(k);
    w.Put<std::int64_t>(v);
  }
}

bool GetTimeMap(Reader& r, std::map<std::string, TimestampMs>* m) {
  std::uint32_t n = 0;
  if (!r.Count(&n, 12)) return false;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string k;
    std::int64_t v = 0;
    if (!r.Str(&k) || !r.Get(&v)) return false;
    (*m)[k] = v;
  }
  return true;
}

// Version 1 has 20 action types (before kReplicate); its replicate counts stay 0.
constexpr std::size_t kVersion1ActionTypes = 20;

bool DecodePayload(Reader& r, PlannerState* s, std::uint16_t version) {
  const std::size_t types = version == 1 ? kVersion1ActionTypes : kActionTypeCount;
  if (!r.Get(&s->next_action_id)) return false;
  std::uint32_t n = 0;
  if (!r.Count(&n, 4 + 8 + 8 + 1 + 1 + 4)) return false;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string key;
    DampingRecord rec;
    std::uint8_t type = 0;
    std::uint8_t dir = 0;  // i8 on disk: 0xFF = −1
    if (!r.Str(&key) || !r.Get(&rec.t) || !r.Get(&rec.action_id) || !r.Get(&type) || !r.Get(&dir) ||
        !r.Str(&rec.from_host)) {
      return false;
    }
    if (type >= types || (dir > 1 && dir != 0xFF)) return false;
    rec.type = static_cast<ActionType>(type);
    rec.direction = dir == 0xFF ? -1 : static_cast<int>(dir);
    s->damping.last[key] = rec;
  }
  if (!r.Count(&n, 8)) return false;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::int64_t t = 0;
    if (!r.Get(&t)) return false;
    s->damping.emitted.push_back(t);
  }
  for (std::size_t i = 0; i < types; ++i) {
    if (!r.Get(&s->feedback.verified[i])) return false;
  }
  for (std::size_t i = 0; i < types; ++i) {
    if (!r.Get(&s->feedback.failed[i])) return false;
  }
  if (!r.Count(&n, 12)) return false;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string k;
    double v = 0;
    if (!r.Str(&k) || !r.Get(&v)) return false;
    s->feedback.headroom_adjust[k] = v;
  }
  if (!r.Count(&n, 4 + 1 + 4 + 8)) return false;
  for (std::uint32_t i = 0; i < n; ++i) {
    Preference p;
    std::uint8_t flags = 0;
    double headroom = 0;
    if (!r.Str(&p.workload) || !r.Get(&flags) || !r.Str(&p.pin_zone) || !r.Get(&headroom)) {
      return false;
    }
    if (flags > 7) return false;
    p.prefer_migration = (flags & 1u) != 0;
    p.forbid_preemption = (flags & 2u) != 0;
    if ((flags & 4u) != 0) p.headroom = headroom;
    s->preferences.push_back(std::move(p));
  }
  if (!r.Count(&n, 12)) return false;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string k;
    double v = 0;
    if (!r.Str(&k) || !r.Get(&v)) return false;
    s->levers[k] = v;
  }
  return GetTimeMap(r, &s->maintenance_until) && GetTimeMap(r, &s->maintenance_start) &&
         GetTimeMap(r, &s->migrations_in_flight) && GetTimeMap(r, &s->drained) && r.done();
}

}  // namespace

std::string EncodePlannerState(const PlannerState& s) {
  Writer p;
  p.Put<std::uint64_t>(s.next_action_id);
  p.Put<std::uint32_t>(static_cast<std::uint32_t>(s.damping.last.size()));
  for (const auto& [key, rec] : s.damping.last) {
    p.Str(key);
    p.Put<std::int64_t>(rec.t);
    p.Put<std::uint64_t>(rec.action_id);
    p.Put<std::uint8_t>(static_cast<std::uint8_t>(rec.type));
    p.Put<std::int8_t>(static_cast<std::int8_t>(rec.direction));
    p.Str(rec.from_host);
  }
  p.Put<std::uint32_t>(static_cast<std::uint32_t>(s.damping.emitted.size()));
  for (TimestampMs t : s.damping.emitted) p.Put<std::int64_t>(t);
  for (double x : s.feedback.verified) p.Put<double>(x);
  for (double x : s.feedback.failed) p.Put<double>(x);
  p.Put<std::uint32_t>(static_cast<std::uint32_t>(s.feedback.headroom_adjust.size()));
  for (const auto& [k, v] : s.feedback.headroom_adjust) {
    p.Str(k);
    p.Put<double>(v);
  }
  p.Put<std::uint32_t>(static_cast<std::uint32_t>(s.preferences.size()));
  for (const Preference& pref : s.preferences) {
    p.Str(pref.workload);
    const std::uint8_t flags =
        static_cast<std::uint8_t>((pref.prefer_migration ? 1u : 0u) |
                                  (pref.forbid_preemption ? 2u : 0u) | (pref.headroom ? 4u : 0u));
    p.Put<std::uint8_t>(flags);
    p.Str(pref.pin_zone);
    p.Put<double>(pref.headroom.value_or(0.0));
  }
  p.Put<std::uint32_t>(static_cast<std::uint32_t>(s.levers.size()));
  for (const auto& [k, v] : s.levers) {
    p.Str(k);
    p.Put<double>(v);
  }
  PutTimeMap(p, s.maintenance_until);
  PutTimeMap(p, s.maintenance_start);
  PutTimeMap(p, s.migrations_in_flight);
  PutTimeMap(p, s.drained);

  Writer out;
  out.out().append(kMagic.data(), kMagic.size());
  out.Put<std::uint16_t>(kPlannerStateVersion);
  out.Put<std::uint32_t>(static_cast<std::uint32_t>(p.out().size()));
  out.out() += p.out();
  out.Put<std::uint32_t>(Crc32(p.out()));
  return std::move(out.out());
}

Result<PlannerState> DecodePlannerState(std::string_view bytes) {
  if (bytes.size() < kHeaderBytes + kTrailerBytes ||
      std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0) {
    return MakeError(ErrorCode::kCorruption, "planner state: bad magic or too short (" +
                                                 std::to_string(bytes.size()) + " bytes)");
  }
  Reader header(bytes.substr(4, 6));
  std::uint16_t version = 0;
  std::uint32_t length = 0;
  header.Get(&version);
  header.Get(&length);
  if (version != 1 && version != kPlannerStateVersion) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "planner state: unsupported version " + std::to_string(version) +
                         " (this build reads " + std::to_string(kPlannerStateVersion) + ")");
  }
  if (bytes.size() != kHeaderBytes + static_cast<std::size_t>(length) + kTrailerBytes) {
    return MakeError(ErrorCode::kCorruption,
                     "planner state: payload length " + std::to_string(length) +
                         " does not match the blob size " + std::to_string(bytes.size()));
  }
  const std::string_view payload = bytes.substr(kHeaderBytes, length);
  Reader trailer(bytes.substr(kHeaderBytes + length));
  std::uint32_t crc = 0;
  trailer.Get(&crc);
  if (crc != Crc32(payload)) {
    return MakeError(ErrorCode::kCorruption, "planner state: CRC mismatch");
  }
  PlannerState s;
  Reader r(payload);
  if (!DecodePayload(r, &s, version)) {
    return MakeError(ErrorCode::kCorruption, "planner state: malformed payload");
  }
  return s;
}

}  // namespace prognos::policy
