// libheapdrift_memprof_preload.so: a Recorder started from a constructor in
// any dynamically linked program (see preload_env.h for the environment it
// reads). Only one process records: the first to find HEAPDRIFT_RUN_DIR
// marks the environment with its pid (HEAPDRIFT_RUN_PID), so the children it
// starts, which inherit the mark, do not write into the same folder. The same
// pid after an exec is the recorded process running its real program (a
// wrapper script, `sh -c`, pyenv's shims all exec): that image records
// afresh, replacing the wrapper's records, since the user asked about the
// program. The final snapshot and end profile are written from the
// destructor (normal exit); a process killed by a signal has none.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "memprof/preload_env.h"
#include "memprof/proc_facts.h"
#include "memprof/recorder.h"

namespace {

hd::memprof::Probe g_probe;

// "pid:start time": the start time (/proc/self/stat field 22, clock ticks
// since boot) survives exec and tells a recycled pid from this process.
std::string process_identity() {
  std::string id = std::to_string(getpid());
  char buf[1024];
  const int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return id;
  const ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n <= 0) return id;
  const std::string_view start =
      hd::memprof::proc_stat_field(std::string_view(buf, static_cast<size_t>(n)), 22);
  return start.empty() ? id : id + ":" + std::string(start);
}
hd::memprof::Recorder* g_recorder = nullptr;

__attribute__((constructor)) void heapdrift_preload_start() {
  using namespace hd::memprof;
  const char* dir = std::getenv(kEnvRunDir);
  if (dir == nullptr || *dir == '\0') return;
  RecorderOptions o;
  o.run_dir = dir;
  const std::string self = process_identity();
  const char* owner = std::getenv(kEnvRunPid);
  if (owner != nullptr && *owner != '\0') {
    if (self != owner) return;  // a descendant of the recorded process
    o.replace_previous_image = true;
    if (const char* v = std::getenv(kEnvRunOffset))
      o.previous_image_offset = std::strtoull(v, nullptr, 10);
    const char* before = std::getenv(kEnvRunImage);
    o.allocator_note = std::string("this process exec'd from ") +
                       (before != nullptr && *before != '\0' ? before : "another program") +
                       ": only the program it exec'd is recorded";
  } else {
    struct stat st {};
    const std::string snap = std::string(dir) + "/snapshots.jsonl";
    const off_t size = stat(snap.c_str(), &st) == 0 ? st.st_size : 0;
    setenv(kEnvRunOffset, std::to_string(size).c_str(), /*overwrite=*/1);
  }
  setenv(kEnvRunPid, self.c_str(), /*overwrite=*/1);
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  setenv(kEnvRunImage, n > 0 ? std::string(exe, static_cast<size_t>(n)).c_str() : "?", 1);
  o.program = "run";
  if (const char* v = std::getenv(kEnvRequestedAllocator)) o.requested_allocator = v;
  if (const char* v = std::getenv(kEnvIntervalMs)) {
    o.snapshot_interval_ms = static_cast<uint32_t>(std::strtoul(v, nullptr, 10));
  }
  if (const char* v = std::getenv(kEnvProfileAtOps)) parse_u64_list(v, &o.heap_profile_at);
  if (const char* v = std::getenv(kEnvProfileAtMs)) parse_u64_list(v, &o.heap_profile_at_ms);
  const char* cpu = std::getenv(kEnvCpuProfile);
  o.cpu_profile = cpu != nullptr && std::strcmp(cpu, "1") == 0;
  const char* exact = std::getenv(kEnvTcmallocExact);
  o.tcmalloc_exact = exact != nullptr && std::strcmp(exact, "1") == 0;
  const char* usr2 = std::getenv(kEnvSigusr2);
  o.handle_sigusr2 = usr2 == nullptr || std::strcmp(usr2, "0") != 0;
  void* counter = dlsym(RTLD_DEFAULT, kOpsSymbol);
  o.external_ops = static_cast<const std::atomic<uint64_t>*>(counter);
  if (counter == nullptr && !o.heap_profile_at.empty()) {
    o.allocator_note += (o.allocator_note.empty() ? "" : "; ") + std::string("no ") + kOpsSymbol +
                        " symbol in the program: op milestones cannot fire (use time milestones)";
  }
  auto started = Recorder::start(std::move(o), &g_probe);
  if (!started) {
    std::fprintf(stderr, "heapdrift-preload: %s\n", started.status().message().c_str());
    return;
  }
  g_recorder = std::move(started).value().release();
}

__attribute__((destructor)) void heapdrift_preload_stop() {
  // Not deleted: other exit-time code may still run after us; stop() is enough.
  if (g_recorder != nullptr) g_recorder->stop();
}

}  // namespace
