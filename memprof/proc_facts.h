// Process facts for snapshots: RSS, page faults, CPU time, context switches,
// threads — from /proc/self/stat and getrusage(RUSAGE_SELF). read() uses only
// a stack buffer and syscalls: safe from any thread, never allocates.
#pragma once

#include <cstdint>
#include <string_view>

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

// Field `field` (numbered as in proc(5), >= 3) of a /proc/PID/stat line.
// Fields are counted from the last ')', since the command name may hold
// spaces and parentheses. Empty when the line is malformed or shorter.
std::string_view proc_stat_field(std::string_view stat, int field);

// CPU (user + system, us) of the children this process has waited for
// (getrusage(RUSAGE_CHILDREN)); 0 if it cannot be read.
uint64_t reaped_children_cpu_us();

}  // namespace hd::memprof
