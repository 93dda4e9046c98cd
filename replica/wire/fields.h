// Internal to hd_wire: the field list of every frame payload, written once as
// `fields(visitor, msg)` and walked by three visitors (Sizer, Writer, Reader in
// the .cc files), so the size, the encoder and the decoder cannot disagree on
// the wire order. Stateless; thread-safe.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "replica/core/messages.h"
#include "replica/wire/codec.h"

namespace hd::wire::detail {

// Little-endian load/store. memcpy compiles to a single mov on x86; the
// big-endian branch keeps the format portable.
template <typename T>
inline void store_le(char* p, T v) {
  static_assert(std::is_unsigned_v<T>);
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &v, sizeof(T));
  } else {
    for (size_t i = 0; i < sizeof(T); ++i) {
      p[i] = static_cast<char>(static_cast<uint8_t>(v >> (8 * i)));
    }
  }
}

template <typename T>
inline T load_le(const char* p) {
  static_assert(std::is_unsigned_v<T>);
  T v;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&v, p, sizeof(T));
  } else {
    v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      v = static_cast<T>(v | static_cast<T>(static_cast<uint8_t>(p[i])) << (8 * i));
    }
  }
  return v;
}

// Enum validation: only the listed values may appear on the wire.
inline bool is_valid(core::OpKind k) {
  return k == core::OpKind::kGet || k == core::OpKind::kPut;
}
inline bool is_valid(Hello::Role r) {
  return r == Hello::Role::kReplica || r == Hello::Role::kClient;
}

