// TestCluster: temporary configs and replica processes for integration tests.
// Every wait here is bounded; every process started is reaped by PID.
#include "integration/cluster_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "launcher/launcher.h"

extern char** environ;

namespace hd::test {

namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

pid_t spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::string& log_path) {
  std::vector<std::string> argv_s;
  argv_s.push_back(binary);
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, binary.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

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

TestCluster::TestCluster(uint32_t n, const std::string& extra_config) : pids_(n, -1) {
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
  out << "\nprotocol: curpht\n" << extra_config << "\n";
  out.close();
  auto loaded = config::load_cluster_config(config_path_);
  if (loaded.is_ok()) {
    config_ = loaded.value();
  } else {
    std::fprintf(stderr, "TestCluster: %s\n", loaded.status().message().c_str());
  }
}

TestCluster::~TestCluster() {
  for (uint32_t i = 0; i < pids_.size(); ++i) {
    if (pids_[i] > 0) kill9(i);
  }
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

bool TestCluster::start(uint32_t i, const std::vector<std::string>& extra_args) {
  if (i >= pids_.size() || pids_[i] > 0) return false;
  std::vector<std::string> args = {"--config", config_path_, "--alias",
                                   "replica" + std::to_string(i)};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pids_[i] = spawn(bin_path("replica"), args, log_path(i));
  return pids_[i] > 0;
}

bool TestCluster::start_all(std::chrono::milliseconds timeout) {
  for (uint32_t i = 0; i < pids_.size(); ++i) {
    if (!start(i)) return false;
  }
  for (uint32_t i = 0; i < pids_.size(); ++i) {
    if (!wait_accepting(i, timeout)) return false;
  }
  return true;
}

bool TestCluster::wait_accepting(uint32_t i, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pids_[i] > 0) {
      int status = 0;
      if (waitpid(pids_[i], &status, WNOHANG) == pids_[i]) {
        pids_[i] = -1;  // it died (e.g. port taken): report failure now
        return false;
      }
    }
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(port(i));
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void TestCluster::kill9(uint32_t i) {
  if (pids_[i] <= 0) return;
  kill(pids_[i], SIGKILL);
  wait_exit(pids_[i], std::chrono::seconds(5));
  pids_[i] = -1;
}

int TestCluster::signal_and_wait(uint32_t i, int signo, std::chrono::milliseconds timeout) {
  if (pids_[i] <= 0) return -1;
  kill(pids_[i], signo);
  const int status = wait_exit(pids_[i], timeout);
  if (status == -1) {
    kill9(i);
    return -1;
  }
  pids_[i] = -1;
  return status;
}

int run_to_exit(const std::string& binary, const std::vector<std::string>& args,
                std::chrono::milliseconds timeout, std::string* output) {
  char tmpl[] = "/tmp/hd-integration-out-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) return -1;
  close(fd);
  const pid_t pid = spawn(binary, args, tmpl);
  if (pid <= 0) {
    unlink(tmpl);
    return -1;
  }
  int status = wait_exit(pid, timeout);
  if (status == -1) {
    kill(pid, SIGKILL);
    wait_exit(pid, std::chrono::seconds(5));
  }
  if (output != nullptr) *output = read_file(tmpl);
  unlink(tmpl);
  return status;
}

}  // namespace hd::test
