// See compare_common.h.
#include "launcher/compare_common.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "analysis/report/svg.h"

namespace hd::bench {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string markdown_table(const Table& t) {
  std::string md = "| ";
  for (const auto& h : t.header) md += h + " | ";
  md += "\n|";
  for (size_t i = 0; i < t.header.size(); ++i) md += "---|";
  md += "\n";
  for (const auto& row : t.rows) {
    md += "| ";
    for (const auto& c : row) md += c + " | ";
    md += "\n";
  }
  return md;
}

std::string html_table(const Table& t) {
  std::string html = "<table><tr>";
  for (const auto& h : t.header) html += "<th>" + analysis::html_escape(h) + "</th>";
  html += "</tr>";
  for (const auto& row : t.rows) {
    html += "<tr>";
    for (const auto& c : row) html += "<td>" + analysis::html_escape(c) + "</td>";
    html += "</tr>";
  }
  return html + "</table>";
}

ReplicaMemory replica_memory(const analysis::Analysis& a, const analysis::LengthRow& length) {
  bool has_cum = false;
  for (const auto& r : a.runs)
    if (r.length_ops == length.length_ops)
      for (const auto& p : r.processes) has_cum = has_cum || p.has_cum;
  ReplicaMemory m;
  double bpo = 0;
  int n_bpo = 0;
  for (const auto& p : length.processes) {
    if (p.name.rfind("replica", 0) != 0) continue;
    bpo += p.bytes_per_op;
    ++n_bpo;
    m.peak_rss = std::max(m.peak_rss, static_cast<double>(p.peak_rss));
  }
  if (n_bpo > 0 && has_cum) m.bytes_per_op = bpo / n_bpo;
  return m;
}

std::string report_links_html(const std::string& what, const std::vector<std::string>& names) {
  std::string html = "<p>Each " + what + "'s full report: ";
  for (size_t i = 0; i < names.size(); ++i)
    html += std::string(i ? ", " : "") + "<a href=\"" +
            (i == 0 ? std::string("index.html") : names[i] + "/index.html") + "\">" +
            analysis::html_escape(names[i]) + "</a>";
  return html + ".</p>";
}

Result<std::string> write_comparison(const std::string& out_dir, const std::string& file,
                                     const std::string& md, const std::string& html) {
  std::ofstream(out_dir + "/" + file) << md.substr(1);
  std::ofstream(out_dir + "/summary.md", std::ios::app) << md;
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
