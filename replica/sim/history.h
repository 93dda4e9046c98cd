// The operation history a simulation records and the checkers consume: one
// HistoryOp per client op, with invocation/response positions on a single
// global order. Plain values; no I/O.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "replica/client/session_core.h"

namespace hd::sim {

// Response position of an op that never answered (timeout or unfinished): it
// may have taken effect at any later point.
inline constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

struct HistoryOp {
  uint64_t session = 0;  // ClientId value
  uint64_t seq = 0;
  client::OpClass op = client::OpClass::kStrongRead;
  core::Key key = 0;
  // Writes: the value written. Reads: the value returned (if completed).
  core::Value value;
  // Writes: the slot acknowledged. Reads: the version returned. 0 if unknown.
  uint64_t version = 0;
  // Positions on the global event order (strictly increasing per event), used
  // for real-time precedence: a precedes b iff a.response < b.invoke.
  uint64_t invoke = 0;
  uint64_t response = kNever;  // kNever: timed out or unfinished
  // Position when the op became committed as its session sees it: CURP-HT
  // answers every op after that point, so settle == response; a CURP-HO weak
  // write settles after its ack (docs/protocol-curpho.md §4.2). kNever: never.
  uint64_t settle = kNever;
  // Writes: the slot where the write was executed, learned from the replicas'
  // Ready::executed after the run (also for writes that timed out); 0: never
  // executed. Reads: 0. check_causal orders writes by it.
  uint64_t slot = 0;
  // Virtual times, for humans reading a failure report.
  core::TimeUs invoke_us = 0;
  core::TimeUs response_us = 0;
  client::Path path = client::Path::kNone;

  bool completed() const { return response != kNever; }
  // End of the op's interval for linearizability: a write's settle when known
  // (a CURP-HO weak write takes effect at its slot, which may come after the
  // ack that is its response: docs/protocol-curpho.md §4.2), else the
  // response. A converged simulation settles every acknowledged write; an
  // acknowledged one never ordered fails check_final_state.
  uint64_t lin_end() const {
    return is_write() && settle != kNever && settle > response ? settle : response;
  }
  bool is_write() const {
    return op == client::OpClass::kStrongWrite || op == client::OpClass::kWeakWrite;
  }
  bool is_read() const { return !is_write(); }
};

using History = std::vector<HistoryOp>;

}  // namespace hd::sim
