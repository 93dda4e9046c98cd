// Registers `heapdrift bench` (launcher/bench.h) on the heapdrift program.
#pragma once

#include "replica/base/cli.h"

namespace hd::bench {

// The callback runs the sweep and records its exit code via set_exit_code.
void register_bench_command(CLI::App& app, void (*set_exit_code)(int));

}  // namespace hd::bench
