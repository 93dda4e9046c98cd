// pprof export: writes profile.proto (github.com/google/pprof/proto), gzipped,
// from a parsed heap or CPU profile, symbolized with function, file:line and
// inlined frames, mappings carrying build-ids. Thread-safe (no shared state
// beyond the Symbolizer, which locks itself).
#pragma once

#include <string>

#include "analysis/ingest/profile.h"
#include "analysis/symbolize/symbolizer.h"
#include "base/status.h"

namespace hd::analysis {

// Profile.drop_frames of every export: the allocator's entry points and
// internals (glibc, jemalloc, tcmalloc, operator new/delete, the standard
// library's allocator plumbing, unsymbolized jemalloc/tcmalloc frames), so
// `pprof -top` charges the program's functions, not malloc. pprof matches it
// against the whole function name with its parameter list cut ("^(RE)$").
inline constexpr const char* kPprofDropFrames =
    "malloc|calloc|realloc|free|cfree|posix_memalign|memalign|aligned_alloc|valloc|pvalloc|"
    "reallocarray|mallocx|rallocx|xallocx|sallocx|dallocx|sdallocx|nallocx|malloc_usable_size|"
    "operator new.*|operator delete.*|je_.*|tc_.*|prof_.*|imalloc.*|ialloc.*|iralloc.*|"
    "arena_.*|tcache_.*|__libc_(malloc|calloc|realloc|free|memalign)|_int_(malloc|free|realloc|"
    "memalign)|tcmalloc::.*|do_malloc.*|do_calloc.*|MallocHook.*|HeapProfileTable::.*|"
    "\\(anonymous namespace\\)::do_(malloc|calloc).*|"
    "(std|__gnu_cxx)::.*(allocator|_M_allocate|_M_deallocate|_M_create_node|_M_get_node).*|"
    "libjemalloc.*|libtcmalloc.*";

// Heap: sample types alloc_objects/count, alloc_space/bytes (only when the
// profile has cumulative counts), inuse_objects/count, inuse_space/bytes
// (the default); values are unsampled estimates (see unsample()).
std::string encode_pprof(const HeapProfile& profile, const Symbolizer& symbolizer);
// CPU: samples/count and cpu/nanoseconds, period cpu/nanoseconds.
std::string encode_pprof(const CpuProfile& profile, const Symbolizer& symbolizer);

Result<std::string> gzip(std::string_view data);

// encode_pprof + gzip + write to path (conventionally *.pb.gz).
Status export_pprof(const HeapProfile& profile, const Symbolizer& symbolizer,
                    const std::string& path);
Status export_pprof(const CpuProfile& profile, const Symbolizer& symbolizer,
                    const std::string& path);

}  // namespace hd::analysis
