// Launcher: starts the processes of a benchmark on a host, tells when they
// listen, stops them by PID and brings their run folders home. One interface,
// three ways to reach a host: this machine (local), a network namespace of this
// machine (`ip netns exec`), another machine (`ssh -o BatchMode=yes`).
// Not thread-safe: one orchestrating thread drives a launcher and its processes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace hd::launcher {

// What to start. Paths are as the orchestrator sees them; a remote launcher
// maps them with remote_path() for the process.
struct ProcessSpec {
  std::string name;     // "replica0": messages only
  std::string program;  // executable; the same absolute path on every host
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // added to the inherited environment
  std::string run_dir;  // the process's run folder ("" = none); collect() brings it home
  std::vector<std::string> outputs;  // other paths it writes (result files); collected too
  std::string log_path;              // stdout and stderr of the process (local file, appended);
                                     // "" on this machine: the orchestrator's own
};

// A started process. `pid` is a local PID this orchestrator owns: the program
// itself (local, netns) or its ssh client (ssh, where `remote_pid` is the
// program's PID on the host).
// What the kernel accounted to a child when it was reaped (wait4): its CPU
// over its whole life and its peak RSS. Known only where the PID reaped is
// the program's own (local, netns); through ssh it would be the ssh client's.
struct ProcessUsage {
  int64_t user_us = -1;
  int64_t sys_us = -1;
  int64_t max_rss_kib = -1;
  bool known() const { return user_us >= 0; }
};

struct Process {
  std::string name;
  pid_t pid = -1;
  int64_t remote_pid = -1;
  bool exited = false;
  int status = 0;      // waitpid status, valid when exited
  ProcessUsage usage;  // set when exited, where the launcher knows it
  ProcessSpec spec;

  bool running() const { return pid > 0 && !exited; }
  // Exit code when it exited normally, 128 + signal when killed, -1 while running.
  int exit_code() const;
};

class Launcher {
 public:
  virtual ~Launcher() = default;

  // "local", "netns hd-a", "ssh user@host": for messages.
  virtual std::string describe() const = 0;
  // The path a process on this host uses for a local path (config, run folder).
  virtual std::string remote_path(const std::string& local_path) const { return local_path; }
  // Makes a local file (a config) available at remote_path(local_path) on the host.
  virtual Status stage_file(const std::string& /*local_path*/) { return Status::ok(); }

  // Starts the program; its stdout/stderr go to spec.log_path.
  virtual Result<Process> start(const ProcessSpec& spec) = 0;
  // Non-blocking: true once the process has exited (status recorded).
  virtual bool poll(Process& p);
  // SIGTERM, up to `grace` for it to exit, then SIGKILL; always reaps the
  // local PID. Safe on a process that already exited.
  virtual void stop(Process& p, std::chrono::milliseconds grace) = 0;
  // SIGKILL at once (a crash: no shutdown work, no end snapshot) and reap.
  virtual void crash(Process& p) = 0;
  // Copies the process's run folder home (remote hosts); no-op on this machine.
  virtual Status collect(const Process& /*p*/) { return Status::ok(); }
  // Readiness: a TCP connection to host:port as seen from this host succeeds.
  virtual bool accepting(const std::string& host, uint16_t port) const;
  // Whether host:port can be bound on this host now (false: in use). True,
  // unchecked, when host is not this machine (port_check_binds_here): its
  // port cannot be checked by binding here.
  virtual bool port_free(const std::string& host, uint16_t port) const;
  // Removes what the launcher left on the host (remote staging folder).
  virtual void cleanup() {}
};

std::unique_ptr<Launcher> make_local_launcher();
// Every process runs inside `ip netns exec NS` (the namespace must exist).
std::unique_ptr<Launcher> make_netns_launcher(const std::string& ns);
// Processes run on `destination` (ssh's [user@]host) under `remote_base`
// (e.g. /tmp/heapdrift-bench-PID), which mirrors local absolute paths. The ssh
// command is `ssh -o BatchMode=yes` unless HEAPDRIFT_SSH names another
// (space-separated argv; tests use a stand-in that runs the command locally).
std::unique_ptr<Launcher> make_ssh_launcher(const std::string& destination,
                                            const std::string& remote_base);

// --- helpers shared by the launchers, the bench and the tests ---

// A port that was free on `host` (IPv4 literal) a moment ago; 0 if none.
uint16_t free_port(const std::string& host = "127.0.0.1");
// `count` distinct free ports on host; empty on failure.
std::vector<uint16_t> free_ports(const std::string& host, size_t count);
// True if `host` is this machine: 127.0.0.0/8, localhost, or an address of a
// local interface.
bool is_local_host(const std::string& host);
// Whether a free-port check of host may bind the address on this machine:
// only for this machine's addresses (is_local_host). Any other address would
// fail to bind here (EADDRNOTAVAIL) and read as "in use".
bool port_check_binds_here(const std::string& host);
// The folder of the running program (/proc/self/exe), where heapdrift finds
// its sibling programs (replica, loadgen) and the preload library; "." if
// unknown.
std::string program_dir();
// Single-quotes `s` for a POSIX shell.
std::string shell_quote(const std::string& s);
// Runs argv to completion (bounded by timeout; SIGKILLed after it), output
// (stdout+stderr) into *output if given. Returns the exit code, -1 on timeout
// or spawn failure.
int run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                std::string* output = nullptr);
// Waits for `pid` (a child of this process) up to `timeout`; true and
// *status (and *usage, if given) set if it exited.
bool wait_pid(pid_t pid, std::chrono::milliseconds timeout, int* status,
              ProcessUsage* usage = nullptr);

}  // namespace hd::launcher
