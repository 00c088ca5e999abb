#include "ingest/remote_write.h"

#include <snappy.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

namespace prognos::ingest {
namespace {

constexpr std::string_view kInstanceLabel = "instance";
constexpr std::string_view kJobLabel = "job";

// Protobuf wire types (https://protobuf.dev/programming-guides/encoding/).
constexpr std::uint32_t kWireVarint = 0;
constexpr std::uint32_t kWireFixed64 = 1;
constexpr std::uint32_t kWireLen = 2;
constexpr std::uint32_t kWireFixed32 = 5;
constexpr std::uint64_t kMaxFieldNumber = (1u << 29) - 1;

// Field numbers of src/ingest/prompb.proto.
constexpr std::uint32_t kWriteRequestTimeseries = 1;
constexpr std::uint32_t kSeriesLabels = 1;
constexpr std::uint32_t kSeriesSamples = 2;
constexpr std::uint32_t kSeriesExemplars = 3;
constexpr std::uint32_t kSeriesHistograms = 4;
constexpr std::uint32_t kLabelName = 1;
constexpr std::uint32_t kLabelValue = 2;
constexpr std::uint32_t kSampleValue = 1;
constexpr std::uint32_t kSampleTimestamp = 2;

// A bounds-checked cursor over protobuf bytes. Every Read returns false on malformed input
// (nothing is read past the end); callers then refuse the whole request.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}
  bool done() const { return p_ == end_; }
  const char* position() const { return p_; }

  // Base-128 varint of at most 10 bytes; bits past 64 are dropped, as libprotobuf does.
  bool ReadVarint(std::uint64_t* v) {
    if (p_ != end_ && static_cast<unsigned char>(*p_) < 0x80) {  // one byte: most tags, lengths
      *v = static_cast<unsigned char>(*p_++);
      return true;
    }
    std::uint64_t result = 0;
    for (int i = 0; i < 10; ++i) {
      if (p_ == end_) return false;
      const auto b = static_cast<unsigned char>(*p_++);
      result |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
      if (b < 0x80) {
        *v = result;
        return true;
      }
    }
    return false;  // an 11th byte would follow
  }

  bool ReadTag(std::uint32_t* field, std::uint32_t* wire) {
    std::uint64_t tag = 0;
    if (!ReadVarint(&tag)) return false;
    const std::uint64_t number = tag >> 3;
    if (number == 0 || number > kMaxFieldNumber) return false;
    *field = static_cast<std::uint32_t>(number);
    *wire = static_cast<std::uint32_t>(tag & 7);
    return true;
  }

  bool ReadLen(std::string_view* out) {
    std::uint64_t n = 0;
    if (!ReadVarint(&n) || n > static_cast<std::uint64_t>(end_ - p_)) return false;
    *out = std::string_view(p_, static_cast<std::size_t>(n));
    p_ += n;
    return true;
  }

  bool ReadFixed64(std::uint64_t* v) {
    if (end_ - p_ < 8) return false;
    std::memcpy(v, p_, 8);  // little-endian on the wire and on every target we build for
    p_ += 8;
    return true;
  }

  // Skips one field's payload. Groups (wire types 3, 4) are deprecated and never sent by
  // Prometheus; they and the reserved types 6, 7 are refused.
  bool Skip(std::uint32_t wire) {
    std::uint64_t v = 0;
    std::string_view s;
    switch (wire) {
      case kWireVarint:
        return ReadVarint(&v);
      case kWireFixed64:
        return Advance(8);
      case kWireLen:
        return ReadLen(&s);
      case kWireFixed32:
        return Advance(4);
      default:
        return false;
    }
  }

