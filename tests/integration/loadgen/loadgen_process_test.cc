// loadgen against a real 3-replica cluster on 127.0.0.1: the seed's 2 x 2
// configuration (two processes, two threads each), result files, merge,
// open-loop pacing and the overall deadline.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "integration/cluster_harness.h"

using hd::test::bin_path;
using hd::test::run_to_exit;
using hd::test::TestCluster;
using namespace std::chrono_literals;

namespace {

const char* kWorkload =
    "-- Clients --\nclient0 127.0.0.1\nclient1 127.0.0.1\n"
    "clientThreads: 2\npendings: 10\nweakRatio: 50\nwrites: 5\nweakWrites: 5\n"
    "commandSize: 100\nkeySpace: 1000000\nzipfSkew: 0.99\nreqs: 500\n";

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), path);
  return nlohmann::json::parse(in);
}

int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("loadgen: two processes x two threads, results merge into true percentiles" *
          doctest::test_suite("threads")) {
  TestCluster cluster(3, kWorkload);
  REQUIRE(cluster.start_all());
  const std::string a = cluster.dir() + "/c0.json", b = cluster.dir() + "/c1.json";
  std::string out0, out1;
  // Run the two processes one after the other (the harness runs to exit);
  // the merge is what matters here.
  REQUIRE(
      exit_code(run_to_exit(bin_path("loadgen"),
                            {"--config", cluster.config_path(), "--alias", "client0", "--json", a},
                            60s, &out0)) == 0);
  REQUIRE(exit_code(run_to_exit(
              bin_path("loadgen"),
              {"--config", cluster.config_path(), "--alias", "client1", "--json", b, "--seed", "2"},
              60s, &out1)) == 0);
  CHECK(out0.find("Aggregate throughput: ") != std::string::npos);
  const auto ja = read_json(a), jb = read_json(b);
  CHECK(ja["ops"] == 1000);  // reqs 500 x 2 threads
  CHECK(jb["ops"] == 1000);
  CHECK(ja["session_violations"] == 0);
  CHECK(ja["timeouts"] == 0);
  const auto strong = ja["strong"]["count"].get<uint64_t>(),
             weak = ja["weak"]["count"].get<uint64_t>();
  CHECK(strong + weak == 1000);
  CHECK(strong > 350);  // weakRatio 50
  CHECK(weak > 350);
  CHECK(ja["strong"]["fast_path"].get<uint64_t>() + ja["strong"]["slow_path"].get<uint64_t>() ==
        strong);
  CHECK(ja["tput_series"].size() >= 1);

  std::string merged_out;
  const std::string m = cluster.dir() + "/merged.json";
  REQUIRE(exit_code(run_to_exit(bin_path("loadgen"), {"merge", a, b, "--json", m}, 10s,
                                &merged_out)) == 0);
  CHECK(merged_out.find("Merged Results (2 clients)") != std::string::npos);
  CHECK(merged_out.find("client0: 1000 ops") != std::string::npos);
  CHECK(merged_out.find("client1: 1000 ops") != std::string::npos);
  const auto jm = read_json(m);
  CHECK(jm["ops"] == 2000);
  // Merged p99 is bounded by the processes' own p99s (true merge, not an average).
  const double p99 = jm["strong"]["p99_ms"], p99a = ja["strong"]["p99_ms"],
               p99b = jb["strong"]["p99_ms"];
  CHECK(p99 >= std::min(p99a, p99b) * 0.99);
  CHECK(p99 <= std::max(p99a, p99b) * 1.01);
}

// Threads sharing state inside one loadgen process: two io threads, each
// hosting sessions, completing ops into the shared OpCounter and gauges while
// memprof's snapshot thread reads them. Part of the ThreadSanitizer suite.
TEST_CASE("loadgen: two io threads with the memprof recorder running" *
          doctest::test_suite("threads")) {
  TestCluster cluster(3, std::string(kWorkload) + "snapshotIntervalMs: 5\n");
  REQUIRE(cluster.start_all());
  const std::string a = cluster.dir() + "/io2.json";
  std::string out;
  REQUIRE(
      exit_code(run_to_exit(bin_path("loadgen"),
                            {"--config", cluster.config_path(), "--alias", "client0",
                             "--client-threads", "4", "--io-threads", "2", "--json", a, "--run-dir",
                             cluster.dir() + "/runs/client0", "--quiet", "--mark-at", "700"},
                            120s, &out)) == 0);
  const auto j = read_json(a);
  CHECK(j["ops"] == 2000);  // reqs 500 x 4 sessions
  CHECK(j["session_violations"] == 0);
  // --json names another file, yet the run folder holds the result too: the
  // report reads it there (a run recorded by hand once read "0 ± 0").
  const auto in_run_dir = read_json(cluster.dir() + "/runs/client0/result.json");
  CHECK(in_run_dir["ops"] == 2000);
  CHECK(in_run_dir["end_unix_us"] == j["end_unix_us"]);
  // One MARK line, at the count asked, whichever io thread completed that op.
  CHECK(out.find("MARK client0 700 ops\n") != std::string::npos);
  CHECK(out.find("MARK ") == out.rfind("MARK "));
  std::ifstream snaps(cluster.dir() + "/runs/client0/snapshots.jsonl");
  std::string line, last;
  while (std::getline(snaps, line)) last = line;
  REQUIRE(!last.empty());
  const auto js = nlohmann::json::parse(last);
  CHECK(js["ops"] == 2000);
  CHECK(js["gauges"]["in_flight_ops"] == 0);
}

