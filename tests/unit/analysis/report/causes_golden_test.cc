// Golden runs for the causes the report may name and the runs it may trust
// (tests/data/runs/gen/record.sh, recorded by causes.sh): the boot election
// is not a leader change, a kill in the short runs is not the long runs'
// failover, an interrupted run is left out (and alone is an error), and a
// run recorded by hand has its throughput. docs/report.md "The finding",
// "Run layout and grouping".
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "analysis/report/report.h"
#include "unit/analysis/runs_test_util.h"

namespace hd::analysis {
namespace {

using testing::analyse_golden;
using testing::kRuns;

const ProcessRun* find_process(const Run& r, const std::string& name) {
  for (const ProcessRun& p : r.processes)
    if (p.name == name) return &p;
  return nullptr;
}

// Whether a replica's recorded term moved before it served any op: the boot
// election is in the data (replicas start without the gauges, may show
// term 0 led by replica0 for a moment, then term 1).
bool boot_election_recorded(const Run& run) {
  for (const ProcessRun& p : run.processes) {
    std::optional<int64_t> first;
    for (const Snapshot& s : p.snapshots) {
      if (!s.term || s.ops > 0) continue;
      if (first && *s.term != *first) return true;
      first = s.term;
    }
  }
  return false;
}

TEST_CASE("golden: the boot election is not a leader change") {
  // kill-2k's replicas recorded their boot election (term 0, then term 1,
  // before any op); once counted as a change "term 1 at -0.0 s". boot-2k's
  // replicas went straight to term 1.
  Result<Run> run = load_run(kRuns + "kill-2k");
  REQUIRE(run.is_ok());
  REQUIRE_MESSAGE(boot_election_recorded(*run), "kill-2k no longer shows its boot election");
  const Analysis a = analyse_golden({"kill-2k"});
  REQUIRE(a.runs[0].leader_changes.size() == 1);  // the kill, below
  CHECK(a.runs[0].leader_changes[0].ops > 0);
  CHECK(a.runs[0].leader_changes[0].t_s > 0);
  const Analysis b = analyse_golden({"boot-2k"});
  CHECK(b.runs[0].leader_changes.empty());
  CHECK(b.finding_text.find("leader changed") == std::string::npos);
}

TEST_CASE("golden: a kill in the short run is counted there, and is not the long runs' failover") {
  // kill-2k and kill-10k: --kill-leader-at 1000, so both lengths lose their
  // boot leader once: one change each, the boot election in neither.
  const Analysis a = analyse_golden({"kill-2k", "kill-10k"});
  REQUIRE(a.runs.size() == 2);
  for (const RunMetrics& r : a.runs) {
    INFO(r.name);
    REQUIRE(r.leader_changes.size() == 1);
    CHECK(r.leader_changes[0].term >= 2);
    CHECK(r.leader_changes[0].t_s >= 0);
    CHECK(r.leader_changes[0].leader != 0);  // the killed replica leads no more
  }
  CHECK(!a.finding.failover.has_value());
  CHECK(a.finding.cause != Cause::kFailover);
  CHECK(a.finding_text.find("The leader changed 1 time in the " +
                            std::to_string(a.runs[0].length_ops) + "-op run") != std::string::npos);
  // The same kill in the long runs only: now it is more changes than short.
  const Analysis b = analyse_golden({"boot-2k", "kill-10k"});
  REQUIRE(b.finding.failover.has_value());
  CHECK(b.finding.failover->short_changes == 0);
  CHECK(b.finding.failover->long_changes == 1);
}

TEST_CASE("golden: the kill falls at the ops asked, not thousands later") {
  // The killed leader counted the client ops it handled until it died; its
  // last snapshot (20 ms cadence) was taken before the kill, so its op count
  // there is at most the ops at the kill. A kill polled from progress files
  // came thousands of ops late, and this count with it.
  Result<Run> run = load_run(kRuns + "kill-10k");
  REQUIRE(run.is_ok());
  const ProcessRun* killed = find_process(*run, "replica0");
  REQUIRE(killed != nullptr);
  CHECK(killed->snapshots.back().reason != "end");  // SIGKILL: no end snapshot
  const int64_t asked = 1000;
  CHECK(killed->snapshots.back().ops <= asked + asked / 2);
}

TEST_CASE("golden: an interrupted run is named and left out; alone, the report fails") {
  const std::string out =
      (std::filesystem::temp_directory_path() / "hd_causes_golden_interrupted").string();
  std::filesystem::remove_all(out);
  Result<Run> run = load_run(kRuns + "interrupted-10k");
  REQUIRE(run.is_ok());
  REQUIRE(run->failed.has_value());
  CHECK(*run->failed == "interrupted");
  Result<Analysis> a = report_runs({kRuns + "interrupted-10k", kRuns + "kill-2k"}, out, false);
  REQUIRE(a.is_ok());
  REQUIRE(a->runs.size() == 1);
  CHECK(a->runs[0].name == "kill-2k");
  CHECK(a->lengths.size() == 1);
  bool named = false;
  for (const std::string& w : a->warnings)
    named = named || (w.find("interrupted-10k") != std::string::npos &&
                      w.find("FAILED: interrupted") != std::string::npos);
  CHECK(named);
  std::ifstream jf(out + "/summary.json");
  const nlohmann::json j = nlohmann::json::parse(jf);
  CHECK(j["runs"].size() == 1);
  CHECK(j["warnings"].dump().find("interrupted-10k") != std::string::npos);
  const Status alone = run_report({kRuns + "interrupted-10k"}, out + "-alone", false);
  REQUIRE(!alone.is_ok());
  CHECK(alone.message().find("no usable run") != std::string::npos);
  CHECK(!std::filesystem::exists(out + "-alone/summary.json"));
  std::filesystem::remove_all(out);
}

TEST_CASE("golden: a run recorded by hand has its throughput, from microsecond windows") {
  const Analysis a = analyse_golden({"byhand-2k"});
  REQUIRE(a.runs.size() == 1);
  CHECK(a.runs[0].has_loadgen);
  Result<Run> run = load_run(kRuns + "byhand-2k");
  REQUIRE(run.is_ok());
  loadgen::RunStats merged;
  for (const char* c : {"client0", "client1"}) {
    const ProcessRun* p = find_process(*run, c);
    REQUIRE_MESSAGE(p != nullptr, c);
    REQUIRE_MESSAGE(p->result.has_value(), c << ": the loadgen wrote no result.json");
    merged.merge(*p->result);
  }
  REQUIRE(a.lengths.size() == 1);
  CHECK(a.lengths[0].tput_mean > 0);
  CHECK(a.lengths[0].tput_mean ==
        doctest::Approx(static_cast<double>(merged.ops()) / merged.duration_s()));
  // The window is in microseconds (result.json start_unix_us/end_unix_us).
  std::ifstream rf(kRuns + "byhand-2k/client0/result.json");
  const nlohmann::json r = nlohmann::json::parse(rf);
  CHECK(r.contains("start_unix_us"));
  CHECK(r.contains("end_unix_us"));
}

}  // namespace
}  // namespace hd::analysis
