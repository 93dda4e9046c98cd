// Rates, fits, verdicts, the degradation table and the finding. The finding
// weighs non-memory signals first: a growing heap is reported, but blamed for
// lost throughput only when nothing else moves with it (DESIGN §9).
#include "analysis/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

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

// The last three components ("replica/core/replicated_log.h"): enough to
// find the file, without the build machine's checkout path.
std::string short_path(const std::string& path) {
  size_t cut = path.size();
  for (int i = 0; i < 3 && cut != std::string::npos && cut > 0; ++i) cut = path.rfind('/', cut - 1);
  return cut == std::string::npos ? path : path.substr(cut + 1);
}

// Bytes a growth must exceed to count as real for a process heap: sampling
// and allocator slack make smaller moves noise.
constexpr int64_t kMinHeapGrowthBytes = 256 * 1024;
constexpr double kMinHeapGrowthFraction = 0.10;
constexpr double kLossThreshold = -0.10;       // a throughput change below -10 % is a loss
constexpr double kSlowPathShift = 0.15;        // slow-path share moving by >= 15 points
constexpr double kTimerTolerance = 0.25;       // p99 within 25 % of a timer value
constexpr double kCpuSaturated = 0.90;         // of the CPUs the process may use
constexpr double kAllocatorShareBlame = 0.10;  // allocator >= 10 % of CPU samples
constexpr double kBytesPerOpRise = 1.25;       // or allocation per op up by >= 25 %
// Fragmentation: RSS - allocated grows by >= 1 MiB and >= 25 % of where it
// started, significantly (fit CI low end > 0), by >= 4x what allocated grew,
// while the heap is not growing (docs/report.md).
constexpr int64_t kMinGapGrowthBytes = 1024 * 1024;
constexpr double kMinGapGrowthFraction = 0.25;
constexpr double kGapOverHeapGrowth = 4;

}  // namespace

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kConstant:
      return "constant";
    case Verdict::kChurn:
      return "churn";
    case Verdict::kSaturating:
      return "saturating";
    case Verdict::kAccumulates:
      return "accumulates";
  }
  return "constant";
}

Verdict classify_site(const std::vector<SitePoint>& pts, std::optional<int64_t> alloc_bytes,
                      uint64_t sample_period, LinearFit* fit_out) {
  std::vector<double> x, y;
  int64_t peak = 0;
  for (const SitePoint& p : pts) {
    x.push_back(static_cast<double>(p.ops));
    y.push_back(static_cast<double>(p.inuse_bytes));
    peak = std::max(peak, p.inuse_bytes);
  }
  const LinearFit fit = fit_line(x, y);
  if (fit_out) *fit_out = fit;
  const double min_growth = std::max<double>(
      kMinSiteGrowthBytes, kSampleGrowthFactor * static_cast<double>(sample_period));
  bool growing = false;
  if (pts.size() >= 2) {
    const double growth = y.back() - y.front();
    // With three or more points the slope must also be significantly > 0.
    growing = growth >= min_growth && (pts.size() < 3 || fit.lo() > 0);
  }
  if (growing) {
    if (pts.size() < 3) return Verdict::kAccumulates;
    // Early vs late slope, split at the point nearest the middle of the ops range.
    const double mid_ops = (x.front() + x.back()) / 2;
    size_t mid = 1;
    for (size_t i = 1; i + 1 < pts.size(); ++i)
      if (std::fabs(x[i] - mid_ops) < std::fabs(x[mid] - mid_ops)) mid = i;
    const double early = (y[mid] - y.front()) / std::max(1.0, x[mid] - x.front());
    const double late = (y.back() - y[mid]) / std::max(1.0, x.back() - x[mid]);
    if (early > 0 && late < kSaturationRatio * early) return Verdict::kSaturating;
    return Verdict::kAccumulates;
  }
  if (alloc_bytes &&
      static_cast<double>(*alloc_bytes) >=
          kChurnTurnover * static_cast<double>(std::max<int64_t>(peak, 1)) &&
      *alloc_bytes >= kMinSiteGrowthBytes)
    return Verdict::kChurn;
  return Verdict::kConstant;
}

