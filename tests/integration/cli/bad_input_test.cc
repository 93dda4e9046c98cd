// Bad input, refused clearly: an unknown flag is named (CLI11 checked the
// required options first and said only "--config is required"), and a path
// that does not exist is named as such (it said "not a directory"), exit 2,
// nothing left running (issue 15).
#include "integration/cli/bad_input.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using namespace hd::test::bad_input;

TEST_CASE("bad input: an unknown flag is named (not a missing required option), exit 2") {
  Scratch s;
  REQUIRE(!s.dir.empty());
  Subreaper subreaper;
  std::vector<Program> all = programs(s);
  all.push_back({"heapdrift", {}, {}, {}});
  for (const Program& p : all) {
    // Alone (the required options missing too) and after valid base arguments.
    for (const bool with_base : {false, true}) {
      std::vector<std::string> args = p.sub;
      if (with_base) args.insert(args.end(), p.prefix.begin(), p.prefix.end());
      args.push_back("--no-such-flag");
      if (with_base) args.insert(args.end(), p.suffix.begin(), p.suffix.end());
      const Outcome r = run(p.binary, args);
      INFO(p.label() << " args: " << joined(args) << "\n  output: " << r.output);
      CHECK(r.exit_code == 2);
      CHECK(r.output.find("--no-such-flag") != std::string::npos);
      CHECK(r.output.find("is required") == std::string::npos);
      CHECK(r.leftovers == 0);
    }
  }
}

TEST_CASE("bad input: a path that does not exist is named as such, exit 2") {
  Scratch s;
  REQUIRE(!s.dir.empty());
  Subreaper subreaper;
  const std::string missing = s.dir + "/no-such-folder";
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"heapdrift", {"report", missing, "-o", s.out + "/report"}},
      {"heapdrift", {"diff", missing, s.empty_dir}},
      {"heapdrift", {"diff", s.empty_dir, missing}},
      {"heapdrift", {"export", missing, "--pprof", "-o", s.out + "/x.pb.gz"}},
      {"heapdrift", {"bench", missing, "-o", s.out + "/bench"}},
      {"loadgen", {"merge", missing}},
      {"loadgen", {"--config", missing}},
      {"replica", {"--config", missing, "--alias", "replica0"}},
  };
  for (const auto& c : cases) {
    const Outcome r = run(c.first, c.second);
    INFO(c.first << " " << joined(c.second) << "\n  output: " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(missing) != std::string::npos);
    CHECK(r.output.find("not a directory") == std::string::npos);
    CHECK(r.output.find("exist") != std::string::npos);  // "does not exist"
    CHECK(r.leftovers == 0);
  }
  // Nothing was written for them.
  CHECK_FALSE(fs::exists(s.out));
}

TEST_CASE("bad input: bench/soak.sh --config names a config it cannot read, exit 2") {
  Scratch s;
  REQUIRE(!s.dir.empty());
  const std::string missing = s.dir + "/no-such.conf";
  std::string output;
  const int status = hd::test::run_to_exit(std::string(HEAPDRIFT_SOURCE_DIR) + "/bench/soak.sh",
                                           {"--config", missing, "--out", s.out + "/soak"},
                                           std::chrono::seconds(20), &output);
  INFO("output: " << output);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  CHECK(output.find("cannot read config " + missing) != std::string::npos);
  CHECK_FALSE(fs::exists(s.out + "/soak"));  // refused before anything ran
}
