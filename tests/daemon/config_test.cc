// Tests for the YAML config loader: defaults, the shipped examples, and every kind of issue with
// its exact line, path and hint.
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "signal/forecast/lstm.h"
#include "testing/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace prognos::daemon {
namespace {

using ::testing::HasSubstr;

std::string ExamplesDir() { return std::string(PROGNOS_SOURCE_DIR) + "/examples"; }

std::string Dump(const std::vector<ConfigIssue>& issues) {
  std::string out;
  for (const auto& i : issues) out += i.ToString() + "\n";
  return out;
}

void ExpectSameSections(const Config& a, const Config& b) {
  EXPECT_EQ(a.ingest.max_age_ms, b.ingest.max_age_ms);
  EXPECT_EQ(a.ingest.future_tolerance_ms, b.ingest.future_tolerance_ms);
  EXPECT_EQ(a.ingest.max_body_bytes, b.ingest.max_body_bytes);
  EXPECT_EQ(a.ingest.max_line_bytes, b.ingest.max_line_bytes);
  EXPECT_EQ(a.ingest.max_labels, b.ingest.max_labels);
  EXPECT_EQ(a.ingest.strict_indicators, b.ingest.strict_indicators);
  EXPECT_EQ(a.store.data_dir, b.store.data_dir);
  EXPECT_EQ(a.store.fsync, b.store.fsync);
  EXPECT_EQ(a.store.fsync_interval_ms, b.store.fsync_interval_ms);
  EXPECT_EQ(a.store.retention_ms, b.store.retention_ms);
  EXPECT_EQ(a.store.wal_segment_bytes, b.store.wal_segment_bytes);
  EXPECT_EQ(a.api.listen, b.api.listen);
  EXPECT_EQ(a.api.threads, b.api.threads);
  EXPECT_EQ(a.api.read_timeout_ms, b.api.read_timeout_ms);
  EXPECT_EQ(a.api.auth_tokens_env, b.api.auth_tokens_env);
  EXPECT_EQ(a.signals.entropy_window, b.signals.entropy_window);
  EXPECT_EQ(a.signals.entropy_window_ms, b.signals.entropy_window_ms);
  EXPECT_EQ(a.signals.season, b.signals.season);
  EXPECT_EQ(a.signals.forecast_horizon, b.signals.forecast_horizon);
  EXPECT_DOUBLE_EQ(a.signals.forecast_level, b.signals.forecast_level);
  EXPECT_EQ(a.signals.refit_every, b.signals.refit_every);
}

TEST(ConfigTest, DefaultsMatchTheDocumentedValues) {
  const Config c = DefaultConfig();
  EXPECT_EQ(c.source, "<defaults>");
  EXPECT_EQ(c.ingest.max_age_ms, kHourMs);
  EXPECT_EQ(c.ingest.future_tolerance_ms, 10 * kMinuteMs);
  EXPECT_EQ(c.ingest.max_body_bytes, 64ull << 20);
  EXPECT_EQ(c.ingest.max_line_bytes, 1ull << 20);
  EXPECT_EQ(c.ingest.max_labels, 32u);
  EXPECT_FALSE(c.ingest.strict_indicators);
  EXPECT_EQ(c.store.data_dir, "./prognos-data");
  EXPECT_EQ(c.store.fsync, FsyncMode::kAlways);
  EXPECT_EQ(c.store.retention_ms, 30 * kDayMs);
  EXPECT_EQ(c.api.listen, "127.0.0.1:8470");
  EXPECT_TRUE(c.api.auth_tokens_env.empty());
  EXPECT_EQ(c.signals.entropy_window, 60);
  EXPECT_DOUBLE_EQ(c.signals.forecast_level, 0.8);
  EXPECT_TRUE(c.indicators.empty());
}

TEST(ConfigTest, EmptyOrCommentOnlyTextGivesTheDefaults) {
  for (const std::string text : {"", "# nothing here\n", "---\n", "ingest:\nstore:\n"}) {
    SCOPED_TRACE(text);
    std::vector<ConfigIssue> issues;
    auto c = LoadConfigText(text, "t.yaml", &issues);
    ASSERT_TRUE(c.has_value()) << Dump(issues);
    EXPECT_TRUE(issues.empty());
    EXPECT_EQ(c->source, "t.yaml");
    ExpectSameSections(*c, DefaultConfig());
  }
}

TEST(ConfigTest, EveryExampleConfigLoadsWithoutIssues) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ExamplesDir())) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".yaml" || name.starts_with("bad-")) continue;
    SCOPED_TRACE(name);
    std::vector<ConfigIssue> issues;
    auto c = LoadConfigFile(entry.path().string(), &issues);
    EXPECT_TRUE(c.has_value()) << Dump(issues);
    EXPECT_TRUE(issues.empty()) << Dump(issues);
    ++checked;
  }
  EXPECT_GE(checked, 2);  // prognos.yaml and minimal.yaml at least
}

// The YAML snippets in docs/configuration.md must stay valid.
TEST(ConfigTest, EveryYamlBlockInTheDocsLoadsWithoutIssues) {
  std::ifstream in(std::string(PROGNOS_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in.good());
  std::string line;
  std::string block;
  bool inside = false;
  int blocks = 0;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!inside && line == "```yaml") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      ++blocks;
      SCOPED_TRACE("block ending at docs/configuration.md:" + std::to_string(line_no));
      std::vector<ConfigIssue> issues;
      EXPECT_TRUE(LoadConfigText(block, "doc", &issues).has_value()) << Dump(issues);
    } else if (inside) {
      block += line + "\n";
    }
  }
  EXPECT_GE(blocks, 3);
}

