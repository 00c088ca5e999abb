// prognos configuration: YAML parsing (yaml-cpp, whose exceptions stop here), schema walk, and
// validation that collects every problem with its file:line, YAML path and a fix hint.
#include "daemon/config.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "core/labels.h"
#include "policy/policy_yaml.h"
#include "policy/yaml_keys.h"

namespace prognos::daemon {

std::string ConfigIssue::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  if (!hint.empty()) out += " (hint: " + hint + ")";
  return out;
}

Config DefaultConfig() {
  Config config;
  config.source = "<defaults>";
  return config;
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Shortest round-trip form of a double ("0.8", "1e+09", "95").
std::string FormatNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.15g", v);
  return buf;
}

// A value quoted for a message, cut to keep one issue on one line.
std::string Quote(std::string_view v) {
  constexpr std::size_t kMax = 40;
  std::string out = "'";
  if (v.size() > kMax) {
    out += std::string(v.substr(0, kMax)) + "…";
  } else {
    out += std::string(v);
  }
  return out + "'";
}

// Optimal-string-alignment distance: Levenshtein plus adjacent transpositions ("fsnyc" -> "fsync"
// is 1), so common typos stay within the suggestion threshold.
std::size_t EditDistance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1, 0));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// The closest candidate within a length-dependent distance (1 for short words, up to 3), or "".
std::string ClosestMatch(std::string_view word, const std::vector<std::string_view>& candidates) {
  const std::string w = Lower(word);
  const std::size_t limit = w.size() <= 3 ? 1 : (w.size() <= 6 ? 2 : 3);
  std::string best;
  std::size_t best_distance = limit + 1;
  for (std::string_view c : candidates) {
    const std::size_t dist = EditDistance(w, c);
    if (dist < best_distance) {
      best_distance = dist;
      best = std::string(c);
    }
  }
  return best;
}

std::string JoinQuoted(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::string(words[i]);
  }
  return out;
}

// Every key of every section: used to point a key written in the wrong section to its home.
struct SectionKeys {
  std::string_view section;
  std::vector<std::string_view> keys;
};

const std::vector<SectionKeys>& AllSectionKeys() {
  static const std::vector<SectionKeys> all_sections = {
      {"",
       {"ingest", "store", "api", "signals", "indicators", "actuators", "telemetry", "policy",
        "tiers", "zones", "hosts", "pools", "workloads", "customers", "models", "notify",
        "alerts"}},
      {"alerts",
       {"enter_after", "exit_after", "keep_firing_for", "hysteresis", "baseline_half_life",
        "warmup", "trend_lookahead", "criticality_discount", "floor", "sigma", "absolute"}},
      {"floor", {"info", "warning", "critical"}},
      {"sigma", {"info", "warning", "critical"}},
      {"absolute", {"warning", "critical"}},
      {"actuators", {"backend", "tick", "audit_fsync", "webhook", "kubernetes"}},
      {"webhook", {"url", "auth_token_env", "timeout", "ca_file", "insecure_skip_verify"}},
      {"kubernetes",
       {"api_url", "token_env", "token_file", "ca_file", "insecure_skip_verify", "namespace",
        "timeout"}},
      {"models", {"failure_model", "retrain", "lstm_model"}},
      {"retrain",
       {"enabled", "cadence", "min_new_rows", "min_new_positives", "holdout_fraction", "row_every",
        "keep", "max_rows"}},
      {"notify", {"alertmanager"}},
      {"alertmanager", {"url", "resend_interval", "auth_token_env", "runbook_url"}},
      {"telemetry", {"workload_label", "usage"}},
      {"usage", {"cpu", "memory", "network", "disk_io"}},
      {"ingest",
       {"max_age", "future_tolerance", "max_body_bytes", "max_line_bytes", "max_labels",
        "strict_indicators"}},
      {"store",
       {"data_dir", "fsync", "fsync_interval", "retention", "wal_segment_bytes", "block_samples",
        "block_age", "checkpoint_wal_bytes"}},
      {"api", {"listen", "threads", "read_timeout", "auth_tokens_env"}},
      {"signals",
       {"entropy_window", "entropy_window_duration", "season", "forecast_horizon", "forecast_level",
        "refit_every"}},
      {"indicators",
       {"name", "description", "unit", "range", "entropy_bins", "weight", "direction", "warning",
        "critical"}},
      {"range", {"min", "max"}},
  };
  return all_sections;
}

const std::vector<std::string_view>& KeysOf(std::string_view section) {
  for (const auto& s : AllSectionKeys()) {
    if (s.section == section) return s.keys;
  }
  static const std::vector<std::string_view> none;
  return none;
}

bool IsSecretLike(std::string_view key) {
  static constexpr std::array<std::string_view, 10> kSecretWords = {
      "token",  "tokens",  "auth_token", "auth_tokens",  "password",
      "secret", "api_key", "apikey",     "bearer_token", "bearer"};
  const std::string k = Lower(key);
  return std::find(kSecretWords.begin(), kSecretWords.end(), k) != kSecretWords.end();
}

bool IsPlannedSection(std::string_view key) {
  static constexpr std::array<std::string_view, 1> kPlanned = {"components"};
  return std::find(kPlanned.begin(), kPlanned.end(), key) != kPlanned.end();
}

// Hint for a key that `section` does not know.
std::string UnknownKeyHint(std::string_view section, std::string_view key) {
  if (IsSecretLike(key)) {
    return "secrets are never written in the config: put each token in an environment variable "
           "and list the variable's name under api.auth_tokens_env";
  }
  if (key == "<<") return "YAML merge keys (<<) are not supported; write the keys out";
  if (section.empty() && IsPlannedSection(key)) {
    return "the '" + std::string(key) +
           "' section (DESIGN.md §4) is not supported by this version of prognos; remove it";
  }
  const auto& own = KeysOf(section);
  const std::string lower = Lower(key);
  if (lower != key && std::find(own.begin(), own.end(), lower) != own.end()) {
    return "keys are lower-case: did you mean '" + lower + "'?";
  }
  if (section == "signals" && lower.starts_with("entropy_window_")) {
    return "did you mean 'entropy_window_duration'? e.g. entropy_window_duration: 10m "
           "(entropy_window counts samples)";
  }
  // "read_timeout_ms", "retention_s": durations and sizes carry their unit in the value.
  for (std::string_view suffix : {"_ms", "_s", "_sec", "_seconds", "_secs"}) {
    if (lower.size() > suffix.size() && lower.ends_with(suffix)) {
      const std::string base = lower.substr(0, lower.size() - suffix.size());
      if (std::find(own.begin(), own.end(), base) != own.end()) {
        std::string hint = "did you mean '" + base;
        hint += "'? durations take their unit in the value, e.g. ";
        hint += base;
        hint += ": 30s";
        return hint;
      }
    }
  }
  if (section == "indicators" && (lower == "min" || lower == "max")) {
    return "did you mean range." + lower + "? e.g. range: {min: 0, max: 1}";
  }
  if (section == "indicators" && lower == "bins") return "did you mean 'entropy_bins'?";
  if (section == "absolute" && lower == "info") {
    return "info has no absolute level (it is purely relative to the host's baseline); known keys "
           "of 'absolute': 'warning', 'critical'";
  }
  std::string near = ClosestMatch(key, own);
  if (!near.empty()) return "did you mean '" + near + "'?";
  for (const auto& other : AllSectionKeys()) {
    if (other.section == section || other.section == "range") continue;
    if (std::find(other.keys.begin(), other.keys.end(), lower) != other.keys.end()) {
      if (other.section.empty()) {
        return "'" + lower + "' is a top-level section, not a key of '" + std::string(section) +
               "': check the indentation";
      }
      return "'" + lower + "' belongs in '" + std::string(other.section) + "', not in '" +
             (section.empty() ? std::string("the top level") : std::string(section)) + "'";
    }
  }
  return "known keys" + (section.empty() ? std::string() : " of '" + std::string(section) + "'") +
         ": " + JoinQuoted(own);
}

int LineOf(const YAML::Node& node) { return policy::YamlLine(node); }

// One key of a mapping being checked.
struct Field {
  std::string path;  // "ingest.max_age"
  std::string key;   // "max_age"
  int line = 0;      // of the key
  YAML::Node value;
};

struct KeyHandler {
  std::string_view key;
  std::function<void(const Field&)> handle;
};

