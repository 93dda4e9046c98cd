// symbols.json: the cache is read under its schema id heapdrift.symbols/1 and
// under the older spelling heapdrift-symbols/1 (the committed golden folders
// carry that one), ignored with a warning under any other id, and written
// under the new id.
#include "analysis/metrics/symbol_cache.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hd::analysis {
namespace {

namespace fs = std::filesystem;

// A process folder holding only symbols.json under `schema`, with one cached
// location: address 0x1000 -> f (f.cc:3).
ProcessRun folder_with_cache(const std::string& tag, const std::string& schema) {
  const fs::path dir =
      fs::temp_directory_path() / ("hd_symbol_cache_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "symbols.json")
      << R"({"schema": ")" << schema
      << R"(", "locations": [{"address": "1000", "module": "/bin/x", "offset": "10",)"
      << R"( "frames": [["f", "f.cc", 3, false]]}]})"
      << "\n";
  ProcessRun p;
  p.dir = dir.string();
  p.name = "replica0";
  return p;
}

std::string cached_function(SymbolCache& cache) {
  const SymbolizedLocation& loc = cache.resolve({}, 0x1000, /*is_return=*/false);
  return loc.frames.empty() ? "" : loc.frames.front().function;
}

TEST_CASE("symbols.json: heapdrift.symbols/1 and the older heapdrift-symbols/1 are read") {
  for (const char* schema : {"heapdrift.symbols/1", "heapdrift-symbols/1"}) {
    CAPTURE(schema);
    ProcessRun p = folder_with_cache("read", schema);
    std::vector<std::string> warnings;
    SymbolCache cache(p, &warnings);
    CHECK(warnings.empty());
    CHECK(cached_function(cache) == "f");
    fs::remove_all(p.dir);
  }
}

TEST_CASE("symbols.json: another schema id is ignored with a warning naming it") {
  ProcessRun p = folder_with_cache("unknown", "heapdrift.symbols/2");
  std::vector<std::string> warnings;
  SymbolCache cache(p, &warnings);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == p.dir + "/symbols.json: symbol cache schema 'heapdrift.symbols/2' is not " +
                           "heapdrift.symbols/1, ignored");
  CHECK(cached_function(cache) != "f");  // from the (absent) binaries, not the cache
  fs::remove_all(p.dir);
}

TEST_CASE("symbols.json: save() writes the id heapdrift.symbols/1") {
  ProcessRun p = folder_with_cache("save", "heapdrift-symbols/1");
  {
    std::vector<std::string> warnings;
    SymbolCache cache(p, &warnings);
    REQUIRE(cached_function(cache) == "f");
    cache.save();
  }
  std::ifstream in(fs::path(p.dir) / "symbols.json");
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j.at("schema") == "heapdrift.symbols/1");
  std::vector<std::string> warnings;
  SymbolCache reread(p, &warnings);
  CHECK(warnings.empty());
  CHECK(cached_function(reread) == "f");
  fs::remove_all(p.dir);
}

}  // namespace
}  // namespace hd::analysis
