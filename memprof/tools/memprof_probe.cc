// memprof_probe: a small program driving the Recorder with a known workload,
// for the memprof tests and bench/memprof_overhead.sh:
//   --alloc-mib M  allocates M MiB in 4 KiB blocks inside the exported,
//                  never-inlined heapdrift_probe_allocate_blocks(), with a
//                  snapshot before and after and a heap profile after; writes
//                  the function's address range to <run-dir>/probe.json
//   --ops N --threads T  counts N ops from T threads (milestones fire)
//   --measure-snapshot K  times K snapshots and prints the cost per snapshot
// Exit codes: 0 ok, 1 runtime failure, 2 usage.
#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "base/cli.h"
#include "memprof/allocator_select.h"
#include "memprof/preload_env.h"
#include "memprof/recorder.h"

extern "C" __attribute__((noinline, visibility("default"))) void heapdrift_probe_allocate_blocks(
    std::vector<void*>* blocks, size_t count, size_t size) {
  for (size_t i = 0; i < count; ++i) {
    void* p = std::malloc(size);
    HD_CHECK(p != nullptr);
    // Touch it so it is resident, and so the call cannot be elided.
    static_cast<volatile char*>(p)[0] = 1;
    blocks->push_back(p);
  }
  asm volatile("" ::: "memory");
}

namespace {

int fail(const std::string& m) {
  std::fprintf(stderr, "memprof_probe: %s\n", m.c_str());
  return 1;
}

bool write_probe_json(const std::string& dir) {
  void* fn = reinterpret_cast<void*>(&heapdrift_probe_allocate_blocks);
  Dl_info info;
  void* extra = nullptr;
  if (dladdr1(fn, &info, &extra, RTLD_DL_SYMENT) == 0 || extra == nullptr) return false;
  const auto* sym = static_cast<const ElfW(Sym)*>(extra);
  const auto start = reinterpret_cast<uintptr_t>(info.dli_saddr);
  FILE* f = std::fopen((dir + "/probe.json").c_str(), "w");
  if (f == nullptr) return false;
  std::fprintf(f, "{\"function\":\"%s\",\"start\":%llu,\"end\":%llu}\n", info.dli_sname,
               static_cast<unsigned long long>(start),
               static_cast<unsigned long long>(start + sym->st_size));
  return std::fclose(f) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"memprof_probe: drives the memprof Recorder with a known workload (tests, bench)"};
  std::string allocator = "jemalloc";
  std::string run_dir;
  std::string profile_at;
  uint64_t ops = 0;
  uint32_t threads = 1;
  uint32_t alloc_mib = 0;
  uint32_t interval_ms = 100;
  uint32_t measure = 0;
  uint32_t linger_ms = 0;
  uint32_t lg_prof_sample = 19;
  bool no_profiling = false;
  bool exact = false;
  app.add_option("--allocator", allocator, "jemalloc, tcmalloc or glibc")->capture_default_str();
  app.add_option("--run-dir", run_dir, "run folder")->required();
  app.add_option("--heap-profile-at", profile_at, "op milestones, e.g. 10000,25000");
  app.add_option("--ops", ops, "ops to count");
  app.add_option("--threads", threads, "threads counting ops")->check(CLI::Range(1u, 64u));
  app.add_option("--alloc-mib", alloc_mib, "MiB to allocate in 4 KiB blocks");
  app.add_option("--snapshot-interval-ms", interval_ms, "snapshot period")->capture_default_str();
  app.add_option("--measure-snapshot", measure, "time this many snapshots and print the cost");
  app.add_option("--lg-prof-sample", lg_prof_sample, "jemalloc lg_prof_sample")
      ->capture_default_str();
  app.add_option("--linger-ms", linger_ms, "stay alive this long before stopping (SIGUSR2 tests)");
  app.add_flag("--no-profiling", no_profiling, "allocator heap profiling off");
  app.add_flag("--exact", exact, "tcmalloc: full HeapProfiler");
  CLI11_PARSE(app, argc, argv);

  hd::memprof::AllocatorRequest req;
  if (!hd::memprof::parse_backend(allocator.c_str(), &req.backend)) return fail("bad --allocator");
  req.profiling = !no_profiling && !exact;
  req.lg_prof_sample = lg_prof_sample;
  std::string note;
  if (auto s = hd::memprof::ensure_allocator(req, argv, &note); !s) return fail(s.message());

  hd::memprof::RecorderOptions o;
  o.run_dir = run_dir;
  o.program = "memprof_probe";
  o.requested_allocator = allocator;
  o.allocator_note = note;
  o.snapshot_interval_ms = measure > 0 ? 3600000 : interval_ms;
  o.tcmalloc_exact = exact;
  if (!hd::memprof::parse_u64_list(profile_at.c_str(), &o.heap_profile_at)) {
    return fail("bad --heap-profile-at");
  }
  hd::memprof::Probe probe;
  const size_t g_blocks = probe.gauges.register_gauge("probe_blocks");
  const size_t g_threads = probe.gauges.register_gauge("probe_threads");
  probe.gauges.set(g_threads, threads);
  auto rec = hd::memprof::Recorder::start(o, &probe);
  if (!rec) return fail(rec.status().message());
  hd::memprof::Recorder& r = **rec;

  std::vector<void*> blocks;
  if (alloc_mib > 0) {
    const size_t count = size_t{alloc_mib} * 256;
    blocks.reserve(count);
    if (!write_probe_json(run_dir)) return fail("cannot locate heapdrift_probe_allocate_blocks");
    r.snapshot_now("before-alloc");
    heapdrift_probe_allocate_blocks(&blocks, count, 4096);
    probe.gauges.set(g_blocks, blocks.size());
    r.snapshot_now("after-alloc");
    r.profile_now("heap.after-alloc.heap", "after-alloc-profile");
  }
  if (ops > 0) {
    std::vector<std::thread> ts;
    const uint64_t per = ops / threads;
    for (uint32_t t = 0; t < threads; ++t) {
      const uint64_t mine = t + 1 == threads ? ops - per * (threads - 1) : per;
      ts.emplace_back([&probe, mine] {
        for (uint64_t i = 0; i < mine; ++i) probe.ops.add();
      });
    }
    for (auto& t : ts) t.join();
  }
  if (measure > 0) {
    std::vector<double> us;
    us.reserve(measure);
    for (uint32_t i = 0; i < measure; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      r.snapshot_now("measure");
      const auto t1 = std::chrono::steady_clock::now();
      us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::sort(us.begin(), us.end());
    double sum = 0;
    for (double v : us) sum += v;
    std::printf(
        "snapshot_cost backend=%s n=%u mean_us=%.1f p50_us=%.1f p99_us=%.1f "
        "full_class_scans=%llu\n",
        hd::memprof::backend_name(r.allocator().backend()), measure,
        sum / static_cast<double>(us.size()), us[us.size() / 2],
        us[std::min(us.size() - 1, us.size() * 99 / 100)],
        static_cast<unsigned long long>(r.allocator().full_class_scans()));
  }
  if (linger_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(linger_ms));
  r.stop();
  for (void* p : blocks) std::free(p);
  return 0;
}
