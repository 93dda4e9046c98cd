// ZipfGenerator: draws ranks 1..n with P(k) proportional to 1 / k^s, exactly
// (rejection-inversion sampling, Hörmann & Derflinger 1996), in O(1) time and
// memory per draw for any n and any s >= 0 (s = 0 is uniform). The seed's
// `zipfSkew` is s; keys are rank - 1, so key 0 is the hottest, as in the
// original client. Not thread-safe: one generator per loadgen thread.
#pragma once

#include <cstdint>

#include "base/rng.h"

namespace hd::loadgen {

class ZipfGenerator {
 public:
  // Precondition: n >= 1, s >= 0.
  ZipfGenerator(uint64_t n, double s);

  // A rank in [1, n].
  uint64_t next_rank(Rng& rng) const;

  // Exact probability of rank k (for tests): k^-s / H(n, s). O(n) the first
  // time it is called; meant for small n or tests only.
  static double exact_probability(uint64_t n, double s, uint64_t k);

 private:
  double h(double x) const;           // x^-s
  double h_integral(double x) const;  // antiderivative of h
  double h_integral_inverse(double x) const;

  uint64_t n_;
  double s_;
  double h_integral_x1_;
  double h_integral_n_;
  double threshold_;
};

}  // namespace hd::loadgen
