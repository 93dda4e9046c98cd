// Allocation-site keys: folds allocator-internal frames (malloc, operator new,
// jemalloc/tcmalloc internals, std::allocator plumbing) off the top of a
// symbolized stack so a site is named by the first frame in user code. Pure
// functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "analysis/symbolize/symbolizer.h"

namespace hd::analysis {

// True for malloc/free/new/delete entry points and allocator internals, by
// function name or by module (libjemalloc*, libtcmalloc*). Also what the CPU
// allocator-time share counts.
bool is_allocator_frame(std::string_view function, std::string_view module);

// True for C++ standard library plumbing (std::, __gnu_cxx::, libstdc++),
// skipped when choosing a site so std::vector growth is charged to its user.
bool is_std_library_frame(std::string_view function, std::string_view module);

struct Site {
  // "function file:line", or "module+0xoffset" when unsymbolized; equal keys
  // mean the same site.
  std::string key;
  std::string function;
  std::string file;
  int line = 0;
  std::string module;
  size_t location_index = 0;  // index into the stack of the chosen location
};

// stack: symbolized locations, innermost first, inline frames expanded.
// Chooses the first frame that is neither allocator-internal nor standard
// library; if every frame is one of those, the first non-allocator frame;
// if none, the innermost. The caller keeps the full stack.
Site allocation_site(const std::vector<SymbolizedLocation>& stack);

}  // namespace hd::analysis
