// ReplicaCore: CURP-HT with leader election (see docs/protocol.md). Roles are
// separate step functions; replication output is built lazily in ready() so a
// transport that steps a whole read batch gets one Accept per follower.
// Not thread-safe: one thread owns a core.
#include "replica/core/replica_core.h"

#include <algorithm>
#include <bit>
#include <deque>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/check.h"
#include "replica/core/client_table.h"
#include "replica/core/kv_store.h"
#include "replica/core/peer_progress.h"
#include "replica/core/replicated_log.h"
#include "replica/core/snapshot_transfer.h"
#include "replica/core/witness_table.h"

namespace hd::core {
namespace {

// Parked weak reads beyond this are dropped oldest-first: a restarted follower
// that never catches up must not accumulate them (the client retries/times out).
constexpr uint64_t kMaxParkedReads = 4096;
// Entries a follower may have in flight beyond its acked match, in Accept
// batches: ack-clocked flow control so a laggard or a dead peer is not flooded.
constexpr uint64_t kInFlightBatches = 8;
// Snapshot resend pacing, in units of retransmit_after_us.
constexpr uint64_t kSnapshotResendFactor = 4;
// Out-of-order Accepts a follower keeps until the gap before them fills.
constexpr size_t kMaxStashed = 32;
// A rejoining replica re-sends its term probe this often (heartbeat units).
constexpr uint64_t kProbeResendFactor = 5;

uint64_t mix64(uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// The leader's no-op of a new term (Raft §8): it commits the entries of
// earlier terms. It has no client and executes as nothing.
bool is_noop(const LogEntry& e) {
  return e.client == ClientId{0} && e.seq == SeqNo{0};
}

struct ParkedRead {
  ClientId client;
  SeqNo seq;
  Key key = 0;
  LogIndex min_index;
};

enum class Role : uint8_t { kFollower, kCandidate, kLeader };

}  // namespace

struct ReplicaCore::Impl {
  explicit Impl(const CoreConfig& c)
      : cfg(c),
        progress(c.self, c.replica_count,
                 ProgressTracker::Limits{c.follower_dead_after_us,
                                         kSnapshotResendFactor * c.retransmit_after_us,
                                         kInFlightBatches * c.max_accept_batch}) {
    HD_CHECK(cfg.replica_count >= 3);
    HD_CHECK(cfg.replica_count % 2 == 1);
    HD_CHECK(cfg.replica_count <= 64);  // vote masks are 64-bit
    HD_CHECK(cfg.self.value() < cfg.replica_count);
    HD_CHECK(cfg.leader.value() < cfg.replica_count);
    HD_CHECK(cfg.max_accept_batch > 0);
    HD_CHECK(cfg.snapshot_chunk_entries > 0);
    if (cfg.rejoin) {
      // Restarted without state: term and vote unknown until probed.
      rejoining = true;
    } else {
      // Boot term: every replica agrees that cfg.leader leads term 1.
      term = Term{1};
      leader_id = cfg.leader;
      voted_for = cfg.leader;
      role = cfg.self == cfg.leader ? Role::kLeader : Role::kFollower;
    }
  }

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
  WitnessTable witness;
  TimeUs last_gc_us = 0;

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

  TimeUs election_timeout() {
    const uint64_t h =
        mix64(cfg.election_seed ^ mix64(cfg.self.value() * 1000003ULL + term.value()) ^
              mix64(++timer_draws));
    const TimeUs jitter = cfg.election_jitter_us == 0 ? 0 : h % cfg.election_jitter_us;
    return cfg.election_timeout_us + jitter;
  }
  void reset_election_timer() { election_deadline_us = now_us + election_timeout(); }

  void observe_time(TimeUs now) {
    now_us = std::max(now_us, now);
    if (started) return;
    started = true;
    // Peers count as heard from at start, so none is "dead" before it could ack.
    progress.mark_all_heard(now_us);
    last_gc_us = now_us;
    last_leader_us = now_us;
    reset_election_timer();
  }

  void emit(Destination to, Message msg) { out.messages.push_back(Outgoing{to, std::move(msg)}); }
  void emit_client(ClientId c, Message msg) { emit(Destination::client(c), std::move(msg)); }
  void emit_replica(ReplicaId r, Message msg) { emit(Destination::replica(r), std::move(msg)); }

  // The leader as ProposeReply::leader carries it: replica_count when none
  // is known (the wire has no "none").
  ReplicaId wire_leader_hint() const { return leader_id.value_or(ReplicaId{cfg.replica_count}); }

  // ---- weak reads (any role) -----------------------------------------------

