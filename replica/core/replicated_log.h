// ReplicatedLog: the contiguous run of log slots a replica still holds,
// [first_index, last_index]. Executed slots are released from the front, so
// memory is bounded by what is unexecuted or still needed by followers.
// Not thread-safe (core-owned).
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

#include "replica/base/check.h"
#include "replica/core/messages.h"

namespace hd::core {

class ReplicatedLog {
 public:
  // Slot of the oldest entry held; last_index() + 1 when nothing is held.
  LogIndex first_index() const { return LogIndex{first_}; }
  // Highest slot ever appended (held or released); 0 before the first append.
  LogIndex last_index() const { return LogIndex{first_ + entries_.size() - 1}; }
  uint64_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // Appends at last_index() + 1 and returns that slot.
  LogIndex append(LogEntry entry) {
    entries_.push_back(std::move(entry));
    return last_index();
  }

  bool holds(LogIndex slot) const {
    return slot.value() >= first_ && slot.value() < first_ + entries_.size();
  }
  const LogEntry& at(LogIndex slot) const {
    HD_CHECK(holds(slot));
    return entries_[slot.value() - first_];
  }
  LogEntry& at(LogIndex slot) {
    HD_CHECK(holds(slot));
    return entries_[slot.value() - first_];
  }
  LogEntry& front() {
    HD_CHECK(!entries_.empty());
    return entries_.front();
  }

  // Drops the oldest entry; the caller has executed it.
  void release_front() {
    HD_CHECK(!entries_.empty());
    entries_.pop_front();
    ++first_;
  }

  // Drops everything and restarts the log after `last` (state transfer):
  // afterwards last_index() == last and nothing is held.
  void reset_after(LogIndex last) {
    entries_.clear();
    first_ = last.value() + 1;
    HD_CHECK(last_index() == last);
  }

 private:
  uint64_t first_ = 1;  // slots start at 1
  std::deque<LogEntry> entries_;
};

}  // namespace hd::core
