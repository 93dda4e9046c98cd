// Recording plan; see recording_plan.h.
#include "memprof/recording_plan.h"

#include <algorithm>
#include <cmath>

namespace hd::memprof {

RecordingPlan plan_recording(const ExpectedOps& ops, const UserRecordingSettings& user) {
  RecordingPlan plan;
  if (user.heap_profile_at) {
    plan.heap_profile_at = *user.heap_profile_at;
    plan.heap_profile_at_from = "config";
  }
  if (user.lg_prof_sample) {
    plan.lg_prof_sample = *user.lg_prof_sample;
    plan.lg_prof_sample_from = "config";
  }
  if (ops.least == 0) return plan;
  const uint64_t least = ops.least;
  const uint64_t most = std::max(ops.most, least);

  // Snapshots on the op count: kSnapshotsPerRun for the process that counts
  // the fewest ops; one that counts more (a leader) gets more, but never more
  // than kMaxSnapshotsPerRun (the snapshot costs the same whatever the step).
  plan.snapshot_every_ops =
      std::max<uint64_t>({1, least / kSnapshotsPerRun, most / kMaxSnapshotsPerRun});

  if (!user.heap_profile_at) {
    // Just over least / (kProfilesPerRun + 1): the last milestone of a
    // process that counts exactly `least` falls before its end profile.
    const uint64_t step =
        std::max<uint64_t>(least / (kProfilesPerRun + 1) + 1, most / kMaxPlannedProfiles);
    for (uint64_t at = step; at <= most && plan.heap_profile_at.size() < kMaxPlannedProfiles;
         at += step)
      plan.heap_profile_at.push_back(at);
    plan.heap_profile_at_from = "run-length";
  }

  if (!user.lg_prof_sample) {
    // The largest power of two <= the longest period that still gives a
    // kVisibleBytesPerOp accumulation kSamplesOfVisibleLeak samples.
    const uint64_t period = kVisibleBytesPerOp * least / kSamplesOfVisibleLeak;
    uint32_t lg = 0;
    while (lg < 63 && (uint64_t{2} << lg) <= period) ++lg;
    plan.lg_prof_sample = std::clamp(lg, kMinLgProfSample, kMaxLgProfSample);
    plan.lg_prof_sample_from = "run-length";
  }
  return plan;
}

std::vector<uint64_t> default_time_milestones_ms() {
  std::vector<uint64_t> at;
  // Exact powers of two from the even steps, x sqrt(2) (rounded) between.
  for (uint32_t k = 0;; ++k) {
    const double ms = static_cast<double>(kFirstTimeMilestoneMs) * std::pow(2.0, k / 2.0);
    if (ms > static_cast<double>(kLastTimeMilestoneMs)) break;
    at.push_back(static_cast<uint64_t>(std::llround(ms)));
  }
  return at;
}

}  // namespace hd::memprof