// ---- field lists (wire order == declaration order in messages.h) ----------
// M is T or const T, so the same list serves encoding and decoding.

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, Hello>
void fields(V& v, M& m) {
  v(m.role, "role");
  v(m.id, "id");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::Command>
void fields(V& v, M& m) {
  v(m.kind, "kind");
  v(m.key, "key");
  v(m.value, "value");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::Propose>
void fields(V& v, M& m) {
  v(m.client, "client");
  v(m.seq, "seq");
  v(m.acked_below, "acked_below");
  v(m.cmd, "cmd");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::WeakWrite>
void fields(V& v, M& m) {
  v(m.client, "client");
  v(m.seq, "seq");
  v(m.acked_below, "acked_below");
  v(m.key, "key");
  v(m.value, "value");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::WeakRead>
void fields(V& v, M& m) {
  v(m.client, "client");
  v(m.seq, "seq");
  v(m.key, "key");
  v(m.min_index, "min_index");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::ProposeReply>
void fields(V& v, M& m) {
  v(m.from, "from");
  v(m.client, "client");
  v(m.seq, "seq");
  v(m.from_leader, "from_leader");
  v(m.ok, "ok");
  v(m.slot, "slot");
  v(m.value, "value");
  v(m.version, "version");
  v(m.term, "term");
  v(m.leader, "leader");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::StrongCommit>
void fields(V& v, M& m) {
  v(m.client, "client");
  v(m.seq, "seq");
  v(m.slot, "slot");
  v(m.value, "value");
  v(m.version, "version");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::WeakWriteReply>
void fields(V& v, M& m) {
  v(m.client, "client");
  v(m.seq, "seq");
  v(m.slot, "slot");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::WeakReadReply>
void fields(V& v, M& m) {
  v(m.from, "from");
  v(m.client, "client");
  v(m.seq, "seq");
  v(m.value, "value");
  v(m.version, "version");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::LogEntry>
void fields(V& v, M& m) {
  v(m.client, "client");
  v(m.seq, "seq");
  v(m.strong, "strong");
  v(m.cmd, "cmd");
  v(m.term, "term");
  v(m.acked_below, "acked_below");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::Accept>
void fields(V& v, M& m) {
  v(m.from, "from");
  v(m.first, "first");
  v(m.entries, "entries");
  v(m.commit, "commit");
  v(m.term, "term");
  v(m.prev_term, "prev_term");
  v(m.last, "last");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::AcceptAck>
void fields(V& v, M& m) {
  v(m.from, "from");
  v(m.last_contiguous, "last_contiguous");
  v(m.applied, "applied");
  v(m.term, "term");
  v(m.reject, "reject");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::KvEntry>
void fields(V& v, M& m) {
  v(m.key, "key");
  v(m.value, "value");
  v(m.version, "version");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::ClientSeqRecord>
void fields(V& v, M& m) {
  v(m.seq, "seq");
  v(m.seen, "seen");
  v(m.saved, "saved");
  v(m.strong, "strong");
  v(m.slot, "slot");
  v(m.value, "value");
  v(m.version, "version");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::ClientRecord>
void fields(V& v, M& m) {
  v(m.client, "client");
  v(m.acked_below, "acked_below");
  v(m.floor, "floor");
  v(m.seqs, "seqs");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::Snapshot>
void fields(V& v, M& m) {
  v(m.from, "from");
  v(m.index, "index");
  v(m.chunk, "chunk");
  v(m.last, "last");
  v(m.entries, "entries");
  v(m.term, "term");
  v(m.index_term, "index_term");
  v(m.clients, "clients");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::RequestVote>
void fields(V& v, M& m) {
  v(m.from, "from");
  v(m.term, "term");
  v(m.last_index, "last_index");
  v(m.last_term, "last_term");
  v(m.pre, "pre");
  v(m.probe, "probe");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::Vote>
void fields(V& v, M& m) {
  v(m.from, "from");
  v(m.term, "term");
  v(m.granted, "granted");
  v(m.pre, "pre");
  v(m.probe, "probe");
}

// ---- CURP-HO (types 14..19) -------------------------------------------------

// A bare SeqNo as a vector element (RecordAck::causal_deps).
template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::SeqNo>
void fields(V& v, M& m) {
  v(m, "seq");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::CausalWrite>
void fields(V& v, M& m) {
  v(m.client, "client");
  v(m.seq, "seq");
  v(m.acked_below, "acked_below");
  v(m.key, "key");
  v(m.value, "value");
  v(m.causal_dep, "causal_dep");
  v(m.bound, "bound");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::CausalWriteAck>
void fields(V& v, M& m) {
  v(m.from, "from");
  v(m.client, "client");
  v(m.seq, "seq");
  v(m.term, "term");
  v(m.leader, "leader");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::HoPropose>
void fields(V& v, M& m) {
  v(m.client, "client");
  v(m.seq, "seq");
  v(m.acked_below, "acked_below");
  v(m.cmd, "cmd");
  v(m.causal_dep, "causal_dep");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::RecordAck>
void fields(V& v, M& m) {
  v(m.from, "from");
  v(m.client, "client");
  v(m.seq, "seq");
  v(m.ok, "ok");
  v(m.slot, "slot");
  v(m.term, "term");
  v(m.leader, "leader");
  v(m.read_dep_client, "read_dep_client");
  v(m.read_dep_seq, "read_dep_seq");
  v(m.causal_deps, "causal_deps");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::CausalRead>
void fields(V& v, M& m) {
  v(m.client, "client");
  v(m.seq, "seq");
  v(m.key, "key");
  v(m.min_index, "min_index");
  v(m.dep_seq, "dep_seq");
}

template <typename V, typename M>
requires std::is_same_v<std::remove_const_t<M>, core::Sync>
void fields(V& v, M& m) {
  v(m.client, "client");
  v(m.seq, "seq");
}

// Payload size of `m`; the smallest possible size of a T when `m` is
// default-constructed (empty strings and vectors), which the decoder uses to
// bound element counts before allocating.
class Sizer {
 public:
  size_t bytes = 0;

  template <typename E>
  requires std::is_enum_v<E>
  void operator()(E, const char*) { bytes += sizeof(std::underlying_type_t<E>); }
  void operator()(bool, const char*) { bytes += 1; }
  void operator()(uint32_t, const char*) { bytes += 4; }
  void operator()(uint64_t, const char*) { bytes += 8; }
  template <typename Tag, typename T>
  void operator()(const StrongId<Tag, T>&, const char*) {
    bytes += sizeof(T);
  }
  void operator()(const std::string& s, const char*) { bytes += 4 + s.size(); }
  template <typename T>
  void operator()(const std::vector<T>& vec, const char*) {
    bytes += 4;
    for (const T& e : vec) fields(*this, e);
  }
  template <typename T>
  requires(!std::is_scalar_v<T>) void operator()(const T& nested, const char*) {
    fields(*this, nested);
  }
};

template <typename T>
size_t payload_size(const T& m) {
  Sizer s;
  fields(s, m);
  return s.bytes;
}

template <typename T>
size_t min_payload_size() {
  static const size_t kMin = payload_size(T{});
  return kMin;
}

}  // namespace hd::wire::detail
