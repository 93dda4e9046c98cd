// `heapdrift run [options] -- CMD ARGS...`: profiles any dynamically linked
// program. CMD starts (through launcher::spawn) with the chosen allocator and
// libheapdrift_memprof_preload.so in LD_PRELOAD; the preload library's
// constructor starts a Recorder configured by the environment
// (memprof/preload_env.h) and writes the run folder (docs/run-folder.md).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/ingest/profile.h"
#include "analysis/runs/run_folder.h"
#include "cli/commands.h"
#include "launcher/executable.h"
#include "launcher/launcher.h"
#include "launcher/spawn.h"
#include "memprof/allocator_select.h"
#include "memprof/external_ops.h"
#include "memprof/preload_env.h"
#include "memprof/proc_facts.h"
#include "memprof/recording_plan.h"

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
  std::string ops_from_command;
  std::string ops_from_file;
  std::string ops_regex;
  uint32_t ops_timeout_ms = 2000;
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

int64_t mono_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// CPU of a process that has exited but is not yet reaped, from its
// /proc/PID/stat: its own (utime + stime) and that of the children it waited
// for (cutime + cstime), in us (clock-tick resolution).
struct ExitedCpu {
  bool known = false;
  int64_t own_us = 0, children_us = 0;
};

ExitedCpu exited_cpu(pid_t pid) {
  ExitedCpu c;
  Result<std::string> stat = analysis::read_whole_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return c;
  int64_t ticks[18] = {};  // fields 14..17 of proc(5): utime stime cutime cstime
  for (int field = 14; field <= 17; ++field) {
    const std::string_view v = memprof::proc_stat_field(*stat, field);
    if (v.empty()) return c;
    ticks[field] = std::strtoll(std::string(v).c_str(), nullptr, 10);
  }
  const double tick_us = 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
  c.own_us = static_cast<int64_t>(static_cast<double>(ticks[14] + ticks[15]) * tick_us);
  c.children_us = static_cast<int64_t>(static_cast<double>(ticks[16] + ticks[17]) * tick_us);
  c.known = true;
  return c;
}

// Waits for the child, polling the external op count every interval_ms
// meanwhile (once at start, once after the exit). Before reaping it, reads
// its CPU (*cpu: exited_cpu). Returns the wait status.
int wait_polling(pid_t child, memprof::ExternalOpsPoller* poller, uint32_t interval_ms,
                 ExitedCpu* cpu) {
  siginfo_t info{};
  if (poller != nullptr) poller->poll();
  int64_t next = mono_ms() + interval_ms;
  for (;;) {  // ends with the child
    info.si_pid = 0;
    const int flags = WEXITED | WNOWAIT | (poller != nullptr ? WNOHANG : 0);
    const int r = waitid(P_PID, static_cast<id_t>(child), &info, flags);
    if ((r == 0 && info.si_pid == child) || (r < 0 && errno != EINTR)) break;
    if (poller == nullptr) continue;  // EINTR
    const int64_t now = mono_ms();
    if (now >= next) {
      poller->poll();
      next = std::max(next + interval_ms, mono_ms());
      continue;
    }
    // Short sleeps so the exit is noticed within 10 ms.
    const int64_t nap_ms = std::min<int64_t>(10, next - now);
    timespec nap{0, static_cast<long>(nap_ms) * 1000000};
    nanosleep(&nap, nullptr);
  }
  *cpu = exited_cpu(child);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (poller != nullptr) poller->poll(/*after_exit=*/true);
  return status;
}

std::string seconds_text(int64_t us) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", static_cast<double>(us) / 1e6);
  return text;
}

