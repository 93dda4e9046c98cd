// heapdrift: the toolkit's command line. Each subcommand lives in the library
// that owns it and registers itself here:
//   run -- CMD ...   memprof/run_command.h  (profile any dynamically linked program)
//   report/diff/export  analysis (issue 5)        bench (issue 6)
#include <cstdio>

#include "analysis/commands.h"
#include "base/cli.h"

int main(int argc, char** argv) {
  CLI::App app{
      "heapdrift: allocation diagnostics and load testing for replicated systems.\n"
      "Subcommands record (run), analyse (report, diff, export) and benchmark (bench)."};
  app.require_subcommand(1);
  hd::analysis::register_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; a bad flag or value is a usage error: 2, as the
    // subcommands document (and as the replica program does).
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return hd::analysis::exit_code();
}
