// Profile model helpers: unsampling and file reading.
#include "analysis/ingest/profile.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace hd::analysis {

ScaledCounts unsample_counts(int64_t objs, int64_t bytes, uint64_t period) {
  if (objs <= 0 || bytes <= 0 || period <= 1) return {objs, bytes};
  const double avg = static_cast<double>(bytes) / static_cast<double>(objs);
  // expm1 keeps precision when avg << period, where 1 - exp(-x) would cancel.
  const double scale = -1.0 / std::expm1(-avg / static_cast<double>(period));
  // Clamped before converting: a double beyond int64 range is UB to cast.
  auto to_i64 = [](double v) {
    return v >= 9.2e18 ? INT64_MAX : static_cast<int64_t>(std::llround(v));
  };
  return {to_i64(static_cast<double>(objs) * scale), to_i64(static_cast<double>(bytes) * scale)};
}

namespace {
// Saturating: hostile inputs may hold counts near INT64_MAX.
int64_t sat_add(int64_t a, int64_t b) {
  int64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

void scale_sample(HeapSample& s, uint64_t period) {
  const ScaledCounts inuse = unsample_counts(s.inuse_objs, s.inuse_bytes, period);
  const ScaledCounts alloc = unsample_counts(s.alloc_objs, s.alloc_bytes, period);
  s.inuse_objs = inuse.objs;
  s.inuse_bytes = inuse.bytes;
  s.alloc_objs = alloc.objs;
  s.alloc_bytes = alloc.bytes;
}
}  // namespace

HeapProfile unsample(const HeapProfile& profile) {
  HeapProfile out = profile;
  if (out.unsampled) return out;
  out.unsampled = true;
  // Totals are re-derived from the scaled samples: scaling the header totals
  // with their own average size would not equal the sum of the scaled sites.
  HeapSample totals;
  for (HeapSample& s : out.samples) {
    scale_sample(s, out.sample_period);
    totals.inuse_objs = sat_add(totals.inuse_objs, s.inuse_objs);
    totals.inuse_bytes = sat_add(totals.inuse_bytes, s.inuse_bytes);
    totals.alloc_objs = sat_add(totals.alloc_objs, s.alloc_objs);
    totals.alloc_bytes = sat_add(totals.alloc_bytes, s.alloc_bytes);
  }
  out.totals = totals;
  return out;
}

Result<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::error(path + ": read error");
  return buf.str();
}

}  // namespace hd::analysis
