// Simulator: a seeded, deterministic cluster simulation after TigerBeetle's
// VOPR and packet simulator. N ReplicaCores and several SessionCores exchange
// messages over a virtual network (random delay, drop, duplicate, reorder),
// followers crash and restart, a workload records a History, and the checkers
// of checkers.h judge it. One seed determines the whole run. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "replica/client/session_core.h"
#include "replica/core/replica_core.h"
#include "replica/sim/checkers.h"
#include "replica/sim/history.h"

namespace hd::sim {

struct NetworkFaults {
  core::TimeUs min_delay_us = 100;  // > 0: a reply never arrives in the same instant
  core::TimeUs max_delay_us = 1'500;
  uint32_t drop_ppm = 0;       // parts per million, per message
  uint32_t duplicate_ppm = 0;  // deliver a second copy with its own delay
  uint32_t reorder_ppm = 0;    // add up to reorder_extra_us to the delay
  core::TimeUs reorder_extra_us = 20'000;
  // Per tick: cut the leader off from one follower (both directions).
  uint32_t partition_ppm_per_tick = 0;
  // Per tick: cut the leader off from every other replica (clients still
  // reach it): the others elect a new leader while it keeps answering.
  uint32_t isolate_leader_ppm_per_tick = 0;
  core::TimeUs min_partition_us = 10'000;
  core::TimeUs max_partition_us = 800'000;
};

struct CrashFaults {
  uint32_t crash_ppm_per_tick = 0;         // per tick: a live follower crashes
  uint32_t leader_crash_ppm_per_tick = 0;  // per tick: the leader crashes
  core::TimeUs min_down_us = 20'000;
  core::TimeUs max_down_us = 400'000;
  // Replicas down or still rejoining (restarted, state lost) at once; 0: f.
  // More would lose acknowledged writes with no disk, whatever the protocol.
  uint32_t max_down = 0;
};

// Deliberately broken behaviour, to prove the checkers catch it.
struct Sabotage {
  // The network replaces this share of read results (leader ProposeReply,
  // StrongCommit, WeakReadReply) with the never-written value at version 0.
  uint32_t stale_read_ppm = 0;
  // The network zeroes WeakRead::min_index, so a lagging replica answers with
  // what it has: without a client cache, session guarantees must then fail.
  bool drop_min_index = false;
};

struct SimConfig {
  uint64_t seed = 1;
  // Both the replicas and the sessions run it. Session s is bound to (and
  // reads first from) replica s % replicas, so followers ack and serve too.
  core::Protocol protocol = core::Protocol::kCurpHt;
  uint32_t replicas = 3;
  uint32_t sessions = 5;
  uint32_t pendings = 4;  // ops in flight per session
  uint32_t keys = 6;
  uint64_t ops = 2'000;  // total ops issued
  // Op mix in percent; the rest are weak reads.
  uint32_t strong_read_pct = 25;
  uint32_t strong_write_pct = 25;
  uint32_t weak_write_pct = 20;
  core::TimeUs tick_us = 1'000;
  core::TimeUs max_think_us = 2'000;          // a session waits up to this before its next op
  core::TimeUs settle_limit_us = 20'000'000;  // virtual time allowed after faults stop

  NetworkFaults net;
  CrashFaults crash;
  Sabotage sabotage;

  core::CoreConfig core;          // self/replica_count/leader are set per replica
  client::SessionConfig session;  // id/replica_count/leader/nearest set per session

  core::TimeUs sample_every_us = 10'000;
  uint64_t log_bound = 1'500;
  uint64_t witness_bound = 1'500;
  uint64_t max_lin_steps_per_key = 2'000'000;
  // An op that times out although a leader was reachable for this long of
  // its lifetime was lost (retried every session.retry_after_us meanwhile).
  core::TimeUs min_available_for_timeout_us = 1'000'000;
};

// A configuration with every fault on, sized for the seed sweep.
SimConfig faulty_config(uint64_t seed);
// The same workload with no faults at all.
SimConfig clean_config(uint64_t seed);

struct SimStats {
  uint64_t ops_issued = 0;
  uint64_t ops_completed = 0;
  uint64_t ops_timed_out = 0;
  uint64_t timed_out_by_class[4] = {};  // indexed by client::OpClass
  uint64_t strong_completed = 0;
  uint64_t fast_path = 0;
  uint64_t slow_path = 0;
  uint64_t retries = 0;
  // CURP-HO: weak writes settled, ORDERED notes that reported the session's
  // earlier weak writes unordered (0 with a correct leader), and ops the
  // leaders' causal gates dropped at their cap.
  uint64_t settled = 0;
  uint64_t dep_check_failures = 0;
  uint64_t messages_sent = 0;
  uint64_t messages_delivered = 0;
  uint64_t messages_dropped = 0;  // by the network or to a crashed replica
  uint64_t messages_duplicated = 0;
  uint64_t crashes = 0;
  uint64_t leader_crashes = 0;
  uint64_t restarts = 0;
  uint64_t partitions = 0;
  uint64_t leader_isolations = 0;
  uint64_t elections_won = 0;          // leader changes (terms after the boot term)
  core::TimeUs max_leaderless_us = 0;  // longest stretch with no reachable leader
  uint64_t snapshots_sent = 0;         // by the leader
  uint64_t max_log_retained = 0;
  uint64_t max_witness_entries = 0;
  uint64_t lin_steps = 0;
  uint64_t lin_zone_decided = 0;  // keys the search left to the zone check
  core::TimeUs workload_end_us = 0;
  core::TimeUs end_us = 0;
};

struct SimResult {
  uint64_t seed = 0;
  History history;
  SimStats stats;
  bool converged = false;  // replicas reached the same applied index
  CheckResult election;    // at most one leader per term
  CheckResult linearizable;
  CheckResult sessions;
  CheckResult values;  // value/version consistency and write slots = acked versions
  CheckResult causal;  // check_causal: visibility, write order, no read from the future
  CheckResult final_state;
  CheckResult retention;
  CheckResult execution;  // every replica executed the same entry at each slot
  CheckResult timeouts;   // no op timed out while a leader was reachable long enough

  // All checks passed (an inconclusive linearizability search is not a pass).
  bool ok() const;
  // First failing check, or "" when ok().
  std::string failure() const;
  std::string summary() const;
};

class Simulator {
 public:
  explicit Simulator(const SimConfig& config);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Runs the workload, the settle phase and every check. Call once.
  SimResult run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hd::sim
