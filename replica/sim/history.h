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
  // Virtual times, for humans reading a failure report.
  core::TimeUs invoke_us = 0;
  core::TimeUs response_us = 0;
  client::Path path = client::Path::kNone;

  bool completed() const { return response != kNever; }
  bool is_write() const {
    return op == client::OpClass::kStrongWrite || op == client::OpClass::kWeakWrite;
  }
  bool is_read() const { return !is_write(); }
};

using History = std::vector<HistoryOp>;

}  // namespace hd::sim
