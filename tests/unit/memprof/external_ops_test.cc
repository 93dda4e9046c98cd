// heapdrift run's external op count (memprof/external_ops.h): how the number
// is taken from text, the bounded command runner, and the poller's lines —
// every failure an "error" line with a message, never a count of 0.
#include "memprof/external_ops.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace hd::memprof {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_CASE("extract_count: first integer, or the regex's one group") {
  CHECK(*extract_count("12345\n", "") == 12345);
  CHECK(*extract_count("iterations: 42 (of 100)", "") == 42);
  const std::string info = "# Stats\ntotal_connections_received:3\ntotal_commands_processed:9876\n";
  CHECK(*extract_count(info, "") == 3);  // why --ops-regex exists
  CHECK(*extract_count(info, R"(total_commands_processed:(\d+))") == 9876);
  CHECK(*extract_count("ops = 17 \n", R"(ops =(.*))") == 17);  // blanks around the group allowed

  CHECK(extract_count("", "").status().message() == "no number in the output");
  CHECK(extract_count("none here", "").status().message() == "no number in the output");
  CHECK(extract_count(info, R"(get_hits:(\d+))").status().message() ==
        "--ops-regex 'get_hits:(\\d+)' does not match the output");
  CHECK(extract_count("ops=abc", R"(ops=(\w+))").status().message() ==
        "--ops-regex 'ops=(\\w+)' captured 'abc', not a non-negative integer");
  CHECK(extract_count("99999999999999999999", "").status().message() ==
        "the number 99999999999999999999 is too large");
  CHECK(!check_ops_regex(R"(\d+)"));          // no group
  CHECK(!check_ops_regex(R"((\d+) (\d+))"));  // two groups
  CHECK(!check_ops_regex("(unclosed"));
  CHECK(check_ops_regex(R"(x(\d+))"));
}

TEST_CASE("run_command_capture: stdout, failures named, timeout kills") {
  Result<std::string> ok = run_command_capture("echo 77; echo noise >&2", 5000);
  REQUIRE(ok);
  CHECK(*ok == "77\n");
  Result<std::string> bad = run_command_capture("echo nope >&2; exit 3", 5000);
  REQUIRE(!bad);
  CHECK(bad.status().message() == "`echo nope >&2; exit 3` exited with status 3 (stderr: nope)");
  const auto t0 = std::chrono::steady_clock::now();
  Result<std::string> slow = run_command_capture("sleep 30", 200);
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(!slow);
  CHECK(slow.status().message() ==
        "`sleep 30` did not finish within 200 ms (killed; --ops-timeout-ms)");
  CHECK(took < std::chrono::seconds(5));
  // A command that closes its output at once and goes on running: the
  // deadline still holds (waiting for it to exit used to block).
  const auto t1 = std::chrono::steady_clock::now();
  Result<std::string> mute = run_command_capture("exec >/dev/null 2>&1; sleep 30", 200);
  const auto took_mute = std::chrono::steady_clock::now() - t1;
  REQUIRE(!mute);
  CHECK(mute.status().message().find("did not finish within 200 ms") != std::string::npos);
  CHECK(took_mute < std::chrono::seconds(5));
}

TEST_CASE("ExternalOpsPoller: readings, error lines, backwards dropped, problem() explicit") {
  const fs::path dir = fs::temp_directory_path() / ("hd-poller-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path count = dir / "count";
  ExternalOpsSource src;
  src.kind = ExternalOpsSource::Kind::kFile;
  src.what = count.string();
  Result<ExternalOpsPoller> p = ExternalOpsPoller::open(src, dir.string());
  REQUIRE(p);
  p->poll();  // file missing at start-up: an error line, not 0
  CHECK(p->problem().find("no op count was read (1 failed polls; first: --ops-from-file " +
                          count.string() + ": file missing)") == 0);
  std::ofstream(count) << "10\n";
  p->poll();
  std::ofstream(count) << "garbage\n";
  p->poll();
  std::ofstream(count) << "25\n";
  p->poll();
  std::ofstream(count) << "20\n";  // backwards: dropped
  p->poll();
  const std::string text = slurp(dir / kExternalOpsFile);
  std::istringstream lines(text);
  std::vector<std::string> l;
  for (std::string s; std::getline(lines, s);) l.push_back(s);
  REQUIRE(l.size() == 6);
  CHECK(l[0].find("\"schema\":\"heapdrift.external_ops/1\",\"source\":\"file\"") !=
        std::string::npos);
  CHECK(l[1].find("\"error\":\"--ops-from-file " + count.string() + ": file missing\"") !=
        std::string::npos);
  CHECK(l[2].find("\"ops\":10}") != std::string::npos);
  CHECK(l[3].find("no number in the output: 'garbage'") != std::string::npos);
  CHECK(l[4].find("\"ops\":25}") != std::string::npos);
  CHECK(l[5].find("the count went backwards, from 25 to 20") != std::string::npos);
  CHECK(p->problem() ==
        "the op count went backwards 1 times (those readings were dropped; is it a cumulative "
        "count?)");

  // A command source; after the program's exit a failing command is not an error.
  src.kind = ExternalOpsSource::Kind::kCommand;
  src.what = "cat " + count.string();
  src.regex = "(\\d+)";
  Result<ExternalOpsPoller> c = ExternalOpsPoller::open(src, dir.string());
  REQUIRE(c);
  c->poll();
  CHECK(c->problem().empty());
  CHECK(c->summary() == "1 readings, last count 20, 0 failed polls");
  fs::remove(count);
  c->poll(/*after_exit=*/true);
  CHECK(c->summary() == "1 readings, last count 20, 0 failed polls");

  src.regex = "(a)(b)";
  CHECK(!ExternalOpsPoller::open(src, dir.string()));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hd::memprof
