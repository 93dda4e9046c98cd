// Allocation-site keys: folds allocator-internal frames (malloc, operator new,
// jemalloc/tcmalloc internals, std::allocator plumbing) and the program's
// own malloc wrappers off the top of a symbolized stack so a site is named by
// the first frame where the allocation is decided. Pure functions;
// thread-safe (a SiteRules is read-only once built).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/symbolize/symbolizer.h"
#include "base/regex.h"
#include "base/status.h"

namespace hd::analysis {

// True for malloc/free/new/delete entry points and allocator internals, by
// function name or by module (libjemalloc*, libtcmalloc*). Also what the CPU
// allocator-time share counts.
bool is_allocator_frame(std::string_view function, std::string_view module);

// True for C++ standard library plumbing (std::, __gnu_cxx::, libstdc++),
// skipped when choosing a site so std::vector growth is charged to its user.
bool is_std_library_frame(std::string_view function, std::string_view module);

// True for the storage-managing members of a class template — a program's
// own container: "ns::FlatMap<K, V>::rehash", "SmallVector<T, 8>::grow" —
// by the last name component: rehash, reserve, resize, grow, grow_to,
// reallocate, push_back, emplace_back, emplace, try_emplace, insert,
// operator[]. Skipped like the standard library's, so a container's growth is
// charged to the code that fills it. A member of a plain class (Arena::grow)
// stays a site: it may decide lifetimes.
bool is_container_plumbing(std::string_view function);

// True for a source file in a system include directory (/usr/include,
// /usr/local/include, any .../include/c++/): the standard library's and
// header-only libraries' (asio) code inlined into the program. Such frames
// are skipped like standard-library ones, so an inlined frame is recognised
// by where its code is even when its name is bare (a symbols.json written
// before inline names were qualified).
bool is_library_header(std::string_view file);

// True for the well-known malloc wrappers of C programs and libraries, by
// exact (bare) function name: xmalloc & co. (GNU, git, binutils), zmalloc &
// co. (Redis, Valkey), g_malloc & co. (GLib), emalloc & co. (PHP),
// safe_malloc, CRYPTO_malloc & co. (OpenSSL's OPENSSL_malloc macros),
// av_malloc & co. (FFmpeg), PyMem_/PyObject_Malloc & co. (CPython),
// sqlite3_malloc & co., luaM_malloc_ (Lua), ngx_alloc (nginx), SDL_malloc.
// Only functions that just forward to the allocator: pool and arena
// allocators (apr_palloc, ngx_palloc, talloc) decide lifetimes and stay sites.
bool is_known_wrapper(std::string_view function);

// The qualified name inside a demangled signature: "void ns::f<T>(int)" ->
// "ns::f<T>".
std::string_view bare_name(std::string_view function);

// What, besides the allocator and the standard library, is folded off a
// stack before its site is chosen.
struct SiteRules {
  bool known_wrappers = true;  // is_known_wrapper
  // --skip-frames: frames whose bare function name the regex matches
  // (std::regex_search, ECMAScript) are skipped like allocator frames.
  std::optional<std::regex> skip;
  std::string skip_source;  // the regex as given, for messages
  // Wrappers found in the data (detect_wrappers), by bare function name.
  std::set<std::string, std::less<>> wrappers;

  bool skips(std::string_view function) const;
};

// Compiles --skip-frames; an empty regex means none. A bad regex is an
// error naming it.
Result<SiteRules> make_site_rules(const std::string& skip_frames);

struct Site {
  // "function file:line", or "module+0xoffset" when unsymbolized; equal keys
  // mean the same site.
  std::string key;
  std::string function;
  std::string file;
  int line = 0;
  std::string module;
  size_t location_index = 0;  // index into the stack of the chosen location
  int frame_index = -1;       // index into its frames; -1: unsymbolized
  // The site and up to kCallPathFrames - 1 of its callers, site first, each
  // "name (file:line)" (bare name, file's last component).
  std::vector<std::string> call_path;
  // heapdrift's own allocation: a frame of its in-process recorder
  // (is_recorder_frame) is on the stack, e.g. the gperftools CPU profiler's
  // sample buffer, which the recorder's ProfilerStart makes the profiler
  // malloc in the program's heap. Its key is prefixed "[heapdrift] ".
  bool recorder = false;
};

// True for a frame of heapdrift's in-process recorder (namespace
// hd::memprof): what it allocates is the tool's, not the program's.
bool is_recorder_frame(std::string_view function);

inline constexpr size_t kCallPathFrames = 5;

// stack: symbolized locations, innermost first, inline frames expanded.
// Chooses the first frame that is neither allocator-internal nor standard
// library; if every frame is one of those, the first non-allocator frame;
// if none, the innermost. The caller keeps the full stack.
// rules: the program's wrappers to skip as well (the default skips the
// known wrappers only).
Site allocation_site(const std::vector<SymbolizedLocation>& stack, const SiteRules& rules = {});

// Wrapper detection from the data. A function W is the program's own malloc
// wrapper when, over the given stacks (process_sites passes each distinct
// stack of a process's profiles once), with the current rules:
//  - W is the chosen site of stacks from at least kWrapperMinCallers
//    distinct immediate callers (by bare name): a wrapper serves many
//    callers; a genuine site with one caller is never a wrapper;
//  - W calls the allocator directly in every one of them: the frame just
//    inside W is an allocator entry point (or a wrapper already found),
//    never standard-library code (a function that allocates through a
//    container decides what it stores; a wrapper only forwards a size);
//  - at least kWrapperMinCallers of those callers each have at least
//    kWrapperMinCallerShare of their own allocating stacks (those whose
//    chosen site is W or the caller itself) passing through W: "most of the
//    samples of many distinct callers pass through it", so a helper that
//    allocates now and then for callers that mostly allocate themselves is
//    not one.
// Repeated (a wrapper of a wrapper) until nothing new is found, at most
// kWrapperMaxLayers times. Returns the names to add to SiteRules::wrappers.
// A genuine site with many callers that each allocate only through it (a
// make_node()) is indistinguishable and is treated as a wrapper: its callers
// are then the sites, and the call path still shows it. Profiles hold live
// blocks only, so a caller whose blocks were all freed is not seen.
inline constexpr size_t kWrapperMinCallers = 3;
inline constexpr double kWrapperMinCallerShare = 0.5;
inline constexpr int kWrapperMaxLayers = 3;
std::set<std::string, std::less<>> detect_wrappers(
    const std::vector<std::vector<SymbolizedLocation>>& stacks, const SiteRules& rules);

}  // namespace hd::analysis
