// Hand-rolled: the formulas are jemalloc's and pprof's unsampling weights
// with their Poisson variance; no library states them for our inputs.
#include "analysis/metrics/sampling.h"

#include <cmath>

namespace hd::analysis {

double one_sample_variance(double avg_size, uint64_t period) {
  if (period <= 1 || avg_size <= 0) return 0;
  // 1 - p = exp(-s/R); p = -expm1(-s/R) keeps precision when s << R.
  const double x = avg_size / static_cast<double>(period);
  const double p = -std::expm1(-x);
  const double w = avg_size / p;
  return w * w * std::exp(-x);
}

double unsample_variance(int64_t objs, int64_t bytes, uint64_t period) {
  if (objs <= 0 || bytes <= 0) return 0;
  const double avg = static_cast<double>(bytes) / static_cast<double>(objs);
  return static_cast<double>(objs) * one_sample_variance(avg, period);
}

}  // namespace hd::analysis
