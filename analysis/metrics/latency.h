// True merged latency percentiles for the degradation table: the per-class
// histograms of every loadgen result.json (docs/loadgen-result.md) are merged
// (loadgen/stats LatencyHistogram::merge adds counts), so p50/p99 are those of
// all ops together, not a mean or maximum of per-process percentiles.
// Value type; thread-compatible.
#pragma once

#include "analysis/runs/run_folder.h"
#include "loadgen/stats/histogram.h"
#include "loadgen/stats/run_stats.h"

namespace hd::analysis {

struct LatencyPercentiles {
  double strong_p50_ms = 0, strong_p99_ms = 0, weak_p50_ms = 0, weak_p99_ms = 0;
};

// Strong (strong_read + strong_write) and weak (weak_read + weak_write) ops of
// any number of loadgen results or other merges.
class MergedLatency {
 public:
  void add(const loadgen::RunStats& result);
  void add(const MergedLatency& other);
  uint64_t strong_count() const { return strong_.count(); }
  uint64_t weak_count() const { return weak_.count(); }
  // 0 for a kind without ops.
  LatencyPercentiles percentiles() const;

 private:
  loadgen::LatencyHistogram strong_, weak_;
};

}  // namespace hd::analysis
