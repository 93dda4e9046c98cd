// Writes the seed corpus of frame_decoder_fuzz: a few files per frame type,
// each one valid frame (sometimes followed by a second), from fixed seeds so
// rerunning it reproduces the committed files byte for byte.
// Usage: make_corpus <output folder>
#include <cstdio>
#include <fstream>
#include <string>

#include "replica/wire/codec.h"
#include "unit/replica/wire/message_gen.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output folder>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  int written = 0;
  for (uint64_t type = 1; type <= hd::wire::kMaxFrameType; ++type) {
    for (uint64_t i = 0; i < 4; ++i) {
      hd::wire::testing::MessageGen gen(type * 100 + i);
      auto make = [&]() -> hd::wire::Frame {
        if (type == 1) return gen.hello();
        for (;;) {  // keep seeds small: the fuzzer mutates them thousands of times a second
          hd::core::Message m = gen.message(type - 2);
          if (hd::wire::encoded_size(m) <= 512) return m;
        }
      };
      std::string bytes;
      hd::wire::encode(make(), bytes);
      if (i == 3) hd::wire::encode(make(), bytes);  // two frames back to back
      char name[64];
      std::snprintf(name, sizeof name, "/%02d_%s_%d", static_cast<int>(type),
                    hd::wire::frame_type_name(static_cast<uint8_t>(type)), static_cast<int>(i));
      std::ofstream out(dir + name, std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out) {
        std::fprintf(stderr, "cannot write %s%s\n", dir.c_str(), name);
        return 1;
      }
      ++written;
    }
  }
  std::printf("wrote %d files to %s\n", written, dir.c_str());
  return 0;
}
