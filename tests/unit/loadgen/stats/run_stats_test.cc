// Result files: lossless round trip, merge = true merged percentiles, strict
// parsing with errors that name the field.
#include "loadgen/stats/run_stats.h"

#include <doctest/doctest.h>

#include "loadgen/stats/spread.h"

using hd::loadgen::RunStats;

namespace {

RunStats sample(uint64_t base_ns, uint64_t n, int64_t start_ms, const std::string& alias) {
  RunStats s;
  for (uint64_t i = 0; i < n; ++i) {
    auto& c = s.classes[i % 4];
    c.latency.record(base_ns + i * 1000);
    ++c.count;
    if (i % 4 < 2) ++(i % 3 ? c.fast_path : c.slow_path);
    auto& sec = s.series[start_ms / 1000 + static_cast<int64_t>(i % 3)];
    ++sec.completed[i % 4];
  }
  s.retries = 2;
  s.start_unix_us = start_ms * 1000;
  s.end_unix_us = (start_ms + 2000) * 1000;
  s.clients.push_back({alias, n, 2.0});
  return s;
}

}  // namespace

TEST_CASE("result JSON round-trips losslessly") {
  const RunStats a = sample(1'000'000, 1000, 1'700'000'000'000, "client0");
  auto back = RunStats::from_json(a.to_json());
  REQUIRE_MESSAGE(back.is_ok(), (back.is_ok() ? "" : back.status().message()));
  CHECK(back->ops() == a.ops());
  CHECK(back->throughput_ops_s() == doctest::Approx(a.throughput_ops_s()));
  for (size_t i = 0; i < hd::loadgen::kOpClasses; ++i) {
    CHECK(back->classes[i].latency.quantile_ns(0.99) == a.classes[i].latency.quantile_ns(0.99));
    CHECK(back->classes[i].fast_path == a.classes[i].fast_path);
  }
  CHECK(back->series.size() == a.series.size());
  CHECK(back->clients.size() == 1);
  const auto j = a.to_json();
  for (const char* field : {"ops", "duration_s", "throughput_ops_s", "tput_series", "per_client"}) {
    CHECK(j.contains(field));
  }
  for (const char* field : {"count", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "fast_path",
                            "slow_path", "errors", "timeouts"}) {
    CHECK(j["strong"].contains(field));
    CHECK(j["classes"]["weak_read"].contains(field));
  }
}

