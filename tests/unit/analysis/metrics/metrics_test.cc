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
  CHECK(c.why.find("sample more densely (lgProfSample below 19") != std::string::npos);
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

TEST_CASE("leadership: the boot election is not a leader change, however the replicas boot") {
  // The replicas boot in term 0 with no leader and elect replica0 in term 1
  // (the leader named one snapshot later). Counted as "term 1 at -0.0 s" in
  // 9 of 22 runs once: the boot term was the first snapshot's term.
  const std::vector<std::pair<int64_t, int64_t>> boot = {{0, 3}, {0, 3}, {1, 3}, {1, 0}};
  Run r = synthetic_run("r", 10000, 7000, 0, {0.05, 0.05}, 13);
  testing::set_replica_gauges(&r, boot, {0, 0, 0});
  CHECK(testing::analyse_synthetic({r}).runs[0].leader_changes.empty());
  // Replicas starting at different times: replica2 starts 250 ms late, when
  // the others already know the leader, and learns it itself later in term 1.
  r = synthetic_run("r", 10000, 7000, 0, {0.05, 0.05}, 13);
  testing::set_replica_gauges(&r, boot, {0, 0, 250});
  for (Snapshot& snap : r.processes[3].snapshots)
    if (snap.seq < 3) {
      snap.term = 1;  // it joins in term 1 and hears the leader at its 4th line
      snap.leader = 3;
    }
  CHECK(testing::analyse_synthetic({r}).runs[0].leader_changes.empty());
  // A split vote at boot (term 1 elects no one, term 2 elects replica1): the
  // boot leader is the first leader named, not the first term.
  r = synthetic_run("r", 10000, 7000, 0, {0.05, 0.05}, 13);
  testing::set_replica_gauges(&r, {{0, 3}, {1, 3}, {1, 3}, {2, 3}, {2, 1}}, {0, 0, 0});
  CHECK(testing::analyse_synthetic({r}).runs[0].leader_changes.empty());
  // ... while a real change after the boot election is one, and only it.
  r = synthetic_run("r", 10000, 7000, 0, {0.05, 0.05}, 13);
  std::vector<std::pair<int64_t, int64_t>> kill = boot;
  kill.resize(12, {1, 0});
  kill.push_back({2, 3});
  kill.push_back({2, 2});
  testing::set_replica_gauges(&r, kill, {0, 0, 0});
  const Analysis a = testing::analyse_synthetic({r});
  REQUIRE(a.runs[0].leader_changes.size() == 1);
  CHECK(a.runs[0].leader_changes[0].term == 2);
  CHECK(a.runs[0].leader_changes[0].leader == 2);
  CHECK(a.runs[0].leader_changes[0].t_s == doctest::Approx(1.2));
}

