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

std::vector<SitePoint> series(std::initializer_list<int64_t> bytes) {
  std::vector<SitePoint> v;
  int64_t ops = 0;
  for (int64_t b : bytes) v.push_back({ops += 1000, b, b / 100});
  return v;
}

TEST_CASE("classify_site: accumulates / saturating / churn / constant thresholds") {
  LinearFit fit;
  // Linear growth of 100 B/op.
  CHECK(classify_site(series({100000, 200000, 300000, 400000, 500000}), std::nullopt, 4096, &fit) ==
        Verdict::kAccumulates);
  CHECK(fit.slope == doctest::Approx(100));
  // Fast then flat: the late slope is < half the early one.
  CHECK(classify_site(series({0, 200000, 300000, 330000, 340000, 345000}), std::nullopt, 4096,
                      nullptr) == Verdict::kSaturating);
  // Flat in-use, large turnover.
  CHECK(classify_site(series({50000, 50000, 50000}), 5000000, 4096, nullptr) == Verdict::kChurn);
  // Flat, small turnover; or no cumulative data at all.
  CHECK(classify_site(series({50000, 50000, 50000}), 60000, 4096, nullptr) == Verdict::kConstant);
  CHECK(classify_site(series({50000, 50000, 50000}), std::nullopt, 4096, nullptr) ==
        Verdict::kConstant);
  // Growth below the 32 KiB floor is noise.
  CHECK(classify_site(series({1000, 11000, 21000, 31000}), std::nullopt, 0, nullptr) ==
        Verdict::kConstant);
  // ... and below 4 sample periods when sampling is coarse (512 KiB).
  CHECK(classify_site(series({0, 500000, 1000000, 1500000}), std::nullopt, 524288, nullptr) ==
        Verdict::kConstant);
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