TEST_CASE("the window is in microseconds: a 26 ms run's throughput is not rounded to whole ms") {
  // 2,000 ops in 26.4 ms. In whole milliseconds the window read 26 ms and
  // every short run's throughput fell on a few values (2000 / 0.026 = 76923).
  RunStats s = sample(1'000'000, 2000, 1'700'000'000'000, "client0");
  s.start_unix_us = 1'700'000'000'000'000;
  s.end_unix_us = s.start_unix_us + 26'400;
  CHECK(s.duration_s() == doctest::Approx(0.0264));
  auto back = RunStats::from_json(s.to_json());
  REQUIRE(back.is_ok());
  CHECK(back->start_unix_us == s.start_unix_us);
  CHECK(back->end_unix_us == s.end_unix_us);
  CHECK(back->throughput_ops_s() == doctest::Approx(2000 / 0.0264));
  // The millisecond fields are still written, for older readers.
  CHECK(s.to_json()["start_unix_ms"] == 1'700'000'000'000);
  // A file written before microseconds (only *_unix_ms) still reads.
  nlohmann::json old = s.to_json();
  old.erase("start_unix_us");
  old.erase("end_unix_us");
  old["end_unix_ms"] = 1'700'000'000'026;
  back = RunStats::from_json(old);
  REQUIRE(back.is_ok());
  CHECK(back->start_unix_us == 1'700'000'000'000'000);
  CHECK(back->duration_s() == doctest::Approx(0.026));
}

TEST_CASE("merging two processes merges histograms and the per-second series") {
  RunStats a = sample(1'000'000, 1000, 1'700'000'000'000, "client0");
  const RunStats b = sample(50'000'000, 1000, 1'700'000'000'500, "client1");
  RunStats all = a;
  all.merge(b);
  CHECK(all.ops() == 2000);
  CHECK(all.clients.size() == 2);
  CHECK(all.start_unix_us == 1'700'000'000'000'000);
  CHECK(all.end_unix_us == 1'700'000'002'500'000);
  // True merged p50 lies between the two processes' medians; p99 comes from b.
  const uint64_t p50 = all.strong().latency.quantile_ns(0.5);
  CHECK(p50 > a.strong().latency.quantile_ns(0.5));
  CHECK(all.strong().latency.quantile_ns(0.99) >= b.strong().latency.quantile_ns(0.9));
  uint64_t series_total = 0;
  for (const auto& [sec, s] : all.series) series_total += s.total();
  CHECK(series_total == 2000);
}

TEST_CASE("the protocol is recorded, read back, defaulted for older files and merged") {
  RunStats a = sample(1'000'000, 100, 1'700'000'000'000, "client0");
  a.protocol = "curpho";
  auto back = RunStats::from_json(a.to_json());
  REQUIRE(back.is_ok());
  CHECK(back->protocol == "curpho");
  nlohmann::json old = a.to_json();
  old.erase("protocol");  // written before issue 16: CURP-HT was the only protocol
  back = RunStats::from_json(old);
  REQUIRE(back.is_ok());
  CHECK(back->protocol == "curpht");
  RunStats merged;  // as `loadgen merge` starts
  merged.merge(a);
  CHECK(merged.protocol == "curpho");
  merged.merge(a);
  CHECK(merged.protocol == "curpho");
  merged.merge(sample(1'000'000, 100, 1'700'000'000'000, "client1"));
  CHECK(merged.protocol == "mixed");
}

TEST_CASE("weak writes settled and left unsettled: recorded, read back, summed, summarised") {
  RunStats a = sample(1'000'000, 100, 1'700'000'000'000, "client0");
  a.protocol = "curpho";
  a.weak_settled = 25;
  a.weak_unsettled = 2;
  const nlohmann::json j = a.to_json();
  CHECK(j["weak_settled"] == 25);
  CHECK(j["weak_unsettled"] == 2);
  auto back = RunStats::from_json(j);
  REQUIRE(back.is_ok());
  CHECK(back->weak_settled == 25);
  CHECK(back->weak_unsettled == 2);
  nlohmann::json old = j;  // written before CURP-HO ran: no such fields
  old.erase("weak_settled");
  old.erase("weak_unsettled");
  back = RunStats::from_json(old);
  REQUIRE(back.is_ok());
  CHECK(back->weak_settled == 0);
  CHECK(back->weak_unsettled == 0);
  nlohmann::json bad = j;
  bad["weak_unsettled"] = "two";
  CHECK_FALSE(RunStats::from_json(bad).is_ok());
  RunStats merged;
  merged.merge(a);
  merged.merge(a);
  CHECK(merged.weak_settled == 50);
  CHECK(merged.weak_unsettled == 4);
  const std::string text = hd::loadgen::format_summary(merged, "Merged");
  CHECK(text.find("Weak writes settled: 50 | Unsettled at the end: 4") != std::string::npos);
  // A CURP-HT result keeps the seed's block as it was.
  const std::string ht =
      hd::loadgen::format_summary(sample(1'000'000, 100, 1'700'000'000'000, "c"), "HT");
  CHECK(ht.find("Weak writes settled") == std::string::npos);
}

TEST_CASE("strict parsing names the bad field") {
  auto j = sample(1000, 10, 1000, "c").to_json();
  auto msg = [](const nlohmann::json& x) {
    auto r = RunStats::from_json(x);
    REQUIRE_FALSE(r.is_ok());
    return r.status().message();
  };
  auto missing = j;
  missing.erase("retries");
  CHECK(msg(missing).find("'retries'") != std::string::npos);
  auto wrong = j;
  wrong["classes"]["weak_read"]["count"] = "many";
  CHECK(msg(wrong).find("classes.weak_read.count") != std::string::npos);
  auto inconsistent = j;
  inconsistent["classes"]["weak_read"]["count"] = 999;
  CHECK(msg(inconsistent).find("does not match") != std::string::npos);
  auto schema = j;
  schema["schema"] = "other/9";
  CHECK(msg(schema).find("schema") != std::string::npos);
  // Numbers must be exact integers of the field's range: a float or a negative
  // value is refused, never cast (loadgen_result_fuzz found a 2.4e86 max_ns).
  auto huge = j;
  huge["classes"]["weak_read"]["histogram"]["max_ns"] = 2.4e86;
  CHECK(msg(huge).find("classes.weak_read.histogram.max_ns") != std::string::npos);
  auto fractional = j;
  fractional["retries"] = 1.5;
  CHECK(msg(fractional).find("'retries' has the wrong type") != std::string::npos);
  auto negative = j;
  negative["classes"]["weak_read"]["count"] = -1;
  CHECK(msg(negative).find("classes.weak_read.count") != std::string::npos);
  auto bucket = j;
  bucket["classes"]["weak_read"]["histogram"]["buckets"] = nlohmann::json::array({{1.0e30, 1}});
  CHECK(msg(bucket).find("histogram.buckets") != std::string::npos);
}

TEST_CASE("the human block has the seed's shape") {
  const std::string text =
      hd::loadgen::format_summary(sample(2'000'000, 400, 1000, "client0"), "Merged Results");
  for (const char* line :
       {"Aggregate throughput: ", "Strong Operations: ", "Weak Operations: ", "Writes: ",
        "Median latency: ", "P99: ", "Fast path: ", "Per-client breakdown:", "client0: "}) {
    CAPTURE(line);
    CHECK(text.find(line) != std::string::npos);
  }
}

TEST_CASE("spread_text: a spread from two runs on; one run says so instead of '± 0'") {
  CHECK(hd::loadgen::spread_text(hd::loadgen::mean_and_sample_sd({100, 110, 120})) == "110 ± 10");
  CHECK(hd::loadgen::spread_text(hd::loadgen::mean_and_sample_sd({141289})) == "141289 (1 run)");
  CHECK(hd::loadgen::spread_text(hd::loadgen::mean_and_sample_sd({})) == "-");
  CHECK(hd::loadgen::spread_text(5, 1, 2, " +- ") == "5 +- 1");
}
