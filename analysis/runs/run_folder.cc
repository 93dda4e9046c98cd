// Strict run-folder readers: every required key is checked for presence and
// type, and errors name the file and the line (snapshots) or field (JSON).
#include "analysis/runs/run_folder.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "analysis/ingest/profile.h"
#include "analysis/runs/external_ops.h"
#include "base/schema.h"

namespace hd::analysis {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Field readers: on a missing or mistyped field they set err (first one
// wins) and return a default, so one record is checked in straight-line code.
struct FieldReader {
  std::string where;  // "file:line" or "file"
  std::string err;

  const json* find(const json& o, const char* key) {
    if (!err.empty()) return nullptr;
    if (!o.is_object()) {
      err = where + ": expected an object around '" + key + "'";
      return nullptr;
    }
    auto it = o.find(key);
    if (it == o.end()) {
      err = where + ": missing field '" + key + "'";
      return nullptr;
    }
    return &*it;
  }
  int64_t integer(const json& o, const char* key) {
    const json* v = find(o, key);
    if (!v) return 0;
    if (!v->is_number_integer()) {
      err = where + ": field '" + key + "' is not an integer";
      return 0;
    }
    return v->get<int64_t>();
  }
  std::optional<int64_t> opt_integer(const json& o, const char* key) {
    const json* v = find(o, key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_number_integer()) {
      err = where + ": field '" + key + "' is not an integer or null";
      return std::nullopt;
    }
    return v->get<int64_t>();
  }
  double number(const json& o, const char* key) {
    const json* v = find(o, key);
    if (!v) return 0;
    if (!v->is_number()) {
      err = where + ": field '" + key + "' is not a number";
      return 0;
    }
    return v->get<double>();
  }
  std::string string(const json& o, const char* key, bool nullable = false) {
    const json* v = find(o, key);
    if (!v) return {};
    if (nullable && v->is_null()) return {};
    if (!v->is_string()) {
      err = where + ": field '" + key + "' is not a string";
      return {};
    }
    return v->get<std::string>();
  }
  const json& object(const json& o, const char* key) {
    static const json kEmpty = json::object();
    const json* v = find(o, key);
    if (!v) return kEmpty;
    if (!v->is_object()) {
      err = where + ": field '" + key + "' is not an object";
      return kEmpty;
    }
    return *v;
  }
};

Result<json> parse_json(std::string_view text, const std::string& source) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::error(source + ": not valid JSON");
  return j;
}

}  // namespace

bool children_dominate(int64_t children_cpu_us, int64_t own_cpu_us) {
  return children_cpu_us > 10000 && children_cpu_us > own_cpu_us;
}

Status parse_children(std::string_view text, std::string_view source, ProcessRun& p) {
  Result<json> j = parse_json(text, std::string(source));
  if (!j) return j.status();
  FieldReader r{std::string(source), {}};
  const std::string schema = r.string(*j, "schema");
  const int64_t children = r.integer(*j, "cpu_us");
  const int64_t own = r.integer(*j, "recorded_cpu_us");
  if (!r.err.empty()) return Status::error(r.err);
  if (schema != "heapdrift.children/1")
    return Status::error(std::string(source) + ": schema '" + schema +
                         "' is not heapdrift.children/1");
  if (children < 0 || own < 0) return Status::error(std::string(source) + ": negative CPU time");
  p.children_cpu_us = children;
  p.children_own_cpu_us = own;
  return Status::ok();
}

