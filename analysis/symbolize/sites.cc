// site_totals: one symbolization per distinct address (the Symbolizer caches
// per module), one fold per sample.
#include "analysis/symbolize/sites.h"

#include <algorithm>
#include <climits>
#include <map>

namespace hd::analysis {

std::vector<SiteTotals> site_totals(const HeapProfile& profile, const Symbolizer& symbolizer) {
  std::map<std::string, SiteTotals> by_key;
  int64_t dummy = 0;
  auto add = [&dummy](int64_t& into, int64_t v) {
    if (__builtin_add_overflow(into, v, &dummy)) {
      into = INT64_MAX;  // saturate: hostile counts must not wrap
    } else {
      into = dummy;
    }
  };
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    const HeapSample& s = profile.samples[i];
    std::vector<SymbolizedLocation> stack;
    stack.reserve(s.stack.size());
    for (uint64_t a : s.stack) stack.push_back(symbolizer.symbolize(profile.mappings, a, true));
    Site site = allocation_site(stack);
    SiteTotals& t = by_key[site.key];
    if (t.samples.empty() || s.inuse_bytes > profile.samples[t.samples.front()].inuse_bytes) {
      t.example_stack = std::move(stack);
      t.site = std::move(site);
    }
    add(t.inuse_objs, s.inuse_objs);
    add(t.inuse_bytes, s.inuse_bytes);
    add(t.alloc_objs, s.alloc_objs);
    add(t.alloc_bytes, s.alloc_bytes);
    t.samples.push_back(i);
  }
  std::vector<SiteTotals> out;
  out.reserve(by_key.size());
  for (auto& [key, t] : by_key) out.push_back(std::move(t));
  std::stable_sort(out.begin(), out.end(), [](const SiteTotals& a, const SiteTotals& b) {
    if (a.inuse_bytes != b.inuse_bytes) return a.inuse_bytes > b.inuse_bytes;
    return a.alloc_bytes > b.alloc_bytes;
  });
  return out;
}

}  // namespace hd::analysis
