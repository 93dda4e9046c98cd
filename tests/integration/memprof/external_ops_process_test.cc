// `heapdrift run --ops-from-file` on a program heapdrift did not write
// (tests/programs/counted_leak.c: 8192 B leaked per iteration by
// counted_leak_block, its iteration count rewritten into a file), at two
// lengths, then `heapdrift report`: the report speaks per op and the leak's
// rate per op is within 20 % of the truth; and the failures of the outside
// count are explicit (exit 3 and a message, never a count of 0).
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/cluster_harness.h"
#include "memprof/allocator_select.h"
#include "memprof/backend.h"
#include "skip.h"
#include "unit/memprof/run_folder_check.h"

namespace fs = std::filesystem;
using hd::test::memprof::slurp;

namespace {

constexpr double kLeakBytes = 8192;  // per iteration = per op: the truth

std::string temp_dir(const char* tag) {
  std::string t = "/tmp/hd-extops-" + std::string(tag) + "-XXXXXX";
  std::vector<char> buf(t.begin(), t.end());
  buf.push_back('\0');
  REQUIRE(mkdtemp(buf.data()) != nullptr);
  return buf.data();
}

bool jemalloc_available() {
  return !hd::memprof::allocator_library_path(hd::memprof::Backend::kJemalloc).empty();
}

// heapdrift run --ops-from-file on counted_leak for `iterations` (1 ms of
// sleep each, so even the 600-iteration run on an idle machine lasts past
// several of the 100 ms time milestones; with 200 us it ended before the
// first one and its site had no slope). lg_prof_sample 12: 4 KiB between
// samples, so an 8 KiB block is sampled with p = 1 - exp(-2) = 0.86 and the
// short run's 600 leaked blocks are estimated within sqrt((1-p)/(600 p)) =
// 1.6 % (SD): 20 % is > 6 SD for the slopes and the flame graph's difference.
void run_counted_leak(const std::string& root, const std::string& name, int iterations) {
  const std::string count = root + "/" + name + ".count";
  std::string output;
  const int status = hd::test::run_to_exit(
      hd::test::bin_path("heapdrift"),
      {"run", "--run-dir", root + "/" + name, "--allocator", "jemalloc", "--lg-prof-sample", "12",
       "--snapshot-interval-ms", "50", "--heap-profile-at-ms",
       "100,200,300,400,500,600,700,800,900,1000,1200,1400,1600,1800,2000,2400,2800",
       "--ops-from-file", count, "--", hd::test::bin_path("counted_leak"),
       std::to_string(iterations), std::to_string(static_cast<int>(kLeakBytes)), count, "1000"},
      std::chrono::seconds(60), &output);
  INFO("heapdrift run output: " << output);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(output.find("heapdrift run: op count: ") != std::string::npos);
  CHECK(fs::exists(root + "/" + name + "/external_ops.jsonl"));
}

}  // namespace