// Walks the YAML tree against the schema, filling `config` and collecting issues.
class ConfigWalker {
 public:
  ConfigWalker(std::string file, std::vector<ConfigIssue>* issues)
      : file_(std::move(file)), issues_(issues) {}

  void Issue(int line, std::string path, std::string message, std::string hint) {
    issues_->push_back(
        ConfigIssue{file_, line, std::move(path), std::move(message), std::move(hint)});
  }

  void WalkRoot(const YAML::Node& root, Config* config) {
    config_ = config;
    if (root.IsNull()) return;  // an empty file (or only comments): the defaults
    if (!root.IsMap()) {
      Issue(LineOf(root), "", "the top level must be a mapping of sections",
            "start with one of: " + JoinQuoted(KeysOf("")) + ", e.g. 'ingest:'");
      return;
    }
    WalkMap(
        root, "", "",
        {
            {"ingest",
             [this](const Field& f) {
               WalkSection(f, [this](const YAML::Node& n, const Field& s) { WalkIngest(n, s); });
             }},
            {"store",
             [this](const Field& f) {
               WalkSection(f, [this](const YAML::Node& n, const Field& s) { WalkStore(n, s); });
             }},
            {"api",
             [this](const Field& f) {
               WalkSection(f, [this](const YAML::Node& n, const Field& s) { WalkApi(n, s); });
             }},
            {"signals",
             [this](const Field& f) {
               WalkSection(f, [this](const YAML::Node& n, const Field& s) { WalkSignals(n, s); });
             }},
            {"indicators", [this](const Field& f) { WalkIndicators(f); }},
            {"actuators",
             [this](const Field& f) {
               WalkSection(f, [this](const YAML::Node& n, const Field& s) { WalkActuators(n, s); });
             }},
            {"telemetry",
             [this](const Field& f) {
               WalkSection(f, [this](const YAML::Node& n, const Field& s) { WalkTelemetry(n, s); });
             }},
            {"models",
             [this](const Field& f) {
               WalkSection(f, [this](const YAML::Node& n, const Field& s) { WalkModels(n, s); });
             }},
            {"notify",
             [this](const Field& f) {
               WalkSection(f, [this](const YAML::Node& n, const Field& s) {
                 WalkMap(n, s.path, "notify",
                         {{"alertmanager", [this](const Field& a) {
                             WalkSection(a, [this](const YAML::Node& an, const Field& as) {
                               WalkAlertmanager(an, as);
                             });
                           }}});
               });
             }},
            {"alerts",
             [this](const Field& f) {
               WalkSection(f, [this](const YAML::Node& n, const Field& s) { WalkAlerts(n, s); });
             }},
            {"policy", [this](const Field& f) { policy_doc_[f.key] = f.value; }},
            {"tiers", [this](const Field& f) { policy_doc_[f.key] = f.value; }},
            {"zones", [this](const Field& f) { policy_doc_[f.key] = f.value; }},
            {"hosts", [this](const Field& f) { policy_doc_[f.key] = f.value; }},
            {"pools", [this](const Field& f) { policy_doc_[f.key] = f.value; }},
            {"workloads", [this](const Field& f) { policy_doc_[f.key] = f.value; }},
            {"customers", [this](const Field& f) { policy_doc_[f.key] = f.value; }},
        });
    WalkPolicy();
    CrossChecks();
  }

 private:
  // Walks a mapping: duplicate keys and unknown keys are issues, known keys go to their handler.
  // `section` names the schema used for hints ("" = top level).
  void WalkMap(const YAML::Node& node, const std::string& path, std::string_view section,
               const std::vector<KeyHandler>& handlers) {
    policy::ForEachYamlKey(
        node, path,
        [this](int line, const std::string& p, std::string message, std::string hint) {
          Issue(line, p, std::move(message), std::move(hint));
        },
        [&](const std::string& key, const std::string& field_path, int line,
            const YAML::Node& value) {
          auto handler = std::find_if(handlers.begin(), handlers.end(),
                                      [&](const KeyHandler& h) { return h.key == key; });
          if (handler == handlers.end()) {
            std::string message = "unknown key '" + key;
            if (section.empty()) {
              message += "' at the top level";
            } else {
              message += "' in '";
              message += path;
              message += '\'';
            }
            Issue(line, field_path, std::move(message), UnknownKeyHint(section, key));
            return;
          }
          handler->handle(Field{field_path, key, line, value});
        });
  }

  // A section's value: a mapping, or empty (all defaults).
  void WalkSection(const Field& f,
                   const std::function<void(const YAML::Node&, const Field&)>& walk) {
    if (f.value.IsNull()) return;
    if (!f.value.IsMap()) {
      Issue(f.line, f.path, "expected a mapping of settings, got " + Describe(f.value),
            "indent the settings under '" + f.key + ":', e.g. '  " +
                std::string(KeysOf(f.key).front()) + ": …'");
      return;
    }
    walk(f.value, f);
  }

  static std::string Describe(const YAML::Node& n) {
    if (n.IsSequence()) return "a list";
    if (n.IsMap()) return "a mapping";
    if (n.IsNull()) return "nothing";
    return Quote(n.Scalar());
  }

  // The scalar text of a field, or nullopt after an issue. `want` names the type ("an integer").
  std::optional<std::string> ScalarOf(const Field& f, std::string_view want,
                                      std::string_view example) {
    if (f.value.IsScalar()) return f.value.Scalar();
    if (f.value.IsNull()) {
      Issue(f.line, f.path, "has no value",
            "give " + std::string(want) + " (e.g. " + f.key + ": " + std::string(example) +
                ") or remove the line to keep the default");
    } else {
      Issue(f.line, f.path, "expected " + std::string(want) + ", got " + Describe(f.value),
            "e.g. " + f.key + ": " + std::string(example));
    }
    return std::nullopt;
  }

  // A quoted scalar ("5") is a string in YAML: numbers and booleans must be written plain.
  static bool IsQuoted(const YAML::Node& n) { return n.Tag() == "!"; }

  std::optional<std::int64_t> Int(const Field& f, std::int64_t lo, std::int64_t hi,
                                  std::int64_t def) {
    auto text = ScalarOf(f, "an integer", std::to_string(def));
    if (!text) return std::nullopt;
    std::string_view s = Trim(*text);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (IsQuoted(f.value) || s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
      Issue(f.line, f.path, "expected an integer, got " + Quote(*text),
            std::string(IsQuoted(f.value) ? "remove the quotes; " : "") + "an integer in " +
                std::to_string(lo) + ".." + std::to_string(hi) + "; default " +
                std::to_string(def));
      return std::nullopt;
    }
    if (v < lo || v > hi) {
      Issue(f.line, f.path,
            "value " + std::to_string(v) + " is out of range " + std::to_string(lo) + ".." +
                std::to_string(hi),
            "use " + std::to_string(lo) + ".." + std::to_string(hi) + "; default " +
                std::to_string(def));
      return std::nullopt;
    }
    return v;
  }

  // A finite number; `range_text` describes the allowed range for messages ("0.5..0.999").
  std::optional<double> Number(const Field& f, std::string_view example) {
    auto text = ScalarOf(f, "a number", example);
    if (!text) return std::nullopt;
    std::string_view s = Trim(*text);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    const bool parsed = !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
    if (IsQuoted(f.value) || !parsed) {
      Issue(f.line, f.path, "expected a number, got " + Quote(*text),
            std::string(IsQuoted(f.value) ? "remove the quotes, " : "") + "e.g. " + f.key + ": " +
                std::string(example));
      return std::nullopt;
    }
    if (!std::isfinite(v)) {
      Issue(f.line, f.path, "must be a finite number, got " + Quote(*text),
            "e.g. " + f.key + ": " + std::string(example));
      return std::nullopt;
    }
    return v;
  }

  // A number that may also be left empty (~ or no value) to mean "not set".
  std::optional<std::optional<double>> OptionalNumber(const Field& f, std::string_view example) {
    if (f.value.IsNull()) return std::optional<double>();
    auto v = Number(f, example);
    if (!v) return std::nullopt;
    return std::optional<double>(*v);
  }

  std::optional<bool> Bool(const Field& f, bool def) {
    auto text = ScalarOf(f, "true or false", def ? "true" : "false");
    if (!text) return std::nullopt;
    const std::string s = Lower(Trim(*text));
    if (!IsQuoted(f.value)) {
      if (s == "true" || s == "yes" || s == "on") return true;
      if (s == "false" || s == "no" || s == "off") return false;
    }
    Issue(f.line, f.path, "expected true or false, got " + Quote(*text),
          std::string(IsQuoted(f.value) ? "remove the quotes; " : "") + "default " +
              (def ? "true" : "false"));
    return std::nullopt;
  }

