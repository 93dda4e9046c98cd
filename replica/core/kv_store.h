// KvStore: the executed state machine of one replica: key -> (value, version),
// version being the slot of the key's last write. Not thread-safe (core-owned).
// A flat map (base/flat_u64_map.h): the store grows with every key written
// and is read on every op, so its lookups must not slow down as it outgrows
// the CPU cache (issue 17). Cell pointers are valid until the next put().
#pragma once

#include <cstdint>
#include <utility>

#include "base/flat_u64_map.h"
#include "replica/core/messages.h"

namespace hd::core {

class KvStore {
 public:
  struct Cell {
    Value value;
    LogIndex version;
  };

  // nullptr: never written.
  const Cell* find(Key key) const { return cells_.find(key); }

  void put(Key key, Value value, LogIndex version) {
    Cell& c = cells_[key];
    c.value = std::move(value);
    c.version = version;
  }

  uint64_t size() const { return cells_.size(); }
  void clear() { cells_.clear(); }
  void reserve(uint64_t n) { cells_.reserve(n); }

  template <typename Fn>
  void for_each(Fn&& fn) const {
    cells_.for_each(fn);
  }

 private:
  FlatU64Map<Cell> cells_;
};

}  // namespace hd::core
