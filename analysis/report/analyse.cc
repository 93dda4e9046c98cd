// Metrics per run, then the table across lengths, then the finding over both:
// the order matters, each step reads the one before.
#include "analysis/report/analyse.h"

#include <algorithm>
#include <cstdio>

#include "analysis/metrics/cpu_diff.h"
#include "analysis/metrics/cpu_share.h"
#include "analysis/metrics/site_growth.h"

namespace hd::analysis {

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
      Result<std::vector<SiteSeries>> sites = process_sites(
          run.processes[i], options.write_symbol_cache, &a.warnings, options.site_rules);
      if (!sites) return sites.status();
      rm.processes[i].sites = std::move(*sites);
      // The exact heap growth includes what the profiler holds; a heap that
      // grows only by that is the profiler's, not the program's.
      if (const std::optional<SiteReconciliation> rec = reconcile_sites(rm.processes[i])) {
        rm.processes[i].sampling_overhead = rec->sampling_overhead;
        // Only a rise is set aside: fewer sampled blocks at the end (a
        // churning site's samples come and go) is sampling noise, and
        // adding it to the slope once called a churn-only program growing.
        rm.processes[i].heap_growing =
            heap_grows_beyond(rm.processes[i], std::max(0.0, rec->sampling_overhead));
      }
      Result<std::optional<double>> share = cpu_allocator_share(run.processes[i]);
      if (!share) return share.status();
      rm.processes[i].allocator_share = *share;
      Result<std::optional<CpuWindowDiff>> diff = cpu_window_diff(run.processes[i], &a.warnings);
      if (!diff) return diff.status();
      rm.processes[i].cpu_diff = std::move(*diff);
    }
    a.runs.push_back(std::move(rm));
  }
  // The degradation table compares throughput: a run without loadgen
  // results has none, so when others have it, it is left out (and said).
  std::vector<RunMetrics> measured;
  for (const RunMetrics& r : a.runs)
    if (r.has_loadgen) measured.push_back(r);
  if (!measured.empty() && measured.size() < a.runs.size())
    for (const RunMetrics& r : a.runs)
      if (!r.has_loadgen)
        a.warnings.push_back(r.name +
                             ": no loadgen result.json, left out of the degradation table");
  a.lengths = length_rows(measured.empty() ? a.runs : measured);
  a.pooled_sites = pool_sites(a.runs);
  if (options.sites) {
    Result<std::vector<FlameChart>> flames = report_flames(runs, &a.warnings);
    if (!flames) return flames.status();
    a.flames = std::move(*flames);
  }
  a.finding = decide_finding(a.runs, a.lengths);
  // `heapdrift run -- sh -c 'prog; ...'`: the recorded process is the shell,
  // waiting, and its flat heap would read as the program's. Said first, and
  // the flat heap is not taken to clear memory.
  std::string unrecorded;
  for (const Run& run : runs)
    for (const ProcessRun& p : run.processes) {
      if (!p.children_cpu_us || !children_dominate(*p.children_cpu_us, p.children_own_cpu_us))
        continue;
      char cpu[64];
      std::snprintf(cpu, sizeof cpu, "%.2f s of CPU against %.2f s",
                    static_cast<double>(*p.children_cpu_us) / 1e6,
                    static_cast<double>(p.children_own_cpu_us) / 1e6);
      const std::string text =
          p.name + " (run " + run.name + "): the processes it started used " + cpu +
          " in its own process, and only its own process was recorded, so what this report "
          "says of " +
          p.name +
          " is not about the program that did the work (run heapdrift on that program, or have "
          "the command exec it)";
      a.warnings.push_back(text);
      a.finding.memory.unrecorded_work.push_back(p.name);
      unrecorded += std::string(unrecorded.empty() ? "" : " ") + "Not recorded: " + text + ".";
    }
  a.finding_text = render_finding(a.finding);
  if (!unrecorded.empty()) a.finding_text = unrecorded + " " + a.finding_text;
  return a;
}

}  // namespace hd::analysis
