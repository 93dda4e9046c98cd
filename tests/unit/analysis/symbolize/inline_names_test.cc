// Inlined frames carry qualified names: hd_inline_alloc (tests/programs,
// -O2 -g, not linked with heapdrift) allocates through std::vector and
// std::unordered_map of a type in an anonymous namespace, inlined into
// app::grow_vector and app::fill_map; GCC gives those instantiations no
// linkage name. Also: the committed golden runs name no library frame
// (allocate, _M_*) as a site.
#include <doctest/doctest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/ingest/proc_maps.h"
#include "analysis/metrics/site_growth.h"
#include "analysis/runs/run_folder.h"
#include "analysis/symbolize/fold.h"
#include "analysis/symbolize/symbolizer.h"
#include "unit/analysis/profile_test_util.h"

namespace hd::analysis {
namespace {

struct Captured {
  std::vector<std::pair<std::string, std::vector<uint64_t>>> stacks;  // user function, addresses
  std::string maps;
};

// Runs hd_inline_alloc and parses its output (see inline_alloc.cc).
Captured run_inline_alloc() {
  const std::string bin = std::string(HEAPDRIFT_BIN_DIR) + "/hd_inline_alloc";
  REQUIRE_MESSAGE(testing::have_file(bin), bin << " not built");
  std::FILE* p = ::popen(bin.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0 && out.size() < (1u << 20)) out.append(buf, n);
  REQUIRE(::pclose(p) == 0);
  Captured c;
  std::istringstream in(out);
  std::string line;
  bool in_maps = false;
  while (std::getline(in, line)) {
    if (in_maps) {
      c.maps += line + "\n";
    } else if (line == "maps") {
      in_maps = true;
    } else if (line.starts_with("stack ")) {
      c.stacks.push_back({line.substr(6), {}});
    } else if (line.starts_with("addr ") && !c.stacks.empty()) {
      c.stacks.back().second.push_back(std::stoull(line.substr(5), nullptr, 16));
    }
  }
  return c;
}

bool is_bare_library_name(const std::string& function) {
  const std::string_view b = bare_name(function);
  return b == "allocate" || b.starts_with("_M_") || b.starts_with("allocate<");
}

TEST_CASE("symbolizer: inlined standard library frames are qualified; the site is the user's") {
  const Captured c = run_inline_alloc();
  REQUIRE(c.stacks.size() == 2);
  Result<std::vector<Mapping>> maps = parse_maps_section(c.maps, "hd_inline_alloc maps", 1);
  REQUIRE(maps.is_ok());
  Symbolizer sym;
  for (const auto& captured : c.stacks) {
    const std::string& user = captured.first;
    const std::vector<uint64_t>& addresses = captured.second;
    INFO("stack of " << user);
    REQUIRE(addresses.size() >= 3);
    std::vector<SymbolizedLocation> stack;
    for (uint64_t a : addresses) stack.push_back(sym.symbolize(*maps, a, true));
    // The location inside the user function: its inlined frames, all std::.
    const SymbolizedLocation* in_user = nullptr;
    for (const SymbolizedLocation& l : stack)
      if (!l.frames.empty() && bare_name(l.frames.back().function) == user) in_user = &l;
    REQUIRE_MESSAGE(in_user != nullptr, "no location in " << user);
    REQUIRE(in_user->frames.size() >= 2);  // something was inlined into it
    bool saw_new_allocator = false;
    for (size_t i = 0; i + 1 < in_user->frames.size(); ++i) {
      const Frame& f = in_user->frames[i];
      INFO("inlined frame " << i << ": " << f.function << " " << f.file << ":" << f.line);
      CHECK(f.inlined);
      CHECK(bare_name(f.function).starts_with("std::"));
      CHECK(is_std_library_frame(f.function, in_user->module));
      CHECK_FALSE(is_bare_library_name(f.function));
      saw_new_allocator =
          saw_new_allocator || f.function.find("std::__new_allocator<") != std::string::npos;
    }
    // The anonymous-namespace element type is named as the demangler would.
    CHECK(saw_new_allocator);
    CHECK(in_user->frames.front().function.find("(anonymous namespace)::Node") !=
          std::string::npos);
    const Site site = allocation_site(stack);
    CHECK(bare_name(site.function) == user);
    CHECK(site.file.ends_with("inline_alloc.cc"));
    REQUIRE_FALSE(site.call_path.empty());
    CHECK(site.call_path.front().starts_with(user + " (inline_alloc.cc:"));
  }
}

TEST_CASE("golden runs: no site is named after a standard library frame") {
  const std::string runs = std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/runs/";
  for (const char* name : {"normal-10k", "leak-10k", "cache-10k"}) {
    Result<Run> run = load_run(runs + name);
    REQUIRE(run.is_ok());
    for (const ProcessRun& p : run->processes) {
      std::vector<std::string> warnings;
      Result<std::vector<SiteSeries>> sites = process_sites(p, false, &warnings);
      REQUIRE(sites.is_ok());
      for (const SiteSeries& s : *sites) {
        INFO(name << "/" << p.name << ": " << s.key);
        CHECK_FALSE(is_bare_library_name(s.function));
        CHECK_FALSE(is_library_header(s.file));
      }
    }
  }
}

}  // namespace
}  // namespace hd::analysis
