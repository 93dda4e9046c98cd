// ReplicaCore, the leader role: admitting client requests (the protocol
// decides what to append), replication to the followers, commit, execution and log release.
// Not thread-safe: one thread owns a core.
#include <algorithm>
#include <utility>

#include "base/check.h"
#include "replica/core/replica_core_impl.h"

namespace hd::core {

// ---- leader: client requests -------------------------------------------------

void ReplicaCore::Impl::step_leader(const Message& m) {
  if (const auto* k = std::get_if<AcceptAck>(&m)) leader_ack(*k);
  // Client requests went to the protocol (Impl::step). Accept and Snapshot never get here: one
  // leader per term, so check_replication_term made this replica a follower first. Client-bound
  // replies: ignored.
}

// A client request at the leader: records its acked_below, and answers a
// retried op the leader has seen by resending the final answer if it has one
// (otherwise, still in the log, the answer is coming). True: the op is new.
bool ReplicaCore::Impl::leader_admit(ClientId id, SeqNo seq, SeqNo acked_below) {
  ClientState& c = clients.get(id);
  clients.note_acked_below(c, acked_below);
  const uint64_t every = cfg.bugs.new_seq_as_duplicate_every;
  const bool planted = every != 0 && seq.value() % every == 0;  // planted bug (tests/sim)
  if (ClientTable::is_new(c, seq) && !planted) return true;
  ++counters.duplicates_ignored;
  const SavedReply* s = ClientTable::find_saved(c, seq);
  if (s == nullptr) return false;
  if (s->strong) {
    if (!proto->hold_strong_reply(*this, id, seq)) emit_client(id, s->reply);
  } else {
    emit_client(id, WeakWriteReply{id, seq, s->reply.slot});
  }
  return false;
}

// Appends a command at the next slot; updates the speculative overlay.
LogIndex ReplicaCore::Impl::leader_append(LogEntry entry) {
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
  proto->on_leader_append(*this, log.at(slot), slot);
  return slot;
}

void ReplicaCore::Impl::leader_order_strong(ClientId client, SeqNo seq, SeqNo acked_below,
                                            const Command& cmd) {
  ++counters.strong_proposals;
  // Plant slowpath: a leader that withholds its OK leaves no fast-path quorum,
  // so the client waits for the commit (the slow path).
  const bool plant =
      cfg.plants.force_slow_path && client_ops(counters) > cfg.plants.slow_path_after_ops;
  // A read of a key with a pending (possibly uncommitted) write could
  // return a value a leader change loses: no fast path for it.
  const bool ok = !plant && (cmd.is_write() || !overlay.contains(cmd.key));
  ProposeReply r{cfg.self, client, seq, true, ok, LogIndex{0}, {}, LogIndex{0}, term, cfg.self};
  if (!cmd.is_write()) speculative_read(cmd.key, &r.value, &r.version);
  r.slot = leader_append(LogEntry{client, seq, true, cmd, term, acked_below});
  if (cmd.is_write()) r.version = r.slot;
  // Plant slowsync (CURP-HO): a reply that is not OK would let the client
  // complete on ordered acks; withheld, the op completes only on the sync
  // timer's StrongCommit.
  if (!ok && cfg.plants.slow_sync && cfg.protocol == Protocol::kCurpHo) return;
  emit_client(client, std::move(r));
}

// The result of a Get appended now: the latest pending write, else executed state.
void ReplicaCore::Impl::speculative_read(Key key, Value* value, LogIndex* version) const {
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

// ---- leader: replication -----------------------------------------------------

void ReplicaCore::Impl::leader_ack(const AcceptAck& a) {
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

void ReplicaCore::Impl::advance_commit() {
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
void ReplicaCore::Impl::leader_execute() {
  HD_CHECK(commit <= log.last_index());
  const LogIndex before = applied;
  while (applied < commit) {
    LogEntry& e = log.at(next_of(applied));
    StrongCommit reply = execute_next(e, /*move_value=*/false);
    if (is_noop(e)) continue;
    if (e.strong) {
      if (!proto->hold_strong_reply(*this, e.client, e.seq))
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
void ReplicaCore::Impl::leader_release() {
  if (cfg.plants.retain_history) return;
  const LogIndex bound = progress.release_bound(applied, now_us);
  while (!log.empty() && log.first_index() <= bound) release_one();
  while (log.size() > cfg.max_retained_entries && log.first_index() <= applied) release_one();
}

void ReplicaCore::Impl::release_one() {
  HD_CHECK(log.first_index() <= applied);
  log.release_front();
  ++counters.released;
}

Accept ReplicaCore::Impl::make_accept(LogIndex first, uint64_t count) {
  const LogIndex prev{first.value() - 1};
  Accept a{cfg.self, first, {}, commit, term, log.term_at(prev), log.last_index()};
  a.entries.reserve(count);
  for (uint64_t i = 0; i < count; ++i) a.entries.push_back(log.at(LogIndex{first.value() + i}));
  return a;
}

void ReplicaCore::Impl::send_accept(uint32_t peer_id, Accept a) {
  HD_CHECK(a.commit <= log.last_index());
  progress.at(peer_id).on_accept_sent(a.commit, now_us);
  emit_replica(ReplicaId{peer_id}, std::move(a));
}

void ReplicaCore::Impl::send_empty_accept(uint32_t peer_id) {
  send_accept(peer_id, make_accept(next_of(log.last_index()), 0));
}

// State transfer of the executed state at `applied` in chunks; the stream
// then continues at applied + 1, which is never released before execution.
void ReplicaCore::Impl::send_snapshot(uint32_t peer_id) {
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
void ReplicaCore::Impl::flush_peer(uint32_t peer_id, uint64_t max_entries) {
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

void ReplicaCore::Impl::flush_leader() {
  if (!repl_dirty) return;
  repl_dirty = false;
  for (uint32_t i = 0; i < cfg.replica_count; ++i) {
    if (i == cfg.self.value()) continue;
    flush_peer(i, UINT64_MAX);
  }
}

void ReplicaCore::Impl::tick_leader() {
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

}  // namespace hd::core
