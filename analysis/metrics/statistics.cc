// Hand-rolled rather than a library: the report needs one fit and one t
// table, and the numbers must not change with a dependency's version.
#include "analysis/metrics/statistics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace hd::analysis {

double t_quantile_975(size_t df) {
  static constexpr double kTable[] = {0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
                                      2.306, 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                                      2.120, 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
                                      2.064, 2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  if (df == 0) return 0;
  if (df <= 30) return kTable[df];
  if (df <= 60) return 2.000 + (2.042 - 2.000) * (60.0 - static_cast<double>(df)) / 30.0;
  if (df <= 120) return 1.980 + (2.000 - 1.980) * (120.0 - static_cast<double>(df)) / 60.0;
  return 1.960;
}

LinearFit fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  LinearFit f;
  f.n = std::min(x.size(), y.size());
  if (f.n < 2) return f;
  const double n = static_cast<double>(f.n);
  double mx = 0, my = 0;
  for (size_t i = 0; i < f.n; ++i) mx += x[i], my += y[i];
  mx /= n;
  my /= n;
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < f.n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  if (sxx <= 0) {
    f.intercept = my;
    return f;
  }
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  if (f.n >= 3) {
    double sse = 0;
    for (size_t i = 0; i < f.n; ++i) {
      const double r = y[i] - (f.intercept + f.slope * x[i]);
      sse += r * r;
    }
    const double se = std::sqrt(sse / (n - 2) / sxx);
    f.ci95 = t_quantile_975(f.n - 2) * se;
  }
  return f;
}

// Callers pass only literal one-double formats.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
std::string slope_text(double slope, double lo, double hi, size_t n, const char* fmt,
                       const char* sep) {
  if (n < 3) return "n/a (" + std::to_string(n) + (n == 1 ? " point)" : " points)");
  char a[48], b[48], c[48];
  std::snprintf(a, sizeof a, fmt, slope);
  std::snprintf(b, sizeof b, fmt, lo);
  std::snprintf(c, sizeof c, fmt, hi);
  return std::string(a) + " (" + b + sep + c + ")";
}
#pragma GCC diagnostic pop

double mean(const std::vector<double>& v) {
  return mean_and_sample_sd(v).mean;
}

}  // namespace hd::analysis
