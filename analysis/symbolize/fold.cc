// Frame classification for allocation sites. Name patterns cover glibc,
// jemalloc (je_ prefix and its static internals) and gperftools tcmalloc.
#include "analysis/symbolize/fold.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>

namespace hd::analysis {

namespace {

std::string_view basename(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

// Drops the parameter list and a template function's leading return type
// ("void std::vector<T>::f(int)" -> "std::vector<T>::f"), tracking <> depth
// so template arguments with spaces or parentheses do not confuse it.
std::string_view bare_name(std::string_view f) {
  int depth = 0;
  size_t end = f.size();
  size_t start = 0;
  static constexpr std::string_view kAnonymous = "(anonymous namespace)";
  for (size_t i = 0; i < f.size(); ++i) {
    const char c = f[i];
    if (c == '(' && f.substr(i).starts_with(kAnonymous)) {
      i += kAnonymous.size() - 1;  // a scope, not a parameter list
    } else if (c == '<') {
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

namespace {

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

// is_known_wrapper's list (fold.h says whose each is).
constexpr std::array<std::string_view, 62> kKnownWrappers = {"xmalloc",
                                                             "xcalloc",
                                                             "xrealloc",
                                                             "xstrdup",
                                                             "xstrndup",
                                                             "xmemdup",
                                                             "xzalloc",
                                                             "xmallocz",
                                                             "xmallocarray",
                                                             "xreallocarray",
                                                             "zmalloc",
                                                             "zcalloc",
                                                             "zrealloc",
                                                             "zstrdup",
                                                             "ztrymalloc",
                                                             "ztrycalloc",
                                                             "ztryrealloc",
                                                             "zmalloc_usable",
                                                             "zcalloc_usable",
                                                             "zrealloc_usable",
                                                             "ztrymalloc_usable",
                                                             "ztrycalloc_usable",
                                                             "ztryrealloc_usable",
                                                             "g_malloc",
                                                             "g_malloc0",
                                                             "g_realloc",
                                                             "g_try_malloc",
                                                             "g_try_malloc0",
                                                             "g_try_realloc",
                                                             "g_malloc_n",
                                                             "g_malloc0_n",
                                                             "g_realloc_n",
                                                             "g_strdup",
                                                             "g_strndup",
                                                             "g_memdup",
                                                             "g_memdup2",
                                                             "emalloc",
                                                             "ecalloc",
                                                             "erealloc",
                                                             "estrdup",
                                                             "safe_malloc",
                                                             "safe_calloc",
                                                             "safe_realloc",
                                                             "CRYPTO_malloc",
                                                             "CRYPTO_zalloc",
                                                             "CRYPTO_realloc",
                                                             "CRYPTO_strdup",
                                                             "av_malloc",
                                                             "av_mallocz",
                                                             "av_calloc",
                                                             "av_realloc",
                                                             "PyMem_Malloc",
                                                             "PyMem_Calloc",
                                                             "PyMem_Realloc",
                                                             "PyMem_RawMalloc",
                                                             "PyObject_Malloc",
                                                             "sqlite3_malloc",
                                                             "sqlite3_malloc64",
                                                             "sqlite3Malloc",
                                                             "luaM_malloc_",
                                                             "ngx_alloc",
                                                             "SDL_malloc"};

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

bool is_library_header(std::string_view file) {
  // libstdc++ (/usr/include/c++/12/bits/...) and libc++ (.../c++/v1/...).
  return file.starts_with("/usr/include/") || file.starts_with("/usr/local/include/") ||
         file.find("/include/c++/") != std::string_view::npos ||
         file.find("/c++/v1/") != std::string_view::npos;
}

bool is_known_wrapper(std::string_view function) {
  const std::string_view name = bare_name(function);
  return std::find(kKnownWrappers.begin(), kKnownWrappers.end(), name) != kKnownWrappers.end();
}

bool SiteRules::skips(std::string_view function) const {
  if (function.empty()) return false;
  const std::string_view name = bare_name(function);
  if (known_wrappers && is_known_wrapper(name)) return true;
  if (wrappers.find(name) != wrappers.end()) return true;
  return skip && std::regex_search(name.begin(), name.end(), *skip);
}

Result<SiteRules> make_site_rules(const std::string& skip_frames) {
  SiteRules rules;
  if (skip_frames.empty()) return rules;
  try {
    rules.skip.emplace(skip_frames, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return Status::error("--skip-frames: not a valid regular expression: '" + skip_frames + "' (" +
                         e.what() + ")");
  }
  rules.skip_source = skip_frames;
  return rules;
}

bool is_std_library_frame(std::string_view function, std::string_view module) {
  if (basename(module).starts_with("libstdc++")) return true;
  const std::string_view name = bare_name(function);
  return name.starts_with("std::") || name.starts_with("__gnu_cxx::") ||
         name.starts_with("__cxxabiv1::") || name.starts_with("__cxa_");
}

bool is_container_plumbing(std::string_view function) {
  static constexpr std::array<std::string_view, 12> kGrowthMembers = {
      "rehash",    "reserve", "resize",       "grow",   "grow_to",     "reallocate",
      "push_back", "emplace", "emplace_back", "insert", "try_emplace", "operator[]"};
  const std::string_view name = bare_name(function);
  // The last "::" outside template arguments splits class and member.
  size_t split = std::string_view::npos;
  int depth = 0;
  for (size_t i = 0; i + 1 < name.size(); ++i) {
    if (name[i] == '<') ++depth;
    if (name[i] == '>') --depth;
    if (depth == 0 && name[i] == ':' && name[i + 1] == ':') split = i;
  }
  if (split == std::string_view::npos) return false;
  const std::string_view owner = name.substr(0, split);
  std::string_view member = name.substr(split + 2);
  // A member template: "try_emplace<>" is try_emplace.
  if (member.ends_with('>') && !member.starts_with("operator"))
    member = member.substr(0, member.find('<'));
  const bool template_class = !owner.empty() && owner.back() == '>';
  return template_class &&
         std::find(kGrowthMembers.begin(), kGrowthMembers.end(), member) != kGrowthMembers.end();
}

namespace {

enum class Kind { kAllocator, kSkipped, kStd, kUser };

Kind classify(const SymbolizedLocation& l, const Frame* f, const SiteRules& rules) {
  const std::string_view function = f != nullptr ? std::string_view(f->function) : "";
  if (is_allocator_frame(function, l.module)) return Kind::kAllocator;
  if (rules.skips(function)) return Kind::kSkipped;
  if (is_std_library_frame(function, l.module) || is_container_plumbing(function) ||
      (f != nullptr && is_library_header(f->file)))
    return Kind::kStd;
  return Kind::kUser;
}

struct Candidate {
  size_t loc = 0;
  int frame = -1;  // -1: unsymbolized location
};

// The frames of a stack in order, innermost first, each location's inline
// frames expanded; an unsymbolized location is one frame.
template <typename Fn>
void for_each_frame(const std::vector<SymbolizedLocation>& stack, Fn fn) {
  for (size_t i = 0; i < stack.size(); ++i) {
    if (stack[i].frames.empty()) {
      if (!fn(Candidate{i, -1})) return;
      continue;
    }
    for (size_t j = 0; j < stack[i].frames.size(); ++j)
      if (!fn(Candidate{i, static_cast<int>(j)})) return;
  }
}

const Frame* frame_of(const std::vector<SymbolizedLocation>& stack, Candidate c) {
  return c.frame < 0 ? nullptr : &stack[c.loc].frames[static_cast<size_t>(c.frame)];
}

std::string path_entry(const std::vector<SymbolizedLocation>& stack, Candidate c) {
  const Frame* f = frame_of(stack, c);
  if (f == nullptr || f->function.empty()) return stack[c.loc].display();
  std::string s(bare_name(f->function));
  if (!f->file.empty())
    s += " (" + std::string(basename(f->file)) + ":" + std::to_string(f->line) + ")";
  return s;
}

// The chosen frame, or nullopt for an empty stack. Skipped (wrapper) frames
// are fallbacks like standard-library ones: a stack that is all wrapper is
// still named by the wrapper rather than by malloc.
std::optional<Candidate> choose(const std::vector<SymbolizedLocation>& stack,
                                const SiteRules& rules) {
  if (stack.empty()) return std::nullopt;
  std::optional<Candidate> chosen, fallback;
  for_each_frame(stack, [&](Candidate c) {
    switch (classify(stack[c.loc], frame_of(stack, c), rules)) {
      case Kind::kAllocator:
        return true;
      case Kind::kSkipped:
      case Kind::kStd:
        if (!fallback) fallback = c;
        return true;
      case Kind::kUser:
        chosen = c;
        return false;
    }
    return true;
  });
  if (chosen) return chosen;
  if (fallback) return fallback;
  return Candidate{0, stack[0].frames.empty() ? -1 : 0};
}

}  // namespace

bool is_recorder_frame(std::string_view function) {
  return bare_name(function).starts_with("hd::memprof::");
}

Site allocation_site(const std::vector<SymbolizedLocation>& stack, const SiteRules& rules) {
  const std::optional<Candidate> c = choose(stack, rules);
  if (!c) return Site{"<empty stack>", "", "", 0, "", 0, -1, {}};
  const SymbolizedLocation& l = stack[c->loc];
  Site s;
  s.module = l.module;
  s.location_index = c->loc;
  s.frame_index = c->frame;
  if (const Frame* f = frame_of(stack, *c)) {
    s.function = f->function;
    s.file = f->file;
    s.line = f->line;
    s.key = f->function.empty() ? l.display() : f->function;
    if (!f->function.empty() && !f->file.empty())
      s.key += " " + f->file + ":" + std::to_string(f->line);
  } else {
    s.key = l.display();
  }
  bool reached = false;
  for_each_frame(stack, [&](Candidate x) {
    reached = reached || (x.loc == c->loc && x.frame == c->frame);
    if (reached) s.call_path.push_back(path_entry(stack, x));
    return s.call_path.size() < kCallPathFrames;
  });
  for_each_frame(stack, [&](Candidate x) {
    const Frame* f = frame_of(stack, x);
    s.recorder = f != nullptr && is_recorder_frame(f->function);
    return !s.recorder;
  });
  if (s.recorder) s.key = "[heapdrift] " + s.key;
  return s;
}

std::set<std::string, std::less<>> detect_wrappers(
    const std::vector<std::vector<SymbolizedLocation>>& stacks, const SiteRules& given) {
  SiteRules rules = given;
  std::set<std::string, std::less<>> found;
  for (int layer = 0; layer < kWrapperMaxLayers; ++layer) {
    struct Use {
      std::map<std::string, size_t, std::less<>> callers;  // caller -> samples through W
      bool direct = true;  // every sample: the frame inside W is the allocator's
    };
    std::map<std::string, Use, std::less<>> uses;            // by candidate W
    std::map<std::string, size_t, std::less<>> own_samples;  // caller -> samples it is site of
    for (const std::vector<SymbolizedLocation>& stack : stacks) {
      const std::optional<Candidate> c = choose(stack, rules);
      if (!c) continue;
      const Frame* site = frame_of(stack, *c);
      if (site == nullptr || site->function.empty()) continue;
      const std::string w(bare_name(site->function));
      own_samples[w] += 1;
      // The frames around the site: the one just inside and just outside.
      std::optional<Candidate> inner, outer;
      bool past = false;
      for_each_frame(stack, [&](Candidate x) {
        if (x.loc == c->loc && x.frame == c->frame) {
          past = true;
          return true;
        }
        if (!past) {
          inner = x;
          return true;
        }
        outer = x;
        return false;
      });
      Use& u = uses[w];
      // Directly: an allocator entry point (malloc, operator new; possibly
      // an unsymbolized frame of a stripped libjemalloc), or a wrapper found
      // in the layer before; not the standard library's allocator plumbing
      // (std::vector<T, std::allocator<T>>::_M_realloc_insert), which
      // is_allocator_frame also counts.
      const Frame* in_frame = inner ? frame_of(stack, *inner) : nullptr;
      const Kind in = inner ? classify(stack[inner->loc], in_frame, rules) : Kind::kUser;
      const bool plumbing =
          in_frame != nullptr && (bare_name(in_frame->function).starts_with("std::") ||
                                  bare_name(in_frame->function).starts_with("__gnu_cxx::"));
      if (!(in == Kind::kSkipped || (in == Kind::kAllocator && !plumbing))) u.direct = false;
      const Frame* out = outer ? frame_of(stack, *outer) : nullptr;
      if (out != nullptr && !out->function.empty())
        u.callers[std::string(bare_name(out->function))] += 1;
    }
    bool added = false;
    for (const auto& [w, u] : uses) {
      if (!u.direct || u.callers.size() < kWrapperMinCallers) continue;
      size_t mostly = 0;
      for (const auto& [caller, through] : u.callers) {
        if (caller == w) continue;  // recursion
        const auto own = own_samples.find(caller);
        const size_t total = through + (own == own_samples.end() ? 0 : own->second);
        if (static_cast<double>(through) >= kWrapperMinCallerShare * static_cast<double>(total))
          ++mostly;
      }
      if (mostly >= kWrapperMinCallers) {
        found.insert(w);
        rules.wrappers.insert(w);
        added = true;
      }
    }
    if (!added) break;
  }
  return found;
}

}  // namespace hd::analysis
