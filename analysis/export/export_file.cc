// Exporting a profile or a process folder as pprof; see export_file.h.
#include "analysis/export/export_file.h"

#include <filesystem>
#include <string>
#include <vector>

#include "analysis/export/pprof.h"
#include "analysis/ingest/cpu_profile.h"
#include "analysis/ingest/heap_profile.h"
#include "analysis/runs/run_folder.h"

namespace hd::analysis {

namespace {

// A process folder's profile and binaries (export_file.h); a run folder (one
// subfolder per process) is ambiguous: the error names the process folders.
Result<std::string> profile_of_folder(const std::string& dir,
                                      std::vector<RecordedBinary>* recorded) {
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
  if (!run->cpu_profile.empty()) return run->cpu_profile;
  return Status::error(dir + ": no heap or CPU profile under profiles/");
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
  std::error_code ec;
  if (std::filesystem::is_directory(input, ec)) {
    Result<std::string> picked = profile_of_folder(input, &recorded);
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
  } else {
    Result<CpuProfile> p = parse_gperf_cpu(d, input);
    if (!p) return p.status();
    st = export_pprof(*p, symbolizer, o.output);
  }
  if (!st) return st;
  return ExportOutcome{input, symbolizer.warnings()};
}

}  // namespace hd::analysis
