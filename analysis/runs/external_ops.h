// Reader of DIR/external_ops.jsonl (docs/run-folder.md): the op counts
// `heapdrift run --ops-from-command/--ops-from-file` read from outside the
// program, and their interpolation onto the snapshot times, so a process
// whose program counts nothing itself is measured per op like the replica.
// Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/runs/run_folder.h"
#include "base/status.h"

namespace hd::analysis {

struct OpsReading {
  int64_t unix_us = 0;
  int64_t ops = 0;
};

struct ExternalOps {
  std::string source;                // "command" or "file"
  std::string what;                  // the command or the path
  std::vector<OpsReading> readings;  // time order, ops never decreasing
  int64_t failed_polls = 0;          // "error" lines
};

// Strict: a header line {"schema":"heapdrift.external_ops/1","source":...,
// "what":...}, then lines with unix_us and either ops or error. Errors
// "source:line: ..."; a count or a time that goes backwards is an error (the
// poller never writes one).
Result<ExternalOps> parse_external_ops(std::string_view text, std::string_view source);

// The count at unix_us: linear between the two readings around it, the
// first reading's count before it and the last one's after (never
// extrapolated). Precondition: readings not empty.
double ops_at(const std::vector<OpsReading>& readings, int64_t unix_us);

// Replaces every snapshot's ops with the count at its unix_ms (rounded).
// Does nothing without readings (the snapshots keep the program's own count).
void apply_external_ops(const ExternalOps& ops, std::vector<Snapshot>& snapshots);

}  // namespace hd::analysis
