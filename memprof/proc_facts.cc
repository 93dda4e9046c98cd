// Process facts; see proc_facts.h.
#include "memprof/proc_facts.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace hd::memprof {

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
  const int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
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
