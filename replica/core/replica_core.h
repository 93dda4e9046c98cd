// ReplicaCore: the CURP-HT protocol of one replica as a pure, deterministic
// state machine (after etcd's raft RawNode). Messages and clock ticks go in;
// outgoing messages come out through ready()/advance(). No sockets, threads,
// clocks or randomness: the same inputs always give the same outputs, which is
// what the seeded simulator relies on.
//
// Caller contract (the transport or the simulator):
//   * call step() for every message addressed to this replica and tick()
//     periodically (every CoreConfig::tick_interval_us or so) with the time;
//   * after any step()/tick(), send everything in ready().messages (order
//     within one destination must be preserved), then call advance();
//   * a crash is modelled by destroying the core; a restart constructs a new
//     one with CoreConfig::rejoin set, which starts empty, learns the current
//     term from a majority and catches up from the leader before it may vote.
// Not thread-safe: one thread owns a core.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "replica/core/messages.h"
#include "replica/core/plant_flags.h"

namespace hd::core {

class ClientProtocol;

struct CoreConfig {
  ReplicaId self{0};
  uint32_t replica_count = 3;  // odd, >= 3
  ReplicaId leader{0};         // leader of the boot term (term 1); elections follow
  // A restarted replica (it lost its state: no disk). It neither votes nor
  // campaigns until it has learned the highest term from a majority and caught
  // up with a leader of that term (docs/protocol.md "Rejoining").
  bool rejoin = false;
  // The client-facing protocol (every replica of a cluster runs the same).
  Protocol protocol = Protocol::kCurpHt;

