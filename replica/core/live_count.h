// Per-type live-object counts (memprof gauges `live.<type>`, docs/run-folder.md
// "Gauges"): how
// many objects of each protocol message / command type exist in this process
// right now, wherever they sit — the core's log, witness table and reply
// cache, its outbox, a client's pending ops, the simulator's network.
//
// A LiveCount<Tag> is an empty member (so the message structs stay
// aggregates and keep their size) whose constructors add one to a per-type
// atomic and whose destructor subtracts one. Copies and moves are new
// objects, so they count; assignment changes nothing. Counting is process
// wide: the simulator's three replicas share one set of counters.
// Cost: one relaxed atomic add per construction and per destruction on a
// counter of its own cache line (no contention between types).
#pragma once

#include <atomic>
#include <cstdint>

namespace hd::core {

template <typename Tag>
class LiveCount {
 public:
  LiveCount() noexcept { count_.fetch_add(1, std::memory_order_relaxed); }
  LiveCount(const LiveCount&) noexcept : LiveCount() {}
  LiveCount& operator=(const LiveCount&) noexcept { return *this; }
  ~LiveCount() { count_.fetch_sub(1, std::memory_order_relaxed); }

  // Objects of Tag alive now (a snapshot; other threads may be changing it).
  static uint64_t live() {
    const int64_t n = count_.load(std::memory_order_relaxed);
    return n > 0 ? static_cast<uint64_t>(n) : 0;
  }

  // Carries no state: equal objects stay equal (defaulted operator== works).
  friend bool operator==(const LiveCount&, const LiveCount&) { return true; }

 private:
  alignas(64) static inline std::atomic<int64_t> count_{0};
};

}  // namespace hd::core
