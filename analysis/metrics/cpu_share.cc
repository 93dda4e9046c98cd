// The allocator's share of a CPU profile: the innermost frame of each sample
// decides, so time in malloc called from anywhere counts once.
#include "analysis/metrics/cpu_share.h"

#include "analysis/ingest/cpu_profile.h"
#include "analysis/metrics/symbol_cache.h"
#include "analysis/symbolize/fold.h"

namespace hd::analysis {

Result<std::optional<double>> cpu_allocator_share(const ProcessRun& p) {
  if (p.cpu_profile.empty()) return std::optional<double>();
  Result<CpuProfile> prof = load_cpu_profile(p.cpu_profile);
  if (!prof) return prof.status();
  SymbolCache resolver(p, nullptr);
  uint64_t total = 0, in_alloc = 0;
  for (const CpuSample& s : prof->samples) {
    total += s.count;
    if (s.stack.empty()) continue;
    const SymbolizedLocation& loc = resolver.resolve(prof->mappings, s.stack[0], false);
    const std::string fn = loc.frames.empty() ? "" : loc.frames.front().function;
    if (is_allocator_frame(fn, loc.module)) in_alloc += s.count;
  }
  if (total == 0) return std::optional<double>(0.0);
  return std::optional<double>(static_cast<double>(in_alloc) / static_cast<double>(total));
}

}  // namespace hd::analysis
