// The committed golden runs against their committed expected outputs
// (tests/data/runs/expected, written by tests/data/runs/gen/expected.sh):
// summary.json and `heapdrift diff`'s text are recomputed in memory and
// compared field by field — numbers within a small relative tolerance,
// strings exactly — so any change of the report's output shows up here with
// the field that moved. Absolute paths are normalised on both sides.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/diff/diff.h"
#include "analysis/report/report.h"
#include "unit/analysis/runs_test_util.h"

namespace hd::analysis {
namespace {

using nlohmann::json;
using testing::kRuns;

const std::string kSource = std::string(HEAPDRIFT_SOURCE_DIR) + "/";
const std::string kExpected = kRuns + "expected/";

// The test's inputs (under tests/) relative to the repository root, as
// expected.sh names them; then, as expected.sh does, every absolute path (at
// the start, or after a space or '('; up to whitespace : " ( ) ,) becomes its
// last three components without the leading '/': the recording machine's
// checkout and binary folders are not part of the answer. Only the inputs'
// prefix is stripped: source paths recorded in the golden runs keep theirs,
// also when this checkout sits where the runs were recorded.
std::string normalize_paths(std::string s) {
  const std::string inputs = kSource + "tests/";
  for (size_t at; (at = s.find(inputs)) != std::string::npos;) s.erase(at, kSource.size());
  static const std::string kStops = " \t\n:\"(),";
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '/' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '(' || s[i - 1] == '"')) {
      size_t j = i;
      while (j < s.size() && kStops.find(s[j]) == std::string::npos) ++j;
      std::vector<std::string> parts;
      for (size_t k = i + 1; k <= j;) {
        const size_t slash = std::min(s.find('/', k), j);
        parts.push_back(s.substr(k, slash - k));
        k = slash + 1;
      }
      const size_t first = parts.size() > 3 ? parts.size() - 3 : 0;
      for (size_t k = first; k < parts.size(); ++k) out += (k > first ? "/" : "") + parts[k];
      i = j;
    } else {
      out += s[i++];
    }
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), path << ": missing (tests/data/runs/gen/expected.sh writes it)");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool close(double a, double b, double abs_tol) {
  return std::fabs(a - b) <= abs_tol + 1e-6 * std::max(std::fabs(a), std::fabs(b));
}

// Every difference between expected and actual, one line each, named by its
// JSON path ("runs[1].processes[0].heap_growth.slope: expected 3.2, got 3.4").
void compare_json(const json& e, const json& a, const std::string& path,
                  std::vector<std::string>& diffs) {
  const std::string where = path.empty() ? "(root)" : path;
  if (e.is_number() && a.is_number()) {
    if (!close(e.get<double>(), a.get<double>(), 1e-9))
      diffs.push_back(where + ": expected " + e.dump() + ", got " + a.dump());
    return;
  }
  if (e.type() != a.type()) {
    diffs.push_back(where + ": expected " + e.dump() + ", got " + a.dump());
    return;
  }
  if (e.is_object()) {
    for (const auto& [k, v] : e.items()) {
      if (!a.contains(k))
        diffs.push_back(where + "." + k + ": missing");
      else
        compare_json(v, a.at(k), path.empty() ? k : path + "." + k, diffs);
    }
    for (const auto& [k, v] : a.items())
      if (!e.contains(k)) diffs.push_back(where + "." + k + ": not expected");
  } else if (e.is_array()) {
    if (e.size() != a.size())
      diffs.push_back(where + ": expected " + std::to_string(e.size()) + " elements, got " +
                      std::to_string(a.size()));
    for (size_t i = 0; i < std::min(e.size(), a.size()); ++i)
      compare_json(e[i], a[i], path + "[" + std::to_string(i) + "]", diffs);
  } else if (e.is_string()) {
    if (normalize_paths(e.get<std::string>()) != normalize_paths(a.get<std::string>()))
      diffs.push_back(where + ": expected " + e.dump() + ", got " + a.dump());
  } else if (e != a) {
    diffs.push_back(where + ": expected " + e.dump() + ", got " + a.dump());
  }
}

// A whitespace-separated token as a number, and its printed precision.
bool as_number(const std::string& t, double* v, double* unit) {
  char* end = nullptr;
  *v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size()) return false;
  const size_t dot = t.find('.');
  *unit = dot == std::string::npos ? 1 : std::pow(10.0, -static_cast<double>(t.size() - dot - 1));
  return true;
}

