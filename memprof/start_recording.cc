// start_recording: see start_recording.h.
#include "memprof/start_recording.h"

#include "memprof/allocator_select.h"
#include "memprof/backend.h"

namespace hd::memprof {

Result<Recording> start_recording(RecorderOptions options, const ExpectedOps& expected,
                                  const UserRecordingSettings& user, char** argv, Probe* probe,
                                  bool* usage_error) {
  *usage_error = true;
  AllocatorRequest alloc;
  if (!parse_backend(options.requested_allocator.c_str(), &alloc.backend))
    return Status::error("allocator '" + options.requested_allocator +
                         "' is not jemalloc, tcmalloc or glibc");
  const RecordingPlan plan = plan_recording(expected, user);
  options.heap_profile_at = plan.heap_profile_at;
  options.snapshot_every_ops = plan.snapshot_every_ops;
  options.expected_ops = expected;
  options.heap_profile_at_from = plan.heap_profile_at_from;
  options.lg_prof_sample_from = plan.lg_prof_sample_from;
  options.lg_prof_sample = plan.lg_prof_sample;
  // Sampled heap profiling only when something will dump profiles; one rate
  // for both samplers (tcmalloc's knob is in bytes).
  alloc.profiling = !options.run_dir.empty();
  alloc.lg_prof_sample = plan.lg_prof_sample;
  alloc.tcmalloc_sample_bytes = uint64_t{1} << plan.lg_prof_sample;
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
