// Registers `heapdrift bench` and `heapdrift cluster` (launcher/bench.h) on the
// heapdrift program.
#pragma once

#include "base/cli.h"

namespace hd::bench {

// Adds `bench` (the sweep) and `cluster` (replicas for a client of one's
// own); the callbacks record their exit code via set_exit_code.
void register_bench_command(CLI::App& app, void (*set_exit_code)(int));
void register_cluster_command(CLI::App& app, void (*set_exit_code)(int));

}  // namespace hd::bench
