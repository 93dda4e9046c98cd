// `heapdrift bench`: see bench.h. The sweep is a plain loop over variants
// (allocators or protocols) × lengths × iterations; each run starts a fresh cluster, waits until
// every replica accepts connections, runs the loadgens under a hard deadline, stops every process
// by PID and merges the loadgen results. A failed run is recorded (OUT/runs/.../FAILED) and the
// sweep goes on; a signal stops every process it started and ends the sweep.
#include "launcher/bench.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "analysis/diff/diff.h"
#include "analysis/report/report.h"
#include "launcher/cluster.h"
#include "launcher/compare.h"
#include "launcher/compare_protocols.h"
#include "launcher/default_config.h"
#include "launcher/launcher.h"
#include "launcher/progress.h"
#include "loadgen/stats/run_stats.h"
#include "loadgen/stats/spread.h"
#include "replica/config/cluster_config.h"

namespace hd::bench {

namespace fs = std::filesystem;
using launcher::Launcher;
using launcher::Process;
using launcher::ProcessSpec;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kMarker = ".heapdrift-bench";
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr auto kReadyTimeout = seconds(20);
constexpr auto kStopGrace = seconds(15);  // the replica writes its end profile on SIGTERM

volatile sig_atomic_t g_signal = 0;

void on_signal(int signo) {
  g_signal = signo;
}

// Installs the handlers for the lifetime of a sweep and restores the old ones.
class SignalScope {
 public:
  SignalScope() {
    g_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~SignalScope() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// The last complete line of `path` containing `token` (reads the last 16 KiB).
std::string last_line_with(const std::string& path, const std::string& token) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const std::streamoff size = in.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - 16384);
  in.seekg(from);
  std::string buf(static_cast<size_t>(size - from), '\0');
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  const auto end = buf.rfind('\n');
  if (end == std::string::npos) return {};
  buf.resize(end);
  size_t pos = buf.size();
  while (pos > 0) {
    const auto nl = buf.rfind('\n', pos - 1);
    const size_t start = nl == std::string::npos ? 0 : nl + 1;
    std::string line = buf.substr(start, pos - start);
    if (line.find(token) != std::string::npos) return line;
    if (nl == std::string::npos) break;
    pos = nl;
  }
  return {};
}

// Ops a loadgen has completed so far: its snapshots' `ops` (run folder) or
// the `(total N)` of its last TPUT line (the log is local also for a remote
// process, whose snapshots are not).
uint64_t loadgen_ops_so_far(const std::string& run_dir, const std::string& log_path) {
  uint64_t ops = 0;
  if (!run_dir.empty()) {
    const std::string line = last_line_with(run_dir + "/snapshots.jsonl", "\"ops\":");
    const auto at = line.find("\"ops\":");
    if (at != std::string::npos) ops = std::strtoull(line.c_str() + at + 6, nullptr, 10);
  }
  const std::string line = last_line_with(log_path, "TPUT ");
  const auto at = line.find("(total ");
  if (at != std::string::npos)
    ops = std::max<uint64_t>(ops, std::strtoull(line.c_str() + at + 7, nullptr, 10));
  return ops;
}

struct RunResult {
  bool ok = false;
  std::string error;
  loadgen::RunStats merged;
  std::string dir;
};

// One sweep of the lengths: an allocator under a protocol. At most one of the
// two lists has more than one item (run_bench), and the label names the
// variant by the one that varies (the allocator when neither does): run
// folders RUNS/<label>/..., reports OUT/<label>/, results by label.
struct Variant {
  std::string allocator;
  std::string protocol;       // the protocol run (the config's when not given)
  std::string protocol_flag;  // --protocol for the programs; "" = none (the config's)
  std::string label;
};

struct Plan {
  config::ClusterConfig config;
  std::string config_path;  // absolute
  std::vector<uint64_t> sweep;
  uint32_t iterations = 1;
  std::vector<std::string> allocators;
  std::vector<std::string> protocols;
  std::vector<Variant> variants;  // allocators x protocols, in the lists' order
  bool explicit_config = false;
};

class Bench {
 public:
  Bench(const BenchOptions& o, Plan plan, std::string out, std::string runs, std::string bin)
      : o_(o),
        plan_(std::move(plan)),
        out_(std::move(out)),
        runs_(std::move(runs)),
        bin_(std::move(bin)),
        cluster_(plan_.config, plan_.config_path, launcher::HostRoutes{o.netns, o.ssh}) {}

  int run();
  int run_with_command(const std::vector<std::string>& command);

