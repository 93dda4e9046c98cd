// Frame decoding. Every read is bounds-checked against the payload, and no
// container is sized from an untrusted count before checking that the rest
// of the payload could hold that many elements.
#include "replica/wire/frame_decoder.h"

#include <array>
#include <cstdio>
#include <utility>

#include "replica/wire/fields.h"

namespace hd::wire {
namespace {

using detail::fields;
using detail::load_le;

// Reads one payload. The first failure is recorded and moves the cursor to
// the end, so every later read fails fast without overwriting the message.
class Reader {
 public:
  Reader(const char* p, size_t n) : begin_(p), p_(p), end_(p + n) {}

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  template <typename E>
  requires std::is_enum_v<E>
  void operator()(E& e, const char* name) {
    static_assert(sizeof(E) == 1);
    if (!have(1, name)) return;
    const uint8_t raw = static_cast<uint8_t>(*p_++);
    const E value = static_cast<E>(raw);  // fixed underlying type: any u8 is representable
    if (!detail::is_valid(value)) [[unlikely]] {
      return fail(field(name) + "invalid enum value " + std::to_string(raw));
    }
    e = value;
  }
  void operator()(bool& b, const char* name) {
    if (!have(1, name)) return;
    const uint8_t raw = static_cast<uint8_t>(*p_++);
    if (raw > 1) [[unlikely]] {
      return fail(field(name) + "bool value " + std::to_string(raw) + " (must be 0 or 1)");
    }
    b = raw == 1;
  }
  void operator()(uint32_t& v, const char* name) { get(v, name); }
  void operator()(uint64_t& v, const char* name) { get(v, name); }
  template <typename Tag, typename T>
  void operator()(StrongId<Tag, T>& id, const char* name) {
    get(id.v, name);
  }
  void operator()(std::string& s, const char* name) {
    uint32_t len = 0;
    if (!get(len, name)) return;
    if (len > remaining()) [[unlikely]] {
      return fail(field(name) + "string length " + std::to_string(len) + " exceeds payload (" +
                  std::to_string(remaining()) + " bytes left)");
    }
    s.assign(p_, len);
    p_ += len;
  }
  template <typename T>
  void operator()(std::vector<T>& vec, const char* name) {
    uint32_t count = 0;
    if (!get(count, name)) return;
    const size_t min_each = detail::min_payload_size<T>();
    if (count > remaining() / min_each) [[unlikely]] {
      return fail(field(name) + "entry count " + std::to_string(count) +
                  " exceeds payload (each needs at least " + std::to_string(min_each) + " bytes, " +
                  std::to_string(remaining()) + " left)");
    }
    vec.clear();
    vec.reserve(count);  // bounded by the payload we already hold
    for (uint32_t i = 0; i < count && ok_; ++i) fields(*this, vec.emplace_back());
  }
  template <typename T>
  requires(!std::is_scalar_v<T>) void operator()(T& nested, const char*) { fields(*this, nested); }

