// External op counts: see external_ops.h.
#include "memprof/external_ops.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "base/regex.h"

namespace hd::memprof {
namespace {

constexpr size_t kMaxOutput = 64 * 1024;

int64_t unix_us() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);  // the clock of snapshots.jsonl's unix_ms
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

int64_t mono_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A run of decimal digits as a count; false on overflow past int64 (the
// snapshots' op counts are int64).
bool parse_digits(std::string_view d, uint64_t* out) {
  uint64_t v = 0;
  for (const char c : d) {
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (static_cast<uint64_t>(INT64_MAX) - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = v;
  return true;
}

std::string first_line(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

}  // namespace

Status check_ops_regex(const std::string& regex) {
  try {
    const std::regex re(regex, std::regex::ECMAScript);
    if (re.mark_count() != 1)
      return Status::error("--ops-regex '" + regex +
                           "' must have exactly one capture group (it has " +
                           std::to_string(re.mark_count()) + ")");
  } catch (const std::regex_error& e) {
    return Status::error("--ops-regex '" + regex +
                         "' is not a valid regular expression: " + e.what());
  }
  return Status::ok();
}

Result<uint64_t> extract_count(std::string_view text, const std::string& regex) {
  std::string_view digits;
  if (regex.empty()) {
    const size_t b = text.find_first_of("0123456789");
    if (b == std::string_view::npos) return Status::error("no number in the output");
    size_t e = b;
    while (e < text.size() && text[e] >= '0' && text[e] <= '9') ++e;
    digits = text.substr(b, e - b);
  } else {
    Status st = check_ops_regex(regex);
    if (!st) return st;
    const std::regex re(regex, std::regex::ECMAScript);
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_search(text.begin(), text.end(), m, re))
      return Status::error("--ops-regex '" + regex + "' does not match the output");
    if (!m[1].matched)
      return Status::error("--ops-regex '" + regex + "': the group matched nothing");
    std::string_view g = text.substr(static_cast<size_t>(m[1].first - text.begin()),
                                     static_cast<size_t>(m[1].length()));
    while (!g.empty() && (g.front() == ' ' || g.front() == '\t')) g.remove_prefix(1);
    while (!g.empty() && (g.back() == ' ' || g.back() == '\t' || g.back() == '\r'))
      g.remove_suffix(1);
    if (g.empty() || g.find_first_not_of("0123456789") != std::string_view::npos)
      return Status::error("--ops-regex '" + regex + "' captured '" + std::string(g) +
                           "', not a non-negative integer");
    digits = g;
  }
  uint64_t v = 0;
  if (!parse_digits(digits, &v))
    return Status::error("the number " + std::string(digits.substr(0, 40)) + " is too large");
  return v;
}

Result<std::string> run_command_capture(const std::string& command, uint32_t timeout_ms) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Status::error(std::string("pipe: ") + strerror(errno));
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return Status::error(std::string("pipe: ") + strerror(errno));
  }
  const pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {out[0], out[1], err[0], err[1]}) close(fd);
    return Status::error(std::string("fork: ") + strerror(errno));
  }
  if (pid == 0) {
    setpgid(0, 0);            // so a timeout kills the shell and what it started
    signal(SIGINT, SIG_DFL);  // heapdrift run ignores it; exec would keep that
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);  // also here: no race with the kill below
  close(out[1]);
  close(err[1]);
  std::string stdout_text, stderr_text;
  const int64_t deadline = mono_ms() + timeout_ms;
  bool timed_out = false;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {  // bounded by the deadline
    const int64_t left = deadline - mono_ms();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    const int n = ::poll(fds, 2, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t got = read(fds[i].fd, buf, sizeof(buf));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      std::string& dst = i == 0 ? stdout_text : stderr_text;
      if (dst.size() < kMaxOutput)
        dst.append(buf, std::min(static_cast<size_t>(got), kMaxOutput - dst.size()));
    }
  }
  for (const pollfd& p : fds)
    if (p.fd >= 0) close(p.fd);
  // Closed pipes do not mean the command ended (`exec >/dev/null; sleep
  // 99` closes them at once): the deadline holds for the wait too.
  int status = 0;
  for (;;) {
    if (timed_out) {
      kill(-pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) break;
    if (mono_ms() >= deadline) {
      timed_out = true;
      continue;
    }
    usleep(1000);
  }
  if (timed_out)
    return Status::error("`" + command + "` did not finish within " + std::to_string(timeout_ms) +
                         " ms (killed; --ops-timeout-ms)");
  const std::string why = stderr_text.empty() ? "" : " (stderr: " + first_line(stderr_text) + ")";
  if (WIFSIGNALED(status))
    return Status::error("`" + command + "` was killed by signal " +
                         std::to_string(WTERMSIG(status)) + why);
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    return Status::error("`" + command + "` exited with status " +
                         std::to_string(WEXITSTATUS(status)) + why);
  return stdout_text;
}

