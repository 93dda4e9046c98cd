// The report of a set of run folders: renders an Analysis as summary.md,
// summary.json and a self-contained index.html with inline SVG charts
// (docs/report.md); `heapdrift report` is cli/report_command.cc. Single-threaded.
#pragma once

#include <string>
#include <vector>

#include "analysis/report/analyse.h"

namespace hd::analysis {

std::string render_summary_json(const Analysis& a);
std::string render_summary_md(const Analysis& a);
std::string render_index_html(const Analysis& a);
// Writes the three files into out_dir (created if needed).
Status write_report(const Analysis& a, const std::string& out_dir);

// Loads RUN_DIRs, groups them, analyses and writes the report; progress
// lines go to stderr. Returns the Analysis it wrote, so a caller (heapdrift
// bench) has the finding and the table without reading summary.json back.
// rules: --skip-frames.
Result<Analysis> report_runs(const std::vector<std::string>& run_dirs, const std::string& out_dir,
                             bool save_symbols, const SiteRules& rules = {});
// report_runs without the result, for callers that only need the files
// (`heapdrift report`, launcher/bench.cc and tests/browser until they move).
Status run_report(const std::vector<std::string>& run_dirs, const std::string& out_dir,
                  bool save_symbols, const SiteRules& rules = {});

}  // namespace hd::analysis