// The full example documents every option with its default: loading it must give the defaults.
TEST(ConfigTest, FullExampleShowsTheDefaultsAndTheTypicalIndicators) {
  std::vector<ConfigIssue> issues;
  auto c = LoadConfigFile(ExamplesDir() + "/prognos.yaml", &issues);
  ASSERT_TRUE(c.has_value()) << Dump(issues);
  ExpectSameSections(*c, DefaultConfig());
  std::vector<std::string> names;
  for (const auto& ind : c->indicators) names.push_back(ind.name);
  EXPECT_THAT(names,
              ::testing::ElementsAre("cpu_util", "mem_used_bytes", "disk_io_ms", "net_latency_ms",
                                     "error_rate", "temperature_celsius", "status"));
  const IndicatorConfig& cpu = c->indicators[0];
  EXPECT_EQ(cpu.unit, "ratio");
  EXPECT_EQ(cpu.min, 0.0);
  EXPECT_EQ(cpu.max, 1.0);
  EXPECT_EQ(cpu.warning, 0.85);
  EXPECT_EQ(cpu.critical, 0.95);
  const IndicatorConfig& mem = c->indicators[1];
  EXPECT_EQ(mem.min, 0.0);
  EXPECT_FALSE(mem.max.has_value());  // "max: ~" leaves it open
  EXPECT_EQ(c->indicators[5].direction, Direction::kBoth);
  EXPECT_EQ(c->indicators[6].entropy_bins, 3);
}

struct ExpectedIssue {
  int line;
  std::string path;
  std::string message_part;
};

// Kept in step with the "# error:" comments in examples/bad-config.yaml.
const std::vector<ExpectedIssue>& BadConfigIssues() {
  static const std::vector<ExpectedIssue> issues = {
      {4, "ingest.max_age", "expected a duration"},
      {5, "ingest.max_labels", "out of range"},
      {6, "ingest.strict_indicator", "unknown key"},
      {7, "ingest.max_age", "duplicate key 'max_age' (first at line 4)"},
      {9, "store.fsync", "unknown value 'sometimes'"},
      {12, "api.listen", "not host:port"},
      {13, "api.threads", "expected an integer"},
      {14, "api.auth_tokens", "unknown key"},
      {16, "signals.forecast_level", "out of range"},
      {19, "indicators[0].range", "range.min (1) must be less than range.max (0)"},
      {20, "indicators[0].entropy_bins", "out of range"},
      {21, "indicators[0].weight", "negative"},
      {22, "indicators[1]", "duplicate indicator 'cpu_util'"},
      {26, "indicators[2].critical", "must be below warning"},
  };
  return issues;
}

TEST(ConfigTest, BadExampleReportsEachErrorOnItsLine) {
  const std::string path = ExamplesDir() + "/bad-config.yaml";
  std::vector<ConfigIssue> issues;
  auto c = LoadConfigFile(path, &issues);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  ASSERT_EQ(issues.size(), BadConfigIssues().size()) << Dump(issues);
  for (std::size_t i = 0; i < issues.size(); ++i) {
    const ExpectedIssue& want = BadConfigIssues()[i];
    SCOPED_TRACE(issues[i].ToString());
    EXPECT_EQ(issues[i].file, path);
    EXPECT_EQ(issues[i].line, want.line);
    EXPECT_EQ(issues[i].path, want.path);
    EXPECT_THAT(issues[i].message, HasSubstr(want.message_part));
    EXPECT_FALSE(issues[i].hint.empty());
  }
  // Spot-check the hints a user relies on.
  EXPECT_THAT(issues[2].hint, HasSubstr("did you mean 'strict_indicators'?"));
  EXPECT_THAT(issues[4].hint, HasSubstr("always, interval, never"));
  EXPECT_THAT(issues[7].hint, HasSubstr("auth_tokens_env"));
  EXPECT_THAT(issues[8].hint, HasSubstr("did you mean 0.8?"));
}

struct IssueCase {
  std::string name;
  std::string yaml;
  int line;
  std::string path;
  std::string message_part;
  std::string hint_part;
};

