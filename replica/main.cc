// `replica`: one CURP-HT or CURP-HO replica process — reads the cluster config, hosts a
// ReplicaCore on the Asio transport (one thread), exits 0 on SIGINT/SIGTERM.
// Exit codes: 0 clean shutdown, 1 runtime failure (cannot listen), 2 usage or
// configuration error.

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "base/cli.h"
#include "memprof/backend.h"
#include "memprof/probe.h"
#include "memprof/start_recording.h"
#include "replica/config/cluster_config.h"
#include "replica/io/asio.h"
#include "replica/io/log.h"
#include "replica/io/replica_server.h"
#include "replica/plants/plants.h"

namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

// The ops this replica will count (docs/run-folder.md "Ops") in a run of
// `run_ops` ops: the leader counts every op; a follower the strong ops it
// witnesses (and the weak reads sent to it), so at least the strong share.
// A workload of (almost) only weak ops leaves followers nearly nothing to
// count: the plan then assumes an eighth and they rely on the timer.
hd::memprof::ExpectedOps expected_replica_ops(const hd::config::ClusterConfig& config,
                                              uint64_t run_ops) {
  const uint64_t strong =
      run_ops / 100 * (100 - config.weak_ratio) + run_ops % 100 * (100 - config.weak_ratio) / 100;
  return {std::max(strong, run_ops / 8), run_ops};
}

