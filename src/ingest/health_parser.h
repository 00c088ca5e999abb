// Parses a POST /v1/health body (JSON lines, or one JSON array of messages) into labelled samples,
// validating each message and each indicator; bad lines are rejected with a reason, the rest kept.
// Stateless and thread-safe (pure function of its inputs).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/labels.h"
#include "core/reject.h"
#include "core/sample.h"

namespace prognos::ingest {

struct IngestLimits {
  std::size_t max_line_bytes = 1 << 20;  // a longer line is rejected as too_large
  std::size_t max_labels = 32;           // per series, including __name__, host, component
  std::size_t max_label_value_bytes = 2048;
  bool strict_indicators = false;  // reject indicators not in known_indicators
  std::set<std::string, std::less<>> known_indicators;
};

struct ParsedSample {
  Labels labels;  // {__name__=<indicator>, host, [component], [kind], + message "labels"}
  Sample sample;
  std::uint32_t line = 0;  // 1-based line (or array element) number
};

struct Rejection {
  std::uint32_t line = 0;  // 1-based
  std::string indicator;   // empty when the whole message was rejected
  RejectReason reason = RejectReason::kBadJson;
  std::string message;        // human-readable detail ("expected '}' at byte 14")
  std::uint32_t samples = 1;  // how many samples this rejection stands for (>= 1)
};

struct ParsedBatch {
  std::vector<ParsedSample> samples;
  std::vector<Rejection> rejections;
  std::uint32_t messages = 0;  // non-blank lines / array elements seen
};

// DESIGN.md §3. Message fields: ts (RFC 3339 string, or epoch s/ms number or numeric string),
// host (or instance), component (or job; optional), kind (optional, becomes label "kind"),
// status (optional: ok|warning|fail -> series __name__="status", value 0/1/2), indicators (object
// of name -> number; names are normalised with ToMetricName), labels (optional object of string
// values). Non-finite values: that indicator only is rejected (non_finite): JSON has no NaN
// literal, but a literal such as 1e999 overflows. Blank lines are skipped. A body whose first
// non-blank byte is
// '[' is one JSON array (max_line_bytes does not apply to its elements; the body limit does).
// Rejections: bad_json (with the parser's "… at byte N"), missing_field (ts / host and instance /
// indicators, all listed), invalid_field (wrong types, unparsable ts, empty host, a label named
// like a role field, an indicator value that is not a number, an unknown status), too_large,
// unknown_indicator (strict_indicators; matched by raw or normalised name). A whole-message
// rejection stands for as many samples as the message has indicators (at least 1).
// Empty label values are dropped, as in Prometheus. A message's samples come out in indicator-name
// order (then status); a repeated JSON key keeps its last value.
ParsedBatch ParseHealthBody(std::string_view body, const IngestLimits& limits);

}  // namespace prognos::ingest
