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

struct WindowStats {
  double mean = 0, se = 0;  // se before the autocorrelation widening
};

WindowStats window_stats(const std::vector<double>& y, size_t from, size_t count) {
  WindowStats w;
  std::vector<double> v(y.begin() + static_cast<std::ptrdiff_t>(from),
                        y.begin() + static_cast<std::ptrdiff_t>(from + count));
  const MeanSd ms = mean_and_sample_sd(v);
  w.mean = ms.mean;
  w.se = ms.sd / std::sqrt(static_cast<double>(count));
  return w;
}

double noise_autocorrelation(const std::vector<double>& t, const std::vector<double>& y) {
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
  if (den <= 0) return 0;
  const double rho = num / den;
  // Each half fits its own mean and slope, which biases rho down by about
  // (2 + 4 rho) / (n / 2) (the AR(1) bias under a fitted trend).
  // Never below 0.1: the estimate from a short series is itself uncertain,
  // and a run's seconds are never truly independent.
  return std::clamp(rho + (2 + 4 * rho) / (static_cast<double>(n) / 2), 0.1, 0.9);
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
  // change looked for), corrected for its small-sample bias.
  r.rho1 = noise_autocorrelation(t, y);
  const double widen = std::sqrt((1 + r.rho1) / (1 - r.rho1));
  const double n_eff = n * (1 - r.rho1) / (1 + r.rho1);
  const auto df_of = [](double eff, double minus) {
    return static_cast<size_t>(std::max(1.0, std::floor(eff - minus)));
  };
  const double t_ols = t_quantile_975(r.n - 2);
  const double se_slope = t_ols > 0 ? r.fit.ci95 / t_ols : 0;
  r.fit.ci95 = t_quantile_975(df_of(n_eff, 2)) * se_slope * widen;

  r.window = std::max<size_t>(3, static_cast<size_t>(std::lround(o.window_fraction * n)));
  r.window = std::min(r.window, r.n / 2);
  const WindowStats first = window_stats(y, 0, r.window);
  const WindowStats last = window_stats(y, r.n - r.window, r.window);
  r.first = first.mean;
  r.last = last.mean;
  if (r.first > 0 && r.last >= 0) {
    r.ratio = r.last / r.first;
    const double rel = std::sqrt(first.se * first.se / (r.first * r.first) +
                                 (r.last > 0 ? last.se * last.se / (r.last * r.last) : 0.0));
    const double w_eff = static_cast<double>(r.window) * (1 - r.rho1) / (1 + r.rho1);
    const double half = t_quantile_975(df_of(2 * w_eff, 2)) * rel * widen;
    r.ratio_lo = r.ratio * (1 - half);
    r.ratio_hi = r.ratio * (1 + half);
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
  r.first = window_stats(y, 0, r.window).mean;
  r.last = window_stats(y, r.n - r.window, r.window).mean;
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
