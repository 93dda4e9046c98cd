// pprof export tests: our profile.proto output is gunzipped and decoded by a
// minimal wire-format reader written here, independent of the encoder.
#include "analysis/export/pprof.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "analysis/ingest/cpu_profile.h"
#include "analysis/ingest/heap_profile.h"
#include "base/regex.h"
#include "skip.h"
#include "unit/analysis/profile_test_util.h"

namespace hd::analysis {
namespace {

using namespace hd::analysis::testing;

// A decoded message: field number -> values (varints, or raw bytes for
// length-delimited fields). Arrays, not maps: profile.proto's fields are < 16
// (and GCC 12 warns falsely about std::map under -Wnull-dereference).
constexpr int kMaxField = 16;
struct Msg {
  std::array<std::vector<uint64_t>, kMaxField> ints;
  std::array<std::vector<std::string>, kMaxField> bytes;
  uint64_t u(int f) const { return ints[f].empty() ? 0 : ints[f].front(); }
  std::vector<uint64_t> packed(int f) const;
};

bool read_varint(std::string_view& s, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && !s.empty(); shift += 7) {
    const auto b = static_cast<unsigned char>(s.front());
    s.remove_prefix(1);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

Msg decode(std::string_view s) {
  Msg m;
  while (!s.empty()) {
    uint64_t key = 0;
    REQUIRE(read_varint(s, key));
    const int field = static_cast<int>(key >> 3);
    REQUIRE(field > 0);
    REQUIRE(field < kMaxField);
    if ((key & 7) == 0) {
      uint64_t v = 0;
      REQUIRE(read_varint(s, v));
      m.ints[field].push_back(v);
    } else {
      REQUIRE((key & 7) == 2);
      uint64_t len = 0;
      REQUIRE(read_varint(s, len));
      REQUIRE(len <= s.size());
      m.bytes[field].emplace_back(s.substr(0, len));
      s.remove_prefix(len);
    }
  }
  return m;
}

std::vector<uint64_t> Msg::packed(int f) const {
  std::vector<uint64_t> out;
  {
    for (const std::string& b : bytes[f]) {
      std::string_view s = b;
      uint64_t v = 0;
      while (!s.empty() && read_varint(s, v)) out.push_back(v);
    }
  }
  return out;
}

std::string gunzip(const std::string& gz) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  std::string result;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
    result.append(out.data(), out.size() - zs.avail_out);
  }
  inflateEnd(&zs);
  return result;
}

// The decoded profile in the shape the checks need.
struct Decoded {
  std::vector<std::string> strings;
  std::vector<std::string> sample_types;
  std::vector<Msg> samples, locations, functions, mappings;
  Msg top;
  std::string str(uint64_t i) const { return i < strings.size() ? strings[i] : "<bad index>"; }
  const Msg* function(uint64_t id) const {
    for (const Msg& f : functions)
      if (f.u(1) == id) return &f;
    return nullptr;
  }
};

Decoded decode_profile(const std::string& raw) {
  Decoded d;
  d.top = decode(raw);
  d.strings = d.top.bytes[6];
  REQUIRE_FALSE(d.strings.empty());
  CHECK(d.strings[0].empty());
  for (const std::string& b : d.top.bytes[1]) d.sample_types.push_back(d.str(decode(b).u(1)));
  for (const std::string& b : d.top.bytes[2]) d.samples.push_back(decode(b));
  for (const std::string& b : d.top.bytes[3]) d.mappings.push_back(decode(b));
  for (const std::string& b : d.top.bytes[4]) d.locations.push_back(decode(b));
  for (const std::string& b : d.top.bytes[5]) d.functions.push_back(decode(b));
  return d;
}

// Every reference resolves: sample -> location -> function/mapping, and the
// value count matches the sample types.
void check_consistent(const Decoded& d) {
  std::vector<uint64_t> locs;
  for (const Msg& l : d.locations) {
    CHECK(l.u(1) != 0);
    locs.push_back(l.u(1));
    if (l.u(2) != 0) CHECK(l.u(2) <= d.mappings.size());
    for (const std::string& line : l.bytes[4]) CHECK(d.function(decode(line).u(1)) != nullptr);
  }
  for (const Msg& s : d.samples) {
    CHECK(s.packed(2).size() == d.sample_types.size());
    for (uint64_t id : s.packed(1)) CHECK(std::count(locs.begin(), locs.end(), id) == 1);
  }
}

TEST_CASE("pprof: committed jemalloc dump round-trips without the binary") {
  Result<HeapProfile> p = load_heap_profile(sample_path("jemalloc_accum.heap"));
  REQUIRE(p.is_ok());
  Symbolizer sym;
  const Decoded d = decode_profile(encode_pprof(*p, sym));
  CHECK(d.sample_types ==
        std::vector<std::string>{"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"});
  CHECK(d.samples.size() == p->samples.size());
  REQUIRE(d.top.bytes[11].size() == 1);
  CHECK(d.str(decode(d.top.bytes[11].front()).u(1)) == "space");
  CHECK(d.top.u(12) == 4096);
  CHECK(d.str(d.top.u(14)) == "inuse_space");
  check_consistent(d);
  // Values are the unsampled estimates.
  const HeapProfile scaled = unsample(*p);
  uint64_t inuse = 0;
  for (const Msg& s : d.samples) inuse += s.packed(2)[3];
  CHECK(inuse == static_cast<uint64_t>(scaled.totals.inuse_bytes));
}

TEST_CASE("pprof: export of a real dump carries functions, lines, inlines, build-ids" *
          HD_SKIP_IF(!have_file(kLibJemalloc), "libjemalloc.so.2 not installed")) {
  REQUIRE(have_file(sample_program()));
  const std::string dir = scratch_dir();
  REQUIRE(run_sample(
      std::string("LD_PRELOAD=") + kLibJemalloc + " MALLOC_CONF=prof:true,lg_prof_sample:0",
      "je " + dir + "/e2e.heap"));
  Result<HeapProfile> p = load_heap_profile(dir + "/e2e.heap");
  REQUIRE(p.is_ok());
  Symbolizer sym;
  const std::string out = dir + "/e2e.pb.gz";
  REQUIRE(export_pprof(*p, sym, out).is_ok());
  Result<std::string> gz = read_whole_file(out);
  REQUIRE(gz.is_ok());
  REQUIRE(gz->size() > 2);
  CHECK(static_cast<unsigned char>((*gz)[0]) == 0x1f);  // gzip magic
  const Decoded d = decode_profile(gunzip(*gz));
  CHECK(d.sample_types == std::vector<std::string>{"inuse_objects", "inuse_space"});
  check_consistent(d);
  bool saw_inline = false, saw_file = false;
  for (const Msg& l : d.locations) {
    std::vector<std::string> names;
    for (const std::string& line : l.bytes[4]) {
      const Msg ln = decode(line);
      const Msg* f = d.function(ln.u(1));
      REQUIRE(f != nullptr);
      names.push_back(d.str(f->u(2)));
      if (d.str(f->u(4)).ends_with("sample_program.cc") && ln.u(2) > 0) saw_file = true;
    }
    // Innermost first, the caller it was inlined into last.
    if (names.size() >= 2 && names.front() == "sample::make_node()" &&
        names.back() == "sample::grow_nodes(int)")
      saw_inline = true;
  }
  CHECK(saw_inline);
  CHECK(saw_file);
  bool saw_build_id = false;
  for (const Msg& m : d.mappings) {
    if (d.str(m.u(5)).ends_with("/hd_profile_sample")) {
      saw_build_id = d.str(m.u(6)).size() == 40;
      CHECK(m.u(7) == 1);  // has_functions
    }
  }
  CHECK(saw_build_id);
}

TEST_CASE("pprof: CPU profile") {
  Result<CpuProfile> p = load_cpu_profile(sample_path("gperf.cpu"));
  REQUIRE(p.is_ok());
  Symbolizer sym;
  const Decoded d = decode_profile(encode_pprof(*p, sym));
  CHECK(d.sample_types == std::vector<std::string>{"samples", "cpu"});
  CHECK(d.top.u(12) == 1000000);  // 1000 us in ns
  check_consistent(d);
  uint64_t samples = 0, expected = 0;
  for (const Msg& s : d.samples) {
    samples += s.packed(2)[0];
    CHECK(s.packed(2)[1] == s.packed(2)[0] * 1000000);
  }
  for (const CpuSample& s : p->samples) expected += s.count;
  CHECK(samples == expected);
}

TEST_CASE("pprof: real CPU profile of hd_profile_sample names the hot function" *
          HD_SKIP_IF(!have_file(kLibProfiler), "libprofiler.so.0 (gperftools) not installed")) {
  REQUIRE(have_file(sample_program()));
  const std::string out = scratch_dir() + "/e2e.cpu";
  REQUIRE(run_sample(std::string("LD_PRELOAD=") + kLibProfiler + " CPUPROFILE=" + out +
                         " CPUPROFILE_FREQUENCY=1000",
                     "cpu"));
  Result<CpuProfile> p = load_cpu_profile(out);
  REQUIRE_MESSAGE(p.is_ok(), (p.is_ok() ? "" : p.status().message()));
  Symbolizer sym;
  uint64_t in_spin = 0, total = 0;
  for (const CpuSample& s : p->samples) {
    total += s.count;
    const SymbolizedLocation leaf = sym.symbolize(p->mappings, s.stack[0], false);
    if (leaf.symbolized() && leaf.frames.back().function == "sample::spin(long)")
      in_spin += s.count;
  }
  REQUIRE(total > 0);
  CHECK(in_spin * 2 > total);
}

TEST_CASE("pprof: gperftools heap profile of hd_profile_sample" *
          HD_SKIP_IF(!have_file(kLibTcmalloc), "libtcmalloc.so.4 not installed")) {
  REQUIRE(have_file(sample_program()));
  const std::string prefix = scratch_dir() + "/tc";
  std::remove((prefix + ".0001.heap").c_str());
  REQUIRE(run_sample(std::string("LD_PRELOAD=") + kLibTcmalloc + " HEAPPROFILE=" + prefix, "tc"));
  Result<HeapProfile> p = load_heap_profile(prefix + ".0001.heap");
  REQUIRE_MESSAGE(p.is_ok(), (p.is_ok() ? "" : p.status().message()));
  CHECK(p->format == ProfileFormat::kGperfHeap);
  Symbolizer sym;
  const Decoded d = decode_profile(encode_pprof(*p, sym));
  check_consistent(d);
  CHECK(d.sample_types.size() == 4);
}

// profile.proto's drop_frames (field 7): pprof drops frames whose whole name
// (parameters cut) matches "^(RE)$", so `pprof -top` charges the program.
TEST_CASE("pprof: drop_frames names the allocator's frames, not the program's") {
  Result<HeapProfile> p = load_heap_profile(sample_path("jemalloc_accum.heap"));
  REQUIRE(p.is_ok());
  Symbolizer sym;
  const Decoded d = decode_profile(encode_pprof(*p, sym));
  REQUIRE(d.top.ints[7].size() == 1);
  const std::string rx = d.str(d.top.u(7));
  CHECK(rx == kPprofDropFrames);
  const std::regex drop("^(" + rx + ")$");
  for (const char* allocator : {"malloc",
                                "calloc",
                                "realloc",
                                "free",
                                "posix_memalign",
                                "operator new",
                                "operator new[]",
                                "operator delete",
                                "je_malloc_default",
                                "je_prof_backtrace",
                                "imalloc_body",
                                "arena_malloc_hard",
                                "tcache_alloc_small_hard",
                                "__libc_malloc",
                                "_int_malloc",
                                "tcmalloc::allocate_full_malloc_oom",
                                "libjemalloc.so.2",
                                "libtcmalloc_minimal.so.4",
                                "std::__new_allocator<char>::allocate",
                                "std::allocator_traits<std::allocator<int> >::allocate",
                                "std::_Vector_base<int, std::allocator<int> >::_M_allocate"})
    CHECK_MESSAGE(std::regex_match(std::string(allocator), drop), allocator);
  for (const char* program :
       {"main", "hd::replica::Store::put", "my_alloc", "remember_request", "kv::Log::append",
        "hd::io::FramedConnection::read_some", "mallocator_demo", "freelist_push"})
    CHECK_FALSE_MESSAGE(std::regex_match(std::string(program), drop), program);
  // Every location in an allocator's module has a function, named after the
  // module when unsymbolized, so the regex can drop it: no bare
  // "[libjemalloc.so.2]" left flat.
  size_t in_jemalloc = 0;
  for (const Msg& l : d.locations) {
    if (l.u(2) == 0 || l.u(2) > d.mappings.size()) continue;
    if (d.str(d.mappings[l.u(2) - 1].u(5)).find("libjemalloc") == std::string::npos) continue;
    ++in_jemalloc;
    CHECK_FALSE(l.bytes[4].empty());
  }
  CHECK(in_jemalloc > 0);  // the committed dump has jemalloc frames
}

}  // namespace
}  // namespace hd::analysis
