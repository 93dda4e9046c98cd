// Diff by site key: a site only on one side counts as 0 on the other, so new
// and vanished sites rank by their whole size.
#include "analysis/diff/diff.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "analysis/metrics/sampling.h"
#include "analysis/metrics/site_growth.h"
#include "base/schema.h"

namespace hd::analysis {

namespace {

namespace fs = std::filesystem;

// diff_text shows the call paths of this many top rows.
constexpr size_t kDiffCallPaths = 5;

// Ops from a profile file name: "heap.ops-000010000.heap", "heap.end.ops-N.heap".
int64_t ops_from_name(const std::string& path) {
  const std::string name = fs::path(path).filename().string();
  const size_t at = name.rfind("ops-");
  if (at == std::string::npos) return 0;
  return std::strtoll(name.c_str() + at + 4, nullptr, 10);
}

// Every side becomes a list of processes with their site series, and each
// process's role (its meta.json program; "" unknown).
struct Side {
  std::vector<std::pair<ProcessRun, std::vector<SiteSeries>>> procs;
  std::vector<std::string> roles;
};

Result<Side> load_side(const std::string& input, std::vector<std::string>* warnings,
                       const SiteRules& rules) {
  Side side;
  std::error_code ec;
  if (fs::is_regular_file(input, ec)) {
    ProcessRun p;
    const fs::path folder = fs::path(input).parent_path().parent_path();
    if (fs::exists(folder / "meta.json")) {
      Result<ProcessRun> loaded = load_process_run(folder.string());
      if (loaded) p = std::move(*loaded);
    }
    side.roles.push_back(p.program);
    p.program = "profile";  // use the named file even if it is an end profile
    p.profiles = {{ops_from_name(input), input, false}};
    if (p.dir.empty()) p.dir = fs::path(input).parent_path().string();
    Result<std::vector<SiteSeries>> s = process_sites(p, false, warnings, rules);
    if (!s) return s.status();
    side.procs.push_back({std::move(p), std::move(*s)});
    return side;
  }
  Result<Run> run = load_run(input);
  if (!run) return run.status();
  for (ProcessRun& p : run->processes) {
    Result<std::vector<SiteSeries>> s = process_sites(p, false, warnings, rules);
    if (!s) return s.status();
    side.roles.push_back(p.program);
    side.procs.push_back({std::move(p), std::move(*s)});
  }
  return side;
}

std::string fmt_signed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f", v);
  return buf;
}

int64_t side_ops(const std::vector<SiteSeries>& sites) {
  return sites.empty() || sites.front().points.empty() ? 0 : sites.front().points.back().ops;
}

// Seconds from the process's first snapshot to its last profile (0 unknown).
double side_seconds(const std::vector<SiteSeries>& sites) {
  return sites.empty() || sites.front().points.empty()
             ? 0
             : std::max(0.0, sites.front().points.back().t_s);
}

bool differ(const std::string& a, const std::string& b) {
  return !a.empty() && !b.empty() && a != b;
}

}  // namespace

bool DiffMismatch::cross_role() const {
  return differ(a_role, b_role);
}

bool DiffMismatch::cross_allocator() const {
  return differ(a_allocator, b_allocator);
}

std::string DiffMismatch::describe() const {
  auto side = [](const std::string& name, const std::string& role, const std::string& alloc) {
    return (name.empty() ? std::string("(profile)") : name) + " (" +
           (role.empty() ? "unknown role" : role) + ", " +
           (alloc.empty() ? "unknown allocator" : alloc) + ")";
  };
  return "A " + side(a_process, a_role, a_allocator) + " vs B " +
         side(b_process, b_role, b_allocator);
}

bool DiffResult::cross_role() const {
  return std::any_of(mismatches.begin(), mismatches.end(),
                     [](const DiffMismatch& m) { return m.cross_role(); });
}

bool DiffResult::cross_allocator() const {
  return std::any_of(mismatches.begin(), mismatches.end(),
                     [](const DiffMismatch& m) { return m.cross_allocator(); });
}

Status check_comparable(const DiffResult& d) {
  if (d.mismatches.empty()) return Status::ok();
  std::string what = d.cross_role() && d.cross_allocator()
                         ? "different roles and allocators"
                         : (d.cross_role() ? "different roles" : "different allocators");
  std::string msg = "A (" + d.a + ") and B (" + d.b + ") are " + what + ": ";
  for (size_t i = 0; i < d.mismatches.size(); ++i)
    msg += (i ? "; " : "") + d.mismatches[i].describe();
  msg +=
      ". Their bytes per op are not comparable (a replica counts every client's ops, a loadgen "
      "its own; each allocator has its own heap). Diff like with like, or pass --allow-cross to "
      "print the comparison labelled as cross-role/cross-allocator";
  return Status::error(msg);
}

