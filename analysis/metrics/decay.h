// Within-run decay: is the end of one run slower, or costlier per op, than its
// start? A sustained-vs-burst loss can show inside a single long run, where
// comparing run lengths sees nothing (issue 17).
//
// Contract: `detect_trend` takes a series sampled along time (seconds after
// the load started, warm-up already removed by the caller) and says whether
// it declines or rises, with the uncertainty its data allow:
//   * too few points (< kMinTrendPoints) -> kTooShort, never a verdict;
//   * a change is reported only when both the fitted trend (its 95 % interval
//     widened for lag-1 autocorrelation: successive seconds of a run are not
//     independent) and the first-vs-last window ratio (its 95 % interval from
//     the whole series' residual noise, the same widening, built on
//     log(ratio) so it is never below 0) exclude "no change",
//     and the ratio moves by at least `min_change` (default 5 %): a tiny but
//     significant drift is not a finding.
// Pure functions: no I/O, no state; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "analysis/metrics/statistics.h"

namespace hd::analysis {

inline constexpr size_t kMinTrendPoints = 10;

enum class Trend { kTooShort, kSteady, kDeclining, kRising };
const char* trend_name(Trend t);

struct TrendOptions {
  double window_fraction = 0.20;  // first and last windows: this share of the points, >= 3 each
  double min_change = 0.05;       // |last/first - 1| needed besides significance
};

struct TrendFit {
  Trend trend = Trend::kTooShort;
  size_t n = 0;
  LinearFit fit;     // y against t; fit.ci95 already widened for autocorrelation
  double rho1 = 0;   // lag-1 autocorrelation (estimate + SE), [0.1, 0.9]; 0 if no noise
  double first = 0;  // mean of the first window
  double last = 0;   // mean of the last window
  double ratio = 0;  // last / first (0 when first is 0)
  double ratio_lo = 0, ratio_hi = 0;  // its 95 % interval (on log(ratio); lo >= 0)
  size_t window = 0;                  // points in each window
  std::string why;                    // kTooShort: what would fix it
};

// A level sampled along time (a map's size, RSS, the heap): rising when every
// value of the last window is above every value of the first and the means
// differ by at least `min_change` (kLevelMinChange); declining the other way round; else
// steady; kTooShort below kMinTrendPoints. A level is the sum of its past
// changes, so its noise is correlated by construction and detect_trend's
// interval (built for rates) would call a steady climb noise; no two values
// of the windows overlapping is the test instead. ratio_lo/hi: the range
// over every pairing of a first- and a last-window value.
// Precondition: t ascending, t.size() == y.size().
// A level needs a larger change than a rate (10 %, not 5 %): a pool that
// fills and drains wanders for seconds at a time.
inline constexpr double kLevelMinChange = 0.10;
TrendFit level_trend(const std::vector<double>& t, const std::vector<double>& y,
                     const TrendOptions& o = {.window_fraction = 0.20,
                                              .min_change = kLevelMinChange});

// Precondition: t ascending, t.size() == y.size().
TrendFit detect_trend(const std::vector<double>& t, const std::vector<double>& y,
                      const TrendOptions& o = {});

}  // namespace hd::analysis
