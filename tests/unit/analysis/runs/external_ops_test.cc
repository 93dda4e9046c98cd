// external_ops.jsonl (heapdrift run --ops-from-*): the strict reader, the
// interpolation onto snapshot times, and a process folder whose snapshots
// count nothing getting its ops from the file (so profiles carry them too).
#include "analysis/runs/external_ops.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "analysis/runs/run_folder.h"

namespace hd::analysis {
namespace {

const char* kHeader =
    "{\"schema\":\"heapdrift.external_ops/1\",\"source\":\"file\",\"what\":\"/tmp/n\","
    "\"regex\":null,\"timeout_ms\":2000}\n";

TEST_CASE("external ops: readings parsed, error lines counted, not read as 0") {
  const std::string text =
      std::string(kHeader) +
      "{\"unix_us\":1000000,\"error\":\"--ops-from-file /tmp/n: file missing\"}\n"
      "{\"unix_us\":1100000,\"ops\":0}\n"
      "{\"unix_us\":1200000,\"ops\":500}\n"
      "{\"unix_us\":1300000,\"error\":\"no number in the output\"}\n"
      "{\"unix_us\":1400000,\"ops\":1500}\n";
  Result<ExternalOps> e = parse_external_ops(text, "x.jsonl");
  REQUIRE(e);
  CHECK(e->source == "file");
  CHECK(e->what == "/tmp/n");
  CHECK(e->failed_polls == 2);
  REQUIRE(e->readings.size() == 3);
  CHECK(e->readings[2].ops == 1500);
}

TEST_CASE("external ops: linear between readings, clamped outside, never extrapolated") {
  const std::vector<OpsReading> r = {{1000000, 100}, {1200000, 300}, {1400000, 1300}};
  CHECK(ops_at(r, 0) == doctest::Approx(100));  // before the first: its count
  CHECK(ops_at(r, 1000000) == doctest::Approx(100));
  CHECK(ops_at(r, 1100000) == doctest::Approx(200));  // halfway
  CHECK(ops_at(r, 1250000) == doctest::Approx(550));  // a quarter into 300..1300
  CHECK(ops_at(r, 1400000) == doctest::Approx(1300));
  CHECK(ops_at(r, 9000000) == doctest::Approx(1300));  // after the last: its count
  const std::vector<OpsReading> same_time = {{1000, 5}, {1000, 9}};
  CHECK(ops_at(same_time, 1000) == doctest::Approx(5));
  CHECK(ops_at(same_time, 2000) == doctest::Approx(9));

  std::vector<Snapshot> snaps(3);
  snaps[0].unix_ms = 1000;  // = 1000000 us
  snaps[1].unix_ms = 1250;
  snaps[2].unix_ms = 1500;
  ExternalOps e;
  e.readings = r;
  apply_external_ops(e, snaps);
  CHECK(snaps[0].ops == 100);
  CHECK(snaps[1].ops == 550);
  CHECK(snaps[2].ops == 1300);
  ExternalOps none;  // no reading: the program's own counts stay
  snaps[0].ops = 7;
  apply_external_ops(none, snaps);
  CHECK(snaps[0].ops == 7);
}

TEST_CASE("external ops: malformed files are refused with file:line") {
  auto err = [](const std::string& text) {
    Result<ExternalOps> e = parse_external_ops(text, "f");
    return e ? std::string("ok") : e.status().message();
  };
  CHECK(err("") == "f: empty (no header line)");
  CHECK(err("{\"schema\":\"heapdrift.external_ops/2\",\"source\":\"file\",\"what\":\"x\"}\n") ==
        "f:1: field 'schema': expected heapdrift.external_ops/1");
  CHECK(err(std::string(kHeader) + "{\"unix_us\":1,\"ops\":5}\n{\"unix_us\":2,\"ops\":4}\n") ==
        "f:3: the count goes backwards (5 then 4)");
  CHECK(err(std::string(kHeader) + "{\"unix_us\":2,\"ops\":5}\n{\"unix_us\":1,\"ops\":6}\n") ==
        "f:3: unix_us goes backwards");
  CHECK(err(std::string(kHeader) + "{\"unix_us\":2,\"ops\":-1}\n") ==
        "f:2: expected 'ops' (a non-negative integer) or 'error'");
  CHECK(err(std::string(kHeader) + "{\"ops\":1}\n") ==
        "f:2: field 'unix_us' is missing or not an integer");
  CHECK(err(std::string(kHeader) + "{\"unix_us\":2,\"ops\":1}") ==
        "f:2: truncated: last line has no newline");
}

TEST_CASE("external ops: a process folder's snapshots and profiles take the outside count") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("hd-extops-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "profiles");
  std::ofstream(dir / "meta.json")
      << R"({"schema":"heapdrift.run/1","program":"run","allocator":{"heap_profile_sample_bytes":0},)"
      << R"("host":{"cpus_online":2}})";
  auto line = [](int seq, const char* reason, int64_t unix_ms, const char* profile) {
    return "{\"seq\":" + std::to_string(seq) + ",\"reason\":\"" + reason +
           "\",\"t_ms\":0,\"unix_ms\":" + std::to_string(unix_ms) +
           ",\"ops\":0,\"alloc\":{\"allocated\":1,\"active\":null,\"resident\":null},\"cum\":null,"
           "\"proc\":{\"rss_bytes\":1,"
           "\"utime_us\":0,\"stime_us\":0,\"nvcsw\":0,\"nivcsw\":0},\"gauges\":{},\"profile\":" +
           (profile ? "\"" + std::string(profile) + "\"" : std::string("null")) + "}\n";
  };
  std::ofstream(dir / "snapshots.jsonl")
      << line(0, "start", 1000, nullptr) << line(1, "time-milestone", 1500, "profiles/a.heap")
      << line(2, "end", 2000, "profiles/b.heap");
  std::ofstream(dir / "profiles/a.heap") << "x";
  std::ofstream(dir / "profiles/b.heap") << "x";
  {
    std::ofstream ext(dir / "external_ops.jsonl");
    ext << kHeader << "{\"unix_us\":1000000,\"ops\":0}\n{\"unix_us\":2000000,\"ops\":4000}\n";
  }
  Result<ProcessRun> p = load_process_run(dir.string());
  REQUIRE(p);
  CHECK(p->ops_source == "file: /tmp/n");
  REQUIRE(p->snapshots.size() == 3);
  CHECK(p->snapshots[1].ops == 2000);
  CHECK(p->snapshots[2].ops == 4000);
  REQUIRE(p->profiles.size() == 2);
  CHECK(p->profiles[0].ops == 2000);  // the time milestone, now at its op count
  CHECK(p->profiles[1].ops == 4000);

  std::ofstream(dir / "external_ops.jsonl")
      << kHeader << "{\"unix_us\":1,\"ops\":5}\n{\"unix_us\":2,\"ops\":4}\n";
  Result<ProcessRun> bad = load_process_run(dir.string());
  REQUIRE(!bad);
  CHECK(bad.status().message().find("external_ops.jsonl:3: the count goes backwards") !=
        std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hd::analysis