// The alerts section sets predict::AlertTierConfig; keys left out keep their defaults.
TEST(ConfigTest, AlertsSectionSetsTheTierConfig) {
  std::vector<ConfigIssue> issues;
  auto c = LoadConfigText(
      "alerts:\n  enter_after: 3\n  exit_after: 5\n  keep_firing_for: 30m\n"
      "  hysteresis: 0.3\n  baseline_half_life: 2d\n  warmup: 20\n  trend_lookahead: 90m\n"
      "  criticality_discount: 0.25\n  floor: {info: 0.1, warning: 0.3, critical: 0.6}\n"
      "  sigma: {critical: 6}\n  absolute: {warning: 0.55, critical: 0.85}\n",
      "t.yaml", &issues);
  ASSERT_TRUE(c.has_value()) << Dump(issues);
  const predict::AlertTierConfig& t = c->control.alert_tiers;
  EXPECT_EQ(t.enter_updates, 3u);
  EXPECT_EQ(t.exit_updates, 5u);
  EXPECT_EQ(t.exit_hold_ms, 30 * kMinuteMs);
  EXPECT_DOUBLE_EQ(t.hysteresis, 0.3);
  EXPECT_EQ(t.baseline_half_life_ms, 2 * kDayMs);
  EXPECT_EQ(t.warmup_updates, 20u);
  EXPECT_DOUBLE_EQ(t.trend_lookahead_h, 1.5);
  EXPECT_DOUBLE_EQ(t.criticality_discount, 0.25);
  EXPECT_EQ(t.floor, (std::array<double, 3>{0.1, 0.3, 0.6}));
  EXPECT_EQ(t.k_sigma, (std::array<double, 3>{2.0, 3.0, 6.0}));  // info, warning: defaults
  EXPECT_EQ(t.absolute, (std::array<double, 3>{2.0, 0.55, 0.85}));  // info has none
  auto d = LoadConfigText("", "t.yaml", &issues);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->control.alert_tiers.exit_hold_ms, 15 * kMinuteMs);
}

