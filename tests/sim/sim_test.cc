// Seeded cluster simulation, for each protocol (CURP-HT, CURP-HO): a sweep of
// seeds with every fault on (leader crashes and isolation included), a
// failover-heavy sweep, a fault-free fast-path test, determinism, and proofs
// that the checkers catch deliberately broken behaviour. Replay one seed with
//   HEAPDRIFT_SIM_SEED=<n> build/bin/sim_tests -tc="sim: seed sweep*curpht"
// (or *curpho; HEAPDRIFT_SIM_PROTOCOL=curpht|curpho runs one protocol only)
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <utility>

#include "replica/sim/simulator.h"

namespace {

using namespace hd::sim;

// See "sim: fixed seeds keep their recorded history digest". Changed once on
// purpose since: a read of an unwritten key no longer enters the client cache
// (issue 17), so the simulator's 0-3 entry caches keep written keys longer and
// weak reads merge differently (was 16071730316402920783).
constexpr uint64_t kRecordedHistoryDigest = 14186400887496706676ULL;

std::optional<uint64_t> env_u64(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::strtoull(v, nullptr, 10);
}

// `--seed=N` on the command line (doctest ignores options it does not know;
// we read them back from /proc so that doctest_main.cc stays shared).
std::optional<uint64_t> cmdline_seed() {
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  std::string arg;
  while (std::getline(f, arg, '\0')) {
    if (arg.rfind("--seed=", 0) == 0) return std::strtoull(arg.c_str() + 7, nullptr, 10);
  }
  return std::nullopt;
}

using hd::core::Protocol;

const char* name(Protocol p) {
  return p == Protocol::kCurpHo ? "curpho" : "curpht";
}

// HEAPDRIFT_SIM_PROTOCOL=curpht|curpho: only that protocol's tests run.
bool protocol_selected(Protocol p) {
  const char* v = std::getenv("HEAPDRIFT_SIM_PROTOCOL");
  return v == nullptr || *v == '\0' || std::string(v) == name(p);
}

// The per-seed size of the sweep: a few thousand ops, every fault on. A
// CURP-HO op costs ~1.1x a CURP-HT one in the simulator (weak writes go to
// every replica, RecordAcks); 3000 ops keep both sweeps within ~250 s under
// ASan+UBSan in CI, with 300 seeds each.
SimConfig sweep_config(uint64_t seed, Protocol protocol = Protocol::kCurpHt) {
  SimConfig c = faulty_config(seed);
  c.protocol = protocol;
  c.ops = protocol == Protocol::kCurpHo ? 3'000 : 4'000;
  if (auto steps = env_u64("HEAPDRIFT_SIM_LIN_STEPS")) c.max_lin_steps_per_key = *steps;
  return c;
}

void print_replay(uint64_t seed, Protocol p, const SimResult& r) {
  std::printf(
      "sim %s seed %llu FAILED: %s\n  %s\n  replay: HEAPDRIFT_SIM_SEED=%llu build/bin/sim_tests "
      "-tc=\"sim: seed sweep*%s\"   (or: build/bin/sim_tests --seed=%llu -tc=\"sim: seed "
      "sweep*%s\")\n",
      name(p), static_cast<unsigned long long>(seed), r.failure().c_str(), r.summary().c_str(),
      static_cast<unsigned long long>(seed), name(p), static_cast<unsigned long long>(seed),
      name(p));
  std::fflush(stdout);
}

void sweep(Protocol protocol) {
  if (!protocol_selected(protocol)) return;
  std::optional<uint64_t> only = env_u64("HEAPDRIFT_SIM_SEED");
  if (!only) only = cmdline_seed();
  const uint64_t first = env_u64("HEAPDRIFT_SIM_FIRST_SEED").value_or(1);
  const uint64_t count = only ? 1 : env_u64("HEAPDRIFT_SIM_SEEDS").value_or(300);
  // A broken core makes every seed run to its settle limit: stop early so the
  // report comes quickly (the failing seeds are printed either way).
  const uint64_t max_failures = env_u64("HEAPDRIFT_SIM_MAX_FAILURES").value_or(5);
  SimStats total;
  uint64_t failed = 0;
  uint64_t ran = 0;
  for (uint64_t i = 0; i < count && failed < max_failures; ++i) {
    ++ran;
    const uint64_t seed = only ? *only : first + i;
    Simulator sim(sweep_config(seed, protocol));
    const SimResult r = sim.run();
    if (only) {
      const SimConfig c = sweep_config(seed, protocol);
      std::printf(
          "%s\nconfig: sessions %u pendings %u keys %u max_delay %lluus drop %u dup %u "
          "reorder %u partition %u isolate-leader %u crash %u leader-crash %u ppm, max_down "
          "%lluus\n",
          r.summary().c_str(), c.sessions, c.pendings, c.keys,
          static_cast<unsigned long long>(c.net.max_delay_us), c.net.drop_ppm, c.net.duplicate_ppm,
          c.net.reorder_ppm, c.net.partition_ppm_per_tick, c.net.isolate_leader_ppm_per_tick,
          c.crash.crash_ppm_per_tick, c.crash.leader_crash_ppm_per_tick,
          static_cast<unsigned long long>(c.crash.max_down_us));
    }
    total.ops_issued += r.stats.ops_issued;
    total.ops_completed += r.stats.ops_completed;
    total.ops_timed_out += r.stats.ops_timed_out;
    total.strong_completed += r.stats.strong_completed;
    total.fast_path += r.stats.fast_path;
    total.crashes += r.stats.crashes;
    total.leader_crashes += r.stats.leader_crashes;
    total.leader_isolations += r.stats.leader_isolations;
    total.elections_won += r.stats.elections_won;
    total.max_leaderless_us = std::max(total.max_leaderless_us, r.stats.max_leaderless_us);
    total.lin_zone_decided += r.stats.lin_zone_decided;
    total.snapshots_sent += r.stats.snapshots_sent;
    total.partitions += r.stats.partitions;
    total.messages_dropped += r.stats.messages_dropped;
    total.max_log_retained = std::max(total.max_log_retained, r.stats.max_log_retained);
    total.max_witness_entries = std::max(total.max_witness_entries, r.stats.max_witness_entries);
    total.settled += r.stats.settled;
    total.dep_check_failures += r.stats.dep_check_failures;
    total.retries += r.stats.retries;
    if (r.stats.dep_check_failures > 0) {
      std::printf("dep-check failures in %s seed %llu: %s\n", name(protocol),
                  static_cast<unsigned long long>(seed), r.summary().c_str());
    }
    if (r.stats.ops_timed_out > 0 && !only) {
      // Not a failure (an op may legitimately time out under faults), but
      // worth a look: clients retry until a new leader answers.
      std::printf("note: %s\n", r.summary().c_str());
    }
    if (!r.ok()) {
      ++failed;
      print_replay(seed, protocol, r);
    }
    CHECK_MESSAGE(r.ok(), name(protocol), " seed ", seed, ": ", r.failure());
    CHECK(r.stats.ops_issued == sweep_config(seed, protocol).ops);
  }
  // The online check of the causal barrier (docs/protocol-curpho.md §2.5):
  // with a correct leader no ORDERED note reports an unordered earlier write.
  CHECK(total.dep_check_failures == 0);
  std::printf(
      "sim sweep %s: %llu seeds, %llu failed; ops %llu (completed %llu, timeout %llu), strong "
      "fast-path share %.1f%%, crashes %llu (leader %llu), partitions %llu, leader isolations "
      "%llu, elections won %llu, longest leaderless %.3fs, snapshots %llu, dropped msgs %llu, "
      "max log retained %llu, max witness entries %llu, keys decided by zones %llu, retries "
      "%llu, weak writes settled %llu, dep-check failures %llu\n",
      name(protocol), static_cast<unsigned long long>(ran), static_cast<unsigned long long>(failed),
      static_cast<unsigned long long>(total.ops_issued),
      static_cast<unsigned long long>(total.ops_completed),
      static_cast<unsigned long long>(total.ops_timed_out),
      total.strong_completed ? 100.0 * static_cast<double>(total.fast_path) /
                                   static_cast<double>(total.strong_completed)
                             : 0.0,
      static_cast<unsigned long long>(total.crashes),
      static_cast<unsigned long long>(total.leader_crashes),
      static_cast<unsigned long long>(total.partitions),
      static_cast<unsigned long long>(total.leader_isolations),
      static_cast<unsigned long long>(total.elections_won),
      static_cast<double>(total.max_leaderless_us) / 1e6,
      static_cast<unsigned long long>(total.snapshots_sent),
      static_cast<unsigned long long>(total.messages_dropped),
      static_cast<unsigned long long>(total.max_log_retained),
      static_cast<unsigned long long>(total.max_witness_entries),
      static_cast<unsigned long long>(total.lin_zone_decided),
      static_cast<unsigned long long>(total.retries),
      static_cast<unsigned long long>(total.settled),
      static_cast<unsigned long long>(total.dep_check_failures));
}

}  // namespace

