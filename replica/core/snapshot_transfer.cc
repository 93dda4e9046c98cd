// State transfer: chunking on the leader, assembly on the follower
// (snapshot_transfer.h).
#include "replica/core/snapshot_transfer.h"

#include <algorithm>
#include <utility>

#include "base/check.h"

namespace hd::core {

uint64_t build_snapshot_chunks(const SnapshotOrigin& origin, const KvStore& kv,
                               uint64_t chunk_entries, std::vector<ClientRecord> clients,
                               const std::function<void(Snapshot&&)>& emit) {
  const uint64_t keys = kv.size();
  const uint64_t chunks = keys == 0 ? 1 : (keys + chunk_entries - 1) / chunk_entries;
  Snapshot cur{origin.from, origin.index, 0, chunks == 1, {}, origin.term, origin.index_term, {}};
  cur.entries.reserve(std::min(keys, chunk_entries));
  uint64_t emitted = 0;
  kv.for_each([&](Key key, const KvStore::Cell& cell) {
    cur.entries.push_back(KvEntry{key, cell.value, cell.version});
    if (cur.entries.size() == chunk_entries && cur.chunk + 1 < chunks) {
      const uint32_t next_chunk = cur.chunk + 1;
      emit(std::move(cur));
      ++emitted;
      cur = Snapshot{origin.from, origin.index, next_chunk,        next_chunk + 1 == chunks,
                     {},          origin.term,  origin.index_term, {}};
      cur.entries.reserve(std::min(keys - emitted * chunk_entries, chunk_entries));
    }
  });
  HD_CHECK(cur.last);
  cur.clients = std::move(clients);
  emit(std::move(cur));
  ++emitted;
  HD_CHECK(emitted == chunks);
  return chunks;
}

bool SnapshotAssembly::add(const Snapshot& s) {
  if (s.index < index_) return false;  // older transfer than the one in progress
  if (s.index > index_) reset(s.index);
  index_term_ = s.index_term;
  if (s.chunk >= chunks_.size()) {
    chunks_.resize(s.chunk + 1);
    have_.resize(s.chunk + 1, false);
  }
  if (!have_[s.chunk]) {
    have_[s.chunk] = true;
    chunks_[s.chunk] = s.entries;
    ++received_;
  }
  if (s.last) {
    last_known_ = true;
    last_chunk_ = s.chunk;
    clients_ = s.clients;
  }
  if (!last_known_ || received_ != last_chunk_ + 1) return false;
  return chunks_.size() == last_chunk_ + 1;  // a chunk beyond "last": corrupt set
}

void SnapshotAssembly::load_into(KvStore& kv) {
  kv.clear();
  uint64_t total = 0;
  for (const auto& chunk : chunks_) total += chunk.size();
  kv.reserve(total);
  for (auto& chunk : chunks_) {
    for (KvEntry& e : chunk) kv.put(e.key, std::move(e.value), e.version);
  }
}

std::vector<ClientRecord> SnapshotAssembly::take_clients() {
  std::vector<ClientRecord> clients = std::move(clients_);
  clients_.clear();
  return clients;
}

void SnapshotAssembly::reset(LogIndex index) {
  index_ = index;
  chunks_.clear();
  have_.clear();
  received_ = 0;
  last_known_ = false;
  last_chunk_ = 0;
}

}  // namespace hd::core
