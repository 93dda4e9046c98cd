// CPU-profile windows in the recorder (memprof/cpu_windows.h): where the
// windows start, joining window profiles into the whole-run cpu.prof, and
// the hardware-counter probe.
#include "memprof/cpu_windows.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "analysis/ingest/cpu_profile.h"

namespace hd::memprof {
namespace {

std::string read(const char* name) {
  std::ifstream in(std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/profiles/" + name,
                   std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("cpu windows: starts at 10, 30 and 80 % of the least count, none when short") {
  CHECK(cpu_window_bounds({100000, 200000}) == std::vector<uint64_t>{10000, 30000, 80000});
  CHECK(cpu_window_bounds({0, 0}).empty());
  CHECK(cpu_window_bounds({kMinOpsForCpuWindows - 1, 1000000}).empty());
}

TEST_CASE("cpu windows: joined profiles hold every sample once, one trailer, the last maps") {
  const std::string early = read("cpu_window_early.prof");
  const std::string late = read("cpu_window_late.prof");
  Result<std::string> joined = join_gperf_cpu_profiles({early, late});
  REQUIRE(joined.is_ok());
  Result<analysis::CpuProfile> p = analysis::parse_gperf_cpu(*joined, "joined");
  REQUIRE(p.is_ok());
  uint64_t samples = 0;
  for (const auto& s : p->samples) samples += s.count;
  CHECK(samples == 300);
  CHECK(p->samples.size() == 6);
  CHECK(p->period_us == 1000);
  REQUIRE(p->mappings.size() == 1);
  CHECK(p->mappings[0].path == "/fake/bin");
  // One profile joins to itself.
  Result<std::string> one = join_gperf_cpu_profiles({early});
  REQUIRE(one.is_ok());
  CHECK(*one == early);
}

TEST_CASE("cpu windows: a malformed window profile is named by its index") {
  const std::string early = read("cpu_window_early.prof");
  Result<std::string> r = join_gperf_cpu_profiles({early, "not a profile at all, no"});
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message().find("CPU profile 1 of 2") != std::string::npos);
  Result<std::string> cut = join_gperf_cpu_profiles({early.substr(0, 60)});
  REQUIRE_FALSE(cut.is_ok());
  CHECK_FALSE(join_gperf_cpu_profiles({}).is_ok());
}

TEST_CASE("hardware counters: available, or unavailable with the reason") {
  const HwCounterProbe p = probe_hw_counters();
  if (p.available) {
    CHECK(p.why.empty());
  } else {
    CHECK(p.why.find("perf_event_open") != std::string::npos);
  }
}

}  // namespace
}  // namespace hd::memprof