Result<DiffResult> diff_inputs(const std::string& a, const std::string& b, const SiteRules& rules) {
  std::vector<std::string> warnings;
  Result<Side> sa = load_side(a, &warnings, rules);
  if (!sa) return sa.status();
  Result<Side> sb = load_side(b, &warnings, rules);
  if (!sb) return sb.status();
  DiffResult d;
  d.a = a;
  d.b = b;
  const bool by_name = sa->procs.size() > 1 || sb->procs.size() > 1;
  for (size_t ia = 0; ia < sa->procs.size(); ++ia) {
    auto& [pa, sites_a] = sa->procs[ia];
    for (size_t ib = 0; ib < sb->procs.size(); ++ib) {
      auto& [pb, sites_b] = sb->procs[ib];
      if (by_name && pa.name != pb.name) continue;
      const DiffMismatch m{pa.name,       pb.name,      sa->roles[ia],
                           sb->roles[ib], pa.allocator, pb.allocator};
      if (m.cross_role() || m.cross_allocator()) d.mismatches.push_back(m);
      const int64_t oa = side_ops(sites_a), ob = side_ops(sites_b);
      if ((d.a_ops == 0 || d.b_ops == 0) && oa > 0 && ob > 0) {
        d.a_ops = oa;
        d.b_ops = ob;
      }
      // No op count on either side: per second of each side's run.
      const double ta = side_seconds(sites_a), tb = side_seconds(sites_b);
      const bool timed = oa == 0 && ob == 0 && ta > 0 && tb > 0 &&
                         process_axis(pa) == Axis::kSeconds && process_axis(pb) == Axis::kSeconds;
      if (timed && d.a_s == 0) {
        d.axis = Axis::kSeconds;
        d.a_s = ta;
        d.b_s = tb;
      }
      std::map<std::string, DiffRow> rows;
      std::map<std::string, double> variance;  // of b_bytes - a_bytes
      // Each side's sampling period (one per process profile): a site one
      // side missed was missed at *that* side's period, which for a long run
      // can be 64x the short run's.
      uint64_t period[2] = {0, 0};
      for (int side = 0; side < 2; ++side)
        for (const SiteSeries& s : side == 0 ? sites_a : sites_b)
          period[side] = std::max(period[side], s.sample_period);
      for (int side = 0; side < 2; ++side) {
        for (const SiteSeries& s : side == 0 ? sites_a : sites_b) {
          DiffRow& r = rows[s.key];
          r.process = by_name ? pa.name : "";
          r.key = s.key;
          r.function = s.function;
          r.file = s.file;
          r.line = s.line;
          if (side == 1 || r.call_path.empty()) r.call_path = s.call_path;
          (side == 0 ? r.a_bytes : r.b_bytes) = s.points.empty() ? 0 : s.points.back().inuse_bytes;
          if (s.points.empty()) continue;
          // A side's last estimate, plus one block's variance at the coarser
          // of the two periods: a site seen on one side only may have been
          // missed by one sample on the other.
          const SitePoint& last = s.points.back();
          const double avg = last.inuse_objs > 0 ? static_cast<double>(last.inuse_bytes) /
                                                       static_cast<double>(last.inuse_objs)
                                                 : 0;
          variance[s.key] +=
              last.variance + one_sample_variance(avg, std::max(period[0], period[1]));
        }
      }
      for (auto& [k, v] : variance) rows[k].delta_half95 = 1.96 * std::sqrt(v);
      for (auto& [k, r] : rows) {
        if (timed) {
          r.a_per_op = static_cast<double>(r.a_bytes) / ta;
          r.b_per_op = static_cast<double>(r.b_bytes) / tb;
          if (tb != ta) r.growth_per_op = static_cast<double>(r.b_bytes - r.a_bytes) / (tb - ta);
          d.rows.push_back(r);
          continue;
        }
        r.a_per_op = oa ? static_cast<double>(r.a_bytes) / static_cast<double>(oa) : 0;
        r.b_per_op = ob ? static_cast<double>(r.b_bytes) / static_cast<double>(ob) : 0;
        if (ob != oa)
          r.growth_per_op =
              static_cast<double>(r.b_bytes - r.a_bytes) / static_cast<double>(ob - oa);
        d.rows.push_back(r);
      }
    }
  }
  std::stable_sort(d.rows.begin(), d.rows.end(), [](const DiffRow& x, const DiffRow& y) {
    if (x.significant() != y.significant()) return x.significant();
    const int64_t dx = std::llabs(x.b_bytes - x.a_bytes), dy = std::llabs(y.b_bytes - y.a_bytes);
    return dx != dy ? dx > dy : x.key < y.key;
  });
  for (const std::string& w : warnings)
    std::fprintf(stderr, "heapdrift diff: warning: %s\n", w.c_str());
  return d;
}

