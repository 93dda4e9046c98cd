// Hand-written SVG so index.html needs no script or network to render.
#include "analysis/report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace hd::analysis {

namespace {

constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                   "#9467bd", "#8c564b", "#e377c2", "#17becf"};
constexpr const char* kDashes[] = {"", "7,4", "2,3", "8,3,2,3"};
constexpr size_t kMaxLegendChars = 52;

std::string fmt(const char* f, double v) {
  char buf[32];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  std::snprintf(buf, sizeof buf, f, v);
#pragma GCC diagnostic pop
  return buf;
}

std::string coord(double v) {
  return fmt("%.1f", v);
}

// A scale: data range widened to multiples of a 1/2/5 x 10^k step, with the
// unit divisor applied to tick labels only.
struct Scale {
  double lo = 0, hi = 1, step = 1;
  double divisor = 1;
  std::string unit;  // appended to the axis label, e.g. "MiB"
};

Scale make_scale(double lo, double hi, AxisUnit unit) {
  Scale s;
  if (unit == AxisUnit::kBytes) {
    const double m = std::max(std::fabs(lo), std::fabs(hi));
    if (m >= 1024.0 * 1024 * 1024) {
      s.divisor = 1024.0 * 1024 * 1024;
      s.unit = "GiB";
    } else if (m >= 1024.0 * 1024) {
      s.divisor = 1024.0 * 1024;
      s.unit = "MiB";
    } else if (m >= 1024.0) {
      s.divisor = 1024.0;
      s.unit = "KiB";
    } else {
      s.unit = "B";
    }
  }
  const double a = lo / s.divisor, b = hi / s.divisor;
  const double raw = (b - a) / 5;
  if (!(raw > 0) || !std::isfinite(raw) || !std::isfinite(a)) {  // degenerate: one tick
    s.lo = lo;
    s.hi = lo + std::max(1.0, std::fabs(lo));
    s.step = s.hi - s.lo;
    return s;
  }
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double f : {1.0, 2.0, 5.0, 10.0}) {
    step = f * mag;
    if (raw <= step) break;
  }
  s.step = step * s.divisor;
  s.lo = std::floor(a / step) * step * s.divisor;
  s.hi = std::ceil(b / step) * step * s.divisor;
  if (s.hi <= s.lo) s.hi = s.lo + s.step;
  return s;
}

// The tick values of a scale: at most kMaxTicks, whatever rounding did.
constexpr int kMaxTicks = 12;
std::vector<double> ticks(const Scale& s) {
  std::vector<double> v;
  const double n = std::round((s.hi - s.lo) / s.step);
  for (int i = 0; i <= kMaxTicks && i <= n; ++i) v.push_back(s.lo + i * s.step);
  return v;
}

std::string tick_label(double v, const Scale& s) {
  const double x = v / s.divisor;
  const double a = std::fabs(x);
  if (s.divisor == 1 && a >= 1e9) return fmt("%.1fG", x / 1e9);
  if (s.divisor == 1 && a >= 1e6) return fmt("%.1fM", x / 1e6);
  if (s.divisor == 1 && a >= 1e4) return fmt("%.0fk", x / 1e3);
  const double step = s.step / s.divisor;
  if (step >= 1 || x == 0) return fmt("%.0f", x);
  return fmt(step >= 0.1 ? "%.1f" : step >= 0.01 ? "%.2f" : "%.3g", x);
}

std::string axis_title(const std::string& label, const Scale& s) {
  return s.unit.empty() ? label : label + " (" + s.unit + ")";
}

