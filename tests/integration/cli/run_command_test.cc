// `heapdrift run` on programs it cannot profile: not found or not executable
// (exit 127, the reason and the path), statically linked (refused before it
// starts, exit 2, saying why nothing could be measured).
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "integration/cluster_harness.h"
#include "skip.h"

namespace fs = std::filesystem;
using hd::test::bin_path;
using hd::test::run_to_exit;
using namespace std::chrono_literals;

namespace {

int exit_code(int status) {
  return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("heapdrift run: a program that is not there says 'not found', exit 127") {
  const std::string dir = hd::test::make_temp_dir("hd-run-missing");
  REQUIRE(!dir.empty());
  std::string out;
  const int by_path = exit_code(
      run_to_exit(bin_path("heapdrift"),
                  {"run", "--run-dir", dir + "/r", "--", "/nonexistent/prog"}, 30s, &out));
  INFO(out);
  CHECK(by_path == 127);
  CHECK(out.find("cannot run /nonexistent/prog: not found") != std::string::npos);
  CHECK(out.find("statically linked?") == std::string::npos);
  const int by_name = exit_code(
      run_to_exit(bin_path("heapdrift"),
                  {"run", "--run-dir", dir + "/r", "--", "heapdrift-no-such-program"}, 30s, &out));
  INFO(out);
  CHECK(by_name == 127);
  CHECK(out.find("heapdrift-no-such-program: not found (no such program in PATH") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/r"));  // nothing written
  fs::remove_all(dir);
}

TEST_CASE("heapdrift run: a statically linked program is refused before it starts, exit 2" *
          HD_SKIP_IF(!fs::exists(bin_path("hd_static_hello")),
                     "static linking is not possible on this machine (no libc.a)")) {
  const std::string dir = hd::test::make_temp_dir("hd-run-static");
  REQUIRE(!dir.empty());
  std::string out;
  const int code = exit_code(
      run_to_exit(bin_path("heapdrift"),
                  {"run", "--run-dir", dir + "/r", "--", bin_path("hd_static_hello")}, 30s, &out));
  INFO(out);
  CHECK(code == 2);
  CHECK(out.find(bin_path("hd_static_hello") + " is statically linked") != std::string::npos);
  CHECK(out.find("nothing of it") != std::string::npos);
  CHECK(out.find("static_hello ran") == std::string::npos);  // not started
  CHECK_FALSE(fs::exists(dir + "/r"));
  fs::remove_all(dir);
}
