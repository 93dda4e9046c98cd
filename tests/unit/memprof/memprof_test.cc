// memprof unit tests: the probe (gauges, exact op milestones), process facts,
// build-ids, allocator environment, and an in-process Recorder on whatever
// allocator this test binary runs with (glibc unless preloaded).
#include <doctest/doctest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "memprof/allocator_select.h"
#include "memprof/backend.h"
#include "memprof/meta.h"
#include "memprof/preload_env.h"
#include "memprof/probe.h"
#include "memprof/proc_facts.h"
#include "memprof/recorder.h"
#include "memprof/speed_probe.h"
#include "skip.h"
#include "unit/memprof/run_folder_check.h"

namespace mp = hd::memprof;
namespace fs = std::filesystem;

namespace {

std::string temp_dir(const char* tag) {
  std::string t = (fs::temp_directory_path() / (std::string("hd-memprof-") + tag + "-XXXXXX"));
  std::vector<char> buf(t.begin(), t.end());
  buf.push_back('\0');
  REQUIRE(mkdtemp(buf.data()) != nullptr);
  return buf.data();
}

struct HookLog {
  std::mutex mu;
  std::vector<uint64_t> fired;
  std::vector<uint64_t> count_at_fire;
  mp::OpCounter* counter = nullptr;
};

void record_hook(void* ctx, uint64_t ops) {
  auto* log = static_cast<HookLog*>(ctx);
  std::lock_guard<std::mutex> lock(log->mu);
  log->fired.push_back(ops);
  log->count_at_fire.push_back(log->counter->load());
}

}  // namespace

TEST_CASE("GaugeBoard: named slots, same name same slot, values per slot") {
  mp::GaugeBoard b;
  const size_t a = b.register_gauge("log_entries_retained");
  const size_t k = b.register_gauge("kv_keys");
  CHECK(a != k);
  CHECK(b.register_gauge("kv_keys") == k);
  CHECK(b.size() == 2);
  b.set(a, 7);
  b.add(k, 5);
  b.add(k, -2);
  CHECK(b.get(a) == 7);
  CHECK(b.get(k) == 3);
  CHECK(std::string(b.name(k)) == "kv_keys");
}

TEST_CASE("OpCounter: single thread fires each milestone exactly at its count") {
  mp::OpCounter c;
  HookLog log;
  log.counter = &c;
  const uint64_t ms[] = {1, 10, 25, 100};
  c.set_milestones(ms, 4, &record_hook, &log);
  for (int i = 0; i < 200; ++i) c.add();
  REQUIRE(log.fired == std::vector<uint64_t>{1, 10, 25, 100});
  // The hook ran while the count was exactly the milestone.
  CHECK(log.count_at_fire == std::vector<uint64_t>{1, 10, 25, 100});
}

TEST_CASE("OpCounter: batches crossing milestones fire each once") {
  mp::OpCounter c;
  HookLog log;
  log.counter = &c;
  const uint64_t ms[] = {5, 6, 20};
  c.set_milestones(ms, 3, &record_hook, &log);
  c.add(4);
  CHECK(log.fired.empty());
  c.add(3);   // 4 -> 7 crosses 5 and 6
  c.add(13);  // 7 -> 20
  c.add(100);
  CHECK(log.fired == std::vector<uint64_t>{5, 6, 20});
}

TEST_CASE("OpCounter: the step hook fires once per multiple crossed, batches once") {
  mp::OpCounter c;
  HookLog log;
  log.counter = &c;
  c.set_step(10, &record_hook, &log);
  for (int i = 0; i < 35; ++i) c.add();
  CHECK(log.fired == std::vector<uint64_t>{10, 20, 30});
  c.add(30);  // 35 -> 65 crosses 40, 50 and 60: one call, with the count reached
  CHECK(log.fired == std::vector<uint64_t>{10, 20, 30, 65});
  c.clear_hook();
  c.add(100);
  CHECK(log.fired.size() == 4);
}

