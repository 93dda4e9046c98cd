// The finding as a decision (analysis/finding/finding.h) on synthetic runs
// with known answers: which cause, and the figures behind it. Wording is
// checked in a few places only; the golden expected files pin all of it.
#include "analysis/finding/finding.h"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "analysis/report/report.h"
#include "unit/analysis/runs_test_util.h"

namespace hd::analysis {
namespace {

using testing::add_election;
using testing::analyse_synthetic;
using testing::synthetic_run;

TEST_CASE("finding: a fast-path collapse with a flat heap names the slow path, not memory") {
  Analysis a =
      analyse_synthetic({synthetic_run("short", 10000, 18000, 0, {0.05, 0.05, 0.05}, 13),
                         synthetic_run("long", 100000, 6500, 0,
                                       {0.05, 0.05, 0.1, 0.6, 0.9, 0.95, 0.95, 0.95, 0.95}, 2000)});
  CHECK(a.finding.cause == Cause::kSlowPath);
  CHECK(!a.finding.memory_blamed());
  CHECK(a.finding.tput_change_pct() == doctest::Approx(-63.9).epsilon(0.01));
  REQUIRE(a.finding.slow_path.has_value());
  CHECK(a.finding.slow_path->early < 0.15);
  CHECK(a.finding.slow_path->late > 0.9);
  REQUIRE(a.finding.timer.has_value());  // the timer-valued p99
  CHECK(a.finding.timer->timer_ms == 2000);
  CHECK(a.finding.timer->short_p99_ms < 20);
  CHECK(a.finding.signals() == std::vector<Cause>{Cause::kSlowPath, Cause::kTimer});
  CHECK(!a.finding.memory.heap_grows());
  REQUIRE(a.finding.memory.largest_slope.has_value());
  CHECK(a.finding.memory.largest_slope->fit.lo() <= 0);
  CHECK(!a.runs.back().processes[1].heap_growing);
}

TEST_CASE("finding: a growing heap alongside a slow-path collapse is reported but not blamed") {
  Analysis a = analyse_synthetic(
      {synthetic_run("short", 10000, 18000, 3400, {0.05, 0.05, 0.05}, 13),
       synthetic_run("long", 100000, 6500, 3400, {0.05, 0.3, 0.9, 0.95, 0.95, 0.95}, 30)});
  CHECK(a.finding.cause == Cause::kSlowPath);
  CHECK(!a.finding.memory_blamed());
  const ProcessMetrics& rep = a.runs.back().processes[1];
  CHECK(rep.heap_growing);
  CHECK(rep.heap_fit.slope == doctest::Approx(3400).epsilon(0.01));
  CHECK(rep.heap_fit.lo() > 3300);
  REQUIRE(a.finding.memory.growing.size() == 1);
  CHECK(a.finding.memory.growing[0].process == "replica0");
  CHECK(a.finding.memory.growing[0].fit.slope == doctest::Approx(3400).epsilon(0.01));
  CHECK(a.finding.memory.flat == std::vector<std::string>{"client0"});
}

TEST_CASE("finding: no throughput loss -> nothing blamed; no signal + costly growth -> memory") {
  Analysis a = analyse_synthetic({synthetic_run("s", 10000, 7000, 0, {0.05, 0.05}, 13),
                                  synthetic_run("l", 100000, 7100, 0, {0.05, 0.05, 0.05}, 13)});
  CHECK(a.finding.cause == Cause::kNoLoss);
  CHECK(!a.finding.memory_blamed());
  // Growth whose allocation per op doubles with length, nothing else moving.
  Run s = synthetic_run("s", 10000, 18000, 3400, {0.05, 0.05}, 13);
  Run l = synthetic_run("l", 100000, 6500, 3400, {0.05, 0.05, 0.05}, 13);
  for (Snapshot& snap : l.processes[1].snapshots) snap.cum_alloc_bytes = snap.ops * 1000;
  a = analyse_synthetic({s, l});
  CHECK(a.finding.cause == Cause::kMemory);
  CHECK(a.finding.memory_blamed());
  CHECK(a.finding.signals().empty());
  CHECK(a.finding.memory_cost.costs);
  REQUIRE(a.finding.memory_cost.rise.has_value());  // no CPU profile: bytes/op is the evidence
  CHECK(a.finding.memory_cost.rise->short_bytes_per_op == doctest::Approx(500));
  CHECK(a.finding.memory_cost.rise->long_bytes_per_op == doctest::Approx(1000));
  // The same without the rise in bytes/op: growth alone is not blamed.
  l = synthetic_run("l", 100000, 6500, 3400, {0.05, 0.05, 0.05}, 13);
  a = analyse_synthetic({s, l});
  CHECK(a.finding.cause == Cause::kUnknown);
  CHECK(!a.finding.memory_blamed());
  CHECK(a.finding.memory.heap_grows());
  CHECK(!a.finding.memory_cost.costs);
}

TEST_CASE("finding: leader changes in the long runs only -> failover, with when and who") {
  Run s = synthetic_run("s", 10000, 18000, 0, {0.05, 0.05}, 13);
  Run l = synthetic_run("l", 100000, 6500, 0, {0.05, 0.05, 0.05}, 13);
  add_election(&s, -1);
  add_election(&l, 12);
  l.processes[0].result->retries = 5000;  // what the election did to the clients
  Analysis a = analyse_synthetic({s, l});
  REQUIRE(a.runs.back().leader_changes.size() == 1);
  const LeaderChange& c = a.runs.back().leader_changes[0];
  CHECK(c.term == 2);
  CHECK(c.leader == 1);  // completed one snapshot after the term moved
  CHECK(c.t_s == doctest::Approx(1.2));
  CHECK(a.runs.front().leader_changes.empty());
  CHECK(a.finding.cause == Cause::kFailover);
  CHECK(!a.finding.memory_blamed());
  REQUIRE(a.finding.failover.has_value());
  CHECK(a.finding.failover->short_changes == 0);
  CHECK(a.finding.failover->long_changes == 1);
  CHECK(a.finding.retries.has_value());  // also moved
  REQUIRE(a.finding.leadership.size() == 1);
  CHECK(a.finding.leadership[0].length_ops == 100000);
  // Wording: when and who.
  CHECK(a.finding_text.find("The leader changed 1 time in the 100000-op run: term 2 at 1.2 s "
                            "(replica1 leads)") != std::string::npos);
  CHECK(a.finding_text.find("Retries and timeouts rose") != std::string::npos);

  // As many changes in the short runs: not the cause, still said.
  s = synthetic_run("s", 10000, 18000, 0, {0.05, 0.05}, 13);
  add_election(&s, 10);
  l = synthetic_run("l", 100000, 6500, 0, {0.05, 0.3, 0.9, 0.95, 0.95}, 13);
  add_election(&l, 12);
  a = analyse_synthetic({s, l});
  CHECK(a.finding.cause == Cause::kSlowPath);
  CHECK(!a.finding.failover.has_value());
  REQUIRE(a.finding.leadership.size() == 2);  // still said, as facts
  CHECK(a.finding.leadership[0].length_ops == 10000);
  CHECK(a.finding_text.find("The leader changed 1 time in the 10000-op run") != std::string::npos);

  // No leader change at all: no failover sentence.
  s = synthetic_run("s", 10000, 18000, 0, {0.05, 0.05}, 13);
  l = synthetic_run("l", 100000, 6500, 0, {0.05, 0.3, 0.9, 0.95, 0.95}, 13);
  add_election(&s, -1);
  add_election(&l, -1);
  a = analyse_synthetic({s, l});
  CHECK(a.runs.back().leader_changes.empty());
  CHECK(a.finding.leadership.empty());
  CHECK(a.finding_text.find("leader changed") == std::string::npos);
}

// Gauges of a run whose replicas boot (term 0, no leader; 3 = "none") and
// elect replica0 in term 1; with kill_at >= 0, replica0 dies at that
// snapshot and replica2 leads term 2 one line later.
std::vector<std::pair<int64_t, int64_t>> boot_gauges(int kill_at, bool boot_seen = true) {
  std::vector<std::pair<int64_t, int64_t>> g;
  if (boot_seen) g = {{0, 3}, {0, 3}, {1, 3}};
  g.push_back({1, 0});
  if (kill_at >= 0) {
    g.resize(static_cast<size_t>(kill_at), {1, 0});
    g.push_back({2, 3});
    g.push_back({2, 2});
  }
  return g;
}

TEST_CASE("finding: a boot election in the short runs does not hide the long runs' failover") {
  // Seen with --kill-leader-at: the short run's replicas recorded their boot
  // election (counted as a change), the long run's did not, so both had one
  // "change", failover was not blamed and the kill's retries were.
  Run s = synthetic_run("s", 2000, 18000, 0, {0.05, 0.05}, 13);
  Run l = synthetic_run("l", 10000, 6500, 0, {0.05, 0.05, 0.05}, 13);
  l.processes[0].result->retries = 5000;  // what the kill did to the clients
  testing::set_replica_gauges(&s, boot_gauges(-1), {0, 0, 0});
  testing::set_replica_gauges(&l, boot_gauges(12, false), {0, 0, 0});
  const Analysis a = analyse_synthetic({s, l});
  CHECK(a.runs.front().leader_changes.empty());
  REQUIRE(a.runs.back().leader_changes.size() == 1);
  REQUIRE(a.finding.failover.has_value());
  CHECK(a.finding.failover->short_changes == 0);
  CHECK(a.finding.failover->long_changes == 1);
  CHECK(a.finding.cause == Cause::kFailover);
}

TEST_CASE("finding: failover is blamed only when the long runs have more changes") {
  // A kill in every run (--kill-leader-at below the shortest length): as
  // many changes short as long, not a cause of the long runs' loss.
  Run s = synthetic_run("s", 10000, 18000, 0, {0.05, 0.05}, 13);
  Run l = synthetic_run("l", 100000, 6500, 0, {0.05, 0.05, 0.05}, 13);
  testing::set_replica_gauges(&s, boot_gauges(8), {0, 0, 0});
  testing::set_replica_gauges(&l, boot_gauges(12), {0, 0, 0});
  Analysis a = analyse_synthetic({s, l});
  CHECK(a.runs.front().leader_changes.size() == 1);
  CHECK(a.runs.back().leader_changes.size() == 1);
  CHECK(!a.finding.failover.has_value());
  CHECK(a.finding.cause != Cause::kFailover);
  CHECK(a.finding_text.find("The leader changed 1 time in the 10000-op run") != std::string::npos);
  // A kill in the short runs only: fewer changes in the long ones, still not a cause.
  testing::set_replica_gauges(&l, boot_gauges(-1), {0, 0, 0});
  a = analyse_synthetic({s, l});
  CHECK(a.runs.back().leader_changes.empty());
  CHECK(!a.finding.failover.has_value());
  CHECK(a.finding.cause == Cause::kUnknown);
}

TEST_CASE("finding: the allocator share said is the growing process's, as its table row shows") {
  // Seen with tcmalloc: "Allocator time is 50.0%" (the largest share of any
  // process, a client with a handful of samples) beside a table whose
  // growing process had 18 %.
  Analysis a = analyse_synthetic({synthetic_run("s", 10000, 18000, 3400, {0.05, 0.05}, 13),
                                  synthetic_run("l", 100000, 6500, 3400, {0.05, 0.05}, 13)});
  RunMetrics& longest = a.runs.back();
  REQUIRE(longest.processes[1].heap_growing);
  REQUIRE(!longest.processes[0].heap_growing);
  longest.processes[0].allocator_share = 0.5;   // client0
  longest.processes[1].allocator_share = 0.18;  // replica0, growing
  a.finding = decide_finding(a.runs, a.lengths);
  a.finding_text = render_finding(a.finding);
  REQUIRE(a.finding.memory.allocator_share.has_value());
  CHECK(a.finding.memory.allocator_share->process == "replica0");
  CHECK(a.finding.memory.allocator_share->share == 0.18);
  CHECK(a.finding.memory_cost.costs);  // 18 % >= 10 %: the growth costs
  CHECK(a.finding_text.find("Allocator time is 18.0% of replica0's CPU samples in run l") !=
        std::string::npos);
  CHECK(a.finding_text.find("50.0%") == std::string::npos);
  // The same figure, formatted the same, in replica0's row of the run's table.
  const std::string html = render_index_html(a);
  CHECK(html.find("<tr><td>replica0</td>") != std::string::npos);
  const size_t row = html.rfind("<tr><td>replica0</td>");
  CHECK(html.substr(row, html.find("</tr>", row) - row).find("<td>18.0%</td>") !=
        std::string::npos);
  // A share under 10 % on the growing process is no cost, whatever a flat
  // process spends in the allocator.
  longest.processes[1].allocator_share = 0.04;
  a.finding = decide_finding(a.runs, a.lengths);
  CHECK(a.finding.memory.allocator_share->process == "replica0");
  CHECK(!a.finding.memory_cost.costs);
}

TEST_CASE("finding: one run length -> unknown, and the prose says there is nothing to explain") {
  const Analysis a = analyse_synthetic({synthetic_run("only", 10000, 7000, 0, {0.05, 0.05}, 13)});
  CHECK(a.finding.cause == Cause::kUnknown);
  CHECK(!a.finding.change.has_value());
  CHECK(a.finding.tput_change_pct() == 0);
  CHECK(a.finding.memory.measured);
  CHECK(a.finding_text.rfind("Only one run length with loadgen results", 0) == 0);
}

// The slowsync plant's known answer: strong p99 on the 2 s sync timer at
// every length, so throughput does not change across lengths and no signal
// moves; the finding must still name the timer, and not memory.
TEST_CASE("finding: strong p99 on one timer at every length names the timer, not memory") {
  const Analysis both =
      analyse_synthetic({synthetic_run("short", 2000, 120, 3400, {0.15, 0.15}, 2000.7),
                         synthetic_run("long", 4000, 119, 3400, {0.15, 0.15, 0.15}, 2005.5)});
  REQUIRE(both.finding.timer_hold.has_value());
  CHECK(both.finding.timer_hold->timer.ms == 2000);
  CHECK(both.finding.timer_hold->lengths == 2);
  CHECK(!both.finding.memory_blamed());
  CHECK(both.finding_text.find("Strong p99 is 2001-2006 ms at every run length: the sync timer "
                               "(2000 ms)") != std::string::npos);
  // One length is enough to say it.
  const Analysis one = analyse_synthetic({synthetic_run("only", 2000, 120, 0, {0.15, 0.15}, 1990)});
  REQUIRE(one.finding.timer_hold.has_value());
  CHECK(one.finding_text.find("Strong p99 is 1990 ms: the sync timer") != std::string::npos);
  // Not when one length is off the timer (that is a change: TimerSignal), nor
  // when p99 is on no timer.
  const Analysis moved =
      analyse_synthetic({synthetic_run("short", 10000, 18000, 0, {0.05, 0.05}, 13),
                         synthetic_run("long", 100000, 6500, 0, {0.05, 0.9, 0.95}, 2000)});
  CHECK(!moved.finding.timer_hold.has_value());
  CHECK(moved.finding.timer.has_value());
  const Analysis none =
      analyse_synthetic({synthetic_run("only", 10000, 7000, 0, {0.05, 0.05}, 13)});
  CHECK(!none.finding.timer_hold.has_value());
  CHECK(none.finding_text.find("timer") == std::string::npos);
}

// RSS − allocated grew while jemalloc's active − allocated did not (a
// slowsync run's clients: +3.5 MiB against -87 KiB): not fragmentation of
// live pages, and not called so; with active pages growing it is.
TEST_CASE("finding: a growing RSS gap without active-page growth is not called fragmentation") {
  Finding f;
  f.memory.measured = true;
  f.memory.fragmenting.push_back(
      Fragmentation{"client0", 5800000, 9500000, 4025, 2200000, 990000, -88900, Axis::kOps});
  std::string text = render_finding(f);
  CHECK(text.find("Fragmentation:") == std::string::npos);
  CHECK(text.find("RSS beyond the live heap: client0's RSS − allocated grew") != std::string::npos);
  CHECK(text.find("pages the allocator keeps unused") != std::string::npos);
  f.memory.fragmenting[0].active_gap_growth = 3000000;
  text = render_finding(f);
  CHECK(text.find("Fragmentation: client0's RSS − allocated grew") != std::string::npos);
  CHECK(text.find("RSS beyond the live heap") == std::string::npos);
}

TEST_CASE("finding: cause names are summary.json's") {
  CHECK(cause_name(Cause::kUnknown) == "unknown");
  CHECK(cause_name(Cause::kNoLoss) == "none");
  CHECK(cause_name(Cause::kFailover) == "failover");
  CHECK(cause_name(Cause::kSlowPath) == "slow-path");
  CHECK(cause_name(Cause::kTimer) == "timer");
  CHECK(cause_name(Cause::kRetries) == "retries");
  CHECK(cause_name(Cause::kCpu) == "cpu");
  CHECK(cause_name(Cause::kMemory) == "memory");
}

// A run of `seconds` whole seconds (unix 1000...) with two loadgens; each
// loadgen completes per_client(frac) ops in the second at fraction frac of
// the run (snapshots every 500 ms), client1 stopping `client1_short` seconds
// early; replica0 snapshots every 500 ms with CPU per op cpu_us(frac). The
// loadgens' CPU per op is flat. With probe_us, replica0's lines also carry
// one speed-probe run per second taking probe_us(frac) us (memory and
// compute kernels), and kernel_us(frac) in the kernel one when given.
Run decay_run(int seconds, double (*per_client)(double), double (*cpu_us)(double),
              int client1_short = 0, double (*probe_us)(double) = nullptr,
              double (*kernel_us)(double) = nullptr) {
  Run run;
  run.name = "ops1000000-it1";
  std::vector<ProcessRun> clients;
  for (int c = 0; c < 2; ++c) {
    ProcessRun lg;
    lg.name = "client" + std::to_string(c);
    lg.program = "loadgen";
    loadgen::RunStats r;
    const int last = seconds - (c == 1 ? client1_short : 0);
    r.start_unix_us = 1000 * 1000000LL;
    r.end_unix_us = (1000LL + last) * 1000000LL;
    int64_t ops = 0;
    Snapshot start;  // the recorder's first line, before any op
    start.unix_ms = 1000 * 1000 - 200;
    start.t_ms = -200;
    lg.snapshots.push_back(start);
    for (int i = 0; i < last; ++i) {
      const auto n = static_cast<uint64_t>(per_client(static_cast<double>(i) / seconds));
      r.series[1000 + i].completed[0] = n;
      r.classes[0].count += n;
      r.classes[0].fast_path += n;
      for (int k = 0; k < 2; ++k) {
        Snapshot s;
        ops += static_cast<int64_t>(n / 2);
        s.unix_ms = (1000LL + i) * 1000 + 500 * (k + 1);
        s.t_ms = static_cast<double>(s.unix_ms - 1000000);
        s.ops = ops;
        s.utime_us = ops * 6;
        lg.snapshots.push_back(s);
      }
    }
    lg.result = r;
    clients.push_back(lg);
  }
  ProcessRun rep;
  rep.name = "replica0";
  rep.program = "replica";
  int64_t ops = 0;
  double cpu = 0;
  for (int i = 0; i < 2 * seconds; ++i) {
    const double frac = i / (2.0 * seconds);
    const double n = per_client(frac);  // both clients, half a second
    ops += static_cast<int64_t>(n);
    cpu += n * cpu_us(frac);
    Snapshot s;
    s.unix_ms = 1000000 + 500LL * (i + 1);
    s.t_ms = static_cast<double>(s.unix_ms - 1000000);
    s.ops = ops;
    s.utime_us = static_cast<int64_t>(cpu);
    s.allocated = 4000000;
    s.rss_bytes = 7000000;
    if (probe_us) {
      const bool ran = i % 2 == 1;  // one run per second
      const auto prev = rep.snapshots.empty() ? Snapshot{} : rep.snapshots.back();
      const auto ns = static_cast<int64_t>(ran ? probe_us(frac) * 1000 : 0);
      s.probe_runs = prev.probe_runs.value_or(0) + (ran ? 1 : 0);
      s.probe_chase_ns = prev.probe_chase_ns.value_or(0) + ns;
      s.probe_compute_ns = prev.probe_compute_ns.value_or(0) + ns;
      if (kernel_us)
        s.probe_kernel_ns = prev.probe_kernel_ns.value_or(0) +
                            static_cast<int64_t>(ran ? kernel_us(frac) * 1000 : 0);
    }
    rep.snapshots.push_back(s);
  }
  run.processes = {clients[0], clients[1], rep};
  run.length_ops = 1000000;
  return run;
}

double declining(double f) {
  return 5000 * (1 - 0.25 * f);
}
double steady_rate(double) {
  return 5000;
}
double cpu_rising(double f) {
  return 5.0 * (1 + 0.4 * f);
}
double cpu_flat(double) {
  return 5.0;
}
double probe_like_cpu(double f) {  // the fixed work slows as CPU per op rises
  return 300.0 * (1 + 0.4 * f);
}
double probe_flat(double) {
  return 300.0;
}
double probe_slightly(double f) {
  return 300.0 * (1 + 0.1 * f);
}
double probe_noisy(double f) {  // no trend, +-15 % from run to run (this VM's kernel part)
  return 300.0 * (1 + 0.15 * std::sin(f * 397.0));
}

TEST_CASE("finding: a decline within one run is said, with the process whose CPU per op rose") {
  Analysis a = analyse_synthetic({decay_run(40, declining, cpu_rising)});
  REQUIRE(a.finding.decay.size() == 1);
  const DecaySignal& d = a.finding.decay[0];
  CHECK(d.run == "ops1000000-it1");
  CHECK(d.throughput.trend == Trend::kDeclining);
  CHECK(d.throughput.ratio < 0.85);
  REQUIRE(d.costlier.size() == 1);
  CHECK(d.costlier[0].process == "replica0");
  CHECK(d.costlier[0].cpu_per_op.ratio > 1.2);
  CHECK(d.steady == std::vector<std::string>{"client0", "client1"});
  CHECK(a.finding_text.find("throughput declined") != std::string::npos);
  CHECK(a.finding_text.find("CPU per op rose in replica0") != std::string::npos);
  CHECK(a.finding_text.find("no throughput loss to explain") == std::string::npos);
}

// What grew alongside (issue 17 part 2): a store whose keys grow with the run
// while its CPU per op rises; faults, RSS and heap flat; sessions constant.
TEST_CASE("finding: a costlier process's finding says what rose alongside and what held") {
  Run run = decay_run(40, declining, cpu_rising);
  ProcessRun& rep = run.processes.back();
  REQUIRE(rep.name == "replica0");
  for (Snapshot& s : rep.snapshots) {
    s.minflt = s.ops / 100;  // a fault per 100 ops, all run long
    s.gauges = {{"kv_keys", 1000 + s.ops / 10}, {"client_sessions", 4}, {"commit_index", s.ops}};
  }
  Analysis a = analyse_synthetic({run});
  REQUIRE(a.finding.decay.size() == 1);
  REQUIRE(a.finding.decay[0].costlier.size() == 1);
  const DecaySignal::Cost& c = a.finding.decay[0].costlier[0];
  std::vector<std::string> rose;
  for (const auto& g : c.rose) rose.push_back(g.what);
  // The rates and the process's own levels first, then the gauges; a log
  // index grows with the ops by definition and is never named.
  CHECK(rose == std::vector<std::string>{"user CPU", "kv_keys"});
  CHECK(c.held == std::vector<std::string>{"sys CPU", "minor faults", "voluntary switches",
                                           "involuntary switches", "RSS", "heap"});
  CHECK(a.finding_text.find("In replica0, alongside: user CPU") != std::string::npos);
  CHECK(a.finding_text.find("kv_keys") != std::string::npos);
  CHECK(a.finding_text.find("commit_index") == std::string::npos);
  CHECK(a.finding_text.find("client_sessions") == std::string::npos);
  CHECK(a.finding_text.find("held: sys CPU, minor faults") != std::string::npos);

  // The same run with the keys flat: nothing but the user CPU rose.
  for (Snapshot& s : rep.snapshots) s.gauges = {{"kv_keys", 5000}};
  Analysis flat = analyse_synthetic({run});
  REQUIRE(flat.finding.decay.size() == 1);
  REQUIRE(flat.finding.decay[0].costlier.size() == 1);
  const auto& rose_flat = flat.finding.decay[0].costlier[0].rose;
  REQUIRE(rose_flat.size() == 1);
  CHECK(rose_flat[0].what == "user CPU");
}

TEST_CASE("finding: a decline with flat CPU per op says the time went elsewhere") {
  Analysis a = analyse_synthetic({decay_run(40, declining, cpu_flat)});
  REQUIRE(a.finding.decay.size() == 1);
  CHECK(a.finding.decay[0].costlier.empty());
  CHECK(a.finding.decay[0].steady.size() == 3);
  CHECK(a.finding_text.find("the time went elsewhere") != std::string::npos);
}

TEST_CASE("finding: the speed probe tells a slower machine from more work per op") {
  // CPU per op x1.4 and the fixed work x1.4: the machine's.
  Analysis machine = analyse_synthetic({decay_run(40, declining, cpu_rising, 0, probe_like_cpu)});
  REQUIRE(machine.finding.decay.size() == 1);
  CHECK(machine.finding.decay[0].machine_slowed());
  CHECK(machine.runs[0].probe_chase_trend.trend == Trend::kRising);
  CHECK(machine.finding_text.find("the machine slowed") != std::string::npos);
  CHECK(machine.finding_text.find("not more work per op") != std::string::npos);
  // CPU per op x1.4, the fixed work as fast as ever: the program's.
  Analysis program = analyse_synthetic({decay_run(40, declining, cpu_rising, 0, probe_flat)});
  REQUIRE(program.finding.decay.size() == 1);
  CHECK_FALSE(program.finding.decay[0].machine_slowed());
  CHECK(program.runs[0].probe_chase_trend.trend == Trend::kSteady);
  CHECK(program.finding_text.find("the machine did not slow") != std::string::npos);
  // CPU per op x1.4, the fixed work x1.1: both, and the process is named.
  Analysis both = analyse_synthetic({decay_run(40, declining, cpu_rising, 0, probe_slightly)});
  REQUIRE(both.finding.decay.size() == 1);
  CHECK(both.finding_text.find("beyond it, more work per op in replica0") != std::string::npos);
  // Flat CPU per op with a slower machine: the time went elsewhere, and the
  // machine is said.
  Analysis elsewhere = analyse_synthetic({decay_run(40, declining, cpu_flat, 0, probe_like_cpu)});
  REQUIRE(elsewhere.finding.decay.size() == 1);
  CHECK(elsewhere.finding_text.find("the machine slowed.") != std::string::npos);
  // Memory and compute as fast as ever, the kernel x1.4 (system time costing
  // more, as this VM's host does at times): the machine's too.
  Analysis kernel =
      analyse_synthetic({decay_run(40, declining, cpu_rising, 0, probe_flat, probe_like_cpu)});
  REQUIRE(kernel.finding.decay.size() == 1);
  CHECK(kernel.runs[0].probe_kernel_trend.trend == Trend::kRising);
  CHECK(kernel.runs[0].probe_chase_trend.trend == Trend::kSteady);
  INFO(kernel.finding_text);
  CHECK(kernel.finding_text.find("x1.00 in compute and x1.2") != std::string::npos);
  CHECK(kernel.finding_text.find("the rise is the machine's") != std::string::npos);
  INFO(kernel.finding_text);
  // A noisy probe with no trend: not slowed, not ruled out either (a run
  // of the soak said "the machine did not slow" with the kernel part x1.14
  // and an interval reaching far past it). Neither reading is said as fact.
  Analysis unsure =
      analyse_synthetic({decay_run(40, declining, cpu_rising, 0, probe_flat, probe_noisy)});
  REQUIRE(unsure.finding.decay.size() == 1);
  const DecaySignal& u = unsure.finding.decay[0];
  INFO(unsure.finding_text);
  CHECK(unsure.runs[0].probe_kernel_trend.trend == Trend::kSteady);
  CHECK_FALSE(u.machine_slowed());
  CHECK_FALSE(u.machine_ruled_out());
  CHECK(u.machine_ratio_hi() >= 1 + hd::analysis::kMachineSlack);
  CHECK(unsure.finding_text.find("the machine did not slow") == std::string::npos);
  CHECK(unsure.finding_text.find("too few probe runs to tell whether the machine slowed") !=
        std::string::npos);
  // The flat probe rules it out.
  CHECK(program.finding.decay[0].machine_ruled_out());
  // Without a probe nothing is said of the machine.
  Analysis none = analyse_synthetic({decay_run(40, declining, cpu_rising)});
  CHECK(none.runs[0].probe_chase_trend.trend == Trend::kTooShort);
  CHECK(none.finding_text.find("machine") == std::string::npos);
}

// The profile diff behind a costlier process: the functions holding a
// material part of its rise are named with their us/op, the rest are not.
TEST_CASE("finding: the CPU profile diff says where a costlier process's time went") {
  Analysis a = analyse_synthetic({decay_run(40, declining, cpu_rising)});
  RunMetrics r = a.runs.at(0);
  ProcessMetrics* replica0 = nullptr;
  for (ProcessMetrics& p : r.processes)
    if (p.name == "replica0") replica0 = &p;
  REQUIRE(replica0 != nullptr);
  CpuWindowDiff& d = replica0->cpu_diff.emplace();
  d.early_window = "early";
  d.late_window = "late";
  d.early_us_per_op = 4.0;
  d.late_us_per_op = 9.0;  // +5 us/op
  d.early_samples = 100;
  d.late_samples = 900;
  d.measured_cpu = true;
  FunctionCpu scan{"hd::core::DecayPlant::decay_plant_scan() const", "plants.cc", "replica",
                   "hd::core::DecayPlant::decay_plant_scan"};
  scan.late_self_us = 4.5;
  FunctionCpu send{"__send", "", "libc.so.6", "__send"};
  send.early_self_us = 0.5;
  send.late_self_us = 0.9;  // +0.4: under 10 % of the rise, not named
  d.functions = {scan, send};
  replica0->hw_counters = false;
  replica0->hw_counters_why = "perf_event_open (cycles): No such file or directory";
  const Finding f = decide_finding({r}, a.lengths);
  REQUIRE(f.decay.size() == 1);
  REQUIRE(f.decay[0].costlier.size() == 1);
  const DecaySignal::Cost& c = f.decay[0].costlier[0];
  REQUIRE(c.top.size() == 1);
  CHECK(c.top[0].self_delta_us() == doctest::Approx(4.5));
  const std::string text = render_finding(f);
  INFO(text);
  CHECK(text.find("the late window cost 9.00 us/op against 4.00") != std::string::npos);
  CHECK(text.find("+4.50 us/op in `hd::core::DecayPlant::decay_plant_scan`") != std::string::npos);
  CHECK(text.find("__send") == std::string::npos);
  CHECK(text.find("Hardware counters: unavailable (perf_event_open") != std::string::npos);
  // Without window profiles the sentence says how to get them.
  replica0->cpu_diff.reset();
  CHECK(
      render_finding(decide_finding({r}, a.lengths)).find("No CPU-profile windows for replica0") !=
      std::string::npos);
}

TEST_CASE("finding: no decline within a steady run, nor from a client that finished early") {
  CHECK(analyse_synthetic({decay_run(40, steady_rate, cpu_flat)}).finding.decay.empty());
  // client1 stops 12 s early: the last seconds run at half the rate, but the
  // trend window is the seconds both ran.
  Analysis tail = analyse_synthetic({decay_run(40, steady_rate, cpu_flat, 12)});
  CHECK(tail.finding.decay.empty());
  CHECK(tail.runs[0].throughput_trend.trend == Trend::kSteady);
  // client1's last line at its final count: the end of second 1000 + 40 - 12 - 1.
  CHECK(tail.runs[0].trend_end_unix_ms <= (1000 + 40 - 12) * 1000);
  // Under 10 bins of 0.5 s after warm-up: not judged at all.
  Analysis short_run = analyse_synthetic({decay_run(5, declining, cpu_rising)});
  CHECK(short_run.runs[0].throughput_trend.trend == Trend::kTooShort);
  CHECK(short_run.finding.decay.empty());
  // 8 s is enough: 14 bins of 0.5 s from the loadgens' snapshots.
  Analysis eight = analyse_synthetic({decay_run(8, declining, cpu_rising)});
  CHECK(eight.runs[0].trend_bin_s == doctest::Approx(0.5));
  CHECK(eight.runs[0].throughput_trend.n >= 13);
  CHECK(eight.runs[0].throughput_trend.trend == Trend::kDeclining);
}
}  // namespace
}  // namespace hd::analysis