// children.json (docs/run-folder.md): the CPU of the processes CMD started
// (and waited for), which the preload library does not record — only CMD's
// own process is. When they did most of the work, what the run folder shows
// is not the program the user meant, and the report must say so. Children a
// wrapper reaped before it exec'd the recorded program are not counted
// (meta.json recorder.children_cpu_us_at_start). Returns the warning to
// print, or "".
std::string write_children(const std::string& run_dir, const ExitedCpu& cpu) {
  const std::string path = run_dir + "/" + analysis::kChildrenFile;
  std::remove(path.c_str());  // an earlier run's, in a reused folder
  if (!cpu.known) return "";
  const std::string meta_path = run_dir + "/meta.json";
  Result<std::string> meta_text = analysis::read_whole_file(meta_path);
  analysis::ProcessRun meta;
  if (!meta_text || !analysis::parse_meta(*meta_text, meta_path, meta)) return "";
  const int64_t own = cpu.own_us;
  const int64_t children = std::max<int64_t>(0, cpu.children_us - meta.children_cpu_us_at_start);
  const int64_t total = own + cpu.children_us;
  std::ofstream out(path);
  out << "{\"schema\": \"heapdrift.children/1\", \"cpu_us\": " << children
      << ", \"recorded_cpu_us\": " << own << ", \"total_cpu_us\": " << total << "}\n";
  out.close();
  if (!out) return "cannot write " + path;
  if (!analysis::children_dominate(children, own)) return "";
  return "processes the command started used " + seconds_text(children) + " of CPU against " +
         seconds_text(own) +
         " in its own process, which is the only one recorded: to diagnose the program, run "
         "heapdrift on it directly (or have the command exec it)";
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
  // CMD is looked at before anything starts or is written: a program that
  // cannot run says why, and one LD_PRELOAD cannot reach is refused (nothing
  // of it could be measured) instead of leaving a run folder without meta.json.
  Result<launcher::Executable> exe = launcher::find_executable(a.command[0], std::getenv("PATH"));
  if (!exe) {
    std::fprintf(stderr, "heapdrift run: cannot run %s\n", exe.status().message().c_str());
    return 127;
  }
  if (exe->static_elf) {
    std::fprintf(stderr,
                 "heapdrift run: %s is statically linked (an ELF program without an interpreter):\n"
                 "  LD_PRELOAD cannot load the recorder or an allocator into it, so nothing of it\n"
                 "  could be measured (no snapshots, no heap profiles). Not started; link it\n"
                 "  dynamically to profile it.\n",
                 exe->path.c_str());
    return 2;
  }
  if (exe->secure_exec) {
    std::fprintf(stderr,
                 "heapdrift run: %s is setuid/setgid to another user: the dynamic loader ignores\n"
                 "  LD_PRELOAD for it (secure execution), so nothing of it could be measured.\n"
                 "  Not started.\n",
                 exe->path.c_str());
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
  std::optional<memprof::ExternalOpsPoller> poller;
  if (!a.ops_from_command.empty() || !a.ops_from_file.empty()) {
    if (!a.ops_from_command.empty() && !a.ops_from_file.empty()) {
      std::fprintf(stderr, "heapdrift run: give --ops-from-command or --ops-from-file, not both\n");
      return 2;
    }
    if (!a.ops_regex.empty()) {
      if (Status st = memprof::check_ops_regex(a.ops_regex); !st) {
        std::fprintf(stderr, "heapdrift run: %s\n", st.message().c_str());
        return 2;
      }
    }
    memprof::ExternalOpsSource src;
    src.kind = a.ops_from_command.empty() ? memprof::ExternalOpsSource::Kind::kFile
                                          : memprof::ExternalOpsSource::Kind::kCommand;
    src.what = a.ops_from_command.empty() ? absolute(a.ops_from_file) : a.ops_from_command;
    src.regex = a.ops_regex;
    src.timeout_ms = a.ops_timeout_ms;
    std::error_code ec;
    std::filesystem::create_directories(settings.run_dir, ec);  // the recorder reuses it
    Result<memprof::ExternalOpsPoller> p = memprof::ExternalOpsPoller::open(src, settings.run_dir);
    if (!p) {
      std::fprintf(stderr, "heapdrift run: %s\n", p.status().message().c_str());
      return 2;
    }
    poller.emplace(std::move(*p));
  } else if (!a.ops_regex.empty()) {
    std::fprintf(stderr,
                 "heapdrift run: --ops-regex needs --ops-from-command or --ops-from-file\n");
    return 2;
  }
  settings.requested_allocator = memprof::backend_name(backend);
  settings.interval_ms = a.interval_ms;
  settings.profile_at_ops = a.profile_at_ops;
  settings.profile_at_ms = a.profile_at_ms;
  if (a.profile_at_ops.empty() && a.profile_at_ms.empty() && !a.no_profiles) {
    // Nobody knows how long the program runs: profiles at every factor
    // sqrt(2) of its length (recording_plan.h), not only the end one.
    for (uint64_t ms : memprof::default_time_milestones_ms())
      settings.profile_at_ms += (settings.profile_at_ms.empty() ? "" : ",") + std::to_string(ms);
  }
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
  ExitedCpu cpu;
  const int status = wait_polling(*child, poller ? &*poller : nullptr, a.interval_ms, &cpu);
  std::signal(SIGINT, SIG_DFL);
  const std::string& run_dir = settings.run_dir;
  if (access((run_dir + "/meta.json").c_str(), R_OK) != 0) {
    std::fprintf(stderr,
                 "heapdrift run: %s/meta.json was not written: the program did not load the "
                 "preload library (it is dynamically linked and not setuid: did it reset "
                 "LD_PRELOAD, or exec another program?)\n",
                 run_dir.c_str());
    return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1;
  }
  std::fprintf(stderr, "heapdrift run: run folder %s\n", run_dir.c_str());
  if (const std::string w = write_children(run_dir, cpu); !w.empty())
    std::fprintf(stderr, "heapdrift run: warning: %s\n", w.c_str());
  if (poller) {
    // A count that is not usable fails the run (exit 3) unless the program
    // itself failed (its code wins): the folder is complete, but a report
    // of it would not be per op, and a script must not take it for one.
    const std::string problem = poller->problem();
    if (!problem.empty()) {
      std::fprintf(stderr, "heapdrift run: error: %s; see %s/%s\n", problem.c_str(),
                   run_dir.c_str(), memprof::kExternalOpsFile);
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 3;
    } else {
      std::fprintf(stderr, "heapdrift run: op count: %s\n", poller->summary().c_str());
    }
  }
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
      "Exit code: CMD's (128+signal if it was killed); 2 usage; 127 cannot execute (CMD\n"
      "not found in PATH, not executable, a directory); 3 when --ops-from-* read no count\n"
      "or the count went backwards (CMD exited 0).\n"
      "A statically linked CMD (ELF without PT_INTERP) or one setuid to another user is\n"
      "refused, exit 2, before it starts: LD_PRELOAD cannot reach it, so nothing of it\n"
      "could be measured.");
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
                  "Time milestones in ms since start, e.g. 1000,5000 (default, when neither\n"
                  "this nor --heap-profile-at is given: 250 ms x sqrt(2)^k up to 1 h, so a\n"
                  "run of any length gets profiles across it)");
  cmd->add_option("--lg-prof-sample", args->lg_prof_sample,
                  "jemalloc: log2 of mean bytes between heap samples")
      ->capture_default_str()
      ->check(CLI::Range(0u, 40u));
  cmd->add_option("--tcmalloc-sample-bytes", args->tcmalloc_sample_bytes,
                  "tcmalloc: mean bytes between heap samples (TCMALLOC_SAMPLE_PARAMETER)")
      ->capture_default_str()
      ->check(cli_check::whole_number(1, uint64_t{1} << 40));
  cmd->add_flag("--exact", args->exact,
                "tcmalloc: gperftools' full HeapProfiler (every allocation; 35-60x slower)");
  cmd->add_flag("--cpu-profile", args->cpu_profile, "gperftools CPU profile to profiles/cpu.prof");
  cmd->add_flag("--no-profiles", args->no_profiles, "Snapshots only (allocator profiling off)");
  cmd->add_option("--ops-from-command", args->ops_from_command,
                  "Op count from outside: a shell command run at every snapshot interval\n"
                  "(e.g. the server's stats command); its stdout holds the count")
      ->type_name("CMD");
  cmd->add_option("--ops-from-file", args->ops_from_file,
                  "Op count from outside: a file the program (or another process) rewrites\n"
                  "with its count, read at every snapshot interval")
      ->type_name("PATH");
  cmd->add_option("--ops-regex", args->ops_regex,
                  "How the count is found in that output: the first match's one capture\n"
                  "group (ECMAScript), e.g. 'total_commands_processed:(\\d+)'; default:\n"
                  "the first run of digits");
  cmd->add_option("--ops-timeout-ms", args->ops_timeout_ms,
                  "--ops-from-command: kill the command after this long")
      ->capture_default_str()
      ->check(CLI::Range(1u, 600000u));
  cmd->add_option("command", args->command, "The program and its arguments (after --)")->required();
  cmd->callback([args, exit_code] { *exit_code = run(*args); });
}

}  // namespace hd::cli