// Line by line, token by token: printed numbers may differ by one unit of
// their last digit (floating point), everything else must match.
void compare_text(const std::string& expected, const std::string& actual,
                  std::vector<std::string>& diffs) {
  std::istringstream es(expected), as(actual);
  std::string el, al;
  for (int line = 1;; ++line) {
    const bool more_e = static_cast<bool>(std::getline(es, el));
    const bool more_a = static_cast<bool>(std::getline(as, al));
    if (!more_e && !more_a) return;
    if (more_e != more_a) {
      diffs.push_back("line " + std::to_string(line) + ": expected \"" + (more_e ? el : "") +
                      "\", got \"" + (more_a ? al : "") + "\"");
      return;
    }
    std::istringstream et(el), at(al);
    std::vector<std::string> ew, aw;
    for (std::string w; et >> w;) ew.push_back(w);
    for (std::string w; at >> w;) aw.push_back(w);
    bool same = ew.size() == aw.size();
    for (size_t i = 0; same && i < ew.size(); ++i) {
      double x = 0, y = 0, ux = 0, uy = 0;
      if (as_number(ew[i], &x, &ux) && as_number(aw[i], &y, &uy))
        same = close(x, y, std::max(ux, uy) * 1.001);
      else
        same = ew[i] == aw[i];
    }
    if (!same)
      diffs.push_back("line " + std::to_string(line) + ": expected \"" + el + "\", got \"" + al +
                      "\"");
  }
}

std::string joined(const std::vector<std::string>& diffs) {
  std::string s;
  for (size_t i = 0; i < diffs.size() && i < 20; ++i) s += "\n  " + diffs[i];
  if (diffs.size() > 20) s += "\n  ... " + std::to_string(diffs.size() - 20) + " more";
  return s;
}

struct GoldenSet {
  const char* name;
  std::vector<const char*> runs;  // the diff is of the first two
};

const std::vector<GoldenSet> kSets = {
    {"normal", {"normal-2k", "normal-10k"}},
    {"history", {"history-2k", "history-10k"}},
    {"leak", {"leak-2k", "leak-10k"}},
    {"fragment", {"fragment-2k", "fragment-10k"}},
    {"slowpath", {"slowpath-2k", "slowpath-10k"}},
    {"cache", {"cache-2k", "cache-10k", "cache-bounded-10k"}},
};

TEST_CASE("golden expected: summary.json of every golden set, field by field") {
  for (const GoldenSet& set : kSets) {
    INFO("set " << std::string(set.name));
    std::vector<Run> runs;
    for (const char* n : set.runs) {
      Result<Run> r = load_run(kRuns + n);
      REQUIRE(r.is_ok());
      runs.push_back(std::move(*r));
    }
    group_runs(runs);
    Result<Analysis> a = analyse(runs, AnalyseOptions{});
    REQUIRE(a.is_ok());
    const json actual = json::parse(render_summary_json(*a));
    const json expected = json::parse(read_file(kExpected + set.name + "/summary.json"));
    std::vector<std::string> diffs;
    compare_json(expected, actual, "", diffs);
    CHECK_MESSAGE(diffs.empty(),
                  "expected/" << set.name << "/summary.json differs:" << joined(diffs));
  }
}

TEST_CASE("golden expected: heapdrift diff text of every golden set") {
  for (const GoldenSet& set : kSets) {
    INFO("set " << std::string(set.name));
    Result<DiffResult> d = diff_inputs(kRuns + set.runs[0], kRuns + set.runs[1]);
    REQUIRE(d.is_ok());
    const std::string actual = normalize_paths(diff_text(*d, 25));  // `heapdrift diff`'s --top
    const std::string expected = read_file(kExpected + set.name + "/diff.txt");
    std::vector<std::string> diffs;
    compare_text(expected, actual, diffs);
    CHECK_MESSAGE(diffs.empty(), "expected/" << set.name << "/diff.txt differs:" << joined(diffs));
  }
}

TEST_CASE("golden expected: the comparison names what moved") {
  std::vector<std::string> diffs;
  compare_json(json::parse(R"({"a":[1,{"b":"x"}],"n":1.0})"),
               json::parse(R"({"a":[1,{"b":"y"}],"n":1.5,"extra":0})"), "", diffs);
  REQUIRE(diffs.size() == 3);
  CHECK(diffs[0] == "a[1].b: expected \"x\", got \"y\"");
  CHECK(diffs[1] == "n: expected 1.0, got 1.5");
  CHECK(diffs[2] == "(root).extra: not expected");
  diffs.clear();
  compare_text("a 1.5 b\n", "a 1.6 b\n", diffs);
  CHECK(diffs.empty());  // one unit of the last printed digit
  compare_text("a 1.5 b\n", "a 1.8 b\n", diffs);
  CHECK(diffs.size() == 1);
  CHECK(normalize_paths("f (/work/main/replica/core/log.h:27) /tmp/x") ==
        "f (replica/core/log.h:27) tmp/x");
  // Inputs relative to the checkout; a recorded source path under it is
  // still cut to its last three components, wherever the checkout is.
  CHECK(normalize_paths("A: " + kSource + "tests/data/runs/x") == "A: tests/data/runs/x");
  CHECK(normalize_paths("(" + kSource + "a/b/c.cc:1)") == "(a/b/c.cc:1)");
}

}  // namespace
}  // namespace hd::analysis