  void answer_read(ClientId c, SeqNo seq, Key key) {
    WeakReadReply r{cfg.self, c, seq, {}, LogIndex{0}};
    if (const KvStore::Cell* cell = kv.find(key)) {
      r.value = cell->value;
      r.version = cell->version;
    }
    emit_client(c, std::move(r));
  }

  void on_weak_read(const WeakRead& r) {
    ++counters.weak_reads;
    if (applied >= r.min_index) {
      answer_read(r.client, r.seq, r.key);
      return;
    }
    parked.push_back(ParkedRead{r.client, r.seq, r.key, r.min_index});
    if (parked.size() > kMaxParkedReads) parked.pop_front();
    HD_CHECK(parked.size() <= kMaxParkedReads);
  }

  // Called whenever applied advances.
  void answer_parked_reads() {
    if (parked.empty()) return;
    auto keep = parked.begin();
    for (auto it = parked.begin(); it != parked.end(); ++it) {
      if (applied >= it->min_index) {
        answer_read(it->client, it->seq, it->key);
      } else {
        if (keep != it) *keep = std::move(*it);
        ++keep;
      }
    }
    parked.erase(keep, parked.end());
  }

  // ---- execution (any role) ------------------------------------------------

  // Executes slot applied + 1 (entry e) against the KV store, records it in
  // the client's table (seen, saved reply) and returns the client's answer.
  // `move_value`: the entry is released right after (followers).
  StrongCommit execute_next(LogEntry& e, bool move_value) {
    const LogIndex slot = next_of(applied);
    StrongCommit reply{e.client, e.seq, slot, {}, LogIndex{0}};
    if (e.cmd.is_write()) {
      if (move_value) {
        kv.put(e.cmd.key, std::move(e.cmd.value), slot);
      } else {
        kv.put(e.cmd.key, e.cmd.value, slot);  // copy: followers may still need the entry
      }
      reply.version = slot;
      auto it = overlay.find(e.cmd.key);
      if (it != overlay.end()) {
        HD_CHECK(it->second >= slot);
        if (it->second == slot) overlay.erase(it);
      }
    } else if (const KvStore::Cell* cell = kv.find(e.cmd.key)) {
      reply.value = cell->value;
      reply.version = cell->version;
    }
    applied = slot;
    ++counters.executed;
    if (is_noop(e)) return reply;
    if (e.strong) witness.remove(e.client, e.seq, e.cmd.key);
    clients.record_executed(e, reply);
    return reply;
  }

  // ---- leader: client requests ---------------------------------------------

  // A retried op the leader has seen: resend the final answer if it has one;
  // otherwise (still in the log) the answer is coming.
  void leader_duplicate(const ClientState& c, ClientId id, SeqNo seq) {
    ++counters.duplicates_ignored;
    const SavedReply* s = ClientTable::find_saved(c, seq);
    if (s == nullptr) return;
    if (s->strong) {
      emit_client(id, s->reply);
    } else {
      emit_client(id, WeakWriteReply{id, seq, s->reply.slot});
    }
  }

  // Appends a command at the next slot; updates the speculative overlay.
  LogIndex leader_append(LogEntry entry) {
    // A caught-up follower starts lagging now: its retransmit timer starts
    // here, not at its last (possibly long past) ack.
    progress.on_append(log.last_index(), now_us);
    const bool write = entry.cmd.is_write();
    const Key key = entry.cmd.key;
    if (!is_noop(entry)) clients.get(entry.client).inflight.push_back(entry.seq);
    const LogIndex slot = log.append(std::move(entry));
    HD_CHECK(slot > applied);
    HD_CHECK(slot > commit);
    if (write) overlay[key] = slot;
    repl_dirty = true;
    return slot;
  }

  void leader_propose(const Propose& p) {
    ClientState& c = clients.get(p.client);
    clients.note_acked_below(c, p.acked_below);
    if (!ClientTable::is_new(c, p.seq)) {
      leader_duplicate(c, p.client, p.seq);
      return;
    }
    ++counters.strong_proposals;
    // Plant slowpath: a leader that withholds its OK leaves no fast-path quorum,
    // so the client waits for the commit (the slow path).
    const bool plant =
        cfg.plants.force_slow_path && client_ops(counters) > cfg.plants.slow_path_after_ops;
    // A read of a key with a pending (possibly uncommitted) write could
    // return a value a leader change loses: no fast path for it.
    const bool ok = !plant && (p.cmd.is_write() || !overlay.contains(p.cmd.key));
    ProposeReply r{cfg.self,    p.client, p.seq,       true, ok,
                   LogIndex{0}, {},       LogIndex{0}, term, cfg.self};
    if (!p.cmd.is_write()) speculative_read(p.cmd.key, &r.value, &r.version);
    r.slot = leader_append(LogEntry{p.client, p.seq, true, p.cmd, term, p.acked_below});
    if (p.cmd.is_write()) r.version = r.slot;
    emit_client(p.client, std::move(r));
  }

