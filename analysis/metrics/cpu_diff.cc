// CPU-profile window diff; see cpu_diff.h.
#include "analysis/metrics/cpu_diff.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "analysis/ingest/cpu_profile.h"
#include "analysis/metrics/symbol_cache.h"
#include "analysis/symbolize/fold.h"

namespace hd::analysis {

namespace {

struct Tally {
  std::string file, module;
  uint64_t self = 0, total = 0;
};

// Samples by function: self (the sample's own frame, allocation_site) and
// total (anywhere on the stack, once per sample). Unsymbolized frames are
// named by module and offset.
std::map<std::string, Tally> tally(const CpuProfile& p, const CpuResolver& resolve,
                                   uint64_t* samples) {
  std::map<std::string, Tally> t;
  std::vector<SymbolizedLocation> stack;
  for (const CpuSample& s : p.samples) {
    *samples += s.count;
    stack.clear();
    for (size_t i = 0; i < s.stack.size(); ++i)
      stack.push_back(resolve(p.mappings, s.stack[i], i > 0));
    if (stack.empty()) continue;
    const Site own = allocation_site(stack);
    Tally& self = t[own.function.empty() ? own.key : own.function];
    self.self += s.count;
    if (self.file.empty()) self.file = own.file;
    if (self.module.empty()) self.module = own.module;
    std::set<std::string> seen;
    for (const SymbolizedLocation& loc : stack) {
      if (loc.frames.empty()) {
        seen.insert(loc.display());
        continue;
      }
      for (const Frame& f : loc.frames) {
        if (f.function.empty()) continue;
        if (seen.insert(f.function).second) {
          Tally& tt = t[f.function];
          if (tt.file.empty()) tt.file = f.file;
          if (tt.module.empty()) tt.module = loc.module;
        }
      }
    }
    for (const std::string& fn : seen) t[fn].total += s.count;
  }
  return t;
}

}  // namespace

Result<CpuWindowDiff> diff_cpu_windows(const WindowProfile& ew, const WindowProfile& lw,
                                       const CpuResolver& resolve) {
  HD_CHECK(ew.profile != nullptr);
  HD_CHECK(lw.profile != nullptr);
  HD_CHECK(ew.ops > 0);
  HD_CHECK(lw.ops > 0);
  const CpuProfile& early = *ew.profile;
  const CpuProfile& late = *lw.profile;
  if (early.period_us != late.period_us)
    return Status::error(late.source + ": sampling period " + std::to_string(late.period_us) +
                         " us differs from " + early.source + "'s " +
                         std::to_string(early.period_us) + " us");
  CpuWindowDiff d;
  d.period_us = early.period_us;
  d.early_ops = ew.ops;
  d.late_ops = lw.ops;
  const std::map<std::string, Tally> e = tally(early, resolve, &d.early_samples);
  const std::map<std::string, Tally> l = tally(late, resolve, &d.late_samples);
  d.measured_cpu = ew.cpu_us > 0 && lw.cpu_us > 0 && d.early_samples > 0 && d.late_samples > 0;
  const auto per_sample = [&](const WindowProfile& w, uint64_t samples) {
    return d.measured_cpu ? static_cast<double>(w.cpu_us) / static_cast<double>(samples)
                          : static_cast<double>(d.period_us);
  };
  d.early_us_per_sample = per_sample(ew, d.early_samples);
  d.late_us_per_sample = per_sample(lw, d.late_samples);
  const double pe = d.early_us_per_sample / static_cast<double>(ew.ops);
  const double pl = d.late_us_per_sample / static_cast<double>(lw.ops);
  d.early_us_per_op = pe * static_cast<double>(d.early_samples);
  d.late_us_per_op = pl * static_cast<double>(d.late_samples);
  std::map<std::string, FunctionCpu> by_fn;
  for (const auto& [fn, t] : e) {
    FunctionCpu& f = by_fn[fn];
    f.function = fn;
    f.file = t.file;
    f.module = t.module;
    f.early_self_us = pe * static_cast<double>(t.self);
    f.early_total_us = pe * static_cast<double>(t.total);
  }
  for (const auto& [fn, t] : l) {
    FunctionCpu& f = by_fn[fn];
    f.function = fn;
    if (f.file.empty()) f.file = t.file;
    if (f.module.empty()) f.module = t.module;
    f.late_self_us = pl * static_cast<double>(t.self);
    f.late_total_us = pl * static_cast<double>(t.total);
  }
  for (auto& [fn, f] : by_fn) {
    f.name = std::string(bare_name(f.function));
    d.functions.push_back(std::move(f));
  }
  std::stable_sort(d.functions.begin(), d.functions.end(),
                   [](const FunctionCpu& a, const FunctionCpu& b) {
                     if (a.self_delta_us() != b.self_delta_us())
                       return a.self_delta_us() > b.self_delta_us();
                     return a.total_delta_us() > b.total_delta_us();
                   });
  return d;
}

Result<std::optional<CpuWindowDiff>> cpu_window_diff(const ProcessRun& p,
                                                     std::vector<std::string>* warnings) {
  const CpuWindow* early = nullptr;
  const CpuWindow* late = nullptr;
  for (const CpuWindow& w : p.cpu_windows) {
    if (w.name == "early") early = &w;
    if (w.name == "late") late = &w;
  }
  if (!early || !late || early->to_ops <= early->from_ops || late->to_ops <= late->from_ops)
    return std::optional<CpuWindowDiff>();
  for (const CpuWindow* w : {early, late}) {
    std::error_code ec;
    if (!std::filesystem::exists(w->path, ec)) {
      if (warnings)
        warnings->push_back(p.dir + ": CPU-profile window " + w->name + " lists " + w->path +
                            ", which does not exist: no window diff");
      return std::optional<CpuWindowDiff>();
    }
  }
  Result<CpuProfile> e = load_cpu_profile(early->path);
  if (!e) return e.status();
  Result<CpuProfile> l = load_cpu_profile(late->path);
  if (!l) return l.status();
  SymbolCache cache(p, warnings);
  const CpuResolver resolve = [&cache](const std::vector<Mapping>& m, uint64_t a,
                                       bool is_return) -> const SymbolizedLocation& {
    return cache.resolve(m, a, is_return);
  };
  Result<CpuWindowDiff> d = diff_cpu_windows(
      {&*e, early->to_ops - early->from_ops, early->to_cpu_us - early->from_cpu_us},
      {&*l, late->to_ops - late->from_ops, late->to_cpu_us - late->from_cpu_us}, resolve);
  if (!d) return d.status();
  d->early_window = early->name;
  d->late_window = late->name;
  d->early_s = (early->to_t_ms - early->from_t_ms) / 1000.0;
  d->late_s = (late->to_t_ms - late->from_t_ms) / 1000.0;
  cache.flush_warnings();
  return std::optional<CpuWindowDiff>(std::move(*d));
}

}  // namespace hd::analysis
