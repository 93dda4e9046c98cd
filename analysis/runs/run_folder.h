// Run-folder ingest (docs/run-folder.md, docs/loadgen-result.md): strict
// readers for meta.json and snapshots.jsonl, loadgen's result.json through
// loadgen::RunStats, and the grouping of process folders into runs
// (docs/report.md). Pure functions over files the caller names; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/symbolize/symbolizer.h"
#include "base/status.h"
#include "loadgen/stats/run_stats.h"

namespace hd::analysis {

// One snapshots.jsonl line, the fields the metrics use. Allocator values the
// backend cannot provide are nullopt (null in the file).
struct Snapshot {
  int64_t seq = 0;
  std::string reason;
  double t_ms = 0;
  int64_t unix_ms = 0;
  int64_t ops = 0;
  std::optional<int64_t> allocated, active, resident;
  // What the allocator holds from the system (alloc.mapped): memory beyond
  // it is memory the allocator never held.
  std::optional<int64_t> mapped;
  std::optional<int64_t> cum_alloc_count, cum_alloc_bytes;
  int64_t rss_bytes = 0;
  int64_t utime_us = 0, stime_us = 0;
  int64_t nvcsw = 0, nivcsw = 0;
  std::optional<int64_t> minflt;  // absent in folders written before it was recorded
  // CPU the recorder thread has used so far (proc.recorder_cpu_us); absent
  // in folders written before it was recorded.
  std::optional<int64_t> recorder_cpu_us;
  // The speed probe's totals (memprof/speed_probe.h): runs so far and their
  // CPU ns in each kernel; absent in folders written before it existed.
  std::optional<int64_t> probe_runs, probe_chase_ns, probe_compute_ns, probe_kernel_ns;
  // Replica gauges `term` and `leader` (the leader it knows; replica count or
  // more = none); absent in loadgen snapshots and in runs before failover.
  std::optional<int64_t> term, leader;
  // Every integer gauge of the line (map sizes, live object counts), in file
  // order: what grew alongside a rising cost per op (issue 17).
  std::vector<std::pair<std::string, int64_t>> gauges;
  std::string profile;  // run-folder-relative path, empty when none
};

// A heap profile of the folder with the op count it was taken at (from its
// snapshot line). end: the final profile.
struct ProfileRef {
  int64_t ops = 0;
  std::string path;  // absolute or relative to the working directory
  bool end = false;
  double t_ms = 0;  // its snapshot line's t_ms (the time axis of a run without ops)
};

// One CPU-profile window of a process (profiles/cpu-windows.jsonl,
// docs/run-folder.md): the profile of the ops [from_ops, to_ops) of its count.
struct CpuWindow {
  std::string name;  // "warmup", "early", "middle", "late"
  std::string path;  // its profile, absolute or relative to the working directory
  int64_t from_ops = 0, to_ops = 0;
  double from_t_ms = 0, to_t_ms = 0;
  int64_t from_unix_ms = 0, to_unix_ms = 0;
  // The process's CPU time (all threads) at each end, us; 0 when not recorded.
  int64_t from_cpu_us = 0, to_cpu_us = 0;
};

// One process's folder.
struct ProcessRun {
  std::string dir;
  std::string name;       // folder base name ("replica0", "client1")
  std::string program;    // meta.json program
  std::string allocator;  // meta.json allocator.live ("jemalloc", ...); "" when absent
  std::string plant;      // config.settings.plant, "none" when absent
  int cpus = 1;           // host.affinity_count (else cpus_online)
  uint64_t heap_profile_sample_bytes = 0;
  bool heap_profiles_possible = true;    // allocator.heap_profiles (absent: assumed true)
  std::vector<RecordedBinary> binaries;  // meta.json objects[] with a build-id
  std::vector<Snapshot> snapshots;       // file order
  std::vector<ProfileRef> profiles;      // by ops, end last
  std::string cpu_profile;               // path of profiles/cpu.prof, empty if none
  std::vector<CpuWindow> cpu_windows;    // profiles/cpu-windows.jsonl, in order; empty if none
  // meta.json recorder.hw_counters: whether perf_event_open could count
  // hardware events in this process (nullopt: not recorded), and why not.
  std::optional<bool> hw_counters;
  std::string hw_counters_why;
  std::optional<loadgen::RunStats> result;  // loadgen's result.json, loadgen only
  // Where the snapshots' op counts come from when not from the program:
  // "command: CMD" / "file: PATH" (external_ops.jsonl, docs/run-folder.md,
  // interpolated onto the snapshot times); empty = the program's own count.
  std::string ops_source;
  // children.json (`heapdrift run`, docs/run-folder.md): CPU of the
  // processes this one started and waited for, which are not recorded, and
  // of this process itself; nullopt when the folder has none.
  std::optional<int64_t> children_cpu_us;
  int64_t children_own_cpu_us = 0;
  // meta.json recorder.children_cpu_us_at_start: children reaped before the
  // recording began (a wrapper's, before it exec'd); 0 when absent.
  int64_t children_cpu_us_at_start = 0;
};

// children.json: written by `heapdrift run` into the run folder.
inline constexpr const char* kChildrenFile = "children.json";
// Whether the processes a recorded process started did the run's work: more
// CPU than the recorded process's own, and over 10 ms (a few helper commands
// at start-up are not "the work"; a program that mostly sleeps, as a leak
// test may, uses little CPU, so the bar is low). The report then says that
// its figures are about a process that was mostly waiting.
bool children_dominate(int64_t children_cpu_us, int64_t own_cpu_us);
// children.json's text; fills p.children_cpu_us and p.children_own_cpu_us.
// Errors name the source and the field.
Status parse_children(std::string_view text, std::string_view source, ProcessRun& p);

// One run = one run length x iteration: the processes of one cluster run.
struct Run {
  std::string dir;
  std::string name;
  int64_t length_ops = 0;  // see run_length_ops()
  // Seconds from first to last snapshot of its longest process: the length
  // of a run without an op count (length_ops 0), each such run a length of
  // its own.
  double length_s = 0;
  int iteration = 0;                  // 1-based within its length, by name order
  std::vector<ProcessRun> processes;  // by name
  // The bench's FAILED marker (its first line: why the run failed, e.g.
  // "interrupted"); nullopt when the folder has none.
  std::optional<std::string> failed;
};

// text: the whole snapshots.jsonl. Errors "source:line: ...". Every line
// must end in '\n' (a cut line is truncation, not a shorter record).
Result<std::vector<Snapshot>> parse_snapshots(std::string_view text, std::string_view source);
// result.json, read by loadgen's own strict reader (RunStats::from_json): the
// one model of a loadgen result. Errors "source: ...".
Result<loadgen::RunStats> parse_loadgen_result(std::string_view text, std::string_view source);
// meta.json (docs/run-folder.md): fills p's program, live allocator, plant,
// cpus, sample period and binaries. Errors "source: field: ...".
Status parse_meta(std::string_view text, std::string_view source, ProcessRun& p);
// profiles/cpu-windows.jsonl; `dir`: the run folder its file paths are in.
// Errors name source and line.
Result<std::vector<CpuWindow>> parse_cpu_windows(std::string_view text, std::string_view source,
                                                 const std::string& dir);
Result<ProcessRun> load_process_run(const std::string& dir);

// RUN_DIR rule (docs/report.md): a folder holding meta.json is a run of one
// process; otherwise each subfolder holding meta.json is one process of the
// run (replicaN/, clientN/ ...). At least one process is required.
Result<Run> load_run(const std::string& dir);

// The run folders the user meant: each dir as given, except a folder of run
// folders (no meta.json in it or its subfolders, but in its subfolders'
// subfolders, as `heapdrift bench` writes REPORT/runs/opsN-itK/<process>/),
// which stands for those run folders, sorted. Anything else is kept for
// load_run to judge (and name in its error).
std::vector<std::string> expand_run_dirs(const std::vector<std::string>& dirs);

// Why the run cannot be measured, or "" when it can: it has a FAILED marker,
// or one of its loadgen processes wrote no result.json (it did not finish).
// A run with no loadgen process at all (replicas recorded alone, `heapdrift
// run`) is usable: it has memory, only no throughput.
std::string unusable_reason(const Run& run);

// The run's length: total loadgen ops (result ops + warm-up) when it has
// loadgen results, else the largest final op count of its processes.
int64_t run_length_ops(const Run& run);

// Sets length_ops, length_s and iteration for every run, and sorts by
// (length, name); runs without ops by (length_s, name), one length each.
void group_runs(std::vector<Run>& runs);

}  // namespace hd::analysis