 private:
  bool have(size_t n, const char* name) {
    if (remaining() >= n) [[likely]]
      return true;
    // After a failure remaining() is 0; keep the first message.
    if (ok_) {
      fail(field(name) + "payload too short: needs " + std::to_string(n) +
           " bytes at payload offset " + std::to_string(p_ - begin_) + ", " +
           std::to_string(remaining()) + " left");
    }
    return false;
  }
  template <typename T>
  bool get(T& v, const char* name) {
    if (!have(sizeof(T), name)) return false;
    v = load_le<T>(p_);
    p_ += sizeof(T);
    return true;
  }
  static std::string field(const char* name) { return std::string("field '") + name + "': "; }
  void fail(std::string message) {
    ok_ = false;
    error_ = std::move(message);
    p_ = end_;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  bool ok_ = true;
  std::string error_;
};

using DecodeFn = void (*)(Reader&, std::optional<Frame>&);

void decode_hello(Reader& r, std::optional<Frame>& out) {
  fields(r, std::get<Hello>(out.emplace(std::in_place_type<Hello>)));
}

template <size_t I>
void decode_message(Reader& r, std::optional<Frame>& out) {
  auto& msg = std::get<core::Message>(out.emplace(std::in_place_type<core::Message>));
  fields(r, msg.template emplace<I>());
}

// Indexed by frame type; type t >= 2 is core::Message alternative t - 2.
template <size_t... I>
constexpr std::array<DecodeFn, kMaxFrameType + 1> make_table(std::index_sequence<I...>) {
  return {nullptr, &decode_hello, &decode_message<I>...};
}
constexpr auto kDecoders =
    make_table(std::make_index_sequence<std::variant_size_v<core::Message>>());

std::string frame_prefix(uint64_t offset, uint8_t type) {
  return "frame at offset " + std::to_string(offset) + " (type " + std::to_string(type) + " " +
         frame_type_name(type) + "): ";
}

}  // namespace

FrameDecoder::FrameDecoder(size_t max_payload_bytes) : max_payload_bytes_(max_payload_bytes) {}

void FrameDecoder::feed(const char* data, size_t n) {
  if (failed() || n == 0) return;
  // Compact only when the dead prefix is at least as large as the live bytes:
  // the move then costs no more than the bytes already consumed (amortized
  // O(1) per byte), and a large frame arriving in small chunks is not
  // shifted again on every feed.
  if (pos_ > 0 && pos_ >= buffer_.size() - pos_) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  buffer_.append(data, n);
}

Status FrameDecoder::fail(std::string message) {
  error_ = Status::error(std::move(message));
  // Release the memory: nothing more will be decoded from this stream.
  buffer_.clear();
  buffer_.shrink_to_fit();
  pos_ = 0;
  return error_;
}

Result<std::optional<Frame>> FrameDecoder::next() {
  if (failed()) return error_;
  const size_t avail = buffer_.size() - pos_;
  const char* h = buffer_.data() + pos_;
  // Header fields are checked as soon as their bytes arrive, so garbage (or
  // a client speaking another protocol) is refused without waiting for more.
  if (avail >= 2) {
    const uint16_t magic = load_le<uint16_t>(h);
    if (magic != kMagic) [[unlikely]] {
      char buf[96];
      std::snprintf(buf, sizeof buf, "frame at offset %llu: bad magic 0x%04x (expected 0x%04x)",
                    static_cast<unsigned long long>(consumed_), magic, kMagic);
      return fail(buf);
    }
  }
  if (avail < 4) return std::optional<Frame>();
  const uint8_t version = static_cast<uint8_t>(h[2]);
  const uint8_t type = static_cast<uint8_t>(h[3]);
  if (version != kVersion) [[unlikely]] {
    return fail(frame_prefix(consumed_, type) + "unsupported version " + std::to_string(version) +
                " (expected " + std::to_string(kVersion) + ")");
  }
  if (type < kMinFrameType || type > kMaxFrameType) [[unlikely]] {
    return fail(frame_prefix(consumed_, type) + "unknown frame type");
  }
  if (avail < kHeaderBytes) return std::optional<Frame>();
  const uint32_t len = load_le<uint32_t>(h + 4);
  if (len > max_payload_bytes_) [[unlikely]] {
    return fail(frame_prefix(consumed_, type) + "payload length " + std::to_string(len) +
                " exceeds limit " + std::to_string(max_payload_bytes_));
  }
  const size_t frame_bytes = kHeaderBytes + size_t{len};
  if (avail < frame_bytes) return std::optional<Frame>();

  Reader r(h + kHeaderBytes, len);
  std::optional<Frame> frame;
  kDecoders[type](r, frame);
  if (!r.ok()) [[unlikely]] {
    return fail(frame_prefix(consumed_, type) + r.error());
  }
  if (r.remaining() != 0) [[unlikely]] {
    return fail(frame_prefix(consumed_, type) + std::to_string(r.remaining()) +
                " trailing bytes after the last field");
  }
  pos_ += frame_bytes;
  consumed_ += frame_bytes;
  if (pos_ == buffer_.size()) {  // common case: cheap reset, capacity kept
    buffer_.clear();
    pos_ = 0;
  }
  return frame;
}

}  // namespace hd::wire
