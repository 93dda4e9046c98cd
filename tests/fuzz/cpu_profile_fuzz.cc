// libFuzzer target for the gperftools CPU profile parser (binary records plus
// the maps text). Any input must give a profile or an error naming the byte
// offset, never a crash; accepted profiles must encode to pprof.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "analysis/export/pprof.h"
#include "analysis/ingest/cpu_profile.h"
#include "base/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hd::analysis;
  using hd::Result;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Result<CpuProfile> p = parse_gperf_cpu(bytes, "fuzz.cpu");
  if (!p.is_ok()) {
    HD_CHECK(p.status().message().starts_with("fuzz.cpu"));
    return 0;
  }
  HD_CHECK(p->period_us > 0);
  for (const CpuSample& s : p->samples) {
    HD_CHECK(s.count > 0);
    HD_CHECK(!s.stack.empty());
  }
  CpuProfile anonymous = *p;
  for (Mapping& m : anonymous.mappings) m.path.clear();
  const Symbolizer symbolizer;
  HD_CHECK(!encode_pprof(anonymous, symbolizer).empty());
  return 0;
}
