// Strict run-folder ingest: snapshots.jsonl, loadgen result.json and the
// grouping of committed golden run folders (tests/data/runs).
#include "analysis/runs/run_folder.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace hd::analysis {
namespace {

const std::string kRuns = std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/runs/";

std::string snap_line(int seq, int ops) {
  return R"({"seq":)" + std::to_string(seq) + R"(,"reason":"timer","t_ms":)" +
         std::to_string(seq * 100) + R"(.0,"unix_ms":1,"ops":)" + std::to_string(ops) +
         R"(,"alloc":{"backend":"jemalloc","allocated":100,"active":200,"resident":300},)"
         R"("cum":{"alloc_count":5,"alloc_bytes":500},"proc":{"rss_bytes":4096,"utime_us":1,)"
         R"("stime_us":1,"nvcsw":1,"nivcsw":1},"gauges":{},"profile":null})";
}

TEST_CASE("snapshots.jsonl: well-formed lines parse, nulls are nullopt") {
  std::string text = snap_line(0, 0) + "\n" + snap_line(1, 50) + "\n";
  Result<std::vector<Snapshot>> s = parse_snapshots(text, "x/snapshots.jsonl");
  REQUIRE(s.is_ok());
  CHECK(s->size() == 2);
  CHECK((*s)[1].ops == 50);
  CHECK((*s)[1].allocated.value() == 100);
  CHECK((*s)[1].cum_alloc_bytes.value() == 500);
}

TEST_CASE("snapshots.jsonl: a truncated last line is an error naming file:line") {
  std::string text = snap_line(0, 0) + "\n" + snap_line(1, 50).substr(0, 40);
  Result<std::vector<Snapshot>> s = parse_snapshots(text, "r/snapshots.jsonl");
  REQUIRE(!s.is_ok());
  CHECK(s.status().message().find("r/snapshots.jsonl:2:") != std::string::npos);
  CHECK(s.status().message().find("truncated") != std::string::npos);
  // Cut inside the JSON but ending with a newline: not valid JSON on line 2.
  text = snap_line(0, 0) + "\n" + snap_line(1, 50).substr(0, 40) + "\n";
  s = parse_snapshots(text, "r/snapshots.jsonl");
  REQUIRE(!s.is_ok());
  CHECK(s.status().message().find("r/snapshots.jsonl:2: not a JSON object") != std::string::npos);
}

TEST_CASE("snapshots.jsonl: a missing or mistyped field is named") {
  std::string line = snap_line(0, 0);
  std::string no_ops = line;
  no_ops.replace(no_ops.find(R"("ops":0,)"), 8, "");
  Result<std::vector<Snapshot>> s = parse_snapshots(no_ops + "\n", "f");
  REQUIRE(!s.is_ok());
  CHECK(s.status().message() == "f:1: missing field 'ops'");
  std::string bad_rss = line;
  bad_rss.replace(bad_rss.find("4096"), 4, "\"4k\"");
  s = parse_snapshots(line + "\n" + bad_rss + "\n", "f");
  REQUIRE(!s.is_ok());
  CHECK(s.status().message() == "f:2: field 'rss_bytes' is not an integer");
}

TEST_CASE(
    "children.json: read strictly; children 'did the work' above 10 ms and their parent's CPU") {
  ProcessRun p;
  REQUIRE(parse_children(R"({"schema": "heapdrift.children/1", "cpu_us": 32005,)"
                         R"( "recorded_cpu_us": 9658, "total_cpu_us": 41663})",
                         "c.json", p));
  REQUIRE(p.children_cpu_us.has_value());
  CHECK(*p.children_cpu_us == 32005);
  CHECK(p.children_own_cpu_us == 9658);
  CHECK(children_dominate(32005, 9658));       // sh -c 'timed_leak 2 200; true'
  CHECK_FALSE(children_dominate(899, 23235));  // timed_leak run directly
  CHECK_FALSE(children_dominate(9000, 100));   // a few helper commands at start-up
  CHECK_FALSE(children_dominate(50000, 60000));
  ProcessRun q;
  const Status bad_schema =
      parse_children(R"({"schema": "x/1", "cpu_us": 1, "recorded_cpu_us": 1})", "c.json", q);
  CHECK_FALSE(bad_schema);
  CHECK(bad_schema.message().find("c.json") != std::string::npos);
  const Status missing =
      parse_children(R"({"schema": "heapdrift.children/1", "cpu_us": 1})", "c.json", q);
  CHECK_FALSE(missing);
  CHECK(missing.message().find("recorded_cpu_us") != std::string::npos);
  CHECK_FALSE(parse_children(
      R"({"schema": "heapdrift.children/1", "cpu_us": -5, "recorded_cpu_us": 1})", "c.json", q));
  CHECK_FALSE(parse_children("{", "c.json", q));
  CHECK_FALSE(q.children_cpu_us.has_value());
}

TEST_CASE("loadgen result: read by RunStats, errors name the file and the field") {
  Result<loadgen::RunStats> r =
      parse_loadgen_result(R"({"schema":"heapdrift.loadgen.result/1"})", "c.json");
  REQUIRE(!r.is_ok());
  CHECK(r.status().message() == "c.json: missing field 'start_unix_ms'");
  r = parse_loadgen_result(R"({"schema":"heapdrift.loadgen.result/2"})", "c.json");
  REQUIRE(!r.is_ok());
  CHECK(r.status().message() ==
        "c.json: schema 'heapdrift.loadgen.result/2' is not "
        "heapdrift.loadgen.result/1");
  r = parse_loadgen_result("{\"schema\":", "c.json");
  REQUIRE(!r.is_ok());
  CHECK(r.status().message() == "c.json: not valid JSON");
  // What RunStats writes, the report reads back whole.
  loadgen::RunStats w;
  w.classes[0].latency.record(2000000);
  w.classes[0].count = 1;
  w.classes[0].fast_path = 1;
  w.start_unix_us = 1000000;
  w.end_unix_us = 3000000;
  w.retries = 4;
  r = parse_loadgen_result(w.to_json().dump(), "w.json");
  REQUIRE(r.is_ok());
  CHECK(r->ops() == 1);
  CHECK(r->strong().fast_path == 1);
  CHECK(r->retries == 4);
  CHECK(r->duration_s() == doctest::Approx(2));
}

// A meta.json with the fields parse_meta requires, under a given schema head
// (the "schema" field, and "schema_version" when the head has one).
std::string meta_with(const std::string& head) {
  return "{" + head +
         R"(, "program": "replica", "allocator": {"heap_profile_sample_bytes": 524288},)"
         R"( "host": {"cpus_online": 2}})";
}

TEST_CASE("meta.json: the schema id heapdrift.run/1 and its older spelling are read") {
  ProcessRun p;
  // What the recorder writes now.
  Status st = parse_meta(meta_with(R"("schema": "heapdrift.run/1", "schema_version": 1)"), "m", p);
  CHECK_MESSAGE(st.is_ok(), (st.is_ok() ? "" : st.message()));
  CHECK(p.program == "replica");
  CHECK(p.heap_profile_sample_bytes == 524288);
  // The id alone is enough.
  ProcessRun q;
  st = parse_meta(meta_with(R"("schema": "heapdrift.run/1")"), "m", q);
  CHECK_MESSAGE(st.is_ok(), (st.is_ok() ? "" : st.message()));
  CHECK(q.cpus == 2);
  // What folders recorded before the ids were unified have (the golden ones too).
  ProcessRun old;
  st = parse_meta(meta_with(R"("schema": "heapdrift-run", "schema_version": 1)"), "m", old);
  CHECK_MESSAGE(st.is_ok(), (st.is_ok() ? "" : st.message()));
  CHECK(old.program == "replica");
}

TEST_CASE("meta.json: an unknown schema or version is refused, naming what is read") {
  ProcessRun p;
  Status st = parse_meta(meta_with(R"("schema": "heapdrift.report/1")"), "m.json", p);
  REQUIRE(!st.is_ok());
  CHECK(st.message() ==
        "m.json: field 'schema': 'heapdrift.report/1' is not heapdrift.run/1 (or the older "
        "heapdrift-run); only version 1 is understood");
  st = parse_meta(meta_with(R"("schema": "heapdrift.run/2", "schema_version": 2)"), "m.json", p);
  REQUIRE(!st.is_ok());
  CHECK(st.message().find("'heapdrift.run/2' is not heapdrift.run/1") != std::string::npos);
  // The old id says its version in schema_version: required, and only 1.
  st = parse_meta(meta_with(R"("schema": "heapdrift-run", "schema_version": 2)"), "m.json", p);
  REQUIRE(!st.is_ok());
  CHECK(st.message() == "m.json: field 'schema_version': only version 1 is understood");
  st = parse_meta(meta_with(R"("schema": "heapdrift-run")"), "m.json", p);
  REQUIRE(!st.is_ok());
  CHECK(st.message() == "m.json: missing field 'schema_version'");
  // With the new id a schema_version that disagrees is refused too.
  st = parse_meta(meta_with(R"("schema": "heapdrift.run/1", "schema_version": 2)"), "m.json", p);
  REQUIRE(!st.is_ok());
  CHECK(st.message() == "m.json: field 'schema_version': only version 1 is understood");
  st = parse_meta(R"({"program": "replica"})", "m.json", p);
  REQUIRE(!st.is_ok());
  CHECK(st.message() == "m.json: missing field 'schema'");
}

TEST_CASE("golden run folders load and group by length") {
  std::vector<Run> runs;
  for (const char* n : {"normal-10k", "history-2k", "normal-2k", "history-10k"}) {
    Result<Run> r = load_run(kRuns + n);
    REQUIRE_MESSAGE(r.is_ok(), (r.is_ok() ? "" : r.status().message()));
    runs.push_back(std::move(*r));
  }
  group_runs(runs);
  REQUIRE(runs.size() == 4);
  CHECK(runs[0].length_ops == 2000);
  CHECK(runs[1].length_ops == 2000);
  CHECK(runs[2].length_ops == 10000);
  CHECK(runs[0].name == "history-2k");
  CHECK(runs[0].iteration == 1);
  CHECK(runs[1].iteration == 2);
  const Run& r = runs[2];  // history-10k sorts before normal-10k
  CHECK(r.name == "history-10k");
  REQUIRE(r.processes.size() == 5);
  CHECK(r.processes[0].name == "client0");
  CHECK(r.processes[0].result.has_value());
  CHECK(!r.processes[2].result.has_value());
  CHECK(r.processes[2].program == "replica");
  CHECK(r.processes[2].plant == "retain-history");
  CHECK(r.processes[2].profiles.size() >= 9);
  CHECK(r.processes[2].profiles.back().end);
}

TEST_CASE(
    "unusable_reason: a FAILED marker or a loadgen without result.json; replicas alone are fine") {
  Run run;
  ProcessRun rep, lg;
  rep.name = "replica0";
  rep.program = "replica";
  lg.name = "client0";
  lg.program = "loadgen";
  run.processes = {rep};
  CHECK(unusable_reason(run).empty());  // memory only: usable, no throughput
  lg.result = loadgen::RunStats();
  run.processes = {lg, rep};
  CHECK(unusable_reason(run).empty());
  run.processes[0].result.reset();  // the load never finished
  CHECK(unusable_reason(run).find("client0 (loadgen) wrote no result.json") != std::string::npos);
  run.processes[0].result = loadgen::RunStats();
  run.failed = "interrupted";
  CHECK(unusable_reason(run) == "FAILED: interrupted");
}

TEST_CASE("a folder without meta.json anywhere is an error") {
  Result<Run> r = load_run(kRuns + "gen");
  REQUIRE(!r.is_ok());
  CHECK(r.status().message().find("no run folder") != std::string::npos);
}

TEST_CASE("a path that does not exist is named as such, not as 'not a directory'") {
  const std::string missing = kRuns + "no-such-run";
  Result<Run> r = load_run(missing);
  REQUIRE(!r.is_ok());
  CHECK(r.status().message() == missing + ": does not exist");
  // A file is not a directory: that message stays, saying what was wanted.
  Result<Run> f = load_run(kRuns + "normal-2k/replica0/meta.json");
  REQUIRE(!f.is_ok());
  CHECK(f.status().message().find("not a directory") != std::string::npos);
}

}  // namespace
}  // namespace hd::analysis

