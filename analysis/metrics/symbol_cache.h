// Address -> symbolized location for one process folder, cached in its
// symbols.json (so committed run folders stay readable after their binaries
// are rebuilt) and otherwise resolved from the recorded binaries with a
// Symbolizer shared by every folder with the same binaries. One SymbolCache
// per process and thread; the shared Symbolizer pool is thread-safe.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analysis/runs/run_folder.h"
#include "analysis/symbolize/symbolizer.h"

namespace hd::analysis {

class SymbolCache {
 public:
  // Loads p.dir/symbols.json when present; a malformed cache is ignored
  // with a warning (the report must not abort on a hand-edited file).
  SymbolCache(const ProcessRun& p, std::vector<std::string>* warnings);

  // addresses are the process's runtime addresses: the cache is only valid
  // inside its own folder.
  const SymbolizedLocation& resolve(const std::vector<Mapping>& mappings, uint64_t address,
                                    bool is_return);
  // Writes every location resolved so far to symbols.json (--save-symbols).
  void save() const;
  // The shared Symbolizer's warnings, each once; none when the cache file was read.
  void flush_warnings();

 private:
  void load(std::ifstream& in);

  std::shared_ptr<Symbolizer> symbolizer_;
  std::vector<std::string>* warnings_;
  std::string path_;
  std::map<uint64_t, SymbolizedLocation> cache_;
  bool from_file_ = false;
};

}  // namespace hd::analysis
