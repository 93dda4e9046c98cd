// Every message of CURP-HT (docs/protocol.md) and CURP-HO
// (docs/protocol-curpho.md §2.0, types CausalWrite..Sync). The core consumes and
// produces these; the wire codec (replica/wire) gives each a frame type. Field
// order here is the wire order. Adding a field is a wire-version change.
//
// Flows:
//   strong op : client --Propose--> all replicas
//               leader  --ProposeReply(from_leader, slot, result)--> client
//               witness --ProposeReply(ok | conflict)--> client
//               leader  --StrongCommit(slot, result)--> client   (after execution)
//               follower --ProposeReply(held: term, slot)--> client (entry appended)
//               fast path = leader reply + a majority with witness OKs (and, for
//               a write, held notes for the leader's term and slot); else slow path.
//   weak write: client --WeakWrite--> leader --WeakWriteReply(slot)--> client
//               (sent after commit and execution)
//   weak read : client --WeakRead(min_index)--> nearest replica
//               --WeakReadReply(value, version)--> client, once that replica
//               has executed min_index (session causality after cache eviction)
//   replication: leader --Accept(entries, commit)--> follower
//               follower --AcceptAck(last_contiguous, applied)--> leader
//               leader --Snapshot chunks--> follower whose next entry the leader released
//   failover  : candidate --RequestVote(pre, then real)--> all --Vote--> candidate
//               (terms in Accept/AcceptAck/Snapshot reject a deposed leader)
#pragma once

#include <array>
#include <cstdint>
#include <variant>
#include <vector>

#include "replica/core/live_count.h"
#include "replica/core/types.h"

