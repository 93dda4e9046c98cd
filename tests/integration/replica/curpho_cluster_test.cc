// CURP-HO end to end: three real `replica` processes on 127.0.0.1 running
// `protocol: curpho` and one `loadgen` process driving 10,000 ops of every
// class through them (issue 16 step 10). The loadgen's client is bound to a
// follower by the config's `-- Proxy --` section, so a follower acks its weak
// writes and the leader settles them. Checks: the run completes, no session
// violation, every weak write settled, and the leader's own counters (logged
// at SIGTERM) agree with what the loadgen counted. Bounded: the loadgen has a
// deadline, every wait a timeout; replicas are stopped by PID.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "integration/cluster_harness.h"

using namespace std::chrono_literals;

namespace {

// 2 sessions x 5,000 ops; half the ops weak, half of those writes; a fifth
// of the strong ops writes; 2,000 keys so that ops conflict now and then.
const char* kCurpHo =
    "protocol: curpho\n"
    "clientThreads: 2\npendings: 10\nreqs: 5000\nweakRatio: 50\nweakWrites: 50\n"
    "writes: 20\ncommandSize: 64\nkeySpace: 2000\nzipfSkew: 0\n"
    "-- Clients --\nclient0 127.0.0.1\n"
    "-- Proxy --\nserver_alias replica1\nclient0\n---\n";

// The number after `name=` in the replica's "final counters" log line (-1 if
// the line or the counter is missing).
int64_t final_counter(const std::string& log, const std::string& name) {
  const size_t line = log.find("final counters:");
  if (line == std::string::npos) return -1;
  const size_t at = log.find(" " + name + "=", line);
  if (at == std::string::npos) return -1;
  return std::stoll(log.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("curpho: a 3-replica loopback cluster runs 10K ops, every weak write settled") {
  hd::test::TestCluster cluster(3, kCurpHo);
  REQUIRE(cluster.config().protocol == "curpho");
  REQUIRE(cluster.config().bound_replica("client0") == 1);
  REQUIRE(cluster.start_all());
  const std::string result = cluster.dir() + "/client0.json";
  std::string out;
  const int status = hd::test::run_to_exit(hd::test::bin_path("loadgen"),
                                           {"--config", cluster.config_path(), "--alias", "client0",
                                            "--json", result, "--quiet", "--deadline", "100"},
                                           120s, &out);
  INFO(out);
  REQUIRE(status != -1);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  std::ifstream result_file(result);
  REQUIRE_MESSAGE(result_file.good(), result);
  nlohmann::json j = nlohmann::json::parse(result_file);  // [] on a missing key: null
  CHECK(j["protocol"] == "curpho");
  CHECK(j["ops"] == 10000);
  CHECK(j["timeouts"] == 0);
  CHECK(j["errors"] == 0);
  CHECK(j["session_violations"] == 0);
  const uint64_t weak_writes = j["classes"]["weak_write"]["count"];
  const uint64_t weak_reads = j["classes"]["weak_read"]["count"];
  const uint64_t strong = j["strong"]["count"];
  CHECK(weak_writes > 1000);  // weakRatio 50 x weakWrites 50 of 10,000
  CHECK(j["weak_settled"] == weak_writes);
  CHECK(j["weak_unsettled"] == 0);
  const uint64_t fast = j["strong"]["fast_path"], slow = j["strong"]["slow_path"];
  CHECK(fast + slow == strong);
  MESSAGE("curpho 10K ops: " << j["throughput_ops_s"].get<double>() << " ops/s, fast path " << fast
                             << "/" << strong << ", weak writes settled " << j["weak_settled"]
                             << "/" << weak_writes);

  // The leader's own counts, logged when it stops: each new strong op and
  // weak write ordered once, whatever the retries.
  for (uint32_t i = 0; i < 3; ++i) {
    CHECK_MESSAGE(WIFEXITED(cluster.signal_and_wait(i, SIGTERM, 10s)), "replica" << i);
  }
  const std::string leader_log = cluster.log_text(0);
  const size_t counters_at = leader_log.rfind("final counters:");
  INFO((counters_at == std::string::npos ? "no final counters" : leader_log.substr(counters_at)));
  CHECK(leader_log.find("term 1: leader replica0 (this replica)") != std::string::npos);
  CHECK(final_counter(leader_log, "strong") == static_cast<int64_t>(strong));
  CHECK(final_counter(leader_log, "weak_w") == static_cast<int64_t>(weak_writes));
  int64_t reads_served = 0;
  for (uint32_t i = 0; i < 3; ++i) reads_served += final_counter(cluster.log_text(i), "weak_r");
  CHECK(reads_served >= static_cast<int64_t>(weak_reads));  // retries count again
}
