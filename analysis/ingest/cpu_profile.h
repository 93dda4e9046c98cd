// Strict parser for the gperftools CPU profile (CPUPROFILE=...), a binary
// format of native-endian machine words followed by a /proc/self/maps text
// section. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "analysis/ingest/profile.h"

namespace hd::analysis {

// Accepts 64-bit little-endian profiles (what x86_64 writes). Errors name
// source and the byte offset of the offending word.
Result<CpuProfile> parse_gperf_cpu(std::string_view bytes, std::string_view source);
Result<CpuProfile> load_cpu_profile(const std::string& path);

}  // namespace hd::analysis