  std::optional<DurationMs> Duration(const Field& f, DurationMs lo, DurationMs hi, DurationMs def) {
    auto text = ScalarOf(f, "a duration", FormatDuration(def));
    if (!text) return std::nullopt;
    auto d = ParseDuration(*text);
    if (!d) {
      Issue(f.line, f.path, "expected a duration, got " + Quote(*text) + ": " + d.error().message,
            "a number with a unit: 500ms, 30s, 10m, 1h, 7d, 2w; default " + FormatDuration(def));
      return std::nullopt;
    }
    if (*d < lo || *d > hi) {
      Issue(f.line, f.path,
            "duration " + FormatDuration(*d) + " is out of range " + FormatDuration(lo) + ".." +
                FormatDuration(hi),
            "default " + FormatDuration(def));
      return std::nullopt;
    }
    return *d;
  }

  std::optional<std::uint64_t> Size(const Field& f, std::uint64_t lo, std::uint64_t hi,
                                    std::uint64_t def) {
    auto text = ScalarOf(f, "a size", FormatByteSize(def));
    if (!text) return std::nullopt;
    auto v = ParseByteSize(*text);
    if (!v) {
      Issue(f.line, f.path, "expected a size, got " + Quote(*text) + ": " + v.error().message,
            "bytes, or a number with a unit: 64MiB, 512KiB, 1MB, 1GiB; default " +
                FormatByteSize(def));
      return std::nullopt;
    }
    if (*v < lo || *v > hi) {
      Issue(f.line, f.path,
            "size " + FormatByteSize(*v) + " is out of range " + FormatByteSize(lo) + ".." +
                FormatByteSize(hi),
            "default " + FormatByteSize(def));
      return std::nullopt;
    }
    return *v;
  }

  std::optional<std::string> String(const Field& f, std::string_view example, bool allow_empty) {
    auto text = ScalarOf(f, "a string", example);
    if (!text) return std::nullopt;
    if (!allow_empty && Trim(*text).empty()) {
      Issue(f.line, f.path, "must not be empty", "e.g. " + f.key + ": " + std::string(example));
      return std::nullopt;
    }
    return *text;
  }

  template <typename E>
  std::optional<E> Enum(const Field& f, const std::vector<std::pair<std::string_view, E>>& values,
                        std::string_view def) {
    std::vector<std::string_view> names;
    names.reserve(values.size());
    for (const auto& [name, value] : values) names.push_back(name);
    auto text = ScalarOf(f, "one of " + JoinQuoted(names), def);
    if (!text) return std::nullopt;
    const std::string s = Lower(Trim(*text));
    for (const auto& [name, value] : values) {
      if (s == name) return value;
    }
    std::string hint = "one of: " + JoinQuoted(names) + "; default " + std::string(def);
    const std::string near = ClosestMatch(s, names);
    if (!near.empty()) hint = "did you mean '" + near + "'? " + hint;
    Issue(f.line, f.path, "unknown value " + Quote(*text), hint);
    return std::nullopt;
  }

  template <typename T, typename V>
  static void Set(T* out, const std::optional<V>& v) {
    if (v) *out = static_cast<T>(*v);
  }

  // The policy and inventory sections go to the policy parser as one document (its issues keep
  // this file's line numbers: the nodes are the file's own).
  void WalkPolicy() {
    if (policy_doc_.size() == 0) return;
    policy::PolicyDocument doc;
    for (const auto& issue : policy::CheckPolicyYaml(policy_doc_, file_, &doc)) {
      Issue(issue.line, issue.path, issue.message, issue.hint);
    }
    config_->control.policy = std::move(doc.spec);
    config_->control.inventory = std::move(doc.inventory);
    config_->control.has_policy = true;
  }

  // alerts: the adaptive tiers (predict::AlertTierConfig; docs/alerts.md "Tiers").
  void WalkAlerts(const YAML::Node& node, const Field& section) {
    predict::AlertTierConfig& c = config_->control.alert_tiers;
    const predict::AlertTierConfig d;
    auto fraction = [&](const Field& f, double* out, std::string_view example) {
      auto v = Number(f, example);
      if (!v) return;
      if (*v < 0.0 || *v > 1.0) {
        Issue(f.line, f.path, "must be in 0..1, got " + Quote(f.value.Scalar()),
              "e.g. " + f.key + ": " + std::string(example));
        return;
      }
      *out = *v;
    };
    auto count = [&](const Field& f, std::size_t* out, std::int64_t lo, std::int64_t hi) {
      auto v = Int(f, lo, hi, static_cast<std::int64_t>(*out));
      if (v) *out = static_cast<std::size_t>(*v);
    };
    auto per_tier = [&](const Field& f, std::array<double, 3>* out, std::size_t first,
                        bool is_sigma) {
      std::vector<KeyHandler> keys;
      static constexpr std::array<std::string_view, 3> kNames = {"info", "warning", "critical"};
      for (std::size_t i = first; i < 3; ++i) {
        keys.push_back({kNames[i], [&, i](const Field& t) {
                          if (is_sigma) {
                            auto v = Number(t, "3");
                            if (v && *v < 0.0) {
                              Issue(t.line, t.path, "must be 0 or more", "e.g. warning: 3");
                            } else if (v) {
                              (*out)[i] = *v;
                            }
                          } else {
                            fraction(t, &(*out)[i], "0.5");
                          }
                        }});
      }
      WalkSection(f, [&](const YAML::Node& n, const Field& s) {
        WalkMap(n, s.path, f.key, keys);
      });
    };
    WalkMap(node, section.path, "alerts",
            {
                {"enter_after", [&](const Field& f) { count(f, &c.enter_updates, 1, 1000); }},
                {"exit_after", [&](const Field& f) { count(f, &c.exit_updates, 1, 1000); }},
                {"warmup", [&](const Field& f) { count(f, &c.warmup_updates, 0, 1'000'000); }},
                {"keep_firing_for",
                 [&](const Field& f) {
                   Set(&c.exit_hold_ms, Duration(f, 0, 7 * kDayMs, d.exit_hold_ms));
                 }},
                {"baseline_half_life",
                 [&](const Field& f) {
                   Set(&c.baseline_half_life_ms,
                       Duration(f, kMinuteMs, 365 * kDayMs, d.baseline_half_life_ms));
                 }},
                {"trend_lookahead",
                 [&](const Field& f) {
                   auto v = Duration(f, 0, 7 * kDayMs, kHourMs);
                   if (v)
                     c.trend_lookahead_h = static_cast<double>(*v) / static_cast<double>(kHourMs);
                 }},
                {"hysteresis", [&](const Field& f) { fraction(f, &c.hysteresis, "0.2"); }},
                {"criticality_discount",
                 [&](const Field& f) { fraction(f, &c.criticality_discount, "0.5"); }},
                {"floor", [&](const Field& f) { per_tier(f, &c.floor, 0, false); }},
                {"sigma", [&](const Field& f) { per_tier(f, &c.k_sigma, 0, true); }},
                {"absolute", [&](const Field& f) { per_tier(f, &c.absolute, 1, false); }},
            });
    if (!(c.floor[0] <= c.floor[1] && c.floor[1] <= c.floor[2])) {
      Issue(section.line, section.path + ".floor",
            "floors must not decrease from info to warning to critical",
            "e.g. floor: {info: 0.05, warning: 0.2, critical: 0.5}");
    }
  }

  void WalkModels(const YAML::Node& node, const Field& section) {
    WalkMap(node, section.path, "models",
            {{"failure_model",
              [this](const Field& m) {
                Set(&config_->control.failure_model, String(m, "models/disk.model", false));
              }},
             {"lstm_model",
              [this](const Field& m) {
                Set(&config_->control.lstm_model, String(m, "models/cpu.lstm", false));
              }},
             {"retrain", [this](const Field& f) {
                WalkSection(f, [this](const YAML::Node& n, const Field& s) { WalkRetrain(n, s); });
              }}});
  }