TEST_CASE("OpCounter: many threads, every milestone exactly once" *
          doctest::test_suite("threads")) {
  mp::OpCounter c;
  HookLog log;
  log.counter = &c;
  const uint64_t ms[] = {1000, 10000, 25000, 39999, 40000};
  c.set_milestones(ms, 5, &record_hook, &log);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&c] {
      for (int i = 0; i < 10000; ++i) c.add();
    });
  }
  for (auto& t : ts) t.join();
  CHECK(c.load() == 40000);
  std::sort(log.fired.begin(), log.fired.end());
  CHECK(log.fired == std::vector<uint64_t>{1000, 10000, 25000, 39999, 40000});
  for (size_t i = 0; i < log.fired.size(); ++i) CHECK(log.count_at_fire[i] >= log.fired[i]);
}

TEST_CASE("parse_u64_list") {
  std::vector<uint64_t> v;
  CHECK(mp::parse_u64_list("10000, 25000,50000", &v));
  CHECK(v == std::vector<uint64_t>{10000, 25000, 50000});
  CHECK(mp::parse_u64_list("", &v));
  CHECK(v.empty());
  CHECK_FALSE(mp::parse_u64_list("10k", &v));
  CHECK_FALSE(mp::parse_u64_list("1;2", &v));
}

TEST_CASE("process facts: RSS, threads, CPU, faults" * doctest::test_suite("threads")) {
  mp::ProcFacts before;
  REQUIRE(mp::read_proc_facts(&before));
  CHECK(before.rss_bytes > 0);
  CHECK(before.threads >= 1);
  // Touch 32 MiB: RSS and minor faults must grow.
  std::vector<char> big(32u << 20, 1);
  mp::ProcFacts after;
  REQUIRE(mp::read_proc_facts(&after));
  CHECK(after.rss_bytes >= before.rss_bytes + (24u << 20));
  CHECK(after.minor_faults > before.minor_faults);
  std::thread t([] {
    mp::ProcFacts in_thread;
    REQUIRE(mp::read_proc_facts(&in_thread));
    CHECK(in_thread.threads >= 2);
  });
  t.join();
  CHECK(big[12345] == 1);
}

TEST_CASE("proc_stat_field: fields counted from the last ')', numbered as in proc(5)") {
  // A command name with spaces and parentheses: "(a) b) c)".
  const std::string_view stat =
      "4321 (a) b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\n";
  CHECK(mp::proc_stat_field(stat, 3) == "S");
  CHECK(mp::proc_stat_field(stat, 4) == "1");
  CHECK(mp::proc_stat_field(stat, 22) == "19");  // the start time
  CHECK(mp::proc_stat_field(stat, 23).empty());  // past the end (the newline is not a field)
  CHECK(mp::proc_stat_field(stat, 2).empty());   // the name is not a field it returns
  CHECK(mp::proc_stat_field("4321 no paren S 1", 3).empty());
  // Agrees with read_proc_facts on this process (one thread here).
  std::ifstream in("/proc/self/stat");
  std::string self;
  std::getline(in, self);
  mp::ProcFacts facts;
  REQUIRE(mp::read_proc_facts(&facts));
  CHECK(std::stoull(std::string(mp::proc_stat_field(self, 20))) == facts.threads);
}

TEST_CASE("reaped_children_cpu_us: a child that burns 50 ms of CPU, once waited for, adds it") {
  const uint64_t before = mp::reaped_children_cpu_us();
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    timespec t0{}, now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    do {
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    } while ((now.tv_sec - t0.tv_sec) * 1000000000L + (now.tv_nsec - t0.tv_nsec) < 50000000L);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  const uint64_t added = mp::reaped_children_cpu_us() - before;
  INFO("added " << added << " us");
  CHECK(added >= 40000);
  CHECK(added < 5000000);
}

TEST_CASE("loaded objects: the executable first, with its GNU build-id") {
  const auto objs = mp::loaded_objects();
  REQUIRE(objs.size() >= 2);
  CHECK(fs::equivalent(objs[0].path, "/proc/self/exe"));
  CHECK(objs[0].build_id.size() >= 16);  // 20 bytes (SHA-1) -> 40 hex digits with GNU ld
  bool libc = false;
  for (const auto& o : objs) libc = libc || o.path.find("libc.so") != std::string::npos;
  CHECK(libc);
}

