// Unit tests of the CURP-HO half of SessionCore (docs/protocol-curpho.md §2):
// unsettled weak writes (ack, settle, retry, acked_below), causal deps, the
// completion rules (fast, slow on ordered acks, read_dep), Sync retry, and
// the cache merge of own unsettled writes with replies.
#include <doctest/doctest.h>

#include "replica/client/session_core.h"

namespace {

using namespace hd;
using namespace hd::client;
using core::ClientId;
using core::LogIndex;
using core::ReplicaId;
using core::Term;

constexpr ClientId kId{7};

SessionConfig cfg() {
  SessionConfig c;
  c.id = kId;
  c.replica_count = 3;
  c.leader = ReplicaId{0};
  c.nearest = ReplicaId{2};
  c.bound = ReplicaId{1};
  c.retry_after_us = 100;
  c.op_timeout_us = 1000;
  c.protocol = core::Protocol::kCurpHo;
  return c;
}

core::CausalWriteAck ack(SeqNo seq, uint32_t from = 1) {
  return core::CausalWriteAck{ReplicaId{from}, kId, seq, Term{1}, ReplicaId{0}};
}

core::WeakWriteReply settle(SeqNo seq, uint64_t slot) {
  return core::WeakWriteReply{kId, seq, LogIndex{slot}};
}

core::ProposeReply leader_reply(SeqNo seq, uint64_t slot, bool ok = true, core::Value v = {},
                                uint64_t version = 0) {
  core::ProposeReply r;
  r.from = ReplicaId{0};
  r.client = kId;
  r.seq = seq;
  r.from_leader = true;
  r.ok = ok;
  r.slot = LogIndex{slot};
  r.value = std::move(v);
  r.version = LogIndex{version == 0 ? slot : version};
  r.term = Term{1};
  r.leader = ReplicaId{0};
  return r;
}

// A follower's witness answer (slot 0) or ORDERED note (slot > 0).
core::RecordAck record(uint32_t from, SeqNo seq, uint64_t slot = 0, bool ok = true,
                       uint64_t read_dep = 0, std::vector<SeqNo> deps = {}) {
  return core::RecordAck{ReplicaId{from},
                         kId,
                         seq,
                         ok,
                         LogIndex{slot},
                         Term{1},
                         ReplicaId{0},
                         ClientId{read_dep == 0 ? 0u : 9u},
                         SeqNo{read_dep},
                         std::move(deps)};
}

core::WeakReadReply read_reply(SeqNo seq, core::Value v, uint64_t version, uint32_t from = 2) {
  return core::WeakReadReply{ReplicaId{from}, kId, seq, std::move(v), LogIndex{version}};
}

template <typename M>
std::vector<M> sent(std::vector<core::Outgoing>& out) {
  std::vector<M> r;
  for (auto& o : out) {
    if (auto* m = std::get_if<M>(&o.msg)) r.push_back(*m);
  }
  return r;
}

}  // namespace

TEST_CASE("session ho: a weak write goes to every replica, completes on the ack, settles later") {
  SessionCore s(cfg());
  const SeqNo w = s.submit(10, OpClass::kWeakWrite, 5, "a");
  auto out = s.take_outgoing();
  REQUIRE(out.size() == 3);
  for (uint32_t r = 0; r < 3; ++r) {
    CHECK(out[r].to == core::Destination::replica(ReplicaId{r}));
    const auto& m = std::get<core::CausalWrite>(out[r].msg);
    CHECK(m.seq == w);
    CHECK(m.bound == ReplicaId{1});
    CHECK(m.causal_dep == SeqNo{0});
  }
  s.step(20, ack(w));
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].outcome == Outcome::kOk);
  CHECK(done[0].version == LogIndex{0});
  CHECK(s.gauges().unsettled == 1);
  CHECK(s.gauges().in_flight == 1);  // still pending: retried until settled
  s.step(21, ack(w));                // a duplicate ack completes nothing twice
  CHECK(s.take_completions().empty());
  CHECK(s.take_settled().empty());
  s.step(30, settle(w, 12));
  CHECK(s.take_completions().empty());
  auto st = s.take_settled();
  REQUIRE(st.size() == 1);
  CHECK(st[0].seq == w);
  CHECK(st[0].slot == LogIndex{12});
  CHECK(s.gauges().unsettled == 0);
  CHECK(s.gauges().in_flight == 0);
  CHECK(s.gauges().min_index == LogIndex{12});
}

