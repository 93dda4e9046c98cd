// Known answers: golden run folders recorded with a plant (replica --plant,
// loadgen --plant; tests/data/runs/gen/known_answers.sh) must make the report
// name what was planted, with the planted number, and clean runs must not.
// docs/report.md "Plants" and "Golden data".
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "analysis/finding/finding.h"
#include "analysis/report/report.h"

namespace hd::analysis {
namespace {

const std::string kRuns = std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/runs/";

Analysis analyse_runs(std::initializer_list<const char*> names) {
  std::vector<Run> runs;
  for (const char* n : names) {
    Result<Run> r = load_run(kRuns + n);
    REQUIRE_MESSAGE(r.is_ok(), n);
    runs.push_back(std::move(*r));
  }
  group_runs(runs);
  Result<Analysis> a = analyse(runs, AnalyseOptions{});
  REQUIRE_MESSAGE(a.is_ok(), (a.is_ok() ? "" : a.status().message()));
  return *a;
}

const ProcessMetrics* find_proc(const RunMetrics& r, const std::string& name) {
  for (const ProcessMetrics& p : r.processes)
    if (p.name == name) return &p;
  return nullptr;
}

// Whether the finding names a growing heap whose top accumulating site is in
// a function containing function_part.
bool finding_names_site(const Finding& f, const std::string& function_part) {
  for (const GrowingHeap& g : f.memory.growing)
    if (g.top_site && g.top_site->function.find(function_part) != std::string::npos) return true;
  return false;
}

const SiteSeries* find_site(const ProcessMetrics& p, const std::string& function_part) {
  const SiteSeries* best = nullptr;
  for (const SiteSeries& s : p.sites)
    if (s.function.find(function_part) != std::string::npos &&
        (!best || s.growth.slope() > best->growth.slope()))
      best = &s;
  return best;
}

// The leak plant's true slope is BYTES per op of the replica's own op
// counter, read back from the plant recorded in meta.json ("leak:256").
//
// Sampling bound: the runs use lg_prof_sample:12, a mean of R = 4096 bytes
// between samples. A 256-byte block is sampled with p = 1 - exp(-256/R)
// = 0.0606 and weighs 256/p when unsampled, so the estimate at N ops rests
// on a Poisson count of about N*p samples: relative SD 1/sqrt(N*p). At the
// last milestone (8000 ops) that is 485 samples, SD 4.5 %; the fitted slope
// is dominated by the late milestones, so its error is about the same, and
// 20 % is ~4.4 SD (a re-recording fails by chance with p < 1e-4). The 2k run
// (2000 ops, 121 samples, SD 9 %) is only asked for the verdict.
TEST_CASE("known answer: leak:BYTES -> the planted function accumulates at BYTES/op (+-20%)") {
  Analysis a = analyse_runs({"leak-2k", "leak-10k"});
  REQUIRE(a.runs.size() == 2);
  for (const RunMetrics& run : a.runs) {
    const ProcessMetrics* r0 = find_proc(run, "replica0");
    REQUIRE(r0 != nullptr);
    REQUIRE(r0->plant.rfind("leak:", 0) == 0);
    const double truth = std::stod(r0->plant.substr(5));
    const SiteSeries* leak = find_site(*r0, "MemoryPlant::leak_plant_accumulate");
    REQUIRE_MESSAGE(leak != nullptr, run.name);
    CHECK_MESSAGE(leak->verdict == Verdict::kAccumulates, run.name);
    CHECK(leak->file.find("replica/core/plants.cc") != std::string::npos);
    if (&run == &a.runs.back()) {
      INFO(run.name << " slope " << leak->growth.slope() << " B/op vs " << truth);
      CHECK(std::fabs(leak->growth.slope() - truth) <= 0.2 * truth);
      CHECK(leak->points.size() >= 8);
    }
  }
  CHECK(finding_names_site(a.finding, "leak_plant_accumulate"));
  CHECK(a.finding_text.find("leak_plant_accumulate") != std::string::npos);  // and says it
}

TEST_CASE("known answer: loadgen --plant cache -> the session cache accumulates; bounded: not") {
  Analysis a = analyse_runs({"cache-2k", "cache-10k"});
  int clients = 0;
  for (const ProcessMetrics& p : a.runs.back().processes) {
    if (p.program != "loadgen") continue;
    ++clients;
    CHECK(p.plant == "cache");
    const SiteSeries* cache = find_site(p, "SessionCore::Impl::cache_put");
    REQUIRE_MESSAGE(cache != nullptr, p.name);
    CHECK_MESSAGE(cache->verdict == Verdict::kAccumulates, p.name);
    CHECK(cache->growth.lo() > 0);
  }
  CHECK(clients == 2);
  CHECK(finding_names_site(a.finding, "cache_put"));

  // Same workload and cache bound (512 entries a session), no plant.
  Analysis b = analyse_runs({"cache-bounded-10k"});
  for (const ProcessMetrics& p : b.runs.back().processes) {
    CHECK(p.plant == "none");
    for (const SiteSeries& s : p.sites)
      if (s.function.find("cache_put") != std::string::npos)
        CHECK_MESSAGE(s.verdict != Verdict::kAccumulates, p.name << " " << s.key);
  }
}

TEST_CASE("known answer: fragment -> RSS - allocated grows, allocated flat, the finding says so") {
  Analysis a = analyse_runs({"fragment-2k", "fragment-10k"});
  const ProcessMetrics* r0 = find_proc(a.runs.back(), "replica0");
  REQUIRE(r0 != nullptr);
  CHECK(r0->plant == "fragment");
  CHECK(!r0->heap_growing);
  CHECK(r0->fragmenting);
  CHECK(r0->end_gap - r0->start_gap >= 1024 * 1024);
  REQUIRE(r0->active_gap_growth.has_value());
  CHECK(*r0->active_gap_growth >= 1024 * 1024);
  const Fragmentation* frag = nullptr;
  for (const Fragmentation& f : a.finding.memory.fragmenting)
    if (f.process == "replica0") frag = &f;
  REQUIRE(frag != nullptr);
  CHECK(frag->end_gap - frag->start_gap >= 1024 * 1024);
  CHECK(frag->gap_per_op > 0);
  CHECK(!a.finding.memory.heap_grows());
  CHECK(!a.finding.memory_blamed());
  CHECK(a.finding_text.find("Fragmentation: replica0's RSS − allocated grew") != std::string::npos);

  // summary.json carries the same facts for tools (docs/report.md schema).
  const std::string out = (std::filesystem::temp_directory_path() / "hd_fragment_report").string();
  std::filesystem::remove_all(out);
  REQUIRE(write_report(a, out).is_ok());
  std::ifstream jf(out + "/summary.json");
  const nlohmann::json j = nlohmann::json::parse(jf);
  bool seen = false;
  for (const auto& p : j["runs"].back()["processes"]) {
    if (p["name"] != "replica0") continue;
    seen = true;
    CHECK(p["fragmenting"] == true);
    CHECK(p["gap_end_bytes"].get<int64_t>() - p["gap_start_bytes"].get<int64_t>() >= 1024 * 1024);
    CHECK(p["gap_growth"]["slope"].get<double>() > 0);
    CHECK(p["active_gap_growth_bytes"].get<int64_t>() >= 1024 * 1024);
  }
  CHECK(seen);
  std::filesystem::remove_all(out);
}

TEST_CASE("no false fragmentation: clean, history and leak runs") {
  for (auto names : {std::initializer_list<const char*>{"normal-2k", "normal-10k"},
                     std::initializer_list<const char*>{"history-2k", "history-10k"},
                     std::initializer_list<const char*>{"leak-2k", "leak-10k"}}) {
    Analysis a = analyse_runs(names);
    for (const RunMetrics& r : a.runs)
      for (const ProcessMetrics& p : r.processes)
        CHECK_MESSAGE(!p.fragmenting, r.name << "/" << p.name);
    CHECK(a.finding.memory.fragmenting.empty());
  }
}

TEST_CASE("known answer: slowpath -> the finding names the slow path, not memory") {
  Analysis a = analyse_runs({"slowpath-2k", "slowpath-10k"});
  const ProcessMetrics* r0 = find_proc(a.runs.back(), "replica0");
  REQUIRE(r0 != nullptr);
  CHECK(r0->plant == "slowpath:3000");
  CHECK(a.runs.front().slow_fraction < 0.15);  // the 2k run never reaches 3000 ops
  CHECK(a.runs.back().slow_fraction > 0.5);
  CHECK(a.finding.cause == Cause::kSlowPath);
  CHECK(!a.finding.memory_blamed());
  CHECK(a.finding.tput_change_pct() < -10);
  REQUIRE(a.finding.slow_path.has_value());
  CHECK(a.finding.slow_path->short_fraction < 0.15);
  CHECK(a.finding.slow_path->long_fraction > 0.5);
}

}  // namespace
}  // namespace hd::analysis

