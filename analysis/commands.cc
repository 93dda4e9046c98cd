#include "analysis/commands.h"

#include "analysis/export/export_command.h"
#include "analysis/report/report.h"
#include "launcher/bench_command.h"
#include "memprof/run_command.h"

namespace hd::analysis {
namespace {
int g_exit_code = 0;
}  // namespace

int exit_code() {
  return g_exit_code;
}
void set_exit_code(int code) {
  g_exit_code = code;
}

void register_commands(CLI::App& app) {
  // Each owner adds its registration call here, e.g.
  //   memprof::register_run_command(app);
  memprof::register_run_command(app, &set_exit_code);  // memprof: `heapdrift run -- CMD`
  register_export_command(app, &set_exit_code);        // `heapdrift export --pprof`
  register_report_commands(app, &set_exit_code);       // `heapdrift report`, `heapdrift diff`
  bench::register_bench_command(app, &set_exit_code);  // launcher: `heapdrift bench`
}

}  // namespace hd::analysis
