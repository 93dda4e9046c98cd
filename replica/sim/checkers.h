// Checkers run on a recorded History (and on the final replica states): strong
// linearizability per key (Wing–Gong / Lowe / Porcupine-style memoised search),
// weak-read session guarantees, value/version consistency, acknowledged-write
// durability and bounded retention. Pure functions; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "replica/core/messages.h"
#include "replica/sim/history.h"

namespace hd::sim {

struct CheckResult {
  enum class Kind : uint8_t { kOk, kViolation, kInconclusive };
  Kind kind = Kind::kOk;
  std::string detail;         // empty when kOk
  uint64_t steps = 0;         // search steps spent (linearizability)
  uint64_t zone_decided = 0;  // keys decided by the zone fallback

  bool ok() const { return kind == Kind::kOk; }
  static CheckResult violation(std::string d) {
    return CheckResult{Kind::kViolation, std::move(d), 0, 0};
  }
};

const char* to_string(CheckResult::Kind kind);

// Linearizability of every write (strong and weak; a write's interval ends at
// HistoryOp::lin_end(), its settle; a write that never answered
// has response = +inf and may or may not have taken effect) and every completed
// strong read, against a single-register model per key. Each key is searched
// separately; a key whose search exceeds max_steps_per_key makes the result
// kInconclusive (unless another key is a definite violation).
// With zone_fallback, a key whose search hits the bound is decided by
// check_linearizable_zones instead (counted in zone_decided).
CheckResult check_linearizable(const History& history, uint64_t max_steps_per_key = 2'000'000,
                               bool zone_fallback = true);

// The same question answered by the zone algorithm of Gibbons & Korach for
// registers whose writes have unique values (reads name their write): exact
// and O(n^2) per key, so it decides keys where the search above hits its step
// bound. Same op selection as check_linearizable.
CheckResult check_linearizable_zones(const History& history);

// Per session, for completed weak reads: read-your-writes (version >= slot of
// every write of that session to the key completed before the read was
// invoked), monotonic reads (version >= version of every read of that key the
// session completed before this read was invoked); and for every completed
// read, value/version consistency with the writes of the history (version 0
// means never written: the value must be empty).
CheckResult check_session_guarantees(const History& history);
CheckResult check_value_versions(const History& history);

// Writes' execution slots (HistoryOp::slot, filled from Ready::executed)
// against what the clients saw: every completed write executed, at exactly
// its acknowledged version (CURP-HT acknowledges a write with its slot), and
// every read at version v of a write that executed names that write's slot
// (this also covers writes that timed out, whose version is unknown).
CheckResult check_write_slots(const History& history);

// Causal consistency (docs/protocol-curpho.md §4.3, checkers_causal.cc).
// Causal order = transitive closure of session order (a completed before b
// was invoked, same session) and reads-from (a read returning version v > 0
// read the write with that value, whose slot is v). Needs write slots filled.
// Reports, naming both ops and the edge that put the earlier one in the
// later one's causal past:
//  * causal visibility: a completed read returns a version >= the highest
//    slot of a write to its key in its causal past (writes-follow-reads,
//    transitively; also own writes and reads, for strong reads too);
//  * write order: an executed write's slot is > every write slot and read
//    version in its causal past (no write ordered before its past);
//  * read from the future: a read returned a write invoked after the read's
//    response.
// O(ops x keys) time; memory O(sessions x keys + keys x writes still read).
CheckResult check_causal(const History& history);

// One live replica's final executed state of the keys the history touched.
struct ReplicaFinalState {
  uint32_t replica = 0;
  std::vector<core::KvEntry> entries;  // one per key, any order
};

// Every acknowledged write was ordered (version > 0; a CURP-HO weak write's
// version is its execution slot, 0 if none) and is durable: on every replica, each key's version is
// >= the slot of every acknowledged write to it; all replicas agree on value
// and version; and the value at that version is the one written there.
CheckResult check_final_state(const History& history, const std::vector<ReplicaFinalState>& states);

// Retention bound: every sample must stay <= bound.
struct RetentionSample {
  uint32_t replica = 0;
  core::TimeUs at_us = 0;
  uint64_t log_entries_retained = 0;
  uint64_t witness_entries = 0;
};
CheckResult check_retention(const std::vector<RetentionSample>& samples, uint64_t log_bound,
                            uint64_t witness_bound);

// Every replica executes the same entry at each slot. Fed as replicas report
// executed slots (ReplicaCore's Ready::executed); keeps the first digest seen
// per slot and the first disagreement. A later write to the same key can hide
// a divergent slot from check_final_state; this cannot be hidden.
class ExecutionAgreement {
 public:
  void observe(uint32_t replica, uint64_t slot, uint64_t digest);
  // The same replica executed op (client, seq) at `slot` (no-ops, 0/0, are
  // not ops). An op executed at two different slots is a violation (de-dup
  // failed); slot_of() gives the slot, 0 if no replica executed the op.
  void observe_op(uint32_t replica, uint64_t client, uint64_t seq, uint64_t slot);
  uint64_t slot_of(uint64_t client, uint64_t seq) const;
  const CheckResult& result() const { return result_; }
  uint64_t slots_compared() const { return compared_; }

 private:
  struct First {
    uint64_t digest;
    uint32_t replica;
  };
  std::unordered_map<uint64_t, First> first_;  // slot -> first report
  struct OpHash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& p) const {
      return std::hash<uint64_t>{}(p.first * 0x9E3779B97F4A7C15ULL ^ p.second);
    }
  };
  std::unordered_map<std::pair<uint64_t, uint64_t>, uint64_t, OpHash> slot_of_;  // (client, seq)
  CheckResult result_;
  uint64_t compared_ = 0;
};

// A stretch of virtual time [from, to).
struct Stretch {
  core::TimeUs from = 0;
  core::TimeUs to = 0;
};

// Ops are not lost: an op may time out only when the faults explain it. A
// timed-out op whose lifetime [invoke_us, invoke_us + op_timeout_us) holds
// at least min_available_us of one stretch with a reachable leader (retried
// every retry interval all that time) is a violation. `timed_out` indexes
// history; `available` is sorted and disjoint.
CheckResult check_timeouts(const History& history, const std::vector<size_t>& timed_out,
                           const std::vector<Stretch>& available, core::TimeUs op_timeout_us,
                           core::TimeUs min_available_us);

// Human-readable one-line description of an op (for failure reports).
std::string describe(const HistoryOp& op);

}  // namespace hd::sim
