// Local and network-namespace launchers and the process helpers they share.
// Children are started with fork + execvpe and PR_SET_PDEATHSIG, so a killed
// orchestrator does not leave them behind; everything waits with a deadline.
#include "launcher/launcher.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "launcher/spawn.h"

extern char** environ;

namespace hd::launcher {

namespace {

// host: an IPv4 literal, "localhost" or a name resolved to IPv4 (config hosts
// of remote machines are often names).
bool parse_ipv4(const std::string& host, sockaddr_in* out, uint16_t port) {
  std::memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons(port);
  const std::string h = host == "localhost" ? "127.0.0.1" : host;
  if (inet_pton(AF_INET, h.c_str(), &out->sin_addr) == 1) return true;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(h.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return false;
  out->sin_addr = reinterpret_cast<const sockaddr_in*>(res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  return true;
}

bool tcp_connect(const std::string& host, uint16_t port) {
  sockaddr_in a{};
  if (!parse_ipv4(host, &a, port)) return false;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

bool tcp_bindable(const std::string& host, uint16_t port) {
  sockaddr_in a{};
  if (!parse_ipv4(host, &a, port)) return false;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  // Same option as the replica's acceptor: TIME_WAIT leftovers do not count.
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// Runs `fn` inside network namespace `ns` (a forked child that joins it), with
// a 5 s bound. Single-threaded callers only (fork).
template <typename Fn>
bool in_netns(const std::string& ns, Fn fn) {
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    const std::string path = "/var/run/netns/" + ns;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(2);
    _exit(fn() ? 0 : 1);
  }
  int status = 0;
  if (!wait_pid(pid, std::chrono::seconds(5), &status)) {
    kill(pid, SIGKILL);
    wait_pid(pid, std::chrono::seconds(5), &status);
    return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

class LocalLauncher : public Launcher {
 public:
  explicit LocalLauncher(std::vector<std::string> prefix = {}) : prefix_(std::move(prefix)) {}

  std::string describe() const override { return "local"; }

  Result<Process> start(const ProcessSpec& spec) override {
    std::vector<std::string> argv = prefix_;
    argv.push_back(spec.program);
    argv.insert(argv.end(), spec.args.begin(), spec.args.end());
    int fd = -1;  // no log: the caller's stdout and stderr
    if (!spec.log_path.empty()) {
      fd = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0)
        return Status::error(spec.log_path + ": cannot open log: " + std::strerror(errno));
    }
    auto pid = spawn(argv, spec.env, fd);
    if (fd >= 0) close(fd);
    if (!pid) return Status::error(spec.name + ": " + pid.status().message());
    Process p;
    p.name = spec.name;
    p.pid = *pid;
    p.spec = spec;
    return p;
  }

  // The PID is the program's own here (`ip netns exec` execs it): what the
  // kernel accounted at reaping is the program's CPU and peak RSS.
  bool poll(Process& p) override {
    if (p.exited || p.pid <= 0) return true;
    if (wait_pid(p.pid, std::chrono::milliseconds(0), &p.status, &p.usage)) p.exited = true;
    return p.exited;
  }

  void stop(Process& p, std::chrono::milliseconds grace) override {
    if (p.pid <= 0 || p.exited) return;
    kill(p.pid, SIGTERM);
    if (wait_pid(p.pid, grace, &p.status, &p.usage)) {
      p.exited = true;
      return;
    }
    crash(p);
  }

  void crash(Process& p) override {
    if (p.pid <= 0 || p.exited) return;
    kill(p.pid, SIGKILL);
    p.exited = wait_pid(p.pid, std::chrono::seconds(10), &p.status, &p.usage);
  }

 private:
  std::vector<std::string> prefix_;  // e.g. {"ip", "netns", "exec", NS}
};

class NetnsLauncher : public LocalLauncher {
 public:
  explicit NetnsLauncher(std::string ns)
      : LocalLauncher({"ip", "netns", "exec", ns}), ns_(std::move(ns)) {}

  std::string describe() const override { return "netns " + ns_; }
  bool accepting(const std::string& host, uint16_t port) const override {
    return in_netns(ns_, [&] { return tcp_connect(host, port); });
  }
  bool port_free(const std::string& host, uint16_t port) const override {
    return in_netns(ns_, [&] { return tcp_bindable(host, port); });
  }

 private:
  std::string ns_;
};

}  // namespace

int Process::exit_code() const {
  if (!exited) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

bool Launcher::poll(Process& p) {
  if (p.exited) return true;
  if (p.pid <= 0) return true;
  int status = 0;
  const pid_t r = waitpid(p.pid, &status, WNOHANG);
  if (r == p.pid) {
    p.exited = true;
    p.status = status;
  }
  return p.exited;
}

bool Launcher::accepting(const std::string& host, uint16_t port) const {
  return tcp_connect(host, port);
}

bool Launcher::port_free(const std::string& host, uint16_t port) const {
  // Binding here tests this machine only: another machine's address is not
  // bindable here whether or not its port is taken (issue 15).
  if (!port_check_binds_here(host)) return true;
  return tcp_bindable(host, port);
}

std::unique_ptr<Launcher> make_local_launcher() {
  return std::make_unique<LocalLauncher>();
}

std::unique_ptr<Launcher> make_netns_launcher(const std::string& ns) {
  return std::make_unique<NetnsLauncher>(ns);
}

uint16_t free_port(const std::string& host) {
  sockaddr_in a{};
  if (!parse_ipv4(host, &a, 0)) return 0;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    socklen_t len = sizeof a;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

std::vector<uint16_t> free_ports(const std::string& host, size_t count) {
  std::vector<uint16_t> ports;
  // The kernel may hand the same free port out twice: retry, bounded.
  for (size_t tries = 0; ports.size() < count && tries < count * 20; ++tries) {
    const uint16_t p = free_port(host);
    if (p != 0 && std::find(ports.begin(), ports.end(), p) == ports.end()) ports.push_back(p);
  }
  if (ports.size() < count) ports.clear();
  return ports;
}

bool is_local_host(const std::string& host) {
  if (host == "localhost" || host.rfind("127.", 0) == 0) return true;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN] = {};
    const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf) != nullptr && host == buf) found = true;
  }
  freeifaddrs(list);
  return found;
}

bool port_check_binds_here(const std::string& host) {
  return is_local_host(host);
}

std::string program_dir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  const std::string exe(buf, static_cast<size_t>(n));
  const size_t slash = exe.find_last_of('/');
  return slash == std::string::npos ? "." : exe.substr(0, slash);
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

namespace {

// wait4 without blocking; the child's usage into *usage when it was reaped.
pid_t reap(pid_t pid, int* status, ProcessUsage* usage) {
  struct rusage ru {};
  const pid_t r = wait4(pid, status, WNOHANG, &ru);
  if (r == pid && usage != nullptr) {
    const auto us = [](const timeval& t) { return int64_t{t.tv_sec} * 1000000 + t.tv_usec; };
    usage->user_us = us(ru.ru_utime);
    usage->sys_us = us(ru.ru_stime);
    usage->max_rss_kib = ru.ru_maxrss;  // Linux: KiB
  }
  return r;
}

}  // namespace

bool wait_pid(pid_t pid, std::chrono::milliseconds timeout, int* status, ProcessUsage* usage) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int st = 0;
    const pid_t r = reap(pid, &st, usage);
    if (r == pid) {
      if (status != nullptr) *status = st;
      return true;
    }
    if (r < 0 && errno != EINTR) return false;  // not our child (already reaped)
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                std::string* output) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  auto pid = spawn(argv, {}, fds[1]);
  close(fds[1]);
  if (!pid) {
    close(fds[0]);
    if (output != nullptr) *output = pid.status().message();
    return -1;
  }
  // Read until EOF (every writer closed) or the deadline.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string out;
  bool timed_out = false;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    const int n = ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 100)));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    char buf[4096];
    const ssize_t got = read(fds[0], buf, sizeof buf);
    if (got <= 0) break;
    out.append(buf, static_cast<size_t>(got));
  }
  close(fds[0]);
  int status = 0;
  bool exited = !timed_out && wait_pid(*pid, std::chrono::seconds(5), &status);
  if (!exited) {
    kill(*pid, SIGKILL);
    wait_pid(*pid, std::chrono::seconds(5), &status);
  }
  if (output != nullptr) *output = std::move(out);
  if (!exited || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace hd::launcher