namespace hd::core {

// ---- client -> replica ----------------------------------------------------

// Strong (linearizable) operation, sent to every replica.
struct Propose {
  ClientId client;
  SeqNo seq;
  // The client has received final answers for every seq < acked_below; the
  // leader may forget saved replies for them (RIFL-style reply cache pruning).
  SeqNo acked_below;
  Command cmd;
  [[no_unique_address]] LiveCount<Propose> live{};  // memprof gauge live.<type>
  bool operator==(const Propose&) const = default;
};

// Weak (causal) write, sent to the leader only.
struct WeakWrite {
  ClientId client;
  SeqNo seq;
  SeqNo acked_below;
  Key key = 0;
  Value value;
  [[no_unique_address]] LiveCount<WeakWrite> live{};  // memprof gauge live.<type>
  bool operator==(const WeakWrite&) const = default;
};

// Weak (causal) read, sent to one replica (the nearest).
struct WeakRead {
  ClientId client;
  SeqNo seq;
  Key key = 0;
  // Highest slot this session has observed; the replica answers only once it
  // has executed at least this slot, so read-your-writes and monotonic reads
  // hold even after the client cache evicted the key.
  LogIndex min_index;
  [[no_unique_address]] LiveCount<WeakRead> live{};  // memprof gauge live.<type>
  bool operator==(const WeakRead&) const = default;
};

// ---- replica -> client ----------------------------------------------------

struct ProposeReply {
  ReplicaId from;
  ClientId client;
  SeqNo seq;
  bool from_leader = false;
  // Witness: accepted into its unsynced table (true) or conflict (false).
  // Leader: always true.
  bool ok = false;
  // Leader only: the slot assigned and the speculative result. For a Get,
  // value/version are the value read and the slot that wrote it (0: never
  // written); for a Put, value is empty and version == slot.
  LogIndex slot;
  Value value;
  LogIndex version;
  // The replier's term and the leader it knows (a hint for clients looking
  // for the leader; replica_count or more: unknown). A follower also sends a
  // ProposeReply with ok=true and slot > 0 when it appends the command's log
  // entry from the leader of the entry's term ("held"); term is then the
  // entry's term. The fast path needs those (see docs/protocol.md).
  Term term;
  ReplicaId leader;
  [[no_unique_address]] LiveCount<ProposeReply> live{};  // memprof gauge live.<type>
  bool operator==(const ProposeReply&) const = default;
};

// Leader -> client: the strong command is committed and executed.
struct StrongCommit {
  ClientId client;
  SeqNo seq;
  LogIndex slot;
  Value value;
  LogIndex version;
  [[no_unique_address]] LiveCount<StrongCommit> live{};  // memprof gauge live.<type>
  bool operator==(const StrongCommit&) const = default;
};

struct WeakWriteReply {
  ClientId client;
  SeqNo seq;
  LogIndex slot;
  [[no_unique_address]] LiveCount<WeakWriteReply> live{};  // memprof gauge live.<type>
  bool operator==(const WeakWriteReply&) const = default;
};

struct WeakReadReply {
  ReplicaId from;
  ClientId client;
  SeqNo seq;
  Value value;
  LogIndex version;  // slot of the write that produced value; 0: never written
  [[no_unique_address]] LiveCount<WeakReadReply> live{};  // memprof gauge live.<type>
  bool operator==(const WeakReadReply&) const = default;
};

// ---- replica <-> replica --------------------------------------------------

struct LogEntry {
  ClientId client;
  SeqNo seq;
  bool strong = false;  // strong commands are also held by witnesses
  Command cmd;
  Term term;  // term of the leader that appended it
  // The client's acked_below when it sent the command: replicas prune saved
  // replies with it when they execute the entry (the de-dup state travels
  // with the log, so it survives a leader change).
  SeqNo acked_below;
  [[no_unique_address]] LiveCount<LogEntry> live{};  // memprof gauge live.<type>
  bool operator==(const LogEntry&) const = default;
};

// Leader -> follower. entries[i] belongs in slot first + i. An empty entries
// vector is a heartbeat / commit-index update. commit: every slot <= commit
// is committed.
struct Accept {
  ReplicaId from;
  LogIndex first;
  std::vector<LogEntry> entries;
  LogIndex commit;
  Term term;       // the sender's term
  Term prev_term;  // term of slot first - 1 in the sender's log (0 for slot 0)
  LogIndex last;   // the sender's last slot when it sent this
  [[no_unique_address]] LiveCount<Accept> live{};  // memprof gauge live.<type>
  bool operator==(const Accept&) const = default;
};

// Follower -> leader, cumulative: the follower holds every slot up to
// last_contiguous as the leader of `term` has them (verified by the previous-
// term check) and has executed every slot up to applied. reject: the last
// Accept did not match at its previous slot (the follower dropped its
// unexecuted entries from there); the leader goes back to last_contiguous + 1.
struct AcceptAck {
  ReplicaId from;
  LogIndex last_contiguous;
  LogIndex applied;
  Term term;
  bool reject = false;
  [[no_unique_address]] LiveCount<AcceptAck> live{};  // memprof gauge live.<type>
  bool operator==(const AcceptAck&) const = default;
};

struct KvEntry {
  Key key = 0;
  Value value;
  LogIndex version;
  [[no_unique_address]] LiveCount<KvEntry> live{};  // memprof gauge live.<type>
  bool operator==(const KvEntry&) const = default;
};

// One client session's de-duplication state at a snapshot's index: `floor`
// (every seq below it was seen) and, per seq, whether it was seen above the
// floor and the saved reply (strong: StrongCommit fields; weak: slot only).
struct ClientSeqRecord {
  SeqNo seq;
  bool seen = false;
  bool saved = false;
  bool strong = false;
  LogIndex slot;
  Value value;
  LogIndex version;
  bool operator==(const ClientSeqRecord&) const = default;
};

struct ClientRecord {
  ClientId client;
  SeqNo acked_below;
  SeqNo floor;
  std::vector<ClientSeqRecord> seqs;
  bool operator==(const ClientRecord&) const = default;
};

// Leader -> follower: state transfer of the executed state at `index`, in
// chunks numbered 0.. ; the follower installs it when `last` arrives with all
// chunks before it. Used when the follower needs slots the leader released.
struct Snapshot {
  ReplicaId from;
  LogIndex index;
  uint32_t chunk = 0;
  bool last = false;
  std::vector<KvEntry> entries;
  Term term;        // the sender's term
  Term index_term;  // term of the entry at `index`
  // The client tables at `index` (in the last chunk only), so that a replica
  // caught up by state transfer still de-duplicates retries as leader.
  std::vector<ClientRecord> clients;
  [[no_unique_address]] LiveCount<Snapshot> live{};  // memprof gauge live.<type>
  bool operator==(const Snapshot&) const = default;
};

// Candidate -> every replica. pre: a pre-vote (Raft §9.6): would you vote for
// me in `term`? Nobody changes state for it. probe: a restarted replica asks
// for the replier's term (it must learn the highest term from a majority
// before it may vote again; it never grants a probe).
struct RequestVote {
  ReplicaId from;
  Term term;
  LogIndex last_index;
  Term last_term;
  bool pre = false;
  bool probe = false;
  [[no_unique_address]] LiveCount<RequestVote> live{};  // memprof gauge live.<type>
  bool operator==(const RequestVote&) const = default;
};

// Replica -> candidate: the answer to a RequestVote (pre and probe echoed).
// term: the replier's term (a pre-vote answer echoes the asked term when
// granted).
struct Vote {
  ReplicaId from;
  Term term;
  bool granted = false;
  bool pre = false;
  bool probe = false;
  [[no_unique_address]] LiveCount<Vote> live{};  // memprof gauge live.<type>
  bool operator==(const Vote&) const = default;
};

// ---- CURP-HO (docs/protocol-curpho.md §2.0) --------------------------------
// Wire types 14..19. The replica and session of CURP-HT ignore them (a
// CURP-HT replica counts them in CoreCounters::foreign_protocol_dropped).

// Client -> every replica: a weak write. Retried to every replica until the
// leader settles it (WeakWriteReply). causal_dep: the session's previous weak
// write if not yet settled (0: none); the leader appends this one after it.
// bound: the replica that answers at once (CausalWriteAck).
struct CausalWrite {
  ClientId client;
  SeqNo seq;
  SeqNo acked_below;
  Key key = 0;
  Value value;
  SeqNo causal_dep;
  ReplicaId bound;
  [[no_unique_address]] LiveCount<CausalWrite> live{};  // memprof gauge live.<type>
  bool operator==(const CausalWrite&) const = default;
};

// The bound replica -> client: the weak write is recorded (no slot yet).
struct CausalWriteAck {
  ReplicaId from;
  ClientId client;
  SeqNo seq;
  Term term;
  ReplicaId leader;                                        // hint, as ProposeReply::leader
  [[no_unique_address]] LiveCount<CausalWriteAck> live{};  // memprof gauge live.<type>
  bool operator==(const CausalWriteAck&) const = default;
};

// Client -> every replica: a strong op (and its retries). causal_dep: the
// session's latest unsettled weak write with a smaller seq (0: none); the
// leader orders this op after it (the causal barrier).
struct HoPropose {
  ClientId client;
  SeqNo seq;
  SeqNo acked_below;
  Command cmd;
  SeqNo causal_dep;
  [[no_unique_address]] LiveCount<HoPropose> live{};  // memprof gauge live.<type>
  bool operator==(const HoPropose&) const = default;
};

// Follower -> client about a strong op. slot == 0: the witness answer (ok =
// recorded, !ok = conflict; read_dep = the latest pending weak PUT on a Get's
// key, 0: none). slot > 0: ORDERED, "I appended your entry at (term, slot)
// from that term's leader"; causal_deps = this session's earlier weak writes
// the follower holds but has not ordered before slot (empty with a correct
// leader), and ok = the follower had answered the op TRUE as witness.
struct RecordAck {
  ReplicaId from;
  ClientId client;
  SeqNo seq;
  bool ok = false;
  LogIndex slot;
  Term term;
  ReplicaId leader;
  ClientId read_dep_client;
  SeqNo read_dep_seq;
  std::vector<SeqNo> causal_deps;
  [[no_unique_address]] LiveCount<RecordAck> live{};  // memprof gauge live.<type>
  bool operator==(const RecordAck&) const = default;
};

// Client -> nearest replica: a weak read, answered with WeakReadReply once the
// replica has executed min_index and (dep_seq != 0) the session's weak write
// dep_seq.
struct CausalRead {
  ClientId client;
  SeqNo seq;
  Key key = 0;
  LogIndex min_index;
  SeqNo dep_seq;
  [[no_unique_address]] LiveCount<CausalRead> live{};  // memprof gauge live.<type>
  bool operator==(const CausalRead&) const = default;
};

// Client -> its bound replica, on a strong op's retry: answered with the
// saved StrongCommit once that replica has executed seq.
struct Sync {
  ClientId client;
  SeqNo seq;
  [[no_unique_address]] LiveCount<Sync> live{};  // memprof gauge live.<type>
  bool operator==(const Sync&) const = default;
};

using Message =
    std::variant<Propose, WeakWrite, WeakRead, ProposeReply, StrongCommit, WeakWriteReply,
                 WeakReadReply, Accept, AcceptAck, Snapshot, RequestVote, Vote, CausalWrite,
                 CausalWriteAck, HoPropose, RecordAck, CausalRead, Sync>;

// Where an outgoing message goes. Replies to clients are addressed by
// ClientId; the transport knows which connection that session uses.
struct Destination {
  enum class Kind : uint8_t { kReplica, kClient };
  Kind kind = Kind::kReplica;
  uint64_t id = 0;