ProcessMetrics process_metrics(const ProcessRun& p) {
  ProcessMetrics m;
  m.name = p.name;
  m.program = p.program;
  m.plant = p.plant;
  if (p.snapshots.empty()) return m;
  const Snapshot& first = p.snapshots.front();
  const Snapshot& last = p.snapshots.back();
  m.final_ops = last.ops;
  m.duration_s = (last.t_ms - first.t_ms) / 1000.0;
  m.start_unix_ms = first.unix_ms;
  // Rates over the loaded interval: from the first line to the first line at
  // the final op count (teardown afterwards would dilute the per-second rates).
  const Snapshot* load_end = &last;
  for (const Snapshot& s : p.snapshots)
    if (s.ops == last.ops) {
      load_end = &s;
      break;
    }
  const double load_s = std::max(1e-3, (load_end->t_ms - first.t_ms) / 1000.0);
  m.has_cum = first.cum_alloc_bytes && load_end->cum_alloc_bytes;
  if (m.has_cum) {
    const double db = static_cast<double>(*load_end->cum_alloc_bytes - *first.cum_alloc_bytes);
    const double dc = static_cast<double>(*load_end->cum_alloc_count - *first.cum_alloc_count);
    const double dops = static_cast<double>(std::max<int64_t>(1, load_end->ops - first.ops));
    m.alloc_bytes_per_s = db / load_s;
    m.allocs_per_s = dc / load_s;
    m.bytes_per_op = db / dops;
    m.allocs_per_op = dc / dops;
    for (size_t i = 1; i < p.snapshots.size(); ++i) {
      const Snapshot& a = p.snapshots[i - 1];
      const Snapshot& b = p.snapshots[i];
      const double dt = (b.t_ms - a.t_ms) / 1000.0;
      if (dt <= 0 || !a.cum_alloc_bytes || !b.cum_alloc_bytes) continue;
      m.alloc_rate_series.push_back(
          {(b.t_ms - first.t_ms) / 1000.0,
           static_cast<double>(*b.cum_alloc_bytes - *a.cum_alloc_bytes) / dt});
    }
  }
  // Heap vs ops: the first line at each new op count, so the idle teardown
  // (ops frozen, heap shrinking) does not bend the fit.
  int64_t prev_ops = -1;
  std::vector<double> x, y, gap;
  for (const Snapshot& s : p.snapshots) {
    m.peak_rss = std::max(m.peak_rss, s.rss_bytes);
    if (s.ops <= prev_ops || s.ops == 0) continue;
    prev_ops = s.ops;
    HeapPoint h{(s.t_ms - first.t_ms) / 1000.0, s.ops,
                s.allocated.value_or(0),        s.active.value_or(0),
                s.resident.value_or(0),         s.rss_bytes};
    m.heap.push_back(h);
    if (s.allocated) {
      x.push_back(static_cast<double>(s.ops));
      y.push_back(static_cast<double>(*s.allocated));
      gap.push_back(static_cast<double>(s.rss_bytes - *s.allocated));
    }
  }
  m.heap_fit = fit_line(x, y);
  m.gap_fit = fit_line(x, gap);
  if (!m.heap.empty()) {
    m.start_allocated = m.heap.front().allocated;
    m.end_allocated = m.heap.back().allocated;
    m.rss_minus_allocated = m.heap.back().rss - m.heap.back().allocated;
    const double span = static_cast<double>(m.heap.back().ops - m.heap.front().ops);
    const double growth = m.heap_fit.slope * span;
    m.heap_growing = m.heap_fit.n >= 3 && m.heap_fit.lo() > 0 && growth >= kMinHeapGrowthBytes &&
                     growth >= kMinHeapGrowthFraction * static_cast<double>(m.start_allocated);
    const HeapPoint& h0 = m.heap.front();
    const HeapPoint& h1 = m.heap.back();
    m.start_gap = h0.rss - h0.allocated;
    m.end_gap = h1.rss - h1.allocated;
    if (p.snapshots.front().active)
      m.active_gap_growth = (h1.active - h1.allocated) - (h0.active - h0.allocated);
    const double gap_growth = static_cast<double>(m.end_gap - m.start_gap);
    const double heap_growth =
        static_cast<double>(std::max<int64_t>(0, m.end_allocated - m.start_allocated));
    m.fragmenting = !m.heap_growing && m.gap_fit.n >= 3 && m.gap_fit.lo() > 0 &&
                    gap_growth >= kMinGapGrowthBytes &&
                    gap_growth >= kMinGapGrowthFraction * static_cast<double>(m.start_gap) &&
                    gap_growth >= kGapOverHeapGrowth * heap_growth;
  }
  const double cpu_s = static_cast<double>((load_end->utime_us + load_end->stime_us) -
                                           (first.utime_us + first.stime_us)) /
                       1e6;
  m.cpu_util = cpu_s / load_s / std::max(1, p.cpus);
  // Leadership as this replica saw it. The leader gauge names no one (a value
  // >= the replica count; run_metrics() maps those to -1) during an election:
  // a change is recorded when the term moves, with the leader named then, and
  // completed when a leader becomes known in that term.
  for (const Snapshot& s : p.snapshots) {
    if (!s.term) continue;
    const int64_t leader = s.leader.value_or(-1);
    if (!m.first_term) {
      m.first_term = *s.term;
      continue;
    }
    const int64_t last_term =
        m.leader_changes.empty() ? *m.first_term : m.leader_changes.back().term;
    const bool named_late = !m.leader_changes.empty() && m.leader_changes.back().term == *s.term &&
                            m.leader_changes.back().leader != leader;
    if (named_late) {
      m.leader_changes.back().leader = leader;
    } else if (*s.term != last_term) {
      m.leader_changes.push_back({(s.t_ms - first.t_ms) / 1000.0, s.ops, *s.term, leader});
    }
  }
  m.csw_per_s =
      static_cast<double>((load_end->nvcsw + load_end->nivcsw) - (first.nvcsw + first.nivcsw)) /
      load_s;
  return m;
}

