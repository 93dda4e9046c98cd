// Parser tests on real committed profiles (tests/data/profiles) and on
// hand-made truncated and corrupt variants that must be rejected.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "analysis/ingest/cpu_profile.h"
#include "analysis/ingest/heap_profile.h"
#include "analysis/ingest/proc_maps.h"
#include "unit/analysis/profile_test_util.h"

namespace hd::analysis {
namespace {

using testing::sample_path;

std::string load(const std::string& name) {
  Result<std::string> text = read_whole_file(sample_path(name));
  REQUIRE_MESSAGE(text.is_ok(), name);
  return std::move(text).value();
}

std::string error_of(const Result<HeapProfile>& r) {
  REQUIRE_FALSE(r.is_ok());
  return r.status().message();
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

TEST_CASE("jemalloc heap_v2: real exact dump") {
  Result<HeapProfile> p = parse_heap_profile(load("jemalloc_exact.heap"), "je.heap");
  REQUIRE_MESSAGE(p.is_ok(), (p.is_ok() ? "" : p.status().message()));
  CHECK(p->format == ProfileFormat::kJemallocHeapV2);
  CHECK(p->sample_period == 1);
  CHECK_FALSE(p->has_alloc);  // dumped without prof_accum: "[0: 0]"
  CHECK(p->samples.size() == 5);
  int64_t objs = 0, bytes = 0;
  bool saw_nodes = false;
  for (const HeapSample& s : p->samples) {
    CHECK_FALSE(s.stack.empty());
    objs += s.inuse_objs;
    bytes += s.inuse_bytes;
    saw_nodes = saw_nodes || s.inuse_objs == 1000;  // grow_nodes' 1000 Nodes
  }
  CHECK(saw_nodes);
  CHECK(objs == p->totals.inuse_objs);
  CHECK(bytes == p->totals.inuse_bytes);
  REQUIRE_FALSE(p->mappings.empty());
  bool saw_exe = false;
  for (const Mapping& m : p->mappings) {
    CHECK(m.start < m.limit);
    saw_exe = saw_exe || (m.executable() && m.path.ends_with("/sample_program"));
  }
  CHECK(saw_exe);
}

TEST_CASE("jemalloc heap_v2: sampled dump with cumulative counts") {
  Result<HeapProfile> p = parse_heap_profile(load("jemalloc_accum.heap"), "je.heap");
  REQUIRE(p.is_ok());
  CHECK(p->sample_period == 4096);
  CHECK(p->has_alloc);
  // churn_buffers frees everything it allocates: in-use 0, cumulative > 0.
  bool saw_churn = false;
  for (const HeapSample& s : p->samples)
    saw_churn = saw_churn || (s.inuse_objs == 0 && s.alloc_objs > 1000);
  CHECK(saw_churn);
}

TEST_CASE("gperftools heap profiles: exact and sampled") {
  Result<HeapProfile> exact = parse_heap_profile(load("gperf_exact.heap"), "tc.heap");
  REQUIRE_MESSAGE(exact.is_ok(), (exact.is_ok() ? "" : exact.status().message()));
  CHECK(exact->format == ProfileFormat::kGperfHeap);
  CHECK(exact->sample_period == 0);
  CHECK(exact->has_alloc);
  CHECK(exact->samples.size() == 6);
  CHECK(exact->totals.inuse_objs == 1004);
  CHECK(exact->totals.alloc_bytes == 42543688);
  // Exact counts are not scaled.
  const HeapProfile same = unsample(*exact);
  CHECK(same.totals.inuse_bytes == exact->totals.inuse_bytes);

  Result<HeapProfile> sampled = parse_heap_profile(load("gperf_sampled.heap"), "tc2.heap");
  REQUIRE(sampled.is_ok());
  CHECK(sampled->format == ProfileFormat::kGperfHeapSampled);
  CHECK(sampled->sample_period == 524288);
  const HeapProfile scaled = unsample(*sampled);
  CHECK(scaled.unsampled);
  CHECK(scaled.totals.inuse_bytes > sampled->totals.inuse_bytes);
}

TEST_CASE("unsampling follows jemalloc's formula") {
  // 10 objects of 100 bytes at period 1000: scale = 1 / (1 - exp(-0.1)).
  const double scale = 1.0 / (1.0 - std::exp(-0.1));
  const ScaledCounts c = unsample_counts(10, 1000, 1000);
  CHECK(c.objs == std::llround(10 * scale));
  CHECK(c.bytes == std::llround(1000 * scale));
  // Huge objects are always sampled: scale -> 1.
  CHECK(unsample_counts(1, 1 << 30, 4096).bytes == 1 << 30);
  CHECK(unsample_counts(5, 500, 1).objs == 5);  // period 1: exact
  CHECK(unsample_counts(0, 0, 4096).objs == 0);
}

TEST_CASE("gperftools CPU profile: real profile") {
  Result<CpuProfile> p = parse_gperf_cpu(load("gperf.cpu"), "cpu.prof");
  REQUIRE_MESSAGE(p.is_ok(), (p.is_ok() ? "" : p.status().message()));
  CHECK(p->period_us == 1000);
  REQUIRE_FALSE(p->samples.empty());
  uint64_t total = 0;
  for (const CpuSample& s : p->samples) {
    CHECK(s.count > 0);
    CHECK_FALSE(s.stack.empty());
    total += s.count;
  }
  CHECK(total > 10);
  CHECK_FALSE(p->mappings.empty());
}

TEST_CASE("text profiles: every truncation before the maps section is rejected") {
  for (const char* name : {"jemalloc_exact.heap", "gperf_exact.heap"}) {
    const std::string text = load(name);
    // The first maps line must be complete too: an empty section is a cut.
    const size_t maps_end =
        text.find('\n', text.find('\n', text.find("MAPPED_LIBRARIES:")) + 1) + 1;
    for (size_t cut = 0; cut < text.size(); ++cut) {
      Result<HeapProfile> r = parse_heap_profile(text.substr(0, cut), name);
      if (cut < maps_end) {
        REQUIRE_MESSAGE(!r.is_ok(), name << " cut at " << cut << " was accepted");
        CHECK(r.status().message().starts_with(std::string(name) + ":"));
      } else if (text[cut - 1] != '\n') {
        // A cut inside a maps line is caught by the missing newline.
        REQUIRE_FALSE(r.is_ok());
        CHECK(r.status().message().find("truncated") != std::string::npos);
      }
    }
  }
}

TEST_CASE("heap profiles: corrupt lines name the file and line") {
  const std::string je = load("jemalloc_exact.heap");
  CHECK(error_of(parse_heap_profile(replace_once(je, "heap_v2/1", "heap_v2/x"), "a.heap"))
            .starts_with("a.heap:1: "));
  CHECK(error_of(parse_heap_profile(replace_once(je, "  t*: 1000:", "  t*: 1000;"), "a.heap"))
            .find("expected '  t*:") != std::string::npos);
  CHECK(error_of(parse_heap_profile(replace_once(je, "@ 0x", "@ 0y"), "a.heap"))
            .starts_with("a.heap:4: malformed backtrace"));
  CHECK(error_of(parse_heap_profile(replace_once(je, "r-xp", "r?xp"), "a.heap"))
            .find("bad permissions") != std::string::npos);
  CHECK(error_of(
            parse_heap_profile(replace_once(je, "MAPPED_LIBRARIES:", "MAPPED_LIBRARIE:"), "a.heap"))
            .find("expected MAPPED_LIBRARIES") != std::string::npos);
  // A count larger than int64 is rejected, not wrapped.
  CHECK_FALSE(
      parse_heap_profile(
          replace_once(je, "  t*: 1000: 224000", "  t*: 99999999999999999999: 224000"), "a.heap")
          .is_ok());

  const std::string tc = load("gperf_exact.heap");
  // Dropping a whole sample line is caught by the header totals.
  const size_t l2 = tc.find('\n') + 1;
  const std::string dropped = tc.substr(0, l2) + tc.substr(tc.find('\n', l2) + 1);
  CHECK(error_of(parse_heap_profile(dropped, "b.heap")).find("do not add up") != std::string::npos);
  CHECK(error_of(parse_heap_profile(replace_once(tc, "@ heapprofile", "@ heap"), "b.heap"))
            .find("unsupported heap profile kind") != std::string::npos);
  CHECK(error_of(parse_heap_profile("garbage\n", "c.heap")).starts_with("c.heap:1: not a heap"));
  CHECK(error_of(parse_heap_profile("", "d.heap")).starts_with("d.heap:1: not a heap"));
}

TEST_CASE("CPU profile: truncation and corruption name the byte offset") {
  const std::string bin = load("gperf.cpu");
  // Find where the text maps section starts: just past the trailer words.
  const std::string trailer("\0\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24);
  const size_t maps_at = bin.find(trailer) + trailer.size();
  REQUIRE(maps_at > 40);
  for (size_t cut = 0; cut <= maps_at; ++cut) {
    Result<CpuProfile> r = parse_gperf_cpu(bin.substr(0, cut), "p.cpu");
    REQUIRE_MESSAGE(!r.is_ok(), "cut at " << cut << " was accepted");
    CHECK(r.status().message().starts_with("p.cpu: byte offset "));
  }
  std::string bad = bin;
  bad[8] = 4;  // header word count
  CHECK(parse_gperf_cpu(bad, "p.cpu").status().message() ==
        "p.cpu: byte offset 8: header word count is 4, want 3");
  bad = bin;
  bad[48] = 0x7f;  // depth of the first record: far beyond the file
  CHECK(parse_gperf_cpu(bad, "p.cpu").status().message().find("stack depth") != std::string::npos);
  bad = bin;
  bad[maps_at + 3] = 'z';  // inside the first maps line's address
  const Result<CpuProfile> r = parse_gperf_cpu(bad, "p.cpu");
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message().find("maps text at byte offset " + std::to_string(maps_at)) !=
        std::string::npos);
}

TEST_CASE("maps lines") {
  Result<Mapping> m =
      parse_maps_line("7f1c00001000-7f1c00002000 r-xp 00001000 fe:00 333211   /lib/x y.so");
  REQUIRE(m.is_ok());
  CHECK(m->start == 0x7f1c00001000);
  CHECK(m->file_offset == 0x1000);
  CHECK(m->executable());
  CHECK(m->path == "/lib/x y.so");  // paths may contain spaces
  CHECK(parse_maps_line("7f1c00001000-7f1c00002000 rw-p 00000000 00:00 0 ").is_ok());
  CHECK_FALSE(parse_maps_line("2000-1000 r-xp 0 00:00 0").is_ok());
  CHECK_FALSE(parse_maps_line("1000-2000 r-xp 0 00:00").is_ok());
  CHECK_FALSE(parse_maps_line("").is_ok());
}

}  // namespace
}  // namespace hd::analysis
