// Issue 11, "Alertmanager from replayed real data": the real daemon (`prognos serve`) is fed a real
// SMD machine's telemetry (tests/data/smd_machine-2-1_test_7300-8089.csv, 38 metrics a minute,
// labelled anomaly rows 7907–7961) and raises its host alert to Debian's real Alertmanager, which
// receives it once however often prognos re-sends it, and resolves it after the machine recovers.
// Only the timestamps are moved (to end now, one minute apart); the values are the data's.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "notify/alertmanager_process.h"
#include "testing/daemon_process.h"

namespace prognos {
namespace {

using nlohmann::json;

constexpr const char* kHost = "machine-2-1";

// The policy horizon is a day so that indicators up to two days old still speak for the host
// (the replayed minutes end up to 13 hours before now); keep_firing_for 0s lets the tier clear
// within the test's seconds of wall time (the default 15m is about real minute telemetry).
constexpr const char* kConfig = R"(actuators:
  backend: dry-run
  tick: 1s
policy:
  horizon: 24h
alerts:
  keep_firing_for: 0s
hosts:
  - {id: machine-2-1, zone: a, capacity: {cpu: 16, memory: 64}}
  - {id: spare, zone: a, capacity: {cpu: 16, memory: 64}}
workloads:
  - {id: api, host: machine-2-1, request: {cpu: 2, memory: 4}, criticality: high, priority: 10}
)";

struct Row {
  int row = 0;
  std::vector<std::pair<std::string, double>> values;
};

std::vector<Row> ReadSlice() {
  std::ifstream in(std::string(PROGNOS_SOURCE_DIR) +
                   "/tests/data/smd_machine-2-1_test_7300-8089.csv");
  std::vector<Row> rows;
  std::string line;
  std::vector<std::string> names;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    if (names.empty()) {
      names = cells;
      continue;
    }
    Row r;
    r.row = std::stoi(cells[0]);
    for (std::size_t i = 2; i < cells.size(); ++i)
      r.values.emplace_back(names[i], std::stod(cells[i]));
    rows.push_back(std::move(r));
  }
  return rows;
}

// JSON lines for rows [from, to], row r at end_ms − (last_row − r) minutes.
std::string Body(const std::vector<Row>& rows, int from, int to, long long end_ms, int last_row) {
  std::string body;
  for (const auto& r : rows) {
    if (r.row < from || r.row > to) continue;
    json ind = json::object();
    for (const auto& [name, v] : r.values) ind[name] = v;
    body +=
        json{{"ts", end_ms - (last_row - r.row) * 60'000LL}, {"host", kHost}, {"indicators", ind}}
            .dump() +
        "\n";
  }
  return body;
}

json ActiveAlertsOf(const notify::testing::AlertmanagerProcess& am) {
  json all = json::parse(notify::testing::HttpGet(am.Url() + "/api/v2/alerts?active=true").body,
                         nullptr, false);
  json out = json::array();
  if (!all.is_array()) return out;
  for (const auto& a : all) {
    if (a["labels"].value("host", "") == kHost && a["status"].value("state", "") == "active") {
      out.push_back(a);
    }
  }
  return out;
}

double MetricValue(httplib::Client& c, const std::string& name) {
  auto res = c.Get("/metrics");
  if (!res) return -1;
  std::stringstream ss(res->body);
  for (std::string line; std::getline(ss, line);) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return 0;
}

TEST(AlertReplayTest, AlertFromReplayedSmdDataIsReceivedDeduplicatedAndResolved) {
  if (!notify::testing::AlertmanagerInstalled()) {
    if (std::getenv("CI") != nullptr) FAIL() << "prometheus-alertmanager missing in CI";
    GTEST_SKIP() << "prometheus-alertmanager not installed";
  }
  const std::vector<Row> rows = ReadSlice();
  ASSERT_EQ(rows.size(), 790u);
  ASSERT_EQ(rows.front().row, 7300);
  ASSERT_EQ(rows.back().row, 8089);

  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() + "/am");
  notify::testing::AlertmanagerProcess am(dir.path() + "/am");
  ASSERT_TRUE(am.Start());
  const std::string config = dir.path() + "/prognos.yaml";
  std::ofstream(config) << kConfig << "notify:\n  alertmanager:\n    url: " << am.Url()
                        << "\n    resend_interval: 1s\n";
  testing::DaemonProcess daemon(dir.path() + "/data", {"--config", config});
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  httplib::Client client("127.0.0.1", daemon.port());
  const long long end_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();

  // Phase 1: ten hours of the machine up to row 7946, inside the labelled anomaly (7907–7961).
  auto res =
      client.Post("/v1/health", Body(rows, 7300, 7946, end_ms, 8089), "application/x-ndjson");
  ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "no reply");
  json active;
  ASSERT_TRUE(notify::testing::WaitFor(
      [&] {
        active = ActiveAlertsOf(am);
        return !active.empty();
      },
      30'000))
      << daemon.Log();
  ASSERT_EQ(active.size(), 1u) << active.dump(2);
  const json alert = active[0];
  EXPECT_EQ(alert["labels"]["source"], "prognos");
  const std::string tier = alert["labels"]["tier"];
  EXPECT_TRUE(tier == "warning" || tier == "critical") << tier;
  // The root cause is one of the columns SMD's interpretation label gives for this segment.
  const std::set<std::string> labelled = {"disk_q", "disk_r", "disk_rb", "disk_u", "passive_opens"};
  const std::string root = alert["annotations"].value("root_cause", "");
  EXPECT_TRUE(labelled.count(root) == 1) << "root cause " << root;

  // Deduplicated: prognos re-sends the firing alert every second; Alertmanager keeps one alert
  // for its label set, with the same fingerprint and start.
  const double sent_before = MetricValue(client, "prognos_notify_alerts_sent_total");
  ASSERT_TRUE(notify::testing::WaitFor(
      [&] { return MetricValue(client, "prognos_notify_alerts_sent_total") >= sent_before + 3; },
      20'000));
  active = ActiveAlertsOf(am);
  ASSERT_EQ(active.size(), 1u) << active.dump(2);
  EXPECT_EQ(active[0]["fingerprint"], alert["fingerprint"]);
  EXPECT_EQ(active[0]["startsAt"], alert["startsAt"]);

  // Phase 2: the rest of the anomaly and two hours of recovery; the tier clears and prognos
  // resolves the alert (endsAt now), so Alertmanager's active list is empty for the host.
  res = client.Post("/v1/health", Body(rows, 7947, 8089, end_ms, 8089), "application/x-ndjson");
  ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "no reply");
  ASSERT_TRUE(notify::testing::WaitFor([&] { return ActiveAlertsOf(am).empty(); }, 30'000))
      << ActiveAlertsOf(am).dump(2) << "\n"
      << daemon.Log();
  // prognos itself no longer lists the host at warning or critical.
  auto alerts = client.Get("/v1/alerts");
  ASSERT_TRUE(alerts && alerts->status == 200);
  const json listed = json::parse(alerts->body, nullptr, false);
  ASSERT_TRUE(listed.is_object()) << alerts->body;
  for (const auto& a : listed["alerts"]) {
    if (a.value("host", "") != kHost) continue;
    EXPECT_NE(a.value("tier", ""), "critical") << a.dump();
    EXPECT_NE(a.value("tier", ""), "warning") << a.dump();
  }
}

}  // namespace
}  // namespace prognos
