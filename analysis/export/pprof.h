// pprof export: writes profile.proto (github.com/google/pprof/proto), gzipped,
// from a parsed heap or CPU profile, symbolized with function, file:line and
// inlined frames, mappings carrying build-ids. Thread-safe (no shared state
// beyond the Symbolizer, which locks itself).
#pragma once

#include <string>

#include "analysis/ingest/profile.h"
#include "analysis/symbolize/symbolizer.h"
#include "base/status.h"

namespace hd::analysis {

// Heap: sample types alloc_objects/count, alloc_space/bytes (only when the
// profile has cumulative counts), inuse_objects/count, inuse_space/bytes
// (the default); values are unsampled estimates (see unsample()).
std::string encode_pprof(const HeapProfile& profile, const Symbolizer& symbolizer);
// CPU: samples/count and cpu/nanoseconds, period cpu/nanoseconds.
std::string encode_pprof(const CpuProfile& profile, const Symbolizer& symbolizer);

Result<std::string> gzip(std::string_view data);

// encode_pprof + gzip + write to path (conventionally *.pb.gz).
Status export_pprof(const HeapProfile& profile, const Symbolizer& symbolizer,
                    const std::string& path);
Status export_pprof(const CpuProfile& profile, const Symbolizer& symbolizer,
                    const std::string& path);

}  // namespace hd::analysis
