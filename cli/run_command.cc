// `heapdrift run [options] -- CMD ARGS...`: profiles any dynamically linked
// program. CMD starts (through launcher::spawn) with the chosen allocator and
// libheapdrift_memprof_preload.so in LD_PRELOAD; the preload library's
// constructor starts a Recorder configured by the environment
// (memprof/preload_env.h) and writes the run folder (docs/run-folder.md).
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "launcher/launcher.h"
#include "launcher/spawn.h"
#include "memprof/allocator_select.h"
#include "memprof/preload_env.h"

namespace hd::cli {
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

std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

std::string default_run_dir() {
  char name[64];
  const std::time_t now = std::time(nullptr);
  struct tm tm_now;
  localtime_r(&now, &tm_now);
  std::strftime(name, sizeof(name), "heapdrift-run-%Y%m%d-%H%M%S", &tm_now);
  return name;
}

int run(const RunArgs& a) {
  using memprof::Backend;
  Backend backend = Backend::kJemalloc;
  if (!memprof::parse_backend(a.allocator.c_str(), &backend)) {
    std::fprintf(stderr, "heapdrift run: --allocator %s: expected jemalloc, tcmalloc or glibc\n",
                 a.allocator.c_str());
    return 2;
  }
  std::vector<uint64_t> check;
  if (!memprof::parse_u64_list(a.profile_at_ops.c_str(), &check) ||
      !memprof::parse_u64_list(a.profile_at_ms.c_str(), &check)) {
    std::fprintf(stderr, "heapdrift run: milestone lists are comma-separated integers\n");
    return 2;
  }
  std::string preload_lib = launcher::program_dir() + "/libheapdrift_memprof_preload.so";
  if (const char* e = std::getenv("HEAPDRIFT_PRELOAD_LIB")) preload_lib = e;
  if (access(preload_lib.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "heapdrift run: %s not found (build target heapdrift_memprof_preload)\n",
                 preload_lib.c_str());
    return 2;
  }
  if (a.exact && backend != Backend::kTcmalloc) {
    std::fprintf(stderr, "heapdrift run: --exact applies to --allocator tcmalloc only\n");
    return 2;
  }
  memprof::AllocatorRequest req;
  req.backend = backend;
  req.profiling = !a.no_profiles && !a.exact;
  req.lg_prof_sample = a.lg_prof_sample;
  req.tcmalloc_sample_bytes = a.tcmalloc_sample_bytes;
  auto env = memprof::allocator_environment(req, std::getenv("LD_PRELOAD"), preload_lib);
  if (!env) {
    std::fprintf(stderr, "heapdrift run: %s\n", env.status().message().c_str());
    return 2;
  }
  memprof::PreloadSettings settings;
  settings.run_dir = absolute(a.run_dir.empty() ? default_run_dir() : a.run_dir);
  settings.requested_allocator = memprof::backend_name(backend);
  settings.interval_ms = a.interval_ms;
  settings.profile_at_ops = a.profile_at_ops;
  settings.profile_at_ms = a.profile_at_ms;
  settings.cpu_profile = a.cpu_profile;
  settings.tcmalloc_exact = a.exact;
  for (auto& kv : memprof::preload_environment(settings)) env->push_back(std::move(kv));

  // Ctrl-C reaches the program (same process group); heapdrift waits for it.
  std::signal(SIGINT, SIG_IGN);
  Result<pid_t> child = launcher::spawn(a.command, *env, -1, launcher::ChildStdin::kInherit);
  if (!child) {
    std::signal(SIGINT, SIG_DFL);
    std::fprintf(stderr, "heapdrift run: %s\n", child.status().message().c_str());
    return 127;
  }
  int status = 0;
  while (waitpid(*child, &status, 0) < 0 && errno == EINTR) {
  }
  std::signal(SIGINT, SIG_DFL);
  const std::string& run_dir = settings.run_dir;
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

void add_run_command(CLI::App& app, int* exit_code) {
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
  cmd->callback([args, exit_code] { *exit_code = run(*args); });
}

}  // namespace hd::cli
