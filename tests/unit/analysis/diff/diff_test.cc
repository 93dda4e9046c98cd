// `heapdrift diff` (analysis/diff/diff.h) on the committed golden runs: two
// runs of the plant, and two profiles of one process; a replica against a
// loadgen and a jemalloc run against a (synthetic) tcmalloc run are refused.
#include "analysis/diff/diff.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "unit/analysis/runs_test_util.h"

namespace hd::analysis {
namespace {

using testing::kRuns;

TEST_CASE("diff: two runs of the plant rank the replica log first per op") {
  Result<DiffResult> d = diff_inputs(kRuns + "history-2k", kRuns + "history-10k");
  REQUIRE(d.is_ok());
  REQUIRE(!d->rows.empty());
  const DiffRow* log_row = nullptr;
  for (size_t i = 0; i < d->rows.size() && i < 5; ++i)
    if (d->rows[i].function.find("ReplicatedLog::append") != std::string::npos)
      log_row = &d->rows[i];
  REQUIRE(log_row != nullptr);
  CHECK(log_row->b_bytes > log_row->a_bytes);
  CHECK(log_row->growth_per_op > 0);
  const std::string text = diff_text(*d, 10);
  CHECK(text.find("ReplicatedLog::append") != std::string::npos);
  CHECK(nlohmann::json::parse(diff_json(*d))["rows"].size() == d->rows.size());
  // Two profiles of one process.
  d = diff_inputs(kRuns + "history-10k/replica0/profiles/heap.ops-000001000.heap",
                  kRuns + "history-10k/replica0/profiles/heap.ops-000008000.heap");
  REQUIRE(d.is_ok());
  CHECK(d->a_ops == 1000);
  CHECK(d->b_ops == 8000);
  CHECK(d->rows.front().b_bytes - d->rows.front().a_bytes > 100000);
}

// A copy of a golden run under a temporary folder whose every meta.json says
// `live` is `allocator`: a run of another allocator, as far as the diff can
// tell (the profiles stay jemalloc's; only the label is compared).
std::string copy_with_allocator(const std::string& run, const std::string& allocator) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("hd-diff-" + allocator + "-" + std::to_string(getpid())) /
                       fs::path(run).filename();
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  fs::copy(run, dir, fs::copy_options::recursive);
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().filename() != "meta.json") continue;
    nlohmann::json meta = nlohmann::json::parse(std::ifstream(e.path()));
    meta["allocator"]["live"] = allocator;
    std::ofstream(e.path()) << meta.dump(1);
  }
  return dir.string();
}

TEST_CASE("diff: a replica against a loadgen is refused, or labelled cross-role when forced") {
  // Issue 15: printed growth/op "+5263.8" beside B-A of -10,527,540, silently.
  Result<DiffResult> d = diff_inputs(kRuns + "history-10k/replica0", kRuns + "history-2k/client0");
  REQUIRE(d.is_ok());
  REQUIRE(d->mismatches.size() == 1);
  CHECK(d->cross_role());
  CHECK_FALSE(d->cross_allocator());
  const Status st = check_comparable(*d);
  REQUIRE_FALSE(st.is_ok());
  // Names both sides' process, role and allocator.
  CHECK(st.message().find("replica0 (replica, jemalloc)") != std::string::npos);
  CHECK(st.message().find("client0 (loadgen, jemalloc)") != std::string::npos);
  CHECK(st.message().find("different roles") != std::string::npos);
  CHECK(st.message().find("--allow-cross") != std::string::npos);
  // Forced: the text and the JSON say what the comparison is.
  CHECK(diff_text(*d, 5).find("CROSS-ROLE comparison") != std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(diff_json(*d));
  CHECK(j["cross_role"] == true);
  CHECK(j["mismatches"].size() == 1);
  CHECK(j["mismatches"][0]["a_role"] == "replica");
  CHECK(j["mismatches"][0]["b_role"] == "loadgen");
  // A profile of a replica against a loadgen's folder: the role comes from
  // the profile's process folder.
  d = diff_inputs(kRuns + "history-10k/replica0/profiles/heap.ops-000008000.heap",
                  kRuns + "history-2k/client0");
  REQUIRE(d.is_ok());
  CHECK(d->cross_role());
}

TEST_CASE("diff: a jemalloc run against a tcmalloc run is refused, or labelled when forced") {
  const std::string tc = copy_with_allocator(kRuns + "history-10k", "tcmalloc");
  Result<DiffResult> d = diff_inputs(kRuns + "history-2k", tc);
  REQUIRE(d.is_ok());
  CHECK(d->cross_allocator());
  CHECK_FALSE(d->cross_role());
  CHECK(d->mismatches.size() == 5);  // every process, matched by name
  const Status st = check_comparable(*d);
  REQUIRE_FALSE(st.is_ok());
  CHECK(st.message().find("different allocators") != std::string::npos);
  CHECK(st.message().find("A replica0 (replica, jemalloc) vs B replica0 (replica, tcmalloc)") !=
        std::string::npos);
  CHECK(diff_text(*d, 5).find("CROSS-ALLOCATOR comparison") != std::string::npos);
  CHECK(nlohmann::json::parse(diff_json(*d))["cross_allocator"] == true);
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::path(tc).parent_path(), ec);
}

