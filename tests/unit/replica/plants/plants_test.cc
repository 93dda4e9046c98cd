// Plants: --plant parsing (kinds, aliases, errors that name the option and the
// valid kinds), the leak plant's exact bytes per op, and the slowpath plant's
// leader withholding its fast-path OK after N ops.
#include "replica/plants/plants.h"

#include <doctest/doctest.h>

#include <string>

#include "replica/core/replica_core.h"
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
        "fragment:3", "history:1", "decay:0", "decay:x", "decay:2000000", ""}) {
    auto p = parse_plant(bad);
    REQUIRE_MESSAGE(!p.is_ok(), bad);
    const std::string& m = p.status().message();
    CHECK_MESSAGE(m.find("--plant") != std::string::npos, m);
    CHECK_MESSAGE(m.find("leak[:BYTES]") != std::string::npos, m);
    CHECK_MESSAGE(m.find("slowpath[:N]") != std::string::npos, m);
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

}  // namespace
}  // namespace hd::core