namespace {

// The run's leader changes, merged over its replicas: per term above the
// boot term, the earliest moment a replica was in it and the leader named
// for it. Times are seconds from the run's start (its first loadgen second,
// else its first replica snapshot).
void leadership(RunMetrics* r) {
  int64_t replicas = 0, start_ms = INT64_MAX;
  for (const ProcessMetrics& p : r->processes)
    if (p.first_term) {
      ++replicas;
      start_ms = std::min(start_ms, p.start_unix_ms);
    }
  if (replicas == 0) return;
  if (r->has_loadgen && r->tput_start_unix_s > 0) start_ms = r->tput_start_unix_s * 1000;
  int64_t boot = INT64_MAX;
  std::map<int64_t, LeaderChange> by_term;
  for (ProcessMetrics& p : r->processes) {
    if (!p.first_term) continue;
    boot = std::min(boot, *p.first_term);
    for (LeaderChange& c : p.leader_changes) {
      if (c.leader >= replicas) c.leader = -1;  // the gauge's "no leader known"
      const double t_s = (static_cast<double>(p.start_unix_ms - start_ms) / 1000.0) + c.t_s;
      auto [it, fresh] = by_term.try_emplace(c.term, LeaderChange{t_s, c.ops, c.term, c.leader});
      if (!fresh) {
        it->second.t_s = std::min(it->second.t_s, t_s);
        if (it->second.leader < 0) it->second.leader = c.leader;
      }
    }
  }
  for (const auto& [term, c] : by_term)
    if (term > boot) r->leader_changes.push_back(c);
}

// "The leader changed 2 times in the 100000-op run: term 2 at 3.1 s
// (replica1 leads), term 3 at 5.0 s (no leader known). "
std::string leader_sentence(const RunMetrics& r) {
  if (r.leader_changes.empty()) return {};
  std::string s = "The leader changed " + std::to_string(r.leader_changes.size()) +
                  (r.leader_changes.size() == 1 ? " time" : " times") + " in the " +
                  std::to_string(r.length_ops) + "-op run: ";
  constexpr size_t kListed = 4;
  for (size_t i = 0; i < r.leader_changes.size() && i < kListed; ++i) {
    const LeaderChange& c = r.leader_changes[i];
    s += (i ? ", term " : "term ") + std::to_string(c.term) + " at " + fmt("%.1f", c.t_s) + " s (" +
         (c.leader >= 0 ? "replica" + std::to_string(c.leader) + " leads" : "no leader known") +
         ")";
  }
  if (r.leader_changes.size() > kListed) s += ", …";
  return s + ". ";
}

}  // namespace