TEST_CASE("diff: like with like passes the check; growth/op is the slope over ops") {
  Result<DiffResult> d = diff_inputs(kRuns + "history-2k", kRuns + "history-10k");
  REQUIRE(d.is_ok());
  CHECK(d->mismatches.empty());
  CHECK(check_comparable(*d).is_ok());
  CHECK(diff_text(*d, 5).find("CROSS") == std::string::npos);
  // B shorter than A: every row's growth/op has the sign of
  // (B-A bytes) x (B-A ops), and the text says how to read it.
  d = diff_inputs(kRuns + "history-10k", kRuns + "history-2k");
  REQUIRE(d.is_ok());
  REQUIRE(d->b_ops < d->a_ops);
  for (const DiffRow& r : d->rows) {
    if (r.growth_per_op == 0) continue;
    const int64_t delta = r.b_bytes - r.a_bytes;
    CHECK_MESSAGE((r.growth_per_op > 0) == (delta < 0), r.key);  // fewer ops on B
  }
  CHECK(diff_text(*d, 5).find("B ran fewer ops than A") != std::string::npos);
}

// A site that one side's profile missed was missed at that side's sampling
// period: a long run samples 64x more coarsely than a short one, so a few
// hundred KiB present in the short run and absent from the long one is
// within noise, not a fall (the default sweep's 10K-vs-1M diff read one such
// site as -443,683 B, significant, before).
TEST_CASE("diff: a site missing from a coarsely sampled side is within that side's noise") {
  namespace fs = std::filesystem;
  const std::string a = kRuns + "history-10k/replica0/profiles/heap.ops-000008000.heap";
  std::ifstream in(a);
  std::string line, out, dropped_header;
  bool dropping = false, dropped = false;
  REQUIRE(std::getline(in, line));
  REQUIRE(line.rfind("heap_v2/", 0) == 0);
  out += "heap_v2/1048576\n";  // B: sampled every 1 MiB, A every 4 KiB
  while (std::getline(in, line)) {
    if (line.rfind("@ ", 0) == 0) {
      dropping = false;
      std::string next;
      REQUIRE(std::getline(in, next));  // "  t*: objs: bytes [..]"
      const auto colon = next.find(':', next.find(':') + 1);
      const long bytes = std::stol(next.substr(colon + 1));
      if (!dropped && bytes >= 100000 && bytes <= 400000) {
        dropping = dropped = true;  // this site is the one B missed
        continue;
      }
      out += line + "\n" + next + "\n";
      continue;
    }
    if (dropping && line.rfind("  t", 0) == 0) continue;
    dropping = false;
    out += line + "\n";
  }
  REQUIRE(dropped);
  const fs::path b = fs::temp_directory_path() / ("hd-diff-coarse-" + std::to_string(getpid()));
  fs::create_directories(b);
  std::ofstream(b / "heap.ops-000008000.heap") << out;
  Result<DiffResult> d = diff_inputs(a, (b / "heap.ops-000008000.heap").string());
  REQUIRE(d.is_ok());
  const DiffRow* missed = nullptr;  // the largest fall: the dropped site's
  for (const DiffRow& r : d->rows)
    if (!missed || r.a_bytes - r.b_bytes > missed->a_bytes - missed->b_bytes) missed = &r;
  REQUIRE(missed != nullptr);
  REQUIRE(missed->a_bytes - missed->b_bytes >= 100000);
  INFO(missed->function << ": " << missed->a_bytes << " B in A, +-" << missed->delta_half95);
  CHECK_FALSE(missed->significant());
  fs::remove_all(b);
}

}  // namespace
}  // namespace hd::analysis
