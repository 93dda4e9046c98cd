// Allocator comparison: see compare.h. Values the recorder could not give
// (bytes/op without cumulative counters, allocator share without a CPU
// profile) are "n/a", never estimated.
#include "launcher/compare.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace hd::bench {

namespace {

struct Row {
  std::string allocator;
  int64_t length_ops = 0;
  double tput_mean = 0, tput_sd = 0;
  double bytes_per_op = -1;  // mean over replicas; -1 = n/a
  double peak_rss = 0;       // max over replicas, bytes
  double alloc_share = -1;   // mean over processes with a CPU profile; -1 = n/a
};

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The table rows of one allocator's analysis: per run length, throughput
// (mean ± sample SD), the replicas' bytes/op (only where the runs had
// cumulative counters) and peak RSS, the processes' allocator CPU share.
std::vector<Row> rows_of(const std::string& allocator, const analysis::Analysis& a) {
  std::map<int64_t, std::pair<double, int>> share;
  std::set<int64_t> has_bytes_per_op;
  for (const auto& r : a.runs) {
    for (const auto& p : r.processes) {
      if (p.has_cum) has_bytes_per_op.insert(r.length_ops);
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
    double bpo = 0;
    int n_bpo = 0;
    for (const auto& p : l.processes) {
      if (p.name.rfind("replica", 0) != 0) continue;
      bpo += p.bytes_per_op;
      ++n_bpo;
      row.peak_rss = std::max(row.peak_rss, static_cast<double>(p.peak_rss));
    }
    if (n_bpo > 0 && has_bytes_per_op.count(row.length_ops) != 0) row.bytes_per_op = bpo / n_bpo;
    if (auto it = share.find(row.length_ops); it != share.end())
      row.alloc_share = it->second.first / it->second.second;
    rows.push_back(row);
  }
  return rows;
}

std::vector<std::string> cells(const Row& r) {
  return {r.allocator,
          std::to_string(r.length_ops),
          fixed(r.tput_mean, 0) + " ± " + fixed(r.tput_sd, 0),
          r.bytes_per_op < 0 ? "n/a" : fixed(r.bytes_per_op, 1),
          fixed(r.peak_rss / (1024.0 * 1024.0), 1),
          r.alloc_share < 0 ? "n/a" : fixed(r.alloc_share * 100, 1) + " %"};
}

const std::vector<std::string> kHeader = {"allocator",
                                          "ops",
                                          "throughput (ops/s)",
                                          "bytes/op (replicas, mean)",
                                          "peak RSS (replicas, MiB)",
                                          "allocator CPU share"};

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else
      o += c;
  }
  return o;
}

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
  std::string md = "\n## Allocators side by side\n\n| ";
  for (const auto& h : kHeader) md += h + " | ";
  md += "\n|";
  for (size_t i = 0; i < kHeader.size(); ++i) md += "---|";
  md += "\n";
  std::string html = "<h2>Allocators side by side</h2><table><tr>";
  for (const auto& h : kHeader) html += "<th>" + html_escape(h) + "</th>";
  html += "</tr>";
  for (const Row& r : rows) {
    md += "| ";
    html += "<tr>";
    for (const auto& c : cells(r)) {
      md += c + " | ";
      html += "<td>" + html_escape(c) + "</td>";
    }
    md += "\n";
    html += "</tr>";
  }
  html += "</table><p>Each allocator's full report: ";
  for (size_t i = 0; i < reports.size(); ++i)
    html += std::string(i ? ", " : "") + "<a href=\"" +
            (i == 0 ? std::string("index.html") : reports[i].allocator + "/index.html") + "\">" +
            html_escape(reports[i].allocator) + "</a>";
  html += ".</p>";
  md +=
      "\nbytes/op needs cumulative allocation counters (jemalloc); the allocator CPU share "
      "needs a CPU profile (config `cpuProfile: true`).\n";

  std::ofstream(out_dir + "/allocators.md") << md.substr(1);
  std::ofstream(out_dir + "/summary.md", std::ios::app) << md;
  // index.html: the section goes before </body>.
  const std::string index = out_dir + "/index.html";
  std::ifstream in(index);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const auto body = text.rfind("</body>");
  if (body == std::string::npos) return Status::error(index + ": no </body>");
  text.insert(body, html);
  std::ofstream(index, std::ios::trunc) << text;
  return md.substr(1);
}

}  // namespace hd::bench
