// Unit tests of the simulator's checkers on hand-made histories, including
// histories that must be rejected.
#include "replica/sim/checkers.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "base/rng.h"

namespace {

using namespace hd;
using namespace hd::sim;
using client::OpClass;

HistoryOp op(uint64_t session, OpClass cls, core::Key key, std::string value, uint64_t invoke,
             uint64_t response, uint64_t version = 0) {
  HistoryOp h;
  h.session = session;
  h.op = cls;
  h.key = key;
  h.value = std::move(value);
  h.invoke = invoke;
  h.response = response;
  h.version = version;
  return h;
}
HistoryOp sw(uint64_t s, core::Key k, std::string v, uint64_t i, uint64_t r, uint64_t ver = 0) {
  return op(s, OpClass::kStrongWrite, k, std::move(v), i, r, ver);
}
HistoryOp ww(uint64_t s, core::Key k, std::string v, uint64_t i, uint64_t r, uint64_t ver = 0) {
  return op(s, OpClass::kWeakWrite, k, std::move(v), i, r, ver);
}
HistoryOp sr(uint64_t s, core::Key k, std::string v, uint64_t i, uint64_t r, uint64_t ver = 0) {
  return op(s, OpClass::kStrongRead, k, std::move(v), i, r, ver);
}
HistoryOp wr(uint64_t s, core::Key k, std::string v, uint64_t i, uint64_t r, uint64_t ver = 0) {
  return op(s, OpClass::kWeakRead, k, std::move(v), i, r, ver);
}

bool violation(const CheckResult& r) {
  return r.kind == CheckResult::Kind::kViolation;
}

}  // namespace

TEST_CASE("linearizability: sequential history is accepted") {
  History h = {sw(1, 0, "a", 1, 2), sr(2, 0, "a", 3, 4), ww(1, 0, "b", 5, 6), sr(2, 0, "b", 7, 8)};
  CHECK(check_linearizable(h).ok());
}

TEST_CASE("linearizability: stale read after a completed write is rejected") {
  History h = {sw(1, 0, "a", 1, 2), sw(1, 0, "b", 3, 4), sr(2, 0, "a", 5, 6)};
  const CheckResult r = check_linearizable(h);
  CHECK(violation(r));
  CHECK(r.detail.find("key 0") != std::string::npos);
}

TEST_CASE("linearizability: reading the initial value after a write is rejected") {
  History h = {ww(1, 3, "a", 1, 2), sr(2, 3, "", 3, 4)};
  CHECK(violation(check_linearizable(h)));
}

TEST_CASE("linearizability: concurrent write and reads may go either way") {
  // w(a) spans 1..10; a read sees a, a later read sees the initial value: not
  // allowed once a has been observed (no going back).
  History ok = {sw(1, 0, "a", 1, 10), sr(2, 0, "", 2, 3), sr(3, 0, "a", 4, 5), sr(2, 0, "a", 6, 7)};
  CHECK(check_linearizable(ok).ok());
  History bad = {sw(1, 0, "a", 1, 10), sr(2, 0, "a", 2, 3), sr(3, 0, "", 4, 5)};
  CHECK(violation(check_linearizable(bad)));
}

TEST_CASE("linearizability: unfinished writes may or may not take effect") {
  History took = {sw(1, 0, "a", 1, 2), sw(2, 0, "x", 3, kNever), sr(3, 0, "x", 4, 5)};
  CHECK(check_linearizable(took).ok());
  History did_not = {sw(1, 0, "a", 1, 2), sw(2, 0, "x", 3, kNever), sr(3, 0, "a", 4, 5)};
  CHECK(check_linearizable(did_not).ok());
  // ...but once observed, it cannot be undone.
  History undone = {sw(1, 0, "a", 1, 2), sw(2, 0, "x", 3, kNever), sr(3, 0, "x", 4, 5),
                    sr(3, 0, "a", 6, 7)};
  CHECK(violation(check_linearizable(undone)));
}

TEST_CASE("linearizability: a read of a value never written is rejected") {
  History h = {sw(1, 0, "a", 1, 2), sr(2, 0, "zzz", 3, 4)};
  CHECK(violation(check_linearizable(h)));
}

TEST_CASE("linearizability: keys are independent; weak reads are not checked") {
  History h = {sw(1, 0, "a", 1, 2), sw(1, 1, "b", 3, 4), sr(2, 1, "b", 5, 6), sr(2, 0, "a", 7, 8),
               wr(2, 0, "", 9, 10)};
  CHECK(check_linearizable(h).ok());
}

