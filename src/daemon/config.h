// prognos configuration (DESIGN.md §4): the YAML schema, its defaults, and validation with
// file:line errors. Defaults make `serve`, `replay` and `demo` run with no file.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "policy/types.h"
#include "predict/alert_tiers.h"

namespace prognos::daemon {

enum class FsyncMode { kAlways, kInterval, kNever };  // store.fsync: always | interval | never
enum class Direction { kHigherIsWorse, kLowerIsWorse, kBoth };  // indicator direction

struct IndicatorConfig {
  std::string name;                 // metric name (normalised with ToMetricName)
  std::optional<double> min;        // range.min / range.max for fixed-range entropy bins and limits
  std::optional<double> max;
  std::string unit;                 // free text ("ratio", "bytes", "ms", "celsius")
  int entropy_bins = 10;            // 2..64 (what signal::WindowEntropy supports)
  double weight = 1.0;              // weight in the host's composite entropy score (>= 0)
  Direction direction = Direction::kHigherIsWorse;
  std::optional<double> warning;    // optional static limits (the adaptive tiers start from these)
  std::optional<double> critical;
  std::string description;          // free text, shown by check-config and the API
};

struct IngestConfig {
  DurationMs max_age_ms = kHourMs;            // ingest.max_age
  DurationMs future_tolerance_ms = 10 * kMinuteMs;
  std::uint64_t max_body_bytes = 64ull << 20;  // over: 413
  std::uint64_t max_line_bytes = 1ull << 20;   // over: too_large for that line
  std::uint32_t max_labels = 32;
  bool strict_indicators = false;
};

struct StoreConfig {
  std::string data_dir = "./prognos-data";
  FsyncMode fsync = FsyncMode::kAlways;
  DurationMs fsync_interval_ms = kSecondMs;  // used when fsync = interval
  DurationMs retention_ms = 30 * kDayMs;
  std::uint64_t wal_segment_bytes = 128ull << 20;
  // Sealing (docs/formats/blocks.md): a series' head becomes a compressed block at this many
  // samples or once it spans block_age of data time; WAL checkpoint at checkpoint_wal_bytes.
  std::int64_t block_samples = 4096;
  DurationMs block_age_ms = 6 * kHourMs;
  std::uint64_t checkpoint_wal_bytes = 64ull << 20;
};

struct ApiConfig {
  std::string listen = "127.0.0.1:8470";  // host:port
  int threads = 8;                        // HTTP worker threads (1..256)
  DurationMs read_timeout_ms = 30 * kSecondMs;
  std::vector<std::string> auth_tokens_env;  // names of env vars holding bearer tokens (empty = no auth)
};

struct SignalsConfig {
  int entropy_window = 60;        // samples in the sliding window (count-based), 4..100000
  DurationMs entropy_window_ms = 0;  // > 0: time-based window instead
  int season = 0;                 // forecast season in samples; 0 = auto-detect
  int forecast_horizon = 12;      // steps served by /v1/forecasts
  double forecast_level = 0.8;    // interval level (0.5..0.999)
  int refit_every = 288;          // samples between refits
};

// The control loop (issue #12): which actuator acts, how often it plans, how workload telemetry
// is recognised, and the policy and inventory (top-level sections policy, tiers, hosts, pools,
// workloads, customers, zones; see docs/policy.md).
// actuators.webhook (docs/actuators.md): every step of an action is a JSON POST to `url`.
struct WebhookActuatorConfig {
  std::string url;             // empty = not configured
  std::string auth_token_env;  // env var holding a bearer token (never inline)
  DurationMs timeout_ms = 10 * kSecondMs;
  std::string ca_file;
  bool insecure_skip_verify = false;
};

// actuators.kubernetes: the API server to act on (empty api_url = in-cluster service account).
struct KubernetesActuatorConfig {
  std::string api_url;
  std::string token_env;   // env var holding a bearer token
  std::string token_file;  // or a file holding it (e.g. a mounted service-account token)
  std::string ca_file;
  bool insecure_skip_verify = false;
  std::string default_namespace = "default";
  DurationMs timeout_ms = 10 * kSecondMs;
};

// models.retrain (docs/models.md): retraining the failure model on the labelled history the
// running engine collects (a host's status "fail" labels its recent rows).
struct RetrainConfig {
  bool enabled = true;                   // with models.failure_model set
  DurationMs cadence_ms = kDayMs;        // at most one attempt per cadence
  std::size_t min_new_rows = 1000;       // newly labelled rows since the last attempt
  std::size_t min_new_positives = 1;     // of which failures
  double holdout_fraction = 0.2;         // latest share of the history that judges the candidate
  DurationMs row_every_ms = kHourMs;     // one feature row per host this often
  DurationMs keep_ms = 90 * kDayMs;      // labelled rows kept this long
  std::size_t max_rows = 200'000;        // beyond it the oldest negatives are dropped
};

struct ControlConfig {
  std::string backend = "dry-run";  // actuators.backend: dry-run (log only), webhook, kubernetes
  WebhookActuatorConfig webhook;
  KubernetesActuatorConfig kubernetes;
  DurationMs tick_ms = kMinuteMs;   // actuators.tick: planning interval
  bool audit_fsync = true;          // actuators.audit_fsync: fsync every audit append
  std::string workload_label = "component";  // telemetry.workload_label
  std::array<std::string, policy::kResourceCount> usage = {"cpu_cores", "memory_gib",
                                                           "network_mbps", "disk_iops"};
  std::string failure_model;  // models.failure_model: a file written by `prognos failure train`
  RetrainConfig retrain;      // models.retrain: continuous retraining of that model
  std::string lstm_model;     // models.lstm_model: a file written by `prognos lstm train`
  predict::AlertTierConfig alert_tiers;  // alerts: tier thresholds, baseline and debounce
  policy::PolicySpec policy;
  policy::Inventory inventory;
  bool has_policy = false;  // any of the policy sections present
};

// notify.alertmanager (docs/alerts.md): where serve sends its tiered host alerts.
struct NotifyConfig {
  std::string alertmanager_url;              // empty: no alerts sent
  DurationMs resend_interval_ms = kMinuteMs;
  std::string auth_token_env;                // env var holding a bearer token (never inline)
  std::string runbook_url;
};

struct Config {
  std::string source;  // file path it came from, or "<defaults>"
  IngestConfig ingest;
  StoreConfig store;
  ApiConfig api;
  SignalsConfig signals;
  std::vector<IndicatorConfig> indicators;
  ControlConfig control;
  NotifyConfig notify;
};

// One problem found in a config file.
struct ConfigIssue {
  std::string file;
  int line = 0;        // 1-based; 0 when unknown
  std::string path;    // YAML path, e.g. "ingest.max_age"
  std::string message; // what is wrong
  std::string hint;    // how to fix it
  std::string ToString() const;  // "file:line: path: message (hint: …)"
};

// Defaults (what `serve` uses with no --config).
Config DefaultConfig();

// Loads and validates a YAML file; collects every schema error (yaml-cpp stops at the first syntax
// error, so only one of those is reported). Returns the config or the full list of issues.
Result<Config> LoadConfigFile(const std::string& path, std::vector<ConfigIssue>* issues);
// Same from text (tests); `name` is used as the file name in issues.
Result<Config> LoadConfigText(const std::string& text, const std::string& name,
                              std::vector<ConfigIssue>* issues);

// A few lines describing the effective config (what `check-config` prints on success).
std::string DescribeConfig(const Config& config);

// Byte sizes as the config writes them: "1048576", "64MiB", "64Mi", "1MB", "1.5GiB", "512 KiB"
// (B, kB/KB, MB, GB, TB are powers of 1000; KiB/Ki, MiB/Mi, GiB/Gi, TiB/Ti powers of 1024; units are
// case-insensitive). Fractions are rounded to whole bytes.
Result<std::uint64_t> ParseByteSize(std::string_view text);
// The shortest exact form: 67108864 -> "64MiB", 1000000 -> "1MB", 1500 -> "1500B".
std::string FormatByteSize(std::uint64_t bytes);
// The shortest exact form: 3600000 -> "1h", 90000 -> "90s", 1500 -> "1500ms", 0 -> "0s".
std::string FormatDuration(DurationMs duration);

}  // namespace prognos::daemon
