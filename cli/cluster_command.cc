// `heapdrift cluster [--config FILE] [--out DIR] -- CMD ARGS...`: the
// replicas of a config (default: the embedded one on free ports) for a client
// program of one's own, e.g. bench/run_cluster_bench.sh (bench::run_bench with
// BenchOptions::cluster_command).
#include <stdlib.h>

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "launcher/bench.h"

namespace hd::cli {

void add_cluster_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "cluster",
      "Start the replicas of --config (default: the embedded 3-replica config on free\n"
      "127.0.0.1 ports), wait until each accepts connections, run CMD with \"{config}\"\n"
      "in its arguments (and HEAPDRIFT_CONFIG) set to the config path, then stop the\n"
      "replicas by PID. Exit code: CMD's; 128+signal on SIGINT/SIGTERM. Replica logs\n"
      "go to OUT/runs/cluster/ (default: a new /tmp/heapdrift-cluster-XXXXXX).");
  auto opts = std::make_shared<bench::BenchOptions>();
  opts->out_dir.clear();
  cmd->add_option("--config", opts->config_path, "Cluster config (.conf)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--out,-o", opts->out_dir, "Folder for the config and the replica logs");
  cmd->add_option("--allocators", opts->allocators, "Allocator of the replicas (one)")
      ->check(CLI::IsMember({"jemalloc", "tcmalloc", "glibc"}));
  cmd->add_option("--plant", opts->plant, "Deliberate pathology passed to every replica");
  cmd->add_option("--bin-dir", opts->bin_dir, "Folder of the replica program");
  cmd->add_option("command", opts->cluster_command, "The client program and its arguments")
      ->required();
  cmd->callback([=] {
    bench::BenchOptions o = *opts;
    o.profile = false;  // replica logs only
    if (o.allocators.size() > 1) o.allocators.resize(1);
    if (o.out_dir.empty()) {
      std::string t = "/tmp/heapdrift-cluster-XXXXXX";
      if (mkdtemp(t.data()) == nullptr) {
        std::fprintf(stderr, "heapdrift cluster: cannot make a folder in /tmp\n");
        *exit_code = 2;
        return;
      }
      o.out_dir = t;
    }
    *exit_code = bench::run_bench(o);
  });
}

}  // namespace hd::cli
