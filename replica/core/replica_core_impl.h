// ReplicaCore::Impl: the state of one replica's core, shared by the files that
// implement it: replica_core.cc (driving, execution, weak reads),
// replica_core_leader.cc, replica_core_follower.cc (followers),
// replica_core_election.cc (terms, votes, rejoin) and the protocol strategy
// (protocol_ht.cc, protocol_ho.cc: client messages, witnesses).
// Private to hd_core. Not thread-safe: one thread owns a core.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "replica/core/client_table.h"
#include "replica/core/kv_store.h"
#include "replica/core/peer_progress.h"
#include "replica/core/protocol.h"
#include "replica/core/replica_core.h"
#include "replica/core/replicated_log.h"
#include "replica/core/snapshot_transfer.h"

namespace hd::core {

struct ReplicaCore::Impl {
  enum class Role : uint8_t { kFollower, kCandidate, kLeader };

  struct ParkedRead {
    ClientId client;
    SeqNo seq;
    Key key = 0;
    LogIndex min_index;
    SeqNo dep_seq{0};  // CURP-HO: also wait until this seq of the session is executed
  };

  // The leader's no-op of a new term (Raft §8): it commits the entries of
  // earlier terms. It has no client and executes as nothing.
  static bool is_noop(const LogEntry& e) { return e.client == ClientId{0} && e.seq == SeqNo{0}; }

  explicit Impl(const CoreConfig& c);

  // ---- shared --------------------------------------------------------------

  CoreConfig cfg;
  CoreCounters counters;
  uint64_t snapshots_sent = 0;
  uint64_t snapshots_installed = 0;
  Ready out;
  TimeUs now_us = 0;
  bool started = false;

  ReplicatedLog log;  // leader: unreleased slots; follower: unexecuted slots
  KvStore kv;
  LogIndex commit;   // leader: majority-held; follower: min(leader commit, verified)
  LogIndex applied;  // highest slot executed
  ClientTable clients;
  std::deque<ParkedRead> parked;
  // The client-facing protocol (CURP-HT or CURP-HO): client messages,
  // witness state. Called at the points listed in protocol.h.
  std::unique_ptr<ClientProtocol> proto;
  TimeUs last_gc_us = 0;  // the protocol's witness GC scan

  // ---- terms and elections -------------------------------------------------

  Role role = Role::kFollower;
  Term term;
  std::optional<ReplicaId> leader_id;  // none: no leader known
  std::optional<ReplicaId> voted_for;  // none: no vote cast in this term
  TimeUs election_deadline_us = 0;
  TimeUs last_leader_us = 0;  // last Accept/Snapshot from the current leader
  uint64_t timer_draws = 0;
  Term pre_term;           // term of the pre-vote in progress (0: none)
  uint64_t pre_votes = 0;  // bit per replica
  uint64_t votes = 0;      // bit per replica (candidate)
  // Rejoin after a restart.
  bool rejoining = false;
  uint64_t probe_replies = 0;  // bit per replica
  Term probe_term;             // highest term the probes reported
  bool probe_done = false;
  TimeUs last_probe_us = 0;
  bool probe_sent = false;
  LogIndex rejoin_target;  // leader's last slot when first heard after the probes
  bool rejoin_target_known = false;

  // ---- leader --------------------------------------------------------------

  ProgressTracker progress;  // the followers
  // key -> slot of the latest not-yet-executed write, so speculative results
  // see every earlier slot without touching executed state.
  std::unordered_map<Key, LogIndex> overlay;
  bool repl_dirty = false;

  // ---- follower ------------------------------------------------------------

  LogIndex leader_commit;  // highest commit index heard from the current leader
  // Every slot <= verified matches the current leader's log (checked through
  // Accept::prev_term); only those may be executed or acked.
  LogIndex verified;
  bool ack_dirty = false;
  bool ack_reject = false;  // the pending ack asks the leader to go back
  // Accepts of the current leader that arrived before the slots they follow
  // (the network reorders): applied once the gap fills, so a reordered batch
  // does not wait for the leader's retransmission. Bounded; cleared when the
  // leader changes.
  std::vector<Accept> stashed;
  SnapshotAssembly snapshot_in;  // the state transfer being received

