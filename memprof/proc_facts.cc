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

}  // namespace

bool read_proc_facts(ProcFacts* out) {
  *out = ProcFacts{};
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    out->user_cpu_us = static_cast<uint64_t>(ru.ru_utime.tv_sec) * 1000000 +
                       static_cast<uint64_t>(ru.ru_utime.tv_usec);
    out->sys_cpu_us = static_cast<uint64_t>(ru.ru_stime.tv_sec) * 1000000 +
                      static_cast<uint64_t>(ru.ru_stime.tv_usec);
    out->minor_faults = static_cast<uint64_t>(ru.ru_minflt);
    out->major_faults = static_cast<uint64_t>(ru.ru_majflt);
    out->voluntary_ctx_switches = static_cast<uint64_t>(ru.ru_nvcsw);
    out->involuntary_ctx_switches = static_cast<uint64_t>(ru.ru_nivcsw);
  }
  // /proc/self/stat: "pid (comm) state ppid ..."; comm may hold spaces and
  // parentheses, so fields are counted from the last ')'. Field numbers as in
  // proc(5): 20 num_threads, 24 rss (pages).
  char buf[1024];
  const ssize_t n = read_self_stat(buf, sizeof(buf) - 1);
  if (n <= 0) return false;
  buf[n] = '\0';
  char* p = std::strrchr(buf, ')');
  if (p == nullptr) return false;
  ++p;
  // After ')' comes field 3 (state).
  int field = 2;
  while (*p != '\0' && field < 24) {
    while (*p == ' ') ++p;
    ++field;
    char* end = p;
    while (*end != ' ' && *end != '\0') ++end;
    if (field == 20) out->threads = std::strtoull(p, nullptr, 10);
    if (field == 24) {
      out->rss_bytes = std::strtoull(p, nullptr, 10) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    }
    p = end;
  }
  return field >= 24;
}

}  // namespace hd::memprof
