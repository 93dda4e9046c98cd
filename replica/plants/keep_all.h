// KeepAllPlant (`--plant keepall`): the original system's maps that never
// shrink (docs/protocol-curpho.md "Built so far", step 10; the reference's
// "known pathologies"): every value a client wrote, every strong proposal and
// every executed slot's record is kept until exit, so the replica's heap
// grows linearly with the ops it sees while the protocol itself is
// unchanged. Like MemoryPlant it lives beside the core, never in it: the
// transport shows it each message it steps and each slot the core executed.
// Each kind is kept by its own named, out-of-line function, so a heap
// profile names the growing sites hd::core::KeepAllPlant::keepall_keep_value,
// keepall_keep_proposal and keepall_keep_slot (documented known answers).
// Not thread-safe: one owner thread.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "replica/core/messages.h"
#include "replica/core/replica_core.h"

namespace hd::core {

class KeepAllPlant {
 public:
  explicit KeepAllPlant(bool active) : active_(active) {}
  bool active() const { return active_; }

  // A message the replica stepped: weak writes' values (CausalWrite,
  // WeakWrite) and strong proposals (HoPropose, Propose) are kept, retries
  // included (the original kept them by command id: a retry overwrote).
  void on_message(const Message& msg);
  // A slot the core executed (Ready::executed, with record_executed on).
  void on_executed(const ExecutedSlot& slot);

  // Entries kept: values + proposals + slots (the keepall_entries gauge).
  uint64_t entries() const { return values_.size() + proposals_.size() + slots_.size(); }
  uint64_t values() const { return values_.size(); }
  uint64_t proposals() const { return proposals_.size(); }
  uint64_t slots() const { return slots_.size(); }

 private:
  struct OpId {
    uint64_t client = 0;
    uint64_t seq = 0;
    bool operator==(const OpId&) const = default;
  };
  struct OpIdHash {
    size_t operator()(const OpId& id) const {
      return static_cast<size_t>(id.client * 0x9e3779b97f4a7c15ULL ^ id.seq);
    }
  };
  // Named and out of line: each is the heap profile's site of what it keeps.
  void keepall_keep_value(ClientId client, SeqNo seq, const Value& value);
  void keepall_keep_proposal(ClientId client, SeqNo seq, const Command& cmd);
  void keepall_keep_slot(const ExecutedSlot& slot);

  bool active_ = false;
  std::unordered_map<OpId, Value, OpIdHash> values_;       // the original's values
  std::unordered_map<OpId, Command, OpIdHash> proposals_;  // proposals
  std::vector<ExecutedSlot> slots_;                        // per-slot state
};

}  // namespace hd::core
