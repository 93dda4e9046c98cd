// Unit tests of the client SessionCore: fast/slow strong paths, weak ops,
// cache merge, min_index, retries, timeouts, ignored replies.
#include "replica/client/session_core.h"

#include <doctest/doctest.h>

#include "replica/core/seq_window.h"

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

core::ProposeReply witness_ok(uint32_t from, SeqNo seq, bool ok = true, uint64_t term = 1) {
  core::ProposeReply r;
  r.from = ReplicaId{from};
  r.client = core::ClientId{7};
  r.seq = seq;
  r.ok = ok;
  r.term = core::Term{term};
  r.leader = ReplicaId{0};
  return r;
}

// A follower appended the op's entry at `slot` from the leader of `term`.
core::ProposeReply held(uint32_t from, SeqNo seq, uint64_t slot, uint64_t term = 1) {
  core::ProposeReply r = witness_ok(from, seq, true, term);
  r.slot = LogIndex{slot};
  return r;
}

core::ProposeReply leader_reply(SeqNo seq, uint64_t slot, core::Value v = {}, uint64_t version = 0,
                                uint32_t from = 0, uint64_t term = 1) {
  core::ProposeReply r = witness_ok(from, seq, true, term);
  r.from_leader = true;
  r.leader = ReplicaId{from};
  r.slot = LogIndex{slot};
  r.value = std::move(v);
  r.version = LogIndex{version == 0 ? slot : version};
  return r;
}

}  // namespace

TEST_CASE("session: strong write is fast once a majority holds its entry at the leader's slot") {
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
  s.step(21, witness_ok(2, seq));
  CHECK(s.take_completions().empty());  // witness OKs alone do not fix the slot
  s.step(22, held(2, seq, 3));          // another slot: not this entry
  s.step(22, held(1, seq, 4, 2));       // another term: not this entry
  CHECK(s.take_completions().empty());
  s.step(23, held(1, seq, 4));
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].path == Path::kFast);
  CHECK(done[0].outcome == Outcome::kOk);
  CHECK(done[0].version == LogIndex{4});
  CHECK(done[0].completed_us == 23);
  CHECK(s.gauges().min_index == LogIndex{4});
  CHECK(s.gauges().in_flight == 0);
  // A late StrongCommit for a completed op is ignored.
  s.step(30, core::StrongCommit{core::ClientId{7}, seq, LogIndex{4}, {}, LogIndex{4}});
  CHECK(s.take_completions().empty());
}

TEST_CASE("session: a held entry counts only with that replica's witness OK") {
  SessionCore s(cfg());
  const SeqNo seq = s.submit(0, OpClass::kStrongWrite, 5, "v1");
  s.take_outgoing();
  s.step(1, held(1, seq, 4));
  s.step(2, leader_reply(seq, 4));
  s.step(3, witness_ok(1, seq, false));  // conflict at replica 1
  s.step(4, witness_ok(2, seq));
  CHECK(s.take_completions().empty());
  s.step(5, held(2, seq, 4));
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].path == Path::kFast);
}

TEST_CASE("session: strong read is fast with a witness OK in the leader's term") {
  SessionCore s(cfg());
  const SeqNo seq = s.submit(0, OpClass::kStrongRead, 1);
  s.take_outgoing();
  s.step(1, leader_reply(seq, 9, "x", 3));
  s.step(2, witness_ok(1, seq, false));
  s.step(3, witness_ok(2, seq, true, /*term=*/0));  // an older term proves nothing
  CHECK(s.take_completions().empty());
  s.step(4, witness_ok(2, seq));
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].path == Path::kFast);
  CHECK(done[0].value == "x");
  CHECK(done[0].version == LogIndex{3});
}

TEST_CASE("session: witness conflicts force the slow path") {
  SessionCore s(cfg());
  const SeqNo seq = s.submit(0, OpClass::kStrongRead, 1);
  s.take_outgoing();
  s.step(1, leader_reply(seq, 9, "x", 3));
  s.step(2, witness_ok(1, seq, false));
  s.step(3, witness_ok(2, seq, false));
  CHECK(s.take_completions().empty());
  s.step(4, core::StrongCommit{core::ClientId{7}, seq, LogIndex{9}, "x", LogIndex{3}});
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].path == Path::kSlow);
  CHECK(done[0].value == "x");
  CHECK(done[0].version == LogIndex{3});
}