TEST(ConfigTest, EachKindOfProblemIsReportedWithLinePathAndHint) {
  const std::vector<IssueCase> cases = {
      // Unknown keys, with "did you mean" by edit distance, wrong section, case, unit suffix.
      {"typo in a key", "ingest:\n  max_agee: 1h\n", 2, "ingest.max_agee", "unknown key",
       "did you mean 'max_age'?"},
      {"transposed letters", "store:\n  fsnyc: always\n", 2, "store.fsnyc", "unknown key",
       "did you mean 'fsync'?"},
      {"typo in a section", "ingets:\n  max_age: 1h\n", 1, "ingets", "unknown key",
       "did you mean 'ingest'?"},
      {"key in the wrong section", "store:\n  max_age: 1h\n", 2, "store.max_age", "unknown key",
       "'max_age' belongs in 'ingest'"},
      {"upper-case key", "api:\n  Listen: 1.2.3.4:80\n", 2, "api.Listen", "unknown key",
       "lower-case"},
      {"unit in the key", "api:\n  read_timeout_ms: 3000\n", 2, "api.read_timeout_ms",
       "unknown key", "did you mean 'read_timeout'?"},
      {"time window in ms", "signals:\n  entropy_window_ms: 600000\n", 2,
       "signals.entropy_window_ms", "unknown key", "did you mean 'entropy_window_duration'?"},
      {"unknown key far from all", "zzz: 1\n", 1, "zzz", "unknown key", "known keys"},
      {"planned section", "components:\n  - {id: db}\n", 1, "components", "unknown key",
       "not supported by this version"},
      {"alert routing is Alertmanager's", "alerts:\n  route: pager\n", 2, "alerts.route",
       "unknown key", "keep_firing_for"},
      {"alert hysteresis over 1", "alerts:\n  hysteresis: 1.5\n", 2, "alerts.hysteresis",
       "must be in 0..1", "0.2"},
      {"alert floors decreasing", "alerts:\n  floor: {warning: 0.6, critical: 0.4}\n", 1,
       "alerts.floor", "must not decrease", "critical: 0.5"},
      {"alert sigma negative", "alerts:\n  sigma:\n    critical: -1\n", 3,
       "alerts.sigma.critical", "0 or more", ""},
      {"no absolute info level", "alerts:\n  absolute: {info: 0.1}\n", 2, "alerts.absolute.info",
       "unknown key", "warning"},
      {"policy key misspelt", "policy:\n  shaddow: true\n", 2, "policy.shaddow", "unknown key",
       "'shadow'"},
      {"unknown tier", "workloads:\n  - {id: w, request: {cpu: 1}, sla_tier: platinum}\n", 2,
       "workloads[w].sla_tier", "platinum", "tier"},
      {"actuator backend", "actuators:\n  backend: nomad\n", 2, "actuators.backend",
       "unknown value", "kubernetes"},
      {"webhook backend without url", "actuators:\n  backend: webhook\n", 2, "actuators.backend",
       "needs actuators.webhook.url", "webhook: {url"},
      {"webhook url not http", "actuators:\n  webhook:\n    url: deploy-bot\n", 3,
       "actuators.webhook.url", "not an http(s) URL", "https://"},
      {"kubernetes token given twice",
       "actuators:\n  kubernetes:\n    token_env: KUBE_TOKEN\n    token_file: /t\n", 2,
       "actuators.kubernetes", "both set", "one way"},
      {"inline kubernetes token", "actuators:\n  kubernetes:\n    token: abc\n", 3,
       "actuators.kubernetes.token", "unknown key", "environment variable"},
      {"usage resource", "telemetry:\n  usage:\n    gpu: gpu_util\n", 3, "telemetry.usage.gpu",
       "unknown key", "cpu"},
      {"inline secret", "api:\n  token: hunter2\n", 2, "api.token", "unknown key",
       "environment variable"},
      {"indicator min at top level", "indicators:\n  - name: a\n    min: 0\n", 3,
       "indicators[0].min", "unknown key", "range.min"},
      // Wrong types.
      {"section is a scalar", "ingest: 5\n", 1, "ingest", "expected a mapping", "indent"},
      {"int is text", "api:\n  threads: many\n", 2, "api.threads", "expected an integer", "1..256"},
      {"int is fractional", "api:\n  threads: 2.5\n", 2, "api.threads", "expected an integer", ""},
      {"int is quoted", "api:\n  threads: \"4\"\n", 2, "api.threads", "expected an integer",
       "remove the quotes"},
      {"bool is text", "ingest:\n  strict_indicators: maybe\n", 2, "ingest.strict_indicators",
       "expected true or false", ""},
      {"number is a list", "signals:\n  forecast_level: [1]\n", 2, "signals.forecast_level",
       "expected a number, got a list", ""},
      {"number is NaN", "indicators:\n  - name: a\n    weight: .nan\n", 3, "indicators[0].weight",
       "expected a number", ""},
      {"value missing", "store:\n  data_dir:\n", 2, "store.data_dir", "has no value",
       "remove the line"},
      {"empty string", "store:\n  data_dir: ''\n", 2, "store.data_dir", "must not be empty", ""},
      {"duration without number", "ingest:\n  max_age: soon\n", 2, "ingest.max_age",
       "expected a duration", "1h"},
      {"duration bad unit", "ingest:\n  max_age: 3y\n", 2, "ingest.max_age", "expected a duration",
       ""},
      {"duration negative", "ingest:\n  future_tolerance: -5m\n", 2, "ingest.future_tolerance",
       "expected a duration", ""},
      {"size bad unit", "ingest:\n  max_body_bytes: 64 furlongs\n", 2, "ingest.max_body_bytes",
       "unknown size unit", "MiB"},
      {"size negative", "ingest:\n  max_body_bytes: -1\n", 2, "ingest.max_body_bytes", "negative",
       ""},
      {"tokens not a list", "api:\n  auth_tokens_env: PROGNOS_TOKEN\n", 2, "api.auth_tokens_env",
       "expected a list", "NAMES"},
      {"token pasted instead of a name", "api:\n  auth_tokens_env:\n    - 3f9a-secret-value\n", 3,
       "api.auth_tokens_env[0]", "not an environment variable name", "NAMES"},
      {"token env listed twice", "api:\n  auth_tokens_env: [A, B, A]\n", 2,
       "api.auth_tokens_env[2]", "listed twice", ""},
      {"top level is a list", "- a\n- b\n", 1, "", "top level must be a mapping", ""},
      {"indicators is a scalar", "indicators: cpu\n", 1, "indicators",
       "expected a list or a mapping", ""},
      {"indicator item is a scalar", "indicators:\n  - cpu\n", 2, "indicators[0]",
       "expected an indicator", ""},
      // Out of range.
      {"max_labels too small", "ingest:\n  max_labels: 2\n", 2, "ingest.max_labels",
       "out of range 3..1000", "3..1000; default 32"},
      {"threads too many", "api:\n  threads: 1000\n", 2, "api.threads", "out of range", ""},
      {"duration too short", "api:\n  read_timeout: 10ms\n", 2, "api.read_timeout",
       "out of range 1s..1h", "default 30s"},
      {"size too small", "ingest:\n  max_body_bytes: 100\n", 2, "ingest.max_body_bytes",
       "out of range 1KiB..4GiB", "default 64MiB"},
      {"level as percent", "signals:\n  forecast_level: 95\n", 2, "signals.forecast_level",
       "out of range", "did you mean 0.95?"},
      {"level too low", "signals:\n  forecast_level: 0.2\n", 2, "signals.forecast_level",
       "out of range", "0.5 to 0.999"},
      {"season of one", "signals:\n  season: 1\n", 2, "signals.season", "no season", "288"},
      {"window too short", "signals:\n  entropy_window: 3\n", 2, "signals.entropy_window",
       "out of range", "4..100000"},
      {"time window under a second", "signals:\n  entropy_window_duration: 500ms\n", 2,
       "signals.entropy_window_duration", "shorter than 1s", ""},
      // Enums.
      {"bad fsync", "store:\n  fsync: alway\n", 2, "store.fsync", "unknown value 'alway'",
       "did you mean 'always'?"},
      {"bad direction", "indicators:\n  - name: a\n    direction: up\n", 3,
       "indicators[0].direction", "unknown value 'up'", "higher_is_worse"},
      // Listen addresses.
      {"listen without port", "api:\n  listen: localhost\n", 2, "api.listen", "not host:port",
       "127.0.0.1:8470"},
      {"listen port too big", "api:\n  listen: 127.0.0.1:70000\n", 2, "api.listen", "not host:port",
       ""},
      {"listen port not a number", "api:\n  listen: 'host:http'\n", 2, "api.listen",
       "not host:port", ""},
      {"listen bare IPv6", "api:\n  listen: '::1:8470'\n", 2, "api.listen", "bad host part",
       "brackets"},
      {"listen with a scheme", "api:\n  listen: http://h:80\n", 2, "api.listen", "bad host part",
       ""},
      // Indicators.
      {"indicator without a name", "indicators:\n  - unit: ratio\n", 2, "indicators[0]",
       "has no name", ""},
      {"indicator name with no usable characters", "indicators:\n  - name: '***'\n", 2,
       "indicators[0]", "no usable characters", ""},
      {"min equals max", "indicators:\n  - name: a\n    range:\n      min: 5\n      max: 5\n", 5,
       "indicators[0].range", "must be less than", ""},
      {"min above max as a list", "indicators:\n  - name: a\n    range: [2, 1]\n", 3,
       "indicators[0].range", "must be less than", ""},
      {"range of three", "indicators:\n  - name: a\n    range: [1, 2, 3]\n", 3,
       "indicators[0].range", "expected {min: …, max: …} or [min, max]", ""},
      {"bins too few", "indicators:\n  - name: a\n    entropy_bins: 1\n", 3,
       "indicators[0].entropy_bins", "out of range", "2..64"},
      {"bins too many", "indicators:\n  - name: a\n    entropy_bins: 5000\n", 3,
       "indicators[0].entropy_bins", "out of range", ""},
      {"negative weight", "indicators:\n  - name: a\n    weight: -0.5\n", 3, "indicators[0].weight",
       "weight -0.5 is negative", ">= 0"},
      {"higher_is_worse limits reversed",
       "indicators:\n  cpu:\n    warning: 0.9\n    critical: 0.8\n", 4, "indicators.cpu.critical",
       "must be above warning", "lower_is_worse"},
      {"lower_is_worse limits reversed",
       "indicators:\n  free:\n    direction: lower_is_worse\n    warning: 1\n    critical: 2\n", 5,
       "indicators.free.critical", "must be below warning", ""},
      {"equal limits", "indicators:\n  cpu: {warning: 1, critical: 1}\n", 2,
       "indicators.cpu.critical", "must be above warning", ""},
      {"both with negative distance", "indicators:\n  t:\n    direction: both\n    warning: -1\n",
       4, "indicators.t.warning", "negative", "distances"},
      {"limit outside the range", "indicators:\n  cpu:\n    range: [0, 1]\n    critical: 95\n", 4,
       "indicators.cpu.critical", "outside range [0, 1]", ""},
      {"duplicate indicator, list form", "indicators:\n  - name: cpu\n  - name: cpu\n", 3,
       "indicators[1]", "duplicate indicator 'cpu', first defined at line 2", ""},
      {"duplicate after normalising", "indicators:\n  cpu_util: {}\n  'CPU Util': {}\n", 3,
       "indicators.CPU Util", "normalises to it", ""},
      {"map form name disagrees", "indicators:\n  cpu:\n    name: mem\n", 3, "indicators.cpu.name",
       "differs from the key", ""},
      // Cross-section checks.
      {"line larger than body", "ingest:\n  max_body_bytes: 1MiB\n  max_line_bytes: 2MiB\n", 3,
       "ingest.max_line_bytes", "larger than max_body_bytes", ""},
      {"body smaller than default line", "ingest:\n  max_body_bytes: 4KiB\n", 2,
       "ingest.max_body_bytes", "smaller than max_line_bytes", ""},
      {"strict without indicators", "ingest:\n  strict_indicators: true\n", 2,
       "ingest.strict_indicators", "every sample would be rejected", ""},
      // Whole-file problems.
      {"two documents", "ingest: {}\n---\nstore: {}\n", 2, "", "2 YAML documents", "---"},
      {"merge key", "base: &b {max_age: 1h}\ningest:\n  <<: *b\n", 1, "base", "unknown key", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<ConfigIssue> issues;
    auto config = LoadConfigText(c.yaml, "case.yaml", &issues);
    EXPECT_FALSE(config.has_value());
    ASSERT_FALSE(issues.empty());
    const ConfigIssue& i = issues.front();
    EXPECT_EQ(i.file, "case.yaml");
    EXPECT_EQ(i.line, c.line) << Dump(issues);
    EXPECT_EQ(i.path, c.path) << Dump(issues);
    EXPECT_THAT(i.message, HasSubstr(c.message_part)) << Dump(issues);
    EXPECT_THAT(i.hint, HasSubstr(c.hint_part)) << Dump(issues);
    EXPECT_FALSE(i.hint.empty()) << Dump(issues);
  }
}

TEST(ConfigTest, EveryProblemInAFileIsCollectedNotJustTheFirst) {
  const std::string yaml =
      "ingest:\n"
      "  max_age: x\n"      // 2
      "  max_labels: -1\n"  // 3
      "store:\n"
      "  fsync: no\n"  // 5
      "api:\n"
      "  threads: 0\n"        // 7
      "  listen: nowhere\n";  // 8
  std::vector<ConfigIssue> issues;
  ASSERT_FALSE(LoadConfigText(yaml, "m.yaml", &issues).has_value());
  std::vector<int> lines;
  lines.reserve(issues.size());
  for (const auto& i : issues) lines.push_back(i.line);
  EXPECT_THAT(lines, ::testing::ElementsAre(2, 3, 5, 7, 8)) << Dump(issues);
}

TEST(ConfigTest, DuplicateKeysAreReportedAtEveryLevel) {
  struct Case {
    std::string name;
    std::string yaml;
    int line;
    std::string path;
    std::string first_at;
  };
  const std::vector<Case> cases = {
      {"section", "api:\n  threads: 2\napi:\n  threads: 3\n", 3, "api", "first at line 1"},
      {"key", "store:\n  retention: 1d\n  data_dir: d\n  retention: 2d\n", 4, "store.retention",
       "first at line 2"},
      {"flow mapping", "api: {threads: 2, threads: 3}\n", 1, "api.threads", "first at line 1"},
      {"indicator key", "indicators:\n  cpu: {}\n  cpu: {}\n", 3, "indicators.cpu",
       "first at line 2"},
      {"indicator field", "indicators:\n  - name: a\n    weight: 1\n    weight: 2\n", 4,
       "indicators[0].weight", "first at line 3"},
      {"range field", "indicators:\n  - name: a\n    range: {min: 0, min: 1}\n", 3,
       "indicators[0].range.min", "first at line 3"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<ConfigIssue> issues;
    EXPECT_FALSE(LoadConfigText(c.yaml, "d.yaml", &issues).has_value());
    ASSERT_EQ(issues.size(), 1u) << Dump(issues);
    EXPECT_EQ(issues[0].line, c.line);
    EXPECT_EQ(issues[0].path, c.path);
    EXPECT_THAT(issues[0].message, HasSubstr("duplicate key"));
    EXPECT_THAT(issues[0].message, HasSubstr(c.first_at));
  }
}

TEST(ConfigTest, SyntaxErrorIsOneIssueWithItsLine) {
  struct Case {
    std::string name;
    std::string yaml;
    int line;
  };
  const std::vector<Case> cases = {
      {"bad indentation", "ingest:\n  max_age: 1h\n max_labels: 5\n    x: 1\n", 3},
      {"unclosed flow list", "api:\n  auth_tokens_env: [A, B\nstore: {}\n", 3},
      {"undefined alias", "api:\n  threads: 2\nstore:\n  data_dir: *nowhere\n", 4},
      {"tab indentation", "ingest:\n\tmax_age: 1h\n", 2},
      // yaml-cpp 0.7 loops forever on a stray ',' (jbeder/yaml-cpp#1040): reported, not hung.
      {"lone comma", ",", 1},
      {"comma before content", "\n,\ningest: {}\n", 2},
      {"comma in a later document", "ingest: {}\n...\n,\n", 3},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<ConfigIssue> issues;
    EXPECT_FALSE(LoadConfigText(c.yaml, "s.yaml", &issues).has_value());
    ASSERT_EQ(issues.size(), 1u) << Dump(issues);
    EXPECT_EQ(issues[0].line, c.line) << Dump(issues);
    EXPECT_THAT(issues[0].message, HasSubstr("YAML syntax error"));
    EXPECT_FALSE(issues[0].hint.empty());
  }
}

TEST(ConfigTest, AcceptsEveryDocumentedSpelling) {
  const std::string yaml = R"(
ingest:
  max_age: 90          # bare number = seconds
  future_tolerance: 0s
  max_body_bytes: 2MB
  max_line_bytes: 1048576
  max_labels: +40
  strict_indicators: yes
store:
  data_dir: /tmp/p
  fsync: Interval
  fsync_interval: 250ms
  retention: 2w
  wal_segment_bytes: 1.5GiB
api:
  listen: '[::1]:0'
  threads: 1
  read_timeout: 1m
  auth_tokens_env: [PROGNOS_TOKEN, _OTHER2]
signals:
  entropy_window: 4
  entropy_window_duration: 15m
  season: 288
  forecast_horizon: 288
  forecast_level: 0.999
  refit_every: 1
indicators:
  "CPU usage [%]":
    range: {min: ~, max: 100}
    direction: lower_is_worse
    warning: 20
    critical: 5
  disk:
  temp:
    direction: both
    weight: 0
    warning: 0
    critical: 3
)";
  std::vector<ConfigIssue> issues;
  auto c = LoadConfigText(yaml, "ok.yaml", &issues);
  ASSERT_TRUE(c.has_value()) << Dump(issues);
  EXPECT_EQ(c->ingest.max_age_ms, 90 * kSecondMs);
  EXPECT_EQ(c->ingest.future_tolerance_ms, 0);
  EXPECT_EQ(c->ingest.max_body_bytes, 2000000u);
  EXPECT_EQ(c->ingest.max_line_bytes, 1048576u);
  EXPECT_EQ(c->ingest.max_labels, 40u);
  EXPECT_TRUE(c->ingest.strict_indicators);
  EXPECT_EQ(c->store.data_dir, "/tmp/p");
  EXPECT_EQ(c->store.fsync, FsyncMode::kInterval);
  EXPECT_EQ(c->store.fsync_interval_ms, 250);
  EXPECT_EQ(c->store.retention_ms, 14 * kDayMs);
  EXPECT_EQ(c->store.wal_segment_bytes, 3ull << 29);
  EXPECT_EQ(c->api.listen, "[::1]:0");
  EXPECT_EQ(c->api.read_timeout_ms, kMinuteMs);
  EXPECT_THAT(c->api.auth_tokens_env, ::testing::ElementsAre("PROGNOS_TOKEN", "_OTHER2"));
  EXPECT_EQ(c->signals.entropy_window_ms, 15 * kMinuteMs);
  EXPECT_EQ(c->signals.season, 288);
  EXPECT_DOUBLE_EQ(c->signals.forecast_level, 0.999);
  ASSERT_EQ(c->indicators.size(), 3u);
  EXPECT_EQ(c->indicators[0].name, "cpu_usage_pct");  // normalised with ToMetricName
  EXPECT_FALSE(c->indicators[0].min.has_value());
  EXPECT_EQ(c->indicators[0].max, 100.0);
  EXPECT_EQ(c->indicators[0].direction, Direction::kLowerIsWorse);
  EXPECT_EQ(c->indicators[1].name, "disk");  // no settings: all defaults
  EXPECT_EQ(c->indicators[1].entropy_bins, 10);
  EXPECT_DOUBLE_EQ(c->indicators[1].weight, 1.0);
  EXPECT_DOUBLE_EQ(c->indicators[2].weight, 0.0);
  EXPECT_EQ(c->indicators[2].critical, 3.0);
}

// Robustness: deterministic mutations of the full example (every line deleted or duplicated,
// truncation at many offsets, syntax characters spliced in) never crash or throw, and every
// outcome is either a config with no issue or a failure with issues on lines inside the file.
TEST(ConfigTest, MutatedExamplesNeverCrashAndAlwaysExplainFailures) {
  std::ifstream in(ExamplesDir() + "/prognos.yaml");
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  ASSERT_FALSE(text.empty());
  std::vector<std::string> lines;
  std::istringstream split(text);
  for (std::string l; std::getline(split, l);) lines.push_back(l + "\n");
  const int max_line = static_cast<int>(lines.size()) + 2;

  std::vector<std::string> variants;
  for (std::size_t skip = 0; skip < lines.size(); ++skip) {
    std::string deleted;
    std::string doubled;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i != skip) deleted += lines[i];
      doubled += lines[i];
      if (i == skip) doubled += lines[i];
    }
    variants.push_back(std::move(deleted));
    variants.push_back(std::move(doubled));
  }
  for (std::size_t cut = 0; cut < text.size(); cut += 41) {
    variants.push_back(text.substr(0, cut));
    for (const char* splice : {":", "[", "\t", "- ", "*a", "\""}) {
      std::string v = text;
      v.insert(cut, splice);
      variants.push_back(std::move(v));
    }
  }
  int failures = 0;
  for (const std::string& v : variants) {
    std::vector<ConfigIssue> issues;
    auto c = LoadConfigText(v, "m.yaml", &issues);
    if (c.has_value()) {
      ASSERT_TRUE(issues.empty()) << v;
      continue;
    }
    ++failures;
    ASSERT_FALSE(issues.empty()) << v;
    for (const auto& i : issues) {
      ASSERT_GE(i.line, 0) << i.ToString();
      ASSERT_LE(i.line, max_line) << i.ToString();
      ASSERT_FALSE(i.message.empty());
    }
  }
  EXPECT_GT(failures, 100);  // the mutations do break things
}

