// ClientTable: what a replica remembers of each client session (RIFL-style):
// the seqs it executed (de-duplication of retries), the replies it keeps for
// retries until the client's acked_below releases them, and, on the leader,
// the seqs in the log not executed yet. Not thread-safe (core-owned).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "replica/core/messages.h"
#include "replica/core/seq_window.h"

namespace hd::core {

// A reply kept for retries: StrongCommit for strong ops; for weak writes only
// client/seq/slot are used (a WeakWriteReply is rebuilt from it).
struct SavedReply {
  bool strong = false;
  StrongCommit reply;
};

// Per client session, on every replica: `seen` = seqs executed here (or
// below the client's acked_below), `saved` = replies of executed ops not yet
// acked. Leader only: `inflight` = seqs in the log, not executed yet.
struct ClientState {
  SeqWindow seen;
  SeqNo acked_below{0};
  std::vector<SavedReply> saved;
  std::vector<SeqNo> inflight;
};

class ClientTable {
 public:
  // The session's state, created empty on first use.
  ClientState& get(ClientId id) { return clients_[id]; }

  // Records acked_below: replies below it are no longer needed, and every seq
  // below it is finished (so it counts as seen).
  void note_acked_below(ClientState& c, SeqNo acked_below);

  // Leader: true if the op is new (not executed, not in the log).
  static bool is_new(const ClientState& c, SeqNo seq);
  // True if this replica executed seq (or the client declared it finished
  // through acked_below). CURP-HO asks it of a session's unsettled weak
  // writes, which acked_below never passes, so there it means "executed here".
  static bool executed(const ClientState& c, SeqNo seq) { return c.seen.contains(seq); }
  // The saved reply of seq, or nullptr (not executed yet, or already acked).
  static const SavedReply* find_saved(const ClientState& c, SeqNo seq);

  // Entry e (not a no-op) was executed with `reply`: it is seen, no longer in
  // flight, and its reply is kept for retries (also on followers: a retry may
  // reach them as the next leader) unless the client already declared it
  // finished.
  void record_executed(const LogEntry& e, const StrongCommit& reply);

  // Leader -> follower: no seq is in flight any more.
  void clear_inflight();

  // The tables, for a state transfer; and replacing them with one's.
  std::vector<ClientRecord> records() const;
  void install(const std::vector<ClientRecord>& records);

  uint64_t size() const { return clients_.size(); }
  uint64_t saved_replies() const { return saved_count_; }

 private:
  std::unordered_map<ClientId, ClientState> clients_;
  uint64_t saved_count_ = 0;  // sum of saved.size() over the sessions
};

}  // namespace hd::core
