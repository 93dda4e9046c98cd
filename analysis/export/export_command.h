// `heapdrift export --pprof PROFILE -o FILE.pb.gz`: parses a heap or CPU
// profile, symbolizes it and writes pprof's profile.proto. Single-threaded
// (CLI).
#pragma once

#include "base/cli.h"

namespace hd::analysis {

// Adds `export`; its callback reports 0, or 1 with a message on stderr.
void register_export_command(CLI::App& app, void (*set_exit_code)(int));

}  // namespace hd::analysis
