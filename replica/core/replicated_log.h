// ReplicatedLog: the contiguous run of log slots a replica still holds,
// [first_index, last_index]. Executed slots are released from the front, so
// memory is bounded by what is unexecuted or still needed by followers.
// Not thread-safe (core-owned).
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

#include "base/check.h"
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

  // Term of `slot`: held slots and the last released one (first_index() - 1,
  // Term 0 for slot 0) are known; older ones are not asked for.
  Term term_at(LogIndex slot) const {
    if (slot.value() + 1 == first_) return base_term_;
    return at(slot).term;
  }
  Term last_term() const { return term_at(last_index()); }

  // Drops the oldest entry; the caller has executed it.
  void release_front() {
    HD_CHECK(!entries_.empty());
    base_term_ = entries_.front().term;
    entries_.pop_front();
    ++first_;
  }

  // Drops the held entries after `slot` (a follower's unexecuted suffix that
  // conflicts with the leader's log). slot >= first_index() - 1.
  void truncate_after(LogIndex slot) {
    HD_CHECK(slot.value() + 1 >= first_);
    while (last_index() > slot) entries_.pop_back();
  }

  // Drops everything and restarts the log after `last`, whose term is
  // `last_term` (state transfer): afterwards last_index() == last and nothing
  // is held.
  void reset_after(LogIndex last, Term last_term = Term{}) {
    entries_.clear();
    first_ = last.value() + 1;
    base_term_ = last_term;
    HD_CHECK(last_index() == last);
  }

 private:
  uint64_t first_ = 1;  // slots start at 1
  Term base_term_;      // term of slot first_ - 1
  std::deque<LogEntry> entries_;
};

}  // namespace hd::core
