// Merging is LatencyHistogram::merge; quantiles are LatencyHistogram's own
// (nearest rank, bucket midpoint clamped to [min, max]), the same numbers
// `loadgen merge` prints for the same files.
#include "analysis/metrics/latency.h"

namespace hd::analysis {

namespace {

double ms(const loadgen::LatencyHistogram& h, double q) {
  return static_cast<double>(h.quantile_ns(q)) / 1e6;
}

}  // namespace

void MergedLatency::add(const loadgen::RunStats& result) {
  for (size_t i = 0; i < loadgen::kOpClasses; ++i) classes_[i].merge(result.classes[i].latency);
}

void MergedLatency::add(const MergedLatency& other) {
  for (size_t i = 0; i < loadgen::kOpClasses; ++i) classes_[i].merge(other.classes_[i]);
}

// Merging adds bucket counts: the strong histogram built from its classes is
// the one built from the ops directly.
loadgen::LatencyHistogram MergedLatency::strong() const {
  loadgen::LatencyHistogram h;
  for (size_t i = 0; i < loadgen::kOpClasses; ++i)
    if (loadgen::class_is_strong(i)) h.merge(classes_[i]);
  return h;
}

loadgen::LatencyHistogram MergedLatency::weak() const {
  loadgen::LatencyHistogram h;
  for (size_t i = 0; i < loadgen::kOpClasses; ++i)
    if (!loadgen::class_is_strong(i)) h.merge(classes_[i]);
  return h;
}

LatencyPercentiles MergedLatency::percentiles() const {
  const loadgen::LatencyHistogram s = strong(), w = weak();
  return {ms(s, 0.5), ms(s, 0.99), ms(w, 0.5), ms(w, 0.99)};
}

ClassPercentiles MergedLatency::class_percentiles(size_t index) const {
  const loadgen::LatencyHistogram& h = classes_.at(index);
  return {h.count(), ms(h, 0.5), ms(h, 0.99)};
}

}  // namespace hd::analysis
