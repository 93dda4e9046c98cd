// Which series each chart shows, so it stays readable for 4 lengths x 3
// iterations x 5 processes: iteration 1 of every run length, colour = run
// length, dash = process, and only the processes whose heap moves most.
#include "analysis/report/charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string_view>

#include "analysis/report/svg.h"
#include "analysis/symbolize/fold.h"

namespace hd::analysis {

namespace {

constexpr size_t kChartProcesses = 3;
constexpr size_t kChartSites = 6;

// Iteration 1 of each run length, shortest first.
std::vector<const RunMetrics*> first_iterations(const Analysis& a) {
  std::vector<const RunMetrics*> v;
  for (const RunMetrics& r : a.runs)
    if (r.iteration <= 1) v.push_back(&r);
  return v;
}

// Iteration 1 of the longest run length; null without runs.
const RunMetrics* longest_first_iteration(const Analysis& a) {
  const RunMetrics* r = nullptr;
  for (const RunMetrics& x : a.runs)
    if (x.length_ops == a.runs.back().length_ops && (!r || x.iteration < r->iteration)) r = &x;
  return r;
}

std::string length_label(int64_t ops) {
  if (ops == 0) return "no ops";
  if (ops >= 1000000 && ops % 100000 == 0)
    return std::to_string(ops / 1000000) + "." + std::to_string(ops / 100000 % 10) + "M ops";
  if (ops >= 1000 && ops % 1000 == 0) return std::to_string(ops / 1000) + "K ops";
  return std::to_string(ops) + " ops";
}

// Process names to plot: growing heaps first, then by allocated growth in the
// longest run; at most kChartProcesses.
std::vector<std::string> chart_processes(const Analysis& a) {
  std::map<std::string, std::pair<bool, int64_t>> score;  // growing anywhere, growth in longest
  for (const RunMetrics& r : a.runs)
    for (const ProcessMetrics& p : r.processes) {
      auto& s = score[p.name];
      s.first = s.first || p.heap_growing;
      if (r.length_ops == a.runs.back().length_ops)
        s.second = std::max(s.second, p.end_allocated - p.start_allocated);
    }
  std::vector<std::pair<std::string, std::pair<bool, int64_t>>> v(score.begin(), score.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) {
    return x.second.first != y.second.first ? x.second.first : x.second.second > y.second.second;
  });
  std::vector<std::string> names;
  for (size_t i = 0; i < v.size() && i < kChartProcesses; ++i) names.push_back(v[i].first);
  std::sort(names.begin(), names.end());
  return names;
}

// A run's length as its legend says it: ops, or its duration without ops.
std::string length_label(const RunMetrics& r) {
  return r.length_ops == 0 ? run_length_text(0, r.length_s) : length_label(r.length_ops);
}

// The charts' x axis: seconds when the longest run has no op count.
Axis chart_axis(const Analysis& a) {
  return a.runs.back().axis;
}

int dash_of(const std::vector<std::string>& names, const std::string& name) {
  return static_cast<int>(std::find(names.begin(), names.end(), name) - names.begin());
}

std::string join(const std::vector<std::string>& v) {
  std::string o;
  for (const std::string& s : v) o += (o.empty() ? "" : ", ") + s;
  return o;
}

Chart heap_vs_ops(const Analysis& a, const std::vector<std::string>& procs) {
  std::vector<ChartSeries> series;
  const Axis axis = chart_axis(a);
  int color = 0;
  for (const RunMetrics* r : first_iterations(a)) {
    for (const ProcessMetrics& p : r->processes) {
      if (dash_of(procs, p.name) >= static_cast<int>(procs.size())) continue;
      ChartSeries s{length_label(*r) + " · " + p.name, {}, color, dash_of(procs, p.name), false};
      for (const HeapPoint& h : p.heap)
        s.points.push_back({h.at(axis), static_cast<double>(h.allocated)});
      series.push_back(std::move(s));
      if (axis == Axis::kSeconds) {
        // Without ops the program is not ours: RSS beside allocated shows
        // memory the allocator never held.
        ChartSeries rss{length_label(*r) + " · " + p.name + " RSS", {}, color, 1, false};
        for (const HeapPoint& h : p.heap) rss.points.push_back({h.t_s, static_cast<double>(h.rss)});
        series.push_back(std::move(rss));
      }
    }
    ++color;
  }
  ChartSpec spec;
  spec.id = "heap_vs_ops";
  if (axis == Axis::kSeconds) {
    spec.title = "Live heap (allocated, solid) and RSS (dashed) vs time, per run length";
    spec.subtitle =
        "no op count: seconds since the first snapshot; colour = run length (" + join(procs) + ")";
    spec.x_label = "seconds of the process";
    spec.y_label = "bytes";
    spec.y_unit = AxisUnit::kBytes;
    return {spec.id + ".svg", spec.title, svg_chart(spec, series)};
  }
  spec.title = "Live heap (allocated) vs ops, per run length";
  spec.subtitle =
      "iteration 1 of each length; colour = run length, dash = process (" + join(procs) + ")";
  spec.x_label = "ops of the process";
  spec.y_label = "allocated";
  spec.y_unit = AxisUnit::kBytes;
  return {spec.id + ".svg", spec.title, svg_chart(spec, series)};
}

// A bin width giving about kRateBins bins over the longest run, but at least
// twice the median snapshot interval (narrower bins alternate between empty
// and full): 1, 2 or 5 x 10^k seconds.
constexpr double kRateBins = 60;
double rate_bin_s(const std::vector<const RunMetrics*>& runs) {
  double longest = 0;
  std::vector<double> gaps;
  for (const RunMetrics* r : runs)
    for (const ProcessMetrics& p : r->processes) {
      double prev = 0;
      for (const auto& [t, rate] : p.alloc_rate_series) {
        gaps.push_back(t - prev);
        prev = t;
      }
      longest = std::max(longest, prev);
    }
  double raw = std::max(0.01, longest / kRateBins);
  if (!gaps.empty()) {
    std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2),
                     gaps.end());
    raw = std::max(raw, 2 * gaps[gaps.size() / 2]);
  }
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double f : {1.0, 2.0, 5.0})
    if (raw <= f * mag) return f * mag;
  return 10 * mag;
}

