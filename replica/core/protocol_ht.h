// CurpHtProtocol: CURP-HT's client-facing half (docs/protocol.md). Strong
// proposals go to every replica: the leader appends them and answers with a
// speculative result, followers witness them (WitnessTable) and tell the
// client when they hold the entry at the leader's (term, slot); weak writes go
// to the leader alone. Moved out of ReplicaCore::Impl unchanged (issue 16).
// Not thread-safe: owned by one core.
#pragma once

#include "replica/core/protocol.h"
#include "replica/core/witness_table.h"

namespace hd::core {

class CurpHtProtocol final : public ClientProtocol {
 public:
  bool step_client(Impl& m, const Message& msg) override;
  void on_follower_append(Impl& m, const LogEntry& e, LogIndex slot, Term accept_term) override;
  void on_leader_append(Impl& /*m*/, const LogEntry& /*e*/, LogIndex /*slot*/) override {}
  void on_executed(Impl& m, const LogEntry& e, LogIndex slot) override;
  void on_become_leader(Impl& m) override;
  void on_step_down(Impl& /*m*/) override {}
  void tick(Impl& m) override;
  uint64_t witness_entries() const override { return witness_.size(); }
  uint64_t pending_requests() const override { return 0; }
  void add_gauges(CoreGauges* /*g*/) const override {}
  bool hold_strong_reply(Impl& /*m*/, ClientId /*client*/, SeqNo /*seq*/) override { return false; }

 private:
  void leader_propose(Impl& m, const Propose& p);
  void leader_weak_write(Impl& m, const WeakWrite& w);
  void step_witness(Impl& m, const Propose& p);
  void notify_held(Impl& m, const LogEntry& e, LogIndex slot);

  WitnessTable witness_;
};

}  // namespace hd::core
