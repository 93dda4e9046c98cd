// Rates, heap and gap fits, site verdicts, leadership and the degradation
// table. The thresholds below are those of docs/report.md.
#include "analysis/metrics/metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <set>

namespace hd::analysis {

namespace {

// Fragmentation: RSS - allocated grows by >= 1 MiB and >= 25 % of where it
// started, significantly (fit CI low end > 0), by >= 4x what allocated grew,
// while the heap is not growing (docs/report.md).
constexpr int64_t kMinGapGrowthBytes = 1024 * 1024;
constexpr double kMinGapGrowthFraction = 0.25;
constexpr double kGapOverHeapGrowth = 4;
// Memory outside the allocator: RSS − the allocator's footprint grows
// significantly by >= 1 MiB, and that is at least half of what RSS grew (the
// rest may be the allocator's own pages).
constexpr int64_t kMinOutsideGrowthBytes = 1024 * 1024;
constexpr double kOutsideShareOfRss = 0.5;

// A loadgen's cumulative op count at time t, linear between the (time, ops)
// points around it, held at the ends: the throughput chart and the
// within-run trend both read loadgens' counts between their snapshots.
using OpsLine = std::vector<std::pair<double, double>>;
double ops_at(const OpsLine& line, double t) {
  if (t <= line.front().first) return line.front().second;
  if (t >= line.back().first) return line.back().second;
  const auto hi = std::lower_bound(line.begin(), line.end(), std::make_pair(t, -1e300));
  const auto lo = hi - 1;
  const double f = (t - lo->first) / std::max(1e-9, hi->first - lo->first);
  return lo->second + f * (hi->second - lo->second);
}

// The recorder's CPU over the process's, as of the last line that has it
// (both counters run from the process's start).
std::optional<double> recorder_share(const std::vector<Snapshot>& snaps) {
  for (auto it = snaps.rbegin(); it != snaps.rend(); ++it) {
    if (!it->recorder_cpu_us) continue;
    const int64_t cpu = it->utime_us + it->stime_us;
    if (cpu <= 0) return std::nullopt;
    return static_cast<double>(*it->recorder_cpu_us) / static_cast<double>(cpu);
  }
  return std::nullopt;
}

}  // namespace

Axis process_axis(const ProcessRun& p) {
  for (const Snapshot& s : p.snapshots)
    if (s.ops != 0) return Axis::kOps;
  return p.snapshots.empty() ? Axis::kOps : Axis::kSeconds;
}

std::string run_length_text(int64_t length_ops, double length_s) {
  if (length_ops != 0) return std::to_string(length_ops);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", length_s);
  return buf;
}

bool heap_grows_beyond(const ProcessMetrics& m, double overhead_per_op) {
  if (m.heap.empty() || m.heap_fit.n < 3) return false;
  const double span = m.heap.back().at(m.axis) - m.heap.front().at(m.axis);
  const double growth = (m.heap_fit.slope - overhead_per_op) * span;
  return m.heap_fit.lo() - overhead_per_op > 0 && growth >= kMinHeapGrowthBytes &&
         growth >= kMinHeapGrowthFraction * static_cast<double>(m.start_allocated);
}

std::vector<std::pair<double, double>> throughput_from_snapshots(const RunMetrics& r) {
  // (unix ms, ops) of each loadgen's heap points: one per new op count.
  std::vector<OpsLine> lines;
  std::vector<double> grid;
  for (const ProcessMetrics& p : r.processes) {
    if (p.program != "loadgen" || p.heap.size() < 2) continue;
    OpsLine line;
    for (const HeapPoint& h : p.heap) {
      const double t = static_cast<double>(p.start_unix_ms) + 1000 * h.t_s;
      line.push_back({t, static_cast<double>(h.ops)});
      grid.push_back(t);
    }
    lines.push_back(std::move(line));
  }
  std::vector<std::pair<double, double>> out;
  if (lines.empty()) return out;
  std::sort(grid.begin(), grid.end());
  constexpr double kMinIntervalMs = 5;
  double prev_t = grid.front(), prev_ops = 0;
  for (const auto& line : lines) prev_ops += ops_at(line, prev_t);
  for (double t : grid) {
    if (t - prev_t < kMinIntervalMs) continue;
    double ops = 0;
    for (const auto& line : lines) ops += ops_at(line, t);
    out.push_back({(prev_t + t) / 2 / 1000, (ops - prev_ops) / ((t - prev_t) / 1000)});
    prev_t = t;
    prev_ops = ops;
  }
  return out;
}

ProcessMetrics process_metrics(const ProcessRun& p) {
  ProcessMetrics m;
  m.name = p.name;
  m.program = p.program;
  m.plant = p.plant;
  m.hw_counters = p.hw_counters;
  m.hw_counters_why = p.hw_counters_why;
  if (p.snapshots.empty()) return m;
  const Snapshot& first = p.snapshots.front();
  const Snapshot& last = p.snapshots.back();
  m.axis = process_axis(p);
  const bool timed = m.axis == Axis::kSeconds;
  m.final_ops = last.ops;
  m.duration_s = (last.t_ms - first.t_ms) / 1000.0;
  m.start_unix_ms = first.unix_ms;
  // Rates over the loaded interval: from the first line to the first line at
  // the final op count (teardown afterwards would dilute the per-second rates).
  // Without ops nothing tells the load from the teardown: the whole run.
  const Snapshot* load_end = &last;
  for (const Snapshot& s : p.snapshots)
    if (!timed && s.ops == last.ops) {
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
    m.bytes_per_op = timed ? 0 : db / dops;
    m.allocs_per_op = timed ? 0 : dc / dops;
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
  // (ops frozen, heap shrinking) does not bend the fit. Heap vs time: every
  // line at a new time.
  int64_t prev_ops = -1;
  double prev_t = -1;
  std::vector<double> x, y, gap, rss, outside;
  for (const Snapshot& s : p.snapshots) {
    m.peak_rss = std::max(m.peak_rss, s.rss_bytes);
    if (timed) {
      if (s.t_ms <= prev_t) continue;
      prev_t = s.t_ms;
    } else {
      if (s.ops <= prev_ops || s.ops == 0) continue;
      prev_ops = s.ops;
    }
    HeapPoint h{(s.t_ms - first.t_ms) / 1000.0,
                s.ops,
                s.allocated.value_or(0),
                s.active.value_or(0),
                s.resident.value_or(0),
                s.rss_bytes,
                s.mapped.value_or(s.resident.value_or(s.allocated.value_or(0)))};
    m.heap.push_back(h);
    if (s.allocated) {
      x.push_back(h.at(m.axis));
      y.push_back(static_cast<double>(*s.allocated));
      gap.push_back(static_cast<double>(s.rss_bytes - *s.allocated));
      rss.push_back(static_cast<double>(s.rss_bytes));
      // RSS beyond what the allocator holds; 0 while RSS is below it: an
      // allocator that maps more than it has touched grows RSS by touching
      // its own pages, which is not memory outside it.
      outside.push_back(static_cast<double>(std::max<int64_t>(0, s.rss_bytes - h.footprint)));
    }
  }
  m.heap_fit = fit_line(x, y);
  m.gap_fit = fit_line(x, gap);
  m.rss_fit = fit_line(x, rss);
  m.outside_fit = fit_line(x, outside);
  if (!m.heap.empty()) {
    m.start_allocated = m.heap.front().allocated;
    m.end_allocated = m.heap.back().allocated;
    m.rss_minus_allocated = m.heap.back().rss - m.heap.back().allocated;
    m.heap_growing = heap_grows_beyond(m, 0);
    const HeapPoint& h0 = m.heap.front();
    const HeapPoint& h1 = m.heap.back();
    m.start_gap = h0.rss - h0.allocated;
    m.end_gap = h1.rss - h1.allocated;
    if (p.snapshots.front().active)
      m.active_gap_growth = (h1.active - h1.allocated) - (h0.active - h0.allocated);
    m.start_rss = h0.rss;
    m.end_rss = h1.rss;
    m.start_footprint = h0.footprint;
    m.end_footprint = h1.footprint;
    // Fitted growths over the span, not end points: one late snapshot must
    // not decide it.
    const double span = h1.at(m.axis) - h0.at(m.axis);
    const double rss_growth = m.rss_fit.slope * span;
    const double outside_growth = m.outside_fit.slope * span;
    m.outside_growing = m.outside_fit.n >= 3 && m.rss_fit.lo() > 0 && m.outside_fit.lo() > 0 &&
                        outside_growth >= static_cast<double>(kMinOutsideGrowthBytes) &&
                        outside_growth >= kOutsideShareOfRss * rss_growth;
    const double gap_growth = static_cast<double>(m.end_gap - m.start_gap);
    const double heap_growth =
        static_cast<double>(std::max<int64_t>(0, m.end_allocated - m.start_allocated));
    // Pages the allocator never held are not fragmentation.
    const bool gap_growing =
        !m.heap_growing && !m.outside_growing && m.gap_fit.n >= 3 && m.gap_fit.lo() > 0 &&
        gap_growth >= kMinGapGrowthBytes &&
        gap_growth >= kMinGapGrowthFraction * static_cast<double>(m.start_gap) &&
        gap_growth >= kGapOverHeapGrowth * heap_growth;
    const bool live = gap_in_live_pages(m.active_gap_growth, m.end_gap - m.start_gap);
    m.fragmenting = gap_growing && live;
    m.rss_beyond_heap = gap_growing && !live;
  }
  const double cpu_s = static_cast<double>((load_end->utime_us + load_end->stime_us) -
                                           (first.utime_us + first.stime_us)) /
                       1e6;
  m.cpu_util = cpu_s / load_s / std::max(1, p.cpus);
  m.recorder_share = recorder_share(p.snapshots);
  // Leadership as this replica saw it: the gauges whenever they move.
  for (const Snapshot& s : p.snapshots) {
    if (!s.term) continue;
    const std::optional<int64_t> leader =
        s.leader && *s.leader >= 0 ? s.leader : std::optional<int64_t>();
    if (m.term_gauge.empty() || m.term_gauge.back().term != *s.term ||
        m.term_gauge.back().leader != leader)
      m.term_gauge.push_back({(s.t_ms - first.t_ms) / 1000.0, s.ops, *s.term, leader});
  }
  m.csw_per_s =
      static_cast<double>((load_end->nvcsw + load_end->nivcsw) - (first.nvcsw + first.nivcsw)) /
      load_s;
  return m;
}

namespace {

// The run's leader changes, merged over its replicas: per term, the earliest
// moment a replica was in it and the leader named for it. Times are seconds
// from the load's start (its first measured op; without loadgen results,
// the first replica snapshot). The boot leader's term is the highest term
// whose leader was named before any op: by the load's start, or while the
// replica that first saw the term had handled no client op. Only terms
// after it are changes. So the boot election is never one, whether a
// replica's first snapshot already knows the leader or not (recorded
// replicas boot with no gauges, may show term 0 led by replica0 for a
// moment, then term 1), and whenever each replica started.
void leadership(RunMetrics* r) {
  int64_t replicas = 0;
  double start_ms = 1e300;
  for (const ProcessMetrics& p : r->processes)
    if (!p.term_gauge.empty()) {
      ++replicas;
      start_ms = std::min(start_ms, static_cast<double>(p.start_unix_ms));
    }
  if (replicas == 0) return;
  if (r->has_loadgen && r->load_start_unix_us > 0)
    start_ms = static_cast<double>(r->load_start_unix_us) / 1000.0;
  struct Term {
    LeaderChange first;              // when (and after which ops) a replica was first in it
    std::optional<double> named_at;  // when a replica first named its leader
  };
  std::map<int64_t, Term> by_term;
  for (const ProcessMetrics& p : r->processes) {
    const double offset_s = (static_cast<double>(p.start_unix_ms) - start_ms) / 1000.0;
    for (LeaderChange c : p.term_gauge) {
      c.t_s += offset_s;
      if (c.leader && *c.leader >= replicas) c.leader.reset();  // the gauge's "no leader known"
      auto [it, fresh] = by_term.try_emplace(c.term, Term{c, std::nullopt});
      Term& t = it->second;
      if (!fresh && c.t_s < t.first.t_s) {
        t.first.t_s = c.t_s;
        t.first.ops = c.ops;
      }
      if (c.leader && (!t.named_at || c.t_s < *t.named_at)) {
        t.named_at = c.t_s;
        t.first.leader = c.leader;
      }
    }
  }
  std::optional<int64_t> boot;
  for (const auto& [term, t] : by_term)  // ascending terms
    if (t.named_at && (!boot || *t.named_at <= 0 || t.first.ops == 0)) boot = term;
  if (!boot) return;  // no leader ever named: no change can be told from the boot
  for (auto [term, t] : by_term)
    if (term > *boot) {
      t.first.t_s = std::max(0.0, t.first.t_s);  // a term begun before the load: at its start
      r->leader_changes.push_back(t.first);
    }
}

// Each replica's role at the end of the run: the last leader its gauge named
// (values >= the replica count name no one) against its own id.
void leader_roles(const Run& run, RunMetrics* r) {
  int64_t replicas = 0;
  for (const ProcessMetrics& p : r->processes) replicas += !p.term_gauge.empty();
  for (size_t i = 0; i < run.processes.size() && i < r->processes.size(); ++i) {
    ProcessMetrics& p = r->processes[i];
    if (p.term_gauge.empty() || p.name.rfind("replica", 0) != 0) continue;
    const std::string digits = p.name.substr(7);
    if (digits.empty() || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const int64_t id = std::stoll(digits);
    const std::vector<Snapshot>& snaps = run.processes[i].snapshots;
    for (auto it = snaps.rbegin(); it != snaps.rend(); ++it)
      if (it->leader && *it->leader >= 0 && *it->leader < replicas) {
        p.leader_at_end = *it->leader == id;
        break;
      }
  }
}

// Within-run trends (analysis/metrics/decay.h). The window is the time in
// which every loadgen was loading (a client that finishes early leaves a tail
// at a lower rate that is not the system slowing down), minus its first 10 %
// (warm-up). Throughput is summed over the loadgens, in uniform bins of
// max(the median snapshot interval, 0.2 s, window / 40): from the loadgens' snapshots
// (cumulative ops interpolated at the bin edges), so a run of a few seconds has points enough;
// without snapshots enough, from their per-second series (whole seconds only). Each process's CPU
// per op is read in the same window.
struct ThroughputSeries {
  int64_t from_ms = 0, to_ms = 0;
  double bin_s = 1;
  std::vector<double> t, y;
};

std::optional<ThroughputSeries> from_snapshots(const std::vector<const ProcessRun*>& loadgens) {
  constexpr size_t kMinSnapshots = 10;
  int64_t from = INT64_MIN, to = INT64_MAX;
  for (const ProcessRun* p : loadgens) {
    const std::vector<Snapshot>& s = p->snapshots;
    if (s.size() < kMinSnapshots) return std::nullopt;
    const int64_t final_ops = s.back().ops;
    auto first = std::find_if(s.begin(), s.end(), [](const Snapshot& x) { return x.ops > 0; });
    auto done = std::find_if(s.begin(), s.end(),
                             [final_ops](const Snapshot& x) { return x.ops == final_ops; });
    if (first == s.end() || first == s.begin() ||
        done - first + 1 < static_cast<ptrdiff_t>(kMinSnapshots))
      return std::nullopt;
    // Loading from the last line before its first op to its first line at its final count.
    from = std::max(from, std::prev(first)->unix_ms);
    to = std::min(to, done->unix_ms);
  }
  if (to <= from) return std::nullopt;
  ThroughputSeries ts;
  ts.from_ms = from + (to - from) / 10;
  ts.to_ms = to;
  const double span = static_cast<double>(ts.to_ms - ts.from_ms);
  // A bin spans at least one of the loadgens' typical snapshot intervals
  // (their median), so each rate comes from snapshots, not interpolation
  // alone, and at least 0.2 s (scheduling noise); at the default 100 ms a
  // 4-s run has points enough to judge.
  std::vector<double> gaps;
  for (const ProcessRun* p : loadgens)
    for (size_t k = 1; k < p->snapshots.size(); ++k)
      gaps.push_back(static_cast<double>(p->snapshots[k].unix_ms - p->snapshots[k - 1].unix_ms));
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<ptrdiff_t>(gaps.size() / 2),
                   gaps.end());
  const double width = std::max({gaps[gaps.size() / 2], 200.0, span / 40});
  ts.bin_s = width / 1000;
  std::vector<OpsLine> lines;
  for (const ProcessRun* p : loadgens) {
    OpsLine& line = lines.emplace_back();
    for (const Snapshot& x : p->snapshots)
      line.push_back({static_cast<double>(x.unix_ms), static_cast<double>(x.ops)});
  }
  const auto bins = static_cast<size_t>(span / width);
  for (size_t b = 0; b < bins; ++b) {
    const double e0 = static_cast<double>(ts.from_ms) + static_cast<double>(b) * width;
    double ops = 0;
    for (const OpsLine& line : lines) ops += ops_at(line, e0 + width) - ops_at(line, e0);
    ts.t.push_back((static_cast<double>(b) + 0.5) * ts.bin_s);
    ts.y.push_back(ops / ts.bin_s);
  }
  ts.to_ms = ts.from_ms + static_cast<int64_t>(static_cast<double>(bins) * width);
  return ts;
}

std::optional<ThroughputSeries> from_seconds(const std::vector<const ProcessRun*>& loadgens) {
  int64_t from = INT64_MIN, to = INT64_MAX;  // whole seconds of all: [from, to]
  for (const ProcessRun* p : loadgens) {
    const auto& series = p->result->series;
    if (series.size() < 3) return std::nullopt;
    from = std::max(from, std::next(series.begin())->first);
    to = std::min(to, std::prev(series.end(), 2)->first);
  }
  if (to < from) return std::nullopt;
  from += (to - from + 1) / 10;
  ThroughputSeries ts;
  ts.from_ms = from * 1000;
  ts.to_ms = (to + 1) * 1000;
  for (int64_t sec = from; sec <= to; ++sec) {
    double sum = 0;
    for (const ProcessRun* p : loadgens)
      if (auto it = p->result->series.find(sec); it != p->result->series.end())
        sum += static_cast<double>(it->second.total());
    ts.t.push_back(static_cast<double>(sec - from) + 0.5);
    ts.y.push_back(sum);
  }
  return ts;
}

// The speed probe's time per run between successive lines of every process,
// pooled in time order, for each kernel (the kernel one only where recorded).
void probe_trends(const Run& run, int64_t from_ms, int64_t to_ms, RunMetrics* r) {
  std::vector<std::array<double, 4>> points;  // t, chase us, compute us, kernel us (< 0: none)
  const auto per_run = [](const std::optional<int64_t>& now, const std::optional<int64_t>& before,
                          double runs) {
    return now && before ? static_cast<double>(*now - *before) / runs / 1000.0 : -1.0;
  };
  for (const ProcessRun& p : run.processes) {
    const Snapshot* prev = nullptr;
    for (const Snapshot& s : p.snapshots) {
      if (s.unix_ms < from_ms || s.unix_ms > to_ms || !s.probe_runs) continue;
      if (prev && *s.probe_runs > *prev->probe_runs && s.probe_chase_ns && prev->probe_chase_ns &&
          s.probe_compute_ns && prev->probe_compute_ns) {
        const auto runs = static_cast<double>(*s.probe_runs - *prev->probe_runs);
        points.push_back({static_cast<double>((s.unix_ms + prev->unix_ms) / 2 - from_ms) / 1000.0,
                          per_run(s.probe_chase_ns, prev->probe_chase_ns, runs),
                          per_run(s.probe_compute_ns, prev->probe_compute_ns, runs),
                          per_run(s.probe_kernel_ns, prev->probe_kernel_ns, runs)});
      }
      prev = &s;
    }
  }
  std::sort(points.begin(), points.end());
  std::vector<double> t, chase, compute, kt, kernel;
  for (const auto& q : points) {
    t.push_back(q[0]);
    chase.push_back(q[1]);
    compute.push_back(q[2]);
    if (q[3] >= 0) {
      kt.push_back(q[0]);
      kernel.push_back(q[3]);
    }
  }
  r->probe_chase_trend = detect_trend(t, chase);
  r->probe_compute_trend = detect_trend(t, compute);
  r->probe_kernel_trend = detect_trend(kt, kernel);
}

// The quantities that can move with a process's cost per op over the window
// [from_ms, to_ms] (ProcessMetrics::alongside), each with its trend.
std::vector<ProcessMetrics::Alongside> alongside_trends(const ProcessRun& p, int64_t from_ms,
                                                        int64_t to_ms) {
  std::vector<const Snapshot*> in;
  for (const Snapshot& s : p.snapshots)
    if (s.unix_ms >= from_ms && s.unix_ms <= to_ms) in.push_back(&s);
  const auto at = [&](const Snapshot& s) {
    return static_cast<double>(s.unix_ms - from_ms) / 1000.0;
  };
  std::vector<ProcessMetrics::Alongside> out;
  // A counter's increase per op between successive snapshots.
  const auto rate = [&](const char* what, const char* unit, double scale,
                        const std::function<std::optional<int64_t>(const Snapshot&)>& get) {
    std::vector<double> t, y;
    for (size_t k = 1; k < in.size(); ++k) {
      const Snapshot &a = *in[k - 1], &b = *in[k];
      const auto va = get(a), vb = get(b);
      if (b.ops <= a.ops || !va || !vb) continue;
      t.push_back((at(a) + at(b)) / 2);
      y.push_back(scale * static_cast<double>(*vb - *va) / static_cast<double>(b.ops - a.ops));
    }
    out.push_back({what, unit, detect_trend(t, y)});
  };
  // A level at each snapshot.
  const auto level = [&](std::string what, const char* unit,
                         const std::function<std::optional<int64_t>(const Snapshot&)>& get) {
    std::vector<double> t, y;
    for (const Snapshot* s : in)
      if (const auto v = get(*s)) {
        t.push_back(at(*s));
        y.push_back(static_cast<double>(*v));
      }
    out.push_back({std::move(what), unit, level_trend(t, y)});
  };
  rate("user CPU", "us/op", 1, [](const Snapshot& s) { return s.utime_us; });
  rate("sys CPU", "us/op", 1, [](const Snapshot& s) { return s.stime_us; });
  rate("minor faults", "/op", 1, [](const Snapshot& s) { return s.minflt; });
  rate("voluntary switches", "/op", 1, [](const Snapshot& s) { return s.nvcsw; });
  rate("involuntary switches", "/op", 1, [](const Snapshot& s) { return s.nivcsw; });
  level("RSS", "bytes", [](const Snapshot& s) { return s.rss_bytes; });
  level("heap", "bytes", [](const Snapshot& s) { return s.allocated; });
  // Gauges that rise by definition: ids, slot indexes and the replica's
  // monotonic counters (CURP-HO's gate drops and sync-timer counts).
  static const std::set<std::string> kByDefinition = {
      "term",          "leader",       "last_index",       "commit_index",
      "applied_index", "gate_dropped", "sync_timer_fires", "sync_timer_answers"};
  std::vector<std::string> names;
  for (const Snapshot* s : in)
    for (const auto& [name, v] : s->gauges)
      if (!kByDefinition.count(name) && std::find(names.begin(), names.end(), name) == names.end())
        names.push_back(name);
  for (const std::string& name : names)
    level(name, "", [&name](const Snapshot& s) -> std::optional<int64_t> {
      for (const auto& [g, v] : s.gauges)
        if (g == name) return v;
      return std::nullopt;
    });
  return out;
}

void within_run_trends(const Run& run, RunMetrics* r) {
  std::vector<const ProcessRun*> loadgens;
  for (const ProcessRun& p : run.processes)
    if (p.result) loadgens.push_back(&p);
  if (loadgens.empty()) return;
  std::optional<ThroughputSeries> ts = from_snapshots(loadgens);
  if (!ts) ts = from_seconds(loadgens);
  if (!ts) return;
  r->trend_start_unix_ms = ts->from_ms;
  r->trend_end_unix_ms = ts->to_ms;
  r->trend_bin_s = ts->bin_s;
  r->throughput_trend = detect_trend(ts->t, ts->y);
  // Too short to judge the throughput: the processes' costs are not judged
  // either (the same window, and nothing for them to explain).
  if (r->throughput_trend.trend == Trend::kTooShort) return;

  const int64_t from_ms = ts->from_ms, to_ms = ts->to_ms;
  const auto cpu = [](const Snapshot& x) {
    return x.utime_us + x.stime_us - x.recorder_cpu_us.value_or(0);
  };
  for (size_t i = 0; i < run.processes.size() && i < r->processes.size(); ++i) {
    const ProcessRun& p = run.processes[i];
    std::vector<double> ct, cy;
    const Snapshot* prev = nullptr;
    for (const Snapshot& s : p.snapshots) {
      if (s.unix_ms < from_ms || s.unix_ms > to_ms) continue;
      if (prev && s.ops > prev->ops) {
        ct.push_back(static_cast<double>((s.unix_ms + prev->unix_ms) / 2 - from_ms) / 1000.0);
        cy.push_back(static_cast<double>(cpu(s) - cpu(*prev)) /
                     static_cast<double>(s.ops - prev->ops));
      }
      prev = &s;
    }
    r->processes[i].cpu_per_op_trend = detect_trend(ct, cy);
    r->processes[i].alongside = alongside_trends(p, from_ms, to_ms);
  }
  probe_trends(run, from_ms, to_ms, r);
}

}  // namespace

RunMetrics run_metrics(const Run& run) {
  RunMetrics r;
  r.name = run.name;
  r.length_ops = run.length_ops;
  r.length_s = run.length_s;
  r.iteration = run.iteration;
  // Every loadgen process of the run, merged by loadgen's own merge (the one
  // `loadgen merge` and the bench table use).
  loadgen::RunStats merged;
  for (const ProcessRun& p : run.processes)
    if (p.result) {
      r.has_loadgen = true;
      merged.merge(*p.result);
    }
  if (r.has_loadgen) {
    r.latency.add(merged);
    const double dur_s = std::max(1e-3, merged.duration_s());
    r.throughput_ops_s = static_cast<double>(merged.ops()) / dur_s;
    const LatencyPercentiles lat = r.latency.percentiles();
    r.strong_p50_ms = lat.strong_p50_ms;
    r.strong_p99_ms = lat.strong_p99_ms;
    r.weak_p50_ms = lat.weak_p50_ms;
    r.weak_p99_ms = lat.weak_p99_ms;
    if (!merged.series.empty()) r.tput_start_unix_s = merged.series.begin()->first;
    r.load_start_unix_us = merged.start_unix_us;
    const loadgen::ClassStats strong = merged.strong();
    const uint64_t strong_ops = strong.fast_path + strong.slow_path;
    r.slow_fraction =
        strong_ops ? static_cast<double>(strong.slow_path) / static_cast<double>(strong_ops) : 0;
    r.strong_fast_ops = strong.fast_path;
    r.strong_slow_ops = strong.slow_path;
    r.retries_per_s = static_cast<double>(merged.retries) / dur_s;
    r.timeouts_per_s = static_cast<double>(merged.timeouts()) / dur_s;
    for (const auto& [sec, e] : merged.series) {
      r.tput_per_s.push_back(static_cast<double>(e.total()));
      const uint64_t st = e.fast_path + e.slow_path;
      r.slow_fraction_per_s.push_back(
          st ? static_cast<double>(e.slow_path) / static_cast<double>(st) : 0);
    }
  }
  for (const ProcessRun& p : run.processes) r.processes.push_back(process_metrics(p));
  r.axis = std::all_of(r.processes.begin(), r.processes.end(),
                       [](const ProcessMetrics& p) { return p.axis == Axis::kSeconds; }) &&
                   !r.processes.empty()
               ? Axis::kSeconds
               : Axis::kOps;
  leadership(&r);
  leader_roles(run, &r);
  within_run_trends(run, &r);
  return r;
}

std::vector<LengthRow> length_rows(const std::vector<RunMetrics>& runs) {
  std::vector<LengthRow> rows;
  for (size_t i = 0; i < runs.size();) {
    size_t j = i;
    // Runs without ops are each a length of their own (group_runs).
    while (j < runs.size() && runs[j].length_ops == runs[i].length_ops &&
           (runs[i].length_ops != 0 || j == i))
      ++j;
    LengthRow row;
    row.length_ops = runs[i].length_ops;
    row.length_s = runs[i].length_s;
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
      row.strong_fast_ops += r.strong_fast_ops;
      row.strong_slow_ops += r.strong_slow_ops;
    }
    const MeanSd tput = mean_and_sample_sd(tp);  // the one "±" convention
    row.tput_mean = tput.mean;
    row.tput_sd = tput.sd;
    const LatencyPercentiles lat = latency.percentiles();
    row.strong_p50_ms = lat.strong_p50_ms;
    row.strong_p99_ms = lat.strong_p99_ms;
    row.weak_p50_ms = lat.weak_p50_ms;
    row.weak_p99_ms = lat.weak_p99_ms;
    for (size_t c = 0; c < row.classes.size(); ++c) row.classes[c] = latency.class_percentiles(c);
    if (const uint64_t n = row.strong_fast_ops + row.strong_slow_ops; n > 0)
      row.fast_fraction = static_cast<double>(row.strong_fast_ops) / static_cast<double>(n);
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

}  // namespace hd::analysis
