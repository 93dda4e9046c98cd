// loadgen: the seed's load generator for a CURP-HT or CURP-HO cluster.
//   loadgen --config FILE --alias clientN [options]   run the workload
//   loadgen merge A.json B.json ... [--json OUT]      merge result files
// Exit codes: 0 ok, 2 usage/config error, 3 deadline exceeded or errors
// (session-guarantee violations, CURP-HO weak writes never settled).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "base/cli.h"
#include "loadgen/runner.h"
#include "memprof/backend.h"
#include "memprof/probe.h"
#include "memprof/start_recording.h"
#include "replica/config/cluster_config.h"

namespace {

using hd::loadgen::RunStats;

int fail(const std::string& message) {
  std::fprintf(stderr, "loadgen: %s\n", message.c_str());
  return 2;
}

bool write_json(const std::string& path, const nlohmann::json& j) {
  std::ofstream out(path);
  out << j.dump(1) << '\n';
  return static_cast<bool>(out);
}

hd::Result<RunStats> read_result(const std::string& path) {
  std::ifstream in(path);
  if (!in) return hd::Status::error(path + ": cannot open");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::parse_error& e) {
    return hd::Status::error(path + ": not valid JSON at byte " + std::to_string(e.byte) + ": " +
                             e.what());
  }
  auto r = RunStats::from_json(j);
  if (!r) return hd::Status::error(path + ": " + r.status().message());
  return r;
}

