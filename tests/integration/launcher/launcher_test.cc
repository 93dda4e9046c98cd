// Launchers with real processes: the local launcher starts a replica, sees it
// accept connections, stops it by PID; the ssh launcher does the same through
// a stand-in `ssh` (HEAPDRIFT_SSH) that runs the command locally, which checks
// the remote command line, the remote PID, staging and collecting the run
// folder; spawn errors are reported, not turned into exit 127 later.
#include "launcher/launcher.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/cluster_harness.h"

namespace fs = std::filesystem;
namespace hl = hd::launcher;

namespace {

std::string temp_dir(const char* tag) {
  std::string dir = hd::test::make_temp_dir("hd-launcher-" + std::string(tag));
  REQUIRE(!dir.empty());
  return dir;
}

std::string write_config(const std::string& dir, const std::vector<uint16_t>& ports) {
  const std::string path = dir + "/cluster.conf";
  std::ofstream out(path);
  out << "-- Replicas --\n";
  for (size_t i = 0; i < 3; ++i) out << "replica" << i << " 127.0.0.1:" << ports[i] << "\n";
  out << "protocol: curpht\nsnapshotIntervalMs: 20\n";
  return path;
}

bool wait_accepting(hl::Launcher& l, hl::Process& p, uint16_t port) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (l.poll(p)) return false;
    if (l.accepting("127.0.0.1", port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST_CASE("launcher: local start, readiness by connect, stop by PID") {
  const std::string dir = temp_dir("local");
  const auto ports = hl::free_ports("127.0.0.1", 3);
  REQUIRE(ports.size() == 3);
  const std::string conf = write_config(dir, ports);
  auto l = hl::make_local_launcher();
  CHECK(l->port_free("127.0.0.1", ports[0]));
  hl::ProcessSpec spec;
  spec.name = "replica0";
  spec.program = hd::test::bin_path("replica");
  spec.args = {"--config", conf, "--alias", "replica0"};
  spec.log_path = dir + "/replica0.log";
  auto p = l->start(spec);
  REQUIRE(p.is_ok());
  CHECK(p->pid > 0);
  CHECK(wait_accepting(*l, *p, ports[0]));
  CHECK(!l->port_free("127.0.0.1", ports[0]));
  CHECK(kill(p->pid, 0) == 0);
  l->stop(*p, std::chrono::seconds(10));
  CHECK(p->exited);
  CHECK(p->exit_code() == 0);  // SIGTERM: a clean shutdown
  CHECK(kill(p->pid, 0) == -1);

  // A program that ignores SIGTERM is SIGKILLed after the grace period.
  hl::ProcessSpec stubborn;
  stubborn.name = "stubborn";
  stubborn.program = "sh";
  stubborn.args = {"-c", "trap '' TERM; sleep 30"};
  stubborn.log_path = dir + "/stubborn.log";
  auto s = l->start(stubborn);
  REQUIRE(s.is_ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the trap be set
  const auto t0 = std::chrono::steady_clock::now();
  l->stop(*s, std::chrono::milliseconds(300));
  CHECK(s->exited);
  CHECK(s->exit_code() == 128 + SIGKILL);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));

  // A missing program is an error at start.
  hl::ProcessSpec missing = spec;
  missing.program = dir + "/no-such-program";
  auto m = l->start(missing);
  REQUIRE(!m.is_ok());
  CHECK(m.status().message().find("No such file") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("launcher: ssh through a stand-in ssh: remote PID, stage, stop, collect") {
  const std::string dir = temp_dir("ssh");
  const std::string fake = hd::test::write_stand_in_ssh(dir);
  REQUIRE(setenv("HEAPDRIFT_SSH", (fake + " -o BatchMode=yes").c_str(), 1) == 0);
  const auto ports = hl::free_ports("127.0.0.1", 3);
  REQUIRE(ports.size() == 3);
  const std::string conf = write_config(dir, ports);
  const std::string remote_base = dir + "/remote-heapdrift";
  auto l = hl::make_ssh_launcher("somebody@host", remote_base);
  CHECK(l->remote_path(conf) == remote_base + conf);
  REQUIRE(l->stage_file(conf).is_ok());
  CHECK(fs::exists(remote_base + conf));

  hl::ProcessSpec spec;
  spec.name = "replica0";
  spec.program = hd::test::bin_path("replica");
  spec.run_dir = dir + "/runs/replica0";
  spec.args = {"--config", l->remote_path(conf), "--alias",
               "replica0", "--run-dir",          l->remote_path(spec.run_dir)};
  spec.log_path = dir + "/replica0.log";
  auto p = l->start(spec);
  REQUIRE_MESSAGE(p.is_ok(), (p.is_ok() ? "" : p.status().message()));
  CHECK(p->remote_pid > 0);
  CHECK(p->remote_pid != p->pid);
  CHECK(wait_accepting(*l, *p, ports[0]));
  const auto remote_pid = static_cast<pid_t>(p->remote_pid);
  CHECK(kill(remote_pid, 0) == 0);
  l->stop(*p, std::chrono::seconds(10));
  CHECK(p->exited);
  CHECK(p->exit_code() == 0);  // the remote program's exit code, through ssh
  CHECK(kill(remote_pid, 0) == -1);
  CHECK(!fs::exists(spec.run_dir));
  REQUIRE(l->collect(*p).is_ok());
  CHECK(fs::exists(spec.run_dir + "/meta.json"));
  CHECK(fs::exists(spec.run_dir + "/snapshots.jsonl"));
  l->cleanup();
  CHECK(!fs::exists(remote_base));
  unsetenv("HEAPDRIFT_SSH");
  fs::remove_all(dir);
}
