// WitnessTable: the unsynced strong commands a follower holds as a CURP
// witness, indexed by key so the conflict check is O(commands on that key).
// Entries leave when the follower executes their slot, or by age (GC) when the
// leader never committed them. Not thread-safe (core-owned).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "replica/core/messages.h"

namespace hd::core {

enum class WitnessResult : uint8_t { kRecorded, kAlreadyHeld, kConflict };

class WitnessTable {
 public:
  // Records (client, seq, cmd) unless a held command by another op conflicts.
  // A duplicate of a held command is not recorded twice (kAlreadyHeld).
  WitnessResult record(ClientId client, SeqNo seq, const Command& cmd, TimeUs now_us);
  // Drops the command if held; returns whether it was.
  bool remove(ClientId client, SeqNo seq, Key key);
  // Drops every command recorded at or before now_us - max_age_us; returns how many.
  uint64_t collect_older_than(TimeUs now_us, TimeUs max_age_us);
  uint64_t size() const { return size_; }
  void clear() {
    by_key_.clear();
    size_ = 0;
  }

 private:
  struct Held {
    ClientId client;
    SeqNo seq;
    Command cmd;  // value left empty: conflicts() needs only key and kind
    TimeUs recorded_us = 0;
  };
  std::unordered_map<Key, std::vector<Held>> by_key_;
  uint64_t size_ = 0;
};

}  // namespace hd::core