TEST(ConfigTest, IssueToStringHasFileLinePathMessageAndHint) {
  EXPECT_EQ((ConfigIssue{"p.yaml", 7, "api.threads", "out of range", "use 1..256"}).ToString(),
            "p.yaml:7: api.threads: out of range (hint: use 1..256)");
  EXPECT_EQ((ConfigIssue{"p.yaml", 0, "", "cannot open", ""}).ToString(), "p.yaml: cannot open");
}

TEST(ConfigTest, MissingFileIsAnIoErrorWithOneIssue) {
  std::vector<ConfigIssue> issues;
  auto c = LoadConfigFile("/nonexistent/prognos.yaml", &issues);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, ErrorCode::kIo);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].line, 0);
  EXPECT_THAT(issues[0].message, HasSubstr("cannot read the config file"));

  issues.clear();
  auto dir = LoadConfigFile(ExamplesDir(), &issues);
  ASSERT_FALSE(dir.has_value());
  EXPECT_EQ(dir.error().code, ErrorCode::kIo);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_THAT(issues[0].message, HasSubstr("directory"));

  issues.clear();
  auto endless = LoadConfigFile("/dev/zero", &issues);  // must end, not read forever
  ASSERT_FALSE(endless.has_value());
  EXPECT_EQ(endless.error().code, ErrorCode::kIo);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_THAT(issues[0].message, HasSubstr("larger than 16MiB"));
}

