// Symbolizer and site-folding tests: symbols of this test binary itself, and
// a real jemalloc dump of hd_profile_sample taken during the test.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "analysis/ingest/heap_profile.h"
#include "analysis/ingest/proc_maps.h"
#include "analysis/symbolize/fold.h"
#include "analysis/symbolize/sites.h"
#include "analysis/symbolize/symbolizer.h"
#include "skip.h"
#include "unit/analysis/profile_test_util.h"

namespace hd::analysis {
namespace {

using namespace hd::analysis::testing;

std::vector<Mapping> self_maps() {
  Result<std::string> text = read_whole_file("/proc/self/maps");
  REQUIRE(text.is_ok());
  Result<std::vector<Mapping>> maps = parse_maps_section(*text, "/proc/self/maps", 1);
  REQUIRE_MESSAGE(maps.is_ok(), (maps.is_ok() ? "" : maps.status().message()));
  return std::move(maps).value();
}

__attribute__((noinline)) uint64_t where_am_i() {
  return reinterpret_cast<uint64_t>(__builtin_return_address(0));
}

__attribute__((noinline)) uint64_t caller_of_where_am_i() {
  const uint64_t a = where_am_i();  // the line the test expects
  asm volatile("");                 // keep the call from being a tail call
  return a;
}

std::vector<SymbolizedLocation> symbolize_stack(const Symbolizer& sym, const HeapProfile& p,
                                                const HeapSample& s) {
  std::vector<SymbolizedLocation> out;
  for (uint64_t a : s.stack) out.push_back(sym.symbolize(p.mappings, a, true));
  return out;
}

TEST_CASE("symbolizer: a return address in this binary") {
  Symbolizer sym;
  const uint64_t ret = caller_of_where_am_i();
  SymbolizedLocation loc = sym.symbolize(self_maps(), ret, true);
  REQUIRE_MESSAGE(loc.symbolized(), loc.display());
  const Frame& outer = loc.frames.back();
  CHECK(outer.function.find("caller_of_where_am_i") != std::string::npos);
  CHECK(outer.file.ends_with("symbolize_test.cc"));
  CHECK(outer.line > 0);
  CHECK(loc.module == std::filesystem::read_symlink("/proc/self/exe").string());
  CHECK_FALSE(sym.build_id(loc.module).empty());
  // Second lookup is served from the module cache with the same answer.
  CHECK(sym.symbolize(self_maps(), ret, true).display() == loc.display());
}

TEST_CASE("symbolizer: unknown modules and addresses stay as module+offset") {
  Symbolizer sym;
  std::vector<Mapping> maps = {{0x1000, 0x3000, 0x5000, "r-xp", "/nonexistent/libgone.so"}};
  SymbolizedLocation loc = sym.symbolize(maps, 0x1234, true);
  CHECK_FALSE(loc.symbolized());
  CHECK(loc.display() == "/nonexistent/libgone.so+0x5234");
  CHECK(sym.symbolize(maps, 0x9999, true).display() == "0x9999");
  REQUIRE(sym.warnings().size() == 1);
  CHECK(sym.warnings()[0].starts_with("/nonexistent/libgone.so: cannot open"));
  // Devices are never opened as ELF files (a read could block or not end).
  maps.push_back({0x10000, 0x20000, 0, "r-xp", "/dev/zero"});
  CHECK(sym.symbolize(maps, 0x10010, true).display() == "/dev/zero+0x10");
  CHECK(sym.warnings().back().find("not a readable regular file") != std::string::npos);
}

TEST_CASE("symbolizer: build-id mismatch warns and keeps module+offset") {
  const uint64_t ret = caller_of_where_am_i();
  const std::vector<Mapping> maps = self_maps();
  const Mapping* m = find_mapping(maps, ret);
  REQUIRE(m != nullptr);
  Symbolizer sym({{m->path, "00112233445566778899aabbccddeeff00112233"}});
  SymbolizedLocation loc = sym.symbolize(maps, ret, true);
  CHECK_FALSE(loc.symbolized());
  REQUIRE(sym.warnings().size() == 1);
  CHECK(sym.warnings()[0].find("build-id mismatch") != std::string::npos);

  // Recorded under another name for the same file (a symlink, as /lib vs
  // /usr/lib): still matched, still rejected.
  const std::string link = scratch_dir() + "/unit_tests_link";
  std::filesystem::remove(link);
  std::filesystem::create_symlink(m->path, link);
  Symbolizer via_link({{link, "00112233445566778899aabbccddeeff00112233"}});
  CHECK_FALSE(via_link.symbolize(maps, ret, true).symbolized());
  CHECK(via_link.warnings().size() == 1);

  // The matching build-id is accepted.
  Symbolizer probe;
  Symbolizer ok({{m->path, probe.build_id(m->path)}});
  CHECK(ok.symbolize(maps, ret, true).symbolized());
  CHECK(ok.warnings().empty());
}

TEST_CASE("committed samples symbolize to module+offset when the binary is gone") {
  Result<HeapProfile> p = load_heap_profile(sample_path("jemalloc_exact.heap"));
  REQUIRE(p.is_ok());
  Symbolizer sym;
  for (const HeapSample& s : p->samples) {
    const std::vector<SymbolizedLocation> stack = symbolize_stack(sym, *p, s);
    CHECK(stack.size() == s.stack.size());  // nothing dropped
    CHECK_FALSE(allocation_site(stack).key.empty());
  }
}

TEST_CASE("frame classification") {
  CHECK(is_allocator_frame("malloc", ""));
  CHECK(is_allocator_frame("operator new(unsigned long)", ""));
  CHECK(is_allocator_frame("je_prof_backtrace", ""));
  CHECK(is_allocator_frame("foo", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"));
  CHECK(is_allocator_frame("std::__new_allocator<int>::allocate(unsigned long, void const*)", ""));
  CHECK(is_allocator_frame(
      "std::allocator_traits<std::allocator<int> >::allocate(std::allocator<int>&, unsigned long)",
      ""));
  CHECK_FALSE(is_allocator_frame("mallocate_things(int)", ""));
  CHECK_FALSE(is_allocator_frame("kv::Store::put(std::string const&)", "/bin/replica"));
  CHECK(is_std_library_frame(
      "void std::vector<int, std::allocator<int> >::_M_realloc_insert<int>(int&&)", ""));
  CHECK_FALSE(is_std_library_frame("kv::Store::put(std::vector<int> const&)", ""));
}

TEST_CASE("site folding on synthetic stacks keeps the first user frame") {
  auto loc = [](std::string module, std::vector<Frame> frames) {
    SymbolizedLocation l;
    l.module = std::move(module);
    l.frames = std::move(frames);
    return l;
  };
  std::vector<SymbolizedLocation> stack = {
      loc("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", {}),
      loc("/bin/replica",
          {{"std::__new_allocator<char>::allocate(unsigned long)", "new_allocator.h", 137, true},
           {"std::vector<char>::_M_realloc_insert(char&&)", "vector.tcc", 453, true},
           {"kv::Log::append(int)", "log.cc", 42, false}}),
      loc("/bin/replica", {{"main", "main.cc", 7, false}})};
  Site site = allocation_site(stack);
  CHECK(site.key == "kv::Log::append(int) log.cc:42");
  CHECK(site.location_index == 1);
  // Unsymbolized user frame: the site is module+offset.
  stack[1] = loc("/bin/replica", {});
  stack[1].module_offset = 0x42;
  CHECK(allocation_site(stack).key == "/bin/replica+0x42");
}

TEST_CASE("end to end: real jemalloc dump of hd_profile_sample" *
          HD_SKIP_IF(!have_file(kLibJemalloc), "libjemalloc.so.2 not installed")) {
  REQUIRE(have_file(sample_program()));
  const std::string out = scratch_dir() + "/je.heap";
  REQUIRE(run_sample(
      std::string("LD_PRELOAD=") + kLibJemalloc + " MALLOC_CONF=prof:true,lg_prof_sample:0",
      "je " + out));
  Result<HeapProfile> p = load_heap_profile(out);
  REQUIRE_MESSAGE(p.is_ok(), (p.is_ok() ? "" : p.status().message()));
  Symbolizer sym;
  bool saw_make_node = false, saw_vector_growth = false, saw_big_block = false;
  for (const HeapSample& s : p->samples) {
    const std::vector<SymbolizedLocation> stack = symbolize_stack(sym, *p, s);
    const Site site = allocation_site(stack);
    if (site.function == "sample::make_node()") {
      saw_make_node = true;
      CHECK(s.inuse_objs == 1000);
      CHECK(site.file.ends_with("sample_program.cc"));
      // make_node is always_inline: its location also carries grow_nodes.
      const SymbolizedLocation& l = stack[site.location_index];
      REQUIRE(l.frames.size() >= 2);
      CHECK(l.frames.front().inlined);
      CHECK(l.frames.back().function == "sample::grow_nodes(int)");
    }
    // vector growth inside grow_nodes is charged to grow_nodes, not std::.
    if (site.function == "sample::grow_nodes(int)" && s.inuse_bytes >= 8192)
      saw_vector_growth = true;
    if (site.function == "sample::big_block()") saw_big_block = s.inuse_bytes == (1 << 20);
  }
  CHECK(saw_make_node);
  CHECK(saw_vector_growth);
  CHECK(saw_big_block);

  // Per-site totals: largest first; grow_nodes' two samples (the vector's
  // buffer and the vector object itself) fold into sites by line.
  const std::vector<SiteTotals> sites = site_totals(unsample(*p), sym);
  REQUIRE(sites.size() >= 3);
  CHECK(sites[0].site.function == "sample::big_block()");
  CHECK(sites[0].inuse_bytes == (1 << 20));
  CHECK_FALSE(sites[0].example_stack.empty());
  int64_t total = 0;
  for (const SiteTotals& t : sites) total += t.inuse_bytes;
  CHECK(total == unsample(*p).totals.inuse_bytes);
}

}  // namespace
}  // namespace hd::analysis
