// Test helper: runs the real `prognos serve` binary as a child process on a free loopback port, so
// tests can kill -9 it, restart it, and talk to it over HTTP exactly as a user would.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/temp_dir.h"

namespace prognos::testing {


inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Picks a port the kernel says is free right now (bind to port 0, read it back, close).
int PickFreePort();

class DaemonProcess {
 public:
  DaemonProcess(std::string data_dir, std::vector<std::string> extra_args = {})
      : data_dir_(std::move(data_dir)), extra_args_(std::move(extra_args)) {}
  ~DaemonProcess() { Kill(); }

  // Starts `prognos serve` and waits until /healthz answers. Returns false on timeout/exit.
  bool Start(int timeout_ms = 20000);
  // SIGKILL and reap.
  void Kill();
  // SIGTERM and wait for a clean exit; returns the exit status.
  int Terminate();
  bool Running();
  int port() const { return port_; }
  const std::string& log_path() const { return log_path_; }
  std::string Log() const { return ReadWholeFile(log_path_); }

 private:
  std::string data_dir_;
  std::vector<std::string> extra_args_;
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  int starts_ = 0;
};

}  // namespace prognos::testing
