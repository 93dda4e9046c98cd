// The report's four charts (docs/report.md "Charts"), built once from an
// Analysis and used twice: inline in index.html and as .svg files beside
// summary.md. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "analysis/report/analyse.h"

namespace hd::analysis {

struct Chart {
  std::string file;  // "heap_vs_ops.svg", relative to the report folder
  std::string title;
  std::string svg;  // a standalone <svg> document
};

// heap_vs_ops.svg, alloc_rate.svg, throughput_heap.svg, top_sites.svg, in
// that order (all four whenever there is a run; a chart without data says
// so). Empty without runs.
std::vector<Chart> report_charts(const Analysis& a);

// "Class::method() file.cc:line" (argument lists elided; the full signature
// is in summary.json), or the site key when unsymbolized.
std::string site_label(const SiteSeries& s);

}  // namespace hd::analysis
