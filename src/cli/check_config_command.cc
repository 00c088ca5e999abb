// `prognos check-config FILE`: validates a config file and lists every problem with file:line, or
// prints a summary of the effective settings (DESIGN.md §3, §4).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "daemon/config.h"

namespace prognos::cli {
namespace {

// True when `listen` (host:port, already validated) binds a loopback address only.
bool IsLoopback(const std::string& listen) {
  const std::string host = listen.substr(0, listen.rfind(':'));
  return host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

// Exit codes: 0 valid; 1 problems found (each printed on stderr); 3 the file cannot be read.
int RunCheckConfig(const std::string& path) {
  std::vector<daemon::ConfigIssue> issues;
  auto config = daemon::LoadConfigFile(path, &issues);
  if (!config) {
    for (const auto& issue : issues) std::fprintf(stderr, "%s\n", issue.ToString().c_str());
    if (config.error().code == ErrorCode::kIo) {
      if (issues.empty()) std::fprintf(stderr, "%s\n", config.error().message.c_str());
      return kExitEnvironment;
    }
    std::fprintf(stderr, "%s: %zu %s; see docs/configuration.md\n", path.c_str(), issues.size(),
                 issues.size() == 1 ? "problem" : "problems");
    return kExitFailure;
  }
  std::printf("%s: OK\n%s", path.c_str(), daemon::DescribeConfig(*config).c_str());
  // Not an error here (the file is valid), but `serve` would start without those tokens.
  for (const auto& env : config->api.auth_tokens_env) {
    const char* value = std::getenv(env.c_str());
    if (value == nullptr || *value == '\0') {
      std::fprintf(stderr, "note: $%s (api.auth_tokens_env) is not set in this environment\n",
                   env.c_str());
    }
  }
  if (config->api.auth_tokens_env.empty() && !IsLoopback(config->api.listen)) {
    std::fprintf(stderr,
                 "note: api.listen %s accepts connections from other hosts and authentication is "
                 "off (api.auth_tokens_env is empty)\n",
                 config->api.listen.c_str());
  }
  return kExitOk;
}

}  // namespace

CLI::App* RegisterCheckConfigCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "check-config",
      "Validate a YAML config: list every problem with its file:line (exit 1), or summarise the "
      "effective settings");
  auto path = std::make_shared<std::string>();
  cmd->add_option("FILE", *path, "YAML configuration file")->required();
  cmd->callback([=] { *exit_code = RunCheckConfig(*path); });
  return cmd;
}

}  // namespace prognos::cli
