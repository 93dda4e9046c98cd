// Test helpers: read a run folder (docs/run-folder.md) and check that every
// documented field is present with the documented type. Header-only, shared
// by the unit and integration memprof tests.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace hd::test::memprof {

// AddressSanitizer (and ThreadSanitizer) replace malloc itself: no jemalloc/tcmalloc can be
// preloaded into the process and the live "allocator" is ASan's, so tests
// that need a real allocator's stats and profiles are skipped in sanitizer
// builds (the release suite runs them). doctest reports them as skipped.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitizerBuild = true;
#else
inline constexpr bool kSanitizerBuild = false;
#endif

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every line of snapshots.jsonl, parsed (a line that does not parse fails the test).
inline std::vector<nlohmann::json> read_snapshots(const std::string& dir) {
  std::vector<nlohmann::json> out;
  std::ifstream in(dir + "/snapshots.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    REQUIRE_MESSAGE(!j.is_discarded(), "unparsable snapshot line: " << line);
    out.push_back(j);
  }
  return out;
}

// Lines of snapshots.jsonl the recorder has finished, for polling while it
// runs: parsing there would read a line it is still writing (that failed a
// test under load).
inline size_t complete_snapshot_lines(const std::string& dir) {
  const std::string text = slurp(dir + "/snapshots.jsonl");
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

inline bool is_u64_or_null(const nlohmann::json& j) {
  return j.is_null() || j.is_number_unsigned();
}

// The documented fields of one snapshot line (schema version 1).
inline void check_snapshot_fields(const nlohmann::json& s, const std::string& backend) {
  INFO("snapshot: " << s.dump());
  REQUIRE(s.is_object());
  CHECK(s.at("seq").is_number_unsigned());
  CHECK(s.at("reason").is_string());
  CHECK(s.at("t_ms").is_number());
  CHECK(s.at("unix_ms").is_number_integer());
  CHECK(s.at("ops").is_number_unsigned());
  const auto& a = s.at("alloc");
  CHECK(a.at("backend") == backend);
  for (const char* k :
       {"allocated", "active", "resident", "mapped", "retained", "metadata", "free", "unmapped"}) {
    CHECK_MESSAGE(is_u64_or_null(a.at(k)), k);
  }
  CHECK(a.at("allocated").is_number_unsigned());  // every backend knows this one
  for (const char* k : {"alloc_count", "alloc_bytes"}) CHECK(is_u64_or_null(s.at("cum").at(k)));
  if (backend == "jemalloc") {
    CHECK(s.at("cum").at("alloc_count").is_number_unsigned());
    CHECK(s.at("cum").at("alloc_bytes").is_number_unsigned());
    // jemalloc's own invariant (test/unit/stats.c), on every snapshot.
    CHECK(a.at("allocated").get<uint64_t>() <= a.at("active").get<uint64_t>());
    CHECK(a.at("active").get<uint64_t>() <= a.at("resident").get<uint64_t>());
    CHECK(a.at("resident").get<uint64_t>() <= a.at("mapped").get<uint64_t>());
  } else {
    CHECK(s.at("cum").at("alloc_count").is_null());
  }
  if (backend == "tcmalloc") {
    CHECK(a.at("allocated").get<uint64_t>() <= a.at("mapped").get<uint64_t>());
  }
  if (backend == "glibc") {
    CHECK(a.at("allocated").get<uint64_t>() <= a.at("mapped").get<uint64_t>());
  }
  const auto& p = s.at("proc");
  for (const char* k :
       {"rss_bytes", "minflt", "majflt", "utime_us", "stime_us", "nvcsw", "nivcsw", "threads",
        "recorder_cpu_us", "probe_runs", "probe_chase_ns", "probe_compute_ns", "probe_kernel_ns"}) {
    CHECK_MESSAGE(p.at(k).is_number_unsigned(), k);
  }
  CHECK(p.at("rss_bytes").get<uint64_t>() > 0);
  CHECK(p.at("threads").get<uint64_t>() >= 1);
  CHECK(s.at("gauges").is_object());
  CHECK((s.at("profile").is_null() || s.at("profile").is_string()));
  CHECK(is_u64_or_null(s.at("profile_us")));
  CHECK(s.at("profile").is_null() == s.at("profile_us").is_null());
}

// meta.json: the documented top-level fields.
inline nlohmann::json read_meta(const std::string& dir) {
  auto j = nlohmann::json::parse(slurp(dir + "/meta.json"), nullptr, false);
  REQUIRE_MESSAGE(!j.is_discarded(), dir << "/meta.json does not parse");
  CHECK(j.at("schema") == "heapdrift.run/1");
  CHECK(j.at("schema_version") == 1);
  for (const char* k : {"program", "pid", "start_unix_ms", "command_line", "allocator", "recorder",
                        "config", "host", "binary", "objects"}) {
    CHECK_MESSAGE(j.contains(k), k);
  }
  for (const char* k :
       {"requested", "live", "verified", "version", "heap_profiles", "heap_profile_kind",
        "heap_profile_format", "heap_profile_sample_bytes", "cumulative_allocs", "env"}) {
    CHECK_MESSAGE(j.at("allocator").contains(k), k);
  }
  for (const char* k : {"hostname", "kernel", "cpus_online", "affinity"}) {
    CHECK_MESSAGE(j.at("host").contains(k), k);
  }
  CHECK(j.at("binary").at("path").is_string());
  CHECK(j.at("binary").at("build_id").is_string());
  CHECK(j.at("objects").size() >= 2);
  return j;
}

}  // namespace hd::test::memprof
