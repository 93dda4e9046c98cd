// gperftools CPU profile: header words {0, 3, 0, period_us, 0}, records
// {count, depth, pc[depth]}, trailer {0, 1, 0}, then maps text. See
// docs/profile-formats.md.
#include "analysis/ingest/cpu_profile.h"

#include <cstring>

#include "analysis/ingest/proc_maps.h"

namespace hd::analysis {

namespace {

constexpr size_t kWord = 8;
// gperftools caps stacks at 64 frames; a larger depth is corruption, and the
// cap keeps a hostile depth from reserving memory it then has to read.
constexpr uint64_t kMaxDepth = 1024;

class WordReader {
 public:
  WordReader(std::string_view bytes, std::string_view source) : b_(bytes), source_(source) {}
  bool next(uint64_t& w) {
    if (b_.size() - pos_ < kWord) return false;
    unsigned char raw[kWord];
    std::memcpy(raw, b_.data() + pos_, kWord);
    w = 0;
    for (size_t i = 0; i < kWord; ++i) w |= static_cast<uint64_t>(raw[i]) << (8 * i);
    pos_ += kWord;
    return true;
  }
  size_t offset() const { return pos_; }
  Status error(size_t offset, const std::string& what) const {
    return Status::error(std::string(source_) + ": byte offset " + std::to_string(offset) + ": " +
                         what);
  }
  std::string_view rest() const { return b_.substr(pos_); }

 private:
  std::string_view b_;
  std::string_view source_;
  size_t pos_ = 0;
};

}  // namespace

Result<CpuProfile> parse_gperf_cpu(std::string_view bytes, std::string_view source) {
  CpuProfile p;
  p.source = std::string(source);
  WordReader r(bytes, source);
  uint64_t hdr[5];
  for (size_t i = 0; i < 5; ++i) {
    if (!r.next(hdr[i])) return r.error(r.offset(), "truncated: header needs 5 words");
  }
  if (hdr[0] != 0 || hdr[1] == 0x0300000000000000ULL)
    return r.error(0, "not a 64-bit little-endian gperftools CPU profile");
  if (hdr[1] != 3) return r.error(8, "header word count is " + std::to_string(hdr[1]) + ", want 3");
  if (hdr[2] != 0) return r.error(16, "unsupported version " + std::to_string(hdr[2]));
  if (hdr[3] == 0) return r.error(24, "sampling period is 0");
  if (hdr[4] != 0) return r.error(32, "header padding word is not 0");
  p.period_us = hdr[3];

  bool saw_trailer = false;
  while (!saw_trailer) {
    const size_t record_at = r.offset();
    uint64_t count = 0, depth = 0;
    if (!r.next(count) || !r.next(depth))
      return r.error(record_at, "truncated: end of file before the end-of-profile trailer");
    if (depth > kMaxDepth || depth > r.rest().size() / kWord) {
      return r.error(record_at + kWord, "stack depth " + std::to_string(depth) +
                                            " exceeds the file or the limit of 1024");
    }
    if (count == 0) {
      // Trailer {0, 1, 0}; any other zero-count record is corruption.
      uint64_t pc = 1;
      if (depth != 1 || !r.next(pc) || pc != 0)
        return r.error(record_at, "zero-count record that is not the trailer {0, 1, 0}");
      saw_trailer = true;
      break;
    }
    if (depth == 0) return r.error(record_at + kWord, "sample record with depth 0");
    CpuSample s;
    s.count = count;
    s.stack.resize(depth);
    for (uint64_t i = 0; i < depth; ++i) r.next(s.stack[i]);
    p.samples.push_back(std::move(s));
  }
  // The maps text runs to end of file; its errors name lines within it, so
  // prefix the byte offset where it starts.
  const size_t maps_at = r.offset();
  Result<std::vector<Mapping>> maps = parse_maps_section(
      r.rest(), std::string(source) + " (maps text at byte offset " + std::to_string(maps_at) + ")",
      1);
  if (!maps) return maps.status();
  p.mappings = std::move(maps).value();
  // gperftools always appends the maps; without them nothing can be
  // symbolized, so an empty section means the file was cut after the trailer.
  if (p.mappings.empty() && !p.samples.empty())
    return r.error(maps_at, "truncated: no maps text after the end-of-profile trailer");
  return p;
}

Result<CpuProfile> load_cpu_profile(const std::string& path) {
  Result<std::string> bytes = read_whole_file(path);
  if (!bytes) return bytes.status();
  return parse_gperf_cpu(*bytes, path);
}

}  // namespace hd::analysis