Result<std::vector<Snapshot>> parse_snapshots(std::string_view text, std::string_view source) {
  std::vector<Snapshot> out;
  size_t pos = 0;
  size_t line_no = 0;
  while (pos < text.size()) {
    ++line_no;
    const std::string where = std::string(source) + ":" + std::to_string(line_no);
    const size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos)
      return Status::error(where + ": truncated: last line has no newline");
    const std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Status::error(where + ": not a JSON object");
    FieldReader r{where, {}};
    Snapshot s;
    s.seq = r.integer(j, "seq");
    s.reason = r.string(j, "reason");
    s.t_ms = r.number(j, "t_ms");
    s.unix_ms = r.integer(j, "unix_ms");
    s.ops = r.integer(j, "ops");
    const json& alloc = r.object(j, "alloc");
    s.allocated = r.opt_integer(alloc, "allocated");
    s.active = r.opt_integer(alloc, "active");
    s.resident = r.opt_integer(alloc, "resident");
    if (alloc.contains("mapped")) s.mapped = r.opt_integer(alloc, "mapped");
    const json* cum = r.find(j, "cum");
    if (cum && cum->is_object()) {
      s.cum_alloc_count = r.opt_integer(*cum, "alloc_count");
      s.cum_alloc_bytes = r.opt_integer(*cum, "alloc_bytes");
    } else if (cum && !cum->is_null()) {
      r.err = where + ": field 'cum' is not an object or null";
    }
    const json& proc = r.object(j, "proc");
    s.rss_bytes = r.integer(proc, "rss_bytes");
    s.utime_us = r.integer(proc, "utime_us");
    s.stime_us = r.integer(proc, "stime_us");
    s.nvcsw = r.integer(proc, "nvcsw");
    s.nivcsw = r.integer(proc, "nivcsw");
    if (proc.contains("minflt")) s.minflt = r.opt_integer(proc, "minflt");
    if (proc.contains("recorder_cpu_us"))
      s.recorder_cpu_us = r.opt_integer(proc, "recorder_cpu_us");
    if (proc.contains("probe_runs")) {
      s.probe_runs = r.opt_integer(proc, "probe_runs");
      s.probe_chase_ns = r.opt_integer(proc, "probe_chase_ns");
      s.probe_compute_ns = r.opt_integer(proc, "probe_compute_ns");
      if (proc.contains("probe_kernel_ns"))
        s.probe_kernel_ns = r.opt_integer(proc, "probe_kernel_ns");
    }
    const json& gauges = r.object(j, "gauges");
    if (gauges.contains("term")) s.term = r.integer(gauges, "term");
    if (gauges.contains("leader")) s.leader = r.integer(gauges, "leader");
    for (const auto& [name, v] : gauges.items())
      if (v.is_number_integer()) s.gauges.emplace_back(name, v.get<int64_t>());
    s.profile = r.string(j, "profile", /*nullable=*/true);
    if (!r.err.empty()) return Status::error(r.err);
    out.push_back(std::move(s));
  }
  if (out.empty()) return Status::error(std::string(source) + ": no snapshot lines");
  return out;
}

Result<loadgen::RunStats> parse_loadgen_result(std::string_view text, std::string_view source) {
  Result<json> j = parse_json(text, std::string(source));
  if (!j) return j.status();
  Result<loadgen::RunStats> stats = loadgen::RunStats::from_json(*j);
  if (!stats) return Status::error(std::string(source) + ": " + stats.status().message());
  return stats;
}

