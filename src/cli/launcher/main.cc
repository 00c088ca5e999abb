// prognos, the command a user types: serves `forecast` and `lstm` itself and hands every other
// command to prognos-full (same directory) by exec. Why two binaries: `forecast` is pure signal
// code that scripts run once per series, and the full binary's start-up — the dynamic loader
// mapping and relocating 48 shared libraries (curl with its TLS and Kerberos stack, xgboost,
// SQLite, OpenSSL, …) — cost ≈ 12 ms of CPU per process, more than the forecast itself
// (docs/performance.md, "Forecast start-up"). This binary links the signal and ingest modules
// only; exec keeps the process id, arguments, environment and file descriptors, so
// `prognos serve` behaves exactly as before.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace {

// Directory of this executable (from /proc/self/exe), with a trailing slash; "" when unknown.
std::string SelfDir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  const std::string path(buf, static_cast<std::size_t>(n));
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace prognos::cli;
  const std::string_view command = argc >= 2 ? argv[1] : "";
  if (command == "forecast" || command == "lstm") {
    CLI::App app{"prognos: predict trouble in a fleet's health stream and act before it happens"};
    app.require_subcommand(1);
    int exit_code = kExitOk;
    RegisterForecastCommand(app, &exit_code);
    RegisterLstmCommand(app, &exit_code);
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      const int rc = app.exit(e);
      return rc == 0 ? kExitOk : kExitUsage;
    }
    return exit_code;
  }
  const std::string full = SelfDir() + "prognos-full";
  execv(full.c_str(), argv);
  std::fprintf(stderr, "prognos: cannot run %s: %s\n", full.c_str(), std::strerror(errno));
  return kExitEnvironment;
}
