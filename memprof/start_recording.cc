// start_recording: see start_recording.h.
#include "memprof/start_recording.h"

#include "memprof/allocator_select.h"
#include "memprof/backend.h"

namespace hd::memprof {

Result<Recording> start_recording(RecorderOptions options, uint32_t lg_prof_sample, char** argv,
                                  Probe* probe, bool* usage_error) {
  *usage_error = true;
  AllocatorRequest alloc;
  if (!parse_backend(options.requested_allocator.c_str(), &alloc.backend))
    return Status::error("allocator '" + options.requested_allocator +
                         "' is not jemalloc, tcmalloc or glibc");
  // Sampled heap profiling only when something will dump profiles.
  alloc.profiling = !options.run_dir.empty();
  alloc.lg_prof_sample = lg_prof_sample;
  Recording out;
  if (Status st = ensure_allocator(alloc, argv, &out.allocator_note); !st) return st;
  *usage_error = false;
  if (options.run_dir.empty()) return out;
  options.allocator_note = out.allocator_note;
  auto started = Recorder::start(std::move(options), probe);
  if (!started) return started.status();
  out.recorder = std::move(started).value();
  return out;
}

}  // namespace hd::memprof
