// symbols.json (schema heapdrift.symbols/1): one entry per resolved address
// with its module, module offset and inlined frames.
#include "analysis/metrics/symbol_cache.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "base/schema.h"

namespace hd::analysis {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

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

}  // namespace

SymbolCache::SymbolCache(const ProcessRun& p, std::vector<std::string>* warnings)
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

void SymbolCache::load(std::ifstream& in) {
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("locations") ||
      !j["locations"].is_array()) {
    if (warnings_) warnings_->push_back(path_ + ": unreadable symbol cache, ignored");
    return;
  }
  // heapdrift.symbols/1, or its older spelling heapdrift-symbols/1 (the
  // committed golden folders carry that one).
  const std::string schema = j.value("schema", "");
  if (schema != schema::kSymbols && schema != schema::kLegacySymbols) {
    if (warnings_)
      warnings_->push_back(path_ + ": symbol cache schema '" + schema + "' is not " +
                           schema::kSymbols + ", ignored");
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

const SymbolizedLocation& SymbolCache::resolve(const std::vector<Mapping>& mappings,
                                               uint64_t address, bool is_return) {
  auto it = cache_.find(address);
  if (it != cache_.end()) return it->second;
  return cache_[address] = symbolizer_->symbolize(mappings, address, is_return);
}

void SymbolCache::save() const {
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
  out << json{{"schema", schema::kSymbols}, {"locations", locs}}.dump() << "\n";
}

void SymbolCache::flush_warnings() {
  if (!warnings_ || from_file_) return;
  for (const std::string& w : symbolizer_->warnings())  // shared: each warning once
    if (std::find(warnings_->begin(), warnings_->end(), w) == warnings_->end())
      warnings_->push_back(w);
}

}  // namespace hd::analysis
