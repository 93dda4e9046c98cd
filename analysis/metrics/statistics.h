// The pure statistics of the report: ordinary least squares fits with a 95 %
// confidence interval of the slope, Student t quantiles, mean and sample SD.
// Contract: no I/O, no state, no allocation beyond the result; thread-safe.
// Degenerate inputs (too few points, no spread in x) give zeros, never NaN.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "loadgen/stats/spread.h"

namespace hd::analysis {

// Ordinary least squares y = intercept + slope * x. ci95 is the half width of
// the 95 % confidence interval of the slope (Student t, n - 2 degrees of
// freedom); 0 when n < 3. Fewer than two points: all zero but n; all x equal:
// slope 0 and intercept the mean of y.
struct LinearFit {
  double slope = 0;
  double intercept = 0;
  double ci95 = 0;
  size_t n = 0;
  double lo() const { return slope - ci95; }
  double hi() const { return slope + ci95; }
};
LinearFit fit_line(const std::vector<double>& x, const std::vector<double>& y);

// Two-sided 95 % (upper 97.5 %) quantile of Student's t with df degrees of
// freedom: the table to df 30 (3 decimals); beyond, linear between the rows
// of 30, 60 and 120 (within 0.01 of the true value), 1.960 above 120; 0 for
// df 0 (no interval).
double t_quantile_975(size_t df);

// A slope with its 95 % interval as the tables print it, e.g. "12.3 (10.1…14.5)"
// with fmt "%.1f": or "n/a (2 points)" when it rests on fewer than 3 points,
// since a line through two points has no interval and states false precision.
std::string slope_text(double slope, double lo, double hi, size_t n, const char* fmt = "%.1f",
                       const char* sep = "…");
inline std::string slope_text(const LinearFit& f, const char* fmt = "%.1f", const char* sep = "…") {
  return slope_text(f.slope, f.lo(), f.hi(), f.n, fmt, sep);
}

// Mean of v (0 when empty). The SD of "±" is loadgen::mean_and_sample_sd
// (loadgen/stats/spread.h), shared with the launcher's bench table.
double mean(const std::vector<double>& v);
using loadgen::mean_and_sample_sd;
using loadgen::MeanSd;

}  // namespace hd::analysis
