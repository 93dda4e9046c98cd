// `heapdrift export --pprof` output read by the real pprof tool (Debian
// golang-go ships it as `go tool pprof`; skipped when no pprof is found):
// it parses, has the in-use and alloc sample types, names the sample
// program's functions and files, and its in-use total is the parser's.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analysis/export/pprof.h"
#include "analysis/ingest/heap_profile.h"
#include "skip.h"
#include "unit/analysis/profile_test_util.h"

namespace hd::analysis {
namespace {

using namespace hd::analysis::testing;

// HEAPDRIFT_PPROF, `pprof` on PATH, or the Go toolchain's pprof
// (/usr/lib/go*/pkg/tool/*/pprof, i.e. `go tool pprof`); empty when none.
const std::string& pprof_tool() {
  static const std::string tool = [] {
    namespace fs = std::filesystem;
    if (const char* env = std::getenv("HEAPDRIFT_PPROF"); env && *env) return std::string(env);
    if (std::system("command -v pprof >/dev/null 2>&1") == 0) return std::string("pprof");
    std::error_code ec;
    for (const auto& lib : fs::directory_iterator("/usr/lib", ec)) {
      if (!lib.path().filename().string().starts_with("go")) continue;
      for (const auto& arch : fs::directory_iterator(lib.path() / "pkg" / "tool", ec))
        if (fs::exists(arch.path() / "pprof")) return (arch.path() / "pprof").string();
    }
    return std::string();
  }();
  return tool;
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  REQUIRE(f != nullptr);
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  CHECK(pclose(f) == 0);
  return out;
}

TEST_CASE("pprof tool: reads the export of a real jemalloc dump" *
          HD_SKIP_IF(pprof_tool().empty() || !have_file(kLibJemalloc),
                     "no pprof tool (golang pprof), or libjemalloc.so.2 not installed")) {
  REQUIRE(have_file(sample_program()));
  const std::string dir = scratch_dir();
  REQUIRE(run_sample(std::string("LD_PRELOAD=") + kLibJemalloc +
                         " MALLOC_CONF=prof:true,prof_accum:true,lg_prof_sample:0",
                     "je " + dir + "/tool.heap"));
  const std::string pb = dir + "/tool.pb.gz";
  const std::string export_cmd =
      std::string(HEAPDRIFT_BIN_DIR) + "/heapdrift export --pprof " + dir + "/tool.heap -o " + pb;
  REQUIRE(std::system(export_cmd.c_str()) == 0);

  // -raw: the sample types in order, then one line of values per sample.
  const std::string raw = run(pprof_tool() + " -raw " + pb + " 2>&1");
  const size_t types_at =
      raw.find("alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes");
  REQUIRE(types_at != std::string::npos);
  std::istringstream lines(raw.substr(raw.find('\n', types_at) + 1));
  int64_t inuse = 0;
  size_t samples = 0;
  for (std::string line; std::getline(lines, line) && line.find(':') != std::string::npos;) {
    std::istringstream v(line);
    int64_t ao = 0, as = 0, io = 0, is = 0;
    v >> ao >> as >> io >> is;
    inuse += is;
    ++samples;
  }
  Result<HeapProfile> p = load_heap_profile(dir + "/tool.heap");
  REQUIRE(p.is_ok());
  CHECK(samples == p->samples.size());
  CHECK(inuse == unsample(*p).totals.inuse_bytes);

  const std::string top =
      run(pprof_tool() + " -top -lines -nodecount=500 -sample_index=inuse_space " + pb + " 2>&1");
  CHECK(top.find("sample::grow_nodes") != std::string::npos);
  CHECK(top.find("sample_program.cc:") != std::string::npos);
  CHECK(top.find("Type: inuse_space") != std::string::npos);
}

}  // namespace
}  // namespace hd::analysis
