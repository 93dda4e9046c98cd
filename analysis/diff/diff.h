// `heapdrift diff A B [--json]`: site-by-site difference of two runs, two
// process folders or two heap profiles, normalised per op and ranked by
// contribution to growth. Pure except for reading the inputs; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "analysis/metrics/site_verdict.h"
#include "analysis/symbolize/fold.h"
#include "base/status.h"

namespace hd::analysis {

struct DiffRow {
  std::string process;  // process folder name ("" for bare profiles)
  std::string key, function, file;
  int line = 0;
  int64_t a_bytes = 0, b_bytes = 0;  // in-use at the side's last milestone
  // Per op, or per second when DiffResult::axis is kSeconds (the sides
  // have no op count): in-use / that side's ops (seconds).
  double a_per_op = 0, b_per_op = 0;
  // (b_bytes - a_bytes) / (b_ops - a_ops) (or / (b_s - a_s)): growth per op
  // (per second) between the sides, when their lengths differ; else 0.
  double growth_per_op = 0;
  // Half width of the 95 % interval of b_bytes - a_bytes under the sampling
  // model (sampling.h; the two sides are independent runs); 0 for exact
  // profiles. A change inside it may be a single sample and is not ranked
  // as growth.
  double delta_half95 = 0;
  // The site and its callers, site first (B's when both sides have it).
  std::vector<std::string> call_path;
  bool significant() const {
    const double d = static_cast<double>(b_bytes - a_bytes);
    return (d > 0 ? d : -d) > delta_half95;
  }
};

// A matched pair of processes that are not like for like: a different
// program (a replica counts every client's ops, a loadgen its own: their
// per-op figures are on different scales) or a different live allocator
// (different heaps, sampled and attributed differently). Empty strings are
// unknown (a bare profile outside a process folder) and never differ.
struct DiffMismatch {
  std::string a_process, b_process;      // folder names
  std::string a_role, b_role;            // meta.json program: "replica", "loadgen", "run"
  std::string a_allocator, b_allocator;  // meta.json allocator.live
  bool cross_role() const;
  bool cross_allocator() const;
  // "A replica0 (replica, jemalloc) vs B client0 (loadgen, tcmalloc)".
  std::string describe() const;
};

struct DiffResult {
  std::string a, b;
  int64_t a_ops = 0, b_ops = 0;  // of the first matched process
  // Without ops on either side: seconds from each side's first snapshot to
  // its last profile, and the per-unit columns are per second.
  Axis axis = Axis::kOps;
  double a_s = 0, b_s = 0;
  // Changes beyond sampling noise first, each group by |b_bytes - a_bytes|.
  std::vector<DiffRow> rows;
  // Pairs compared across roles or allocators (check_comparable refuses
  // them; diff_text and diff_json label them).
  std::vector<DiffMismatch> mismatches;
  bool cross_role() const;
  bool cross_allocator() const;
};

// A and B: both run folders (processes matched by name), both process
// folders, or both heap profiles (ops from the "ops-N" file name).
// rules: frames to skip besides the allocator's (--skip-frames).
Result<DiffResult> diff_inputs(const std::string& a, const std::string& b,
                               const SiteRules& rules = {});
// An error naming every mismatched pair when d compares a replica with a
// loadgen or one allocator's run with another's; ok otherwise. `heapdrift
// diff` refuses such a diff (exit 2) unless --allow-cross is given.
Status check_comparable(const DiffResult& d);
std::string diff_text(const DiffResult& d, size_t top);
std::string diff_json(const DiffResult& d);

}  // namespace hd::analysis