namespace hd::analysis {
namespace {

TEST_CASE("expand_run_dirs: a bench's runs/ folder stands for the run folders in it") {
  // REPORT/runs/opsN-itK/<process>/meta.json, as heapdrift bench writes it.
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / "hd_expand_run_dirs_test";
  std::filesystem::remove_all(root);
  for (const char* run : {"ops100000-it1", "ops10000-it1"})
    for (const char* proc : {"client0", "replica0"}) {
      std::filesystem::create_directories(root / "runs" / run / proc);
      std::ofstream(root / "runs" / run / proc / "meta.json") << "{}";
    }
  std::filesystem::create_directories(root / "runs" / "logs");  // not a run: ignored
  const std::string runs = (root / "runs").string();
  const std::string run = (root / "runs" / "ops10000-it1").string();
  const std::string proc = (root / "runs" / "ops10000-it1" / "client0").string();
  const std::string empty = (root / "runs" / "logs").string();
  CHECK(expand_run_dirs({runs}) ==
        std::vector<std::string>{run, (root / "runs" / "ops100000-it1").string()});
  // A run folder, a process folder and a folder with no runs stay as given
  // (the last for load_run to refuse by name).
  CHECK(expand_run_dirs({run, proc, empty}) == std::vector<std::string>{run, proc, empty});
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace hd::analysis
