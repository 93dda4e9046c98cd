// Plants: --plant parsing (kinds, aliases, errors that name the option and the
// valid kinds), the leak plant's exact bytes per op, the slowpath plant's
// leader withholding its fast-path OK after N ops, the slowsync plant's
// commits that wait for the sync timer (CURP-HO), and the keepall plant's
// maps that never shrink.
#include "replica/plants/plants.h"

#include <doctest/doctest.h>

#include <string>

#include "replica/core/replica_core.h"
#include "replica/plants/keep_all.h"
#include "unit/replica/core/core_harness.h"

namespace hd::core {
namespace {

TEST_CASE("parse_plant: kinds, defaults and aliases") {
  auto none = parse_plant("none");
  REQUIRE(none.is_ok());
  CHECK(!none->any());
  for (const char* h : {"history", "retain-history"}) {
    auto p = parse_plant(h);
    REQUIRE(p.is_ok());
    CHECK(p->retain_history);
    CHECK(plant_name(*p) == "history");
  }
  auto leak = parse_plant("leak");
  REQUIRE(leak.is_ok());
  CHECK(leak->leak_bytes_per_op == kDefaultLeakBytesPerOp);
  auto leak1k = parse_plant("leak:1024");
  REQUIRE(leak1k.is_ok());
  CHECK(leak1k->leak_bytes_per_op == 1024);
  CHECK(plant_name(*leak1k) == "leak:1024");
  auto frag = parse_plant("fragment");
  REQUIRE(frag.is_ok());
  CHECK(frag->fragment);
  auto slow = parse_plant("slowpath");
  REQUIRE(slow.is_ok());
  CHECK(slow->force_slow_path);
  CHECK(slow->slow_path_after_ops == kDefaultSlowPathAfterOps);
  auto slow0 = parse_plant("slowpath:0");
  REQUIRE(slow0.is_ok());
  CHECK(slow0->slow_path_after_ops == 0);
  auto decay = parse_plant("decay");
  REQUIRE(decay.is_ok());
  CHECK(decay->decay_ops_per_element == kDefaultDecayOpsPerElement);
  CHECK(decay->any());
  CHECK_FALSE(decay->Plants::any());  // the core sees no plant
  CHECK(plant_name(*decay) == "decay:32");
  auto decay8 = parse_plant("decay:8");
  REQUIRE(decay8.is_ok());
  CHECK(decay8->decay_ops_per_element == 8);
  auto sync = parse_plant("slowsync");
  REQUIRE(sync.is_ok());
  CHECK(sync->slow_sync);
  CHECK(sync->sync_timer_ms == kDefaultSyncTimerMs);
  CHECK(sync->Plants::any());  // the core reads it
  CHECK(plant_name(*sync) == "slowsync:2000");
  auto sync300 = parse_plant("slowsync:300");
  REQUIRE(sync300.is_ok());
  CHECK(sync300->sync_timer_ms == 300);
  auto keep = parse_plant("keepall");
  REQUIRE(keep.is_ok());
  CHECK(keep->keep_all);
  CHECK(keep->any());
  CHECK_FALSE(keep->Plants::any());  // the transport's, not the core's
  CHECK(plant_name(*keep) == "keepall");
}

TEST_CASE("DecayPlant: the list grows by one element every N ops, each op scans it") {
  DecayPlant off(0);
  CHECK_FALSE(off.active());
  DecayPlant p(4);
  REQUIRE(p.active());
  p.on_ops(1);
  CHECK(p.elements() == 1);
  p.on_ops(8);
  CHECK(p.elements() == 2);
  p.on_ops(8);  // no new op: nothing
  CHECK(p.elements() == 2);
  p.on_ops(401);
  CHECK(p.elements() == 101);
}

TEST_CASE("parse_plant: bad kinds and arguments name --plant and the valid kinds") {
  for (const char* bad :
       {"leek", "leak:", "leak:abc", "leak:8", "leak:99999999", "leak:-5", "slowpath:x",
        "fragment:3", "history:1", "decay:0", "decay:x", "decay:2000000", "slowsync:0",
        "slowsync:x", "slowsync:600001", "keepall:1", ""}) {
    auto p = parse_plant(bad);
    REQUIRE_MESSAGE(!p.is_ok(), bad);
    const std::string& m = p.status().message();
    CHECK_MESSAGE(m.find("--plant") != std::string::npos, m);
    CHECK_MESSAGE(m.find("leak[:BYTES]") != std::string::npos, m);
    CHECK_MESSAGE(m.find("slowpath[:N]") != std::string::npos, m);
    CHECK_MESSAGE(m.find("slowsync[:MS]") != std::string::npos, m);
    CHECK_MESSAGE(m.find("keepall") != std::string::npos, m);
  }
}

TEST_CASE("MemoryPlant: leak allocates exactly BYTES per op not seen before") {
  Plants p;
  p.leak_bytes_per_op = 300;
  MemoryPlant plant(p);
  CHECK(plant.active());
  plant.on_ops(10);
  CHECK(plant.leaked_bytes() == 3000);
  plant.on_ops(10);  // same count: nothing new
  CHECK(plant.leaked_bytes() == 3000);
  plant.on_ops(25);  // a batch of 15 ops
  CHECK(plant.leaked_bytes() == 25 * 300);
  CHECK(!MemoryPlant(Plants{}).active());
}

TEST_CASE("MemoryPlant: fragment runs whole phases without growing the leak") {
  Plants p;
  p.fragment = true;
  MemoryPlant plant(p);
  CHECK(plant.active());
  plant.on_ops(3 * 512 + 7);  // three phase ends, then a partial phase
  CHECK(plant.leaked_bytes() == 0);
}

TEST_CASE("slowpath plant: after N ops the leader withholds its OK, so no fast path") {
  CoreConfig c;
  c.plants.force_slow_path = true;
  c.plants.slow_path_after_ops = 3;
  test::Cluster cl(c);
  for (uint64_t s = 1; s <= 5; ++s) {
    cl.propose_all(test::put(101, s, s, "v"));
    bool leader_ok = false;
    bool saw_leader = false;
    for (const ProposeReply& r : cl.take<ProposeReply>(ClientId{101}))
      if (r.from_leader) {
        saw_leader = true;
        leader_ok = r.ok;
      }
    REQUIRE(saw_leader);
    CHECK_MESSAGE(leader_ok == (s <= 3), "op " << s);
    cl.run();
    CHECK(cl.take<StrongCommit>(ClientId{101}).size() == 1);  // the slow path still completes
  }
}

// A strong write and, before it executes, a strong read of its key (which the
// leader cannot OK: its key has a pending write, and the followers' pools
// answer FALSE), both sent to the three replicas of a CURP-HO cluster.
struct SlowSyncRun {
  explicit SlowSyncRun(bool plant) : cl(config(plant)) {
    const HoPropose w{kC, SeqNo{1}, SeqNo{1}, Command{OpKind::kPut, 7, "v"}, SeqNo{0}};
    const HoPropose r{kC, SeqNo{2}, SeqNo{1}, Command{OpKind::kGet, 7, {}}, SeqNo{0}};
    for (uint32_t i = 0; i < 3; ++i) cl.client_send(i, w);
    for (uint32_t i = 0; i < 3; ++i) cl.client_send(i, r);
    cl.run();  // replicated, committed and executed
    cl.tick(20'000);
  }
  static CoreConfig config(bool plant) {
    CoreConfig c;
    c.protocol = Protocol::kCurpHo;
    c.plants.slow_sync = plant;
    c.plants.sync_timer_ms = 2000;
    return c;
  }
  static constexpr ClientId kC{101};
  test::Cluster cl;
};

TEST_CASE("slowsync plant: an op that misses the fast path completes only on the sync timer") {
  SlowSyncRun run(/*plant=*/true);
  test::Cluster& cl = run.cl;
  // The leader OKs the write and withholds its not-OK reply to the read.
  uint32_t leader_replies = 0;
  for (const ProposeReply& r : cl.take<ProposeReply>(SlowSyncRun::kC)) {
    if (!r.from_leader) continue;
    ++leader_replies;
    CHECK(r.seq == SeqNo{1});
    CHECK(r.ok);
  }
  CHECK(leader_replies == 1);
  // No ORDERED note for the read from a follower that answered it FALSE.
  for (const RecordAck& a : cl.take<RecordAck>(SlowSyncRun::kC)) {
    if (a.seq == SeqNo{2}) CHECK_MESSAGE(a.slot.value() == 0, "ORDERED note from " << a.from);
  }
  // A retry of the read is not witnessed TRUE late (that would be a fast
  // path after all).
  cl.client_send(
      1, HoPropose{SlowSyncRun::kC, SeqNo{2}, SeqNo{1}, Command{OpKind::kGet, 7, {}}, SeqNo{0}});
  const std::vector<RecordAck> again = cl.take<RecordAck>(SlowSyncRun::kC);
  REQUIRE(again.size() == 1);
  CHECK_FALSE(again[0].ok);
  // Executed, yet no commit until the timer: 2,000 ms after execution.
  for (int i = 0; i < 18; ++i) cl.tick(100'000);  // ~1.9 s
  CHECK(cl.take<StrongCommit>(SlowSyncRun::kC).empty());
  CHECK(cl.leader().gauges().sync_timer_fires == 0);
  cl.tick(100'000);
  cl.tick(100'000);
  const std::vector<StrongCommit> commits = cl.take<StrongCommit>(SlowSyncRun::kC);
  REQUIRE(commits.size() == 2);
  CHECK(commits[0].seq == SeqNo{1});
  CHECK(commits[1].seq == SeqNo{2});
  CHECK(commits[1].value == "v");
  CHECK(cl.leader().gauges().sync_timer_fires == 2);
  CHECK(cl.leader().gauges().sync_timer_answers == 2);
  // A retry of a committed op is answered by the timer too, not at once.
  cl.client_send(cl.leader_index(), HoPropose{SlowSyncRun::kC, SeqNo{2}, SeqNo{1},
                                              Command{OpKind::kGet, 7, {}}, SeqNo{0}});
  CHECK(cl.take<StrongCommit>(SlowSyncRun::kC).empty());
  for (int i = 0; i < 21; ++i) cl.tick(100'000);
  CHECK(cl.take<StrongCommit>(SlowSyncRun::kC).size() == 1);
}

TEST_CASE("slowsync plant off: the same ops commit at execution, the read's replies are sent") {
  SlowSyncRun run(/*plant=*/false);
  test::Cluster& cl = run.cl;
  CHECK(cl.take<StrongCommit>(SlowSyncRun::kC).size() == 2);
  uint32_t leader_replies = 0;
  for (const ProposeReply& r : cl.take<ProposeReply>(SlowSyncRun::kC))
    leader_replies += r.from_leader ? 1 : 0;
  CHECK(leader_replies == 2);
  CHECK(cl.leader().gauges().sync_timer_fires == 0);
}

TEST_CASE("KeepAllPlant: values, proposals and executed slots are kept, never dropped") {
  KeepAllPlant off(false);
  off.on_message(CausalWrite{ClientId{1}, SeqNo{1}, SeqNo{1}, 3, "x", SeqNo{0}, ReplicaId{0}});
  off.on_executed(ExecutedSlot{LogIndex{1}, 9, ClientId{1}, SeqNo{1}});
  CHECK(off.entries() == 0);

  KeepAllPlant plant(true);
  REQUIRE(plant.active());
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    plant.on_message(
        CausalWrite{ClientId{1}, SeqNo{seq}, SeqNo{1}, seq, "value", SeqNo{0}, ReplicaId{0}});
    plant.on_message(
        HoPropose{ClientId{2}, SeqNo{seq}, SeqNo{1}, Command{OpKind::kGet, seq, {}}, SeqNo{0}});
    plant.on_executed(ExecutedSlot{LogIndex{seq}, seq, ClientId{1}, SeqNo{seq}});
  }
  // CURP-HT's requests too; a retry (same op) replaces its entry.
  plant.on_message(WeakWrite{ClientId{3}, SeqNo{1}, SeqNo{1}, 5, "w"});
  plant.on_message(Propose{ClientId{3}, SeqNo{2}, SeqNo{1}, Command{OpKind::kPut, 5, "p"}});
  plant.on_message(
      CausalWrite{ClientId{1}, SeqNo{4}, SeqNo{1}, 4, "value", SeqNo{0}, ReplicaId{0}});
  CHECK(plant.values() == 11);
  CHECK(plant.proposals() == 11);
  CHECK(plant.slots() == 10);
  CHECK(plant.entries() == 32);
  // Replies and replica traffic are not kept.
  plant.on_message(StrongCommit{});
  plant.on_message(Accept{});
  CHECK(plant.entries() == 32);
}

}  // namespace
}  // namespace hd::core
