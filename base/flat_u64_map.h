// FlatU64Map<V>: a hash map from uint64_t keys to V, stored in one flat array
// (open addressing, linear probing, at most half full). Why not std::unordered_map: a node-based
// map costs a lookup two dependent cache misses (bucket array, then node) once it has outgrown the
// CPU cache, and a miss for an absent key walks a chain too. The replica's KV store and the
// loadgen's session monitor grow all run (every key a zipf workload writes), so their lookups got
// slower as the run went on: 2x the samples per op in the late CPU profile window of a 3M-op run
// (issue 17). Here a lookup reads the probe run, usually one cache line, whatever the size.
//
// Contract: pointers and references into the map stay valid until the next
// insertion (which may grow the array), erase (which may move entries) or
// clear(). Iteration order is the
// array's: deterministic for a given sequence of insertions, otherwise
// unspecified. Not thread-safe.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "base/check.h"

namespace hd {

template <typename V>
class FlatU64Map {
 public:
  FlatU64Map() = default;

  size_t size() const { return size_ + (max_key_value_ ? 1 : 0); }
  bool empty() const { return size() == 0; }

  V* find(uint64_t key) {
    if (key == kEmpty) return max_key_value_ ? &*max_key_value_ : nullptr;
    if (slots_.empty()) return nullptr;
    Slot& s = slots_[probe(key)];
    return s.key == key ? &s.value : nullptr;
  }
  const V* find(uint64_t key) const { return const_cast<FlatU64Map*>(this)->find(key); }
  bool contains(uint64_t key) const { return find(key) != nullptr; }

  // The value of `key`, value-initialised first when absent.
  V& operator[](uint64_t key) { return *try_emplace(key).first; }

  // {the value of key, whether it was inserted}; an inserted value is V(args...).
  template <typename... Args>
  std::pair<V*, bool> try_emplace(uint64_t key, Args&&... args) {
    if (key == kEmpty) {
      if (max_key_value_) return {&*max_key_value_, false};
      max_key_value_.emplace(std::forward<Args>(args)...);
      return {&*max_key_value_, true};
    }
    // One probe run finds the key or the empty slot it would take; only a
    // growth (the array at most half full after the insert) probes again.
    size_t i = 0;
    if (!slots_.empty()) {
      i = probe(key);
      if (slots_[i].key == key) return {&slots_[i].value, false};
    }
    if (2 * (size_ + 1) > slots_.size()) {
      grow();
      i = probe(key);
    }
    slots_[i].key = key;
    slots_[i].value = V(std::forward<Args>(args)...);
    ++size_;
    return {&slots_[i].value, true};
  }

  // Removes `key`; false when absent. Backward-shift deletion: the entries
  // after it in its probe run move up, so no tombstones pile up and a lookup
  // never reads more than the run of its home slot.
  bool erase(uint64_t key) {
    if (key == kEmpty) {
      const bool had = max_key_value_.has_value();
      max_key_value_.reset();
      return had;
    }
    if (slots_.empty()) return false;
    size_t hole = probe(key);
    if (slots_[hole].key != key) return false;
    for (size_t j = (hole + 1) & mask(); slots_[j].key != kEmpty; j = (j + 1) & mask()) {
      // The entry at j may fill the hole unless its home lies cyclically in
      // (hole, j]: then the hole is before its home and a lookup from there
      // would not pass the hole.
      const size_t h = home(slots_[j].key);
      const bool home_after_hole = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
      if (home_after_hole) continue;
      slots_[hole].key = slots_[j].key;
      slots_[hole].value = std::move(slots_[j].value);
      hole = j;
    }
    slots_[hole].key = kEmpty;
    slots_[hole].value = V{};
    --size_;
    return true;
  }

  // Room for n keys without growing.
  void reserve(size_t n) {
    if (2 * n > slots_.size()) rehash(std::bit_ceil(std::max<size_t>(kMinSlots, 2 * n)));
  }

  void clear() {
    slots_.clear();
    slots_.shrink_to_fit();
    size_ = 0;
    max_key_value_.reset();
  }

  // fn(uint64_t key, const V& value) for every entry.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const Slot& s : slots_)
      if (s.key != kEmpty) fn(s.key, s.value);
    if (max_key_value_) fn(kEmpty, *max_key_value_);
  }

 private:
  // The one key value that marks an empty slot; that key's value lives
  // beside the array (max_key_value_), so every uint64_t can be a key.
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static constexpr size_t kMinSlots = 16;

  struct Slot {
    uint64_t key = kEmpty;
    V value{};
  };

  size_t mask() const { return slots_.size() - 1; }
  // Fibonacci hashing: the top bits of key * 2^64/phi, so that consecutive
  // keys (zipf ranks are small integers) spread over the array.
  size_t home(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  // The slot holding `key`, else the empty slot that ends its probe run
  // (where an insert puts it). The array is never full, so the run ends.
  size_t probe(uint64_t key) const {
    size_t i = home(key);
    while (slots_[i].key != key && slots_[i].key != kEmpty) i = (i + 1) & mask();
    return i;
  }

  void grow() { rehash(slots_.empty() ? kMinSlots : 2 * slots_.size()); }

  void rehash(size_t slots) {
    HD_CHECK(std::has_single_bit(slots) && slots >= 2 * size_);
    std::vector<Slot> old(slots);
    old.swap(slots_);
    shift_ = 64 - std::countr_zero(slots);
    for (Slot& s : old) {
      if (s.key == kEmpty) continue;
      const size_t i = probe(s.key);  // keys are distinct: an empty slot
      slots_[i].key = s.key;
      slots_[i].value = std::move(s.value);
    }
  }

  std::vector<Slot> slots_;  // size 0 or a power of two >= kMinSlots
  size_t size_ = 0;          // keys in slots_
  int shift_ = 64;
  std::optional<V> max_key_value_;
};

}  // namespace hd
