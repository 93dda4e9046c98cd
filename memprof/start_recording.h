// start_recording: what a program that links memprof (replica, loadgen) does
// at start-up — make the requested allocator live (which may re-execute the
// process once, so call it from main() before any thread starts), then, when
// a run folder is given, start the Recorder writing it, as densely as the
// recording plan (recording_plan.h) says. Single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "memprof/probe.h"
#include "memprof/recorder.h"
#include "memprof/recording_plan.h"

namespace hd::memprof {

struct Recording {
  std::unique_ptr<Recorder> recorder;  // null when no run folder was asked for
  std::string allocator_note;          // why the live allocator is not the requested one, or ""
};

// The plan for `expected` ops and the user's `user` settings fills
// `options`' heap_profile_at, snapshot_every_ops and the plan's record for
// meta.json. `options.requested_allocator` (jemalloc, tcmalloc or glibc) is
// made live, with sampled heap profiling at a mean of 2^lg_prof_sample bytes
// of the plan (jemalloc lg_prof_sample, tcmalloc TCMALLOC_SAMPLE_PARAMETER)
// when a run folder is given (a user's MALLOC_CONF or
// TCMALLOC_SAMPLE_PARAMETER in the environment wins); `options.run_dir` ""
// records nothing. The Recorder gets `options` with the allocator note
// filled in. On failure, *usage_error says whether the request was at fault
// (an unknown allocator, its library missing) rather than the run folder.
// `probe` must outlive the recording.
Result<Recording> start_recording(RecorderOptions options, const ExpectedOps& expected,
                                  const UserRecordingSettings& user, char** argv, Probe* probe,
                                  bool* usage_error);

}  // namespace hd::memprof