// Spreads `rate` bytes/s over [t0, t1) into bins of bin_s seconds, in
// proportion to the overlap. An interval spanning more than kMaxSpread bins
// (a stalled recorder) goes to the bin of its end.
constexpr double kMaxSpread = 1000;
void add_interval(std::map<int64_t, double>& bytes, double t0, double t1, double rate,
                  double bin_s) {
  if (!(t1 > t0) || (t1 - t0) / bin_s > kMaxSpread) {
    bytes[static_cast<int64_t>(std::floor(t1 / bin_s))] += rate * std::max(0.0, t1 - t0);
    return;
  }
  for (double t = t0; t < t1;) {
    const int64_t bin = static_cast<int64_t>(std::floor(t / bin_s));
    const double end = std::min(t1, static_cast<double>(bin + 1) * bin_s);
    bytes[bin] += rate * (end - t);
    if (!(end > t)) break;  // rounding: no progress
    t = end;
  }
}

// Bytes allocated per second of the run, in bins, summed over the plotted
// processes.
Chart alloc_rate(const Analysis& a, const std::vector<std::string>& procs) {
  std::vector<ChartSeries> series;
  const std::vector<const RunMetrics*> runs = first_iterations(a);
  const double bin_s = rate_bin_s(runs);
  int color = 0;
  for (const RunMetrics* r : runs) {
    std::map<int64_t, double> bytes;  // bin index since the run's first snapshot
    int64_t t0_ms = INT64_MAX;
    for (const ProcessMetrics& p : r->processes) t0_ms = std::min(t0_ms, p.start_unix_ms);
    for (const ProcessMetrics& p : r->processes) {
      if (dash_of(procs, p.name) >= static_cast<int>(procs.size())) continue;
      const double off = static_cast<double>(p.start_unix_ms - t0_ms) / 1000.0;
      double prev_t = 0;
      for (const auto& [t, rate] : p.alloc_rate_series) {
        add_interval(bytes, off + prev_t, off + t, rate, bin_s);
        prev_t = t;
      }
    }
    ChartSeries s{length_label(*r), {}, color++, 0, false};
    for (const auto& [bin, b] : bytes)
      s.points.push_back({(static_cast<double>(bin) + 0.5) * bin_s, b / bin_s});
    series.push_back(std::move(s));
  }
  ChartSpec spec;
  spec.id = "alloc_rate";
  spec.title = "Allocation rate over time";
  char bin[32];
  std::snprintf(bin, sizeof bin, "%g", bin_s);
  spec.subtitle = "bytes allocated per second in " + std::string(bin) + " s bins, sum of " +
                  join(procs) + "; iteration 1 of each length";
  spec.x_label = "second of the run";
  spec.y_label = "allocated per second";
  spec.y_unit = AxisUnit::kBytes;
  return {spec.id + ".svg", spec.title, svg_chart(spec, series)};
}

