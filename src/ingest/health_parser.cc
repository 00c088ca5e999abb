#include "ingest/health_parser.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/time.h"

namespace prognos::ingest {
namespace {

using nlohmann::json;

// Besides core/labels.h's: the label a message's "kind" becomes, and the status series' name.
constexpr std::string_view kKindLabel = "kind";
constexpr std::string_view kStatusMetric = "status";

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
  });
}

// nlohmann's parse_error text is "[json.exception.parse_error.101] parse error at line 1, column
// 14: syntax error while parsing object - unexpected end of input; expected '}'". We keep the part
// after the position and say where it happened in bytes, which is what a sender can act on.
std::string ErrorDetail(std::string_view what, std::size_t byte) {
  std::size_t colon = what.find(": ");
  if (colon != std::string_view::npos) what.remove_prefix(colon + 2);
  std::string out(what);
  out += " at byte ";
  out += std::to_string(byte);
  return out;
}

// JSON has no NaN or Infinity literal, but a literal such as 1e999 overflows a double. nlohmann
// refuses the whole text then (out_of_range.406); we want to refuse that one value only, so the
// token is replaced by this string and the indicator check turns it into non_finite.
constexpr std::string_view kOverflowMarker("\0prognos:overflow", 17);
constexpr std::string_view kOverflowJson = R"("\u0000prognos:overflow")";
constexpr int kMaxOverflowPatches = 64;

bool IsOverflow(const json& j) {
  return j.is_string() && j.get_ref<const std::string&>() == kOverflowMarker;
}

// A string that the sender wrote as a string (not an overflowing number we replaced).
bool IsText(const json& j) { return j.is_string() && !IsOverflow(j); }

std::string_view TypeName(const json& j) { return IsOverflow(j) ? "number" : j.type_name(); }

// A SAX consumer that builds the DOM through nlohmann's own builder but reports errors as values:
// nothing is thrown, and the byte position and token of the first error are kept. The member
// names are the ones nlohmann's SAX interface requires. json_sax_dom_parser lives in nlohmann's
// detail namespace (stable in Debian 12's 3.11.2); it is what json::parse itself uses.
// NOLINTBEGIN(readability-identifier-naming)
class CapturingDom {
 public:
  explicit CapturingDom(json& root) : dom_(root, false) {}
  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const std::string& s) {
    return dom_.number_float(v, s);
  }
  bool string(std::string& s) { return dom_.string(s); }
  bool binary(json::binary_t& b) { return dom_.binary(b); }
  bool start_object(std::size_t n) { return dom_.start_object(n); }
  bool key(std::string& k) { return dom_.key(k); }
  bool end_object() { return dom_.end_object(); }
  bool start_array(std::size_t n) { return dom_.start_array(n); }
  bool end_array() { return dom_.end_array(); }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& ex) {
    error_id = ex.id;
    error_position = position;
    error_token = token;
    error_message = ErrorDetail(ex.what(), position);
    return false;
  }

  int error_id = 0;
  std::size_t error_position = 0;
  std::string error_token;
  std::string error_message;

 private:
  nlohmann::detail::json_sax_dom_parser<json> dom_;
};
// NOLINTEND(readability-identifier-naming)

// Parses one JSON text into *out. On failure returns false with a message such as "syntax error
// while parsing object - unexpected end of input; expected '}' at byte 14".
bool ParseJson(std::string_view text, json* out, std::string* error) {
  std::string patched;  // only used when a number overflows
  for (int attempt = 0; attempt <= kMaxOverflowPatches; ++attempt) {
    std::string_view input = attempt == 0 ? text : std::string_view(patched);
    *out = json();
    CapturingDom sax(*out);
    bool ok = false;
    try {
      ok = json::sax_parse(input.begin(), input.end(), &sax);
    } catch (const std::exception& e) {  // defensive: nothing from nlohmann leaves ingest
      *error = e.what();
      return false;
    }
    if (ok && sax.error_id == 0) return true;
    const std::size_t end = sax.error_position;
    const std::size_t len = sax.error_token.size();
    if (sax.error_id == 406 && len > 0 && end >= len && end <= input.size() &&
        input.substr(end - len, len) == sax.error_token && attempt < kMaxOverflowPatches) {
      std::string next;
      next.reserve(input.size() + kOverflowJson.size());
      next.append(input.substr(0, end - len));
      next.append(kOverflowJson);
      next.append(input.substr(end));
      patched = std::move(next);
      continue;
    }
    *error = sax.error_message.empty() ? std::string("invalid JSON") : sax.error_message;
    return false;
  }
  *error = "too many overflowing numbers";
  return false;
}

