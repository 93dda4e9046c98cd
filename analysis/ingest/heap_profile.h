// Strict parsers for text heap profiles: jemalloc's prof.dump output
// ("heap_v2") and gperftools' heap profiles (HeapProfiler dumps and
// MallocExtension::GetHeapSample). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "analysis/ingest/profile.h"

namespace hd::analysis {

// text is the whole file; source names it in errors ("file:line: ...").
// Counts are returned as recorded (sampled); call unsample() for estimates.
Result<HeapProfile> parse_jemalloc_heap(std::string_view text, std::string_view source);
Result<HeapProfile> parse_gperf_heap(std::string_view text, std::string_view source);

// Picks the parser from the first bytes: "heap_v2/" (jemalloc) or
// "heap profile:" (gperftools).
Result<HeapProfile> parse_heap_profile(std::string_view text, std::string_view source);
Result<HeapProfile> load_heap_profile(const std::string& path);

}  // namespace hd::analysis
