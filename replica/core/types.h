// Vocabulary of the CURP-HT protocol core: ids, time, commands.
// Pure values; no I/O. Shared by the core, the wire codec, the client session
// core, the simulator and the transport.
#pragma once

#include <cstdint>
#include <string>

#include "base/strong_id.h"
#include "replica/core/live_count.h"

namespace hd::core {

using ReplicaId = StrongId<struct ReplicaIdTag, uint32_t>;
// Log slots start at 1; LogIndex{0} means "none / nothing yet".
using LogIndex = StrongId<struct LogIndexTag, uint64_t>;
// The slot after i.
inline LogIndex next_of(LogIndex i) {
  return LogIndex{i.value() + 1};
}
// One client *session* (one loadgen thread, one test session). Ids are chosen
// by clients; they must be unique in a cluster (loadgen derives them from
// process alias and thread number).
using ClientId = StrongId<struct ClientIdTag, uint64_t>;
// Per-session operation number, starting at 1, increasing by 1 per new op.
// A retry re-sends the same SeqNo (at-most-once execution at the leader).
using SeqNo = StrongId<struct SeqNoTag, uint64_t>;
// Leader term (election epoch). Term 1 is the boot term, led by
// CoreConfig::leader without an election; 0 means "none / not known yet".
using Term = StrongId<struct TermTag, uint64_t>;

using Key = uint64_t;
using Value = std::string;

// Injected clock: microseconds on a monotonic clock (steady_clock in the real
// transport, virtual time in the simulator). The core never reads a clock.
using TimeUs = uint64_t;

// Which replication protocol a cluster runs (docs/protocol-curpho.md).
// CURP-HT: strong ops via witnesses, weak writes via the leader; CURP-HO:
// weak writes to every replica, answered by the client's bound replica.
enum class Protocol : uint8_t { kCurpHt, kCurpHo };

enum class OpKind : uint8_t { kGet = 1, kPut = 2 };

struct Command {
  OpKind kind = OpKind::kGet;
  Key key = 0;
  Value value;  // empty for kGet

  [[no_unique_address]] LiveCount<Command> live{};  // memprof gauge live.command

  bool is_write() const { return kind == OpKind::kPut; }
  bool operator==(const Command&) const = default;
};

// Two commands conflict (do not commute) when they touch the same key and at
// least one writes. Witnesses refuse a strong command that conflicts with one
// they already hold unsynced.
inline bool conflicts(const Command& a, const Command& b) {
  return a.key == b.key && (a.is_write() || b.is_write());
}

}  // namespace hd::core
