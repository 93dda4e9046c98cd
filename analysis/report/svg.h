// Minimal inline-SVG line charts for the reports: "nice" linear ticks, an
// optional second y scale on the right, one polyline per series (colour and
// dash chosen by the caller, so related series can share a colour), and a
// legend beside the plot. Standalone documents (xmlns set), so the same text
// is inlined in index.html and written as an .svg file beside summary.md.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hd::analysis {

enum class AxisUnit { kPlain, kBytes };  // kBytes: ticks in KiB/MiB/GiB

struct ChartSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y)
  int color = -1;                                 // palette index; -1: the series' position
  int dash = 0;                                   // 0 solid, 1 dashed, 2 dotted, 3 dash-dot
  bool right_axis = false;  // plotted against the right y scale (ChartSpec::y2_label)
};

struct ChartSpec {
  std::string id;  // element id (and the .svg file name in summary.md)
  std::string title;
  std::string subtitle;  // one line under the title; may be empty
  std::string x_label;
  std::string y_label;
  AxisUnit y_unit = AxisUnit::kPlain;
  std::string y2_label;  // non-empty: a right-hand scale for right_axis series
  AxisUnit y2_unit = AxisUnit::kPlain;
  int width = 900, height = 340;
};

// Returns an <svg> element. Empty series are skipped; a chart without points
// says "no data".
std::string svg_chart(const ChartSpec& spec, const std::vector<ChartSeries>& series);

// Escapes &, <, >, " for HTML/SVG text.
std::string html_escape(const std::string& s);

}  // namespace hd::analysis