TEST_CASE("session ho: a settle before the ack completes the write with its slot") {
  SessionCore s(cfg());
  const SeqNo w = s.submit(10, OpClass::kWeakWrite, 5, "a");
  s.step(30, settle(w, 4));
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].version == LogIndex{4});
  CHECK(s.take_settled().size() == 1);
  s.step(31, ack(w));
  CHECK(s.take_completions().empty());
}

TEST_CASE("session ho: acked_below never passes an unsettled write") {
  SessionCore s(cfg());
  const SeqNo w = s.submit(10, OpClass::kWeakWrite, 5, "a");
  s.step(11, ack(w));
  REQUIRE(s.take_completions().size() == 1);
  // A later strong op completes; acked_below stays at the unsettled write.
  const SeqNo p = s.submit(12, OpClass::kStrongWrite, 6, "b");
  s.take_outgoing();
  s.step(13, leader_reply(p, 3));
  s.step(13, record(1, p, 0));
  s.step(13, record(1, p, 3));
  REQUIRE(s.take_completions().size() == 1);
  const SeqNo r = s.submit(14, OpClass::kWeakRead, 7);
  s.take_outgoing();
  s.step(15, read_reply(r, "", 0));
  REQUIRE(s.take_completions().size() == 1);
  const SeqNo q = s.submit(16, OpClass::kStrongRead, 8);
  auto out = s.take_outgoing();
  auto props = sent<core::HoPropose>(out);
  REQUIRE(!props.empty());
  CHECK(props[0].seq == q);
  CHECK(props[0].acked_below == w);
  // Long past the op timeout, the acked write is retried, not timed out, and
  // still holds acked_below.
  s.tick(5000);
  CHECK(s.gauges().unsettled == 1);
  CHECK(s.gauges().unsettled_over_timeout == 1);
  out = s.take_outgoing();
  auto writes = sent<core::CausalWrite>(out);
  REQUIRE(writes.size() == 3);
  CHECK(writes[0].seq == w);
  CHECK(writes[0].acked_below == w);
  CHECK(writes[0].bound == ReplicaId{1});  // acked: the bound stays
  bool timed_out_write = false;
  for (const Completion& c : s.take_completions()) timed_out_write |= c.seq == w;
  CHECK_FALSE(timed_out_write);
  s.step(5001, settle(w, 2));
  const SeqNo next = s.submit(5002, OpClass::kWeakRead, 7);
  out = s.take_outgoing();
  auto reads = sent<core::CausalRead>(out);
  REQUIRE(reads.size() == 1);
  CHECK(reads[0].seq == next);
}

TEST_CASE("session ho: an un-acked weak write moves its bound on retry and may time out") {
  SessionCore s(cfg());
  const SeqNo w = s.submit(0, OpClass::kWeakWrite, 5, "a");
  s.take_outgoing();
  s.tick(100);
  auto out = s.take_outgoing();
  auto writes = sent<core::CausalWrite>(out);
  REQUIRE(writes.size() == 3);
  CHECK(writes[0].bound == ReplicaId{2});
  s.tick(1000);
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].seq == w);
  CHECK(done[0].outcome == Outcome::kTimeout);
  CHECK(s.gauges().in_flight == 0);
}