TEST_CASE("allocator environment: preload the library, profiling settings, keep others" *
          HD_SKIP_IF(mp::allocator_library_path(mp::Backend::kJemalloc).empty(),
                     "libjemalloc.so.2 not installed")) {
  mp::AllocatorRequest req;
  req.backend = mp::Backend::kJemalloc;
  req.profiling = true;
  auto env = mp::allocator_environment(req, "/x/libtcmalloc.so.4:/y/other.so", "/z/pre.so");
  REQUIRE(env.is_ok());
  std::string preload, conf;
  for (const auto& [k, v] : *env) {
    if (k == "LD_PRELOAD") preload = v;
    if (k == "MALLOC_CONF") conf = v;
  }
  CHECK(preload.rfind(mp::allocator_library_path(mp::Backend::kJemalloc), 0) == 0);
  CHECK(preload.find("libtcmalloc") == std::string::npos);
  CHECK(preload.find("/y/other.so") != std::string::npos);
  CHECK(preload.size() > 9);
  CHECK(preload.substr(preload.size() - 9) == "/z/pre.so");
  CHECK(conf.find("prof:true") != std::string::npos);
  CHECK(conf.find("lg_prof_sample:19") != std::string::npos);

  req.backend = mp::Backend::kGlibc;
  auto g = mp::allocator_environment(req, "/x/libjemalloc.so.2", "");
  REQUIRE(g.is_ok());
  CHECK(g->at(0).first == "LD_PRELOAD");
  CHECK(g->at(0).second.empty());
}

TEST_CASE("Recorder in-process: meta, snapshots with every field, a known allocation, gauges" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler")) {
  const mp::Backend live = mp::detect_backend();
  const std::string dir = temp_dir("rec");
  mp::Probe probe;
  const size_t slot = probe.gauges.register_gauge("test_gauge");
  probe.gauges.set(slot, 42);
  mp::RecorderOptions o;
  o.run_dir = dir;
  o.program = "unit_test";
  o.snapshot_interval_ms = 10;
  o.heap_profile_at = {100, 200};
  auto started = mp::Recorder::start(o, &probe);
  REQUIRE(started.is_ok());
  mp::Recorder& r = **started;
  // A second Recorder in the same process is refused.
  CHECK_FALSE(mp::Recorder::start(o, &probe).is_ok());

  r.snapshot_now("before-alloc");
  std::vector<void*> blocks;
  for (int i = 0; i < 16384; ++i) {  // 64 MiB in 4 KiB blocks
    blocks.push_back(std::malloc(4096));
    static_cast<volatile char*>(blocks.back())[0] = 1;
  }
  r.snapshot_now("after-alloc");
  for (int i = 0; i < 250; ++i) probe.ops.add();
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  r.stop();
  for (void* p : blocks) std::free(p);

  const auto meta = hd::test::memprof::read_meta(dir);
  CHECK(meta.at("allocator").at("live") == mp::backend_name(live));
  CHECK(meta.at("recorder").at("snapshot_interval_ms") == 10);
  CHECK(meta.at("recorder").at("heap_profile_at_ops") == nlohmann::json({100, 200}));

  const auto snaps = hd::test::memprof::read_snapshots(dir);
  REQUIRE(snaps.size() >= 6);  // start, before, after, 2 milestones, >= 1 timer, end
  uint64_t before = 0, after = 0;
  int timers = 0, milestones = 0;
  uint64_t last_seq = 0;
  for (size_t i = 0; i < snaps.size(); ++i) {
    const auto& s = snaps[i];
    hd::test::memprof::check_snapshot_fields(s, mp::backend_name(live));
    CHECK(s.at("gauges").at("test_gauge") == 42);
    if (i > 0) CHECK(s.at("seq").get<uint64_t>() > last_seq);
    last_seq = s.at("seq").get<uint64_t>();
    const std::string reason = s.at("reason");
    if (reason == "before-alloc") before = s.at("alloc").at("allocated");
    if (reason == "after-alloc") after = s.at("alloc").at("allocated");
    if (reason == "timer") ++timers;
    if (reason == "milestone") ++milestones;
  }
  CHECK(snaps.front().at("reason") == "start");
  CHECK(snaps.back().at("reason") == "end");
  CHECK(snaps.back().at("ops") == 250);
  CHECK(timers >= 2);
  CHECK(milestones == 2);
  // 64 MiB more live (glibc: uordblks; jemalloc: stats.allocated; tcmalloc: current_allocated).
  CHECK(after >= before + (60u << 20));
  CHECK(after <= before + (72u << 20));
  fs::remove_all(dir);
}

