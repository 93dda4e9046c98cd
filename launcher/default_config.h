// The embedded default of `heapdrift bench`: configs/local.conf, compiled in at
// build time (so there is one description of the seed workload), with its
// host:port lines moved to free ports and its sweep set. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hd::launcher {

// The default run lengths: the seed's 10K and 100K (the user's burst-vs-
// sustained pair and its diff) and a run long enough to show sustained
// behaviour within itself (>= 10 s of load on a 2-core machine; the
// within-run decay needs >= 6 s, docs/report.md), issue 17.
inline const std::vector<uint64_t> kDefaultSweep = {10000, 100000, 1000000};

// "a,b,c": a list value of the .conf format (opsSweep, heapProfileAt).
std::string comma_list(const std::vector<uint64_t>& v);

// configs/local.conf as it was when this program was built.
const char* local_conf_text();

// `text` with the N-th `alias host:port` line of its Replicas then Clients
// sections given ports[N] (the host kept), and each `key: value` line whose
// key is in `overrides` given the new value (keys not present are appended).
// Comments and every other line are kept. Fewer ports than endpoint lines
// leave the rest unchanged.
std::string rewrite_config(const std::string& text, const std::vector<uint16_t>& ports,
                           const std::vector<std::pair<std::string, std::string>>& overrides);

// The embedded default with the given ports (3 replicas then 2 clients) and
// sweep: `sweep` sets opsSweep (the milestones and sampling rate are left to
// each process, from its run's length); cpu_profile (set when allocators are
// compared) records the CPU profiles the allocator-time share comes from.
std::string default_config_text(const std::vector<uint16_t>& ports,
                                const std::vector<uint64_t>& sweep, bool cpu_profile);

}  // namespace hd::launcher