  // The result of a Get appended now: the latest pending write, else executed state.
  void speculative_read(Key key, Value* value, LogIndex* version) const {
    auto it = overlay.find(key);
    if (it != overlay.end()) {
      HD_CHECK(it->second > applied);
      const LogEntry& e = log.at(it->second);
      HD_CHECK(e.cmd.key == key);
      HD_CHECK(e.cmd.is_write());
      *value = e.cmd.value;
      *version = it->second;
      return;
    }
    if (const KvStore::Cell* cell = kv.find(key)) {
      *value = cell->value;
      *version = cell->version;
    }
  }

  void leader_weak_write(const WeakWrite& w) {
    ClientState& c = clients.get(w.client);
    clients.note_acked_below(c, w.acked_below);
    if (!ClientTable::is_new(c, w.seq)) {
      leader_duplicate(c, w.client, w.seq);
      return;
    }
    ++counters.weak_writes;
    leader_append(LogEntry{w.client, w.seq, false, Command{OpKind::kPut, w.key, w.value}, term,
                           w.acked_below});
  }

  // ---- leader: replication -------------------------------------------------

  void leader_ack(const AcceptAck& a) {
    // From a follower of an earlier incarnation of this (restarted) leader:
    // it claims slots this log never had. Ignore.
    if (a.last_contiguous > log.last_index()) return;
    PeerProgress& p = progress.at(a.from.value());
    p.on_ack(a, now_us);
    HD_CHECK(p.match <= log.last_index());
    advance_commit();
    leader_release();
    repl_dirty = true;
  }

  void advance_commit() {
    const LogIndex candidate = progress.quorum_match(log.last_index());
    HD_CHECK(candidate <= log.last_index());
    if (candidate <= commit) return;
    // Raft §5.4.2: only an entry of the leader's own term is committed by
    // counting replicas; earlier ones follow it.
    if (log.term_at(candidate) != term) return;
    commit = candidate;
    repl_dirty = true;
    leader_execute();
  }

  // Executes committed slots strictly in order and answers their clients.
  void leader_execute() {
    HD_CHECK(commit <= log.last_index());
    const LogIndex before = applied;
    while (applied < commit) {
      LogEntry& e = log.at(next_of(applied));
      StrongCommit reply = execute_next(e, /*move_value=*/false);
      if (is_noop(e)) continue;
      if (e.strong) {
        emit_client(e.client, std::move(reply));
      } else {
        emit_client(e.client, WeakWriteReply{e.client, e.seq, reply.slot});
      }
    }
    HD_CHECK(applied == commit);
    if (applied > before) answer_parked_reads();
  }

  // Releases executed entries no live follower still needs, then enforces the
  // hard cap even against live laggards (they get a state transfer instead).
  void leader_release() {
    if (cfg.plants.retain_history) return;
    const LogIndex bound = progress.release_bound(applied, now_us);
    while (!log.empty() && log.first_index() <= bound) release_one();
    while (log.size() > cfg.max_retained_entries && log.first_index() <= applied) release_one();
  }

  void release_one() {
    HD_CHECK(log.first_index() <= applied);
    log.release_front();
    ++counters.released;
  }

  Accept make_accept(LogIndex first, uint64_t count) {
    const LogIndex prev{first.value() - 1};
    Accept a{cfg.self, first, {}, commit, term, log.term_at(prev), log.last_index()};
    a.entries.reserve(count);
    for (uint64_t i = 0; i < count; ++i) a.entries.push_back(log.at(LogIndex{first.value() + i}));
    return a;
  }

  void send_accept(uint32_t peer_id, Accept a) {
    HD_CHECK(a.commit <= log.last_index());
    progress.at(peer_id).on_accept_sent(a.commit, now_us);
    emit_replica(ReplicaId{peer_id}, std::move(a));
  }

  void send_empty_accept(uint32_t peer_id) {
    send_accept(peer_id, make_accept(next_of(log.last_index()), 0));
  }

  // State transfer of the executed state at `applied` in chunks; the stream
  // then continues at applied + 1, which is never released before execution.
  void send_snapshot(uint32_t peer_id) {
    const LogIndex index = applied;
    HD_CHECK(next_of(index) >= log.first_index());
    build_snapshot_chunks(SnapshotOrigin{cfg.self, term, index, log.term_at(index)}, kv,
                          cfg.snapshot_chunk_entries, clients.records(), [&](Snapshot&& chunk) {
                            emit_replica(ReplicaId{peer_id}, std::move(chunk));
                          });
    ++snapshots_sent;
    progress.at(peer_id).on_snapshot_sent(index, now_us);
  }