// The recorder's thread is SCHED_BATCH: woken for a snapshot, it waits for
// the next switch instead of preempting the program's thread mid-request.
TEST_CASE("Recorder: its thread is SCHED_BATCH, so its wake-ups never preempt the program") {
  const std::string dir = temp_dir("batch");
  mp::Probe probe;
  mp::RecorderOptions o;
  o.run_dir = dir;
  o.program = "unit_test";
  o.speed_probe_interval_ms = 0;
  auto started = mp::Recorder::start(o, &probe);
  REQUIRE(started.is_ok());
  std::vector<int> policies;  // of the threads named hd-recorder
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name == "hd-recorder")
      policies.push_back(sched_getscheduler(std::stoi(task.path().filename().string())));
  }
  (*started)->stop();
  CHECK(policies == std::vector<int>{SCHED_BATCH});
  fs::remove_all(dir);
}

TEST_CASE("SpeedProbe: one cycle through every line, and both kernels take time") {
  mp::SpeedProbe probe;
  REQUIRE(probe.ok());
  CHECK(probe.lines() == mp::SpeedProbe::kBufferBytes / 64);
  CHECK(probe.cycle_length() == probe.lines());
  const mp::SpeedProbe::Sample s = probe.run();
  CHECK(s.chase_ns > 0);
  CHECK(s.compute_ns > 0);
  CHECK(s.kernel_ns > 0);
}

