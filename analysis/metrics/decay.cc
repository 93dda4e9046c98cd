#include "analysis/metrics/decay.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace hd::analysis {

const char* trend_name(Trend t) {
  switch (t) {
    case Trend::kTooShort:
      return "too few points";
    case Trend::kSteady:
      return "steady";
    case Trend::kDeclining:
      return "declining";
    case Trend::kRising:
      return "rising";
  }
  return "?";
}

namespace {

double window_mean(const std::vector<double>& y, size_t from, size_t count) {
  return mean(std::vector<double>(y.begin() + static_cast<std::ptrdiff_t>(from),
                                  y.begin() + static_cast<std::ptrdiff_t>(from + count)));
}

// The noise of a series about its trend: the residuals of a line fitted to
// each half (detect_trend says why halves), their lag-1 autocorrelation and
// their SD.
struct Noise {
  double rho = 0;  // in [0.1, 0.9] (estimate + its SE); 0 when the residuals are all 0
  double sd = 0;   // residual SD (4 parameters fitted)
};

Noise residual_noise(const std::vector<double>& t, const std::vector<double>& y) {
  const size_t n = std::min(t.size(), y.size());
  const size_t half = n / 2;
  double num = 0, den = 0;
  for (const auto& [from, to] : {std::pair{size_t{0}, half}, std::pair{half, n}}) {
    const std::vector<double> tx(t.begin() + static_cast<std::ptrdiff_t>(from),
                                 t.begin() + static_cast<std::ptrdiff_t>(to));
    const std::vector<double> ty(y.begin() + static_cast<std::ptrdiff_t>(from),
                                 y.begin() + static_cast<std::ptrdiff_t>(to));
    const LinearFit f = fit_line(tx, ty);
    double prev = 0;
    for (size_t i = 0; i < tx.size(); ++i) {
      const double e = ty[i] - (f.intercept + f.slope * tx[i]);
      den += e * e;
      if (i > 0) num += prev * e;
      prev = e;
    }
  }
  Noise noise;
  if (den <= 0) return noise;
  noise.sd = std::sqrt(den / static_cast<double>(std::max<size_t>(1, n - 4)));
  const double rho = num / den;
  // Each half fits its own mean and slope, which biases rho down by about
  // (2 + 4 rho) / (n / 2) (the AR(1) bias under a fitted trend). The estimate
  // is itself uncertain (SE about sqrt((1 - rho^2) / n)), and too low a rho
  // makes every interval too narrow: the intervals use rho plus one SE
  // (their coverage on AR(1) series with phi 0.6-0.7 then ~95 %, not
  // 89-93 %; decay_test.cc). Never below 0.1 (a run's seconds are never truly
  // independent) nor above 0.9.
  const double nd = static_cast<double>(n);
  const double corrected = std::clamp(rho + (2 + 4 * rho) / (nd / 2), -1.0, 1.0);
  noise.rho = std::clamp(corrected + std::sqrt((1 - corrected * corrected) / nd), 0.1, 0.9);
  return noise;
}

// Sets r->n; true (with what would fix it in r->why) below kMinTrendPoints.
bool too_short(const std::vector<double>& t, const std::vector<double>& y, TrendFit* r) {
  r->n = std::min(t.size(), y.size());
  if (r->n >= kMinTrendPoints) return false;
  r->why = std::to_string(r->n) + (r->n == 1 ? " point" : " points") +
           " after warm-up; a trend needs " + std::to_string(kMinTrendPoints) + " (a longer run)";
  return true;
}

}  // namespace

