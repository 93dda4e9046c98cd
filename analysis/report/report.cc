// summary.json (schema heapdrift.report/1, docs/report.md), summary.md and
// index.html from one Analysis; the finding comes first in every form.
#include "analysis/report/report.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "analysis/diff/diff.h"
#include "analysis/report/charts.h"
#include "analysis/report/svg.h"
#include "base/schema.h"
#include "loadgen/stats/spread.h"

namespace hd::analysis {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Throughput of a run length: "mean ± SD" over its iterations, "mean (1 run)"
// when there is one (no spread is known).
std::string tput_text(const LengthRow& r) {
  return loadgen::spread_text(r.tput_mean, r.tput_sd, static_cast<size_t>(r.iterations));
}

constexpr size_t kTopSites = 8;

// Callers pass only literal one-double formats; the wrapper keeps lines short.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
std::string f1(double v, const char* f = "%.1f") {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
#pragma GCC diagnostic pop

// No interval from fewer than three points: the bounds are null then.
json fit_json(const LinearFit& f) {
  const bool ci = f.n >= 3;
  return {{"slope", f.slope},
          {"ci95_low", ci ? json(f.lo()) : json()},
          {"ci95_high", ci ? json(f.hi()) : json()},
          {"n", f.n}};
}

// A within-run trend (analysis/metrics/decay.h), written only where it was
// judged, so reports of short runs stay as they were.
json trend_json(const TrendFit& t) {
  return {{"trend", trend_name(t.trend)},
          {"points", t.n},
          {"window_points", t.window},
          {"first", t.first},
          {"last", t.last},
          {"ratio", t.ratio},
          {"ratio_ci95_low", t.ratio_lo},
          {"ratio_ci95_high", t.ratio_hi},
          {"slope_per_s", fit_json(t.fit)},
          {"noise_autocorrelation", t.rho1}};
}

json function_cpu_json(const FunctionCpu& f) {
  return {{"function", f.function},
          {"name", f.name},
          {"file", f.file},
          {"module", f.module},
          {"early_self_us_per_op", f.early_self_us},
          {"late_self_us_per_op", f.late_self_us},
          {"self_delta_us_per_op", f.self_delta_us()},
          {"early_total_us_per_op", f.early_total_us},
          {"late_total_us_per_op", f.late_total_us},
          {"total_delta_us_per_op", f.total_delta_us()}};
}

// The CPU profile diff of a process's early and late windows (cpu_diff.h):
// the kCpuDiffRows functions whose own time per op rose most.
constexpr size_t kCpuDiffRows = 20;
json cpu_diff_json(const CpuWindowDiff& d) {
  json rows = json::array();
  for (size_t i = 0; i < d.functions.size() && i < kCpuDiffRows; ++i)
    rows.push_back(function_cpu_json(d.functions[i]));
  return {{"early_window", d.early_window},
          {"late_window", d.late_window},
          {"early_ops", d.early_ops},
          {"late_ops", d.late_ops},
          {"early_s", d.early_s},
          {"late_s", d.late_s},
          {"period_us", d.period_us},
          {"early_us_per_sample", d.early_us_per_sample},
          {"late_us_per_sample", d.late_us_per_sample},
          {"measured_cpu", d.measured_cpu},
          {"early_samples", d.early_samples},
          {"late_samples", d.late_samples},
          {"early_us_per_op", d.early_us_per_op},
          {"late_us_per_op", d.late_us_per_op},
          {"functions", rows}};
}

json hw_counters_json(const std::optional<bool>& available, const std::string& why) {
  if (!available) return json();
  if (*available) return {{"available", true}};
  return {{"available", false}, {"why", why}};
}

json growth_json(const SiteGrowth& g) {
  const bool ci = g.has_interval();
  if (g.axis == Axis::kSeconds)  // no op count: per second, named so
    return {{"axis", "s"},
            {"slope_bytes_per_s", g.slope()},
            {"slope_ci95", ci ? json::array({g.lo(), g.hi()}) : json()},
            {"points", g.fit.n},
            {"sampling_sd_bytes", g.sampling_sd},
            {"span_s", g.span_ops}};
  return {{"slope_bytes_per_op", g.slope()},
          {"slope_ci95", ci ? json::array({g.lo(), g.hi()}) : json()},
          {"points", g.fit.n},
          {"sampling_sd_bytes", g.sampling_sd},
          {"span_ops", g.span_ops}};
}

// The unit of a slope column: "B/op", or "B/s" when the runs have no op count.
std::string slope_unit(const Analysis& a) {
  return "B/" + std::string(axis_unit(a.runs.empty() ? Axis::kOps : a.runs.back().axis));
}

std::string verdict_text(Verdict v, const std::string& why) {
  return std::string(verdict_name(v)) + (why.empty() ? "" : " (" + why + ")");
}

std::string slope_cell(const SiteGrowth& g, const char* sep = "…") {
  return slope_text(g.slope(), g.lo(), g.hi(), g.fit.n, "%.1f", sep);
}

// "exact" figures come from the allocator's counters; "estimated" ones from
// sampled heap profiles (docs/report.md, "Exact and estimated").
std::string reconciliation_text(const std::string& name, const SiteReconciliation& r,
                                const std::string& unit) {
  char overhead[160] = "";
  if (r.sampling_overhead != 0)
    std::snprintf(overhead, sizeof overhead,
                  ", of which about %.1f are the allocator's larger blocks behind sampled ones",
                  r.sampling_overhead);
  return name + ": heap growth " + slope_text(r.heap) + " " + unit + " (exact, allocator counters" +
         overhead + "); " + std::to_string(r.sites) + " sites sum to " +
         slope_text(r.sites_slope, r.sites_slope - r.sites_half95, r.sites_slope + r.sites_half95,
                    3) +
         " " + unit + " (estimated, sampled profiles): " +
         (r.agrees ? "they agree" : "they disagree beyond their intervals");
}

std::string member_verdicts(const PooledSite& ps) {
  std::map<std::string, int> count;
  for (Verdict v : ps.member_verdicts) ++count[std::string(verdict_name(v))];
  std::string o;
  for (const auto& [name, n] : count)
    o += (o.empty() ? "" : ", ") + name + " ×" + std::to_string(n);
  return o;
}

// Pooled rows worth a table: the longest length, at most kTopSites, growing
// or disagreeing first (pool_sites' order within a length).
std::string pooled_label(const PooledSite& ps) {
  SiteSeries s;
  s.key = ps.key;
  s.function = ps.function;
  s.file = ps.file;
  s.line = ps.line;
  return site_label(s);
}

std::vector<const PooledSite*> top_pooled(const Analysis& a) {
  std::vector<const PooledSite*> v;
  if (a.runs.empty()) return v;
  const int64_t longest = a.runs.back().length_ops;
  for (const PooledSite& ps : a.pooled_sites)
    if (ps.length_ops == longest && (ps.final_inuse_bytes > 0 || is_growing(ps.verdict)))
      v.push_back(&ps);
  std::stable_sort(v.begin(), v.end(), [](const PooledSite* x, const PooledSite* y) {
    return x->disagree != y->disagree ? x->disagree : false;
  });
  std::stable_sort(v.begin(), v.end(), [](const PooledSite* x, const PooledSite* y) {
    return is_growing(x->verdict) != is_growing(y->verdict) ? is_growing(x->verdict) : false;
  });
  if (v.size() > kTopSites) v.resize(kTopSites);
  return v;
}

// Sites worth listing: growing ones first, then by final in-use; sites with
// nothing in use and a constant verdict are noise in a table.
// A site's call path, site first, each frame cut to kCallPathFrameChars;
// markdown: each frame in backticks (names hold '<' and '|'), else
// HTML-escaped.
constexpr size_t kCallPathFrameChars = 60;
std::string call_path_text(const SiteSeries& s, const std::string& sep, bool markdown) {
  std::string o;
  for (size_t i = 0; i < s.call_path.size(); ++i) {
    std::string f = s.call_path[i];
    if (f.size() > kCallPathFrameChars) f = f.substr(0, kCallPathFrameChars - 1) + "…";
    if (markdown) {
      for (char& c : f)
        if (c == '|' || c == '`') c = '/';
      o += (i ? sep : "") + "`" + f + "`";
    } else {
      o += (i ? sep : "") + html_escape(f);
    }
  }
  return o;
}

std::vector<const SiteSeries*> top_sites(const ProcessMetrics& p) {
  std::vector<const SiteSeries*> v;
  for (const SiteSeries& s : p.sites)
    if (s.verdict != Verdict::kConstant || (!s.points.empty() && s.points.back().inuse_bytes > 0))
      v.push_back(&s);
  std::stable_sort(v.begin(), v.end(), [](const SiteSeries* a, const SiteSeries* b) {
    const bool ga = is_growing(a->verdict), gb = is_growing(b->verdict);
    return ga != gb ? ga : false;
  });
  if (v.size() > kTopSites) v.resize(kTopSites);
  return v;
}

}  // namespace

std::string render_summary_json(const Analysis& a) {
  json j;
  j["schema"] = schema::kReport;
  j["finding"] = {{"cause", cause_name(a.finding.cause)},
                  {"memory_blamed", a.finding.memory_blamed()},
                  {"throughput_change_pct", a.finding.tput_change_pct()},
                  {"text", a.finding_text}};
  // Within-run declines (issue 17), said only where there is one.
  if (!a.finding.decay.empty()) {
    json decay = json::array();
    for (const DecaySignal& d : a.finding.decay) {
      json costlier = json::array();
      for (const DecaySignal::Cost& c : d.costlier) {
        json top = json::array();
        for (const FunctionCpu& f : c.top) top.push_back(function_cpu_json(f));
        json rose = json::array();
        for (const ProcessMetrics::Alongside& g : c.rose)
          rose.push_back({{"what", g.what}, {"unit", g.unit}, {"trend", trend_json(g.fit)}});
        costlier.push_back(
            {{"process", c.process},
             {"cpu_us_per_op", trend_json(c.cpu_per_op)},
             {"profile_early_us_per_op", c.profile ? json(c.profile->early_us_per_op) : json()},
             {"profile_late_us_per_op", c.profile ? json(c.profile->late_us_per_op) : json()},
             {"top_functions", top},
             {"rose_alongside", rose},
             {"held", c.held},
             {"hw_counters", hw_counters_json(c.hw_counters, c.hw_counters_why)}});
      }
      decay.push_back({{"run", d.run},
                       {"length_ops", d.length_ops},
                       {"throughput", trend_json(d.throughput)},
                       {"costlier", costlier},
                       {"steady", d.steady}});
    }
    j["finding"]["decay"] = decay;
  }
  json lengths = json::array();
  for (const LengthRow& r : a.lengths) {
    json procs = json::array();
    for (const LengthRow::Proc& p : r.processes)
      procs.push_back({{"name", p.name},
                       {"bytes_per_op", p.bytes_per_op},
                       {"growth_slope_bytes_per_op", fit_json(p.heap_fit)},
                       {"heap_growing", p.heap_growing},
                       {"peak_rss_bytes", p.peak_rss},
                       {"cpu_util", p.cpu_util},
                       {"context_switches_per_s", p.csw_per_s}});
    lengths.push_back(
        {{"length_ops", r.length_ops},
         {"iterations", r.iterations},
         {"throughput_mean_ops_s", r.tput_mean},
         {"throughput_stddev_ops_s", r.iterations >= 2 ? json(r.tput_sd) : json(nullptr)},
         {"strong_p50_ms", r.strong_p50_ms},
         {"strong_p99_ms", r.strong_p99_ms},
         {"weak_p50_ms", r.weak_p50_ms},
         {"weak_p99_ms", r.weak_p99_ms},
         {"slow_path_fraction", r.slow_fraction},
         {"retries_per_s", r.retries_per_s},
         {"timeouts_per_s", r.timeouts_per_s},
         {"processes", procs}});
    if (r.length_ops == 0) lengths.back()["length_s"] = r.length_s;
  }
  j["lengths"] = lengths;
  json runs = json::array();
  for (const RunMetrics& r : a.runs) {
    json procs = json::array();
    for (const ProcessMetrics& p : r.processes) {
      json sites = json::array();
      for (const SiteSeries& s : p.sites) {
        json pts = json::array();
        for (const SitePoint& pt : s.points)
          pts.push_back({{"ops", pt.ops},
                         {"inuse_bytes", pt.inuse_bytes},
                         {"inuse_objs", pt.inuse_objs},
                         {"samples", pt.samples},
                         {"inuse_sd_bytes", std::sqrt(pt.variance)}});
        if (s.growth.axis == Axis::kSeconds)
          for (size_t i = 0; i < pts.size(); ++i) pts[i]["t_s"] = s.points[i].t_s;
        json site = {{"function", s.function},
                     {"file", s.file},
                     {"line", s.line},
                     {"module", s.module},
                     {"key", s.key},
                     {"verdict", verdict_name(s.verdict)},
                     {"why", s.why},
                     {"estimated", s.sample_period > 1},
                     {"sample_period_bytes", s.sample_period},
                     {"alloc_bytes", s.alloc_bytes ? json(*s.alloc_bytes) : json()},
                     {"milestones", pts},
                     {"call_path", s.call_path}};
        site.update(growth_json(s.growth));
        if (s.recorder) site["recorder"] = true;  // heapdrift's own allocation
        sites.push_back(std::move(site));
      }
      json reconciliation;
      if (const std::optional<SiteReconciliation> rec = reconcile_sites(p))
        reconciliation = {{"heap_growth_exact", fit_json(rec->heap)},
                          {"sites_slope_bytes_per_op", rec->sites_slope},
                          {"sites_slope_ci95_half", rec->sites_half95},
                          {"sites", rec->sites},
                          {"sampling_overhead_bytes_per_op", rec->sampling_overhead},
                          {"agrees", rec->agrees}};
      procs.push_back(
          {{"name", p.name},
           {"program", p.program},
           {"plant", p.plant},
           {"final_ops", p.final_ops},
           {"alloc_bytes_per_s", p.has_cum ? json(p.alloc_bytes_per_s) : json()},
           {"allocs_per_s", p.has_cum ? json(p.allocs_per_s) : json()},
           {"bytes_per_op", p.has_cum ? json(p.bytes_per_op) : json()},
           {"allocs_per_op", p.has_cum ? json(p.allocs_per_op) : json()},
           {"heap_growth", fit_json(p.heap_fit)},
           {"heap_growing", p.heap_growing},
           {"start_allocated_bytes", p.start_allocated},
           {"end_allocated_bytes", p.end_allocated},
           {"rss_minus_allocated_bytes", p.rss_minus_allocated},
           {"gap_start_bytes", p.start_gap},
           {"gap_end_bytes", p.end_gap},
           {"gap_growth", fit_json(p.gap_fit)},
           {"active_gap_growth_bytes", p.active_gap_growth ? json(*p.active_gap_growth) : json()},
           {"fragmenting", p.fragmenting},
           {"peak_rss_bytes", p.peak_rss},
           {"cpu_util", p.cpu_util},
           {"context_switches_per_s", p.csw_per_s},
           {"allocator_share", p.allocator_share ? json(*p.allocator_share) : json()},
           {"recorder_cpu_share", p.recorder_share ? json(*p.recorder_share) : json()},
           {"sites", sites},
           {"sites_vs_heap", reconciliation}});
      // Said only where they apply, so reports of counted runs stay as they were.
      if (p.axis == Axis::kSeconds) procs.back()["axis"] = "s";
      if (p.cpu_per_op_trend.trend != Trend::kTooShort)
        procs.back()["cpu_us_per_op_trend"] = trend_json(p.cpu_per_op_trend);
      if (p.cpu_diff) procs.back()["cpu_profile_diff"] = cpu_diff_json(*p.cpu_diff);
      if (p.hw_counters)
        procs.back()["hw_counters"] = hw_counters_json(p.hw_counters, p.hw_counters_why);
      if (p.rss_beyond_heap) procs.back()["rss_beyond_live_heap"] = true;
      if (p.outside_growing)
        procs.back()["outside_allocator"] = {{"growth", fit_json(p.outside_fit)},
                                             {"start_rss_bytes", p.start_rss},
                                             {"end_rss_bytes", p.end_rss},
                                             {"start_allocator_footprint_bytes", p.start_footprint},
                                             {"end_allocator_footprint_bytes", p.end_footprint}};
    }
    json leader_changes = json::array();
    for (const LeaderChange& c : r.leader_changes)
      leader_changes.push_back({{"t_s", c.t_s},
                                {"ops", c.ops},
                                {"term", c.term},
                                {"leader", c.leader ? json(*c.leader) : json()}});
    runs.push_back({{"name", r.name},
                    {"length_ops", r.length_ops},
                    {"iteration", r.iteration},
                    {"throughput_ops_s", r.throughput_ops_s},
                    {"slow_path_fraction", r.slow_fraction},
                    {"tput_per_s", r.tput_per_s},
                    {"leader_changes", leader_changes},
                    {"processes", procs}});
    if (r.throughput_trend.trend != Trend::kTooShort) {
      runs.back()["throughput_trend"] = trend_json(r.throughput_trend);
      runs.back()["throughput_trend"]["window_unix_ms"] = {r.trend_start_unix_ms,
                                                           r.trend_end_unix_ms};
      runs.back()["throughput_trend"]["bin_s"] = r.trend_bin_s;
      // The machine's speed over the same window (us per speed-probe run).
      if (r.probe_chase_trend.trend != Trend::kTooShort)
        runs.back()["speed_probe_trend"] = {{"chase_us", trend_json(r.probe_chase_trend)},
                                            {"compute_us", trend_json(r.probe_compute_trend)}};
      if (r.probe_kernel_trend.trend != Trend::kTooShort)
        runs.back()["speed_probe_trend"]["kernel_us"] = trend_json(r.probe_kernel_trend);
    }
    if (r.axis == Axis::kSeconds) {
      runs.back()["axis"] = "s";
      runs.back()["length_s"] = r.length_s;
    }
  }
  j["runs"] = runs;
  json pooled = json::array();
  for (const PooledSite& ps : a.pooled_sites) {
    json verdicts = json::array();
    for (Verdict v : ps.member_verdicts) verdicts.push_back(verdict_name(v));
    json row = {{"length_ops", ps.length_ops},
                {"role", ps.role},
                {"key", ps.key},
                {"function", ps.function},
                {"file", ps.file},
                {"line", ps.line},
                {"members", ps.members},
                {"member_verdicts", verdicts},
                {"verdict", verdict_name(ps.verdict)},
                {"why", ps.why},
                {"disagree", ps.disagree},
                {"series_with_interval", ps.growth.series}};
    row.update(growth_json(ps.growth));
    pooled.push_back(std::move(row));
  }
  j["pooled_sites"] = pooled;
  j["warnings"] = a.warnings;
  return j.dump(2) + "\n";
}

std::string render_summary_md(const Analysis& a) {
  std::string o = "# heapdrift report\n\n## Finding\n\n" + a.finding_text + "\n\n";
  o += "## Degradation across run lengths\n\n";
  const bool by_time = slope_unit(a) == "B/s";
  o += std::string("| ") + (by_time ? "length" : "ops") +
       " | runs | throughput ops/s | strong p50/p99 ms | weak p50/p99 ms | slow path | "
       "process: bytes/op, growth " +
       slope_unit(a) + " (95% CI), peak RSS |\n|---|---|---|---|---|---|---|\n";
  for (const LengthRow& r : a.lengths) {
    // A length without ops and without a load generator (`heapdrift run`):
    // no throughput, latency or bytes per op to show, rather than zeros.
    const bool no_load = r.length_ops == 0 && r.tput_mean == 0;
    std::string procs;
    for (const LengthRow::Proc& p : r.processes)
      procs += p.name + ": " + (no_load ? std::string("-") : f1(p.bytes_per_op, "%.0f")) + ", " +
               slope_text(p.heap_fit) + ", " + f1(static_cast<double>(p.peak_rss) / 1048576.0) +
               " MiB<br>";
    o += "| " + run_length_text(r.length_ops, r.length_s) + " | " + std::to_string(r.iterations) +
         " | " +
         (no_load ? std::string("no load | - | - | - | ")
                  : tput_text(r) + " | " + f1(r.strong_p50_ms, "%.2f") + " / " +
                        f1(r.strong_p99_ms, "%.2f") + " | " + f1(r.weak_p50_ms, "%.2f") + " / " +
                        f1(r.weak_p99_ms, "%.2f") + " | " + f1(100 * r.slow_fraction, "%.0f") +
                        "% | ") +
         procs + " |\n";
  }
  if (!a.runs.empty()) {
    const RunMetrics& r = a.runs.back();
    o += "\n## Allocation sites (" + r.name + ")\n\n";
    o += "| process | site | verdict | slope " + slope_unit(a) +
         " (95% CI) | in-use at last milestone | call path (site first) |\n"
         "|---|---|---|---|---|---|\n";
    for (const ProcessMetrics& p : r.processes)
      for (const SiteSeries* s : top_sites(p))
        o += "| " + p.name + " | `" + site_label(*s) + "` | " + verdict_text(s->verdict, s->why) +
             " | " + slope_cell(s->growth) + " | " + std::to_string(s->points.back().inuse_bytes) +
             " | " + call_path_text(*s, " ← ", true) + " |\n";
    o += "\nSite slopes are estimated from sampled heap profiles (their interval includes the "
         "sampling error); heap growth is exact, from the allocator's counters.\n\n";
    for (const ProcessMetrics& p : r.processes)
      if (const std::optional<SiteReconciliation> rec = reconcile_sites(p))
        o += "- " + reconciliation_text(p.name, *rec, slope_unit(a)) + "\n";
    const std::vector<const PooledSite*> pooled = top_pooled(a);
    if (!pooled.empty()) {
      o += "\n## Allocation sites pooled by role (" + run_length_text(r.length_ops, r.length_s) +
           " ops, every iteration)\n\n"
           "| role | site | pooled verdict | slope B/op (95% CI) | members |\n"
           "|---|---|---|---|---|\n";
      for (const PooledSite* ps : pooled)
        o += "| " + ps->role + " | `" + pooled_label(*ps) + "` | " +
             verdict_text(ps->verdict, ps->why) + " | " + slope_cell(ps->growth) + " | " +
             member_verdicts(*ps) + (ps->disagree ? " — **they disagree**" : "") + " |\n";
    }
  }
  if (!a.warnings.empty()) {
    o += "\n## Warnings\n\n";
    for (const std::string& w : a.warnings) o += "- " + w + "\n";
  }
  const std::vector<Chart> charts = report_charts(a);
  if (!charts.empty()) o += "\n## Charts\n\n";
  for (const Chart& c : charts) o += "![" + c.title + "](" + c.file + ")\n\n";
  return o;
}

std::string render_index_html(const Analysis& a) {
  std::string o =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>heapdrift report</title><style>"
      "body{font-family:sans-serif;margin:20px;max-width:1150px}"
      "table{border-collapse:collapse;font-size:12px;margin:8px 0}"
      "td,th{border:1px solid #bbb;padding:3px 6px;text-align:left}"
      "#finding{background:#fff6d5;border:1px solid #e0c060;padding:10px;font-size:15px}"
      ".charts{display:flex;flex-wrap:wrap;gap:10px}.accumulates{color:#b00;font-weight:bold}"
      "</style></head><body><h1>heapdrift report</h1>";
  o += "<div id=\"finding\"><b>Finding (" + html_escape(std::string(cause_name(a.finding.cause))) +
       ").</b> " + html_escape(a.finding_text) + "</div>";
  o += "<h2>Charts</h2><div class=\"charts\">";
  for (const Chart& c : report_charts(a)) o += c.svg;
  o += "</div>";
  if (!a.flames.empty()) {
    o += "<h2>Flame graphs</h2><div class=\"flames\">";
    for (const FlameChart& f : a.flames) o += f.svg;
    o += "</div>";
  }
  // Degradation table.
  o += "<h2>Degradation across run lengths</h2><table><tr><th>ops</th><th>runs</th>"
       "<th>throughput ops/s</th><th>strong p50 / p99 ms</th><th>weak p50 / p99 ms</th>"
       "<th>slow path</th><th>retries+timeouts /s</th><th>process</th><th>bytes/op</th>"
       "<th>heap growth " +
       slope_unit(a) + " (95% CI)</th><th>peak RSS MiB</th><th>CPU</th></tr>";
  for (const LengthRow& r : a.lengths) {
    const size_t n = std::max<size_t>(1, r.processes.size());
    for (size_t i = 0; i < n; ++i) {
      o += "<tr>";
      if (i == 0)
        o += "<td rowspan=" + std::to_string(n) + ">" + run_length_text(r.length_ops, r.length_s) +
             "</td><td rowspan=" + std::to_string(n) + ">" + std::to_string(r.iterations) +
             "</td><td rowspan=" + std::to_string(n) + ">" + tput_text(r) +
             "</td><td rowspan=" + std::to_string(n) + ">" + f1(r.strong_p50_ms, "%.2f") + " / " +
             f1(r.strong_p99_ms, "%.2f") + "</td><td rowspan=" + std::to_string(n) + ">" +
             f1(r.weak_p50_ms, "%.2f") + " / " + f1(r.weak_p99_ms, "%.2f") +
             "</td><td rowspan=" + std::to_string(n) + ">" + f1(100 * r.slow_fraction, "%.0f") +
             "%</td><td rowspan=" + std::to_string(n) + ">" +
             f1(r.retries_per_s + r.timeouts_per_s) + "</td>";
      if (i < r.processes.size()) {
        const LengthRow::Proc& p = r.processes[i];
        o += "<td>" + html_escape(p.name) + "</td><td>" + f1(p.bytes_per_op, "%.0f") + "</td><td>" +
             slope_text(p.heap_fit, "%.1f", " … ") + (p.heap_growing ? " growing" : "") +
             "</td><td>" + f1(static_cast<double>(p.peak_rss) / 1048576.0) + "</td><td>" +
             f1(100 * p.cpu_util, "%.0f") + "%</td>";
      } else {
        o += "<td colspan=5></td>";
      }
      o += "</tr>";
    }
  }
  o += "</table>";
  // Per-process memory and sites, every run.
  for (const RunMetrics& r : a.runs) {
    o += "<h2>Run " + html_escape(r.name) + " (" +
         (r.length_ops == 0 ? run_length_text(0, r.length_s) + ", no op count"
                            : std::to_string(r.length_ops) + " ops") +
         ", #" + std::to_string(r.iteration) +
         ")</h2><table><tr><th>process</th><th>ops</th>"
         "<th>alloc MB/s</th><th>allocs/s</th><th>bytes/op</th><th>allocs/op</th>"
         "<th>allocated start → end</th><th>RSS − allocated</th><th>allocator CPU share</th>"
         "<th title=\"CPU of memprof's recorder thread (snapshots, heap profiles) over the "
         "process's CPU; the allocator's sampling is not in it\">recording CPU</th></tr>";
    for (const ProcessMetrics& p : r.processes)
      o += "<tr><td>" + html_escape(p.name) + "</td><td>" + std::to_string(p.final_ops) +
           "</td><td>" + (p.has_cum ? f1(p.alloc_bytes_per_s / 1e6, "%.2f") : "n/a") + "</td><td>" +
           (p.has_cum ? f1(p.allocs_per_s, "%.0f") : "n/a") + "</td><td>" +
           (p.has_cum ? f1(p.bytes_per_op, "%.0f") : "n/a") + "</td><td>" +
           (p.has_cum ? f1(p.allocs_per_op, "%.2f") : "n/a") + "</td><td>" +
           std::to_string(p.start_allocated) + " → " + std::to_string(p.end_allocated) +
           "</td><td>" + std::to_string(p.rss_minus_allocated) + "</td><td>" +
           (p.allocator_share ? f1(100 * *p.allocator_share) + "%" : "no CPU profile") +
           "</td><td>" + (p.recorder_share ? f1(100 * *p.recorder_share) + "%" : "n/a") +
           "</td></tr>";
    o += "</table><table class=\"sites\"><tr><th>process</th><th>site</th><th>verdict</th>"
         "<th>slope " +
         slope_unit(a) +
         " (95% CI)</th><th>in-use bytes at milestones</th>"
         "<th>call path (site first)</th></tr>";
    for (const ProcessMetrics& p : r.processes)
      for (const SiteSeries* s : top_sites(p)) {
        std::string pts;
        for (const SitePoint& pt : s->points)
          pts += (s->growth.axis == Axis::kSeconds ? f1(pt.t_s, "%.2f") + "s"
                                                   : std::to_string(pt.ops)) +
                 ":" + std::to_string(pt.inuse_bytes) + " ";
        o += "<tr><td>" + html_escape(p.name) + "</td><td>" + html_escape(site_label(*s)) +
             "</td><td class=\"" + std::string(verdict_name(s->verdict)) + "\">" +
             html_escape(verdict_text(s->verdict, s->why)) + "</td><td>" +
             slope_cell(s->growth, " … ") + "</td><td>" + pts + "</td><td>" +
             call_path_text(*s, " ← ", false) + "</td></tr>";
      }
    o += "</table><p>Site slopes are estimated from sampled heap profiles (their interval "
         "includes the sampling error); heap growth is exact, from the allocator's counters.</p>"
         "<ul>";
    for (const ProcessMetrics& p : r.processes)
      if (const std::optional<SiteReconciliation> rec = reconcile_sites(p))
        o += "<li>" + html_escape(reconciliation_text(p.name, *rec, slope_unit(a))) + "</li>";
    o += "</ul>";
  }
  if (const std::vector<const PooledSite*> pooled = top_pooled(a); !pooled.empty()) {
    o += "<h2>Allocation sites pooled by role (" + std::to_string(a.runs.back().length_ops) +
         " ops, every iteration)</h2><table><tr><th>role</th><th>site</th><th>pooled verdict</th>"
         "<th>slope B/op (95% CI)</th><th>members</th></tr>";
    for (const PooledSite* ps : pooled)
      o += "<tr><td>" + html_escape(ps->role) + "</td><td>" + html_escape(pooled_label(*ps)) +
           "</td><td class=\"" + std::string(verdict_name(ps->verdict)) + "\">" +
           html_escape(verdict_text(ps->verdict, ps->why)) + "</td><td>" +
           slope_cell(ps->growth, " … ") + "</td><td>" + html_escape(member_verdicts(*ps)) +
           (ps->disagree ? " <b>they disagree</b>" : "") + "</td></tr>";
    o += "</table>";
  }
  if (!a.warnings.empty()) {
    o += "<h2>Warnings</h2><ul>";
    for (const std::string& w : a.warnings) o += "<li>" + html_escape(w) + "</li>";
    o += "</ul>";
  }
  return o + "</body></html>\n";
}

Status write_report(const Analysis& a, const std::string& out_dir) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Status::error(out_dir + ": " + ec.message());
  std::vector<std::pair<std::string, std::string>> files = {
      {"summary.json", render_summary_json(a)},
      {"summary.md", render_summary_md(a)},
      {"index.html", render_index_html(a)}};
  for (Chart& c : report_charts(a))  // summary.md links these
    files.emplace_back(c.file, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + c.svg + "\n");
  for (const auto& [name, text] : files) {
    const std::string path = (fs::path(out_dir) / name).string();
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) return Status::error(path + ": cannot write");
  }
  return Status::ok();
}

