// Allocator time from a process's CPU profile (profiles/cpu.prof): the share
// the finding weighs before blaming a growing heap. Reads files;
// thread-compatible.
#pragma once

#include <optional>

#include "analysis/runs/run_folder.h"
#include "base/status.h"

namespace hd::analysis {

// Share of CPU-profile samples whose innermost frame is allocator code
// (is_allocator_frame); nullopt without profiles/cpu.prof; an error when the
// file is not a CPU profile.
Result<std::optional<double>> cpu_allocator_share(const ProcessRun& p);

}  // namespace hd::analysis
