// WitnessPool (CURP-HO's witness state, docs/protocol-curpho.md §2.4): the
// conflict table over all pending ops of a key (the hidden-strong-write case
// included), read_dep, unordered_weak / causal_deps, removal, GC.
#include "replica/core/witness_pool.h"

#include <doctest/doctest.h>

namespace hd::core {
namespace {

const Command kGet{OpKind::kGet, 7, {}};
const Command kPut{OpKind::kPut, 7, "v"};
auto never_executed = [](SeqNo) { return false; };

TEST_CASE("WitnessPool: a strong op conflicting with a pending strong op is refused") {
  WitnessPool pool;
  CHECK(pool.record_strong(ClientId{1}, SeqNo{1}, kPut, 0).result == PoolResult::kRecorded);
  // put/put and get/put conflict; the refused op is not recorded.
  CHECK(pool.record_strong(ClientId{2}, SeqNo{1}, kPut, 0).result == PoolResult::kConflict);
  CHECK(pool.record_strong(ClientId{2}, SeqNo{2}, kGet, 0).result == PoolResult::kConflict);
  CHECK(pool.size() == 1);
  // The same request again: held, not a conflict with itself.
  CHECK(pool.record_strong(ClientId{1}, SeqNo{1}, kPut, 0).result == PoolResult::kAlreadyHeld);
  // Another key: no conflict.
  CHECK(pool.record_strong(ClientId{2}, SeqNo{3}, Command{OpKind::kPut, 8, "w"}, 0).result ==
        PoolResult::kRecorded);
  // Two strong reads commute.
  WitnessPool reads;
  CHECK(reads.record_strong(ClientId{1}, SeqNo{1}, kGet, 0).result == PoolResult::kRecorded);
  CHECK(reads.record_strong(ClientId{2}, SeqNo{1}, kGet, 0).result == PoolResult::kRecorded);
}

TEST_CASE("WitnessPool: weak writes never conflict; a Get learns the latest as read_dep") {
  WitnessPool pool;
  CHECK(pool.record_weak(ClientId{3}, SeqNo{4}, 7, "a", SeqNo{0}, SeqNo{1}, 0));
  CHECK(pool.record_weak(ClientId{5}, SeqNo{9}, 7, "b", SeqNo{0}, SeqNo{1}, 0));
  // A strong write over pending weak writes: recorded, no read_dep.
  StrongRecord w = pool.record_strong(ClientId{1}, SeqNo{1}, Command{OpKind::kPut, 8, "x"}, 0);
  CHECK(w.result == PoolResult::kRecorded);
  const StrongRecord put = pool.record_strong(ClientId{1}, SeqNo{2}, kPut, 0);
  CHECK(put.result == PoolResult::kRecorded);
  CHECK(put.read_dep_seq == SeqNo{0});
  // A Get on a key with no pending weak PUT has no read_dep.
  WitnessPool other;
  const StrongRecord none = other.record_strong(ClientId{1}, SeqNo{1}, kGet, 0);
  CHECK(none.result == PoolResult::kRecorded);
  CHECK(none.read_dep_seq == SeqNo{0});
  // With weak PUTs pending: the latest arrival (client 5, seq 9).
  WitnessPool reads;
  CHECK(reads.record_weak(ClientId{3}, SeqNo{4}, 7, "a", SeqNo{0}, SeqNo{1}, 0));
  CHECK(reads.record_weak(ClientId{5}, SeqNo{9}, 7, "b", SeqNo{0}, SeqNo{1}, 0));
  const StrongRecord get = reads.record_strong(ClientId{1}, SeqNo{1}, kGet, 0);
  CHECK(get.result == PoolResult::kRecorded);
  CHECK(get.read_dep_client == ClientId{5});
  CHECK(get.read_dep_seq == SeqNo{9});
  // A duplicate weak write is not recorded twice.
  CHECK_FALSE(reads.record_weak(ClientId{5}, SeqNo{9}, 7, "b", SeqNo{0}, SeqNo{1}, 0));
  CHECK(reads.size() == 3);
  CHECK(reads.weak_size() == 2);
}

// The reference checks only the key's *latest* pending op: a strong write
// followed by a weak write on the key hides the strong write, and a later
// strong read is accepted although it conflicts. Every pending op counts here.
TEST_CASE("WitnessPool: a later weak write does not hide a pending strong write") {
  WitnessPool pool;
  CHECK(pool.record_strong(ClientId{1}, SeqNo{1}, kPut, 0).result == PoolResult::kRecorded);
  CHECK(pool.record_weak(ClientId{2}, SeqNo{1}, 7, "w", SeqNo{0}, SeqNo{1}, 0));
  const StrongRecord get = pool.record_strong(ClientId{3}, SeqNo{1}, kGet, 0);
  CHECK(get.result == PoolResult::kConflict);
  CHECK(get.read_dep_seq == SeqNo{0});
  CHECK(pool.record_strong(ClientId{3}, SeqNo{2}, kPut, 0).result == PoolResult::kConflict);
}

TEST_CASE("WitnessPool: unordered_weak lists the session's earlier weak writes not ordered") {
  WitnessPool pool;
  const ClientId c{4};
  CHECK(pool.record_weak(c, SeqNo{1}, 1, "a", SeqNo{0}, SeqNo{1}, 0));
  CHECK(pool.record_weak(c, SeqNo{2}, 2, "b", SeqNo{1}, SeqNo{1}, 0));
  CHECK(pool.record_weak(c, SeqNo{5}, 3, "c", SeqNo{2}, SeqNo{1}, 0));
  CHECK(pool.record_weak(ClientId{9}, SeqNo{1}, 1, "z", SeqNo{0}, SeqNo{1}, 0));
  CHECK(pool.unordered_weak(c, SeqNo{5}, never_executed) == std::vector<SeqNo>{SeqNo{1}, SeqNo{2}});
  pool.mark_ordered(c, SeqNo{1}, 1, 0);
  CHECK(pool.unordered_weak(c, SeqNo{6}, never_executed) == std::vector<SeqNo>{SeqNo{2}, SeqNo{5}});
  // Executed here (e.g. by a snapshot install) counts as ordered.
  CHECK(pool.unordered_weak(c, SeqNo{6}, [](SeqNo s) { return s == SeqNo{2}; }) ==
        std::vector<SeqNo>{SeqNo{5}});
  CHECK(pool.unordered_weak(c, SeqNo{6}, never_executed, 1) == std::vector<SeqNo>{SeqNo{2}});
  CHECK(pool.unordered_weak(ClientId{7}, SeqNo{6}, never_executed).empty());
}

TEST_CASE("WitnessPool: an append before the CausalWrite leaves an ordered placeholder") {
  WitnessPool pool;
  const ClientId c{4};
  pool.mark_ordered(c, SeqNo{3}, 1, 0);
  CHECK(pool.size() == 1);
  CHECK(pool.unordered_weak(c, SeqNo{9}, never_executed).empty());
  CHECK(pool.received_weak().empty());  // no value: the log has it
  // The late CausalWrite fills it in and stays ordered.
  CHECK(pool.record_weak(c, SeqNo{3}, 1, "v", SeqNo{2}, SeqNo{1}, 5));
  CHECK_FALSE(pool.record_weak(c, SeqNo{3}, 1, "v", SeqNo{2}, SeqNo{1}, 5));
  CHECK(pool.size() == 1);
  CHECK(pool.unordered_weak(c, SeqNo{9}, never_executed).empty());
  const std::vector<PoolOp> weak = pool.received_weak();
  REQUIRE(weak.size() == 1);
  CHECK(weak[0].cmd.value == "v");
  CHECK(weak[0].causal_dep == SeqNo{2});
  CHECK(weak[0].ordered);
}

TEST_CASE("WitnessPool: removal, dropping strong ops and age GC keep the counts") {
  WitnessPool pool;
  CHECK(pool.record_strong(ClientId{1}, SeqNo{1}, kPut, 100).result == PoolResult::kRecorded);
  CHECK(pool.record_weak(ClientId{2}, SeqNo{1}, 7, "a", SeqNo{0}, SeqNo{1}, 200));
  CHECK(pool.record_weak(ClientId{2}, SeqNo{2}, 9, "b", SeqNo{1}, SeqNo{1}, 300));
  CHECK(pool.size() == 3);
  // Execution removes strong and weak ops; a second removal finds nothing.
  CHECK(pool.remove(ClientId{2}, SeqNo{1}, 7));
  CHECK_FALSE(pool.remove(ClientId{2}, SeqNo{1}, 7));
  CHECK_FALSE(pool.remove(ClientId{2}, SeqNo{2}, 7));  // wrong key
  CHECK(pool.size() == 2);
  CHECK(pool.weak_size() == 1);
  CHECK(pool.unordered_weak(ClientId{2}, SeqNo{9}, never_executed) == std::vector<SeqNo>{SeqNo{2}});
  // Once removed the strong write no longer conflicts.
  CHECK(pool.remove(ClientId{1}, SeqNo{1}, 7));
  CHECK(pool.record_strong(ClientId{3}, SeqNo{1}, kGet, 400).result == PoolResult::kRecorded);
  // A new leader drops the strong ops, keeps the weak ones.
  pool.drop_strong();
  CHECK(pool.size() == 1);
  CHECK(pool.received_weak().size() == 1);
  // GC: ops recorded at or before now - age go.
  CHECK(pool.record_weak(ClientId{2}, SeqNo{3}, 9, "c", SeqNo{2}, SeqNo{1}, 1'000));
  CHECK(pool.collect_older_than(1'300, 1'000) == 1);  // seq 2, recorded at 300
  CHECK(pool.size() == 1);
  CHECK(pool.weak_size() == 1);
  CHECK(pool.unordered_weak(ClientId{2}, SeqNo{9}, never_executed) == std::vector<SeqNo>{SeqNo{3}});
  CHECK(pool.collect_older_than(2'000, 1'000) == 1);
  CHECK(pool.size() == 0);
  CHECK(pool.weak_size() == 0);
  CHECK(pool.received_weak().empty());
}

TEST_CASE("WitnessPool: received_weak is in (client, seq) order for recovery") {
  WitnessPool pool;
  CHECK(pool.record_weak(ClientId{2}, SeqNo{5}, 1, "a", SeqNo{4}, SeqNo{1}, 0));
  CHECK(pool.record_weak(ClientId{1}, SeqNo{9}, 1, "b", SeqNo{0}, SeqNo{1}, 0));
  CHECK(pool.record_weak(ClientId{2}, SeqNo{4}, 2, "c", SeqNo{0}, SeqNo{1}, 0));
  const std::vector<PoolOp> weak = pool.received_weak();
  REQUIRE(weak.size() == 3);
  CHECK(weak[0].client == ClientId{1});
  CHECK(weak[1].seq == SeqNo{4});
  CHECK(weak[2].seq == SeqNo{5});
  CHECK(weak[2].causal_dep == SeqNo{4});
}

TEST_CASE("WitnessPool: holds_strong names recorded strong ops only") {
  WitnessPool pool;
  CHECK(pool.record_strong(ClientId{1}, SeqNo{1}, kPut, 0).result == PoolResult::kRecorded);
  CHECK(pool.record_weak(ClientId{1}, SeqNo{2}, 7, "w", SeqNo{0}, SeqNo{1}, 0));
  CHECK(pool.holds_strong(ClientId{1}, SeqNo{1}, 7));
  CHECK_FALSE(pool.holds_strong(ClientId{1}, SeqNo{2}, 7));  // weak
  CHECK_FALSE(pool.holds_strong(ClientId{1}, SeqNo{1}, 8));  // another key
  CHECK(pool.record_strong(ClientId{2}, SeqNo{1}, kPut, 0).result == PoolResult::kConflict);
  CHECK_FALSE(pool.holds_strong(ClientId{2}, SeqNo{1}, 7));  // refused: not recorded
  CHECK(pool.remove(ClientId{1}, SeqNo{1}, 7));
  CHECK_FALSE(pool.holds_strong(ClientId{1}, SeqNo{1}, 7));
}

}  // namespace
}  // namespace hd::core
