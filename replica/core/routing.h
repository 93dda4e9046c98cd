// Routing: which side handles each protocol message (docs/transport.md,
// "Routing"). One route per core::Message alternative, declared here and
// nowhere else; the replica's transport (ReplicaServer) and the client's
// (AsyncClient) ask route_of() instead of listing types, so a new message
// type without a route is a compile error (RouteOf has no primary
// definition, and kAllRouted visits every alternative), not a frame that
// one side silently drops or takes for bad input. Header-only, constexpr;
// thread-safe.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "replica/core/messages.h"

namespace hd::core {

enum class Route : uint8_t {
  kClientToReplica,   // a client session's request; carries its ClientId
  kReplicaToClient,   // an answer to a session; carries its ClientId
  kReplicaToReplica,  // replication, state transfer, elections
};

// No primary definition: an unrouted type does not compile.
template <typename T>
struct RouteOf;

#define HD_ROUTE(T, R, FIRST)                   \
  template <>                                   \
  struct RouteOf<T> {                           \
    static constexpr Route kRoute = Route::R;   \
    static constexpr bool kStepFirst = (FIRST); \
  }

// kStepFirst (client side only): a reply the client steps before the others
// received in the same loop turn — the leader's speculative reply and the
// witnesses' answers — so that an op whose fast-path quorum and commit
// arrived together counts as fast, whatever order epoll reported the
// connections in (AsyncClient::deliver_inbox).
HD_ROUTE(Propose, kClientToReplica, false);
HD_ROUTE(WeakWrite, kClientToReplica, false);
HD_ROUTE(WeakRead, kClientToReplica, false);
HD_ROUTE(ProposeReply, kReplicaToClient, true);
HD_ROUTE(StrongCommit, kReplicaToClient, false);
HD_ROUTE(WeakWriteReply, kReplicaToClient, false);
HD_ROUTE(WeakReadReply, kReplicaToClient, false);
HD_ROUTE(Accept, kReplicaToReplica, false);
HD_ROUTE(AcceptAck, kReplicaToReplica, false);
HD_ROUTE(Snapshot, kReplicaToReplica, false);
HD_ROUTE(RequestVote, kReplicaToReplica, false);
HD_ROUTE(Vote, kReplicaToReplica, false);
// CURP-HO (wire types 14..19).
HD_ROUTE(CausalWrite, kClientToReplica, false);
HD_ROUTE(CausalWriteAck, kReplicaToClient, false);
HD_ROUTE(HoPropose, kClientToReplica, false);
HD_ROUTE(RecordAck, kReplicaToClient, true);
HD_ROUTE(CausalRead, kClientToReplica, false);
HD_ROUTE(Sync, kClientToReplica, false);

#undef HD_ROUTE

namespace routing_detail {

// Every alternative of Message has a route, and every message to or from a
// client names its session in a `client` field.
template <typename T>
constexpr bool routed() {
  constexpr Route r = RouteOf<T>::kRoute;
  if constexpr (r == Route::kReplicaToReplica) {
    return true;
  } else {
    return requires(const T& m) {
      { m.client } -> std::convertible_to<ClientId>;
    };
  }
}

template <size_t... I>
constexpr bool all_routed(std::index_sequence<I...>) {
  return (routed<std::variant_alternative_t<I, Message>>() && ...);
}

}  // namespace routing_detail

inline constexpr bool kAllRouted =
    routing_detail::all_routed(std::make_index_sequence<std::variant_size_v<Message>>{});
static_assert(kAllRouted, "every Message alternative needs a RouteOf with a client field");

constexpr Route route_of(const Message& m) {
  return std::visit([](const auto& x) { return RouteOf<std::decay_t<decltype(x)>>::kRoute; }, m);
}

constexpr bool step_first(const Message& m) {
  return std::visit([](const auto& x) { return RouteOf<std::decay_t<decltype(x)>>::kStepFirst; },
                    m);
}

// The session a client request or a reply to a client belongs to; nothing
// for replica-to-replica messages.
inline std::optional<ClientId> session_of(const Message& m) {
  return std::visit(
      [](const auto& x) -> std::optional<ClientId> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (RouteOf<T>::kRoute == Route::kReplicaToReplica) {
          return std::nullopt;
        } else {
          return x.client;
        }
      },
      m);
}

// seq - acked_below of a client request that carries both (0 if acked_below
// is ahead): how many of the session's replies a replica may still have to
// keep. Nothing for requests that carry no acked_below (reads, Sync).
inline std::optional<uint64_t> outstanding_window(const Message& m) {
  return std::visit(
      [](const auto& x) -> std::optional<uint64_t> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (RouteOf<T>::kRoute == Route::kClientToReplica &&
                      requires { x.acked_below; }) {
          return x.seq.value() > x.acked_below.value() ? x.seq.value() - x.acked_below.value() : 0;
        } else {
          return std::nullopt;
        }
      },
      m);
}

}  // namespace hd::core
