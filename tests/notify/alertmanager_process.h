// Test helper: runs the real Alertmanager (Debian's /usr/bin/prometheus-alertmanager) as a child
// process on a free loopback port with a temp storage dir and a null receiver, and a tiny libcurl
// GET for reading its API back.
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/temp_dir.h"

namespace prognos::notify::testing {

inline constexpr const char* kAlertmanagerBinary = "/usr/bin/prometheus-alertmanager";

inline bool AlertmanagerInstalled() { return access(kAlertmanagerBinary, X_OK) == 0; }

using prognos::testing::TempDir;

// A port the kernel says is free right now (bind port 0, read it back, close).
inline int PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
  }
  close(fd);
  return port;
}

struct HttpGetReply {
  long status = 0;  // 0: no reply
  std::string body;
};

inline HttpGetReply HttpGet(const std::string& url) {
  HttpGetReply reply;
  CURL* h = curl_easy_init();
  if (h == nullptr) {
    return reply;
  }
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
  curl_easy_setopt(
      h, CURLOPT_WRITEFUNCTION, +[](char* data, std::size_t size, std::size_t n, void* user) {
        static_cast<std::string*>(user)->append(data, size * n);
        return size * n;
      });
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply.body);
  if (curl_easy_perform(h) == CURLE_OK) {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
  }
  curl_easy_cleanup(h);
  return reply;
}

// URL-encodes a query value.
inline std::string UrlEncode(const std::string& s) {
  std::string out;
  char* enc = curl_easy_escape(nullptr, s.c_str(), static_cast<int>(s.size()));
  if (enc != nullptr) {
    out = enc;
    curl_free(enc);
  }
  return out;
}

// Polls `done` until it holds or the deadline passes (for a server's asynchronous work: startup,
// the dispatcher marking alerts). Not a fixed sleep: returns as soon as the condition holds.
inline bool WaitFor(const std::function<bool()>& done, int timeout_ms = 10000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

class AlertmanagerProcess {
 public:
  // `dir` holds the config, the storage and the log; port 0 picks a free one.
  // `config`: alertmanager.yml text; empty: one null receiver ("blackhole").
  explicit AlertmanagerProcess(std::string dir, std::string config = "")
      : dir_(std::move(dir)), config_(std::move(config)) {
    if (config_.empty()) {
      config_ = "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n";
    }
  }
  ~AlertmanagerProcess() { Stop(); }
  AlertmanagerProcess(const AlertmanagerProcess&) = delete;
  AlertmanagerProcess& operator=(const AlertmanagerProcess&) = delete;

  // Starts Alertmanager (same port as before on a restart) and waits for /-/ready. A first start
  // that loses its picked port to another process (it exits at once) tries another port.
  bool Start(int timeout_ms = 15000) {
    const bool pick = port_ == 0;
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (pick) {
        port_ = PickFreePort();
      }
      if (!Spawn()) {
        return false;
      }
      bool ready = false;
      WaitFor(
          [&] {
            ready = HttpGet(Url() + "/-/ready").status == 200;
            return ready || !Running();
          },
          timeout_ms);
      if (ready) {
        return true;
      }
      if (!pick || Running()) {
        return false;  // a restart cannot move, or it hangs: give up
      }
    }
    return false;
  }

  // SIGTERM, then reap (SIGKILL after 5 s).
  void Stop() {
    if (pid_ <= 0) {
      return;
    }
    kill(pid_, SIGTERM);
    const bool exited = WaitFor(
        [this] {
          int status = 0;
          return waitpid(pid_, &status, WNOHANG) == pid_;
        },
        5000);
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

  // False once the child has exited (it is then reaped).
  bool Running() {
    if (pid_ <= 0) {
      return false;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }

  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string Url() const { return "http://" + Address(); }
  std::string Log() const {
    std::ifstream in(dir_ + "/alertmanager.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  bool Spawn() {
    const std::string config = dir_ + "/alertmanager.yml";
    std::ofstream(config) << config_;
    std::filesystem::create_directories(dir_ + "/data");
    const std::string log = dir_ + "/alertmanager.log";
    std::vector<std::string> args = {kAlertmanagerBinary,
                                     "--config.file=" + config,
                                     "--storage.path=" + dir_ + "/data",
                                     "--web.listen-address=" + Address(),
                                     "--cluster.listen-address=",
                                     "--log.level=warn"};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {  // child: only async-signal-safe calls until exec
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execv(argv[0], argv.data());
      _exit(127);
    }
    return pid_ > 0;
  }

  std::string dir_;
  std::string config_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace prognos::notify::testing
