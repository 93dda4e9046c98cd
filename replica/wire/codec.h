// Wire format of heapdrift connections (docs/wire.md): an 8-byte header, then
// a payload, one frame type per core::Message alternative plus Hello. Pure
// functions on caller-owned buffers; safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "replica/core/messages.h"

namespace hd::wire {

inline constexpr uint16_t kMagic = 0x4844;  // "HD"; bytes 44 48 on the wire (LE)
inline constexpr uint8_t kVersion = 3;
inline constexpr size_t kHeaderBytes = 8;
// Decoders refuse larger payloads by default: a peer must not make us buffer
// gigabytes on the strength of a 4-byte length.
inline constexpr size_t kDefaultMaxPayloadBytes = size_t{64} << 20;

// First frame on every connection, so the receiver knows whether the peer is
// a replica (id = ReplicaId) or a client session (id = ClientId).
struct Hello {
  enum class Role : uint8_t { kReplica = 1, kClient = 2 };
  Role role = Role::kReplica;
  uint64_t id = 0;
  bool operator==(const Hello&) const = default;
};

using Frame = std::variant<Hello, core::Message>;

// Frame type numbers are part of the wire format: never renumber, only append.
// Messages are numbered in core::Message order: type = variant index + 2.
enum class FrameType : uint8_t {
  kHello = 1,
  kPropose = 2,
  kWeakWrite = 3,
  kWeakRead = 4,
  kProposeReply = 5,
  kStrongCommit = 6,
  kWeakWriteReply = 7,
  kWeakReadReply = 8,
  kAccept = 9,
  kAcceptAck = 10,
  kSnapshot = 11,
  kRequestVote = 12,
  kVote = 13,
  kCausalWrite = 14,
  kCausalWriteAck = 15,
  kHoPropose = 16,
  kRecordAck = 17,
  kCausalRead = 18,
  kSync = 19,
};
inline constexpr uint8_t kMinFrameType = 1;
inline constexpr uint8_t kMaxFrameType = 19;

FrameType frame_type(const core::Message& msg);
FrameType frame_type(const Frame& frame);
// "Accept", "Hello", ...; "unknown" for numbers outside the known range.
const char* frame_type_name(uint8_t type);

// Exact number of bytes encode() appends (header included). Cheap: sums
// string and vector sizes, no allocation.
size_t encoded_size(const Hello& hello);
size_t encoded_size(const core::Message& msg);
size_t encoded_size(const Frame& frame);

// Append one complete frame (header + payload) to `out`. `out` grows at most
// once per call, so callers batching many messages into one buffer (one write
// per peer per flush) pay no per-field allocation. Precondition: the payload
// fits in a u32 (checked); whether a receiver accepts it depends on its
// max_payload_bytes.
void encode(const Hello& hello, std::string& out);
void encode(const core::Message& msg, std::string& out);
void encode(const Frame& frame, std::string& out);

}  // namespace hd::wire
