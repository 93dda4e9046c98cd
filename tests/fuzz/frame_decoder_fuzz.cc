// libFuzzer target for hd::wire::FrameDecoder. The input is one connection's
// byte stream, fed in 1-3 chunks (split points derived from the input, so a
// crash reproduces from the file alone). Every frame the decoder accepts must
// re-encode to exactly the bytes it came from (the encoding is canonical) and
// decode again to an equal frame.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/check.h"
#include "replica/wire/codec.h"
#include "replica/wire/frame_decoder.h"

namespace {

using hd::wire::encode;
using hd::wire::Frame;
using hd::wire::FrameDecoder;

uint64_t fnv1a(const uint8_t* data, size_t size) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

void check_reencoding(const Frame& frame, const char* original, size_t original_size) {
  std::string bytes;
  encode(frame, bytes);
  HD_CHECK(bytes.size() <= original_size);
  HD_CHECK(std::memcmp(bytes.data(), original, bytes.size()) == 0);
  FrameDecoder again;
  again.feed(bytes.data(), bytes.size());
  auto r = again.next();
  HD_CHECK(r.is_ok());
  HD_CHECK(r->has_value());
  HD_CHECK(**r == frame);
  HD_CHECK(again.buffered_bytes() == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* bytes = reinterpret_cast<const char*>(data);
  const uint64_t h = fnv1a(data, size);
  size_t cut[4] = {0, 0, 0, size};
  const int chunks = 1 + static_cast<int>(h % 3);
  if (chunks >= 2) cut[1] = static_cast<size_t>((h >> 8) % (size + 1));
  if (chunks == 3) cut[2] = cut[1] + static_cast<size_t>((h >> 36) % (size - cut[1] + 1));
  if (chunks == 2) cut[2] = cut[1];

  // A 1 MiB limit keeps the oversized-length path reachable and memory small.
  FrameDecoder decoder(size_t{1} << 20);
  uint64_t frame_start = 0;  // stream offset of the next frame
  for (int c = 0; c < 3; ++c) {
    decoder.feed(bytes + cut[c], cut[c + 1] - cut[c]);
    for (;;) {
      auto r = decoder.next();
      if (!r.is_ok()) {
        HD_CHECK(decoder.failed());
        HD_CHECK(r.status().message().rfind("frame at offset ", 0) == 0);
        return 0;
      }
      if (!r->has_value()) break;
      HD_CHECK(frame_start < size);
      check_reencoding(**r, bytes + frame_start, size - static_cast<size_t>(frame_start));
      frame_start += hd::wire::encoded_size(**r);
      HD_CHECK(decoder.stream_offset() == frame_start);
    }
  }
  HD_CHECK(decoder.buffered_bytes() == size - frame_start);
  return 0;
}
