// Prometheus remote-write 1.0 decoding (POST /api/v1/write): a snappy raw-block body holding a
// protobuf prometheus.WriteRequest (schema: src/ingest/prompb.proto) becomes labelled samples for
// Engine::IngestParsed. The protobuf wire format is decoded by hand straight from the bytes: labels
// stay string_views into the decompressed buffer until a series has passed validation, and only
// then become one Labels, shared by that series' samples. Stateless and thread-safe (a per-thread
// scratch buffer is reused for the decompressed bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/reject.h"
#include "ingest/health_parser.h"

namespace prognos::ingest {

// Decompressed WriteRequest size limit: snappy's length header is checked against it before any
// allocation, so a small body cannot make the server allocate gigabytes.
inline constexpr std::size_t kDefaultMaxRemoteWriteBytes = 64u << 20;

struct RemoteWriteBatch {
  std::vector<ParsedSample> samples;  // ParsedSample::line = 1-based index of its TimeSeries
  std::vector<Rejection> rejections;  // per series (line = its 1-based index), or the request
  std::uint32_t series = 0;           // TimeSeries messages in the request
  // Set when the whole request is refused (bad_snappy, bad_protobuf, too_large): then `samples` is
  // empty and `rejections` holds one entry, line 0, samples 1.
  std::optional<RejectReason> request_error;
};

// Decodes a remote-write body (snappy raw block, not the framed format).
// Whole request: undecodable snappy -> bad_snappy; decompressed size over
// `max_decompressed_bytes` -> too_large; malformed protobuf (truncated field, length past its
// parent, varint over 10 bytes, field number 0, group or reserved wire types) -> bad_protobuf.
// Unknown fields are skipped, as libprotobuf does; so is a known field sent with another wire type.
// Per series (that series is refused, the others kept; `samples` = its sample count, at least 1):
//   invalid_labels: no or empty __name__, an empty label name, a name repeated, a name or value
//                   that is not UTF-8;
//   too_large:      a name or value over limits.max_label_value_bytes, or more than
//                   limits.max_labels labels after host/component are added;
//   invalid_field:  native histograms (not supported; counted, not stored).
// Labels: a label with an empty value is dropped (Prometheus treats it as absent). Unsorted labels
// are accepted and sorted: the identity is the sorted set either way, Prometheus always sends them
// sorted, and other senders (hand-written exporters, agents) are not always careful. Every label
// stays part of the identity; `host` (from `instance`) and `component` (from `job`) are added when
// absent, so DESIGN.md §3's roles work on Prometheus data. (So {instance="a"} and
// {instance="a",host="a"} become one series: the one exception to "labels are kept as sent".)
// Values are stored bit for bit, the staleness marker NaN (0x7ff0000000000002) included;
// timestamps are epoch ms as sent.
RemoteWriteBatch DecodeRemoteWrite(
    std::string_view body, const IngestLimits& limits,
    std::size_t max_decompressed_bytes = kDefaultMaxRemoteWriteBytes);

// The protobuf half of DecodeRemoteWrite, for an already decompressed WriteRequest (tests,
// fuzzing).
RemoteWriteBatch DecodeWriteRequest(std::string_view proto, const IngestLimits& limits);

}  // namespace prognos::ingest
