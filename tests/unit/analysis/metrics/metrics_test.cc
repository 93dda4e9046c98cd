// Per-process and per-run metrics on synthetic series with known answers
// (analysis/metrics/metrics.h): site verdicts, allocation rates, leadership.
#include "analysis/metrics/metrics.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/report/report.h"
#include "unit/analysis/runs_test_util.h"

namespace hd::analysis {
namespace {

using testing::synthetic_run;

// In-use estimates as a byte sampler of mean period `period` would give them:
// bytes / period samples of small blocks, each weighing about period bytes.
std::vector<SitePoint> series(std::initializer_list<int64_t> bytes, uint64_t period) {
  std::vector<SitePoint> v;
  int64_t ops = 0;
  for (int64_t b : bytes) {
    const double p = static_cast<double>(std::max<uint64_t>(period, 1));
    v.push_back({ops += 1000, b, b / 100, static_cast<int64_t>(static_cast<double>(b) / p),
                 period > 1 ? static_cast<double>(b) * p : 0.0});
  }
  return v;
}

TEST_CASE("classify_site: verdicts on the interval, too few samples when it cannot decide") {
  // Linear growth of 100 B/op, dense sampling (4 KiB).
  SiteClass c =
      classify_site(series({100000, 200000, 300000, 400000, 500000}, 4096), std::nullopt, 4096);
  CHECK(c.verdict == Verdict::kAccumulates);
  CHECK(c.growth.slope() == doctest::Approx(100));
  CHECK(c.growth.lo() > 0);
  CHECK(c.growth.hi() > c.growth.lo());  // the sampling error widens a perfect line's interval
  // Fast then flat: the late slope is < half the early one.
  CHECK(classify_site(series({0, 200000, 300000, 330000, 340000, 345000}, 4096), std::nullopt, 4096)
            .verdict == Verdict::kSaturating);
  // Flat in-use, large turnover.
  CHECK(classify_site(series({50000, 50000, 50000, 50000, 50000}, 4096), 5000000, 4096).verdict ==
        Verdict::kChurn);
  // Flat, small turnover; or no cumulative data at all.
  CHECK(classify_site(series({50000, 50000, 50000, 50000, 50000}, 4096), 60000, 4096).verdict ==
        Verdict::kConstant);
  CHECK(classify_site(series({50000, 50000, 50000, 50000, 50000}, 4096), std::nullopt, 4096)
            .verdict == Verdict::kConstant);
  // Three points without cumulative counts: whether the sampled blocks were
  // replaced between them cannot be told, so the interval is the wider one.
  CHECK(classify_site(series({50000, 50000, 50000}, 4096), std::nullopt, 4096).verdict ==
        Verdict::kTooFewSamples);
  // Exact counts: a significant growth below the 32 KiB floor is not reported.
  CHECK(classify_site(series({1000, 11000, 21000, 31000}, 0), std::nullopt, 0).verdict ==
        Verdict::kConstant);
  // Coarse sampling (512 KiB): 1.5 MB of growth is about three samples, and
  // neither growth nor its absence can be told: too few samples, saying why.
  c = classify_site(series({0, 500000, 1000000, 1500000}, 524288), std::nullopt, 524288);
  CHECK(c.verdict == Verdict::kTooFewSamples);
  CHECK(c.why.find("sample more densely") != std::string::npos);
  CHECK(c.why.find("512 KiB") != std::string::npos);
  // The same flat site at 512 KiB cannot be called constant either.
  CHECK(classify_site(series({2000000, 2000000, 2000000}, 524288), std::nullopt, 524288).verdict ==
        Verdict::kTooFewSamples);
  // Two points: no interval, no verdict, however clear the line looks.
  c = classify_site(series({100000, 900000}, 4096), std::nullopt, 4096);
  CHECK(c.verdict == Verdict::kTooFewSamples);
  CHECK_FALSE(c.growth.has_interval());
  CHECK(c.why.find("2 heap profiles") != std::string::npos);
}

TEST_CASE("pool_growth: twins' intervals combine; members without an interval are left out") {
  SiteGrowth a, b, two_points;
  a.fit.slope = 40;
  a.fit.n = b.fit.n = 5;
  a.half95 = 45;
  b.fit.slope = 50;
  b.half95 = 60;
  a.linear_shape = b.linear_shape = true;
  a.span_ops = b.span_ops = 10000;
  two_points.fit.n = 2;
  two_points.fit.slope = -1000;
  const SiteGrowth p = pool_growth({a, b, two_points});
  CHECK(p.series == 2);
  CHECK(p.slope() == doctest::Approx(45));
  CHECK(p.half95 == doctest::Approx(37.5));  // sqrt(45^2 + 60^2) / 2
  // Each alone cannot rule out zero at 95 %; the pool can.
  CHECK(a.lo() < 0);
  CHECK(p.lo() > 0);
  CHECK(decide_verdict(p, 4096).verdict == Verdict::kAccumulates);
  CHECK_FALSE(pool_growth({two_points}).has_interval());
}

TEST_CASE("slope_text: no interval from fewer than three points") {
  LinearFit f = fit_line({1000, 2000}, {5000, 3000});
  CHECK(slope_text(f) == "n/a (2 points)");
  f = fit_line({1000, 2000, 3000}, {1000, 2000, 3000});
  CHECK(slope_text(f) == "1.0 (1.0…1.0)");
}

TEST_CASE("leadership: a term with no leader known has no leader (null in summary.json)") {
  Run s = synthetic_run("s", 10000, 18000, 0, {0.05, 0.05}, 13);
  Run l = synthetic_run("l", 100000, 6500, 0, {0.05, 0.05, 0.05}, 13);
  testing::add_election(&s, -1);
  testing::add_election(&l, 12);
  // replica1 never learns the new leader: the gauge stays at the replica count.
  for (Snapshot& snap : l.processes[2].snapshots)
    if (snap.term == 2) snap.leader = 2;
  const Analysis a = testing::analyse_synthetic({s, l});
  REQUIRE(a.runs.back().leader_changes.size() == 1);
  CHECK(!a.runs.back().leader_changes[0].leader.has_value());
  CHECK(a.finding_text.find("term 2 at 1.2 s (no leader known)") != std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(render_summary_json(a));
  CHECK(j["runs"][1]["leader_changes"][0]["leader"].is_null());
  CHECK(j["runs"][1]["leader_changes"][0]["term"] == 2);
}

TEST_CASE("metrics: allocation rate and per-op figures from cumulative counters") {
  Run r = synthetic_run("s", 10000, 5000, 0, {0.0}, 5);
  ProcessMetrics m = process_metrics(r.processes[1]);
  CHECK(m.has_cum);
  CHECK(m.bytes_per_op == doctest::Approx(500));
  CHECK(m.allocs_per_op == doctest::Approx(4));
  CHECK(m.alloc_bytes_per_s == doctest::Approx(500.0 * 10000 / 2.0));
  CHECK(m.alloc_rate_series.size() == 20);
  CHECK(m.rss_minus_allocated == 3000000);
}

}  // namespace
}  // namespace hd::analysis
