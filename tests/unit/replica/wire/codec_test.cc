// Encoding and round trips of every frame type (replica/wire/codec.h).
#include "replica/wire/codec.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "replica/wire/frame_decoder.h"
#include "unit/replica/wire/message_gen.h"

namespace hd::wire {
namespace {

std::string hex(const std::string& s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (!out.empty()) out += ' ';
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// Decodes `bytes` as one stream; fails the test on error or leftover bytes.
std::vector<Frame> decode_all(const std::string& bytes) {
  FrameDecoder d;
  d.feed(bytes.data(), bytes.size());
  std::vector<Frame> frames;
  for (;;) {
    auto r = d.next();
    REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    if (!r->has_value()) break;
    frames.push_back(std::move(**r));
  }
  CHECK(d.buffered_bytes() == 0);
  return frames;
}

void check_round_trip(const Frame& frame) {
  std::string out = "prefix";  // encode appends
  encode(frame, out);
  REQUIRE(out.size() == 6 + encoded_size(frame));
  CHECK(static_cast<uint8_t>(out[6 + 3]) == static_cast<uint8_t>(frame_type(frame)));
  const auto frames = decode_all(out.substr(6));
  REQUIRE(frames.size() == 1);
  CHECK(frames[0] == frame);
}

TEST_CASE("wire: golden bytes of a Hello frame pin the header layout") {
  std::string out;
  encode(Hello{Hello::Role::kClient, 0x0102030405060708}, out);
  CHECK(hex(out) == "44 48 03 01 09 00 00 00 02 08 07 06 05 04 03 02 01");
}

TEST_CASE("wire: golden bytes of an AcceptAck and a Propose") {
  std::string out;
  encode(core::Message{core::AcceptAck{core::ReplicaId{2}, core::LogIndex{7}, core::LogIndex{5},
                                       core::Term{3}, true}},
         out);
  CHECK(hex(out) ==
        "44 48 03 0a 1d 00 00 00 02 00 00 00 07 00 00 00 00 00 00 00 05 00 00 00 00 00 00 00 "
        "03 00 00 00 00 00 00 00 01");
  out.clear();
  encode(core::Message{core::Propose{core::ClientId{1}, core::SeqNo{2}, core::SeqNo{1},
                                     core::Command{core::OpKind::kPut, 3, "ab"}}},
         out);
  CHECK(hex(out) ==
        "44 48 03 02 27 00 00 00 "
        "01 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 "
        "02 03 00 00 00 00 00 00 00 02 00 00 00 61 62");
}

TEST_CASE("wire: CURP-HO frames have the documented bytes") {
  std::string out;
  encode(core::Message{core::Sync{core::ClientId{1}, core::SeqNo{2}}}, out);
  CHECK(hex(out) == "44 48 03 13 10 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00");
  out.clear();
  core::RecordAck a{
      core::ReplicaId{2}, core::ClientId{1},  core::SeqNo{3},    true,           core::LogIndex{0},
      core::Term{1},      core::ReplicaId{0}, core::ClientId{0}, core::SeqNo{0}, {}};
  a.causal_deps = {core::SeqNo{5}};
  encode(core::Message{a}, out);
  CHECK(out.size() == kHeaderBytes + 61 + 8);
  CHECK(hex(out.substr(0, 8)) == "44 48 03 11 45 00 00 00");
  // causal_deps: count 1, then seq 5.
  CHECK(hex(out.substr(out.size() - 12)) == "01 00 00 00 05 00 00 00 00 00 00 00");
}

TEST_CASE("wire: frame type numbers follow core::Message order") {
  testing::MessageGen gen(1);
  for (size_t i = 0; i < std::variant_size_v<core::Message>; ++i) {
    CHECK(static_cast<size_t>(frame_type(gen.message(i))) == i + 2);
  }
  CHECK(frame_type(Frame{Hello{}}) == FrameType::kHello);
  CHECK(std::string(frame_type_name(9)) == "Accept");
  CHECK(std::string(frame_type_name(0)) == "unknown");
  CHECK(std::string(frame_type_name(12)) == "RequestVote");
  CHECK(std::string(frame_type_name(13)) == "Vote");
  CHECK(std::string(frame_type_name(14)) == "CausalWrite");
  CHECK(std::string(frame_type_name(17)) == "RecordAck");
  CHECK(std::string(frame_type_name(19)) == "Sync");
  CHECK(std::string(frame_type_name(20)) == "unknown");
}

TEST_CASE("wire: fixed payload sizes match docs/wire.md") {
  const size_t kDocumented[] = {37, 36, 32, 54, 36, 24, 32, 48, 29,
                                41, 30, 15, 48, 32, 45, 61, 40, 16};
  testing::MessageGen gen(2);
  for (size_t i = 0; i < std::variant_size_v<core::Message>; ++i) {
    core::Message m = gen.message(i);
    std::visit([](auto& alt) { alt = std::remove_reference_t<decltype(alt)>{}; }, m);
    CHECK(encoded_size(m) == kHeaderBytes + kDocumented[i]);
  }
  CHECK(encoded_size(Hello{}) == kHeaderBytes + 9);
}

TEST_CASE("wire: every message type round-trips with seeded random contents") {
  for (size_t type = 0; type < std::variant_size_v<core::Message>; ++type) {
    CAPTURE(type);
    for (uint64_t seed = 0; seed < 150; ++seed) {
      CAPTURE(seed);
      testing::MessageGen gen(seed * 1000 + type);
      check_round_trip(Frame{gen.message(type)});
    }
  }
  for (uint64_t seed = 0; seed < 50; ++seed) {
    testing::MessageGen gen(seed);
    check_round_trip(Frame{gen.hello()});
  }
}

TEST_CASE("wire: empty and default messages round-trip") {
  check_round_trip(Frame{Hello{}});
  for (size_t type = 0; type < std::variant_size_v<core::Message>; ++type) {
    core::Message m;
    // Default-construct alternative `type` (all-zero ids, empty strings/vectors).
    testing::MessageGen gen(0);
    m = gen.message(type);
    std::visit([](auto& alt) { alt = std::remove_reference_t<decltype(alt)>{}; }, m);
    check_round_trip(Frame{m});
  }
}

TEST_CASE("wire: large strings and vectors round-trip") {
  core::WeakWrite w{core::ClientId{1}, core::SeqNo{2}, core::SeqNo{0}, 42,
                    std::string(3 << 20, 'x')};
  w.value[12345] = '\0';
  check_round_trip(Frame{core::Message{w}});

  core::Accept a{core::ReplicaId{0}, core::LogIndex{1},     {}, core::LogIndex{0}, core::Term{2},
                 core::Term{1},      core::LogIndex{100000}};
  for (uint64_t i = 0; i < 100000; ++i) {
    a.entries.push_back(core::LogEntry{core::ClientId{i}, core::SeqNo{i + 1}, i % 2 == 0,
                                       core::Command{core::OpKind::kPut, i, "v"}, core::Term{2},
                                       core::SeqNo{i}});
  }
  check_round_trip(Frame{core::Message{a}});

  core::Snapshot s{core::ReplicaId{1}, core::LogIndex{99}, 3, true, {},
                   core::Term{2},      core::Term{1},      {}};
  s.clients.push_back(core::ClientRecord{
      core::ClientId{5},
      core::SeqNo{3},
      core::SeqNo{4},
      {core::ClientSeqRecord{core::SeqNo{6}, true, true, true, core::LogIndex{98}, "v", {}}}});
  for (uint64_t i = 0; i < 20000; ++i) {
    s.entries.push_back(core::KvEntry{i, std::string(i % 50, 'v'), core::LogIndex{i}});
  }
  check_round_trip(Frame{core::Message{s}});
}

TEST_CASE("wire: encode appends several frames to one buffer") {
  testing::MessageGen gen(7);
  std::vector<Frame> frames;
  std::string out;
  size_t expected = 0;
  for (int i = 0; i < 300; ++i) {
    frames.push_back(gen.frame());
    expected += encoded_size(frames.back());
    encode(frames.back(), out);
  }
  CHECK(out.size() == expected);
  CHECK(decode_all(out) == frames);
}

}  // namespace
}  // namespace hd::wire