struct Builder {
  const IngestLimits& limits;
  ParsedBatch& batch;
  // Indicator names repeat in every message of a batch: normalise each distinct name once.
  std::unordered_map<std::string, std::string> metric_names = {};

  std::string MetricName(const std::string& raw) {
    auto it = metric_names.find(raw);
    if (it != metric_names.end()) return it->second;
    std::string metric = ToMetricName(raw);
    if (metric_names.size() < 4096) metric_names.emplace(raw, metric);
    return metric;
  }

  void Reject(std::uint32_t line, std::string indicator, RejectReason reason, std::string message,
              std::uint32_t samples = 1) {
    Rejection r;
    r.line = line;
    r.indicator = std::move(indicator);
    r.reason = reason;
    r.message = std::move(message);
    r.samples = std::max<std::uint32_t>(samples, 1);
    batch.rejections.push_back(std::move(r));
  }

  // A field that may be absent: nullptr when absent or null.
  static const json* OptionalField(const json& msg, std::string_view name) {
    auto it = msg.find(name);
    if (it == msg.end() || it->is_null()) return nullptr;
    return &*it;
  }

  // Message() guarded: nlohmann may throw on allocation or type surprises; none may escape.
  void SafeMessage(const json& msg, std::uint32_t line) {
    try {
      Message(msg, line);
    } catch (const std::exception& e) {
      Reject(line, "", RejectReason::kInvalidField, std::string("internal: ") + e.what());
    }
  }

