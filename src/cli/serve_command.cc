#include "cli/commands.h"
#include "cli/common.h"
#include "daemon/daemon.h"

namespace prognos::cli {

CLI::App* RegisterServeCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("serve", "Run the daemon: HTTP ingest, durable store, read API, /metrics");
  auto config_path = std::make_shared<std::string>();
  auto data_dir = std::make_shared<std::string>();
  auto listen = std::make_shared<std::string>();
  cmd->add_option("--config", *config_path, "YAML configuration file (defaults when omitted)");
  cmd->add_option("--data-dir", *data_dir, "Where the store keeps its WAL (overrides store.data_dir)");
  cmd->add_option("--listen", *listen, "HOST:PORT to listen on (default 127.0.0.1:8470)");
  cmd->callback([=] {
    auto config = LoadConfigOrReport(*config_path);
    if (!config) {
      *exit_code = kExitFailure;
      return;
    }
    if (!data_dir->empty()) config->store.data_dir = *data_dir;
    if (!listen->empty()) config->api.listen = *listen;
    *exit_code = daemon::RunServe(*config);
  });
  return cmd;
}

}  // namespace prognos::cli