 private:
  bool Advance(std::ptrdiff_t n) {
    if (end_ - p_ < n) return false;
    p_ += n;
    return true;
  }
  const char* p_;
  const char* end_;
};

// Checks the framing of a message whose fields we do not use (exemplars, histograms), so that a
// request libprotobuf would refuse is refused here too (one level deep).
bool SkipMessage(std::string_view bytes) {
  Reader r(bytes);
  while (!r.done()) {
    std::uint32_t field = 0;
    std::uint32_t wire = 0;
    if (!r.ReadTag(&field, &wire) || !r.Skip(wire)) return false;
  }
  return true;
}

// UTF-8 as protobuf's `string` requires: no overlongs, no surrogates, at most U+10FFFF.
bool IsUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* end = p + s.size();
  while (p != end) {
    // ASCII fast path, 8 bytes at a time.
    while (end - p >= 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, p, 8);
      if ((w & 0x8080808080808080ULL) != 0) break;
      p += 8;
    }
    if (p == end) break;
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n = 0;
    std::uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
      return false;
    }
    p += n + 1;
  }
  return true;
}

struct LabelView {
  std::string_view name;
  std::string_view value;
};

// Per-request scratch, reused from one TimeSeries to the next.
struct SeriesScratch {
  std::vector<LabelView> labels;
  std::vector<Sample> samples;
  std::uint32_t histograms = 0;
};

// Decodes one TimeSeries message into views; false when its protobuf is malformed.
bool DecodeSeries(std::string_view bytes, SeriesScratch* sc) {
  sc->labels.clear();
  sc->samples.clear();
  sc->histograms = 0;
  Reader r(bytes);
  while (!r.done()) {
    std::uint32_t field = 0;
    std::uint32_t wire = 0;
    if (!r.ReadTag(&field, &wire)) return false;
    if (wire != kWireLen) {
      if (!r.Skip(wire)) return false;
      continue;
    }
    std::string_view sub;
    if (!r.ReadLen(&sub)) return false;
    if (field == kSeriesLabels) {
      LabelView label;
      Reader lr(sub);
      while (!lr.done()) {
        std::uint32_t f = 0;
        std::uint32_t w = 0;
        if (!lr.ReadTag(&f, &w)) return false;
        if (w == kWireLen && (f == kLabelName || f == kLabelValue)) {
          if (!lr.ReadLen(f == kLabelName ? &label.name : &label.value)) return false;
        } else if (!lr.Skip(w)) {
          return false;
        }
      }
      sc->labels.push_back(label);
    } else if (field == kSeriesSamples) {
      Sample s;
      Reader sr(sub);
      while (!sr.done()) {
        std::uint32_t f = 0;
        std::uint32_t w = 0;
        if (!sr.ReadTag(&f, &w)) return false;
        std::uint64_t v = 0;
        if (f == kSampleValue && w == kWireFixed64) {
          if (!sr.ReadFixed64(&v)) return false;
          std::memcpy(&s.v, &v, sizeof v);  // bit for bit: NaN payloads survive
        } else if (f == kSampleTimestamp && w == kWireVarint) {
          if (!sr.ReadVarint(&v)) return false;
          s.t = static_cast<TimestampMs>(v);  // int64 two's complement, as protobuf encodes it
        } else if (!sr.Skip(w)) {
          return false;
        }
      }
      sc->samples.push_back(s);
    } else if (field == kSeriesExemplars || field == kSeriesHistograms) {
      if (!SkipMessage(sub)) return false;
      if (field == kSeriesHistograms) ++sc->histograms;
    }
  }
  return true;
}

std::string Quoted(std::string_view s) {
  constexpr std::size_t kMaxShown = 64;
  std::string out = "'";
  out.append(s.substr(0, kMaxShown));
  if (s.size() > kMaxShown) out += "...";
  out += "'";
  return out;
}

struct LabelError {
  RejectReason reason;
  std::string message;
};

// Label-name order. Names nearly always differ in their first byte: decide there without a
// memcmp call.
bool NameLess(std::string_view a, std::string_view b) {
  if (!a.empty() && !b.empty() && a[0] != b[0]) {
    return static_cast<unsigned char>(a[0]) < static_cast<unsigned char>(b[0]);
  }
  return a < b;
}

bool IsAscii(std::string_view s) {
  unsigned char any = 0;
  for (char c : s) any |= static_cast<unsigned char>(c);  // vectorised by the compiler
  return any < 0x80;
}

