// Heap profile parsers. Strictness is the point: every line is checked against
// the exact shape the allocator writes, and a file must reach its
// MAPPED_LIBRARIES section, so a cut or corrupted dump is an error naming the
// line, never a plausible-looking partial profile.
#include "analysis/ingest/heap_profile.h"

#include "analysis/ingest/proc_maps.h"
#include "analysis/ingest/text_scan.h"

namespace hd::analysis {

using detail::Lines;
using detail::Scanner;

namespace {

constexpr std::string_view kMappedLibraries = "MAPPED_LIBRARIES:";

// " 0x<hex>" repeated to the end of the line.
bool parse_stack(Scanner& sc, Stack& stack) {
  while (!sc.at_end()) {
    uint64_t addr = 0;
    if (!sc.consume(" 0x") || !sc.hex(addr)) return false;
    stack.push_back(addr);
  }
  return true;
}

// Parses the MAPPED_LIBRARIES section that must follow; lines is positioned
// just after blank lines or samples. Returns an error if the header is absent.
Status parse_mapped_libraries(Lines& lines, std::string_view source, std::string_view line,
                              std::vector<Mapping>& out) {
  if (line != kMappedLibraries) return lines.error("expected MAPPED_LIBRARIES: section");
  Result<std::vector<Mapping>> maps =
      parse_maps_section(lines.remaining(), source, lines.number() + 1);
  if (!maps) return maps.status();
  out = std::move(maps).value();
  // The allocators always write the maps; an empty section is a cut file.
  if (out.empty()) return lines.truncation_error("MAPPED_LIBRARIES section is empty");
  return Status::ok();
}

// jemalloc: "  t*: 1: 2 [3: 4]" or "  t7: ...". thread is -1 for "*".
bool parse_je_counts(std::string_view line, int64_t& thread, HeapSample& s) {
  Scanner sc(line);
  if (!sc.consume("  t")) return false;
  if (sc.consume("*")) {
    thread = -1;
  } else if (!sc.dec(thread)) {
    return false;
  }
  return sc.consume(": ") && sc.dec(s.inuse_objs) && sc.consume(": ") && sc.dec(s.inuse_bytes) &&
         sc.consume(" [") && sc.dec(s.alloc_objs) && sc.consume(": ") && sc.dec(s.alloc_bytes) &&
         sc.consume("]") && sc.at_end();
}

// Reads the "t*" line and the per-thread lines after a header or stack line.
Status read_je_counts(Lines& lines, HeapSample& s) {
  std::string_view line;
  if (!lines.next(line)) {
    return lines.truncated() ? lines.truncation_error("line has no newline")
                             : lines.truncation_error("expected '  t*:' counts line");
  }
  int64_t thread = 0;
  if (!parse_je_counts(line, thread, s) || thread != -1)
    return lines.error("expected '  t*: <objs>: <bytes> [<objs>: <bytes>]'");
  while (lines.next(line)) {
    if (!line.starts_with("  t")) {
      lines.unread();
      break;
    }
    HeapSample per_thread;
    if (!parse_je_counts(line, thread, per_thread) || thread < 0)
      return lines.error("expected '  t<thread>: <objs>: <bytes> [<objs>: <bytes>]'");
  }
  return Status::ok();
}

// gperftools: "<objs>: <bytes> [<objs>: <bytes>]" with %6d-style padding.
bool parse_gperf_counts(Scanner& sc, HeapSample& s) {
  sc.skip_spaces();
  if (!sc.dec(s.inuse_objs) || !sc.consume(":")) return false;
  sc.skip_spaces();
  if (!sc.dec(s.inuse_bytes)) return false;
  sc.skip_spaces();
  if (!sc.consume("[")) return false;
  sc.skip_spaces();
  if (!sc.dec(s.alloc_objs) || !sc.consume(":")) return false;
  sc.skip_spaces();
  if (!sc.dec(s.alloc_bytes) || !sc.consume("]")) return false;
  sc.skip_spaces();
  return sc.consume("@");
}

Status finish_text(const Lines& lines, bool saw_maps, std::string_view what) {
  if (lines.truncated()) return lines.truncation_error("last line has no newline");
  if (!saw_maps)
    return lines.truncation_error("end of file before the MAPPED_LIBRARIES section (" +
                                  std::string(what) + ")");
  return Status::ok();
}

}  // namespace

Result<HeapProfile> parse_jemalloc_heap(std::string_view text, std::string_view source) {
  HeapProfile p;
  p.format = ProfileFormat::kJemallocHeapV2;
  p.source = std::string(source);
  Lines lines(text, source);
  std::string_view line;
  if (!lines.next(line)) return lines.truncation_error("empty file or header without newline");
  {
    Scanner sc(line);
    if (!sc.consume("heap_v2/") || !sc.udec(p.sample_period) || !sc.at_end())
      return lines.error("expected jemalloc header 'heap_v2/<sample period>'");
    if (p.sample_period == 0) return lines.error("sample period is 0");
  }
  if (Status st = read_je_counts(lines, p.totals); !st) return st;
  bool saw_maps = false;
  while (lines.next(line)) {
    if (line.starts_with("@")) {
      HeapSample s;
      Scanner sc(line);
      sc.consume("@");
      if (!parse_stack(sc, s.stack)) return lines.error("malformed backtrace: expected ' 0x<hex>'");
      if (Status st = read_je_counts(lines, s); !st) return st;
      p.samples.push_back(std::move(s));
      continue;
    }
    if (line.empty()) continue;  // jemalloc writes "\nMAPPED_LIBRARIES:\n"
    if (Status st = parse_mapped_libraries(lines, source, line, p.mappings); !st) return st;
    saw_maps = true;
    break;
  }
  if (Status st = finish_text(lines, saw_maps, "jemalloc heap_v2"); !st) return st;
  // Without prof_accum jemalloc prints "[0: 0]" for cumulative counts.
  p.has_alloc = p.totals.alloc_objs != 0 || p.totals.inuse_objs == 0;
  return p;
}

Result<HeapProfile> parse_gperf_heap(std::string_view text, std::string_view source) {
  HeapProfile p;
  p.source = std::string(source);
  p.has_alloc = true;
  Lines lines(text, source);
  std::string_view line;
  if (!lines.next(line)) return lines.truncation_error("empty file or header without newline");
  {
    Scanner sc(line);
    if (!sc.consume("heap profile:") || !parse_gperf_counts(sc, p.totals))
      return lines.error("expected 'heap profile: <objs>: <bytes> [<objs>: <bytes>] @ <kind>'");
    sc.skip_spaces();
    if (sc.consume("heapprofile") && sc.at_end()) {
      p.format = ProfileFormat::kGperfHeap;
    } else if (sc.consume("heap_v2/") && sc.udec(p.sample_period) && sc.at_end()) {
      p.format = ProfileFormat::kGperfHeapSampled;
      if (p.sample_period == 0) return lines.error("sample period is 0");
    } else {
      // "heap" / "heap/<n>" (v1 sampling) and growth profiles scale differently.
      return lines.error(
          "unsupported heap profile kind (want 'heapprofile' or 'heap_v2/<period>')");
    }
  }
  bool saw_maps = false;
  // Unsigned: wraps instead of overflowing on hostile counts.
  uint64_t sum_iobjs = 0, sum_ibytes = 0, sum_aobjs = 0, sum_abytes = 0;
  while (lines.next(line)) {
    if (line.empty()) continue;
    if (line == kMappedLibraries) {
      if (Status st = parse_mapped_libraries(lines, source, line, p.mappings); !st) return st;
      saw_maps = true;
      break;
    }
    HeapSample s;
    Scanner sc(line);
    if (!parse_gperf_counts(sc, s) || !parse_stack(sc, s.stack))
      return lines.error("expected '<objs>: <bytes> [<objs>: <bytes>] @ 0x<addr>...'");
    sum_iobjs += static_cast<uint64_t>(s.inuse_objs);
    sum_ibytes += static_cast<uint64_t>(s.inuse_bytes);
    sum_aobjs += static_cast<uint64_t>(s.alloc_objs);
    sum_abytes += static_cast<uint64_t>(s.alloc_bytes);
    p.samples.push_back(std::move(s));
  }
  if (Status st = finish_text(lines, saw_maps, "gperftools heap profile"); !st) return st;
  // gperftools writes the header as the sum of its buckets; a mismatch means
  // lost or altered lines.
  auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  if (sum_iobjs != u(p.totals.inuse_objs) || sum_ibytes != u(p.totals.inuse_bytes) ||
      sum_aobjs != u(p.totals.alloc_objs) || sum_abytes != u(p.totals.alloc_bytes)) {
    return Status::error(std::string(source) +
                         ":1: samples do not add up to the header totals (in-use " +
                         std::to_string(sum_iobjs) + ": " + std::to_string(sum_ibytes) + " vs " +
                         std::to_string(p.totals.inuse_objs) + ": " +
                         std::to_string(p.totals.inuse_bytes) + "); lines lost or altered");
  }
  return p;
}

Result<HeapProfile> parse_heap_profile(std::string_view text, std::string_view source) {
  if (text.starts_with("heap_v2/")) return parse_jemalloc_heap(text, source);
  if (text.starts_with("heap profile:")) return parse_gperf_heap(text, source);
  return Status::error(std::string(source) +
                       ":1: not a heap profile (expected 'heap_v2/' or 'heap profile:')");
}

Result<HeapProfile> load_heap_profile(const std::string& path) {
  Result<std::string> text = read_whole_file(path);
  if (!text) return text.status();
  return parse_heap_profile(*text, path);
}

}  // namespace hd::analysis
