// prognos: watches a fleet's health stream, predicts trouble, and moves resources ahead of it.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace prognos::cli;
  CLI::App app{"prognos: predict trouble in a fleet's health stream and act before it happens"};
  app.set_version_flag("--version", std::string("prognos ") + PROGNOS_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok; 1 the command failed (bad input, failed check); 2 bad command line;\n"
      "3 environment error (cannot bind, cannot open the data dir, IO error).");
  int exit_code = kExitOk;
  // One line per working command (keep the order of DESIGN.md §3).
  RegisterServeCommand(app, &exit_code);
  RegisterDemoCommand(app, &exit_code);
  RegisterReplayCommand(app, &exit_code);
  RegisterScoreCommand(app, &exit_code);
  RegisterForecastCommand(app, &exit_code);
  RegisterLstmCommand(app, &exit_code);
  RegisterEntropyCommand(app, &exit_code);
  RegisterFailureCommand(app, &exit_code);
  RegisterSimCommand(app, &exit_code);
  RegisterCheckConfigCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}
