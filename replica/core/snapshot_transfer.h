// State transfer (Snapshot messages): the leader cuts its executed state into
// chunks (build_snapshot_chunks); a follower collects the chunks of one
// transfer until it is complete (SnapshotAssembly) and then loads it.
// Not thread-safe (core-owned).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "replica/core/kv_store.h"
#include "replica/core/messages.h"

namespace hd::core {

// Who sends a transfer and of what: the executed state at `index`, whose slot
// has term `index_term`.
struct SnapshotOrigin {
  ReplicaId from;
  Term term;
  LogIndex index;
  Term index_term;
};

// Passes the chunks of a transfer of `kv` (at most chunk_entries KvEntry
// each, at least one chunk) to `emit` in order; the last one carries the
// client tables. Returns the number of chunks.
uint64_t build_snapshot_chunks(const SnapshotOrigin& origin, const KvStore& kv,
                               uint64_t chunk_entries, std::vector<ClientRecord> clients,
                               const std::function<void(Snapshot&&)>& emit);

// The chunks received of the newest transfer (one index at a time).
class SnapshotAssembly {
 public:
  LogIndex index() const { return index_; }
  Term index_term() const { return index_term_; }

  // Adds a chunk of a transfer the replica has not applied yet. Chunks of an
  // older transfer than the one in progress are ignored; a newer one replaces
  // it. True when every chunk of the transfer is here.
  bool add(const Snapshot& s);
  // Replaces kv's content with the complete transfer's (its entries are moved).
  void load_into(KvStore& kv);
  // The complete transfer's client tables (moved out).
  std::vector<ClientRecord> take_clients();
  // Starts over, collecting the transfer at `index`.
  void reset(LogIndex index);

 private:
  LogIndex index_;
  std::vector<std::vector<KvEntry>> chunks_;
  std::vector<bool> have_;
  uint32_t received_ = 0;
  bool last_known_ = false;
  uint32_t last_chunk_ = 0;
  Term index_term_;
  std::vector<ClientRecord> clients_;
};

}  // namespace hd::core