RunMetrics run_metrics(const Run& run) {
  RunMetrics r;
  r.name = run.name;
  r.length_ops = run.length_ops;
  r.iteration = run.iteration;
  int64_t ops = 0, start = INT64_MAX, end = 0, strong = 0, slow = 0, retries = 0, timeouts = 0;
  std::map<int64_t, std::pair<int64_t, std::pair<int64_t, int64_t>>> per_s;  // ops, fast, slow
  for (const ProcessRun& p : run.processes) {
    if (!p.result) continue;
    const LoadgenResult& res = *p.result;
    r.has_loadgen = true;
    ops += res.ops;
    start = std::min(start, res.start_unix_ms);
    end = std::max(end, res.end_unix_ms);
    strong += res.strong.fast_path + res.strong.slow_path;
    slow += res.strong.slow_path;
    retries += res.retries;
    timeouts += res.timeouts;
    r.latency.add(res);
    for (const TputSecond& t : res.tput_series) {
      auto& e = per_s[t.unix_s];
      e.first += t.ops;
      e.second.first += t.fast_path;
      e.second.second += t.slow_path;
    }
  }
  if (r.has_loadgen) {
    const double dur_s = std::max(1e-3, static_cast<double>(end - start) / 1000.0);
    r.throughput_ops_s = static_cast<double>(ops) / dur_s;
    const LatencyPercentiles lat = r.latency.percentiles();
    r.strong_p50_ms = lat.strong_p50_ms;
    r.strong_p99_ms = lat.strong_p99_ms;
    r.weak_p50_ms = lat.weak_p50_ms;
    r.weak_p99_ms = lat.weak_p99_ms;
    if (!per_s.empty()) r.tput_start_unix_s = per_s.begin()->first;
    r.slow_fraction = strong ? static_cast<double>(slow) / static_cast<double>(strong) : 0;
    r.retries_per_s = static_cast<double>(retries) / dur_s;
    r.timeouts_per_s = static_cast<double>(timeouts) / dur_s;
    for (const auto& [sec, e] : per_s) {
      r.tput_per_s.push_back(static_cast<double>(e.first));
      const int64_t st = e.second.first + e.second.second;
      r.slow_fraction_per_s.push_back(
          st ? static_cast<double>(e.second.second) / static_cast<double>(st) : 0);
    }
  }
  for (const ProcessRun& p : run.processes) r.processes.push_back(process_metrics(p));
  leadership(&r);
  return r;
}

