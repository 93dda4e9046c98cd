// Unit tests of the client SessionCore: fast/slow strong paths, weak ops,
// cache merge, min_index, retries, timeouts, ignored replies.
#include "replica/client/session_core.h"

#include <doctest/doctest.h>

namespace {

using namespace hd;
using namespace hd::client;
using core::LogIndex;
using core::ReplicaId;

SessionConfig cfg() {
  SessionConfig c;
  c.id = core::ClientId{7};
  c.replica_count = 3;
  c.leader = ReplicaId{0};
  c.nearest = ReplicaId{2};
  c.retry_after_us = 100;
  c.op_timeout_us = 1000;
  return c;
}

core::ProposeReply witness_ok(uint32_t from, SeqNo seq, bool ok = true) {
  core::ProposeReply r;
  r.from = ReplicaId{from};
  r.client = core::ClientId{7};
  r.seq = seq;
  r.ok = ok;
  return r;
}

core::ProposeReply leader_reply(SeqNo seq, uint64_t slot, core::Value v = {},
                                uint64_t version = 0) {
  core::ProposeReply r = witness_ok(0, seq);
  r.from_leader = true;
  r.slot = LogIndex{slot};
  r.value = std::move(v);
  r.version = LogIndex{version == 0 ? slot : version};
  return r;
}

}  // namespace

TEST_CASE("session: strong write completes on the fast path with 3 of 3") {
  SessionCore s(cfg());
  const SeqNo seq = s.submit(10, OpClass::kStrongWrite, 5, "v1");
  auto out = s.take_outgoing();
  REQUIRE(out.size() == 3);
  for (uint32_t r = 0; r < 3; ++r) {
    CHECK(out[r].to == core::Destination::replica(ReplicaId{r}));
    const auto& p = std::get<core::Propose>(out[r].msg);
    CHECK(p.seq == seq);
    CHECK(p.acked_below == seq);
    CHECK(p.cmd.kind == core::OpKind::kPut);
    CHECK(p.cmd.value == "v1");
  }
  s.step(20, leader_reply(seq, 4));
  s.step(21, witness_ok(1, seq));
  CHECK(s.take_completions().empty());
  s.step(22, witness_ok(2, seq));
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].path == Path::kFast);
  CHECK(done[0].outcome == Outcome::kOk);
  CHECK(done[0].version == LogIndex{4});
  CHECK(done[0].completed_us == 22);
  CHECK(s.gauges().min_index == LogIndex{4});
  CHECK(s.gauges().in_flight == 0);
  // A late StrongCommit for a completed op is ignored.
  s.step(30, core::StrongCommit{core::ClientId{7}, seq, LogIndex{4}, {}, LogIndex{4}});
  CHECK(s.take_completions().empty());
}

TEST_CASE("session: witness conflict forces the slow path") {
  SessionCore s(cfg());
  const SeqNo seq = s.submit(0, OpClass::kStrongRead, 1);
  s.take_outgoing();
  s.step(1, leader_reply(seq, 9, "x", 3));
  s.step(2, witness_ok(1, seq, false));
  s.step(3, witness_ok(2, seq));
  CHECK(s.take_completions().empty());
  s.step(4, core::StrongCommit{core::ClientId{7}, seq, LogIndex{9}, "x", LogIndex{3}});
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].path == Path::kSlow);
  CHECK(done[0].value == "x");
  CHECK(done[0].version == LogIndex{3});
}

TEST_CASE("session: StrongCommit before the fast decision completes slow") {
  SessionCore s(cfg());
  const SeqNo seq = s.submit(0, OpClass::kStrongWrite, 1, "a");
  s.step(1, witness_ok(1, seq));
  s.step(2, core::StrongCommit{core::ClientId{7}, seq, LogIndex{2}, {}, LogIndex{2}});
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].path == Path::kSlow);
  CHECK(done[0].version == LogIndex{2});
  // The leader's late reply and the last OK are ignored.
  s.step(3, leader_reply(seq, 2));
  s.step(4, witness_ok(2, seq));
  CHECK(s.take_completions().empty());
}

TEST_CASE("session: witness OKs without the leader's reply are not enough") {
  SessionCore s(cfg());
  const SeqNo seq = s.submit(0, OpClass::kStrongWrite, 1, "a");
  s.step(1, witness_ok(1, seq));
  s.step(2, witness_ok(2, seq));
  // A witness claiming to be the leader is ignored.
  core::ProposeReply fake = leader_reply(seq, 3);
  fake.from = ReplicaId{1};
  s.step(3, fake);
  CHECK(s.take_completions().empty());
  s.step(4, leader_reply(seq, 3));
  CHECK(s.take_completions().size() == 1);
}