TrendFit detect_trend(const std::vector<double>& t, const std::vector<double>& y,
                      const TrendOptions& o) {
  TrendFit r;
  if (too_short(t, y, &r)) return r;
  const double n = static_cast<double>(r.n);
  r.fit = fit_line(t, y);

  // Successive seconds of a run share its state (queues, caches, the
  // machine's neighbours), so their noise is positively correlated and an OLS
  // interval is too narrow. AR(1) correction: the effective number of points
  // is n (1 - phi) / (1 + phi). phi is the lag-1 autocorrelation of the
  // residuals of a line fitted to each half of the series (a single line
  // would take a step or a curve for correlated noise and hide the very
  // change looked for), corrected for its small-sample bias and raised by its
  // SE.
  const Noise noise = residual_noise(t, y);
  r.rho1 = noise.rho;
  const double widen = std::sqrt((1 + r.rho1) / (1 - r.rho1));
  const double n_eff = n * (1 - r.rho1) / (1 + r.rho1);
  const auto df_of = [](double eff, double minus) {
    return static_cast<size_t>(std::max(1.0, std::floor(eff - minus)));
  };
  const double t_ols = t_quantile_975(r.n - 2);
  const double se_slope = t_ols > 0 ? r.fit.ci95 / t_ols : 0;
  r.fit.ci95 = t_quantile_975(df_of(n_eff, 2)) * se_slope * widen;

  // The ratio of the first and last windows' means. Each mean's SE is the
  // whole series' residual SD over sqrt(window), widened like the slope's;
  // the t quantile at the degrees of freedom of an SD from AR(1) points,
  // n (1 - rho^2) / (1 + rho^2), less the line's 2 (the slope's n_eff would
  // put 10 % of the soak-like series in decay_test.cc at 1 degree of freedom
  // and x/÷ 25); built on log(ratio), so a ratio of two positive rates is
  // never below 0. (Each window's own SD, with a quantile from its ~2
  // effective points, gave intervals like 0.99 (-0.15...2.13) for windows
  // 10 % apart.)
  r.window = std::max<size_t>(3, static_cast<size_t>(std::lround(o.window_fraction * n)));
  r.window = std::min(r.window, r.n / 2);
  r.first = window_mean(y, 0, r.window);
  r.last = window_mean(y, r.n - r.window, r.window);
  if (r.first > 0 && r.last >= 0) {
    r.ratio = r.last / r.first;
    const double se_mean = noise.sd / std::sqrt(static_cast<double>(r.window)) * widen;
    const double n_var = n * (1 - r.rho1 * r.rho1) / (1 + r.rho1 * r.rho1);
    const double q = t_quantile_975(df_of(n_var, 2));
    const double margin = q * se_mean;
    if (r.last > 3 * margin && r.first > 3 * margin) {
      const double half = margin * std::sqrt(1 / (r.first * r.first) + 1 / (r.last * r.last));
      r.ratio_lo = r.ratio * std::exp(-half);
      r.ratio_hi = r.ratio * std::exp(half);
    } else {
      // A window mean near 0 (a run that collapsed): log(ratio) is no longer
      // near-normal and its interval explodes; the delta method on the ratio
      // itself stays finite, its low end held at 0.
      const double half = margin / r.first * std::sqrt(1 + r.ratio * r.ratio);
      r.ratio_lo = std::max(0.0, r.ratio - half);
      r.ratio_hi = r.ratio + half;
    }
  }

  const bool trend_down = r.fit.hi()<0, trend_up = r.fit.lo()> 0;
  const bool ratio_known = r.first > 0;
  if (ratio_known && trend_down && r.ratio_hi < 1 && r.ratio <= 1 - o.min_change)
    r.trend = Trend::kDeclining;
  else if (ratio_known && trend_up && r.ratio_lo > 1 && r.ratio >= 1 + o.min_change)
    r.trend = Trend::kRising;
  else
    r.trend = Trend::kSteady;
  return r;
}

TrendFit level_trend(const std::vector<double>& t, const std::vector<double>& y,
                     const TrendOptions& o) {
  TrendFit r;
  if (too_short(t, y, &r)) return r;
  r.fit = fit_line(t, y);
  r.window = std::max<size_t>(3, static_cast<size_t>(std::lround(o.window_fraction * r.n)));
  r.window = std::min(r.window, r.n / 2);
  const auto first = y.begin(), last = y.begin() + static_cast<ptrdiff_t>(r.n - r.window);
  const auto w = static_cast<ptrdiff_t>(r.window);
  const auto [first_lo, first_hi] = std::minmax_element(first, first + w);
  const auto [last_lo, last_hi] = std::minmax_element(last, last + w);
  r.first = window_mean(y, 0, r.window);
  r.last = window_mean(y, r.n - r.window, r.window);
  if (r.first > 0) {
    r.ratio = r.last / r.first;
    // The ratio's range: every pairing of a first- and a last-window value.
    r.ratio_lo = *first_hi > 0 ? *last_lo / *first_hi : 0;
    r.ratio_hi = *first_lo > 0 ? *last_hi / *first_lo : 0;
  }
  if (r.first > 0 && *last_lo > *first_hi && r.ratio >= 1 + o.min_change)
    r.trend = Trend::kRising;
  else if (r.first > 0 && *last_hi < *first_lo && r.ratio <= 1 - o.min_change)
    r.trend = Trend::kDeclining;
  else
    r.trend = Trend::kSteady;
  return r;
}

}  // namespace hd::analysis
