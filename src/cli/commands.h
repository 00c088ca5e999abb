// The prognos subcommands. Each Register… adds one subcommand to the app; main() dispatches.
// A command is registered (and so appears in --help) only once it works.
#pragma once

#include <CLI/CLI.hpp>

namespace prognos::cli {

// Exit codes shared by every command (documented in --help).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // the command ran and failed (bad input, check failed)
inline constexpr int kExitUsage = 2;        // bad command line
inline constexpr int kExitEnvironment = 3;  // cannot bind, cannot open the data dir, IO error

// Each returns the subcommand it added; its callback stores the exit code in *exit_code.
CLI::App* RegisterServeCommand(CLI::App& app, int* exit_code);
CLI::App* RegisterDemoCommand(CLI::App& app, int* exit_code);
CLI::App* RegisterReplayCommand(CLI::App& app, int* exit_code);
CLI::App* RegisterCheckConfigCommand(CLI::App& app, int* exit_code);
CLI::App* RegisterScoreCommand(CLI::App& app, int* exit_code);
CLI::App* RegisterForecastCommand(CLI::App& app, int* exit_code);
CLI::App* RegisterLstmCommand(CLI::App& app, int* exit_code);  // in forecast_command.cc
CLI::App* RegisterEntropyCommand(CLI::App& app, int* exit_code);
CLI::App* RegisterFailureCommand(CLI::App& app, int* exit_code);
CLI::App* RegisterSimCommand(CLI::App& app, int* exit_code);

}  // namespace prognos::cli
