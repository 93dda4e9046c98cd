// Bad input by construction (issue 15): every program and subcommand is run
// against bad values for each option its own --help lists, so an option added
// later is covered without editing this file: negative, zero (where the
// range starts at 1), huge, non-numeric, overflowing, missing, empty, not a
// choice, a file that does not exist, a single-value option given twice.
// Every case must exit 2, name the option (and the bad value), leave no
// process behind and write nothing outside its output folder (its working
// directory, TMPDIR and HOME are empty folders that must stay empty). An
// unreadable file is not in the matrix: the suite runs as root in CI, and
// root reads any file.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "integration/cli/bad_input.h"

using namespace hd::test::bad_input;

namespace {

// An option as its program's --help (CLI11's format) lists it.
struct HelpOption {
  std::vector<std::string> names;  // "-o", "--output"
  std::string type;                // "UINT:INT in [1, 1000]", "TEXT:{a,b}", "" for a flag
  std::string long_name() const {
    for (const auto& n : names)
      if (n.starts_with("--")) return n;
    return names.front();
  }
};

std::vector<HelpOption> parse_help(const std::string& help) {
  std::vector<HelpOption> out;
  std::istringstream in(help);
  std::string line;
  bool in_options = false;
  while (std::getline(in, line)) {  // ends with the text
    if (!line.empty() && line[0] != ' ') {
      in_options = line.starts_with("Options:");
      continue;
    }
    if (!in_options || !line.starts_with("  -")) continue;
    const std::string body = line.substr(2);
    const size_t sp = body.find(' ');
    HelpOption o;
    std::stringstream names(body.substr(0, sp));
    for (std::string n; std::getline(names, n, ',');) o.names.push_back(n);
    if (sp != std::string::npos) {
      std::string rest = body.substr(sp);
      rest = rest.substr(std::min(rest.find_first_not_of(' '), rest.size()));
      // The type is one column after the names: a single space before it,
      // two or more before the description (a flag has no type).
      if (sp + 1 < body.size() && body[sp + 1] != ' ') o.type = rest.substr(0, rest.find("  "));
    }
    // A required flag shows only REQUIRED where the type would be.
    if (o.type == "REQUIRED") o.type.clear();
    if (o.long_name() == "--help" || o.long_name() == "--help-all") continue;
    out.push_back(o);
  }
  return out;
}

// An empty argument (`--opt ""`), told apart from a missing value ("").
const std::string kEmpty = std::string(1, '\0');

// The bad values for an option of this type ("" means: the value missing).
std::vector<std::string> bad_values(const std::string& type) {
  if (type.empty()) return {};
  std::vector<std::string> v = {""};  // missing value
  const bool numeric = type.starts_with("UINT") || type.starts_with("INT") ||
                       type.starts_with("FLOAT") || type.find("NUMBER") != std::string::npos;
  if (numeric) {
    v.insert(v.end(), {"-1", "99999999999999999999", "abc", "1e999", kEmpty});
    // A lower bound of 1 or more makes 0 bad too.
    const size_t in = type.find("in [");
    if (in != std::string::npos && std::atoll(type.c_str() + in + 4) >= 1) v.push_back("0");
  } else if (type.starts_with("BOOLEAN")) {
    v.push_back("maybe");
  } else if (type.find(":{") != std::string::npos) {
    v.push_back("no-such-choice");
  } else if (type.find("FILE") != std::string::npos ||
             type.find("PATH(existing)") != std::string::npos) {
    // Only where the option says the file must exist: --ops-from-file names
    // a file the program may write later.
    v.push_back("/nonexistent/heapdrift-bad-input");
    v.push_back(kEmpty);
  }
  return v;
}

// A valid-looking value for a single-value option, to give it twice: the
// prefix's own value, else 1 (or the range's lower bound) for a number;
// "" when there is none to try (text, lists).
std::string second_value(const HelpOption& o, const std::vector<std::string>& prefix) {
  if (o.type.empty()) return "";  // a flag: no value
  if (o.type.find("...") != std::string::npos || o.type.find(" x ") != std::string::npos)
    return "";  // takes several values: repeating it is allowed
  for (size_t i = 0; i + 1 < prefix.size(); ++i)
    for (const auto& n : o.names)
      if (prefix[i] == n) return prefix[i + 1];
  const bool numeric = o.type.starts_with("UINT") || o.type.starts_with("INT") ||
                       o.type.starts_with("FLOAT") || o.type.find("NUMBER") != std::string::npos;
  if (!numeric) return "";
  const size_t in = o.type.find("in [");
  const long long lo = in != std::string::npos ? std::atoll(o.type.c_str() + in + 4) : 1;
  return std::to_string(std::max(1LL, lo));
}

// What a refused command could write outside its output folder: its working
// directory, TMPDIR and HOME, pointed at empty folders for the test's length.
struct Outside {
  std::string cwd, tmp, home;
  std::string old_cwd = std::filesystem::current_path().string();
  std::optional<std::string> old_tmp = env("TMPDIR"), old_home = env("HOME");
  explicit Outside(const std::string& root)
      : cwd(root + "/cwd"), tmp(root + "/tmpdir"), home(root + "/home") {
    for (const auto* d : {&cwd, &tmp, &home}) std::filesystem::create_directories(*d);
    std::filesystem::current_path(cwd);
    setenv("TMPDIR", tmp.c_str(), 1);
    setenv("HOME", home.c_str(), 1);
  }
  ~Outside() {
    std::error_code ec;
    std::filesystem::current_path(old_cwd, ec);
    restore("TMPDIR", old_tmp);
    restore("HOME", old_home);
  }
  Outside(const Outside&) = delete;
  Outside& operator=(const Outside&) = delete;
  // What appeared in any of them ("" if nothing); removes it for the next case.
  std::string written() const {
    std::string w;
    for (const auto* d : {&cwd, &tmp, &home})
      for (const auto& e : std::filesystem::directory_iterator(*d)) {
        w += e.path().string() + " ";
        std::error_code ec;
        std::filesystem::remove_all(e.path(), ec);
      }
    return w;
  }
  static std::optional<std::string> env(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  }
  static void restore(const char* name, const std::optional<std::string>& v) {
    if (v)
      setenv(name, v->c_str(), 1);
    else
      unsetenv(name);
  }
};

// prefix without the option under test (and its value): given twice, CLI11
// would complain about the repetition instead.
std::vector<std::string> without(const std::vector<std::string>& args, const HelpOption& o) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    bool hit = false;
    for (const auto& n : o.names) hit = hit || args[i] == n;
    if (hit) {
      ++i;  // its value
      continue;
    }
    out.push_back(args[i]);
  }
  return out;
}

}  // namespace