  static Destination replica(ReplicaId r) { return {Kind::kReplica, r.value()}; }
  static Destination client(ClientId c) { return {Kind::kClient, c.value()}; }
  bool operator==(const Destination&) const = default;
};

struct Outgoing {
  Destination to;
  Message msg;
};

// Live objects per protocol type, for memprof's `live.<type>` gauges (names
// are [a-z0-9_.], written into JSON unescaped).
struct LiveTypeCount {
  const char* gauge;
  uint64_t live;
};
inline std::array<LiveTypeCount, 21> live_type_counts() {
  return {{{"live.command", LiveCount<Command>::live()},
           {"live.log_entry", LiveCount<LogEntry>::live()},
           {"live.kv_entry", LiveCount<KvEntry>::live()},
           {"live.propose", LiveCount<Propose>::live()},
           {"live.weak_write", LiveCount<WeakWrite>::live()},
           {"live.weak_read", LiveCount<WeakRead>::live()},
           {"live.propose_reply", LiveCount<ProposeReply>::live()},
           {"live.strong_commit", LiveCount<StrongCommit>::live()},
           {"live.weak_write_reply", LiveCount<WeakWriteReply>::live()},
           {"live.weak_read_reply", LiveCount<WeakReadReply>::live()},
           {"live.accept", LiveCount<Accept>::live()},
           {"live.accept_ack", LiveCount<AcceptAck>::live()},
           {"live.snapshot", LiveCount<Snapshot>::live()},
           {"live.request_vote", LiveCount<RequestVote>::live()},
           {"live.vote", LiveCount<Vote>::live()},
           {"live.causal_write", LiveCount<CausalWrite>::live()},
           {"live.causal_write_ack", LiveCount<CausalWriteAck>::live()},
           {"live.ho_propose", LiveCount<HoPropose>::live()},
           {"live.record_ack", LiveCount<RecordAck>::live()},
           {"live.causal_read", LiveCount<CausalRead>::live()},
           {"live.sync", LiveCount<Sync>::live()}}};
}

}  // namespace hd::core
