// Analysis: everything one report shows (per-run metrics, the degradation
// table, the finding as a decision and as prose, warnings) and analyse(),
// which computes it from grouped runs, reading and symbolizing the profiles
// they list. Thread-compatible: no shared state.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "analysis/finding/finding.h"
#include "analysis/metrics/metrics.h"
#include "analysis/metrics/site_pool.h"
#include "analysis/report/flame.h"
#include "analysis/runs/run_folder.h"
#include "analysis/symbolize/fold.h"

namespace hd::analysis {

struct Analysis {
  std::vector<RunMetrics> runs;
  std::vector<LengthRow> lengths;
  std::vector<PooledSite> pooled_sites;  // pool_sites(runs)
  Finding finding;
  std::string finding_text;  // render_finding(finding)
  std::vector<std::string> warnings;
  std::vector<FlameChart> flames;  // report_flames(runs); empty without sites
};

struct AnalyseOptions {
  bool sites = true;                // read and symbolize heap profiles
  bool write_symbol_cache = false;  // write symbols.json into each process folder
  std::function<void(const std::string&)> progress;
  SiteRules site_rules;  // --skip-frames (the known wrappers are in by default)
};

// runs: grouped (group_runs). Errors only for unreadable/corrupt profiles.
Result<Analysis> analyse(const std::vector<Run>& runs, const AnalyseOptions& options);

}  // namespace hd::analysis