TEST_CASE("heapdrift run --ops-from-file: counted_leak at two lengths, report per op within 20 %" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild || !jemalloc_available(),
                     "sanitizer build: the test preloads an allocator or profiler, or "
                     "libjemalloc.so.2 not installed")) {
  const std::string root = temp_dir("counted");
  run_counted_leak(root, "short", 600);
  run_counted_leak(root, "long", 1200);
  std::string output;
  const int st =
      hd::test::run_to_exit(hd::test::bin_path("heapdrift"),
                            {"report", root + "/short", root + "/long", "-o", root + "/report"},
                            std::chrono::seconds(120), &output);
  INFO("report output: " << output);
  REQUIRE(st == 0);
  const auto summary = nlohmann::json::parse(slurp(root + "/report/summary.json"));
  const auto& runs = summary.at("runs");
  REQUIRE(runs.size() == 2);
  for (const auto& run : runs) {
    INFO("run " << run.at("name"));
    // The length is the program's iteration count, read from outside.
    const int64_t len = run.at("length_ops").get<int64_t>();
    const int64_t truth = run.at("name") == "short" ? 600 : 1200;
    CHECK(std::llabs(len - truth) <= truth / 20);
    const auto& p = run.at("processes").at(0);
    // Exact allocator counters over interpolated op counts, less what the
    // heap profiler itself holds (a sampled block is promoted to a larger
    // one; the report works it out, docs/report.md).
    const double heap = p.at("heap_growth").at("slope").get<double>();
    const double profiler =
        p.at("sites_vs_heap").at("sampling_overhead_bytes_per_op").get<double>();
    MESSAGE(run.at("name").get<std::string>()
            << ": heap growth " << heap << " B/op, of which the profiler's " << profiler);
    CHECK(std::fabs(heap - profiler - kLeakBytes) <= 0.2 * kLeakBytes);
    // The leaking site, from sampled heap profiles at the time milestones.
    bool found = false;
    for (const auto& s : p.at("sites")) {
      if (s.at("function").get<std::string>().find("counted_leak_block") == std::string::npos)
        continue;
      found = true;
      const double slope = s.at("slope_bytes_per_op").get<double>();
      MESSAGE(run.at("name").get<std::string>() << ": counted_leak_block " << slope << " B/op");
      CHECK(std::fabs(slope - kLeakBytes) <= 0.2 * kLeakBytes);
    }
    CHECK(found);
  }
  // The report speaks per op: lengths in ops, growth in B/op.
  const std::string md = slurp(root + "/report/summary.md");
  CHECK(md.find("B/op") != std::string::npos);
  CHECK(md.find("counted_leak_block") != std::string::npos);
  CHECK(summary.at("finding").at("text").get<std::string>().find("counted_leak_block") !=
        std::string::npos);
  // index.html's growth flame graph pairs the two one-process runs (named
  // short and long) and shows the leak per op in its tooltip.
  const std::string html = slurp(root + "/report/index.html");
  const size_t g = html.find("id=\"flame_growth\"");
  REQUIRE(g != std::string::npos);
  CHECK(html.find("Growth by call path, per op", g) != std::string::npos);
  const std::string tip = "counted_leak_block — ";
  const size_t at = html.find(tip, g);
  REQUIRE(at != std::string::npos);
  const double flame_bpo = std::stod(html.substr(at + tip.size()));
  MESSAGE("growth flame: counted_leak_block " << flame_bpo << " B/op");
  CHECK(std::fabs(flame_bpo - kLeakBytes) <= 0.2 * kLeakBytes);
  // heapdrift diff of the two folders: per op too (the issue: "+0.0 per op").
  std::string diff_out;
  REQUIRE(hd::test::run_to_exit(hd::test::bin_path("heapdrift"),
                                {"diff", "--json", root + "/short", root + "/long"},
                                std::chrono::seconds(60), &diff_out) == 0);
  const auto diff = nlohmann::json::parse(diff_out.substr(diff_out.find('{')));
  bool diffed = false;
  for (const auto& row : diff.at("rows")) {
    if (row.at("function") != "counted_leak_block") continue;
    diffed = true;
    const double per_op = row.at("growth_bytes_per_op").get<double>();
    MESSAGE("diff: counted_leak_block " << per_op << " B/op");
    CHECK(std::fabs(per_op - kLeakBytes) <= 0.2 * kLeakBytes);
  }
  CHECK(diffed);
  fs::remove_all(root);
}

TEST_CASE("heapdrift run --ops-from-*: an unusable count is an error, not 0" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler")) {
  const std::string root = temp_dir("errors");
  std::string output;
  // The file never appears: exit 3 and why.
  int st = hd::test::run_to_exit(hd::test::bin_path("heapdrift"),
                                 {"run", "--run-dir", root + "/missing", "--allocator", "glibc",
                                  "--ops-from-file", root + "/nothing", "--", "sleep", "0.2"},
                                 std::chrono::seconds(30), &output);
  INFO(output);
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 3);
  CHECK(output.find("heapdrift run: error: no op count was read") != std::string::npos);
  CHECK(output.find(root + "/nothing: file missing") != std::string::npos);
  // A command that prints no number: said once, exit 3.
  st = hd::test::run_to_exit(hd::test::bin_path("heapdrift"),
                             {"run", "--run-dir", root + "/nonumber", "--allocator", "glibc",
                              "--ops-from-command", "echo none", "--", "sleep", "0.3"},
                             std::chrono::seconds(30), &output);
  CHECK(WEXITSTATUS(st) == 3);
  CHECK(output.find("--ops-from-command: no number in the output: 'none'") != std::string::npos);
  // A command printing a count that goes backwards.
  const std::string n = root + "/n";
  st = hd::test::run_to_exit(
      hd::test::bin_path("heapdrift"),
      {"run", "--run-dir", root + "/back", "--allocator", "glibc", "--snapshot-interval-ms", "20",
       "--ops-from-command", "cat " + n, "--", "sh", "-c",
       "echo 100 > " + n + "; sleep 0.3; echo 50 > " + n + "; sleep 0.3"},
      std::chrono::seconds(30), &output);
  CHECK(WEXITSTATUS(st) == 3);
  CHECK(output.find("the count went backwards, from 100 to 50") != std::string::npos);
  // Usage errors.
  st = hd::test::run_to_exit(hd::test::bin_path("heapdrift"),
                             {"run", "--ops-from-file", n, "--ops-regex", "(a)(b)", "--", "true"},
                             std::chrono::seconds(30), &output);
  CHECK(WEXITSTATUS(st) == 2);
  CHECK(output.find("must have exactly one capture group (it has 2)") != std::string::npos);
  fs::remove_all(root);
}
