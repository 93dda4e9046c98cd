// Recorder; see recorder.h and docs/run-folder.md for the formats.
#include "memprof/recorder.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string_view>

#include "memprof/cpu_windows.h"
#include "memprof/meta.h"
#include "memprof/proc_facts.h"

namespace hd::memprof {
namespace {

std::atomic<Recorder*> g_active{nullptr};

int64_t mono_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// CPU time of the whole process (every thread, the recorder's too: its
// samples are in the CPU profile as well), us.
int64_t process_cpu_us() {
  struct timespec ts;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0;
  return int64_t{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

int64_t unix_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

// Appends to a fixed buffer with snprintf; remembers overflow instead of
// growing. No allocation.
class LineWriter {
 public:
  LineWriter(char* buf, size_t cap) : buf_(buf), cap_(cap) {}
  __attribute__((format(printf, 2, 3))) void f(const char* fmt, ...) {
    if (overflow_) return;
    va_list ap;
    va_start(ap, fmt);
    const int n = std::vsnprintf(buf_ + len_, cap_ - len_, fmt, ap);
    va_end(ap);
    if (n < 0 || static_cast<size_t>(n) >= cap_ - len_) {
      overflow_ = true;
      return;
    }
    len_ += static_cast<size_t>(n);
  }
  // "key":value or "key":null, with a leading comma unless first.
  void u64(const char* key, uint64_t v, bool first = false) {
    if (v == kUnknown) {
      f("%s\"%s\":null", first ? "" : ",", key);
    } else {
      f("%s\"%s\":%llu", first ? "" : ",", key, static_cast<unsigned long long>(v));
    }
  }
  size_t length() const { return overflow_ ? 0 : len_; }

 private:
  char* buf_;
  size_t cap_;
  size_t len_ = 0;
  bool overflow_ = false;
};

// Removes what the process's previous program image recorded: the lines of
// snapshots.jsonl from `offset` on, and the profiles those lines name
// ("profile":"profiles/..."); nothing else in the folder.
void remove_previous_image(const std::string& dir, uint64_t offset) {
  const std::string snap = dir + "/snapshots.jsonl";
  const int fd = ::open(snap.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  std::string tail;
  char buf[65536];
  if (lseek(fd, static_cast<off_t>(offset), SEEK_SET) == static_cast<off_t>(offset)) {
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) tail.append(buf, static_cast<size_t>(n));
  }
  static constexpr std::string_view kKey = "\"profile\":\"profiles/";
  for (size_t at = tail.find(kKey); at != std::string::npos; at = tail.find(kKey, at + 1)) {
    const size_t from = at + kKey.size() - std::string_view("profiles/").size();
    const size_t end = tail.find('"', from);
    if (end == std::string::npos) break;
    const std::string rel = tail.substr(from, end - from);
    if (rel.find("..") == std::string::npos) unlink((dir + "/" + rel).c_str());
  }
  if (ftruncate(fd, static_cast<off_t>(offset)) != 0) {
    // Left as it is: the new image's lines follow, and the report reads both.
  }
  ::close(fd);
}

bool make_dir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return true;
  // Create parents one level at a time.
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return false;
  if (!make_dir(path.substr(0, slash))) return false;
  return mkdir(path.c_str(), 0755) == 0 || errno == EEXIST;
}

}  // namespace

Recorder::Recorder(RecorderOptions options, Probe* probe)
    : options_(std::move(options)), probe_(probe) {
  sem_init(&wake_, 0, 0);
}

Recorder::~Recorder() {
  stop();
  sem_destroy(&wake_);
}

Result<std::unique_ptr<Recorder>> Recorder::start(RecorderOptions options, Probe* probe) {
  HD_CHECK(probe != nullptr);
  if (options.snapshot_interval_ms == 0) options.snapshot_interval_ms = 100;
  std::sort(options.heap_profile_at.begin(), options.heap_profile_at.end());
  options.heap_profile_at.erase(
      std::unique(options.heap_profile_at.begin(), options.heap_profile_at.end()),
      options.heap_profile_at.end());
  std::sort(options.heap_profile_at_ms.begin(), options.heap_profile_at_ms.end());
  if (options.heap_profile_at.size() > OpCounter::kMaxMilestones) {
    return Status::error("heapProfileAt: at most " + std::to_string(OpCounter::kMaxMilestones) +
                         " milestones");
  }
  Recorder* expected = nullptr;
  std::unique_ptr<Recorder> r(new Recorder(std::move(options), probe));
  if (!g_active.compare_exchange_strong(expected, r.get())) {
    r->stopped_ = true;  // never started: its destructor must not touch the probe
    return Status::error("memprof: a Recorder is already running in this process");
  }
  if (Status s = r->open(); !s) {
    g_active.store(nullptr);
    r->stopped_ = true;
    if (r->fd_ >= 0) ::close(r->fd_);
    return s;
  }
  return r;
}

Status Recorder::open() {
  const std::string& dir = options_.run_dir;
  if (dir.empty()) return Status::error("memprof: empty run folder");
  if (!make_dir(dir) || !make_dir(dir + "/profiles")) {
    return Status::error("memprof: cannot create run folder " + dir + ": " + std::strerror(errno));
  }
  if (options_.replace_previous_image) remove_previous_image(dir, options_.previous_image_offset);
  const std::string exact_prefix = dir + "/profiles/tcmalloc-exact";
  if (Status s = reader_.init(options_.tcmalloc_exact, exact_prefix.c_str()); !s) return s;

  start_mono_ns_ = mono_ns();
  pid_ = getpid();
  MetaInputs meta;
  meta.program = options_.program;
  meta.requested_allocator = options_.requested_allocator;
  meta.config_path = options_.config_path;
  meta.settings = options_.settings;
  meta.snapshot_interval_ms = options_.snapshot_interval_ms;
  meta.heap_profile_at = options_.heap_profile_at;
  meta.heap_profile_at_ms = options_.heap_profile_at_ms;
  meta.snapshot_every_ops = options_.external_ops == nullptr ? options_.snapshot_every_ops : 0;
  meta.expected_ops = options_.expected_ops;
  meta.heap_profile_at_from = options_.heap_profile_at_from;
  meta.lg_prof_sample_from = options_.lg_prof_sample_from;
  meta.lg_prof_sample = options_.lg_prof_sample;
  meta.cpu_profile = options_.cpu_profile;
  meta.ops_source = options_.external_ops != nullptr ? "external-symbol" : "counter";
  meta.start_unix_ms = unix_ms();
  meta.note = options_.allocator_note;

  if (options_.cpu_profile) {
    // gperftools samples at 100 Hz by default: a window of a fraction of a
    // second would hold a handful of samples. Its ProfileHandler reads
    // CPUPROFILE_FREQUENCY when the profiler first starts (below); a user's
    // value wins.
    setenv("CPUPROFILE_FREQUENCY", kCpuProfileFrequencyText, /*overwrite=*/0);
    // libprofiler via dlopen, so nothing hard-depends on it.
    profiler_handle_ = dlopen("libprofiler.so.0", RTLD_NOW | RTLD_GLOBAL);
    if (profiler_handle_ != nullptr) {
      void* s = dlsym(profiler_handle_, "ProfilerStart");
      void* t = dlsym(profiler_handle_, "ProfilerStop");
      std::memcpy(&profiler_start_, &s, sizeof(s));
      std::memcpy(&profiler_stop_, &t, sizeof(t));
    }
    // Windows of the op count (the program's own counter only: the preload
    // library's external counter has no milestone hook), sharing the
    // OpCounter's milestones with the heap profiles.
    if (options_.external_ops == nullptr) cpu_window_at_ = cpu_window_bounds(options_.expected_ops);
    op_milestones_ = options_.heap_profile_at;
    op_milestones_.insert(op_milestones_.end(), cpu_window_at_.begin(), cpu_window_at_.end());
    std::sort(op_milestones_.begin(), op_milestones_.end());
    op_milestones_.erase(std::unique(op_milestones_.begin(), op_milestones_.end()),
                         op_milestones_.end());
    if (op_milestones_.size() > OpCounter::kMaxMilestones) {
      cpu_window_at_.clear();
      op_milestones_ = options_.heap_profile_at;
      meta.note += (meta.note.empty() ? "" : "; ") +
                   std::string("too many heap-profile milestones for CPU-profile windows");
    }
    const std::string cpu_path =
        dir + "/profiles/cpu" +
        (cpu_window_at_.empty() ? std::string() : std::string(".") + kCpuWindowNames[0]) + ".prof";
    cpu_window_from_ops_ = ops();
    cpu_window_from_ns_ = mono_ns();
    cpu_window_from_unix_ms_ = unix_ms();
    cpu_window_from_cpu_us_ = process_cpu_us();
    if (profiler_start_ == nullptr || profiler_stop_ == nullptr ||
        profiler_start_(cpu_path.c_str()) == 0) {
      profiler_start_ = nullptr;
      profiler_stop_ = nullptr;
      cpu_window_at_.clear();
      meta.note += (meta.note.empty() ? "" : "; ") +
                   std::string("cpuProfile requested but libprofiler.so.0 could not start");
    } else {
      cpu_window_profiling_ = true;
    }
    if (!cpu_window_at_.empty()) {
      const std::string windows = dir + "/profiles/cpu-windows.jsonl";
      cpu_windows_fd_ =
          ::open(windows.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
      if (cpu_windows_fd_ < 0)
        return Status::error("memprof: cannot open " + windows + ": " + std::strerror(errno));
    }
  } else {
    op_milestones_ = options_.heap_profile_at;
  }
  meta.cpu_window_at = cpu_window_at_;
  const HwCounterProbe hw = probe_hw_counters();
  meta.hw_counters_available = hw.available;
  meta.hw_counters_why = hw.why;
  meta.children_cpu_us_at_start = static_cast<int64_t>(reaped_children_cpu_us());
  if (Status s = write_meta(dir, meta, reader_); !s) return s;

  const std::string snap = dir + "/snapshots.jsonl";
  fd_ = ::open(snap.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return Status::error("memprof: cannot open " + snap + ": " + std::strerror(errno));

  if (options_.external_ops == nullptr && !op_milestones_.empty()) {
    probe_->ops.set_milestones(op_milestones_.data(), op_milestones_.size(),
                               &Recorder::on_milestone, this);
  }
  if (options_.external_ops == nullptr && options_.snapshot_every_ops > 0) {
    probe_->ops.set_step(options_.snapshot_every_ops, &Recorder::on_op_step, this);
  }
  if (options_.handle_sigusr2) {
    struct sigaction sa {};
    sa.sa_handler = &Recorder::on_sigusr2;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &sa, nullptr);
  }
  if (options_.speed_probe_interval_ms != 0) {
    // Mapped and linked here, while the program starts up, not during its
    // load (~0.5 ms and 2 MiB of cache lines in every process), and resident
    // from the start line on, so RSS does not step up by the buffer mid-run.
    // The first timing comes one interval later: a run shorter than that
    // pays nothing more.
    speed_probe_ = std::make_unique<SpeedProbe>();  // mmap, not the allocator
    if (!speed_probe_->ok()) speed_probe_.reset();
    next_speed_probe_ns_ = start_mono_ns_ + int64_t{options_.speed_probe_interval_ms} * 1000000;
  }
  snapshot_now("start");
  thread_ = std::thread([this] { run(); });
  // Named, so `top -H`, perf and gdb tell the recorder's cost from the
  // program's own (the cost is meant to be the program's to measure).
  pthread_setname_np(thread_.native_handle(), "hd-recorder");
  // SCHED_BATCH, same weight as the program's threads: a woken batch thread
  // never preempts a running one (Linux's fair class skips wakeup preemption
  // for it), so a snapshot waits for the next switch (the program's threads
  // block on I/O thousands of times a second) instead of cutting into, say,
  // a replica's request in flight on a busy machine. Same weight, so it is
  // never starved while it holds an allocator lock. Unprivileged; if refused,
  // the thread just stays SCHED_OTHER.
  sched_param batch{};
  batch.sched_priority = 0;
  pthread_setschedparam(thread_.native_handle(), SCHED_BATCH, &batch);
  return Status::ok();
}

uint64_t Recorder::ops() const {
  if (options_.external_ops != nullptr)
    return options_.external_ops->load(std::memory_order_relaxed);
  return probe_->ops.load();
}

void Recorder::on_sigusr2(int) {
  // Async-signal-safe only: an atomic store and sem_post.
  Recorder* r = g_active.load(std::memory_order_acquire);
  if (r == nullptr) return;
  r->usr2_pending_.store(true, std::memory_order_release);
  sem_post(&r->wake_);
}

void Recorder::on_op_step(void* self, uint64_t) {
  // On the op path: a flag and sem_post (one futex wake), nothing else. Steps
  // crossed before the snapshot thread runs are taken as one snapshot.
  auto* r = static_cast<Recorder*>(self);
  if (!r->op_step_pending_.exchange(true, std::memory_order_acq_rel)) sem_post(&r->wake_);
}

void Recorder::on_milestone(void* self, uint64_t ops) {
  // On the op path too: the dump (0.1-1 ms, longer with denser sampling)
  // and its snapshot are the recorder thread's, so the program's thread
  // (the replica's only io thread) never stalls on them, and is never
  // descheduled in a write(2) on a machine with more runnable threads than
  // cores. Milestones are few (OpCounter::kMaxMilestones <= 64): one bit each.
  auto* r = static_cast<Recorder*>(self);
  const auto& at = r->options_.heap_profile_at;
  const auto it = std::lower_bound(at.begin(), at.end(), ops);
  if (it != at.end() && *it == ops) {
    const uint64_t bit = uint64_t{1} << (it - at.begin());
    r->milestones_pending_.fetch_or(bit, std::memory_order_acq_rel);
    sem_post(&r->wake_);
  }
  const auto& cw = r->cpu_window_at_;
  const auto c = std::lower_bound(cw.begin(), cw.end(), ops);
  if (c != cw.end() && *c == ops) {
    r->cpu_windows_pending_.fetch_or(uint64_t{1} << (c - cw.begin()), std::memory_order_acq_rel);
    sem_post(&r->wake_);
  }
}

void Recorder::take_cpu_windows() {
  const uint64_t pending = cpu_windows_pending_.exchange(0, std::memory_order_acq_rel);
  if (pending == 0) return;
  // Bit i: window i + 1 is due; windows are taken in order, each once.
  const size_t due = static_cast<size_t>(64 - __builtin_clzll(pending));
  while (cpu_window_profiling_ && cpu_window_ < due && cpu_window_ + 1 < kCpuWindows)
    next_cpu_window(false);
}

void Recorder::next_cpu_window(bool last) {
  const uint64_t to_ops = ops();
  const int64_t to_ns = mono_ns();
  const int64_t to_unix_ms = unix_ms();
  const int64_t to_cpu_us = process_cpu_us();
  if (!cpu_window_profiling_) return;  // a window's profile failed to start: no more windows
  profiler_stop_();
  cpu_window_profiling_ = false;
  const char* name = kCpuWindowNames[cpu_window_];
  char line[512];
  const int n = std::snprintf(
      line, sizeof(line),
      "{\"window\":\"%s\",\"file\":\"profiles/cpu.%s.prof\",\"from_ops\":%llu,"
      "\"to_ops\":%llu,\"from_t_ms\":%.3f,\"to_t_ms\":%.3f,\"from_unix_ms\":%lld,"
      "\"to_unix_ms\":%lld,\"from_cpu_us\":%lld,\"to_cpu_us\":%lld}\n",
      name, name, static_cast<unsigned long long>(cpu_window_from_ops_),
      static_cast<unsigned long long>(to_ops),
      static_cast<double>(cpu_window_from_ns_ - start_mono_ns_) / 1e6,
      static_cast<double>(to_ns - start_mono_ns_) / 1e6,
      static_cast<long long>(cpu_window_from_unix_ms_), static_cast<long long>(to_unix_ms),
      static_cast<long long>(cpu_window_from_cpu_us_), static_cast<long long>(to_cpu_us));
  if (n > 0 && static_cast<size_t>(n) < sizeof(line) && cpu_windows_fd_ >= 0) {
    // One write(2) of a short line; a failed write loses the line, and the
    // analysis then has no windows (it never guesses them).
    const ssize_t w = ::write(cpu_windows_fd_, line, static_cast<size_t>(n));
    (void)w;
  }
  ++cpu_window_;
  if (last || cpu_window_ >= kCpuWindows) return;
  char path[4096];
  std::snprintf(path, sizeof(path), "%s/profiles/cpu.%s.prof", options_.run_dir.c_str(),
                kCpuWindowNames[cpu_window_]);
  cpu_window_profiling_ = profiler_start_(path) != 0;
  cpu_window_from_ops_ = ops();
  cpu_window_from_ns_ = mono_ns();
  cpu_window_from_unix_ms_ = unix_ms();
  cpu_window_from_cpu_us_ = process_cpu_us();
}

void Recorder::join_cpu_windows() {
  std::vector<std::string> parts;
  for (size_t i = 0; i < cpu_window_; ++i) {
    std::ifstream in(options_.run_dir + "/profiles/cpu." + kCpuWindowNames[i] + ".prof",
                     std::ios::binary);
    if (!in) continue;
    std::ostringstream bytes;
    bytes << in.rdbuf();
    parts.push_back(std::move(bytes).str());
  }
  if (parts.empty()) return;
  Result<std::string> whole = join_gperf_cpu_profiles(parts);
  if (!whole) return;  // the windows stay; the report says there is no cpu.prof
  std::ofstream(options_.run_dir + "/profiles/cpu.prof", std::ios::binary) << *whole;
}

void Recorder::take_milestones() {
  uint64_t pending = milestones_pending_.exchange(0, std::memory_order_acq_rel);
  for (size_t i = 0; pending != 0; ++i, pending >>= 1) {
    if ((pending & 1) == 0) continue;
    char name[64];
    std::snprintf(name, sizeof(name), "heap.ops-%09llu.heap",
                  static_cast<unsigned long long>(options_.heap_profile_at[i]));
    profile_now(name, "milestone");
  }
}

bool Recorder::profile_now(const char* name, const char* reason) {
  char path[4096];
  char rel[128];
  std::snprintf(rel, sizeof(rel), "profiles/%s", name);
  std::snprintf(path, sizeof(path), "%s/%s", options_.run_dir.c_str(), rel);
  const char* why = nullptr;
  const int64_t t0 = mono_ns();
  const bool ok = reader_.dump_heap_profile(path, &why);
  const auto took_us = static_cast<uint64_t>((mono_ns() - t0) / 1000);
  snapshot_now(reason, ok ? rel : nullptr, ok ? took_us : kUnknown);
  return ok;
}

size_t Recorder::format_snapshot(char* buf, size_t capacity, const char* reason,
                                 const char* profile, uint64_t profile_us) const {
  AllocStats a;
  reader_.read(&a);
  ProcFacts p;
  read_proc_facts(&p);
  const int64_t t_ns = mono_ns() - start_mono_ns_;
  LineWriter w(buf, capacity);
  w.f("{\"seq\":%llu,\"reason\":\"%s\",\"t_ms\":%.3f,\"unix_ms\":%lld",
      static_cast<unsigned long long>(seq_.load(std::memory_order_relaxed)), reason,
      static_cast<double>(t_ns) / 1e6, static_cast<long long>(unix_ms()));
  w.u64("ops", ops());
  w.f(",\"alloc\":{\"backend\":\"%s\"", backend_name(reader_.backend()));
  w.u64("allocated", a.allocated);
  w.u64("active", a.active);
  w.u64("resident", a.resident);
  w.u64("mapped", a.mapped);
  w.u64("retained", a.retained);
  w.u64("metadata", a.metadata);
  w.u64("free", a.free_bytes);
  w.u64("unmapped", a.unmapped_bytes);
  w.f("},\"cum\":{");
  w.u64("alloc_count", a.alloc_count, true);
  w.u64("alloc_bytes", a.alloc_bytes);
  w.f("},\"proc\":{");
  w.u64("rss_bytes", p.rss_bytes, true);
  w.u64("minflt", p.minor_faults);
  w.u64("majflt", p.major_faults);
  w.u64("utime_us", p.user_cpu_us);
  w.u64("stime_us", p.sys_cpu_us);
  w.u64("nvcsw", p.voluntary_ctx_switches);
  w.u64("nivcsw", p.involuntary_ctx_switches);
  w.u64("threads", p.threads);
  w.u64("recorder_cpu_us", recorder_cpu_ns_.load(std::memory_order_relaxed) / 1000);
  // Runs first (acquire, paired with the release in maybe_probe_speed): the
  // totals then hold at least those runs' times.
  w.u64("probe_runs", probe_runs_.load(std::memory_order_acquire));
  w.u64("probe_chase_ns", probe_chase_ns_.load(std::memory_order_relaxed));
  w.u64("probe_compute_ns", probe_compute_ns_.load(std::memory_order_relaxed));
  w.u64("probe_kernel_ns", probe_kernel_ns_.load(std::memory_order_relaxed));
  w.f("},\"gauges\":{");
  const GaugeBoard& g = probe_->gauges;
  const size_t n = g.size();
  for (size_t i = 0; i < n; ++i) w.u64(g.name(i), g.get(i), i == 0);
  if (profile != nullptr) {
    w.f("},\"profile\":\"%s\"", profile);
  } else {
    w.f("},\"profile\":null");
  }
  w.u64("profile_us", profile_us);
  w.f("}\n");
  return w.length();
}

void Recorder::write_line(const char* line, size_t len) {
  if (fd_ < 0 || len == 0) return;
  // One write(2) per line on an O_APPEND descriptor: lines from the snapshot
  // thread and from milestone threads do not interleave.
  size_t off = 0;
  while (off < len) {
    const ssize_t n = ::write(fd_, line + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

void Recorder::snapshot_now(const char* reason, const char* profile, uint64_t profile_us) {
  char line[kLineCapacity];
  const size_t len = format_snapshot(line, sizeof(line), reason, profile, profile_us);
  seq_.fetch_add(1, std::memory_order_relaxed);
  write_line(line, len);
  if (std::strcmp(reason, "timer") != 0)
    last_untimed_line_ns_.store(mono_ns(), std::memory_order_relaxed);
}

void Recorder::maybe_probe_speed(int64_t now) {
  if (!speed_probe_ || now < next_speed_probe_ns_) return;
  next_speed_probe_ns_ = now + int64_t{options_.speed_probe_interval_ms} * 1000000;
  const SpeedProbe::Sample s = speed_probe_->run();
  probe_chase_ns_.fetch_add(s.chase_ns, std::memory_order_relaxed);
  probe_compute_ns_.fetch_add(s.compute_ns, std::memory_order_relaxed);
  probe_kernel_ns_.fetch_add(s.kernel_ns, std::memory_order_relaxed);
  probe_runs_.fetch_add(1, std::memory_order_release);  // last: a line never sees runs ahead
}

void Recorder::run() {
  const int64_t interval_ns = int64_t{options_.snapshot_interval_ms} * 1000000;
  int64_t next = start_mono_ns_ + interval_ns;
  while (!stop_requested_.load(std::memory_order_acquire)) {
    store_recorder_cpu();  // all of the previous pass, for the next line
    struct timespec deadline;
    deadline.tv_sec = next / 1000000000;
    deadline.tv_nsec = next % 1000000000;
    while (sem_clockwait(&wake_, CLOCK_MONOTONIC, &deadline) != 0 && errno == EINTR) {
    }
    if (stop_requested_.load(std::memory_order_acquire)) break;
    if (usr2_pending_.exchange(false, std::memory_order_acq_rel)) {
      char name[96];
      std::snprintf(name, sizeof(name), "heap.sigusr2-%03llu.ops-%09llu.heap",
                    static_cast<unsigned long long>(++usr2_count_),
                    static_cast<unsigned long long>(ops()));
      if (!profile_now(name, "sigusr2")) snapshot_now("sigusr2");
    }
    take_milestones();
    take_cpu_windows();
    if (op_step_pending_.exchange(false, std::memory_order_acq_rel)) snapshot_now("op-step");
    const int64_t now = mono_ns();
    if (now < next) continue;
    // A timer line only where other lines are sparser than the timer: a run
    // that crosses op steps faster is dense already, and every line costs the
    // program ~100 us of CPU (docs/run-folder.md, Cost). Lines stay at most
    // two intervals apart, and the milestone checks below run every tick.
    if (last_untimed_line_ns_.load(std::memory_order_relaxed) <= next - interval_ns)
      snapshot_now("timer");
    // Falling behind (e.g. suspended): skip missed ticks rather than burst.
    next += interval_ns;
    if (next <= now) next = now + interval_ns;

    const int64_t t_ms = (now - start_mono_ns_) / 1000000;
    while (next_time_milestone_ < options_.heap_profile_at_ms.size() &&
           static_cast<uint64_t>(t_ms) >= options_.heap_profile_at_ms[next_time_milestone_]) {
      char name[64];
      std::snprintf(
          name, sizeof(name), "heap.t-%09llums.heap",
          static_cast<unsigned long long>(options_.heap_profile_at_ms[next_time_milestone_]));
      profile_now(name, "time-milestone");
      ++next_time_milestone_;
    }
    check_external_milestones();
    maybe_probe_speed(now);
  }
}

void Recorder::store_recorder_cpu() {
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return;
  recorder_cpu_ns_.store(
      static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec),
      std::memory_order_relaxed);
}

void Recorder::check_external_milestones() {
  if (options_.external_ops == nullptr) return;
  const uint64_t ops_now = ops();
  while (next_external_milestone_ < options_.heap_profile_at.size() &&
         ops_now >= options_.heap_profile_at[next_external_milestone_]) {
    char name[64];
    std::snprintf(
        name, sizeof(name), "heap.ops-%09llu.heap",
        static_cast<unsigned long long>(options_.heap_profile_at[next_external_milestone_]));
    profile_now(name, "milestone");
    ++next_external_milestone_;
  }
}

void Recorder::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (getpid() != pid_) {
    // A forked child (e.g. a program profiled with `heapdrift run` that forks
    // and exits without exec): the snapshot thread only exists in the parent,
    // and the run folder belongs to the parent. Write nothing.
    if (thread_.joinable()) thread_.detach();
    fd_ = -1;
    return;
  }
  stop_requested_.store(true, std::memory_order_release);
  sem_post(&wake_);
  if (thread_.joinable()) thread_.join();
  take_milestones();            // crossed since the thread last ran
  check_external_milestones();  // crossed since the last tick (late, but not lost)
  if (options_.profile_at_end && reader_.profile_info().available) {
    char name[64];
    std::snprintf(name, sizeof(name), "heap.end.ops-%09llu.heap",
                  static_cast<unsigned long long>(ops()));
    profile_now(name, "end");
  } else {
    snapshot_now("end");
  }
  if (!cpu_window_at_.empty()) {
    take_cpu_windows();
    next_cpu_window(true);  // the last window ends here, with its profile
    join_cpu_windows();
    if (cpu_windows_fd_ >= 0) ::close(cpu_windows_fd_);
    cpu_windows_fd_ = -1;
  } else if (profiler_stop_ != nullptr) {
    profiler_stop_();
  }
  if (options_.handle_sigusr2) {
    struct sigaction sa {};
    sa.sa_handler = SIG_IGN;  // not SIG_DFL: a late SIGUSR2 must not kill the process
    sigaction(SIGUSR2, &sa, nullptr);
  }
  // Later milestones (worker threads still counting) no longer reach us.
  probe_->ops.clear_hook();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  Recorder* self = this;
  g_active.compare_exchange_strong(self, nullptr, std::memory_order_acq_rel);
}

}  // namespace hd::memprof
