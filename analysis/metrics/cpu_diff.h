// CPU-profile window diff (issue 17): where the extra time per op goes late in
// a run. Two CPU profiles of the same process, an early and a late window of
// its op count (profiles/cpu-windows.jsonl, docs/run-folder.md), are turned
// into CPU time per op by function, and the functions ranked by how much
// their time per op rose (docs/report.md, "CPU profile diff").
// Pure computation over loaded profiles, plus cpu_window_diff() which reads a
// process folder's profiles. Thread-compatible (a SymbolCache per call).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/ingest/profile.h"
#include "analysis/runs/run_folder.h"
#include "analysis/symbolize/symbolizer.h"
#include "base/status.h"

namespace hd::analysis {

// One function's CPU time per op in each window, microseconds: its samples x
// the CPU time one sample stands for / the window's ops. A sample stands for
// the window's measured CPU time / its samples when the window recorded its
// CPU time (the profiler's SIGPROF timer fires less often than asked on a
// loaded machine, so samples x period undercounts, and by different amounts
// in different windows), else for the sampling period.
//  * self: samples whose own frame is this function: the innermost frame
//    that is neither allocator nor standard-library code (as a heap site is
//    named, fold.h allocation_site), so time in malloc or an inlined
//    std::vector loop is charged to the function that asked for it;
//  * total: samples with this function anywhere on the stack (once each).
struct FunctionCpu {
  std::string function, file, module;
  std::string name;  // the qualified name without return type and parameters (fold.h bare_name)
  double early_self_us = 0, late_self_us = 0;
  double early_total_us = 0, late_total_us = 0;
  double self_delta_us() const { return late_self_us - early_self_us; }
  double total_delta_us() const { return late_total_us - early_total_us; }
};

struct CpuWindowDiff {
  std::string early_window, late_window;  // window names ("early", "late")
  int64_t early_ops = 0, late_ops = 0;    // ops counted in each window
  double early_s = 0, late_s = 0;         // each window's length
  uint64_t early_samples = 0, late_samples = 0;
  uint64_t period_us = 0;  // the profiles' sampling period
  // CPU time per sample in each window (= period_us unless measured), and
  // whether both windows' times were measured.
  double early_us_per_sample = 0, late_us_per_sample = 0;
  bool measured_cpu = false;
  // All samples: the process's profiled CPU per op in each window.
  double early_us_per_op = 0, late_us_per_op = 0;
  // By self_delta_us, largest rise first; functions with samples in either.
  std::vector<FunctionCpu> functions;
};

// Each address of a profile resolved (innermost frame first, inline frames
// expanded); is_return: a caller's return address (the call is just before).
using CpuResolver =
    std::function<const SymbolizedLocation&(const std::vector<Mapping>&, uint64_t, bool)>;

// One window's profile and what the recorder measured over it.
struct WindowProfile {
  const CpuProfile* profile = nullptr;
  int64_t ops = 0;     // ops counted in the window, > 0
  int64_t cpu_us = 0;  // the process's CPU time over it; 0: not measured
};

// Fails when the two profiles' sampling periods differ.
Result<CpuWindowDiff> diff_cpu_windows(const WindowProfile& early, const WindowProfile& late,
                                       const CpuResolver& resolve);

// The diff of a process's "early" and "late" windows; nullopt when it has no
// such windows (no CPU profile, a run too short for windows, or one that
// ended before its late window) or either counted no op. Errors: a window's
// profile unreadable or malformed.
Result<std::optional<CpuWindowDiff>> cpu_window_diff(const ProcessRun& p,
                                                     std::vector<std::string>* warnings);

}  // namespace hd::analysis