  // Sends what peer needs from p.next, up to the in-flight window and at most
  // max_entries; a commit-only Accept when there is nothing new but commit moved.
  void flush_peer(uint32_t peer_id, uint64_t max_entries) {
    PeerProgress& p = progress.at(peer_id);
    bool sent = false;
    if (p.next < log.first_index()) {
      if (!progress.may_send_snapshot(p, now_us)) return;  // paced; tick() retries later
      send_snapshot(peer_id);
      sent = true;
    }
    if (!p.hold) {
      const uint64_t limit = progress.send_limit(p, log.last_index()).value();
      uint64_t budget = max_entries;
      while (p.next.value() <= limit && budget > 0) {
        HD_CHECK(log.holds(p.next));
        const uint64_t n =
            std::min<uint64_t>({limit - p.next.value() + 1, cfg.max_accept_batch, budget});
        const LogIndex first = p.next;
        p.next = LogIndex{first.value() + n};
        budget -= n;
        send_accept(peer_id, make_accept(first, n));
        sent = true;
      }
    }
    // Followers execute only what they know committed: tell live ones promptly.
    if (!sent && p.sent_commit < commit && progress.alive(p, now_us)) send_empty_accept(peer_id);
  }

  void flush_leader() {
    if (!repl_dirty) return;
    repl_dirty = false;
    for (uint32_t i = 0; i < cfg.replica_count; ++i) {
      if (i == cfg.self.value()) continue;
      flush_peer(i, UINT64_MAX);
    }
  }

  void tick_leader() {
    // Pending replication first, so one follower's messages stay consecutive.
    flush_leader();
    const LogIndex last = log.last_index();
    for (uint32_t i = 0; i < cfg.replica_count; ++i) {
      if (i == cfg.self.value()) continue;
      PeerProgress& p = progress.at(i);
      if (p.match < last && now_us - p.last_progress_us >= cfg.retransmit_after_us) {
        // Go-back-N from the last acked slot, one batch per interval while no
        // progress is seen.
        p.go_back();
        flush_peer(i, cfg.max_accept_batch);
        p.hold = true;
        p.last_progress_us = now_us;
      }
      if (now_us - p.last_sent_us >= cfg.heartbeat_interval_us) send_empty_accept(i);
    }
    // A follower may just have been declared dead: stop holding entries for it.
    leader_release();
  }

  // ---- terms, elections, leadership changes ---------------------------------

  // Adopts `t` (>= term) and follows `leader` (none: not known yet).
  void become_follower(Term t, std::optional<ReplicaId> leader) {
    HD_CHECK(t >= term);
    const bool new_term = t > term;
    if (new_term) {
      term = t;
      voted_for.reset();
    }
    if (role == Role::kLeader) step_down();
    role = Role::kFollower;
    pre_term = Term{0};
    if (new_term || leader_id != leader) {
      leader_id = leader;
      stashed.clear();
      // A rejoining replica measures its catch-up against the leader it follows.
      rejoin_target_known = false;
      // What matched the old leader's log proves nothing about the new one's.
      verified = std::min(verified, applied);
      leader_commit = std::max(leader_commit, applied);
    }
  }

  // Leader -> follower: forget the leader-only state. Unexecuted entries stay
  // (the next leader's Accepts confirm or replace them); executed ones are
  // committed and released as a follower would have.
  void step_down() {
    overlay.clear();
    clients.clear_inflight();
    while (!log.empty() && log.first_index() <= applied) {
      log.release_front();
      ++counters.released;
    }
    verified = applied;
    leader_commit = std::max(leader_commit, applied);
    repl_dirty = false;
  }

  bool log_up_to_date(Term last_term, LogIndex last_index) const {
    const Term mine = log.last_term();
    if (last_term != mine) return last_term > mine;
    return last_index >= log.last_index();
  }

  // A follower that heard from its leader recently ignores elections (Raft
  // §9.6 / §6 leader stickiness): a replica cut off from the leader alone
  // cannot depose it.
  bool leader_recent() const {
    if (role == Role::kLeader) return true;
    return role == Role::kFollower && leader_id.has_value() &&
           now_us - last_leader_us < cfg.election_timeout_us;
  }

  void broadcast(const Message& m) {
    for (uint32_t i = 0; i < cfg.replica_count; ++i) {
      if (i != cfg.self.value()) emit_replica(ReplicaId{i}, m);
    }
  }

  void start_pre_vote() {
    pre_term = next_term();
    pre_votes = uint64_t{1} << cfg.self.value();
    reset_election_timer();
    broadcast(RequestVote{cfg.self, pre_term, log.last_index(), log.last_term(), true, false});
  }

  Term next_term() const { return Term{term.value() + 1}; }