  void WalkRetrain(const YAML::Node& node, const Field& section) {
    RetrainConfig& c = config_->control.retrain;
    const RetrainConfig d;
    auto count = [&](const Field& f, std::size_t* out, std::int64_t lo, std::int64_t hi) {
      auto v = Int(f, lo, hi, static_cast<std::int64_t>(*out));
      if (v) *out = static_cast<std::size_t>(*v);
    };
    WalkMap(node, section.path, "retrain",
            {{"enabled", [&](const Field& f) { Set(&c.enabled, Bool(f, d.enabled)); }},
             {"cadence",
              [&](const Field& f) {
                Set(&c.cadence_ms, Duration(f, kMinuteMs, 365 * kDayMs, d.cadence_ms));
              }},
             {"min_new_rows", [&](const Field& f) { count(f, &c.min_new_rows, 1, 100'000'000); }},
             {"min_new_positives",
              [&](const Field& f) { count(f, &c.min_new_positives, 0, 1'000'000); }},
             {"holdout_fraction",
              [&](const Field& f) {
                auto v = Number(f, "0.2");
                if (v && (*v <= 0.0 || *v >= 1.0)) {
                  Issue(f.line, f.path, "must be between 0 and 1 (exclusive), got " +
                                            Quote(f.value.Scalar()), "e.g. holdout_fraction: 0.2");
                } else if (v) {
                  c.holdout_fraction = *v;
                }
              }},
             {"row_every",
              [&](const Field& f) {
                Set(&c.row_every_ms, Duration(f, kSecondMs, 30 * kDayMs, d.row_every_ms));
              }},
             {"keep",
              [&](const Field& f) { Set(&c.keep_ms, Duration(f, kHourMs, 3650 * kDayMs, d.keep_ms)); }},
             {"max_rows", [&](const Field& f) { count(f, &c.max_rows, 100, 100'000'000); }}});
  }

  void WalkAlertmanager(const YAML::Node& node, const Field& section) {
    NotifyConfig& c = config_->notify;
    const NotifyConfig d;
    WalkMap(node, section.path, "alertmanager",
            {
                {"url",
                 [&](const Field& f) {
                   Set(&c.alertmanager_url, String(f, "http://127.0.0.1:9093", false));
                   if (!c.alertmanager_url.starts_with("http://") &&
                       !c.alertmanager_url.starts_with("https://")) {
                     Issue(f.line, f.path, "not an http(s) URL: '" + c.alertmanager_url + "'",
                           "e.g. http://127.0.0.1:9093 (the /api/v2/alerts path is added)");
                   }
                 }},
                {"resend_interval",
                 [&](const Field& f) {
                   Set(&c.resend_interval_ms, Duration(f, kSecondMs, kDayMs, d.resend_interval_ms));
                 }},
                {"auth_token_env",
                 [&](const Field& f) {
                   Set(&c.auth_token_env, String(f, "ALERTMANAGER_TOKEN", false));
                 }},
                {"runbook_url",
                 [&](const Field& f) {
                   Set(&c.runbook_url, String(f, "https://wiki/runbooks/prognos", false));
                 }},
            });
  }

  void WalkActuators(const YAML::Node& node, const Field& section) {
    ControlConfig& c = config_->control;
    const ControlConfig d;
    WalkMap(
        node, section.path, "actuators",
        {
            {"backend",
             [&](const Field& f) {
               backend_line_ = f.line;
               Set(&c.backend, Enum<std::string>(f,
                                                 {{"dry-run", std::string("dry-run")},
                                                  {"webhook", std::string("webhook")},
                                                  {"kubernetes", std::string("kubernetes")}},
                                                 "dry-run"));
             }},
            {"tick",
             [&](const Field& f) { Set(&c.tick_ms, Duration(f, kSecondMs, kDayMs, d.tick_ms)); }},
            {"audit_fsync", [&](const Field& f) { Set(&c.audit_fsync, Bool(f, d.audit_fsync)); }},
            {"webhook",
             [&](const Field& f) {
               WalkSection(f, [&](const YAML::Node& n, const Field& s) { WalkWebhook(n, s); });
             }},
            {"kubernetes",
             [&](const Field& f) {
               WalkSection(f, [&](const YAML::Node& n, const Field& s) { WalkKubernetes(n, s); });
             }},
        });
    if (c.backend == "webhook" && c.webhook.url.empty()) {
      Issue(backend_line_, section.path + ".backend", "backend webhook needs actuators.webhook.url",
            "add 'webhook: {url: https://deploy-bot.internal/prognos}' under actuators");
    }
  }

  // An http(s) URL, or an issue.
  void Url(const Field& f, std::string* out, std::string_view example) {
    auto v = String(f, example, false);
    if (!v) return;
    if (!v->starts_with("http://") && !v->starts_with("https://")) {
      Issue(f.line, f.path, "not an http(s) URL: '" + *v + "'", "e.g. " + std::string(example));
      return;
    }
    *out = *v;
  }

  void WalkWebhook(const YAML::Node& node, const Field& section) {
    WebhookActuatorConfig& c = config_->control.webhook;
    const WebhookActuatorConfig d;
    WalkMap(
        node, section.path, "webhook",
        {
            {"url", [&](const Field& f) { Url(f, &c.url, "https://deploy-bot.internal/prognos"); }},
            {"auth_token_env",
             [&](const Field& f) {
               Set(&c.auth_token_env, String(f, "PROGNOS_WEBHOOK_TOKEN", false));
             }},
            {"timeout",
             [&](const Field& f) {
               Set(&c.timeout_ms, Duration(f, 100, 5 * kMinuteMs, d.timeout_ms));
             }},
            {"ca_file",
             [&](const Field& f) { Set(&c.ca_file, String(f, "/etc/ssl/ca.pem", false)); }},
            {"insecure_skip_verify",
             [&](const Field& f) { Set(&c.insecure_skip_verify, Bool(f, false)); }},
        });
  }

  void WalkKubernetes(const YAML::Node& node, const Field& section) {
    KubernetesActuatorConfig& c = config_->control.kubernetes;
    const KubernetesActuatorConfig d;
    WalkMap(
        node, section.path, "kubernetes",
        {
            {"api_url", [&](const Field& f) { Url(f, &c.api_url, "https://10.96.0.1:443"); }},
            {"token_env",
             [&](const Field& f) { Set(&c.token_env, String(f, "KUBE_TOKEN", false)); }},
            {"token_file",
             [&](const Field& f) {
               Set(&c.token_file,
                   String(f, "/var/run/secrets/kubernetes.io/serviceaccount/token", false));
             }},
            {"ca_file",
             [&](const Field& f) { Set(&c.ca_file, String(f, "/etc/kubernetes/ca.crt", false)); }},
            {"insecure_skip_verify",
             [&](const Field& f) { Set(&c.insecure_skip_verify, Bool(f, false)); }},
            {"namespace",
             [&](const Field& f) { Set(&c.default_namespace, String(f, "default", false)); }},
            {"timeout",
             [&](const Field& f) {
               Set(&c.timeout_ms, Duration(f, 100, 5 * kMinuteMs, d.timeout_ms));
             }},
        });
    if (!c.token_env.empty() && !c.token_file.empty()) {
      Issue(section.line, section.path, "token_env and token_file are both set",
            "give the token one way: an environment variable or a file");
    }
  }

  void WalkTelemetry(const YAML::Node& node, const Field& section) {
    ControlConfig& c = config_->control;
    const ControlConfig d;
    WalkMap(node, section.path, "telemetry",
            {
                {"workload_label",
                 [&](const Field& f) { Set(&c.workload_label, String(f, "component", false)); }},
                {"usage",
                 [&](const Field& f) {
                   WalkSection(f, [&](const YAML::Node& n, const Field& s) {
                     std::vector<KeyHandler> handlers;
                     for (std::size_t r = 0; r < policy::kResourceCount; ++r) {
                       handlers.push_back({policy::ResourceName(static_cast<policy::Resource>(r)),
                                           [&c, r, this](const Field& u) {
                                             Set(&c.usage[r], String(u, "cpu_cores", false));
                                           }});
                     }
                     WalkMap(n, s.path, "usage", handlers);
                   });
                 }},
            });
  }

