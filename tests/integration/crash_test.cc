// Done-when 2 of issue 9: SIGKILL the real daemon at random moments while >= 4 clients send
// batches; after every restart, every sample whose batch got a 2xx must be readable. 0 lost.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "testing/daemon_process.h"

namespace prognos {
namespace {

using nlohmann::json;
using testing::DaemonProcess;
using testing::TempDir;

constexpr int kClients = 4;
constexpr int kTrials = 20;
constexpr int kBatch = 40;  // messages per request, 2 indicators each

struct Acked {
  std::mutex mu;
  std::map<std::string, std::set<long long>> ts_by_host;  // host -> acked timestamps (seconds)
};

// Reads every cpu sample of `host` back through the API.
std::set<long long> ReadBack(int port, const std::string& host, const std::string& indicator) {
  httplib::Client c("127.0.0.1", port);
  std::set<long long> out;
  auto res = c.Get(("/v1/series?host=" + host + "&indicator=" + indicator).c_str());
  if (!res || res->status != 200) return out;
  const json listing = json::parse(res->body);
  for (const auto& s : listing["series"]) {
    std::string cursor;
    do {
      std::string path = "/v1/series/" + s["id"].get<std::string>() + "/samples?limit=50000";
      if (!cursor.empty()) path += "&cursor=" + cursor;
      auto page = c.Get(path.c_str());
      if (!page || page->status != 200) return out;
      auto body = json::parse(page->body);
      for (const auto& p : body["samples"]) out.insert(p[0].get<long long>() / 1000);
      cursor = body["next_cursor"].is_null() ? "" : body["next_cursor"].get<std::string>();
    } while (!cursor.empty());
  }
  return out;
}

TEST(CrashTest, KillNineLosesNoAcknowledgedSample) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  DaemonProcess daemon(data);
  Acked acked;
  std::atomic<long long> next_ts[kClients];
  for (int i = 0; i < kClients; ++i) next_ts[i] = 1700000000;
  std::mt19937 rng(12345);
  int kills_in_flight = 0;
  long long total_acked = 0;

  for (int trial = 0; trial < kTrials; ++trial) {
    ASSERT_TRUE(daemon.Start()) << daemon.Log();
    const int port = daemon.port();
    // Every acknowledged sample so far survives the restart.
    {
      std::lock_guard<std::mutex> lock(acked.mu);
      for (const auto& [host, want] : acked.ts_by_host) {
        auto got = ReadBack(port, host, "cpu_util");
        std::size_t missing = 0;
        for (long long t : want) missing += got.count(t) ? 0 : 1;
        ASSERT_EQ(missing, 0u) << "trial " << trial << " host " << host << ": " << missing << " of "
                               << want.size() << " acknowledged samples lost";
      }
    }
    std::atomic<bool> stop{false};
    std::atomic<int> in_flight{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(5, 0);
        const std::string host = "crash-host-" + std::to_string(c);
        while (!stop.load()) {
          const long long first = next_ts[c].fetch_add(kBatch);
          std::string body;
          for (int i = 0; i < kBatch; ++i) {
            body += json{{"ts", first + i},
                         {"host", host},
                         {"indicators",
                          {{"cpu_util", (first + i) % 100 / 100.0}, {"mem_used_bytes", 1e9}}}}
                        .dump();
            body += '\n';
          }
          in_flight.fetch_add(1);
          auto res = client.Post("/v1/health", body, "application/x-ndjson");
          in_flight.fetch_sub(1);
          if (res && res->status == 200) {
            std::lock_guard<std::mutex> lock(acked.mu);
            auto& set = acked.ts_by_host[host];
            for (int i = 0; i < kBatch; ++i) set.insert(first + i);
          } else if (!res) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            if (stop.load()) break;
          }
        }
      });
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 250)(rng)));
    // Aim the kill at a moment with requests in flight (bounded wait).
    for (int spin = 0; spin < 2000 && in_flight.load() == 0; ++spin) std::this_thread::yield();
    if (in_flight.load() > 0) ++kills_in_flight;
    daemon.Kill();
    stop = true;
    for (auto& t : clients) t.join();
  }
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  for (const auto& [host, want] : acked.ts_by_host) {
    auto got = ReadBack(daemon.port(), host, "cpu_util");
    std::size_t missing = 0;
    for (long long t : want) missing += got.count(t) ? 0 : 1;
    EXPECT_EQ(missing, 0u) << host;
    total_acked += static_cast<long long>(want.size());
  }
  daemon.Kill();
  EXPECT_GE(kills_in_flight, kTrials / 2);
  EXPECT_GT(total_acked, 1000) << "too little traffic to mean anything";
  std::printf(
      "crash test: %d kills (%d with requests in flight), %lld acknowledged samples, 0 lost\n",
      kTrials, kills_in_flight, total_acked * 2);
}

}  // namespace
}  // namespace prognos
