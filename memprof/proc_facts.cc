// Process facts; see proc_facts.h.
#include "memprof/proc_facts.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace hd::memprof {
namespace {

// /proc/self/stat, opened once per process: a pread at offset 0 makes the
// kernel format it afresh, and saves an open/close per snapshot (a third of
// a snapshot's system time). "self" is resolved at open, so a forked child
// (new pid) opens its own.
ssize_t read_self_stat(char* buf, size_t cap) {
  // pid << 32 | fd in one word, so the descriptor and the process it was
  // opened in are read and replaced together.
  static std::atomic<uint64_t> cached{0};
  const auto me = static_cast<uint64_t>(getpid());
  uint64_t c = cached.load(std::memory_order_acquire);
  if (c == 0 || (c >> 32) != me) {
    const int opened = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (opened < 0) return -1;
    const uint64_t mine = me << 32 | static_cast<uint32_t>(opened);
    if (cached.compare_exchange_strong(c, mine, std::memory_order_acq_rel)) {
      // A parent's descriptor inherited by a forked child is the child's
      // copy to close.
      if (c != 0) ::close(static_cast<int>(c & 0xffffffffu));
      c = mine;
    } else {
      // Another thread got there first: read through ours once.
      const ssize_t n = ::pread(opened, buf, cap, 0);
      ::close(opened);
      return n;
    }
  }
  return ::pread(static_cast<int>(c & 0xffffffffu), buf, cap, 0);
}

uint64_t timeval_us(const timeval& t) {
  return static_cast<uint64_t>(t.tv_sec) * 1000000 + static_cast<uint64_t>(t.tv_usec);
}

// The decimal number at the start of a stat field (never allocates).
uint64_t to_u64(std::string_view digits) {
  uint64_t v = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') break;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

bool read_proc_facts(ProcFacts* out) {
  *out = ProcFacts{};
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    out->user_cpu_us = timeval_us(ru.ru_utime);
    out->sys_cpu_us = timeval_us(ru.ru_stime);
    out->minor_faults = static_cast<uint64_t>(ru.ru_minflt);
    out->major_faults = static_cast<uint64_t>(ru.ru_majflt);
    out->voluntary_ctx_switches = static_cast<uint64_t>(ru.ru_nvcsw);
    out->involuntary_ctx_switches = static_cast<uint64_t>(ru.ru_nivcsw);
  }
  // /proc/self/stat, field numbers as in proc(5): 20 num_threads, 24 rss
  // (pages).
  char buf[1024];
  const ssize_t n = read_self_stat(buf, sizeof(buf) - 1);
  if (n <= 0) return false;
  const std::string_view stat(buf, static_cast<size_t>(n));
  const std::string_view threads = proc_stat_field(stat, 20);
  const std::string_view rss = proc_stat_field(stat, 24);
  if (!threads.empty()) out->threads = to_u64(threads);
  if (rss.empty()) return false;
  out->rss_bytes = to_u64(rss) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return true;
}

std::string_view proc_stat_field(std::string_view stat, int field) {
  const size_t paren = stat.rfind(')');
  if (paren == std::string_view::npos || field < 3) return {};
  size_t p = paren + 1;  // then field 3 (state)
  for (int f = 3;; ++f) {
    while (p < stat.size() && stat[p] == ' ') ++p;
    size_t end = p;
    while (end < stat.size() && stat[end] != ' ' && stat[end] != '\n') ++end;
    if (end == p) return {};
    if (f == field) return stat.substr(p, end - p);
    p = end;
  }
}

uint64_t reaped_children_cpu_us() {
  struct rusage ru;
  if (getrusage(RUSAGE_CHILDREN, &ru) != 0) return 0;
  return timeval_us(ru.ru_utime) + timeval_us(ru.ru_stime);
}

}  // namespace hd::memprof
