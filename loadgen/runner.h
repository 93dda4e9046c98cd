// LoadRunner: runs the seed's workload from one loadgen process — one client
// session per `clientThreads` ("client thread" in the seed's terms), each
// keeping up to `pendings` ops in flight (closed loop), or, with a rate,
// submitting at fixed intended times (open loop; latency measured from the
// intended time so coordinated omission cannot hide stalls). Sessions are
// served by `io_threads` I/O threads (default 1: on a 2-core machine shared
// with three replicas, fewer threads means fewer wake-ups per op), and the
// sessions of one I/O thread share one connection per replica. Under CURP-HO
// a run ends once its weak writes are also settled (or after waiting the op
// timeout for them; those left are counted unsettled). Sessions fill
// their own RunStats; run_load() merges them. A reporter prints one TPUT line
// per second. run_load() is called from one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "loadgen/stats/run_stats.h"
#include "loadgen/workload/workload.h"
#include "replica/config/cluster_config.h"

namespace hd::memprof {
struct Probe;  // memprof/probe.h (header-only): gauges + op counter
}  // namespace hd::memprof

namespace hd::loadgen {

struct LoadOptions {
  std::string alias = "client0";
  uint32_t client_index = 0;
  uint32_t threads = 1;             // sessions ("client threads", the seed's clientThreads)
  uint32_t io_threads = 1;          // I/O threads serving them
  uint64_t ops_per_thread = 10000;  // the seed's `reqs`
  uint32_t pendings = 1;            // in flight per thread (1 without pipeline)
  uint64_t warmup_ops = 0;          // per thread, excluded from latency and throughput
  double rate_ops_s = 0;            // per process; 0 = closed loop
  uint64_t seed = 1;
  uint32_t nearest = 0;  // replica index for weak reads
  // CURP-HO: the replica that acks this process's weak writes at once (the
  // config's `-- Proxy --` entry for the alias, else `nearest`).
  uint32_t bound = 0;
  uint32_t network_delay_ms = 0;   // one-way delay injected at receive (seed: networkDelay)
  uint32_t deadline_s = 600;       // overall: stop and report what finished
  bool never_evict_cache = false;  // plant
  // Client-cache entries per session; nullopt: the session default.
  std::optional<uint64_t> cache_entries;
  bool print_tput = true;
  // When this process has completed mark_at_ops ops (warm-up included; 0:
  // never), one line "MARK <alias> <n> ops" is printed and flushed from the
  // completing thread at once: the bench's `--kill-leader-at` acts on it,
  // since TPUT lines (1 s) and snapshots (100 ms) lag by thousands of ops.
  uint64_t mark_at_ops = 0;
  WorkloadSpec workload;
  // memprof hook: if set, completed ops are counted and sessions publish
  // in_flight_ops / client_cache_entries gauges. Must outlive run_load().
  memprof::Probe* probe = nullptr;
};

struct LoadResult {
  RunStats stats;
  bool deadline_exceeded = false;
  Status status;  // start-up failure (e.g. cannot resolve a replica)
};

LoadResult run_load(const config::ClusterConfig& config, const LoadOptions& options);

}  // namespace hd::loadgen
