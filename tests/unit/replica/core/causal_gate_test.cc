// CausalGate (CURP-HO's leader waiting room, docs/protocol-curpho.md §2.2):
// a chain is released in seq order as each append readies the next; retries
// are no-ops; the cap drops the oldest.
#include "replica/core/causal_gate.h"

#include <doctest/doctest.h>

#include <set>

namespace hd::core {
namespace {

GatedOp weak(ClientId c, SeqNo seq, SeqNo dep) {
  return GatedOp{CausalWrite{c, seq, SeqNo{1}, 7, "v", dep, ReplicaId{0}}, dep, 0};
}

TEST_CASE("CausalGate: a chain parked in reverse is released in order, one append at a time") {
  CausalGate gate;
  const ClientId c{3};
  // W3 (dep W2) and W2 (dep W1) arrive before W1.
  CHECK(gate.park(c, SeqNo{3}, weak(c, SeqNo{3}, SeqNo{2})));
  CHECK(gate.park(c, SeqNo{2}, weak(c, SeqNo{2}, SeqNo{1})));
  CHECK_FALSE(gate.park(c, SeqNo{2}, weak(c, SeqNo{2}, SeqNo{1})));  // a retry: no-op
  CHECK(gate.size() == 2);
  std::set<SeqNo> in_log;
  auto ready = [&](SeqNo dep) { return in_log.contains(dep); };
  CHECK_FALSE(gate.take_ready(c, ready).has_value());  // W1 not in the log yet
  in_log.insert(SeqNo{1});                             // W1 appended
  std::vector<SeqNo> order;
  while (auto op = gate.take_ready(c, ready)) {
    const SeqNo seq = std::get<CausalWrite>(op->op).seq;
    order.push_back(seq);
    in_log.insert(seq);  // the caller appends it, readying the next
  }
  CHECK(order == std::vector<SeqNo>{SeqNo{2}, SeqNo{3}});
  CHECK(gate.size() == 0);
  CHECK_FALSE(gate.holds(c, SeqNo{2}));
}

TEST_CASE("CausalGate: sessions are independent; a strong op waits behind its barrier") {
  CausalGate gate;
  CHECK(gate.park(
      ClientId{1}, SeqNo{5},
      GatedOp{HoPropose{ClientId{1}, SeqNo{5}, SeqNo{1}, Command{}, SeqNo{4}}, SeqNo{4}, 0}));
  CHECK(gate.park(ClientId{2}, SeqNo{5}, weak(ClientId{2}, SeqNo{5}, SeqNo{4})));
  auto only_4 = [](SeqNo dep) { return dep == SeqNo{4}; };
  // Readiness is per session: client 1's op is taken for client 1 only.
  auto op = gate.take_ready(ClientId{1}, only_4);
  REQUIRE(op.has_value());
  CHECK(std::holds_alternative<HoPropose>(op->op));
  CHECK(gate.holds(ClientId{2}, SeqNo{5}));
  CHECK_FALSE(gate.take_ready(ClientId{1}, only_4).has_value());
  CHECK(gate.size() == 1);
  gate.clear();
  CHECK(gate.size() == 0);
  CHECK_FALSE(gate.holds(ClientId{2}, SeqNo{5}));
}

TEST_CASE("CausalGate: beyond the cap the oldest parked op is dropped and counted") {
  CausalGate gate(3);
  const ClientId c{1};
  for (uint64_t s = 2; s <= 4; ++s) CHECK(gate.park(c, SeqNo{s}, weak(c, SeqNo{s}, SeqNo{1})));
  // A released op is not the oldest any more.
  CHECK(gate.take_ready(c, [](SeqNo) { return true; }).has_value());  // seq 2
  CHECK(gate.park(c, SeqNo{5}, weak(c, SeqNo{5}, SeqNo{1})));
  CHECK(gate.dropped() == 0);
  CHECK(gate.park(c, SeqNo{6}, weak(c, SeqNo{6}, SeqNo{1})));
  CHECK(gate.dropped() == 1);
  CHECK(gate.size() == 3);
  CHECK_FALSE(gate.holds(c, SeqNo{3}));  // the oldest still parked
  CHECK(gate.holds(c, SeqNo{4}));
  CHECK(gate.holds(c, SeqNo{6}));
  // Many parks and releases keep the bookkeeping bounded and consistent.
  for (uint64_t s = 7; s < 2000; ++s) {
    CHECK(gate.park(c, SeqNo{s}, weak(c, SeqNo{s}, SeqNo{1})));
    if (s % 2 == 0) CHECK(gate.take_ready(c, [](SeqNo) { return true; }).has_value());
    CHECK(gate.size() <= 3);
  }
}

}  // namespace
}  // namespace hd::core
