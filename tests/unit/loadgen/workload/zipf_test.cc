// The Zipf generator matches the exact distribution: the frequencies of the
// top ranks over many draws are within a few standard errors of k^-s / H(n,s).
#include "loadgen/workload/zipf.h"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

using hd::Rng;
using hd::loadgen::ZipfGenerator;

namespace {

void check_top_ranks(uint64_t n, double s, uint64_t seed) {
  ZipfGenerator zipf(n, s);
  Rng rng(seed);
  constexpr int kDraws = 400000;
  constexpr uint64_t kTop = 10;
  std::vector<int> hits(kTop + 1, 0);
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t k = zipf.next_rank(rng);
    REQUIRE(k >= 1);
    REQUIRE(k <= n);
    if (k <= kTop) ++hits[k];
  }
  // Exact probabilities: normalise once.
  double harmonic = 0;
  for (uint64_t i = n; i >= 1; --i) harmonic += std::pow(static_cast<double>(i), -s);
  for (uint64_t k = 1; k <= kTop; ++k) {
    const double p = std::pow(static_cast<double>(k), -s) / harmonic;
    const double observed = static_cast<double>(hits[k]) / kDraws;
    const double stderr_ = std::sqrt(p * (1 - p) / kDraws);
    CAPTURE(n);
    CAPTURE(s);
    CAPTURE(k);
    CAPTURE(p);
    CAPTURE(observed);
    CHECK(std::abs(observed - p) <= 5 * stderr_ + 1e-9);
  }
}

}  // namespace

TEST_CASE("zipf top-rank frequencies match the exact distribution") {
  check_top_ranks(1000000, 0.99, 1);  // the seed workload
  check_top_ranks(1000000, 0.9, 2);
  check_top_ranks(1000, 1.0, 3);  // s = 1: the log special case
  check_top_ranks(100, 1.5, 4);
  check_top_ranks(50, 0.0, 5);  // uniform
}

TEST_CASE("exact_probability sums to one") {
  double total = 0;
  for (uint64_t k = 1; k <= 200; ++k) total += ZipfGenerator::exact_probability(200, 0.99, k);
  CHECK(total == doctest::Approx(1.0));
}

TEST_CASE("a single key always draws rank 1") {
  ZipfGenerator zipf(1, 0.99);
  Rng rng(7);
  for (int i = 0; i < 100; ++i) CHECK(zipf.next_rank(rng) == 1);
}
