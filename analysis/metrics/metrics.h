// The metrics of docs/report.md ("Metrics") over ingested runs: allocation rates, live-heap growth
// fits with confidence intervals, per-site verdicts and the degradation table
// across run lengths. Pure computation over ingested runs (the profiles are
// read by site_growth.h and cpu_share.h).
// Thread-compatible: no shared state.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/metrics/cpu_diff.h"
#include "analysis/metrics/decay.h"
#include "analysis/metrics/latency.h"
#include "analysis/metrics/site_verdict.h"
#include "analysis/metrics/statistics.h"
#include "analysis/runs/run_folder.h"

namespace hd::analysis {

struct SiteSeries {
  std::string key, function, file, module;
  int line = 0;
  std::vector<SitePoint> points;  // one per milestone profile used
  std::optional<int64_t> alloc_bytes;
  uint64_t sample_period = 0;  // the profiles' mean sample period (0: exact)
  // Bytes the allocator really holds for each sampled block smaller than
  // this (jemalloc backs sampled small blocks with its smallest large size
  // class: its counters count that, its profiles the block's own size); 0
  // when sampling does not change what the allocator holds.
  uint64_t promoted_block_bytes = 0;
  SiteGrowth growth;  // in-use bytes vs the process's axis (ops or seconds), with its interval
  Verdict verdict = Verdict::kTooFewSamples;
  std::string why;  // for `too few samples`
  // The site and its callers, site first (Site::call_path), from the
  // site's largest sample.
  std::vector<std::string> call_path;
  int64_t call_path_bytes = 0;
  bool recorder = false;  // heapdrift's own allocation (Site::recorder): never the program's site
};

// jemalloc's smallest large size class with 4 KiB pages (SC_LARGE_MINCLASS):
// what a sampled small allocation occupies (docs/report.md, "Known caveat").
inline constexpr uint64_t kJemallocPromotedBlockBytes = 16 * 1024;

struct HeapPoint {
  double t_s = 0;
  int64_t ops = 0;
  int64_t allocated = 0, active = 0, resident = 0, rss = 0;
  // What the allocator holds from the system: alloc.mapped, else resident,
  // else allocated (0 when the allocator reports none of them).
  int64_t footprint = 0;
  double at(Axis a) const { return a == Axis::kOps ? static_cast<double>(ops) : t_s; }
};

// Whether a process's growth is measured per op or per second: seconds when
// it has no op count (every snapshot's ops 0), so a program that exports no
// counter is still measured (docs/report.md, "Time as the axis").
Axis process_axis(const ProcessRun& p);

// A replica's view of the leadership changing (its `term` gauge moving on):
// at t_s into the series, after ops of its own, it is in `term` and follows
// `leader`; nullopt when no leader is known (summary.json: null). In a
// ProcessMetrics the gauge's own "none" (>= the replica count) is still a
// value; run_metrics() makes it nullopt.
struct LeaderChange {
  double t_s = 0;
  int64_t ops = 0;
  int64_t term = 0;
  std::optional<int64_t> leader;
};

// Whether a growing RSS − allocated gap is live pages sparsely used (the
// allocator's active − allocated grew by at least half as much, or is not
// known) rather than pages the allocator keeps unused or memory outside it.
inline bool gap_in_live_pages(std::optional<int64_t> active_gap_growth, int64_t gap_growth) {
  return !active_gap_growth || 2 * *active_gap_growth >= gap_growth;
}

struct ProcessMetrics {
  std::string name, program, plant;
  Axis axis = Axis::kOps;  // every slope and heap point below is along it
  int64_t final_ops = 0;
  double duration_s = 0;
  int64_t start_unix_ms = 0;  // wall clock of the first snapshot (t_s = 0 of the series)
  bool has_cum = false;       // allocation counters present (jemalloc)
  double alloc_bytes_per_s = 0, allocs_per_s = 0, bytes_per_op = 0, allocs_per_op = 0;
  std::vector<std::pair<double, double>> alloc_rate_series;  // (t_s, bytes/s)
  // One per distinct op count while ops grew (time axis: every snapshot).
  std::vector<HeapPoint> heap;
  LinearFit heap_fit;         // allocated vs the axis
  bool heap_growing = false;  // see docs/report.md; net of sampling_overhead
  // B/op of heap_fit's slope that heap profiling itself holds (jemalloc's
  // extents behind sampled blocks), once the sites are read; 0 before.
  double sampling_overhead = 0;
  int64_t start_allocated = 0, end_allocated = 0, peak_rss = 0, rss_minus_allocated = 0;
  // RSS - allocated (pages the process holds beyond its live bytes: slabs
  // pinned by sparse survivors, dirty/retained pages, allocator metadata) at
  // the first and last heap point, and its fit against ops.
  int64_t start_gap = 0, end_gap = 0;
  LinearFit gap_fit;
  std::optional<int64_t> active_gap_growth;  // (active - allocated) end - start (jemalloc)
  // The gap grows while allocated is flat: fragmenting when jemalloc's
  // active − allocated grew with it (or is not known), live pages sparsely
  // used; rss_beyond_heap when it grew by less than half as much, pages the
  // allocator keeps unused or memory outside its heap (gap_in_live_pages).
  bool fragmenting = false;
  bool rss_beyond_heap = false;
  // Memory outside the allocator: RSS − the allocator's footprint (what it
  // holds from the system) vs the axis, and RSS vs the axis. outside_growing:
  // RSS grows significantly and most of that growth is memory the allocator
  // never held (a runtime's own heap, the program's mmap): no allocator
  // profile can attribute it (docs/report.md).
  LinearFit rss_fit, outside_fit;
  int64_t start_rss = 0, end_rss = 0;
  int64_t start_footprint = 0, end_footprint = 0;
  bool outside_growing = false;
  double cpu_util = 0;                    // (utime+stime) / wall / cpus
  double csw_per_s = 0;                   // voluntary + involuntary
  std::optional<double> allocator_share;  // of CPU samples, when cpu.prof exists
  // What recording cost the process: the recorder thread's CPU over the
  // process's CPU, start to the last line that has it (sampling in the
  // allocator and the end profile not included); nullopt when not recorded.
  std::optional<double> recorder_share;
  // CPU time (user + sys, the recorder's own excluded) per op between
  // successive snapshots over the run's trend window (RunMetrics): whether
  // each op costs this process more at the end of the run than at its start.
  TrendFit cpu_per_op_trend;
  // What moved over the same window, to say what grew alongside a rising
  // cost (issue 17): user and sys CPU per op, minor faults and voluntary /
  // involuntary context switches per op (rates between successive
  // snapshots), RSS, heap allocated and every gauge (levels: map sizes,
  // live object counts, the keys a store holds). Log indices, term and
  // leader are left out: they grow with the ops by definition.
  struct Alongside {
    std::string what;  // "user CPU", "minor faults", "RSS", "kv_keys", ...
    std::string unit;  // "us/op" or "/op" (rates); "bytes" or "" (levels)
    TrendFit fit;
  };
  std::vector<Alongside> alongside;
  // Where CPU per op went from the early to the late window of the run, by
  // function (profiles/cpu-windows.jsonl); nullopt without window profiles.
  // Set with the sites (analyse.cc), like allocator_share.
  std::optional<CpuWindowDiff> cpu_diff;
  // Hardware counters (meta.json recorder.hw_counters): nullopt when the
  // folder does not say; false with why, when perf_event_open refused.
  std::optional<bool> hw_counters;
  std::string hw_counters_why;
  std::vector<SiteSeries> sites;  // by final in-use bytes, descending
  // Replicas: the `term` and `leader` gauges at the first snapshot and at
  // every snapshot where either moved (raw values: the gauge's "none" is
  // still a value here, see LeaderChange). run_metrics() tells the boot
  // election from the changes over all replicas.
  std::vector<LeaderChange> term_gauge;
  // Replicas: whether this replica was the leader its last snapshot that
  // named one said (its own id from its name, "replica<N>"); nullopt when
  // unknown. Pools followers apart from the leader (site_pool.h).
  std::optional<bool> leader_at_end;
};

struct RunMetrics {
  std::string name;
  int64_t length_ops = 0;
  double length_s = 0;     // Run::length_s: the length of a run without ops
  Axis axis = Axis::kOps;  // kSeconds when no process of it counts ops
  int iteration = 0;
  bool has_loadgen = false;
  double throughput_ops_s = 0;
  double strong_p50_ms = 0, strong_p99_ms = 0, weak_p50_ms = 0, weak_p99_ms = 0;
  MergedLatency latency;     // every loadgen process's histograms; the p50/p99 above
  double slow_fraction = 0;  // strong ops on the slow path / strong ops
  uint64_t strong_fast_ops = 0, strong_slow_ops = 0;  // the counts behind it
  double retries_per_s = 0, timeouts_per_s = 0;
  // Per second, summed over loadgen processes: (second index, value).
  std::vector<double> tput_per_s, slow_fraction_per_s;
  // Within the run (issue 17): throughput (ops/s, summed over the loadgens)
  // in bins of trend_bin_s over the time every loadgen was loading, after
  // warm-up (its first 10 %); metrics.cc within_run_trends. kTooShort below
  // 10 bins.
  TrendFit throughput_trend;
  // The machine's speed over the same window: the CPU time of the speed
  // probe's fixed work (memprof/speed_probe.h; us per run, every process's
  // runs pooled), judged only with the throughput. Rising = the same work
  // took longer late than early: the machine slowed, whatever the program
  // did. kTooShort when the folders have no probe.
  TrendFit probe_chase_trend, probe_compute_trend, probe_kernel_trend;
  int64_t trend_start_unix_ms = 0, trend_end_unix_ms = 0;  // the window, [start, end)
  double trend_bin_s = 0;
  int64_t tput_start_unix_s = 0;   // wall-clock second of tput_per_s[0]
  int64_t load_start_unix_us = 0;  // the loadgens' first measured op (0 without loadgen)
  std::vector<ProcessMetrics> processes;
  // Leader changes over the replicas, by term (ops: of the replica that saw
  // the term first); empty when the boot leader led throughout. The boot
  // leader is the last one named before any op (by the load's start, or
  // while its replica had served none): the elections that made it are not
  // changes, however many terms they took and whenever each replica
  // started. t_s: from the load's start, >= 0.
  std::vector<LeaderChange> leader_changes;
};

struct LengthRow {
  int64_t length_ops = 0;
  double length_s = 0;  // runs without ops: each its own length, by duration
  int iterations = 0;
  double tput_mean = 0, tput_sd = 0;
  double strong_p50_ms = 0, strong_p99_ms = 0, weak_p50_ms = 0, weak_p99_ms = 0;  // merged
  double slow_fraction = 0, retries_per_s = 0, timeouts_per_s = 0;
  // Per op class (loadgen::class_index order: SR, SW, WR, WW), every op of
  // every iteration merged; ops 0 = no op of that class.
  std::array<ClassPercentiles, loadgen::kOpClasses> classes{};
  // Strong ops on the fast path over strong ops that took a path, every
  // iteration pooled; nullopt without such ops.
  std::optional<double> fast_fraction;
  uint64_t strong_fast_ops = 0, strong_slow_ops = 0;
  struct Proc {
    std::string name;
    double bytes_per_op = 0;
    LinearFit heap_fit;
    bool heap_growing = false;
    int64_t peak_rss = 0;
    double cpu_util = 0;
    double csw_per_s = 0;
  };
  std::vector<Proc> processes;
};

ProcessMetrics process_metrics(const ProcessRun& p);

// The run's throughput between the loadgens' snapshots, for runs too short
// for the per-second series (a 10K-op run lasts well under a second): the
// loadgens' op counts, each interpolated linearly onto the union of their
// snapshot times, summed, and differenced. Points are (unix time in s,
// ops/s) at the middle of each interval of >= 5 ms; empty without loadgen
// snapshots.
std::vector<std::pair<double, double>> throughput_from_snapshots(const RunMetrics& r);
// "1.5 s" for a run without ops, else its op count ("100000").
std::string run_length_text(int64_t length_ops, double length_s);
// Bytes a growth must exceed to count as real for a process heap, besides its
// interval excluding 0: sampling and allocator slack make smaller moves noise.
inline constexpr int64_t kMinHeapGrowthBytes = 256 * 1024;
inline constexpr double kMinHeapGrowthFraction = 0.10;  // of the starting heap
// Whether m's allocated bytes grow significantly along its axis (docs/report.md)
// once overhead_per_op of the slope is set aside (what heap profiling itself
// holds: SiteReconciliation::sampling_overhead).
bool heap_grows_beyond(const ProcessMetrics& m, double overhead_per_op);
RunMetrics run_metrics(const Run& run);
std::vector<LengthRow> length_rows(const std::vector<RunMetrics>& runs);

}  // namespace hd::analysis
