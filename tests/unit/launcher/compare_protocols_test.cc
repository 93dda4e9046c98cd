// The protocol comparison of `heapdrift bench --protocols` (launcher/
// compare_protocols.h) on Analysis objects built here: the table's rows and
// cells, the comparison finding's figures (each one a cell of the table),
// what it says when data are too few, the growing heap sites per protocol,
// and protocols.md added to a written report.
#include "launcher/compare_protocols.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace hd::bench {
namespace {

namespace fs = std::filesystem;
using analysis::Analysis;
using analysis::LengthRow;

// A length with throughput tput, fast-path share fast (of 1000 strong ops;
// < 0: no strong op) and the given SR, SW, WR, WW p99s (ms; < 0: no op).
LengthRow length(int64_t ops, double tput, double fast, std::array<double, 4> p99) {
  LengthRow l;
  l.length_ops = ops;
  l.iterations = 3;  // a spread (tput_sd) needs two or more
  l.tput_mean = tput;
  l.tput_sd = tput / 100;
  if (fast >= 0) {
    l.fast_fraction = fast;
    l.strong_fast_ops = static_cast<uint64_t>(fast * 1000);
    l.strong_slow_ops = 1000 - l.strong_fast_ops;
  }
  for (size_t c = 0; c < 4; ++c)
    if (p99[c] >= 0) l.classes[c] = {100, p99[c] / 2, p99[c]};
  l.retries_per_s = 1.5;
  l.timeouts_per_s = 0;
  for (const char* name : {"replica0", "replica1", "replica2", "client0"}) {
    LengthRow::Proc p;
    p.name = name;
    p.bytes_per_op = 100;
    p.peak_rss = 8 << 20;
    l.processes.push_back(p);
  }
  return l;
}

const std::array<double, 4> kQuick = {0.5, 0.8, 0.3, 0.4};

// The table's data rows as cells, by (protocol, ops).
std::map<std::pair<std::string, std::string>, std::vector<std::string>> by_row(const Table& t) {
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> m;
  for (const auto& r : t.rows) m[{r.at(0), r.at(1)}] = r;
  return m;
}

size_t column(const Table& t, const std::string& name) {
  for (size_t i = 0; i < t.header.size(); ++i)
    if (t.header[i] == name) return i;
  FAIL("no column " << name);
  return 0;
}

TEST_CASE("protocols: one row per protocol x length, and the finding's figures are its cells") {
  Analysis ht, ho;
  ht.lengths = {length(10000, 50000, 0.95, kQuick), length(100000, 50000, 0.94, kQuick)};
  ho.lengths = {length(10000, 47000, 0.90, kQuick), length(100000, 46000, 0.85, kQuick)};
  const ProtocolTables t = compare_protocols({{"curpht", &ht}, {"curpho", &ho}});
  REQUIRE(t.rows.rows.size() == 4);
  // Same length side by side.
  CHECK(t.rows.rows[0][0] == "curpht");
  CHECK(t.rows.rows[1][0] == "curpho");
  CHECK(t.rows.rows[1][1] == "10000");
  CHECK(t.rows.rows[3][1] == "100000");
  for (const auto& r : t.rows.rows) CHECK(r.size() == t.rows.header.size());
  const auto rows = by_row(t.rows);
  const auto& ho_long = rows.at({"curpho", "100000"});
  const size_t vs = column(t.rows, "vs curpht"), ratio = column(t.rows, "ratio to shortest"),
               fast = column(t.rows, "fast / slow (strong)");
  CHECK(ho_long[vs] == "92.0 %");    // 46000 / 50000
  CHECK(ho_long[ratio] == "0.979");  // 46000 / 47000
  CHECK(ho_long[fast] == "85.0 % / 15.0 %");
  CHECK(rows.at({"curpht", "100000"})[vs] == "100.0 %");
  CHECK(rows.at({"curpht", "10000"})[ratio] == "1.000");
  CHECK(ho_long[column(t.rows, "SW p50 / p99 (ms)")] == "0.40 / 0.80");
  CHECK(ho_long[column(t.rows, "bytes/op (replicas, mean)")] == "n/a");  // no counters in runs
  CHECK(ho_long[column(t.rows, "peak RSS (replicas, MiB)")] == "8.0");
  INFO(t.finding);
  CHECK(t.finding.find("CURP-HO throughput at 100000 ops = 92.0 % of CURP-HT (target ≥ 90 %: "
                       "met)") != std::string::npos);
  CHECK(t.finding.find("HO ratio longest/shortest = 0.979 (100000 vs 10000 ops; target ≥ 0.97: "
                       "met)") != std::string::npos);
  CHECK(t.finding.find("HO fast-path share at 100000 ops = 85.0 % of strong ops (target ≥ 80 %: "
                       "met)") != std::string::npos);
  CHECK(t.finding.find("No protocol's p99 sits at a retry or sync timer") != std::string::npos);
  CHECK(t.finding.find("No ops") == std::string::npos);
}

TEST_CASE("protocols: targets missed are said missed; a p99 at the sync timer is named") {
  Analysis ht, ho;
  ht.lengths = {length(10000, 50000, 0.95, kQuick), length(100000, 50000, 0.94, kQuick)};
  // HO: the slowsync picture: strong ops miss the fast path and complete on
  // the 2 s timer at the long length; throughput falls.
  ho.lengths = {length(10000, 40000, 0.90, kQuick),
                length(100000, 30000, 0.10, {2010, 1990, 0.3, 0.4})};
  const ProtocolTables t = compare_protocols({{"curpht", &ht}, {"curpho", &ho}});
  INFO(t.finding);
  CHECK(t.finding.find("= 60.0 % of CURP-HT (target ≥ 90 %: missed)") != std::string::npos);
  CHECK(t.finding.find("= 0.750 (100000 vs 10000 ops; target ≥ 0.97: missed)") !=
        std::string::npos);
  CHECK(t.finding.find("= 10.0 % of strong ops (target ≥ 80 %: missed)") != std::string::npos);
  CHECK(t.finding.find("CURP-HO's strong read p99 (2010.00 ms at 100000 ops) sits at the 2000 ms "
                       "sync timer") != std::string::npos);
  CHECK(t.finding.find("CURP-HO's strong write p99 (1990.00 ms") != std::string::npos);
  CHECK(t.finding.find("CURP-HT's") == std::string::npos);
  // The p99 in the finding is the table's.
  const auto rows = by_row(t.rows);
  CHECK(rows.at({"curpho", "100000"})[column(t.rows, "SR p50 / p99 (ms)")] == "1005.00 / 2010.00");
  // A p99 at the 200 ms retry period names that timer.
  ho.lengths[1].classes[2].p99_ms = 210;
  const ProtocolTables t2 = compare_protocols({{"curpht", &ht}, {"curpho", &ho}});
  CHECK(t2.finding.find("weak read p99 (210.00 ms at 100000 ops) sits at the 200 ms client retry "
                        "period") != std::string::npos);
}

TEST_CASE("protocols: too few data are said, not given a figure") {
  Analysis ht, ho;
  SUBCASE("one run length: no ratio; a class without ops is n/a and named") {
    ht.lengths = {length(10000, 50000, 0.95, kQuick)};
    ho.lengths = {length(10000, 50000, 0.95, {0.5, 0.8, 0.3, -1})};
    const ProtocolTables t = compare_protocols({{"curpht", &ht}, {"curpho", &ho}});
    INFO(t.finding);
    CHECK(t.finding.find("HO ratio longest/shortest: one run length, no ratio") !=
          std::string::npos);
    CHECK(t.finding.find("HO ratio longest/shortest =") == std::string::npos);
    CHECK(t.finding.find("No ops, so no p99 to judge: CURP-HO WW.") != std::string::npos);
    CHECK(by_row(t.rows).at({"curpho", "10000"})[column(t.rows, "WW p50 / p99 (ms)")] == "n/a");
    CHECK(t.finding.find("= 100.0 % of CURP-HT") != std::string::npos);
  }
  SUBCASE("no strong op: no fast-path share") {
    ht.lengths = {length(10000, 50000, 0.95, kQuick)};
    ho.lengths = {length(10000, 50000, -1, kQuick)};
    const ProtocolTables t = compare_protocols({{"curpht", &ht}, {"curpho", &ho}});
    CHECK(t.finding.find("HO fast-path share: no strong op at 10000 ops, no figure") !=
          std::string::npos);
    CHECK(by_row(t.rows).at({"curpho", "10000"})[column(t.rows, "fast / slow (strong)")] == "n/a");
  }
  SUBCASE("no common length: no throughput figure") {
    ht.lengths = {length(10000, 50000, 0.95, kQuick)};
    ho.lengths = {length(20000, 50000, 0.95, kQuick)};
    const ProtocolTables t = compare_protocols({{"curpht", &ht}, {"curpho", &ho}});
    CHECK(t.finding.find("no run length with throughput in common") != std::string::npos);
    CHECK(t.finding.find("% of CURP-HT") == std::string::npos);
    CHECK(by_row(t.rows).at({"curpho", "20000"})[column(t.rows, "vs curpht")] == "n/a");
  }
  SUBCASE("one protocol only") {
    ho.lengths = {length(10000, 50000, 0.95, kQuick)};
    const ProtocolTables t = compare_protocols({{"curpho", &ho}});
    CHECK(t.finding.find("results for curpho only") != std::string::npos);
    CHECK(t.finding.find("% of CURP-HT") == std::string::npos);
  }
}

analysis::PooledSite pooled(int64_t ops, const std::string& role, const std::string& fn,
                            double slope, analysis::Verdict v) {
  analysis::PooledSite s;
  s.length_ops = ops;
  s.role = role;
  s.function = fn;
  s.growth.fit.slope = slope;
  s.growth.half95 = slope / 10;
  s.verdict = v;
  return s;
}

TEST_CASE("protocols: the top growing replica sites per protocol at its longest length") {
  using analysis::Verdict;
  Analysis ht, ho;
  ht.lengths = {length(10000, 50000, 0.95, kQuick), length(100000, 50000, 0.94, kQuick)};
  ho.lengths = ht.lengths;
  ho.pooled_sites = {
      pooled(100000, "followers", "Pool::keep", 40, Verdict::kAccumulates),
      pooled(100000, "followers", "Log::grow", 10, Verdict::kSaturating),
      pooled(100000, "leader", "Map::insert", 80, Verdict::kAccumulates),
      pooled(100000, "leader", "Buf::churn", 500, Verdict::kChurn),            // not growing
      pooled(100000, "clients", "Client::cache", 900, Verdict::kAccumulates),  // not a replica
      pooled(10000, "leader", "Short::only", 999, Verdict::kAccumulates),      // not the longest
      pooled(100000, "followers", "Small::leak", 5, Verdict::kAccumulates),    // 4th: cut
  };
  const ProtocolTables t = compare_protocols({{"curpht", &ht}, {"curpho", &ho}});
  REQUIRE(t.sites.rows.size() == 4);  // HT: one "no growing site" row; HO: 3 sites
  CHECK(t.sites.rows[0][0] == "curpht");
  CHECK(t.sites.rows[0][3] == "no growing site");
  CHECK(t.sites.rows[1][3] == "Map::insert");
  CHECK(t.sites.rows[1][2] == "leader");
  CHECK(t.sites.rows[1][4] == "80.00 ± 8.00");
  CHECK(t.sites.rows[1][5] == "accumulates");
  CHECK(t.sites.rows[2][3] == "Pool::keep");
  CHECK(t.sites.rows[3][3] == "Log::grow");
  CHECK(t.sites.rows[3][5] == "saturating");
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("protocols: protocols.md is written and added to summary.md and index.html") {
  char tmpl[] = "/tmp/hd-protocols-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  Analysis ht, ho;
  ht.lengths = {length(10000, 50000, 0.95, kQuick)};
  ho.lengths = {length(10000, 46000, 0.90, kQuick)};
  std::ofstream(dir + "/summary.md") << "# Report\n";
  std::ofstream(dir + "/index.html") << "<html><body><h1>Report</h1></body></html>\n";
  auto md = write_protocol_comparison({{"curpht", &ht}, {"curpho", &ho}}, dir);
  REQUIRE(md.is_ok());
  const std::string file = slurp(dir + "/protocols.md");
  CHECK(file == *md);
  CHECK(file.rfind("## Protocols side by side", 0) == 0);
  CHECK(file.find("| curpho | 10000 | 46000 ± 460 | 92.0 % |") != std::string::npos);
  CHECK(file.find("CURP-HO throughput at 10000 ops = 92.0 % of CURP-HT") != std::string::npos);
  const std::string summary = slurp(dir + "/summary.md");
  CHECK(summary.rfind("# Report\n", 0) == 0);
  CHECK(summary.find("## Protocols side by side") != std::string::npos);
  const std::string html = slurp(dir + "/index.html");
  const auto section = html.find("<h2>Protocols side by side</h2>");
  REQUIRE(section != std::string::npos);
  CHECK(section < html.find("</body>"));
  CHECK(html.find("<a href=\"curpho/index.html\">curpho</a>") != std::string::npos);
  CHECK(html.find("target ≥ 90 %") != std::string::npos);
  // A report without </body> is an error, not a silently missing section.
  std::ofstream(dir + "/index.html", std::ios::trunc) << "<html>";
  CHECK_FALSE(write_protocol_comparison({{"curpht", &ht}, {"curpho", &ho}}, dir).is_ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hd::bench
