// CurpHoProtocol: CURP-HO's client-facing half (docs/protocol-curpho.md §2,
// §3). Weak writes (CausalWrite) go to every replica: each records them in its
// WitnessPool, the client's bound replica acks at once, and the leader appends
// each after the session's previous unsettled weak write (CausalGate); a
// session's strong op (HoPropose) is appended only after its earlier weak
// writes (the causal barrier). Followers witness strong ops with the pool's
// conflict rule (RecordAck, slot 0) and send ORDERED notes (RecordAck, slot >
// 0) with the session's weak writes they hold unordered. Weak reads
// (CausalRead) wait for min_index and the session's own write; Sync answers a
// strong op's retry from the saved reply. A new leader re-orders the weak
// writes of its own pool. Not thread-safe: owned by one core.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <utility>
#include <vector>

#include "replica/core/causal_gate.h"
#include "replica/core/protocol.h"
#include "replica/core/witness_pool.h"

namespace hd::core {

class CurpHoProtocol final : public ClientProtocol {
 public:
  bool step_client(Impl& m, const Message& msg) override;
  void on_follower_append(Impl& m, const LogEntry& e, LogIndex slot, Term accept_term) override;
  void on_leader_append(Impl& m, const LogEntry& e, LogIndex slot) override;
  void on_executed(Impl& m, const LogEntry& e, LogIndex slot) override;
  void on_become_leader(Impl& m) override;
  void on_step_down(Impl& m) override;
  void tick(Impl& m) override;
  uint64_t witness_entries() const override { return pool_.size(); }
  uint64_t pending_requests() const override { return gate_.size() + syncs_.size() + held_.size(); }
  void add_gauges(CoreGauges* g) const override;
  bool hold_strong_reply(Impl& m, ClientId client, SeqNo seq) override;

 private:
  struct ParkedSync {
    ClientId client;
    SeqNo seq;
  };
  // The slowsync plant: a StrongCommit held until due_us.
  struct HeldReply {
    ClientId client;
    SeqNo seq;
    TimeUs due_us = 0;
  };

  void on_causal_write(Impl& m, const CausalWrite& w);
  void on_ho_propose(Impl& m, const HoPropose& p);
  void witness_propose(Impl& m, const HoPropose& p);
  void on_sync(Impl& m, const Sync& s);
  // Leader: appends a weak write / orders a strong op whose dependency is in
  // the log (or was executed).
  void append_weak(Impl& m, const CausalWrite& w);
  void order_strong(Impl& m, const HoPropose& p);
  // Leader: the op is new (admitted) and not gated yet: appends it, or parks
  // it in the gate until its dependency is in the log.
  void order_or_park(Impl& m, const CausalWrite& w);
  // Leader: releases every gated op of `client` whose dependency is ready.
  void release(Impl& m, ClientId client);
  bool dep_ready(Impl& m, ClientId client, SeqNo dep) const;
  // The slowsync plant's sync timer: sends the saved StrongCommit of every
  // held op whose time has come.
  void fire_sync_timer(Impl& m);

  WitnessPool pool_;
  CausalGate gate_;
  std::deque<ParkedSync> syncs_;
  // slowsync: held replies in due order (one constant delay: FIFO), and
  // which ops are held (a retry of a held op does not re-arm its timer).
  std::deque<HeldReply> held_;
  std::set<std::pair<ClientId, SeqNo>> held_ops_;
  // slowsync, followers: strong ops appended here that this replica did not
  // witness TRUE, and reads (until executed): their retries are answered
  // FALSE.
  std::set<std::pair<ClientId, SeqNo>> slowsync_refused_;
  uint64_t sync_timer_fires_ = 0;
  uint64_t sync_timer_answers_ = 0;
  // Sessions whose gated ops may have become ready; release() drains it
  // iteratively (an append inside a release does not recurse).
  std::vector<ClientId> release_queue_;
  bool releasing_ = false;
};

}  // namespace hd::core
