// CURP-HO replica (replica/core/protocol_ho.cc, docs/protocol-curpho.md §2-3)
// through three cores wired by the unit/core/core_harness.h router: the
// causal barrier, the weak-write chain, the bound replica's ack, the
// witness pool's answers and ORDERED notes, weak reads waiting for the
// session's write, Sync, and a new leader ordering its own pool's writes.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "replica/core/replica_core.h"
#include "unit/replica/core/core_harness.h"

namespace hd::core {
namespace {

using test::Cluster;

constexpr ClientId kC{101};
constexpr ClientId kOther{202};

CoreConfig ho_config() {
  CoreConfig c;
  c.leader = ReplicaId{0};
  c.protocol = Protocol::kCurpHo;
  return c;
}

CausalWrite weak(ClientId c, uint64_t seq, Key key, Value v, uint64_t dep, uint32_t bound = 0) {
  return CausalWrite{c, SeqNo{seq}, SeqNo{1}, key, std::move(v), SeqNo{dep}, ReplicaId{bound}};
}

HoPropose strong_put(ClientId c, uint64_t seq, Key key, Value v, uint64_t dep) {
  return HoPropose{c, SeqNo{seq}, SeqNo{1}, Command{OpKind::kPut, key, std::move(v)}, SeqNo{dep}};
}

HoPropose strong_get(ClientId c, uint64_t seq, Key key, uint64_t dep = 0) {
  return HoPropose{c, SeqNo{seq}, SeqNo{1}, Command{OpKind::kGet, key, {}}, SeqNo{dep}};
}

void send_all(Cluster& cl, const Message& m) {
  for (uint32_t i = 0; i < 3; ++i) cl.client_send(i, m);
}

// Settles everything: replication, commit at the followers, execution.
void settle(Cluster& cl) {
  cl.run();
  cl.tick(ho_config().heartbeat_interval_us);
  cl.tick(ho_config().heartbeat_interval_us);
}

template <typename Pred>
bool tick_until(Cluster& cl, TimeUs limit_us, Pred pred) {
  for (TimeUs t = 0; t < limit_us; t += 10'000) {
    if (pred()) return true;
    cl.tick(10'000);
  }
  return pred();
}

LogIndex settled_slot(Cluster& cl, ClientId c, uint64_t seq) {
  LogIndex slot;
  for (const WeakWriteReply& r : cl.take<WeakWriteReply>(c)) {
    if (r.seq != SeqNo{seq}) continue;
    CHECK((slot == LogIndex{0} || slot == r.slot));  // every settle names one slot
    slot = r.slot;
  }
  return slot;
}

TEST_CASE("curp-ho: the bound replica acks a weak write at once; the leader settles it") {
  Cluster cl(ho_config());
  send_all(cl, weak(kC, 1, 7, "w", 0, /*bound=*/1));
  // Before any replication: exactly the bound replica answered.
  auto acks = cl.take<CausalWriteAck>(kC);
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].from == ReplicaId{1});
  CHECK(acks[0].seq == SeqNo{1});
  CHECK(acks[0].leader == ReplicaId{0});
  CHECK(cl.take<WeakWriteReply>(kC).empty());
  // Every replica holds it in its pool until it executes it.
  for (uint32_t i = 0; i < 3; ++i) CHECK(cl.core(i).gauges().witness_entries == 1);
  // A retry is acked again (the first ack may have been lost), not re-ordered.
  send_all(cl, weak(kC, 1, 7, "w", 0, 1));
  CHECK(cl.take<CausalWriteAck>(kC).size() == 1);
  settle(cl);
  const LogIndex slot = settled_slot(cl, kC, 1);
  CHECK(slot == LogIndex{1});
  for (uint32_t i = 0; i < 3; ++i) {
    CHECK(cl.core(i).read_executed(7).value == "w");
    CHECK(cl.core(i).read_executed(7).version == slot);
    CHECK(cl.core(i).gauges().witness_entries == 0);
  }
  CHECK(cl.leader().counters().weak_writes == 1);
}

TEST_CASE("curp-ho: W2 is ordered after W1 when the leader receives them reversed") {
  Cluster cl(ho_config());
  send_all(cl, weak(kC, 2, 8, "w2", /*dep=*/1));
  cl.run();
  CHECK(cl.leader().gauges().last_index == LogIndex{0});  // W2 waits in the gate
  CHECK(cl.leader().gauges().pending_requests == 1);
  send_all(cl, weak(kC, 2, 8, "w2", 1));  // a retry of a gated write changes nothing
  CHECK(cl.leader().gauges().pending_requests == 1);
  send_all(cl, weak(kC, 1, 7, "w1", 0));
  settle(cl);
  std::vector<WeakWriteReply> replies = cl.take<WeakWriteReply>(kC);
  REQUIRE(replies.size() == 2);
  std::sort(replies.begin(), replies.end(),
            [](const WeakWriteReply& a, const WeakWriteReply& b) { return a.seq < b.seq; });
  CHECK(replies[0].slot == LogIndex{1});
  CHECK(replies[1].slot == LogIndex{2});
  CHECK(cl.leader().gauges().pending_requests == 0);
  for (uint32_t i = 0; i < 3; ++i) CHECK(cl.core(i).read_executed(8).value == "w2");
}

TEST_CASE("curp-ho: the causal barrier orders a strong op after the session's weak write") {
  Cluster cl(ho_config());
  // The strong op (dep = weak write 1) reaches every replica first.
  send_all(cl, strong_put(kC, 2, 9, "s", /*dep=*/1));
  cl.run();
  for (const ProposeReply& r : cl.take<ProposeReply>(kC)) CHECK_FALSE(r.from_leader);
  // Witnesses answered with RecordAcks (TRUE), the leader with nothing yet.
  auto witness = cl.take<RecordAck>(kC);
  REQUIRE(witness.size() == 2);
  for (const RecordAck& r : witness) {
    CHECK(r.ok);
    CHECK(r.slot == LogIndex{0});
  }
  CHECK(cl.leader().gauges().last_index == LogIndex{0});
  // Another session is not held back.
  send_all(cl, strong_put(kOther, 1, 5, "x", 0));
  CHECK(cl.leader().gauges().last_index == LogIndex{1});
  send_all(cl, weak(kC, 1, 7, "w", 0));
  settle(cl);
  const LogIndex w_slot = settled_slot(cl, kC, 1);
  LogIndex s_slot;
  for (const ProposeReply& r : cl.take<ProposeReply>(kC)) {
    if (r.from_leader && r.seq == SeqNo{2}) s_slot = r.slot;
  }
  CHECK(w_slot == LogIndex{2});
  CHECK(s_slot == LogIndex{3});  // after the weak write
  // The followers' ORDERED notes for the strong op carry no causal deps:
  // they appended the weak write before it.
  int ordered = 0;
  for (const RecordAck& r : cl.take<RecordAck>(kC)) {
    if (r.slot == LogIndex{0}) continue;
    ++ordered;
    CHECK(r.slot == s_slot);
    CHECK(r.causal_deps.empty());
  }
  CHECK(ordered == 2);
  auto commits = cl.take<StrongCommit>(kC);
  REQUIRE(commits.size() == 1);
  CHECK(commits[0].slot == s_slot);
}

TEST_CASE("curp-ho: an ORDERED note names the session's weak writes the follower holds unordered") {
  Cluster cl(ho_config());
  // Weak write 1 reaches follower 1 only; the strong op (no dep: as if the
  // session had not sent it) is ordered by the leader without it.
  cl.client_send(1, weak(kC, 1, 7, "w", 0, 1));
  cl.take<CausalWriteAck>(kC);
  send_all(cl, strong_put(kC, 2, 9, "s", 0));
  cl.run();
  std::vector<SeqNo> deps_1;
  bool from_2 = false;
  for (const RecordAck& r : cl.take<RecordAck>(kC)) {
    if (r.slot == LogIndex{0}) continue;
    if (r.from == ReplicaId{1}) deps_1 = r.causal_deps;
    if (r.from == ReplicaId{2}) from_2 = r.causal_deps.empty();
  }
  CHECK(deps_1 == std::vector<SeqNo>{SeqNo{1}});
  CHECK(from_2);
}

// The ORDERED note's ok says the follower witnessed the op TRUE, from the
// leader's copy if the client's proposal has not reached it: the fast path
// then does not hang on which message arrives first. A conflicting strong op
// held there makes it FALSE, as the witness answer would be.
TEST_CASE("curp-ho: an ORDERED note says whether the follower witnessed the op") {
  Cluster cl(ho_config());
  // Another session's strong write to key 9, held by follower 1 only.
  cl.client_send(1, strong_put(kOther, 1, 9, "o", 0));
  cl.take<RecordAck>(kOther);
  // The session's strong write reaches the leader only.
  cl.client_send(0, strong_put(kC, 1, 9, "s", 0));
  cl.run();
  bool ok_1 = true;
  bool ok_2 = false;
  for (const RecordAck& r : cl.take<RecordAck>(kC)) {
    REQUIRE(r.slot != LogIndex{0});  // no proposal reached a follower
    if (r.from == ReplicaId{1}) ok_1 = r.ok;
    if (r.from == ReplicaId{2}) ok_2 = r.ok;
  }
  CHECK_FALSE(ok_1);  // conflicts with kOther's pending write
  CHECK(ok_2);
  // The late proposal finds the op held at follower 2: TRUE, not recorded twice.
  cl.client_send(2, strong_put(kC, 1, 9, "s", 0));
  auto late = cl.take<RecordAck>(kC);
  REQUIRE(late.size() == 1);
  CHECK(late[0].ok);
  CHECK(late[0].slot == LogIndex{0});
}

// A strong Get's ORDERED note carries the follower's read dependency, as its
// witness answer would, so the session can count the note as that
// follower's TRUE whichever of the two arrives first.
TEST_CASE("curp-ho: an ORDERED note of a strong read carries the follower's read dependency") {
  Cluster cl(ho_config());
  // Another session's weak write to key 9 reaches follower 1 only: it stays
  // pending (unordered) there.
  cl.client_send(1, weak(kOther, 1, 9, "w", 0, /*bound=*/1));
  cl.clear_inbox();
  // The session's strong Get reaches the leader only; the followers witness
  // it from the leader's copy when they append it.
  cl.client_send(0, strong_get(kC, 1, 9));
  cl.run();
  int notes = 0;
  for (const RecordAck& r : cl.take<RecordAck>(kC)) {
    REQUIRE(r.slot != LogIndex{0});
    CHECK(r.ok);
    ++notes;
    if (r.from == ReplicaId{1}) {
      CHECK(r.read_dep_client == kOther);
      CHECK(r.read_dep_seq == SeqNo{1});
    } else {
      CHECK(r.read_dep_seq == SeqNo{0});
    }
  }
  CHECK(notes == 2);
  // A write's ORDERED note never carries one.
  cl.client_send(0, strong_put(kC, 2, 9, "s", 0));
  cl.run();
  for (const RecordAck& r : cl.take<RecordAck>(kC)) CHECK(r.read_dep_seq == SeqNo{0});
}

TEST_CASE("curp-ho: witnesses refuse a strong op hidden behind a later weak write") {
  Cluster cl(ho_config());
  cl.set_down(0, true);  // nothing gets ordered: the pools keep everything
  send_all(cl, strong_put(kC, 1, 4, "s", 0));
  send_all(cl, weak(kOther, 1, 4, "w", 0));
  cl.clear_inbox();
  send_all(cl, strong_get(kC, 2, 4));
  auto acks = cl.take<RecordAck>(kC);
  REQUIRE(acks.size() == 2);
  for (const RecordAck& r : acks) CHECK_FALSE(r.ok);
  // A Get on a key with only a pending weak write: TRUE with its read_dep.
  send_all(cl, weak(kOther, 2, 5, "w5", 0));
  cl.clear_inbox();
  send_all(cl, strong_get(kC, 3, 5));
  acks = cl.take<RecordAck>(kC);
  REQUIRE(acks.size() == 2);
  for (const RecordAck& r : acks) {
    CHECK(r.ok);
    CHECK(r.read_dep_client == kOther);
    CHECK(r.read_dep_seq == SeqNo{2});
  }
}

TEST_CASE("curp-ho: a weak read waits for the session's write it depends on") {
  Cluster cl(ho_config());
  // Replica 2 has not executed weak write 1 yet: the read parks.
  send_all(cl, weak(kC, 1, 7, "mine", 0));
  cl.client_send(2, CausalRead{kC, SeqNo{2}, 7, LogIndex{0}, SeqNo{1}});
  CHECK(cl.take<WeakReadReply>(kC).empty());
  // Without the dependency the same read is answered at once (nothing yet).
  cl.client_send(2, CausalRead{kC, SeqNo{3}, 7, LogIndex{0}, SeqNo{0}});
  auto now = cl.take<WeakReadReply>(kC);
  REQUIRE(now.size() == 1);
  CHECK(now[0].version == LogIndex{0});
  settle(cl);
  auto later = cl.take<WeakReadReply>(kC);
  REQUIRE(later.size() == 1);
  CHECK(later[0].seq == SeqNo{2});
  CHECK(later[0].value == "mine");
  CHECK(later[0].version == LogIndex{1});
}

TEST_CASE("curp-ho: Sync is answered from the saved reply once the bound replica executed it") {
  Cluster cl(ho_config());
  cl.client_send(0, strong_put(kC, 1, 3, "v", 0));  // only the leader gets it
  cl.client_send(1, Sync{kC, SeqNo{1}});            // parked: not executed there yet
  CHECK(cl.take<StrongCommit>(kC).empty());
  CHECK(cl.core(1).gauges().pending_requests == 1);
  settle(cl);
  auto commits = cl.take<StrongCommit>(kC);
  REQUIRE(commits.size() == 2);  // the leader's, and replica 1's answer to the Sync
  CHECK(commits[0].slot == commits[1].slot);
  CHECK(cl.core(1).gauges().pending_requests == 0);
  cl.client_send(2, Sync{kC, SeqNo{1}});  // executed there: answered at once
  CHECK(cl.take<StrongCommit>(kC).size() == 1);
}

TEST_CASE("curp-ho: a new leader orders the weak writes of its own pool, once") {
  Cluster cl(ho_config());
  cl.tick(ho_config().heartbeat_interval_us);
  // The old leader never receives the acked weak write (bound = 1).
  cl.client_send(1, weak(kC, 1, 7, "kept", 0, 1));
  cl.client_send(2, weak(kC, 1, 7, "kept", 0, 1));
  REQUIRE(cl.take<CausalWriteAck>(kC).size() == 1);
  cl.set_down(0, true);
  REQUIRE(tick_until(cl, 2'000'000, [&] { return cl.leader_index() != 0; }));
  settle(cl);
  const uint32_t next = cl.leader_index();
  const uint32_t other = next == 1 ? 2 : 1;
  const LogIndex slot = settled_slot(cl, kC, 1);
  CHECK(slot == LogIndex{2});  // after the new term's no-op
  CHECK(cl.core(next).read_executed(7).value == "kept");
  CHECK(cl.core(other).read_executed(7).value == "kept");
  CHECK(cl.core(next).counters().weak_writes == 1);
  // The client's retry (it was never settled for it) is not ordered again:
  // the leader answers from the saved reply.
  const uint64_t executed = cl.core(next).counters().executed;
  send_all(cl, weak(kC, 1, 7, "kept", 0, 1));
  settle(cl);
  CHECK(settled_slot(cl, kC, 1) == slot);
  CHECK(cl.core(next).counters().executed == executed);
  CHECK(cl.core(next).counters().weak_writes == 1);
  CHECK(cl.core(next).gauges().last_index == LogIndex{2});
}

TEST_CASE("curp-ho: a new leader re-orders a pool chain in order, behind its dependency") {
  Cluster cl(ho_config());
  cl.tick(ho_config().heartbeat_interval_us);
  // W1 and W2 (dep W1) reach only the followers, W2 first.
  for (uint32_t i : {1u, 2u}) cl.client_send(i, weak(kC, 2, 8, "w2", 1, 1));
  for (uint32_t i : {1u, 2u}) cl.client_send(i, weak(kC, 1, 7, "w1", 0, 1));
  cl.set_down(0, true);
  REQUIRE(tick_until(cl, 2'000'000, [&] { return cl.leader_index() != 0; }));
  settle(cl);
  std::vector<WeakWriteReply> replies = cl.take<WeakWriteReply>(kC);
  REQUIRE(replies.size() == 2);
  std::sort(replies.begin(), replies.end(),
            [](const WeakWriteReply& a, const WeakWriteReply& b) { return a.seq < b.seq; });
  CHECK(replies[0].slot < replies[1].slot);
}

TEST_CASE("curp-ho: an op whose dependency is not an earlier seq is dropped, not gated") {
  Cluster cl(ho_config());
  send_all(cl, weak(kC, 3, 7, "w", /*dep=*/3));
  send_all(cl, strong_put(kC, 4, 7, "s", /*dep=*/9));
  settle(cl);
  for (uint32_t i = 0; i < 3; ++i) {
    CHECK(cl.core(i).counters().malformed_dropped == 2);
    CHECK(cl.core(i).gauges().pending_requests == 0);
    CHECK(cl.core(i).gauges().witness_entries == 0);
  }
  CHECK(cl.take<CausalWriteAck>(kC).empty());
  CHECK(cl.leader().gauges().last_index == LogIndex{0});
}

TEST_CASE("curp-ho: replicas drop CURP-HT client requests and count them") {
  Cluster cl(ho_config());
  send_all(cl, test::put(101, 1, 7, "ht"));
  send_all(cl, Message{WeakWrite{kC, SeqNo{2}, SeqNo{1}, 7, "ht"}});
  settle(cl);
  for (uint32_t i = 0; i < 3; ++i) {
    CHECK(cl.core(i).counters().foreign_protocol_dropped == 2);
    CHECK(cl.core(i).gauges().last_index == LogIndex{0});  // nothing appended
  }
}

}  // namespace
}  // namespace hd::core
