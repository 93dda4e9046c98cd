// heapdrift: the toolkit's command line. Each subcommand lives in the library
// that owns it and registers itself here:
//   run -- CMD ...   memprof/run_command.h  (profile any dynamically linked program)
//   report/diff/export  analysis (issue 5)        bench (issue 6)
#include <cstdio>

#include "analysis/commands.h"
#include "replica/base/cli.h"

int main(int argc, char** argv) {
  CLI::App app{
      "heapdrift: allocation diagnostics and load testing for replicated systems.\n"
      "Subcommands record (run), analyse (report, diff, export) and benchmark (bench)."};
  app.require_subcommand(1);
  hd::analysis::register_commands(app);
  CLI11_PARSE(app, argc, argv);
  return hd::analysis::exit_code();
}
