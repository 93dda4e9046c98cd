// The allocator comparison of a multi-allocator `heapdrift bench`: one table
// (throughput, bytes/op, peak RSS, allocator CPU share per allocator and run
// length) built from each allocator's Analysis (in memory, as the report
// step returned it), written as OUT/allocators.md and added to
// OUT/summary.md and OUT/index.html.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "analysis/report/analyse.h"
#include "base/status.h"

namespace hd::bench {

struct AllocatorReport {
  std::string allocator;
  const analysis::Analysis* analysis;  // outlives the call
};

// reports: in display order; the first one's report is out_dir, whose
// summary.md and index.html get the table. Returns the table (allocators.md).
Result<std::string> write_allocator_comparison(const std::vector<AllocatorReport>& reports,
                                               const std::string& out_dir);

}  // namespace hd::bench
