// Recorder: the in-process half of memprof. It owns a run folder
// (docs/run-folder.md): writes meta.json at start, one snapshots.jsonl line
// per interval and every so many ops (op steps), heap profiles at op
// milestones, at time milestones, on SIGUSR2 and at the end, all from its own
// thread (the thread whose op crosses a step or milestone only posts it), and
// optionally a gperftools CPU profile.
// Thread-safety: start()/stop() from one controlling thread; the probe may be
// updated from any thread. The sampling path (snapshot formatting and
// writing) uses only stack buffers and write(2): it never allocates through
// the profiled heap and never throws. At most one Recorder per process
// (it owns the SIGUSR2 handler).
#pragma once

#include <semaphore.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "memprof/backend.h"
#include "memprof/probe.h"
#include "memprof/recording_plan.h"
#include "memprof/speed_probe.h"

namespace hd::memprof {

struct RecorderOptions {
  std::string run_dir;              // created if missing
  std::string program = "unknown";  // recorded in meta.json
  std::string requested_allocator;  // "" if none was requested
  std::string allocator_note;       // e.g. "sanitizer build"
  // The folder holds, from byte `previous_image_offset` of snapshots.jsonl
  // on, the records of this process's previous program image (it exec'd; the
  // preload library's case): they are removed — those lines, and the profiles
  // they name — so one series never mixes two programs' counters (each image
  // has its own allocator). Earlier runs' lines in a reused folder stay.
  bool replace_previous_image = false;
  uint64_t previous_image_offset = 0;
  uint32_t snapshot_interval_ms = 100;
  // Besides the timer, a snapshot (reason "op-step") each time the op count
  // crosses a multiple of this; 0 = none. The op thread only posts a
  // semaphore; the snapshot is taken on the recorder's thread. Needs the
  // probe's counter (not external_ops).
  uint64_t snapshot_every_ops = 0;
  std::vector<uint64_t> heap_profile_at;     // op milestones (ascending after start())
  std::vector<uint64_t> heap_profile_at_ms;  // time milestones, ms since start
  bool profile_at_end = true;
  bool cpu_profile = false;     // gperftools libprofiler, loaded with dlopen
  bool tcmalloc_exact = false;  // gperftools HeapProfiler (every allocation; slow)
  bool handle_sigusr2 = true;
  // Every this many ms the snapshot thread times a fixed amount of work
  // (speed_probe.h) and the lines carry the totals: the machine's speed over
  // the run, beside the program's CPU per op. 0: off.
  uint32_t speed_probe_interval_ms = 1000;
  std::string config_path;
  std::vector<std::pair<std::string, std::string>> settings;  // recorded in meta.json
  // How the density was chosen (recording_plan.h), recorded in meta.json.
  ExpectedOps expected_ops;
  std::string heap_profile_at_from;  // "config", "run-length", "default"; "" = not said
  std::string lg_prof_sample_from;
  uint32_t lg_prof_sample = 0;  // as requested of the allocator (meta.json: the effective rate)
  // For programs that keep their own counter (the preload library): ops are
  // read from it; op milestones are then checked by the snapshot thread, so a
  // profile lands within one interval after the milestone (the snapshot line
  // records the exact count at the dump).
  const std::atomic<uint64_t>* external_ops = nullptr;
};

class Recorder {
 public:
  // Creates the run folder and profiles/, writes meta.json, hooks the op
  // milestones into probe->ops, and starts the snapshot thread. `probe` must
  // outlive the Recorder. Fails if the folder cannot be created or another
  // Recorder is running in this process.
  static Result<std::unique_ptr<Recorder>> start(RecorderOptions options, Probe* probe);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Writes a final snapshot and the end-of-run heap profile, stops the CPU
  // profiler and joins the thread. Idempotent.
  void stop();

  // Appends one snapshot line now, from the calling thread; `profile` is the
  // run-folder-relative path of a profile written with it, or nullptr, and
  // `profile_us` how long writing it took.
  void snapshot_now(const char* reason, const char* profile = nullptr,
                    uint64_t profile_us = kUnknown);
  // Dumps a heap profile named `name` (in profiles/) and appends a snapshot
  // line with reason `reason` that points at it. False if no profile was written.
  bool profile_now(const char* name, const char* reason);

