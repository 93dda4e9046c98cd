// The subcommands of build/bin/heapdrift. register_commands adds every
// subcommand to the app; the selected one runs from its CLI11 callback and
// stores its exit code, which exit_code() returns. Single-threaded use.
#pragma once

#include "base/cli.h"

namespace hd::analysis {

void register_commands(CLI::App& app);
int exit_code();
// For subcommand callbacks: record the process exit code.
void set_exit_code(int code);

}  // namespace hd::analysis
