// A site's growth verdict from its milestone series, with the uncertainty the
// data allow (docs/report.md, "Per-site verdicts"): the least-squares slope of
// the unsampled in-use estimate against ops, widened by the sampling model
// (sampling.h), decides `accumulates`/`saturating` only when the growth is
// significant, `constant`/`churn` only when the interval rules out a material
// growth, and `too few samples` otherwise, with what would fix it. Series of
// one workload (twin clients, iterations of one length) are pooled by
// pool_site(). Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/metrics/statistics.h"

namespace hd::analysis {

// What growth is measured against: the process's op count, or, for a
// program that exports none (ops absent or 0 throughout), seconds since its
// first snapshot. Every slope is "bytes per <unit>" of its axis.
enum class Axis { kOps, kSeconds };
// "op" or "s", for "B/op" and "B/s" (and "per op", "per s").
std::string_view axis_unit(Axis a);

enum class Verdict { kTooFewSamples, kConstant, kChurn, kSaturating, kAccumulates };
// "too few samples", "constant", "churn", "saturating", "accumulates".
std::string_view verdict_name(Verdict v);
inline bool is_growing(Verdict v) {
  return v == Verdict::kAccumulates || v == Verdict::kSaturating;
}
// A verdict that states something (not `too few samples`).
inline bool is_decided(Verdict v) {
  return v != Verdict::kTooFewSamples;
}

// Thresholds (docs/report.md).
inline constexpr size_t kMinVerdictPoints = 3;             // no interval, no verdict below
inline constexpr int64_t kMinSiteGrowthBytes = 32 * 1024;  // smaller growth is not reported
inline constexpr double kMaterialBytesPerOp = 16;          // `constant` rules out this much growth
inline constexpr double kMaterialBytesPerSecond = 4096;    // the same on the time axis
inline constexpr double kSaturationRatio = 0.5;            // late slope < 0.5 x early slope
inline constexpr int64_t kMinShapeSamples = 20;            // sampled blocks to tell the two apart
inline constexpr double kChurnTurnover = 10;               // allocated >= 10 x peak in-use

struct SitePoint {
  int64_t ops = 0;
  int64_t inuse_bytes = 0;  // unsampled estimate
  int64_t inuse_objs = 0;   // unsampled estimate
  int64_t samples = 0;      // sampled blocks behind the estimate, as recorded
  double variance = 0;      // of inuse_bytes under the sampling model (bytes^2)
  double t_s = 0;           // seconds since the process's first snapshot
  double at(Axis a) const { return a == Axis::kOps ? static_cast<double>(ops) : t_s; }
};

// The growth of one series (or a pool of series) and its uncertainty. The
// slope's interval combines the fit's residual interval with the sampling
// model's SD of the first-to-last growth; it exists only from
// kMinVerdictPoints points on (a line through two points has no interval).
struct SiteGrowth {
  Axis axis = Axis::kOps;         // what the slope is per
  LinearFit fit;                  // in-use estimate vs the axis; fit.ci95 from residuals only
  double sampling_sd = 0;         // SD (bytes) of the growth from sampling alone
  double span_ops = 0;            // the axis (ops, or seconds) from the first to the last point
  double half95 = 0;              // combined 95 % half width of the slope (bytes per unit)
  bool saturating_shape = false;  // late slope significantly below half the early one
  bool linear_shape = false;      // late half still growing significantly
  bool churn = false;             // allocated >= kChurnTurnover x peak in-use
  size_t series = 1;              // series pooled into this growth
  double slope() const { return fit.slope; }
  bool has_interval() const { return fit.n >= kMinVerdictPoints; }
  double lo() const { return fit.slope - half95; }
  double hi() const { return fit.slope + half95; }
};

// Grew significantly (the interval's low end above 0) by at least
// kMinSiteGrowthBytes: `accumulates`, `saturating`, or `too few samples` to
// tell which.
bool grows_significantly(const SiteGrowth& g);

struct SiteClass {
  Verdict verdict = Verdict::kTooFewSamples;
  SiteGrowth growth;
  std::string why;  // for `too few samples`: what is missing and what would fix it
};

// pts sorted along axis. alloc_bytes: cumulative bytes allocated at the site by
// the last point (unsampled), nullopt when the profile did not record them.
// sample_period: the profiles' mean sample period in bytes (0 or 1: exact).
SiteClass classify_site(const std::vector<SitePoint>& pts, std::optional<int64_t> alloc_bytes,
                        uint64_t sample_period, Axis axis = Axis::kOps);

// The verdict of a growth, single or pooled; sample_period only words `why`.
SiteClass decide_verdict(const SiteGrowth& g, uint64_t sample_period);

// Pools the growths of one site in series of the same workload: the mean
// slope, its interval from the members' (independent) intervals, the shape
// and churn flags by majority. Members without an interval are left out;
// none left: a growth without an interval.
SiteGrowth pool_growth(const std::vector<SiteGrowth>& members);

}  // namespace hd::analysis
