// ReplicaCore: CURP-HT with a fixed leader (see docs/protocol.md). Roles are
// separate step functions; replication output is built lazily in ready() so a
// transport that steps a whole read batch gets one Accept per follower.
// Not thread-safe: one thread owns a core.
#include "replica/core/replica_core.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "replica/base/check.h"
#include "replica/core/kv_store.h"
#include "replica/core/replicated_log.h"
#include "replica/core/seq_window.h"
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

LogIndex next_of(LogIndex i) {
  return LogIndex{i.value() + 1};
}

// A reply kept for retries: StrongCommit for strong ops; for weak writes only
// client/seq/slot are used (a WeakWriteReply is rebuilt from it).
struct SavedReply {
  bool strong = false;
  StrongCommit reply;
};

// Per client session. Leader: `seen` = seqs assigned a slot, `saved` = replies
// of executed ops not yet acked. Follower: `seen` = seqs seen committed.
struct ClientState {
  SeqWindow seen;
  SeqNo acked_below{0};
  std::vector<SavedReply> saved;
};

// The leader's view of one follower.
struct Peer {
  LogIndex match;           // follower holds every slot <= match (acked)
  LogIndex next{1};         // next slot to send in the normal stream
  LogIndex sent_commit;     // highest commit index told
  LogIndex snapshot_index;  // index of the last state transfer sent (0: none)
  TimeUs last_ack_us = 0;
  TimeUs last_progress_us = 0;  // match advanced (or a retransmission was made)
  TimeUs last_sent_us = 0;
  TimeUs snapshot_sent_us = 0;
  bool snapshot_ever = false;
  // After a timeout go-back, send nothing more until an ack shows progress:
  // a dead follower then costs one batch per retransmit interval.
  bool hold = false;
};

struct ParkedRead {
  ClientId client;
  SeqNo seq;
  Key key = 0;
  LogIndex min_index;
};

}  // namespace

struct ReplicaCore::Impl {
  explicit Impl(const CoreConfig& c) : cfg(c) {
    HD_CHECK(cfg.replica_count >= 3);
    HD_CHECK(cfg.replica_count % 2 == 1);
    HD_CHECK(cfg.self.value() < cfg.replica_count);
    HD_CHECK(cfg.leader.value() < cfg.replica_count);
    HD_CHECK(cfg.max_accept_batch > 0);
    HD_CHECK(cfg.snapshot_chunk_entries > 0);
    peers.resize(cfg.replica_count);
    match_scratch.reserve(cfg.replica_count);
  }

  // ---- shared --------------------------------------------------------------

  CoreConfig cfg;
  CoreCounters counters;
  uint64_t snapshots_sent = 0;
  uint64_t snapshots_installed = 0;
  Ready out;
  TimeUs now_us = 0;
  bool started = false;

  ReplicatedLog log;  // leader: unreleased slots; follower: last_contiguous window
  KvStore kv;
  LogIndex commit;   // leader: majority-held; follower: min(leader commit, last_contiguous)
  LogIndex applied;  // highest slot executed
  std::unordered_map<ClientId, ClientState> clients;
  uint64_t saved_count = 0;
  std::deque<ParkedRead> parked;

  // ---- leader --------------------------------------------------------------

  std::vector<Peer> peers;  // indexed by ReplicaId; peers[self] unused
  // key -> slot of the latest not-yet-executed write, so speculative results
  // see every earlier slot without touching executed state.
  std::unordered_map<Key, LogIndex> overlay;
  bool repl_dirty = false;
  std::vector<LogIndex> match_scratch;

  // ---- follower ------------------------------------------------------------

  LogIndex leader_commit;  // highest commit index heard from the leader
  WitnessTable witness;
  TimeUs last_gc_us = 0;
  bool ack_dirty = false;
  // Snapshot being assembled (chunks of one index).
  LogIndex snap_index;
  std::vector<std::vector<KvEntry>> snap_chunks;
  std::vector<bool> snap_have;
  uint32_t snap_received = 0;
  bool snap_last_known = false;
  uint32_t snap_last_chunk = 0;