  void WalkIngest(const YAML::Node& node, const Field& section) {
    IngestConfig& c = config_->ingest;
    const IngestConfig d;
    WalkMap(node, section.path, "ingest",
            {
                {"max_age",
                 [&](const Field& f) {
                   Set(&c.max_age_ms, Duration(f, kSecondMs, 3650 * kDayMs, d.max_age_ms));
                 }},
                {"future_tolerance",
                 [&](const Field& f) {
                   Set(&c.future_tolerance_ms, Duration(f, 0, 7 * kDayMs, d.future_tolerance_ms));
                 }},
                {"max_body_bytes",
                 [&](const Field& f) {
                   max_body_line_ = f.line;
                   Set(&c.max_body_bytes, Size(f, 1ull << 10, 4ull << 30, d.max_body_bytes));
                 }},
                {"max_line_bytes",
                 [&](const Field& f) {
                   max_line_line_ = f.line;
                   Set(&c.max_line_bytes, Size(f, 64, 1ull << 30, d.max_line_bytes));
                 }},
                {"max_labels",
                 [&](const Field& f) { Set(&c.max_labels, Int(f, 3, 1000, d.max_labels)); }},
                {"strict_indicators",
                 [&](const Field& f) {
                   strict_line_ = f.line;
                   Set(&c.strict_indicators, Bool(f, d.strict_indicators));
                 }},
            });
  }

