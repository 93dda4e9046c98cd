// Streaming and validation behaviour of FrameDecoder
// (replica/wire/frame_decoder.h).
#include "replica/wire/frame_decoder.h"

#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "unit/replica/wire/message_gen.h"

namespace hd::wire {
namespace {

struct Decoded {
  std::vector<Frame> frames;
  std::optional<std::string> error;  // set when the stream failed
};

// Feeds `bytes` in chunks whose sizes come from `chunk` (called repeatedly),
// draining frames after every feed.
template <typename ChunkFn>
Decoded decode_chunked(const std::string& bytes, ChunkFn chunk, FrameDecoder d = FrameDecoder()) {
  Decoded out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t n = std::min(bytes.size() - pos, chunk());
    d.feed(bytes.data() + pos, n);
    pos += n;
    for (;;) {
      auto r = d.next();
      if (!r.is_ok()) {
        out.error = r.status().message();
        return out;
      }
      if (!r->has_value()) break;
      out.frames.push_back(std::move(**r));
    }
  }
  return out;
}

Decoded decode_whole(const std::string& bytes, size_t max_payload = kDefaultMaxPayloadBytes) {
  return decode_chunked(
      bytes, [&] { return bytes.size(); }, FrameDecoder(max_payload));
}

std::string encoded(const Frame& f) {
  std::string out;
  encode(f, out);
  return out;
}

// Error text of decoding `bytes` in one feed; fails the test if it decodes.
std::string error_of(const std::string& bytes, size_t max_payload = kDefaultMaxPayloadBytes) {
  const Decoded d = decode_whole(bytes, max_payload);
  REQUIRE_MESSAGE(d.error.has_value(), "stream unexpectedly decoded");
  return *d.error;
}

void put_u32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

const std::string kValidAck = encoded(
    Frame{core::Message{core::AcceptAck{core::ReplicaId{1}, core::LogIndex{2}, core::LogIndex{3},
                                        core::Term{1}, false}}});  // 8 + 29 bytes

TEST_CASE("decoder: a stream fed byte by byte yields the same frames") {
  testing::MessageGen gen(11);
  std::vector<Frame> frames;
  std::string stream;
  for (int i = 0; i < 200; ++i) {
    frames.push_back(gen.frame());
    encode(frames.back(), stream);
  }
  const Decoded one = decode_chunked(stream, [] { return size_t{1}; });
  REQUIRE_FALSE(one.error.has_value());
  CHECK(one.frames == frames);

  std::mt19937_64 rng(5);
  const Decoded random = decode_chunked(stream, [&] { return size_t{1} + rng() % 300; });
  REQUIRE_FALSE(random.error.has_value());
  CHECK(random.frames == frames);
}

TEST_CASE("decoder: multiple frames in one feed") {
  testing::MessageGen gen(12);
  std::vector<Frame> frames;
  std::string stream;
  for (int i = 0; i < 50; ++i) {
    frames.push_back(gen.frame());
    encode(frames.back(), stream);
  }
  FrameDecoder d;
  d.feed(stream.data(), stream.size());
  CHECK(d.buffered_bytes() == stream.size());
  for (const Frame& expected : frames) {
    auto r = d.next();
    REQUIRE(r.is_ok());
    REQUIRE(r->has_value());
    CHECK(**r == expected);
  }
  auto r = d.next();
  REQUIRE(r.is_ok());
  CHECK_FALSE(r->has_value());
  CHECK(d.buffered_bytes() == 0);
  CHECK(d.stream_offset() == stream.size());
}

TEST_CASE("decoder: every strict prefix of a valid frame needs more bytes") {
  testing::MessageGen gen(13);
  std::vector<Frame> frames{Frame{gen.hello()}};
  for (size_t t = 0; t < std::variant_size_v<core::Message>; ++t) {
    core::Message m = gen.message(t);
    // Keep the quadratic prefix loop fast: cap the size of the sample frame.
    if (encoded_size(m) > 4000) m = testing::MessageGen(t).message(t);
    if (encoded_size(m) > 4000) continue;
    frames.push_back(Frame{m});
  }
  for (const Frame& f : frames) {
    const std::string bytes = encoded(f);
    CAPTURE(frame_type_name(static_cast<uint8_t>(frame_type(f))));
    for (size_t k = 0; k < bytes.size(); ++k) {
      FrameDecoder d;
      d.feed(bytes.data(), k);
      auto r = d.next();
      REQUIRE_MESSAGE(r.is_ok(), "prefix ", k, ": ", r.status().message());
      REQUIRE_FALSE(r->has_value());
      d.feed(bytes.data() + k, bytes.size() - k);
      auto full = d.next();
      REQUIRE(full.is_ok());
      REQUIRE(full->has_value());
      CHECK(**full == f);
    }
  }
}

TEST_CASE("decoder: header errors") {
  SUBCASE("bad magic") {
    std::string s = kValidAck + kValidAck;
    s[37] = 'X';
    const std::string e = error_of(s);
    CHECK(e.find("frame at offset 37") != std::string::npos);
    CHECK(e.find("bad magic") != std::string::npos);
  }
  SUBCASE("bad magic is refused after two bytes") {
    FrameDecoder d;
    d.feed("GE", 2);
    auto r = d.next();
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message() == "frame at offset 0: bad magic 0x4547 (expected 0x4844)");
  }
  SUBCASE("bad version") {
    std::string s = kValidAck;
    s[2] = 1;  // the fixed-leader format
    CHECK(error_of(s) ==
          "frame at offset 0 (type 10 AcceptAck): unsupported version 1 "
          "(expected 3)");
    s[2] = 2;  // CURP-HT only, before the CURP-HO frames (14..19)
    CHECK(error_of(s) ==
          "frame at offset 0 (type 10 AcceptAck): unsupported version 2 "
          "(expected 3)");
  }
  SUBCASE("unknown type") {
    for (int type : {0, 20, 200, 255}) {
      std::string s = kValidAck + kValidAck;
      s[37 + 3] = static_cast<char>(type);
      CHECK(error_of(s) ==
            "frame at offset 37 (type " + std::to_string(type) + " unknown): unknown frame type");
    }
  }
  SUBCASE("oversized length fails as soon as the header arrives") {
    std::string s = kValidAck;
    put_u32(s, 4, 101);
    FrameDecoder d(100);
    d.feed(s.data(), kHeaderBytes);  // header only: the payload never arrives
    auto r = d.next();
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message() ==
          "frame at offset 0 (type 10 AcceptAck): payload length 101 exceeds limit 100");
  }
  SUBCASE("default limit") {
    std::string s = kValidAck;
    put_u32(s, 4, 0xffffffff);
    CHECK(error_of(s.substr(0, 8)).find("exceeds limit 67108864") != std::string::npos);
  }
}

