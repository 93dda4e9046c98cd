// meta.json of a run folder (docs/run-folder.md): what ran, where, with which
// allocator and binaries. Written once at start-up (allocates freely; not on
// the sampling path). Not thread-safe; call from one thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "memprof/backend.h"
#include "memprof/recording_plan.h"

namespace hd::memprof {

constexpr int kRunFolderSchemaVersion = 1;

struct LoadedObject {
  std::string path;
  std::string build_id;  // lowercase hex of NT_GNU_BUILD_ID; "" if the object has none
  uint64_t base_address = 0;
};

// Every object mapped in this process (the executable first), from
// dl_iterate_phdr and each object's PT_NOTE segments.
std::vector<LoadedObject> loaded_objects();

struct MetaInputs {
  std::string program;              // "replica", "loadgen", "run", ...
  std::string requested_allocator;  // "" if none was requested
  std::string config_path;          // "" if none
  // Effective settings worth recording (e.g. alias, snapshotIntervalMs).
  std::vector<std::pair<std::string, std::string>> settings;
  uint32_t snapshot_interval_ms = 100;
  std::vector<uint64_t> heap_profile_at;
  std::vector<uint64_t> heap_profile_at_ms;
  uint64_t snapshot_every_ops = 0;
  ExpectedOps expected_ops;
  std::string heap_profile_at_from;  // "" = not recorded
  std::string lg_prof_sample_from;
  uint32_t lg_prof_sample = 0;
  bool cpu_profile = false;
  std::vector<uint64_t> cpu_window_at;  // CPU-profile windows' starts (cpu_windows.h); empty: none
  bool hw_counters_available = false;   // perf_event_open of a cycles counter worked
  std::string hw_counters_why;          // why not, when not
  // CPU of the children this process had reaped when recording began (a
  // wrapper's, before it exec'd): `heapdrift run` leaves them out of
  // children.json's count.
  int64_t children_cpu_us_at_start = 0;
  std::string ops_source;  // "counter", "external-symbol", "none"
  int64_t start_unix_ms = 0;
  std::string note;  // e.g. allocator selection remark
};

// Writes <dir>/meta.json (via a temporary file and rename).
Status write_meta(const std::string& dir, const MetaInputs& in, const AllocatorReader& reader);

}  // namespace hd::memprof