// The longest run: loadgen throughput per second (left) and the plotted
// processes' heaps (right) on one wall-clock axis.
constexpr size_t kDenseBelowSeconds = 20;

Chart throughput_and_heap(const Analysis& a, const std::vector<std::string>& procs) {
  std::vector<ChartSeries> series;
  ChartSpec spec;
  spec.id = "throughput_heap";
  spec.title = "Throughput and heap, one time axis";
  spec.x_label = "second of the run (wall clock)";
  spec.y_label = "throughput, ops/s (solid)";
  spec.y2_label = "allocated, dashed";
  spec.y2_unit = AxisUnit::kBytes;
  const RunMetrics* r = longest_first_iteration(a);
  if (r) {
    spec.subtitle = "run " + r->name + " (" + length_label(*r) + ")";
    int64_t t0_ms = r->has_loadgen ? r->tput_start_unix_s * 1000 : INT64_MAX;
    for (const ProcessMetrics& p : r->processes) t0_ms = std::min(t0_ms, p.start_unix_ms);
    // Under kDenseBelowSeconds of load the per-second series has a handful
    // of points: the loadgens' snapshots (op-step, docs/run-folder.md) say more.
    const std::vector<std::pair<double, double>> dense = throughput_from_snapshots(*r);
    if (r->has_loadgen && r->tput_per_s.size() < kDenseBelowSeconds && dense.size() > 2) {
      ChartSeries t{"throughput between snapshots (left)", {}, 0, 0, false};
      for (const auto& [unix_s, rate] : dense)
        t.points.push_back({unix_s - static_cast<double>(t0_ms) / 1000.0, rate});
      series.push_back(std::move(t));
    } else if (r->has_loadgen) {
      ChartSeries t{"throughput (left)", {}, 0, 0, false};
      const double off = static_cast<double>(r->tput_start_unix_s * 1000 - t0_ms) / 1000.0;
      for (size_t i = 0; i < r->tput_per_s.size(); ++i)
        t.points.push_back({off + static_cast<double>(i) + 0.5, r->tput_per_s[i]});
      series.push_back(std::move(t));
    }
    int color = 1;
    for (const ProcessMetrics& p : r->processes) {
      if (dash_of(procs, p.name) >= static_cast<int>(procs.size())) continue;
      ChartSeries h{p.name + " allocated (right)", {}, color++, 1, true};
      const double off = static_cast<double>(p.start_unix_ms - t0_ms) / 1000.0;
      for (const HeapPoint& hp : p.heap)
        h.points.push_back({off + hp.t_s, static_cast<double>(hp.allocated)});
      series.push_back(std::move(h));
    }
  }
  return {spec.id + ".svg", spec.title, svg_chart(spec, series)};
}

