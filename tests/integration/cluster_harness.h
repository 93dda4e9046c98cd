// Test harness for integration tests: a temporary 3-replica config on free
// 127.0.0.1 ports and real `replica` processes (HEAPDRIFT_BIN_DIR/replica),
// started, crashed and stopped through launcher::Cluster (as `heapdrift bench`
// does), killed by PID when the harness is destroyed, also when a test fails.
// Not thread-safe: use a TestCluster from the test's main thread only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "launcher/cluster.h"
#include "replica/config/cluster_config.h"

namespace hd::test {

// A port that was free on 127.0.0.1 a moment ago (launcher::free_port).
uint16_t free_port();

// A new folder /tmp/PREFIX-XXXXXX; "" if it could not be made.
std::string make_temp_dir(const std::string& prefix);

// Writes DIR/fake-ssh, a stand-in for ssh that drops ssh's options and the
// destination and runs the command here (as sshd would on the host), and
// returns its path; for HEAPDRIFT_SSH (launcher/launcher.h).
std::string write_stand_in_ssh(const std::string& dir);

class TestCluster {
 public:
  // Writes the config (n replicas on free ports + `extra_config` lines,
  // `protocol: curpht` unless they set `protocol:`) into a fresh temporary
  // folder. Starts nothing.
  explicit TestCluster(uint32_t n = 3, const std::string& extra_config = "");
  // SIGKILLs and reaps every replica still running; removes the folder unless
  // HD_KEEP_TEST_DIRS is set in the environment.
  ~TestCluster();
  TestCluster(const TestCluster&) = delete;
  TestCluster& operator=(const TestCluster&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& config_path() const { return config_path_; }
  const config::ClusterConfig& config() const { return config_; }
  uint16_t port(uint32_t i) const { return config_.replicas[i].port; }

  // Spawns replica i (stdout+stderr appended to log_path(i)). False if spawn failed.
  bool start(uint32_t i, const std::vector<std::string>& extra_args = {});
  // Starts every replica and waits until each accepts connections.
  bool start_all(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Until replica i (started) accepts connections, up to `timeout`; false if
  // it was not started or exits first (Cluster::wait_replica_ready).
  bool wait_accepting(uint32_t i, std::chrono::milliseconds timeout);
  // Started, and not (yet) seen to exit.
  bool running(uint32_t i) const;
  pid_t pid(uint32_t i) const;

  // SIGKILL + reap.
  void kill9(uint32_t i);
  // Sends `signo` and waits up to `timeout` for exit. Returns the exit status
  // (as from waitpid) or -1 if it did not exit in time (it is then SIGKILLed).
  int signal_and_wait(uint32_t i, int signo, std::chrono::milliseconds timeout);

  std::string log_path(uint32_t i) const;
  std::string log_text(uint32_t i) const;

 private:
  std::string dir_;
  std::string config_path_;
  config::ClusterConfig config_;
  std::unique_ptr<launcher::Cluster> cluster_;
};

// Runs `binary args...` to completion (bounded by `timeout`), stderr+stdout
// into `output`. Returns the exit status from waitpid, or -1 on timeout.
int run_to_exit(const std::string& binary, const std::vector<std::string>& args,
                std::chrono::milliseconds timeout, std::string* output);

// Path of a program built by this project.
std::string bin_path(const std::string& name);

}  // namespace hd::test