TEST_CASE("linearizability: write order must be consistent across reads") {
  // Two concurrent writes; one reader sees a then b, another sees b then a.
  History h = {sw(1, 0, "a", 1, 20), sw(2, 0, "b", 2, 21), sr(3, 0, "a", 3, 4),
               sr(3, 0, "b", 5, 6),  sr(4, 0, "b", 7, 8),  sr(4, 0, "a", 9, 10)};
  CHECK(violation(check_linearizable(h)));
  // Same, with the second reader seeing a then b: fine.
  History g = {sw(1, 0, "a", 1, 20), sw(2, 0, "b", 2, 21), sr(3, 0, "a", 3, 4),
               sr(3, 0, "b", 5, 6),  sr(4, 0, "b", 7, 8),  sr(4, 0, "b", 9, 10)};
  CHECK(check_linearizable(g).ok());
}

TEST_CASE("linearizability: a wide concurrent history is checked quickly") {
  // 200 writes, 20 at a time, each followed by a read of its own value.
  History h;
  uint64_t t = 1;
  for (int round = 0; round < 10; ++round) {
    std::vector<size_t> idx;
    for (int i = 0; i < 20; ++i) {
      idx.push_back(h.size());
      h.push_back(sw(static_cast<uint64_t>(i), 0,
                     "r" + std::to_string(round) + "w" + std::to_string(i), t++, 0));
    }
    for (size_t i : idx) h[i].response = t++;
    h.push_back(sr(99, 0, h[idx.back()].value, t, t + 1));
    t += 2;
  }
  const CheckResult r = check_linearizable(h);
  CHECK(r.ok());
  CHECK(r.steps < 100'000);
}

TEST_CASE("linearizability: the step bound yields inconclusive, not a hang") {
  History h = {sw(1, 0, "a", 1, 10), sw(2, 0, "b", 2, 11), sr(3, 0, "b", 3, 12)};
  const CheckResult r = check_linearizable(h, 1, false);
  CHECK(r.kind == CheckResult::Kind::kInconclusive);
  // With the fallback, the zone algorithm decides it.
  const CheckResult z = check_linearizable(h, 1, true);
  CHECK(z.ok());
  CHECK(z.zone_decided == 1);
}

TEST_CASE("session guarantees: read-your-writes") {
  History ok = {ww(1, 0, "a", 1, 2, 5), wr(1, 0, "a", 3, 4, 5)};
  CHECK(check_session_guarantees(ok).ok());
  History bad = {ww(1, 0, "a", 1, 2, 5), wr(1, 0, "", 3, 4, 0)};
  CHECK(violation(check_session_guarantees(bad)));
  // Concurrent with the write: no obligation.
  History concurrent = {ww(1, 0, "a", 1, 4, 5), wr(1, 0, "", 2, 3, 0)};
  CHECK(check_session_guarantees(concurrent).ok());
  // Another session's write: no obligation.
  History other = {ww(2, 0, "a", 1, 2, 5), wr(1, 0, "", 3, 4, 0)};
  CHECK(check_session_guarantees(other).ok());
}

TEST_CASE("session guarantees: monotonic reads") {
  History ok = {wr(1, 0, "a", 1, 2, 5), wr(1, 0, "b", 3, 4, 7), wr(1, 0, "b", 5, 6, 7)};
  CHECK(check_session_guarantees(ok).ok());
  History bad = {wr(1, 0, "b", 1, 2, 7), wr(1, 0, "a", 3, 4, 5)};
  CHECK(violation(check_session_guarantees(bad)));
  // A strong read also counts as an earlier observation.
  History after_strong = {sr(1, 0, "b", 1, 2, 7), wr(1, 0, "a", 3, 4, 5)};
  CHECK(violation(check_session_guarantees(after_strong)));
}

TEST_CASE("value/version consistency") {
  History ok = {sw(1, 0, "a", 1, 2, 3), wr(2, 0, "a", 3, 4, 3), sr(2, 0, "", 5, 6, 0)};
  CHECK(check_value_versions(ok).ok());
  History wrong_version = {sw(1, 0, "a", 1, 2, 3), wr(2, 0, "a", 3, 4, 4)};
  CHECK(violation(check_value_versions(wrong_version)));
  History wrong_value = {sw(1, 0, "a", 1, 2, 3), sw(1, 0, "b", 3, 4, 4), wr(2, 0, "b", 5, 6, 3)};
  CHECK(violation(check_value_versions(wrong_value)));
  History phantom = {wr(2, 0, "ghost", 5, 6, 3)};
  CHECK(violation(check_value_versions(phantom)));
  History shared_slot = {sw(1, 0, "a", 1, 2, 3), sw(1, 1, "b", 3, 4, 3)};
  CHECK(violation(check_value_versions(shared_slot)));
  History other_key = {sw(1, 0, "a", 1, 2, 3), wr(2, 1, "a", 3, 4, 3)};
  CHECK(violation(check_value_versions(other_key)));
}

TEST_CASE("final state: acknowledged writes present and replicas agree") {
  History h = {sw(1, 0, "a", 1, 2, 3), ww(1, 1, "b", 3, 4, 4), sw(1, 0, "c", 5, kNever)};
  auto state = [](uint32_t r, uint64_t v0, std::string val0) {
    ReplicaFinalState s;
    s.replica = r;
    s.entries = {core::KvEntry{0, std::move(val0), core::LogIndex{v0}},
                 core::KvEntry{1, "b", core::LogIndex{4}}};
    return s;
  };
  CHECK(check_final_state(h, {state(0, 3, "a"), state(1, 3, "a")}).ok());
  // The unacknowledged write took effect everywhere: fine.
  CHECK(check_final_state(h, {state(0, 5, "c"), state(1, 5, "c")}).ok());
  CHECK(violation(check_final_state(h, {state(0, 3, "a"), state(1, 2, "old")})));
  CHECK(violation(check_final_state(h, {state(0, 5, "c"), state(1, 3, "a")})));
  CHECK(violation(check_final_state(h, {state(0, 3, "zz")})));
}

TEST_CASE("retention bound") {
  std::vector<RetentionSample> s = {{0, 10, 100, 5}, {1, 20, 90, 50}};
  CHECK(check_retention(s, 100, 50).ok());
  CHECK(violation(check_retention(s, 99, 50)));
  CHECK(violation(check_retention(s, 100, 49)));
}

TEST_CASE("linearizability: the search and the zone algorithm agree on random histories") {
  // Histories are generated from a real register with random linearization
  // points (so they start linearizable), then some reads are perturbed to
  // another written value (so many are not). Both exact checkers must agree.
  hd::Rng rng(2024);
  int violations = 0, linearizable = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    const int n = static_cast<int>(rng.between(2, 10));
    struct Gen {
      uint64_t inv, resp, point;
      bool write, unfinished;
    };
    std::vector<Gen> g;
    for (int i = 0; i < n; ++i) {
      const uint64_t inv = rng.between(1, 40);
      const uint64_t resp = inv + rng.between(1, 15);
      const bool write = rng.below(2) == 0;
      const bool unfinished = write && rng.below(6) == 0;
      // Linearization point strictly inside the interval; an unfinished
      // write may take effect much later, or never (point 0).
      uint64_t point = inv * 2 + 1 + rng.below((resp - inv) * 2 - 1);
      if (unfinished) point = rng.below(3) == 0 ? 0 : inv * 2 + 1 + rng.below(200);
      g.push_back(Gen{inv, resp, point, write, unfinished});
    }
    // Replay in linearization order to get what each read returned.
    std::vector<int> order;
    for (int i = 0; i < n; ++i) {
      if (g[static_cast<size_t>(i)].point != 0) order.push_back(i);
    }
    std::sort(order.begin(), order.end(), [&](int a, int b) {
      return g[static_cast<size_t>(a)].point < g[static_cast<size_t>(b)].point;
    });
    std::vector<std::string> val(static_cast<size_t>(n));
    std::string cur;
    for (int i : order) {
      if (g[static_cast<size_t>(i)].write) {
        cur = "w" + std::to_string(i);
      } else {
        val[static_cast<size_t>(i)] = cur;
      }
    }
    History h;
    for (int i = 0; i < n; ++i) {
      const Gen& x = g[static_cast<size_t>(i)];
      // Distinct positions: invoke at 4*t, response at 4*t+2, tie-broken by i.
      const uint64_t inv = x.inv * 64 + static_cast<uint64_t>(i);
      const uint64_t resp = x.unfinished ? kNever : x.resp * 64 + 32 + static_cast<uint64_t>(i);
      if (x.write) {
        h.push_back(sw(1, 0, "w" + std::to_string(i), inv, resp));
      } else {
        std::string v = val[static_cast<size_t>(i)];
        if (rng.below(4) == 0) {
          const uint64_t j = rng.below(static_cast<uint64_t>(n));
          v = g[j].write ? "w" + std::to_string(j) : std::string{};
        }
        h.push_back(sr(2, 0, v, inv, resp));
      }
    }
    const CheckResult search = check_linearizable(h, 10'000'000, false);
    const CheckResult zones = check_linearizable_zones(h);
    REQUIRE(search.kind != CheckResult::Kind::kInconclusive);
    if (search.ok() != zones.ok()) {
      for (const HistoryOp& o : h) MESSAGE(describe(o));
    }
    REQUIRE(search.ok() == zones.ok());
    (search.ok() ? linearizable : violations)++;
  }
  CHECK(violations > 300);
  CHECK(linearizable > 300);
}

