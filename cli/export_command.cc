// `heapdrift export --pprof PROFILE|PROCESS_FOLDER -o FILE.pb.gz`:
// analysis::export_pprof_file; symbolizer warnings to stderr, errors as
// "heapdrift export: <file>:<line or offset>: ...".
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "analysis/export/export_file.h"
#include "cli/commands.h"

namespace hd::cli {

void add_export_command(CLI::App& app, int* exit_code) {
  // Everything CLI11 writes into lives as long as the app: the callback owns it.
  struct ExportFlags {
    analysis::ExportRequest request;
    bool pprof = false;
  };
  auto flags = std::make_shared<ExportFlags>();
  analysis::ExportRequest* opts = &flags->request;
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write a heap or CPU profile (or a process folder's last one) as a symbolized pprof\n"
      "profile.proto (.pb.gz)");
  cmd->add_option("profile", opts->input,
                  "jemalloc heap_v2, gperftools heap or gperftools CPU profile; or a process\n"
                  "folder (RUN/replica0): its last milestone heap profile, symbolized with the\n"
                  "binaries its meta.json recorded")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_flag("--pprof", flags->pprof, "pprof profile.proto output (gzipped)")->required();
  cmd->add_option("-o,--output", opts->output, "output file, e.g. heap.pb.gz")->required();
  cmd->add_option("--binary", opts->binaries,
                  "PATH=BUILDID of a binary the run recorded; a file whose build-id differs "
                  "is not used for symbols");
  // --pprof is required: it names the only output format there is.
  cmd->callback([flags, opts, exit_code] {
    const Result<analysis::ExportOutcome> out = analysis::export_pprof_file(*opts);
    if (!out) {
      std::fprintf(stderr, "heapdrift export: %s\n", out.status().message().c_str());
      *exit_code = 1;
      return;
    }
    // Say what was exported: a folder stands for one of its profiles.
    if (!out->note.empty()) std::fprintf(stderr, "heapdrift export: %s\n", out->note.c_str());
    std::fprintf(stderr, "heapdrift export: wrote %s from %s\n", opts->output.c_str(),
                 out->profile.c_str());
    for (const std::string& w : out->warnings)
      std::fprintf(stderr, "heapdrift export: warning: %s\n", w.c_str());
    *exit_code = 0;
  });
}

}  // namespace hd::cli
