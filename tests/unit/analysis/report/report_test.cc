// Metrics, verdicts and the finding on synthetic series with known answers,
// and golden tests of `heapdrift report` / `diff` on the committed run
// folders (tests/data/runs: a clean cluster and a --plant retain-history one).
#include "analysis/report/report.h"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "analysis/diff/diff.h"
#include "analysis/metrics/metrics.h"

namespace hd::analysis {
namespace {

const std::string kRuns = std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/runs/";

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

// A synthetic run: one replica whose allocated heap grows heap_b_per_op, and
// one loadgen whose per-second series has the given slow-path shares.
Run synthetic_run(const std::string& name, int64_t ops, double tput, double heap_b_per_op,
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
  LoadgenResult r;
  r.ops = ops;
  r.duration_s = static_cast<double>(ops) / tput;
  r.throughput_ops_s = tput;
  r.start_unix_ms = 0;
  r.end_unix_ms = static_cast<int64_t>(r.duration_s * 1000);
  r.strong.p50_ms = 4;
  r.strong.p99_ms = strong_p99_ms;
  r.strong.count = ops / 2;
  // The report's percentiles come from the histograms: 98 % at 4 ms, the
  // rest at strong_p99_ms.
  for (int64_t i = 0; i < r.strong.count; ++i)
    r.strong_latency.record(
        i * 50 < r.strong.count * 49 ? 4000000 : static_cast<uint64_t>(strong_p99_ms * 1e6));
  const double mean_slow = [&] {
    double s = 0;
    for (double x : slow_shares) s += x;
    return s / static_cast<double>(slow_shares.size());
  }();
  r.strong.slow_path = static_cast<int64_t>(mean_slow * static_cast<double>(ops / 2));
  r.strong.fast_path = ops / 2 - r.strong.slow_path;
  int64_t sec = 0;
  for (double share : slow_shares) {
    TputSecond t;
    t.unix_s = sec++;
    t.ops = static_cast<int64_t>(tput * (1 - 0.7 * share));
    t.slow_path = static_cast<int64_t>(share * 1000);
    t.fast_path = 1000 - t.slow_path;
    r.tput_series.push_back(t);
  }
  lg.result = r;
  lg.snapshots = rep.snapshots;
  for (Snapshot& s : lg.snapshots) s.allocated = 2000000;
  run.processes = {lg, rep};
  return run;
}

Analysis analyse_synthetic(std::vector<Run> runs) {
  group_runs(runs);
  AnalyseOptions o;
  o.sites = false;
  Result<Analysis> a = analyse(runs, o);
  REQUIRE(a.is_ok());
  return *a;
}

TEST_CASE("finding: a fast-path collapse with a flat heap names the slow path, not memory") {
  Analysis a =
      analyse_synthetic({synthetic_run("short", 10000, 18000, 0, {0.05, 0.05, 0.05}, 13),
                         synthetic_run("long", 100000, 6500, 0,
                                       {0.05, 0.05, 0.1, 0.6, 0.9, 0.95, 0.95, 0.95, 0.95}, 2000)});
  CHECK(a.finding.cause == "slow-path");
  CHECK(!a.finding.memory_blamed);
  CHECK(a.finding.tput_change_pct == doctest::Approx(-63.9).epsilon(0.01));
  CHECK(a.finding.text.find("fast path collapsed") != std::string::npos);
  CHECK(a.finding.text.find("2000 ms") != std::string::npos);  // the timer-valued p99
  CHECK(a.finding.text.find("heap is flat") != std::string::npos);
  CHECK(!a.runs.back().processes[1].heap_growing);
}

TEST_CASE("finding: a growing heap alongside a slow-path collapse is reported but not blamed") {
  Analysis a = analyse_synthetic(
      {synthetic_run("short", 10000, 18000, 3400, {0.05, 0.05, 0.05}, 13),
       synthetic_run("long", 100000, 6500, 3400, {0.05, 0.3, 0.9, 0.95, 0.95, 0.95}, 30)});
  CHECK(a.finding.cause == "slow-path");
  CHECK(!a.finding.memory_blamed);
  const ProcessMetrics& rep = a.runs.back().processes[1];
  CHECK(rep.heap_growing);
  CHECK(rep.heap_fit.slope == doctest::Approx(3400).epsilon(0.01));
  CHECK(rep.heap_fit.lo() > 3300);
  CHECK(a.finding.text.find("Memory does grow: replica0") != std::string::npos);
}

TEST_CASE("finding: no throughput loss -> nothing blamed; no signal + costly growth -> memory") {
  Analysis a = analyse_synthetic({synthetic_run("s", 10000, 7000, 0, {0.05, 0.05}, 13),
                                  synthetic_run("l", 100000, 7100, 0, {0.05, 0.05, 0.05}, 13)});
  CHECK(a.finding.cause == "none");
  CHECK(!a.finding.memory_blamed);
  // Growth whose allocation per op doubles with length, nothing else moving.
  Run s = synthetic_run("s", 10000, 18000, 3400, {0.05, 0.05}, 13);
  Run l = synthetic_run("l", 100000, 6500, 3400, {0.05, 0.05, 0.05}, 13);
  for (Snapshot& snap : l.processes[1].snapshots) snap.cum_alloc_bytes = snap.ops * 1000;
  a = analyse_synthetic({s, l});
  CHECK(a.finding.cause == "memory");
  CHECK(a.finding.memory_blamed);
  // The same without the rise in bytes/op: growth alone is not blamed.
  l = synthetic_run("l", 100000, 6500, 3400, {0.05, 0.05, 0.05}, 13);
  a = analyse_synthetic({s, l});
  CHECK(a.finding.cause == "unknown");
  CHECK(!a.finding.memory_blamed);
}

// Adds replica1 to a synthetic run; from snapshot `elect_at` on (if any) it is
// in term 2, first knowing no leader (the gauge's replica-count value), one
// snapshot later led by itself. replica0 stays in term 1 (a deposed leader).
void add_election(Run* run, int elect_at) {
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

TEST_CASE("finding: leader changes in the long runs only -> failover, with when and who") {
  Run s = synthetic_run("s", 10000, 18000, 0, {0.05, 0.05}, 13);
  Run l = synthetic_run("l", 100000, 6500, 0, {0.05, 0.05, 0.05}, 13);
  add_election(&s, -1);
  add_election(&l, 12);
  l.processes[0].result->retries = 5000;  // what the election did to the clients
  Analysis a = analyse_synthetic({s, l});
  REQUIRE(a.runs.back().leader_changes.size() == 1);
  const LeaderChange& c = a.runs.back().leader_changes[0];
  CHECK(c.term == 2);
  CHECK(c.leader == 1);  // completed one snapshot after the term moved
  CHECK(c.t_s == doctest::Approx(1.2));
  CHECK(a.runs.front().leader_changes.empty());
  CHECK(a.finding.cause == "failover");
  CHECK(!a.finding.memory_blamed);
  CHECK(a.finding.text.find("The leader changed 1 time in the 100000-op run: term 2 at 1.2 s "
                            "(replica1 leads)") != std::string::npos);
  CHECK(a.finding.text.find("Retries and timeouts rose") != std::string::npos);  // also said

  // As many changes in the short runs: not the cause, still said.
  s = synthetic_run("s", 10000, 18000, 0, {0.05, 0.05}, 13);
  add_election(&s, 10);
  l = synthetic_run("l", 100000, 6500, 0, {0.05, 0.3, 0.9, 0.95, 0.95}, 13);
  add_election(&l, 12);
  a = analyse_synthetic({s, l});
  CHECK(a.finding.cause == "slow-path");
  CHECK(a.finding.text.find("The leader changed 1 time in the 10000-op run") != std::string::npos);

  // No leader change at all: no failover sentence.
  s = synthetic_run("s", 10000, 18000, 0, {0.05, 0.05}, 13);
  l = synthetic_run("l", 100000, 6500, 0, {0.05, 0.3, 0.9, 0.95, 0.95}, 13);
  add_election(&s, -1);
  add_election(&l, -1);
  a = analyse_synthetic({s, l});
  CHECK(a.runs.back().leader_changes.empty());
  CHECK(a.finding.text.find("leader changed") == std::string::npos);
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

Analysis analyse_golden(std::initializer_list<const char*> names) {
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

const ProcessMetrics& proc(const RunMetrics& r, const std::string& name) {
  for (const ProcessMetrics& p : r.processes)
    if (p.name == name) return p;
  FAIL("no process " << name);
  return r.processes.front();
}

TEST_CASE("golden: retain-history plant -> replica log append accumulates, slope CI excludes 0") {
  Analysis a = analyse_golden({"history-2k", "history-10k"});
  REQUIRE(a.runs.size() == 2);
  const ProcessMetrics& r0 = proc(a.runs.back(), "replica0");
  CHECK(r0.plant == "retain-history");
  CHECK(r0.heap_growing);
  CHECK(r0.heap_fit.lo() > 0);
  const SiteSeries* log_site = nullptr;
  for (const SiteSeries& s : r0.sites)
    if (s.verdict == Verdict::kAccumulates &&
        s.file.find("replica/core/replicated_log") != std::string::npos)
      log_site = &s;
  REQUIRE(log_site != nullptr);
  CHECK(log_site->function.find("ReplicatedLog::append") != std::string::npos);
  CHECK(log_site->fit.lo() > 0);
  CHECK(log_site->points.size() == 9);  // milestones; the post-shutdown end profile is left out
  CHECK(!a.finding.memory_blamed);      // throughput did not fall between these lengths
  CHECK(a.finding.text.find("replica0's live heap rises") != std::string::npos);
  CHECK(a.finding.text.find("ReplicatedLog::append") != std::string::npos);
}

TEST_CASE("golden: clean cluster -> replica heaps flat, no replica site accumulates, KV bounded") {
  Analysis a = analyse_golden({"normal-2k", "normal-10k"});
  const RunMetrics& longest = a.runs.back();
  bool saw_kv = false;
  for (const ProcessMetrics& p : longest.processes) {
    if (p.program != "replica") continue;
    CHECK_MESSAGE(!p.heap_growing, p.name);
    for (const SiteSeries& s : p.sites) {
      CHECK_MESSAGE(
          !(s.verdict == Verdict::kAccumulates && s.file.find("/replica/") != std::string::npos),
          p.name << " " << s.key);
      if (s.function.find("KvStore") != std::string::npos) {
        saw_kv = true;
        CHECK((s.verdict == Verdict::kSaturating || s.verdict == Verdict::kConstant));
      }
    }
  }
  CHECK(saw_kv);
  CHECK(!a.finding.memory_blamed);
  CHECK(a.finding.cause != "memory");
}

TEST_CASE("report files: summary.json schema, finding first, charts inline") {
  Analysis a = analyse_golden({"history-2k", "history-10k"});
  const std::string out = (std::filesystem::temp_directory_path() / "hd_report_test").string();
  std::filesystem::remove_all(out);
  REQUIRE(write_report(a, out).is_ok());
  std::ifstream jf(out + "/summary.json");
  nlohmann::json j = nlohmann::json::parse(jf);
  CHECK(j["schema"] == "heapdrift.report/1");
  CHECK(j["finding"]["text"] == a.finding.text);
  CHECK(j["lengths"].size() == 2);
  CHECK(j["lengths"][0].contains("throughput_mean_ops_s"));
  bool accumulates = false;
  for (const auto& p : j["runs"][1]["processes"])
    for (const auto& s : p["sites"]) {
      REQUIRE(s.contains("function"));
      REQUIRE(s.contains("file"));
      REQUIRE(s.contains("line"));
      REQUIRE(s.contains("slope_bytes_per_op"));
      if (s["verdict"] == "accumulates") accumulates = true;
    }
  CHECK(accumulates);
  std::stringstream html;
  html << std::ifstream(out + "/index.html").rdbuf();
  const std::string h = html.str();
  CHECK(h.find("id=\"finding\"") < h.find("<svg"));
  CHECK(h.find("<polyline class=\"series\"") != std::string::npos);
  CHECK(h.find("Live heap (allocated) vs ops") != std::string::npos);
  CHECK(h.find("http") == h.find("http://www.w3.org/2000/svg"));  // no external resources
  std::stringstream md;
  md << std::ifstream(out + "/summary.md").rdbuf();
  CHECK(md.str().find("## Finding") == md.str().find("##"));
}

TEST_CASE("diff: two runs of the plant rank the replica log first per op") {
  Result<DiffResult> d = diff_inputs(kRuns + "history-2k", kRuns + "history-10k");
  REQUIRE(d.is_ok());
  REQUIRE(!d->rows.empty());
  const DiffRow* log_row = nullptr;
  for (size_t i = 0; i < d->rows.size() && i < 5; ++i)
    if (d->rows[i].function.find("ReplicatedLog::append") != std::string::npos)
      log_row = &d->rows[i];
  REQUIRE(log_row != nullptr);
  CHECK(log_row->b_bytes > log_row->a_bytes);
  CHECK(log_row->growth_per_op > 0);
  const std::string text = diff_text(*d, 10);
  CHECK(text.find("ReplicatedLog::append") != std::string::npos);
  CHECK(nlohmann::json::parse(diff_json(*d))["rows"].size() == d->rows.size());
  // Two profiles of one process.
  d = diff_inputs(kRuns + "history-10k/replica0/profiles/heap.ops-000001000.heap",
                  kRuns + "history-10k/replica0/profiles/heap.ops-000008000.heap");
  REQUIRE(d.is_ok());
  CHECK(d->a_ops == 1000);
  CHECK(d->b_ops == 8000);
  CHECK(d->rows.front().b_bytes - d->rows.front().a_bytes > 100000);
}

}  // namespace
}  // namespace hd::analysis

namespace hd::analysis {
namespace {

TEST_CASE("allocator share: nullopt without cpu.prof; a fraction with one") {
  ProcessRun p;
  p.dir = std::filesystem::temp_directory_path().string();
  Result<std::optional<double>> none = cpu_allocator_share(p);
  REQUIRE(none.is_ok());
  CHECK(!none->has_value());
  p.cpu_profile = std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/profiles/gperf.cpu";
  Result<std::optional<double>> share = cpu_allocator_share(p);
  REQUIRE(share.is_ok());
  REQUIRE(share->has_value());
  CHECK(**share >= 0.0);
  CHECK(**share <= 1.0);
  p.cpu_profile = std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/profiles/jemalloc_exact.heap";
  CHECK(!cpu_allocator_share(p).is_ok());  // not a CPU profile: an error, not a number
}

}  // namespace
}  // namespace hd::analysis