TEST(ConfigTest, NullIssueListIsAllowed) {
  EXPECT_FALSE(LoadConfigText("api: {threads: 0}", "n.yaml", nullptr).has_value());
  EXPECT_TRUE(LoadConfigText("api: {threads: 4}", "n.yaml", nullptr).has_value());
}

TEST(ConfigTest, APastedTokenIsNeverEchoed) {
  std::vector<ConfigIssue> issues;
  EXPECT_FALSE(
      LoadConfigText("api:\n  auth_tokens_env: [sk-live-51Habc]\n", "t.yaml", &issues).has_value());
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_THAT(issues[0].ToString(), ::testing::Not(HasSubstr("sk-live")));
}

TEST(ConfigTest, ParsesAndFormatsByteSizes) {
  struct Case {
    std::string text;
    std::uint64_t bytes;
  };
  for (const auto& c : std::vector<Case>{{"0", 0},
                                         {"1048576", 1048576},
                                         {"64MiB", 64ull << 20},
                                         {"64Mi", 64ull << 20},
                                         {"64 mib", 64ull << 20},
                                         {"1MB", 1000000},
                                         {"2kB", 2000},
                                         {"1.5KiB", 1536},
                                         {"512B", 512},
                                         {"1TiB", 1ull << 40}}) {
    SCOPED_TRACE(c.text);
    auto v = ParseByteSize(c.text);
    ASSERT_TRUE(v.has_value()) << v.error().message;
    EXPECT_EQ(*v, c.bytes);
  }
  for (const std::string bad :
       {"", "MiB", "-1", "1XB", "1.2.3MiB", "99999999999999999999", "20000000TiB"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseByteSize(bad).has_value());
  }
  EXPECT_EQ(FormatByteSize(64ull << 20), "64MiB");
  EXPECT_EQ(FormatByteSize(1000000), "1MB");
  EXPECT_EQ(FormatByteSize(1500), "1500B");
  EXPECT_EQ(FormatByteSize(0), "0B");
}

