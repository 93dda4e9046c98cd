#include "loadgen/stats/run_stats.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <limits>
#include <sstream>
#include <type_traits>

namespace hd::loadgen {

namespace {
constexpr const char* kClassNames[kOpClasses] = {"strong_read", "strong_write", "weak_read",
                                                 "weak_write"};

double ms(uint64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

// printf into a line of `out`; the attribute keeps format checking on.
__attribute__((format(printf, 2, 3))) void emit(std::ostringstream& out, const char* fmt, ...) {
  char line[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  out << line << '\n';
}

nlohmann::json class_json(const ClassStats& c) {
  nlohmann::json j;
  j["count"] = c.count;
  j["p50_ms"] = ms(c.latency.quantile_ns(0.50));
  j["p90_ms"] = ms(c.latency.quantile_ns(0.90));
  j["p99_ms"] = ms(c.latency.quantile_ns(0.99));
  j["p999_ms"] = ms(c.latency.quantile_ns(0.999));
  j["max_ms"] = ms(c.latency.max_ns());
  j["mean_ms"] = c.latency.mean_ns() / 1e6;
  j["fast_path"] = c.fast_path;
  j["slow_path"] = c.slow_path;
  j["errors"] = c.errors;
  j["timeouts"] = c.timeouts;
  nlohmann::json buckets = nlohmann::json::array();
  for (const auto& [index, n] : c.latency.to_sparse()) buckets.push_back({index, n});
  j["histogram"] = {
      {"min_ns", c.latency.min_ns()}, {"max_ns", c.latency.max_ns()}, {"buckets", buckets}};
  return j;
}

// A JSON number as T, only when it is one exactly: nlohmann's get<integer>()
// casts a float (UB when out of range, e.g. 2.4e86) and wraps a negative
// value into an unsigned type. Found by loadgen_result_fuzz.
template <typename T>
bool exact_number(const nlohmann::json& v, T& out) {
  if constexpr (std::is_integral_v<T>) {
    if (!v.is_number_integer()) return false;
    if constexpr (std::is_unsigned_v<T>) {
      // Parsed non-negative integers are "unsigned"; built ones may be signed.
      if (!v.is_number_unsigned() && v.get<int64_t>() < 0) return false;
      const uint64_t u = v.get<uint64_t>();
      if (u > std::numeric_limits<T>::max()) return false;
      out = static_cast<T>(u);
    } else {
      if (v.is_number_unsigned() &&
          v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return false;
      }
      const int64_t i = v.get<int64_t>();
      if (i < std::numeric_limits<T>::min() || i > std::numeric_limits<T>::max()) return false;
      out = static_cast<T>(i);
    }
    return true;
  } else {
    static_assert(std::is_floating_point_v<T>);
    if (!v.is_number()) return false;
    out = v.get<T>();
    return true;
  }
}

// Strict field access: errors name the JSON path.
template <typename T>
Status get_field(const nlohmann::json& j, const std::string& path, const char* key, T& out) {
  if (!j.is_object() || !j.contains(key))
    return Status::error("missing field '" + path + key + "'");
  const nlohmann::json& v = j.at(key);
  if constexpr (std::is_arithmetic_v<T>) {
    if (!exact_number(v, out))
      return Status::error("field '" + path + key + "' has the wrong type");
  } else {
    try {
      out = v.get<T>();
    } catch (const nlohmann::json::exception&) {
      return Status::error("field '" + path + key + "' has the wrong type");
    }
  }
  return Status::ok();
}

// histogram.buckets: [[index, count], ...] with exact non-negative integers.
Status get_buckets(const nlohmann::json& h, const std::string& path,
                   std::vector<std::pair<uint32_t, uint64_t>>& out) {
  const std::string field = path + "histogram.buckets";
  if (!h.contains("buckets")) return Status::error("missing field '" + field + "'");
  const nlohmann::json& b = h["buckets"];
  if (!b.is_array()) return Status::error("field '" + field + "' has the wrong type");
  out.clear();
  for (const auto& e : b) {
    std::pair<uint32_t, uint64_t> p;
    if (!e.is_array() || e.size() != 2 || !exact_number(e[0], p.first) ||
        !exact_number(e[1], p.second)) {
      return Status::error("field '" + field + "' has an entry that is not [index, count]");
    }
    out.push_back(p);
  }
  return Status::ok();
}

#define HD_TRY(expr)               \
  do {                             \
    if (Status s_ = (expr); !s_) { \
      return s_;                   \
    }                              \
  } while (0)

Status class_from_json(const nlohmann::json& j, const std::string& path, ClassStats& c) {
  HD_TRY(get_field(j, path, "count", c.count));
  HD_TRY(get_field(j, path, "fast_path", c.fast_path));
  HD_TRY(get_field(j, path, "slow_path", c.slow_path));
  HD_TRY(get_field(j, path, "errors", c.errors));
  HD_TRY(get_field(j, path, "timeouts", c.timeouts));
  if (!j.contains("histogram") || !j["histogram"].is_object()) {
    return Status::error("missing field '" + path + "histogram'");
  }
  const auto& h = j["histogram"];
  uint64_t min_ns = 0, max_ns = 0;
  std::vector<std::pair<uint32_t, uint64_t>> buckets;
  HD_TRY(get_field(h, path + "histogram.", "min_ns", min_ns));
  HD_TRY(get_field(h, path + "histogram.", "max_ns", max_ns));
  HD_TRY(get_buckets(h, path, buckets));
  if (!LatencyHistogram::from_sparse(buckets, min_ns, max_ns, c.latency)) {
    return Status::error("field '" + path + "histogram' is inconsistent (bad bucket or min/max)");
  }
  if (c.latency.count() != c.count) {
    return Status::error("field '" + path + "count' does not match its histogram");
  }
  return Status::ok();
}

}  // namespace

size_t class_index(client::OpClass op) {
  return static_cast<size_t>(op);
}
bool class_is_strong(size_t index) {
  return index < 2;
}

void ClassStats::merge(const ClassStats& o) {
  latency.merge(o.latency);
  count += o.count;
  fast_path += o.fast_path;
  slow_path += o.slow_path;
  errors += o.errors;
  timeouts += o.timeouts;
}

uint64_t SecondStats::total() const {
  uint64_t t = 0;
  for (uint64_t c : completed) t += c;
  return t;
}

void SecondStats::merge(const SecondStats& o) {
  for (size_t i = 0; i < kOpClasses; ++i) completed[i] += o.completed[i];
  fast_path += o.fast_path;
  slow_path += o.slow_path;
  retries += o.retries;
  timeouts += o.timeouts;
}

uint64_t RunStats::ops() const {
  uint64_t n = 0;
  for (const auto& c : classes) n += c.count;
  return n;
}

double RunStats::duration_s() const {
  return end_unix_us > start_unix_us ? static_cast<double>(end_unix_us - start_unix_us) / 1e6 : 0.0;
}

double RunStats::throughput_ops_s() const {
  const double d = duration_s();
  return d > 0 ? static_cast<double>(ops()) / d : 0.0;
}

ClassStats RunStats::strong() const {
  ClassStats s = classes[0];
  s.merge(classes[1]);
  return s;
}

ClassStats RunStats::weak() const {
  ClassStats s = classes[2];
  s.merge(classes[3]);
  return s;
}

uint64_t RunStats::timeouts() const {
  uint64_t n = 0;
  for (const auto& c : classes) n += c.timeouts;
  return n;
}

uint64_t RunStats::errors() const {
  uint64_t n = 0;
  for (const auto& c : classes) n += c.errors;
  return n;
}

void RunStats::merge(const RunStats& o) {
  // A default RunStats (merge's starting point) has no clients yet: it takes
  // the other's protocol instead of making the result "mixed".
  const bool fresh = clients.empty();
  for (size_t i = 0; i < kOpClasses; ++i) classes[i].merge(o.classes[i]);
  for (const auto& [second, s] : o.series) series[second].merge(s);
  warmup_ops += o.warmup_ops;
  retries += o.retries;
  session_violations += o.session_violations;
  weak_settled += o.weak_settled;
  weak_unsettled += o.weak_unsettled;
  if (o.ops() > 0 || o.start_unix_us != 0) {
    start_unix_us = start_unix_us == 0 ? o.start_unix_us : std::min(start_unix_us, o.start_unix_us);
    end_unix_us = std::max(end_unix_us, o.end_unix_us);
  }
  clients.insert(clients.end(), o.clients.begin(), o.clients.end());
  if (fresh) {
    protocol = o.protocol;
  } else if (protocol != o.protocol) {
    protocol = "mixed";
  }
}

nlohmann::json RunStats::to_json() const {
  nlohmann::json j;
  j["schema"] = kResultSchema;
  j["protocol"] = protocol;
  j["ops"] = ops();
  j["duration_s"] = duration_s();
  j["throughput_ops_s"] = throughput_ops_s();
  j["start_unix_us"] = start_unix_us;
  j["end_unix_us"] = end_unix_us;
  j["start_unix_ms"] = start_unix_us / 1000;  // derived, for readers of the older files
  j["end_unix_ms"] = end_unix_us / 1000;
  j["warmup_ops"] = warmup_ops;
  j["retries"] = retries;
  j["timeouts"] = timeouts();
  j["errors"] = errors();
  j["session_violations"] = session_violations;
  j["weak_settled"] = weak_settled;
  j["weak_unsettled"] = weak_unsettled;
  for (size_t i = 0; i < kOpClasses; ++i) j["classes"][kClassNames[i]] = class_json(classes[i]);
  nlohmann::json strong_j = class_json(strong()), weak_j = class_json(weak());
  strong_j.erase("histogram");
  weak_j.erase("histogram");
  j["strong"] = strong_j;  // derived, for readers; ignored by from_json
  j["weak"] = weak_j;
  nlohmann::json series_j = nlohmann::json::array();
  for (const auto& [second, s] : series) {
    nlohmann::json e;
    e["unix_s"] = second;
    e["ops"] = s.total();
    for (size_t i = 0; i < kOpClasses; ++i) e[kClassNames[i]] = s.completed[i];
    e["fast_path"] = s.fast_path;
    e["slow_path"] = s.slow_path;
    e["retries"] = s.retries;
    e["timeouts"] = s.timeouts;
    series_j.push_back(e);
  }
  j["tput_series"] = series_j;
  nlohmann::json clients_j = nlohmann::json::array();
  for (const auto& c : clients) {
    clients_j.push_back({{"alias", c.alias},
                         {"ops", c.ops},
                         {"duration_s", c.duration_s},
                         {"throughput_ops_s", c.throughput_ops_s()}});
  }
  j["per_client"] = clients_j;
  return j;
}

Result<RunStats> RunStats::from_json(const nlohmann::json& j) {
  RunStats r;
  std::string schema;
  HD_TRY(get_field(j, "", "schema", schema));
  if (schema != kResultSchema) {
    return Status::error("schema '" + schema + "' is not " + kResultSchema);
  }
  // Files written before the window had microseconds carry only
  // milliseconds (the golden runs of tests/data/runs): still read.
  if (j.contains("start_unix_us") || j.contains("end_unix_us")) {
    HD_TRY(get_field(j, "", "start_unix_us", r.start_unix_us));
    HD_TRY(get_field(j, "", "end_unix_us", r.end_unix_us));
  } else {
    int64_t start_ms = 0, end_ms = 0;
    HD_TRY(get_field(j, "", "start_unix_ms", start_ms));
    HD_TRY(get_field(j, "", "end_unix_ms", end_ms));
    r.start_unix_us = start_ms * 1000;
    r.end_unix_us = end_ms * 1000;
  }
  // Files written before issue 16 have no protocol: they were all CURP-HT.
  if (j.contains("protocol")) HD_TRY(get_field(j, "", "protocol", r.protocol));
  HD_TRY(get_field(j, "", "warmup_ops", r.warmup_ops));
  HD_TRY(get_field(j, "", "retries", r.retries));
  HD_TRY(get_field(j, "", "session_violations", r.session_violations));
  // Absent in files written before CURP-HO ran (issue 16 step 10): 0.
  if (j.contains("weak_settled")) HD_TRY(get_field(j, "", "weak_settled", r.weak_settled));
  if (j.contains("weak_unsettled")) HD_TRY(get_field(j, "", "weak_unsettled", r.weak_unsettled));
  if (!j.contains("classes") || !j["classes"].is_object())
    return Status::error("missing field 'classes'");
  for (size_t i = 0; i < kOpClasses; ++i) {
    const std::string path = std::string("classes.") + kClassNames[i] + ".";
    if (!j["classes"].contains(kClassNames[i]))
      return Status::error("missing field '" + path + "'");
    HD_TRY(class_from_json(j["classes"][kClassNames[i]], path, r.classes[i]));
  }
  if (!j.contains("tput_series") || !j["tput_series"].is_array()) {
    return Status::error("missing field 'tput_series'");
  }
  for (const auto& e : j["tput_series"]) {
    int64_t second = 0;
    SecondStats s;
    HD_TRY(get_field(e, "tput_series[].", "unix_s", second));
    for (size_t i = 0; i < kOpClasses; ++i)
      HD_TRY(get_field(e, "tput_series[].", kClassNames[i], s.completed[i]));
    HD_TRY(get_field(e, "tput_series[].", "fast_path", s.fast_path));
    HD_TRY(get_field(e, "tput_series[].", "slow_path", s.slow_path));
    HD_TRY(get_field(e, "tput_series[].", "retries", s.retries));
    HD_TRY(get_field(e, "tput_series[].", "timeouts", s.timeouts));
    r.series[second].merge(s);
  }
  if (!j.contains("per_client") || !j["per_client"].is_array()) {
    return Status::error("missing field 'per_client'");
  }
  for (const auto& c : j["per_client"]) {
    ClientSummary cs;
    HD_TRY(get_field(c, "per_client[].", "alias", cs.alias));
    HD_TRY(get_field(c, "per_client[].", "ops", cs.ops));
    HD_TRY(get_field(c, "per_client[].", "duration_s", cs.duration_s));
    r.clients.push_back(cs);
  }
  return r;
}

std::string format_summary(const RunStats& s, const std::string& title) {
  std::ostringstream out;
  const uint64_t total = s.ops();
  auto pct = [total](uint64_t n) {
    return total ? 100.0 * static_cast<double>(n) / static_cast<double>(total) : 0.0;
  };
  out << "=== " << title << " ===\n";
  emit(out, "Total operations: %llu (warm-up excluded: %llu)",
       static_cast<unsigned long long>(total), static_cast<unsigned long long>(s.warmup_ops));
  emit(out, "Duration: %.3f s", s.duration_s());
  emit(out, "Aggregate throughput: %.2f ops/sec", s.throughput_ops_s());
  out << '\n';
  auto block = [&](const char* name, const ClassStats& c, const ClassStats& writes,
                   const ClassStats& reads) {
    emit(out, "%s Operations: %llu (%.1f%%)", name, static_cast<unsigned long long>(c.count),
         pct(c.count));
    emit(out, "  Writes: %llu | Reads: %llu", static_cast<unsigned long long>(writes.count),
         static_cast<unsigned long long>(reads.count));
    emit(out,
         "  Median latency: %.3f ms | P90: %.3f ms | P99: %.3f ms | P99.9: %.3f ms | Max: %.3f ms",
         ms(c.latency.quantile_ns(0.5)), ms(c.latency.quantile_ns(0.9)),
         ms(c.latency.quantile_ns(0.99)), ms(c.latency.quantile_ns(0.999)), ms(c.latency.max_ns()));
    emit(out, "  Writes median: %.3f ms, P99: %.3f ms | Reads median: %.3f ms, P99: %.3f ms",
         ms(writes.latency.quantile_ns(0.5)), ms(writes.latency.quantile_ns(0.99)),
         ms(reads.latency.quantile_ns(0.5)), ms(reads.latency.quantile_ns(0.99)));
  };
  const ClassStats strong = s.strong(), weak = s.weak();
  block("Strong", strong, s.classes[1], s.classes[0]);
  emit(out, "  Fast path: %llu | Slow path: %llu",
       static_cast<unsigned long long>(strong.fast_path),
       static_cast<unsigned long long>(strong.slow_path));
  block("Weak", weak, s.classes[3], s.classes[2]);
  out << '\n';
  emit(out, "Errors: %llu | Timeouts: %llu | Retries: %llu | Session violations: %llu",
       static_cast<unsigned long long>(s.errors()), static_cast<unsigned long long>(s.timeouts()),
       static_cast<unsigned long long>(s.retries),
       static_cast<unsigned long long>(s.session_violations));
  if (s.weak_unsettled > 0 || s.protocol != "curpht") {
    emit(out, "Weak writes settled: %llu | Unsettled at the end: %llu",
         static_cast<unsigned long long>(s.weak_settled),
         static_cast<unsigned long long>(s.weak_unsettled));
  }
  if (!s.clients.empty()) {
    out << "\nPer-client breakdown:\n";
    for (const auto& c : s.clients) {
      emit(out, "  %s: %llu ops in %.3f s, %.2f ops/sec", c.alias.c_str(),
           static_cast<unsigned long long>(c.ops), c.duration_s, c.throughput_ops_s());
    }
  }
  return out.str();
}

}  // namespace hd::loadgen
