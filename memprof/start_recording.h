// start_recording: what a program that links memprof (replica, loadgen) does
// at start-up — make the requested allocator live (which may re-execute the
// process once, so call it from main() before any thread starts), then, when
// a run folder is given, start the Recorder writing it. Single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "memprof/probe.h"
#include "memprof/recorder.h"

namespace hd::memprof {

struct RecordingRequest {
  std::string program;    // "replica", "loadgen": recorded in meta.json
  std::string allocator;  // jemalloc, tcmalloc or glibc
  std::string run_dir;    // "" = select the allocator, record nothing
  uint32_t lg_prof_sample = 19;
  uint32_t snapshot_interval_ms = 100;
  std::vector<uint64_t> heap_profile_at;  // op milestones
  bool cpu_profile = false;
  std::string config_path;
  std::vector<std::pair<std::string, std::string>> settings;  // recorded in meta.json
};

struct Recording {
  std::unique_ptr<Recorder> recorder;  // null when no run folder was asked for
  std::string allocator_note;          // why the live allocator is not the requested one, or ""
};

// On failure, *usage_error says whether the request was at fault (an unknown
// allocator, its library missing) rather than the run folder. `probe` must
// outlive the recording.
Result<Recording> start_recording(const RecordingRequest& request, char** argv, Probe* probe,
                                  bool* usage_error);

}  // namespace hd::memprof
