// Plants: `--plant` parsing and the memory plants (leak, fragment), which give
// the diagnostics known answers (docs/report.md, "Plants"). All off by
// default.
//
// The memory plants are not protocol behaviour, so they are not in hd_core:
// the transport owns a MemoryPlant and calls on_ops() with the core's
// client-op count (client_ops(), the same count memprof writes into the
// replica's snapshots) after every step(). The core and the simulator never
// run them; the protocol plants are flags the core reads (core/plant_flags.h).
// MemoryPlant stays in namespace hd::core: its heap-profile site name
// (hd::core::MemoryPlant::leak_plant_accumulate) is a documented known answer.
// Not thread-safe: one owner thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "replica/core/plant_flags.h"

namespace hd::core {

// Parses one `--plant` value: none, history (alias retain-history),
// leak[:BYTES] (16..1048576, default 256), fragment, slowpath[:N] (N >= 0,
// default 3000). Errors name the option, the value and the valid kinds.
Result<Plants> parse_plant(std::string_view spec);
// The one-line help listing of the kinds (for --help and errors).
std::string plant_kinds_help();
// "leak:256", "slowpath:3000", ..., "none": the canonical spelling.
std::string plant_name(const Plants& p);

// Leak and fragment allocations, driven by the replica's op count.
class MemoryPlant {
 public:
  explicit MemoryPlant(const Plants& plants);
  ~MemoryPlant();  // frees everything at shutdown (keeps LeakSanitizer quiet)
  MemoryPlant(const MemoryPlant&) = delete;
  MemoryPlant& operator=(const MemoryPlant&) = delete;

  bool active() const { return leak_bytes_ != 0 || fragment_; }
  // ops: the replica's cumulative client-op count (monotonic). Each op not
  // seen before gets its planted allocations, in op order.
  void on_ops(uint64_t ops);

  uint64_t leaked_bytes() const { return leaked_bytes_; }

 private:
  struct Block {
    Block* next;
  };
  // Named and out of line so the heap profile's site is this function.
  void leak_plant_accumulate(size_t bytes);
  void fragment_plant_step();

  uint32_t leak_bytes_ = 0;
  bool fragment_ = false;
  uint64_t seen_ops_ = 0;
  Block* leaked_ = nullptr;  // intrusive list: the leak allocates nothing else
  uint64_t leaked_bytes_ = 0;
  // fragment: temporaries of the current phase, and per size class the one
  // survivor kept on every page the phase touched.
  uint64_t fragment_ops_ = 0;
  std::vector<void*> phase_temps_;
  std::vector<std::vector<void*>> survivors_;
};

}  // namespace hd::core