  void WalkStore(const YAML::Node& node, const Field& section) {
    StoreConfig& c = config_->store;
    const StoreConfig d;
    WalkMap(
        node, section.path, "store",
        {
            {"data_dir", [&](const Field& f) { Set(&c.data_dir, String(f, d.data_dir, false)); }},
            {"fsync",
             [&](const Field& f) {
               Set(&c.fsync, Enum<FsyncMode>(f,
                                             {{"always", FsyncMode::kAlways},
                                              {"interval", FsyncMode::kInterval},
                                              {"never", FsyncMode::kNever}},
                                             "always"));
             }},
            {"fsync_interval",
             [&](const Field& f) {
               Set(&c.fsync_interval_ms, Duration(f, 1, kHourMs, d.fsync_interval_ms));
             }},
            {"retention",
             [&](const Field& f) {
               Set(&c.retention_ms, Duration(f, kHourMs, 36500 * kDayMs, d.retention_ms));
             }},
            {"wal_segment_bytes",
             [&](const Field& f) {
               Set(&c.wal_segment_bytes, Size(f, 1ull << 20, 4ull << 30, d.wal_segment_bytes));
             }},
            {"block_samples",
             [&](const Field& f) {
               Set(&c.block_samples, Int(f, 16, 1 << 20, d.block_samples));
             }},
            {"block_age",
             [&](const Field& f) {
               Set(&c.block_age_ms, Duration(f, 60'000, 365 * kDayMs, d.block_age_ms));
             }},
            {"checkpoint_wal_bytes",
             [&](const Field& f) {
               Set(&c.checkpoint_wal_bytes,
                   Size(f, 1ull << 20, 64ull << 30, d.checkpoint_wal_bytes));
             }},
        });
  }

  void WalkApi(const YAML::Node& node, const Field& section) {
    ApiConfig& c = config_->api;
    const ApiConfig d;
    WalkMap(node, section.path, "api",
            {
                {"listen",
                 [&](const Field& f) {
                   auto s = String(f, d.listen, false);
                   if (s && CheckListen(f, *s)) c.listen = *s;
                 }},
                {"threads", [&](const Field& f) { Set(&c.threads, Int(f, 1, 256, d.threads)); }},
                {"read_timeout",
                 [&](const Field& f) {
                   Set(&c.read_timeout_ms, Duration(f, kSecondMs, kHourMs, d.read_timeout_ms));
                 }},
                {"auth_tokens_env", [&](const Field& f) { WalkAuthTokensEnv(f); }},
            });
  }

  // host:port, [v6]:port or :port (all interfaces); port 0..65535 (0 = any free port).
  bool CheckListen(const Field& f, const std::string& listen) {
    const std::string hint = "host:port, e.g. 127.0.0.1:8470, 0.0.0.0:8470 or [::1]:8470";
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
      Issue(f.line, f.path, "listen address " + Quote(listen) + " is not host:port", hint);
      return false;
    }
    const std::string host = listen.substr(0, colon);
    const std::string port = listen.substr(colon + 1);
    bool host_ok = true;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      for (char ch : host.substr(1, host.size() - 2)) {
        host_ok = host_ok && (std::isxdigit(static_cast<unsigned char>(ch)) || ch == ':' ||
                              ch == '.' || ch == '%');
      }
    } else {
      for (char ch : host) {
        host_ok = host_ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' ||
                              ch == '-' || ch == '_');
      }
    }
    if (!host_ok) {
      const bool bare_v6 = host.find(':') != std::string::npos && host.front() != '[';
      Issue(f.line, f.path, "listen address " + Quote(listen) + " has a bad host part",
            bare_v6 ? "write IPv6 addresses in brackets, e.g. [::1]:8470" : hint);
      return false;
    }
    bool port_ok = !port.empty() && port.size() <= 5;
    long value = 0;
    for (char ch : port) {
      port_ok = port_ok && std::isdigit(static_cast<unsigned char>(ch));
      if (port_ok) value = value * 10 + (ch - '0');
    }
    if (!port_ok || value > 65535) {
      Issue(f.line, f.path,
            "listen address " + Quote(listen) + " is not host:port (port must be 0..65535)", hint);
      return false;
    }
    return true;
  }

  void WalkAuthTokensEnv(const Field& f) {
    const std::string hint =
        "list the NAMES of environment variables that hold the tokens, e.g. "
        "auth_tokens_env: [PROGNOS_API_TOKEN]; never the tokens themselves";
    if (f.value.IsNull()) return;  // no auth
    if (!f.value.IsSequence()) {
      Issue(f.line, f.path,
            "expected a list of environment variable names, got " +
                std::string(f.value.IsMap() ? "a mapping" : "a single value"),
            hint);
      return;
    }
    std::vector<std::string> names;
    std::set<std::string> seen;
    int index = 0;
    for (const YAML::Node& item : f.value) {
      const std::string item_path = f.path + "[" + std::to_string(index++) + "]";
      const int line = item.IsNull() ? f.line : LineOf(item);
      if (!item.IsScalar()) {
        Issue(line, item_path, "expected an environment variable name, got " + Describe(item),
              hint);
        continue;
      }
      const std::string& name = item.Scalar();
      bool ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
      for (char ch : name) ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
      if (!ok) {
        // The value is not echoed: it may be a token pasted by mistake, and issues end up in logs.
        Issue(line, item_path,
              "not an environment variable name (value not shown: it may be a secret)", hint);
        continue;
      }
      if (!seen.insert(name).second) {
        Issue(line, item_path, "environment variable " + name + " is listed twice",
              "remove the duplicate");
        continue;
      }
      names.push_back(name);
    }
    config_->api.auth_tokens_env = std::move(names);
  }

  void WalkSignals(const YAML::Node& node, const Field& section) {
    SignalsConfig& c = config_->signals;
    const SignalsConfig d;
    WalkMap(
        node, section.path, "signals",
        {
            {"entropy_window",
             [&](const Field& f) { Set(&c.entropy_window, Int(f, 4, 100000, d.entropy_window)); }},
            {"entropy_window_duration",
             [&](const Field& f) {
               auto v = Duration(f, 0, 30 * kDayMs, d.entropy_window_ms);
               if (v && *v > 0 && *v < kSecondMs) {
                 Issue(f.line, f.path, "duration " + FormatDuration(*v) + " is shorter than 1s",
                       "0 (count-based window, the default) or at least 1s");
                 return;
               }
               Set(&c.entropy_window_ms, v);
             }},
            {"season",
             [&](const Field& f) {
               auto v = Int(f, 0, 100000, d.season);
               if (v && *v == 1) {
                 Issue(
                     f.line, f.path, "a season of 1 sample is no season",
                     "0 = detect automatically, or the period in samples (288 = a day at 5-minute "
                     "steps)");
                 return;
               }
               Set(&c.season, v);
             }},
            {"forecast_horizon",
             [&](const Field& f) {
               Set(&c.forecast_horizon, Int(f, 1, 100000, d.forecast_horizon));
             }},
            {"forecast_level",
             [&](const Field& f) {
               auto v = Number(f, "0.8");
               if (v && (*v < 0.5 || *v > 0.999)) {
                 std::string hint = "a fraction from 0.5 to 0.999; default 0.8";
                 if (*v >= 50 && *v < 100)
                   hint = "the level is a fraction: did you mean " + FormatNumber(*v / 100) + "?";
                 Issue(f.line, f.path, "value " + FormatNumber(*v) + " is out of range", hint);
                 return;
               }
               Set(&c.forecast_level, v);
             }},
            {"refit_every",
             [&](const Field& f) { Set(&c.refit_every, Int(f, 1, 10000000, d.refit_every)); }},
        });
  }

  // Lines of an indicator's fields, for the checks that relate two of them.
  struct IndicatorLines {
    int entry = 0;
    int name = 0;
    int min = 0;
    int max = 0;
    int warning = 0;
    int critical = 0;
  };

  void WalkIndicators(const Field& f) {
    if (f.value.IsNull()) return;
    if (f.value.IsSequence()) {
      int index = 0;
      for (const YAML::Node& item : f.value) {
        const std::string path = f.path + "[" + std::to_string(index++) + "]";
        if (!item.IsMap()) {
          Issue(item.IsNull() ? f.line : LineOf(item), path,
                "expected an indicator (a mapping with a name), got " + Describe(item),
                "e.g. '- name: cpu_util' followed by its settings");
          continue;
        }
        WalkIndicator(item, path, LineOf(item), std::nullopt);
      }
      return;
    }
    if (f.value.IsMap()) {
      std::map<std::string, int> seen;
      for (auto it = f.value.begin(); it != f.value.end(); ++it) {
        const int line = LineOf(it->first);
        if (!it->first.IsScalar()) {
          Issue(line, f.path, "an indicator name must be a plain word", "e.g. 'cpu_util:'");
          continue;
        }
        const std::string name = it->first.Scalar();
        const std::string path = f.path + "." + name;
        auto [first, inserted] = seen.emplace(name, line);
        if (!inserted) {
          Issue(
              line, path,
              "duplicate key '" + name + "' (first at line " + std::to_string(first->second) + ")",
              "remove one of them; YAML readers silently keep only one");
          continue;
        }
        if (!it->second.IsNull() && !it->second.IsMap()) {
          Issue(line, path,
                "expected the indicator's settings (a mapping), got " + Describe(it->second),
                "e.g. '" + name + ": {range: {min: 0, max: 1}, unit: ratio}'");
          continue;
        }
        WalkIndicator(it->second, path, line, std::make_pair(name, line));
      }
      return;
    }
    Issue(f.line, f.path, "expected a list or a mapping of indicators, got " + Describe(f.value),
          "e.g. 'indicators:' then '  - name: cpu_util' or '  cpu_util: {unit: ratio}'");
  }

  // One indicator. `keyed_name` is set in the map form (the key names it).
  void WalkIndicator(const YAML::Node& node, const std::string& path, int entry_line,
                     const std::optional<std::pair<std::string, int>>& keyed_name) {
    IndicatorConfig ind;
    IndicatorLines lines;
    lines.entry = entry_line;
    std::optional<std::string> raw_name;
    if (keyed_name) {
      raw_name = keyed_name->first;
      lines.name = keyed_name->second;
    }
    bool ok = true;
    auto fail_if_null = [&](const auto& v) {
      if (!v) ok = false;
    };
    if (node.IsMap()) {
      WalkMap(
          node, path, "indicators",
          {
              {"name",
               [&](const Field& f) {
                 auto s = String(f, "cpu_util", false);
                 fail_if_null(s);
                 if (!s) return;
                 if (keyed_name && ToMetricName(*s) != ToMetricName(keyed_name->first)) {
                   Issue(f.line, f.path,
                         "name " + Quote(*s) + " differs from the key " + Quote(keyed_name->first),
                         "in the mapping form the key is the name: remove 'name:'");
                   ok = false;
                   return;
                 }
                 raw_name = *s;
                 lines.name = f.line;
               }},
              {"description",
               [&](const Field& f) { Set(&ind.description, String(f, "CPU utilisation", true)); }},
              {"unit", [&](const Field& f) { Set(&ind.unit, String(f, "ratio", true)); }},
              {"range", [&](const Field& f) { ok = WalkRange(f, &ind, &lines) && ok; }},
              {"entropy_bins",
               [&](const Field& f) {
                 auto v = Int(f, 2, 64, 10);
                 fail_if_null(v);
                 Set(&ind.entropy_bins, v);
               }},
              {"weight",
               [&](const Field& f) {
                 auto v = Number(f, "1.0");
                 if (v && *v < 0) {
                   Issue(f.line, f.path, "weight " + FormatNumber(*v) + " is negative",
                         "weights are >= 0, default 1; 0 leaves the indicator out of the host's "
                         "composite score");
                   v.reset();
                 }
                 fail_if_null(v);
                 Set(&ind.weight, v);
               }},
              {"direction",
               [&](const Field& f) {
                 auto v = Enum<Direction>(f,
                                          {{"higher_is_worse", Direction::kHigherIsWorse},
                                           {"lower_is_worse", Direction::kLowerIsWorse},
                                           {"both", Direction::kBoth}},
                                          "higher_is_worse");
                 fail_if_null(v);
                 Set(&ind.direction, v);
               }},
              {"warning",
               [&](const Field& f) {
                 auto v = OptionalNumber(f, "0.8");
                 fail_if_null(v);
                 if (v) ind.warning = *v;
                 lines.warning = f.line;
               }},
              {"critical",
               [&](const Field& f) {
                 auto v = OptionalNumber(f, "0.95");
                 fail_if_null(v);
                 if (v) ind.critical = *v;
                 lines.critical = f.line;
               }},
          });
    }
    if (!raw_name) {
      Issue(entry_line, path, "indicator has no name", "add 'name: cpu_util' (or similar)");
      return;
    }
    ind.name = ToMetricName(*raw_name);
    if (ind.name.empty()) {
      Issue(lines.name, path, "indicator name " + Quote(*raw_name) + " has no usable characters",
            "use letters, digits and '_', e.g. cpu_util");
      return;
    }
    auto [first, inserted] = indicator_lines_.emplace(ind.name, lines.name);
    if (!inserted) {
      const std::string same =
          *raw_name == ind.name ? "" : " (" + Quote(*raw_name) + " normalises to it)";
      Issue(lines.name, path,
            "duplicate indicator '" + ind.name + "'" + same + ", first defined at line " +
                std::to_string(first->second),
            "merge the two definitions or rename one");
      return;
    }
    ok = CheckIndicator(ind, lines, path) && ok;
    if (ok) config_->indicators.push_back(std::move(ind));
  }

  // range: {min: 0, max: 1} or [0, 1]; either bound may be left out (~) for a one-sided range.
  bool WalkRange(const Field& f, IndicatorConfig* ind, IndicatorLines* lines) {
    if (f.value.IsNull()) return true;
    bool ok = true;
    if (f.value.IsMap()) {
      WalkMap(f.value, f.path, "range",
              {
                  {"min",
                   [&](const Field& m) {
                     auto v = OptionalNumber(m, "0");
                     if (!v) ok = false;
                     if (v) ind->min = *v;
                     lines->min = m.line;
                   }},
                  {"max",
                   [&](const Field& m) {
                     auto v = OptionalNumber(m, "1");
                     if (!v) ok = false;
                     if (v) ind->max = *v;
                     lines->max = m.line;
                   }},
              });
      return ok;
    }
    if (f.value.IsSequence() && f.value.size() == 2) {
      const YAML::Node lo = f.value[0];
      const YAML::Node hi = f.value[1];
      auto min = OptionalNumber(Field{f.path + ".min", "min", f.line, lo}, "0");
      auto max = OptionalNumber(Field{f.path + ".max", "max", f.line, hi}, "1");
      if (min) ind->min = *min;
      if (max) ind->max = *max;
      lines->min = lines->max = f.line;
      return min && max;
    }
    Issue(f.line, f.path, "expected {min: …, max: …} or [min, max], got " + Describe(f.value),
          "e.g. range: {min: 0, max: 1}");
    return false;
  }

  // Checks relating several fields of one indicator.
  bool CheckIndicator(const IndicatorConfig& ind, const IndicatorLines& lines,
                      const std::string& path) {
    bool ok = true;
    if (ind.min && ind.max && *ind.min >= *ind.max) {
      Issue(lines.max, path + ".range",
            "range.min (" + FormatNumber(*ind.min) + ") must be less than range.max (" +
                FormatNumber(*ind.max) + ")",
            "swap them, or widen the range");
      ok = false;
    }
    if (ind.direction == Direction::kBoth) {
      // For `both`, warning and critical are distances from the expected value.
      for (const auto& [value, name, line] :
           {std::tuple{ind.warning, "warning", lines.warning},
            std::tuple{ind.critical, "critical", lines.critical}}) {
        if (value && *value < 0) {
          Issue(line, path + "." + name,
                std::string(name) + " " + FormatNumber(*value) + " is negative",
                "with direction 'both', warning and critical are distances from the expected "
                "value, so >= 0");
          ok = false;
        }
      }
    } else if (ok && ind.min && ind.max) {
      for (const auto& [value, name, line] :
           {std::tuple{ind.warning, "warning", lines.warning},
            std::tuple{ind.critical, "critical", lines.critical}}) {
        if (value && (*value < *ind.min || *value > *ind.max)) {
          Issue(line, path + "." + name,
                std::string(name) + " " + FormatNumber(*value) + " lies outside range [" +
                    FormatNumber(*ind.min) + ", " + FormatNumber(*ind.max) + "]",
                "a limit must be reachable: move it inside the range or widen the range");
          ok = false;
        }
      }
    }
    if (ind.warning && ind.critical) {
      const double w = *ind.warning;
      const double c = *ind.critical;
      if (ind.direction == Direction::kLowerIsWorse && !(w > c)) {
        Issue(lines.critical, path + ".critical",
              "critical (" + FormatNumber(c) + ") must be below warning (" + FormatNumber(w) +
                  ") when direction is lower_is_worse",
              "lower values are worse, so the critical limit comes after the warning one on the "
              "way down; swap them or set direction: higher_is_worse");
        ok = false;
      } else if (ind.direction != Direction::kLowerIsWorse && !(w < c)) {
        const std::string dir = ind.direction == Direction::kBoth ? "both" : "higher_is_worse";
        Issue(lines.critical, path + ".critical",
              "critical (" + FormatNumber(c) + ") must be above warning (" + FormatNumber(w) +
                  ") when direction is " + dir,
              ind.direction == Direction::kBoth
                  ? "with 'both' the limits are distances from the expected value: critical > "
                    "warning"
                  : "higher values are worse, so critical > warning; swap them or set "
                    "direction: lower_is_worse");
        ok = false;
      }
    }
    return ok;
  }

  // Checks that relate sections.
  void CrossChecks() {
    const IngestConfig& in = config_->ingest;
    if (max_line_line_ > 0 && in.max_line_bytes > in.max_body_bytes) {
      Issue(max_line_line_, "ingest.max_line_bytes",
            "max_line_bytes (" + FormatByteSize(in.max_line_bytes) +
                ") is larger than max_body_bytes (" + FormatByteSize(in.max_body_bytes) + ")",
            "a line is part of a body, so max_line_bytes <= max_body_bytes");
    } else if (max_body_line_ > 0 && in.max_line_bytes > in.max_body_bytes) {
      Issue(max_body_line_, "ingest.max_body_bytes",
            "max_body_bytes (" + FormatByteSize(in.max_body_bytes) +
                ") is smaller than max_line_bytes (" + FormatByteSize(in.max_line_bytes) + ")",
            "a line is part of a body, so max_line_bytes <= max_body_bytes");
    }
    if (in.strict_indicators && indicator_lines_.empty()) {
      Issue(strict_line_, "ingest.strict_indicators",
            "strict_indicators is true but no indicators are configured: every sample would be "
            "rejected as unknown_indicator",
            "list the accepted indicators under 'indicators:', or set strict_indicators: false");
    }
  }

  std::string file_;
  std::vector<ConfigIssue>* issues_;
  Config* config_ = nullptr;
  YAML::Node policy_doc_{YAML::NodeType::Map};  // the policy sections, handed to the policy parser
  int max_body_line_ = 0;
  int backend_line_ = 0;
  int max_line_line_ = 0;
  int strict_line_ = 0;
  std::map<std::string, int> indicator_lines_;  // normalised name -> line
};