  bool is_leader() const { return cfg.self == cfg.leader; }

  void observe_time(TimeUs now) {
    now_us = std::max(now_us, now);
    if (started) return;
    started = true;
    // Peers count as heard from at start, so none is "dead" before it could ack.
    for (Peer& p : peers) {
      p.last_ack_us = now_us;
      p.last_progress_us = now_us;
      p.last_sent_us = now_us;
    }
    last_gc_us = now_us;
  }

  void emit(Destination to, Message msg) { out.messages.push_back(Outgoing{to, std::move(msg)}); }
  void emit_client(ClientId c, Message msg) { emit(Destination::client(c), std::move(msg)); }

  ClientState& client(ClientId id) { return clients[id]; }

  // Records acked_below: replies below it are no longer needed, and every seq
  // below it is finished (so it counts as seen).
  void note_acked_below(ClientState& c, SeqNo acked_below) {
    if (acked_below <= c.acked_below) return;
    c.acked_below = acked_below;
    c.seen.raise_floor(acked_below);
    const size_t before = c.saved.size();
    std::erase_if(c.saved, [&](const SavedReply& s) { return s.reply.seq < acked_below; });
    HD_CHECK(saved_count >= before - c.saved.size());
    saved_count -= before - c.saved.size();
  }

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

  // ---- leader: client requests ---------------------------------------------

  void step_leader(const Message& m) {
    if (const auto* p = std::get_if<Propose>(&m)) {
      leader_propose(*p);
    } else if (const auto* w = std::get_if<WeakWrite>(&m)) {
      leader_weak_write(*w);
    } else if (const auto* r = std::get_if<WeakRead>(&m)) {
      on_weak_read(*r);
    } else if (const auto* a = std::get_if<AcceptAck>(&m)) {
      leader_ack(*a);
    }
    // Accept/Snapshot (no other leader exists yet) and client-bound replies: ignored.
  }

  // A retried op the leader has already assigned: resend the final answer if
  // it has one; otherwise the answer is still coming.
  void leader_duplicate(const ClientState& c, ClientId id, SeqNo seq) {
    ++counters.duplicates_ignored;
    for (const SavedReply& s : c.saved) {
      if (s.reply.seq != seq) continue;
      if (s.strong) {
        emit_client(id, s.reply);
      } else {
        emit_client(id, WeakWriteReply{id, seq, s.reply.slot});
      }
      return;
    }
  }

  // Appends a command at the next slot; updates the speculative overlay.
  LogIndex leader_append(ClientId id, SeqNo seq, bool strong, const Command& cmd) {
    // A caught-up follower starts lagging now: its retransmit timer starts
    // here, not at its last (possibly long past) ack.
    for (Peer& p : peers) {
      if (p.match == log.last_index()) p.last_progress_us = now_us;
    }
    const LogIndex slot = log.append(LogEntry{id, seq, strong, cmd});
    HD_CHECK(slot > applied);
    HD_CHECK(slot > commit);
    if (cmd.is_write()) overlay[cmd.key] = slot;
    repl_dirty = true;
    return slot;
  }

  void leader_propose(const Propose& p) {
    ClientState& c = client(p.client);
    note_acked_below(c, p.acked_below);
    if (!c.seen.insert(p.seq)) {
      leader_duplicate(c, p.client, p.seq);
      return;
    }
    ++counters.strong_proposals;
    // Plant slowpath: a leader that withholds its OK leaves no super-quorum,
    // so the client waits for the commit (the slow path).
    const bool ok =
        !(cfg.plants.force_slow_path && client_ops(counters) > cfg.plants.slow_path_after_ops);
    ProposeReply r{cfg.self, p.client, p.seq, true, ok, LogIndex{0}, {}, LogIndex{0}};
    if (!p.cmd.is_write()) speculative_read(p.cmd.key, &r.value, &r.version);
    r.slot = leader_append(p.client, p.seq, true, p.cmd);
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
    ClientState& c = client(w.client);
    note_acked_below(c, w.acked_below);
    if (!c.seen.insert(w.seq)) {
      leader_duplicate(c, w.client, w.seq);
      return;
    }
    ++counters.weak_writes;
    leader_append(w.client, w.seq, false, Command{OpKind::kPut, w.key, w.value});
  }

