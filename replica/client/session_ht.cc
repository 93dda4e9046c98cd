// SessionCore, the CURP-HT parts (docs/protocol.md): strong ops to every
// replica with the fast-path rule below, weak writes to the leader (to every
// replica on a retry), weak reads to the nearest replica with the session's
// min_index, and the reply handlers with the cache merge. Moved out of
// session_core.cc unchanged (issue 16). Not thread-safe.
#include <bit>
#include <utility>

#include "replica/client/session_core_impl.h"

namespace hd::client {

using core::Destination;
using core::Message;
using core::Outgoing;
using core::ReplicaId;

void SessionCore::Impl::send_ht(SeqNo seq, const PendingOp& p) {
  switch (p.op) {
    case OpClass::kStrongRead:
    case OpClass::kStrongWrite: {
      core::Propose m;
      m.client = config.id;
      m.seq = seq;
      m.acked_below = acked_below();
      m.cmd = command_of(p);
      send_to_all(Message{m});
      break;
    }
    case OpClass::kWeakWrite: {
      core::WeakWrite m;
      m.client = config.id;
      m.seq = seq;
      m.acked_below = acked_below();
      m.key = p.key;
      m.value = p.value;
      if (p.retries == 0) {
        outgoing.push_back(Outgoing{Destination::replica(leader), Message{std::move(m)}});
      } else {
        // Unanswered: the leader may have changed. Every replica gets it;
        // only a leader appends it, and the seq makes a second append of the
        // same op a duplicate.
        send_to_all(Message{m});
      }
      break;
    }
    case OpClass::kWeakRead: {
      core::WeakRead m;
      m.client = config.id;
      m.seq = seq;
      m.key = p.key;
      m.min_index = min_index;
      // A retry tries the next replica (the nearest may be down);
      // min_index keeps the session guarantees whichever answers.
      const ReplicaId to{(read_from.value() + p.retries) % config.replica_count};
      outgoing.push_back(Outgoing{Destination::replica(to), Message{std::move(m)}});
      break;
    }
  }
}

// Fast path (docs/protocol.md "Fast path"): the leader's OK plus enough
// other replicas to make a majority with it, each of which
//  * for a write: accepted it as witness (no conflicting unsynced command)
//    and holds its log entry at the leader's (term, slot). The entry is then
//    on a majority in its own term: committed (Raft §5.4.2), so no later
//    leader can lose it or give it another slot (= version);
//  * for a read: accepted it as witness in the leader's term. The leader's
//    OK says the result is committed state (no pending write on the key),
//    and a majority still in its term says no newer leader can have
//    committed a write the read missed.
void SessionCore::Impl::maybe_fast_ht(TimeUs now, std::map<SeqNo, PendingOp>::iterator it) {
  const PendingOp& p = it->second;
  if (!p.have_leader_reply || !p.leader_ok) return;
  const bool write = p.op == OpClass::kStrongWrite;
  uint64_t ok = 0;    // witness OK (any term for a write, the leader's for a read)
  uint64_t held = 0;  // holds the entry at the leader's (term, slot)
  for (const HeldNote& h : p.notes) {
    if (h.slot.value() == 0) {
      if (write || h.term == p.leader_term) ok |= uint64_t{1} << h.from;
    } else if (h.term == p.leader_term && h.slot == p.leader_slot) {
      held |= uint64_t{1} << h.from;
    }
  }
  const uint64_t counted = (uint64_t{1} << p.leader_from) | (write ? ok & held : ok);
  if (static_cast<uint32_t>(std::popcount(counted)) < fast_quorum) return;
  Value v = p.leader_value;
  complete_strong(now, it, Path::kFast, v, p.leader_version, p.leader_slot);
}

void SessionCore::Impl::on(TimeUs now, const core::ProposeReply& m) {
  if (m.from.value() >= config.replica_count) return;
  learn_leader(m.term, m.from_leader ? m.from : m.leader);
  auto it = pending.find(m.seq);
  if (it == pending.end() || !is_strong(it->second)) return;
  PendingOp& p = it->second;
  if (m.from_leader) {
    // The leader of the highest term wins (a deposed one may still answer).
    if (p.have_leader_reply && m.term <= p.leader_term) return;
    p.have_leader_reply = true;
    p.leader_ok = m.ok;
    p.leader_term = m.term;
    p.leader_from = m.from.value();
    p.leader_value = m.value;
    p.leader_version = m.version;
    p.leader_slot = m.slot;
  } else if (m.ok && !ho() && p.notes.size() < 4 * config.replica_count) {
    p.notes.push_back(HeldNote{m.from.value(), m.term, m.slot});
  }
  maybe_fast(now, it);
}

void SessionCore::Impl::on(TimeUs now, const core::StrongCommit& m) {
  auto it = pending.find(m.seq);
  if (it == pending.end() || !is_strong(it->second)) return;
  complete_strong(now, it, Path::kSlow, m.value, m.version, m.slot);
}

void SessionCore::Impl::on(TimeUs now, const core::WeakWriteReply& m) {
  auto it = pending.find(m.seq);
  if (it == pending.end() || it->second.op != OpClass::kWeakWrite) return;
  complete_write(now, it, Path::kNone, m.slot);
}

void SessionCore::Impl::on(TimeUs now, const core::WeakReadReply& m) {
  auto it = pending.find(m.seq);
  if (it == pending.end() || it->second.op != OpClass::kWeakRead) return;
  if (it->second.retries > 0 && m.from.value() < config.replica_count) read_from = m.from;
  Value value = m.value;
  LogIndex version = m.version;
  // Merge with the cache: the higher version wins (read-your-writes and
  // monotonic reads even when the replica lags behind this session).
  CacheEntry* c = cache.find(it->second.key);
  if (c != nullptr && c->version > version) {
    value = c->value;
    version = c->version;
  } else {
    learn_read(it->second.key, value, version, it->first);
  }
  observe(version);
  complete(now, it, Outcome::kOk, Path::kNone, std::move(value), version);
}

}  // namespace hd::client
