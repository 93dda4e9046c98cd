// ClientProtocol: the seam between what every replica does the same under
// any protocol (log, commit, execution in slot order, de-duplication,
// snapshots, elections: ReplicaCore::Impl) and what a protocol does with
// client messages and witness state (docs/protocol-curpho.md §1.2). The core
// owns one strategy, chosen by CoreConfig::protocol, and calls it at fixed
// points of its own step/tick; the strategy acts on the core through Impl.
// Private to hd_core (the Protocol enum itself lives in types.h, shared with
// the session and the configuration). Not thread-safe: owned by one core.
#pragma once

#include <cstdint>
#include <memory>

#include "replica/core/replica_core.h"

namespace hd::core {

class ClientProtocol {
 protected:
  // Strategies act on the core's state; ReplicaCore names this class a friend
  // so that this alias (and only it) reaches its private Impl.
  using Impl = ReplicaCore::Impl;

 public:
  virtual ~ClientProtocol() = default;

  // Client -> replica messages in any role; Impl::step calls it after the
  // messages every role handles alike (weak reads, votes) and before the
  // replication-term check and the role dispatch. True: consumed.
  virtual bool step_client(Impl& m, const Message& msg) = 0;
  // A follower appended `e` at `slot` from the leader of `accept_term`.
  virtual void on_follower_append(Impl& m, const LogEntry& e, LogIndex slot, Term accept_term) = 0;
  // The leader appended `e` at `slot` (any entry, its no-op included).
  virtual void on_leader_append(Impl& m, const LogEntry& e, LogIndex slot) = 0;
  // Any role executed the client entry `e` at `slot`, after the client table
  // recorded it (its saved reply exists). Never a no-op; not called for slots
  // a snapshot install covers.
  virtual void on_executed(Impl& m, const LogEntry& e, LogIndex slot) = 0;
  // This replica became leader and appended its term's no-op.
  virtual void on_become_leader(Impl& m) = 0;
  // The leader stepped down (before its leader-only state is cleared).
  virtual void on_step_down(Impl& m) = 0;
  virtual void tick(Impl& m) = 0;
  // Gauges: commands held as witness, requests waiting inside the protocol.
  virtual uint64_t witness_entries() const = 0;
  virtual uint64_t pending_requests() const = 0;
  // The protocol's own gauges (CoreGauges' CURP-HO fields).
  virtual void add_gauges(CoreGauges* g) const = 0;
  // The core is about to send op (client, seq)'s saved StrongCommit (at
  // execution, or to a retry). True: the protocol holds it and sends it
  // itself later (the slowsync plant's sync timer); false: send it now.
  virtual bool hold_strong_reply(Impl& m, ClientId client, SeqNo seq) = 0;
};

std::unique_ptr<ClientProtocol> make_client_protocol(const CoreConfig& config);

}  // namespace hd::core
