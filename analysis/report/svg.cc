// Hand-written SVG so index.html needs no script or network to render.
#include "analysis/report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace hd::analysis {

namespace {

constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                   "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string num(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a >= 1e9)
    std::snprintf(buf, sizeof buf, "%.1fG", v / 1e9);
  else if (a >= 1e6)
    std::snprintf(buf, sizeof buf, "%.1fM", v / 1e6);
  else if (a >= 1e4)
    std::snprintf(buf, sizeof buf, "%.0fk", v / 1e3);
  else if (a >= 100 || v == 0)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.2g", v);
  return buf;
}

std::string coord(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string svg_line_chart(const std::string& title, const std::string& x_label,
                           const std::string& y_label, const std::vector<ChartSeries>& series,
                           int width, int height) {
  const double left = 60, right = 190, top = 40, bottom = 40;
  const double pw = width - left - right, ph = height - top - bottom;
  double x0 = INFINITY, x1 = -INFINITY, y0 = 0, y1 = -INFINITY;
  for (const ChartSeries& s : series)
    for (const auto& [x, y] : s.points) {
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  std::string o = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  std::to_string(width) + "\" height=\"" + std::to_string(height) + "\">";
  o += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>";
  o += "<text x=\"" + coord(left) + "\" y=\"16\" font-size=\"14\" font-weight=\"bold\">" +
       html_escape(title) + "</text>";
  if (!(x1 >= x0)) {
    o += "<text x=\"" + coord(left) + "\" y=\"" + coord(top + ph / 2) +
         "\" font-size=\"12\" fill=\"#888\">no data</text></svg>";
    return o;
  }
  if (x1 == x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return top + ph - (y - y0) / (y1 - y0) * ph; };
  o += "<g stroke=\"#ccc\" font-size=\"10\" fill=\"#444\">";
  for (int i = 0; i <= 4; ++i) {
    const double yv = y0 + (y1 - y0) * i / 4, xv = x0 + (x1 - x0) * i / 4;
    o += "<line x1=\"" + coord(left) + "\" x2=\"" + coord(left + pw) + "\" y1=\"" + coord(py(yv)) +
         "\" y2=\"" + coord(py(yv)) + "\"/>";
    o += "<text stroke=\"none\" text-anchor=\"end\" x=\"" + coord(left - 4) + "\" y=\"" +
         coord(py(yv) + 3) + "\">" + num(yv) + "</text>";
    o += "<text stroke=\"none\" text-anchor=\"middle\" x=\"" + coord(px(xv)) + "\" y=\"" +
         coord(top + ph + 14) + "\">" + num(xv) + "</text>";
  }
  o += "</g>";
  o += "<text font-size=\"11\" text-anchor=\"middle\" x=\"" + coord(left + pw / 2) + "\" y=\"" +
       coord(height - 6) + "\">" + html_escape(x_label) + "</text>";
  o += "<text font-size=\"11\" x=\"4\" y=\"" + coord(top - 10) + "\">" + html_escape(y_label) +
       "</text>";
  size_t ci = 0;
  for (const ChartSeries& s : series) {
    if (s.points.empty()) continue;
    const char* color = kColors[ci % (sizeof kColors / sizeof *kColors)];
    std::string pts;
    for (const auto& [x, y] : s.points) pts += coord(px(x)) + "," + coord(py(y)) + " ";
    o += "<polyline class=\"series\" fill=\"none\" stroke-width=\"2\" stroke=\"" +
         std::string(color) + "\" points=\"" + pts + "\"/>";
    if (s.points.size() == 1)
      o += "<circle r=\"3\" fill=\"" + std::string(color) + "\" cx=\"" +
           coord(px(s.points[0].first)) + "\" cy=\"" + coord(py(s.points[0].second)) + "\"/>";
    const double ly = top + 12 + 14 * static_cast<double>(ci);
    o += "<rect x=\"" + coord(left + pw + 10) + "\" y=\"" + coord(ly - 8) +
         "\" width=\"10\" height=\"10\" fill=\"" + color + "\"/>";
    o += "<text font-size=\"10\" x=\"" + coord(left + pw + 24) + "\" y=\"" + coord(ly) + "\">" +
         html_escape(s.name) + "</text>";
    ++ci;
  }
  return o + "</svg>";
}

}  // namespace hd::analysis