TEST(ConfigTest, FormatsDurationsExactly) {
  EXPECT_EQ(FormatDuration(kHourMs), "1h");
  EXPECT_EQ(FormatDuration(90 * kSecondMs), "90s");
  EXPECT_EQ(FormatDuration(30 * kDayMs), "30d");
  EXPECT_EQ(FormatDuration(1500), "1500ms");
  EXPECT_EQ(FormatDuration(0), "0s");
}

TEST(ConfigTest, DescriptionNamesTheEffectiveSettings) {
  auto c = LoadConfigText(
      "api:\n  listen: 0.0.0.0:9000\n  auth_tokens_env: [TOK]\n"
      "indicators:\n  cpu_util: {unit: ratio, range: [0, 1], critical: 0.9}\n",
      "d.yaml", nullptr);
  ASSERT_TRUE(c.has_value());
  const std::string text = DescribeConfig(*c);
  EXPECT_THAT(text, HasSubstr("listen 0.0.0.0:9000"));
  EXPECT_THAT(text, HasSubstr("$TOK"));
  EXPECT_THAT(text, HasSubstr("max_age 1h"));
  EXPECT_THAT(text, HasSubstr("cpu_util [ratio] range 0..1"));
  EXPECT_THAT(text, HasSubstr("critical 0.9"));
}

