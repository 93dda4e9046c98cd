// Log-linear latency histograms: percentiles within 1% of the exact sorted
// sample from 1 µs to 60 s, merging equals recording everything in one.
#include "loadgen/stats/histogram.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/rng.h"

using hd::Rng;
using hd::loadgen::LatencyHistogram;

namespace {

uint64_t exact_quantile(std::vector<uint64_t> v, double q) {
  std::sort(v.begin(), v.end());
  const auto rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(v.size()))));
  return v[rank - 1];
}

}  // namespace

TEST_CASE("bucket layout is contiguous and narrow") {
  for (uint32_t i = 0; i + 1 < LatencyHistogram::bucket_count(); ++i) {
    REQUIRE(LatencyHistogram::bucket_high(i) + 1 == LatencyHistogram::bucket_low(i + 1));
    REQUIRE(LatencyHistogram::bucket_of(LatencyHistogram::bucket_low(i)) == i);
    REQUIRE(LatencyHistogram::bucket_of(LatencyHistogram::bucket_high(i)) == i);
    const double width =
        static_cast<double>(LatencyHistogram::bucket_high(i) - LatencyHistogram::bucket_low(i) + 1);
    if (LatencyHistogram::bucket_low(i) >= 1000) {
      REQUIRE(width / static_cast<double>(LatencyHistogram::bucket_low(i)) <= 1.0 / 128);
    }
  }
  CHECK(LatencyHistogram::bucket_of(LatencyHistogram::kMaxValueNs) ==
        LatencyHistogram::bucket_count() - 1);
}

TEST_CASE("percentiles are within 1% from 1 us to 60 s") {
  Rng rng(42);
  std::vector<uint64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    // log-uniform between 1 us and 60 s
    const double log_v = std::log(1e3) + rng.uniform01() * (std::log(60e9) - std::log(1e3));
    const auto v = static_cast<uint64_t>(std::exp(log_v));
    values.push_back(v);
    h.record(v);
  }
  for (double q : {0.0, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
    const double exact = static_cast<double>(exact_quantile(values, q));
    const double got = static_cast<double>(h.quantile_ns(q));
    CAPTURE(q);
    CHECK(std::abs(got - exact) / exact <= 0.01);
  }
  CHECK(h.count() == values.size());
  CHECK(h.min_ns() == *std::min_element(values.begin(), values.end()));
  CHECK(h.max_ns() == *std::max_element(values.begin(), values.end()));
}

TEST_CASE("merged histograms give the true merged percentiles") {
  Rng rng(9);
  LatencyHistogram fast, slow, all;
  for (int i = 0; i < 50000; ++i) {
    const uint64_t f = 100'000 + rng.below(50'000);           // ~0.1 ms
    const uint64_t s = 2'000'000'000 + rng.below(1'000'000);  // ~2 s: a retry timer
    fast.record(f);
    all.record(f);
    if (i % 10 == 0) {
      slow.record(s);
      all.record(s);
    }
  }
  LatencyHistogram merged = fast;
  merged.merge(slow);
  CHECK(merged.count() == all.count());
  for (double q : {0.5, 0.9, 0.95, 0.99}) CHECK(merged.quantile_ns(q) == all.quantile_ns(q));
  // The p99 of the merge sits at the timer, which averaging medians would hide.
  CHECK(merged.quantile_ns(0.99) >= 2'000'000'000);
  CHECK(merged.quantile_ns(0.5) < 200'000);
}

TEST_CASE("sparse round trip and validation") {
  LatencyHistogram h;
  for (uint64_t v : {5ull, 1000ull, 123456ull, 99999999ull}) h.record(v);
  LatencyHistogram back;
  REQUIRE(LatencyHistogram::from_sparse(h.to_sparse(), h.min_ns(), h.max_ns(), back));
  CHECK(back.count() == 4);
  CHECK(back.quantile_ns(0.5) == h.quantile_ns(0.5));
  CHECK(back.max_ns() == h.max_ns());
  LatencyHistogram bad;
  CHECK_FALSE(LatencyHistogram::from_sparse({{LatencyHistogram::bucket_count(), 1}}, 0, 0, bad));
  CHECK_FALSE(LatencyHistogram::from_sparse({{3, 0}}, 3, 3, bad));
  CHECK_FALSE(LatencyHistogram::from_sparse({{3, 1}}, 3, 9000, bad));  // max outside buckets
}

TEST_CASE("values beyond the range are clamped and counted") {
  LatencyHistogram h;
  h.record(LatencyHistogram::kMaxValueNs + 10);
  CHECK(h.clamped() == 1);
  CHECK(h.max_ns() == LatencyHistogram::kMaxValueNs);
}