// A hint for yaml-cpp's terse syntax messages.
std::string SyntaxHint(const std::string& msg) {
  if (msg.find("illegal map value") != std::string::npos) {
    return "check the indentation of this line against the one above; a value that contains "
           "': ' must be quoted";
  }
  if (msg.find("end of map not found") != std::string::npos) {
    return "this line is indented less than the mapping it belongs to, or more than its parent "
           "allows: align it with its siblings";
  }
  if (msg.find("end of") != std::string::npos && msg.find("flow") != std::string::npos) {
    return "a [list] or {mapping} opened here is not closed";
  }
  if (msg.find("anchor") != std::string::npos) return "define the &anchor before using *alias";
  if (msg.find("cannot start any token") != std::string::npos) {
    return "YAML does not allow tabs for indentation; use spaces";
  }
  if (msg.find("quote") != std::string::npos || msg.find("scalar") != std::string::npos) {
    return "check the quotes on this line";
  }
  return "fix the YAML syntax; only the first syntax error is reported";
}

// The documents of a YAML stream, found with yaml-cpp's event parser before building any node.
// yaml-cpp 0.7 never consumes a stray ',' at the start of a document: its LoadAll then "parses" an
// empty document at the same position forever, allocating until the process dies, and Load returns
// an empty document for ",\na: 1" (jbeder/yaml-cpp#1040, fixed upstream by #1319, after 0.7). A
// document that starts where the previous one did is that case: report it instead of looping.
struct DocumentScan {
  std::vector<YAML::Mark> starts;
  std::optional<YAML::Mark> stuck_at;
};

class DocumentStartRecorder : public YAML::EventHandler {
 public:
  explicit DocumentStartRecorder(std::vector<YAML::Mark>* starts) : starts_(starts) {}
  void OnDocumentStart(const YAML::Mark& mark) override { starts_->push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnAlias(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnScalar(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                const std::string& /*value*/) override {}
  void OnSequenceStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {}
  void OnMapEnd() override {}

 private:
  std::vector<YAML::Mark>* starts_;
};

// Throws what yaml-cpp throws (syntax errors); the caller catches.
DocumentScan ScanDocuments(const std::string& text) {
  DocumentScan scan;
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentStartRecorder recorder(&scan.starts);
  constexpr std::size_t kMaxDocuments = 1000;  // a safety net; the stuck check ends the loop first
  while (scan.starts.size() < kMaxDocuments && parser.HandleNextDocument(recorder)) {
    const std::size_t n = scan.starts.size();
    if (n >= 2 && scan.starts[n - 1].pos == scan.starts[n - 2].pos) {
      scan.stuck_at = scan.starts[n - 1];
      scan.starts.pop_back();
      break;
    }
  }
  return scan;
}

}  // namespace

Result<Config> LoadConfigText(const std::string& text, const std::string& name,
                              std::vector<ConfigIssue>* issues) {
  std::vector<ConfigIssue> local;
  if (issues == nullptr) issues = &local;
  const std::size_t before = issues->size();
  Config config = DefaultConfig();
  config.source = name;
  ConfigWalker walker(name, issues);
  try {
    const DocumentScan scan = ScanDocuments(text);
    if (scan.stuck_at) {
      const YAML::Mark& m = *scan.stuck_at;
      const std::size_t pos = m.pos < 0 ? 0 : static_cast<std::size_t>(m.pos);
      const std::string token = pos < text.size() ? std::string(1, text[pos]) : "end of file";
      walker.Issue(
          m.line < 0 ? 0 : m.line + 1, "", "YAML syntax error: unexpected '" + token + "'",
          "a ',' or closing bracket belongs inside [ ] or { }; quote a value that holds one");
    } else {
      if (scan.starts.size() > 1) {
        walker.Issue(scan.starts[1].line + 1, "",
                     "the file holds " + std::to_string(scan.starts.size()) +
                         " YAML documents; prognos reads exactly one",
                     "remove the '---' separator and merge the documents");
      }
      if (!scan.starts.empty()) walker.WalkRoot(YAML::Load(text), &config);
    }
  } catch (const YAML::ParserException& e) {
    const int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    walker.Issue(line, "", "YAML syntax error: " + e.msg, SyntaxHint(e.msg));
  } catch (const YAML::Exception& e) {
    walker.Issue(e.mark.line < 0 ? 0 : e.mark.line + 1, "", std::string("YAML error: ") + e.what(),
                 "fix the YAML");
  } catch (const std::exception& e) {
    walker.Issue(0, "", std::string("cannot read the config: ") + e.what(), "");
  }
  // Checks that relate fields run after the walk: order the issues as they appear in the file.
  std::stable_sort(issues->begin() + static_cast<std::ptrdiff_t>(before), issues->end(),
                   [](const ConfigIssue& a, const ConfigIssue& b) { return a.line < b.line; });
  const std::size_t found = issues->size() - before;
  if (found > 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     name + ": " + std::to_string(found) + (found == 1 ? " problem" : " problems"));
  }
  return config;
}

