// KvStore: the executed state machine of one replica: key -> (value, version),
// version being the slot of the key's last write. Not thread-safe (core-owned).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <utility>

#include "replica/core/messages.h"

namespace hd::core {

class KvStore {
 public:
  struct Cell {
    Value value;
    LogIndex version;
  };

  // nullptr: never written.
  const Cell* find(Key key) const {
    auto it = cells_.find(key);
    return it == cells_.end() ? nullptr : &it->second;
  }

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
    for (const auto& [key, cell] : cells_) fn(key, cell);
  }

 private:
  std::unordered_map<Key, Cell> cells_;
};

}  // namespace hd::core