// "Class::method()" of a site, without namespaces, template arguments and
// parameters, for legends; the site key when unsymbolized.
std::string short_function(const SiteSeries& s) {
  if (s.function.empty()) return s.key;
  std::string fn;
  int depth = 0;
  std::string name(bare_name(s.function));
  // An anonymous namespace is a scope, not a parameter list: without this
  // "ns::(anonymous namespace)::f" lost its name to the () below.
  static constexpr std::string_view kAnonymous = "(anonymous namespace)::";
  for (size_t at; (at = name.find(kAnonymous)) != std::string::npos;)
    name.erase(at, kAnonymous.size());
  for (char c : name) {  // drop <...> and (...) contents
    if (c == '<' || c == '(') ++depth;
    if (depth == 0) fn += c;
    if ((c == '>' || c == ')') && depth > 0) --depth;
  }
  size_t cut = fn.rfind("::");
  if (cut != std::string::npos && cut > 0) cut = fn.rfind("::", cut - 1);
  return (cut == std::string::npos ? fn : fn.substr(cut + 2)) + "()";
}

// Sites of the longest run (iteration 1) with the largest in-use growth
// from their first to their last milestone.
Chart top_growing_sites(const Analysis& a) {
  std::vector<ChartSeries> series;
  ChartSpec spec;
  spec.id = "top_sites";
  spec.title = "Top growing allocation sites";
  const Axis axis = chart_axis(a);
  spec.x_label = axis == Axis::kOps ? "ops of the process" : "seconds of the process";
  spec.y_label = "in-use (unsampled estimate)";
  spec.y_unit = AxisUnit::kBytes;
  const RunMetrics* r = longest_first_iteration(a);
  if (r) {
    std::vector<std::pair<int64_t, ChartSeries>> grown;
    for (const ProcessMetrics& p : r->processes)
      for (const SiteSeries& s : p.sites) {
        if (s.points.size() < 2) continue;
        const int64_t g = s.points.back().inuse_bytes - s.points.front().inuse_bytes;
        // A rise within the sampling noise may be one sample: not growth.
        if (g <= 0 || static_cast<double>(g) <= 1.96 * s.growth.sampling_sd) continue;
        ChartSeries c;
        c.name =
            p.name + " · " + short_function(s) + " [" + std::string(verdict_name(s.verdict)) + "]";
        for (const SitePoint& pt : s.points)
          c.points.push_back({pt.at(axis), static_cast<double>(pt.inuse_bytes)});
        grown.push_back({g, std::move(c)});
      }
    std::stable_sort(grown.begin(), grown.end(),
                     [](const auto& x, const auto& y) { return x.first > y.first; });
    for (size_t i = 0; i < grown.size() && i < kChartSites; ++i) {
      grown[i].second.color = static_cast<int>(i);
      series.push_back(std::move(grown[i].second));
    }
    spec.subtitle = "run " + r->name + ": sites whose in-use bytes grew most (" +
                    std::to_string(series.size()) + " shown; process, site, verdict)";
  }
  return {spec.id + ".svg", spec.title, svg_chart(spec, series)};
}

}  // namespace

std::string site_label(const SiteSeries& s) {
  if (s.function.empty()) return s.key;
  // The qualified name without return type and parameters (bare_name keeps
  // "(anonymous namespace)", which the first '(' used to cut: "hd::wire::()").
  std::string fn = (s.recorder ? "[heapdrift] " : "") + std::string(bare_name(s.function)) + "()";
  if (fn.size() > 90) fn = fn.substr(0, 87) + "...";
  return fn + (s.file.empty() ? ""
                              : " " + std::filesystem::path(s.file).filename().string() + ":" +
                                    std::to_string(s.line));
}

std::vector<Chart> report_charts(const Analysis& a) {
  if (a.runs.empty()) return {};
  const std::vector<std::string> procs = chart_processes(a);
  return {heap_vs_ops(a, procs), alloc_rate(a, procs), throughput_and_heap(a, procs),
          top_growing_sites(a)};
}

}  // namespace hd::analysis