TEST_CASE("bad input: every option of every program, from its --help, is refused with exit 2") {
  Scratch s;
  REQUIRE(!s.dir.empty());
  Subreaper subreaper;
  Outside outside(s.dir + "/outside");
  size_t cases = 0;
  for (const Program& p : programs(s)) {
    std::vector<std::string> help_args = p.sub;
    help_args.push_back("--help");
    const Outcome help = run(p.binary, help_args);
    REQUIRE_MESSAGE(help.exit_code == 0, p.label() << " --help: " << help.output);
    const std::vector<HelpOption> options = parse_help(help.output);
    REQUIRE_MESSAGE(!options.empty(), p.label() << " --help lists no option: " << help.output);
    for (const HelpOption& o : options) {
      for (const std::string& value : bad_values(o.type)) {
        std::vector<std::string> args = p.sub;
        const std::vector<std::string> prefix = without(p.prefix, o);
        args.insert(args.end(), prefix.begin(), prefix.end());
        args.push_back(o.long_name());
        if (value.empty()) {
          // Missing value: the option last (after it, "--" would be taken
          // for its value).
        } else {
          args.push_back(value == kEmpty ? std::string() : value);
          args.insert(args.end(), p.suffix.begin(), p.suffix.end());
        }
        const Outcome r = run(p.binary, args);
        const std::string written = outside.written();
        ++cases;
        INFO(p.label() << " " << o.long_name() << " (" << o.type << ") "
                       << (value.empty()     ? "<missing>"
                           : value == kEmpty ? "<empty>"
                                             : value)
                       << "\n  args: " << joined(args) << "\n  output: " << r.output);
        CHECK(r.exit_code == 2);
        CHECK(r.output.find(o.long_name()) != std::string::npos);
        if (!value.empty() && value != kEmpty) CHECK(r.output.find(value) != std::string::npos);
        CHECK(r.leftovers == 0);
        CHECK_MESSAGE(written.empty(), "written outside the output folder: " << written);
      }
      // Given twice (a single-value option): refused, not silently the last.
      const std::string again = second_value(o, p.prefix);
      if (again.empty()) continue;
      std::vector<std::string> args = p.sub;
      const std::vector<std::string> prefix = without(p.prefix, o);
      args.insert(args.end(), prefix.begin(), prefix.end());
      args.insert(args.end(), {o.long_name(), again, o.long_name(), again});
      args.insert(args.end(), p.suffix.begin(), p.suffix.end());
      const Outcome r = run(p.binary, args);
      const std::string written = outside.written();
      ++cases;
      INFO(p.label() << " " << o.long_name() << " given twice\n  args: " << joined(args)
                     << "\n  output: " << r.output);
      CHECK(r.exit_code == 2);
      CHECK(r.output.find(o.long_name()) != std::string::npos);
      CHECK(r.leftovers == 0);
      CHECK_MESSAGE(written.empty(), "written outside the output folder: " << written);
    }
  }
  MESSAGE(cases << " bad-value cases run");
  CHECK(cases > 100);  // the help parsing found the options
}
