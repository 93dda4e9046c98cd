// The recording plan (memprof/recording_plan.h): snapshot step, heap-profile
// milestones and sampling rate chosen from the ops a process expects to
// count, and the user's explicit settings kept.
#include "memprof/recording_plan.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mp = hd::memprof;

namespace {

size_t milestones_reached(const mp::RecordingPlan& plan, uint64_t ops) {
  return static_cast<size_t>(std::count_if(plan.heap_profile_at.begin(), plan.heap_profile_at.end(),
                                           [ops](uint64_t m) { return m <= ops; }));
}

// Samples a kVisibleBytesPerOp accumulation over `ops` ops gets at the plan's rate.
double leak_samples(const mp::RecordingPlan& plan, uint64_t ops) {
  return static_cast<double>(mp::kVisibleBytesPerOp * ops) /
         static_cast<double>(uint64_t{1} << plan.lg_prof_sample);
}

}  // namespace

TEST_CASE("recording plan: the default sweep's processes, at the ops each counts") {
  // Seed workload (50 % weak), 2 loadgens: each loadgen counts half the run;
  // the leader every op, a follower the strong half (docs/run-folder.md "Ops").
  for (uint64_t run : {uint64_t{10000}, uint64_t{100000}}) {
    INFO("run of " << run << " ops");
    const mp::ExpectedOps loadgen{run / 2, run / 2};
    const mp::ExpectedOps replica{run / 2, run};
    for (const auto& [expected, counts] :
         {std::pair{loadgen, std::vector<uint64_t>{run / 2}},
          std::pair{replica, std::vector<uint64_t>{run / 2, run}}}) {
      const mp::RecordingPlan plan = mp::plan_recording(expected, {});
      CHECK(plan.heap_profile_at_from == std::string("run-length"));
      CHECK(plan.lg_prof_sample_from == std::string("run-length"));
      CHECK(std::is_sorted(plan.heap_profile_at.begin(), plan.heap_profile_at.end()));
      CHECK(plan.heap_profile_at.size() <= mp::kMaxPlannedProfiles);
      for (uint64_t ops : counts) {
        INFO("a process counting " << ops << " ops");
        REQUIRE(plan.snapshot_every_ops > 0);
        CHECK(ops / plan.snapshot_every_ops >=
              mp::kSnapshotsPerRun);  // + timer, profiles, start, end
        CHECK(ops / plan.snapshot_every_ops <= mp::kMaxSnapshotsPerRun);
        CHECK(milestones_reached(plan, ops) >= 8);
        CHECK(leak_samples(plan, ops) >= 50);
      }
      // No milestone at the very end of an exact count: the end profile is there.
      if (expected.least == expected.most) CHECK(plan.heap_profile_at.back() < expected.most);
    }
  }
  // The figures docs/run-folder.md quotes.
  CHECK(mp::plan_recording({5000, 5000}, {}).lg_prof_sample == 14);
  CHECK(mp::plan_recording({5000, 10000}, {}).lg_prof_sample == 14);
  CHECK(mp::plan_recording({50000, 50000}, {}).lg_prof_sample == 17);
  CHECK(mp::plan_recording({5000, 5000}, {}).snapshot_every_ops == 166);  // 5000 / 30
  CHECK(mp::plan_recording({5000, 5000}, {}).heap_profile_at ==
        std::vector<uint64_t>{556, 1112, 1668, 2224, 2780, 3336, 3892, 4448});
}

TEST_CASE("recording plan: the sampling period follows the run length, within its bounds") {
  uint32_t last_lg = 0;
  for (uint64_t ops = 100; ops <= 100000000; ops = ops * 3 / 2) {
    const mp::RecordingPlan plan = mp::plan_recording({ops, ops}, {});
    INFO(ops << " ops: lg " << plan.lg_prof_sample);
    CHECK(plan.lg_prof_sample >= mp::kMinLgProfSample);
    CHECK(plan.lg_prof_sample <= mp::kMaxLgProfSample);
    CHECK(plan.lg_prof_sample >= last_lg);  // longer runs never sample more densely
    last_lg = plan.lg_prof_sample;
    // Dense enough unless held at the floor; not more than twice as dense as
    // needed unless held at the ceiling.
    if (plan.lg_prof_sample > mp::kMinLgProfSample) CHECK(leak_samples(plan, ops) >= 50);
    if (plan.lg_prof_sample < mp::kMaxLgProfSample) CHECK(leak_samples(plan, ops) < 100);
    CHECK(milestones_reached(plan, ops) == std::min<uint64_t>(8, ops));
  }
  CHECK(mp::plan_recording({100, 100}, {}).lg_prof_sample == mp::kMinLgProfSample);
  CHECK(mp::plan_recording({100000000, 100000000}, {}).lg_prof_sample == mp::kMaxLgProfSample);
}

TEST_CASE("recording plan: a leader counting far more than its least gets at most the cap") {
  const mp::RecordingPlan plan = mp::plan_recording({1000, 1000000}, {});
  CHECK(plan.heap_profile_at.size() == mp::kMaxPlannedProfiles);
  CHECK(plan.heap_profile_at.back() <= 1000000);
  CHECK(1000000 / plan.snapshot_every_ops <= mp::kMaxSnapshotsPerRun);
}

TEST_CASE("recording plan: the user's explicit settings win") {
  mp::UserRecordingSettings user;
  user.heap_profile_at = std::vector<uint64_t>{10000, 50000};
  user.lg_prof_sample = 23;
  const mp::RecordingPlan plan = mp::plan_recording({5000, 5000}, user);
  CHECK(plan.heap_profile_at == std::vector<uint64_t>{10000, 50000});
  CHECK(plan.heap_profile_at_from == std::string("config"));
  CHECK(plan.lg_prof_sample == 23);
  CHECK(plan.lg_prof_sample_from == std::string("config"));
  CHECK(plan.snapshot_every_ops ==
        5000 / mp::kSnapshotsPerRun);  // snapshots on the op count all the same

  // Either one alone.
  user.lg_prof_sample.reset();
  CHECK(mp::plan_recording({5000, 5000}, user).lg_prof_sample == 14);
  user.heap_profile_at.reset();
  user.lg_prof_sample = 0;  // sample every allocation: a valid choice
  const mp::RecordingPlan every = mp::plan_recording({5000, 5000}, user);
  CHECK(every.lg_prof_sample == 0);
  CHECK(every.heap_profile_at.size() == 8);
}

TEST_CASE("recording plan: an unknown length keeps the fixed plan of old") {
  const mp::RecordingPlan plan = mp::plan_recording({}, {});
  CHECK(plan.snapshot_every_ops == 0);
  CHECK(plan.heap_profile_at.empty());
  CHECK(plan.lg_prof_sample == 19);
  CHECK(plan.heap_profile_at_from == std::string("default"));
  CHECK(plan.lg_prof_sample_from == std::string("default"));
}
