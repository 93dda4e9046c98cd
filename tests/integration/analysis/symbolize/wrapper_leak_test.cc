// Sites named past a program's own malloc wrapper, end to end: `heapdrift
// run` on hd_wrapper_leak (tests/programs/wrapper_leak.c: every allocation
// through my_alloc, a name on no list; remember_request leaks, three other
// callers churn; no op counter), then `heapdrift report` on its folder: the
// top site is remember_request, not my_alloc, with its call path. Only the
// naming is asserted: verdicts without an op count are another matter.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/cluster_harness.h"
#include "memprof/allocator_select.h"
#include "skip.h"
#include "unit/memprof/run_folder_check.h"

namespace fs = std::filesystem;

namespace {

bool jemalloc_missing() {
  return hd::memprof::allocator_library_path(hd::memprof::Backend::kJemalloc).empty();
}

std::string temp_dir() {
  std::string t = "/tmp/hd-wrapper-leak-XXXXXX";
  std::vector<char> buf(t.begin(), t.end());
  buf.push_back('\0');
  REQUIRE(mkdtemp(buf.data()) != nullptr);
  return buf.data();
}

int heapdrift(const std::vector<std::string>& args, std::string* output) {
  const int st = hd::test::run_to_exit(hd::test::bin_path("heapdrift"), args,
                                       std::chrono::seconds(120), output);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

nlohmann::json summary_sites(const std::string& report) {
  std::ifstream in(report + "/summary.json");
  REQUIRE(in);
  const nlohmann::json j = nlohmann::json::parse(in);
  REQUIRE(j.at("runs").size() == 1);
  REQUIRE(j.at("runs")[0].at("processes").size() == 1);
  return j.at("runs")[0].at("processes")[0].at("sites");
}

}  // namespace

TEST_CASE("heapdrift run + report: the leak is named past the program's own malloc wrapper" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild || jemalloc_missing(),
                     "sanitizer build: the test preloads an allocator or profiler, or "
                     "libjemalloc.so.2 not installed")) {
  const std::string tmp = temp_dir();
  const std::string dir = tmp + "/wrapper_leak";
  std::string out;
  // 3000 iterations of 512 leaked bytes, ~1 s; a 4 KiB mean sample period so
  // every site has samples.
  REQUIRE_MESSAGE(heapdrift({"run", "--run-dir", dir, "--snapshot-interval-ms", "50",
                             "--lg-prof-sample", "12", "--heap-profile-at-ms", "300,600", "--",
                             hd::test::bin_path("hd_wrapper_leak"), "3000", "300"},
                            &out) == 0,
                  out);
  REQUIRE_MESSAGE(heapdrift({"report", dir, "-o", tmp + "/report"}, &out) == 0, out);
  const nlohmann::json sites = summary_sites(tmp + "/report");
  REQUIRE_FALSE(sites.empty());
  const nlohmann::json& top = sites[0];  // by final in-use bytes
  INFO("top site: " << top.dump());
  CHECK(top.at("function").get<std::string>().starts_with("remember_request"));
  CHECK(top.at("file").get<std::string>().ends_with("wrapper_leak.c"));
  const auto path = top.at("call_path").get<std::vector<std::string>>();
  REQUIRE(path.size() >= 2);
  CHECK(path.size() <= 5);
  CHECK(path[0].starts_with("remember_request (wrapper_leak.c:"));
  CHECK(path[1].starts_with("main (wrapper_leak.c:"));
  for (const nlohmann::json& s : sites) {
    INFO("site: " << s.at("key"));
    CHECK(s.at("function").get<std::string>().find("my_alloc") == std::string::npos);
  }
  // The bounded caches' callers are sites of their own, not merged into the
  // wrapper.
  bool churn = false;
  for (const nlohmann::json& s : sites)
    churn = churn || s.at("function").get<std::string>().starts_with("format_reply");
  CHECK(churn);
  const std::string text = hd::test::memprof::slurp(tmp + "/report/summary.md");
  CHECK(text.find("`remember_request (wrapper_leak.c:") != std::string::npos);

  // --skip-frames is checked before anything is read.
  CHECK(heapdrift({"report", dir, "-o", tmp + "/bad", "--skip-frames", "(my_alloc"}, &out) == 2);
  CHECK(out.find("--skip-frames") != std::string::npos);
  fs::remove_all(tmp);
}