TEST_CASE("session: a leader's withheld OK forces the slow path") {
  SessionCore s(cfg());
  const SeqNo seq = s.submit(0, OpClass::kStrongRead, 1);
  core::ProposeReply r = leader_reply(seq, 9, "x", 3);
  r.ok = false;  // e.g. a pending write on the key
  s.step(1, r);
  s.step(2, witness_ok(1, seq));
  s.step(3, witness_ok(2, seq));
  CHECK(s.take_completions().empty());
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
  // The leader's late reply and the last notes are ignored.
  s.step(3, leader_reply(seq, 2));
  s.step(4, held(1, seq, 2));
  CHECK(s.take_completions().empty());
}

TEST_CASE("session: witness notes without the leader's reply are not enough") {
  SessionCore s(cfg());
  const SeqNo seq = s.submit(0, OpClass::kStrongWrite, 1, "a");
  s.step(1, witness_ok(1, seq));
  s.step(2, witness_ok(2, seq));
  s.step(2, held(1, seq, 3));
  s.step(2, held(2, seq, 3));
  CHECK(s.take_completions().empty());
  s.step(4, leader_reply(seq, 3));
  CHECK(s.take_completions().size() == 1);
}

TEST_CASE("session: the leader of the highest term wins; a deposed one is ignored") {
  SessionCore s(cfg());
  const SeqNo seq = s.submit(0, OpClass::kStrongWrite, 1, "a");
  s.take_outgoing();
  // The new leader (replica 1, term 2) gave the op slot 7.
  s.step(1, leader_reply(seq, 7, {}, 0, /*from=*/1, /*term=*/2));
  // The deposed leader (replica 0, term 1) still answers, with slot 5, and a
  // replica of its term holds slot 5: not enough, the slot is not final.
  s.step(2, leader_reply(seq, 5));
  s.step(3, witness_ok(2, seq, true, 1));
  s.step(3, held(2, seq, 5, 1));
  CHECK(s.take_completions().empty());
  s.step(4, held(2, seq, 7, 2));
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].path == Path::kFast);
  CHECK(done[0].version == LogIndex{7});
  // Weak writes now go to the new leader.
  s.submit(5, OpClass::kWeakWrite, 2, "w");
  auto out = s.take_outgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].to == core::Destination::replica(ReplicaId{1}));
}

TEST_CASE("session: a witness's leader hint of a newer term redirects weak writes") {
  SessionCore s(cfg());
  const SeqNo seq = s.submit(0, OpClass::kStrongRead, 1);
  s.take_outgoing();
  core::ProposeReply hint = witness_ok(1, seq, true, 3);
  hint.leader = ReplicaId{2};
  s.step(1, hint);
  core::ProposeReply stale = witness_ok(0, seq, true, 2);  // an older term: ignored
  stale.leader = ReplicaId{0};
  s.step(1, stale);
  s.submit(2, OpClass::kWeakWrite, 2, "w");
  auto out = s.take_outgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].to == core::Destination::replica(ReplicaId{2}));
}

TEST_CASE("session: an unanswered weak write is retried to every replica, a read to the next") {
  SessionCore s(cfg());
  const SeqNo w = s.submit(0, OpClass::kWeakWrite, 1, "a");
  const SeqNo r = s.submit(0, OpClass::kWeakRead, 1);
  auto out = s.take_outgoing();
  REQUIRE(out.size() == 2);
  s.tick(100);
  out = s.take_outgoing();
  REQUIRE(out.size() == 4);  // the write to 3 replicas, the read to the next one
  for (uint32_t i = 0; i < 3; ++i) {
    CHECK(out[i].to == core::Destination::replica(ReplicaId{i}));
    CHECK(std::get<core::WeakWrite>(out[i].msg).seq == w);
  }
  CHECK(out[3].to == core::Destination::replica(ReplicaId{0}));  // nearest 2, then 0
  CHECK(std::get<core::WeakRead>(out[3].msg).seq == r);
}