TEST_CASE("sim: seed sweep with network faults, crashes and leader failover, curpht") {
  sweep(Protocol::kCurpHt);
}

TEST_CASE("sim: seed sweep with network faults, crashes and leader failover, curpho") {
  sweep(Protocol::kCurpHo);
}

// Every seed loses its leader several times (crashes and isolation, besides
// the sweep's other faults): elections must happen, and every check holds.
namespace {
void failover(Protocol protocol);
void fast_path(Protocol protocol);
void same_history(Protocol protocol);
}  // namespace

TEST_CASE("sim: leader failover under load keeps every check") {
  for (Protocol protocol : {Protocol::kCurpHt, Protocol::kCurpHo}) {
    if (!protocol_selected(protocol)) continue;
    CAPTURE(std::string(name(protocol)));
    failover(protocol);
  }
}

TEST_CASE("sim: without faults most strong ops take the fast path") {
  for (Protocol protocol : {Protocol::kCurpHt, Protocol::kCurpHo}) {
    if (!protocol_selected(protocol)) continue;
    CAPTURE(std::string(name(protocol)));
    fast_path(protocol);
  }
}

TEST_CASE("sim: the same seed gives the same history") {
  for (Protocol protocol : {Protocol::kCurpHt, Protocol::kCurpHo}) {
    CAPTURE(std::string(name(protocol)));
    same_history(protocol);
  }
}