TEST_CASE("Recorder: lines carry the speed probe's totals, which grow once per interval" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler")) {
  for (const uint32_t every_ms : {20u, 0u}) {
    const std::string dir = temp_dir("speed");
    mp::Probe probe;
    mp::RecorderOptions o;
    o.run_dir = dir;
    o.program = "unit_test";
    o.snapshot_interval_ms = 10;
    o.speed_probe_interval_ms = every_ms;
    auto started = mp::Recorder::start(o, &probe);
    REQUIRE(started.is_ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    (*started)->stop();
    const auto snaps = hd::test::memprof::read_snapshots(dir);
    REQUIRE(snaps.size() >= 3);
    uint64_t runs = 0, chase = 0;
    for (const auto& s : snaps) {  // totals never go back
      CHECK(s.at("proc").at("probe_runs").get<uint64_t>() >= runs);
      CHECK(s.at("proc").at("probe_chase_ns").get<uint64_t>() >= chase);
      runs = s.at("proc").at("probe_runs");
      chase = s.at("proc").at("probe_chase_ns");
    }
    const auto& last = snaps.back().at("proc");
    // The probe's 2 MiB buffer is mapped and touched before the start line,
    // not during the recording: RSS does not step up by it mid-run (it did,
    // at the first tick, before it was mapped at start).
    const uint64_t rss_at_start = snaps.front().at("proc").at("rss_bytes");
    uint64_t rss_most = 0;
    for (const auto& s : snaps)
      rss_most = std::max<uint64_t>(rss_most, s.at("proc").at("rss_bytes"));
    CHECK(rss_most < rss_at_start + mp::SpeedProbe::kBufferBytes / 2);
    if (every_ms == 0) {
      CHECK(runs == 0);
      CHECK(chase == 0);
    } else {
      // 300 ms at one run per 20 ms, the first one interval after the start;
      // a loaded machine may delay ticks, never add them.
      CHECK(runs >= 3);
      CHECK(runs <= 15);
      CHECK(chase >= runs * 1000);  // >= 1 us per run of 4096 dependent loads
      CHECK(last.at("probe_compute_ns").get<uint64_t>() >= runs * 1000);
      CHECK(last.at("probe_kernel_ns").get<uint64_t>() >= runs * 1000);  // 64 round trips
    }
    fs::remove_all(dir);
  }
}

// Snapshots on the op count, whatever the timer: a run too fast for the
// timer (here the timer never fires) still gets a line per step.
TEST_CASE("Recorder: a snapshot line per op step, taken on the recorder's thread" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler")) {
  const std::string dir = temp_dir("step");
  mp::Probe probe;
  mp::RecorderOptions o;
  o.run_dir = dir;
  o.program = "unit_test";
  o.snapshot_interval_ms = 3600000;
  o.snapshot_every_ops = 50;
  o.expected_ops = {500, 500};
  o.heap_profile_at_from = "run-length";
  o.lg_prof_sample_from = "run-length";
  o.lg_prof_sample = 14;
  auto started = mp::Recorder::start(o, &probe);
  REQUIRE(started.is_ok());
  mp::Recorder& r = **started;
  const auto lines = [&dir] { return hd::test::memprof::complete_snapshot_lines(dir); };

  for (int step = 1; step <= 10; ++step) {
    const size_t had = lines();
    for (int i = 0; i < 50; ++i) probe.ops.add();
    // The op thread only posted; wait for the recorder's line (steps taken
    // one at a time, so none coalesce).
    for (int wait = 0; wait < 2000 && lines() == had; ++wait)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  r.stop();

  const auto meta = hd::test::memprof::read_meta(dir);
  const auto& rec = meta.at("recorder");
  CHECK(rec.at("snapshot_every_ops") == 50);
  CHECK(rec.at("expected_ops").at("least") == 500);
  CHECK(rec.at("heap_profile_at_from") == "run-length");
  CHECK(rec.at("lg_prof_sample") == 14);
  CHECK(rec.at("lg_prof_sample_from") == "run-length");
  std::vector<uint64_t> step_ops;
  for (const auto& s : hd::test::memprof::read_snapshots(dir)) {
    hd::test::memprof::check_snapshot_fields(s, mp::backend_name(mp::detect_backend()));
    CHECK(s.at("reason") != "timer");
    if (s.at("reason") == "op-step") step_ops.push_back(s.at("ops"));
  }
  CHECK(step_ops == std::vector<uint64_t>{50, 100, 150, 200, 250, 300, 350, 400, 450, 500});
  fs::remove_all(dir);
}

// The timer fills gaps only: while op steps come faster than the timer there
// are no timer lines (each line costs the program CPU); once the ops stop,
// the timer's lines resume, so no gap exceeds two intervals.
TEST_CASE("Recorder: timer lines only where op-step lines are sparser than the timer" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler")) {
  const std::string dir = temp_dir("gapfill");
  mp::Probe probe;
  mp::RecorderOptions o;
  o.run_dir = dir;
  o.program = "unit_test";
  o.snapshot_interval_ms = 100;
  o.snapshot_every_ops = 10;
  o.expected_ops = {400, 400};
  auto started = mp::Recorder::start(o, &probe);
  REQUIRE(started.is_ok());
  mp::Recorder& r = **started;
  const auto lines = [&dir] { return hd::test::memprof::complete_snapshot_lines(dir); };
  // 40 steps, each waited for, about 15 ms apart: ~600 ms of dense lines.
  for (int step = 1; step <= 40; ++step) {
    const size_t had = lines();
    for (int i = 0; i < 10; ++i) probe.ops.add();
    for (int wait = 0; wait < 2000 && lines() == had; ++wait)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(450));  // idle: the timer's turn
  r.stop();

  const auto snaps = hd::test::memprof::read_snapshots(dir);
  int steps = 0, timers_while_stepping = 0, timers_after = 0;
  double last_step_ms = 0, prev_ms = 0, widest_gap_ms = 0;
  for (const auto& s : snaps) {
    const double t = s.at("t_ms");
    widest_gap_ms = std::max(widest_gap_ms, t - prev_ms);
    prev_ms = t;
    if (s.at("reason") == "op-step") {
      ++steps;
      last_step_ms = t;
    }
  }
  for (const auto& s : snaps) {
    if (s.at("reason") != "timer") continue;
    if (s.at("t_ms").get<double>() < last_step_ms)
      ++timers_while_stepping;
    else
      ++timers_after;
  }
  CHECK(steps == 40);
  // A descheduled test thread may leave one gap wider than a tick.
  CHECK(timers_while_stepping <= 1);
  CHECK(timers_after >= 3);  // ~450 ms idle at 100 ms ticks: a line each tick after the first
  CHECK(widest_gap_ms <= 2 * 100 + 50);
  fs::remove_all(dir);
}