// Validates and completes a series' labels in place: drops empty values, sorts, checks names,
// sizes and __name__, adds host/component. Returns the problem, if any. One pass over the labels
// in the common case (sorted, ASCII, no empty values): this runs once per series.
std::optional<LabelError> PrepareLabels(std::vector<LabelView>* labels,
                                        const IngestLimits& limits) {
  auto& ls = *labels;
  bool sorted = true;
  bool empty_values = false;
  const LabelView* prev = nullptr;
  for (const auto& l : ls) {
    if (l.value.empty()) {
      empty_values = true;
      continue;
    }
    if (l.name.empty()) return LabelError{RejectReason::kInvalidLabels, "empty label name"};
    if (l.name.size() > limits.max_label_value_bytes ||
        l.value.size() > limits.max_label_value_bytes) {
      return LabelError{RejectReason::kTooLarge, "label " + Quoted(l.name) + " is over " +
                                                     std::to_string(limits.max_label_value_bytes) +
                                                     " bytes"};
    }
    if ((!IsAscii(l.name) && !IsUtf8(l.name)) || (!IsAscii(l.value) && !IsUtf8(l.value))) {
      return LabelError{RejectReason::kInvalidLabels,
                        "label " + Quoted(l.name) + " is not valid UTF-8"};
    }
    if (prev != nullptr && !NameLess(prev->name, l.name)) sorted = false;  // also catches a repeat
    prev = &l;
  }
  if (empty_values) std::erase_if(ls, [](const LabelView& l) { return l.value.empty(); });
  auto by_name = [](const LabelView& a, const LabelView& b) { return NameLess(a.name, b.name); };
  if (!sorted) {
    std::sort(ls.begin(), ls.end(), by_name);
    auto dup = std::adjacent_find(ls.begin(), ls.end(), [](const LabelView& a, const LabelView& b) {
      return a.name == b.name;
    });
    if (dup != ls.end()) {
      return LabelError{RejectReason::kInvalidLabels,
                        "label name " + Quoted(dup->name) + " repeated"};
    }
  }
  bool has_name = false;
  bool has_host = false;
  bool has_component = false;
  std::string_view instance;
  std::string_view job;
  for (const auto& l : ls) {
    switch (l.name[0]) {  // names are not empty here
      case '_':
        has_name = has_name || l.name == kMetricNameLabel;
        break;
      case 'h':
        has_host = has_host || l.name == kHostLabel;
        break;
      case 'c':
        has_component = has_component || l.name == kComponentLabel;
        break;
      case 'i':
        if (l.name == kInstanceLabel) instance = l.value;
        break;
      case 'j':
        if (l.name == kJobLabel) job = l.value;
        break;
      default:
        break;
    }
  }
  if (!has_name) return LabelError{RejectReason::kInvalidLabels, "no __name__ label"};
  // Roles (DESIGN.md §3): host from instance, component from job, added only when absent.
  if (!has_host && !instance.empty()) {
    const LabelView add{kHostLabel, instance};
    ls.insert(std::upper_bound(ls.begin(), ls.end(), add, by_name), add);
  }
  if (!has_component && !job.empty()) {
    const LabelView add{kComponentLabel, job};
    ls.insert(std::upper_bound(ls.begin(), ls.end(), add, by_name), add);
  }
  if (ls.size() > limits.max_labels) {
    return LabelError{RejectReason::kTooLarge, std::to_string(ls.size()) + " labels, over " +
                                                   std::to_string(limits.max_labels)};
  }
  return std::nullopt;
}

void RefuseRequest(RemoteWriteBatch* out, RejectReason reason, std::string message) {
  out->samples.clear();
  out->rejections.clear();
  out->request_error = reason;
  out->rejections.push_back({0, "", reason, std::move(message), 1});
}

}  // namespace

