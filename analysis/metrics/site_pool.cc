// Pooling by (length, role, site key); reconciliation per process.
#include "analysis/metrics/site_pool.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace hd::analysis {

std::string pool_role(const ProcessMetrics& p) {
  std::string role = p.name;
  if (p.program == "loadgen") role = "clients";
  if (p.program == "replica" && p.leader_at_end) role = *p.leader_at_end ? "leader" : "followers";
  return p.plant.empty() || p.plant == "none" ? role : role + " (plant " + p.plant + ")";
}

std::vector<PooledSite> pool_sites(const std::vector<RunMetrics>& runs) {
  struct Group {
    std::vector<const SiteSeries*> series;
    std::vector<std::string> members;
  };
  std::map<std::tuple<int64_t, std::string, std::string>, Group> groups;
  std::map<std::pair<int64_t, std::string>, size_t> role_size;
  for (const RunMetrics& r : runs)
    for (const ProcessMetrics& p : r.processes) {
      const std::string role = pool_role(p);
      ++role_size[{r.length_ops, role}];
      for (const SiteSeries& s : p.sites) {
        Group& g = groups[{r.length_ops, role, s.key}];
        g.series.push_back(&s);
        g.members.push_back(r.name + "/" + p.name);
      }
    }
  std::vector<PooledSite> out;
  for (const auto& [id, g] : groups) {
    const auto& [length, role, key] = id;
    if (role_size[{length, role}] < 2) continue;  // nothing to pool
    PooledSite ps;
    ps.length_ops = length;
    ps.role = role;
    ps.key = key;
    const SiteSeries& first = *g.series.front();
    ps.function = first.function;
    ps.file = first.file;
    ps.line = first.line;
    ps.members = g.members;
    std::vector<SiteGrowth> growths;
    uint64_t period = 0;
    bool grows = false, flat = false;
    for (const SiteSeries* s : g.series) {
      ps.member_verdicts.push_back(s->verdict);
      growths.push_back(s->growth);
      period = std::max(period, s->sample_period);
      grows = grows || is_growing(s->verdict);
      flat = flat || s->verdict == Verdict::kConstant || s->verdict == Verdict::kChurn;
      if (!s->points.empty())
        ps.final_inuse_bytes = std::max(ps.final_inuse_bytes, s->points.back().inuse_bytes);
    }
    ps.disagree = grows && flat;
    SiteClass c = decide_verdict(pool_growth(growths), period);
    ps.growth = c.growth;
    ps.verdict = c.verdict;
    ps.why = std::move(c.why);
    out.push_back(std::move(ps));
  }
  std::stable_sort(out.begin(), out.end(), [](const PooledSite& a, const PooledSite& b) {
    if (a.length_ops != b.length_ops) return a.length_ops < b.length_ops;
    if (is_growing(a.verdict) != is_growing(b.verdict)) return is_growing(a.verdict);
    return a.final_inuse_bytes > b.final_inuse_bytes;
  });
  return out;
}

std::optional<SiteReconciliation> reconcile_sites(const ProcessMetrics& p) {
  if (p.sites.empty() || p.heap_fit.n < 3) return std::nullopt;
  SiteReconciliation r;
  r.heap = p.heap_fit;
  double var = 0;
  for (const SiteSeries& s : p.sites) {
    if (!s.growth.has_interval()) continue;
    ++r.sites;
    r.sites_slope += s.growth.slope();
    var += s.growth.half95 * s.growth.half95;
    // Sampled blocks gained over the series, each held as a promoted block.
    const SitePoint& a = s.points.front();
    const SitePoint& b = s.points.back();
    if (s.promoted_block_bytes == 0 || s.growth.span_ops <= 0 || b.inuse_objs <= 0) continue;
    const double avg = static_cast<double>(b.inuse_bytes) / static_cast<double>(b.inuse_objs);
    if (avg >= static_cast<double>(s.promoted_block_bytes)) continue;
    r.sampling_overhead += static_cast<double>(b.samples - a.samples) *
                           (static_cast<double>(s.promoted_block_bytes) - avg) / s.growth.span_ops;
  }
  if (r.sites == 0) return std::nullopt;
  r.sites_half95 = std::sqrt(var);
  const double diff_half = std::sqrt(var + r.heap.ci95 * r.heap.ci95);
  r.agrees = std::fabs(r.sites_slope - (r.heap.slope - r.sampling_overhead)) <= diff_half;
  return r;
}

}  // namespace hd::analysis
