// `heapdrift bench`: the profiled sweep. Starts a replica cluster and one
// loadgen per client of the config through a Launcher per host, for every
// variant (allocator or protocol) × run length × iteration, with each process
// recording its run folder under OUT/runs/ (OUT/runs/ops<N>-it<K>/<alias>/,
// with an <allocator>/ or <protocol>/ level when several run), then writes the report
// into OUT and prints the finding. Single-threaded; installs SIGINT/SIGTERM handlers for its run.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace hd::bench {

struct BenchOptions {
  std::string config_path;      // "" = the embedded default (free loopback ports)
  std::vector<uint64_t> sweep;  // total ops per run; empty = config opsSweep / default
  uint32_t iterations = 0;      // 0 = config iterations
  std::string out_dir = "reports/latest";
  std::string runs_dir;                 // run folders and table.tsv; "" = OUT/runs
  std::vector<std::string> allocators;  // empty = the config's allocator
  // empty = the config's protocol (no --protocol flag to the programs); more
  // than one together with more than one allocator is a usage error.
  std::vector<std::string> protocols;
  std::string plant;                      // replica --plant; "" = none
  bool cpu_profile = false;               // default config: cpuProfile: true
  bool profile = true;                    // false: no run folders, no report
  bool report = true;                     // false: run folders but no report
  std::string skip_frames;                // --skip-frames for the report (checked by the CLI)
  std::vector<std::string> loadgen_args;  // extra flags for every loadgen
  std::vector<std::pair<std::string, std::string>> netns;  // config host -> network namespace
  std::vector<std::pair<std::string, std::string>> ssh;    // config host -> ssh destination
  std::string bin_dir;                                     // "" = folder of this program
  uint32_t phase_timeout_s = 0;                            // 0 = derived from the run length
  int progress = -1;                                       // -1 auto (bar on a TTY), 0 lines, 1 bar
  // Failover scenario: in every run that gets this far, SIGKILL the boot
  // leader (the config's first replica) once the loadgens completed this many
  // ops; 0 = never.
  uint64_t kill_leader_at_ops = 0;
  // `heapdrift cluster`: instead of the sweep, start the replicas, run this
  // command ("{config}" in an argument = the config path) and stop them.
  std::vector<std::string> cluster_command;
};

// Runs the sweep and the report (or, with cluster_command, the command
// against one cluster: its exit code). Exit code: 0 every run and the report ok;
// 1 some run or the report failed (the others still ran); 2 usage or
// configuration error (e.g. a port in use); 128 + signal when interrupted.
int run_bench(const BenchOptions& options);

}  // namespace hd::bench
