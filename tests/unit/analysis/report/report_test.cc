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
#include "analysis/metrics/cpu_share.h"
#include "analysis/metrics/metrics.h"
#include "unit/analysis/synthetic_runs.h"

namespace hd::analysis {
namespace {

const std::string kRuns = std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/runs/";
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
  CHECK(!a.finding.memory_blamed());    // throughput did not fall between these lengths
  REQUIRE(!a.finding.memory.growing.empty());
  CHECK(a.finding.memory.growing[0].process == "replica0");
  REQUIRE(a.finding.memory.growing[0].top_site.has_value());
  CHECK(a.finding.memory.growing[0].top_site->function.find("ReplicatedLog::append") !=
        std::string::npos);
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
  CHECK(!a.finding.memory_blamed());
  CHECK(a.finding.cause != Cause::kMemory);
}

TEST_CASE("report files: summary.json schema, finding first, charts inline") {
  Analysis a = analyse_golden({"history-2k", "history-10k"});
  const std::string out = (std::filesystem::temp_directory_path() / "hd_report_test").string();
  std::filesystem::remove_all(out);
  REQUIRE(write_report(a, out).is_ok());
  std::ifstream jf(out + "/summary.json");
  nlohmann::json j = nlohmann::json::parse(jf);
  CHECK(j["schema"] == "heapdrift.report/1");
  CHECK(j["finding"]["text"] == a.finding_text);
  CHECK(j["finding"]["cause"] == std::string(cause_name(a.finding.cause)));
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

TEST_CASE("report_runs: returns the Analysis it wrote; errors name the folder") {
  const std::string out = (std::filesystem::temp_directory_path() / "hd_report_runs_test").string();
  std::filesystem::remove_all(out);
  Result<Analysis> a = report_runs({kRuns + "normal-2k", kRuns + "normal-10k"}, out, false);
  REQUIRE(a.is_ok());
  CHECK(a->runs.size() == 2);
  std::ifstream jf(out + "/summary.json");
  const nlohmann::json j = nlohmann::json::parse(jf);
  CHECK(j["finding"]["text"] == a->finding_text);
  CHECK(j["finding"]["cause"] == std::string(cause_name(a->finding.cause)));
  CHECK(j["lengths"].size() == a->lengths.size());
  std::filesystem::remove_all(out);
  Result<Analysis> missing = report_runs({kRuns + "no-such-run"}, out, false);
  REQUIRE(!missing.is_ok());
  CHECK(missing.status().message().find("no-such-run") != std::string::npos);
  CHECK(!run_report({kRuns + "no-such-run"}, out, false).is_ok());
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
