// Process facts for snapshots: RSS, page faults, CPU time, context switches,
// threads — from /proc/self/stat and getrusage(RUSAGE_SELF). read() uses only
// a stack buffer and syscalls: safe from any thread, never allocates.
#pragma once

#include <cstdint>

namespace hd::memprof {

struct ProcFacts {
  uint64_t rss_bytes = 0;
  uint64_t minor_faults = 0;
  uint64_t major_faults = 0;
  uint64_t user_cpu_us = 0;
  uint64_t sys_cpu_us = 0;
  uint64_t voluntary_ctx_switches = 0;
  uint64_t involuntary_ctx_switches = 0;
  uint64_t threads = 0;
};

// False if /proc/self/stat could not be read (getrusage fields are still set).
bool read_proc_facts(ProcFacts* out);

}  // namespace hd::memprof
