// True merged latency percentiles for the degradation table: the per-class
// histograms of every loadgen result.json (docs/loadgen-result.md) are merged
// (loadgen/stats LatencyHistogram::merge adds counts), so p50/p99 are those of
// all ops together, not a mean or maximum of per-process percentiles.
// The four op classes (loadgen::kOpClasses order: strong read, strong write,
// weak read, weak write) are kept apart, so a class's own p50/p99 is there
// too (the protocol comparison, launcher/compare_protocols.h).
// Value type; thread-compatible.
#pragma once

#include <array>

#include "analysis/runs/run_folder.h"
#include "loadgen/stats/histogram.h"
#include "loadgen/stats/run_stats.h"

namespace hd::analysis {

struct LatencyPercentiles {
  double strong_p50_ms = 0, strong_p99_ms = 0, weak_p50_ms = 0, weak_p99_ms = 0;
};

// One op class's merged percentiles; ops 0 = the class had no op (p50/p99 0).
struct ClassPercentiles {
  uint64_t ops = 0;
  double p50_ms = 0, p99_ms = 0;
};

// Strong (strong_read + strong_write) and weak (weak_read + weak_write) ops of
// any number of loadgen results or other merges.
class MergedLatency {
 public:
  void add(const loadgen::RunStats& result);
  void add(const MergedLatency& other);
  uint64_t strong_count() const { return strong().count(); }
  uint64_t weak_count() const { return weak().count(); }
  // 0 for a kind without ops.
  LatencyPercentiles percentiles() const;
  // index: loadgen::class_index order.
  ClassPercentiles class_percentiles(size_t index) const;

 private:
  loadgen::LatencyHistogram strong() const;
  loadgen::LatencyHistogram weak() const;
  std::array<loadgen::LatencyHistogram, loadgen::kOpClasses> classes_;
};

}  // namespace hd::analysis
