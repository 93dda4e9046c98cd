// `heapdrift run`; see run_command.h and docs/run-folder.md.
#include "memprof/run_command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>

#include "memprof/allocator_select.h"

namespace hd::memprof {
namespace {

struct RunArgs {
  std::string run_dir;
  std::string allocator = "jemalloc";
  uint32_t interval_ms = 100;
  std::string profile_at_ops;
  std::string profile_at_ms;
  uint32_t lg_prof_sample = 19;
  uint64_t tcmalloc_sample_bytes = uint64_t{1} << 19;
  bool exact = false;
  bool cpu_profile = false;
  bool no_profiles = false;
  std::vector<std::string> command;
};

std::string dirname_of_self() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<size_t>(n));
  const size_t slash = p.find_last_of('/');
  return slash == std::string::npos ? "." : p.substr(0, slash);
}

std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

int run(const RunArgs& a) {
  Backend backend = Backend::kJemalloc;
  if (!parse_backend(a.allocator.c_str(), &backend)) {
    std::fprintf(stderr, "heapdrift run: --allocator %s: expected jemalloc, tcmalloc or glibc\n",
                 a.allocator.c_str());
    return 2;
  }
  std::vector<uint64_t> check;
  if (!parse_u64_list(a.profile_at_ops.c_str(), &check) ||
      !parse_u64_list(a.profile_at_ms.c_str(), &check)) {
    std::fprintf(stderr, "heapdrift run: milestone lists are comma-separated integers\n");
    return 2;
  }
  std::string preload_lib = dirname_of_self() + "/libheapdrift_memprof_preload.so";
  if (const char* e = std::getenv("HEAPDRIFT_PRELOAD_LIB")) preload_lib = e;
  if (access(preload_lib.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "heapdrift run: %s not found (build target heapdrift_memprof_preload)\n",
                 preload_lib.c_str());
    return 2;
  }
  AllocatorRequest req;
  req.backend = backend;
  req.profiling = !a.no_profiles && !a.exact;
  req.lg_prof_sample = a.lg_prof_sample;
  req.tcmalloc_sample_bytes = a.tcmalloc_sample_bytes;
  if (a.exact && backend != Backend::kTcmalloc) {
    std::fprintf(stderr, "heapdrift run: --exact applies to --allocator tcmalloc only\n");
    return 2;
  }
  auto env = allocator_environment(req, std::getenv("LD_PRELOAD"), preload_lib);
  if (!env) {
    std::fprintf(stderr, "heapdrift run: %s\n", env.status().message().c_str());
    return 2;
  }
  std::string run_dir = a.run_dir;
  if (run_dir.empty()) {
    char name[64];
    const std::time_t now = std::time(nullptr);
    struct tm tm_now;
    localtime_r(&now, &tm_now);
    std::strftime(name, sizeof(name), "heapdrift-run-%Y%m%d-%H%M%S", &tm_now);
    run_dir = name;
  }
  run_dir = absolute(run_dir);

  const pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "heapdrift run: fork: %s\n", std::strerror(errno));
    return 1;
  }
  if (child == 0) {
    for (const auto& [k, v] : *env) setenv(k.c_str(), v.c_str(), 1);
    setenv(kEnvRunDir, run_dir.c_str(), 1);
    setenv(kEnvRequestedAllocator, backend_name(backend), 1);
    setenv(kEnvIntervalMs, std::to_string(a.interval_ms).c_str(), 1);
    setenv(kEnvProfileAtOps, a.profile_at_ops.c_str(), 1);
    setenv(kEnvProfileAtMs, a.profile_at_ms.c_str(), 1);
    setenv(kEnvCpuProfile, a.cpu_profile ? "1" : "0", 1);
    setenv(kEnvTcmallocExact, a.exact ? "1" : "0", 1);
    std::vector<char*> argv;
    for (const auto& s : a.command) argv.push_back(const_cast<char*>(s.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "heapdrift run: cannot execute %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  // Ctrl-C reaches the child (same process group); we wait for it.
  std::signal(SIGINT, SIG_IGN);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  std::signal(SIGINT, SIG_DFL);
  if (access((run_dir + "/meta.json").c_str(), R_OK) != 0) {
    std::fprintf(stderr,
                 "heapdrift run: %s/meta.json was not written: the program did not load the "
                 "preload library (statically linked? setuid?)\n",
                 run_dir.c_str());
    return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1;
  }
  std::fprintf(stderr, "heapdrift run: run folder %s\n", run_dir.c_str());
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

bool parse_u64_list(const char* text, std::vector<uint64_t>* out) {
  out->clear();
  const char* p = text;
  while (*p != '\0') {
    while (*p == ' ') ++p;
    if (*p == '\0') break;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(p, &end, 10);
    if (end == p || errno != 0) return false;
    out->push_back(v);
    p = end;
    while (*p == ' ') ++p;
    if (*p == ',') {
      ++p;
    } else if (*p != '\0') {
      return false;
    }
  }
  return true;
}

void register_run_command(CLI::App& app, void (*set_exit_code)(int)) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Profile any dynamically linked program: heapdrift run [options] -- CMD ARGS...\n"
      "Starts CMD with the allocator and libheapdrift_memprof_preload.so preloaded; the\n"
      "run folder (docs/run-folder.md) gets meta.json, snapshots.jsonl and profiles/.\n"
      "Exit code: CMD's (128+signal if it was killed); 2 usage; 127 cannot execute.");
  cmd->add_option("--run-dir", args->run_dir, "Run folder (default ./heapdrift-run-<date>-<time>)");
  cmd->add_option("--allocator", args->allocator, "jemalloc, tcmalloc or glibc")
      ->capture_default_str();
  cmd->add_option("--snapshot-interval-ms", args->interval_ms, "Snapshot period")
      ->capture_default_str()
      ->check(CLI::Range(1u, 3600000u));
  cmd->add_option("--heap-profile-at", args->profile_at_ops,
                  "Op milestones, e.g. 10000,25000 (needs the program to export the atomic\n"
                  "uint64 counter `heapdrift_ops_completed`)");
  cmd->add_option("--heap-profile-at-ms", args->profile_at_ms,
                  "Time milestones in ms since start, e.g. 1000,5000");
  cmd->add_option("--lg-prof-sample", args->lg_prof_sample,
                  "jemalloc: log2 of mean bytes between heap samples")
      ->capture_default_str()
      ->check(CLI::Range(0u, 40u));
  cmd->add_option("--tcmalloc-sample-bytes", args->tcmalloc_sample_bytes,
                  "tcmalloc: mean bytes between heap samples (TCMALLOC_SAMPLE_PARAMETER)")
      ->capture_default_str();
  cmd->add_flag("--exact", args->exact,
                "tcmalloc: gperftools' full HeapProfiler (every allocation; 35-60x slower)");
  cmd->add_flag("--cpu-profile", args->cpu_profile, "gperftools CPU profile to profiles/cpu.prof");
  cmd->add_flag("--no-profiles", args->no_profiles, "Snapshots only (allocator profiling off)");
  cmd->add_option("command", args->command, "The program and its arguments (after --)")->required();
  cmd->callback([args, set_exit_code] { set_exit_code(run(*args)); });
}

}  // namespace hd::memprof