TEST_CASE("decoder: payload errors") {
  SUBCASE("truncated payload inside a complete frame") {
    std::string s = kValidAck;
    put_u32(s, 4, 10);  // AcceptAck needs 29
    s.resize(8 + 10);
    CHECK(error_of(kValidAck + s) ==
          "frame at offset 37 (type 10 AcceptAck): field 'last_contiguous': payload too short: "
          "needs 8 bytes at payload offset 4, 6 left");
  }
  SUBCASE("trailing bytes") {
    std::string s = kValidAck + "Z";
    put_u32(s, 4, 30);
    CHECK(error_of(s) ==
          "frame at offset 0 (type 10 AcceptAck): 1 trailing bytes after the last field");
  }
  SUBCASE("bool value 2") {
    std::string s = encoded(Frame{core::Message{core::ProposeReply{}}});
    REQUIRE(s[8 + 20] == 0);  // from_leader: after from(4) client(8) seq(8)
    s[8 + 20] = 2;
    CHECK(error_of(s) ==
          "frame at offset 0 (type 5 ProposeReply): field 'from_leader': bool "
          "value 2 (must be 0 or 1)");
  }
  SUBCASE("bad enums") {
    std::string s = encoded(Frame{core::Message{core::Propose{}}});
    s[8 + 24] = 3;  // cmd.kind
    CHECK(error_of(s) == "frame at offset 0 (type 2 Propose): field 'kind': invalid enum value 3");
    std::string h = encoded(Frame{Hello{}});
    h[8] = 0;  // role
    CHECK(error_of(h) == "frame at offset 0 (type 1 Hello): field 'role': invalid enum value 0");
  }
  SUBCASE("entry count larger than the payload could hold") {
    std::string s = encoded(Frame{core::Message{core::Accept{}}});
    put_u32(s, 8 + 12, 4000000);  // entries count: after from(4) first(8)
    CHECK(error_of(kValidAck + s) ==
          "frame at offset 37 (type 9 Accept): field 'entries': entry count 4000000 exceeds "
          "payload (each needs at least 46 bytes, 32 left)");
  }
  SUBCASE("CURP-HO: causal_deps count larger than the payload could hold") {
    std::string s = encoded(Frame{core::Message{core::RecordAck{}}});
    // causal_deps count: after from(4) client(8) seq(8) ok(1) slot(8) term(8)
    // leader(4) read_dep_client(8) read_dep_seq(8)
    put_u32(s, 8 + 57, 3);
    CHECK(error_of(s) ==
          "frame at offset 0 (type 17 RecordAck): field 'causal_deps': entry count 3 exceeds "
          "payload (each needs at least 8 bytes, 0 left)");
  }
  SUBCASE("CURP-HO: a RecordAck's ok is a strict bool, a CausalWrite a complete payload") {
    std::string s = encoded(Frame{core::Message{core::RecordAck{}}});
    s[8 + 20] = 2;  // ok
    CHECK(error_of(s) ==
          "frame at offset 0 (type 17 RecordAck): field 'ok': bool value 2 (must be 0 or 1)");
    std::string w = encoded(Frame{core::Message{core::CausalWrite{}}});
    put_u32(w, 4, 44);  // drops bound(4)
    w.resize(8 + 44);
    CHECK(error_of(w) ==
          "frame at offset 0 (type 14 CausalWrite): field 'bound': payload too short: needs 4 "
          "bytes at payload offset 44, 0 left");
  }
  SUBCASE("string length larger than the payload") {
    std::string s = encoded(Frame{core::Message{core::WeakReadReply{}}});
    put_u32(s, 8 + 20, 9);  // value length: after from(4) client(8) seq(8)
    CHECK(error_of(s) ==
          "frame at offset 0 (type 8 WeakReadReply): field 'value': string "
          "length 9 exceeds payload (8 bytes left)");
  }
}

