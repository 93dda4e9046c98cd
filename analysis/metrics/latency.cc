// Merging is LatencyHistogram::merge; quantiles are LatencyHistogram's own
// (nearest rank, bucket midpoint clamped to [min, max]), the same numbers
// `loadgen merge` prints for the same files.
#include "analysis/metrics/latency.h"

namespace hd::analysis {

void MergedLatency::add(const loadgen::RunStats& result) {
  for (size_t i = 0; i < loadgen::kOpClasses; ++i)
    (loadgen::class_is_strong(i) ? strong_ : weak_).merge(result.classes[i].latency);
}

void MergedLatency::add(const MergedLatency& other) {
  strong_.merge(other.strong_);
  weak_.merge(other.weak_);
}

LatencyPercentiles MergedLatency::percentiles() const {
  auto ms = [](const loadgen::LatencyHistogram& h, double q) {
    return static_cast<double>(h.quantile_ns(q)) / 1e6;
  };
  return {ms(strong_, 0.5), ms(strong_, 0.99), ms(weak_, 0.5), ms(weak_, 0.99)};
}

}  // namespace hd::analysis