  void start_election() {
    term = next_term();
    role = Role::kCandidate;
    voted_for = cfg.self;
    leader_id.reset();
    pre_term = Term{0};
    votes = uint64_t{1} << cfg.self.value();
    verified = std::min(verified, applied);
    ++counters.elections_started;
    reset_election_timer();
    broadcast(RequestVote{cfg.self, term, log.last_index(), log.last_term(), false, false});
  }

  void become_leader() {
    HD_CHECK(role == Role::kCandidate);
    role = Role::kLeader;
    leader_id = cfg.self;
    ++counters.elections_won;
    progress.reset(next_of(log.last_index()), now_us);
    // Our log holds exactly the unexecuted slots (a follower releases what it
    // executes): their clients' seqs are in flight, their writes pending.
    HD_CHECK(log.first_index() == next_of(applied));
    commit = applied;
    for (LogIndex s = next_of(applied); s <= log.last_index(); s = next_of(s)) {
      const LogEntry& e = log.at(s);
      if (e.cmd.is_write()) overlay[e.cmd.key] = s;
      if (is_noop(e)) continue;
      ClientState& c = clients.get(e.client);
      if (ClientTable::is_new(c, e.seq)) c.inflight.push_back(e.seq);
    }
    // The witness role ends with leadership; a new term starts with a no-op
    // that commits every earlier entry it follows (Raft §8).
    witness.clear();
    leader_append(LogEntry{ClientId{0}, SeqNo{0}, false, Command{}, term, SeqNo{0}});
    for (uint32_t i = 0; i < cfg.replica_count; ++i) {
      if (i != cfg.self.value()) send_empty_accept(i);
    }
  }

  void on_request_vote(const RequestVote& rv) {
    if (rv.probe) {
      emit_replica(rv.from, Vote{cfg.self, term, false, false, true});
      return;
    }
    if (rv.pre) {
      const bool grant = !rejoining && !leader_recent() && rv.term > term &&
                         log_up_to_date(rv.last_term, rv.last_index);
      emit_replica(rv.from, Vote{cfg.self, grant ? rv.term : term, grant, true, false});
      return;
    }
    if (leader_recent() && rv.term > term) return;  // sticky: ignore, keep the term
    if (rv.term < term) {
      emit_replica(rv.from, Vote{cfg.self, term, false, false, false});
      return;
    }
    if (rv.term > term) become_follower(rv.term, std::nullopt);
    const bool grant = !rejoining && (!voted_for || *voted_for == rv.from) &&
                       log_up_to_date(rv.last_term, rv.last_index);
    if (grant) {
      voted_for = rv.from;
      reset_election_timer();
    }
    emit_replica(rv.from, Vote{cfg.self, term, grant, false, false});
  }

  void on_vote(const Vote& v) {
    const uint64_t bit = uint64_t{1} << v.from.value();
    if (v.probe) {
      if (!rejoining || probe_done) return;
      probe_replies |= bit;
      probe_term = std::max(probe_term, v.term);
      // The probes of f + 1 other replicas intersect every majority that
      // voted or committed before we lost our state.
      if (static_cast<uint32_t>(std::popcount(probe_replies)) >= majority()) {
        probe_done = true;
        if (probe_term > term) become_follower(probe_term, std::nullopt);
        maybe_finish_rejoin();
      }
      return;
    }
    if (v.pre) {
      if (pre_term == Term{0} || v.term != pre_term || !v.granted || role == Role::kLeader) {
        if (v.term > term && !v.granted) become_follower(v.term, std::nullopt);
        return;
      }
      pre_votes |= bit;
      if (static_cast<uint32_t>(std::popcount(pre_votes)) >= majority()) start_election();
      return;
    }
    if (v.term > term) {
      become_follower(v.term, std::nullopt);
      return;
    }
    if (role != Role::kCandidate || v.term != term || !v.granted) return;
    votes |= bit;
    if (static_cast<uint32_t>(std::popcount(votes)) >= majority()) become_leader();
  }

  // A rejoining replica may vote again once it learned the highest term from
  // a majority and holds everything the leader of that term (or a later one)
  // had when first heard from: every entry it acked before losing its state
  // that was committed is then back in its log.
  void maybe_finish_rejoin() {
    if (!rejoining || !probe_done || !rejoin_target_known) return;
    if (verified < rejoin_target) return;
    rejoining = false;
    // It may have voted in this term before the restart.
    voted_for = cfg.self;
  }

