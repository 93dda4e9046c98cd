// SessionCore, the CURP-HO parts (docs/protocol-curpho.md §2): weak writes to
// every replica, completed on the bound replica's CausalWriteAck and kept
// (unsettled, retried) until the leader's WeakWriteReply settles them at a
// slot; strong ops with the session's causal dependency, completed fast (the
// leader's OK + witness TRUEs + ORDERED notes at the leader's term and slot),
// slow on ordered acks, or slow on StrongCommit (the leader's, or the bound
// replica's answer to a Sync sent with each retry); weak reads carrying
// min_index and the session's own unsettled write to the key, merged with the
// cache, where an own unsettled write wins against replies that may predate
// it. Not thread-safe.
#include <algorithm>
#include <bit>
#include <iterator>
#include <utility>

#include "replica/client/session_core_impl.h"

namespace hd::client {

using core::Destination;
using core::Message;
using core::Outgoing;
using core::ReplicaId;

SeqNo SessionCore::Impl::weak_dep_before(SeqNo seq, const Key* key) const {
  auto it = weak_pending.lower_bound(seq);
  while (it != weak_pending.begin()) {
    --it;
    if (key == nullptr || it->second == *key) return it->first;
  }
  return SeqNo{0};
}

void SessionCore::Impl::send_ho(SeqNo seq, const PendingOp& p) {
  switch (p.op) {
    case OpClass::kStrongRead:
    case OpClass::kStrongWrite: {
      // The causal barrier: the leader orders this op after the session's
      // latest earlier weak write still unsettled (which it orders after the
      // ones before it); settled ones are in every later leader's log.
      core::HoPropose m;
      m.client = config.id;
      m.seq = seq;
      m.acked_below = acked_below();
      m.cmd = command_of(p);
      m.causal_dep = weak_dep_before(seq, nullptr);
      send_to_all(Message{m});
      // Retry by sync: the bound replica answers with the commit once it
      // executed the op (a lost StrongCommit, or a changed leader).
      if (p.retries > 0) {
        outgoing.push_back(
            Outgoing{Destination::replica(config.bound), Message{core::Sync{config.id, seq}}});
      }
      break;
    }
    case OpClass::kWeakWrite: {
      core::CausalWrite m;
      m.client = config.id;
      m.seq = seq;
      m.acked_below = acked_below();
      m.key = p.key;
      m.value = p.value;
      m.causal_dep = weak_dep_before(seq, nullptr);
      // Not acked yet: the bound replica may be down, so each retry asks the
      // next one to ack (a dead bound replica costs one retry, not the op).
      const uint32_t shift = p.acked ? 0 : p.retries;
      m.bound = ReplicaId{(config.bound.value() + shift) % config.replica_count};
      send_to_all(Message{m});
      break;
    }
    case OpClass::kWeakRead: {
      core::CausalRead m;
      m.client = config.id;
      m.seq = seq;
      m.key = p.key;
      m.min_index = min_index;
      // Read-your-writes for an own write not settled yet: the replica waits
      // until it executed it (settled writes are covered by min_index).
      m.dep_seq = weak_dep_before(seq, &p.key);
      const ReplicaId to{(read_from.value() + p.retries) % config.replica_count};
      outgoing.push_back(Outgoing{Destination::replica(to), Message{std::move(m)}});
      break;
    }
  }
}

// Completion rules (docs/protocol-curpho.md §2.6), L = the reply of the
// leader of the highest term heard (term T, slot s):
//  * fast write: L ok, and with the leader a majority of replicas each both
//    witness TRUE (any term) and ORDERED at (T, s): the entry is on a
//    majority in its own term, hence committed at s;
//  * fast read: L ok, and with the leader a majority of witness TRUEs in T,
//    none reporting a pending weak PUT on the key (when check_read_deps);
//  * slow on ordered acks (either kind, L ok or not): ORDERED at (T, s) from
//    enough followers for a majority with the leader: committed at s, and
//    L's value for a Get was computed from exactly the prefix before s.
// ORDERED notes reporting unordered earlier weak writes were never stored.
void SessionCore::Impl::maybe_complete_ho(TimeUs now, std::map<SeqNo, PendingOp>::iterator it) {
  const PendingOp& p = it->second;
  if (!p.have_leader_reply) return;
  const bool write = p.op == OpClass::kStrongWrite;
  uint64_t ok = 0;
  uint64_t ordered = 0;
  bool read_dep = false;
  for (const HeldNote& h : p.notes) {
    HD_CHECK(h.from < config.replica_count);
    if (h.slot.value() == 0) {
      if (write || h.term == p.leader_term) {
        ok |= uint64_t{1} << h.from;
        read_dep = read_dep || h.read_dep;
      }
    } else if (h.term == p.leader_term && h.slot == p.leader_slot) {
      ordered |= uint64_t{1} << h.from;
    }
  }
  const uint64_t by_leader = uint64_t{1} << p.leader_from;
  auto quorum = [this](uint64_t set) {
    return static_cast<uint32_t>(std::popcount(set)) >= fast_quorum;
  };
  const bool dep_blocks = !write && config.check_read_deps && read_dep;
  Path path = Path::kNone;
  if (p.leader_ok && !dep_blocks && quorum(by_leader | (write ? ok & ordered : ok))) {
    path = Path::kFast;
  } else if (quorum(by_leader | ordered)) {
    path = Path::kSlow;
  } else {
    return;
  }
  HD_CHECK(p.leader_slot.value() > 0);
  Value v = p.leader_value;
  complete_strong(now, it, path, v, p.leader_version, p.leader_slot);
}

void SessionCore::Impl::on(TimeUs now, const core::RecordAck& m) {
  if (m.from.value() >= config.replica_count) return;
  learn_leader(m.term, m.leader);
  auto it = pending.find(m.seq);
  if (it == pending.end() || !is_strong(it->second)) return;
  PendingOp& p = it->second;
  if (m.slot.value() > 0 && !m.causal_deps.empty()) {
    // The follower holds earlier weak writes of this session that it has not
    // ordered before this op: the barrier failed on this replica. The note
    // counts for no path; the op completes on the commit (§2.5).
    ++dep_check_failures;
    return;
  }
  if (p.notes.size() >= 4 * config.replica_count) return;
  if (m.slot.value() > 0) {
    // ORDERED counts whatever ok says; ok also says the follower witnessed
    // the op TRUE (its witness answer may still be on its way), and for a
    // read the note carries the follower's read_dep as the answer would
    // (maybe_complete_ho reads read_dep for reads only).
    p.notes.push_back(HeldNote{m.from.value(), m.term, m.slot, false});
    if (m.ok)
      p.notes.push_back(HeldNote{m.from.value(), m.term, LogIndex{0}, m.read_dep_seq != SeqNo{0}});
  } else if (m.ok) {
    p.notes.push_back(HeldNote{m.from.value(), m.term, m.slot, m.read_dep_seq != SeqNo{0}});
  }
  maybe_complete_ho(now, it);
}

void SessionCore::Impl::on(TimeUs now, const core::CausalWriteAck& m) {
  if (m.from.value() >= config.replica_count) return;
  learn_leader(m.term, m.leader);
  auto it = pending.find(m.seq);
  if (it == pending.end() || it->second.op != OpClass::kWeakWrite || it->second.acked) return;
  // Complete for the application; the op stays pending until settled.
  it->second.acked = true;
  ++unsettled;
  record_completion(now, it, Outcome::kOk, Path::kNone, Value{}, LogIndex{0});
}

void SessionCore::Impl::on_settle(TimeUs now, const core::WeakWriteReply& m) {
  auto it = pending.find(m.seq);
  if (it == pending.end() || it->second.op != OpClass::kWeakWrite) return;
  HD_CHECK(m.slot.value() > 0);
  observe(m.slot);
  // The cache learns the slot only if its entry is still this write's: a
  // later own write or a newer answer stays.
  CacheEntry* c = cache.find(it->second.key);
  if (c != nullptr && c->unsettled == m.seq) {
    c->version = m.slot;
    c->unsettled = SeqNo{0};
  }
  if (!it->second.acked) {
    record_completion(now, it, Outcome::kOk, Path::kNone, Value{}, m.slot);
  }
  settled.push_back(Settled{m.seq, m.slot, now});
  // Reads of the key sent after this write must see it (see need_version).
  const Key key = it->second.key;
  for (auto r = std::next(it); r != pending.end(); ++r) {
    if (r->second.op == OpClass::kWeakRead && r->second.key == key) {
      r->second.need_version = std::max(r->second.need_version, m.slot);
    }
  }
  retire(now, it);
}

void SessionCore::Impl::on_causal_read_reply(TimeUs now, const core::WeakReadReply& m) {
  auto it = pending.find(m.seq);
  if (it == pending.end() || it->second.op != OpClass::kWeakRead) return;
  if (it->second.retries > 0 && m.from.value() < config.replica_count) read_from = m.from;
  const Key key = it->second.key;
  CacheEntry* c = cache.find(key);
  if (c != nullptr && c->unsettled != SeqNo{0} && c->unsettled > it->first) {
    // Own write w submitted after this read was: the replica's answer may
    // predate w, and w is in this session's past by now. Its slot is not
    // known yet (the simulator fills it in from own_unsettled_seq).
    Value v = c->value;
    complete(now, it, Outcome::kOk, Path::kNone, std::move(v), LogIndex{0}, c->unsettled);
    return;
  }
  // An own unsettled write below this read's seq was its dep_seq or older:
  // the replica executed it, so the reply is at least as new (cache_put
  // replaces the unsettled entry).
  HD_CHECK(c == nullptr || c->unsettled == SeqNo{0} ||
           weak_dep_before(it->first, &key) >= c->unsettled);
  Value value = m.value;
  LogIndex version = m.version;
  if (c != nullptr && c->unsettled == SeqNo{0} && c->version > version) {
    value = c->value;
    version = c->version;
  } else if (version < it->second.need_version) {
    // Answered as if an own write that settled meanwhile was executed there:
    // ask again, now with min_index at or above that write's slot.
    HD_CHECK(min_index >= it->second.need_version);
    it->second.last_sent_us = now;
    ++it->second.retries;
    send(it->first, it->second);
    return;
  } else {
    learn_read(key, value, version, it->first);
  }
  observe(version);
  complete(now, it, Outcome::kOk, Path::kNone, std::move(value), version);
}

}  // namespace hd::client
