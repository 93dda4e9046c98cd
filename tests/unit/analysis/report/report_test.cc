// The report files (analysis/report/report.h) over the committed golden runs:
// summary.json schema, the finding first in every form, inline charts; and
// report_runs returning what it wrote.
#include "analysis/report/report.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "analysis/report/charts.h"
#include "unit/analysis/runs_test_util.h"

namespace hd::analysis {
namespace {

using testing::analyse_golden;
using testing::kRuns;

TEST_CASE("report files: summary.json schema, finding first, charts inline") {
  Analysis a = analyse_golden({"history-2k", "history-10k"});
  const std::string out = (std::filesystem::temp_directory_path() / "hd_report_test").string();
  std::filesystem::remove_all(out);
  REQUIRE(write_report(a, out).is_ok());
  std::ifstream jf(out + "/summary.json");
  nlohmann::json j = nlohmann::json::parse(jf);
  CHECK(j["schema"] == "heapdrift.report/1");
  CHECK(j["finding"]["text"] == a.finding_text);
  CHECK(j["finding"]["cause"] == std::string(cause_name(a.finding.cause)));
  CHECK(j["lengths"].size() == 2);
  CHECK(j["lengths"][0].contains("throughput_mean_ops_s"));
  bool accumulates = false;
  for (const auto& p : j["runs"][1]["processes"])
    for (const auto& s : p["sites"]) {
      REQUIRE(s.contains("function"));
      REQUIRE(s.contains("file"));
      REQUIRE(s.contains("line"));
      REQUIRE(s.contains("slope_bytes_per_op"));
      if (s["verdict"] == "accumulates") accumulates = true;
    }
  CHECK(accumulates);
  std::stringstream html;
  html << std::ifstream(out + "/index.html").rdbuf();
  const std::string h = html.str();
  CHECK(h.find("id=\"finding\"") < h.find("<svg"));
  CHECK(h.find("<polyline class=\"series\"") != std::string::npos);
  CHECK(h.find("Live heap (allocated) vs ops") != std::string::npos);
  CHECK(h.find("http") == h.find("http://www.w3.org/2000/svg"));  // no external resources
  std::stringstream md;
  md << std::ifstream(out + "/summary.md").rdbuf();
  CHECK(md.str().find("## Finding") == md.str().find("##"));
  // One iteration per length: no spread is known, and neither the tables nor
  // summary.json may show one ("± 0" read as none at all).
  REQUIRE(a.lengths[0].iterations == 1);
  CHECK(j["lengths"][0]["throughput_stddev_ops_s"].is_null());
  CHECK(md.str().find(" (1 run) |") != std::string::npos);
  CHECK(md.str().find("± 0 |") == std::string::npos);
  CHECK(h.find(" (1 run)</td>") != std::string::npos);
}

TEST_CASE("report_runs: returns the Analysis it wrote; errors name the folder") {
  const std::string out = (std::filesystem::temp_directory_path() / "hd_report_runs_test").string();
  std::filesystem::remove_all(out);
  Result<Analysis> a = report_runs({kRuns + "normal-2k", kRuns + "normal-10k"}, out, false);
  REQUIRE(a.is_ok());
  CHECK(a->runs.size() == 2);
  std::ifstream jf(out + "/summary.json");
  const nlohmann::json j = nlohmann::json::parse(jf);
  CHECK(j["finding"]["text"] == a->finding_text);
  CHECK(j["finding"]["cause"] == std::string(cause_name(a->finding.cause)));
  CHECK(j["lengths"].size() == a->lengths.size());
  std::filesystem::remove_all(out);
  Result<Analysis> missing = report_runs({kRuns + "no-such-run"}, out, false);
  REQUIRE(!missing.is_ok());
  CHECK(missing.status().message().find("no-such-run") != std::string::npos);
  CHECK(!run_report({kRuns + "no-such-run"}, out, false).is_ok());
}

}  // namespace
}  // namespace hd::analysis

TEST_CASE("site_label: an anonymous namespace keeps the function's name") {
  hd::analysis::SiteSeries s;
  s.key = "k";
  s.function =
      "void hd::wire::(anonymous namespace)::encode_one<hd::core::Propose>(int, char const&)";
  s.file = "/src/replica/wire/codec.cc";
  s.line = 67;
  // Before: the first '(' cut the name to "hd::wire::()".
  CHECK(hd::analysis::site_label(s) ==
        "hd::wire::(anonymous namespace)::encode_one<hd::core::Propose>() codec.cc:67");
  s.function = "hd::core::KvStore::put(unsigned long, std::string)";
  s.file = "kv_store.h";
  s.line = 27;
  CHECK(hd::analysis::site_label(s) == "hd::core::KvStore::put() kv_store.h:27");
}