Status parse_meta(std::string_view text, std::string_view source, ProcessRun& p) {
  Result<json> meta = parse_json(text, std::string(source));
  if (!meta) return meta.status();
  FieldReader r{std::string(source), {}};
  // heapdrift.run/1, or its older spelling heapdrift-run whose version is in
  // schema_version (run folders recorded before the schema ids were unified).
  // schema_version is required with the old id; with the new one it may be
  // there (the recorder still writes it) and must agree.
  const std::string schema = r.string(*meta, "schema");
  if (!r.err.empty()) return Status::error(r.err);
  if (schema != schema::kRun && schema != schema::kLegacyRun)
    return Status::error(std::string(source) + ": field 'schema': '" + schema + "' is not " +
                         schema::kRun + " (or the older " + schema::kLegacyRun +
                         "); only version 1 is understood");
  if ((schema == schema::kLegacyRun || meta->contains("schema_version")) &&
      r.integer(*meta, "schema_version") != 1 && r.err.empty())
    return Status::error(std::string(source) +
                         ": field 'schema_version': only version 1 is understood");
  p.program = r.string(*meta, "program");
  const json& alloc = r.object(*meta, "allocator");
  p.heap_profile_sample_bytes =
      static_cast<uint64_t>(r.integer(alloc, "heap_profile_sample_bytes"));
  if (auto live = alloc.find("live"); live != alloc.end() && live->is_string())
    p.allocator = live->get<std::string>();
  if (auto hp = alloc.find("heap_profiles"); hp != alloc.end() && hp->is_boolean())
    p.heap_profiles_possible = hp->get<bool>();
  const json& host = r.object(*meta, "host");
  p.cpus = static_cast<int>(r.integer(host, "cpus_online"));
  if (auto a = host.find("affinity_count"); a != host.end() && a->is_number_integer())
    p.cpus = a->get<int>();
  if (p.cpus < 1) p.cpus = 1;
  p.plant = "none";
  if (auto c = meta->find("config"); c != meta->end() && c->is_object()) {
    if (auto s = c->find("settings"); s != c->end() && s->is_object()) {
      if (auto pl = s->find("plant");
          pl != s->end() && pl->is_string() && !pl->get<std::string>().empty())
        p.plant = pl->get<std::string>();
    }
  }
  if (auto rec = meta->find("recorder"); rec != meta->end() && rec->is_object()) {
    if (auto hw = rec->find("hw_counters"); hw != rec->end() && hw->is_object()) {
      if (auto a = hw->find("available"); a != hw->end() && a->is_boolean())
        p.hw_counters = a->get<bool>();
      if (auto w = hw->find("why"); w != hw->end() && w->is_string())
        p.hw_counters_why = w->get<std::string>();
    }
    if (auto c = rec->find("children_cpu_us_at_start");
        c != rec->end() && c->is_number_integer() && c->get<int64_t>() >= 0)
      p.children_cpu_us_at_start = c->get<int64_t>();
  }
  if (auto objs = meta->find("objects"); objs != meta->end() && objs->is_array()) {
    for (const json& o : *objs) {
      if (!o.is_object()) continue;
      auto path = o.find("path");
      auto id = o.find("build_id");
      if (path == o.end() || !path->is_string()) continue;
      p.binaries.push_back({path->get<std::string>(),
                            id != o.end() && id->is_string() ? id->get<std::string>() : ""});
    }
  }
  if (!r.err.empty()) return Status::error(r.err);
  return Status::ok();
}

Result<std::vector<CpuWindow>> parse_cpu_windows(std::string_view text, std::string_view source,
                                                 const std::string& dir) {
  std::vector<CpuWindow> out;
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.empty()) continue;
    const std::string where = std::string(source) + ":" + std::to_string(line_no);
    Result<json> j = parse_json(line, where);
    if (!j) return j.status();
    FieldReader r{where, {}};
    CpuWindow w;
    w.name = r.string(*j, "window");
    w.path = (fs::path(dir) / r.string(*j, "file")).string();
    w.from_ops = r.integer(*j, "from_ops");
    w.to_ops = r.integer(*j, "to_ops");
    w.from_t_ms = r.number(*j, "from_t_ms");
    w.to_t_ms = r.number(*j, "to_t_ms");
    w.from_unix_ms = r.integer(*j, "from_unix_ms");
    w.to_unix_ms = r.integer(*j, "to_unix_ms");
    if (j->contains("from_cpu_us")) {
      w.from_cpu_us = r.integer(*j, "from_cpu_us");
      w.to_cpu_us = r.integer(*j, "to_cpu_us");
    }
    if (!r.err.empty()) return Status::error(r.err);
    if (w.to_cpu_us < w.from_cpu_us) return Status::error(where + ": CPU time goes backwards");
    if (w.to_ops < w.from_ops || w.to_t_ms < w.from_t_ms)
      return Status::error(where + ": window ends before it starts");
    out.push_back(std::move(w));
  }
  return out;
}

