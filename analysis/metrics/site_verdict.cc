// Site verdicts under the sampling model. The decision is on the interval of
// the growth, never on the point estimate alone: a confident wrong verdict is
// worse than `too few samples`.
#include "analysis/metrics/site_verdict.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>

#include "analysis/metrics/sampling.h"

namespace hd::analysis {

namespace {

constexpr double kZ95 = 1.96;

std::string kib(double bytes) {
  char buf[48];
  if (std::fabs(bytes) >= 1024.0 * 1024.0)
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
  else
    std::snprintf(buf, sizeof buf, "%.0f KiB", bytes / 1024.0);
  return buf;
}

// The growth of pts[from..to] (inclusive) with its combined interval. Blocks
// sampled at both ends are the same blocks when they persist, so then the
// growth's sampling variance is the change in variance, plus one block's (a
// growth of less than one sample may not show at all). Blocks replaced
// between the milestones (turnover in [0, 1]) are independent draws, which
// adds up to both ends' variance.
SiteGrowth measure(const std::vector<SitePoint>& pts, size_t from, size_t to, uint64_t period,
                   double turnover, Axis axis) {
  SiteGrowth g;
  g.axis = axis;
  std::vector<double> x, y;
  double avg_size = 0;
  for (size_t i = from; i <= to; ++i) {
    x.push_back(pts[i].at(axis));
    y.push_back(static_cast<double>(pts[i].inuse_bytes));
    if (pts[i].inuse_objs > 0)
      avg_size = static_cast<double>(pts[i].inuse_bytes) / static_cast<double>(pts[i].inuse_objs);
  }
  g.fit = fit_line(x, y);
  g.span_ops = pts[to].at(axis) - pts[from].at(axis);
  // Never sampled: a block is worth about one period.
  const double one = avg_size > 0 ? one_sample_variance(avg_size, period)
                                  : static_cast<double>(period) * static_cast<double>(period);
  const double v0 = pts[from].variance, v1 = pts[to].variance;
  g.sampling_sd =
      period > 1 ? std::sqrt(std::fabs(v1 - v0) + one + turnover * 2 * std::min(v0, v1)) : 0;
  if (g.has_interval() && g.span_ops > 0) {
    const double s = kZ95 * g.sampling_sd / g.span_ops;
    g.half95 = std::sqrt(g.fit.ci95 * g.fit.ci95 + s * s);
  }
  return g;
}

// The share of sampled blocks replaced between milestones: from the site's
// cumulative allocations when the profile has them (the share of what it
// allocated that is no longer in use), else from how often its count of
// sampled blocks falls from one milestone to the next: blocks that persist
// only ever add to it, while replaced ones are fresh draws that fall about
// as often as they rise (1 when that cannot be told: below four points).
double turnover(const std::vector<SitePoint>& pts, std::optional<int64_t> alloc_bytes) {
  if (alloc_bytes && *alloc_bytes > 0 && !pts.empty())
    return std::clamp(
        1 - static_cast<double>(pts.back().inuse_bytes) / static_cast<double>(*alloc_bytes), 0.0,
        1.0);
  if (pts.size() < 4) return 1;
  size_t falls = 0;
  for (size_t i = 1; i < pts.size(); ++i) falls += pts[i].samples < pts[i - 1].samples;
  return std::min(1.0, 2.0 * static_cast<double>(falls) / static_cast<double>(pts.size() - 1));
}

// The shape of a growing series, from the early (first -> middle) and late
// (middle -> last) halves, split at the point nearest the middle of the ops
// range, each with its sampling interval: `saturating` needs the late slope
// significantly below kSaturationRatio x the early one, `accumulates`
// significantly above it. Neither: the shape is unknown.
enum class Shape { kUnknown, kLinear, kSaturating };
Shape shape(const std::vector<SitePoint>& pts, uint64_t period, double replaced, Axis axis) {
  if (pts.size() < kMinVerdictPoints) return Shape::kUnknown;
  // A handful of samples is not a shape: their variance estimate is itself
  // too rough to trust a curve read from it (the simulation in
  // tests/unit/analysis/metrics/site_verdict_test.cc reads saturating sites
  // as accumulating below this).
  if (period > 1 && pts.back().samples < kMinShapeSamples) return Shape::kUnknown;
  const double mid_x = (pts.front().at(axis) + pts.back().at(axis)) / 2;
  size_t mid = 1;
  for (size_t i = 1; i + 1 < pts.size(); ++i)
    if (std::fabs(pts[i].at(axis) - mid_x) < std::fabs(pts[mid].at(axis) - mid_x)) mid = i;
  // Each half's slope from its end points (a least-squares line through a
  // curved half would blame the curve on noise), with the sampling SD of its
  // growth; d = late - ratio x early. The halves share the middle point;
  // treating them as independent only widens the interval.
  const size_t last = pts.size() - 1;
  // The span of a half: at least one op (or one millisecond).
  const double min_span = axis == Axis::kOps ? 1 : 1e-3;
  auto span = [&](size_t a, size_t b) {
    return std::max(min_span, pts[b].at(axis) - pts[a].at(axis));
  };
  auto slope = [&](size_t a, size_t b) {
    return static_cast<double>(pts[b].inuse_bytes - pts[a].inuse_bytes) / span(a, b);
  };
  auto sd = [&](size_t a, size_t b) {
    return measure(pts, a, b, period, replaced, axis).sampling_sd / span(a, b);
  };
  const double early = slope(0, mid), late = slope(mid, last);
  const double sd_early = sd(0, mid), sd_late = sd(mid, last);
  const double d = late - kSaturationRatio * early;
  const double half = kZ95 * std::hypot(sd_late, kSaturationRatio * sd_early);
  if (early - kZ95 * sd_early > 0 && d + half < 0) return Shape::kSaturating;
  if (d - half > 0) return Shape::kLinear;
  return Shape::kUnknown;
}

}  // namespace

std::string_view axis_unit(Axis a) {
  return a == Axis::kOps ? "op" : "s";
}

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kTooFewSamples:
      return "too few samples";
    case Verdict::kConstant:
      return "constant";
    case Verdict::kChurn:
      return "churn";
    case Verdict::kSaturating:
      return "saturating";
    case Verdict::kAccumulates:
      return "accumulates";
  }
  return "too few samples";
}

