// The seed-style .conf reader: the original's files parse unchanged, typos
// and malformed lines are errors naming file, line and key.
#include "replica/config/cluster_config.h"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>

using hd::config::ClusterConfig;
using hd::config::load_cluster_config;
using hd::config::parse_cluster_config;

namespace {

std::string seed_config(const std::string& name) {
  return std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/seed-configs/" + name;
}

std::string error_of(const std::string& text) {
  auto r = parse_cluster_config(text, "t.conf");
  REQUIRE_FALSE(r.is_ok());
  return r.status().message();
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("the three seed configs parse unchanged") {
  for (const char* name : {"local.conf", "curpht-optimized.conf", "multi-client.conf"}) {
    CAPTURE(name);
    auto r = load_cluster_config(seed_config(name));
    REQUIRE_MESSAGE(r.is_ok(), (r.is_ok() ? "" : r.status().message()));
    CHECK(r->replicas.size() == 3);
    CHECK(r->protocol == "curpht");
  }
  auto opt = load_cluster_config(seed_config("curpht-optimized.conf"));
  REQUIRE(opt.is_ok());
  CHECK(opt->pendings == 20);
  CHECK(opt->client_threads == 2);
  CHECK(opt->weak_ratio == 50);
  CHECK(opt->weak_writes == 10);
  CHECK(opt->zipf_skew == doctest::Approx(0.9));
  CHECK(opt->clients.size() == 2);  // "# client2" lines are comments
  // The original's port rule: replica i listens on 7070 + i.
  CHECK(opt->replicas[2].port == 7072);
  CHECK(opt->replicas[1].host == "127.0.0.2");
  // maxDescRoutines is the original's knob: accepted, reported.
  bool noticed = false;
  for (const auto& n : opt->notices) noticed |= contains(n, "maxDescRoutines");
  CHECK(noticed);

  auto multi = load_cluster_config(seed_config("multi-client.conf"));
  REQUIRE(multi.is_ok());
  CHECK(multi->network_delay_ms == 25);
  CHECK(multi->clients.size() == 3);  // "// clientN" lines are comments

  auto local = load_cluster_config(seed_config("local.conf"));
  REQUIRE(local.is_ok());
  CHECK(local->client_threads == 1);  // clones 0 -> clones + 1 threads
}

TEST_CASE("configs/local.conf is the seed workload on loopback with distinct ports") {
  auto r = load_cluster_config(std::string(HEAPDRIFT_SOURCE_DIR) + "/configs/local.conf");
  REQUIRE_MESSAGE(r.is_ok(), (r.is_ok() ? "" : r.status().message()));
  REQUIRE(r->replicas.size() == 3);
  REQUIRE(r->clients.size() == 2);
  std::set<uint16_t> ports;
  for (const auto& e : r->replicas) {
    CHECK(e.host == "127.0.0.1");
    ports.insert(e.port);
  }
  for (const auto& e : r->clients) {
    CHECK(e.host == "127.0.0.1");
    ports.insert(e.port);
  }
  CHECK(ports.size() == 5);
  CHECK(r->pendings == 10);
  CHECK(r->client_threads == 2);
  CHECK(r->weak_ratio == 50);
  CHECK(r->writes == 5);
  CHECK(r->weak_writes == 5);
  CHECK(r->command_size == 100);
  CHECK(r->key_space == 1000000);
  CHECK(r->zipf_skew == doctest::Approx(0.99));
  CHECK(r->notices.empty());
}

TEST_CASE("keys are case-insensitive and trailing comments allowed") {
  auto r = parse_cluster_config("clientthreads: 3 // three\nPendings: 7\n", "t.conf");
  REQUIRE(r.is_ok());
  CHECK(r->client_threads == 3);
  CHECK(r->pendings == 7);
}

TEST_CASE("a typo is an error naming file, line and key, with a suggestion") {
  const std::string e = error_of("// header\nreqs: 10\npendigns: 10\n");
  CHECK(contains(e, "t.conf:3"));
  CHECK(contains(e, "pendigns"));
  CHECK(contains(e, "did you mean 'pendings'"));
}

TEST_CASE("malformed lines and values are errors with file and line") {
  CHECK(contains(error_of("reqs: ten\n"), "t.conf:1: key 'reqs'"));
  CHECK(contains(error_of("reqs:\n"), "has no value"));
  CHECK(contains(error_of("reqs: 10 20\n"), "unexpected text"));
  CHECK(contains(error_of("weakRatio: 101\n"), "out of range"));
  CHECK(contains(error_of("pipeline: maybe\n"), "not a boolean"));
  CHECK(contains(error_of("\n\njust some words\n"), "t.conf:3: malformed line"));
  CHECK(contains(error_of("-- Replicas\n"), "malformed section header"));
  CHECK(contains(error_of("-- Servers --\n"), "unknown section"));
  CHECK(contains(error_of("-- Replicas --\nreplica0\n"), "t.conf:2: malformed replica line"));
  CHECK(contains(error_of("-- Replicas --\nreplica0 127.0.0.1:99999\n"), "bad port"));
  CHECK(contains(error_of("-- Replicas --\nreplica0 127.0.0.1:7000\nreplica0 127.0.0.1:7001\n"),
                 "duplicate alias"));
  CHECK(contains(error_of("-- Replicas --\nreplica0 127.0.0.1:7000\nreplica1 127.0.0.1:7000\n"),
                 "already used"));
  // Aliases name run folders: nothing that could climb out of the output folder.
  CHECK(contains(error_of("-- Replicas --\n../x 127.0.0.1:7000\n"), "t.conf:2: alias '../x'"));
  CHECK(contains(error_of("-- Replicas --\n.. 127.0.0.1:7000\n"), "alias '..'"));
  CHECK(contains(error_of("-- Clients --\na/b 127.0.0.1\n"), "alias 'a/b'"));
  CHECK(contains(error_of("-- Replicas --\nr0 127.0.0.1:7000\n-- Clients --\nr0 127.0.0.1\n"),
                 "duplicate alias 'r0' (first at line 2)"));
  CHECK(contains(error_of("reqs: 1\nreqs: 2\n"), "given twice (first at line 1)"));
  CHECK(contains(error_of("opsSweep: 100,10\n"), "increasing"));
  CHECK(contains(error_of("opsSweep: 100,,200\n"), "list item"));
}

TEST_CASE("protocol: curpht and curpho are accepted and carried; anything else is an error") {
  auto ht = parse_cluster_config("protocol: CURPHT\n", "t.conf");
  REQUIRE(ht.is_ok());
  CHECK(ht->protocol == "curpht");
  auto ho = parse_cluster_config("protocol: curpho\n", "t.conf");
  REQUIRE(ho.is_ok());
  CHECK(ho->protocol == "curpho");
  CHECK(parse_cluster_config("", "t.conf")->protocol == "curpht");  // the default
  const std::string e = error_of("\nprotocol: paxos\n");
  CHECK(contains(e, "t.conf:2"));
  CHECK(contains(e, "'paxos' is not one of curpht, curpho"));
  CHECK(hd::config::known_protocol("curpho"));
  CHECK_FALSE(hd::config::known_protocol("CURPHO"));  // the reader lowers case first
}

TEST_CASE("the seed configs' Proxy sections bind clients to replicas") {
  auto local = load_cluster_config(seed_config("local.conf"));
  REQUIRE(local.is_ok());
  CHECK(local->proxy == std::map<std::string, std::string>{{"client0", "replica0"}});
  CHECK(local->bound_replica("client0") == 0);
  // "# client2 (local)" lines are comments.
  auto opt = load_cluster_config(seed_config("curpht-optimized.conf"));
  REQUIRE(opt.is_ok());
  CHECK(opt->proxy ==
        std::map<std::string, std::string>{{"client0", "replica0"}, {"client1", "replica0"}});
  // Three groups; the commented-out first group is ignored.
  auto multi = load_cluster_config(seed_config("multi-client.conf"));
  REQUIRE(multi.is_ok());
  CHECK(multi->proxy == std::map<std::string, std::string>{{"client0", "replica1"},
                                                           {"client1", "replica2"},
                                                           {"client2", "replica0"}});
  CHECK(multi->bound_replica("client0") == 1);
  CHECK(multi->bound_replica("client1") == 2);
  CHECK(multi->bound_replica("nobody") == -1);
  // The section is used now, so it is no longer reported as ignored.
  for (const auto& n : multi->notices) CHECK_FALSE(contains(n, "Proxy"));
}

TEST_CASE("a bad Proxy section is an error naming the line") {
  const std::string head =
      "-- Replicas --\nreplica0 127.0.0.1:7000\nreplica1 127.0.0.1:7001\n"
      "-- Clients --\nclient0 127.0.0.1\nclient1 127.0.0.1\n-- Proxy --\n";  // lines 1-7
  auto ok = parse_cluster_config(head + "server_alias replica1\nclient0 (local)\nclient1\n---\n",
                                 "t.conf");
  REQUIRE_MESSAGE(ok.is_ok(), (ok.is_ok() ? "" : ok.status().message()));
  CHECK(ok->bound_replica("client0") == 1);
  CHECK(ok->bound_replica("client1") == 1);

  std::string e = error_of(head + "server_alias replica7\nclient0 (local)\n---\n");
  CHECK(contains(e, "t.conf:8"));
  CHECK(contains(e,
                 "server_alias 'replica7' is not a replica of the config (replicas: replica0, "
                 "replica1)"));
  e = error_of(head + "server_alias replica0\nclient9 (local)\n");
  CHECK(contains(e, "t.conf:9"));
  CHECK(contains(e, "'client9' is not a client of the config (clients: client0, client1)"));
  e = error_of(head + "client0 (local)\n");
  CHECK(contains(e, "t.conf:8"));
  CHECK(contains(e, "before any 'server_alias"));
  e = error_of(head + "server_alias\n");
  CHECK(contains(e, "t.conf:8: -- Proxy --: expected 'server_alias <replica alias>'"));
  e = error_of(head + "server_alias replica0\nclient0 remote\n");
  CHECK(contains(e, "t.conf:9"));
  CHECK(contains(e, "expected '<client alias> [(local)]'"));
  e = error_of(head + "server_alias replica0\nclient0\nserver_alias replica1\nclient0\n");
  CHECK(contains(e, "t.conf:11"));
  CHECK(contains(e, "bound twice (first at line 9)"));
  // A group ends with its section: a client after "---" is not in it.
  e = error_of(head + "server_alias replica0\n---\n-- Proxy --\nclient0\n");
  CHECK(contains(e, "before any 'server_alias"));
}

TEST_CASE("heapdrift's own keys") {
  auto r = parse_cluster_config(
      "allocator: tcmalloc\nsnapshotIntervalMs: 50\nheapProfileAt: 10000,25000\n"
      "cpuProfile: true\nopsSweep: 10000,100000\niterations: 3\nlgProfSample: 23\n",
      "t.conf");
  REQUIRE(r.is_ok());
  CHECK(r->allocator == "tcmalloc");
  CHECK(r->snapshot_interval_ms == 50);
  CHECK(r->heap_profile_at == std::vector<uint64_t>{10000, 25000});
  CHECK(r->cpu_profile);
  CHECK(r->ops_sweep == std::vector<uint64_t>{10000, 100000});
  CHECK(r->iterations == 3);
  CHECK(r->lg_prof_sample == 23);
  CHECK(contains(error_of("allocator: hoard\n"), "not one of"));
  CHECK(contains(error_of("lgProfSample: 41\n"), "out of range"));
  // Unset: memprof chooses it from the run length (recording_plan.h).
  CHECK_FALSE(parse_cluster_config("", "t.conf")->lg_prof_sample.has_value());
  CHECK(parse_cluster_config("", "t.conf")->heap_profile_at.empty());
}

TEST_CASE("a missing file is an error naming it") {
  auto r = load_cluster_config("/nonexistent/x.conf");
  REQUIRE_FALSE(r.is_ok());
  CHECK(contains(r.status().message(), "/nonexistent/x.conf"));
}
