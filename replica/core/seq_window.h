// SeqWindow: the set of SeqNos of one client session that a replica has seen,
// as a floor (every seq below it counts as seen) plus a 1024-bit window above
// it. The network duplicates and reorders, so "highest seq seen" would wrongly
// treat a late, never-executed op as a duplicate. Not thread-safe (core-owned).
#pragma once

#include <bitset>
#include <cstdint>

#include "base/check.h"
#include "replica/core/types.h"

namespace hd::core {

class SeqWindow {
 public:
  static constexpr uint64_t kSpan = 1024;

  bool contains(SeqNo seq) const {
    const uint64_t v = seq.value();
    if (v < floor_) return true;
    if (v >= floor_ + kSpan) return false;
    return bits_.test(v % kSpan);
  }

  // Adds seq; returns false if it was already present. A seq more than kSpan
  // above the floor slides the window: everything it passes counts as seen (a
  // client never has that many ops in flight, so those are long finished).
  bool insert(SeqNo seq) {
    if (contains(seq)) return false;
    const uint64_t v = seq.value();
    if (v >= floor_ + kSpan) slide_to(v - kSpan + 1);
    HD_CHECK(v >= floor_);
    HD_CHECK(v < floor_ + kSpan);
    bits_.set(v % kSpan);
    compact();
    return true;
  }

  // Everything below `seq` is known finished (the client's acked_below).
  void raise_floor(SeqNo seq) {
    if (seq.value() <= floor_) return;
    slide_to(seq.value());
    compact();
  }

  SeqNo floor() const { return SeqNo{floor_}; }

  // Calls fn(seq) for every seen seq at or above the floor, in order.
  template <typename Fn>
  void for_each_above_floor(Fn&& fn) const {
    for (uint64_t v = floor_; v < floor_ + kSpan; ++v) {
      if (bits_.test(v % kSpan)) fn(SeqNo{v});
    }
  }

 private:
  // Invariant: bit (v % kSpan) is set only for seen v in [floor_, floor_ + kSpan).
  void slide_to(uint64_t new_floor) {
    HD_CHECK(new_floor > floor_);
    if (new_floor - floor_ >= kSpan) {
      bits_.reset();
      floor_ = new_floor;
      return;
    }
    while (floor_ < new_floor) {
      bits_.reset(floor_ % kSpan);
      ++floor_;
    }
  }
  // Keeps the floor at the first unseen seq, so the window covers the future.
  void compact() {
    while (bits_.test(floor_ % kSpan)) {
      bits_.reset(floor_ % kSpan);
      ++floor_;
    }
  }

  uint64_t floor_ = 1;  // SeqNos start at 1; 0 is never a real op
  std::bitset<kSpan> bits_;
};

}  // namespace hd::core