TEST(ConfigTest, ModelsRetrainKeysAreReadAndCheckedWithTheirLines) {
  std::vector<ConfigIssue> issues;
  auto c = LoadConfigText(
      "models:\n"
      "  failure_model: disk.model\n"
      "  retrain:\n"
      "    cadence: 12h\n"
      "    min_new_rows: 500\n"
      "    min_new_positives: 2\n"
      "    holdout_fraction: 0.3\n"
      "    row_every: 30m\n"
      "    keep: 30d\n"
      "    max_rows: 50000\n",
      "t.yaml", &issues);
  ASSERT_TRUE(c.has_value()) << Dump(issues);
  const RetrainConfig& r = c->control.retrain;
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.cadence_ms, 12 * kHourMs);
  EXPECT_EQ(r.min_new_rows, 500u);
  EXPECT_EQ(r.min_new_positives, 2u);
  EXPECT_DOUBLE_EQ(r.holdout_fraction, 0.3);
  EXPECT_EQ(r.row_every_ms, 30 * kMinuteMs);
  EXPECT_EQ(r.keep_ms, 30 * kDayMs);
  EXPECT_EQ(r.max_rows, 50000u);
  EXPECT_THAT(DescribeConfig(*c), HasSubstr("retrain every 12h after 500 new rows"));

  issues.clear();
  auto bad = LoadConfigText(
      "models:\n"
      "  retrain:\n"
      "    enabled: no\n"
      "    holdout_fraction: 1.5\n"
      "    cadense: 1d\n",
      "t.yaml", &issues);
  EXPECT_FALSE(bad.has_value());
  ASSERT_EQ(issues.size(), 2u) << Dump(issues);
  EXPECT_EQ(issues[0].line, 4);
  EXPECT_EQ(issues[0].path, "models.retrain.holdout_fraction");
  EXPECT_THAT(issues[0].message, HasSubstr("between 0 and 1"));
  EXPECT_EQ(issues[1].line, 5);
  EXPECT_THAT(issues[1].message, HasSubstr("cadense"));
}

TEST(ConfigTest, AnLstmModelFileJoinsTheWorkloadForecastersOrFailsWithItsPath) {
  testing::TempDir dir;
  auto net = signal::LstmNetwork::Create(signal::LstmConfig{}, 1);
  ASSERT_TRUE(net.has_value());
  {
    std::ofstream out(dir.File("cpu.lstm"), std::ios::binary);
    out << *net->Serialize();
  }
  std::vector<ConfigIssue> issues;
  auto c = LoadConfigText("models:\n  lstm_model: " + dir.File("cpu.lstm") + "\n", "t.yaml",
                          &issues);
  ASSERT_TRUE(c.has_value()) << Dump(issues);
  EXPECT_THAT(DescribeConfig(*c), HasSubstr("lstm_model " + dir.File("cpu.lstm")));
  auto o = ToControllerOptions(*c);
  ASSERT_TRUE(o.has_value()) << o.error().message;
  ASSERT_EQ(o->forecast_models.size(), 1u);
  EXPECT_EQ(o->forecast_models[0]->Name(), "lstm");

  c->control.lstm_model = dir.File("missing.lstm");
  auto missing = ToControllerOptions(*c);
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().message, HasSubstr("models.lstm_model: cannot read"));
  {
    std::ofstream out(dir.File("bad.lstm"), std::ios::binary);
    out << "not a network";
  }
  c->control.lstm_model = dir.File("bad.lstm");
  auto bad = ToControllerOptions(*c);
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().message, HasSubstr(dir.File("bad.lstm")));
}

}  // namespace
}  // namespace prognos::daemon