  // Common checks of a message from a leader (Accept, Snapshot). False: drop it.
  // leader_last: the leader's last slot (Accept), or nullptr (Snapshot).
  bool accept_leader(ReplicaId from, Term t, const LogIndex* leader_last) {
    // A restarted replica follows nobody before its probes told it the
    // highest term: it may have been in a majority of a term it forgot, and
    // following a leader that term deposed would let that leader's entries
    // and reads look confirmed (held notes, witness OKs in its term).
    HD_CHECK(!rejoining || probe_done);
    if (t < term) {
      // A deposed leader: tell it the newer term so it steps down.
      ++counters.stale_rejected;
      emit_replica(from, AcceptAck{cfg.self, LogIndex{0}, applied, term, true});
      return false;
    }
    HD_CHECK(!(role == Role::kLeader && t == term));  // one leader per term
    if (t > term || role != Role::kFollower || leader_id != from) {
      become_follower(t, from);
    }
    last_leader_us = now_us;
    reset_election_timer();
    if (rejoining && probe_done && !rejoin_target_known && t >= probe_term && leader_last) {
      rejoin_target = *leader_last;
      rejoin_target_known = true;
    }
    return true;
  }

  void on_ack(const AcceptAck& a) {
    if (a.term > term) {
      become_follower(a.term, std::nullopt);
      return;
    }
    if (a.term < term || role != Role::kLeader) return;
    leader_ack(a);
  }

  // ---- follower ------------------------------------------------------------

  void step_witness(const Propose& p) {
    ClientState& c = clients.get(p.client);
    c.seen.raise_floor(p.acked_below);
    bool ok = true;
    if (c.seen.contains(p.seq)) {
      // Already committed here: nothing to witness, and no conflict to report.
      ++counters.witness_accepts;
    } else {
      switch (witness.record(p.client, p.seq, p.cmd, now_us)) {
        case WitnessResult::kRecorded:
          ++counters.witness_accepts;
          break;
        case WitnessResult::kAlreadyHeld:
          ++counters.duplicates_ignored;
          break;
        case WitnessResult::kConflict:
          ++counters.witness_conflicts;
          ok = false;
          break;
      }
    }
    emit_client(p.client, ProposeReply{cfg.self,
                                       p.client,
                                       p.seq,
                                       false,
                                       ok,
                                       LogIndex{0},
                                       {},
                                       LogIndex{0},
                                       term,
                                       wire_leader_hint()});
  }

  // Tells the client that this replica holds its strong command at `slot`,
  // appended from the leader of the entry's own term: with the leader's reply
  // for the same (term, slot), a majority of these is a write's fast path.
  void notify_held(const LogEntry& e, LogIndex slot) {
    emit_client(e.client, ProposeReply{cfg.self,
                                       e.client,
                                       e.seq,
                                       false,
                                       true,
                                       slot,
                                       {},
                                       LogIndex{0},
                                       e.term,
                                       wire_leader_hint()});
  }

  void follower_accept(const Accept& a) {
    if (a.first == LogIndex{0}) return;  // malformed: slots start at 1
    const bool commit_news = a.commit > leader_commit;
    leader_commit = std::max(leader_commit, a.commit);
    const LogIndex prev{a.first.value() - 1};
    bool reject = false;
    if (prev > log.last_index()) {
      // Gap: we miss slots before these. A heartbeat that shows one makes the
      // leader go back at once; a batch of entries (reordered) waits in the
      // stash for the slots before it, then the leader's retransmission.
      reject = a.entries.empty();
      if (!a.entries.empty() && stashed.size() < kMaxStashed) stashed.push_back(a);
    } else if (prev > applied && log.term_at(prev) != a.prev_term) {
      // Our unexecuted entry at prev is not the leader's: drop it and what follows.
      log.truncate_after(LogIndex{prev.value() - 1});
      verified = std::min(verified, log.last_index());
      reject = true;
    } else {
      // Slots <= prev match the leader's log (Log Matching); add the entries.
      for (size_t i = 0; i < a.entries.size(); ++i) {
        const LogIndex slot{a.first.value() + i};
        if (slot <= applied) continue;  // executed: committed, hence identical
        if (slot <= log.last_index()) {
          if (log.term_at(slot) == a.entries[i].term) continue;  // duplicate
          log.truncate_after(LogIndex{slot.value() - 1});        // conflict: leader wins
        }
        const LogIndex appended = log.append(a.entries[i]);
        HD_CHECK(appended == slot);
        const LogEntry& e = log.at(slot);
        if (e.strong && e.term == a.term && !is_noop(e)) notify_held(e, slot);
      }
      verified = std::max(verified, LogIndex{prev.value() + a.entries.size()});
      unstash();
    }
    follower_execute();
    maybe_finish_rejoin();
    // A pure commit update needs no answer: the leader learns nothing from it,
    // and acking it would double the replica traffic per op. Entries, gaps
    // (a restarted follower), rejections and heartbeats (liveness) are acked.
    if (!a.entries.empty() || reject || prev > log.last_index() || !commit_news) {
      ack_dirty = true;
      ack_reject = ack_reject || reject;
    }
  }

