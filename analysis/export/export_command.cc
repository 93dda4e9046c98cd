// The export subcommand: format detection by content, symbolizer warnings to
// stderr, errors as "heapdrift export: <file>:<line or offset>: ...".
#include "analysis/export/export_command.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "analysis/export/pprof.h"
#include "analysis/ingest/cpu_profile.h"
#include "analysis/ingest/heap_profile.h"
#include "analysis/runs/run_folder.h"

namespace hd::analysis {

namespace {

struct ExportOptions {
  std::string input;
  std::string output;
  bool pprof = false;
  std::vector<std::string> binaries;  // PATH=BUILDID
};

// A process folder (docs/run-folder.md) stands for its last milestone heap
// profile (the end profile only when there is no milestone; cpu.prof when
// there is no heap profile), symbolized with the binaries its meta.json
// recorded. A run folder (one subfolder per process) is ambiguous: the error
// names the process folders to choose from.
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

Status run_export(const ExportOptions& o) {
  if (!o.pprof) return Status::error("only --pprof output is supported");
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
    std::fprintf(stderr, "heapdrift export: %s\n", input.c_str());
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
  for (const std::string& w : symbolizer.warnings())
    std::fprintf(stderr, "heapdrift export: warning: %s\n", w.c_str());
  return st;
}

}  // namespace

void register_export_command(CLI::App& app, void (*set_exit_code)(int)) {
  auto opts = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write a heap or CPU profile (or a process folder's last one) as a symbolized pprof\n"
      "profile.proto (.pb.gz)");
  cmd->add_option("profile", opts->input,
                  "jemalloc heap_v2, gperftools heap or gperftools CPU profile; or a process\n"
                  "folder (RUN/replica0): its last milestone heap profile, symbolized with the\n"
                  "binaries its meta.json recorded")
      ->required();
  cmd->add_flag("--pprof", opts->pprof, "pprof profile.proto output (gzipped)")->required();
  cmd->add_option("-o,--output", opts->output, "output file, e.g. heap.pb.gz")->required();
  cmd->add_option("--binary", opts->binaries,
                  "PATH=BUILDID of a binary the run recorded; a file whose build-id differs "
                  "is not used for symbols");
  cmd->callback([opts, set_exit_code] {
    const Status st = run_export(*opts);
    if (!st) std::fprintf(stderr, "heapdrift export: %s\n", st.message().c_str());
    set_exit_code(st ? 0 : 1);
  });
}

}  // namespace hd::analysis
