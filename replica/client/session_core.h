// SessionCore: the client half of CURP-HT or CURP-HO (SessionConfig::protocol)
// for one session, as a pure state
// machine like ReplicaCore (no sockets, no clock, no threads). The async
// client (Asio) and the simulator both drive it:
//   submit() an op -> take_outgoing() messages to send
//   step() every reply, tick() periodically -> take_completions()
// It implements: strong ops to all replicas with fast-path completion (leader
// reply + a majority, including the leader, of replicas that both accepted
// the command as witness and hold its log entry at the leader's term and
// slot) or slow-path
// completion (StrongCommit), weak writes to the leader, weak reads to the
// nearest replica carrying the session's min_index, the client cache merge
// (higher version wins), per-op retry with the same SeqNo, and per-op timeout.
// It follows leader changes: replies carry the replier's term and leader; a
// weak write that was not answered is retried to every replica; a weak read
// to the next replica, and once another replica answered a retried read,
// later reads go to that one first (a crashed nearest costs one retry).
// CURP-HO (docs/protocol-curpho.md §2, session_ho.cc) differs in what is sent
// and when an op completes: weak writes go to every replica and complete on
// the bound replica's ack, but stay "unsettled" (retried, holding
// acked_below) until the leader's WeakWriteReply names their slot
// (take_settled()); strong ops carry the session's causal dependency and also
// complete on ordered acks; weak reads wait at the replica for the session's
// own unsettled write to their key.
// Not thread-safe: one thread owns a session.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "replica/client/op_class.h"
#include "replica/core/messages.h"

namespace hd::client {

using core::ClientId;
using core::Key;
using core::LogIndex;
using core::SeqNo;
using core::TimeUs;
using core::Value;

enum class Outcome : uint8_t { kOk, kTimeout };
enum class Path : uint8_t { kNone, kFast, kSlow };  // kNone for weak ops

struct SessionConfig {
  ClientId id{1};
  uint32_t replica_count = 3;
  core::ReplicaId leader{0};          // initial leader guess; replies name newer ones
  core::ReplicaId nearest{0};         // where weak reads go (until one is answered elsewhere)
  TimeUs retry_after_us = 200'000;    // re-send an unanswered op (same SeqNo)
  TimeUs op_timeout_us = 5'000'000;   // give up: Outcome::kTimeout
  uint64_t cache_capacity = 1 << 16;  // client-cache entries kept (0: no cache)
  bool never_evict_cache = false;     // plant: cache grows without bound
  core::Protocol protocol = core::Protocol::kCurpHt;
  // CURP-HO: the replica that acks this session's weak writes at once (the
  // config's -- Proxy -- entry, else the nearest).
  core::ReplicaId bound{0};
  // CURP-HO: a strong Get whose witness reports a pending weak PUT on the key
  // (RecordAck::read_dep) takes no fast path (docs/protocol-curpho.md §2.5).
  bool check_read_deps = true;
};

struct Completion {
  SeqNo seq;
  OpClass op = OpClass::kStrongRead;
  Key key = 0;
  Outcome outcome = Outcome::kOk;
  Path path = Path::kNone;
  Value value;       // reads: value returned (after cache merge)
  LogIndex version;  // reads: version of value; writes: slot of the write
  TimeUs submitted_us = 0;
  TimeUs completed_us = 0;
  uint32_t retries = 0;
  // CURP-HO weak reads: the value is the session's own weak write with this
  // seq, not settled yet, so `version` is 0 (its slot is not known yet).
  SeqNo own_unsettled_seq{0};
};

// CURP-HO: a weak write the leader executed at `slot` (its WeakWriteReply).
// Comes after (or with) the write's Completion; never for a timed-out write.
struct Settled {
  SeqNo seq;
  LogIndex slot;
  TimeUs at_us = 0;
};

struct SessionGauges {
  uint64_t in_flight = 0;  // includes acked but unsettled weak writes
  uint64_t cache_entries = 0;
  LogIndex min_index;  // highest slot observed by this session
  // CURP-HO: acked weak writes not settled yet, those older than
  // op_timeout_us, and ORDERED notes that reported the session's earlier weak
  // writes unordered (0 with a correct leader: §2.5).
  uint64_t unsettled = 0;
  uint64_t unsettled_over_timeout = 0;
  uint64_t dep_check_failures = 0;
};

class SessionCore {
 public:
  explicit SessionCore(const SessionConfig& config);
  ~SessionCore();
  SessionCore(const SessionCore&) = delete;
  SessionCore& operator=(const SessionCore&) = delete;

  // Starts an op; `value` is ignored for reads. Returns its SeqNo.
  SeqNo submit(TimeUs now, OpClass op, Key key, Value value = {});
  // A message addressed to this session (replies it does not expect, or for
  // ops already completed, are ignored).
  void step(TimeUs now, const core::Message& msg);
  // Retries and timeouts.
  void tick(TimeUs now);

  // Messages to send, in order. Destinations are replicas.
  std::vector<core::Outgoing> take_outgoing();
  std::vector<Completion> take_completions();
  // The same into an empty vector of the caller's, whose capacity the
  // session keeps in exchange: a caller that clears and passes the same
  // vector every turn allocates nothing per op (the by-value forms regrow
  // a fresh vector each turn; they were ~1 KiB of allocation per op).
  void take_outgoing(std::vector<core::Outgoing>* into);
  void take_completions(std::vector<Completion>* into);
  // CURP-HO: weak writes settled since the last call (empty for CURP-HT,
  // whose weak writes settle when they complete).
  std::vector<Settled> take_settled();

  SessionGauges gauges() const;
  const SessionConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hd::client