  // Applies stashed Accepts that now continue the log (each one removed
  // before it is applied; the recursion ends when the stash is empty or
  // nothing in it fits yet).
  void unstash() {
    for (size_t i = 0; i < stashed.size(); ++i) {
      const Accept& a = stashed[i];
      const uint64_t end = a.first.value() + a.entries.size() - 1;
      if (end <= log.last_index().value()) {  // already covered
        stashed.erase(stashed.begin() + static_cast<std::ptrdiff_t>(i));
        --i;
        continue;
      }
      if (a.first.value() - 1 > log.last_index().value()) continue;  // still a gap
      Accept next = std::move(stashed[i]);
      stashed.erase(stashed.begin() + static_cast<std::ptrdiff_t>(i));
      follower_accept(next);
      return;
    }
  }

  // Executes committed, verified slots in order and releases them at once
  // (followers keep no history).
  void follower_execute() {
    HD_CHECK(verified <= log.last_index());
    const LogIndex target = std::min(leader_commit, verified);
    if (target > commit) commit = target;
    if (commit > log.last_index()) commit = log.last_index();
    const LogIndex before = applied;
    while (applied < commit) {
      HD_CHECK(log.first_index() == next_of(applied));
      execute_next(log.front(), /*move_value=*/true);
      log.release_front();
      ++counters.released;
    }
    HD_CHECK(applied == commit);
    HD_CHECK(log.first_index() == next_of(applied));
    if (applied > before) answer_parked_reads();
  }

  void follower_snapshot(const Snapshot& s) {
    ack_dirty = true;                // the leader learns where we are either way
    if (s.index <= applied) return;  // stale: we are already past it
    if (snapshot_in.add(s)) install_snapshot();
  }

  void install_snapshot() {
    const LogIndex index = snapshot_in.index();
    const Term index_term = snapshot_in.index_term();
    HD_CHECK(index > applied);
    snapshot_in.load_into(kv);
    // Keep held slots beyond the snapshot if they continue the leader's log
    // at index; drop the ones it covers.
    if (log.last_index() <= index || log.term_at(index) != index_term) {
      log.reset_after(index, index_term);
    } else {
      while (log.first_index() <= index) {
        log.release_front();
        ++counters.released;
      }
    }
    clients.install(snapshot_in.take_clients());
    applied = index;
    commit = std::max(commit, index);
    verified = index;  // the snapshot is the leader's state at index
    leader_commit = std::max(leader_commit, index);
    ++snapshots_installed;
    snapshot_in.reset(index);
    HD_CHECK(log.first_index() == next_of(applied));
    follower_execute();
    maybe_finish_rejoin();
    answer_parked_reads();
  }

  void flush_follower() {
    if (!ack_dirty) return;
    ack_dirty = false;
    const bool reject = ack_reject;
    ack_reject = false;
    if (!leader_id || *leader_id == cfg.self) return;
    emit_replica(*leader_id, AcceptAck{cfg.self, verified, applied, term, reject});
  }

  void tick_follower() {
    if (rejoining) {
      if (!probe_done && (!probe_sent || now_us - last_probe_us >=
                                             kProbeResendFactor * cfg.heartbeat_interval_us)) {
        probe_sent = true;
        last_probe_us = now_us;
        for (uint32_t i = 0; i < cfg.replica_count; ++i) {
          if (i == cfg.self.value() || (probe_replies >> i & 1) != 0) continue;
          emit_replica(ReplicaId{i},
                       RequestVote{cfg.self, term, log.last_index(), log.last_term(), false, true});
        }
      }
      return;  // a rejoining replica never campaigns
    }
    if (now_us >= election_deadline_us) start_pre_vote();
  }

  // Scan a quarter-interval at a time: entries live at most 1.25 x the GC age,
  // and the scan cost is amortised over many ticks.
  void witness_gc() {
    const TimeUs period = std::max<TimeUs>(cfg.witness_gc_after_us / 4, 1);
    if (now_us - last_gc_us < period) return;
    last_gc_us = now_us;
    witness.collect_older_than(now_us, cfg.witness_gc_after_us);
  }

  // ---- driving -------------------------------------------------------------

  // Before its probes are answered a restarted replica takes part in nothing
  // that carries a term (docs/protocol.md "Rejoining"): it witnesses and
  // answers weak reads in term 0, answers probes, and collects its own.
  bool ignored_while_probing(const Message& m) const {
    if (!rejoining || probe_done) return false;
    if (const auto* rv = std::get_if<RequestVote>(&m)) return !rv->probe;
    if (const auto* v = std::get_if<Vote>(&m)) return !v->probe;
    return std::holds_alternative<Accept>(m) || std::holds_alternative<Snapshot>(m) ||
           std::holds_alternative<AcceptAck>(m);
  }