TEST_CASE("session ho: causal deps name the latest unsettled earlier weak write") {
  SessionCore s(cfg());
  const SeqNo w1 = s.submit(0, OpClass::kWeakWrite, 5, "a");
  const SeqNo w2 = s.submit(0, OpClass::kWeakWrite, 6, "b");
  auto out = s.take_outgoing();
  auto writes = sent<core::CausalWrite>(out);
  REQUIRE(writes.size() == 6);
  CHECK(writes[0].causal_dep == SeqNo{0});
  CHECK(writes[3].seq == w2);
  CHECK(writes[3].causal_dep == w1);
  const SeqNo p = s.submit(1, OpClass::kStrongRead, 9);
  const SeqNo r5 = s.submit(1, OpClass::kWeakRead, 5);
  const SeqNo r7 = s.submit(1, OpClass::kWeakRead, 7);
  out = s.take_outgoing();
  auto props = sent<core::HoPropose>(out);
  REQUIRE(props.size() == 3);
  CHECK(props[0].seq == p);
  CHECK(props[0].causal_dep == w2);  // any key
  auto reads = sent<core::CausalRead>(out);
  REQUIRE(reads.size() == 2);
  CHECK(reads[0].seq == r5);
  CHECK(reads[0].dep_seq == w1);  // same key only
  CHECK(reads[1].seq == r7);
  CHECK(reads[1].dep_seq == SeqNo{0});
  // Settled writes are no dependency any more.
  s.step(2, settle(w2, 3));
  s.step(2, settle(w1, 2));
  const SeqNo q = s.submit(3, OpClass::kStrongWrite, 9, "c");
  out = s.take_outgoing();
  props = sent<core::HoPropose>(out);
  REQUIRE(props.size() == 3);
  CHECK(props[0].seq == q);
  CHECK(props[0].causal_dep == SeqNo{0});
}

TEST_CASE("session ho: a strong write is fast with TRUE and ORDERED notes from a majority") {
  SessionCore s(cfg());
  const SeqNo p = s.submit(0, OpClass::kStrongWrite, 5, "v");
  s.take_outgoing();
  s.step(1, leader_reply(p, 4));
  s.step(2, record(1, p, 0));
  CHECK(s.take_completions().empty());  // a witness TRUE does not fix the slot
  s.step(3, record(1, p, 3));           // ORDERED at another slot: not this entry
  CHECK(s.take_completions().empty());
  s.step(4, record(1, p, 4));
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].path == Path::kFast);
  CHECK(done[0].version == LogIndex{4});
}

// ORDERED notes alone (no witness TRUE) make a majority with the leader: the
// entry is committed at the leader's slot, so the op completes, as kSlow.
TEST_CASE("session ho: ordered acks complete a strong op on the slow path, leader ok or not") {
  SUBCASE("write, witness FALSE") {
    SessionCore s(cfg());
    const SeqNo p = s.submit(0, OpClass::kStrongWrite, 5, "v");
    s.step(1, leader_reply(p, 7));
    s.step(2, record(1, p, 0, /*ok=*/false));
    s.step(3, record(1, p, 6, /*ok=*/false));  // another slot: not this entry
    CHECK(s.take_completions().empty());
    s.step(4, record(1, p, 7, /*ok=*/false));
    auto done = s.take_completions();
    REQUIRE(done.size() == 1);
    CHECK(done[0].path == Path::kSlow);
    CHECK(done[0].version == LogIndex{7});
  }
  SUBCASE("read, leader not ok: the leader's value at that slot") {
    SessionCore s(cfg());
    const SeqNo p = s.submit(0, OpClass::kStrongRead, 5);
    s.step(1, leader_reply(p, 9, /*ok=*/false, "x", 8));
    s.step(2, record(2, p, 0));
    CHECK(s.take_completions().empty());
    s.step(3, record(2, p, 9));
    auto done = s.take_completions();
    REQUIRE(done.size() == 1);
    CHECK(done[0].path == Path::kSlow);
    CHECK(done[0].value == "x");
    CHECK(done[0].version == LogIndex{8});
  }
}

