// Seed-style cluster configuration (`.conf`), read as the original system
// wrote it (docs/config.md): sections `-- Replicas --` / `-- Clients --`, the
// original's `-- Master --` (accepted and ignored) and `-- Proxy --` (which
// replica each client is bound to, for CURP-HO), lines `key: value` (keys
// case-insensitive, only the first word is the value, so a trailing
// `// comment` is allowed), `//` and `#` comment lines, and endpoint lines
// `alias host[:port]` inside the Replicas/Clients sections.
//
// A key neither heapdrift nor the original knows, or a malformed line, is an
// error naming file, line and key. Keys of the original that heapdrift does not
// use are accepted and reported once each in `notices`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace hd::config {

struct Endpoint {
  std::string alias;  // "replica0", "client1"
  std::string host;   // as written; tests use only 127.0.0.0/8
  uint16_t port = 0;  // explicit `host:port`, else the original's rule (below)
  int line = 0;
};

// Port rule of the original for `alias host` lines without a port:
// replica i listens on 7070 + i.
inline constexpr uint16_t kDefaultReplicaBasePort = 7070;

struct ClusterConfig {
  std::string path;  // file it came from ("<embedded>" for the default)
  std::vector<Endpoint> replicas;
  std::vector<Endpoint> clients;
  std::vector<std::string> notices;  // ignored keys of the original, one line each

  // -- protocol / replica --
  // "curpht" or "curpho" (validated). The replica and loadgen programs run
  // only curpht so far; curpho is parsed for issue 16's build plan.
  std::string protocol = "curpht";
  // `-- Proxy --`: client alias -> alias of the replica it is bound to (the
  // replica that acknowledges its CURP-HO weak writes). Both aliases exist in
  // the config (validated). A client not listed is bound to its nearest.
  std::map<std::string, std::string> proxy;
  uint32_t heartbeat_ms = 20;
  uint32_t follower_dead_after_ms = 1000;
  uint64_t max_retained_entries = 200000;
  uint32_t network_delay_ms = 0;  // one-way delay injected at receive (seed: networkDelay)

  // -- client workload (seed meanings; see docs/config.md) --
  uint64_t reqs = 10000;   // per client thread
  uint32_t writes = 10;    // % of strong ops that are writes
  uint32_t conflicts = 0;  // % of ops on one shared hot key
  uint32_t command_size = 100;
  uint32_t client_threads = 1;
  bool pipeline = true;
  uint32_t pendings = 1;
  uint32_t weak_ratio = 0;    // % of ops that are weak
  uint32_t weak_writes = 10;  // % of weak ops that are writes
  uint64_t key_space = 1000000;
  double zipf_skew = 0.0;            // 0 = uniform
  uint32_t reply_timeout_ms = 5000;  // per-op timeout

  // -- heapdrift profiling and sweeps --
  std::string allocator = "jemalloc";
  uint32_t snapshot_interval_ms = 100;
  // Heap sampling (jemalloc and tcmalloc): mean 2^N bytes between samples;
  // unset = chosen from the run length (memprof/recording_plan.h).
  std::optional<uint32_t> lg_prof_sample;
  std::vector<uint64_t> heap_profile_at;  // op milestones; empty = chosen from the run length
  bool cpu_profile = false;
  std::vector<uint64_t> ops_sweep;
  uint32_t iterations = 1;

  // Index of `alias` in replicas, or -1.
  int replica_index(const std::string& alias) const;
  int client_index(const std::string& alias) const;
  // Index of the replica `client_alias` is bound to by `-- Proxy --`, or -1.
  int bound_replica(const std::string& client_alias) const;
};

// The protocols the .conf reader accepts, and whether `name` is one.
inline constexpr const char* kProtocols[] = {"curpht", "curpho"};
bool known_protocol(const std::string& name);

// Parses `text` as if read from `name` (used in error messages).
Result<ClusterConfig> parse_cluster_config(const std::string& text, const std::string& name);
Result<ClusterConfig> load_cluster_config(const std::string& path);

}  // namespace hd::config
