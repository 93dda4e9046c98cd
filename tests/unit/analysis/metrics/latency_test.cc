// Merged latency percentiles of the degradation table (analysis/metrics/
// latency.h): known answers where the old "worst client's p99" was wrong, and
// the committed golden runs against `loadgen merge`'s own figures.
#include "analysis/metrics/latency.h"

#include <doctest/doctest.h>

#include "analysis/metrics/metrics.h"

namespace hd::analysis {
namespace {

const std::string kRuns = std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/runs/";

// Strong ops as strong_read, weak ones as weak_write: MergedLatency merges
// by kind whatever the class.
loadgen::RunStats result_with(uint64_t fast_ops, uint64_t slow_ops, uint64_t slow_ns) {
  loadgen::RunStats r;
  for (uint64_t i = 0; i < fast_ops; ++i) r.classes[0].latency.record(1000000);  // 1 ms
  for (uint64_t i = 0; i < slow_ops; ++i) r.classes[0].latency.record(slow_ns);
  for (uint64_t i = 0; i < fast_ops; ++i) r.classes[3].latency.record(200000);  // 0.2 ms
  return r;
}

TEST_CASE("merged p99 over clients is the p99 of all ops, not the worst client's") {
  // Client B alone: 2 of 100 ops at 50 ms -> its p99 (rank 99) is 50 ms.
  // Together with client A's 100 fast ops: 2 of 200 -> rank 198 is 1 ms.
  MergedLatency b;
  b.add(result_with(98, 2, 50000000));
  CHECK(b.percentiles().strong_p99_ms == doctest::Approx(50).epsilon(0.005));
  MergedLatency all;
  all.add(result_with(100, 0, 0));
  all.add(result_with(98, 2, 50000000));
  CHECK(all.strong_count() == 200);
  CHECK(all.weak_count() == 198);
  const LatencyPercentiles p = all.percentiles();
  CHECK(p.strong_p99_ms == doctest::Approx(1).epsilon(0.005));
  CHECK(p.strong_p50_ms == doctest::Approx(1).epsilon(0.005));
  CHECK(p.weak_p99_ms == doctest::Approx(0.2).epsilon(0.005));
  // 3 of 200 slow: rank 198 now falls on the slow ops.
  MergedLatency three;
  three.add(result_with(100, 0, 0));
  three.add(result_with(97, 3, 50000000));
  CHECK(three.percentiles().strong_p99_ms == doctest::Approx(50).epsilon(0.005));
  CHECK(MergedLatency().percentiles().strong_p99_ms == 0);
}

TEST_CASE("degradation rows merge every client of every iteration of a length") {
  std::vector<Run> runs;
  for (const char* name : {"normal-2k", "normal-10k"}) {
    Result<Run> r = load_run(kRuns + name);
    REQUIRE(r.is_ok());
    runs.push_back(std::move(*r));
  }
  group_runs(runs);
  std::vector<RunMetrics> rm;
  for (const Run& r : runs) rm.push_back(run_metrics(r));
  // Two iterations of the short length (the same folder twice): merging a
  // copy doubles every count, which leaves the percentiles unchanged.
  std::vector<RunMetrics> twice = {rm[0], rm[0], rm[1]};
  twice[1].name += "-copy";
  const std::vector<LengthRow> rows = length_rows(twice);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].iterations == 2);
  CHECK(rows[0].strong_p99_ms == doctest::Approx(rm[0].strong_p99_ms));
  CHECK(rows[0].weak_p50_ms == doctest::Approx(rm[0].weak_p50_ms));
  for (const RunMetrics& r : rm) {
    // The run's strong ops = the sum of its clients' summary counts, and its
    // merged p99 lies between the clients' own p99s.
    int64_t strong = 0;
    double lo = 1e18, hi = 0;
    for (const ProcessRun& p : runs[static_cast<size_t>(&r - rm.data())].processes) {
      if (!p.result) continue;
      const loadgen::ClassStats s = p.result->strong();
      const double p99_ms = static_cast<double>(s.latency.quantile_ns(0.99)) / 1e6;
      strong += static_cast<int64_t>(s.count);
      lo = std::min(lo, p99_ms);
      hi = std::max(hi, p99_ms);
    }
    CHECK(r.latency.strong_count() == static_cast<uint64_t>(strong));
    CHECK(r.strong_p99_ms >= lo * 0.999);
    CHECK(r.strong_p99_ms <= hi * 1.001);
    CHECK(r.strong_p50_ms > 0);
    CHECK(r.weak_p99_ms >= r.weak_p50_ms);
  }
}

