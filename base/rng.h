// Rng: a small seeded PRNG (xoshiro256** seeded through splitmix64) with the
// few distributions heapdrift needs (simulator, workload), written out so that a seed gives the
// same run on every standard library. Not thread-safe; one owner.
#pragma once

#include <cstdint>

#include "base/check.h"

namespace hd {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t& w : s_) w = splitmix64(x);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n). Plain modulo: the bias (n / 2^64) is irrelevant for
  // fault injection, and the result is the same on every platform.
  uint64_t below(uint64_t n) {
    HD_CHECK(n > 0);
    return next() % n;
  }

  // Uniform in [lo, hi].
  uint64_t between(uint64_t lo, uint64_t hi) {
    HD_CHECK(lo <= hi);
    return lo + below(hi - lo + 1);
  }

  // Uniform double in [0, 1) from the top 53 bits.
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // True with probability ppm / 1e6 (integer parts-per-million: no floating
  // point, so no platform differences).
  bool chance_ppm(uint32_t ppm) { return below(1'000'000) < ppm; }

  static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4] = {};
};

}  // namespace hd
