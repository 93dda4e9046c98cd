// Bucket layout: indexes 0..255 hold values 0..255 exactly; above, value v
// with bit width w >= 9 has shift e = w - 8 and mantissa m = v >> e in
// [128, 256); index = 256 + (e - 1) * 128 + (m - 128). Bucket width 2^e is at
// most 1/128 of the bucket's lowest value.
#include "loadgen/stats/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "base/check.h"

namespace hd::loadgen {
namespace {
constexpr uint32_t kLinear = 256;
constexpr uint32_t kSub = 128;
constexpr uint32_t kMaxShift = 40 - 8;  // bit width 40 -> shift 32
}  // namespace

uint32_t LatencyHistogram::bucket_count() {
  return kLinear + kMaxShift * kSub;
}

uint32_t LatencyHistogram::bucket_of(uint64_t v) {
  if (v < kLinear) return static_cast<uint32_t>(v);
  const uint32_t e = static_cast<uint32_t>(std::bit_width(v)) - 8;
  const uint64_t m = v >> e;
  return kLinear + (e - 1) * kSub + static_cast<uint32_t>(m - kSub);
}

uint64_t LatencyHistogram::bucket_low(uint32_t index) {
  if (index < kLinear) return index;
  const uint32_t e = (index - kLinear) / kSub + 1;
  const uint64_t m = (index - kLinear) % kSub + kSub;
  return m << e;
}

uint64_t LatencyHistogram::bucket_high(uint32_t index) {
  if (index < kLinear) return index;
  const uint32_t e = (index - kLinear) / kSub + 1;
  return bucket_low(index) + (1ull << e) - 1;
}

LatencyHistogram::LatencyHistogram() : counts_(bucket_count(), 0) {}

void LatencyHistogram::record(uint64_t v) {
  if (v > kMaxValueNs) {
    v = kMaxValueNs;
    ++clamped_;
  }
  ++counts_[bucket_of(v)];
  ++count_;
  sum_ += v;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  clamped_ += other.clamped_;
}

uint64_t LatencyHistogram::quantile_ns(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (uint32_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const uint64_t mid = bucket_low(i) + (bucket_high(i) - bucket_low(i)) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  HD_CHECK(false);  // counts_ sums to count_
  return max_;
}

std::vector<std::pair<uint32_t, uint64_t>> LatencyHistogram::to_sparse() const {
  std::vector<std::pair<uint32_t, uint64_t>> out;
  for (uint32_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i]) out.emplace_back(i, counts_[i]);
  }
  return out;
}

bool LatencyHistogram::from_sparse(const std::vector<std::pair<uint32_t, uint64_t>>& buckets,
                                   uint64_t min_ns, uint64_t max_ns, LatencyHistogram& out) {
  LatencyHistogram h;
  double sum = 0;
  for (const auto& [index, n] : buckets) {
    if (index >= bucket_count() || n == 0) return false;
    h.counts_[index] += n;
    h.count_ += n;
    sum += static_cast<double>(n) * static_cast<double>(bucket_low(index));
  }
  if (h.count_) {
    if (min_ns > max_ns || bucket_of(min_ns) != h.to_sparse().front().first ||
        bucket_of(max_ns) != h.to_sparse().back().first) {
      return false;
    }
    h.min_ = min_ns;
    h.max_ = max_ns;
    h.sum_ = static_cast<uint64_t>(sum);
  }
  out = std::move(h);
  return true;
}

}  // namespace hd::loadgen
