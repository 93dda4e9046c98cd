// Known answers for the report's statistics (analysis/metrics/statistics.h):
// fits against hand-computed regressions, t quantiles against the table, and
// the one mean ± sample-SD convention.
#include "analysis/metrics/statistics.h"

#include <doctest/doctest.h>

#include <vector>

namespace hd::analysis {
namespace {

TEST_CASE("fit_line: exact line has zero CI; noisy line's CI covers the truth") {
  LinearFit f = fit_line({1, 2, 3, 4}, {12, 14, 16, 18});
  CHECK(f.slope == doctest::Approx(2));
  CHECK(f.intercept == doctest::Approx(10));
  CHECK(f.ci95 == doctest::Approx(0).epsilon(1e-9));
  std::vector<double> x, y;
  for (int i = 0; i < 20; ++i) {
    x.push_back(i * 100.0);
    y.push_back(5000 + 3.0 * i * 100.0 + ((i % 2) ? 150.0 : -150.0));
  }
  f = fit_line(x, y);
  CHECK(f.n == 20);
  CHECK(f.lo() < 3.0);
  CHECK(f.hi() > 3.0);
  CHECK(f.lo() > 0);
  CHECK(fit_line({1, 2}, {1, 2}).ci95 == 0);
}

TEST_CASE("fit_line: hand-computed regression with its 95% interval") {
  // x = 1..5, y = 2 4 5 4 5: Sxx = 10, Sxy = 6, slope 0.6, intercept 2.2;
  // residuals -0.8 0.6 1.0 -0.6 -0.2, SSE 2.4; se(slope) = sqrt(2.4/3/10);
  // half width t(3) * se = 3.182 * 0.282843 = 0.900006.
  const LinearFit f = fit_line({1, 2, 3, 4, 5}, {2, 4, 5, 4, 5});
  CHECK(f.n == 5);
  CHECK(f.slope == doctest::Approx(0.6));
  CHECK(f.intercept == doctest::Approx(2.2));
  CHECK(f.ci95 == doctest::Approx(0.900006).epsilon(1e-6));
  CHECK(f.lo() == doctest::Approx(0.6 - 0.900006).epsilon(1e-6));
  CHECK(f.hi() == doctest::Approx(0.6 + 0.900006).epsilon(1e-6));
}

TEST_CASE("fit_line: degenerate inputs give zeros, not NaN") {
  LinearFit f = fit_line({}, {});
  CHECK(f.n == 0);
  CHECK(f.slope == 0);
  f = fit_line({3}, {7});
  CHECK(f.n == 1);
  CHECK(f.slope == 0);
  CHECK(f.intercept == 0);
  f = fit_line({2, 2, 2}, {1, 2, 6});  // no spread in x
  CHECK(f.slope == 0);
  CHECK(f.intercept == doctest::Approx(3));
  CHECK(f.ci95 == 0);
  f = fit_line({1, 2, 3, 4}, {5, 6});  // the shorter series bounds n
  CHECK(f.n == 2);
  CHECK(f.slope == doctest::Approx(1));
}

TEST_CASE("t_quantile_975: table values, interpolation and the normal limit") {
  CHECK(t_quantile_975(0) == 0);
  CHECK(t_quantile_975(1) == doctest::Approx(12.706));
  CHECK(t_quantile_975(2) == doctest::Approx(4.303));
  CHECK(t_quantile_975(5) == doctest::Approx(2.571));
  CHECK(t_quantile_975(10) == doctest::Approx(2.228));
  CHECK(t_quantile_975(18) == doctest::Approx(2.101));
  CHECK(t_quantile_975(30) == doctest::Approx(2.042));
  CHECK(t_quantile_975(60) == doctest::Approx(2.000));
  CHECK(t_quantile_975(120) == doctest::Approx(1.980));
  CHECK(t_quantile_975(1000) == doctest::Approx(1.96));
  // Between rows: within 0.01 of the exact quantiles (t(40) = 2.021, t(90) = 1.987).
  CHECK(t_quantile_975(40) == doctest::Approx(2.021).epsilon(0.005));
  CHECK(t_quantile_975(90) == doctest::Approx(1.987).epsilon(0.005));
  for (size_t df = 1; df < 200; ++df) CHECK(t_quantile_975(df + 1) <= t_quantile_975(df));
}

TEST_CASE("mean_and_sample_sd: n - 1 in the denominator; no spread below two values") {
  // 2 4 4 4 5 5 7 9: mean 5, squared deviations 32; population SD 2, sample SD sqrt(32/7).
  const MeanSd s = mean_and_sample_sd({2, 4, 4, 4, 5, 5, 7, 9});
  CHECK(s.n == 8);
  CHECK(s.mean == doctest::Approx(5));
  CHECK(s.sd == doctest::Approx(2.138090).epsilon(1e-6));
  CHECK(mean_and_sample_sd({}).mean == 0);
  CHECK(mean_and_sample_sd({}).sd == 0);
  CHECK(mean_and_sample_sd({42}).mean == 42);
  CHECK(mean_and_sample_sd({42}).sd == 0);
  CHECK(mean_and_sample_sd({1, 3}).sd == doctest::Approx(1.414214).epsilon(1e-6));
  CHECK(mean({1, 2, 3, 6}) == doctest::Approx(3));
  CHECK(mean({}) == 0);
}

}  // namespace
}  // namespace hd::analysis