  // ---- leader: replication -------------------------------------------------

  bool peer_alive(const Peer& p) const {
    return now_us - p.last_ack_us < cfg.follower_dead_after_us;
  }

  void leader_ack(const AcceptAck& a) {
    if (a.from.value() >= cfg.replica_count || a.from == cfg.self) return;
    // From a follower of an earlier incarnation of this (restarted) leader:
    // it claims slots this log never had. Failover will reconcile; ignore.
    if (a.last_contiguous > log.last_index()) return;
    Peer& p = peers[a.from.value()];
    p.last_ack_us = now_us;
    if (a.last_contiguous > p.match) {
      p.match = a.last_contiguous;
      p.last_progress_us = now_us;
      p.hold = false;
    } else if (a.last_contiguous < p.match && a.last_contiguous == LogIndex{0} &&
               a.applied == LogIndex{0}) {
      // The follower restarted empty (no disk): start over from slot 1, or
      // from a state transfer if slot 1 is released.
      p.match = LogIndex{0};
      p.next = LogIndex{1};
      p.last_progress_us = now_us;
      p.hold = false;
      p.snapshot_ever = false;  // it needs a transfer now, not after the pacing delay
      p.snapshot_index = LogIndex{0};
    }
    // Other regressions are stale acks reordered by the network: ignored.
    if (p.next <= p.match) p.next = next_of(p.match);
    HD_CHECK(p.match <= log.last_index());
    advance_commit();
    leader_release();
    repl_dirty = true;
  }

  void advance_commit() {
    match_scratch.clear();
    for (uint32_t i = 0; i < cfg.replica_count; ++i) {
      match_scratch.push_back(i == cfg.self.value() ? log.last_index() : peers[i].match);
    }
    const uint32_t majority = cfg.replica_count / 2 + 1;
    auto nth = match_scratch.begin() + (majority - 1);
    std::nth_element(match_scratch.begin(), nth, match_scratch.end(), std::greater<LogIndex>());
    const LogIndex candidate = *nth;
    HD_CHECK(candidate <= log.last_index());
    if (candidate <= commit) return;
    commit = candidate;
    repl_dirty = true;
    leader_execute();
  }

  // Executes committed slots strictly in order and answers their clients.
  void leader_execute() {
    HD_CHECK(commit <= log.last_index());
    const LogIndex before = applied;
    while (applied < commit) {
      const LogIndex slot = next_of(applied);
      const LogEntry& e = log.at(slot);
      StrongCommit reply{e.client, e.seq, slot, {}, LogIndex{0}};
      if (e.cmd.is_write()) {
        kv.put(e.cmd.key, e.cmd.value, slot);  // copy: followers may still need the entry
        reply.version = slot;
        auto it = overlay.find(e.cmd.key);
        HD_CHECK(it != overlay.end());
        HD_CHECK(it->second >= slot);
        if (it->second == slot) overlay.erase(it);
      } else if (const KvStore::Cell* cell = kv.find(e.cmd.key)) {
        reply.value = cell->value;
        reply.version = cell->version;
      }
      applied = slot;
      ++counters.executed;
      ClientState& c = client(e.client);
      const bool strong = e.strong;
      if (strong) {
        emit_client(e.client, reply);
      } else {
        emit_client(e.client, WeakWriteReply{e.client, e.seq, slot});
      }
      // Keep it for retries unless the client already declared it finished.
      if (e.seq >= c.acked_below) {
        c.saved.push_back(SavedReply{strong, std::move(reply)});
        ++saved_count;
      }
    }
    HD_CHECK(applied == commit);
    if (applied > before) answer_parked_reads();
  }

