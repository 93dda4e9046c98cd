// The one "mean ± spread" convention of heapdrift's tables (the bench table,
// the report's degradation table, summary.json's throughput_stddev_ops_s):
// the arithmetic mean and the SAMPLE standard deviation (n - 1 in the
// denominator), because iterations are a sample of the runs the sweep could
// have made. With one run no spread is known, and the text says so
// ("141289 (1 run)") rather than "± 0", which reads as no spread at all.
// Pure; thread-safe.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace hd::loadgen {

struct MeanSd {
  double mean = 0;  // 0 for no values
  double sd = 0;    // sample SD; 0 for fewer than two values (no spread is known)
  size_t n = 0;
};

// Two passes (mean first, then squared deviations from it) rather than a
// running sum of squares, which loses digits when the spread is small
// against the mean (throughputs of ~10^4 ops/s differing by a few ops/s).
inline MeanSd mean_and_sample_sd(const std::vector<double>& v) {
  MeanSd r;
  r.n = v.size();
  if (v.empty()) return r;
  double sum = 0;
  for (double x : v) sum += x;
  r.mean = sum / static_cast<double>(v.size());
  if (v.size() < 2) return r;
  double ss = 0;
  for (double x : v) ss += (x - r.mean) * (x - r.mean);
  r.sd = std::sqrt(ss / static_cast<double>(v.size() - 1));
  return r;
}

// "mean ± sd" (whole numbers; `pm` between them) from two values on, "mean
// (1 run)" for one, "-" for none.
inline std::string spread_text(double mean, double sd, size_t n, const char* pm = " ± ") {
  char buf[96];
  if (n == 0) return "-";
  if (n == 1) {
    std::snprintf(buf, sizeof buf, "%.0f (1 run)", mean);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f%s%.0f", mean, pm, sd);
  }
  return buf;
}
inline std::string spread_text(const MeanSd& m, const char* pm = " ± ") {
  return spread_text(m.mean, m.sd, m.n, pm);
}

}  // namespace hd::loadgen