TEST_CASE("execution agreement: same digest per slot passes, a different one is named") {
  ExecutionAgreement a;
  a.observe(0, 1, 11);
  a.observe(1, 1, 11);
  a.observe(2, 2, 22);
  a.observe(0, 2, 22);
  CHECK(a.result().ok());
  CHECK(a.slots_compared() == 2);
  a.observe(1, 2, 23);
  REQUIRE_FALSE(a.result().ok());
  CHECK(a.result().detail.find("slot 2") != std::string::npos);
  CHECK(a.result().detail.find("replicas 2 and 1") != std::string::npos);
}

TEST_CASE("execution agreement: each op executes at one slot, which slot_of gives") {
  ExecutionAgreement a;
  a.observe_op(0, 1, 7, 3);
  a.observe_op(1, 1, 7, 3);
  a.observe_op(0, 0, 0, 4);  // no-ops are not ops
  a.observe_op(1, 0, 0, 9);
  CHECK(a.result().ok());
  CHECK(a.slot_of(1, 7) == 3);
  CHECK(a.slot_of(1, 8) == 0);
  CHECK(a.slot_of(0, 0) == 0);
  a.observe_op(2, 1, 7, 5);
  REQUIRE_FALSE(a.result().ok());
  CHECK(a.result().detail.find("client 1 seq 7 executed at slot 3") != std::string::npos);
  CHECK(a.result().detail.find("executed twice") != std::string::npos);
}