TEST_CASE("session: after a read answered elsewhere, weak reads go first to that replica") {
  // The nearest replica (2) has crashed: the first read costs one retry, the
  // next ones go straight to the replica that answered (0).
  SessionCore s(cfg());
  const SeqNo r1 = s.submit(0, OpClass::kWeakRead, 1);
  REQUIRE(s.take_outgoing().at(0).to == core::Destination::replica(ReplicaId{2}));
  s.tick(100);
  auto out = s.take_outgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].to == core::Destination::replica(ReplicaId{0}));
  core::WeakReadReply rep;
  rep.from = ReplicaId{0};
  rep.client = core::ClientId{7};
  rep.seq = r1;
  s.step(100, core::Message{rep});
  REQUIRE(s.take_completions().size() == 1);
  const SeqNo r2 = s.submit(100, OpClass::kWeakRead, 2);
  out = s.take_outgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].to == core::Destination::replica(ReplicaId{0}));
  CHECK(std::get<core::WeakRead>(out[0].msg).seq == r2);
}

TEST_CASE("session: no op goes out 1024 seqs or more past the oldest one in flight") {
  // One strong read stuck (a leader change): newer weak reads keep completing.
  // Replicas keep a 1024-seq window above acked_below; a seq past it would
  // make them count the stuck op as done and ignore its retries for good.
  SessionConfig c = cfg();
  c.op_timeout_us = 1'000'000'000;
  c.retry_after_us = 1'000'000'000;
  SessionCore s(c);
  const SeqNo stuck = s.submit(0, OpClass::kStrongRead, 1);
  CHECK(s.take_outgoing().size() == 3);
  core::WeakReadReply rep;
  rep.from = ReplicaId{2};
  rep.client = core::ClientId{7};
  uint64_t sent = 0;
  for (int i = 0; i < 1100; ++i) {
    const SeqNo seq = s.submit(1, OpClass::kWeakRead, 2);
    auto out = s.take_outgoing();
    if (seq.value() < stuck.value() + core::SeqWindow::kSpan) {
      REQUIRE(out.size() == 1);
      ++sent;
      rep.seq = seq;
      s.step(2, core::Message{rep});
    } else {
      CHECK(out.empty());  // held back
    }
  }
  CHECK(sent == core::SeqWindow::kSpan - 1);
  CHECK(s.gauges().in_flight == 1 + (1100 - sent));
  // The stuck op completes: the held ones go out, in seq order.
  core::StrongCommit done;
  done.client = core::ClientId{7};
  done.seq = stuck;
  done.slot = LogIndex{5};
  s.step(3, core::Message{done});
  const auto out = s.take_outgoing();
  REQUIRE(out.size() == 1100 - sent);
  CHECK(std::get<core::WeakRead>(out.front().msg).seq.value() ==
        stuck.value() + core::SeqWindow::kSpan);
}