namespace {

void failover(Protocol protocol) {
  uint64_t elections = 0;
  uint64_t leader_crashes = 0;
  uint64_t isolations = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SimConfig c = sweep_config(1000 + seed, protocol);
    c.ops = 3'000;
    c.crash.leader_crash_ppm_per_tick = 2'000;
    c.net.isolate_leader_ppm_per_tick = 1'500;
    const SimResult r = Simulator(c).run();
    if (!r.ok()) {
      std::printf(
          "failover %s seed %llu FAILED: %s\n  %s\n  replay: HEAPDRIFT_SIM_PROTOCOL=%s "
          "build/bin/sim_tests -tc=\"sim: leader failover*\"\n",
          name(protocol), static_cast<unsigned long long>(1000 + seed), r.failure().c_str(),
          r.summary().c_str(), name(protocol));
    }
    CHECK_MESSAGE(r.ok(), "seed ", 1000 + seed, ": ", r.failure());
    elections += r.stats.elections_won;
    leader_crashes += r.stats.leader_crashes;
    isolations += r.stats.leader_isolations;
  }
  MESSAGE("elections won ", elections, ", leader crashes ", leader_crashes, ", isolations ",
          isolations);
  CHECK(leader_crashes >= 12);
  CHECK(isolations >= 6);
  CHECK(elections >= leader_crashes);
}

void fast_path(Protocol protocol) {
  SimConfig c = clean_config(11);
  c.protocol = protocol;
  c.ops = 3'000;
  c.keys = 256;  // few conflicts: witnesses accept
  const SimResult r = Simulator(c).run();
  INFO(r.summary());
  CHECK_MESSAGE(r.ok(), r.failure());
  CHECK(r.stats.ops_timed_out == 0);
  CHECK(r.stats.ops_completed == c.ops);
  REQUIRE(r.stats.strong_completed > 0);
  CHECK(r.stats.fast_path * 10 >= r.stats.strong_completed * 8);  // >= 80%
  CHECK(r.stats.elections_won == 0);                              // the boot leader keeps its term
  CHECK(r.stats.dep_check_failures == 0);
  MESSAGE(std::string(name(protocol)), " fast-path share ",
          100.0 * static_cast<double>(r.stats.fast_path) /
              static_cast<double>(r.stats.strong_completed),
          "% of ", r.stats.strong_completed, " strong ops");
}

void same_history(Protocol protocol) {
  SimConfig c = sweep_config(5, protocol);
  c.ops = 800;
  const SimResult a = Simulator(c).run();
  const SimResult b = Simulator(c).run();
  REQUIRE(a.history.size() == b.history.size());
  for (size_t i = 0; i < a.history.size(); ++i) {
    CHECK(a.history[i].response == b.history[i].response);
    CHECK(a.history[i].value == b.history[i].value);
    CHECK(a.history[i].version == b.history[i].version);
  }
  CHECK(a.stats.end_us == b.stats.end_us);
  CHECK(a.stats.messages_sent == b.stats.messages_sent);
}

}  // namespace

