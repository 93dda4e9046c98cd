// Plants: the `--plant` flags (deliberate pathologies, docs/report.md "Plants") as the core
// sees them. The core reads the protocol plants (retain_history, slow path);
// the memory plants (leak, fragment) are run by the transport through
// MemoryPlant (replica/plants/plants.h), never by the core. Plain data.
#pragma once

#include <cstdint>

namespace hd::core {

inline constexpr uint32_t kDefaultLeakBytesPerOp = 256;
inline constexpr uint64_t kDefaultSlowPathAfterOps = 3000;

struct Plants {
  bool retain_history = false;  // never release executed log entries
  // Slow path: once this replica has counted this many client ops, the leader
  // answers every strong proposal with ok = false, so no fast-path quorum forms
  // and every strong op completes on the slow path (commit + execute).
  bool force_slow_path = false;
  uint64_t slow_path_after_ops = kDefaultSlowPathAfterOps;
  uint32_t leak_bytes_per_op = 0;  // 0: off
  bool fragment = false;

  bool any() const { return retain_history || force_slow_path || leak_bytes_per_op || fragment; }
};

}  // namespace hd::core
