// Plants: the `--plant` flags (deliberate pathologies, docs/report.md "Plants") as the core
// sees them. The core reads the protocol plants (retain_history, slow path,
// slow sync);
// the memory plants (leak, fragment) are run by the transport through
// MemoryPlant (replica/plants/plants.h), never by the core. Plain data.
#pragma once

#include <cstdint>

namespace hd::core {

inline constexpr uint32_t kDefaultLeakBytesPerOp = 256;
inline constexpr uint64_t kDefaultSlowPathAfterOps = 3000;
inline constexpr uint64_t kDefaultSyncTimerMs = 2000;  // the original's client retry tick

struct Plants {
  bool retain_history = false;  // never release executed log entries
  // Slow path: once this replica has counted this many client ops, the leader
  // answers every strong proposal with ok = false, so no fast-path quorum forms
  // and every strong op completes on the slow path (commit + execute).
  bool force_slow_path = false;
  uint64_t slow_path_after_ops = kDefaultSlowPathAfterOps;
  uint32_t leak_bytes_per_op = 0;  // 0: off
  bool fragment = false;
  // Slow sync (CURP-HO only): a strong op that misses the fast path completes
  // only on a sync timer of sync_timer_ms, as in the original system (its
  // strong p99 = its 2 s retry tick). The leader withholds a ProposeReply
  // that is not OK, followers send ORDERED notes only for writes they
  // witnessed TRUE (and answer retries of the others FALSE), and every StrongCommit (at execution,
  // to a retry or to a Sync) waits sync_timer_ms in the protocol's sync timer
  // (docs/protocol-curpho.md, "Built so far", step 10).
  bool slow_sync = false;
  uint64_t sync_timer_ms = kDefaultSyncTimerMs;

  bool any() const {
    return retain_history || force_slow_path || leak_bytes_per_op || fragment || slow_sync;
  }
};

}  // namespace hd::core