// The follower's ORDERED note says whether it witnessed the write TRUE: the
// fast path does not depend on the witness answer arriving first.
TEST_CASE("session ho: an ORDERED note with ok makes a write fast without the witness answer") {
  SessionCore s(cfg());
  const SeqNo p = s.submit(0, OpClass::kStrongWrite, 5, "v");
  s.step(1, leader_reply(p, 4));
  s.step(2, record(2, p, 4, /*ok=*/true));
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].path == Path::kFast);
}

// A read's ORDERED note with ok is that follower's TRUE with the read_dep it
// carries: fast without the witness answer when it reports none, not fast
// when it reports one (and check_read_deps is on).
TEST_CASE("session ho: an ORDERED note with ok makes a read fast unless it reports a read_dep") {
  for (uint64_t dep : {0u, 3u}) {
    CAPTURE(dep);
    SessionCore s(cfg());
    const SeqNo p = s.submit(0, OpClass::kStrongRead, 5);
    s.step(1, leader_reply(p, 4, true, "x", 2));
    s.step(2, record(2, p, 4, /*ok=*/true, dep));
    auto done = s.take_completions();
    REQUIRE(done.size() == 1);
    CHECK(done[0].path == (dep == 0 ? Path::kFast : Path::kSlow));
    CHECK(done[0].value == "x");
  }
}

TEST_CASE("session ho: an ORDERED note with causal deps counts for no path") {
  SessionCore s(cfg());
  const SeqNo p = s.submit(0, OpClass::kStrongWrite, 5, "v");
  s.step(1, leader_reply(p, 4));
  s.step(2, record(1, p, 0));
  s.step(3, record(1, p, 4, true, 0, {SeqNo{1}}));
  CHECK(s.take_completions().empty());
  CHECK(s.gauges().dep_check_failures == 1);
  s.step(4, core::StrongCommit{kId, p, LogIndex{4}, {}, LogIndex{4}});
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].path == Path::kSlow);
}

TEST_CASE("session ho: a witness read_dep blocks a fast strong read when checked") {
  for (bool check : {true, false}) {
    CAPTURE(check);
    SessionConfig c = cfg();
    c.check_read_deps = check;
    SessionCore s(c);
    const SeqNo p = s.submit(0, OpClass::kStrongRead, 5);
    s.step(1, leader_reply(p, 4, true, "x", 2));
    s.step(2, record(1, p, 0, true, /*read_dep=*/3));
    auto done = s.take_completions();
    if (check) {
      CHECK(done.empty());
      s.step(3, record(1, p, 4));  // completes on ordered acks instead
      done = s.take_completions();
      REQUIRE(done.size() == 1);
      CHECK(done[0].path == Path::kSlow);
    } else {
      REQUIRE(done.size() == 1);
      CHECK(done[0].path == Path::kFast);
    }
    CHECK(done[0].value == "x");
  }
}

TEST_CASE("session ho: a strong op's retry also syncs with the bound replica") {
  SessionCore s(cfg());
  const SeqNo p = s.submit(0, OpClass::kStrongRead, 5);
  auto out = s.take_outgoing();
  CHECK(sent<core::Sync>(out).empty());
  s.tick(100);
  out = s.take_outgoing();
  CHECK(sent<core::HoPropose>(out).size() == 3);
  REQUIRE(sent<core::Sync>(out).size() == 1);
  CHECK(out.back().to == core::Destination::replica(ReplicaId{1}));
  CHECK(sent<core::Sync>(out)[0].seq == p);
  // The bound replica's StrongCommit completes it.
  s.step(101, core::StrongCommit{kId, p, LogIndex{3}, "z", LogIndex{2}});
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].value == "z");
}

