// The subcommands of build/bin/heapdrift, one file each (cli/<name>_command.cc).
// Each add_*_command adds its subcommand to the app; the selected one runs
// from its CLI11 callback and stores the process exit code in *exit_code
// (0 ok, 1 failure, 2 usage, 128+signal when interrupted). The command files
// only translate flags into the options struct of a library function and its
// Status/Result into messages and exit codes. Single-threaded.
#pragma once

#include "base/cli.h"

namespace hd::cli {

void add_run_command(CLI::App& app, int* exit_code);      // memprof: profile any program
void add_report_command(CLI::App& app, int* exit_code);   // analysis: run folders -> report
void add_diff_command(CLI::App& app, int* exit_code);     // analysis: site-by-site diff
void add_export_command(CLI::App& app, int* exit_code);   // analysis: pprof export
void add_bench_command(CLI::App& app, int* exit_code);    // launcher: the profiled sweep
void add_cluster_command(CLI::App& app, int* exit_code);  // launcher: replicas for a command

}  // namespace hd::cli
