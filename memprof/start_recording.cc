// start_recording: see start_recording.h.
#include "memprof/start_recording.h"

#include "memprof/allocator_select.h"
#include "memprof/backend.h"

namespace hd::memprof {

Result<Recording> start_recording(const RecordingRequest& request, char** argv, Probe* probe,
                                  bool* usage_error) {
  *usage_error = true;
  AllocatorRequest alloc;
  if (!parse_backend(request.allocator.c_str(), &alloc.backend))
    return Status::error("allocator '" + request.allocator +
                         "' is not jemalloc, tcmalloc or glibc");
  // Sampled heap profiling only when something will dump profiles.
  alloc.profiling = !request.run_dir.empty();
  alloc.lg_prof_sample = request.lg_prof_sample;
  Recording out;
  if (Status st = ensure_allocator(alloc, argv, &out.allocator_note); !st) return st;
  *usage_error = false;
  if (request.run_dir.empty()) return out;
  RecorderOptions ro;
  ro.run_dir = request.run_dir;
  ro.program = request.program;
  ro.requested_allocator = request.allocator;
  ro.allocator_note = out.allocator_note;
  ro.snapshot_interval_ms = request.snapshot_interval_ms;
  ro.heap_profile_at = request.heap_profile_at;
  ro.cpu_profile = request.cpu_profile;
  ro.config_path = request.config_path;
  ro.settings = request.settings;
  auto started = Recorder::start(std::move(ro), probe);
  if (!started) return started.status();
  out.recorder = std::move(started).value();
  return out;
}

}  // namespace hd::memprof
