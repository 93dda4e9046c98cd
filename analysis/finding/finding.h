// The finding as a decision: what explains the throughput change between the
// shortest and the longest run length (docs/report.md, "The finding"),
// with the figures behind every cause considered. decide_finding() decides;
// render_finding() (finding_prose.cc) only words the decision, so tests check
// causes and evidence and the prose can change on its own. Pure; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/metrics/metrics.h"

namespace hd::analysis {

// kNoLoss: throughput fell by less than 10 %, nothing to explain. kUnknown:
// one run length only, or a loss nothing measured explains. The rest name
// the signal that moved with the loss (the first, in this order, when several).
enum class Cause { kUnknown, kNoLoss, kFailover, kSlowPath, kTimer, kRetries, kCpu, kMemory };
// summary.json's finding.cause: "unknown", "none", "failover", "slow-path",
// "timer", "retries", "cpu", "memory".
std::string_view cause_name(Cause c);

// Throughput of the shortest and the longest length with loadgen results.
struct ThroughputChange {
  int64_t short_length = 0, long_length = 0;
  double short_tput = 0, long_tput = 0;  // mean over iterations, ops/s
  double change_pct = 0;                 // (long - short) / short, in %
  bool short_runs_under_a_second = false;
};

// Non-memory signals; each is present only when it moved.
struct FailoverSignal {  // more leader changes in the long runs than in the short ones
  size_t short_changes = 0, long_changes = 0;
};
struct SlowPathSignal {  // share of strong ops on the slow path
  double short_fraction = 0, long_fraction = 0;
  double early = 0, late = 0;  // first and last third of the longest run
};
// The client and election timers a stuck op's latency would sit at: the
// session's retry period (200 ms, SessionConfig::retry_after_us), the
// election timeout (1,000 ms, followerDeadAfter), the sync timer of the
// original CURP-HO (2,000 ms: the `slowsync` plant's retry period).
struct NamedTimer {
  double ms = 0;
  const char* name = "";
};
// The timer p99_ms lies within 25 % of, if any.
std::optional<NamedTimer> near_timer(double p99_ms);

struct TimerSignal {  // the long runs' strong p99 sits at a timer value
  double long_p99_ms = 0, timer_ms = 0, short_p99_ms = 0;
};
// Strong p99 at the same timer in every run length with loadgen results
// (one length is enough): ops that miss the fast path wait for that timer
// whatever the run length, so no change across lengths shows it — the
// original CURP-HO's 2 s sync timer (DESIGN.md §9, the `slowsync` plant).
struct TimerHold {
  NamedTimer timer;
  double min_p99_ms = 0, max_p99_ms = 0;
  size_t lengths = 0;
};
struct RetriesSignal {  // retries + timeouts per second
  double short_per_s = 0, long_per_s = 0;
};
struct CpuSignal {  // the first process of the longest length near its CPU limit
  std::string process;
  double cpu_util = 0, csw_per_s = 0;
};

// Memory as the longest run shows it; said whatever the cause.
struct GrowingHeap {
  std::string process;
  Axis axis = Axis::kOps;        // fit, slopes and overhead are per op or per second
  LinearFit fit;                 // allocated bytes vs the axis
  double growth_bytes = 0;       // fit slope x the axis span of its heap points
  double duration_s = 0;         // time axis: the seconds its heap points span
  double sampling_overhead = 0;  // B/op of the slope that heap profiling holds
  // The heap's growth is significant net of sampling_overhead; false when
  // only a site's (top_site, accumulating) is.
  bool heap_significant = true;
  int64_t final_ops = 0;
  int64_t start_allocated = 0;
  struct Site {  // the accumulating site with the steepest slope, else the
                 // steepest significantly growing one whose shape is unknown
    std::string function, file;
    int line = 0;
    double slope = 0;
    Verdict verdict = Verdict::kAccumulates;
  };
  std::optional<Site> top_site;
};
// Memory the allocator never held (a runtime's own heap, the program's
// mmap): RSS grows significantly, and RSS − the allocator's footprint grows
// by most of it. Allocator profiles cannot attribute it.
struct OutsideAllocator {
  std::string process;
  Axis axis = Axis::kOps;
  LinearFit fit;  // RSS − footprint vs the axis (bytes per op or per second)
  double growth_bytes = 0;
  int64_t start_rss = 0, end_rss = 0;
  int64_t start_footprint = 0, end_footprint = 0;
};
struct Fragmentation {
  std::string process;
  int64_t start_gap = 0, end_gap = 0;  // RSS - allocated
  double gap_per_op = 0;
  int64_t start_allocated = 0, end_allocated = 0;
  std::optional<int64_t> active_gap_growth;  // jemalloc only
  Axis axis = Axis::kOps;                    // gap_per_op: per op or per second
};
// Sites of the longest run that the profiles cannot judge (`too few
// samples`), with the one of largest possible growth as the example. (At
// namespace scope: clang cannot default-construct a nested struct with
// member initializers inside std::optional while the outer one is incomplete.)
struct UndecidedSites {
  size_t count = 0;
  std::string process, function, why;
};

struct MemoryEvidence {
  bool measured = false;             // there is a longest run
  std::vector<GrowingHeap> growing;  // in process order
  std::vector<std::string> flat;     // with heap points, not growing (said when some grow)
  struct Slope {
    std::string process;
    Axis axis = Axis::kOps;
    LinearFit fit;
    double sampling_overhead = 0;  // B/op of the slope that heap profiling holds
    double growth_bytes = 0;       // slope x the run's span on its axis
    int64_t start_allocated = 0;
  };
  std::optional<Slope> largest_slope;  // no heap grows: the steepest |slope|
  std::vector<Fragmentation> fragmenting;
  std::vector<OutsideAllocator> outside;  // in process order
  // A process's share of CPU samples in allocator code, exactly the figure
  // of its row in the run's table: of the growing process with the largest
  // share (the cost weighed), else of any process with the largest share.
  struct AllocatorShare {
    std::string process, run;
    double share = 0;
  };
  std::optional<AllocatorShare> allocator_share;
  std::optional<UndecidedSites> undecided;
  // Processes whose children did the work, unrecorded (children.json,
  // children_dominate): a flat heap of theirs clears nothing.
  std::vector<std::string> unrecorded_work;
  bool heap_grows() const { return !growing.empty(); }
};
// Whether the growth costs time: allocator share >= 10 %, or, without a CPU
// profile, a growing process's allocation per op up >= 25 % on the short runs.
struct MemoryCost {
  bool costs = false;
  struct BytesPerOpRise {
    std::string process;
    double short_bytes_per_op = 0, long_bytes_per_op = 0;
  };
  std::optional<BytesPerOpRise> rise;  // the last such process
};

// A run's leader changes, said as facts whatever the cause.
struct RunLeadership {
  int64_t length_ops = 0;
  std::vector<LeaderChange> changes;
};

inline constexpr size_t kDecayTopFunctions = 3;
inline constexpr size_t kDecayTopAlongside = 3;  // gauges named beside a rising cost
inline constexpr double kDecayMinFunctionRise = 0.10;

// Within one run (issue 17): throughput declined from its first to its last
// seconds (analysis/metrics/decay.h), with what each process's CPU per op did
// over the same window. Said whatever the cause, with one run length too.
// A slowdown of the speed probe's fixed work smaller than this is no slower
// machine (the slack "the rise is the machine's" allows too).
inline constexpr double kMachineSlack = 0.05;

struct DecaySignal {
  std::string run;
  int64_t length_ops = 0;
  TrendFit throughput;  // ops/s against seconds in the run's trend window
  double bin_s = 1;     // the seconds each of its points covers
  struct Cost {
    std::string process;
    TrendFit cpu_per_op;  // microseconds per op
    // The CPU profile diff of its early and late windows (ProcessMetrics::
    // cpu_diff): the profiled us/op of each, and the functions whose time
    // per op rose most (at most kDecayTopFunctions, each rising by at least
    // kDecayMinFunctionRise of the total rise); none without window profiles.
    std::optional<CpuWindowDiff> profile;
    std::vector<FunctionCpu> top;
    std::optional<bool> hw_counters;  // as ProcessMetrics
    std::string hw_counters_why;
    // What rose alongside over the same window (ProcessMetrics::alongside
    // judged rising, rates first, at most kDecayTopAlongside gauges, largest
    // rise first), and what was judged and held.
    std::vector<ProcessMetrics::Alongside> rose;
    std::vector<std::string> held;
  };
  std::vector<Cost> costlier;       // CPU per op rising, in process order
  std::vector<std::string> steady;  // CPU per op judged and not rising
  // The speed probe's fixed work over the same window (us per run): when it
  // too took longer, the machine slowed. kTooShort without a probe.
  TrendFit machine_chase, machine_compute, machine_kernel;  // kernel: kTooShort if not recorded
  // The probe's parts, for the judgements below that go over all three.
  std::array<const TrendFit*, 3> machine_parts() const {
    return {&machine_chase, &machine_compute, &machine_kernel};
  }
  bool machine_judged() const { return machine_chase.trend != Trend::kTooShort; }
  bool machine_slowed() const {
    for (const TrendFit* t : machine_parts())
      if (t->trend == Trend::kRising) return true;
    return false;
  }
  // Not slowed, and each judged kernel's 95 % interval stays below a
  // kMachineSlack slowdown: the data rule a slower machine out. A probe
  // that held only because its few runs cannot tell does not.
  bool machine_ruled_out() const;
  // The largest upper bound of the judged kernels' 95 % intervals.
  double machine_ratio_hi() const;
  // How much longer the fixed work took (the larger rising kernel's ratio); 1 if neither rose.
  double machine_factor() const;
};

struct Finding {
  Cause cause = Cause::kUnknown;
  std::optional<ThroughputChange> change;  // none: fewer than two lengths with loadgen
  bool has_load = false;  // some run has loadgen results (else: a program under `heapdrift run`)
  std::optional<FailoverSignal> failover;
  std::optional<SlowPathSignal> slow_path;
  std::optional<TimerSignal> timer;
  std::optional<TimerHold> timer_hold;  // said whatever the cause (not a change)
  std::optional<RetriesSignal> retries;
  std::optional<CpuSignal> cpu;
  MemoryEvidence memory;
  MemoryCost memory_cost;                 // with a change only
  std::vector<RunLeadership> leadership;  // runs with leader changes, in run order
  std::vector<DecaySignal> decay;         // runs whose throughput declined within, in run order

  bool memory_blamed() const { return cause == Cause::kMemory; }
  double tput_change_pct() const { return change ? change->change_pct : 0; }
  // The non-memory signals that moved, in the order above.
  std::vector<Cause> signals() const;
};

// runs: by (length, name) as group_runs() orders them; lengths: length_rows(runs).
Finding decide_finding(const std::vector<RunMetrics>& runs, const std::vector<LengthRow>& lengths);
// The paragraph of summary.md, summary.json and index.html.
std::string render_finding(const Finding& f);

}  // namespace hd::analysis
