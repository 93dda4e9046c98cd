// Exporting a profile or a process folder as pprof; see export_file.h.
#include "analysis/export/export_file.h"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/export/pprof.h"
#include "analysis/ingest/cpu_profile.h"
#include "analysis/ingest/heap_profile.h"
#include "analysis/runs/run_folder.h"

namespace hd::analysis {

namespace {

// Why a process folder has no heap profile, for the note and the error.
std::string why_no_heap_profile(const ProcessRun& run) {
  if (run.allocator == "glibc")
    return "no heap profiles: its allocator is glibc, which writes none (only jemalloc and "
           "tcmalloc do)";
  if (!run.heap_profiles_possible)
    return "no heap profiles: heap profiling was off when it was recorded";
  return "no heap profile under profiles/";
}

// A process folder's profile and binaries (export_file.h); a run folder (one
// subfolder per process) is ambiguous: the error names the process folders.
// *note says what is exported when it is not a heap profile.
Result<std::string> profile_of_folder(const std::string& dir, std::vector<RecordedBinary>* recorded,
                                      std::string* note) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(dir) / "meta.json", ec)) {
    std::string procs;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.is_directory(ec) && std::filesystem::exists(e.path() / "meta.json", ec)) {
        procs += (procs.empty() ? "" : ", ") + e.path().string();
      }
    }
    if (procs.empty()) return Status::error(dir + ": not a process folder (no meta.json)");
    return Status::error(dir + " is a run of several processes; export one of: " + procs);
  }
  Result<ProcessRun> run = load_process_run(dir);
  if (!run) return run.status();
  recorded->insert(recorded->end(), run->binaries.begin(), run->binaries.end());
  const ProfileRef* pick = nullptr;
  for (const ProfileRef& p : run->profiles) {  // by ops, end last
    if (!p.end || pick == nullptr) pick = &p;
  }
  if (pick != nullptr) return pick->path;
  if (!run->cpu_profile.empty()) {
    *note = dir + ": " + why_no_heap_profile(*run) + "; exported its CPU profile " +
            run->cpu_profile + " only";
    return run->cpu_profile;
  }
  return Status::error(dir + ": nothing to export: " + why_no_heap_profile(*run) +
                       ", and no CPU profile (profiles/cpu.prof)");
}

// gperftools' CPU profile starts with the 64-bit words 0, 3 (header words).
bool looks_like_cpu_profile(std::string_view d) {
  static constexpr char kStart[16] = {0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0};
  return d.size() >= sizeof(kStart) && d.substr(0, sizeof(kStart)) == std::string_view(kStart, 16);
}

}  // namespace

Result<ExportOutcome> export_pprof_file(const ExportRequest& o) {
  std::vector<RecordedBinary> recorded;
  for (const std::string& b : o.binaries) {
    const size_t eq = b.rfind('=');
    if (eq == std::string::npos || eq == 0)
      return Status::error("--binary wants PATH=BUILDID, got '" + b + "'");
    recorded.push_back({b.substr(0, eq), b.substr(eq + 1)});
  }
  std::string input = o.input;
  std::string note;
  std::error_code ec;
  if (std::filesystem::is_directory(input, ec)) {
    Result<std::string> picked = profile_of_folder(input, &recorded, &note);
    if (!picked) return picked.status();
    input = *picked;
  }
  Result<std::string> data = read_whole_file(input);
  if (!data) return data.status();
  const Symbolizer symbolizer(std::move(recorded));
  Status st;
  const std::string& d = *data;
  if (d.starts_with("heap_v2/") || d.starts_with("heap profile:")) {
    Result<HeapProfile> p = parse_heap_profile(d, input);
    if (!p) return p.status();
    st = export_pprof(*p, symbolizer, o.output);
  } else if (input.ends_with(".heap") || !looks_like_cpu_profile(d)) {
    // Garbage is named for what it is not; a `.heap` file was meant to be a
    // heap profile, so "not a CPU profile" would mislead.
    const std::string heap_formats =
        "jemalloc heap_v2 ('heap_v2/...') or gperftools heap ('heap profile: ...') format";
    if (input.ends_with(".heap"))
      return Status::error(input + ": not a heap profile: want the " + heap_formats);
    return Status::error(input + ": not a profile: neither a heap profile (" + heap_formats +
                         ") nor a 64-bit gperftools CPU profile");
  } else {
    Result<CpuProfile> p = parse_gperf_cpu(d, input);
    if (!p) return p.status();
    st = export_pprof(*p, symbolizer, o.output);
  }
  if (!st) return st;
  return ExportOutcome{input, std::move(note), symbolizer.warnings()};
}

}  // namespace hd::analysis
