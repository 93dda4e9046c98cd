// In-memory model of the allocator and CPU profiles heapdrift ingests, shared by
// the parsers, the symbolizer, the pprof exporter and the metrics. Plain values;
// no shared state, so any thread may use its own copies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hd::analysis {

enum class ProfileFormat {
  kJemallocHeapV2,    // jemalloc prof.dump: "heap_v2/<period>"
  kGperfHeap,         // gperftools HeapProfiler: "... @ heapprofile" (exact counts)
  kGperfHeapSampled,  // gperftools GetHeapSample: "... @ heap_v2/<period>"
  kGperfCpu,          // gperftools CpuProfiler binary format
};

// One line of /proc/self/maps as recorded in a profile's MAPPED_LIBRARIES
// section. [start, limit) are runtime addresses; file_offset is where start
// lies in path's file.
struct Mapping {
  uint64_t start = 0;
  uint64_t limit = 0;
  uint64_t file_offset = 0;
  std::string perms;  // "r-xp"
  std::string path;   // empty for anonymous mappings
  bool executable() const { return perms.size() >= 3 && perms[2] == 'x'; }
  bool contains(uint64_t address) const { return address >= start && address < limit; }
};

// Innermost frame first. Heap stacks hold return addresses only; a CPU
// sample's first entry is the interrupted PC (see CpuProfile).
using Stack = std::vector<uint64_t>;

struct HeapSample {
  Stack stack;
  int64_t inuse_objs = 0;
  int64_t inuse_bytes = 0;
  int64_t alloc_objs = 0;  // cumulative since start; 0 when !has_alloc
  int64_t alloc_bytes = 0;
};

struct HeapProfile {
  ProfileFormat format = ProfileFormat::kJemallocHeapV2;
  std::string source;          // file name, for messages
  uint64_t sample_period = 0;  // mean bytes between samples; 0 = exact counts
  // False when the allocator did not record cumulative counts (jemalloc
  // without prof_accum prints "[0: 0]" everywhere).
  bool has_alloc = false;
  // True once unsample() scaled the counts to estimates of the real totals.
  bool unsampled = false;
  HeapSample totals;  // header totals (stack empty), as recorded
  std::vector<HeapSample> samples;
  std::vector<Mapping> mappings;
};

struct CpuSample {
  Stack stack;  // stack[0] is the sampled PC, the rest are return addresses
  uint64_t count = 0;
};

struct CpuProfile {
  std::string source;
  uint64_t period_us = 0;  // sampling interval
  std::vector<CpuSample> samples;
  std::vector<Mapping> mappings;
};

// Estimated real counts for `objs` objects totalling `bytes` seen by a
// Poisson sampler with mean period `period` bytes: each is multiplied by
// 1 / (1 - exp(-avg / period)), avg = bytes / objs, the inverse of the
// probability that an allocation of avg bytes is sampled (jemalloc's and
// pprof's formula). period <= 1 means exact counts and returns them unchanged.
struct ScaledCounts {
  int64_t objs = 0;
  int64_t bytes = 0;
};
ScaledCounts unsample_counts(int64_t objs, int64_t bytes, uint64_t period);

// Returns a copy whose samples and totals are scaled by unsample_counts
// (in-use and cumulative pairs separately); idempotent.
HeapProfile unsample(const HeapProfile& profile);

// Reads a whole file for the parsers; the error names the path.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace hd::analysis
