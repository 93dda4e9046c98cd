#include "memprof/speed_probe.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <utility>

namespace hd::memprof {
namespace {

uint64_t thread_cpu_ns() {
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t splitmix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

SpeedProbe::SpeedProbe() {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock_) != 0) sock_[0] = sock_[1] = -1;
  void* p = mmap(nullptr, kBufferBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  lines_ = static_cast<Line*>(p);
  count_ = static_cast<uint32_t>(kBufferBytes / sizeof(Line));
  // One cycle through every line in a fixed random order (Sattolo's
  // algorithm): no prefetcher can guess the next address, and the order is
  // the same in every process and run, so their timings compare.
  for (uint32_t i = 0; i < count_; ++i) lines_[i].next = i;
  uint64_t seed = 0x5eed;
  for (uint32_t i = count_ - 1; i > 0; --i) {
    const auto j = static_cast<uint32_t>(splitmix(seed) % i);
    std::swap(lines_[i].next, lines_[j].next);
  }
}

SpeedProbe::~SpeedProbe() {
  if (lines_ != nullptr) munmap(lines_, kBufferBytes);
  for (int fd : sock_)
    if (fd >= 0) close(fd);
}

SpeedProbe::Sample SpeedProbe::run() {
  Sample s;
  uint32_t at = at_;
  const uint64_t t0 = thread_cpu_ns();
  for (uint32_t i = 0; i < kChaseSteps; ++i) at = lines_[at].next;
  const uint64_t t1 = thread_cpu_ns();
  uint64_t h = sink_ + at;
  for (uint32_t i = 0; i < kComputeSteps; ++i) h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL + i;
  const uint64_t t2 = thread_cpu_ns();
  // Round trips in one thread: the 100 bytes fit the socket buffer, so the
  // write never blocks and the read finds them at once.
  char msg[100] = {};
  for (uint32_t i = 0; i < kKernelRoundTrips; ++i) {
    if (write(sock_[0], msg, sizeof msg) != static_cast<ssize_t>(sizeof msg)) break;
    if (read(sock_[1], msg, sizeof msg) != static_cast<ssize_t>(sizeof msg)) break;
  }
  const uint64_t t3 = thread_cpu_ns();
  at_ = at;
  sink_ = h;  // kept, so the loop is not optimised away
  s.chase_ns = t1 - t0;
  s.compute_ns = t2 - t1;
  s.kernel_ns = t3 - t2;
  return s;
}

uint32_t SpeedProbe::cycle_length() const {
  uint32_t n = 0, at = 0;
  do {
    at = lines_[at].next;
    ++n;
  } while (at != 0 && n <= count_);
  return n;
}

}  // namespace hd::memprof
