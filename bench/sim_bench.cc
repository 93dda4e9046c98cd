// sim_bench: runs the deterministic simulator with no faults for a fixed op
// count and prints simulated ops and wall-clock ops/s through three cores in
// the simulator (checkers excluded from the timing), for either protocol
// (--protocol=curpht|curpho), and the share of strong ops that took the fast
// path. --no-read-deps turns off the CURP-HO session's read-dependency check
// (SessionConfig::check_read_deps) to measure what it costs. Single-threaded.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "replica/sim/simulator.h"

int main(int argc, char** argv) {
  uint64_t ops = 200'000;
  uint64_t seed = 1;
  hd::core::Protocol protocol = hd::core::Protocol::kCurpHt;
  bool read_deps = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--ops=", 0) == 0) {
      ops = std::strtoull(a.c_str() + 6, nullptr, 10);
    } else if (a.rfind("--seed=", 0) == 0) {
      seed = std::strtoull(a.c_str() + 7, nullptr, 10);
    } else if (a == "--protocol=curpht") {
      protocol = hd::core::Protocol::kCurpHt;
    } else if (a == "--protocol=curpho") {
      protocol = hd::core::Protocol::kCurpHo;
    } else if (a == "--no-read-deps") {
      read_deps = false;
    } else {
      std::fprintf(stderr,
                   "usage: sim_bench [--ops=N] [--seed=N] [--protocol=curpht|curpho] "
                   "[--no-read-deps]\n");
      return 2;
    }
  }
  hd::sim::SimConfig config = hd::sim::clean_config(seed);
  config.ops = ops;
  config.protocol = protocol;
  config.session.check_read_deps = read_deps;
  config.keys = 1024;
  config.sessions = 8;
  config.pendings = 8;
  config.max_think_us = 0;
  // The bench measures the cores, not the checkers or the retention check.
  config.log_bound = UINT64_MAX;
  config.witness_bound = UINT64_MAX;
  config.max_lin_steps_per_key = 1;
  const auto t0 = std::chrono::steady_clock::now();
  hd::sim::Simulator sim(config);
  hd::sim::SimResult r = sim.run();
  const auto t1 = std::chrono::steady_clock::now();
  const double secs = std::chrono::duration<double>(t1 - t0).count();
  const uint64_t strong = r.stats.fast_path + r.stats.slow_path;
  std::printf(
      "sim_bench: %s%s: %llu simulated ops (%llu completed, fast %llu, slow %llu: %.1f %% of "
      "strong ops fast) in %.3f s wall, %.0f ops/s through %u cores in the simulator; virtual "
      "time %.3f s\n",
      protocol == hd::core::Protocol::kCurpHo ? "curpho" : "curpht",
      read_deps ? "" : " (read deps off)", static_cast<unsigned long long>(r.stats.ops_issued),
      static_cast<unsigned long long>(r.stats.ops_completed),
      static_cast<unsigned long long>(r.stats.fast_path),
      static_cast<unsigned long long>(r.stats.slow_path),
      strong ? 100.0 * static_cast<double>(r.stats.fast_path) / static_cast<double>(strong) : 0.0,
      secs, static_cast<double>(r.stats.ops_completed) / secs, config.replicas,
      static_cast<double>(r.stats.end_us) / 1e6);
  return r.converged ? 0 : 1;
}