  void step(const Message& m) {
    if (ignored_while_probing(m)) return;
    if (const auto* p = std::get_if<Propose>(&m)) {
      if (is_leader()) {
        leader_propose(*p);
      } else {
        step_witness(*p);
      }
    } else if (const auto* w = std::get_if<WeakWrite>(&m)) {
      if (is_leader()) {
        leader_weak_write(*w);
      } else {
        ++counters.weak_writes;  // misdirected: the client's retry goes to every replica
      }
    } else if (const auto* r = std::get_if<WeakRead>(&m)) {
      on_weak_read(*r);
    } else if (const auto* a = std::get_if<Accept>(&m)) {
      if (valid_peer(a->from) && accept_leader(a->from, a->term, &a->last)) follower_accept(*a);
    } else if (const auto* s = std::get_if<Snapshot>(&m)) {
      if (valid_peer(s->from) && accept_leader(s->from, s->term, nullptr)) follower_snapshot(*s);
    } else if (const auto* k = std::get_if<AcceptAck>(&m)) {
      if (valid_peer(k->from)) on_ack(*k);
    } else if (const auto* rv = std::get_if<RequestVote>(&m)) {
      if (valid_peer(rv->from)) on_request_vote(*rv);
    } else if (const auto* v = std::get_if<Vote>(&m)) {
      if (valid_peer(v->from)) on_vote(*v);
    }
    // Client-bound replies: ignored.
  }

  void tick() {
    witness_gc();
    if (is_leader()) {
      tick_leader();
    } else {
      tick_follower();
    }
  }

  void flush() {
    if (is_leader()) {
      flush_leader();
    } else {
      flush_follower();
    }
  }

  void check_invariants() const {
    HD_CHECK(applied <= commit);
    HD_CHECK(commit <= log.last_index());
    HD_CHECK(log.first_index() <= next_of(applied));
    HD_CHECK(parked.size() <= kMaxParkedReads);
    if (!is_leader()) {
      HD_CHECK(verified <= log.last_index());
      HD_CHECK(log.first_index() == next_of(applied));
    }
  }
};

ReplicaCore::ReplicaCore(const CoreConfig& config) : impl_(std::make_unique<Impl>(config)) {}
ReplicaCore::~ReplicaCore() = default;

void ReplicaCore::step(TimeUs now, const Message& msg) {
  impl_->observe_time(now);
  impl_->step(msg);
  impl_->check_invariants();
}

void ReplicaCore::tick(TimeUs now) {
  impl_->observe_time(now);
  impl_->tick();
  impl_->check_invariants();
}

bool ReplicaCore::has_ready() const {
  return !impl_->out.messages.empty() || impl_->repl_dirty || impl_->ack_dirty;
}

Ready& ReplicaCore::ready() {
  impl_->flush();
  return impl_->out;
}

void ReplicaCore::advance() {
  // Anything stepped since ready() was taken is flushed by the next ready().
  impl_->out.messages.clear();
}

bool ReplicaCore::is_leader() const {
  return impl_->is_leader();
}
std::optional<ReplicaId> ReplicaCore::leader() const {
  return impl_->leader_id;
}
Term ReplicaCore::term() const {
  return impl_->term;
}
const CoreConfig& ReplicaCore::config() const {
  return impl_->cfg;
}

CoreGauges ReplicaCore::gauges() const {
  const Impl& m = *impl_;
  CoreGauges g;
  g.log_entries_retained = m.log.size();
  g.witness_entries = m.witness.size();
  const uint64_t unexecuted = m.log.last_index().value() - m.applied.value();
  g.pending_requests = (m.is_leader() ? unexecuted : 0) + m.parked.size();
  g.client_table_entries = m.clients.size();
  g.saved_replies = m.clients.saved_replies();
  g.kv_keys = m.kv.size();
  g.last_index = m.log.last_index();
  g.commit_index = m.commit;
  g.applied_index = m.applied;
  g.snapshots_sent = m.snapshots_sent;
  g.snapshots_installed = m.snapshots_installed;
  g.term = m.term.value();
  g.rejoining = m.rejoining;
  return g;
}

const CoreCounters& ReplicaCore::counters() const {
  return impl_->counters;
}

KvEntry ReplicaCore::read_executed(Key key) const {
  KvEntry e{key, {}, LogIndex{0}};
  if (const KvStore::Cell* cell = impl_->kv.find(key)) {
    e.value = cell->value;
    e.version = cell->version;
  }
  return e;
}

}  // namespace hd::core