Result<Analysis> report_runs(const std::vector<std::string>& run_dirs, const std::string& out_dir,
                             bool save_symbols, const SiteRules& rules) {
  std::vector<Run> runs;
  for (const std::string& d : expand_run_dirs(run_dirs)) {
    std::fprintf(stderr, "heapdrift report: reading %s\n", d.c_str());
    Result<Run> r = load_run(d);
    if (!r) return r.status();
    runs.push_back(std::move(*r));
  }
  // A failed or cut-short run would read as a good one (a confident finding
  // over partial data): it is named and left out, and with none left there
  // is nothing to report.
  std::vector<std::string> left_out;
  std::erase_if(runs, [&](const Run& r) {
    const std::string why = unusable_reason(r);
    if (!why.empty()) left_out.push_back(r.dir + " left out of the report: " + why);
    return !why.empty();
  });
  for (const std::string& w : left_out)
    std::fprintf(stderr, "heapdrift report: warning: %s\n", w.c_str());
  if (runs.empty())
    return Status::error("no usable run: every run given failed or has no loadgen result (" +
                         std::to_string(left_out.size()) + " left out, see the warnings above)");
  group_runs(runs);
  AnalyseOptions opt;
  opt.write_symbol_cache = save_symbols;
  opt.site_rules = rules;
  opt.progress = [](const std::string& m) {
    std::fprintf(stderr, "heapdrift report: %s\n", m.c_str());
  };
  Result<Analysis> a = analyse(runs, opt);
  if (!a) return a.status();
  for (const std::string& w : a->warnings)
    std::fprintf(stderr, "heapdrift report: warning: %s\n", w.c_str());
  a->warnings.insert(a->warnings.begin(), left_out.begin(), left_out.end());
  if (Status st = write_report(*a, out_dir); !st) return st;
  std::fprintf(stderr, "heapdrift report: wrote %s/{index.html,summary.md,summary.json,*.svg}\n",
               out_dir.c_str());
  return a;
}

Status run_report(const std::vector<std::string>& run_dirs, const std::string& out_dir,
                  bool save_symbols, const SiteRules& rules) {
  Result<Analysis> a = report_runs(run_dirs, out_dir, save_symbols, rules);
  return a ? Status::ok() : a.status();
}

}  // namespace hd::analysis
