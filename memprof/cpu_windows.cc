// CPU-profile windows; see cpu_windows.h.
#include "memprof/cpu_windows.h"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hd::memprof {

std::vector<uint64_t> cpu_window_bounds(const ExpectedOps& ops) {
  std::vector<uint64_t> at;
  if (ops.least < kMinOpsForCpuWindows) return at;
  for (uint64_t pct : kCpuWindowPercent) at.push_back(ops.least * pct / 100);
  return at;
}

namespace {

constexpr size_t kWord = 8;

uint64_t word_at(std::string_view b, size_t pos) {
  uint64_t w = 0;
  std::memcpy(&w, b.data() + pos, kWord);  // native order: the file's, written here
  return w;
}

}  // namespace

Result<std::string> join_gperf_cpu_profiles(const std::vector<std::string>& profiles) {
  if (profiles.empty()) return Status::error("no CPU profiles to join");
  std::string out;
  std::string_view maps;
  for (size_t i = 0; i < profiles.size(); ++i) {
    const std::string_view b = profiles[i];
    const auto bad = [&](const std::string& what) {
      return Status::error("CPU profile " + std::to_string(i) + " of " +
                           std::to_string(profiles.size()) + ": " + what);
    };
    if (b.size() < 5 * kWord || word_at(b, 0) != 0 || word_at(b, kWord) != 3)
      return bad("not a gperftools CPU profile (header)");
    if (i == 0) out.append(b.substr(0, 5 * kWord));
    size_t pos = 5 * kWord;
    for (;;) {
      if (b.size() - pos < 2 * kWord) return bad("truncated before the trailer");
      const uint64_t count = word_at(b, pos), depth = word_at(b, pos + kWord);
      if (depth > (b.size() - pos) / kWord - 2) return bad("stack depth exceeds the file");
      const size_t len = (2 + depth) * kWord;
      if (count == 0) {  // the trailer {0, 1, 0}
        if (depth != 1) return bad("zero-count record that is not the trailer");
        pos += len;
        break;
      }
      out.append(b.substr(pos, len));
      pos += len;
    }
    maps = b.substr(pos);
  }
  const uint64_t trailer[3] = {0, 1, 0};
  out.append(reinterpret_cast<const char*>(trailer), sizeof(trailer));
  out.append(maps);
  return out;
}

HwCounterProbe probe_hw_counters() {
  struct perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = PERF_COUNT_HW_CPU_CYCLES;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  const long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  HwCounterProbe p;
  if (fd < 0) {
    p.why = std::string("perf_event_open (cycles): ") + std::strerror(errno);
    return p;
  }
  close(static_cast<int>(fd));
  p.available = true;
  return p;
}

}  // namespace hd::memprof
