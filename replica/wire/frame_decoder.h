// FrameDecoder: turns an arbitrarily chunked byte stream (one connection)
// into Frames, validating every field. One decoder per connection; not
// thread-safe (confine it to the connection's strand/thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "replica/wire/codec.h"

namespace hd::wire {

class FrameDecoder {
 public:
  // max_payload_bytes bounds what one frame may make us buffer; a header
  // announcing more fails the stream before any payload is buffered.
  explicit FrameDecoder(size_t max_payload_bytes = kDefaultMaxPayloadBytes);

  // Appends a chunk of the stream; the bytes are copied, so `data` need not
  // outlive the call. Feeding a failed decoder is allowed and ignored.
  void feed(const char* data, size_t n);

  // The next complete frame; nullopt when more bytes are needed; an error
  // Status when the stream is malformed. Errors are sticky: once failed, every
  // later call returns the same error, because framing is lost and the only
  // safe reaction is to close the connection. Call in a loop after each feed()
  // until it returns nullopt or an error.
  Result<std::optional<Frame>> next();

  bool failed() const { return !error_.is_ok(); }
  // Bytes fed but not yet returned as frames (a partial frame, or frames not
  // yet pulled with next()).
  size_t buffered_bytes() const { return buffer_.size() - pos_; }
  // Stream offset of the first byte not yet consumed (= the next frame's).
  uint64_t stream_offset() const { return consumed_; }
  size_t max_payload_bytes() const { return max_payload_bytes_; }

 private:
  Status fail(std::string message);

  size_t max_payload_bytes_;
  // Unconsumed bytes are buffer_[pos_, size). Consuming only advances pos_;
  // feed() compacts when the dead prefix is at least half the buffer, so each
  // byte is moved O(1) times on average.
  std::string buffer_;
  size_t pos_ = 0;
  uint64_t consumed_ = 0;  // stream offset of buffer_[pos_]
  Status error_;           // ok until the stream fails
};

}  // namespace hd::wire