TEST_CASE("session ho: cache merge of an own unsettled write with read replies") {
  SessionCore s(cfg());
  // A read sent before the write: its reply may predate the write, so the
  // own unsettled value answers (version unknown: 0, own_unsettled_seq).
  const SeqNo r1 = s.submit(0, OpClass::kWeakRead, 5);
  const SeqNo w = s.submit(1, OpClass::kWeakWrite, 5, "mine");
  s.step(2, ack(w));
  s.step(3, read_reply(r1, "other", 9));
  auto done = s.take_completions();
  REQUIRE(done.size() == 2);
  CHECK(done[1].seq == r1);
  CHECK(done[1].value == "mine");
  CHECK(done[1].version == LogIndex{0});
  CHECK(done[1].own_unsettled_seq == w);
  // A read sent after the write carries dep_seq = w: the replica executed w,
  // so its reply wins, and the cache takes it.
  s.take_outgoing();
  const SeqNo r2 = s.submit(4, OpClass::kWeakRead, 5);
  auto out = s.take_outgoing();
  auto reads = sent<core::CausalRead>(out);
  REQUIRE(reads.size() == 1);
  CHECK(reads[0].dep_seq == w);
  s.step(5, read_reply(r2, "newer", 11));
  done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].value == "newer");
  CHECK(done[0].version == LogIndex{11});
  CHECK(done[0].own_unsettled_seq == SeqNo{0});
  // w's settle does not overwrite the newer entry; a lagging reply later
  // loses against it.
  s.step(6, settle(w, 10));
  const SeqNo r3 = s.submit(7, OpClass::kWeakRead, 5);
  s.step(8, read_reply(r3, "old", 3));
  done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].value == "newer");
  CHECK(done[0].version == LogIndex{11});
}

TEST_CASE("session ho: a settled own write answers with its slot; a timed-out one never") {
  SessionCore s(cfg());
  const SeqNo w = s.submit(0, OpClass::kWeakWrite, 5, "mine");
  s.step(1, ack(w));
  s.step(2, settle(w, 6));
  const SeqNo r = s.submit(3, OpClass::kWeakRead, 5);
  s.step(4, read_reply(r, "", 0));
  auto done = s.take_completions();
  REQUIRE(done.size() == 2);
  CHECK(done[1].value == "mine");
  CHECK(done[1].version == LogIndex{6});
  // A write that times out un-acked leaves no value in the cache.
  const SeqNo w2 = s.submit(10, OpClass::kWeakWrite, 6, "lost");
  s.tick(1010);
  done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].seq == w2);
  const SeqNo r2 = s.submit(1011, OpClass::kWeakRead, 6);
  s.step(1012, read_reply(r2, "", 0));
  done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].value == "");
}

TEST_CASE("session ho: a CURP-HT session ignores CURP-HO replies") {
  SessionConfig c = cfg();
  c.protocol = core::Protocol::kCurpHt;
  SessionCore s(c);
  const SeqNo w = s.submit(0, OpClass::kWeakWrite, 5, "a");
  s.step(1, ack(w));
  CHECK(s.take_completions().empty());
  CHECK(s.gauges().unsettled == 0);
}

// Found by the CURP-HO sweep (seed 69): a read parked at a lagging replica
// waiting for the session's own write w (dep_seq) was answered once w
// settled elsewhere and acked_below passed it (the replica's SeqWindow floor
// then counts w as executed). The session does not take a reply older than
// an own write that settled while the read was out: it asks again with
// min_index at w's slot.
TEST_CASE("session ho: a read does not accept a reply older than its dependency's settle") {
  SessionConfig c = cfg();
  c.cache_capacity = 0;  // nothing hides the stale reply
  SessionCore s(c);
  const SeqNo w = s.submit(0, OpClass::kWeakWrite, 5, "mine");
  s.step(1, ack(w));
  s.take_completions();
  const SeqNo r = s.submit(2, OpClass::kWeakRead, 5);
  s.take_outgoing();
  s.step(3, settle(w, 20));
  s.step(4, read_reply(r, "older", 12));
  CHECK(s.take_completions().empty());
  auto out = s.take_outgoing();
  auto reads = sent<core::CausalRead>(out);
  REQUIRE(reads.size() == 1);
  CHECK(reads[0].seq == r);
  CHECK(reads[0].min_index == LogIndex{20});
  s.step(5, read_reply(r, "mine", 20));
  auto done = s.take_completions();
  REQUIRE(done.size() == 1);
  CHECK(done[0].version == LogIndex{20});
}
