// Recording plan: how densely a process records, chosen from the number of
// ops it expects to count, so that a run of 10K ops that lasts 0.1 s gets as
// many points as one that lasts a minute (docs/run-folder.md, "Density").
// What a user set explicitly (config heapProfileAt, lgProfSample) is kept.
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace hd::memprof {

// The ops this process will count (its own counter, docs/run-folder.md
// "Ops"). A loadgen knows its count exactly (least == most); a replica knows
// only a range: the leader counts every op of the run, a follower fewer.
struct ExpectedOps {
  uint64_t least = 0;  // 0: unknown (the plan is the old fixed one)
  uint64_t most = 0;   // < least is read as least
};

// What the user set; nullopt = let the plan choose.
struct UserRecordingSettings {
  std::optional<std::vector<uint64_t>> heap_profile_at;
  std::optional<uint32_t> lg_prof_sample;
};

// Snapshots: one every `least / kSnapshotsPerRun` ops, besides the timer;
// with the profiles' own lines, start and end, >= 30 points however short
// the run, even when a busy recorder merges a few steps into one line. A
// snapshot costs ~100 µs of CPU in a busy replica or loadgen (jemalloc's
// epoch refresh merges every arena and thread cache), so a process counting
// more than `least` (a leader) gets at most twice as many, not more.
inline constexpr uint64_t kSnapshotsPerRun = 30;
inline constexpr uint64_t kMaxSnapshotsPerRun = 2 * kSnapshotsPerRun;
// Heap profiles: `least` split into kProfilesPerRun + 1 equal steps, one
// profile at each inner step (with the end profile, evenly spaced points);
// the steps go on up to `most`, at most kMaxPlannedProfiles of them.
inline constexpr uint64_t kProfilesPerRun = 8;
inline constexpr uint64_t kMaxPlannedProfiles = 16;
// Sampling: an accumulation of kVisibleBytesPerOp over `least` ops gets at
// least kSamplesOfVisibleLeak samples (relative error ~1/sqrt(k) on its
// in-use estimate), with the period a power of two in
// [2^kMinLgProfSample, 2^kMaxLgProfSample].
inline constexpr uint64_t kVisibleBytesPerOp = 256;
inline constexpr uint64_t kSamplesOfVisibleLeak = 50;
inline constexpr uint32_t kMinLgProfSample = 12;
// The cap is below what the rule alone gives long runs (2^21 at 1M ops) on
// purpose: 50 samples at a run's end see a leak, but the site's verdict
// (accumulating or levelling off) is fitted over the profiles before it, and
// with the cap at 2^24 a planted 256 B/op leak was `too few samples` in 16
// of the 30 replicas of bench/verdict_agreement.sh's 1M runs (docs/run-folder.md).
inline constexpr uint32_t kMaxLgProfSample = 19;  // also the default when the length is unknown

struct RecordingPlan {
  uint64_t snapshot_every_ops = 0;        // 0: timer snapshots only
  std::vector<uint64_t> heap_profile_at;  // ascending op milestones
  uint32_t lg_prof_sample = kMaxLgProfSample;
  // Where each choice came from, for meta.json: "config" (the user's),
  // "run-length" (chosen here), "default" (length unknown).
  const char* heap_profile_at_from = "default";
  const char* lg_prof_sample_from = "default";
};

RecordingPlan plan_recording(const ExpectedOps& ops, const UserRecordingSettings& user);

// Time milestones for a program whose length nobody knows (`heapdrift run`
// without --heap-profile-at or --heap-profile-at-ms): kFirstTimeMilestoneMs
// times sqrt(2)^k up to kLastTimeMilestoneMs, so a run of any length up to
// about an hour gets a heap profile at every factor sqrt(2) of its length: a
// 1 s run 4 of them before its end profile, a 10 s run 11, an hour 28. A
// geometric series, since evenly spaced milestones would suit only one
// length.
inline constexpr uint64_t kFirstTimeMilestoneMs = 250;
inline constexpr uint64_t kLastTimeMilestoneMs = 3'600'000;
std::vector<uint64_t> default_time_milestones_ms();

}  // namespace hd::memprof