TEST_CASE("write slots: acknowledged writes executed at their version; reads name the slot") {
  auto at = [](HistoryOp h, uint64_t slot) {
    h.slot = slot;
    return h;
  };
  History ok = {at(sw(1, 0, "a", 1, 2, 3), 3), at(ww(1, 0, "b", 3, kNever), 5),
                wr(2, 0, "b", 4, 6, 5), sw(1, 1, "never", 7, kNever)};
  CHECK(check_write_slots(ok).ok());
  History moved = {at(sw(1, 0, "a", 1, 2, 3), 4)};
  CheckResult r = check_write_slots(moved);
  REQUIRE(violation(r));
  CHECK(r.detail.find("acknowledged at version 3 executed at slot 4") != std::string::npos);
  History lost = {sw(1, 0, "a", 1, 2, 3)};
  r = check_write_slots(lost);
  REQUIRE(violation(r));
  CHECK(r.detail.find("never executed") != std::string::npos);
  // A timed-out write's slot is known only from the executions: a read at
  // another version of its value is caught here, not by check_value_versions.
  History misread = {at(ww(1, 0, "b", 3, kNever), 5), wr(2, 0, "b", 4, 6, 4)};
  CHECK(check_value_versions(misread).ok());
  CHECK(violation(check_write_slots(misread)));
}

TEST_CASE("timeouts: justified by leaderless time, a violation with a leader long enough") {
  History h;
  HistoryOp t = sw(1, 0, "a", 1, kNever);
  t.invoke_us = 1'000'000;
  h.push_back(t);
  const std::vector<size_t> timed_out{0};
  // Lifetime [1 s, 6 s). Leader reachable only in short stretches: justified.
  std::vector<Stretch> flaky{{0, 1'200'000}, {2'000'000, 2'900'000}, {5'500'000, 9'000'000}};
  CHECK(check_timeouts(h, timed_out, flaky, 5'000'000, 1'000'000).ok());
  // One stretch of 1 s inside the lifetime: the op was lost.
  std::vector<Stretch> steady{{0, 1'200'000}, {3'000'000, 4'000'000}};
  const CheckResult r = check_timeouts(h, timed_out, steady, 5'000'000, 1'000'000);
  REQUIRE_FALSE(r.ok());
  CHECK(r.detail.find("1000 ms of its 5000 ms") != std::string::npos);
  // A stretch that only ends inside the lifetime counts for its overlap.
  std::vector<Stretch> before{{0, 1'900'000}};
  CHECK(check_timeouts(h, timed_out, before, 5'000'000, 1'000'000).ok());
  // No op timed out: nothing to explain.
  CHECK(check_timeouts(h, {}, steady, 5'000'000, 1'000'000).ok());
}
