// Allocator comparison: see compare.h. Values the recorder could not give
// (bytes/op without cumulative counters, allocator share without a CPU
// profile) are "n/a", never estimated.
#include "launcher/compare.h"

#include <algorithm>
#include <map>

#include "launcher/compare_common.h"
#include "loadgen/stats/spread.h"

namespace hd::bench {

namespace {

struct Row {
  std::string allocator;
  int64_t length_ops = 0;
  double tput_mean = 0, tput_sd = 0;
  size_t iterations = 0;
  ReplicaMemory replicas;   // bytes/op (mean; -1 = n/a) and peak RSS (max)
  double alloc_share = -1;  // mean over processes with a CPU profile; -1 = n/a
};

// The table rows of one allocator's analysis: per run length, throughput
// (mean ± sample SD), the replicas' bytes/op (only where the runs had
// cumulative counters) and peak RSS, the processes' allocator CPU share.
std::vector<Row> rows_of(const std::string& allocator, const analysis::Analysis& a) {
  std::map<int64_t, std::pair<double, int>> share;
  for (const auto& r : a.runs) {
    for (const auto& p : r.processes) {
      if (!p.allocator_share) continue;
      auto& e = share[r.length_ops];
      e.first += *p.allocator_share;
      e.second += 1;
    }
  }
  std::vector<Row> rows;
  for (const auto& l : a.lengths) {
    Row row;
    row.allocator = allocator;
    row.length_ops = l.length_ops;
    row.tput_mean = l.tput_mean;
    row.tput_sd = l.tput_sd;
    row.iterations = static_cast<size_t>(l.iterations);
    row.replicas = replica_memory(a, l);
    if (auto it = share.find(row.length_ops); it != share.end())
      row.alloc_share = it->second.first / it->second.second;
    rows.push_back(row);
  }
  return rows;
}

std::vector<std::string> cells(const Row& r) {
  return {r.allocator,
          std::to_string(r.length_ops),
          loadgen::spread_text(r.tput_mean, r.tput_sd, r.iterations),
          r.replicas.bytes_per_op < 0 ? "n/a" : fixed(r.replicas.bytes_per_op, 1),
          fixed(r.replicas.peak_rss / (1024.0 * 1024.0), 1),
          r.alloc_share < 0 ? "n/a" : fixed(r.alloc_share * 100, 1) + " %"};
}

const std::vector<std::string> kHeader = {"allocator",
                                          "ops",
                                          "throughput (ops/s)",
                                          "bytes/op (replicas, mean)",
                                          "peak RSS (replicas, MiB)",
                                          "allocator CPU share"};

}  // namespace

Result<std::string> write_allocator_comparison(const std::vector<AllocatorReport>& reports,
                                               const std::string& out_dir) {
  std::vector<Row> rows;
  for (const auto& rep : reports) {
    auto r = rows_of(rep.allocator, *rep.analysis);
    rows.insert(rows.end(), r.begin(), r.end());
  }
  // Same length side by side: order by length, then the given allocator order.
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.length_ops < b.length_ops; });
  Table table{kHeader, {}};
  for (const Row& r : rows) table.rows.push_back(cells(r));
  std::string md = "\n## Allocators side by side\n\n" + markdown_table(table);
  std::string html = "<h2>Allocators side by side</h2>" + html_table(table);
  std::vector<std::string> names;
  for (const auto& rep : reports) names.push_back(rep.allocator);
  html += report_links_html("allocator", names);
  md +=
      "\nbytes/op needs cumulative allocation counters (jemalloc); the allocator CPU share "
      "needs a CPU profile (config `cpuProfile: true`).\n";
  return write_comparison(out_dir, "allocators.md", md, html);
}

}  // namespace hd::bench
