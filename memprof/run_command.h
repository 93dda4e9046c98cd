// `heapdrift run [options] -- CMD ARGS...`: profiles any dynamically linked
// program by starting it with the chosen allocator and
// libheapdrift_memprof_preload.so in LD_PRELOAD; the preload library's
// constructor starts a Recorder configured by the environment variables
// below. Single-threaded (CLI).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/cli.h"

namespace hd::memprof {

// Environment contract between `heapdrift run` and the preload library.
constexpr const char* kEnvRunDir = "HEAPDRIFT_RUN_DIR";  // required; absent: preload idles
constexpr const char* kEnvIntervalMs = "HEAPDRIFT_SNAPSHOT_INTERVAL_MS";
constexpr const char* kEnvProfileAtOps = "HEAPDRIFT_HEAP_PROFILE_AT";    // "10000,25000"
constexpr const char* kEnvProfileAtMs = "HEAPDRIFT_HEAP_PROFILE_AT_MS";  // "1000,5000"
constexpr const char* kEnvRequestedAllocator = "HEAPDRIFT_REQUESTED_ALLOCATOR";
constexpr const char* kEnvCpuProfile = "HEAPDRIFT_CPU_PROFILE";        // "1"
constexpr const char* kEnvTcmallocExact = "HEAPDRIFT_TCMALLOC_EXACT";  // "1"
constexpr const char* kEnvSigusr2 = "HEAPDRIFT_SIGUSR2";               // "0": leave SIGUSR2 alone
// The counter a program may export (extern "C" std::atomic<uint64_t>, in the
// dynamic symbol table) for op milestones.
constexpr const char* kOpsSymbol = "heapdrift_ops_completed";

// Parses "a,b,c" of unsigned integers; false on anything else.
bool parse_u64_list(const char* text, std::vector<uint64_t>* out);

// Adds `run`; its callback reports CMD's exit code through set_exit_code.
void register_run_command(CLI::App& app, void (*set_exit_code)(int));

}  // namespace hd::memprof
