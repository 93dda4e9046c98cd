// RunStats: everything one loadgen process (or a merge of several) measured —
// per op class latency histograms and counters, the per-second series, and
// client-side check results — with lossless JSON (histograms travel as sparse
// buckets, so merging files gives true merged percentiles). Schema:
// docs/loadgen-result.md. Not thread-safe: each thread fills its own and they
// are merged at the end.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/schema.h"
#include "base/status.h"
#include "loadgen/stats/histogram.h"
#include "replica/client/op_class.h"

namespace hd::loadgen {

inline constexpr const char* kResultSchema = schema::kLoadgenResult;

constexpr size_t kOpClasses = 4;
size_t class_index(client::OpClass op);
bool class_is_strong(size_t index);

struct ClassStats {
  LatencyHistogram latency;  // completed ops only, warm-up excluded
  uint64_t count = 0;        // completed ok (warm-up excluded)
  uint64_t fast_path = 0;
  uint64_t slow_path = 0;
  uint64_t errors = 0;
  uint64_t timeouts = 0;
  void merge(const ClassStats& other);
};

// One wall-clock second (unix seconds) of completions, warm-up included.
struct SecondStats {
  std::array<uint64_t, kOpClasses> completed{};
  uint64_t fast_path = 0;
  uint64_t slow_path = 0;
  uint64_t retries = 0;
  uint64_t timeouts = 0;
  uint64_t total() const;
  void merge(const SecondStats& other);
};

struct ClientSummary {
  std::string alias;
  uint64_t ops = 0;
  double duration_s = 0;
  double throughput_ops_s() const {
    return duration_s > 0 ? static_cast<double>(ops) / duration_s : 0;
  }
};

struct RunStats {
  std::array<ClassStats, kOpClasses> classes;
  std::map<int64_t, SecondStats> series;  // unix second -> stats
  uint64_t warmup_ops = 0;
  uint64_t retries = 0;
  uint64_t session_violations = 0;  // weak reads breaking read-your-writes / monotonic reads
  // Weak writes (warm-up included) final at a slot: CURP-HO's settled by the
  // leader's WeakWriteReply after their ack; CURP-HT's when they complete.
  // Unsettled: CURP-HO writes acked but still not settled when the run
  // ended (after waiting up to the op timeout for them): errors, since an
  // acknowledged write must take effect.
  uint64_t weak_settled = 0;
  uint64_t weak_unsettled = 0;
  // Measurement window (wall clock as unix microseconds): first measured
  // submit to last completion. Merging takes the union. Microseconds, not
  // milliseconds: a 2,000-op run lasts ~26 ms, and whole milliseconds made
  // its throughput a few quantized values ("76923 ± 0").
  int64_t start_unix_us = 0;
  int64_t end_unix_us = 0;
  std::vector<ClientSummary> clients;
  // The protocol the run drove (`--protocol` or the config's). Merging
  // results of different protocols gives "mixed".
  std::string protocol = "curpht";

  uint64_t ops() const;  // completed ok, warm-up excluded
  double duration_s() const;
  double throughput_ops_s() const;
  ClassStats strong() const;
  ClassStats weak() const;
  uint64_t timeouts() const;
  uint64_t errors() const;

  void merge(const RunStats& other);

  nlohmann::json to_json() const;
  // Strict: a missing or ill-typed field is an error naming it.
  static Result<RunStats> from_json(const nlohmann::json& j);
};

// The seed-shaped human block ("Aggregate throughput: N ops/sec", ...), with
// true percentiles.
std::string format_summary(const RunStats& stats, const std::string& title);

}  // namespace hd::loadgen
