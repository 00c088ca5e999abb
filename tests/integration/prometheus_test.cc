// Done-when 1 of issue 15: Debian's real Prometheus, started here on loopback, scrapes itself and
// prognos's /metrics every second and remote-writes everything to prognos. Once it has sent more
// than 1,000 samples with none failed, every series in Prometheus's own TSDB must be held by
// prognos with the same labels (plus host/component taken from instance/job) and the same samples
// over a window that remote-write has fully delivered.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "testing/daemon_process.h"

namespace prognos {
namespace {

using nlohmann::json;
using testing::DaemonProcess;
using testing::TempDir;
using LabelMap = std::map<std::string, std::string>;

constexpr const char* kPrometheus = "/usr/bin/prometheus";

// A child process killed (SIGKILL) and reaped on destruction.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::string& log) {
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      std::vector<char*> argv;
      argv.reserve(args.size() + 1);
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Child() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  bool Running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// GET returning parsed JSON, or null on any failure.
json GetJson(httplib::Client& c, const std::string& path, const httplib::Params& params = {}) {
  auto res = c.Get(path.c_str(), params, httplib::Headers{});
  if (!res || res->status != 200) return nullptr;
  return json::parse(res->body, nullptr, false);
}

// Sum of an instant-vector query's values (0 when empty or failing).
double QueryScalar(httplib::Client& prom, const std::string& query) {
  json j = GetJson(prom, "/api/v1/query", {{"query", query}});
  double sum = 0;
  if (j.is_null() || j["status"] != "success") return -1;
  for (const auto& r : j["data"]["result"]) sum += std::stod(r["value"][1].get<std::string>());
  return sum;
}

double ParseValue(const json& v) {
  if (v.is_number()) return v.get<double>();
  const std::string s = v.get<std::string>();
  if (s == "NaN") return std::nan("");
  if (s == "+Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  return std::stod(s);
}

bool SameValue(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

TEST(PrometheusTest, RemoteWriteDeliversEverySeriesAndSample) {
  if (access(kPrometheus, X_OK) != 0) {
    if (std::getenv("CI") != nullptr)
      FAIL() << kPrometheus << " is missing (apt-get install prometheus)";
    GTEST_SKIP() << kPrometheus << " is not installed";
  }
  TempDir dir;
  DaemonProcess prognos(dir.path() + "/prognos");
  ASSERT_TRUE(prognos.Start()) << prognos.Log();
  const int prom_port = testing::PickFreePort();
  const std::string prom_addr = "127.0.0.1:" + std::to_string(prom_port);
  const std::string prognos_addr = "127.0.0.1:" + std::to_string(prognos.port());
  {
    std::ofstream cfg(dir.path() + "/prometheus.yml");
    cfg << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        << "scrape_configs:\n"
        << "  - job_name: prometheus\n    static_configs: [{targets: ['" << prom_addr << "']}]\n"
        << "  - job_name: prognos\n    static_configs: [{targets: ['" << prognos_addr << "']}]\n"
        << "remote_write:\n  - url: http://" << prognos_addr << "/api/v1/write\n"
        << "    queue_config: {batch_send_deadline: 1s}\n";
  }
  const std::string prom_log = dir.path() + "/prometheus.log";
  Child prometheus(
      {kPrometheus, "--config.file=" + dir.path() + "/prometheus.yml",
       "--storage.tsdb.path=" + dir.path() + "/tsdb", "--web.listen-address=" + prom_addr},
      prom_log);
  httplib::Client prom("127.0.0.1", prom_port);
  httplib::Client api("127.0.0.1", prognos.port());
  prom.set_read_timeout(10, 0);
  api.set_read_timeout(10, 0);

  // Bounded polls: Prometheus is ready in ~0.2 s and scrapes ~1,000 series a second here.
  auto poll = [](int seconds, auto done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
  };
  ASSERT_TRUE(poll(30, [&] {
    auto r = prom.Get("/-/ready");
    return r && r->status == 200;
  })) << testing::ReadWholeFile(prom_log);
  double sent = 0;
  ASSERT_TRUE(poll(90,
                   [&] {
                     sent = QueryScalar(prom, "prometheus_remote_storage_samples_total");
                     return sent > 1000;
                   }))
      << "sent " << sent << "\n"
      << testing::ReadWholeFile(prom_log);
  EXPECT_EQ(QueryScalar(prom, "prometheus_remote_storage_samples_failed_total"), 0);
  EXPECT_EQ(QueryScalar(prom, R"(up{job="prognos"})"), 1) << "Prometheus cannot scrape /metrics";

  // The window to compare ends now; wait until remote-write has delivered past its end.
  const std::int64_t end_ms = NowMs() - 1000;
  const std::int64_t start_ms = end_ms - 120000;
  ASSERT_TRUE(poll(60, [&] {
    return QueryScalar(prom, "prometheus_remote_storage_queue_highest_sent_timestamp_seconds") *
               1000 >
           static_cast<double>(end_ms + 2000);
  }));
  EXPECT_EQ(QueryScalar(prom, "prometheus_remote_storage_samples_failed_total"), 0);

  // Every series Prometheus holds, with its raw samples in (start, end].
  json series = GetJson(prom, "/api/v1/series",
                        {{"match[]", R"({__name__=~".+"})"},
                         {"start", std::to_string(static_cast<double>(start_ms) / 1000)},
                         {"end", std::to_string(static_cast<double>(end_ms) / 1000)}});
  ASSERT_FALSE(series.is_null());
  const std::string range = std::to_string((end_ms - start_ms) / 1000) + "s";
  json matrix = GetJson(prom, "/api/v1/query",
                        {{"query", R"({__name__=~".+"}[)" + range + "]"},
                         {"time", std::to_string(static_cast<double>(end_ms) / 1000)}});
  ASSERT_FALSE(matrix.is_null());
  std::map<LabelMap, std::vector<std::pair<std::int64_t, double>>> want;
  for (const auto& s : series["data"]) want[s.get<LabelMap>()];
  for (const auto& r : matrix["data"]["result"]) {
    auto& v = want[r["metric"].get<LabelMap>()];
    for (const auto& p : r["values"]) {
      v.push_back({std::llround(p[0].get<double>() * 1000), ParseValue(p[1])});
    }
  }
  ASSERT_GT(want.size(), 100u);

  // prognos's series, keyed by their labels.
  std::map<LabelMap, std::string> have;
  std::string cursor;
  do {
    httplib::Params params{{"limit", "10000"}};
    if (!cursor.empty()) params.emplace("cursor", cursor);
    json page = GetJson(api, "/v1/series", params);
    ASSERT_FALSE(page.is_null());
    for (const auto& s : page["series"]) have[s["labels"].get<LabelMap>()] = s["id"];
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
  } while (!cursor.empty());

  std::size_t compared_samples = 0;
  std::size_t missing = 0;
  for (const auto& [labels, samples] : want) {
    LabelMap expect = labels;  // roles are added when absent (DESIGN.md §3)
    if (!expect.count("host") && expect.count("instance")) expect["host"] = expect["instance"];
    if (!expect.count("component") && expect.count("job")) expect["component"] = expect["job"];
    auto it = have.find(expect);
    if (it == have.end()) {
      if (++missing <= 5) ADD_FAILURE() << "prognos lacks " << json(labels).dump();
      continue;
    }
    if (samples.empty()) continue;
    json got = GetJson(api, "/v1/series/" + it->second + "/samples",
                       {{"from", std::to_string(start_ms + 1)},
                        {"to", std::to_string(end_ms)},
                        {"limit", "100000"}});
    ASSERT_FALSE(got.is_null());
    // prognos also holds staleness markers, which a PromQL range selector leaves out.
    std::vector<std::pair<std::int64_t, double>> stored;
    for (const auto& p : got["samples"]) {
      const double v = ParseValue(p[1]);
      stored.emplace_back(p[0].get<std::int64_t>(), v);
    }
    std::size_t k = 0;
    for (const auto& [t, v] : samples) {
      while (k < stored.size() && stored[k].first < t && std::isnan(stored[k].second)) ++k;
      ASSERT_LT(k, stored.size()) << json(labels).dump() << " lacks t=" << t;
      EXPECT_EQ(stored[k].first, t) << json(labels).dump();
      EXPECT_TRUE(SameValue(stored[k].second, v))
          << json(labels).dump() << " t=" << t << " " << stored[k].second << " != " << v;
      ++k;
      ++compared_samples;
    }
    for (; k < stored.size(); ++k) {
      EXPECT_TRUE(std::isnan(stored[k].second)) << json(labels).dump() << " extra sample";
    }
  }
  EXPECT_EQ(missing, 0u) << "of " << want.size() << " series";
  EXPECT_GT(compared_samples, 1000u);
  std::printf("compared %zu series, %zu samples; Prometheus sent %.0f samples\n", want.size(),
              compared_samples, QueryScalar(prom, "prometheus_remote_storage_samples_total"));
  EXPECT_TRUE(prometheus.Running());
  EXPECT_TRUE(prognos.Running());
}

}  // namespace
}  // namespace prognos
