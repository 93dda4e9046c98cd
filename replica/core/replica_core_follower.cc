// ReplicaCore, the follower role (client requests: the protocol, in every
// role): appending and executing the leader's Accepts, installing state
// transfers, acking. Not thread-safe: one thread owns a core.
#include <algorithm>
#include <utility>

#include "base/check.h"
#include "replica/core/replica_core_impl.h"

namespace hd::core {

namespace {

// Out-of-order Accepts a follower keeps until the gap before them fills.
constexpr size_t kMaxStashed = 32;
// A rejoining replica re-sends its term probe this often (heartbeat units).
constexpr uint64_t kProbeResendFactor = 5;

}  // namespace

// ---- follower ----------------------------------------------------------------

void ReplicaCore::Impl::step_follower(const Message& m) {
  if (const auto* a = std::get_if<Accept>(&m)) {
    follower_accept(*a);
  } else if (const auto* s = std::get_if<Snapshot>(&m)) {
    follower_snapshot(*s);
  }
  // Client requests went to the protocol (Impl::step). Acks are the
  // leader's; client-bound replies: ignored.
}

void ReplicaCore::Impl::follower_accept(const Accept& a) {
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
        if (cfg.bugs.keep_conflicting_entry) continue;         // planted bug (tests/sim)
        log.truncate_after(LogIndex{slot.value() - 1});        // conflict: leader wins
      }
      const LogIndex appended = log.append(a.entries[i]);
      HD_CHECK(appended == slot);
      const LogEntry& e = log.at(slot);
      proto->on_follower_append(*this, e, slot, a.term);
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
void ReplicaCore::Impl::unstash() {
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
void ReplicaCore::Impl::follower_execute() {
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

void ReplicaCore::Impl::follower_snapshot(const Snapshot& s) {
  ack_dirty = true;                // the leader learns where we are either way
  if (s.index <= applied) return;  // stale: we are already past it
  if (snapshot_in.add(s)) install_snapshot();
}

void ReplicaCore::Impl::install_snapshot() {
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

void ReplicaCore::Impl::flush_follower() {
  if (!ack_dirty) return;
  ack_dirty = false;
  const bool reject = ack_reject;
  ack_reject = false;
  if (!leader_id || *leader_id == cfg.self) return;
  emit_replica(*leader_id, AcceptAck{cfg.self, verified, applied, term, reject});
}

void ReplicaCore::Impl::tick_follower() {
  if (rejoining) {
    if (!probe_done &&
        (!probe_sent || now_us - last_probe_us >= kProbeResendFactor * cfg.heartbeat_interval_us)) {
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

}  // namespace hd::core
