// WitnessPool: CURP-HO's witness state on a replica (docs/protocol-curpho.md
// §2.4): the pending weak writes and strong commands per key, in arrival
// order, so the conflict check is O(pending ops on the key); plus, per
// session, its pending weak writes by seq (the ORDERED notes' causal_deps and
// a new leader's recovery need them). Ops leave when this replica executes
// them, or by age (GC). Soft state: never part of a snapshot; losing an entry
// costs a fast path or a recovery shortcut, never safety.
// Not thread-safe (core-owned).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "replica/core/messages.h"

namespace hd::core {

// One pending op of the pool.
struct PoolOp {
  ClientId client;
  SeqNo seq;
  bool strong = false;
  // Strong: kind and key (the value is not needed for conflicts). Weak: the
  // PUT with its value (a new leader re-orders it from here, §3).
  Command cmd;
  SeqNo causal_dep;   // weak: the CausalWrite's dependency (0: none)
  SeqNo acked_below;  // weak: the CausalWrite's acked_below, to rebuild it
  // Weak: this replica appended the op's log entry (a follower marks it when
  // the leader's Accept brings it).
  bool ordered = false;
  // Weak: the CausalWrite itself arrived (false: a placeholder created by the
  // append, whose value is in the log, not here).
  bool received = false;
  TimeUs recorded_us = 0;
};

enum class PoolResult : uint8_t { kRecorded, kAlreadyHeld, kConflict };

// The witness answer to a strong command.
struct StrongRecord {
  PoolResult result = PoolResult::kRecorded;
  // A Get with a pending weak PUT on its key: the latest such (0: none).
  ClientId read_dep_client;
  SeqNo read_dep_seq;
};

class WitnessPool {
 public:
  // The conflict rule of §2.4 over *all* pending ops of other requests on the
  // key (not only the latest: a later weak write must not hide a strong one):
  // a conflicting strong op -> kConflict (not recorded); else recorded, and a
  // Get learns the latest pending weak PUT on the key as its read_dep.
  // Weak writes never conflict: the leader orders them.
  StrongRecord record_strong(ClientId client, SeqNo seq, const Command& cmd, TimeUs now_us);
  // Records a weak PUT (a CausalWrite). A duplicate is not recorded twice
  // (false); the first arrival after its append fills the placeholder in.
  bool record_weak(ClientId client, SeqNo seq, Key key, const Value& value, SeqNo causal_dep,
                   SeqNo acked_below, TimeUs now_us);
  // This replica appended the weak entry (client, seq) on `key`: marks it
  // ordered, creating a placeholder if its CausalWrite has not arrived, so a
  // late arrival is not taken for an unordered one.
  void mark_ordered(ClientId client, SeqNo seq, Key key, TimeUs now_us);

  // The session's weak writes with seq < below that are neither ordered here
  // nor executed (`executed(seq)`), lowest first, at most `max` of them.
  std::vector<SeqNo> unordered_weak(ClientId client, SeqNo below,
                                    const std::function<bool(SeqNo)>& executed,
                                    size_t max = 16) const;

  // The strong op (client, seq) on `key` is recorded here: this replica
  // answered it TRUE as witness (and it is not executed or collected yet).
  bool holds_strong(ClientId client, SeqNo seq, Key key) const;
  // A Get's read dependency on `key` now, as record_strong reports it: the
  // latest pending weak PUT on the key (client 0, seq 0: none).
  std::pair<ClientId, SeqNo> read_dep(Key key) const;
  // Drops (client, seq) on key if held (strong or weak); returns whether it was.
  bool remove(ClientId client, SeqNo seq, Key key);
  // Drops every op recorded at or before now_us - max_age_us; returns how many.
  uint64_t collect_older_than(TimeUs now_us, TimeUs max_age_us);
  // Drops every strong op (a new leader does not replay them, §3).
  void drop_strong();
  // The weak PUTs whose CausalWrite arrived, in (client, seq) order.
  std::vector<PoolOp> received_weak() const;

  uint64_t size() const { return size_; }
  uint64_t weak_size() const { return weak_size_; }

 private:
  PoolOp* find(ClientId client, SeqNo seq, Key key);
  void erase_weak_index(const PoolOp& op);

  std::unordered_map<Key, std::vector<PoolOp>> by_key_;  // arrival order per key
  // Pending weak writes per session: seq -> key (to find them in by_key_).
  std::unordered_map<ClientId, std::map<SeqNo, Key>> weak_by_client_;
  uint64_t size_ = 0;
  uint64_t weak_size_ = 0;
};

}  // namespace hd::core