namespace {

// FNV-1a over every recorded field of a history and the run's message counts:
// any change in what the protocol does for these seeds changes it.
uint64_t history_digest(const SimResult& r) {
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 0x100000001b3ULL;
    }
  };
  for (const HistoryOp& o : r.history) {
    mix(o.session);
    mix(o.seq);
    mix(static_cast<uint64_t>(o.op));
    mix(o.key);
    for (char ch : o.value) mix(static_cast<unsigned char>(ch));
    mix(o.version);
    mix(o.invoke);
    mix(o.response);
    mix(o.invoke_us);
    mix(o.response_us);
    mix(static_cast<uint64_t>(o.path));
  }
  mix(r.stats.messages_sent);
  mix(r.stats.messages_delivered);
  mix(r.stats.retries);
  mix(r.stats.elections_won);
  mix(r.stats.end_us);
  return h;
}

}  // namespace

// The digests of a few fixed seeds, recorded before the protocol seam of
// issue 16 was introduced: refactorings that must not change behaviour keep
// them. A deliberate behaviour change updates the constant (and says why).
TEST_CASE("sim: fixed seeds keep their recorded history digest") {
  uint64_t all = 0;
  for (uint64_t seed : {1, 2, 3, 42}) {
    SimConfig c = sweep_config(seed);
    c.ops = 1'500;
    const SimResult r = Simulator(c).run();
    CHECK_MESSAGE(r.ok(), r.failure());
    const uint64_t d = history_digest(r);
    MESSAGE("seed ", seed, " history digest ", d);
    all = all * 31 + d;
  }
  MESSAGE("combined history digest ", all);
  CHECK(all == kRecordedHistoryDigest);
}

TEST_CASE("sim: checkers catch stale reads injected by the network") {
  SimConfig c = clean_config(3);
  c.ops = 1'000;
  c.sabotage.stale_read_ppm = 50'000;
  const SimResult r = Simulator(c).run();
  INFO(r.summary());
  CHECK_FALSE(r.ok());
  CHECK(r.linearizable.kind == CheckResult::Kind::kViolation);
}

TEST_CASE("sim: retention check catches the retain_history plant") {
  SimConfig c = clean_config(4);
  c.ops = 3'000;
  c.core.plants.retain_history = true;
  const SimResult r = Simulator(c).run();
  INFO(r.summary());
  CHECK(r.retention.kind == CheckResult::Kind::kViolation);
  SimConfig normal = c;
  normal.core.plants.retain_history = false;
  const SimResult n = Simulator(normal).run();
  INFO(n.summary());
  CHECK(n.retention.ok());
}

TEST_CASE("sim: checkers catch replicas ignoring the session's min_index") {
  SimConfig c = faulty_config(6);
  c.ops = 2'000;
  c.keys = 2;
  c.session.cache_capacity = 0;
  c.sabotage.drop_min_index = true;
  const SimResult r = Simulator(c).run();
  INFO(r.summary());
  CHECK(r.sessions.kind == CheckResult::Kind::kViolation);
  MESSAGE(r.sessions.detail);
  // The same real fault breaks causality (own writes/reads are part of the
  // causal past): the causal check sees it too (79 of seeds 1-80 in both).
  CHECK(r.causal.kind == CheckResult::Kind::kViolation);
  MESSAGE(r.causal.detail);
  // The same run with min_index intact passes.
  c.sabotage.drop_min_index = false;
  const SimResult good = Simulator(c).run();
  INFO(good.summary());
  CHECK_MESSAGE(good.ok(), good.failure());
}

namespace {

// The checks that existed before execution agreement and the timeout bound:
// a planted bug that passes all of these escaped them.
bool older_checks_pass(const SimResult& r) {
  return r.converged && r.election.ok() && r.linearizable.ok() && r.sessions.ok() &&
         r.values.ok() && r.final_state.ok() && r.retention.ok();
}

// Runs faulty seeds from `first` with `plant` applied until one fails `check`
// while every older check passes; at most `max_seeds`. Returns that seed or 0.
template <typename Plant, typename Check>
uint64_t first_escaping_seed(uint64_t first, uint64_t max_seeds, Plant plant, Check check) {
  for (uint64_t seed = first; seed < first + max_seeds; ++seed) {
    SimConfig c = faulty_config(seed);
    plant(c);
    const SimResult r = Simulator(c).run();
    if (!check(r).ok() && older_checks_pass(r)) {
      MESSAGE("seed " << seed << ": " << check(r).detail);
      return seed;
    }
  }
  return 0;
}

}  // namespace

