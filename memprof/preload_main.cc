// libheapdrift_memprof_preload.so: a Recorder started from a constructor in
// any dynamically linked program (see preload_env.h for the environment it
// reads). Only the process that finds HEAPDRIFT_RUN_DIR records: the variable
// is removed at once, so children the program starts do not write into the
// same folder. The final snapshot and end profile are written from the
// destructor (normal exit); a process killed by a signal has none.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "memprof/preload_env.h"
#include "memprof/recorder.h"

namespace {

hd::memprof::Probe g_probe;
hd::memprof::Recorder* g_recorder = nullptr;

__attribute__((constructor)) void heapdrift_preload_start() {
  using namespace hd::memprof;
  const char* dir = std::getenv(kEnvRunDir);
  if (dir == nullptr || *dir == '\0') return;
  RecorderOptions o;
  o.run_dir = dir;
  unsetenv(kEnvRunDir);
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
    o.allocator_note = std::string("no ") + kOpsSymbol +
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
