// SpeedProbe: a fixed amount of work timed on the calling thread's CPU clock,
// so a run can tell "the program got costlier per op" from "the machine got
// slower" (a neighbour on the same physical core, caches shared with other
// processes, a lower clock): when the same work takes longer, the machine
// changed. Hardware counters would say it directly, but many VMs (this
// project's CI among them) have none; this needs nothing from the kernel.
//
// Three kernels per run(): a dependent pointer chase over a 2 MiB random
// cycle of cache lines (cache and memory latency, what a hash map lookup
// pays), an integer hash loop (the core's own speed), and 100-byte round
// trips through an AF_UNIX socketpair (kernel entry, socket buffers: what a
// networked program's system time pays — on this VM that is where a slower
// host shows first). CPU time (user + system), not wall time: being
// descheduled is not slowness. The buffer is mmap'ed, so the allocator's
// counters and heap profiles never see it. Not thread-safe: one caller.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hd::memprof {

class SpeedProbe {
 public:
  static constexpr size_t kBufferBytes = size_t{2} << 20;
  static constexpr uint32_t kChaseSteps = 4096;       // ~0.6 ms here
  static constexpr uint32_t kComputeSteps = 1 << 16;  // ~0.15 ms here
  static constexpr uint32_t kKernelRoundTrips = 64;   // ~0.2 ms here

  SpeedProbe();  // maps and links the buffer (~0.5 ms once)
  ~SpeedProbe();
  SpeedProbe(const SpeedProbe&) = delete;
  SpeedProbe& operator=(const SpeedProbe&) = delete;

  bool ok() const { return lines_ != nullptr && sock_[0] >= 0; }

  struct Sample {
    uint64_t chase_ns = 0;    // CPU ns for kChaseSteps dependent loads
    uint64_t compute_ns = 0;  // CPU ns for kComputeSteps hash rounds
    uint64_t kernel_ns = 0;   // CPU ns for kKernelRoundTrips write+read pairs
  };
  // Precondition: ok().
  Sample run();

  // Lines visited from line 0 until the chase returns to it (for tests: one
  // cycle through every line, so no run can settle into a cached loop).
  uint32_t cycle_length() const;
  uint32_t lines() const { return count_; }

 private:
  struct alignas(64) Line {
    uint32_t next;
    uint8_t pad[60];
  };
  Line* lines_ = nullptr;
  uint32_t count_ = 0;
  int sock_[2] = {-1, -1};  // the socketpair; ok() needs it too
  uint32_t at_ = 0;         // where the chase resumes: successive runs walk the cycle
  uint64_t sink_ = 0;
};

}  // namespace hd::memprof
