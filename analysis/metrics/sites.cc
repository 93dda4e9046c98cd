// Per-site series from a process's milestone heap profiles. Symbols come from
// the folder's symbols.json when present (so committed run folders stay
// readable after their binaries are rebuilt), else from the recorded binaries
// via the Symbolizer; --save-symbols writes the cache.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "analysis/ingest/cpu_profile.h"
#include "analysis/ingest/heap_profile.h"
#include "analysis/metrics/metrics.h"
#include "analysis/symbolize/fold.h"

namespace hd::analysis {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kSymbolsSchema = "heapdrift-symbols/1";

// One Symbolizer per distinct set of recorded binaries, shared by every
// process folder with that set (all replicas of a sweep, all loadgens): the
// DWARF of a binary is read once per report, not once per process (the
// 4 lengths x 3 iterations report went from ~9 s to ~1 s). Symbolizer is
// thread-safe; the pool is guarded by its own mutex and lives until exit.
std::shared_ptr<Symbolizer> shared_symbolizer(const std::vector<RecordedBinary>& recorded) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<Symbolizer>> pool;
  std::string key;
  for (const RecordedBinary& b : recorded) key += b.path + '\0' + b.build_id + '\n';
  const std::lock_guard<std::mutex> lock(mu);
  std::shared_ptr<Symbolizer>& s = pool[key];
  if (!s) s = std::make_shared<Symbolizer>(recorded);
  return s;
}

// Address -> location for one process; addresses are that process's runtime
// addresses, so the cache is only valid inside its own folder.
class Resolver {
 public:
  Resolver(const ProcessRun& p, std::vector<std::string>* warnings)
      : symbolizer_(shared_symbolizer(p.binaries)),
        warnings_(warnings),
        path_((fs::path(p.dir) / "symbols.json").string()) {
    std::ifstream in(path_);
    if (!in) return;
    // A hand-edited or foreign cache must not abort the report: any JSON
    // type error drops the whole cache and symbols come from the binaries.
    try {
      load(in);
    } catch (const json::exception&) {
      cache_.clear();
      if (warnings_) warnings_->push_back(path_ + ": malformed symbol cache, ignored");
    }
  }

  void load(std::ifstream& in) {
    json j = json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("schema", "") != kSymbolsSchema ||
        !j.contains("locations") || !j["locations"].is_array()) {
      if (warnings_) warnings_->push_back(path_ + ": unreadable symbol cache, ignored");
      return;
    }
    for (const json& e : j["locations"]) {
      if (!e.is_object()) continue;
      SymbolizedLocation loc;
      loc.address = std::strtoull(e.value("address", "0").c_str(), nullptr, 16);
      loc.module = e.value("module", "");
      loc.module_offset = std::strtoull(e.value("offset", "0").c_str(), nullptr, 16);
      if (e.contains("frames") && e["frames"].is_array())
        for (const json& f : e["frames"])
          if (f.is_array() && f.size() == 4)
            loc.frames.push_back({f[0].get<std::string>(), f[1].get<std::string>(), f[2].get<int>(),
                                  f[3].get<bool>()});
      cache_[loc.address] = std::move(loc);
    }
    from_file_ = true;
  }

  const SymbolizedLocation& resolve(const std::vector<Mapping>& mappings, uint64_t address,
                                    bool is_return) {
    auto it = cache_.find(address);
    if (it != cache_.end()) return it->second;
    return cache_[address] = symbolizer_->symbolize(mappings, address, is_return);
  }

  void save() const {
    json locs = json::array();
    for (const auto& [addr, loc] : cache_) {
      json frames = json::array();
      for (const Frame& f : loc.frames) frames.push_back({f.function, f.file, f.line, f.inlined});
      char a[32], o[32];
      std::snprintf(a, sizeof a, "%llx", static_cast<unsigned long long>(addr));
      std::snprintf(o, sizeof o, "%llx", static_cast<unsigned long long>(loc.module_offset));
      locs.push_back({{"address", a}, {"module", loc.module}, {"offset", o}, {"frames", frames}});
    }
    std::ofstream out(path_);
    out << json{{"schema", kSymbolsSchema}, {"locations", locs}}.dump() << "\n";
  }

  void flush_warnings() {
    if (!warnings_ || from_file_) return;
    for (const std::string& w : symbolizer_->warnings())  // shared: each warning once
      if (std::find(warnings_->begin(), warnings_->end(), w) == warnings_->end())
        warnings_->push_back(w);
  }

 private:
  std::shared_ptr<Symbolizer> symbolizer_;
  std::vector<std::string>* warnings_;
  std::string path_;
  std::map<uint64_t, SymbolizedLocation> cache_;
  bool from_file_ = false;
};

}  // namespace

Result<std::vector<SiteSeries>> process_sites(const ProcessRun& p, bool write_symbol_cache,
                                              std::vector<std::string>* warnings) {
  std::vector<SiteSeries> out;
  // The replica's and loadgen's end profiles are written after shutdown
  // (docs/run-folder.md; loadgen's sessions and their caches are gone by
  // then) and show the teardown, not the steady state: milestones only.
  std::vector<const ProfileRef*> used;
  for (const ProfileRef& r : p.profiles)
    if (!r.end || (p.program != "replica" && p.program != "loadgen")) used.push_back(&r);
  if (used.empty()) return out;
  Resolver resolver(p, warnings);
  std::map<std::string, SiteSeries> by_key;
  uint64_t period = 0;
  for (size_t k = 0; k < used.size(); ++k) {
    Result<HeapProfile> raw = load_heap_profile(used[k]->path);
    if (!raw) return raw.status();
    period = std::max(period, raw->sample_period);
    const HeapProfile prof = unsample(*raw);
    std::map<std::string, SitePoint> point;
    std::map<std::string, int64_t> alloc;
    for (const HeapSample& s : prof.samples) {
      std::vector<SymbolizedLocation> stack;
      for (size_t i = 0; i < s.stack.size(); ++i)
        stack.push_back(resolver.resolve(prof.mappings, s.stack[i], /*is_return=*/true));
      const Site site = allocation_site(stack);
      SiteSeries& series = by_key[site.key];
      if (series.key.empty()) {
        series.key = site.key;
        series.function = site.function;
        series.file = site.file;
        series.line = site.line;
        series.module = site.module;
        series.points.resize(used.size());
      }
      SitePoint& pt = series.points[k];
      pt.inuse_bytes += s.inuse_bytes;
      pt.inuse_objs += s.inuse_objs;
      if (prof.has_alloc) {
        if (k + 1 == used.size())
          series.alloc_bytes = series.alloc_bytes.value_or(0) + s.alloc_bytes;
      }
    }
    for (auto& [key, series] : by_key) series.points[k].ops = used[k]->ops;
  }
  for (auto& [key, series] : by_key) {
    // Sites first seen late get zero points at the earlier milestones.
    for (size_t k = 0; k < used.size(); ++k) series.points[k].ops = used[k]->ops;
    series.verdict = classify_site(series.points, series.alloc_bytes, period, &series.fit);
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

Result<std::optional<double>> cpu_allocator_share(const ProcessRun& p) {
  if (p.cpu_profile.empty()) return std::optional<double>();
  Result<CpuProfile> prof = load_cpu_profile(p.cpu_profile);
  if (!prof) return prof.status();
  Resolver resolver(p, nullptr);
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
