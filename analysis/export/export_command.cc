// The export subcommand: format detection by content, symbolizer warnings to
// stderr, errors as "heapdrift export: <file>:<line or offset>: ...".
#include "analysis/export/export_command.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "analysis/export/pprof.h"
#include "analysis/ingest/cpu_profile.h"
#include "analysis/ingest/heap_profile.h"

namespace hd::analysis {

namespace {

struct ExportOptions {
  std::string input;
  std::string output;
  bool pprof = false;
  std::vector<std::string> binaries;  // PATH=BUILDID
};

Status run_export(const ExportOptions& o) {
  if (!o.pprof) return Status::error("only --pprof output is supported");
  std::vector<RecordedBinary> recorded;
  for (const std::string& b : o.binaries) {
    const size_t eq = b.rfind('=');
    if (eq == std::string::npos || eq == 0)
      return Status::error("--binary wants PATH=BUILDID, got '" + b + "'");
    recorded.push_back({b.substr(0, eq), b.substr(eq + 1)});
  }
  Result<std::string> data = read_whole_file(o.input);
  if (!data) return data.status();
  const Symbolizer symbolizer(std::move(recorded));
  Status st;
  const std::string& d = *data;
  if (d.starts_with("heap_v2/") || d.starts_with("heap profile:")) {
    Result<HeapProfile> p = parse_heap_profile(d, o.input);
    if (!p) return p.status();
    st = export_pprof(*p, symbolizer, o.output);
  } else {
    Result<CpuProfile> p = parse_gperf_cpu(d, o.input);
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
      "export", "Write a heap or CPU profile as a symbolized pprof profile.proto (.pb.gz)");
  cmd->add_option("profile", opts->input,
                  "jemalloc heap_v2, gperftools heap or gperftools CPU profile")
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
