// heapdrift: the toolkit's command line. Subcommands record (run), analyse
// (report, diff, export) and benchmark (bench, cluster); each is one file in
// this folder over the library that does the work (docs/architecture.md).
#include <optional>

#include "base/cli.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "heapdrift: allocation diagnostics and load testing for replicated systems.\n"
      "Subcommands record (run), analyse (report, diff, export) and benchmark (bench)."};
  app.require_subcommand(1);
  int exit_code = 0;
  hd::cli::add_run_command(app, &exit_code);
  hd::cli::add_export_command(app, &exit_code);
  hd::cli::add_report_command(app, &exit_code);
  hd::cli::add_diff_command(app, &exit_code);
  hd::cli::add_bench_command(app, &exit_code);
  hd::cli::add_cluster_command(app, &exit_code);
  // --help exits 0; a bad flag or value is a usage error: 2, as the
  // subcommands document (and as the replica program does).
  if (const std::optional<int> code = hd::cli_parse::parse(app, argc, argv)) return *code;
  return exit_code;
}
