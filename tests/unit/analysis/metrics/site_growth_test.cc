// Per-site growth series of the committed golden runs (analysis/metrics/
// site_growth.h through analyse()): the planted replica log accumulates with a
// slope CI above 0; a clean cluster's replica sites do not.
#include "analysis/metrics/site_growth.h"

#include <doctest/doctest.h>

#include <string>

#include "unit/analysis/runs_test_util.h"

namespace hd::analysis {
namespace {

using testing::analyse_golden;

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
  // allocated grows, but at lg_prof_sample 12 mostly by the 16 KiB extents
  // behind sampled blocks: net of them the process total is not significant,
  // and the accumulating site is the evidence (the finding says both).
  CHECK(r0.heap_fit.lo() > 0);
  CHECK(r0.sampling_overhead > 0.5 * r0.heap_fit.slope);
  const SiteSeries* log_site = nullptr;
  for (const SiteSeries& s : r0.sites)
    if (s.verdict == Verdict::kAccumulates &&
        s.file.find("replica/core/replicated_log") != std::string::npos)
      log_site = &s;
  REQUIRE(log_site != nullptr);
  CHECK(log_site->function.find("ReplicatedLog::append") != std::string::npos);
  CHECK(log_site->growth.lo() > 0);
  CHECK(log_site->points.size() == 9);  // milestones; the post-shutdown end profile is left out
  CHECK(!a.finding.memory_blamed());    // throughput did not fall between these lengths
  const GrowingHeap* g = nullptr;       // the finding names replica0's growth and its top site
  for (const GrowingHeap& h : a.finding.memory.growing)
    if (h.process == "replica0") g = &h;
  REQUIRE(g != nullptr);
  REQUIRE(g->top_site.has_value());
  CHECK(g->top_site->function.find("ReplicatedLog::append") != std::string::npos);
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

}  // namespace
}  // namespace hd::analysis