// A leader that takes some new ops for duplicates drops them: clients retry
// until they time out. No safety check can see a missing op; the timeout
// bound does (the clean protocol times out nothing in the seed sweep).
TEST_CASE("sim: the timeout bound catches ops a leader drops as duplicates") {
  const uint64_t seed = first_escaping_seed(
      1, 20, [](SimConfig& c) { c.core.bugs.new_seq_as_duplicate_every = 9; },
      [](const SimResult& r) { return r.timeouts; });
  CHECK(seed != 0);
  if (seed == 0) return;
  // The same seed without the bug passes every check.
  const SimResult good = Simulator(faulty_config(seed)).run();
  CHECK_MESSAGE(good.ok(), good.failure());
}

// A follower that keeps its own entry where the leader's log differs executes
// a different command at that slot; a later write to the key can hide it from
// the final-state check. Execution agreement compares every slot.
TEST_CASE("sim: execution agreement catches log repair that keeps a conflicting entry") {
  const uint64_t seed = first_escaping_seed(
      1, 300, [](SimConfig& c) { c.core.bugs.keep_conflicting_entry = true; },
      [](const SimResult& r) { return r.execution; });
  CHECK(seed != 0);
  if (seed == 0) return;
  const SimResult good = Simulator(faulty_config(seed)).run();
  CHECK_MESSAGE(good.ok(), good.failure());
}

namespace {

// Finds, in a real history, a weak read r2 that must see a write w0 only
// through another session: r2's session completed a read r1 of write w1
// before invoking r2, and w1's session completed w0 (to r2's key) before
// invoking w1; what r2's session itself wrote or read of that key before r2
// is older than w0. Makes r2 return that own newest version instead (or the
// initial value), so read-your-writes and monotonic reads still hold, and
// returns r2's index; -1 if the history has no such read.
int64_t break_writes_follow_reads(History& h) {
  for (const HistoryOp& r1 : h) {
    if (!r1.is_read() || !r1.completed() || r1.version == 0) continue;
    auto w1 = std::find_if(h.begin(), h.end(),
                           [&](const HistoryOp& w) { return w.is_write() && w.value == r1.value; });
    if (w1 == h.end() || w1->session == r1.session) continue;
    for (const HistoryOp& w0 : h) {
      if (!w0.is_write() || w0.session != w1->session || w0.response >= w1->invoke) continue;
      for (size_t i = 0; i < h.size(); ++i) {
        HistoryOp& r2 = h[i];
        if (r2.op != hd::client::OpClass::kWeakRead || !r2.completed() ||
            r2.session != r1.session || r2.invoke <= r1.response || r2.key != w0.key) {
          continue;
        }
        const HistoryOp* own = nullptr;  // the session's newest own demand on the key
        for (const HistoryOp& o : h) {
          if (o.session == r2.session && o.key == r2.key && o.response < r2.invoke &&
              (own == nullptr || o.version > own->version)) {
            own = &o;
          }
        }
        if (own != nullptr && own->version >= w0.version) continue;
        r2.value = own == nullptr ? std::string() : own->value;
        r2.version = own == nullptr ? 0 : own->version;
        return static_cast<int64_t>(i);
      }
    }
  }
  return -1;
}

}  // namespace

// check_causal judges what the other checks cannot: a demand that reaches a
// session only through another session's write (writes-follow-reads). A real
// faulty run's history is broken at one such read: linearizability (weak
// reads are not in it), the session guarantees (the read still returns the
// newest version its session wrote or read itself) and value/version all
// still pass; the causal check names the read and the write it missed.
TEST_CASE("sim: causal check catches a read missing a write made visible by another session") {
  SimConfig c = faulty_config(7);
  c.ops = 2'000;
  c.keys = 8;
  const SimResult r = Simulator(c).run();
  REQUIRE_MESSAGE(r.ok(), r.failure());  // causal included: the real run is causal
  History h = r.history;
  const int64_t broken = break_writes_follow_reads(h);
  REQUIRE(broken >= 0);
  CHECK(check_linearizable(h).ok());
  CHECK(check_session_guarantees(h).ok());
  CHECK(check_value_versions(h).ok());
  CHECK(check_write_slots(h).ok());
  const CheckResult causal = check_causal(h);
  REQUIRE(causal.kind == CheckResult::Kind::kViolation);
  MESSAGE(causal.detail);
  CHECK(causal.detail.find("causal visibility violated: " +
                           describe(h[static_cast<size_t>(broken)])) != std::string::npos);
}

