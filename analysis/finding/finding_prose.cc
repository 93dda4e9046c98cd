// The finding's wording. Every number said comes from the Finding's evidence;
// nothing here decides. The sentences are those of the reports committed so
// far (tests/data/runs/expected): change them only on purpose.
#include <cmath>
#include <cstdio>

#include "analysis/finding/finding.h"

namespace hd::analysis {

namespace {

// Callers pass only literal one-double formats; the wrapper keeps lines short.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
#pragma GCC diagnostic pop

std::string human_bytes(double b) {
  const double a = std::fabs(b);
  if (a >= 1024.0 * 1024) return fmt("%.1f MiB", b / (1024.0 * 1024));
  if (a >= 1024.0) return fmt("%.1f KiB", b / 1024.0);
  return fmt("%.0f B", b);
}

std::string human_bytes(int64_t b) {
  return human_bytes(static_cast<double>(b));
}

// A rise whose interval excludes 0 but that stays under what counts as
// growth (kMinHeapGrowthBytes, kMinHeapGrowthFraction): said as such, so a
// "flat" verdict never sits beside an interval that excludes 0 unexplained.
std::string small_rise(const MemoryEvidence::Slope& s) {
  if (!(s.fit.lo() > 0)) return "";
  return ": a real rise of " + human_bytes(s.growth_bytes) + " over the run, under " +
         human_bytes(kMinHeapGrowthBytes) + " or under " +
         fmt("%.0f", 100 * kMinHeapGrowthFraction) + " % of the starting " +
         human_bytes(s.start_allocated) + ", which is allocator slack and sampling noise";
}

// The last three components ("replica/core/replicated_log.h"): enough to
// find the file, without the build machine's checkout path.
std::string short_path(const std::string& path) {
  if (path.empty()) return path;  // a site without a file (threw out_of_range below)
  size_t cut = path.size();
  for (int i = 0; i < 3 && cut != std::string::npos && cut > 0; ++i) cut = path.rfind('/', cut - 1);
  return cut == std::string::npos ? path : path.substr(cut + 1);
}

// "The leader changed 2 times in the 100000-op run: term 2 at 3.1 s
// (replica1 leads), term 3 at 5.0 s (no leader known). "
std::string leader_sentence(const RunLeadership& r) {
  std::string s = "The leader changed " + std::to_string(r.changes.size()) +
                  (r.changes.size() == 1 ? " time" : " times") + " in the " +
                  std::to_string(r.length_ops) + "-op run: ";
  constexpr size_t kListed = 4;
  for (size_t i = 0; i < r.changes.size() && i < kListed; ++i) {
    const LeaderChange& c = r.changes[i];
    s += (i ? ", term " : "term ") + std::to_string(c.term) + " at " + fmt("%.1f", c.t_s) + " s (" +
         (c.leader ? "replica" + std::to_string(*c.leader) + " leads" : "no leader known") + ")";
  }
  if (r.changes.size() > kListed) s += ", …";
  return s + ". ";
}

// "B/op", or "B/s" on the time axis: every rate says what it is per.
std::string per(Axis a) {
  return "B/" + std::string(axis_unit(a));
}

// What the rest of the growth sentence says the span is: "its 100000 ops",
// or "its 1.6 s" without an op count.
std::string over(const GrowingHeap& g) {
  return g.axis == Axis::kOps ? "its " + std::to_string(g.final_ops) + " ops"
                              : "its " + fmt("%.1f", g.duration_s) + " s";
}

// Memory the allocator never held: the rate, that allocator profiles cannot
// attribute it, and what can.
std::string outside_text(const OutsideAllocator& o) {
  return "Memory grows outside the allocator: " + o.process + "'s RSS rose from " +
         human_bytes(o.start_rss) + " to " + human_bytes(o.end_rss) +
         " while what its allocator holds went from " + human_bytes(o.start_footprint) + " to " +
         human_bytes(o.end_footprint) + "; the memory the allocator never held grows " +
         fmt("%.0f", o.fit.slope) + " " + per(o.axis) + " (95% CI " + fmt("%.0f", o.fit.lo()) +
         "–" + fmt("%.0f", o.fit.hi()) + ", " + human_bytes(o.growth_bytes) +
         " in all). Allocator profiles cannot attribute it (it is not malloc'd: a language "
         "runtime's own heap, or the program's mmap); the runtime's own profiler can (Go: a "
         "pprof heap profile, GODEBUG=gctrace=1; Java: jcmd GC.heap_info), and for mapped "
         "memory `perf trace -e mmap` or `strace -e trace=mmap,munmap` and /proc/PID/smaps "
         "show which mappings grow. ";
}

std::string memory_text(const MemoryEvidence& m) {
  if (!m.measured) return {};
  std::string t;
  for (const GrowingHeap& g : m.growing) {
    const std::string u = per(g.axis);
    if (!g.heap_significant && g.top_site) {
      // Seen at a site only: say so, and why the process total does not show it.
      t += "Memory does grow at a site: " + g.process + "'s " + g.top_site->function + " (" +
           short_path(g.top_site->file) + ":" + std::to_string(g.top_site->line) +
           ") accumulates " + fmt("%.0f", g.top_site->slope) + " " + u +
           " (estimated from sampled profiles), while its allocated bytes rise " +
           slope_text(g.fit, "%.0f", "–") + " " + u;
      if (g.sampling_overhead >= 0.5)
        t += ", about " + fmt("%.0f", g.sampling_overhead) + " " + u +
             " of which is what heap profiling itself holds";
      t += ": net of that, not the heap growth the report counts (docs/report.md). ";
      continue;
    }
    t += "Memory does grow: " + g.process + "'s live heap rises " + fmt("%.0f", g.fit.slope) + " " +
         u + " (95% CI " + fmt("%.0f", g.fit.lo()) + "–" + fmt("%.0f", g.fit.hi()) + "), " +
         human_bytes(g.growth_bytes) + " over " + over(g) + " (from " +
         human_bytes(g.start_allocated) + ")";
    if (g.sampling_overhead >= 0.5)
      t += ", of which about " + fmt("%.0f", g.sampling_overhead) + " " + u +
           " is what heap profiling itself holds";
    if (g.top_site)
      t += std::string(g.top_site->verdict == Verdict::kAccumulates
                           ? "; the top accumulating site is "
                           : "; the top growing site (too few samples to tell whether it "
                             "levels off) is ") +
           g.top_site->function + " (" + short_path(g.top_site->file) + ":" +
           std::to_string(g.top_site->line) + ") at " + fmt("%.0f", g.top_site->slope) + " " + u;
    t += ". ";
  }
  if (m.heap_grows() && !m.flat.empty()) {
    std::string flat;
    for (const std::string& name : m.flat) flat += (flat.empty() ? "" : ", ") + name;
    t += "Flat heaps: " + flat + ". ";
  }
  if (!m.heap_grows() && m.largest_slope && m.largest_slope->fit.n < 3) {
    // No interval from fewer than three points: nothing can be said either way.
    t = "Too few heap points to tell whether the live heap grows (" + m.largest_slope->process +
        ": " + slope_text(m.largest_slope->fit) + "). ";
  } else if (!m.heap_grows() && !m.outside.empty()) {
    // The allocator's heap does not grow, but memory does: never "flat".
    t = std::string("The allocator's live heap does not grow ") +
        (m.largest_slope && m.largest_slope->fit.lo() > 0 ? "beyond allocator slack"
                                                          : "significantly");
    if (m.largest_slope)
      t += " (largest slope " + m.largest_slope->process + " " +
           fmt("%.1f", m.largest_slope->fit.slope) + " " + per(m.largest_slope->axis) +
           ", 95% CI " + fmt("%.1f", m.largest_slope->fit.lo()) + "–" +
           fmt("%.1f", m.largest_slope->fit.hi()) + small_rise(*m.largest_slope) + ")";
    t += ", but the process's memory does. ";
  } else if (!m.heap_grows()) {
    const Axis axis = m.largest_slope ? m.largest_slope->axis : Axis::kOps;
    t = std::string("The live heap is flat: no process's allocated bytes grow ") +
        (m.largest_slope && m.largest_slope->fit.lo() > 0 ? "beyond allocator slack "
                                                          : "significantly ") +
        (axis == Axis::kOps ? "with ops" : "over time");
    if (m.largest_slope)
      t += " (largest slope " + m.largest_slope->process + " " +
           fmt("%.1f", m.largest_slope->fit.slope) + " " + per(axis) + ", 95% CI " +
           fmt("%.1f", m.largest_slope->fit.lo()) + "–" + fmt("%.1f", m.largest_slope->fit.hi()) +
           (m.largest_slope->sampling_overhead >= 0.5
                ? ", of which about " + fmt("%.0f", m.largest_slope->sampling_overhead) + " " +
                      per(axis) + " is what heap profiling itself holds"
                : std::string()) +
           small_rise(*m.largest_slope) + ")";
    if (!m.unrecorded_work.empty())
      t += "; but that is the heap of a process that mostly waited for the ones it started, "
           "which were not recorded: this says nothing of their memory. ";
    else
      t += m.fragmenting.empty() ? ", so memory is not the cause. "
                                 : ", so live objects are not the cause. ";
  }
  for (const OutsideAllocator& o : m.outside) t += outside_text(o);
  if (m.undecided)
    t += std::to_string(m.undecided->count) + " allocation site" +
         (m.undecided->count == 1 ? " has" : "s have") +
         " too few samples to judge; the one that may grow most is " + m.undecided->function +
         " in " + m.undecided->process + " (" + m.undecided->why + "). ";
  bool live_pages = false, kept_pages = false;
  for (const Fragmentation& g : m.fragmenting) {
    // With jemalloc's active pages known, fragmentation of live pages shows
    // there; a gap that grows while active − allocated does not is pages the
    // allocator keeps unused or memory outside its heap, and is said so.
    const bool live = gap_in_live_pages(g.active_gap_growth, g.end_gap - g.start_gap);
    (live ? live_pages : kept_pages) = true;
    t += (live ? "Fragmentation: " : "RSS beyond the live heap: ") + g.process +
         "'s RSS − allocated grew from " + human_bytes(g.start_gap) + " to " +
         human_bytes(g.end_gap) + " (+" + human_bytes(g.end_gap - g.start_gap) + ", " +
         fmt("%.0f", g.gap_per_op) + " " + per(g.axis) +
         ") while its allocated bytes stayed flat (" + human_bytes(g.start_allocated) + " → " +
         human_bytes(g.end_allocated) + ")";
    if (g.active_gap_growth)
      t += "; jemalloc active − allocated grew " + human_bytes(*g.active_gap_growth);
    t += ". ";
  }
  if (live_pages)
    t += "Such a process holds more and more pages that its live objects only sparsely use "
         "(or that the allocator keeps): RSS grows although the live heap does not. ";
  if (kept_pages)
    t += "Where jemalloc's active pages did not grow with it, the growth is not sparsely used "
         "live pages but pages the allocator keeps unused (freed, not yet returned to the "
         "system) or memory outside its heap (its metadata, thread stacks). ";
  if (const auto& a = m.allocator_share)
    t += "Allocator time is " + fmt("%.1f", 100 * a->share) + "% of " + a->process +
         "'s CPU samples in run " + a->run + ". ";
  return t;
}

// The moved signals' sentences, in Finding::signals() order.
std::string signals_text(const Finding& f, const std::string& failovers) {
  std::string t;
  if (f.failover)
    t += failovers +
         "Each change stalls strong ops and weak writes while a new leader is elected, and "
         "clients retry. ";
  if (const auto& s = f.slow_path)
    t += "The fast path collapsed: strong ops on the slow path went from " +
         fmt("%.0f", 100 * s->short_fraction) + "% in the short runs to " +
         fmt("%.0f", 100 * s->long_fraction) + "% in the long ones (within the longest run " +
         fmt("%.0f", 100 * s->early) + "% in its first third, " + fmt("%.0f", 100 * s->late) +
         "% in its last third). ";
  if (const auto& s = f.timer)
    t += "Strong p99 sits at " + fmt("%.0f", s->long_p99_ms) + " ms, a timer value (" +
         fmt("%.0f", s->timer_ms) + " ms), against " + fmt("%.1f", s->short_p99_ms) +
         " ms in the short runs. ";
  if (const auto& s = f.retries)
    t += "Retries and timeouts rose from " + fmt("%.1f", s->short_per_s) + "/s to " +
         fmt("%.1f", s->long_per_s) + "/s. ";
  if (const auto& s = f.cpu)
    t += s->process + " was CPU-bound (" + fmt("%.0f", 100 * s->cpu_util) + "% of its CPUs, " +
         fmt("%.0f", s->csw_per_s) + " context switches/s). ";
  return t;
}

// Strong p99 on one timer at every length: the timer, named, whatever the
// cause of a change (there may be none: the timer costs every length alike).
std::string timer_hold_text(const Finding& f) {
  if (!f.timer_hold) return "";
  const TimerHold& h = *f.timer_hold;
  const std::string p99 = h.min_p99_ms == h.max_p99_ms
                              ? fmt("%.0f", h.min_p99_ms) + " ms"
                              : fmt("%.0f", h.min_p99_ms) + "-" + fmt("%.0f", h.max_p99_ms) + " ms";
  return "Strong p99 is " + p99 + (h.lengths > 1 ? " at every run length" : "") + ": the " +
         h.timer.name + " (" + fmt("%.0f", h.timer.ms) +
         " ms). Strong ops that miss the fast path wait for that timer, not for memory. ";
}

std::string cost_text(const Finding& f) {
  if (const auto& a = f.memory.allocator_share)
    return "allocator time " + fmt("%.1f", 100 * a->share) + "% of " + a->process + "'s CPU";
  if (const auto& r = f.memory_cost.rise)
    return r->process + "'s allocation rose from " + fmt("%.0f", r->short_bytes_per_op) + " to " +
           fmt("%.0f", r->long_bytes_per_op) + " bytes/op";
  return "no CPU profile";
}

// Where a costlier process's extra time per op went, from its CPU profile's
// early and late windows; what the hardware counters could add, or why not.
std::string profile_diff_sentence(const DecaySignal::Cost& c) {
  std::string s;
  if (!c.profile) {
    s = "No CPU-profile windows for " + c.process +
        " (record with `cpuProfile: true`, or `heapdrift bench --cpu-profile`, to see where "
        "its time goes). ";
  } else {
    const CpuWindowDiff& p = *c.profile;
    s = "In " + c.process + "'s CPU profile the " + p.late_window + " window cost " +
        fmt("%.2f", p.late_us_per_op) + " us/op against " + fmt("%.2f", p.early_us_per_op) +
        " in the " + p.early_window + " window (" + std::to_string(p.early_samples) + " and " +
        std::to_string(p.late_samples) + " samples" +
        (p.measured_cpu ? ", scaled to the CPU time measured over each window"
                        : " of " + std::to_string(p.period_us) + " us") +
        ")";
    if (c.top.empty()) {
      s += p.late_us_per_op > p.early_us_per_op
               ? "; no single function holds a material part of the rise. "
               : "; the profiled time per op did not rise. ";
    } else {
      s += "; the diff puts ";
      for (size_t i = 0; i < c.top.size(); ++i) {
        if (i > 0) s += i + 1 == c.top.size() ? " and " : ", ";
        s += fmt("%+.2f", c.top[i].self_delta_us()) + " us/op in `" + c.top[i].name + "`";
      }
      s += ". ";
    }
  }
  if (c.hw_counters && !*c.hw_counters)
    s += "Hardware counters: unavailable (" + c.hw_counters_why + "). ";
  else if (c.hw_counters)
    s += "Hardware counters are available on this host but not recorded per window. ";
  return s;
}

// What rose alongside a costlier process's CPU per op, and what held: the
// evidence for what the extra work is (more keys, more faults, more time in
// the kernel) or is not.
std::string alongside_sentence(const DecaySignal::Cost& c) {
  if (c.rose.empty() && c.held.empty()) return "";
  // "0.19 -> 0.33 /op", "12.7 MiB -> 14.0 MiB", "4426 -> 10085".
  const auto change = [](const ProcessMetrics::Alongside& a) {
    if (a.unit == "bytes") return human_bytes(a.fit.first) + " -> " + human_bytes(a.fit.last);
    if (a.unit.empty()) return fmt("%.0f", a.fit.first) + " -> " + fmt("%.0f", a.fit.last);
    return fmt("%.3g", a.fit.first) + " -> " + fmt("%.3g", a.fit.last) + " " + a.unit;
  };
  std::string s = "In " + c.process + ", ";
  if (c.rose.empty()) {
    s += "nothing else recorded rose alongside";
  } else {
    s += "alongside: ";
    for (size_t i = 0; i < c.rose.size(); ++i) {
      const ProcessMetrics::Alongside& a = c.rose[i];
      if (i > 0) s += ", ";
      s += a.what + " " + change(a) + " (x" + fmt("%.2f", a.fit.ratio) + ")";
    }
  }
  if (!c.held.empty()) {
    s += "; held: ";
    for (size_t i = 0; i < c.held.size(); ++i) s += (i > 0 ? ", " : "") + c.held[i];
  }
  return s + ". ";
}

// One run's within-run decline, and whether its processes did more work per
// op at the end (the cost is theirs) or not (the time went elsewhere).
std::string decay_sentence(const DecaySignal& d) {
  const TrendFit& t = d.throughput;
  const std::string window = fmt("%.1f", static_cast<double>(t.window) * d.bin_s) + " s";
  std::string s = "Within the " + std::to_string(d.length_ops) + "-op run (" + d.run +
                  ") throughput declined: " + fmt("%.0f", t.first) + " ops/s over its first " +
                  window + " after warm-up, " + fmt("%.0f", t.last) + " over its last " + window +
                  " (x" + fmt("%.3f", t.ratio) + ", 95% CI " + fmt("%.3f", t.ratio_lo) + "-" +
                  fmt("%.3f", t.ratio_hi) + "). ";
  const double machine = d.machine_factor();
  const bool kernel = d.machine_kernel.trend != Trend::kTooShort;
  const std::string probe =
      "a fixed amount of work (the speed probe in every process) took x" +
      fmt("%.2f", d.machine_chase.ratio) + " as long in memory" + (kernel ? ", x" : " and x") +
      fmt("%.2f", d.machine_compute.ratio) + " in compute" +
      (kernel ? " and x" + fmt("%.2f", d.machine_kernel.ratio) + " in the kernel" : "");
  if (!d.costlier.empty()) {
    s += "CPU per op rose in ";
    std::vector<std::string> beyond;  // rose more than the machine slowed (5 % slack)
    for (size_t i = 0; i < d.costlier.size(); ++i) {
      const TrendFit& c = d.costlier[i].cpu_per_op;
      if (i > 0) s += i + 1 == d.costlier.size() ? " and " : ", ";
      s += d.costlier[i].process + " (" + fmt("%.2f", c.first) + " -> " + fmt("%.2f", c.last) +
           " us/op, x" + fmt("%.2f", c.ratio) + ")";
      if (c.ratio > machine * (1 + kMachineSlack)) beyond.push_back(d.costlier[i].process);
    }
    if (!d.machine_judged()) {
      s += ": those processes did more work per op as the run went on. ";
    } else if (d.machine_ruled_out()) {
      s += ", while " + probe +
           " at the end as at the start: the machine did not slow, those processes did more "
           "work per op as the run went on. ";
    } else if (!d.machine_slowed()) {
      // Held, but only as far as its few runs can tell: a slower machine is
      // neither shown nor ruled out, so neither reading is said as fact.
      s += ", while " + probe +
           " at the end, not a significant change but with 95% intervals up to x" +
           fmt("%.2f", d.machine_ratio_hi()) +
           ": too few probe runs to tell whether the machine slowed, so this rise may be the "
           "machine's rather than more work per op. ";
    } else if (beyond.empty()) {
      s += ", and " + probe +
           " at the end: the machine slowed (other load on its cores, caches or host) about as "
           "much, so the rise is the machine's, not more work per op. ";
    } else {
      s += "; " + probe +
           " at the end, so the machine slowed, but less: beyond it, more work "
           "per op in ";
      for (size_t i = 0; i < beyond.size(); ++i)
        s += (i == 0 ? "" : i + 1 == beyond.size() ? " and " : ", ") + beyond[i];
      s += ". ";
    }
    for (const DecaySignal::Cost& c : d.costlier)
      s += alongside_sentence(c) + profile_diff_sentence(c);
  } else if (!d.steady.empty()) {
    s += "No process's CPU per op rose significantly, so the time went elsewhere (waiting on "
         "the network, locks or the machine), not into more work per op";
    s += d.machine_slowed() ? "; " + probe + " at the end: the machine slowed. " : ". ";
  } else {
    s += "CPU per op could not be judged (too few snapshots in the window). ";
  }
  return s;
}

std::string decay_text(const Finding& f) {
  std::string s;
  for (const DecaySignal& d : f.decay) s += decay_sentence(d);
  return s;
}

}  // namespace

std::string render_finding(const Finding& f) {
  std::string failovers;  // every run's leader changes, said whatever the cause
  for (const RunLeadership& r : f.leadership) failovers += leader_sentence(r);
  const std::string memory = memory_text(f.memory);
  // A program without a load generator (`heapdrift run`) has no throughput
  // to speak of: its finding is about memory alone.
  if (!f.change) {
    if (!f.decay.empty())
      return "Only one run length with loadgen results, so no loss across lengths to explain. " +
             timer_hold_text(f) + decay_text(f) + failovers + memory;
    return (f.has_load ? "Only one run length with loadgen results, so there is no throughput "
                         "loss to explain. "
                       : "") +
           timer_hold_text(f) + failovers + memory;
  }
  const ThroughputChange& c = *f.change;
  std::string head = "Throughput went from " + fmt("%.0f", c.short_tput) + " ops/s at " +
                     std::to_string(c.short_length) + " ops to " + fmt("%.0f", c.long_tput) +
                     " ops/s at " + std::to_string(c.long_length) + " ops (" +
                     fmt("%+.1f", c.change_pct) + "%). ";
  if (c.short_runs_under_a_second)
    head +=
        "(The shortest runs last under a second, so start-up and the last ops dominate "
        "their throughput.) ";
  head += timer_hold_text(f);
  // A decline within a run is said right after the change it may explain.
  head += decay_text(f);
  // Leader changes that do not explain the loss are still said, as facts.
  const std::string facts = f.failover ? "" : failovers;
  const std::string signals = signals_text(f, failovers);
  switch (f.cause) {
    case Cause::kNoLoss:
      return head +
             "That is no real loss (threshold -10%), so there is nothing for memory to "
             "explain. " +
             facts + memory + signals;
    case Cause::kMemory:
      return head +
             "No non-memory signal moved (slow path, timers, retries, CPU), the heap grows with "
             "ops and it costs (" +
             cost_text(f) + "): memory is the likely cause. " + facts + memory;
    case Cause::kUnknown:
      if (f.memory.heap_grows())
        return head +
               "No measured signal explains it: slow path, timer-valued p99, retries and CPU "
               "do not move, and although the heap grows there is no sign that it costs time (" +
               cost_text(f) + ", bytes/op did not rise by 25%). " + facts + memory;
      return head +
             "None of the measured signals (slow path, timer-valued p99, retries, CPU, "
             "memory) moves with it. " +
             facts + memory;
    default:  // a non-memory signal
      return head + signals + facts + "These move with the throughput; " +
             (f.memory.heap_grows()
                  ? "memory grows too but is not what changed the speed. " + memory
                  : memory);
  }
}

}  // namespace hd::analysis