namespace hd::analysis {
namespace {

// Twins: the clients run one workload, the followers one role. Their site
// verdicts may differ in how much they can tell (`too few samples`), never
// in what they claim: no site grows in one twin and is flat in another.
TEST_CASE("known answer: twins agree (no pooled site's members contradict each other)") {
  size_t pooled_with_twins = 0;
  for (auto names : {std::initializer_list<const char*>{"normal-2k", "normal-10k"},
                     std::initializer_list<const char*>{"history-2k", "history-10k"},
                     std::initializer_list<const char*>{"cache-2k", "cache-10k"}}) {
    const Analysis a = analyse_runs(names);
    for (const PooledSite& ps : a.pooled_sites) {
      if (ps.members.size() < 2) continue;
      ++pooled_with_twins;
      std::string verdicts;
      for (Verdict v : ps.member_verdicts) verdicts += std::string(verdict_name(v)) + "; ";
      INFO(ps.length_ops << " " << ps.role << " " << ps.function << ": " << verdicts);
      CHECK_FALSE(ps.disagree);
      // The pooled verdict never claims what no member could decide against.
      if (is_growing(ps.verdict))
        for (Verdict v : ps.member_verdicts) CHECK((is_growing(v) || v == Verdict::kTooFewSamples));
    }
  }
  CHECK(pooled_with_twins > 20);  // the golden sets do have twins to compare
}

}  // namespace
}  // namespace hd::analysis