  // Formats one snapshot line (with '\n') into buf. Returns its length, or 0
  // if it did not fit. Exposed for the cost measurement.
  size_t format_snapshot(char* buf, size_t capacity, const char* reason, const char* profile,
                         uint64_t profile_us = kUnknown) const;

  const AllocatorReader& allocator() const { return reader_; }
  const std::string& run_dir() const { return options_.run_dir; }
  uint64_t ops() const;

  static constexpr size_t kLineCapacity = 16384;

 private:
  Recorder(RecorderOptions options, Probe* probe);
  Status open();
  void run();
  void check_external_milestones();     // snapshot thread / stop() only
  void store_recorder_cpu();            // snapshot thread only
  void take_milestones();               // snapshot thread / stop() only
  void maybe_probe_speed(int64_t now);  // snapshot thread only
  void take_cpu_windows();              // snapshot thread / stop() only
  // Ends the current CPU window (its line in cpu-windows.jsonl) and, unless
  // `last`, starts the next one's profile. Snapshot thread / stop() only.
  void next_cpu_window(bool last);
  void join_cpu_windows();  // stop() only: profiles/cpu.prof from the windows
  void write_line(const char* line, size_t len);
  static void on_milestone(void* self, uint64_t ops);
  static void on_op_step(void* self, uint64_t ops);
  static void on_sigusr2(int);

  RecorderOptions options_;
  Probe* probe_;
  AllocatorReader reader_;
  int fd_ = -1;
  pid_t pid_ = 0;  // the recording process (a forked child must not stop it)
  int64_t start_mono_ns_ = 0;
  std::atomic<uint64_t> seq_{0};
  // Monotonic time of the latest line not written by the timer: the timer
  // writes a line only when no other line was written since its previous tick.
  std::atomic<int64_t> last_untimed_line_ns_{0};
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> usr2_pending_{false};
  std::atomic<bool> op_step_pending_{false};
  std::atomic<uint64_t> milestones_pending_{0};  // bit i: heap_profile_at[i] crossed
  // CPU time the recorder thread has used (its snapshots, profiles and
  // wake-ups), as of its last pass: what recording costs this process.
  std::atomic<uint64_t> recorder_cpu_ns_{0};
  // Speed probe totals (snapshot thread writes, any line reads).
  std::unique_ptr<SpeedProbe> speed_probe_;
  std::atomic<uint64_t> probe_runs_{0}, probe_chase_ns_{0}, probe_compute_ns_{0},
      probe_kernel_ns_{0};
  int64_t next_speed_probe_ns_ = 0;
  bool stopped_ = false;
  sem_t wake_;
  std::thread thread_;
  size_t next_time_milestone_ = 0;
  size_t next_external_milestone_ = 0;
  uint64_t usr2_count_ = 0;
  // gperftools CPU profiler (dlopen'ed), if cpu_profile.
  void* profiler_handle_ = nullptr;
  int (*profiler_start_)(const char*) = nullptr;
  void (*profiler_stop_)() = nullptr;
  // CPU-profile windows (cpu_windows.h): the op counts where windows 1.. start
  // (empty: one whole-run cpu.prof), which have been crossed (bit i: window
  // i + 1 is due), the current window and where it started.
  std::vector<uint64_t> cpu_window_at_;
  std::vector<uint64_t> op_milestones_;  // the OpCounter's: heap milestones and cpu_window_at_
  std::atomic<uint64_t> cpu_windows_pending_{0};
  size_t cpu_window_ = 0;
  bool cpu_window_profiling_ = false;  // the current window's profile is being written
  uint64_t cpu_window_from_ops_ = 0;
  int64_t cpu_window_from_ns_ = 0, cpu_window_from_unix_ms_ = 0, cpu_window_from_cpu_us_ = 0;
  int cpu_windows_fd_ = -1;
};

}  // namespace hd::memprof
