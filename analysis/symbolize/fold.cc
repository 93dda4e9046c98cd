// Frame classification for allocation sites. Name patterns cover glibc,
// jemalloc (je_ prefix and its static internals) and gperftools tcmalloc.
#include "analysis/symbolize/fold.h"

#include <array>
#include <cstdio>

namespace hd::analysis {

namespace {

std::string_view basename(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The qualified name inside a demangled signature: drops the parameter list
// and a template function's leading return type ("void std::vector<T>::f(int)"
// -> "std::vector<T>::f"), tracking <> depth so template arguments with
// spaces or parentheses do not confuse it.
std::string_view bare_name(std::string_view f) {
  int depth = 0;
  size_t end = f.size();
  size_t start = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    const char c = f[i];
    if (c == '<') {
      ++depth;
    } else if (c == '>' && depth > 0) {
      --depth;
    } else if (depth == 0 && c == '(') {
      end = i;
      break;
    } else if (depth == 0 && c == ' ') {
      start = i + 1;
    }
  }
  std::string_view head = f.substr(0, end);
  // "operator new" / "operator delete[]" contain a space of their own.
  if (const size_t op = head.find("operator "); op != std::string_view::npos) {
    const size_t space = head.rfind(' ', op == 0 ? 0 : op - 1);
    return head.substr(op == 0 || space == std::string_view::npos ? 0 : space + 1);
  }
  return head.substr(start < head.size() ? start : head.size());
}

constexpr std::array<std::string_view, 20> kAllocatorFunctions = {"malloc",
                                                                  "calloc",
                                                                  "realloc",
                                                                  "free",
                                                                  "cfree",
                                                                  "posix_memalign",
                                                                  "memalign",
                                                                  "aligned_alloc",
                                                                  "valloc",
                                                                  "pvalloc",
                                                                  "reallocarray",
                                                                  "mallocx",
                                                                  "rallocx",
                                                                  "xallocx",
                                                                  "sallocx",
                                                                  "dallocx",
                                                                  "sdallocx",
                                                                  "nallocx",
                                                                  "malloc_usable_size",
                                                                  "strdup"};

constexpr std::array<std::string_view, 22> kAllocatorPrefixes = {
    "operator new",
    "operator delete",
    "je_",
    "tc_",
    "prof_",
    "imalloc",
    "ialloc",
    "iralloc",
    "arena_",
    "tcache_",
    "__libc_malloc",
    "__libc_calloc",
    "__libc_realloc",
    "__libc_free",
    "_int_malloc",
    "_int_free",
    "tcmalloc::",
    "do_malloc",
    "do_calloc",
    "MallocHook",
    "HeapProfileTable::",
    "(anonymous namespace)::do_malloc"};

// libtcmalloc also covers libtcmalloc_minimal and libtcmalloc_and_profiler.
constexpr std::array<std::string_view, 2> kAllocatorModules = {"libjemalloc", "libtcmalloc"};

}  // namespace

bool is_allocator_frame(std::string_view function, std::string_view module) {
  const std::string_view base = basename(module);
  for (std::string_view m : kAllocatorModules) {
    if (base.starts_with(m)) return true;
  }
  const std::string_view name = bare_name(function);
  for (std::string_view f : kAllocatorFunctions) {
    if (name == f) return true;
  }
  for (std::string_view p : kAllocatorPrefixes) {
    if (name.starts_with(p)) return true;
  }
  // std::allocator<T>::allocate, allocator_traits, new_allocator, and the
  // containers' _M_allocate helpers only forward to operator new.
  if ((name.starts_with("std::") || name.starts_with("__gnu_cxx::")) &&
      (name.find("allocator") != std::string_view::npos ||
       name.find("_M_allocate") != std::string_view::npos ||
       name.find("_M_deallocate") != std::string_view::npos))
    return true;
  return false;
}

bool is_std_library_frame(std::string_view function, std::string_view module) {
  if (basename(module).starts_with("libstdc++")) return true;
  const std::string_view name = bare_name(function);
  return name.starts_with("std::") || name.starts_with("__gnu_cxx::") ||
         name.starts_with("__cxxabiv1::") || name.starts_with("__cxa_");
}

Site allocation_site(const std::vector<SymbolizedLocation>& stack) {
  struct Candidate {
    size_t loc;
    int frame;  // -1: unsymbolized location
  };
  auto make = [&](Candidate c) {
    const SymbolizedLocation& l = stack[c.loc];
    Site s;
    s.module = l.module;
    s.location_index = c.loc;
    if (c.frame < 0) {
      s.key = l.display();
      return s;
    }
    const Frame& f = l.frames[static_cast<size_t>(c.frame)];
    s.function = f.function;
    s.file = f.file;
    s.line = f.line;
    s.key = f.function.empty() ? l.display() : f.function;
    if (!f.function.empty() && !f.file.empty())
      s.key += " " + f.file + ":" + std::to_string(f.line);
    return s;
  };
  if (stack.empty()) return Site{"<empty stack>", "", "", 0, "", 0};
  bool have_fallback = false;
  Candidate fallback{0, stack[0].frames.empty() ? -1 : 0};
  for (size_t i = 0; i < stack.size(); ++i) {
    const SymbolizedLocation& l = stack[i];
    if (l.frames.empty()) {
      if (is_allocator_frame("", l.module)) continue;
      if (is_std_library_frame("", l.module)) {
        if (!have_fallback) fallback = {i, -1}, have_fallback = true;
        continue;
      }
      return make({i, -1});
    }
    for (size_t j = 0; j < l.frames.size(); ++j) {
      const Frame& f = l.frames[j];
      if (is_allocator_frame(f.function, l.module)) continue;
      if (is_std_library_frame(f.function, l.module)) {
        if (!have_fallback) fallback = {i, static_cast<int>(j)}, have_fallback = true;
        continue;
      }
      return make({i, static_cast<int>(j)});
    }
  }
  return make(fallback);
}

}  // namespace hd::analysis