Result<ProcessRun> load_process_run(const std::string& dir) {
  ProcessRun p;
  p.dir = dir;
  p.name = fs::path(dir).lexically_normal().filename().string();
  if (p.name.empty()) p.name = fs::path(dir).lexically_normal().parent_path().filename().string();
  const std::string meta_path = (fs::path(dir) / "meta.json").string();
  Result<std::string> meta_text = read_whole_file(meta_path);
  if (!meta_text) return meta_text.status();
  Status st = parse_meta(*meta_text, meta_path, p);
  if (!st) return st;

  const std::string snap_path = (fs::path(dir) / "snapshots.jsonl").string();
  Result<std::string> snap_text = read_whole_file(snap_path);
  if (!snap_text) return snap_text.status();
  Result<std::vector<Snapshot>> snaps = parse_snapshots(*snap_text, snap_path);
  if (!snaps) return snaps.status();
  p.snapshots = std::move(*snaps);
  // `heapdrift run --ops-from-*`: the count read from outside replaces the
  // program's (0 when it exports none), before profiles take their ops below.
  const std::string ext_path = (fs::path(dir) / "external_ops.jsonl").string();
  if (fs::exists(ext_path)) {
    Result<std::string> ext_text = read_whole_file(ext_path);
    if (!ext_text) return ext_text.status();
    Result<ExternalOps> ext = parse_external_ops(*ext_text, ext_path);
    if (!ext) return ext.status();
    if (!ext->readings.empty()) {
      apply_external_ops(*ext, p.snapshots);
      p.ops_source = ext->source + ": " + ext->what;
    }
  }
  const std::string children_path = (fs::path(dir) / kChildrenFile).string();
  if (fs::exists(children_path)) {
    Result<std::string> children_text = read_whole_file(children_path);
    if (!children_text) return children_text.status();
    if (Status parsed = parse_children(*children_text, children_path, p); !parsed) return parsed;
  }
  for (const Snapshot& s : p.snapshots) {
    if (s.profile.empty()) continue;
    const std::string path = (fs::path(dir) / s.profile).string();
    if (!fs::exists(path)) continue;  // listed but removed (e.g. trimmed goldens)
    p.profiles.push_back({s.ops, path, s.reason == "end", s.t_ms});
  }
  std::stable_sort(p.profiles.begin(), p.profiles.end(),
                   [](const ProfileRef& a, const ProfileRef& b) {
                     if (a.end != b.end) return b.end;
                     return a.ops != b.ops ? a.ops < b.ops : a.t_ms < b.t_ms;
                   });
  const std::string cpu = (fs::path(dir) / "profiles" / "cpu.prof").string();
  if (fs::exists(cpu)) p.cpu_profile = cpu;
  const std::string windows = (fs::path(dir) / "profiles" / "cpu-windows.jsonl").string();
  if (fs::exists(windows)) {
    Result<std::string> text = read_whole_file(windows);
    if (!text) return text.status();
    Result<std::vector<CpuWindow>> w = parse_cpu_windows(*text, windows, dir);
    if (!w) return w.status();
    p.cpu_windows = std::move(*w);
  }

  const std::string result_path = (fs::path(dir) / "result.json").string();
  if (fs::exists(result_path)) {
    Result<std::string> text = read_whole_file(result_path);
    if (!text) return text.status();
    Result<loadgen::RunStats> res = parse_loadgen_result(*text, result_path);
    if (!res) return res.status();
    p.result = std::move(*res);
  }
  return p;
}

namespace {

// The subfolders of `dir` that hold meta.json (a run folder's processes),
// sorted by name.
std::vector<std::string> process_subfolders(const fs::path& dir) {
  std::error_code ec;
  std::vector<std::string> subs;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory(ec) && fs::exists(e.path() / "meta.json", ec))
      subs.push_back(e.path().string());
  std::sort(subs.begin(), subs.end());
  return subs;
}

}  // namespace

