// The decision of the finding. Non-memory signals are weighed first: a
// growing heap is reported, but blamed for lost throughput only when nothing
// else moves with it and there is evidence that it costs time (docs/report.md, "The finding").
#include "analysis/finding/finding.h"

#include <algorithm>
#include <cmath>

namespace hd::analysis {

namespace {

constexpr double kLossThreshold = -0.10;       // a throughput change below -10 % is a loss
constexpr double kSlowPathShift = 0.15;        // slow-path share moving by >= 15 points
constexpr double kTimerTolerance = 0.25;       // p99 within 25 % of a timer value
constexpr double kCpuSaturated = 0.90;         // of the CPUs the process may use
constexpr double kAllocatorShareBlame = 0.10;  // allocator >= 10 % of CPU samples
constexpr double kBytesPerOpRise = 1.25;       // or allocation per op up by >= 25 %

// Slow-path share in the first and last third of the per-second series.
std::pair<double, double> early_late(const std::vector<double>& v) {
  if (v.size() < 3) return {v.empty() ? 0 : v.front(), v.empty() ? 0 : v.back()};
  const size_t third = v.size() / 3;
  std::vector<double> a(v.begin(), v.begin() + static_cast<long>(third));
  std::vector<double> b(v.end() - static_cast<long>(third), v.end());
  return {mean(a), mean(b)};
}

MemoryEvidence memory_evidence(const RunMetrics& longest) {
  MemoryEvidence m;
  m.measured = true;
  for (const ProcessMetrics& p : longest.processes) {
    // A process grows when its heap does (net of what profiling holds) or
    // when a site accumulates: the sampled sites can see a leak that the
    // process total, noisier by the profiler's own share, cannot.
    const bool site_accumulates = std::any_of(
        p.sites.begin(), p.sites.end(),
        [](const SiteSeries& s) { return !s.recorder && s.verdict == Verdict::kAccumulates; });
    if (!p.heap_growing && !site_accumulates) continue;
    GrowingHeap g;
    g.heap_significant = p.heap_growing;
    g.process = p.name;
    g.axis = p.axis;
    g.fit = p.heap_fit;
    const double span = p.heap.empty() ? 0 : p.heap.back().at(p.axis) - p.heap.front().at(p.axis);
    g.growth_bytes = p.heap_fit.slope * span;
    g.duration_s = p.heap.empty() ? 0 : p.heap.back().t_s - p.heap.front().t_s;
    g.sampling_overhead = p.sampling_overhead;
    g.final_ops = p.final_ops;
    g.start_allocated = p.start_allocated;
    // An accumulating site first; else one that grew significantly but whose
    // shape the samples cannot tell, said as such.
    const SiteSeries* top = nullptr;
    for (Verdict wanted : {Verdict::kAccumulates, Verdict::kTooFewSamples}) {
      for (const SiteSeries& s : p.sites)
        if (!s.recorder && s.verdict == wanted && grows_significantly(s.growth) &&
            (!top || s.growth.slope() > top->growth.slope()))
          top = &s;
      if (top) break;
    }
    if (top)
      g.top_site =
          GrowingHeap::Site{top->function, top->file, top->line, top->growth.slope(), top->verdict};
    m.growing.push_back(std::move(g));
  }
  if (m.heap_grows()) {
    for (const ProcessMetrics& p : longest.processes)
      if (!p.heap_growing && !p.heap.empty() &&
          std::none_of(m.growing.begin(), m.growing.end(),
                       [&](const GrowingHeap& g) { return g.process == p.name; }))
        m.flat.push_back(p.name);
  } else {
    const ProcessMetrics* biggest = nullptr;
    for (const ProcessMetrics& p : longest.processes)
      if (!biggest || std::fabs(p.heap_fit.slope) > std::fabs(biggest->heap_fit.slope))
        biggest = &p;
    if (biggest) {
      const double span = biggest->heap.empty() ? 0.0
                                                : biggest->heap.back().at(biggest->axis) -
                                                      biggest->heap.front().at(biggest->axis);
      m.largest_slope = MemoryEvidence::Slope{biggest->name,
                                              biggest->axis,
                                              biggest->heap_fit,
                                              biggest->sampling_overhead,
                                              biggest->heap_fit.slope * span,
                                              biggest->start_allocated};
    }
  }
  // Sites the profiles cannot judge: said, so "flat" is never read as
  // "every site was seen".
  double widest = -1;
  for (const ProcessMetrics& p : longest.processes)
    for (const SiteSeries& s : p.sites) {
      if (s.recorder || s.verdict != Verdict::kTooFewSamples) continue;
      if (!m.undecided) m.undecided.emplace();
      ++m.undecided->count;
      const double reach = s.growth.has_interval()
                               ? s.growth.hi() * s.growth.span_ops
                               : static_cast<double>(s.points.back().inuse_bytes);
      if (reach > widest) {
        widest = reach;
        m.undecided->process = p.name;
        m.undecided->function = s.function.empty() ? s.key : s.function;
        m.undecided->why = s.why;
      }
    }
  // The allocator share said is one process's, the one its table row shows:
  // a maximum over processes, unnamed, once read as 50 % beside a table
  // whose growing process had 18 %. Only a growing heap's share is a cost.
  for (const ProcessMetrics& p : longest.processes) {
    const bool grows = std::any_of(m.growing.begin(), m.growing.end(),
                                   [&](const GrowingHeap& g) { return g.process == p.name; });
    if (!p.allocator_share || (m.heap_grows() && !grows)) continue;
    if (!m.allocator_share || *p.allocator_share > m.allocator_share->share)
      m.allocator_share = MemoryEvidence::AllocatorShare{p.name, longest.name, *p.allocator_share};
  }
  // Memory outside the allocator: said whatever the heap does.
  for (const ProcessMetrics& p : longest.processes) {
    if (!p.outside_growing) continue;
    const double span = p.heap.back().at(p.axis) - p.heap.front().at(p.axis);
    m.outside.push_back({p.name, p.axis, p.outside_fit, p.outside_fit.slope * span, p.start_rss,
                         p.end_rss, p.start_footprint, p.end_footprint});
  }
  // Fragmentation: pages held beyond the live bytes, growing with ops.
  for (const ProcessMetrics& p : longest.processes) {
    if (!p.fragmenting && !p.rss_beyond_heap) continue;
    const double span = std::max(p.axis == Axis::kOps ? 1.0 : 1e-3,
                                 p.heap.back().at(p.axis) - p.heap.front().at(p.axis));
    m.fragmenting.push_back({p.name, p.start_gap, p.end_gap,
                             static_cast<double>(p.end_gap - p.start_gap) / span, p.start_allocated,
                             p.end_allocated, p.active_gap_growth, p.axis});
  }
  return m;
}

// A growing heap costs throughput only through the allocator or the memory
// system; without evidence of that cost it is reported, not blamed.
MemoryCost memory_cost(const MemoryEvidence& m, const RunMetrics* longest, const LengthRow& s) {
  MemoryCost c;
  c.costs = m.heap_grows() && m.allocator_share && m.allocator_share->share >= kAllocatorShareBlame;
  if (m.allocator_share || !longest) return c;
  for (const ProcessMetrics& p : longest->processes) {
    if (!p.heap_growing) continue;
    for (const LengthRow::Proc& sp : s.processes)
      if (sp.name == p.name && sp.bytes_per_op > 0 &&
          p.bytes_per_op >= kBytesPerOpRise * sp.bytes_per_op) {
        c.costs = true;
        c.rise = MemoryCost::BytesPerOpRise{p.name, sp.bytes_per_op, p.bytes_per_op};
      }
  }
  return c;
}

// Every length with loadgen results has its strong p99 at the same timer.
std::optional<TimerHold> timer_hold(const std::vector<LengthRow>& lengths) {
  std::optional<TimerHold> h;
  for (const LengthRow& r : lengths) {
    if (r.tput_mean <= 0) continue;
    const std::optional<NamedTimer> t = near_timer(r.strong_p99_ms);
    if (!t || (h && h->timer.ms != t->ms)) return std::nullopt;
    if (!h) h = TimerHold{*t, r.strong_p99_ms, r.strong_p99_ms, 0};
    h->min_p99_ms = std::min(h->min_p99_ms, r.strong_p99_ms);
    h->max_p99_ms = std::max(h->max_p99_ms, r.strong_p99_ms);
    ++h->lengths;
  }
  return h;
}

}  // namespace

std::optional<NamedTimer> near_timer(double p99_ms) {
  static constexpr NamedTimer kTimers[] = {
      {200.0, "client retry period"}, {1000.0, "election timeout"}, {2000.0, "sync timer"}};
  for (const NamedTimer& t : kTimers)
    if (p99_ms >= t.ms * (1 - kTimerTolerance) && p99_ms <= t.ms * (1 + kTimerTolerance)) return t;
  return std::nullopt;
}

std::string_view cause_name(Cause c) {
  switch (c) {
    case Cause::kUnknown:
      return "unknown";
    case Cause::kNoLoss:
      return "none";
    case Cause::kFailover:
      return "failover";
    case Cause::kSlowPath:
      return "slow-path";
    case Cause::kTimer:
      return "timer";
    case Cause::kRetries:
      return "retries";
    case Cause::kCpu:
      return "cpu";
    case Cause::kMemory:
      return "memory";
  }
  return "unknown";
}

std::vector<Cause> Finding::signals() const {
  std::vector<Cause> v;
  if (failover) v.push_back(Cause::kFailover);
  if (slow_path) v.push_back(Cause::kSlowPath);
  if (timer) v.push_back(Cause::kTimer);
  if (retries) v.push_back(Cause::kRetries);
  if (cpu) v.push_back(Cause::kCpu);
  return v;
}

double DecaySignal::machine_ratio_hi() const {
  double hi = 0;
  for (const TrendFit* t : machine_parts())
    if (t->trend != Trend::kTooShort) hi = std::max(hi, t->ratio_hi);
  return hi;
}

bool DecaySignal::machine_ruled_out() const {
  return machine_judged() && !machine_slowed() && machine_ratio_hi() < 1 + kMachineSlack;
}

double DecaySignal::machine_factor() const {
  double f = 1;
  for (const TrendFit* t : machine_parts())
    if (t->trend == Trend::kRising) f = std::max(f, t->ratio);
  return f;
}

namespace {

// A process whose CPU per op rose, with where the profile diff puts the rise:
// the functions whose own time per op rose most, each a material part of the
// process's profiled rise (a function that rose by a sliver of it is noise
// between two sample counts, not an explanation).
DecaySignal::Cost decay_cost(const ProcessMetrics& p) {
  DecaySignal::Cost c;
  c.process = p.name;
  c.cpu_per_op = p.cpu_per_op_trend;
  c.profile = p.cpu_diff;
  c.hw_counters = p.hw_counters;
  c.hw_counters_why = p.hw_counters_why;
  // Rates and the process's own levels (RSS, heap) first, in their order;
  // then the gauges that rose most.
  std::vector<ProcessMetrics::Alongside> gauges;
  for (const ProcessMetrics::Alongside& a : p.alongside) {
    const bool own = !a.unit.empty();
    if (a.fit.trend == Trend::kRising)
      (own ? c.rose : gauges).push_back(a);
    else if (a.fit.trend != Trend::kTooShort && own)
      c.held.push_back(a.what);
  }
  std::stable_sort(gauges.begin(), gauges.end(),
                   [](const auto& a, const auto& b) { return a.fit.ratio > b.fit.ratio; });
  if (gauges.size() > kDecayTopAlongside) gauges.resize(kDecayTopAlongside);
  c.rose.insert(c.rose.end(), gauges.begin(), gauges.end());
  if (!p.cpu_diff) return c;
  const double rise = p.cpu_diff->late_us_per_op - p.cpu_diff->early_us_per_op;
  if (rise <= 0) return c;
  for (const FunctionCpu& f : p.cpu_diff->functions) {
    if (c.top.size() == kDecayTopFunctions || f.self_delta_us() < kDecayMinFunctionRise * rise)
      break;
    c.top.push_back(f);
  }
  return c;
}

}  // namespace

Finding decide_finding(const std::vector<RunMetrics>& runs, const std::vector<LengthRow>& lengths) {
  Finding f;
  const RunMetrics* longest_run = runs.empty() ? nullptr : &runs.back();
  if (longest_run) f.memory = memory_evidence(*longest_run);
  for (const RunMetrics& r : runs) {
    if (!r.leader_changes.empty()) f.leadership.push_back({r.length_ops, r.leader_changes});
    f.has_load = f.has_load || r.has_loadgen;
    if (r.throughput_trend.trend == Trend::kDeclining) {
      DecaySignal& d = f.decay.emplace_back();
      d.run = r.name;
      d.length_ops = r.length_ops;
      d.throughput = r.throughput_trend;
      d.bin_s = r.trend_bin_s;
      d.machine_chase = r.probe_chase_trend;
      d.machine_compute = r.probe_compute_trend;
      d.machine_kernel = r.probe_kernel_trend;
      for (const ProcessMetrics& p : r.processes) {
        if (p.cpu_per_op_trend.trend == Trend::kRising)
          d.costlier.push_back(decay_cost(p));
        else if (p.cpu_per_op_trend.trend != Trend::kTooShort)
          d.steady.push_back(p.name);
      }
    }
  }

  f.timer_hold = timer_hold(lengths);

  const LengthRow* s = nullptr;
  const LengthRow* l = nullptr;
  for (const LengthRow& r : lengths)
    if (r.tput_mean > 0) {
      if (!s) s = &r;
      l = &r;
    }
  if (!s || !l || s == l) return f;  // kUnknown: no change to explain
  ThroughputChange& c = f.change.emplace();
  c.short_length = s->length_ops;
  c.long_length = l->length_ops;
  c.short_tput = s->tput_mean;
  c.long_tput = l->tput_mean;
  c.change_pct = 100 * (l->tput_mean - s->tput_mean) / s->tput_mean;
  for (const RunMetrics& r : runs)
    if (r.length_ops == s->length_ops && r.has_loadgen && r.throughput_ops_s > 0 &&
        static_cast<double>(r.length_ops) / r.throughput_ops_s < 1.0)
      c.short_runs_under_a_second = true;

  // A leader change stalls strong ops and weak writes for an election (300-
  // 600 ms by default) and sends clients into retries: more of them in the
  // long runs than in the short ones is a cause on its own.
  size_t short_changes = 0, long_changes = 0;
  for (const RunMetrics& r : runs) {
    if (r.length_ops == s->length_ops)
      short_changes = std::max(short_changes, r.leader_changes.size());
    if (r.length_ops == l->length_ops)
      long_changes = std::max(long_changes, r.leader_changes.size());
  }
  if (long_changes > short_changes) f.failover = FailoverSignal{short_changes, long_changes};
  const RunMetrics* lr = nullptr;
  for (const RunMetrics& r : runs)
    if (r.length_ops == l->length_ops && r.has_loadgen) lr = &r;
  const auto [early, late] =
      lr ? early_late(lr->slow_fraction_per_s) : std::pair<double, double>{0, 0};
  if (l->slow_fraction - s->slow_fraction >= kSlowPathShift || late - early >= kSlowPathShift)
    f.slow_path = SlowPathSignal{s->slow_fraction, l->slow_fraction, early, late};
  if (const std::optional<NamedTimer> timer = near_timer(l->strong_p99_ms);
      timer && !near_timer(s->strong_p99_ms))
    f.timer = TimerSignal{l->strong_p99_ms, timer->ms, s->strong_p99_ms};
  if (l->retries_per_s + l->timeouts_per_s >
      std::max(1.0, 2 * (s->retries_per_s + s->timeouts_per_s)))
    f.retries =
        RetriesSignal{s->retries_per_s + s->timeouts_per_s, l->retries_per_s + l->timeouts_per_s};
  for (const LengthRow::Proc& p : l->processes)
    if (p.cpu_util >= kCpuSaturated) {
      f.cpu = CpuSignal{p.name, p.cpu_util, p.csw_per_s};
      break;
    }
  f.memory_cost = memory_cost(f.memory, longest_run, *s);

  const std::vector<Cause> moved = f.signals();
  if (c.change_pct > kLossThreshold * 100)
    f.cause = Cause::kNoLoss;
  else if (!moved.empty())
    f.cause = moved.front();
  else if (f.memory.heap_grows() && f.memory_cost.costs)
    f.cause = Cause::kMemory;
  else
    f.cause = Cause::kUnknown;
  return f;
}

}  // namespace hd::analysis