  // Validates and converts one message object. `line` is 1-based.
  void Message(const json& msg, std::uint32_t line) {
    if (!msg.is_object()) {
      Reject(line, "", RejectReason::kBadJson,
             "message is a JSON " + std::string(TypeName(msg)) + ", not an object");
      return;
    }
    const json* indicators = OptionalField(msg, "indicators");
    std::uint32_t whole = 1;  // samples a whole-message rejection stands for
    if (indicators != nullptr && indicators->is_object() && !indicators->empty()) {
      whole = static_cast<std::uint32_t>(indicators->size());
    }

    // Presence first, so a sender learns every missing field at once.
    const json* ts = OptionalField(msg, "ts");
    const json* host = OptionalField(msg, "host");
    if (host == nullptr) host = OptionalField(msg, "instance");
    std::string missing;
    auto note_missing = [&missing](std::string_view what) {
      if (!missing.empty()) missing += ", ";
      missing += what;
    };
    if (ts == nullptr) note_missing("ts");
    if (host == nullptr) note_missing("host");
    if (indicators == nullptr) note_missing("indicators");
    if (!missing.empty()) {
      Reject(line, "", RejectReason::kMissingField, "missing field: " + missing, whole);
      return;
    }

    // Types and values of message-level fields.
    TimestampMs t = 0;
    if (ts->is_number()) {
      double v = ts->get<double>();
      if (!std::isfinite(v) || std::fabs(v) > 1e16) {
        Reject(line, "", RejectReason::kInvalidField, "ts out of range", whole);
        return;
      }
      t = EpochNumberToMs(v);
    } else if (IsText(*ts)) {
      auto parsed = ParseTimestamp(ts->get_ref<const std::string&>());
      if (!parsed) {
        Reject(line, "", RejectReason::kInvalidField, "ts: " + parsed.error().message, whole);
        return;
      }
      t = *parsed;
    } else {
      Reject(line, "", RejectReason::kInvalidField,
             "ts must be a string or a number, not " + std::string(TypeName(*ts)), whole);
      return;
    }
    if (!IsText(*host) || host->get_ref<const std::string&>().empty()) {
      Reject(line, "", RejectReason::kInvalidField,
             IsText(*host) ? "host is empty"
                           : "host must be a string, not " + std::string(TypeName(*host)),
             whole);
      return;
    }
    if (!indicators->is_object()) {
      Reject(line, "", RejectReason::kInvalidField,
             "indicators must be an object, not " + std::string(TypeName(*indicators)), whole);
      return;
    }
    const json* component = OptionalField(msg, "component");
    if (component == nullptr) component = OptionalField(msg, "job");
    const json* kind = OptionalField(msg, "kind");
    const json* labels = OptionalField(msg, "labels");
    const json* status = OptionalField(msg, "status");

    std::vector<Label> base;
    base.reserve(4 + (labels != nullptr && labels->is_object() ? labels->size() : 0));
    base.push_back({std::string(kHostLabel), host->get<std::string>()});
    for (auto [field, value] :
         {std::pair{kComponentLabel, component}, std::pair{kKindLabel, kind}}) {
      if (value == nullptr) continue;
      if (!IsText(*value)) {
        Reject(line, "", RejectReason::kInvalidField,
               std::string(field) + " must be a string, not " + std::string(TypeName(*value)),
               whole);
        return;
      }
      if (!value->get_ref<const std::string&>().empty()) {
        base.push_back({std::string(field), value->get<std::string>()});
      }
    }
    if (labels != nullptr) {
      if (!labels->is_object()) {
        Reject(line, "", RejectReason::kInvalidField,
               "labels must be an object, not " + std::string(TypeName(*labels)), whole);
        return;
      }
      for (const auto& [name, value] : labels->items()) {
        if (!IsText(value)) {
          Reject(line, "", RejectReason::kInvalidField,
                 "label '" + name + "' must be a string, not " + std::string(TypeName(value)),
                 whole);
          return;
        }
        if (name.empty() || name == kMetricNameLabel || name == kHostLabel ||
            name == kComponentLabel || name == kKindLabel) {
          Reject(line, "", RejectReason::kInvalidField,
                 name.empty() ? std::string("empty label name")
                              : "label '" + name + "' conflicts with the message field",
                 whole);
          return;
        }
        if (value.get_ref<const std::string&>().empty()) continue;  // Prometheus: empty = absent
        base.push_back({name, value.get<std::string>()});
      }
    }
    if (base.size() + 1 > limits.max_labels) {
      Reject(line, "", RejectReason::kTooLarge,
             std::to_string(base.size() + 1) + " labels, more than the limit of " +
                 std::to_string(limits.max_labels),
             whole);
      return;
    }
    for (const auto& l : base) {
      if (l.value.size() > limits.max_label_value_bytes) {
        Reject(line, "", RejectReason::kTooLarge,
               "label '" + l.name + "' value is " + std::to_string(l.value.size()) +
                   " bytes, more than the limit of " + std::to_string(limits.max_label_value_bytes),
               whole);
        return;
      }
    }
    std::sort(base.begin(), base.end(),
              [](const Label& a, const Label& b) { return a.name < b.name; });
    // "__name__" goes where it sorts; every sample of the message shares the rest.
    const auto name_pos = static_cast<std::size_t>(
        std::lower_bound(base.begin(), base.end(), kMetricNameLabel,
                         [](const Label& l, std::string_view n) { return l.name < n; }) -
        base.begin());
    base.insert(base.begin() + static_cast<std::ptrdiff_t>(name_pos),
                Label{std::string(kMetricNameLabel), ""});

    auto emit = [&](std::string metric, double v) {
      ParsedSample s;
      std::vector<Label> items = base;
      items[name_pos].value = std::move(metric);
      s.labels = Labels::FromSortedUnchecked(std::move(items));
      s.sample = Sample{t, v};
      s.line = line;
      batch.samples.push_back(std::move(s));
    };

    for (const auto& [raw_name, value] : indicators->items()) {
      std::string metric = MetricName(raw_name);
      if (metric.empty()) {
        Reject(line, raw_name, RejectReason::kInvalidField,
               "indicator name '" + raw_name + "' has no usable characters");
        continue;
      }
      if (metric.size() > limits.max_label_value_bytes) {
        Reject(line, raw_name.substr(0, 64), RejectReason::kTooLarge,
               "indicator name is " + std::to_string(metric.size()) +
                   " bytes, more than the limit of " +
                   std::to_string(limits.max_label_value_bytes));
        continue;
      }
      if (limits.strict_indicators && !limits.known_indicators.contains(raw_name) &&
          !limits.known_indicators.contains(metric)) {
        Reject(line, raw_name, RejectReason::kUnknownIndicator,
               "indicator '" + raw_name + "' is not configured");
        continue;
      }
      if (IsOverflow(value)) {
        Reject(line, raw_name, RejectReason::kNonFinite, "value overflows a double (infinite)");
        continue;
      }
      if (!value.is_number()) {
        Reject(line, raw_name, RejectReason::kInvalidField,
               "value must be a number, not " + std::string(TypeName(value)));
        continue;
      }
      double v = value.get<double>();
      if (!std::isfinite(v)) {
        // JSON has no NaN literal; this is an overflowing literal such as 1e999.
        Reject(line, raw_name, RejectReason::kNonFinite,
               std::isnan(v) ? "value is NaN" : "value is infinite");
        continue;
      }
      emit(std::move(metric), v);
    }

    if (status != nullptr) {
      double code = -1;
      if (IsText(*status)) {
        const auto& s = status->get_ref<const std::string&>();
        if (s == "ok")
          code = 0;
        else if (s == "warning")
          code = 1;
        else if (s == "fail")
          code = 2;
      }
      if (code < 0) {
        Reject(line, std::string(kStatusMetric), RejectReason::kInvalidField,
               IsText(*status) ? "status '" + status->get<std::string>().substr(0, 64) +
                                     "' is not ok, warning or fail"
                               : "status must be a string, not " + std::string(TypeName(*status)));
      } else {
        emit(std::string(kStatusMetric), code);
      }
    }
  }
};

