// CPU-profile windows (docs/run-folder.md, "CPU profile windows"): with a CPU
// profile requested and the run's length known, the recorder writes one
// gperftools profile per window of the process's op count — warm-up, early,
// middle, late — so the analysis can say per op and per function where an
// op's extra time goes late in the run (issue 17), and joins them into the
// whole-run profiles/cpu.prof at the end. Also the hardware-counter probe
// (perf_event_open), recorded as available or not with the reason.
// Pure functions except probe_hw_counters (a syscall); thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "memprof/recording_plan.h"

namespace hd::memprof {

// Window starts as fractions of the least count a process expects (every
// process reaches them; a leader, counting more, reaches them earlier in its
// own run): early from 10 % (after warm-up, as the report's trend), late from
// 80 % to the end.
inline constexpr uint64_t kCpuWindowPercent[] = {10, 30, 80};
inline constexpr const char* kCpuWindowNames[] = {"warmup", "early", "middle", "late"};
inline constexpr size_t kCpuWindows = 4;
// Below this many expected ops the windows would hold a handful of samples
// each: one whole-run cpu.prof instead.
inline constexpr uint64_t kMinOpsForCpuWindows = 1000;

// Samples per second of CPU time asked of gperftools (CPUPROFILE_FREQUENCY,
// unless the environment sets it): 1 ms per sample instead of its default
// 10 ms, so a window of a few hundred ms holds hundreds of samples. One
// SIGPROF and a frame-pointer walk per sample, a few us each: < 1 % of CPU.
inline constexpr const char* kCpuProfileFrequencyText = "1000";

// The op counts where the early, middle and late windows start (ascending,
// distinct), or empty when the length is unknown or too short.
std::vector<uint64_t> cpu_window_bounds(const ExpectedOps& ops);

// One gperftools CPU profile holding every sample of `profiles` (in order,
// each a whole file: header, records, trailer, maps): the first one's header,
// every record, one trailer and the last one's maps text (a later profile's
// maps hold every library the earlier ones saw, as long as none was
// unloaded). Errors name the index of the profile that is malformed.
Result<std::string> join_gperf_cpu_profiles(const std::vector<std::string>& profiles);

// Whether this process may count hardware events (a cycles counter on itself
// through perf_event_open); why not when it may not ("perf_event_open
// (cycles): No such file or directory" on a VM without a PMU).
struct HwCounterProbe {
  bool available = false;
  std::string why;
};
HwCounterProbe probe_hw_counters();

}  // namespace hd::memprof
