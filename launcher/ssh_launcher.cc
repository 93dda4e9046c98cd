// The ssh launcher: processes on another machine through plain
// `ssh -o BatchMode=yes` (no agent of ours on the host). The remote shell
// starts the program in the background, prints its PID on the first line and
// waits for it, so the local ssh client lives exactly as long as the program
// and its exit code is the program's. Stop = `kill` over ssh by that PID.
// Files move with ssh alone (cat in, tar out): no scp/rsync needed on the host.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "launcher/launcher.h"

namespace hd::launcher {

namespace {

constexpr const char* kPidTag = "heapdrift-remote-pid ";

std::vector<std::string> ssh_argv() {
  const char* env = std::getenv("HEAPDRIFT_SSH");
  std::vector<std::string> argv;
  if (env != nullptr && *env != '\0') {
    std::istringstream in(env);
    for (std::string w; in >> w;) argv.push_back(w);
  }
  if (argv.empty()) argv = {"ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"};
  return argv;
}

std::string parent_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class SshLauncher : public Launcher {
 public:
  SshLauncher(std::string destination, std::string remote_base)
      : destination_(std::move(destination)), remote_base_(std::move(remote_base)) {}

  std::string describe() const override { return "ssh " + destination_; }

  // The port is on the other machine: binding here would test this one. Not
  // checked: a port in use there fails the run at the replica's start (its log
  // says why).
  bool port_free(const std::string& /*host*/, uint16_t /*port*/) const override { return true; }

  std::string remote_path(const std::string& local_path) const override {
    return remote_base_ + (local_path.empty() || local_path[0] != '/' ? "/" : "") + local_path;
  }

  Status stage_file(const std::string& local_path) override {
    const std::string remote = remote_path(local_path);
    std::vector<std::string> argv = ssh_argv();
    argv.push_back(destination_);
    argv.push_back("mkdir -p " + shell_quote(parent_of(remote)) + " && cat > " +
                   shell_quote(remote));
    // stdin of run_command is /dev/null: feed the file through a local shell.
    std::string cmd;
    for (const auto& a : argv) cmd += shell_quote(a) + " ";
    cmd += "< " + shell_quote(local_path);
    std::string out;
    const int rc = run_command({"sh", "-c", cmd}, std::chrono::seconds(30), &out);
    if (rc != 0)
      return Status::error("ssh " + destination_ + ": cannot copy " + local_path + ": " + out);
    return Status::ok();
  }

  Result<Process> start(const ProcessSpec& spec) override {
    std::string script;
    for (const auto& path : collected(spec))
      script += "mkdir -p " + shell_quote(parent_of(remote_path(path))) + " || exit 1; ";
    for (const auto& [k, v] : spec.env) script += k + "=" + shell_quote(v) + " ";
    script += shell_quote(spec.program);
    for (const auto& a : spec.args) script += " " + shell_quote(a);
    script += " </dev/null & echo " + std::string(kPidTag) + "$! >&2; wait $!";
    std::vector<std::string> argv = ssh_argv();
    argv.push_back(destination_);
    argv.push_back(script);
    ProcessSpec local = spec;
    local.program = argv[0];
    local.args.assign(argv.begin() + 1, argv.end());
    local.env.clear();
    auto started = make_local_launcher()->start(local);
    if (!started) return started.status();
    Process p = std::move(started).value();
    p.spec = spec;
    // The remote PID is the first thing the remote shell prints (bounded wait).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (p.remote_pid < 0 && std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(spec.log_path);
      for (std::string line; std::getline(in, line);) {
        const auto at = line.find(kPidTag);
        if (at != std::string::npos) {
          p.remote_pid = std::atoll(line.c_str() + at + std::string(kPidTag).size());
          break;
        }
      }
      if (p.remote_pid >= 0 || poll(p)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (p.remote_pid < 0) {
      stop(p, std::chrono::seconds(1));
      return Status::error(spec.name + ": ssh " + destination_ +
                           " did not report the remote PID; see " + spec.log_path);
    }
    return p;
  }

  void stop(Process& p, std::chrono::milliseconds grace) override {
    if (p.pid <= 0 || poll(p)) return;
    if (p.remote_pid > 0) remote_kill("TERM", p.remote_pid);
    if (wait_pid(p.pid, grace, &p.status)) {
      p.exited = true;
      return;
    }
    kill_and_reap(p);
  }

  void crash(Process& p) override {
    if (p.pid <= 0 || poll(p)) return;
    kill_and_reap(p);
  }

  Status collect(const Process& p) override {
    for (const auto& path : collected(p.spec)) {
      const std::string remote = remote_path(path);
      std::string cmd;
      for (const auto& w : ssh_argv()) cmd += shell_quote(w) + " ";
      cmd += shell_quote(destination_) + " " +
             shell_quote("tar -C " + shell_quote(parent_of(remote)) + " -cf - " +
                         shell_quote(base_of(remote))) +
             " | tar -C " + shell_quote(parent_of(path)) + " -xf -";
      std::string out;
      const int rc =
          run_command({"sh", "-c", "mkdir -p " + shell_quote(parent_of(path)) + " && " + cmd},
                      std::chrono::minutes(5), &out);
      if (rc != 0)
        return Status::error(p.name + ": cannot collect " + destination_ + ":" + remote + ": " +
                             out);
    }
    return Status::ok();
  }

  void cleanup() override {
    // Only ever a folder of ours (make_ssh_launcher's contract), never "/".
    if (remote_base_.find("heapdrift") == std::string::npos) return;
    std::vector<std::string> argv = ssh_argv();
    argv.push_back(destination_);
    argv.push_back("rm -rf " + shell_quote(remote_base_));
    run_command(argv, std::chrono::seconds(30));
  }

 private:
  // SIGKILL the remote process (the ssh session then ends), else the local
  // ssh client; reaps the local PID.
  void kill_and_reap(Process& p) {
    if (p.remote_pid > 0) remote_kill("KILL", p.remote_pid);
    if (wait_pid(p.pid, std::chrono::seconds(5), &p.status)) {
      p.exited = true;
      return;
    }
    kill(p.pid, SIGKILL);  // the local ssh client
    p.exited = wait_pid(p.pid, std::chrono::seconds(5), &p.status);
  }
  // The run folder and the other outputs of a process: what collect() copies.
  static std::vector<std::string> collected(const ProcessSpec& spec) {
    std::vector<std::string> paths = spec.outputs;
    if (!spec.run_dir.empty()) paths.insert(paths.begin(), spec.run_dir);
    return paths;
  }

  void remote_kill(const char* sig, int64_t pid) {
    std::vector<std::string> argv = ssh_argv();
    argv.push_back(destination_);
    argv.push_back(std::string("kill -") + sig + " " + std::to_string(pid) + " 2>/dev/null");
    run_command(argv, std::chrono::seconds(15));
  }

  std::string destination_;
  std::string remote_base_;
};

}  // namespace

std::unique_ptr<Launcher> make_ssh_launcher(const std::string& destination,
                                            const std::string& remote_base) {
  return std::make_unique<SshLauncher>(destination, remote_base);
}

}  // namespace hd::launcher