void ParseArray(std::string_view body, Builder& b) {
  json doc;
  std::string error;
  if (!ParseJson(body, &doc, &error)) {
    b.batch.messages = 1;
    b.Reject(1, "", RejectReason::kBadJson, std::move(error));
    return;
  }
  if (!doc.is_array()) {
    b.batch.messages = 1;
    b.Reject(1, "", RejectReason::kBadJson, "body is not a JSON array");
    return;
  }
  std::uint32_t index = 0;
  for (const auto& element : doc) {
    ++index;
    ++b.batch.messages;
    b.SafeMessage(element, index);
  }
}

void ParseLines(std::string_view body, Builder& b) {
  std::uint32_t line_no = 0;
  std::size_t pos = 0;
  json msg;
  std::string error;
  while (pos <= body.size()) {
    std::size_t nl = body.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? body.size() : nl;
    std::string_view line = body.substr(pos, end - pos);
    ++line_no;
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!IsBlank(line)) {
      ++b.batch.messages;
      if (line.size() > b.limits.max_line_bytes) {
        b.Reject(line_no, "", RejectReason::kTooLarge,
                 "line is " + std::to_string(line.size()) + " bytes, more than the limit of " +
                     std::to_string(b.limits.max_line_bytes));
      } else if (!ParseJson(line, &msg, &error)) {
        b.Reject(line_no, "", RejectReason::kBadJson, std::move(error));
      } else {
        b.SafeMessage(msg, line_no);
      }
    }
    if (nl == std::string_view::npos) break;
  }
}

}  // namespace

ParsedBatch ParseHealthBody(std::string_view body, const IngestLimits& limits) {
  ParsedBatch batch;
  Builder b{limits, batch};
  std::size_t first = body.find_first_not_of(" \t\r\n\f\v");
  if (first == std::string_view::npos) return batch;
  if (body[first] == '[') {
    ParseArray(body, b);
  } else {
    ParseLines(body, b);
  }
  return batch;
}

}  // namespace prognos::ingest