TEST_CASE("leadership: times are from the load's start and never negative") {
  // The loadgen's first second is 1000 s; the replicas start 1.9 s earlier
  // and elect at boot (t = -1.7 s), then a second election begins at -0.2 s
  // (term 2, no leader yet when the load starts) and ends after it.
  Run r = synthetic_run("r", 10000, 7000, 0, {0.05, 0.05}, 13);
  std::map<int64_t, loadgen::SecondStats> series;
  for (const auto& [sec, e] : r.processes[0].result->series) series[sec + 1000] = e;
  r.processes[0].result->series = series;
  r.processes[0].result->start_unix_us = 1000 * 1000000LL;
  r.processes[0].result->end_unix_us += 1000 * 1000000LL;
  std::vector<std::pair<int64_t, int64_t>> g = {{0, 3}, {0, 3}, {1, 0}};
  g.resize(17, {1, 0});
  g.push_back({2, 3});  // seq 17: t = 1.7 s after the replicas' start = -0.2 s
  g.resize(20, {2, 3});
  g.push_back({2, 1});  // seq 20: +0.1 s
  testing::set_replica_gauges(&r, g, {0, 0, 0}, 1000 * 1000 - 1900);
  const Analysis a = testing::analyse_synthetic({r});
  REQUIRE(a.runs[0].leader_changes.size() == 1);
  const LeaderChange& c = a.runs[0].leader_changes[0];
  CHECK(c.term == 2);
  CHECK(c.leader == 1);
  CHECK(c.t_s == 0);  // begun before the load: said at its start, not at -0.2 s
  CHECK(a.finding_text.find("term 2 at 0.0 s (replica1 leads)") != std::string::npos);
  CHECK(a.finding_text.find("at -") == std::string::npos);
  // Had the second election ended before the load, its leader would be the
  // boot leader: nothing changed during the run.
  g[18] = {2, 1};
  testing::set_replica_gauges(&r, g, {0, 0, 0}, 1000 * 1000 - 1900);
  CHECK(testing::analyse_synthetic({r}).runs[0].leader_changes.empty());
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

TEST_CASE("metrics: recording's own CPU share from the last line that has it") {
  Run r = synthetic_run("s", 10000, 5000, 0, {0.0}, 5);
  ProcessRun& p = r.processes[1];
  CHECK_FALSE(process_metrics(p).recorder_share.has_value());  // folders before the field
  // 40 ms of recorder CPU out of the process's 800 ms at the last line that
  // has it; the end line (written by the stopping thread) has none.
  REQUIRE(p.snapshots.size() >= 3);
  for (Snapshot& s : p.snapshots) {
    s.utime_us = 600000;
    s.stime_us = 200000;
    s.recorder_cpu_us = 10000;
  }
  p.snapshots[p.snapshots.size() - 2].recorder_cpu_us = 40000;
  p.snapshots.back().recorder_cpu_us.reset();
  const std::optional<double> share = process_metrics(p).recorder_share;
  REQUIRE(share.has_value());
  CHECK(*share == doctest::Approx(0.05));
  // Reported as the per-run table's column and in summary.json.
  const Analysis a = testing::analyse_synthetic({r});
  const nlohmann::json j = nlohmann::json::parse(render_summary_json(a));
  bool found = false;
  for (const auto& run : j.at("runs"))
    for (const auto& proc : run.at("processes"))
      if (proc.at("name") == p.name) {
        found = true;
        CHECK(proc.at("recorder_cpu_share").get<double>() == doctest::Approx(0.05));
      }
  CHECK(found);
}

}  // namespace
}  // namespace hd::analysis

namespace hd::analysis {
namespace {

// Two loadgens at 1000 and 2000 ops/s whose snapshots fall at different
// times: the summed rate is 3000 ops/s between any two of them.
TEST_CASE("throughput_from_snapshots: loadgens' op counts interpolated onto one timeline") {
  RunMetrics r;
  for (int c = 0; c < 2; ++c) {
    ProcessMetrics p;
    p.name = "client" + std::to_string(c);
    p.program = "loadgen";
    p.start_unix_ms = 1'000'000 + 50 * c;  // client1's snapshots are 50 ms later
    for (int k = 0; k <= 10; ++k)
      p.heap.push_back({0.1 * k, static_cast<int64_t>((c + 1) * 100 * k + 1), 0, 0, 0, 0});
    r.processes.push_back(p);
  }
  ProcessMetrics replica;  // not a loadgen: its ops are not the run's
  replica.program = "replica";
  replica.heap.push_back({0, 5, 0, 0, 0, 0});
  replica.heap.push_back({1, 50000, 0, 0, 0, 0});
  r.processes.push_back(replica);
  const auto pts = throughput_from_snapshots(r);
  REQUIRE(pts.size() >= 15);  // 22 snapshot times, a few intervals at the edges differ
  size_t interior = 0;
  for (const auto& [t, rate] : pts)
    if (t > 1000.06 && t < 1000.99) {
      ++interior;
      CHECK(rate == doctest::Approx(3000).epsilon(0.01));
    }
  CHECK(interior >= 15);
  RunMetrics none;
  CHECK(throughput_from_snapshots(none).empty());
}

}  // namespace
}  // namespace hd::analysis
