// Minimal protocol-buffers wire-format encoder (varints and length-delimited
// fields), enough to write profile.proto without depending on protobuf.
// Single-owner value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hd::analysis::proto {

class Writer {
 public:
  void varint(uint64_t v) {
    while (v >= 0x80) {
      buf_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    buf_ += static_cast<char>(v);
  }
  void tag(int field, int wire_type) {
    varint(static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wire_type));
  }
  // Scalar fields equal to 0 are omitted, as proto3 encoders do.
  void uint(int field, uint64_t v) {
    if (v == 0) return;
    tag(field, 0);
    varint(v);
  }
  void sint(int field, int64_t v) { uint(field, static_cast<uint64_t>(v)); }  // int64, not sint64
  void boolean(int field, bool v) { uint(field, v ? 1 : 0); }
  void bytes(int field, std::string_view b) {
    tag(field, 2);
    varint(b.size());
    buf_.append(b);
  }
  void message(int field, const Writer& m) { bytes(field, m.buf_); }
  // Packed repeated varints (proto3's default for repeated scalars).
  template <typename It>
  void packed(int field, It begin, It end) {
    Writer inner;
    for (It it = begin; it != end; ++it) inner.varint(static_cast<uint64_t>(*it));
    if (!inner.buf_.empty()) bytes(field, inner.buf_);
  }
  const std::string& data() const { return buf_; }

 private:
  std::string buf_;
};

}  // namespace hd::analysis::proto
