// ReplicaCore unit tests: three cores wired by hand through a FIFO router
// (unit/core/core_harness.h). Each case pins one protocol rule of
// docs/protocol.md so removing the feature makes it fail.
#include "replica/core/replica_core.h"

#include <doctest/doctest.h>

#include <string>

#include "unit/replica/core/core_harness.h"

namespace hd::core {
namespace {

using test::Cluster;
using test::get;
using test::put;

constexpr ClientId kC1{101};
constexpr ClientId kC2{202};

CoreConfig small_config() {
  CoreConfig c;
  c.leader = ReplicaId{0};
  return c;
}

TEST_CASE("strong put then get: fast path replies, then StrongCommit after commit") {
  Cluster cl(small_config());
  cl.propose_all(put(101, 1, 7, "v1"));
  // Before any replication: leader reply + two witness OKs.
  auto replies = cl.take<ProposeReply>(kC1);
  REQUIRE(replies.size() == 3);
  int leader_replies = 0;
  int witness_oks = 0;
  for (const ProposeReply& r : replies) {
    CHECK(r.ok);
    CHECK(r.seq == SeqNo{1});
    if (r.from_leader) {
      ++leader_replies;
      CHECK(r.from == ReplicaId{0});
      CHECK(r.slot == LogIndex{1});
      CHECK(r.version == LogIndex{1});
      CHECK(r.value.empty());
    } else {
      ++witness_oks;
    }
  }
  CHECK(leader_replies == 1);
  CHECK(witness_oks == 2);
  CHECK(cl.take<StrongCommit>(kC1).empty());  // not committed yet
  CHECK(cl.core(1).gauges().witness_entries == 1);

  cl.run();
  // Each follower reports holding the entry at the leader's (term, slot):
  // with the leader's reply, a majority of those is the client's fast path.
  auto held = cl.take<ProposeReply>(kC1);
  REQUIRE(held.size() == 2);
  for (const ProposeReply& r : held) {
    CHECK_FALSE(r.from_leader);
    CHECK(r.ok);
    CHECK(r.slot == LogIndex{1});
    CHECK(r.term == Term{1});
  }
  auto commits = cl.take<StrongCommit>(kC1);
  REQUIRE(commits.size() == 1);
  CHECK(commits[0].slot == LogIndex{1});
  CHECK(commits[0].version == LogIndex{1});
  for (uint32_t i = 0; i < 3; ++i) {
    CHECK(cl.core(i).gauges().applied_index == LogIndex{1});
    CHECK(cl.core(i).read_executed(7).value == "v1");
    CHECK(cl.core(i).gauges().witness_entries == 0);  // dropped once seen committed
  }

  cl.propose_all(get(101, 2, 7, 1));
  auto g = cl.take<ProposeReply>(kC1);
  REQUIRE(g.size() == 3);
  for (const ProposeReply& r : g) {
    CHECK(r.ok);
    if (r.from_leader) {
      CHECK(r.value == "v1");
      CHECK(r.version == LogIndex{1});
      CHECK(r.slot == LogIndex{2});
    }
  }
  cl.run();
  auto gc = cl.take<StrongCommit>(kC1);
  REQUIRE(gc.size() == 1);
  CHECK(gc[0].value == "v1");
  CHECK(gc[0].version == LogIndex{1});
}

TEST_CASE("speculative get sees a pending (unexecuted) write") {
  Cluster cl(small_config());
  cl.client_send(0, put(101, 1, 7, "old"));
  cl.run();
  cl.client_send(0, put(101, 2, 7, "new"));  // not replicated yet
  cl.client_send(0, get(202, 1, 7));
  auto r = cl.take<ProposeReply>(kC2);
  REQUIRE(r.size() == 1);
  CHECK(r[0].value == "new");
  CHECK(r[0].version == LogIndex{2});
  CHECK(cl.leader().gauges().pending_requests == 2);
  cl.run();
  CHECK(cl.leader().gauges().pending_requests == 0);
  auto c = cl.take<StrongCommit>(kC2);
  REQUIRE(c.size() == 1);
  CHECK(c[0].value == "new");
}

TEST_CASE("witness refuses a conflicting proposal and accepts commuting ones") {
  Cluster cl(small_config());
  cl.client_send(1, put(101, 1, 5, "a"));
  cl.client_send(1, put(202, 1, 5, "b"));  // same key, both write: conflict
  cl.client_send(1, get(202, 2, 6));       // other key: fine
  cl.client_send(1, put(101, 1, 5, "a"));  // duplicate of a held one: OK, not recorded twice
  auto r1 = cl.take<ProposeReply>(kC1);
  auto r2 = cl.take<ProposeReply>(kC2);
  REQUIRE(r1.size() == 2);
  REQUIRE(r2.size() == 2);
  CHECK(r1[0].ok);
  CHECK(r1[1].ok);
  CHECK_FALSE(r2[0].ok);
  CHECK(r2[1].ok);
  CHECK(cl.core(1).gauges().witness_entries == 2);
  CHECK(cl.core(1).counters().witness_conflicts == 1);

  // Reads on the same key commute with each other but not with a write.
  cl.client_send(2, get(101, 1, 9));
  cl.client_send(2, get(202, 1, 9));
  cl.client_send(2, put(303, 1, 9, "w"));
  auto a = cl.take<ProposeReply>(kC1);
  auto b = cl.take<ProposeReply>(kC2);
  auto w = cl.take<ProposeReply>(ClientId{303});
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  REQUIRE(w.size() == 1);
  CHECK(a[0].ok);
  CHECK(b[0].ok);
  CHECK_FALSE(w[0].ok);
}

TEST_CASE("witness entry leaves on commit; a committed command is acknowledged without recording") {
  Cluster cl(small_config());
  cl.propose_all(put(101, 1, 5, "a"));
  cl.run();
  CHECK(cl.core(1).gauges().witness_entries == 0);
  cl.clear_inbox();
  // A late duplicate of the committed propose: OK, nothing recorded.
  cl.client_send(1, put(101, 1, 5, "a"));
  auto r = cl.take<ProposeReply>(kC1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].ok);
  CHECK(cl.core(1).gauges().witness_entries == 0);
  // After commit the key is free again for another client.
  cl.client_send(1, put(202, 1, 5, "b"));
  auto r2 = cl.take<ProposeReply>(kC2);
  REQUIRE(r2.size() == 1);
  CHECK(r2[0].ok);
}

TEST_CASE("witness entries the leader never commits are garbage-collected") {
  CoreConfig c = small_config();
  c.witness_gc_after_us = 100'000;
  Cluster cl(c);
  cl.client_send(1, put(101, 1, 5, "a"));  // the leader never sees it
  CHECK(cl.core(1).gauges().witness_entries == 1);
  cl.tick(50'000);
  CHECK(cl.core(1).gauges().witness_entries == 1);
  for (int i = 0; i < 10; ++i) cl.tick(10'000);
  CHECK(cl.core(1).gauges().witness_entries == 0);
  // Now another client may write the key.
  cl.client_send(1, put(202, 1, 5, "b"));
  auto r = cl.take<ProposeReply>(kC2);
  REQUIRE(r.size() == 1);
  CHECK(r[0].ok);
}

TEST_CASE("weak write is answered only after commit and execution; followers ignore it") {
  Cluster cl(small_config());
  const WeakWrite w{kC1, SeqNo{1}, SeqNo{0}, 3, "ww"};
  cl.client_send(1, w);
  CHECK(cl.take<WeakWriteReply>(kC1).empty());
  CHECK(cl.core(1).gauges().last_index == LogIndex{0});

  cl.client_send(0, w);
  CHECK(cl.take<WeakWriteReply>(kC1).empty());
  CHECK(cl.leader().gauges().pending_requests == 1);
  cl.run();
  auto r = cl.take<WeakWriteReply>(kC1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].slot == LogIndex{1});
  CHECK(cl.core(2).read_executed(3).value == "ww");
  CHECK(cl.core(2).read_executed(3).version == LogIndex{1});

  // A retry gets the saved reply again without a second execution.
  cl.client_send(0, w);
  auto again = cl.take<WeakWriteReply>(kC1);
  REQUIRE(again.size() == 1);
  CHECK(again[0].slot == LogIndex{1});
  CHECK(cl.leader().gauges().last_index == LogIndex{1});
}

TEST_CASE("weak read with min_index parks until the replica has executed it") {
  Cluster cl(small_config());
  cl.client_send(2, WeakRead{kC1, SeqNo{1}, 4, LogIndex{1}});
  CHECK(cl.take<WeakReadReply>(kC1).empty());
  CHECK(cl.core(2).gauges().pending_requests == 1);

  cl.client_send(0, WeakWrite{kC2, SeqNo{1}, SeqNo{0}, 4, "x"});
  cl.run();
  auto r = cl.take<WeakReadReply>(kC1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].from == ReplicaId{2});
  CHECK(r[0].value == "x");
  CHECK(r[0].version == LogIndex{1});
  CHECK(cl.core(2).gauges().pending_requests == 0);

  // Already satisfied: answered at once.
  cl.client_send(1, WeakRead{kC1, SeqNo{2}, 4, LogIndex{1}});
  auto now = cl.take<WeakReadReply>(kC1);
  REQUIRE(now.size() == 1);
  CHECK(now[0].value == "x");
}

TEST_CASE("duplicate propose executes once; saved reply resent; acked_below prunes it") {
  Cluster cl(small_config());
  cl.propose_all(put(101, 1, 1, "a"));
  cl.client_send(0, put(101, 1, 1, "a"));  // duplicate before execution: ignored
  CHECK(cl.take<ProposeReply>(kC1).size() == 3);
  cl.run();
  CHECK(cl.take<StrongCommit>(kC1).size() == 1);
  CHECK(cl.leader().gauges().saved_replies == 1);

  cl.client_send(0, put(101, 1, 1, "a"));  // retry after execution
  auto resent = cl.take<StrongCommit>(kC1);
  REQUIRE(resent.size() == 1);
  CHECK(resent[0].slot == LogIndex{1});
  cl.run();
  CHECK(cl.leader().counters().executed == 1);
  CHECK(cl.leader().gauges().last_index == LogIndex{1});
  CHECK(cl.leader().counters().duplicates_ignored == 2);

  // Reordered: seq 3 before seq 2; both execute (a "highest seq" filter would drop 2).
  cl.client_send(0, put(101, 3, 1, "c"));
  cl.client_send(0, put(101, 2, 1, "b"));
  cl.run();
  CHECK(cl.leader().counters().executed == 3);

  // acked_below = 4: all saved replies of this client can go.
  CHECK(cl.leader().gauges().saved_replies == 3);
  cl.client_send(0, get(101, 4, 1, 4));
  CHECK(cl.leader().gauges().saved_replies == 0);
  cl.run();
  CHECK(cl.leader().gauges().saved_replies == 1);
  CHECK(cl.leader().gauges().client_table_entries == 1);
}

TEST_CASE("a follower that misses messages catches up by retransmission") {
  Cluster cl(small_config());
  cl.set_down(2, true);
  for (uint64_t s = 1; s <= 40; ++s) {
    cl.client_send(0, put(101, s, s % 5, "v" + std::to_string(s)));
    cl.run();
  }
  CHECK(cl.leader().gauges().commit_index == LogIndex{40});
  CHECK(cl.core(2).gauges().applied_index == LogIndex{0});
  cl.set_down(2, false);
  // New traffic arrives with a gap: the follower appends nothing past it
  // (it keeps the batch aside) and its answer to the next, entry-less
  // Accept (the commit update) reports the gap: the leader goes back at once.
  cl.client_send(0, put(101, 41, 1, "v41"));
  cl.run();
  CHECK(cl.core(2).gauges().applied_index == LogIndex{41});
  // Without that report (entries only), retransmission after
  // retransmit_after_us fills a gap: see the next cases.
  for (int i = 0; i < 10; ++i) cl.tick(20'000);
  CHECK(cl.core(2).gauges().applied_index == LogIndex{41});
  for (Key k = 0; k < 5; ++k) CHECK(cl.core(2).read_executed(k) == cl.leader().read_executed(k));
  CHECK(cl.leader().gauges().snapshots_sent == 0);
}

TEST_CASE("retransmission is paced: a dead follower gets one batch per interval") {
  CoreConfig c = small_config();
  c.max_accept_batch = 4;
  Cluster cl(c);
  cl.set_down(2, true);
  for (uint64_t s = 1; s <= 100; ++s) {
    cl.client_send(0, put(101, s, s, "v"));
    cl.run();
  }
  const uint64_t before = cl.replica_messages_sent();
  cl.tick(c.retransmit_after_us);  // one go-back batch + heartbeats
  const uint64_t sent = cl.replica_messages_sent() - before;
  CHECK(sent <= 4);  // not 100 / 4 Accepts to the dead follower
}

TEST_CASE("restarted follower (fresh core) is resent the log from slot 1") {
  Cluster cl(small_config());
  for (uint64_t s = 1; s <= 30; ++s) {
    cl.client_send(0, put(101, s, s % 7, std::to_string(s)));
    cl.run();
  }
  CHECK(cl.core(2).gauges().applied_index == LogIndex{30});
  cl.restart(2);
  CHECK(cl.core(2).gauges().applied_index == LogIndex{0});
  cl.tick(small_config().heartbeat_interval_us);
  cl.tick(small_config().heartbeat_interval_us);
  CHECK(cl.core(2).gauges().applied_index == LogIndex{30});
  for (Key k = 0; k < 7; ++k) CHECK(cl.core(2).read_executed(k) == cl.leader().read_executed(k));
}

TEST_CASE("follower beyond released slots gets a chunked snapshot, installs it, then catches up") {
  CoreConfig c = small_config();
  c.max_retained_entries = 50;
  c.snapshot_chunk_entries = 7;
  Cluster cl(c);
  for (uint64_t s = 1; s <= 20; ++s) {
    cl.client_send(0, put(101, s, s % 40, "a" + std::to_string(s)));
    cl.run();
  }
  cl.set_down(2, true);  // crashed
  for (uint64_t s = 21; s <= 400; ++s) {
    cl.client_send(0, put(101, s, s % 40, "b" + std::to_string(s)));
    cl.run();
    CHECK(cl.leader().gauges().log_entries_retained <= 50);
  }
  cl.restart(2);
  cl.set_down(2, false);
  cl.tick(c.heartbeat_interval_us);
  cl.tick(c.heartbeat_interval_us);
  const CoreGauges lg = cl.leader().gauges();
  const CoreGauges fg = cl.core(2).gauges();
  CHECK(lg.snapshots_sent >= 1);
  CHECK(fg.snapshots_installed == 1);
  CHECK(fg.applied_index == LogIndex{400});
  CHECK(fg.kv_keys == 40);
  for (Key k = 0; k < 40; ++k) CHECK(cl.core(2).read_executed(k) == cl.leader().read_executed(k));

  // And it keeps up afterwards through normal Accepts.
  for (uint64_t s = 401; s <= 420; ++s) {
    cl.client_send(0, put(101, s, s % 40, "c" + std::to_string(s)));
    cl.run();
  }
  CHECK(cl.core(2).gauges().applied_index == LogIndex{420});
  CHECK(cl.leader().gauges().snapshots_sent == lg.snapshots_sent);
  for (Key k = 0; k < 40; ++k) CHECK(cl.core(2).read_executed(k) == cl.leader().read_executed(k));
}

// Runs `ops` strong puts/gets and weak ops through the cluster.
void drive(Cluster& cl, uint64_t ops, uint64_t* max_retained) {
  for (uint64_t s = 1; s <= ops; ++s) {
    const Key k = s % 1000;
    const uint64_t acked = s;  // every earlier op has its answer
    if (s % 4 == 0) {
      cl.client_send(0, WeakWrite{kC2, SeqNo{s}, SeqNo{acked}, k, "w"});
    } else if (s % 4 == 1) {
      cl.propose_all(get(101, s, k, acked));
    } else {
      cl.propose_all(put(101, s, k, std::string(100, 'x'), acked));
    }
    cl.run();
    cl.clear_inbox();
    *max_retained = std::max(*max_retained, cl.leader().gauges().log_entries_retained);
  }
}

TEST_CASE("log retention stays bounded over 50K ops; witness/pending/saved bounded too") {
  Cluster cl(small_config());
  uint64_t max_retained = 0;
  drive(cl, 50'000, &max_retained);
  CHECK(max_retained <= 4);
  for (uint32_t i = 0; i < 3; ++i) {
    const CoreGauges g = cl.core(i).gauges();
    CHECK(g.applied_index == LogIndex{50'000});
    CHECK(g.witness_entries == 0);
    CHECK(g.pending_requests == 0);
    CHECK(g.kv_keys == 750);  // keys = 1 mod 4 are only read
  }
  CHECK(cl.leader().gauges().saved_replies <= 2);
  CHECK(cl.core(1).gauges().log_entries_retained == 0);
  CHECK(cl.leader().counters().released >= 49'990);
}

TEST_CASE("retain_history plant keeps every executed entry") {
  CoreConfig c = small_config();
  c.plants.retain_history = true;
  Cluster cl(c);
  uint64_t max_retained = 0;
  drive(cl, 5'000, &max_retained);
  CHECK(cl.leader().gauges().log_entries_retained == 5'000);
  CHECK(cl.leader().counters().released == 0);
}

TEST_CASE("dead follower no longer holds the leader's log") {
  CoreConfig c = small_config();
  Cluster cl(c);
  cl.set_down(2, true);
  for (uint64_t s = 1; s <= 100; ++s) {
    cl.client_send(0, put(101, s, s, "v"));
    cl.run();
  }
  CHECK(cl.leader().gauges().log_entries_retained == 100);  // follower 2 still live
  for (int i = 0; i < 60; ++i) cl.tick(c.follower_dead_after_us / 50);
  CHECK(cl.leader().gauges().log_entries_retained == 0);
}

TEST_CASE("replication batches: many pending entries go in one Accept per follower") {
  Cluster cl(small_config());
  // Step 10 proposals before taking ready(): one Accept per follower carries all.
  ReplicaCore& l = cl.leader();
  for (uint64_t s = 1; s <= 10; ++s) l.step(cl.now(), put(101, s, s, "v"));
  int accepts = 0;
  for (const Outgoing& o : l.ready().messages) {
    if (const auto* a = std::get_if<Accept>(&o.msg)) {
      ++accepts;
      CHECK(a->entries.size() == 10);
      CHECK(a->first == LogIndex{1});
    }
  }
  l.advance();
  CHECK(accepts == 2);
}

}  // namespace
}  // namespace hd::core

namespace hd::core {
namespace {

TEST_CASE("parked weak reads are bounded; the oldest are dropped") {
  Cluster cl(small_config());
  for (uint64_t s = 1; s <= 5000; ++s) {
    cl.client_send(1, WeakRead{kC1, SeqNo{s}, 1, LogIndex{1'000'000}});
  }
  CHECK(cl.core(1).gauges().pending_requests == 4096);
}

TEST_CASE("a pure commit update is not acked; heartbeats are") {
  Cluster cl(small_config());
  cl.client_send(0, put(101, 1, 1, "a"));
  cl.run();
  // Per op: 2 Accepts + 2 acks + 2 commit updates (not acked) = 6 messages.
  CHECK(cl.replica_messages_sent() == 6);
  const uint64_t before = cl.replica_messages_sent();
  cl.tick(small_config().heartbeat_interval_us);
  CHECK(cl.replica_messages_sent() - before == 4);  // 2 heartbeats + 2 acks
}

}  // namespace
}  // namespace hd::core

// ---- leader failover ---------------------------------------------------------

namespace hd::core {
namespace {

// Ticks in steps of 10 ms until `pred` holds or `limit_us` passed.
template <typename Pred>
bool tick_until(Cluster& cl, TimeUs limit_us, Pred pred) {
  for (TimeUs t = 0; t < limit_us; t += 10'000) {
    if (pred()) return true;
    cl.tick(10'000);
  }
  return pred();
}

TEST_CASE("failover: the leader is lost, a follower is elected and keeps every committed write") {
  Cluster cl(small_config());
  for (uint64_t s = 1; s <= 20; ++s) {
    cl.propose_all(put(101, s, s % 5, "v" + std::to_string(s)));
    cl.run();
  }
  cl.tick(small_config().heartbeat_interval_us);  // followers learn the commit index
  CHECK(cl.core(1).gauges().applied_index == LogIndex{20});
  cl.set_down(0, true);
  REQUIRE(tick_until(cl, 2'000'000, [&] { return cl.leader_index() != 0; }));
  ReplicaCore& next = cl.leader();
  CHECK(next.term() == Term{2});
  CHECK(next.counters().elections_won == 1);
  // The new leader serves at once (its no-op commits with the other follower).
  cl.clear_inbox();
  cl.propose_all(put(101, 21, 1, "after"));
  cl.run();
  auto replies = cl.take<ProposeReply>(kC1);
  bool leader_answered = false;
  for (const ProposeReply& r : replies) {
    if (!r.from_leader) continue;
    leader_answered = true;
    CHECK(r.term == Term{2});
    CHECK(r.slot == LogIndex{22});  // slot 21 is the new term's no-op
  }
  CHECK(leader_answered);
  CHECK(cl.take<StrongCommit>(kC1).size() == 1);
  for (Key k = 0; k < 5; ++k) {
    CHECK(cl.core(1).read_executed(k) == cl.core(2).read_executed(k));
  }
  CHECK(next.read_executed(1).value == "after");
  CHECK(next.read_executed(2).value == "v17");
}

TEST_CASE("failover: a retried op executed before the failover is answered, not re-executed") {
  Cluster cl(small_config());
  cl.propose_all(put(101, 1, 3, "once"));
  cl.run();
  cl.tick(small_config().heartbeat_interval_us);
  cl.clear_inbox();  // the client lost every answer
  cl.set_down(0, true);
  REQUIRE(tick_until(cl, 2'000'000, [&] { return cl.leader_index() != 0; }));
  const LogIndex version = cl.leader().read_executed(3).version;
  const uint64_t executed = cl.leader().counters().executed;
  cl.propose_all(put(101, 1, 3, "once"));  // the retry
  cl.run();
  auto commits = cl.take<StrongCommit>(kC1);
  REQUIRE(commits.size() == 1);  // the saved reply, from the replicated client table
  CHECK(commits[0].slot == version);
  CHECK(cl.leader().counters().executed == executed);
  CHECK(cl.leader().read_executed(3).version == version);
}

TEST_CASE("failover: a deposed leader's entries are rejected and replaced; it steps down") {
  Cluster cl(small_config());
  cl.propose_all(put(101, 1, 1, "committed"));
  cl.run();
  cl.tick(small_config().heartbeat_interval_us);
  // Cut the leader off; it appends an op no one else sees.
  cl.set_down(0, true);
  cl.core(0).step(cl.now(), put(202, 1, 1, "lost"));
  cl.core(0).ready();
  cl.core(0).advance();
  REQUIRE(tick_until(cl, 2'000'000, [&] { return cl.leader_index() != 0; }));
  const uint32_t next = cl.leader_index();
  cl.propose_all(put(101, 2, 1, "new"));
  cl.run();
  cl.set_down(0, false);
  // Its heartbeats of term 1 are answered with the newer term; it steps down
  // and the new leader overwrites its unexecuted slot.
  REQUIRE(tick_until(cl, 1'000'000, [&] {
    return !cl.core(0).is_leader() &&
           cl.core(0).gauges().applied_index == cl.core(next).gauges().applied_index;
  }));
  CHECK(cl.core(0).term() == cl.core(next).term());
  CHECK(cl.core(0).counters().stale_rejected == 0);
  CHECK(cl.core(next).counters().stale_rejected + cl.core(3 - next).counters().stale_rejected > 0);
  CHECK(cl.core(0).read_executed(1).value == "new");
  CHECK(cl.core(0).read_executed(1) == cl.core(next).read_executed(1));
}

TEST_CASE("failover: a follower holding the leader's entry reports it to the client") {
  Cluster cl(small_config());
  cl.propose_all(put(101, 1, 9, "x"));
  cl.run();
  int held = 0;
  for (const ProposeReply& r : cl.take<ProposeReply>(kC1)) {
    if (!r.from_leader && r.slot == LogIndex{1}) {
      ++held;
      CHECK(r.term == Term{1});
      CHECK(r.ok);
    }
  }
  CHECK(held == 2);
}

TEST_CASE("failover: a restarted replica does not vote until it caught up") {
  Cluster cl(small_config());
  for (uint64_t s = 1; s <= 10; ++s) {
    cl.propose_all(put(101, s, s % 3, std::to_string(s)));
    cl.run();
  }
  CHECK(cl.core(2).leader() == ReplicaId{0});
  cl.restart(2);  // rejoining
  CHECK(cl.core(2).gauges().rejoining);
  CHECK(cl.core(2).term() == Term{0});
  CHECK_FALSE(cl.core(2).leader().has_value());  // no leader known before the probes
  // With the leader down before 2 caught up, 1 cannot win: 2 withholds its vote.
  cl.set_down(0, true);
  tick_until(cl, 1'500'000, [] { return false; });
  CHECK_FALSE(cl.core(1).is_leader());
  CHECK_FALSE(cl.core(2).is_leader());
  CHECK(cl.core(2).gauges().rejoining);
  // The old leader returns: 2 learns the term from a majority, catches up and
  // may vote again; the cluster has a leader.
  cl.set_down(0, false);
  REQUIRE(tick_until(cl, 3'000'000, [&] { return !cl.core(2).gauges().rejoining; }));
  CHECK(cl.core(2).gauges().applied_index == cl.leader().gauges().applied_index);
  CHECK(cl.core(2).leader() == ReplicaId{cl.leader_index()});
  for (Key k = 0; k < 3; ++k) CHECK(cl.core(2).read_executed(k) == cl.leader().read_executed(k));
}

TEST_CASE("failover: election timeouts are deterministic and differ per replica") {
  auto first_leader = [](uint64_t seed) {
    CoreConfig c = small_config();
    c.election_seed = seed;
    Cluster cl(c);
    cl.set_down(0, true);
    tick_until(cl, 3'000'000, [&] { return cl.leader_index() != 0; });
    return std::pair<uint32_t, TimeUs>{cl.leader_index(), cl.now()};
  };
  CHECK(first_leader(7) == first_leader(7));
  CHECK(first_leader(7).first != 0);
}

TEST_CASE("CURP-HT replicas drop CURP-HO client messages and count them") {
  Cluster cl(small_config());
  const std::vector<Message> foreign{
      CausalWrite{kC1, SeqNo{1}, SeqNo{1}, 7, "w", SeqNo{0}, ReplicaId{0}},
      HoPropose{kC1, SeqNo{2}, SeqNo{1}, Command{OpKind::kPut, 7, "s"}, SeqNo{1}},
      CausalRead{kC1, SeqNo{3}, 7, LogIndex{0}, SeqNo{0}},
      Sync{kC1, SeqNo{2}},
  };
  for (const Message& m : foreign) {
    for (uint32_t i = 0; i < 3; ++i) cl.client_send(i, m);
  }
  cl.tick(1'000);
  for (uint32_t i = 0; i < 3; ++i) {
    CHECK(cl.core(i).counters().foreign_protocol_dropped == foreign.size());
    CHECK(client_ops(cl.core(i).counters()) == 0);
    CHECK(cl.core(i).gauges().last_index == LogIndex{0});  // nothing appended
  }
  // Nothing answers them; the replicas still serve CURP-HT.
  CHECK(cl.take<CausalWriteAck>(kC1).empty());
  CHECK(cl.take<RecordAck>(kC1).empty());
  CHECK(cl.take<WeakReadReply>(kC1).empty());
  CHECK(cl.take<StrongCommit>(kC1).empty());
  cl.propose_all(put(101, 4, 7, "v"));
  cl.run();
  cl.tick(1'000);
  CHECK(cl.take<StrongCommit>(kC1).size() == 1);
}

}  // namespace
}  // namespace hd::core
