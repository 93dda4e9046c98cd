// Per-allocation-site totals of one heap profile: symbolize every stack, fold
// it to its site (fold.h) and sum the samples per site key. The building
// block for per-site in-use at milestones and growth verdicts. Thread-safe
// (the Symbolizer locks itself).
#pragma once

#include <cstddef>
#include <vector>

#include "analysis/ingest/profile.h"
#include "analysis/symbolize/fold.h"
#include "analysis/symbolize/symbolizer.h"

namespace hd::analysis {

struct SiteTotals {
  Site site;
  int64_t inuse_objs = 0;
  int64_t inuse_bytes = 0;
  int64_t alloc_objs = 0;
  int64_t alloc_bytes = 0;
  // Full symbolized stack of the largest (in-use bytes) sample at this site.
  std::vector<SymbolizedLocation> example_stack;
  std::vector<size_t> samples;  // indexes into profile.samples
};

// Sums the profile's counts as given: pass unsample(p) for real-size
// estimates. Sorted by in-use bytes, then cumulative bytes, descending; ties
// by key, so the order is deterministic.
std::vector<SiteTotals> site_totals(const HeapProfile& profile, const Symbolizer& symbolizer);

}  // namespace hd::analysis
