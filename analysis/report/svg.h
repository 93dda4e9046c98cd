// Minimal inline-SVG line charts for the HTML report: linear axes with tick
// labels, one polyline per series, a legend. Pure functions; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hd::analysis {

struct ChartSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y)
};

// Returns an <svg> element (width x height px) with the given labels; empty
// series are skipped, and a chart without points says so.
std::string svg_line_chart(const std::string& title, const std::string& x_label,
                           const std::string& y_label, const std::vector<ChartSeries>& series,
                           int width = 560, int height = 300);

// Escapes &, <, >, " for HTML/SVG text.
std::string html_escape(const std::string& s);

}  // namespace hd::analysis