// ---- CURP-HO planted bugs (docs/protocol-curpho.md §4.4) ----------------------

namespace {

// The first of seeds [first, first + max_seeds) of the CURP-HO faulty sweep
// whose run with `plant` fails `check` while linearizability, final state,
// execution agreement and the timeout bound pass; 0 if none.
template <typename Plant, typename Check>
uint64_t first_ho_seed_failing(uint64_t first, uint64_t max_seeds, Plant plant, Check check,
                               SimResult* out) {
  for (uint64_t seed = first; seed < first + max_seeds; ++seed) {
    SimConfig c = sweep_config(seed, Protocol::kCurpHo);
    plant(c);
    SimResult r = Simulator(c).run();
    if (!check(r).ok() && r.converged && r.linearizable.ok() && r.final_state.ok() &&
        r.execution.ok() && r.timeouts.ok()) {
      MESSAGE("seed " << seed << ": " << r.failure());
      *out = std::move(r);
      return seed;
    }
  }
  return 0;
}

}  // namespace

// A leader that orders a session's strong op without waiting for the
// session's earlier weak write puts the strong op at a lower slot than a
// write in its causal past: no linearizability, durability or agreement
// check can see it (each write is ordered and kept); the causal check's
// write-order rule does, and so does the followers' online check (ORDERED
// notes reporting the earlier write unordered).
TEST_CASE("sim: causal check catches a dropped causal barrier") {
  SimResult r;
  const uint64_t seed = first_ho_seed_failing(
      1, 300, [](SimConfig& c) { c.core.bugs.skip_causal_barrier = true; },
      [](const SimResult& x) { return x.causal; }, &r);
  REQUIRE(seed != 0);
  CHECK(r.failure().rfind("causal violation: ", 0) == 0);
  CHECK(r.causal.detail.find("write order") != std::string::npos);
  CHECK(r.stats.dep_check_failures > 0);
  const SimResult good = Simulator(sweep_config(seed, Protocol::kCurpHo)).run();
  CHECK_MESSAGE(good.ok(), good.failure());
  CHECK(good.stats.dep_check_failures == 0);
}

// A replica that answers a weak read at once, ignoring the session's
// min_index and its own unsettled write, returns versions older than the
// session has seen; without a client cache nothing hides it.
TEST_CASE("sim: session check catches weak reads older than the session has seen") {
  SimResult r;
  const uint64_t seed = first_ho_seed_failing(
      1, 300,
      [](SimConfig& c) {
        c.core.bugs.weak_read_ignores_deps = true;
        c.session.cache_capacity = 0;
      },
      [](const SimResult& x) { return x.sessions; }, &r);
  REQUIRE(seed != 0);
  CHECK(r.failure().rfind("session guarantees violation: ", 0) == 0);
  SimConfig c = sweep_config(seed, Protocol::kCurpHo);
  c.session.cache_capacity = 0;
  const SimResult good = Simulator(c).run();
  CHECK_MESSAGE(good.ok(), good.failure());
}

// Seeds where the CURP-HO sweep found a protocol bug, kept as regressions,
// at the size the sweep had when it found them:
// 69 (4000 ops): a weak read answered as if its own settled write was
//   executed at a lagging replica (read-your-writes; fixed in session_ho.cc,
//   need_version);
// 1020, 1259 (3000 ops, found beyond the CI sweep's 300): a former leader
//   never marked the weak entries it had appended itself as ordered in its
//   pool, so as a follower it reported them unordered in ORDERED notes
//   (dep_check_failures > 0 with a correct leader; fixed in protocol_ho.cc).
TEST_CASE("sim: curpho regression seeds") {
  const std::pair<uint64_t, uint64_t> cases[] = {{69, 4'000}, {1020, 3'000}, {1259, 3'000}};
  for (const auto& one : cases) {
    const uint64_t seed = one.first;  // a plain variable: doctest's macros capture it
    SimConfig c = sweep_config(seed, Protocol::kCurpHo);
    c.ops = one.second;
    const SimResult r = Simulator(c).run();
    CHECK_MESSAGE(r.ok(), "seed ", seed, ": ", r.failure());
    CHECK_MESSAGE(r.stats.dep_check_failures == 0, "seed ", seed);
  }
}