std::vector<LengthRow> length_rows(const std::vector<RunMetrics>& runs) {
  std::vector<LengthRow> rows;
  for (size_t i = 0; i < runs.size();) {
    size_t j = i;
    while (j < runs.size() && runs[j].length_ops == runs[i].length_ops) ++j;
    LengthRow row;
    row.length_ops = runs[i].length_ops;
    row.iterations = static_cast<int>(j - i);
    std::vector<double> tp, slow, rps, tps;
    MergedLatency latency;  // every op of every iteration of this length
    for (size_t k = i; k < j; ++k) {
      const RunMetrics& r = runs[k];
      if (!r.has_loadgen) continue;
      tp.push_back(r.throughput_ops_s);
      latency.add(r.latency);
      slow.push_back(r.slow_fraction);
      rps.push_back(r.retries_per_s);
      tps.push_back(r.timeouts_per_s);
    }
    const MeanSd tput = mean_and_sample_sd(tp);  // the one "±" convention
    row.tput_mean = tput.mean;
    row.tput_sd = tput.sd;
    const LatencyPercentiles lat = latency.percentiles();
    row.strong_p50_ms = lat.strong_p50_ms;
    row.strong_p99_ms = lat.strong_p99_ms;
    row.weak_p50_ms = lat.weak_p50_ms;
    row.weak_p99_ms = lat.weak_p99_ms;
    row.slow_fraction = mean(slow);
    row.retries_per_s = mean(rps);
    row.timeouts_per_s = mean(tps);
    // Per process name, averaged over iterations; peak RSS is the maximum.
    std::map<std::string, std::vector<const ProcessMetrics*>> by_name;
    for (size_t k = i; k < j; ++k)
      for (const ProcessMetrics& p : runs[k].processes) by_name[p.name].push_back(&p);
    for (const auto& [name, ps] : by_name) {
      LengthRow::Proc pr;
      pr.name = name;
      std::vector<double> bpo, slope, ci, cpu, csw;
      for (const ProcessMetrics* p : ps) {
        bpo.push_back(p->bytes_per_op);
        slope.push_back(p->heap_fit.slope);
        ci.push_back(p->heap_fit.ci95);
        cpu.push_back(p->cpu_util);
        csw.push_back(p->csw_per_s);
        pr.peak_rss = std::max(pr.peak_rss, p->peak_rss);
        pr.heap_growing = pr.heap_growing || p->heap_growing;
      }
      pr.bytes_per_op = mean(bpo);
      pr.heap_fit.slope = mean(slope);
      pr.heap_fit.ci95 = mean(ci);
      pr.heap_fit.n = ps.front()->heap_fit.n;
      pr.cpu_util = mean(cpu);
      pr.csw_per_s = mean(csw);
      row.processes.push_back(pr);
    }
    rows.push_back(std::move(row));
    i = j;
  }
  return rows;
}

namespace {

// Slow-path share in the first and last third of the per-second series.
std::pair<double, double> early_late(const std::vector<double>& v) {
  if (v.size() < 3) return {v.empty() ? 0 : v.front(), v.empty() ? 0 : v.back()};
  const size_t third = v.size() / 3;
  std::vector<double> a(v.begin(), v.begin() + static_cast<long>(third));
  std::vector<double> b(v.end() - static_cast<long>(third), v.end());
  return {mean(a), mean(b)};
}

bool near_timer(double p99_ms, double* timer_ms) {
  for (double t : {200.0, 1000.0, 2000.0}) {
    if (p99_ms >= t * (1 - kTimerTolerance) && p99_ms <= t * (1 + kTimerTolerance)) {
      *timer_ms = t;
      return true;
    }
  }
  return false;
}

}  // namespace

