// CausalGate: the CURP-HO leader's waiting room (docs/protocol-curpho.md
// §2.2). A session's weak write or strong op whose causal dependency (an
// earlier weak write of the same session) is not in the log yet waits here,
// so that it is appended after its dependency: slot(dep) < slot(op), and
// slot-order execution needs no further waiting. The caller decides
// readiness (ClientTable: the dep is executed or in the log) and appends
// what take_ready() hands back, one op at a time, so a chain W1 <- W2 <- W3
// is released in order as each append makes the next one ready.
// Bounded: beyond `cap` ops the oldest is dropped (its client retries).
// Not thread-safe (core-owned).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>
#include <variant>

#include "replica/core/messages.h"

namespace hd::core {

struct GatedOp {
  std::variant<CausalWrite, HoPropose> op;
  SeqNo dep;  // the session's weak write this op waits for (never 0)
  TimeUs since_us = 0;
};

class CausalGate {
 public:
  static constexpr size_t kMaxGated = 4096;

  explicit CausalGate(size_t cap = kMaxGated) : cap_(cap) {}

  // Parks op `seq` of `client` until `dep` is ready. A retry of an op already
  // parked changes nothing (false). May drop the oldest parked op to stay
  // within the cap (counted in dropped()).
  bool park(ClientId client, SeqNo seq, GatedOp op);
  // Removes and returns the session's lowest-seq parked op whose dependency
  // is `ready`, or nothing. Call again after appending it: that append may
  // make the next op of a chain ready.
  std::optional<GatedOp> take_ready(ClientId client, const std::function<bool(SeqNo)>& ready);
  bool holds(ClientId client, SeqNo seq) const;
  // Every parked op, e.g. when the leader steps down (clients retry).
  void clear();

  size_t size() const { return size_; }
  uint64_t dropped() const { return dropped_; }

 private:
  void drop_oldest();

  size_t cap_;
  std::unordered_map<ClientId, std::map<SeqNo, GatedOp>> by_client_;
  // Park order, for dropping the oldest; entries released meanwhile are
  // skipped lazily (and compacted when they outnumber the live ones).
  std::deque<std::pair<ClientId, SeqNo>> order_;
  size_t size_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace hd::core
