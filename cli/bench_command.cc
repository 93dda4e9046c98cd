// `heapdrift bench [CONFIG] [flags]`: the command line of the profiled sweep
// (bench::run_bench, launcher/bench.h).

#include <stdlib.h>

#include <cstdio>
#include <memory>
#include <sstream>

#include "analysis/symbolize/fold.h"
#include "cli/commands.h"
#include "launcher/bench.h"

namespace hd::cli {

namespace {

// Ops of one run: far beyond any run this machine could make, far below
// where ops per thread or milestones would overflow.
constexpr uint64_t kMaxOps = 1'000'000'000'000;

// "HOST=VALUE" pairs of a repeated flag.
bool split_pairs(const std::vector<std::string>& in,
                 std::vector<std::pair<std::string, std::string>>* out) {
  for (const auto& s : in) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size()) return false;
    out->emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  return true;
}

}  // namespace

void add_bench_command(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "bench",
      "The profiled sweep: start a replica cluster and one loadgen per client of CONFIG\n"
      "(default: the embedded configs/local.conf on free 127.0.0.1 ports: 3 replicas,\n"
      "2 clients x 2 threads, seed workload, jemalloc, sweep 10000,100000,1000000 ops, 1\n"
      "iteration) for every allocator or protocol x run length x iteration, each process\n"
      "recording its run folder under OUT/runs/ops<N>-it<K>/<alias>/ (OUT/runs/<allocator>/\n"
      "or OUT/runs/<protocol>/... with several), then write the report (OUT/index.html, "
      "summary.md,\n"
      "summary.json, charts) and print the finding.\n"
      "Each process snapshots on the timer and every ~1/40 of its ops, and takes\n"
      "heap profiles at 8 even steps of its ops with a sampling rate chosen from the\n"
      "run length; a CONFIG's heapProfileAt / lgProfSample win (docs/run-folder.md).\n"
      "A failed run is reported and the sweep goes on (exit 1 at the end); Ctrl-C or\n"
      "SIGTERM stops every process it started (exit 128+signal). Nothing is written\n"
      "outside OUT (and --runs-dir). Hosts in CONFIG that are not this machine are\n"
      "reached with `ssh -o BatchMode=yes` (same binary paths there); --netns runs a\n"
      "host's processes in a network namespace.");
  auto opts = std::make_shared<bench::BenchOptions>();
  auto loadgen_args = std::make_shared<std::string>();
  auto netns = std::make_shared<std::vector<std::string>>();
  auto ssh = std::make_shared<std::vector<std::string>>();
  auto no_profile = std::make_shared<bool>(false);
  auto bar = std::make_shared<std::string>("auto");
  cmd->add_option("config", opts->config_path,
                  "Cluster + workload config (seed-style .conf; ports must be free)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--sweep", opts->sweep,
                  "Run lengths, total ops per run, distinct (default: config opsSweep, else\n"
                  "10000,100000,1000000)")
      ->delimiter(',')
      ->allow_extra_args(false)  // one comma-separated word: CONFIG after it stays the config
      ->check(cli_check::whole_number(1, kMaxOps));
  cmd->add_option("--iterations", opts->iterations,
                  "Iterations of each length (default: config iterations, else 1)")
      ->check(cli_check::whole_number(1, 1000));
  cmd->add_option("--out,-o", opts->out_dir,
                  "Output folder: report files and runs/ (default reports/latest; an earlier\n"
                  "bench output there is replaced, any other non-empty folder is refused)");
  cmd->add_option("--runs-dir", opts->runs_dir,
                  "Where the run folders and table.tsv go (default OUT/runs)");
  cmd->add_option("--allocators", opts->allocators,
                  "Run the sweep under each: jemalloc,tcmalloc,glibc (default: the config's).\n"
                  "The first one's report is OUT/, the others OUT/<allocator>/, and a\n"
                  "comparison table of all of them is added")
      ->delimiter(',')
      ->check(CLI::IsMember({"jemalloc", "tcmalloc", "glibc"}));
  cmd->add_option("--protocols", opts->protocols,
                  "Run the sweep under each: curpht,curpho (default: the config's `protocol`,\n"
                  "with no --protocol flag to the programs). The first one's report is OUT/,\n"
                  "the others OUT/<protocol>/ (runs under OUT/runs/<protocol>/), and\n"
                  "OUT/protocols.md (throughput, p50/p99 per op class, fast/slow path share,\n"
                  "retries, bytes/op, growing heap sites per protocol, the comparison finding)\n"
                  "is added to the report. Several protocols with several --allocators: exit 2")
      ->delimiter(',')
      ->allow_extra_args(false)  // CONFIG after it stays the config
      ->check(CLI::IsMember({"curpht", "curpho"}));
  cmd->add_option("--plant", opts->plant,
                  "Deliberate pathology passed to every replica (`replica --help` lists them:\n"
                  "history, leak[:BYTES], fragment, slowpath[:N], decay[:N], keepall, and for\n"
                  "CURP-HO only slowsync[:MS]), to check the finding against a known answer");
  cmd->add_flag("--cpu-profile", opts->cpu_profile,
                "Record a gperftools CPU profile in every process (the default config's\n"
                "cpuProfile: true; with a CONFIG, set it there): the allocator's CPU share and\n"
                "the early-vs-late window diff of a run whose cost per op rises");
  auto no_report = std::make_shared<bool>(false);
  cmd->add_flag("--no-report", *no_report,
                "Record the run folders but write no report (e.g. to time the recorder)");
  cmd->add_flag("--no-profile", *no_profile,
                "No run folders and no report: just the load and the result table");
  cmd->add_option("--loadgen-args", *loadgen_args,
                  "Extra flags for every loadgen, space-separated (e.g. \"--rate 4000\")");
  cmd->add_option("--netns", *netns,
                  "HOST=NS: run the processes of config host HOST in network namespace NS\n"
                  "(ip netns exec; repeatable)");
  cmd->add_option("--ssh", *ssh,
                  "HOST=[USER@]MACHINE: reach config host HOST through this ssh destination\n"
                  "(default: HOST itself for every non-local host; repeatable)");
  cmd->add_option("--bin-dir", opts->bin_dir,
                  "Folder of the replica and loadgen programs (default: next to heapdrift)");
  cmd->add_option("--phase-timeout", opts->phase_timeout_s,
                  "Hard limit in seconds for a run's load (default 30 + ops/500)")
      ->check(cli_check::whole_number(1, 86400));
  cmd->add_option("--kill-leader-at", opts->kill_leader_at_ops,
                  "Failover scenario: kill -9 the boot leader (the config's first replica) once\n"
                  "the loadgens completed OPS ops of a run (runs shorter than OPS are not\n"
                  "touched); the report lists the leader change and weighs it as a cause")
      ->check(cli_check::whole_number(1, kMaxOps));
  cmd->add_option("--progress", *bar, "auto (bar on a TTY), bar, or lines")
      ->check(CLI::IsMember({"auto", "bar", "lines"}));
  cmd->add_option("--skip-frames", opts->skip_frames,
                  "regex (ECMAScript): functions the report skips when naming a site, as for\n"
                  "`heapdrift report`");
  cmd->callback([=] {
    bench::BenchOptions o = *opts;
    if (Result<analysis::SiteRules> r = analysis::make_site_rules(o.skip_frames); !r) {
      std::fprintf(stderr, "heapdrift bench: %s\n", r.status().message().c_str());
      *exit_code = 2;
      return;
    }
    o.profile = !*no_profile;
    o.report = !*no_report;
    std::istringstream words(*loadgen_args);
    for (std::string w; words >> w;) o.loadgen_args.push_back(w);
    if (!split_pairs(*netns, &o.netns) || !split_pairs(*ssh, &o.ssh)) {
      std::fprintf(stderr, "heapdrift bench: --netns/--ssh take HOST=VALUE\n");
      *exit_code = 2;
      return;
    }
    o.progress = *bar == "bar" ? 1 : *bar == "lines" ? 0 : -1;
    *exit_code = bench::run_bench(o);
  });
}

}  // namespace hd::cli
