// Runs for the analysis unit tests: synthetic ones with known answers (a
// replica whose heap grows at a chosen rate, a loadgen with chosen slow-path
// shares and p99, optionally a second replica that sees an election) and the
// committed golden run folders.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "analysis/report/analyse.h"

namespace hd::analysis::testing {

inline const std::string kRuns = std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/runs/";

// A synthetic run: one replica whose allocated heap grows heap_b_per_op, and
// one loadgen whose per-second series has the given slow-path shares.
inline Run synthetic_run(const std::string& name, int64_t ops, double tput, double heap_b_per_op,
                         std::vector<double> slow_shares, double strong_p99_ms) {
  Run run;
  run.name = name;
  ProcessRun rep;
  rep.name = "replica0";
  rep.program = "replica";
  for (int i = 0; i <= 20; ++i) {
    Snapshot s;
    s.seq = i;
    s.t_ms = i * 100.0;
    s.ops = ops * i / 20;
    s.allocated = 4000000 + static_cast<int64_t>(heap_b_per_op * static_cast<double>(s.ops)) +
                  ((i % 2) ? 2000 : -2000);
    s.rss_bytes = *s.allocated + 3000000;
    s.cum_alloc_bytes = s.ops * 500;
    s.cum_alloc_count = s.ops * 4;
    s.utime_us = i * 20000;
    rep.snapshots.push_back(s);
  }
  ProcessRun lg;
  lg.name = "client0";
  lg.program = "loadgen";
  // Half the ops strong (strong_read), half weak (weak_read, no latencies).
  loadgen::RunStats r;
  const double duration_s = static_cast<double>(ops) / tput;
  r.start_unix_us = 0;
  r.end_unix_us = static_cast<int64_t>(duration_s * 1e6);
  loadgen::ClassStats& strong = r.classes[0];
  strong.count = static_cast<uint64_t>(ops / 2);
  r.classes[2].count = static_cast<uint64_t>(ops - ops / 2);
  // The report's percentiles come from the histograms: 98 % at 4 ms, the
  // rest at strong_p99_ms.
  for (uint64_t i = 0; i < strong.count; ++i)
    strong.latency.record(i * 50 < strong.count * 49 ? 4000000
                                                     : static_cast<uint64_t>(strong_p99_ms * 1e6));
  const double mean_slow = [&] {
    double s = 0;
    for (double x : slow_shares) s += x;
    return s / static_cast<double>(slow_shares.size());
  }();
  strong.slow_path = static_cast<uint64_t>(mean_slow * static_cast<double>(ops / 2));
  strong.fast_path = strong.count - strong.slow_path;
  int64_t sec = 0;
  for (double share : slow_shares) {
    loadgen::SecondStats& t = r.series[sec++];
    t.completed[0] = static_cast<uint64_t>(tput * (1 - 0.7 * share));
    t.slow_path = static_cast<uint64_t>(share * 1000);
    t.fast_path = 1000 - t.slow_path;
  }
  lg.result = r;
  lg.snapshots = rep.snapshots;
  for (Snapshot& s : lg.snapshots) s.allocated = 2000000;
  run.processes = {lg, rep};
  return run;
}

inline Analysis analyse_synthetic(std::vector<Run> runs) {
  group_runs(runs);
  AnalyseOptions o;
  o.sites = false;
  Result<Analysis> a = analyse(runs, o);
  REQUIRE(a.is_ok());
  return *a;
}

// Adds replica1 to a synthetic run; from snapshot `elect_at` on (if any) it is
// in term 2, first knowing no leader (the gauge's replica-count value), one
// snapshot later led by itself. replica0 stays in term 1 (a deposed leader).
inline void add_election(Run* run, int elect_at) {
  ProcessRun& rep0 = run->processes[1];
  for (Snapshot& s : rep0.snapshots) {
    s.term = 1;
    s.leader = 0;
  }
  ProcessRun rep1 = rep0;
  rep1.name = "replica1";
  for (Snapshot& s : rep1.snapshots) {
    if (elect_at >= 0 && s.seq >= elect_at) {
      s.term = 2;
      s.leader = s.seq == elect_at ? 2 : 1;
    }
  }
  run->processes.push_back(rep1);
}

// Replicas 0..2 of a synthetic run whose term/leader gauges follow `gauge`
// (snapshot seq -> {term, leader}, the last entry held; 3 = the gauge's
// "no leader"), replica i starting
// start_ms[i] after replica 0 (its snapshots keep the 100 ms cadence).
inline void set_replica_gauges(Run* run, const std::vector<std::pair<int64_t, int64_t>>& gauge,
                               const std::vector<int64_t>& start_ms, int64_t unix0_ms = 0) {
  ProcessRun base = run->processes[1];
  run->processes.resize(1);
  for (size_t r = 0; r < start_ms.size(); ++r) {
    ProcessRun rep = base;
    rep.name = "replica" + std::to_string(r);
    for (Snapshot& s : rep.snapshots) {
      const size_t at = std::min(gauge.size() - 1, static_cast<size_t>(s.seq));
      s.term = gauge[at].first;
      s.leader = gauge[at].second;
      s.unix_ms = unix0_ms + start_ms[r] + static_cast<int64_t>(s.t_ms);
    }
    run->processes.push_back(rep);
  }
}

// The committed golden runs (tests/data/runs) by name, grouped and analysed.
inline Analysis analyse_golden(std::initializer_list<const char*> names) {
  std::vector<Run> runs;
  for (const char* n : names) {
    Result<Run> r = load_run(kRuns + n);
    REQUIRE(r.is_ok());
    runs.push_back(std::move(*r));
  }
  group_runs(runs);
  Result<Analysis> a = analyse(runs, AnalyseOptions{});
  REQUIRE_MESSAGE(a.is_ok(), (a.is_ok() ? "" : a.status().message()));
  return *a;
}

}  // namespace hd::analysis::testing