TEST_CASE("session: fast path for five replicas is a majority (three) with the leader") {
  SessionConfig c = cfg();
  c.replica_count = 5;
  SessionCore s(c);
  const SeqNo seq = s.submit(0, OpClass::kStrongWrite, 1, "a");
  CHECK(s.take_outgoing().size() == 5);
  s.step(1, leader_reply(seq, 1));
  s.step(2, witness_ok(1, seq));
  s.step(2, held(1, seq, 1));
  s.step(3, witness_ok(2, seq, false));
  s.step(3, held(2, seq, 1));
  CHECK(s.take_completions().empty());  // 2 of 5
  s.step(4, witness_ok(3, seq));
  s.step(5, held(3, seq, 1));
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

TEST_CASE("session: reads of unwritten keys (version 0) leave the cache empty") {
  SessionCore s(cfg());
  for (uint64_t k = 0; k < 50; ++k) {
    const SeqNo weak = s.submit(0, OpClass::kWeakRead, k);
    s.step(1, core::WeakReadReply{ReplicaId{2}, core::ClientId{7}, weak, "", LogIndex{0}});
    const SeqNo strong = s.submit(2, OpClass::kStrongRead, 100 + k);
    core::ProposeReply unwritten = leader_reply(strong, 9);
    unwritten.version = LogIndex{0};  // an unwritten key has no version
    s.step(3, unwritten);
    s.step(3, witness_ok(1, strong));
    s.step(3, witness_ok(2, strong));
  }
  CHECK(s.take_completions().size() == 100);
  CHECK(s.gauges().cache_entries == 0);
  // A written key's answer is still learned, and wins over a lagging replica.
  const SeqNo r = s.submit(4, OpClass::kWeakRead, 5);
  s.step(5, core::WeakReadReply{ReplicaId{2}, core::ClientId{7}, r, "x", LogIndex{30}});
  CHECK(s.gauges().cache_entries == 1);
  const SeqNo r2 = s.submit(6, OpClass::kWeakRead, 5);
  s.step(7, core::WeakReadReply{ReplicaId{2}, core::ClientId{7}, r2, "", LogIndex{0}});
  const auto done = s.take_completions();
  REQUIRE(done.size() == 2);
  CHECK(done[1].value == "x");
  CHECK(done[1].version == LogIndex{30});
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
  s.step(1001, held(1, seq, 1));
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

TEST_CASE("session: a CURP-HT session ignores CURP-HO replies") {
  SessionCore s(cfg());
  const SeqNo w = s.submit(0, OpClass::kWeakWrite, 3, "v");
  const SeqNo r = s.submit(0, OpClass::kStrongRead, 3);
  s.take_outgoing();
  s.step(10, core::Message{core::CausalWriteAck{ReplicaId{0}, core::ClientId{7}, w, core::Term{1},
                                                ReplicaId{0}}});
  core::RecordAck ack{ReplicaId{1}, core::ClientId{7}, r,        true, LogIndex{1}, core::Term{1},
                      ReplicaId{0}, core::ClientId{0}, SeqNo{0}, {}};
  s.step(10, core::Message{ack});
  ack.from = ReplicaId{2};
  s.step(10, core::Message{ack});
  CHECK(s.take_completions().empty());
  CHECK(s.gauges().in_flight == 2);
  // Its own protocol still completes them.
  s.step(20, core::Message{core::WeakWriteReply{core::ClientId{7}, w, LogIndex{1}}});
  const auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].seq == w);
}

TEST_CASE("session: the cache keeps only entries a reply in flight could still lose to") {
  // Every cached version is also the session's min_index, and replicas answer
  // a read only once they applied its min_index: an entry no newer than the
  // min_index of every read of its key in flight can never win a merge
  // (prune_cache). Fails without pruning (5,001 entries) and with pruning
  // that ignores the read in flight (it answers "" at version 0).
  SessionCore s(cfg());
  // A read of key 1 goes out before the session learns anything.
  const SeqNo early = s.submit(0, OpClass::kWeakRead, 1);
  CHECK(std::get<core::WeakRead>(s.take_outgoing()[0].msg).min_index == LogIndex{0});
  uint64_t slot = 0;
  const auto write = [&](uint64_t key) {
    const SeqNo w = s.submit(1, OpClass::kWeakWrite, key, "v" + std::to_string(key));
    s.step(2, core::WeakWriteReply{core::ClientId{7}, w, LogIndex{++slot}});
  };
  write(1);  // key 1 at slot 1: newer than anything the early read may get
  for (uint64_t k = 100; k < 5100; ++k) write(k);
  s.take_outgoing();
  // Pruned: 5,001 keys were written, far below cache_capacity (65,536), and
  // the cache holds no more than about two prune passes' worth of them.
  CHECK(s.gauges().cache_entries < 2 * 1024);
  CHECK(s.gauges().min_index == LogIndex{slot});
  // But key 1's entry was kept for the read in flight: a replica that had
  // applied only its min_index (0) answers version 0, and the cache wins.
  s.take_completions();
  s.step(3, core::WeakReadReply{ReplicaId{2}, core::ClientId{7}, early, "", LogIndex{0}});
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].value == "v1");
  CHECK(done[0].version == LogIndex{1});
  // With no read in flight, the next pass drops it too.
  for (uint64_t k = 10000; k < 13000; ++k) write(k);
  const SeqNo late = s.submit(4, OpClass::kWeakRead, 1);
  CHECK(std::get<core::WeakRead>(s.take_outgoing().back().msg).min_index == LogIndex{slot});
  s.step(5, core::WeakReadReply{ReplicaId{2}, core::ClientId{7}, late, "v1", LogIndex{1}});
  done = s.take_completions();
  REQUIRE(done.size() == 3001);
  CHECK(done.back().value == "v1");
}
