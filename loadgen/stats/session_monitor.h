// SessionMonitor: the loadgen's own check of one session's guarantees —
// read-your-writes and monotonic reads: a weak read may never return an older
// version of a key than one the session already wrote or read. Strong ops are
// checked by the replicas' linearizability (and the simulator), not here.
//
// Memory is bounded by the keys the session saw *written* (version > 0), not
// by the keys it touched: a read of a never-written key (version 0, most keys
// under the seed's 5 % writes) is judged against an absent entry, which means
// 0, and adds none. Before, every key touched got an entry and the loadgen's
// heap grew ~16 B/op for the whole run (issue 17). A flat map: it is read on
// every completion and grows all run, so a node map's lookups slowed the
// loadgen down as it outgrew the cache. Not thread-safe: one per session.
#pragma once

#include <algorithm>
#include <cstdint>

#include "base/flat_u64_map.h"
#include "replica/client/op_class.h"

namespace hd::loadgen {

class SessionMonitor {
 public:
  // Records a completed op of class `op` on `key` that returned (or wrote at)
  // `version`; returns false when it breaks the session's guarantees.
  bool observe(client::OpClass op, uint64_t key, uint64_t version) {  // key: core::Key
    uint64_t* const it = seen_.find(key);
    const uint64_t seen = it == nullptr ? 0 : *it;
    const bool ok = !(op == client::OpClass::kWeakRead && version < seen);
    if (version > seen) {
      if (it == nullptr) {
        seen_.try_emplace(key, version);
      } else {
        *it = version;
      }
    }
    return ok;
  }
  // Keys with a version above 0 seen by this session.
  size_t keys_tracked() const { return seen_.size(); }

 private:
  FlatU64Map<uint64_t> seen_;  // key -> highest version seen
};

}  // namespace hd::loadgen