std::string diff_text(const DiffResult& d, size_t top) {
  char buf[512];
  const bool timed = d.axis == Axis::kSeconds;
  std::string o;
  if (timed) {
    std::snprintf(buf, sizeof buf, "A: %s (no op count, %.2f s)\nB: %s (no op count, %.2f s)\n",
                  d.a.c_str(), d.a_s, d.b.c_str(), d.b_s);
    o = buf;
  } else {
    o = "A: " + d.a + " (" + std::to_string(d.a_ops) + " ops)\nB: " + d.b + " (" +
        std::to_string(d.b_ops) + " ops)\n";
  }
  // A forced (--allow-cross) comparison says so before any number.
  if (d.cross_role() || d.cross_allocator()) {
    o += std::string("CROSS-") + (d.cross_role() ? "ROLE" : "") +
         (d.cross_role() && d.cross_allocator() ? "/CROSS-" : "") +
         (d.cross_allocator() ? "ALLOCATOR" : "") +
         " comparison: the per-op figures are not like for like\n";
    for (const DiffMismatch& m : d.mismatches) o += "  " + m.describe() + "\n";
  }
  // growth/op is the slope between the sides: with B shorter than A, bytes
  // that drop from A to B are a positive growth per op (issue 15 read that as
  // a sign error).
  if (!timed && d.b_ops < d.a_ops)
    o += "growth/op = (B-A bytes) / (B-A ops of the process); B ran fewer ops than A, so a "
         "drop in bytes is a positive growth per op\n";
  std::snprintf(buf, sizeof buf, "%-10s %12s %12s %12s %10s %9s %9s %10s  %s\n", "process",
                "A bytes", "B bytes", "B-A bytes", "±95%", timed ? "A B/s" : "A B/op",
                timed ? "B B/s" : "B B/op", timed ? "growth/s" : "growth/op", "site");
  o += buf;
  size_t noise = 0;
  for (size_t i = 0; i < d.rows.size() && i < top; ++i) {
    const DiffRow& r = d.rows[i];
    const std::string site = r.function.empty()
                                 ? r.key
                                 : r.function + " " + fs::path(r.file).filename().string() + ":" +
                                       std::to_string(r.line);
    // Inside the sampling interval the change is not a measured growth: no
    // per-op (per-second) figure, marked "~".
    const std::string growth = r.significant() ? fmt_signed(r.growth_per_op) : "~";
    noise += !r.significant();
    std::snprintf(buf, sizeof buf, "%-10s %12lld %12lld %+12lld %10.0f %9.1f %9.1f %10s  %s\n",
                  r.process.c_str(), static_cast<long long>(r.a_bytes),
                  static_cast<long long>(r.b_bytes), static_cast<long long>(r.b_bytes - r.a_bytes),
                  r.delta_half95, r.a_per_op, r.b_per_op, growth.c_str(),
                  site.substr(0, 120).c_str());
    o += buf;
  }
  // The top rows' call paths: the site alone may be a helper of many callers.
  bool paths = false;
  for (size_t i = 0; i < d.rows.size() && i < std::min<size_t>(top, kDiffCallPaths); ++i) {
    const DiffRow& r = d.rows[i];
    if (r.call_path.size() < 2) continue;
    if (!paths) o += "call paths (site first):\n";
    paths = true;
    o += "  " + std::to_string(i + 1) + ". ";
    for (size_t k = 0; k < r.call_path.size(); ++k)
      o += (k ? " <- " : "") + r.call_path[k].substr(0, 80);
    o += "\n";
  }
  if (noise > 0)
    o += "~: the change is within the 95 % sampling interval of the heap profiles (±95%): it may "
         "be a single sample, not growth (" +
         std::to_string(noise) + " of the rows shown)\n";
  return o;
}

std::string diff_json(const DiffResult& d) {
  nlohmann::json rows = nlohmann::json::array();
  // Without ops the per-unit fields are per second, and named so.
  const std::string u = d.axis == Axis::kSeconds ? "_per_s" : "_per_op";
  for (const DiffRow& r : d.rows)
    rows.push_back({{"process", r.process},
                    {"key", r.key},
                    {"function", r.function},
                    {"file", r.file},
                    {"line", r.line},
                    {"a_bytes", r.a_bytes},
                    {"b_bytes", r.b_bytes},
                    {"delta_bytes", r.b_bytes - r.a_bytes},
                    {"a_bytes" + u, r.a_per_op},
                    {"b_bytes" + u, r.b_per_op},
                    {"growth_bytes" + u, r.growth_per_op},
                    {"delta_ci95_half_bytes", r.delta_half95},
                    {"significant", r.significant()},
                    {"call_path", r.call_path}});
  nlohmann::json j;
  j["schema"] = schema::kDiff;
  j["a"] = d.a;
  j["b"] = d.b;
  j["a_ops"] = d.a_ops;
  j["b_ops"] = d.b_ops;
  if (d.axis == Axis::kSeconds) {
    j["axis"] = "s";
    j["a_seconds"] = d.a_s;
    j["b_seconds"] = d.b_s;
  }
  nlohmann::json mismatches = nlohmann::json::array();
  for (const DiffMismatch& m : d.mismatches)
    mismatches.push_back({{"a_process", m.a_process},
                          {"b_process", m.b_process},
                          {"a_role", m.a_role},
                          {"b_role", m.b_role},
                          {"a_allocator", m.a_allocator},
                          {"b_allocator", m.b_allocator}});
  j["cross_role"] = d.cross_role();
  j["cross_allocator"] = d.cross_allocator();
  j["mismatches"] = mismatches;
  j["rows"] = rows;
  return j.dump(2) + "\n";
}

}  // namespace hd::analysis