  // Releases executed entries no live follower still needs, then enforces the
  // hard cap even against live laggards (they get a state transfer instead).
  void leader_release() {
    if (cfg.plants.retain_history) return;
    LogIndex bound = applied;
    for (uint32_t i = 0; i < cfg.replica_count; ++i) {
      if (i == cfg.self.value() || !peer_alive(peers[i])) continue;
      bound = std::min(bound, peers[i].match);
    }
    while (!log.empty() && log.first_index() <= bound) release_one();
    while (log.size() > cfg.max_retained_entries && log.first_index() <= applied) release_one();
  }

  void release_one() {
    HD_CHECK(log.first_index() <= applied);
    log.release_front();
    ++counters.released;
  }

  Accept make_accept(LogIndex first, uint64_t count) {
    Accept a{cfg.self, first, {}, commit};
    a.entries.reserve(count);
    for (uint64_t i = 0; i < count; ++i) a.entries.push_back(log.at(LogIndex{first.value() + i}));
    return a;
  }

  void send_accept(uint32_t peer_id, Accept a) {
    Peer& p = peers[peer_id];
    HD_CHECK(a.commit <= log.last_index());
    p.sent_commit = std::max(p.sent_commit, a.commit);
    p.last_sent_us = now_us;
    emit(Destination::replica(ReplicaId{peer_id}), std::move(a));
  }

  void send_empty_accept(uint32_t peer_id) {
    send_accept(peer_id, Accept{cfg.self, next_of(log.last_index()), {}, commit});
  }

  // State transfer of the executed state at `applied` in chunks; the stream
  // then continues at applied + 1, which is never released before execution.
  void send_snapshot(uint32_t peer_id) {
    Peer& p = peers[peer_id];
    const LogIndex index = applied;
    HD_CHECK(next_of(index) >= log.first_index());
    const uint64_t chunk_size = cfg.snapshot_chunk_entries;
    const uint64_t keys = kv.size();
    const uint64_t chunks = keys == 0 ? 1 : (keys + chunk_size - 1) / chunk_size;
    Snapshot cur{cfg.self, index, 0, chunks == 1, {}};
    cur.entries.reserve(std::min(keys, chunk_size));
    uint64_t emitted = 0;
    kv.for_each([&](Key key, const KvStore::Cell& cell) {
      cur.entries.push_back(KvEntry{key, cell.value, cell.version});
      if (cur.entries.size() == chunk_size && cur.chunk + 1 < chunks) {
        const uint32_t next_chunk = cur.chunk + 1;
        emit(Destination::replica(ReplicaId{peer_id}), std::move(cur));
        ++emitted;
        cur = Snapshot{cfg.self, index, next_chunk, next_chunk + 1 == chunks, {}};
        cur.entries.reserve(std::min(keys - emitted * chunk_size, chunk_size));
      }
    });
    HD_CHECK(cur.last);
    emit(Destination::replica(ReplicaId{peer_id}), std::move(cur));
    ++emitted;
    HD_CHECK(emitted == chunks);
    ++snapshots_sent;
    p.snapshot_ever = true;
    p.snapshot_sent_us = now_us;
    p.snapshot_index = index;
    p.next = next_of(index);
    p.last_sent_us = now_us;
  }

  bool may_send_snapshot(const Peer& p) const {
    return !p.snapshot_ever ||
           now_us - p.snapshot_sent_us >= kSnapshotResendFactor * cfg.retransmit_after_us;
  }

