// Symbolization of profile addresses: runtime address -> module + offset (via
// a profile's mapping table) -> function (demangled), file:line and inlined
// frames (via elfutils libdwfl). Modules are opened once and cached with
// their lookups. Thread-safe: one mutex guards the caches.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "analysis/ingest/profile.h"

namespace hd::analysis {

// A binary the profiled process had loaded, as recorded by memprof in
// meta.json: the path it ran from and the hex GNU build-id of that file.
struct RecordedBinary {
  std::string path;
  std::string build_id;  // lowercase hex; empty when not recorded
};

struct Frame {
  std::string function;  // demangled; empty when unknown
  std::string file;      // empty when there is no line information
  int line = 0;
  bool inlined = false;  // inlined into the next frame of the same location
};

struct SymbolizedLocation {
  uint64_t address = 0;        // as recorded in the profile
  std::string module;          // mapping path; empty when in no mapping
  uint64_t module_offset = 0;  // file offset of address within module
  // Innermost first; the last one is the real (out-of-line) function.
  // Empty when the address could not be symbolized.
  std::vector<Frame> frames;
  bool symbolized() const { return !frames.empty(); }
  // "function file:line" of the innermost frame, else "module+0xoffset",
  // else "0xaddress".
  std::string display() const;
};

struct ModuleStatus {
  std::string path;
  std::string build_id;  // as read from the file's ELF note; empty if none
  bool opened = false;   // false: unreadable, not ELF, or build-id mismatch
};

class Symbolizer {
 public:
  // recorded: binaries and build-ids from meta.json; may be empty, in which
  // case the files at the mapped paths are trusted.
  explicit Symbolizer(std::vector<RecordedBinary> recorded = {});
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // is_return_address: the address follows a call (every heap-profile frame,
  // every CPU-profile frame but the first), so lookup uses address - 1 to land
  // inside the call's line rather than the next one. Never fails: a frame
  // that cannot be resolved comes back with module+offset only.
  SymbolizedLocation symbolize(const std::vector<Mapping>& mappings, uint64_t address,
                               bool is_return_address) const;

  // Build-id of the module file at path (opens it if needed); empty if none.
  std::string build_id(const std::string& path) const;

  // Human-readable problems met so far (missing files, build-id mismatches),
  // one per module, in the order met.
  std::vector<std::string> warnings() const;
  std::vector<ModuleStatus> modules() const;

  struct Module;  // libdwfl session plus lookup cache; defined in the .cc

 private:
  Module& module_locked(const std::string& path) const;

  std::map<std::string, std::string> recorded_;  // path -> build-id
  mutable std::mutex mu_;
  mutable std::map<std::string, std::unique_ptr<Module>> modules_;
  mutable std::vector<std::string> warnings_;
};

// Demangles an Itanium C++ symbol; returns it unchanged when not mangled.
std::string demangle(const std::string& symbol);

}  // namespace hd::analysis
