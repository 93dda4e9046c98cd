// Shared by the bad-input integration tests (tests/integration/cli): the
// programs with base arguments that are valid up to parsing and fail right
// after it with a different message (an unknown alias, a config that does not
// parse, an empty folder, a program that does not exist), so a bad value that
// got through is seen by its message and nothing is started; running one case
// and checking that nothing it started is left running. Main thread only.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "integration/cluster_harness.h"

namespace hd::test::bad_input {

// One program or subcommand and the arguments that make it fail right after
// parsing: prefix goes before the option under test, suffix after it.
struct Program {
  std::string binary;
  std::vector<std::string> sub;  // subcommand words
  std::vector<std::string> prefix;
  std::vector<std::string> suffix;
  std::string label() const {
    std::string l = binary;
    for (const auto& s : sub) l += " " + s;
    return l;
  }
};

// PIDs whose parent is `parent` (from /proc/*/stat).
inline std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> kids;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string text;
    std::getline(stat, text);
    const size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 1));
    char state = 0;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent && state != 'Z') kids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return kids;
}

// Orphans of the programs run here become this process's children
// (subreaper) while the test runs: "nothing left running" is then "no child".
struct Subreaper {
  Subreaper() { prctl(PR_SET_CHILD_SUBREAPER, 1); }
  ~Subreaper() { prctl(PR_SET_CHILD_SUBREAPER, 0); }
};

// Kills and reaps what is left; returns how many there were.
inline size_t reap_leftovers() {
  const std::vector<pid_t> left = children_of(getpid());
  for (pid_t p : left) kill(p, SIGKILL);
  for (pid_t p : left) waitpid(p, nullptr, 0);
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  return left.size();
}

struct Outcome {
  int exit_code = -1;  // -1: killed by a signal or timed out
  std::string output;
  size_t leftovers = 0;
};

inline Outcome run(const std::string& binary, const std::vector<std::string>& args) {
  Outcome o;
  const int status = run_to_exit(bin_path(binary), args, std::chrono::seconds(60), &o.output);
  if (status != -1 && WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
  o.leftovers = reap_leftovers();
  return o;
}

inline std::string joined(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "'" : " '") + a + "'";
  return s;
}

// Scratch inputs: a config that does not parse, an empty folder, a file that
// is not a result JSON.
struct Scratch {
  std::string dir = hd::test::make_temp_dir("hd-bad-input");
  std::string bad_conf = dir + "/bad.conf";
  std::string empty_dir = dir + "/empty";
  std::string not_json = dir + "/not.json";
  std::string out = dir + "/out";
  Scratch() {
    std::ofstream(bad_conf) << "this line is not a config key\n";
    std::filesystem::create_directories(empty_dir);
    std::ofstream(not_json) << "not json\n";
  }
  ~Scratch() {
    std::error_code ec;
    if (std::getenv("HD_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(dir, ec);
  }
};

inline std::vector<Program> programs(const Scratch& s) {
  const std::string conf = std::string(HEAPDRIFT_SOURCE_DIR) + "/configs/local.conf";
  const std::vector<std::string> no_program = {"--", "/nonexistent/heapdrift-no-such-program"};
  return {
      {"loadgen", {}, {"--config", conf, "--alias", "no-such-client"}, {}},
      {"loadgen", {"merge"}, {s.not_json}, {}},
      {"replica", {}, {"--config", conf, "--alias", "no-such-replica"}, {}},
      {"heapdrift", {"run"}, {"--run-dir", s.out + "/run"}, no_program},
      {"heapdrift", {"report"}, {s.empty_dir, "-o", s.out + "/report"}, {}},
      {"heapdrift", {"diff"}, {s.empty_dir, s.empty_dir}, {}},
      {"heapdrift", {"export"}, {s.empty_dir, "--pprof", "-o", s.out + "/x.pb.gz"}, {}},
      {"heapdrift", {"bench"}, {s.bad_conf, "-o", s.out + "/bench"}, {}},
      {"heapdrift", {"cluster"}, {"--config", s.bad_conf, "-o", s.out + "/cluster"}, no_program},
  };
}

}  // namespace hd::test::bad_input
