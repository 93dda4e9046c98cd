// The preload environment contract; see preload_env.h.
#include "memprof/preload_env.h"

#include <cerrno>
#include <cstdlib>

namespace hd::memprof {

std::vector<std::pair<std::string, std::string>> preload_environment(const PreloadSettings& s) {
  return {{kEnvRunDir, s.run_dir},
          {kEnvRequestedAllocator, s.requested_allocator},
          {kEnvIntervalMs, std::to_string(s.interval_ms)},
          {kEnvProfileAtOps, s.profile_at_ops},
          {kEnvProfileAtMs, s.profile_at_ms},
          {kEnvCpuProfile, s.cpu_profile ? "1" : "0"},
          {kEnvTcmallocExact, s.tcmalloc_exact ? "1" : "0"},
          {kEnvRunPid, ""},  // an outer run's value must not be taken for ours
          {kEnvRunImage, ""},
          {kEnvRunOffset, ""}};
}

bool parse_u64_list(const char* text, std::vector<uint64_t>* out) {
  out->clear();
  const char* p = text;
  while (*p != '\0') {
    while (*p == ' ') ++p;
    if (*p == '\0') break;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(p, &end, 10);
    if (end == p || errno != 0) return false;
    out->push_back(v);
    p = end;
    while (*p == ' ') ++p;
    if (*p == ',') {
      ++p;
    } else if (*p != '\0') {
      return false;
    }
  }
  return true;
}

}  // namespace hd::memprof
