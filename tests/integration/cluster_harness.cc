// TestCluster: temporary configs and replica processes for integration tests,
// through launcher::Cluster. Every wait here is bounded; every process started
// is reaped by PID.
#include "integration/cluster_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "launcher/launcher.h"
#include "launcher/spawn.h"

namespace hd::test {

namespace {

// waitpid with a deadline; returns the status or -1 on timeout.
int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  int status = 0;
  return launcher::wait_pid(pid, timeout, &status) ? status : -1;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string bin_path(const std::string& name) {
  return std::string(HEAPDRIFT_BIN_DIR) + "/" + name;
}

uint16_t free_port() {
  return launcher::free_port("127.0.0.1");
}

std::string make_temp_dir(const std::string& prefix) {
  std::string t = "/tmp/" + prefix + "-XXXXXX";
  return mkdtemp(t.data()) != nullptr ? t : std::string();
}

std::string write_stand_in_ssh(const std::string& dir) {
  const std::string path = dir + "/fake-ssh";
  std::ofstream(path) << "#!/bin/sh\n"
                         "while [ $# -gt 0 ]; do case \"$1\" in -o) shift 2;; -*) shift;; "
                         "*) break;; esac; done\n"
                         "shift\nexec sh -c \"$*\"\n";
  chmod(path.c_str(), 0755);
  return path;
}

TestCluster::TestCluster(uint32_t n, const std::string& extra_config) {
  char tmpl[] = "/tmp/hd-integration-XXXXXX";
  const char* d = mkdtemp(tmpl);
  dir_ = d != nullptr ? d : "/tmp";
  config_path_ = dir_ + "/cluster.conf";
  std::ofstream out(config_path_);
  out << "// written by tests/integration/cluster_harness.cc\n-- Replicas --\n";
  const std::vector<uint16_t> ports = launcher::free_ports("127.0.0.1", n);
  for (uint32_t i = 0; i < n; ++i) {
    out << "replica" << i << " 127.0.0.1:" << (i < ports.size() ? ports[i] : 0) << "\n";
  }
  // CURP-HT unless the extra lines name a protocol (a key given twice is an error).
  out << "\n";
  if (extra_config.find("protocol:") == std::string::npos) out << "protocol: curpht\n";
  out << extra_config << "\n";
  out.close();
  auto loaded = config::load_cluster_config(config_path_);
  if (loaded.is_ok()) {
    config_ = loaded.value();
  } else {
    std::fprintf(stderr, "TestCluster: %s\n", loaded.status().message().c_str());
  }
  cluster_ = std::make_unique<launcher::Cluster>(config_, config_path_);
}

TestCluster::~TestCluster() {
  cluster_.reset();  // SIGKILLs and reaps every replica still running
  if (std::getenv("HD_KEEP_TEST_DIRS") == nullptr && dir_.rfind("/tmp/hd-integration-", 0) == 0) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string TestCluster::log_path(uint32_t i) const {
  return dir_ + "/replica" + std::to_string(i) + ".log";
}

std::string TestCluster::log_text(uint32_t i) const {
  return read_file(log_path(i));
}

bool TestCluster::running(uint32_t i) const {
  return i < cluster_->replica_count() && cluster_->replica_started(i) &&
         !cluster_->replica(i).exited;
}

pid_t TestCluster::pid(uint32_t i) const {
  return running(i) ? cluster_->replica(i).pid : -1;
}

bool TestCluster::start(uint32_t i, const std::vector<std::string>& extra_args) {
  if (i >= cluster_->replica_count() || running(i)) return false;
  launcher::ReplicaLaunch how;
  how.program = bin_path("replica");
  how.log_dir = dir_;
  how.extra_args = extra_args;
  const Status st = cluster_->start_replica(i, how);
  if (!st) std::fprintf(stderr, "TestCluster: %s\n", st.message().c_str());
  return st.is_ok();
}

bool TestCluster::start_all(std::chrono::milliseconds timeout) {
  for (uint32_t i = 0; i < cluster_->replica_count(); ++i) {
    if (!start(i)) return false;
  }
  const Status st = cluster_->wait_ready(timeout);
  if (!st) std::fprintf(stderr, "TestCluster: %s\n", st.message().c_str());
  return st.is_ok();
}

bool TestCluster::wait_accepting(uint32_t i, std::chrono::milliseconds timeout) {
  if (i >= cluster_->replica_count() || !cluster_->replica_started(i)) return false;
  const Status st = cluster_->wait_replica_ready(i, timeout);
  if (!st) std::fprintf(stderr, "TestCluster: %s\n", st.message().c_str());
  return st.is_ok();
}

void TestCluster::kill9(uint32_t i) {
  if (running(i)) cluster_->crash(cluster_->replica(i));
}

int TestCluster::signal_and_wait(uint32_t i, int signo, std::chrono::milliseconds timeout) {
  if (!running(i)) return -1;
  launcher::Process& p = cluster_->replica(i);
  kill(p.pid, signo);
  if (!launcher::wait_pid(p.pid, timeout, &p.status)) {
    cluster_->crash(p);
    return -1;
  }
  p.exited = true;
  return p.status;
}

int run_to_exit(const std::string& binary, const std::vector<std::string>& args,
                std::chrono::milliseconds timeout, std::string* output) {
  char tmpl[] = "/tmp/hd-integration-out-XXXXXX";
  const int fd = mkostemp(tmpl, O_CLOEXEC);
  if (fd < 0) return -1;
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), args.begin(), args.end());
  const Result<pid_t> pid = launcher::spawn(argv, {}, fd, launcher::ChildStdin::kInherit);
  close(fd);
  if (!pid) {
    unlink(tmpl);
    return -1;
  }
  int status = wait_exit(*pid, timeout);
  if (status == -1) {
    kill(*pid, SIGKILL);
    wait_exit(*pid, std::chrono::seconds(5));
  }
  if (output != nullptr) *output = read_file(tmpl);
  unlink(tmpl);
  return status;
}

}  // namespace hd::test
