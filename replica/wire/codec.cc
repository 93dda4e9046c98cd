// Frame encoding: size the frame first, grow the output once, then write
// fields through a raw cursor (no per-field bounds checks or reallocation).
#include "replica/wire/codec.h"

#include <limits>

#include "base/check.h"
#include "replica/wire/fields.h"

namespace hd::wire {
namespace {

using detail::fields;
using detail::store_le;

class Writer {
 public:
  explicit Writer(char* p) : p_(p) {}
  char* position() const { return p_; }

  template <typename E>
  requires std::is_enum_v<E>
  void operator()(E e, const char*) {
    static_assert(sizeof(E) == 1);
    u8(static_cast<uint8_t>(e));
  }
  void operator()(bool b, const char*) { u8(b ? 1 : 0); }
  void operator()(uint32_t v, const char*) { put(v); }
  void operator()(uint64_t v, const char*) { put(v); }
  template <typename Tag, typename T>
  void operator()(const StrongId<Tag, T>& id, const char*) {
    put(id.v);
  }
  void operator()(const std::string& s, const char*) {
    put(static_cast<uint32_t>(s.size()));  // encode() checked the total fits in u32
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  template <typename T>
  void operator()(const std::vector<T>& vec, const char*) {
    put(static_cast<uint32_t>(vec.size()));
    for (const T& e : vec) fields(*this, e);
  }
  template <typename T>
  requires(!std::is_scalar_v<T>) void operator()(const T& nested, const char*) {
    fields(*this, nested);
  }

  void u8(uint8_t v) { *p_++ = static_cast<char>(v); }
  template <typename T>
  void put(T v) {
    store_le(p_, v);
    p_ += sizeof(T);
  }

 private:
  char* p_;
};

template <typename T>
void encode_one(FrameType type, const T& m, std::string& out) {
  const size_t payload = detail::payload_size(m);
  HD_CHECK(payload <= std::numeric_limits<uint32_t>::max());
  const size_t start = out.size();
  // resize() zero-fills, which is cheap next to a syscall; C++23's
  // resize_and_overwrite would skip it.
  out.resize(start + kHeaderBytes + payload);
  Writer w(out.data() + start);
  w.put(kMagic);
  w.u8(kVersion);
  w.u8(static_cast<uint8_t>(type));
  w.put(static_cast<uint32_t>(payload));
  fields(w, m);
  HD_CHECK(w.position() == out.data() + out.size());
}

// The type numbers are fixed by docs/wire.md; these break the build if
// core::Message is reordered or grows without a new frame type.
template <size_t I, typename T>
constexpr bool kAt = std::is_same_v<std::variant_alternative_t<I, core::Message>, T>;
static_assert(std::variant_size_v<core::Message> + 1 == kMaxFrameType);
static_assert(kAt<0, core::Propose> && kAt<1, core::WeakWrite> && kAt<2, core::WeakRead> &&
              kAt<3, core::ProposeReply> && kAt<4, core::StrongCommit> &&
              kAt<5, core::WeakWriteReply> && kAt<6, core::WeakReadReply> && kAt<7, core::Accept> &&
              kAt<8, core::AcceptAck> && kAt<9, core::Snapshot> && kAt<10, core::RequestVote> &&
              kAt<11, core::Vote> && kAt<12, core::CausalWrite> && kAt<13, core::CausalWriteAck> &&
              kAt<14, core::HoPropose> && kAt<15, core::RecordAck> && kAt<16, core::CausalRead> &&
              kAt<17, core::Sync>);

}  // namespace

FrameType frame_type(const core::Message& msg) {
  return static_cast<FrameType>(msg.index() + 2);
}

FrameType frame_type(const Frame& frame) {
  if (const auto* m = std::get_if<core::Message>(&frame)) return frame_type(*m);
  return FrameType::kHello;
}

const char* frame_type_name(uint8_t type) {
  switch (type) {
    case 1:
      return "Hello";
    case 2:
      return "Propose";
    case 3:
      return "WeakWrite";
    case 4:
      return "WeakRead";
    case 5:
      return "ProposeReply";
    case 6:
      return "StrongCommit";
    case 7:
      return "WeakWriteReply";
    case 8:
      return "WeakReadReply";
    case 9:
      return "Accept";
    case 10:
      return "AcceptAck";
    case 11:
      return "Snapshot";
    case 12:
      return "RequestVote";
    case 13:
      return "Vote";
    case 14:
      return "CausalWrite";
    case 15:
      return "CausalWriteAck";
    case 16:
      return "HoPropose";
    case 17:
      return "RecordAck";
    case 18:
      return "CausalRead";
    case 19:
      return "Sync";
    default:
      return "unknown";
  }
}

size_t encoded_size(const Hello& hello) {
  return kHeaderBytes + detail::payload_size(hello);
}

size_t encoded_size(const core::Message& msg) {
  return std::visit([](const auto& m) { return kHeaderBytes + detail::payload_size(m); }, msg);
}

size_t encoded_size(const Frame& frame) {
  return std::visit([](const auto& f) { return encoded_size(f); }, frame);
}

void encode(const Hello& hello, std::string& out) {
  encode_one(FrameType::kHello, hello, out);
}

void encode(const core::Message& msg, std::string& out) {
  const FrameType type = frame_type(msg);
  std::visit([&](const auto& m) { encode_one(type, m, out); }, msg);
}

void encode(const Frame& frame, std::string& out) {
  std::visit([&](const auto& f) { encode(f, out); }, frame);
}

}  // namespace hd::wire
