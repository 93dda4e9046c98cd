// Per-site growth of one process: its milestone heap profiles, unsampled and
// symbolized, folded by allocation site into series of in-use bytes against
// the process's ops, each with a fit and a verdict (classify_site). Used by
// the report and by `diff`. Reads files; thread-compatible (the symbolizer
// pool it shares is thread-safe).
#pragma once

#include <string>
#include <vector>

#include "analysis/metrics/metrics.h"
#include "analysis/runs/run_folder.h"
#include "analysis/symbolize/fold.h"

namespace hd::analysis {

// Series by final in-use bytes, descending. The end profile of a replica or
// loadgen is left out (written after shutdown: the teardown, not the steady
// state). write_symbol_cache: save symbols.json into the process folder.
// rules: --skip-frames and the known wrappers; wrappers detected in this
// process's stacks (detect_wrappers) are added to them.
Result<std::vector<SiteSeries>> process_sites(const ProcessRun& p, bool write_symbol_cache,
                                              std::vector<std::string>* warnings,
                                              const SiteRules& rules = {});

}  // namespace hd::analysis
