// LatencyHistogram: a mergeable log-linear histogram of durations in
// nanoseconds (HdrHistogram's layout with 128 linear sub-buckets per power of
// two): values below 256 ns are exact, above that every bucket is narrower
// than 1/128 of its value, so any percentile read back is within 0.4% of a
// recorded value — from 1 µs to 18 minutes. Merging adds counts, which is
// what makes merged percentiles true ones. One histogram per thread; not
// thread-safe.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace hd::loadgen {

class LatencyHistogram {
 public:
  static constexpr uint64_t kMaxValueNs = (1ull << 40) - 1;  // ~18 minutes

  LatencyHistogram();

  // Values above kMaxValueNs are clamped (and counted in clamped()).
  void record(uint64_t value_ns);
  void merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t min_ns() const { return count_ ? min_ : 0; }
  uint64_t max_ns() const { return max_; }
  uint64_t clamped() const { return clamped_; }
  double mean_ns() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }

  // The value at quantile q in [0, 1] (nearest rank), as the midpoint of its
  // bucket clamped to [min, max]; 0 when empty.
  uint64_t quantile_ns(double q) const;

  // Sparse (bucket index, count) pairs, for files; from_sparse validates.
  std::vector<std::pair<uint32_t, uint64_t>> to_sparse() const;
  static bool from_sparse(const std::vector<std::pair<uint32_t, uint64_t>>& buckets,
                          uint64_t min_ns, uint64_t max_ns, LatencyHistogram& out);

  static uint32_t bucket_of(uint64_t value_ns);
  static uint64_t bucket_low(uint32_t index);
  static uint64_t bucket_high(uint32_t index);  // inclusive
  static uint32_t bucket_count();

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  uint64_t clamped_ = 0;
};

}  // namespace hd::loadgen