Finding compute_finding(const Analysis& a) {
  Finding f;
  std::string memory;  // the memory sentence(s), always said
  const RunMetrics* longest_run = a.runs.empty() ? nullptr : &a.runs.back();
  bool heap_grows = false, fragments = false;
  double max_share = -1;
  if (longest_run) {
    for (const ProcessMetrics& p : longest_run->processes) {
      if (p.allocator_share) max_share = std::max(max_share, *p.allocator_share);
      if (!p.heap_growing) continue;
      heap_grows = true;
      const double span =
          p.heap.empty() ? 0 : static_cast<double>(p.heap.back().ops - p.heap.front().ops);
      memory += "Memory does grow: " + p.name + "'s live heap rises " +
                fmt("%.0f", p.heap_fit.slope) + " B/op (95% CI " + fmt("%.0f", p.heap_fit.lo()) +
                "–" + fmt("%.0f", p.heap_fit.hi()) + "), " + human_bytes(p.heap_fit.slope * span) +
                " over its " + std::to_string(p.final_ops) + " ops (from " +
                human_bytes(static_cast<double>(p.start_allocated)) + ")";
      const SiteSeries* top = nullptr;
      for (const SiteSeries& s : p.sites)
        if (s.verdict == Verdict::kAccumulates && (!top || s.fit.slope > top->fit.slope)) top = &s;
      if (top)
        memory += "; the top accumulating site is " + top->function + " (" + short_path(top->file) +
                  ":" + std::to_string(top->line) + ") at " + fmt("%.0f", top->fit.slope) + " B/op";
      memory += ". ";
    }
    std::string flat;
    for (const ProcessMetrics& p : longest_run->processes)
      if (!p.heap_growing && !p.heap.empty()) flat += (flat.empty() ? "" : ", ") + p.name;
    if (heap_grows && !flat.empty()) memory += "Flat heaps: " + flat + ". ";
    if (!heap_grows) {
      memory = "The live heap is flat: no process's allocated bytes grow significantly with ops";
      const ProcessMetrics* biggest = nullptr;
      for (const ProcessMetrics& p : longest_run->processes)
        if (!biggest || std::fabs(p.heap_fit.slope) > std::fabs(biggest->heap_fit.slope))
          biggest = &p;
      if (biggest)
        memory += " (largest slope " + biggest->name + " " + fmt("%.1f", biggest->heap_fit.slope) +
                  " B/op, 95% CI " + fmt("%.1f", biggest->heap_fit.lo()) + "–" +
                  fmt("%.1f", biggest->heap_fit.hi()) + ")";
      bool any_fragmenting = false;
      for (const ProcessMetrics& p : longest_run->processes)
        any_fragmenting = any_fragmenting || p.fragmenting;
      memory += any_fragmenting ? ", so live objects are not the cause. "
                                : ", so memory is not the cause. ";
    }
    // Fragmentation: pages held beyond the live bytes, growing with ops.
    for (const ProcessMetrics& p : longest_run->processes) {
      if (!p.fragmenting) continue;
      const double span =
          static_cast<double>(std::max<int64_t>(1, p.heap.back().ops - p.heap.front().ops));
      memory += "Fragmentation: " + p.name + "'s RSS − allocated grew from " +
                human_bytes(static_cast<double>(p.start_gap)) + " to " +
                human_bytes(static_cast<double>(p.end_gap)) + " (+" +
                human_bytes(static_cast<double>(p.end_gap - p.start_gap)) + ", " +
                fmt("%.0f", static_cast<double>(p.end_gap - p.start_gap) / span) +
                " B/op) while its allocated bytes stayed flat (" +
                human_bytes(static_cast<double>(p.start_allocated)) + " → " +
                human_bytes(static_cast<double>(p.end_allocated)) + ")";
      if (p.active_gap_growth)
        memory += "; jemalloc active − allocated grew " +
                  human_bytes(static_cast<double>(*p.active_gap_growth));
      memory += ". ";
      fragments = true;
    }
    if (fragments)
      memory +=
          "Such a process holds more and more pages that its live objects only sparsely use "
          "(or that the allocator keeps): RSS grows although the live heap does not. ";
    if (max_share >= 0)
      memory += "Allocator time is " + fmt("%.1f", 100 * max_share) + "% of CPU samples. ";
  }

  const LengthRow* s = nullptr;
  const LengthRow* l = nullptr;
  for (const LengthRow& r : a.lengths)
    if (r.tput_mean > 0) {
      if (!s) s = &r;
      l = &r;
    }
  std::string failovers;  // every run's leader changes, said whatever the cause
  for (const RunMetrics& r : a.runs) failovers += leader_sentence(r);
  if (!s || !l || s == l) {
    f.cause = "unknown";
    f.text =
        "Only one run length with loadgen results, so there is no throughput loss to explain. " +
        failovers + memory;
    return f;
  }
  f.tput_change_pct = 100 * (l->tput_mean - s->tput_mean) / s->tput_mean;
  std::string head = "Throughput went from " + fmt("%.0f", s->tput_mean) + " ops/s at " +
                     std::to_string(s->length_ops) + " ops to " + fmt("%.0f", l->tput_mean) +
                     " ops/s at " + std::to_string(l->length_ops) + " ops (" +
                     fmt("%+.1f", f.tput_change_pct) + "%). ";
  // Non-memory signals, each with its numbers.
  for (const RunMetrics& r : a.runs)
    if (r.length_ops == s->length_ops && r.has_loadgen && r.throughput_ops_s > 0 &&
        static_cast<double>(r.length_ops) / r.throughput_ops_s < 1.0) {
      head +=
          "(The shortest runs last under a second, so start-up and the last ops dominate "
          "their throughput.) ";
      break;
    }
  std::vector<std::pair<std::string, std::string>> signals;  // cause, sentence
  const RunMetrics* lr = nullptr;
  for (const RunMetrics& r : a.runs)
    if (r.length_ops == l->length_ops && r.has_loadgen) lr = &r;
  const auto [early, late] =
      lr ? early_late(lr->slow_fraction_per_s) : std::pair<double, double>{0, 0};
  // A leader change stalls strong ops and weak writes for an election (300-
  // 600 ms by default) and sends clients into retries: more of them in the
  // long runs than in the short ones is a cause on its own.
  size_t short_changes = 0, long_changes = 0;
  for (const RunMetrics& r : a.runs) {
    if (r.length_ops == s->length_ops)
      short_changes = std::max(short_changes, r.leader_changes.size());
    if (r.length_ops == l->length_ops)
      long_changes = std::max(long_changes, r.leader_changes.size());
  }
  // Leader changes that do not explain the loss are still said, as facts.
  const std::string facts = long_changes > short_changes ? "" : failovers;
  if (long_changes > short_changes)
    signals.push_back({"failover", failovers +
                                       "Each change stalls strong ops and weak writes "
                                       "while a new leader is elected, and clients retry. "});
  if (l->slow_fraction - s->slow_fraction >= kSlowPathShift || late - early >= kSlowPathShift)
    signals.push_back(
        {"slow-path", "The fast path collapsed: strong ops on the slow path went from " +
                          fmt("%.0f", 100 * s->slow_fraction) + "% in the short runs to " +
                          fmt("%.0f", 100 * l->slow_fraction) + "% in the long ones (within the " +
                          "longest run " + fmt("%.0f", 100 * early) + "% in its first third, " +
                          fmt("%.0f", 100 * late) + "% in its last third). "});
  double timer = 0;
  if (near_timer(l->strong_p99_ms, &timer) && !near_timer(s->strong_p99_ms, &timer))
    signals.push_back({"timer", "Strong p99 sits at " + fmt("%.0f", l->strong_p99_ms) +
                                    " ms, a timer value (" + fmt("%.0f", timer) + " ms), against " +
                                    fmt("%.1f", s->strong_p99_ms) + " ms in the short runs. "});
  if (l->retries_per_s + l->timeouts_per_s >
      std::max(1.0, 2 * (s->retries_per_s + s->timeouts_per_s)))
    signals.push_back({"retries", "Retries and timeouts rose from " +
                                      fmt("%.1f", s->retries_per_s + s->timeouts_per_s) + "/s to " +
                                      fmt("%.1f", l->retries_per_s + l->timeouts_per_s) + "/s. "});
  for (const LengthRow::Proc& p : l->processes)
    if (p.cpu_util >= kCpuSaturated) {
      signals.push_back({"cpu", p.name + " was CPU-bound (" + fmt("%.0f", 100 * p.cpu_util) +
                                    "% of its CPUs, " + fmt("%.0f", p.csw_per_s) +
                                    " context switches/s). "});
      break;
    }
  if (f.tput_change_pct > kLossThreshold * 100) {
    f.cause = "none";
    f.text = head +
             "That is no real loss (threshold -10%), so there is nothing for memory to "
             "explain. " +
             facts + memory;
    for (const auto& sig : signals) f.text += sig.second;
    return f;
  }
  if (!signals.empty()) {
    f.cause = signals.front().first;
    f.text = head;
    for (const auto& sig : signals) f.text += sig.second;
    f.text += facts + "These move with the throughput; ";
    f.text += heap_grows ? "memory grows too but is not what changed the speed. " + memory : memory;
    return f;
  }
  // A growing heap costs throughput only through the allocator or the
  // memory system; without evidence of that cost it is reported, not blamed.
  bool cost = max_share >= kAllocatorShareBlame;
  std::string cost_text =
      max_share >= 0 ? "allocator time " + fmt("%.1f", 100 * max_share) + "%" : "no CPU profile";
  if (max_share < 0 && longest_run) {
    for (const ProcessMetrics& p : longest_run->processes) {
      if (!p.heap_growing) continue;
      for (const LengthRow::Proc& sp : s->processes)
        if (sp.name == p.name && sp.bytes_per_op > 0 &&
            p.bytes_per_op >= kBytesPerOpRise * sp.bytes_per_op) {
          cost = true;
          cost_text = p.name + "'s allocation rose from " + fmt("%.0f", sp.bytes_per_op) + " to " +
                      fmt("%.0f", p.bytes_per_op) + " bytes/op";
        }
    }
  }
  if (heap_grows && cost) {
    f.cause = "memory";
    f.memory_blamed = true;
    f.text =
        head + "No non-memory signal moved (slow path, timers, retries, CPU), the heap grows " +
        "with ops and it costs (" + cost_text + "): memory is the likely cause. " + facts + memory;
    return f;
  }
  if (heap_grows) {
    f.cause = "unknown";
    f.text = head +
             "No measured signal explains it: slow path, timer-valued p99, retries and CPU " +
             "do not move, and although the heap grows there is no sign that it costs time (" +
             cost_text + ", bytes/op did not rise by 25%). " + facts + memory;
    return f;
  }
  f.cause = "unknown";
  f.text = head +
           "None of the measured signals (slow path, timer-valued p99, retries, CPU, "
           "memory) moves with it. " +
           facts + memory;
  return f;
}

Result<Analysis> analyse(const std::vector<Run>& runs, const AnalyseOptions& options) {
  Analysis a;
  for (const Run& run : runs) {
    if (options.progress) options.progress("metrics: " + run.name);
    RunMetrics rm = run_metrics(run);
    for (size_t i = 0; i < run.processes.size(); ++i) {
      if (!options.sites) continue;
      if (options.progress && !run.processes[i].profiles.empty())
        options.progress("sites: " + run.name + "/" + run.processes[i].name + " (" +
                         std::to_string(run.processes[i].profiles.size()) + " profiles)");
      Result<std::vector<SiteSeries>> sites =
          process_sites(run.processes[i], options.write_symbol_cache, &a.warnings);
      if (!sites) return sites.status();
      rm.processes[i].sites = std::move(*sites);
      Result<std::optional<double>> share = cpu_allocator_share(run.processes[i]);
      if (!share) return share.status();
      rm.processes[i].allocator_share = *share;
    }
    a.runs.push_back(std::move(rm));
  }
  a.lengths = length_rows(a.runs);
  a.finding = compute_finding(a);
  return a;
}

}  // namespace hd::analysis
