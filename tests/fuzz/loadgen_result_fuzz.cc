// libFuzzer target for the loadgen result.json reader (analysis/runs over
// loadgen/stats' strict RunStats::from_json): any input gives a result or
// an error naming the source, never a crash; an accepted result's histograms
// merge and give ordered percentiles.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "analysis/metrics/latency.h"
#include "analysis/runs/run_folder.h"
#include "base/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hd::analysis;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  hd::Result<hd::loadgen::RunStats> r = parse_loadgen_result(text, "fuzz/result.json");
  if (!r.is_ok()) {
    HD_CHECK(r.status().message().starts_with("fuzz/result.json"));
    return 0;
  }
  MergedLatency m;
  m.add(*r);
  m.add(*r);
  HD_CHECK(m.strong_count() == 2 * r->strong().latency.count());
  const LatencyPercentiles p = m.percentiles();
  HD_CHECK(p.strong_p50_ms <= p.strong_p99_ms);
  HD_CHECK(p.weak_p50_ms <= p.weak_p99_ms);
  return 0;
}