TEST_CASE("per-class percentiles keep each op class apart; strong/weak merge them") {
  // SR: 99 ops at 1 ms and 1 at 30 ms; SW: 100 at 4 ms; WR: none; WW: 10 at 0.2 ms.
  loadgen::RunStats r;
  for (int i = 0; i < 99; ++i) r.classes[0].latency.record(1000000);
  r.classes[0].latency.record(30000000);
  for (int i = 0; i < 100; ++i) r.classes[1].latency.record(4000000);
  for (int i = 0; i < 10; ++i) r.classes[3].latency.record(200000);
  MergedLatency m;
  m.add(r);
  const ClassPercentiles sr = m.class_percentiles(0), sw = m.class_percentiles(1);
  const ClassPercentiles wr = m.class_percentiles(2), ww = m.class_percentiles(3);
  CHECK(sr.ops == 100);
  CHECK(sr.p50_ms == doctest::Approx(1).epsilon(0.005));
  CHECK(sr.p99_ms == doctest::Approx(1).epsilon(0.005));  // rank 99 of 100
  CHECK(sw.ops == 100);
  CHECK(sw.p99_ms == doctest::Approx(4).epsilon(0.005));
  CHECK(wr.ops == 0);
  CHECK(wr.p99_ms == 0);
  CHECK(ww.p50_ms == doctest::Approx(0.2).epsilon(0.005));
  // Strong = SR + SW: 200 ops (99 at 1 ms, 100 at 4 ms, 1 at 30 ms): ranks
  // 100 and 198 are 4 ms strong writes.
  CHECK(m.strong_count() == 200);
  CHECK(m.weak_count() == 10);
  CHECK(m.percentiles().strong_p99_ms == doctest::Approx(4).epsilon(0.005));
  CHECK(m.percentiles().strong_p50_ms == doctest::Approx(4).epsilon(0.005));
}

TEST_CASE("a length row has per-class p50/p99 and the fast-path share of strong ops, pooled") {
  // Two iterations: 90 fast + 10 slow, then 60 fast + 40 slow: pooled
  // 150 / 200 = 75 % (the mean of the runs' shares would also be 75 %, so
  // the second pair tells pooling apart: 10 fast + 0 slow vs 90 fast + 100
  // slow -> 100 / 200 = 50 %, mean 73.7 %).
  auto run = [](uint64_t fast, uint64_t slow, uint64_t sw_ns) {
    RunMetrics m;
    m.length_ops = 1000;
    m.has_loadgen = true;
    m.strong_fast_ops = fast;
    m.strong_slow_ops = slow;
    loadgen::RunStats r;
    for (int i = 0; i < 100; ++i) r.classes[1].latency.record(sw_ns);
    m.latency.add(r);
    return m;
  };
  std::vector<LengthRow> rows = length_rows({run(10, 0, 2000000), run(90, 100, 2000000)});
  REQUIRE(rows.size() == 1);
  REQUIRE(rows[0].fast_fraction.has_value());
  CHECK(*rows[0].fast_fraction == doctest::Approx(0.5));
  CHECK(rows[0].strong_fast_ops == 100);
  CHECK(rows[0].classes[1].ops == 200);
  CHECK(rows[0].classes[1].p99_ms == doctest::Approx(2).epsilon(0.005));
  CHECK(rows[0].classes[0].ops == 0);
  // No strong op took a path: no share, not 0 %.
  rows = length_rows({run(0, 0, 1000000)});
  CHECK_FALSE(rows[0].fast_fraction.has_value());
}

}  // namespace
}  // namespace hd::analysis