TEST_CASE("session: super-quorum for five replicas is four including the leader") {
  SessionConfig c = cfg();
  c.replica_count = 5;
  SessionCore s(c);
  const SeqNo seq = s.submit(0, OpClass::kStrongWrite, 1, "a");
  CHECK(s.take_outgoing().size() == 5);
  s.step(1, leader_reply(seq, 1));
  s.step(2, witness_ok(1, seq));
  s.step(3, witness_ok(2, seq, false));
  s.step(4, witness_ok(3, seq));
  CHECK(s.take_completions().empty());  // 3 of 5 is a majority, not a super-quorum
  s.step(5, witness_ok(4, seq));
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].path == Path::kFast);
}

TEST_CASE("session: weak write, then weak read merges with the cache") {
  SessionCore s(cfg());
  const SeqNo w = s.submit(0, OpClass::kWeakWrite, 3, "mine");
  auto out = s.take_outgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].to == core::Destination::replica(ReplicaId{0}));
  CHECK(std::get<core::WeakWrite>(out[0].msg).value == "mine");
  s.step(5, core::WeakWriteReply{core::ClientId{7}, w, LogIndex{12}});
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].version == LogIndex{12});
  CHECK(s.gauges().cache_entries == 1);

  const SeqNo r = s.submit(6, OpClass::kWeakRead, 3);
  out = s.take_outgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].to == core::Destination::replica(ReplicaId{2}));
  CHECK(std::get<core::WeakRead>(out[0].msg).min_index == LogIndex{12});
  // A lagging replica answers an older version: the cache wins.
  s.step(7, core::WeakReadReply{ReplicaId{2}, core::ClientId{7}, r, "old", LogIndex{4}});
  done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].value == "mine");
  CHECK(done[0].version == LogIndex{12});

  // A newer version from the replica wins and updates the cache.
  const SeqNo r2 = s.submit(8, OpClass::kWeakRead, 3);
  s.step(9, core::WeakReadReply{ReplicaId{2}, core::ClientId{7}, r2, "new", LogIndex{20}});
  done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].value == "new");
  CHECK(s.gauges().min_index == LogIndex{20});
}

TEST_CASE("session: retries resend with the same seq, then time out") {
  SessionCore s(cfg());
  const SeqNo seq = s.submit(0, OpClass::kStrongWrite, 1, "a");
  s.take_outgoing();
  s.tick(50);
  CHECK(s.take_outgoing().empty());
  s.tick(100);
  auto out = s.take_outgoing();
  REQUIRE(out.size() == 3);
  CHECK(std::get<core::Propose>(out[0].msg).seq == seq);
  s.tick(1000);
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].outcome == Outcome::kTimeout);
  CHECK(done[0].retries >= 1);
  // Replies after the timeout are ignored.
  s.step(1001, leader_reply(seq, 1));
  s.step(1001, witness_ok(1, seq));
  s.step(1001, witness_ok(2, seq));
  CHECK(s.take_completions().empty());
}

TEST_CASE("session: acked_below is the lowest seq still in flight") {
  SessionCore s(cfg());
  const SeqNo a = s.submit(0, OpClass::kWeakWrite, 1, "a");
  const SeqNo b = s.submit(0, OpClass::kWeakWrite, 2, "b");
  s.step(1, core::WeakWriteReply{core::ClientId{7}, b, LogIndex{1}});
  s.take_outgoing();
  const SeqNo c = s.submit(2, OpClass::kWeakWrite, 3, "c");
  auto out = s.take_outgoing();
  CHECK(std::get<core::WeakWrite>(out[0].msg).acked_below == a);
  s.step(3, core::WeakWriteReply{core::ClientId{7}, a, LogIndex{2}});
  s.submit(4, OpClass::kWeakWrite, 3, "d");
  out = s.take_outgoing();
  CHECK(std::get<core::WeakWrite>(out[0].msg).acked_below == c);
  // Unknown seqs and other clients' replies are ignored.
  s.step(5, core::WeakWriteReply{core::ClientId{7}, SeqNo{99}, LogIndex{3}});
  s.step(5, core::WeakWriteReply{core::ClientId{8}, c, LogIndex{3}});
  CHECK(s.take_completions().size() == 2);  // a and b only
}

TEST_CASE("session: the cache is bounded unless the plant disables eviction") {
  SessionConfig c = cfg();
  c.cache_capacity = 2;
  for (bool never_evict : {false, true}) {
    c.never_evict_cache = never_evict;
    SessionCore s(c);
    for (uint64_t k = 0; k < 5; ++k) {
      const SeqNo seq = s.submit(0, OpClass::kWeakWrite, k, "v");
      s.step(1, core::WeakWriteReply{core::ClientId{7}, seq, LogIndex{k + 1}});
    }
    CHECK(s.gauges().cache_entries == (never_evict ? 5u : 2u));
    CHECK(s.gauges().min_index == LogIndex{5});
  }
}
