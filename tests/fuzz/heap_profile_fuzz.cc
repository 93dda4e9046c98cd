// libFuzzer target for the text heap-profile parsers (jemalloc heap_v2 and
// gperftools heap profiles, with their maps sections). Any input must give a
// profile or an error naming the source, never a crash; an accepted profile
// must be self-consistent and survive unsampling and pprof encoding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "analysis/export/pprof.h"
#include "analysis/ingest/heap_profile.h"
#include "base/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hd::analysis;
  using hd::Result;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Result<HeapProfile> p = parse_heap_profile(text, "fuzz.heap");
  if (!p.is_ok()) {
    HD_CHECK(p.status().message().starts_with("fuzz.heap:"));
    return 0;
  }
  HD_CHECK(!p->mappings.empty());
  for (const Mapping& m : p->mappings) HD_CHECK(m.start < m.limit);
  for (const HeapSample& s : p->samples) {
    HD_CHECK(s.inuse_objs >= 0);
    HD_CHECK(s.alloc_bytes >= 0);
  }
  const HeapProfile scaled = unsample(*p);
  HD_CHECK(scaled.samples.size() == p->samples.size());
  for (const HeapSample& s : scaled.samples) HD_CHECK(s.inuse_bytes >= 0);
  // Drop the paths so the symbolizer never opens files named by the input.
  HeapProfile anonymous = *p;
  for (Mapping& m : anonymous.mappings) m.path.clear();
  const Symbolizer symbolizer;
  HD_CHECK(!encode_pprof(anonymous, symbolizer).empty());
  return 0;
}
