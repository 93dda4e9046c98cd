// Time as the axis and memory outside the allocator (issue 14, parts 1-2) on
// synthetic processes with known answers: a program without an op count is
// measured per second (heap fit, site verdicts, CPU, run lengths by
// duration), and RSS that grows beyond what the allocator holds is told
// apart from a growing heap and from fragmentation.
#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/metrics/metrics.h"
#include "analysis/report/report.h"
#include "analysis/runs/run_folder.h"
#include "unit/analysis/runs_test_util.h"

namespace hd::analysis {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

struct Rates {
  double allocated_per_s = 0;  // the allocator's live bytes
  double mapped_per_s = 0;     // what the allocator holds from the system
  double rss_per_s = 0;        // the whole process
  int64_t ops_per_snapshot = 0;
  double mapped_from = 2 * kMiB;  // the allocator's mapped at the start
  // jemalloc's active − allocated, held at this (none: not recorded).
  std::optional<double> active_gap = std::nullopt;
};

// A process recorded every 100 ms for 2 s: allocated from 1 MiB, the
// allocator's mapped from 2 MiB, RSS from 8 MiB, each at its rate, with a
// small alternating wobble so the fits have residuals; CPU 50 ms a second.
ProcessRun process(const Rates& r, const std::string& name = "prog") {
  ProcessRun p;
  p.name = name;
  p.program = "run";
  p.cpus = 1;
  for (int i = 0; i <= 20; ++i) {
    Snapshot s;
    s.seq = i;
    s.t_ms = 100.0 * i;
    s.unix_ms = 1700000000000 + 100 * i;
    s.ops = r.ops_per_snapshot * i;
    const double t = s.t_ms / 1000.0;
    const int64_t wobble = (i % 2) ? 3000 : -3000;
    s.allocated = static_cast<int64_t>(kMiB + r.allocated_per_s * t) + wobble;
    s.mapped = static_cast<int64_t>(r.mapped_from + r.mapped_per_s * t);
    if (r.active_gap) s.active = *s.allocated + static_cast<int64_t>(*r.active_gap);
    s.rss_bytes = static_cast<int64_t>(8 * kMiB + r.rss_per_s * t) - wobble;
    s.cum_alloc_bytes = 1000000 * i;
    s.cum_alloc_count = 1000 * i;
    s.utime_us = 50000 * i / 10;
    s.stime_us = 0;
    p.snapshots.push_back(s);
  }
  return p;
}

TEST_CASE("time axis: a process without ops is measured per second, not as a flat 0-op heap") {
  const ProcessMetrics m =
      process_metrics(process({.allocated_per_s = kMiB, .mapped_per_s = kMiB, .rss_per_s = kMiB}));
  CHECK(m.axis == Axis::kSeconds);
  // Every snapshot is a heap point (the op filter once dropped them all).
  CHECK(m.heap.size() == 21);
  CHECK(m.heap_fit.slope == doctest::Approx(kMiB).epsilon(0.01));
  CHECK(m.heap_fit.lo() > 0);
  CHECK(m.heap_growing);
  // CPU over the whole run (it was 0 %: the "load" ended at the first line).
  CHECK(m.cpu_util == doctest::Approx(0.05).epsilon(0.01));
  CHECK(m.alloc_bytes_per_s == doctest::Approx(1e7).epsilon(0.01));
  CHECK(m.bytes_per_op == 0);  // no ops: no per-op figure
  CHECK(m.rss_minus_allocated == static_cast<int64_t>(7 * kMiB) + 6000);  // i = 20: wobble -3000
  // RSS grows, but the allocator holds it: not outside the allocator.
  CHECK_FALSE(m.outside_growing);
}

TEST_CASE("time axis: the per-op path is unchanged when the process counts ops") {
  const ProcessMetrics m =
      process_metrics(process({.allocated_per_s = kMiB, .ops_per_snapshot = 1000}));
  CHECK(m.axis == Axis::kOps);
  CHECK(m.heap.size() == 20);  // the first line (ops 0) is no heap point, as before
  // 1 MiB/s at 10000 ops/s: 104.9 B/op.
  CHECK(m.heap_fit.slope == doctest::Approx(kMiB / 10000).epsilon(0.01));
}

TEST_CASE("time axis: site verdicts over time, the slope per second") {
  std::vector<SitePoint> pts;
  for (int i = 0; i <= 8; ++i) {
    SitePoint p;
    p.ops = 0;
    p.t_s = 0.25 * i;
    p.inuse_bytes = static_cast<int64_t>(3276800 * p.t_s);  // 200 x 16 KiB a second
    p.inuse_objs = p.inuse_bytes / 16384;
    p.samples = p.inuse_objs;
    p.variance = static_cast<double>(p.inuse_bytes) * 4096;
    pts.push_back(p);
  }
  const SiteClass c = classify_site(pts, std::nullopt, 4096, Axis::kSeconds);
  CHECK(c.verdict == Verdict::kAccumulates);
  CHECK(c.growth.axis == Axis::kSeconds);
  CHECK(c.growth.slope() == doctest::Approx(3276800).epsilon(0.001));
  CHECK(c.growth.span_ops == doctest::Approx(2.0));
  // On the ops axis the same points (all at op 0) have no span: no verdict.
  CHECK_FALSE(is_growing(classify_site(pts, std::nullopt, 4096).verdict));
  // A flat site over time is constant, not growing.
  for (SitePoint& p : pts) {
    p.inuse_bytes = 20000;
    p.inuse_objs = 10;
    p.samples = 5;
    p.variance = 20000.0 * 4096;
  }
  CHECK(classify_site(pts, std::nullopt, 4096, Axis::kSeconds).verdict == Verdict::kConstant);
}

TEST_CASE("outside the allocator: RSS grows, the allocator's counters do not account for it") {
  // A Go-like runtime or the program's mmap: 4 MiB/s of RSS, allocator flat.
  const ProcessMetrics m = process_metrics(process({.rss_per_s = 4 * kMiB}));
  CHECK_FALSE(m.heap_growing);
  CHECK(m.outside_growing);
  CHECK(m.outside_fit.slope == doctest::Approx(4 * kMiB).epsilon(0.01));
  CHECK_FALSE(m.fragmenting);  // memory the allocator never held is not fragmentation
  CHECK(m.end_rss - m.start_rss > static_cast<int64_t>(7.9 * kMiB));
}

TEST_CASE("outside the allocator: negative cases") {
  // RSS flat: nothing outside, whatever else.
  CHECK_FALSE(process_metrics(process({})).outside_growing);
  CHECK_FALSE(
      process_metrics(process({.allocated_per_s = kMiB, .mapped_per_s = kMiB})).outside_growing);
  // RSS grows with what the allocator maps (pages it holds beyond live
  // bytes): the allocator's, so not outside it.
  const ProcessMetrics held =
      process_metrics(process({.mapped_per_s = 4 * kMiB, .rss_per_s = 4 * kMiB}));
  CHECK_FALSE(held.outside_growing);
  CHECK(held.fragmenting);
  CHECK_FALSE(held.rss_beyond_heap);
  // The same gap with jemalloc's active − allocated flat: not live pages
  // sparsely used but pages kept unused or outside the heap — the prose
  // said "RSS beyond the live heap" while summary.json said `fragmenting`.
  const ProcessRun kept_run =
      process({.mapped_per_s = 4 * kMiB, .rss_per_s = 4 * kMiB, .active_gap = 0.5 * kMiB});
  const ProcessMetrics kept = process_metrics(kept_run);
  CHECK_FALSE(kept.fragmenting);
  CHECK(kept.rss_beyond_heap);
  {  // summary.json says what the prose says
    Run run;
    run.name = "kept";
    run.processes.push_back(kept_run);
    const Analysis a = testing::analyse_synthetic({run});
    const nlohmann::json j = nlohmann::json::parse(render_summary_json(a));
    const nlohmann::json& jp = j["runs"][0]["processes"][0];
    CHECK(jp["fragmenting"] == false);
    CHECK(jp["rss_beyond_live_heap"] == true);
    CHECK(a.finding_text.find("RSS beyond the live heap: prog") != std::string::npos);
  }
  // Active − allocated growing with it (here: known and rising): fragmentation.
  CHECK(gap_in_live_pages(int64_t{5} << 20, int64_t{8} << 20));
  CHECK_FALSE(gap_in_live_pages(int64_t{0}, int64_t{8} << 20));
  CHECK(gap_in_live_pages(std::nullopt, int64_t{8} << 20));
  // The allocator mapped 16 MiB at start and RSS climbs 8 -> 12 MiB by
  // touching those pages: below what the allocator holds, so not outside it
  // (a slowsync replica's report once said "grows outside the allocator").
  CHECK_FALSE(
      process_metrics(process({.rss_per_s = 2 * kMiB, .mapped_from = 16 * kMiB})).outside_growing);
  // RSS growth under 1 MiB over the run is not reported.
  CHECK_FALSE(process_metrics(process({.rss_per_s = 0.25 * kMiB})).outside_growing);
  // Counted ops: the same rule per op.
  CHECK(
      process_metrics(process({.rss_per_s = 4 * kMiB, .ops_per_snapshot = 1000})).outside_growing);
}

TEST_CASE("time axis: runs without ops are lengths by duration, not one 0-op length") {
  std::vector<Run> runs(3);
  const double seconds[] = {2.0, 1.0, 2.0};
  for (int k = 0; k < 3; ++k) {
    runs[k].name = "run" + std::to_string(k);
    ProcessRun p = process({.allocated_per_s = kMiB});
    const double scale = seconds[k] / 2.0;
    for (Snapshot& s : p.snapshots) s.t_ms *= scale;
    runs[k].processes.push_back(p);
  }
  group_runs(runs);
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].name == "run1");
  CHECK(runs[0].length_s == doctest::Approx(1.0));
  CHECK(runs[2].length_s == doctest::Approx(2.0));
  for (const Run& r : runs) CHECK(r.iteration == 1);
  std::vector<RunMetrics> rm;
  for (const Run& r : runs) rm.push_back(run_metrics(r));
  CHECK(rm[0].axis == Axis::kSeconds);
  CHECK(rm[0].length_s == doctest::Approx(1.0));
  const std::vector<LengthRow> rows = length_rows(rm);
  CHECK(rows.size() == 3);
  CHECK(run_length_text(0, rows.front().length_s) == "1.0 s");
  CHECK(run_length_text(100000, 0) == "100000");
}

}  // namespace
}  // namespace hd::analysis
