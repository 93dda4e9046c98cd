// Per-site series from a process's milestone heap profiles; symbols through
// the folder's SymbolCache (symbols.json, else the recorded binaries).
#include "analysis/metrics/site_growth.h"

#include <algorithm>
#include <map>

#include "analysis/ingest/heap_profile.h"
#include "analysis/metrics/sampling.h"
#include "analysis/metrics/symbol_cache.h"
#include "analysis/symbolize/fold.h"

namespace hd::analysis {

Result<std::vector<SiteSeries>> process_sites(const ProcessRun& p, bool write_symbol_cache,
                                              std::vector<std::string>* warnings,
                                              const SiteRules& rules) {
  std::vector<SiteSeries> out;
  // The replica's and loadgen's end profiles are written after shutdown
  // (docs/run-folder.md; loadgen's sessions and their caches are gone by
  // then) and show the teardown, not the steady state: milestones only.
  std::vector<const ProfileRef*> used;
  for (const ProfileRef& r : p.profiles)
    if (!r.end || (p.program != "replica" && p.program != "loadgen")) used.push_back(&r);
  if (used.empty()) return out;
  // Without ops, the profiles are ordered and measured by time (metrics.h).
  const Axis axis = process_axis(p);
  const double t0_ms = p.snapshots.empty() ? 0 : p.snapshots.front().t_ms;
  if (axis == Axis::kSeconds)
    std::stable_sort(used.begin(), used.end(),
                     [](const ProfileRef* a, const ProfileRef* b) { return a->t_ms < b->t_ms; });
  SymbolCache resolver(p, warnings);
  std::map<std::string, SiteSeries> by_key;
  uint64_t period = 0;
  bool jemalloc = false;
  // Every distinct stack symbolized once, over all profiles first, so the
  // program's own wrappers can be found from all of them (detect_wrappers)
  // before any is folded; each is then folded once.
  std::vector<HeapProfile> raws, profs;
  std::map<Stack, size_t> stack_ids;
  std::vector<std::vector<SymbolizedLocation>> stacks;
  std::vector<std::vector<size_t>> sample_stack(used.size());
  for (size_t k = 0; k < used.size(); ++k) {
    Result<HeapProfile> raw = load_heap_profile(used[k]->path);
    if (!raw) return raw.status();
    period = std::max(period, raw->sample_period);
    jemalloc = jemalloc || raw->format == ProfileFormat::kJemallocHeapV2;
    profs.push_back(unsample(*raw));
    raws.push_back(std::move(*raw));
    for (const HeapSample& s : profs.back().samples) {
      const auto [it, added] = stack_ids.emplace(s.stack, stacks.size());
      if (added) {
        std::vector<SymbolizedLocation> stack;
        for (size_t i = 0; i < s.stack.size(); ++i)
          stack.push_back(resolver.resolve(profs.back().mappings, s.stack[i], /*is_return=*/true));
        stacks.push_back(std::move(stack));
      }
      sample_stack[k].push_back(it->second);
    }
  }
  SiteRules site_rules = rules;
  for (const std::string& w : detect_wrappers(stacks, rules)) site_rules.wrappers.insert(w);
  std::vector<Site> sites;
  sites.reserve(stacks.size());
  for (const std::vector<SymbolizedLocation>& stack : stacks)
    sites.push_back(allocation_site(stack, site_rules));
  stacks.clear();
  for (size_t k = 0; k < used.size(); ++k) {
    const HeapProfile& prof = profs[k];
    for (size_t n = 0; n < prof.samples.size(); ++n) {
      const HeapSample& s = prof.samples[n];
      const HeapSample& recorded = raws[k].samples[n];  // unsample() keeps the order
      const Site& site = sites[sample_stack[k][n]];
      SiteSeries& series = by_key[site.key];
      if (series.key.empty()) {
        series.key = site.key;
        series.function = site.function;
        series.file = site.file;
        series.line = site.line;
        series.module = site.module;
        series.recorder = site.recorder;
        series.points.resize(used.size());
      }
      // The call path of the site's largest sample (the last profile's
      // when it has one: later samples replace earlier ones of equal size).
      if (series.call_path.empty() || s.inuse_bytes >= series.call_path_bytes) {
        series.call_path = site.call_path;
        series.call_path_bytes = s.inuse_bytes;
      }
      SitePoint& pt = series.points[k];
      pt.inuse_bytes += s.inuse_bytes;
      pt.inuse_objs += s.inuse_objs;
      pt.samples += recorded.inuse_objs;
      pt.variance +=
          unsample_variance(recorded.inuse_objs, recorded.inuse_bytes, raws[k].sample_period);
      if (prof.has_alloc) {
        if (k + 1 == used.size())
          series.alloc_bytes = series.alloc_bytes.value_or(0) + s.alloc_bytes;
      }
    }
  }
  for (auto& [key, series] : by_key) {
    // Sites first seen late get zero points at the earlier milestones.
    for (size_t k = 0; k < used.size(); ++k) {
      series.points[k].ops = used[k]->ops;
      series.points[k].t_s = (used[k]->t_ms - t0_ms) / 1000.0;
    }
    SiteClass c = classify_site(series.points, series.alloc_bytes, period, axis);
    series.sample_period = period;
    if (jemalloc && period > 1) series.promoted_block_bytes = kJemallocPromotedBlockBytes;
    series.growth = c.growth;
    series.verdict = c.verdict;
    series.why = std::move(c.why);
    out.push_back(std::move(series));
  }
  std::sort(out.begin(), out.end(), [](const SiteSeries& a, const SiteSeries& b) {
    const int64_t x = a.points.back().inuse_bytes, y = b.points.back().inuse_bytes;
    return x != y ? x > y : a.key < b.key;
  });
  resolver.flush_warnings();
  if (write_symbol_cache) resolver.save();
  return out;
}

}  // namespace hd::analysis