TEST_CASE("loadgen: open loop paces ops at the given rate") {
  TestCluster cluster(3, kWorkload);
  REQUIRE(cluster.start_all());
  const std::string a = cluster.dir() + "/rate.json";
  std::string out;
  // 600 ops at 1000 ops/s take about 0.6 s; closed loop would take far less.
  REQUIRE(exit_code(run_to_exit(bin_path("loadgen"),
                                {"--config", cluster.config_path(), "--alias", "client0", "--reqs",
                                 "300", "--rate", "1000", "--json", a, "--quiet"},
                                60s, &out)) == 0);
  const auto j = read_json(a);
  CHECK(j["ops"] == 600);
  CHECK(j["duration_s"].get<double>() >= 0.5);
  CHECK(j["duration_s"].get<double>() <= 3.0);
}

TEST_CASE("loadgen: the overall deadline stops a run that cannot finish") {
  TestCluster cluster(3, kWorkload);
  REQUIRE(cluster.start_all());
  std::string out;
  const auto t0 = std::chrono::steady_clock::now();
  const int status = run_to_exit(bin_path("loadgen"),
                                 {"--config", cluster.config_path(), "--alias", "client0", "--reqs",
                                  "1000000", "--rate", "100", "--deadline", "1", "--quiet"},
                                 30s, &out);
  CHECK(exit_code(status) == 3);
  CHECK(out.find("deadline of 1 s exceeded") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);
}

TEST_CASE("loadgen: clear errors for bad input") {
  TestCluster cluster(3, kWorkload);
  std::string out;
  CHECK(exit_code(run_to_exit(bin_path("loadgen"),
                              {"--config", cluster.config_path(), "--alias", "client7"}, 10s,
                              &out)) == 2);
  CHECK(out.find("no client 'client7'") != std::string::npos);
  const std::string bad = cluster.dir() + "/bad.json";
  std::ofstream(bad) << "{\"schema\": \"heapdrift.loadgen.result/1\", \"ops\": ";
  CHECK(exit_code(run_to_exit(bin_path("loadgen"), {"merge", bad}, 10s, &out)) == 2);
  CHECK(out.find("bad.json: not valid JSON") != std::string::npos);
  // Replicas not running: a clear connection error, not a hang.
  CHECK(exit_code(run_to_exit(bin_path("loadgen"),
                              {"--config", cluster.config_path(), "--alias", "client0"}, 30s,
                              &out)) == 2);
  CHECK(out.find("could not connect") != std::string::npos);
}

TEST_CASE("loadgen: a bad flag or value is a usage error (exit 2) naming the flag and value") {
  TestCluster cluster(3, kWorkload);
  // No replica is started: a value that got through would fail later with
  // "could not connect", which the checks below tell apart.
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--reqs", "-5"}, "--reqs"},
      {{"--reqs", "0"}, "--reqs"},
      {{"--reqs", "1e3"}, "--reqs"},
      {{"--rate", "-1"}, "--rate"},
      {{"--rate", "fast"}, "--rate"},
      {{"--deadline", "0"}, "--deadline"},
      {{"--seed", "-1"}, "--seed"},
      {{"--warmup-ops", "-2"}, "--warmup-ops"},
      {{"--command-size", "-1"}, "--command-size"},
      {{"--no-such-flag"}, "--no-such-flag"},
  };
  for (const auto& [extra, named] : cases) {
    std::vector<std::string> args = {"--config", cluster.config_path(), "--alias", "client0"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string out;
    const int code = exit_code(run_to_exit(bin_path("loadgen"), args, 10s, &out));
    INFO(extra.front() << " " << (extra.size() > 1 ? extra[1] : "") << ": " << out);
    CHECK(code == 2);
    CHECK(out.find(named) != std::string::npos);
    if (extra.size() > 1) CHECK(out.find(extra[1]) != std::string::npos);
    CHECK(out.find("could not connect") == std::string::npos);
  }
}

TEST_CASE("loadgen: --network-delay holds every reply for the one-way delay") {
  TestCluster cluster(3, kWorkload);
  REQUIRE(cluster.start_all());
  const std::string a = cluster.dir() + "/delay.json";
  std::string out;
  REQUIRE(exit_code(run_to_exit(bin_path("loadgen"),
                                {"--config", cluster.config_path(), "--alias", "client0", "--reqs",
                                 "50", "--network-delay", "20", "--json", a, "--quiet"},
                                60s, &out)) == 0);
  const auto j = read_json(a);
  CHECK(j["ops"] == 100);
  // The replicas add no delay here (no networkDelay in the config): the 20 ms
  // is the client's own, injected at receive.
  CHECK(j["strong"]["p50_ms"].get<double>() >= 20.0);
  CHECK(j["weak"]["p50_ms"].get<double>() >= 20.0);
  CHECK(j["strong"]["p50_ms"].get<double>() < 500.0);
}