 private:
  Status start_replicas(const Variant& v, const std::string& dir, uint64_t run_ops);
  RunResult run_one(const Variant& v, uint64_t ops, uint32_t it, const std::string& dir);
  void print_table(const Variant& v);
  void write_tsv();
  void write_diff(const std::string& label, const std::string& dest);
  int report();

  const BenchOptions& o_;
  Plan plan_;
  std::string out_;
  std::string runs_;
  std::string bin_;
  launcher::Cluster cluster_;
  Progress progress_;
  // variant label -> length -> results of its iterations
  std::map<std::string, std::map<uint64_t, std::vector<RunResult>>> results_;
  std::vector<std::string> failures_;
  bool usage_error_ = false;  // a replica rejected its flags/config: stop the sweep
};

// Starts every replica of the config (run folders under dir when profiling)
// and waits until each accepts connections. On failure the caller stops the
// cluster. `run_ops` (0: none) is the run's length, from which each replica
// paces its recording (memprof/recording_plan.h); the loadgens know theirs
// from --reqs.
Status Bench::start_replicas(const Variant& v, const std::string& dir, uint64_t run_ops) {
  launcher::ReplicaLaunch how;
  how.program = bin_ + "/replica";
  how.allocator = v.allocator;
  how.protocol = v.protocol_flag;
  how.plant = o_.plant;
  if (o_.profile) how.run_dir = dir;
  if (o_.profile && run_ops > 0) how.extra_args = {"--run-ops", std::to_string(run_ops)};
  how.log_dir = dir;
  Status st = cluster_.start_replicas(how, kReadyTimeout, [] { return g_signal != 0; });
  if (cluster_.replica_rejected_arguments()) usage_error_ = true;  // every run would fail
  if (!st && st.message().starts_with("replicas did not accept"))
    return Status::error(st.message() + "; see " + dir);
  return st;
}

// `heapdrift cluster`: the replicas, then `command` (stdout/stderr shared with
// this process) until it exits or a signal comes, then the replicas stopped.
int Bench::run_with_command(const std::vector<std::string>& command) {
  if (auto st = cluster_.prepare(); !st) {
    std::fprintf(stderr, "heapdrift cluster: %s\n", st.message().c_str());
    return kExitUsage;
  }
  const std::string dir = runs_ + "/cluster";
  fs::create_directories(dir);
  if (auto st = start_replicas(plan_.variants.front(), dir, 0); !st) {
    cluster_.stop_all(kStopGrace);
    std::fprintf(stderr, "heapdrift cluster: %s\n", st.message().c_str());
    return g_signal != 0 ? 128 + g_signal : kExitFailed;
  }
  ProcessSpec spec;
  spec.name = command.front();
  for (std::string a : command) {
    for (auto at = a.find("{config}"); at != std::string::npos; at = a.find("{config}"))
      a.replace(at, 8, plan_.config_path);
    if (spec.program.empty())
      spec.program = a;
    else
      spec.args.push_back(a);
  }
  spec.env = {{"HEAPDRIFT_CONFIG", plan_.config_path}};
  // spec.log_path empty: the command shares this program's stdout and stderr.
  std::fflush(stdout);
  int rc = kExitFailed;
  auto cmd = cluster_.start("localhost", spec);
  if (!cmd) {
    std::fprintf(stderr, "heapdrift cluster: %s\n", cmd.status().message().c_str());
  } else {
    while (!cluster_.poll(**cmd) && g_signal == 0) std::this_thread::sleep_for(milliseconds(20));
    cluster_.stop(**cmd, seconds(5));
    rc = (*cmd)->exit_code();
  }
  cluster_.stop_all(kStopGrace);
  return g_signal != 0 ? 128 + g_signal : rc;
}

RunResult Bench::run_one(const Variant& v, uint64_t ops, uint32_t it, const std::string& dir) {
  RunResult res;
  res.dir = dir;
  fs::create_directories(dir);
  const auto& cfg = plan_.config;
  const uint64_t lanes = cfg.clients.size() * std::max<uint32_t>(1, cfg.client_threads);
  const uint64_t per_thread = (ops + lanes - 1) / lanes;
  const uint32_t timeout_s =
      o_.phase_timeout_s != 0 ? o_.phase_timeout_s : static_cast<uint32_t>(30 + ops / 500);
  cluster_.forget();  // the previous run's processes, all stopped
  auto fail = [&](std::string why) {
    cluster_.stop_all(kStopGrace);
    // A terminal's Ctrl-C reaches the whole process group: the replicas and
    // loadgens die of the same signal (or exit 0 after handling it) and may be
    // seen gone before this loop looks at the flag. Then the signal is why
    // the run failed, not the child (issue 15). Read after stop_all: a signal
    // that arrived while the processes were stopped counts too.
    if (g_signal != 0) why = "interrupted";
    res.ok = false;
    res.error = std::move(why);
    std::ofstream(dir + "/FAILED") << res.error << "\n";
    return res;
  };

  // Phase 1: replicas, ready when their port accepts a connection.
  progress_.phase("start", ops);
  if (auto st = start_replicas(v, dir, ops); !st) return fail(st.message());

  // Phase 2: the load, under a hard deadline.
  progress_.phase("load", ops);
  // --kill-leader-at: each loadgen prints a MARK line the moment it has
  // completed its share of the ops asked, and the leader dies when every
  // loadgen has (their combined count reached the ops asked). Counts polled
  // from snapshots (100 ms) and TPUT lines (1 s) killed after 8,000 ops
  // when 3,000 were asked. Runs shorter than the ops asked are left alone.
  const uint64_t kill_share =
      o_.kill_leader_at_ops > 0 && o_.kill_leader_at_ops <= per_thread * lanes
          ? (o_.kill_leader_at_ops + cfg.clients.size() - 1) / cfg.clients.size()
          : 0;
  std::vector<Process*> clients;
  for (const auto& c : cfg.clients) {
    Launcher& l = cluster_.launcher_for(c.host);
    ProcessSpec spec;
    spec.name = c.alias;
    spec.program = bin_ + "/loadgen";
    spec.args = {"--config",    l.remote_path(plan_.config_path),
                 "--alias",     c.alias,
                 "--reqs",      std::to_string(per_thread),
                 "--seed",      std::to_string(it),
                 "--allocator", v.allocator,
                 "--deadline",  std::to_string(timeout_s)};
    if (!v.protocol_flag.empty())
      spec.args.insert(spec.args.end(), {"--protocol", v.protocol_flag});
    if (o_.profile) {
      spec.run_dir = dir + "/" + c.alias;
      spec.args.insert(spec.args.end(), {"--run-dir", l.remote_path(spec.run_dir), "--json",
                                         l.remote_path(spec.run_dir + "/result.json")});
    } else {
      spec.outputs = {dir + "/" + c.alias + ".json"};
      spec.args.insert(spec.args.end(), {"--json", l.remote_path(spec.outputs[0])});
    }
    if (kill_share > 0)
      spec.args.insert(spec.args.end(), {"--mark-at", std::to_string(kill_share)});
    spec.args.insert(spec.args.end(), o_.loadgen_args.begin(), o_.loadgen_args.end());
    spec.log_path = dir + "/" + c.alias + ".log";
    auto p = cluster_.start(c.host, spec);
    if (!p) return fail(p.status().message());
    clients.push_back(*p);
  }
  const auto load_deadline = Clock::now() + seconds(timeout_s + 10);
  bool leader_killed = false;  // replica 0: the first replica, the boot leader
  std::vector<bool> marked(clients.size(), false);
  auto next_progress = Clock::now();
  while (true) {
    bool all_done = true;
    for (Process* p : clients)
      if (!cluster_.poll(*p)) all_done = false;
    if (kill_share > 0 && !leader_killed) {
      size_t n = 0;
      for (size_t i = 0; i < clients.size(); ++i) {
        if (!marked[i]) marked[i] = !last_line_with(clients[i]->spec.log_path, "MARK ").empty();
        n += marked[i] ? 1 : 0;
      }
      if (n == clients.size()) {
        cluster_.crash(cluster_.replica(0));
        leader_killed = true;
        progress_.note(cluster_.replica(0).name +
                       " (the boot leader) killed with SIGKILL once the loadgens had completed " +
                       std::to_string(kill_share * clients.size()) + " ops (" +
                       std::to_string(kill_share) + " each)");
      }
    }
    if (g_signal != 0) return fail("interrupted");  // before blaming a child that exited
    for (size_t i = leader_killed ? 1 : 0; i < cluster_.replica_count(); ++i) {
      Process& p = cluster_.replica(i);
      if (cluster_.poll(p))
        return fail(p.name + " exited during the load (code " + std::to_string(p.exit_code()) +
                    "); " + p.spec.log_path + ":\n" + launcher::tail_of(p.spec.log_path, 4));
    }
    if (Clock::now() >= next_progress) {
      uint64_t done_ops = 0;
      for (Process* p : clients) done_ops += loadgen_ops_so_far(p->spec.run_dir, p->spec.log_path);
      progress_.update(std::min(done_ops, ops));
      next_progress = Clock::now() + milliseconds(100);
    }
    if (all_done) break;
    if (Clock::now() >= load_deadline)
      return fail("the load did not finish within " + std::to_string(timeout_s + 10) +
                  " s (phase timeout)");
    // A pending kill is watched closely: at 10K ops/s, 100 ms is 1,000 ops late.
    std::this_thread::sleep_for(kill_share > 0 && !leader_killed ? milliseconds(2)
                                                                 : milliseconds(100));
  }
  for (const Process* p : clients) {
    if (p->exit_code() != 0)
      return fail(p->name + " exited with code " + std::to_string(p->exit_code()) + "; " +
                  p->spec.log_path + ":\n" + launcher::tail_of(p->spec.log_path, 4));
  }

  // Phase 3: stop the replicas (SIGTERM: they write their end profile) and
  // bring every run folder home.
  progress_.phase("stop", ops);
  cluster_.stop_all(kStopGrace);
  for (size_t i = leader_killed ? 1 : 0; i < cluster_.replica_count(); ++i) {
    const Process& p = cluster_.replica(i);
    if (p.exit_code() != 0)
      return fail(p.name + " did not shut down cleanly (code " + std::to_string(p.exit_code()) +
                  "); " + p.spec.log_path + ":\n" + launcher::tail_of(p.spec.log_path, 4));
  }
  if (auto st = cluster_.collect_all(); !st) return fail(st.message());
  if (auto st = cluster_.write_usage(dir + "/processes.tsv"); !st) return fail(st.message());

  // The merged result block (true merged percentiles).
  for (const auto& c : cfg.clients) {
    const std::string path =
        o_.profile ? dir + "/" + c.alias + "/result.json" : dir + "/" + c.alias + ".json";
    std::ifstream in(path);
    nlohmann::json j;
    try {
      in >> j;
    } catch (const nlohmann::json::exception& e) {
      return fail(path + ": " + e.what());
    }
    auto r = loadgen::RunStats::from_json(j);
    if (!r) return fail(path + ": " + r.status().message());
    res.merged.merge(*r);
  }
  // Loadgens and replicas that handled the group's SIGINT exit 0 with what
  // they had: a cut-short run, not a result.
  if (g_signal != 0) return fail("interrupted");
  std::ofstream(dir + "/merged.json") << res.merged.to_json().dump(1) << "\n";
  res.ok = true;
  return res;
}

void Bench::print_table(const Variant& v) {
  std::printf("\n=== Sweep summary (%s, allocator %s, protocol %s) ===\n",
              plan_.config_path.c_str(), v.allocator.c_str(), v.protocol.c_str());
  std::printf("%-10s %-22s %-22s %-22s %-10s %-8s %s\n", "Ops", "Throughput (ops/s)",
              "Weak p50 / p99 (ms)", "Strong p50 / p99 (ms)", "Slow path", "Timeouts", "Runs");
  for (const auto& [len, runs] : results_[v.label]) {
    std::vector<double> tput;
    loadgen::RunStats all;
    for (const auto& r : runs) {
      if (!r.ok) continue;
      tput.push_back(r.merged.throughput_ops_s());
      all.merge(r.merged);
    }
    const loadgen::MeanSd spread = loadgen::mean_and_sample_sd(tput);
    const auto ms = [](uint64_t ns) { return static_cast<double>(ns) / 1e6; };
    const auto weak = all.weak();
    const auto strong = all.strong();
    const std::string throughput = loadgen::spread_text(spread, " +- ");  // "-" with no run
    char buf[3][64];
    std::snprintf(buf[0], sizeof buf[0], "%.2f / %.2f", ms(weak.latency.quantile_ns(0.5)),
                  ms(weak.latency.quantile_ns(0.99)));
    std::snprintf(buf[1], sizeof buf[1], "%.2f / %.2f", ms(strong.latency.quantile_ns(0.5)),
                  ms(strong.latency.quantile_ns(0.99)));
    std::snprintf(buf[2], sizeof buf[2], "%zu ok / %zu", tput.size(), runs.size());
    std::printf("%-10llu %-22s %-22s %-22s %-10llu %-8llu %s\n",
                static_cast<unsigned long long>(len), throughput.c_str(), buf[0], buf[1],
                static_cast<unsigned long long>(strong.slow_path),
                static_cast<unsigned long long>(all.timeouts()), buf[2]);
  }
  std::fflush(stdout);
}

// RUNS/table.tsv: one row per successful run, for scripts
// (bench/loadgen_target.sh reads it; scripts read columns 1-10 by position,
// the 11th, protocol, came last). Latencies in ms.
void Bench::write_tsv() {
  std::ofstream out(runs_ + "/table.tsv");
  out << "ops\titer\tthroughput\tweak_p50_ms\tweak_p99_ms\tstrong_p50_ms\tstrong_p99_ms\t"
         "slow_path\ttimeouts\tallocator\tprotocol\n";
  const auto ms = [](uint64_t ns) { return static_cast<double>(ns) / 1e6; };
  for (const auto& [label, lengths] : results_) {
    const auto v = std::find_if(plan_.variants.begin(), plan_.variants.end(),
                                [&](const Variant& x) { return x.label == label; });
    if (v == plan_.variants.end()) continue;
    for (const auto& [len, runs] : lengths)
      for (size_t i = 0; i < runs.size(); ++i) {
        const RunResult& r = runs[i];
        if (!r.ok) continue;
        const auto weak = r.merged.weak();
        const auto strong = r.merged.strong();
        char line[512];
        std::snprintf(line, sizeof line,
                      "%llu\t%zu\t%.0f\t%.3f\t%.3f\t%.3f\t%.3f\t%llu\t%llu\t%s\t%s\n",
                      static_cast<unsigned long long>(len), i + 1, r.merged.throughput_ops_s(),
                      ms(weak.latency.quantile_ns(0.5)), ms(weak.latency.quantile_ns(0.99)),
                      ms(strong.latency.quantile_ns(0.5)), ms(strong.latency.quantile_ns(0.99)),
                      static_cast<unsigned long long>(strong.slow_path),
                      static_cast<unsigned long long>(r.merged.timeouts()), v->allocator.c_str(),
                      v->protocol.c_str());
        out << line;
      }
  }
}

// The user's "diff between the 10K and the 100K run": `heapdrift diff` of the
// first successful run of the shortest and of the longest length, into
// DEST/diff.txt and diff.json, its top rows printed; with more than two
// lengths (the default adds a long run), also the shortest against each
// length between, into DEST/diff-ops<A>-vs-ops<B>.{txt,json}. A diff that
// cannot be made (no heap profiles, e.g. glibc) is a notice, not a failure.
void Bench::write_diff(const std::string& label, const std::string& dest) {
  // The first ok run of each length, shortest first.
  std::vector<std::pair<uint64_t, const RunResult*>> firsts;
  for (const auto& [len, runs] : results_[label])
    for (const auto& r : runs)
      if (r.ok) {
        firsts.emplace_back(len, &r);
        break;
      }
  if (firsts.size() < 2) return;
  // The sides are named relative to diff.txt's folder when the runs are
  // inside it (OUT/runs/...), so a report folder moved or committed elsewhere
  // still names them right and carries no path of this machine.
  const auto relative_to_dest = [&](const std::string& dir) {
    std::error_code ec;
    const fs::path rel = fs::relative(dir, dest, ec);
    return !ec && !rel.empty() && *rel.begin() != ".." ? rel.string() : dir;
  };
  for (size_t i = firsts.size() - 1; i >= 1; --i) {
    const auto [a_ops, a] = firsts.front();
    const auto [b_ops, b] = firsts[i];
    auto d = analysis::diff_inputs(a->dir, b->dir);
    if (!d) {
      std::printf("diff: not made (%s)\n", d.status().message().c_str());
      return;
    }
    d->a = relative_to_dest(d->a);
    d->b = relative_to_dest(d->b);
    const bool main = i + 1 == firsts.size();
    const std::string base =
        main ? "diff" : "diff-ops" + std::to_string(a_ops) + "-vs-ops" + std::to_string(b_ops);
    std::ofstream(dest + "/" + base + ".txt") << analysis::diff_text(*d, 50);
    std::ofstream(dest + "/" + base + ".json") << analysis::diff_json(*d) << "\n";
    if (main)
      std::printf("\n== Diff, shortest vs longest run (top 5 of %s/diff.txt) ==\n%s", dest.c_str(),
                  analysis::diff_text(*d, 5).c_str());
    else
      std::printf("diff: %s/%s.txt (%llu vs %llu ops)\n", dest.c_str(), base.c_str(),
                  static_cast<unsigned long long>(a_ops), static_cast<unsigned long long>(b_ops));
  }
}

int Bench::report() {
  int rc = 0;
  bool first = true;
  // Each variant's analysis, in the variants' order (a deque: reports
  // point into it while it grows).
  std::deque<analysis::Analysis> analyses;
  std::vector<AllocatorReport> allocator_reports;
  std::vector<ProtocolReport> protocol_reports;
  bool main_written = false;  // OUT itself holds the first variant's report
  for (const Variant& v : plan_.variants) {
    const std::string& label = v.label;
    std::vector<std::string> dirs;
    for (const auto& [len, runs] : results_[label])
      for (const auto& r : runs)
        if (r.ok) dirs.push_back(r.dir);
    // The first variant's report is OUT itself; others go to OUT/<label>/.
    const std::string dest = first ? out_ : out_ + "/" + label;
    first = false;
    if (dirs.empty()) {
      std::fprintf(stderr, "heapdrift bench: no successful run for %s: no report\n", label.c_str());
      rc = kExitFailed;
      continue;
    }
    progress_.phase("report " + label, 0);
    progress_.clear();
    Result<analysis::SiteRules> rules = analysis::make_site_rules(o_.skip_frames);
    Result<analysis::Analysis> a = rules ? analysis::report_runs(dirs, dest, false, *rules)
                                         : Result<analysis::Analysis>(rules.status());
    if (!a) {
      std::fprintf(stderr, "heapdrift bench: report (%s) failed: %s\n", label.c_str(),
                   a.status().message().c_str());
      rc = kExitFailed;
      continue;
    }
    std::printf("\n== Finding (%s) ==\n%s\n", label.c_str(), a->finding_text.c_str());
    std::printf("report: %s/index.html\n", dest.c_str());
    write_diff(label, dest);
    main_written = main_written || dest == out_;
    analyses.push_back(std::move(a).value());
    allocator_reports.push_back({v.allocator, &analyses.back()});
    protocol_reports.push_back({v.protocol, &analyses.back()});
  }
  // Several allocators or protocols: one table side by side, in the main
  // report. With one protocol's report missing, the protocol comparison still
  // shows the other's rows and says why it has no figure.
  const auto print_comparison = [&](const char* what, const Result<std::string>& md) {
    if (!md) {
      std::fprintf(stderr, "heapdrift bench: %s comparison: %s\n", what,
                   md.status().message().c_str());
      rc = kExitFailed;
    } else {
      std::printf("\n%s", md->c_str());
    }
  };
  if (plan_.allocators.size() > 1 && allocator_reports.size() > 1 && main_written)
    print_comparison("allocator", write_allocator_comparison(allocator_reports, out_));
  if (plan_.protocols.size() > 1 && !protocol_reports.empty() && main_written)
    print_comparison("protocol", write_protocol_comparison(protocol_reports, out_));
  std::fflush(stdout);
  return rc;
}

int Bench::run() {
  if (auto st = cluster_.prepare(); !st) {
    std::fprintf(stderr, "heapdrift bench: %s\n", st.message().c_str());
    return kExitUsage;
  }
  uint64_t total = 0;
  for (auto ops : plan_.sweep) total += ops * plan_.iterations;
  total *= plan_.variants.size();
  progress_.start(total, o_.progress);
  const auto started = Clock::now();
  int interrupted = 0;
  for (const Variant& v : plan_.variants) {
    const std::string& label = v.label;
    for (auto ops : plan_.sweep) {
      for (uint32_t it = 1; it <= plan_.iterations && interrupted == 0 && !usage_error_; ++it) {
        const std::string dir = runs_ + (plan_.variants.size() > 1 ? "/" + label : "") + "/ops" +
                                std::to_string(ops) + "-it" + std::to_string(it);
        progress_.run_label(label + " " + std::to_string(ops) + " ops it " + std::to_string(it) +
                            "/" + std::to_string(plan_.iterations));
        RunResult r = run_one(v, ops, it, dir);
        progress_.finish_run(ops);
        progress_.clear();
        if (g_signal != 0) interrupted = g_signal;
        if (r.ok) {
          std::printf("%s", loadgen::format_summary(
                                r.merged, "Merged Results (" + label + ", " + std::to_string(ops) +
                                              " ops, iteration " + std::to_string(it) + ")")
                                .c_str());
          std::fflush(stdout);
        } else if (interrupted == 0) {
          failures_.push_back(dir + ": " + r.error);
          std::fprintf(stderr, "heapdrift bench: run failed: %s: %s\n", dir.c_str(),
                       r.error.c_str());
        }
        results_[label][ops].push_back(std::move(r));
      }
    }
  }
  progress_.clear();
  cluster_.cleanup();
  if (interrupted != 0) {
    std::fprintf(stderr,
                 "heapdrift bench: interrupted (signal %d); every started process stopped\n",
                 interrupted);
    return 128 + interrupted;
  }
  if (usage_error_) {
    std::fprintf(stderr,
                 "heapdrift bench: a replica rejected its arguments or the config; "
                 "sweep abandoned\n");
    return kExitUsage;
  }
  for (const Variant& v : plan_.variants) print_table(v);
  write_tsv();
  int rc = failures_.empty() ? 0 : kExitFailed;
  if (o_.profile && o_.report) rc = std::max(rc, report());
  const double wall_s = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf("\nsweep: %zu runs, %zu failed, %.1f s; runs in %s\n",
              plan_.sweep.size() * plan_.iterations * plan_.variants.size(), failures_.size(),
              wall_s, runs_.c_str());
  for (const auto& f : failures_) std::printf("  failed: %s\n", f.c_str());
  // A signal during the report (no process left to stop) still ends with its code.
  return g_signal != 0 ? 128 + g_signal : rc;
}

// OUT must be new, empty, or an earlier bench output (marker file). An
// earlier output is not deleted: it is renamed OUT.<when it was written>
// (its marker's time; -2, -3... if taken) and *kept names it, so two runs
// never share a folder and none is lost. Nothing else is touched.
Status prepare_out(const std::string& out, std::string* kept) {
  std::error_code ec;
  if (fs::exists(out, ec)) {
    if (!fs::is_directory(out, ec)) return Status::error(out + ": exists and is not a folder");
    const bool ours = fs::exists(out + "/" + kMarker, ec);
    const bool empty = fs::is_empty(out, ec);
    if (!ours && !empty)
      return Status::error(out + ": not empty and not written by heapdrift bench; choose --out");
    if (ours && !empty) {
      const auto written = fs::last_write_time(out + "/" + kMarker, ec);
      const std::time_t t = std::chrono::system_clock::to_time_t(
          std::chrono::file_clock::to_sys(ec ? fs::file_time_type::clock::now() : written));
      std::tm tm{};
      localtime_r(&t, &tm);
      char stamp[32];
      std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
      std::string to = out + "." + stamp;
      for (int n = 2; fs::exists(to, ec) && n < 1000; ++n)
        to = out + "." + stamp + "-" + std::to_string(n);
      fs::rename(out, to, ec);
      if (ec)
        return Status::error(out + ": cannot keep the earlier output as " + to + ": " +
                             ec.message());
      *kept = to;
    }
  }
  fs::create_directories(out, ec);
  if (ec) return Status::error(out + ": " + ec.message());
  std::ofstream(out + "/" + kMarker)
      << "written by heapdrift bench; the next run into this folder renames it OUT.<time>\n";
  return Status::ok();
}

}  // namespace

