// The allocator share of a CPU profile (analysis/metrics/cpu_share.h).
#include "analysis/metrics/cpu_share.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

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