  bool is_leader() const { return role == Role::kLeader; }
  uint32_t majority() const { return cfg.replica_count / 2 + 1; }
  bool valid_peer(ReplicaId r) const { return r.value() < cfg.replica_count && r != cfg.self; }
  void reset_election_timer() { election_deadline_us = now_us + election_timeout(); }
  void emit(Destination to, Message msg) { out.messages.push_back(Outgoing{to, std::move(msg)}); }
  void emit_client(ClientId c, Message msg) { emit(Destination::client(c), std::move(msg)); }
  void emit_replica(ReplicaId r, Message msg) { emit(Destination::replica(r), std::move(msg)); }
  // The leader as ProposeReply::leader carries it: replica_count when none
  // is known (the wire has no "none").
  ReplicaId wire_leader_hint() const { return leader_id.value_or(ReplicaId{cfg.replica_count}); }
  Term next_term() const { return Term{term.value() + 1}; }

  // ---- replica_core.cc: driving (step/tick/flush dispatch by role), execution, weak reads
  void observe_time(TimeUs now);
  void answer_read(ClientId c, SeqNo seq, Key key);
  void on_weak_read(const WeakRead& r);
  // Answers a weak read once applied >= min_index and (dep_seq != 0) the
  // session's dep_seq is executed here; parks it until then.
  void serve_read(ClientId c, SeqNo seq, Key key, LogIndex min_index, SeqNo dep_seq);
  bool read_ready(ClientId c, LogIndex min_index, SeqNo dep_seq);
  void answer_parked_reads();
  StrongCommit execute_next(LogEntry& e, bool move_value);
  bool ignored_while_probing(const Message& m) const;
  void step(const Message& m);  // then step_leader / step_follower / step_candidate
  void tick();
  void flush();
  void check_invariants() const;

  // ---- replica_core_leader.cc: the leader role (client requests: the protocol)
  void step_leader(const Message& m);
  bool leader_admit(ClientId id, SeqNo seq, SeqNo acked_below);
  LogIndex leader_append(LogEntry entry);
  // Appends an admitted strong op and answers with the speculative reply
  // (both protocols; CURP-HO after its causal barrier).
  void leader_order_strong(ClientId client, SeqNo seq, SeqNo acked_below, const Command& cmd);
  void speculative_read(Key key, Value* value, LogIndex* version) const;
  void leader_ack(const AcceptAck& a);
  void advance_commit();
  void leader_execute();
  void leader_release();
  void release_one();
  Accept make_accept(LogIndex first, uint64_t count);
  void send_accept(uint32_t peer_id, Accept a);
  void send_empty_accept(uint32_t peer_id);
  void send_snapshot(uint32_t peer_id);
  void flush_peer(uint32_t peer_id, uint64_t max_entries);
  void flush_leader();
  void tick_leader();

  // ---- replica_core_follower.cc: the follower role
  void step_follower(const Message& m);
  void follower_accept(const Accept& a);
  void unstash();
  void follower_execute();
  void follower_snapshot(const Snapshot& s);
  void install_snapshot();
  void flush_follower();
  void tick_follower();

  // ---- replica_core_election.cc: terms, elections, leadership changes, rejoin
  TimeUs election_timeout();
  void become_follower(Term t, std::optional<ReplicaId> leader);
  void step_down();
  bool log_up_to_date(Term last_term, LogIndex last_index) const;
  bool leader_recent() const;
  void broadcast(const Message& m);
  void start_pre_vote();
  void start_election();
  void become_leader();
  void on_request_vote(const RequestVote& rv);
  void on_vote(const Vote& v);
  void maybe_finish_rejoin();
  bool accept_leader(ReplicaId from, Term t, const LogIndex* leader_last);
  bool check_replication_term(const Message& m);
  void step_candidate(const Message& m);
  void tick_candidate();
};

}  // namespace hd::core
