// Sites against the evidence around them (docs/report.md, "Pooled verdicts"
// and "Exact and estimated"): pool_sites() combines one site's series over
// the processes that ran the same workload in the same role (the clients;
// the followers; the leader) and over the iterations of one run length, and
// says when their verdicts disagree; reconcile_sites() sets a process's
// sampled site slopes against its exact heap growth from the allocator
// counters. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/metrics/metrics.h"

namespace hd::analysis {

struct PooledSite {
  int64_t length_ops = 0;
  std::string role;  // "clients", "followers", "leader", or a process name
  std::string key, function, file;
  int line = 0;
  std::vector<std::string> members;  // "run/process" of every series pooled or not
  std::vector<Verdict> member_verdicts;
  SiteGrowth growth;  // pooled over the members with an interval
  Verdict verdict = Verdict::kTooFewSamples;
  std::string why;
  // Members' decided verdicts contradict each other: some grow
  // (accumulates/saturating), some do not (constant/churn).
  bool disagree = false;
  int64_t final_inuse_bytes = 0;  // largest over the members, for ranking
};

// runs: grouped (group_runs order). Every site of every group with two or
// more series; sorted by length, then growing sites, then final in-use.
std::vector<PooledSite> pool_sites(const std::vector<RunMetrics>& runs);

// The role a process is pooled under (see PooledSite::role). Its plant is
// part of it: a planted process never pools with a clean one.
std::string pool_role(const ProcessMetrics& p);

// A process's sites against its exact heap growth: the sum of the sampled
// site slopes (estimated) and the allocator's allocated-bytes slope (exact).
struct SiteReconciliation {
  double sites_slope = 0;   // bytes/op, sum over sites with an interval
  double sites_half95 = 0;  // of that sum (sites independent)
  size_t sites = 0;
  LinearFit heap;  // allocated vs ops, the exact figure (ProcessMetrics::heap_fit)
  // Of the exact slope, what sampling itself adds: live sampled blocks held
  // as promoted_block_bytes each instead of their size (jemalloc), per op.
  double sampling_overhead = 0;
  bool agrees = false;  // the sites' interval and (heap - overhead)'s overlap
};
// nullopt without sites or without an exact heap fit of >= 3 points.
std::optional<SiteReconciliation> reconcile_sites(const ProcessMetrics& p);

}  // namespace hd::analysis
