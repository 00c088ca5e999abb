// Why a sample or message was refused (DESIGN.md §3). Counted in /metrics by name.
#pragma once

#include <string_view>

namespace prognos {

enum class RejectReason {
  kBadJson,            // the line is not valid JSON / not an object
  kMissingField,       // ts, host or indicators absent
  kInvalidField,       // a field has the wrong type or an unparsable value (e.g. ts "yesterday")
  kNonFinite,          // NaN or ±Inf value in a JSON health message (that sample only)
  kOutOfOrder,         // older than the series' newest sample, within max_age
  kTooOld,             // older than the series' newest sample minus max_age
  kDuplicateTimestamp, // same series and time as a stored sample, other value
  kTooFarInFuture,     // ahead of the wall clock by more than future_tolerance (serve only)
  kUnknownIndicator,   // strict_indicators and the indicator is not configured
  kTooLarge,           // line over max_line_bytes, too many labels, label too long
  kBadSnappy,
  kBadProtobuf,
  kInvalidLabels,      // remote-write: missing __name__, duplicate or empty label names
};

inline constexpr int kRejectReasonCount = 13;

inline std::string_view RejectReasonName(RejectReason r) {
  switch (r) {
    case RejectReason::kBadJson: return "bad_json";
    case RejectReason::kMissingField: return "missing_field";
    case RejectReason::kInvalidField: return "invalid_field";
    case RejectReason::kNonFinite: return "non_finite";
    case RejectReason::kOutOfOrder: return "out_of_order";
    case RejectReason::kTooOld: return "too_old";
    case RejectReason::kDuplicateTimestamp: return "duplicate_timestamp";
    case RejectReason::kTooFarInFuture: return "too_far_in_future";
    case RejectReason::kUnknownIndicator: return "unknown_indicator";
    case RejectReason::kTooLarge: return "too_large";
    case RejectReason::kBadSnappy: return "bad_snappy";
    case RejectReason::kBadProtobuf: return "bad_protobuf";
    case RejectReason::kInvalidLabels: return "invalid_labels";
  }
  return "unknown";
}

}  // namespace prognos
