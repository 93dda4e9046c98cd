// external_ops.jsonl: see external_ops.h.
#include "analysis/runs/external_ops.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace hd::analysis {

using nlohmann::json;

Result<ExternalOps> parse_external_ops(std::string_view text, std::string_view source) {
  ExternalOps out;
  size_t pos = 0;
  size_t line_no = 0;
  while (pos < text.size()) {
    ++line_no;
    const std::string where = std::string(source) + ":" + std::to_string(line_no);
    const size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos)
      return Status::error(where + ": truncated: last line has no newline");
    const json j = json::parse(text.substr(pos, nl - pos), nullptr, false);
    pos = nl + 1;
    if (j.is_discarded() || !j.is_object()) return Status::error(where + ": not a JSON object");
    if (line_no == 1) {
      auto schema = j.find("schema");
      if (schema == j.end() || !schema->is_string() ||
          schema->get<std::string>() != "heapdrift.external_ops/1")
        return Status::error(where + ": field 'schema': expected heapdrift.external_ops/1");
      auto src = j.find("source");
      auto what = j.find("what");
      if (src == j.end() || !src->is_string() ||
          (src->get<std::string>() != "command" && src->get<std::string>() != "file"))
        return Status::error(where + ": field 'source': expected \"command\" or \"file\"");
      if (what == j.end() || !what->is_string())
        return Status::error(where + ": field 'what' is not a string");
      out.source = src->get<std::string>();
      out.what = what->get<std::string>();
      continue;
    }
    auto t = j.find("unix_us");
    if (t == j.end() || !t->is_number_integer())
      return Status::error(where + ": field 'unix_us' is missing or not an integer");
    if (j.contains("error")) {
      ++out.failed_polls;
      continue;
    }
    auto n = j.find("ops");
    if (n == j.end() || !n->is_number_integer() || n->get<int64_t>() < 0)
      return Status::error(where + ": expected 'ops' (a non-negative integer) or 'error'");
    const OpsReading r{t->get<int64_t>(), n->get<int64_t>()};
    if (!out.readings.empty() && r.ops < out.readings.back().ops)
      return Status::error(where + ": the count goes backwards (" +
                           std::to_string(out.readings.back().ops) + " then " +
                           std::to_string(r.ops) + ")");
    if (!out.readings.empty() && r.unix_us < out.readings.back().unix_us)
      return Status::error(where + ": unix_us goes backwards");
    out.readings.push_back(r);
  }
  if (line_no == 0) return Status::error(std::string(source) + ": empty (no header line)");
  return out;
}

double ops_at(const std::vector<OpsReading>& r, int64_t unix_us) {
  if (unix_us <= r.front().unix_us) return static_cast<double>(r.front().ops);
  if (unix_us >= r.back().unix_us) return static_cast<double>(r.back().ops);
  size_t lo = 0, hi = r.size() - 1;  // r[lo].unix_us < unix_us < r[hi].unix_us
  while (hi - lo > 1) {
    const size_t mid = (lo + hi) / 2;
    (r[mid].unix_us <= unix_us ? lo : hi) = mid;
  }
  const double span = static_cast<double>(r[hi].unix_us - r[lo].unix_us);
  if (span <= 0) return static_cast<double>(r[hi].ops);
  const double f = static_cast<double>(unix_us - r[lo].unix_us) / span;
  return static_cast<double>(r[lo].ops) + f * static_cast<double>(r[hi].ops - r[lo].ops);
}

void apply_external_ops(const ExternalOps& ops, std::vector<Snapshot>& snapshots) {
  if (ops.readings.empty()) return;
  for (Snapshot& s : snapshots)
    s.ops = static_cast<int64_t>(std::llround(ops_at(ops.readings, s.unix_ms * 1000)));
}

}  // namespace hd::analysis
