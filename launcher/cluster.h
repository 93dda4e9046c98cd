// Cluster: the processes of one run of a config — its replicas, and whatever
// else the run starts beside them (loadgens, a user's client) — each started
// through the Launcher of its host (local, `ip netns exec`, ssh). The one way
// heapdrift starts, watches, crashes, stops and collects a cluster: used by
// `heapdrift bench`, `heapdrift cluster`, the integration tests' TestCluster
// and, through `heapdrift bench`, the golden-run recorder.
// Not thread-safe: one orchestrating thread (children get PR_SET_PDEATHSIG
// from the thread that started them).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "launcher/launcher.h"
#include "replica/config/cluster_config.h"

namespace hd::launcher {

// How config hosts that are not reached directly are reached.
struct HostRoutes {
  std::vector<std::pair<std::string, std::string>> netns;  // config host -> network namespace
  std::vector<std::pair<std::string, std::string>> ssh;    // config host -> ssh destination
};

// How replicas are started.
struct ReplicaLaunch {
  std::string program;    // the replica binary (same absolute path on every host)
  std::string allocator;  // --allocator; "" = the config's (no flag)
  std::string protocol;   // --protocol; "" = the config's (no flag)
  std::string plant;      // --plant; "" = none
  std::string run_dir;    // run folders go to RUN_DIR/<alias>; "" = not recorded
  std::string log_dir;    // stdout+stderr go to LOG_DIR/<alias>.log (appended)
  std::vector<std::string> extra_args;
};

class Cluster {
 public:
  // `config_path` is the file `config` was read from (absolute: processes on
  // other hosts get it at the same path, staged by prepare()).
  Cluster(config::ClusterConfig config, std::string config_path, HostRoutes routes = {});
  // SIGKILLs and reaps whatever still runs.
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const config::ClusterConfig& config() const { return config_; }
  const std::string& config_path() const { return config_path_; }
  size_t replica_count() const { return replicas_.size(); }

  // The launcher of a config host (made on first use: --netns and --ssh
  // routes first, then local for this machine's addresses, else ssh).
  Launcher& launcher_for(const std::string& host);

  // Checks that every replica's port is free on its host (an explicit
  // config's ports are the user's to free: the error names the config line)
  // and stages the config on every host.
  Status prepare();

  // Starts replica i without waiting for it. Precondition: not running.
  Status start_replica(size_t i, const ReplicaLaunch& how);
  // Starts every replica, then wait_ready.
  Status start_replicas(const ReplicaLaunch& how, std::chrono::milliseconds timeout,
                        const std::function<bool()>& interrupted = {});
  // Until every started replica accepts connections; an error if one exits
  // first (naming its exit code and the tail of its log), on timeout, or
  // when `interrupted` returns true.
  Status wait_ready(std::chrono::milliseconds timeout,
                    const std::function<bool()>& interrupted = {});
  // The same for replica i alone (e.g. after restarting it). Precondition:
  // replica_started(i).
  Status wait_replica_ready(size_t i, std::chrono::milliseconds timeout);
  // True after wait_ready failed because a replica exited with code 2: it
  // rejected its flags or the config, so every further start would fail too.
  bool replica_rejected_arguments() const { return rejected_arguments_; }

  // Any other process of the run, on `host`; stopped before the replicas.
  // The pointer stays valid until forget().
  Result<Process*> start(const std::string& host, const ProcessSpec& spec);

  bool replica_started(size_t i) const { return replicas_.at(i).launcher != nullptr; }
  // Precondition: replica_started(i).
  Process& replica(size_t i);
  // Non-blocking: true once `p` exited (status recorded).
  bool poll(Process& p);
  // SIGKILL at once and reap: a crash.
  void crash(Process& p);
  // SIGTERM, `grace` to exit (a recording process writes its end profile),
  // then SIGKILL.
  void stop(Process& p, std::chrono::milliseconds grace);
  // Stops every process, the last started first (clients before the replicas
  // they talk to). Their exit codes stay readable until forget().
  void stop_all(std::chrono::milliseconds grace);
  // Drops the stopped processes of a run, so the next run starts afresh.
  // Precondition: every process exited (stop_all).
  void forget();
  // Brings every process's run folder and outputs home (remote hosts).
  Status collect_all();
  // processes.tsv at `path`: per process of the run (replicas, then the
  // others in start order) its exit code, CPU and peak RSS as reaped ("-"
  // where the launcher cannot know them: ssh). For comparing runs by the CPU
  // they cost, with or without profiling: no run folder needed.
  Status write_usage(const std::string& path) const;
  // Removes what the launchers left on their hosts.
  void cleanup();

 private:
  struct Member {
    Launcher* launcher = nullptr;  // null: not started
    Process process;
  };
  struct Host {
    std::string name;
    std::unique_ptr<Launcher> launcher;
  };
  Member& member_of(const Process& p);
  // wait_ready over the started replicas `which`.
  Status wait_accepting(const std::vector<size_t>& which, std::chrono::milliseconds timeout,
                        const std::function<bool()>& interrupted);

  config::ClusterConfig config_;
  std::string config_path_;
  HostRoutes routes_;
  std::vector<Host> hosts_;
  std::vector<Member> replicas_;  // by config index
  std::deque<Member> others_;     // in start order (deque: stable addresses)
  bool rejected_arguments_ = false;
};

// The last `lines` lines of a log file, each indented, for error messages.
std::string tail_of(const std::string& path, size_t lines);

}  // namespace hd::launcher