int run_bench(const BenchOptions& o) {
  // `heapdrift cluster` runs replicas only: it needs no loadgen and no client.
  const bool cluster_only = !o.cluster_command.empty();
  const char* who = cluster_only ? "heapdrift cluster" : "heapdrift bench";
  // Checked before anything is written: a refused bench leaves OUT alone.
  if (o.protocols.size() > 1 && o.allocators.size() > 1) {
    std::fprintf(stderr,
                 "%s: --protocols with several protocols and --allocators with several "
                 "allocators cannot be combined (one comparison per bench: vary one of them)\n",
                 who);
    return kExitUsage;
  }
  for (size_t i = 0; i < o.protocols.size(); ++i) {
    const bool repeated =
        std::find(o.protocols.begin(), o.protocols.begin() + static_cast<std::ptrdiff_t>(i),
                  o.protocols[i]) != o.protocols.begin() + static_cast<std::ptrdiff_t>(i);
    if (!config::known_protocol(o.protocols[i]) || repeated) {
      std::fprintf(stderr, "%s: --protocols: %s %s (curpht, curpho, each once)\n", who,
                   o.protocols[i].c_str(), repeated ? "is given twice" : "is not a protocol");
      return kExitUsage;
    }
  }
  std::error_code ec;
  const std::string out = fs::absolute(o.out_dir, ec).lexically_normal().string();
  const std::string bin = o.bin_dir.empty() ? launcher::program_dir() : o.bin_dir;
  for (const char* prog : {"replica", "loadgen"}) {
    if (cluster_only && std::string(prog) == "loadgen") continue;
    if (access((bin + "/" + prog).c_str(), X_OK) != 0) {
      std::fprintf(stderr, "%s: %s/%s is missing (build it first)\n", who, bin.c_str(), prog);
      return kExitUsage;
    }
  }
  Plan plan;
  plan.explicit_config = !o.config_path.empty();
  if (plan.explicit_config && !fs::exists(o.config_path, ec)) {
    std::fprintf(stderr, "%s: no config file %s\n", who, o.config_path.c_str());
    return kExitUsage;
  }
  const std::string runs =
      o.runs_dir.empty() ? out + "/runs" : fs::absolute(o.runs_dir, ec).lexically_normal().string();
  for (const auto& dir : {out, runs}) {
    if (dir == out + "/runs") continue;  // inside OUT: prepared with it
    std::string kept;
    if (auto st = prepare_out(dir, &kept); !st) {
      std::fprintf(stderr, "%s: %s\n", who, st.message().c_str());
      return kExitUsage;
    }
    if (!kept.empty())
      std::fprintf(stderr, "%s: the earlier output in %s is kept as %s\n", who, dir.c_str(),
                   kept.c_str());
  }
  if (plan.explicit_config) {
    plan.config_path = fs::absolute(o.config_path, ec).lexically_normal().string();
  } else {
    const auto ports = launcher::free_ports("127.0.0.1", 5);
    if (ports.empty()) {
      std::fprintf(stderr, "%s: no free ports on 127.0.0.1\n", who);
      return kExitUsage;
    }
    plan.config_path = out + "/cluster.conf";
    std::ofstream(plan.config_path)
        << launcher::default_config_text(ports, o.sweep, o.cpu_profile || o.allocators.size() > 1);
  }
  auto loaded = config::load_cluster_config(plan.config_path);
  if (!loaded) {
    std::fprintf(stderr, "%s: %s\n", who, loaded.status().message().c_str());
    return kExitUsage;
  }
  plan.config = *loaded;
  if (o.cpu_profile && !plan.config.cpu_profile) {
    std::fprintf(stderr, "%s: --cpu-profile: %s does not set cpuProfile: true; set it there\n", who,
                 plan.config_path.c_str());
    return kExitUsage;
  }
  if (plan.config.replicas.size() < 3 || (plan.config.clients.empty() && !cluster_only)) {
    std::fprintf(stderr, "%s: %s: need >= 3 replicas%s\n", who, plan.config_path.c_str(),
                 cluster_only ? "" : " and >= 1 client");
    return kExitUsage;
  }
  plan.sweep = !o.sweep.empty()                 ? o.sweep
               : !plan.config.ops_sweep.empty() ? plan.config.ops_sweep
                                                : launcher::kDefaultSweep;
  // A length given twice would run twice into the same run folders
  // (ops<N>-it<K>); repeats are what --iterations is for.
  for (size_t i = 0; i < plan.sweep.size(); ++i) {
    const bool repeated =
        std::find(plan.sweep.begin(), plan.sweep.begin() + static_cast<std::ptrdiff_t>(i),
                  plan.sweep[i]) != plan.sweep.begin() + static_cast<std::ptrdiff_t>(i);
    if (plan.sweep[i] == 0 || repeated) {
      std::fprintf(stderr,
                   "%s: sweep %s: run length %llu %s (each length is one run per iteration; "
                   "repeat runs with --iterations)\n",
                   who, launcher::comma_list(plan.sweep).c_str(),
                   static_cast<unsigned long long>(plan.sweep[i]),
                   plan.sweep[i] == 0 ? "is zero" : "is given twice");
      return kExitUsage;
    }
  }
  plan.iterations =
      o.iterations != 0 ? o.iterations : std::max<uint32_t>(1, plan.config.iterations);
  plan.allocators =
      o.allocators.empty() ? std::vector<std::string>{plan.config.allocator} : o.allocators;
  plan.protocols =
      o.protocols.empty() ? std::vector<std::string>{plan.config.protocol} : o.protocols;
  for (const auto& a : plan.allocators)
    for (const auto& p : plan.protocols)
      plan.variants.push_back(
          {a, p, o.protocols.empty() ? "" : p, plan.protocols.size() > 1 ? p : a});
  if (o.cluster_command.empty()) {
    std::printf("heapdrift bench: %s; sweep %s ops x %u iteration(s); allocator(s)",
                plan.config_path.c_str(), launcher::comma_list(plan.sweep).c_str(),
                plan.iterations);
    for (const auto& a : plan.allocators) std::printf(" %s", a.c_str());
    std::printf("; protocol(s)");
    for (const auto& p : plan.protocols) std::printf(" %s", p.c_str());
    std::printf("%s%s; output %s\n", o.plant.empty() ? "" : "; replica plant ", o.plant.c_str(),
                out.c_str());
  }
  std::fflush(stdout);

  SignalScope signals;
  Bench bench(o, std::move(plan), out, runs, bin);
  return o.cluster_command.empty() ? bench.run() : bench.run_with_command(o.cluster_command);
}

}  // namespace hd::bench
