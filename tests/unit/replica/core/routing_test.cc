// Routing (replica/core/routing.h): every message type has exactly the route
// the transports rely on — client requests to replicas carry their session,
// replies to a session carry it too, replica traffic carries none — and an
// unrouted type does not compile (checked here at compile time).
#include "replica/core/routing.h"

#include <doctest/doctest.h>

#include <set>

namespace hd::core {
namespace {

template <typename T>
constexpr bool has_route = requires {
  RouteOf<T>::kRoute;
};

// The compile-time half: every alternative routed; a type without a RouteOf
// has no route (a transport asking for it would not compile).
static_assert(kAllRouted);
static_assert(!has_route<int>);
static_assert(!has_route<KvEntry>);  // part of a message, never sent alone
static_assert(RouteOf<HoPropose>::kRoute == Route::kClientToReplica);

TEST_CASE("routing: CURP-HT and CURP-HO messages go to the side that handles them") {
  const ClientId c{42};
  const std::vector<std::pair<Message, Route>> cases = {
      {Propose{c, SeqNo{2}, SeqNo{1}, {}}, Route::kClientToReplica},
      {WeakWrite{c, SeqNo{2}, SeqNo{1}, 1, "v"}, Route::kClientToReplica},
      {WeakRead{c, SeqNo{2}, 1, LogIndex{0}}, Route::kClientToReplica},
      {ProposeReply{}, Route::kReplicaToClient},
      {StrongCommit{}, Route::kReplicaToClient},
      {WeakWriteReply{}, Route::kReplicaToClient},
      {WeakReadReply{}, Route::kReplicaToClient},
      {Accept{}, Route::kReplicaToReplica},
      {AcceptAck{}, Route::kReplicaToReplica},
      {Snapshot{}, Route::kReplicaToReplica},
      {RequestVote{}, Route::kReplicaToReplica},
      {Vote{}, Route::kReplicaToReplica},
      {CausalWrite{c, SeqNo{5}, SeqNo{3}, 1, "v", SeqNo{4}, ReplicaId{1}}, Route::kClientToReplica},
      {CausalWriteAck{}, Route::kReplicaToClient},
      {HoPropose{c, SeqNo{9}, SeqNo{9}, {}, SeqNo{0}}, Route::kClientToReplica},
      {RecordAck{}, Route::kReplicaToClient},
      {CausalRead{c, SeqNo{2}, 1, LogIndex{0}, SeqNo{0}}, Route::kClientToReplica},
      {Sync{c, SeqNo{2}}, Route::kClientToReplica},
  };
  // One case per alternative, each once.
  std::set<size_t> indexes;
  for (const auto& [msg, route] : cases) indexes.insert(msg.index());
  CHECK(indexes.size() == std::variant_size_v<Message>);
  for (const auto& [msg, route] : cases) {
    INFO("alternative " << msg.index());
    CHECK(route_of(msg) == route);
    CHECK(session_of(msg).has_value() == (route != Route::kReplicaToReplica));
    if (route == Route::kClientToReplica) CHECK(*session_of(msg) == c);
  }
}

TEST_CASE("routing: the window of a request that carries acked_below, none for the others") {
  CHECK(outstanding_window(Propose{ClientId{1}, SeqNo{10}, SeqNo{4}, {}}) == 6u);
  CHECK(outstanding_window(
            CausalWrite{ClientId{1}, SeqNo{10}, SeqNo{7}, 1, "v", SeqNo{0}, ReplicaId{0}}) == 3u);
  CHECK(outstanding_window(HoPropose{ClientId{1}, SeqNo{3}, SeqNo{5}, {}, SeqNo{0}}) ==
        0u);  // acked_below ahead of seq
  CHECK(!outstanding_window(CausalRead{ClientId{1}, SeqNo{3}, 1, LogIndex{0}, SeqNo{0}}));
  CHECK(!outstanding_window(Sync{ClientId{1}, SeqNo{3}}));
  CHECK(!outstanding_window(Message{ProposeReply{}}));
}

TEST_CASE("routing: a client steps the leader's and the witnesses' replies first") {
  CHECK(step_first(ProposeReply{}));
  CHECK(step_first(RecordAck{}));
  CHECK(!step_first(StrongCommit{}));
  CHECK(!step_first(CausalWriteAck{}));
  CHECK(!step_first(WeakWriteReply{}));
}

}  // namespace
}  // namespace hd::core
