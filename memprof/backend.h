// Allocator backends: which malloc is live in this process (detected with
// dlsym, never assumed), its statistics, and heap-profile dumps.
// Thread-safety: detect_backend() and AllocatorReader::init() once at startup;
// after init, read() and dump_heap_profile() are safe from any thread, never
// throw, and read() allocates nothing (jemalloc's mallctl and tcmalloc's
// numeric properties do not allocate through the profiled heap either).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "base/status.h"

namespace hd::memprof {

enum class Backend { kGlibc, kJemalloc, kTcmalloc };

const char* backend_name(Backend b);
// Parses "jemalloc" / "tcmalloc" / "glibc". False for anything else.
bool parse_backend(const char* name, Backend* out);

// The allocator serving malloc in this process: `mallctl` resolvable ->
// jemalloc; `MallocExtension_GetNumericProperty` -> tcmalloc; else glibc.
Backend detect_backend();

constexpr uint64_t kUnknown = ~uint64_t{0};  // a stat the backend does not have

// One reading. Fields a backend lacks are kUnknown (written as JSON null).
// Meanings per backend are documented in docs/run-folder.md.
struct AllocStats {
  uint64_t allocated = kUnknown;       // bytes in live application allocations
  uint64_t active = kUnknown;          // bytes in pages holding live allocations
  uint64_t resident = kUnknown;        // allocator bytes resident in RAM
  uint64_t mapped = kUnknown;          // bytes mapped by the allocator
  uint64_t retained = kUnknown;        // jemalloc: unmapped-but-retained virtual memory
  uint64_t metadata = kUnknown;        // allocator's own bookkeeping
  uint64_t free_bytes = kUnknown;      // held by the allocator, not in use
  uint64_t unmapped_bytes = kUnknown;  // tcmalloc: page heap released to the OS
  // Cumulative since process start (jemalloc only).
  uint64_t alloc_count = kUnknown;
  uint64_t alloc_bytes = kUnknown;  // rounded up to the size class
};

struct ProfileInfo {
  bool available = false;       // this process can write heap profiles
  const char* kind = "none";    // "jemalloc-prof", "tcmalloc-sampled", "tcmalloc-exact", "none"
  const char* format = "none";  // "jemalloc-heap_v2", "gperftools-heap", "none"
  uint64_t sample_bytes = 0;    // mean bytes between samples (0: every allocation / none)
};

class AllocatorReader {
 public:
  // Resolves backend entry points and MIBs. `tcmalloc_exact`: start gperftools'
  // full HeapProfiler (records every allocation; slow) instead of sampling.
  // `exact_prefix` is where HeapProfilerStart writes its own files.
  Status init(bool tcmalloc_exact = false, const char* exact_prefix = nullptr);
  Backend backend() const { return backend_; }
  // Reads current statistics (jemalloc: after bumping `epoch`). Never allocates.
  void read(AllocStats* out) const;
  const ProfileInfo& profile_info() const { return profile_; }
  // Writes a heap profile to `path`. False (and errno-style reason in `why`,
  // a static string) when the backend has none or the dump failed.
  bool dump_heap_profile(const char* path, const char** why) const;
  // jemalloc: "version"; tcmalloc: TC_VERSION_STRING if present; glibc: gnu_get_libc_version().
  const char* version() const { return version_; }

 private:
  static constexpr size_t kMaxMib = 8;
  static constexpr size_t kMaxClasses = 512;
  struct Mib {
    size_t v[kMaxMib];
    size_t len = 0;
  };
  Status init_jemalloc();
  Status init_tcmalloc(bool exact, const char* exact_prefix);
  void read_jemalloc(AllocStats* out) const;
  void read_tcmalloc(AllocStats* out) const;
  void read_glibc(AllocStats* out) const;

  Backend backend_ = Backend::kGlibc;
  ProfileInfo profile_;
  const char* version_ = "unknown";
  // jemalloc
  using MallctlFn = int (*)(const char*, void*, size_t*, void*, size_t);
  using MallctlByMibFn = int (*)(const size_t*, size_t, void*, size_t*, void*, size_t);
  using MallctlNameToMibFn = int (*)(const char*, size_t*, size_t*);
  MallctlFn mallctl_ = nullptr;
  MallctlByMibFn bymib_ = nullptr;
  Mib epoch_, allocated_, active_, resident_, mapped_, retained_, metadata_;
  // Per size class: nrequests MIB and the class size (small bins, then large).
  Mib class_nreq_[kMaxClasses];
  uint64_t class_size_[kMaxClasses] = {};
  bool class_small_[kMaxClasses] = {};
  size_t nclasses_ = 0;
  size_t nbins_ = 0;
  // Cumulative counts without reading all ~230 classes per snapshot (each
  // read takes jemalloc's ctl mutex; they were most of a snapshot's cost): a
  // class's count never falls, so once the classes seen with requests sum to
  // the arena totals (small.nrequests, large.nrequests, read from the same
  // epoch), every other class is still at zero. A mismatch means a class
  // gained its first requests: read them all once more.
  Mib small_nreq_, large_nreq_;
  bool totals_known_ = false;  // both total MIBs resolved
  mutable std::atomic<bool> class_seen_[kMaxClasses] = {};
  mutable std::atomic<uint64_t> full_class_scans_{0};

 public:
  // How many snapshots read every size class (tests: the shortcut works).
  uint64_t full_class_scans() const { return full_class_scans_.load(std::memory_order_relaxed); }

 private:
  // Sum of requests and bytes over classes (all, or the seen ones), small
  // and large separately; marks classes seen when reading all.
  struct ClassSums {
    uint64_t small_count = 0, large_count = 0, bytes = 0;
  };
  ClassSums sum_classes(bool all) const;
  // tcmalloc
  using NumericFn = int (*)(const char*, size_t*);
  NumericFn tc_numeric_ = nullptr;
  void* tc_instance_ = nullptr;  // MallocExtension* (C++ API, for GetHeapSample)
  using GetHeapProfileFn = char* (*)();
  GetHeapProfileFn tc_get_heap_profile_ = nullptr;
};

}  // namespace hd::memprof