  // Sends what peer needs from p.next, up to the in-flight window and at most
  // max_entries; a commit-only Accept when there is nothing new but commit moved.
  void flush_peer(uint32_t peer_id, uint64_t max_entries) {
    Peer& p = peers[peer_id];
    bool sent = false;
    if (p.next < log.first_index()) {
      if (!may_send_snapshot(p)) return;  // paced; tick() retries later
      send_snapshot(peer_id);
      sent = true;
    }
    if (!p.hold) {
      const uint64_t window = kInFlightBatches * cfg.max_accept_batch;
      const uint64_t base = std::max(p.match, p.snapshot_index).value();
      const uint64_t limit = std::min(log.last_index().value(), base + window);
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
    if (!sent && p.sent_commit < commit && peer_alive(p)) send_empty_accept(peer_id);
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
      Peer& p = peers[i];
      if (p.match < last && now_us - p.last_progress_us >= cfg.retransmit_after_us) {
        // Go-back-N from the last acked slot, one batch per interval while no
        // progress is seen.
        p.next = next_of(p.match);
        p.hold = false;
        flush_peer(i, cfg.max_accept_batch);
        p.hold = true;
        p.last_progress_us = now_us;
      }
      if (now_us - p.last_sent_us >= cfg.heartbeat_interval_us) send_empty_accept(i);
    }
    // A follower may just have been declared dead: stop holding entries for it.
    leader_release();
  }

  // ---- follower ------------------------------------------------------------

  void step_follower(const Message& m) {
    if (const auto* p = std::get_if<Propose>(&m)) {
      step_witness(*p);
    } else if (std::holds_alternative<WeakWrite>(m)) {
      // Misdirected (weak writes go to the leader); the client retries there.
      ++counters.weak_writes;
    } else if (const auto* r = std::get_if<WeakRead>(&m)) {
      on_weak_read(*r);
    } else if (const auto* a = std::get_if<Accept>(&m)) {
      if (a->from == cfg.leader) follower_accept(*a);
    } else if (const auto* s = std::get_if<Snapshot>(&m)) {
      if (s->from == cfg.leader) follower_snapshot(*s);
    }
  }

  void step_witness(const Propose& p) {
    ClientState& c = client(p.client);
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
    emit_client(p.client,
                ProposeReply{cfg.self, p.client, p.seq, false, ok, LogIndex{0}, {}, LogIndex{0}});
  }

  void follower_accept(const Accept& a) {
    const bool commit_news = a.commit > leader_commit;
    leader_commit = std::max(leader_commit, a.commit);
    for (size_t i = 0; i < a.entries.size(); ++i) {
      const LogIndex slot{a.first.value() + i};
      if (slot <= log.last_index()) continue;        // duplicate / old
      if (slot != next_of(log.last_index())) break;  // gap: ack last_contiguous, leader goes back
      const LogIndex appended = log.append(a.entries[i]);
      HD_CHECK(appended == slot);
    }
    const bool gap = a.first > next_of(log.last_index());
    follower_execute();
    // A pure commit update needs no answer: the leader learns nothing from it,
    // and acking it would double the replica traffic per op. Entries, gaps
    // (a restarted follower) and heartbeats (liveness) are acked.
    if (!a.entries.empty() || gap || !commit_news) ack_dirty = true;
  }

  // Executes committed, held slots in order and releases them at once
  // (followers keep no history).
  void follower_execute() {
    const LogIndex target = std::min(leader_commit, log.last_index());
    if (target > commit) commit = target;
    HD_CHECK(commit <= log.last_index());
    const LogIndex before = applied;
    while (applied < commit) {
      const LogIndex slot = next_of(applied);
      HD_CHECK(log.first_index() == slot);
      LogEntry& e = log.front();
      if (e.cmd.is_write()) kv.put(e.cmd.key, std::move(e.cmd.value), slot);
      if (e.strong) witness.remove(e.client, e.seq, e.cmd.key);
      client(e.client).seen.insert(e.seq);
      applied = slot;
      ++counters.executed;
      log.release_front();
      ++counters.released;
    }
    HD_CHECK(applied == commit);
    HD_CHECK(log.first_index() == next_of(applied));
    if (applied > before) answer_parked_reads();
  }

