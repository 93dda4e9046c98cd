// The protocol comparison of `heapdrift bench --protocols curpht,curpho`
// (docs/protocol-curpho.md §5): one row per protocol × run length
// (throughput and its ratio to the protocol's shortest length, p50/p99 per op
// class, fast/slow share of strong ops, retries and timeouts per second,
// the replicas' bytes/op and peak RSS), the top growing heap sites of each
// protocol with their verdicts, and the comparison finding computed from the
// table's own cells. Written as OUT/protocols.md and added to OUT/summary.md
// and OUT/index.html (compare_common.h, as the allocator comparison).
#pragma once

#include <string>
#include <vector>

#include "analysis/report/analyse.h"
#include "base/status.h"
#include "launcher/compare_common.h"

namespace hd::bench {

struct ProtocolReport {
  std::string protocol;                // "curpht", "curpho"
  const analysis::Analysis* analysis;  // outlives the call
};

// The comparison's cells. Every figure of the finding is a cell of `rows`,
// as printed there.
struct ProtocolTables {
  Table rows;           // one per protocol × run length, by length then reports' order
  Table sites;          // per protocol, up to 3 growing replica sites at its longest length
  std::string finding;  // the comparison finding, one paragraph
};
// reports: in display order.
ProtocolTables compare_protocols(const std::vector<ProtocolReport>& reports);

// Writes OUT/protocols.md and adds it to OUT/summary.md and OUT/index.html
// (reports[0]'s report is OUT). Returns protocols.md's text.
Result<std::string> write_protocol_comparison(const std::vector<ProtocolReport>& reports,
                                              const std::string& out_dir);

}  // namespace hd::bench
