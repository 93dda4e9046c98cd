// Site rules on synthetic symbolized stacks (fold.h): C++ standard library
// frames recognised by their header, the known malloc wrappers,
// --skip-frames, wrappers detected from the data (and where detection must
// not fire), and the call path of the chosen site.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "analysis/symbolize/fold.h"

namespace hd::analysis {
namespace {

constexpr const char* kProgram = "/usr/bin/server";
constexpr const char* kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";

SymbolizedLocation loc(const std::string& module, std::vector<Frame> frames) {
  SymbolizedLocation l;
  l.module = module;
  l.frames = std::move(frames);
  return l;
}

SymbolizedLocation fn(const std::string& function, const std::string& file = "server.c",
                      int line = 10) {
  return loc(kProgram, {{function, file, line, false}});
}

// malloc <- callee chain..., innermost first.
std::vector<SymbolizedLocation> stack_of(std::vector<std::string> functions) {
  std::vector<SymbolizedLocation> s = {loc(kLibc, {{"malloc", "", 0, false}})};
  for (const std::string& f : functions) s.push_back(fn(f));
  return s;
}

TEST_CASE("site rules: an inlined frame in a system header is library code") {
  // As a symbols.json written before inline names were qualified holds it.
  const std::vector<SymbolizedLocation> stack = {
      loc(kLibc, {{"malloc", "", 0, false}}),
      loc(kProgram, {{"allocate", "/usr/include/c++/12/bits/new_allocator.h", 137, true},
                     {"_M_allocate_buckets", "/usr/include/c++/12/bits/hashtable.h", 380, true},
                     {"kv::Index::rebuild(int)", "/src/index.cc", 42, false}}),
      fn("main")};
  CHECK(allocation_site(stack).function == "kv::Index::rebuild(int)");
  CHECK(is_library_header("/usr/include/c++/12/bits/new_allocator.h"));
  CHECK(is_library_header("/usr/lib/llvm-15/include/c++/v1/vector"));
  CHECK(is_library_header("/usr/include/asio/detail/handler_alloc_helpers.hpp"));
  CHECK_FALSE(is_library_header("/src/include/cpp/vector.h"));
  CHECK_FALSE(is_library_header("/work/main/replica/io/replica_server.cc"));
}

TEST_CASE("site rules: the known malloc wrappers are skipped, and only by exact name") {
  const auto stack = stack_of({"xmalloc", "handle_put", "main"});
  CHECK(allocation_site(stack).function == "handle_put");
  SiteRules off;
  off.known_wrappers = false;
  CHECK(allocation_site(stack, off).function == "xmalloc");
  CHECK(allocation_site(stack_of({"g_malloc0", "g_hash_table_new", "main"})).function ==
        "g_hash_table_new");
  CHECK(allocation_site(stack_of({"zmalloc", "createObject", "main"})).function == "createObject");
  CHECK(is_known_wrapper("void* xmalloc(unsigned long)"));
  CHECK_FALSE(is_known_wrapper("xmalloc_stats"));
  CHECK_FALSE(is_known_wrapper("apr_palloc"));  // a pool decides lifetimes: a site
  // A stack that is all wrapper is still named by the wrapper, not malloc.
  CHECK(allocation_site(stack_of({"xmalloc"})).function == "xmalloc");
}

TEST_CASE("site rules: a program's own container template is plumbing; its user is the site") {
  // The replica's KV store over its flat map: without the rule the site was
  // "FlatU64Map<Cell>::rehash", and two maps of one program were one site.
  const auto kv =
      stack_of({"hd::FlatU64Map<hd::core::KvStore::Cell>::rehash(unsigned long)",
                "std::pair<hd::core::KvStore::Cell*, bool> "
                "hd::FlatU64Map<hd::core::KvStore::Cell>::try_emplace<>(unsigned long)",
                "hd::FlatU64Map<hd::core::KvStore::Cell>::operator[](unsigned long)",
                "hd::core::KvStore::put(unsigned long, std::string, LogIndex)", "main"});
  CHECK(allocation_site(kv).function ==
        "hd::core::KvStore::put(unsigned long, std::string, LogIndex)");
  CHECK(
      allocation_site(stack_of({"SmallVector<int, 8u>::grow(unsigned long)", "parse_args", "main"}))
          .function == "parse_args");
  // A plain class's growth decides lifetimes (an arena): it stays the site.
  CHECK(allocation_site(stack_of({"Arena::grow(unsigned long)", "parse", "main"})).function ==
        "Arena::grow(unsigned long)");
  CHECK(is_container_plumbing("ns::Map<std::pair<int, int>, V>::insert(K const&)"));
  CHECK_FALSE(is_container_plumbing("ns::Map<K, V>::lookup(K const&)"));
  CHECK_FALSE(is_container_plumbing("Pool<Big>::Chunk::carve(unsigned long)"));
  CHECK_FALSE(is_container_plumbing("insert"));
}

TEST_CASE("site rules: an allocation with heapdrift's recorder on the stack is heapdrift's own") {
  // gperftools' CPU profiler mallocs its sample buffer in ProfilerStart,
  // which the recorder calls: listed as the program's biggest site before.
  const auto own =
      stack_of({"ProfileData::Start(char const*, ProfileData::Options const&)",
                "CpuProfiler::Start(char const*, ProfilerOptions const*)", "ProfilerStart",
                "hd::memprof::Recorder::next_cpu_window(long)", "start_thread"});
  const Site s = allocation_site(own);
  CHECK(s.recorder);
  CHECK(s.function == "ProfileData::Start(char const*, ProfileData::Options const&)");
  CHECK(s.key.rfind("[heapdrift] ", 0) == 0);
  const Site program = allocation_site(stack_of({"ProfileData::Start(char const*)", "my_main"}));
  CHECK_FALSE(program.recorder);
  CHECK(program.key != s.key);
  CHECK(is_recorder_frame("void hd::memprof::Recorder::tick(long)"));
  CHECK_FALSE(is_recorder_frame("hd::core::KvStore::put(unsigned long)"));
}

TEST_CASE("bare_name: an anonymous namespace is a scope, not a parameter list") {
  CHECK(bare_name("(anonymous namespace)::init()") == "(anonymous namespace)::init");
  CHECK(bare_name("hd::(anonymous namespace)::Worker::run(int)") ==
        "hd::(anonymous namespace)::Worker::run");
  CHECK(bare_name("void std::vector<(anonymous namespace)::Node>::reserve(unsigned long)") ==
        "std::vector<(anonymous namespace)::Node>::reserve");
  CHECK(bare_name("main") == "main");
}

TEST_CASE("site rules: --skip-frames") {
  const auto stack = stack_of({"my_pool_get", "cache_fill", "main"});
  CHECK(allocation_site(stack).function == "my_pool_get");
  Result<SiteRules> rules = make_site_rules("my_pool_.*|other");
  REQUIRE(rules.is_ok());
  CHECK(allocation_site(stack, *rules).function == "cache_fill");
  // The regex searches the bare name: parameters do not get in the way.
  Result<SiteRules> anchored = make_site_rules("^my_pool_get$");
  REQUIRE(anchored.is_ok());
  std::vector<SymbolizedLocation> cxx = stack;
  cxx[1] = fn("my_pool_get(unsigned long)");
  CHECK(allocation_site(cxx, *anchored).function == "cache_fill");
  Result<SiteRules> bad = make_site_rules("(unclosed");
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("(unclosed") != std::string::npos);
  CHECK(make_site_rules("").is_ok());
}

TEST_CASE("site rules: a wrapper of the program's own is detected from the data") {
  std::vector<std::vector<SymbolizedLocation>> stacks;
  // my_alloc serves four callers, each allocating only through it.
  for (const char* caller : {"remember_request", "parse_header", "format_reply", "scratch"})
    for (int i = 0; i < 3; ++i) stacks.push_back(stack_of({"my_alloc", caller, "main"}));
  const auto found = detect_wrappers(stacks, SiteRules{});
  CHECK(found == std::set<std::string, std::less<>>{"my_alloc"});
  SiteRules rules;
  rules.wrappers = found;
  CHECK(allocation_site(stacks.front(), rules).function == "remember_request");
  CHECK(allocation_site(stacks.front()).function == "my_alloc");  // without detection

  SUBCASE("the allocator's frame unsymbolized (a stripped libjemalloc)") {
    std::vector<std::vector<SymbolizedLocation>> stripped = stacks;
    for (auto& st : stripped) st[0] = loc("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", {});
    CHECK(detect_wrappers(stripped, SiteRules{}) == std::set<std::string, std::less<>>{"my_alloc"});
  }
  SUBCASE("a wrapper of a wrapper") {
    std::vector<std::vector<SymbolizedLocation>> layered;
    for (const char* caller : {"a", "b", "c"})
      layered.push_back(stack_of({"inner_alloc", "outer_alloc", caller, "main"}));
    // inner_alloc has a single caller (outer_alloc), and outer_alloc is no
    // site while inner_alloc is not known: neither is found.
    CHECK(detect_wrappers(layered, SiteRules{}).empty());
    // Once inner_alloc also serves d..h directly, it is found...
    for (const char* caller : {"d", "e", "f"})
      layered.push_back(stack_of({"inner_alloc", caller, "main"}));
    for (const char* caller : {"g", "h"}) layered.push_back(stack_of({"inner_alloc", caller}));
    // ...and then outer_alloc, which calls it, serves a, b and c.
    CHECK(detect_wrappers(layered, SiteRules{}) ==
          std::set<std::string, std::less<>>{"inner_alloc", "outer_alloc"});
  }
}

TEST_CASE("site rules: wrapper detection does not fire on genuine sites") {
  SUBCASE("a genuine site with a single caller") {
    std::vector<std::vector<SymbolizedLocation>> stacks;
    for (int i = 0; i < 20; ++i) stacks.push_back(stack_of({"build_index", "main"}));
    for (int i = 0; i < 5; ++i) stacks.push_back(stack_of({"load_config", "main"}));
    CHECK(detect_wrappers(stacks, SiteRules{}).empty());
  }
  SUBCASE("many callers, but it allocates through a container: it decides what is stored") {
    std::vector<std::vector<SymbolizedLocation>> stacks;
    for (const char* caller : {"put", "merge", "restore", "warm"}) {
      stacks.push_back(
          {loc(kLibc, {{"malloc", "", 0, false}}),
           loc(kProgram, {{"std::vector<int, std::allocator<int> >::_M_realloc_insert(int&&)",
                           "/usr/include/c++/12/bits/vector.tcc", 453, true},
                          {"kv::Store::add(int)", "store.cc", 30, false}}),
           fn(caller)});
    }
    CHECK(detect_wrappers(stacks, SiteRules{}).empty());
  }
  SUBCASE("many callers that mostly allocate themselves") {
    std::vector<std::vector<SymbolizedLocation>> stacks;
    for (const char* caller : {"put", "merge", "restore", "warm"}) {
      stacks.push_back(stack_of({"log_line", caller, "main"}));
      for (int i = 0; i < 5; ++i) stacks.push_back(stack_of({caller, "main"}));
    }
    CHECK(detect_wrappers(stacks, SiteRules{}).empty());
  }
  SUBCASE("two callers are not many") {
    std::vector<std::vector<SymbolizedLocation>> stacks;
    for (const char* caller : {"put", "merge"})
      for (int i = 0; i < 10; ++i) stacks.push_back(stack_of({"make_node", caller, "main"}));
    CHECK(kWrapperMinCallers > 2);
    CHECK(detect_wrappers(stacks, SiteRules{}).empty());
  }
}

TEST_CASE("site rules: the call path runs from the site outward, at most five frames") {
  const auto stack =
      stack_of({"my_alloc", "remember_request", "handle", "serve", "loop", "worker", "main"});
  Result<SiteRules> rules = make_site_rules("my_alloc");
  REQUIRE(rules.is_ok());
  const Site site = allocation_site(stack, *rules);
  CHECK(site.call_path == std::vector<std::string>{"remember_request (server.c:10)",
                                                   "handle (server.c:10)", "serve (server.c:10)",
                                                   "loop (server.c:10)", "worker (server.c:10)"});
  CHECK(kCallPathFrames == 5);
  // Inline frames count as frames; a short stack gives a short path.
  const std::vector<SymbolizedLocation> inl = {
      loc(kLibc, {{"malloc", "", 0, false}}),
      loc(kProgram, {{"kv::grow(int)", "/src/kv/grow.h", 3, true},
                     {"kv::Store::put(int)", "/src/kv/store.cc", 9, false}})};
  CHECK(allocation_site(inl).call_path ==
        std::vector<std::string>{"kv::grow (grow.h:3)", "kv::Store::put (store.cc:9)"});
}

}  // namespace
}  // namespace hd::analysis