bool grows_significantly(const SiteGrowth& g) {
  return g.has_interval() && g.lo() > 0 &&
         g.slope() * g.span_ops >= static_cast<double>(kMinSiteGrowthBytes);
}

SiteClass decide_verdict(const SiteGrowth& g, uint64_t sample_period) {
  SiteClass c;
  c.growth = g;
  if (!g.has_interval()) {
    c.why = std::to_string(g.fit.n) + " heap profile" + (g.fit.n == 1 ? "" : "s") +
            " (a verdict needs " + std::to_string(kMinVerdictPoints) +
            "): more heap-profile milestones or a longer run";
    return c;
  }
  const double growth = g.slope() * g.span_ops;
  const double low = g.lo() * g.span_ops, high = g.hi() * g.span_ops;
  if (grows_significantly(g)) {
    if (g.saturating_shape || g.linear_shape) {
      c.verdict = g.saturating_shape ? Verdict::kSaturating : Verdict::kAccumulates;
      return c;
    }
    c.why = "grew " + kib(growth) + " (" + kib(low) + " to " + kib(high) +
            "), too few samples to tell accumulating from levelling off: a longer run, denser "
            "sampling or more heap-profile milestones";
    return c;
  }
  const double per_unit = g.axis == Axis::kOps ? kMaterialBytesPerOp : kMaterialBytesPerSecond;
  const double material = std::max(static_cast<double>(kMinSiteGrowthBytes), per_unit * g.span_ops);
  if (high < material) {
    c.verdict = g.churn ? Verdict::kChurn : Verdict::kConstant;
    return c;
  }
  c.why = "growth " + kib(growth) + " (95 % interval " + kib(low) + " to " + kib(high) +
          ") cannot tell " + kib(material) + " of growth from none";
  if (sample_period > 1 && (sample_period & (sample_period - 1)) == 0)
    // The config key that sets it (docs/config.md); a power of two is 2^lg.
    c.why += ": run longer or sample more densely (lgProfSample below " +
             std::to_string(std::countr_zero(sample_period)) + "; the mean sample period is now " +
             kib(static_cast<double>(sample_period)) + ")";
  else if (sample_period > 1)
    c.why += ": run longer or sample more densely (mean sample period now " +
             kib(static_cast<double>(sample_period)) + ")";
  else
    c.why += ": run longer or add heap-profile milestones";
  return c;
}

SiteClass classify_site(const std::vector<SitePoint>& pts, std::optional<int64_t> alloc_bytes,
                        uint64_t sample_period, Axis axis) {
  SiteGrowth g;
  g.axis = axis;
  int64_t peak = 0, samples = 0;
  for (const SitePoint& p : pts) {
    peak = std::max(peak, p.inuse_bytes);
    samples += p.samples;
  }
  const double replaced = turnover(pts, alloc_bytes);
  if (!pts.empty()) g = measure(pts, 0, pts.size() - 1, sample_period, replaced, axis);
  const Shape s = shape(pts, sample_period, replaced, axis);
  g.saturating_shape = s == Shape::kSaturating;
  g.linear_shape = s == Shape::kLinear;
  g.churn = alloc_bytes && *alloc_bytes >= kMinSiteGrowthBytes &&
            static_cast<double>(*alloc_bytes) >=
                kChurnTurnover * static_cast<double>(std::max<int64_t>(peak, 1));
  SiteClass c = decide_verdict(g, sample_period);
  if (sample_period > 1 && samples == 0 && is_decided(c.verdict)) {
    // No block sampled at any milestone: the profiles saw nothing to judge.
    c.verdict = Verdict::kTooFewSamples;
    c.why = "no sampled block in use at any milestone: run longer or sample more densely";
  }
  return c;
}

SiteGrowth pool_growth(const std::vector<SiteGrowth>& members) {
  SiteGrowth pooled;
  size_t k = 0, saturating = 0, linear = 0, churn = 0;
  double slope = 0, var = 0, span = 0, sampling_var = 0;
  size_t points = SIZE_MAX;
  for (const SiteGrowth& m : members) {
    if (!m.has_interval()) continue;
    ++k;
    slope += m.slope();
    var += m.half95 * m.half95;
    sampling_var += m.sampling_sd * m.sampling_sd;
    span += m.span_ops;
    points = std::min(points, m.fit.n);
    saturating += m.saturating_shape;
    linear += m.linear_shape;
    churn += m.churn;
  }
  pooled.series = k;
  if (!members.empty()) pooled.axis = members.front().axis;
  if (k == 0) return pooled;
  const double n = static_cast<double>(k);
  pooled.fit.slope = slope / n;
  pooled.fit.n = points;
  pooled.half95 = std::sqrt(var) / n;  // the SD of a mean of k independent slopes
  pooled.sampling_sd = std::sqrt(sampling_var) / n;
  pooled.span_ops = span / n;
  pooled.saturating_shape = 2 * saturating > k;
  pooled.linear_shape = !pooled.saturating_shape && 2 * linear > k;
  pooled.churn = 2 * churn > k;
  return pooled;
}

}  // namespace hd::analysis