void bounds(const std::vector<ChartSeries>& series, bool right, double& x0, double& x1, double& y0,
            double& y1) {
  for (const ChartSeries& s : series)
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      if (s.right_axis != right) continue;
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
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

std::string svg_chart(const ChartSpec& spec, const std::vector<ChartSeries>& series) {
  const bool dual = !spec.y2_label.empty();
  const double left = 70, right = dual ? 360 : 300, top = spec.subtitle.empty() ? 44 : 58,
               bottom = 42;
  const double pw = spec.width - left - right, ph = spec.height - top - bottom;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  double x0 = kInf, x1 = -kInf, y0 = 0, y1 = -kInf, r0 = 0, r1 = -kInf;
  bounds(series, false, x0, x1, y0, y1);
  bounds(series, true, x0, x1, r0, r1);
  std::string o = "<svg class=\"chart\" id=\"" + html_escape(spec.id) +
                  "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(spec.width) +
                  "\" height=\"" + std::to_string(spec.height) + "\" font-family=\"sans-serif\">";
  o += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>";
  o += "<text class=\"title\" x=\"" + coord(left) +
       "\" y=\"18\" font-size=\"14\" font-weight=\"bold\">" + html_escape(spec.title) + "</text>";
  if (!spec.subtitle.empty())
    o += "<text x=\"" + coord(left) + "\" y=\"34\" font-size=\"11\" fill=\"#555\">" +
         html_escape(spec.subtitle) + "</text>";
  if (!(x1 >= x0)) {
    o += "<text x=\"" + coord(left) + "\" y=\"" + coord(top + ph / 2) +
         "\" font-size=\"12\" fill=\"#888\">no data</text></svg>";
    return o;
  }
  if (x1 == x0) x1 = x0 + 1;
  if (!(y1 > y0)) y1 = y0 + 1;
  if (!(r1 > r0)) r1 = r0 + 1;
  const Scale xs = make_scale(x0, x1, AxisUnit::kPlain);
  const Scale ys = make_scale(y0, y1, spec.y_unit);
  const Scale rs = make_scale(r0, r1, spec.y2_unit);
  auto px = [&](double x) { return left + (x - xs.lo) / (xs.hi - xs.lo) * pw; };
  auto py = [&](double y, const Scale& s) { return top + ph - (y - s.lo) / (s.hi - s.lo) * ph; };
  // Grid and ticks.
  o += "<g stroke=\"#ddd\" font-size=\"10\" fill=\"#444\">";
  for (double v : ticks(ys)) {
    o += "<line x1=\"" + coord(left) + "\" x2=\"" + coord(left + pw) + "\" y1=\"" +
         coord(py(v, ys)) + "\" y2=\"" + coord(py(v, ys)) + "\"/>";
    o += "<text stroke=\"none\" text-anchor=\"end\" x=\"" + coord(left - 5) + "\" y=\"" +
         coord(py(v, ys) + 3) + "\">" + tick_label(v, ys) + "</text>";
  }
  for (double v : ticks(xs))
    o += "<text stroke=\"none\" text-anchor=\"middle\" x=\"" + coord(px(v)) + "\" y=\"" +
         coord(top + ph + 14) + "\">" + tick_label(v, xs) + "</text>";
  if (dual)
    for (double v : ticks(rs))
      o += "<text stroke=\"none\" x=\"" + coord(left + pw + 5) + "\" y=\"" + coord(py(v, rs) + 3) +
           "\">" + tick_label(v, rs) + "</text>";
  o += "</g><rect x=\"" + coord(left) + "\" y=\"" + coord(top) + "\" width=\"" + coord(pw) +
       "\" height=\"" + coord(ph) + "\" fill=\"none\" stroke=\"#888\"/>";
  o += "<text font-size=\"11\" text-anchor=\"middle\" x=\"" + coord(left + pw / 2) + "\" y=\"" +
       coord(spec.height - 8) + "\">" + html_escape(spec.x_label) + "</text>";
  o += "<text class=\"axis-label\" font-size=\"11\" text-anchor=\"middle\" "
       "transform=\"translate(14," +
       coord(top + ph / 2) + ") rotate(-90)\">" + html_escape(axis_title(spec.y_label, ys)) +
       "</text>";
  if (dual)
    o += "<text class=\"axis-label\" font-size=\"11\" text-anchor=\"middle\" "
         "transform=\"translate(" +
         coord(left + pw + 50) + "," + coord(top + ph / 2) + ") rotate(90)\">" +
         html_escape(axis_title(spec.y2_label, rs)) + "</text>";
  const double legend_x = left + pw + (dual ? 62 : 12);
  size_t pos = 0;
  for (const ChartSeries& s : series) {
    if (s.points.empty()) continue;
    const Scale& sc = s.right_axis ? rs : ys;
    const char* color =
        kColors[static_cast<size_t>(s.color >= 0 ? s.color : static_cast<int>(pos)) %
                (sizeof kColors / sizeof *kColors)];
    const std::string dash =
        kDashes[static_cast<size_t>(std::max(0, s.dash)) % (sizeof kDashes / sizeof *kDashes)];
    const std::string style = "fill=\"none\" stroke-width=\"2\" stroke=\"" + std::string(color) +
                              "\"" + (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"");
    std::string pts;
    for (const auto& [x, y] : s.points)
      if (std::isfinite(x) && std::isfinite(y)) pts += coord(px(x)) + "," + coord(py(y, sc)) + " ";
    o += "<polyline class=\"series\" " + style + " points=\"" + pts + "\"/>";
    if (s.points.size() == 1)
      o += "<circle r=\"3\" fill=\"" + std::string(color) + "\" cx=\"" +
           coord(px(s.points[0].first)) + "\" cy=\"" + coord(py(s.points[0].second, sc)) + "\"/>";
    const double ly = top + 6 + 14 * static_cast<double>(pos);
    if (ly < spec.height - 8) {
      std::string name = s.name;
      if (name.size() > kMaxLegendChars) name = name.substr(0, kMaxLegendChars - 3) + "...";
      o += "<line " + style + " x1=\"" + coord(legend_x) + "\" x2=\"" + coord(legend_x + 22) +
           "\" y1=\"" + coord(ly - 4) + "\" y2=\"" + coord(ly - 4) + "\"/>";
      o += "<text class=\"legend\" font-size=\"10\" x=\"" + coord(legend_x + 27) + "\" y=\"" +
           coord(ly) + "\">" + html_escape(name) + "</text>";
    }
    ++pos;
  }
  return o + "</svg>";
}

}  // namespace hd::analysis