TEST_CASE("decoder: errors are sticky") {
  std::string s = kValidAck;
  s[0] = 0;
  FrameDecoder d;
  d.feed(s.data(), s.size());
  auto first = d.next();
  REQUIRE_FALSE(first.is_ok());
  CHECK(d.failed());
  d.feed(kValidAck.data(), kValidAck.size());
  auto again = d.next();
  REQUIRE_FALSE(again.is_ok());
  CHECK(again.status().message() == first.status().message());
  CHECK(d.buffered_bytes() == 0);
}

TEST_CASE("decoder: the buffer stays compact over a long stream") {
  testing::MessageGen gen(14);
  std::string stream;
  while (stream.size() < (4u << 20)) encode(Frame{gen.message(5)}, stream);  // WeakWriteReply
  FrameDecoder d;
  size_t frames = 0;
  size_t max_buffered = 0;
  for (size_t pos = 0; pos < stream.size(); pos += 1000) {
    d.feed(stream.data() + pos, std::min<size_t>(1000, stream.size() - pos));
    max_buffered = std::max(max_buffered, d.buffered_bytes());
    for (;;) {
      auto r = d.next();
      REQUIRE(r.is_ok());
      if (!r->has_value()) break;
      ++frames;
    }
  }
  CHECK(frames == stream.size() / encoded_size(gen.message(5)));
  CHECK(max_buffered <= 1000 + 32);
  CHECK(d.buffered_bytes() == 0);
}

// Random corruption: flip, overwrite, insert and delete bytes of valid
// streams, feed in random chunks. The decoder must never crash or read out of
// bounds (ASan/UBSan builds check that), and anything it accepts must
// re-encode to a frame that decodes to the same value.
TEST_CASE("decoder: seeded random corruption never crashes") {
  size_t errors = 0;
  size_t decoded = 0;
  for (uint64_t seed = 0; seed < 4000; ++seed) {
    std::mt19937_64 rng(seed);
    testing::MessageGen gen(seed);
    std::string stream;
    const int n_frames = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n_frames; ++i) {
      Frame f = gen.frame();
      if (encoded_size(f) > 20000) f = Frame{gen.message(8)};  // keep the test fast
      encode(f, stream);
    }
    const int n_mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < n_mutations && !stream.empty(); ++m) {
      const size_t at = rng() % stream.size();
      switch (rng() % 5) {
        case 0:
          stream[at] = static_cast<char>(stream[at] ^ (1 << (rng() % 8)));
          break;
        case 1:
          stream[at] = static_cast<char>(rng());
          break;
        case 2:
          stream.insert(at, 1, static_cast<char>(rng()));
          break;
        case 3:
          stream.erase(at, 1 + rng() % 8);
          break;
        default: {  // small integers in a length or count field are the nasty case
          const size_t word = at & ~size_t{3};
          if (word + 4 <= stream.size()) put_u32(stream, word, static_cast<uint32_t>(rng() % 300));
          break;
        }
      }
    }
    const Decoded d = decode_chunked(
        stream, [&] { return size_t{1} + rng() % 64; }, FrameDecoder(size_t{1} << 20));
    if (d.error) {
      ++errors;
      CHECK(d.error->rfind("frame at offset ", 0) == 0);
    }
    for (const Frame& f : d.frames) {
      ++decoded;
      const Decoded again = decode_whole(encoded(f));
      REQUIRE_FALSE(again.error.has_value());
      REQUIRE(again.frames.size() == 1);
      CHECK(again.frames[0] == f);
    }
  }
  CHECK(errors > 0);
  CHECK(decoded > 0);
}

}  // namespace
}  // namespace hd::wire
