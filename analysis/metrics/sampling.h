// The sampling model of heap profiles (docs/report.md, "Sampling model").
// jemalloc and tcmalloc sample allocations as a Poisson process in bytes with
// a mean period R: a block of s bytes is sampled with p = 1 - exp(-s/R) and,
// unsampled, weighs w = s/p. A site's in-use estimate from m sampled blocks
// therefore has variance m * w^2 * (1 - p), i.e. a relative error of about
// 1/sqrt(m) for blocks much smaller than R, and 0 for exact profiles (R <= 1).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

namespace hd::analysis {

// Variance (bytes^2) of the unsampled in-use estimate of `objs` sampled
// blocks totalling `bytes` (both as recorded, before unsampling).
double unsample_variance(int64_t objs, int64_t bytes, uint64_t period);

// Variance of one sampled block of avg_size bytes: the resolution of a
// profile at that size. A site that grew by less than about one sample may
// show no change at all, so no growth smaller than this can be ruled out.
double one_sample_variance(double avg_size, uint64_t period);

}  // namespace hd::analysis