int run_merge(const std::vector<std::string>& files, const std::string& json_out) {
  RunStats merged;
  for (const auto& f : files) {
    auto r = read_result(f);
    if (!r) return fail(r.status().message());
    merged.merge(*r);
  }
  std::cout << hd::loadgen::format_summary(
      merged, "Merged Results (" + std::to_string(files.size()) + " clients)");
  if (!json_out.empty() && !write_json(json_out, merged.to_json()))
    return fail(json_out + ": cannot write");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "loadgen: drives a CURP-HT or CURP-HO cluster with the seed's workload and reports true "
      "merged latency "
      "percentiles and per-second throughput.\nEvery workload key of the config (seed meanings) "
      "can "
      "be overridden by the flag of the same name."};
  app.set_help_all_flag("--help-all", "help for every subcommand");

  std::string config_path, alias = "client0", json_out;
  hd::loadgen::LoadOptions opt;
  // Overrides: only applied when given.
  uint64_t reqs = 0;
  uint32_t writes = 0, conflicts = 0, command_size = 0, threads = 0, pendings = 0, weak_ratio = 0,
           weak_writes = 0;
  uint64_t key_space = 0;
  double zipf = 0;
  bool pipeline = true;
  app.add_option("--config", config_path, "cluster + workload config (.conf, seed format)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--alias", alias, "this client process's alias in the config's Clients section")
      ->capture_default_str();
  // Whole numbers are checked on the text (cli_check): CLI11 would wrap "-5"
  // into a huge unsigned count.
  auto* o_reqs = app.add_option("--reqs", reqs, "operations per client thread (config: reqs)")
                     ->check(hd::cli_check::whole_number(1, uint64_t{1} << 40));
  auto* o_writes =
      app.add_option("--writes", writes, "% of strong ops that are writes (config: writes)")
          ->check(CLI::Range(0, 100));
  auto* o_conf =
      app.add_option("--conflicts", conflicts, "% of ops on one shared hot key (config: conflicts)")
          ->check(CLI::Range(0, 100));
  auto* o_cs = app.add_option("--command-size", command_size, "value bytes (config: commandSize)")
                   ->check(hd::cli_check::whole_number(0, 1u << 20));
  auto* o_threads = app.add_option("--client-threads", threads,
                                   "threads = sessions in this process (config: clientThreads)")
                        ->check(CLI::Range(1, 256));
  auto* o_pipe =
      app.add_option("--pipeline", pipeline, "several ops in flight per thread (config: pipeline)");
  auto* o_pend =
      app.add_option("--pendings", pendings, "max in-flight ops per thread (config: pendings)")
          ->check(CLI::Range(1, 100000));
  auto* o_wr =
      app.add_option("--weak-ratio", weak_ratio, "% of ops that are weak (config: weakRatio)")
          ->check(CLI::Range(0, 100));
  auto* o_ww = app.add_option("--weak-writes", weak_writes,
                              "% of weak ops that are writes (config: weakWrites)")
                   ->check(CLI::Range(0, 100));
  auto* o_ks = app.add_option("--key-space", key_space, "distinct keys (config: keySpace)")
                   ->check(hd::cli_check::whole_number(1, uint64_t{1} << 40));
  auto* o_zipf =
      app.add_option("--zipf-skew", zipf, "Zipf exponent, 0 = uniform (config: zipfSkew)")
          ->check(CLI::Range(0.0, 10.0));
  uint32_t network_delay = 0;
  auto* o_nd =
      app.add_option("--network-delay", network_delay,
                     "one-way delay in ms injected at receive, in loadgen and (via the config) the "
                     "replicas (config: networkDelay)")
          ->check(hd::cli_check::whole_number(0, 60000));
  app.add_option("--seed", opt.seed, "seed of the op sequence (same seed, same ops)")
      ->capture_default_str()
      ->check(hd::cli_check::whole_number(0, UINT64_MAX));
  app.add_option("--mark-at", opt.mark_at_ops,
                 "print \"MARK <alias> N ops\" (flushed) the moment this process has completed N\n"
                 "ops, warm-up included (heapdrift bench --kill-leader-at acts on it); 0 = never")
      ->capture_default_str()
      ->check(hd::cli_check::whole_number(0, uint64_t{1} << 40));
  app.add_option("--warmup-ops", opt.warmup_ops,
                 "ops per thread excluded from latency and throughput")
      ->capture_default_str()
      ->check(hd::cli_check::whole_number(0, uint64_t{1} << 40));
  app.add_option(
         "--rate", opt.rate_ops_s,
         "open loop: ops/s for this process (0 = closed loop); latency from intended send time")
      ->capture_default_str()
      ->check(hd::cli_check::non_negative_number(1e9));
  app.add_option("--io-threads", opt.io_threads,
                 "I/O threads serving the sessions (each thread's sessions share one connection "
                 "per replica)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--nearest", opt.nearest,
                 "replica index that serves this process's weak reads (CURP-HO: and acks its\n"
                 "weak writes, unless the config's -- Proxy -- section binds this alias)")
      ->capture_default_str()
      ->check(hd::cli_check::whole_number(0, 1000));
  app.add_option("--deadline", opt.deadline_s,
                 "overall deadline in seconds; on expiry report what finished and exit 3")
      ->capture_default_str()
      ->check(hd::cli_check::whole_number(1, 7 * 86400));
  app.add_option("--json", json_out, "write the result JSON here (schema: docs/loadgen-result.md)");
  std::string protocol;
  app.add_option("--protocol", protocol,
                 "protocol (default: config `protocol`, curpht): curpht or curpho; the\n"
                 "replicas must run the same")
      ->check(CLI::IsMember({"curpht", "curpho"}));
  std::string plant;
  app.add_option("--plant", plant,
                 "deliberate pathology giving the diagnostics a known answer (off by default):\n"
                 "cache (alias never-evict-cache): the client cache of every session is never\n"
                 "evicted, so it grows with every key the session reads or writes")
      ->check(CLI::IsMember({"none", "cache", "never-evict-cache"}));
  app.add_option("--cache-entries", opt.cache_entries,
                 "client-cache entries kept per session before the oldest is evicted (default\n"
                 "65536; 0 = no cache); --plant cache ignores the bound")
      ->check(hd::cli_check::whole_number(0, uint64_t{1} << 32));
  bool quiet = false;
  app.add_flag("--quiet", quiet, "no TPUT lines");
  // memprof (docs/run-folder.md)
  std::string run_dir, allocator;
  app.add_option("--run-dir", run_dir,
                 "memprof run folder (meta.json, snapshots.jsonl, profiles/, result.json)");
  app.add_option("--allocator", allocator,
                 "jemalloc, tcmalloc or glibc (default: config `allocator`, jemalloc); re-executes "
                 "once with LD_PRELOAD")
      ->check(CLI::IsMember({"jemalloc", "tcmalloc", "glibc"}));

  auto* merge = app.add_subcommand(
      "merge",
      "merge result JSON files of several processes (histograms merged, not medians averaged)");
  std::vector<std::string> merge_files;
  std::string merge_json;
  merge->add_option("files", merge_files, "result files written with --json")
      ->required()
      ->check(CLI::ExistingFile);
  merge->add_option("--json", merge_json, "write the merged result JSON here");
  // The run options do not apply to merge.
  app.require_subcommand(0, 1);
  merge->preparse_callback([&](size_t) { app.get_option("--config")->required(false); });

  // --help exits 0; a bad flag or value is a usage error: 2, as documented
  // (and as replica and heapdrift do), not CLI11's own codes.
  if (const std::optional<int> code = hd::cli_parse::parse(app, argc, argv)) return *code;
  if (merge->parsed()) return run_merge(merge_files, merge_json);

  auto cfg = hd::config::load_cluster_config(config_path);
  if (!cfg) return fail(cfg.status().message());
  for (const auto& n : cfg->notices) std::fprintf(stderr, "%s\n", n.c_str());
  if (!protocol.empty()) cfg->protocol = protocol;  // the sessions read it there
  protocol = cfg->protocol;
  const int index = cfg->client_index(alias);
  if (index < 0) return fail(config_path + ": no client '" + alias + "' in the Clients section");
  if (cfg->replicas.empty()) return fail(config_path + ": no replicas in the Replicas section");

  opt.alias = alias;
  opt.client_index = static_cast<uint32_t>(index);
  opt.threads = *o_threads ? threads : cfg->client_threads;
  opt.ops_per_thread = *o_reqs ? reqs : cfg->reqs;
  const bool pipe = *o_pipe ? pipeline : cfg->pipeline;
  opt.pendings = pipe ? (*o_pend ? pendings : cfg->pendings) : 1;
  opt.never_evict_cache = plant == "cache" || plant == "never-evict-cache";
  opt.network_delay_ms = *o_nd ? network_delay : cfg->network_delay_ms;
  opt.print_tput = !quiet;
  auto& w = opt.workload;
  w.writes = *o_writes ? writes : cfg->writes;
  w.conflicts = *o_conf ? conflicts : cfg->conflicts;
  w.command_size = *o_cs ? command_size : cfg->command_size;
  w.weak_ratio = *o_wr ? weak_ratio : cfg->weak_ratio;
  w.weak_writes = *o_ww ? weak_writes : cfg->weak_writes;
  w.key_space = *o_ks ? key_space : cfg->key_space;
  w.zipf_skew = *o_zipf ? zipf : cfg->zipf_skew;
  if (opt.nearest >= cfg->replicas.size())
    return fail("--nearest " + std::to_string(opt.nearest) + ": no such replica");
  // CURP-HO's bound replica: the -- Proxy -- entry for this alias, else --nearest.
  const int proxied = cfg->bound_replica(alias);
  opt.bound = proxied >= 0 ? static_cast<uint32_t>(proxied) : opt.nearest;
  if (opt.warmup_ops >= opt.ops_per_thread && opt.ops_per_thread > 0)
    return fail("--warmup-ops must be below reqs");

  // memprof: select the allocator (may re-exec this process once), then record.
  if (allocator.empty()) allocator = cfg->allocator;
  static hd::memprof::Probe probe;  // static: outlives the session threads
  hd::memprof::RecorderOptions rec_opts;
  rec_opts.program = "loadgen";
  rec_opts.requested_allocator = allocator;
  rec_opts.run_dir = run_dir;
  rec_opts.snapshot_interval_ms = cfg->snapshot_interval_ms;
  rec_opts.cpu_profile = cfg->cpu_profile;
  rec_opts.config_path = config_path;
  rec_opts.settings = {{"alias", alias},
                       {"protocol", protocol},
                       {"plant", opt.never_evict_cache ? "cache" : "none"},
                       {"threads", std::to_string(opt.threads)},
                       {"reqs", std::to_string(opt.ops_per_thread)}};
  // The loadgen knows its count: every op of every session, warm-up included.
  const uint64_t own_ops = opt.ops_per_thread * opt.threads;
  hd::memprof::UserRecordingSettings user;
  if (!cfg->heap_profile_at.empty()) user.heap_profile_at = cfg->heap_profile_at;
  user.lg_prof_sample = cfg->lg_prof_sample;
  bool usage_error = false;
  auto recording = hd::memprof::start_recording(std::move(rec_opts), {own_ops, own_ops}, user, argv,
                                                &probe, &usage_error);
  if (!recording) return fail(recording.status().message());
  if (!recording->allocator_note.empty())
    std::fprintf(stderr, "loadgen: %s\n", recording->allocator_note.c_str());
  const std::unique_ptr<hd::memprof::Recorder>& recorder = recording->recorder;
  if (recorder) opt.probe = &probe;

  auto result = hd::loadgen::run_load(*cfg, opt);
  result.stats.protocol = protocol;
  if (recorder) recorder->stop();  // final snapshot + end-of-run heap profile
  if (!result.status) return fail(result.status.message());
  std::cout << hd::loadgen::format_summary(result.stats, "Results " + alias);
  // The run folder always holds its result (docs/run-folder.md), whatever
  // --json names: `heapdrift report` finds a loadgen's throughput only
  // there, and a run recorded by hand with both flags once read "0 ± 0".
  std::vector<std::string> outputs;
  if (recorder) outputs.push_back(run_dir + "/result.json");
  if (!json_out.empty() && (outputs.empty() || std::filesystem::path(json_out) != outputs[0]))
    outputs.push_back(json_out);
  for (const std::string& path : outputs)
    if (!write_json(path, result.stats.to_json())) return fail(path + ": cannot write");
  if (result.deadline_exceeded) {
    std::fprintf(stderr,
                 "loadgen: deadline of %u s exceeded; the results above cover what finished\n",
                 opt.deadline_s);
    return 3;
  }
  if (result.stats.session_violations > 0) {
    std::fprintf(stderr, "loadgen: %llu session-guarantee violations\n",
                 static_cast<unsigned long long>(result.stats.session_violations));
    return 3;
  }
  if (result.stats.weak_unsettled > 0) {
    std::fprintf(stderr,
                 "loadgen: %llu acknowledged weak writes never settled (not executed by a "
                 "leader within the op timeout after the run)\n",
                 static_cast<unsigned long long>(result.stats.weak_unsettled));
    return 3;
  }
  return 0;
}
