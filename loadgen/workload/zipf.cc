// Rejection-inversion Zipf sampling. The method draws a continuous x whose
// density dominates the discrete Zipf mass (via the integral of x^-s), rounds
// it to the nearest rank and accepts with the exact ratio, so the result
// follows the exact distribution without any O(n) table.
#include "loadgen/workload/zipf.h"

#include <algorithm>
#include <cmath>

#include "base/check.h"

namespace hd::loadgen {
namespace {

// log(1 + x) / x, accurate near 0.
double log1p_over_x(double x) {
  return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

// (exp(x) - 1) / x, accurate near 0.
double expm1_over_x(double x) {
  return std::abs(x) > 1e-8 ? std::expm1(x) / x
                            : 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x));
}

}  // namespace

ZipfGenerator::ZipfGenerator(uint64_t n, double s) : n_(n), s_(s) {
  HD_CHECK(n >= 1);
  HD_CHECK(s >= 0.0);
  h_integral_x1_ = h_integral(1.5) - 1.0;
  h_integral_n_ = h_integral(static_cast<double>(n) + 0.5);
  threshold_ = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
}

double ZipfGenerator::h(double x) const {
  return std::exp(-s_ * std::log(x));
}

double ZipfGenerator::h_integral(double x) const {
  const double log_x = std::log(x);
  return expm1_over_x((1.0 - s_) * log_x) * log_x;
}

double ZipfGenerator::h_integral_inverse(double x) const {
  double t = x * (1.0 - s_);
  t = std::max(t, -1.0);  // guard rounding at the lower end
  return std::exp(log1p_over_x(t) * x);
}

uint64_t ZipfGenerator::next_rank(Rng& rng) const {
  if (n_ == 1) return 1;
  // Bounded in practice: the acceptance probability is high (> 0.5) for
  // every s; the bound only protects against a numerical pathology.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const double u = h_integral_n_ + rng.uniform01() * (h_integral_x1_ - h_integral_n_);
    const double x = h_integral_inverse(u);
    double k = std::floor(x + 0.5);
    k = std::clamp(k, 1.0, static_cast<double>(n_));
    if (k - x <= threshold_ || u >= h_integral(k + 0.5) - h(k)) {
      return static_cast<uint64_t>(k);
    }
  }
  return 1 + rng.below(n_);
}

double ZipfGenerator::exact_probability(uint64_t n, double s, uint64_t k) {
  HD_CHECK(k >= 1);
  HD_CHECK(k <= n);
  double harmonic = 0;
  for (uint64_t i = n; i >= 1; --i) harmonic += std::pow(static_cast<double>(i), -s);
  return std::pow(static_cast<double>(k), -s) / harmonic;
}

}  // namespace hd::loadgen
