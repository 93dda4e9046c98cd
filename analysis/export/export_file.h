// Exporting a profile file or a process folder as pprof: format detection by
// content, the process folder's last milestone profile and recorded binaries,
// symbolization, profile.proto written gzipped. Thread-safe (no shared state).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace hd::analysis {

struct ExportRequest {
  // A jemalloc heap_v2, gperftools heap or gperftools CPU profile; or a
  // process folder (RUN/replica0), which stands for its last milestone heap
  // profile (the end profile only when there is no milestone; cpu.prof when
  // there is no heap profile), symbolized with the binaries its meta.json
  // recorded. A run folder (several processes) is refused, naming them.
  std::string input;
  std::string output;                 // e.g. heap.pb.gz
  std::vector<std::string> binaries;  // PATH=BUILDID of binaries the run recorded
};

struct ExportOutcome {
  std::string profile;  // the profile file exported
  // For a process folder: what was exported and what was not, and why (a
  // glibc process has no heap profiles, so its CPU profile is all there is).
  std::string note;
  std::vector<std::string> warnings;  // the symbolizer's (missing or mismatched binaries)
};

// Errors name the file and, for parse errors, the line or offset; a file that
// is no profile at all says which formats were expected (a `.heap` file: the
// two heap formats).
Result<ExportOutcome> export_pprof_file(const ExportRequest& request);

}  // namespace hd::analysis
