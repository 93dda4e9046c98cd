// Choosing the allocator of a process. The replica and loadgen binaries are
// linked with glibc malloc; `--allocator jemalloc|tcmalloc` re-executes the
// process once with the Debian shared library in LD_PRELOAD (guarded by the
// HEAPDRIFT_ALLOCATOR_REEXEC marker), then verifies that the live allocator is
// the requested one. Call from main() before any thread is started.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "memprof/backend.h"

namespace hd::memprof {

struct AllocatorRequest {
  Backend backend = Backend::kJemalloc;
  // Turn on sampled heap profiling in the allocator (jemalloc prof:true,
  // tcmalloc TCMALLOC_SAMPLE_PARAMETER): only when something will dump profiles.
  bool profiling = false;
  uint32_t lg_prof_sample = 19;  // jemalloc: mean 2^19 = 512 KiB between samples
  uint64_t tcmalloc_sample_bytes = uint64_t{1} << 19;
};

constexpr const char* kReexecMarker = "HEAPDRIFT_ALLOCATOR_REEXEC";

// Path of the shared library providing `b` (HEAPDRIFT_JEMALLOC_LIB /
// HEAPDRIFT_TCMALLOC_LIB override the search), or "" if none is installed.
// glibc needs no library and returns "".
std::string allocator_library_path(Backend b);

// The environment (name, value) a program must be started with so that `req`
// is its allocator. `current_preload` is the caller's LD_PRELOAD (other
// entries are kept; allocator libraries are replaced). `extra_preload` is put
// after the allocator (e.g. the memprof preload library).
Result<std::vector<std::pair<std::string, std::string>>> allocator_environment(
    const AllocatorRequest& req, const char* current_preload, const std::string& extra_preload);

// Makes `req.backend` this process's allocator: returns OK if it is already
// live; otherwise re-executes /proc/self/exe with `argv` and the environment
// above (does not return on success). Errors: library missing, exec failed,
// or the re-executed process still has another allocator. In a sanitizer
// build the sanitizer owns malloc: no re-exec, OK with `*note` explaining.
Status ensure_allocator(const AllocatorRequest& req, char** argv, std::string* note);

}  // namespace hd::memprof