RemoteWriteBatch DecodeWriteRequest(std::string_view proto, const IngestLimits& limits) {
  RemoteWriteBatch out;
  // Lower bound of ~40 bytes per sample in real traffic (labels included): a reservation that
  // rarely needs to grow and never wastes much.
  out.samples.reserve(proto.size() / 40);
  SeriesScratch sc;
  Reader r(proto);
  while (!r.done()) {
    const auto at = static_cast<std::size_t>(r.position() - proto.data());
    auto malformed = [&](const char* what) {
      RefuseRequest(&out, RejectReason::kBadProtobuf,
                    std::string("malformed protobuf WriteRequest: ") + what + " at byte " +
                        std::to_string(at) + " of the decompressed body");
      return out;
    };
    std::uint32_t field = 0;
    std::uint32_t wire = 0;
    if (!r.ReadTag(&field, &wire)) return malformed("bad field tag");
    if (field != kWriteRequestTimeseries || wire != kWireLen) {
      if (!r.Skip(wire)) return malformed("truncated or invalid field");
      continue;
    }
    std::string_view bytes;
    if (!r.ReadLen(&bytes)) return malformed("TimeSeries length past the end");
    if (!DecodeSeries(bytes, &sc)) return malformed("invalid TimeSeries");
    const std::uint32_t line = ++out.series;
    auto problem = PrepareLabels(&sc.labels, limits);
    if (problem) {
      std::string indicator;
      for (const auto& l : sc.labels) {
        if (l.name == kMetricNameLabel) indicator = std::string(l.value);
      }
      const std::size_t n = sc.samples.size() + sc.histograms;
      out.rejections.push_back({line, std::move(indicator), problem->reason,
                                std::move(problem->message),
                                static_cast<std::uint32_t>(std::max<std::size_t>(1, n))});
      continue;
    }
    if (sc.histograms > 0) {
      std::string indicator;
      for (const auto& l : sc.labels) {
        if (l.name == kMetricNameLabel) indicator = std::string(l.value);
      }
      out.rejections.push_back(
          {line, std::move(indicator), RejectReason::kInvalidField,
           "native histograms are not supported (" + std::to_string(sc.histograms) + " dropped)",
           sc.histograms});
    }
    if (sc.samples.empty()) continue;
    std::vector<Label> items(sc.labels.size());
    for (std::size_t i = 0; i < items.size(); ++i) {  // strings built in place, copied once
      items[i].name.assign(sc.labels[i].name);
      items[i].value.assign(sc.labels[i].value);
    }
    Labels labels = Labels::FromSortedUnchecked(std::move(items));
    const std::size_t last = sc.samples.size() - 1;
    for (std::size_t i = 0; i < last; ++i) out.samples.push_back({labels, sc.samples[i], line});
    out.samples.push_back({std::move(labels), sc.samples[last], line});
  }
  return out;
}

RemoteWriteBatch DecodeRemoteWrite(std::string_view body, const IngestLimits& limits,
                                   std::size_t max_decompressed_bytes) {
  std::size_t n = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &n)) {
    RemoteWriteBatch out;
    RefuseRequest(&out, RejectReason::kBadSnappy,
                  body.empty() ? "empty body: expected a snappy-compressed WriteRequest"
                               : "not a snappy raw block (bad length header)");
    return out;
  }
  if (n > max_decompressed_bytes) {
    RemoteWriteBatch out;
    RefuseRequest(&out, RejectReason::kTooLarge,
                  "decompressed WriteRequest would be " + std::to_string(n) + " bytes, over " +
                      std::to_string(max_decompressed_bytes));
    return out;
  }
  // Reused per thread for the common sizes; a rare huge request gets its own buffer so that the
  // worker threads do not each keep tens of MB.
  constexpr std::size_t kKeptBytes = 4u << 20;
  thread_local std::string kept;
  std::string own;
  std::string& buf = n <= kKeptBytes ? kept : own;
  if (buf.size() < n) buf.resize(n);
  if (!snappy::RawUncompress(body.data(), body.size(), buf.data())) {
    RemoteWriteBatch out;
    RefuseRequest(&out, RejectReason::kBadSnappy, "corrupt snappy block");
    return out;
  }
  return DecodeWriteRequest(std::string_view(buf.data(), n), limits);
}

}  // namespace prognos::ingest
