// The environment contract between `heapdrift run` (cli/run_command.cc), which
// sets these variables for the program it starts, and
// libheapdrift_memprof_preload.so (preload_main.cc), whose constructor reads
// them to start a Recorder (docs/run-folder.md). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hd::memprof {

constexpr const char* kEnvRunDir = "HEAPDRIFT_RUN_DIR";  // required; absent: preload idles
constexpr const char* kEnvIntervalMs = "HEAPDRIFT_SNAPSHOT_INTERVAL_MS";
constexpr const char* kEnvProfileAtOps = "HEAPDRIFT_HEAP_PROFILE_AT";    // "10000,25000"
constexpr const char* kEnvProfileAtMs = "HEAPDRIFT_HEAP_PROFILE_AT_MS";  // "1000,5000"
constexpr const char* kEnvRequestedAllocator = "HEAPDRIFT_REQUESTED_ALLOCATOR";
constexpr const char* kEnvCpuProfile = "HEAPDRIFT_CPU_PROFILE";        // "1"
constexpr const char* kEnvTcmallocExact = "HEAPDRIFT_TCMALLOC_EXACT";  // "1"
constexpr const char* kEnvSigusr2 = "HEAPDRIFT_SIGUSR2";               // "0": leave SIGUSR2 alone
// Set by the preload library in the process it records (empty from `heapdrift
// run`): that process's identity, "pid:start time" (/proc/self/stat field 22,
// kept across exec: a recycled pid does not match), the program it runs, and
// the size snapshots.jsonl had before it recorded. A process that finds
// another identity is a descendant and records nothing; one that finds its
// own is the recorded process after an exec (a wrapper script, `sh -c`,
// pyenv's shims) and records its new program instead, removing what the
// previous image wrote from that offset on.
constexpr const char* kEnvRunPid = "HEAPDRIFT_RUN_PID";
constexpr const char* kEnvRunImage = "HEAPDRIFT_RUN_IMAGE";
constexpr const char* kEnvRunOffset = "HEAPDRIFT_RUN_OFFSET";
// The counter a program may export (extern "C" std::atomic<uint64_t>, in the
// dynamic symbol table) for op milestones.
constexpr const char* kOpsSymbol = "heapdrift_ops_completed";

// What the preload library's recorder is asked to do.
struct PreloadSettings {
  std::string run_dir;              // absolute
  std::string requested_allocator;  // "jemalloc", "tcmalloc", "glibc"
  uint32_t interval_ms = 100;
  std::string profile_at_ops;  // "10000,25000" (parse_u64_list syntax)
  std::string profile_at_ms;
  bool cpu_profile = false;
  bool tcmalloc_exact = false;
};

// The variables (name, value) that carry `s` to the preload library.
std::vector<std::pair<std::string, std::string>> preload_environment(const PreloadSettings& s);

// Parses "a,b,c" of unsigned integers (spaces allowed around commas); false
// on anything else.
bool parse_u64_list(const char* text, std::vector<uint64_t>* out);

}  // namespace hd::memprof