  void follower_snapshot(const Snapshot& s) {
    ack_dirty = true;                  // the leader learns where we are either way
    if (s.index <= applied) return;    // stale: we are already past it
    if (s.index < snap_index) return;  // older transfer than the one in progress
    if (s.index > snap_index) reset_snapshot_assembly(s.index);
    if (s.chunk >= snap_chunks.size()) {
      snap_chunks.resize(s.chunk + 1);
      snap_have.resize(s.chunk + 1, false);
    }
    if (!snap_have[s.chunk]) {
      snap_have[s.chunk] = true;
      snap_chunks[s.chunk] = s.entries;
      ++snap_received;
    }
    if (s.last) {
      snap_last_known = true;
      snap_last_chunk = s.chunk;
    }
    if (!snap_last_known || snap_received != snap_last_chunk + 1) return;
    if (snap_chunks.size() != snap_last_chunk + 1) return;  // a chunk beyond "last": corrupt set
    install_snapshot();
  }

  void reset_snapshot_assembly(LogIndex index) {
    snap_index = index;
    snap_chunks.clear();
    snap_have.clear();
    snap_received = 0;
    snap_last_known = false;
    snap_last_chunk = 0;
  }

  void install_snapshot() {
    const LogIndex index = snap_index;
    HD_CHECK(index > applied);
    kv.clear();
    uint64_t total = 0;
    for (const auto& chunk : snap_chunks) total += chunk.size();
    kv.reserve(total);
    for (auto& chunk : snap_chunks) {
      for (KvEntry& e : chunk) kv.put(e.key, std::move(e.value), e.version);
    }
    // Keep held slots beyond the snapshot; drop the ones it covers.
    if (log.last_index() <= index) {
      log.reset_after(index);
    } else {
      while (log.first_index() <= index) {
        log.release_front();
        ++counters.released;
      }
    }
    applied = index;
    commit = std::max(commit, index);
    leader_commit = std::max(leader_commit, index);
    ++snapshots_installed;
    reset_snapshot_assembly(index);
    HD_CHECK(log.first_index() == next_of(applied));
    follower_execute();
    answer_parked_reads();
  }

  void flush_follower() {
    if (!ack_dirty) return;
    ack_dirty = false;
    emit(Destination::replica(cfg.leader), AcceptAck{cfg.self, log.last_index(), applied});
  }

  void tick_follower() {
    // Scan a quarter-interval at a time: entries live at most 1.25 x the GC age,
    // and the scan cost is amortised over many ticks.
    const TimeUs period = std::max<TimeUs>(cfg.witness_gc_after_us / 4, 1);
    if (now_us - last_gc_us < period) return;
    last_gc_us = now_us;
    witness.collect_older_than(now_us, cfg.witness_gc_after_us);
  }

  // ---- driving -------------------------------------------------------------

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
  }
};

ReplicaCore::ReplicaCore(const CoreConfig& config) : impl_(std::make_unique<Impl>(config)) {}
ReplicaCore::~ReplicaCore() = default;

void ReplicaCore::step(TimeUs now, const Message& msg) {
  impl_->observe_time(now);
  if (impl_->is_leader()) {
    impl_->step_leader(msg);
  } else {
    impl_->step_follower(msg);
  }
  impl_->check_invariants();
}

void ReplicaCore::tick(TimeUs now) {
  impl_->observe_time(now);
  if (impl_->is_leader()) {
    impl_->tick_leader();
  } else {
    impl_->tick_follower();
  }
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
  g.saved_replies = m.saved_count;
  g.kv_keys = m.kv.size();
  g.last_index = m.log.last_index();
  g.commit_index = m.commit;
  g.applied_index = m.applied;
  g.snapshots_sent = m.snapshots_sent;
  g.snapshots_installed = m.snapshots_installed;
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