std::vector<std::string> expand_run_dirs(const std::vector<std::string>& dirs) {
  std::vector<std::string> out;
  for (const std::string& d : dirs) {
    std::error_code ec;
    const fs::path dir(d);
    if (!fs::is_directory(dir, ec) || fs::exists(dir / "meta.json", ec) ||
        !process_subfolders(dir).empty()) {
      out.push_back(d);
      continue;
    }
    std::vector<std::string> runs;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_directory(ec) && !process_subfolders(e.path()).empty())
        runs.push_back(e.path().string());
    std::sort(runs.begin(), runs.end());
    if (runs.empty()) {
      out.push_back(d);
    } else {
      out.insert(out.end(), runs.begin(), runs.end());
    }
  }
  return out;
}

Result<Run> load_run(const std::string& dir) {
  Run run;
  run.dir = dir;
  run.name = fs::path(dir).lexically_normal().filename().string();
  if (run.name.empty())
    run.name = fs::path(dir).lexically_normal().parent_path().filename().string();
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (!fs::exists(st)) {
    if (ec && ec != std::errc::no_such_file_or_directory)
      return Status::error(dir + ": cannot read: " + ec.message());
    return Status::error(dir + ": does not exist");
  }
  if (!fs::is_directory(st))
    return Status::error(dir + ": not a directory (want a run folder or a process folder)");
  if (fs::exists(fs::path(dir) / "meta.json")) {
    Result<ProcessRun> p = load_process_run(dir);
    if (!p) return p.status();
    run.processes.push_back(std::move(*p));
  } else {
    for (const std::string& s : process_subfolders(dir)) {
      Result<ProcessRun> p = load_process_run(s);
      if (!p) return p.status();
      run.processes.push_back(std::move(*p));
    }
  }
  if (run.processes.empty())
    return Status::error(dir + ": no run folder (meta.json) here or in its subfolders");
  run.length_ops = run_length_ops(run);
  const fs::path marker = fs::path(dir) / "FAILED";
  if (fs::exists(marker)) {
    Result<std::string> text = read_whole_file(marker.string());
    std::string why = text ? *text : std::string();
    why = why.substr(0, why.find('\n'));
    run.failed = why.empty() ? "no reason given" : why;
  }
  return run;
}

std::string unusable_reason(const Run& run) {
  if (run.failed) return "FAILED: " + *run.failed;
  for (const ProcessRun& p : run.processes)
    if (p.program == "loadgen" && !p.result)
      return p.name + " (loadgen) wrote no result.json, so the load did not finish";
  return {};
}

int64_t run_length_ops(const Run& run) {
  int64_t loadgen_ops = 0;
  bool any_result = false;
  int64_t max_ops = 0;
  for (const ProcessRun& p : run.processes) {
    if (p.result) {
      any_result = true;
      loadgen_ops += static_cast<int64_t>(p.result->ops() + p.result->warmup_ops);
    }
    if (!p.snapshots.empty()) max_ops = std::max(max_ops, p.snapshots.back().ops);
  }
  return any_result ? loadgen_ops : max_ops;
}

void group_runs(std::vector<Run>& runs) {
  for (Run& r : runs) {
    r.length_ops = run_length_ops(r);
    r.length_s = 0;
    for (const ProcessRun& p : r.processes)
      if (!p.snapshots.empty())
        r.length_s =
            std::max(r.length_s, (p.snapshots.back().t_ms - p.snapshots.front().t_ms) / 1000.0);
  }
  std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) {
    if (a.length_ops != b.length_ops) return a.length_ops < b.length_ops;
    if (a.length_ops == 0 && a.length_s != b.length_s) return a.length_s < b.length_s;
    return a.name < b.name;
  });
  // Runs without ops cannot be told to be of one length: each is its own.
  for (size_t i = 0; i < runs.size(); ++i)
    runs[i].iteration =
        (i > 0 && runs[i].length_ops != 0 && runs[i - 1].length_ops == runs[i].length_ops)
            ? runs[i - 1].iteration + 1
            : 1;
}

}  // namespace hd::analysis