  TimeUs heartbeat_interval_us = 20'000;      // leader -> followers when idle
  TimeUs retransmit_after_us = 50'000;        // resend un-acked slots to a follower
  TimeUs follower_dead_after_us = 1'000'000;  // no ack for this long: stop waiting for it
  TimeUs witness_gc_after_us = 2'000'000;     // drop unsynced entries never seen committed
  uint32_t max_accept_batch = 256;            // entries per Accept message
  uint64_t max_retained_entries = 200'000;    // hard cap on the leader's retained log
  uint32_t snapshot_chunk_entries = 4096;     // KvEntry per Snapshot message
  // A follower that has not heard from a leader for election_timeout_us plus a
  // jitter in [0, election_jitter_us) (deterministic: from election_seed, self
  // and the term) starts a pre-vote, then an election.
  TimeUs election_timeout_us = 300'000;
  TimeUs election_jitter_us = 300'000;
  uint64_t election_seed = 0;
  Plants plants;
  // Report every executed slot in Ready::executed (the simulator compares
  // them across replicas). Off in the replica program: nothing to compare.
  bool record_executed = false;
  // Deliberate protocol bugs, only to show that the simulator's checkers
  // catch them (tests/sim). Never set by the replica program.
  struct Bugs {
    // A follower whose log conflicts with the leader's keeps its own entry
    // instead of truncating (broken log repair).
    bool keep_conflicting_entry = false;
    // The leader treats every new op whose seq is a multiple of this as a
    // duplicate and drops it (0: off).
    uint64_t new_seq_as_duplicate_every = 0;
    // CURP-HO: the leader orders a strong op (HoPropose) at once, without
    // waiting for its causal_dep (weak writes are still chained): "drop the
    // causal barrier" (docs/protocol-curpho.md §4.4).
    bool skip_causal_barrier = false;
    // CURP-HO: a replica answers every CausalRead at once, ignoring min_index
    // and dep_seq: a weak read older than what the session has seen.
    bool weak_read_ignores_deps = false;
  } bugs;
};

// Live-object gauges, read by memprof snapshots and by the sim's bound check.
struct CoreGauges {
  uint64_t log_entries_retained = 0;
  uint64_t witness_entries = 0;       // unsynced strong commands held as witness
  uint64_t pending_requests = 0;      // requests waiting for commit/execution or a min_index
  uint64_t client_table_entries = 0;  // client sessions the replica remembers
  uint64_t saved_replies = 0;         // replies kept for retries (pruned by acked_below)
  uint64_t kv_keys = 0;
  LogIndex last_index;  // highest slot held
  LogIndex commit_index;
  LogIndex applied_index;  // highest slot executed
  uint64_t snapshots_sent = 0;
  uint64_t snapshots_installed = 0;
  uint64_t term = 0;
  bool rejoining = false;  // restarted and not yet allowed to vote
  // CURP-HO (0 under CURP-HT): ops the leader's causal gate dropped at its
  // cap (their clients retry), and the slowsync plant's sync timer: held
  // StrongCommits whose timer fired, and those it answered (a saved reply
  // was still there).
  uint64_t gate_dropped = 0;
  uint64_t sync_timer_fires = 0;
  uint64_t sync_timer_answers = 0;
};

// Counters of work done (monotonic), for stats and tests.
struct CoreCounters {
  uint64_t strong_proposals = 0;
  uint64_t witness_accepts = 0;
  uint64_t witness_conflicts = 0;
  uint64_t weak_writes = 0;
  uint64_t weak_reads = 0;
  uint64_t duplicates_ignored = 0;
  uint64_t executed = 0;
  uint64_t released = 0;
  uint64_t elections_started = 0;  // real (not pre-) votes asked for
  uint64_t elections_won = 0;
  uint64_t stale_rejected = 0;  // Accepts/Snapshots/acks of an older term refused
  // Client messages of the protocol this replica does not run (a CURP-HO
  // client talking to a CURP-HT cluster, or the reverse): dropped.
  uint64_t foreign_protocol_dropped = 0;
  // CURP-HO client messages whose causal dependency is not an earlier seq.
  uint64_t malformed_dropped = 0;
};

// Client requests this core handled for the first time (leader: strong
// proposals, weak writes, weak reads; follower: witnessed or conflicting
// proposals, weak reads): the replica's op count, the one memprof records in
// its snapshots and the one the plants count.
inline uint64_t client_ops(const CoreCounters& k) {
  return k.strong_proposals + k.weak_writes + k.weak_reads + k.witness_accepts +
         k.witness_conflicts;
}

// A slot this core executed: which slot, and a digest of the entry executed
// there (term, client, seq, command), equal on every replica that executes it.
// client/seq name the op (0/0: a leader's no-op), so the simulator learns the
// slot of writes whose reply never arrived (issue 16: check_causal).
struct ExecutedSlot {
  LogIndex slot;
  uint64_t digest = 0;
  ClientId client;
  SeqNo seq;
};

struct Ready {
  std::vector<Outgoing> messages;
  // With CoreConfig::record_executed: every slot executed since the last
  // advance(), in order (snapshot installs execute nothing).
  std::vector<ExecutedSlot> executed;
};

// The digest Ready::executed carries.
uint64_t entry_digest(const LogEntry& e);

class ReplicaCore {
 public:
  explicit ReplicaCore(const CoreConfig& config);
  ~ReplicaCore();
  ReplicaCore(const ReplicaCore&) = delete;
  ReplicaCore& operator=(const ReplicaCore&) = delete;

  void step(TimeUs now, const Message& msg);
  void tick(TimeUs now);

  bool has_ready() const;
  // Valid until advance().
  Ready& ready();
  void advance();

  bool is_leader() const;
  // The leader this replica knows (none: no leader known).
  std::optional<ReplicaId> leader() const;
  Term term() const;
  const CoreConfig& config() const;
  CoreGauges gauges() const;
  const CoreCounters& counters() const;

  // Executed state, for tests and the final "every acknowledged write is
  // present" check: value and version of key (version 0: never written).
  KvEntry read_executed(Key key) const;

 private:
  friend class ClientProtocol;  // the protocol strategies act on Impl
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hd::core
