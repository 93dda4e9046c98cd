// export_pprof_file on inputs that are not what they seem: a glibc process
// folder (no heap profiles: the note says so and names the CPU profile it
// exported) and files that are no profile (the error names the file and the
// formats it wanted).
#include "analysis/export/export_file.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "unit/analysis/profile_test_util.h"

namespace fs = std::filesystem;
using hd::analysis::export_pprof_file;
using hd::analysis::ExportRequest;
using hd::analysis::testing::sample_path;
using hd::analysis::testing::scratch_dir;

namespace {

// A process folder recorded under glibc: the golden replica0's meta.json with
// allocator.live glibc (no heap profiles), and the committed CPU profile.
std::string glibc_process_folder(const std::string& name, bool with_cpu_profile) {
  const fs::path dir = fs::path(scratch_dir()) / name;
  fs::create_directories(dir / "profiles");
  const std::string golden =
      std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/runs/normal-2k/replica0";
  std::ifstream in(golden + "/meta.json");
  nlohmann::json meta = nlohmann::json::parse(in);
  meta["allocator"]["live"] = "glibc";
  meta["allocator"]["requested"] = "glibc";
  meta["allocator"]["heap_profiles"] = false;
  meta["allocator"]["heap_profile_format"] = "none";
  std::ofstream(dir / "meta.json") << meta.dump();
  fs::copy_file(golden + "/snapshots.jsonl", dir / "snapshots.jsonl",
                fs::copy_options::overwrite_existing);
  if (with_cpu_profile)
    fs::copy_file(sample_path("gperf.cpu"), dir / "profiles" / "cpu.prof",
                  fs::copy_options::overwrite_existing);
  return dir.string();
}

// Exports `input` to input.pb.gz.
hd::Result<hd::analysis::ExportOutcome> export_to(const std::string& input) {
  ExportRequest req;
  req.input = input;
  req.output = input + ".pb.gz";
  return export_pprof_file(req);
}

}  // namespace

TEST_CASE("export: a glibc process folder says it has no heap profiles and what it exported") {
  const std::string dir = glibc_process_folder("glibc_cpu", true);
  auto out = export_to(dir);
  REQUIRE_MESSAGE(out.is_ok(), out.status().message());
  CHECK(out->profile == dir + "/profiles/cpu.prof");
  INFO("note: " << out->note);
  CHECK(out->note.find("no heap profiles") != std::string::npos);
  CHECK(out->note.find("glibc") != std::string::npos);
  CHECK(out->note.find("cpu.prof only") != std::string::npos);
  CHECK(fs::exists(dir + ".pb.gz"));
}

TEST_CASE("export: a glibc process folder without a CPU profile is refused, saying why") {
  const std::string dir = glibc_process_folder("glibc_none", false);
  auto out = export_to(dir);
  REQUIRE_FALSE(out.is_ok());
  const std::string& m = out.status().message();
  INFO(m);
  CHECK(m.find(dir) != std::string::npos);
  CHECK(m.find("glibc") != std::string::npos);
  CHECK(m.find("no CPU profile") != std::string::npos);
}

// Exports a file of `name` holding `content`; returns the error message ("" if
// it was exported, which is wrong for every caller).
std::string export_error(const std::string& name, const std::string& content) {
  const std::string path = scratch_dir() + "/" + name;
  std::ofstream(path) << content;
  auto out = export_to(path);
  CHECK_FALSE(fs::exists(path + ".pb.gz"));
  return out.is_ok() ? std::string() : out.status().message();
}

TEST_CASE("export: a garbage .heap file is named as not a heap profile") {
  const std::string m = export_error("garbage.heap", "this is not a profile at all\n");
  INFO(m);
  CHECK(m.find(scratch_dir() + "/garbage.heap: not a heap profile") != std::string::npos);
  CHECK(m.find("jemalloc heap_v2") != std::string::npos);
  CHECK(m.find("gperftools heap") != std::string::npos);
  CHECK(m.find("CPU") == std::string::npos);
}

TEST_CASE("export: a garbage file of another name is no profile of any kind") {
  const std::string m = export_error("garbage.bin", "0123456789abcdefghijklmnopqrstuvwxyz");
  INFO(m);
  CHECK(m.find(scratch_dir() + "/garbage.bin: not a profile") != std::string::npos);
}
