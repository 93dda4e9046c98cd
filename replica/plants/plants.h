// Plants: `--plant` parsing, the memory plants (leak, fragment) and the decay
// plant, which give the diagnostics known answers (docs/report.md, "Plants").
// All off by default.
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

inline constexpr uint32_t kDefaultDecayOpsPerElement = 32;

// Every `--plant` flag: the core's (Plants, what hd_core reads or the memory
// plants use) and the ones only the transport knows, which the core must not
// see (plant_flags.h stays the core's). A PlantSpec is a Plants, so the core
// config takes it as one.
struct PlantSpec : Plants {
  // decay: the decay plant's list grows by one element every this many ops
  // (DecayPlant); 0 = off.
  uint32_t decay_ops_per_element = 0;
  // keepall: KeepAllPlant keeps every value, proposal and executed slot.
  bool keep_all = false;
  bool any() const { return Plants::any() || decay_ops_per_element != 0 || keep_all; }
};

// Parses one `--plant` value: none, history (alias retain-history),
// leak[:BYTES] (16..1048576, default 256), fragment, slowpath[:N] (N >= 0,
// default 3000), decay[:N] (1..1000000, default 32), slowsync[:MS]
// (1..600000, default 2000; CURP-HO only, which the replica checks), keepall. Errors name the
// option, the value and the valid kinds.
Result<PlantSpec> parse_plant(std::string_view spec);
// The one-line help listing of the kinds (for --help and errors).
std::string plant_kinds_help();
// "leak:256", "slowpath:3000", "decay:32", "slowsync:2000", "keepall", ...,
// "none": the canonical spelling.
std::string plant_name(const PlantSpec& p);

// The decay plant (issue 17's known answer for a decline within a run): every
// op this process counts appends to a list (one element every
// `ops_per_element` ops) and scans all of it in decay_plant_scan(), so its
// CPU per op grows linearly with the run while its memory barely does
// (8 bytes per element). The transport runs it in one replica only (the
// config's first), so one process's cost grows. Its CPU-profile site name
// (hd::core::DecayPlant::decay_plant_scan) is a documented known answer.
class DecayPlant {
 public:
  explicit DecayPlant(uint32_t ops_per_element) : ops_per_element_(ops_per_element) {}
  bool active() const { return ops_per_element_ != 0; }
  // ops: the replica's cumulative client-op count (monotonic). Each op not
  // seen before gets its scan, in op order.
  void on_ops(uint64_t ops);
  size_t elements() const { return list_.size(); }

 private:
  // Named, out of line and with a loop-carried multiply (no vectorisation,
  // not hoisted), so the CPU profile's samples land in this frame.
  uint64_t decay_plant_scan() const;

  uint32_t ops_per_element_ = 0;
  uint64_t seen_ops_ = 0;
  std::vector<uint64_t> list_;
  uint64_t sink_ = 0;  // the scans' result, kept so they are not optimised away
};

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
