// The finding for programs without an op count and for memory outside the
// allocator (issue 14, parts 1-2): never "flat" when the allocator's
// counters grew over time or RSS grew outside them; rates said per second,
// the growing site named, the tools that can attribute outside memory named.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "analysis/finding/finding.h"
#include "analysis/metrics/metrics.h"

namespace hd::analysis {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// A program recorded every 100 ms for 2 s with no op count.
ProcessRun timed(double allocated_per_s, double rss_per_s) {
  ProcessRun p;
  p.name = "prog";
  p.program = "run";
  for (int i = 0; i <= 20; ++i) {
    Snapshot s;
    s.seq = i;
    s.t_ms = 100.0 * i;
    const double t = s.t_ms / 1000.0;
    const int64_t wobble = (i % 2) ? 2000 : -2000;
    s.allocated = static_cast<int64_t>(130 * 1024 + allocated_per_s * t) + wobble;
    s.mapped = static_cast<int64_t>(kMiB + allocated_per_s * t);
    s.rss_bytes = static_cast<int64_t>(100 * kMiB + rss_per_s * t) + wobble;
    s.utime_us = 10000 * i;
    p.snapshots.push_back(s);
  }
  return p;
}

Finding finding_of(const ProcessRun& p, std::vector<SiteSeries> sites = {}) {
  Run run;
  run.name = "long";
  run.processes.push_back(p);
  std::vector<Run> runs{run};
  group_runs(runs);
  std::vector<RunMetrics> rm{run_metrics(runs[0])};
  rm[0].processes[0].sites = std::move(sites);
  return decide_finding(rm, length_rows(rm));
}

// A site accumulating `slope` bytes per second over 9 profiles, 2 s.
SiteSeries accumulating(const std::string& function, double slope) {
  SiteSeries s;
  s.key = function;
  s.function = function;
  s.verdict = Verdict::kAccumulates;
  s.growth.axis = Axis::kSeconds;
  s.growth.fit.slope = slope;
  s.growth.fit.n = 9;
  s.growth.half95 = 100000;
  s.growth.span_ops = 2;
  s.points.resize(9);
  return s;
}

TEST_CASE("finding: heapdrift's own allocation is never named as the program's growing site") {
  // The recorder's CPU profiler buffer (Site::recorder) grows fastest here;
  // the finding must name the program's site, and with only the recorder's,
  // none.
  SiteSeries own = accumulating("ProfileData::Start()", 9e6);
  own.key = "[heapdrift] ProfileData::Start()";
  own.recorder = true;
  const SiteSeries program = accumulating("keep_block()", 3276800);
  Finding f = finding_of(timed(3 * kMiB, 3 * kMiB), {own, program});
  REQUIRE(f.memory.heap_grows());
  REQUIRE(f.memory.growing[0].top_site);
  CHECK(f.memory.growing[0].top_site->function == "keep_block()");
  f = finding_of(timed(3 * kMiB, 3 * kMiB), {own});
  REQUIRE(f.memory.heap_grows());
  CHECK_FALSE(f.memory.growing[0].top_site);
  CHECK(render_finding(f).find("ProfileData") == std::string::npos);
}

TEST_CASE("finding, time axis: a heap growing over time is growing, its site named per second") {
  SiteSeries s = accumulating("keep_block()", 3276800);
  s.file = "/src/tests/programs/timed_leak.cc";
  s.line = 27;
  const Finding f = finding_of(timed(3 * kMiB, 3 * kMiB), {s});
  REQUIRE(f.memory.heap_grows());
  CHECK(f.memory.growing[0].axis == Axis::kSeconds);
  REQUIRE(f.memory.growing[0].top_site);
  CHECK(f.memory.growing[0].top_site->function == "keep_block()");
  CHECK(f.memory.outside.empty());  // the allocator holds this growth
  const std::string text = render_finding(f);
  CHECK(text.find("flat") == std::string::npos);
  CHECK(text.find("not the cause") == std::string::npos);
  CHECK(text.find("B/s") != std::string::npos);
  CHECK(text.find("B/op") == std::string::npos);
  CHECK(text.find("keep_block() (tests/programs/timed_leak.cc:27) at 3276800 B/s") !=
        std::string::npos);
}

TEST_CASE("finding: memory outside the allocator is said with its rate and the tools, never flat") {
  // The Go replica: RSS up ~4 MiB/s, allocator counters ~130 KiB.
  const Finding f = finding_of(timed(0, 4 * kMiB));
  CHECK_FALSE(f.memory.heap_grows());
  REQUIRE(f.memory.outside.size() == 1);
  CHECK(f.memory.outside[0].fit.slope == doctest::Approx(4 * kMiB).epsilon(0.01));
  CHECK(f.memory.fragmenting.empty());
  const std::string text = render_finding(f);
  INFO(text);
  CHECK(text.find("outside the allocator") != std::string::npos);
  CHECK(text.find("4194304 B/s") != std::string::npos);
  CHECK(text.find("cannot attribute") != std::string::npos);
  CHECK(text.find("pprof") != std::string::npos);
  CHECK(text.find("smaps") != std::string::npos);
  CHECK(text.find("flat") == std::string::npos);
  CHECK(text.find("not the cause") == std::string::npos);
  CHECK(text.find("ragmentation") == std::string::npos);
}

TEST_CASE("finding, time axis: flat memory is flat over time, said per second") {
  const Finding f = finding_of(timed(0, 0));
  CHECK_FALSE(f.memory.heap_grows());
  CHECK(f.memory.outside.empty());
  const std::string text = render_finding(f);
  CHECK(text.find("flat: no process's allocated bytes grow significantly over time") !=
        std::string::npos);
  CHECK(text.find("B/s") != std::string::npos);
  CHECK(text.find("outside the allocator") == std::string::npos);
}

}  // namespace
}  // namespace hd::analysis