Result<ExternalOpsPoller> ExternalOpsPoller::open(const ExternalOpsSource& source,
                                                  const std::string& dir) {
  if (!source.regex.empty()) {
    Status st = check_ops_regex(source.regex);
    if (!st) return st;
  }
  const std::string path = dir + "/" + kExternalOpsFile;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::error("cannot create " + path + ": " + strerror(errno));
  ExternalOpsPoller p(source, fd);
  p.write_line(std::string("{\"schema\":\"") + kExternalOpsSchema + "\",\"source\":\"" +
               (source.kind == ExternalOpsSource::Kind::kCommand ? "command" : "file") +
               "\",\"what\":" + json_string(source.what) +
               ",\"regex\":" + (source.regex.empty() ? "null" : json_string(source.regex)) +
               ",\"timeout_ms\":" + std::to_string(source.timeout_ms) + "}");
  return p;
}

ExternalOpsPoller::ExternalOpsPoller(ExternalOpsPoller&& o) noexcept
    : source_(std::move(o.source_)),
      fd_(std::exchange(o.fd_, -1)),
      readings_(o.readings_),
      last_(o.last_),
      failures_(o.failures_),
      backwards_(o.backwards_),
      first_failure_(std::move(o.first_failure_)),
      warned_kinds_(std::move(o.warned_kinds_)) {}

ExternalOpsPoller::~ExternalOpsPoller() {
  if (fd_ >= 0) close(fd_);
}

void ExternalOpsPoller::write_line(const std::string& line) {
  const std::string l = line + "\n";
  // One write on an O_APPEND descriptor, as snapshots.jsonl; a short write
  // (disk full) leaves a cut line the reader reports.
  [[maybe_unused]] const ssize_t n = write(fd_, l.data(), l.size());
}

void ExternalOpsPoller::fail(int64_t t, const std::string& kind, const std::string& message) {
  ++failures_;
  if (first_failure_.empty()) first_failure_ = message;
  write_line("{\"unix_us\":" + std::to_string(t) + ",\"error\":" + json_string(message) + "}");
  // A file not yet written at start-up is expected; everything else is
  // printed once per kind (polls repeat every snapshot interval).
  if (kind == "missing" && readings_ == 0) return;
  if (warned_kinds_.find("|" + kind + "|") != std::string::npos) return;
  warned_kinds_ += "|" + kind + "|";
  std::fprintf(stderr,
               "heapdrift run: op count: %s (not counted; further failures like it are "
               "only written to %s)\n",
               message.c_str(), kExternalOpsFile);
}

void ExternalOpsPoller::poll(bool after_exit) {
  std::string text;
  int64_t t = 0;
  const std::string flag = source_.kind == ExternalOpsSource::Kind::kCommand
                               ? "--ops-from-command"
                               : "--ops-from-file " + source_.what;
  if (source_.kind == ExternalOpsSource::Kind::kCommand) {
    const int64_t t0 = unix_us();
    Result<std::string> out = run_command_capture(source_.what, source_.timeout_ms);
    // The count is from some moment while the command ran: its midpoint.
    t = t0 + (unix_us() - t0) / 2;
    if (!out) {
      if (!after_exit) fail(t, "command", "--ops-from-command: " + out.status().message());
      return;
    }
    text = std::move(*out);
  } else {
    t = unix_us();
    const int fd = ::open(source_.what.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int e = errno;
      fail(t, e == ENOENT ? "missing" : "open",
           flag + ": " + (e == ENOENT ? std::string("file missing") : strerror(e)));
      return;
    }
    char buf[4096];
    ssize_t got = 0;
    while (text.size() < kMaxOutput &&
           ((got = read(fd, buf, sizeof(buf))) > 0 || (got < 0 && errno == EINTR)))
      if (got > 0) text.append(buf, static_cast<size_t>(got));
    close(fd);
  }
  Result<uint64_t> n = extract_count(text, source_.regex);
  if (!n) {
    const std::string shown = first_line(text);
    fail(t, "number",
         flag + ": " + n.status().message() +
             (shown.empty() ? " (it was empty)" : ": '" + shown + "'"));
    return;
  }
  if (readings_ > 0 && *n < last_) {
    ++backwards_;
    fail(t, "backwards",
         flag + ": the count went backwards, from " + std::to_string(last_) + " to " +
             std::to_string(*n) + " (a cumulative count is needed; reading dropped)");
    return;
  }
  ++readings_;
  last_ = *n;
  write_line("{\"unix_us\":" + std::to_string(t) + ",\"ops\":" + std::to_string(*n) + "}");
}

std::string ExternalOpsPoller::problem() const {
  if (readings_ == 0)
    return "no op count was read (" + std::to_string(failures_) +
           " failed polls; first: " + (first_failure_.empty() ? "none" : first_failure_) + ")";
  if (backwards_ > 0)
    return "the op count went backwards " + std::to_string(backwards_) +
           " times (those readings were dropped; is it a cumulative count?)";
  return {};
}

std::string ExternalOpsPoller::summary() const {
  return std::to_string(readings_) + " readings, last count " + std::to_string(last_) + ", " +
         std::to_string(failures_) + " failed polls";
}

}  // namespace hd::memprof
