// /proc/self/maps parsing, strict: every field is checked so that a corrupt
// section is reported instead of yielding wrong module offsets later.
#include "analysis/ingest/proc_maps.h"

#include "analysis/ingest/text_scan.h"

namespace hd::analysis {

using detail::Lines;
using detail::Scanner;

Result<Mapping> parse_maps_line(std::string_view line) {
  Scanner sc(line);
  Mapping m;
  if (!sc.hex(m.start) || !sc.consume("-") || !sc.hex(m.limit))
    return Status::error("maps line: expected <start>-<end> hex address range");
  if (m.limit <= m.start) return Status::error("maps line: empty or inverted address range");
  if (!sc.consume(" ")) return Status::error("maps line: expected permissions");
  std::string_view rest = sc.rest();
  if (rest.size() < 4) return Status::error("maps line: expected permissions");
  const std::string_view perms = rest.substr(0, 4);
  if ((perms[0] != 'r' && perms[0] != '-') || (perms[1] != 'w' && perms[1] != '-') ||
      (perms[2] != 'x' && perms[2] != '-') || (perms[3] != 'p' && perms[3] != 's'))
    return Status::error("maps line: bad permissions '" + std::string(perms) + "'");
  m.perms = std::string(perms);
  sc.consume(perms);
  if (!sc.consume(" ") || !sc.hex(m.file_offset))
    return Status::error("maps line: expected hex file offset");
  uint64_t major = 0, minor = 0, inode = 0;
  if (!sc.consume(" ") || !sc.hex(major) || !sc.consume(":") || !sc.hex(minor))
    return Status::error("maps line: expected device major:minor");
  if (!sc.consume(" ") || !sc.udec(inode)) return Status::error("maps line: expected inode");
  if (!sc.at_end() && !sc.peek(' ')) return Status::error("maps line: junk after inode");
  sc.skip_spaces();
  m.path = std::string(sc.rest());
  return m;
}

Result<std::vector<Mapping>> parse_maps_section(std::string_view text, std::string_view source,
                                                size_t first_line) {
  std::vector<Mapping> out;
  Lines lines(text, source);
  std::string_view line;
  bool saw_blank = false;
  while (lines.next(line)) {
    const size_t number = first_line + lines.number() - 1;
    auto fail = [&](const std::string& what) {
      return Status::error(std::string(source) + ":" + std::to_string(number) + ": " + what);
    };
    if (line.empty()) {
      saw_blank = true;
      continue;
    }
    if (saw_blank) return fail("maps section: blank line before more mappings");
    Result<Mapping> m = parse_maps_line(line);
    if (!m) return fail(m.status().message());
    out.push_back(std::move(m).value());
  }
  if (lines.truncated()) {
    return Status::error(std::string(source) + ":" +
                         std::to_string(first_line + lines.number() - 1) +
                         ": truncated: last maps line has no newline");
  }
  return out;
}

const Mapping* find_mapping(const std::vector<Mapping>& mappings, uint64_t address) {
  for (const Mapping& m : mappings) {
    if (m.contains(address)) return &m;
  }
  return nullptr;
}

}  // namespace hd::analysis
