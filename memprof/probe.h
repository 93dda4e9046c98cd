// memprof's in-process probe: a fixed-capacity board of named gauges and the
// op counter that drives heap-profile milestones and op-step snapshots. Header-only on purpose, so
// the replica's transport and the loadgen runner can publish into it without
// linking memprof (the program that owns the Recorder links it).
// Thread-safety: gauges are registered from one thread at a time (usually at
// start-up; a reader may already be running: a slot becomes visible with its
// name, release/acquire on size_). set()/get()/add() are lock-free and safe
// from any thread; set() wants one writer per gauge, add() allows several.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/check.h"

namespace hd::memprof {

class GaugeBoard {
 public:
  static constexpr size_t kCapacity = 64;
  static constexpr size_t kMaxNameLength = 47;

  // Returns the slot of `name` (static storage or a string literal; it is not
  // copied; [a-z0-9_.] only, it is written into JSON unescaped). Registering
  // the same name twice returns the same slot. Precondition: no concurrent
  // register_gauge(); fewer than kCapacity names.
  size_t register_gauge(const char* name) {
    HD_CHECK(name != nullptr);
    HD_CHECK(std::strlen(name) <= kMaxNameLength);
    const size_t n = size_.load(std::memory_order_relaxed);
    for (size_t i = 0; i < n; ++i) {
      if (std::strcmp(names_[i], name) == 0) return i;
    }
    HD_CHECK(n < kCapacity);
    names_[n] = name;
    size_.store(n + 1, std::memory_order_release);
    return n;
  }
  void set(size_t slot, uint64_t value) {
    HD_CHECK(slot < kCapacity);
    values_[slot].store(value, std::memory_order_relaxed);
  }
  // Several writers summing into one gauge (e.g. loadgen threads' in-flight).
  void add(size_t slot, int64_t delta) {
    HD_CHECK(slot < kCapacity);
    values_[slot].fetch_add(static_cast<uint64_t>(delta), std::memory_order_relaxed);
  }
  uint64_t get(size_t slot) const { return values_[slot].load(std::memory_order_relaxed); }
  size_t size() const { return size_.load(std::memory_order_acquire); }
  const char* name(size_t slot) const {
    HD_CHECK(slot < size());
    return names_[slot];
  }

 private:
  std::atomic<size_t> size_{0};
  const char* names_[kCapacity] = {};
  std::atomic<uint64_t> values_[kCapacity] = {};
};

// Counts completed ops; the thread whose add() makes the count equal to a
// milestone calls the milestone hook (exactly once per milestone, even with
// many threads counting, because fetch_add hands out every value once).
// Likewise the thread whose add() crosses a multiple of the step calls the
// step hook, which must be cheap (the Recorder's posts a semaphore and takes
// the snapshot on its own thread).
class OpCounter {
 public:
  static constexpr size_t kMaxMilestones = 32;  // <= 64: the Recorder keeps one bit each
  using Hook = void (*)(void* context, uint64_t ops);

  // Precondition: before any add(); milestones ascending, at most kMaxMilestones.
  void set_milestones(const uint64_t* milestones, size_t count, Hook hook, void* context) {
    HD_CHECK(count <= kMaxMilestones);
    for (size_t i = 0; i < count; ++i) {
      HD_CHECK(i == 0 || milestones[i] > milestones[i - 1]);
      milestones_[i] = milestones[i];
    }
    count_ = count;
    last_ = count > 0 ? milestones[count - 1] : 0;
    context_ = context;
    hook_.store(hook, std::memory_order_release);
  }
  // Precondition: before any add(); step > 0. One call per step crossed
  // (a batch crossing several calls once).
  void set_step(uint64_t step, Hook hook, void* context) {
    HD_CHECK(step > 0);
    step_ = step;
    step_context_ = context;
    step_hook_.store(hook, std::memory_order_release);
  }
  // Called by the owner of the work, once per completed op (or with n > 1 for
  // a batch: every milestone in (old, old + n] still fires once).
  void add(uint64_t n = 1) {
    const uint64_t before = ops_.fetch_add(n, std::memory_order_relaxed);
    if (before < last_) [[unlikely]] {
      check_milestones(before, before + n);
    }
    // The whole cost on the op path when no step is crossed: a compare, and a
    // division when a step is set.
    if (step_ != 0 && (before + n) / step_ != before / step_) [[unlikely]] {
      Hook hook = step_hook_.load(std::memory_order_acquire);
      if (hook != nullptr) hook(step_context_, before + n);
    }
  }
  uint64_t load() const { return ops_.load(std::memory_order_relaxed); }
  // Stops calling the hook (a call already running finishes). Thread-safe.
  void clear_hook() {
    hook_.store(nullptr, std::memory_order_release);
    step_hook_.store(nullptr, std::memory_order_release);
  }

 private:
  // The milestones in (before, after]: ranges of concurrent adds are
  // disjoint, so each fires exactly once. A binary search, since this runs on
  // every add until the last milestone.
  void check_milestones(uint64_t before, uint64_t after) {
    const uint64_t* it = std::upper_bound(milestones_, milestones_ + count_, before);
    if (it == milestones_ + count_ || *it > after) [[likely]]
      return;
    Hook hook = hook_.load(std::memory_order_acquire);
    if (hook == nullptr) return;
    for (; it != milestones_ + count_ && *it <= after; ++it) hook(context_, *it);
  }

  std::atomic<uint64_t> ops_{0};
  uint64_t milestones_[kMaxMilestones] = {};
  size_t count_ = 0;
  uint64_t last_ = 0;
  void* context_ = nullptr;
  std::atomic<Hook> hook_{nullptr};
  uint64_t step_ = 0;
  void* step_context_ = nullptr;
  std::atomic<Hook> step_hook_{nullptr};
};

// What a program hands to the Recorder and to the code that does the work.
struct Probe {
  GaugeBoard gauges;
  OpCounter ops;
};

}  // namespace hd::memprof