Result<Config> LoadConfigFile(const std::string& path, std::vector<ConfigIssue>* issues) {
  auto fail = [&](const std::string& why) -> Result<Config> {
    if (issues != nullptr) {
      issues->push_back(ConfigIssue{path, 0, "", "cannot read the config file: " + why,
                                    "check the path and its permissions"});
    }
    return MakeError(ErrorCode::kIo, path + ": cannot read: " + why);
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fail("it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::strerror(errno));
  // Bounded: `check-config /dev/zero` must not read forever.
  constexpr std::size_t kMaxConfigBytes = 16u << 20;
  std::string text;
  std::array<char, std::size_t{64} << 10> chunk{};
  while (in && text.size() <= kMaxConfigBytes) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return fail(std::strerror(errno));
  if (text.size() > kMaxConfigBytes) return fail("larger than 16MiB; is it really a config file?");
  return LoadConfigText(text, path, issues);
}

Result<std::uint64_t> ParseByteSize(std::string_view text) {
  std::string_view s = Trim(text);
  if (s.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty size");
  if (s.front() == '-') return MakeError(ErrorCode::kInvalidArgument, "a size cannot be negative");
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return MakeError(ErrorCode::kInvalidArgument, "a size must start with a number");
  const std::string_view number = s.substr(0, i);
  const std::string unit = Lower(Trim(s.substr(i)));
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 14> kUnits = {{
      {"", 1},
      {"b", 1},
      {"kb", 1000ull},
      {"mb", 1000ull * 1000},
      {"gb", 1000ull * 1000 * 1000},
      {"tb", 1000ull * 1000 * 1000 * 1000},
      {"kib", 1ull << 10},
      {"ki", 1ull << 10},
      {"mib", 1ull << 20},
      {"mi", 1ull << 20},
      {"gib", 1ull << 30},
      {"gi", 1ull << 30},
      {"tib", 1ull << 40},
      {"ti", 1ull << 40},
  }};
  auto u =
      std::find_if(kUnits.begin(), kUnits.end(), [&](const auto& p) { return p.first == unit; });
  if (u == kUnits.end()) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "unknown size unit '" + unit + "' (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)");
  }
  const std::uint64_t scale = u->second;
  if (number.find('.') == std::string_view::npos) {
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
    if (ec != std::errc() || ptr != number.data() + number.size() ||
        v > std::numeric_limits<std::uint64_t>::max() / scale) {
      return MakeError(ErrorCode::kInvalidArgument, "size is too large");
    }
    return v * scale;
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (ec != std::errc() || ptr != number.data() + number.size()) {
    return MakeError(ErrorCode::kInvalidArgument, "bad number '" + std::string(number) + "'");
  }
  const double bytes = std::round(v * static_cast<double>(scale));
  // 2^64 is exactly representable; anything at or above it does not fit.
  if (bytes >= 18446744073709551616.0) {
    return MakeError(ErrorCode::kInvalidArgument, "size is too large");
  }
  return static_cast<std::uint64_t>(bytes);
}

std::string FormatByteSize(std::uint64_t bytes) {
  if (bytes == 0) return "0B";
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 8> kUnits = {
      {{"TiB", 1ull << 40},
       {"GiB", 1ull << 30},
       {"MiB", 1ull << 20},
       {"KiB", 1ull << 10},
       {"TB", 1000ull * 1000 * 1000 * 1000},
       {"GB", 1000ull * 1000 * 1000},
       {"MB", 1000ull * 1000},
       {"KB", 1000ull}}};
  for (const auto& [unit, scale] : kUnits) {
    if (bytes % scale == 0) return std::to_string(bytes / scale) + std::string(unit);
  }
  return std::to_string(bytes) + "B";
}

std::string FormatDuration(DurationMs duration) {
  if (duration == 0) return "0s";
  const std::string sign = duration < 0 ? "-" : "";
  const DurationMs d = duration < 0 ? -duration : duration;
  static constexpr std::array<std::pair<std::string_view, DurationMs>, 4> kUnits = {
      {{"d", kDayMs}, {"h", kHourMs}, {"m", kMinuteMs}, {"s", kSecondMs}}};
  for (const auto& [unit, scale] : kUnits) {
    if (d % scale == 0) return sign + std::to_string(d / scale) + std::string(unit);
  }
  return sign + std::to_string(d) + "ms";
}

std::string DescribeConfig(const Config& c) {
  auto fsync_name = [](FsyncMode m) {
    switch (m) {
      case FsyncMode::kAlways:
        return "always";
      case FsyncMode::kInterval:
        return "interval";
      case FsyncMode::kNever:
        return "never";
    }
    return "?";
  };
  auto direction_name = [](Direction d) {
    switch (d) {
      case Direction::kHigherIsWorse:
        return "higher_is_worse";
      case Direction::kLowerIsWorse:
        return "lower_is_worse";
      case Direction::kBoth:
        return "both";
    }
    return "?";
  };
  std::ostringstream out;
  out << "ingest:     max_age " << FormatDuration(c.ingest.max_age_ms) << ", future_tolerance "
      << FormatDuration(c.ingest.future_tolerance_ms) << ", max_body_bytes "
      << FormatByteSize(c.ingest.max_body_bytes) << ", max_line_bytes "
      << FormatByteSize(c.ingest.max_line_bytes) << ", max_labels " << c.ingest.max_labels
      << ", strict_indicators " << (c.ingest.strict_indicators ? "true" : "false") << "\n";
  out << "store:      data_dir " << c.store.data_dir << ", fsync " << fsync_name(c.store.fsync);
  if (c.store.fsync == FsyncMode::kInterval) {
    out << " every " << FormatDuration(c.store.fsync_interval_ms);
  }
  out << ", retention " << FormatDuration(c.store.retention_ms) << ", wal_segment_bytes "
      << FormatByteSize(c.store.wal_segment_bytes) << "\n";
  out << "api:        listen " << c.api.listen << ", " << c.api.threads << " threads, read_timeout "
      << FormatDuration(c.api.read_timeout_ms) << ", auth ";
  if (c.api.auth_tokens_env.empty()) {
    out << "off";
  } else {
    out << "tokens from";
    for (const auto& env : c.api.auth_tokens_env) out << " $" << env;
  }
  out << "\n";
  out << "signals:    entropy_window ";
  if (c.signals.entropy_window_ms > 0) {
    out << FormatDuration(c.signals.entropy_window_ms);
  } else {
    out << c.signals.entropy_window << " samples";
  }
  out << ", season "
      << (c.signals.season == 0 ? std::string("auto") : std::to_string(c.signals.season))
      << ", forecast_horizon " << c.signals.forecast_horizon << ", forecast_level "
      << FormatNumber(c.signals.forecast_level) << ", refit_every " << c.signals.refit_every
      << "\n";
  out << "indicators: " << c.indicators.size();
  if (c.indicators.empty()) out << " (any indicator name is accepted with default settings)";
  out << "\n";
  for (const auto& ind : c.indicators) {
    std::string line = "  " + ind.name;
    if (!ind.unit.empty()) line += " [" + ind.unit + "]";
    if (ind.min || ind.max) {
      line += " range " + (ind.min ? FormatNumber(*ind.min) : std::string("-inf")) + ".." +
              (ind.max ? FormatNumber(*ind.max) : std::string("+inf"));
    }
    line += ", bins " + std::to_string(ind.entropy_bins) + ", weight " + FormatNumber(ind.weight) +
            ", " + direction_name(ind.direction);
    if (ind.warning) line += ", warning " + FormatNumber(*ind.warning);
    if (ind.critical) line += ", critical " + FormatNumber(*ind.critical);
    out << line << "\n";
  }
  if (!c.control.lstm_model.empty()) {
    out << "models:     lstm_model " << c.control.lstm_model
        << " (joins every workload forecaster's backtest)\n";
  }
  if (!c.control.failure_model.empty()) {
    const RetrainConfig& r = c.control.retrain;
    out << "models:     failure_model " << c.control.failure_model << ", retrain ";
    if (r.enabled) {
      out << "every " << FormatDuration(r.cadence_ms) << " after " << r.min_new_rows
          << " new rows (" << r.min_new_positives << " failures), holdout "
          << FormatNumber(r.holdout_fraction) << ", a row per host every "
          << FormatDuration(r.row_every_ms) << ", keep " << FormatDuration(r.keep_ms);
    } else {
      out << "off";
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace prognos::daemon
