// The allocator comparison of a multi-allocator `heapdrift bench`: one table
// (throughput, bytes/op, peak RSS, allocator CPU share per allocator and run
// length) built from each allocator's summary.json (docs/report.md), written
// as OUT/allocators.md and added to OUT/summary.md and OUT/index.html.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace hd::bench {

// reports: (allocator, folder holding its summary.json), in display order.
// out_dir: the main report folder, whose summary.md and index.html get the table.
Status write_allocator_comparison(const std::vector<std::pair<std::string, std::string>>& reports,
                                  const std::string& out_dir);

}  // namespace hd::bench