int run(int argc, char** argv) {
  CLI::App app{
      "heapdrift replica: one CURP-HT or CURP-HO replica of the cluster described by\n"
      "--config.\n"
      "Listens on the host:port the config gives --alias, dials every other replica,\n"
      "and serves until SIGINT/SIGTERM (then exits 0 after logging its counters).\n"
      "Exit codes: 0 clean shutdown, 1 runtime failure (e.g. cannot listen),\n"
      "2 usage or configuration error.",
      "replica"};
  std::string config_path;
  std::string alias;
  std::string run_dir;
  std::string allocator;
  std::string plant = "none";
  std::string log_level = "info";
  uint32_t tick_ms = 5;
  hd::io::ConnectionLimits limits;
  app.add_option("--config", config_path,
                 "Cluster config (seed-style .conf): replica endpoints, protocol (curpht or\n"
                 "curpho), heartbeat, networkDelay (ms, injected at receive), ...")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--alias", alias,
                 "Which replica of the config this process is (replica0 leads the boot\n"
                 "term; a new leader is elected if it fails)")
      ->required();
  app.add_option("--run-dir", run_dir,
                 "Run folder for memprof output: meta.json, snapshots.jsonl, profiles/\n"
                 "(docs/run-folder.md). Without it nothing is recorded");
  app.add_option("--allocator", allocator,
                 "Allocator (jemalloc, tcmalloc, glibc; default: the config's `allocator`,\n"
                 "jemalloc). jemalloc/tcmalloc re-execute the replica once with the library\n"
                 "in LD_PRELOAD; the live allocator is verified")
      ->check(CLI::IsMember({"jemalloc", "tcmalloc", "glibc"}));
  app.add_option("--plant", plant,
                 "Deliberate pathology giving the diagnostics a known answer (off by default;\n"
                 "docs/report.md \"Plants\"). KIND[:ARG]:\n"
                 "  none           normal behaviour\n"
                 "  history        never release executed log entries (alias retain-history)\n"
                 "  leak[:BYTES]   BYTES (16..1048576, default 256) allocated per op this replica\n"
                 "                 counts (the op count of its snapshots) and kept until exit, in\n"
                 "                 MemoryPlant::leak_plant_accumulate: slope = BYTES/op\n"
                 "  fragment       small objects of one size class per 512-op phase, one\n"
                 "                 survivor kept per page: RSS/active grow ~512 B/op while\n"
                 "                 allocated stays flat (levels off after 8192 ops)\n"
                 "  slowpath[:N]   after this replica counted N ops (default 3000) the leader\n"
                 "                 withholds its fast-path OK: every strong op takes the slow\n"
                 "                 path (give it to replica0)\n"
                 "  decay[:N]      the config's first replica only: each op it counts appends\n"
                 "                 to a list (one element every N ops, default 32) and scans\n"
                 "                 it all in DecayPlant::decay_plant_scan: its CPU per op grows\n"
                 "                 with the run\n"
                 "  slowsync[:MS]  CURP-HO only: a strong op that misses the fast path completes\n"
                 "                 only on a sync timer of MS ms (default 2000, the original's\n"
                 "                 strong p99); give it to every replica\n"
                 "  keepall        keep every value, proposal and executed slot until exit\n"
                 "                 (KeepAllPlant::keepall_keep_value, _proposal, _slot)");
  std::string protocol;
  app.add_option("--protocol", protocol,
                 "Protocol (default: the config's `protocol`, curpht): curpht or curpho\n"
                 "(docs/protocol-curpho.md); every replica of a cluster must run the same")
      ->check(CLI::IsMember({"curpht", "curpho"}));
  uint64_t run_ops = 0;
  app.add_option("--run-ops", run_ops,
                 "Ops the whole run completes (all clients), from which memprof paces its\n"
                 "recording: snapshots every ~1/40 of this replica's share, heap profiles at\n"
                 "even steps, the heap sampling rate (docs/run-folder.md \"Density\"; the\n"
                 "config's heapProfileAt and lgProfSample win). Default: the config's\n"
                 "reqs x clientThreads x clients. heapdrift bench passes each run's length")
      ->check(hd::cli_check::whole_number(1, uint64_t{1} << 50));
  bool rejoin = false;
  app.add_flag("--rejoin", rejoin,
               "This replica was restarted and lost its state (there is no disk): it\n"
               "learns the current term from a majority and catches up from the leader\n"
               "before it may vote. Required when restarting a killed replica");
  app.add_option("--log-level", log_level, "stderr log level: debug, info, warn, error, off")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}));
  app.add_option("--tick-ms", tick_ms, "Period of the protocol core's tick timer, in ms")
      ->check(CLI::Range(1u, 1000u));
  app.add_option("--max-sessions-per-connection", limits.max_sessions_per_connection,
                 "Client sessions one connection may announce; past it the connection is\n"
                 "closed as bad input")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1u << 20));
  app.add_option("--max-client-window", limits.max_client_window,
                 "How far a client session's request seq may run ahead of the oldest request it\n"
                 "has not acked; the leader keeps a reply for each executed, unacked op, so this\n"
                 "bounds one session's reply cache. Past it the connection is closed")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{16}, uint64_t{1} << 32));
  if (const std::optional<int> code = hd::cli_parse::parse(app, argc, argv)) return *code;

  auto plants = hd::core::parse_plant(plant);
  if (!plants.is_ok()) {
    std::fprintf(stderr, "replica: %s\n", plants.status().message().c_str());
    return kExitUsage;
  }

  hd::io::LogLevel level = hd::io::LogLevel::kInfo;
  hd::io::parse_log_level(log_level, level);
  hd::io::Logger log(alias, level);

  auto loaded = hd::config::load_cluster_config(config_path);
  if (!loaded.is_ok()) {
    std::fprintf(stderr, "replica: %s\n", loaded.status().message().c_str());
    return kExitUsage;
  }
  // A copy: --protocol overrides the config's key, and the server reads it there.
  hd::config::ClusterConfig config = std::move(loaded.value());
  if (!protocol.empty()) config.protocol = protocol;
  protocol = config.protocol;
  if (plants->slow_sync && protocol != "curpho") {
    // Its timer is CURP-HO's sync (a strong op's retry answered by the bound
    // replica); CURP-HT has no sync to slow down.
    std::fprintf(stderr,
                 "replica: --plant %s: CURP-HO only (it delays CURP-HO's sync answers), but the "
                 "protocol is %s\n",
                 plant.c_str(), protocol.c_str());
    return kExitUsage;
  }
  const int index = config.replica_index(alias);
  if (index < 0) {
    std::string known;
    for (const auto& r : config.replicas) known += (known.empty() ? "" : ", ") + r.alias;
    std::fprintf(stderr, "replica: alias '%s' is not a replica in %s (replicas: %s)\n",
                 alias.c_str(), config_path.c_str(), known.c_str());
    return kExitUsage;
  }
  if (config.replicas.size() < 3 || config.replicas.size() % 2 == 0) {
    std::fprintf(stderr, "replica: %s: need an odd number >= 3 of replicas, got %zu\n",
                 config_path.c_str(), config.replicas.size());
    return kExitUsage;
  }
  // memprof: select the allocator (may re-exec this process once), then record.
  if (allocator.empty()) allocator = config.allocator;
  static hd::memprof::Probe probe;  // static: outlives every thread that may touch it
  hd::memprof::RecorderOptions rec_opts;
  rec_opts.program = "replica";
  rec_opts.requested_allocator = allocator;
  rec_opts.run_dir = run_dir;
  rec_opts.snapshot_interval_ms = config.snapshot_interval_ms;
  rec_opts.cpu_profile = config.cpu_profile;
  rec_opts.config_path = config_path;
  rec_opts.settings = {{"alias", alias},
                       {"protocol", protocol},
                       {"plant", hd::core::plant_name(plants.value())},
                       {"tick_ms", std::to_string(tick_ms)}};
  if (run_ops == 0) run_ops = config.reqs * config.client_threads * config.clients.size();
  hd::memprof::UserRecordingSettings user;
  if (!config.heap_profile_at.empty()) user.heap_profile_at = config.heap_profile_at;
  user.lg_prof_sample = config.lg_prof_sample;
  bool usage_error = false;
  auto recording = hd::memprof::start_recording(
      std::move(rec_opts), expected_replica_ops(config, run_ops), user, argv, &probe, &usage_error);
  if (!recording) {
    if (usage_error) {
      std::fprintf(stderr, "replica: %s\n", recording.status().message().c_str());
      return kExitUsage;
    }
    log.error("%s", recording.status().message().c_str());
    return kExitRuntime;
  }
  if (!recording->allocator_note.empty()) log.warn("%s", recording->allocator_note.c_str());
  for (const auto& notice : config.notices) log.info("config: %s", notice.c_str());
  log.info("starting: config=%s run-dir=%s allocator=%s (live: %s)", config_path.c_str(),
           run_dir.empty() ? "-" : run_dir.c_str(), allocator.c_str(),
           hd::memprof::backend_name(hd::memprof::detect_backend()));
  const std::unique_ptr<hd::memprof::Recorder>& recorder = recording->recorder;

  hd::io::ServerOptions options;
  options.self_index = static_cast<uint32_t>(index);
  options.tick_interval_ms = tick_ms;
  options.network_delay_ms = config.network_delay_ms;
  options.plants = plants.value();
  options.limits = limits;
  options.rejoin = rejoin;
  if (recorder) options.probe = &probe;

  asio::io_context io(1);
  hd::io::ReplicaServer server(io, config, options, log);
  if (auto st = server.start(); !st.is_ok()) {
    log.error("%s", st.message().c_str());
    return kExitRuntime;
  }
  // Returns once stop() closed everything; handlers do not throw.
  io.run();
  if (recorder) recorder->stop();  // final snapshot + end-of-run heap profile
  log.info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // Last-resort edge: nothing below is meant to throw (Asio via error_code).
    std::fprintf(stderr, "replica: fatal: %s\n", e.what());
    return kExitRuntime;
  }
}
