// What the side-by-side comparisons of a multi-variant `heapdrift bench`
// share (compare.h: allocators; compare_protocols.h: protocols): number
// formatting, a table as Markdown and as HTML, the replicas' bytes/op and
// peak RSS of one run length, and adding a section to a written report
// (OUT/summary.md and OUT/index.html).
#pragma once

#include <string>
#include <vector>

#include "analysis/report/analyse.h"
#include "base/status.h"

namespace hd::bench {

// printf("%.*f").
std::string fixed(double v, int decimals);

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as wide as header
};
// "| a | b | \n|---|---|\n| ... |\n" (each row ends with a newline).
std::string markdown_table(const Table& t);
// "<table><tr><th>...</th></tr><tr><td>...</td></tr></table>", cells escaped.
std::string html_table(const Table& t);

// The replicas of one run length: bytes/op (mean over replicas; -1 = n/a,
// when no run of that length had cumulative allocation counters) and peak
// RSS (max over replicas, bytes).
struct ReplicaMemory {
  double bytes_per_op = -1;
  double peak_rss = 0;
};
ReplicaMemory replica_memory(const analysis::Analysis& a, const analysis::LengthRow& length);

// "<p>Each <what>'s full report: <a href=index.html>names[0]</a>, <a
// href=names[1]/index.html>names[1]</a>...</p>" (the first variant's report
// is OUT itself, the others OUT/<name>/).
std::string report_links_html(const std::string& what, const std::vector<std::string>& names);

// A comparison section: md (starting with a blank line, then "## ...")
// written as OUT/<file> without that first line break, appended to
// OUT/summary.md, and html put before </body> of OUT/index.html. Returns the
// file's text.
Result<std::string> write_comparison(const std::string& out_dir, const std::string& file,
                                     const std::string& md, const std::string& html);

}  // namespace hd::bench
