// The CPU profile window diff (analysis/metrics/cpu_diff.h) on a committed
// pair of profiles with a known answer (tests/data/profiles/gen/
// cpu_window_pair.py): Foo::bar's own time, malloc's included, goes from 50
// to 150 samples per 1000 ops; work() stays at 50.
#include "analysis/metrics/cpu_diff.h"

#include <doctest/doctest.h>

#include <map>
#include <string>

#include "analysis/ingest/cpu_profile.h"
#include "analysis/runs/run_folder.h"

namespace hd::analysis {
namespace {

std::string data(const char* name) {
  return std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/profiles/" + name;
}

// The generator's addresses, resolved by hand: a return address names the
// function it returns into.
class FakeResolver {
 public:
  FakeResolver() {
    add(0x401000, "work()");
    add(0x402000, "malloc");
    add(0x403000, "Foo::bar()");
    add(0x403010, "Foo::bar()");
    add(0x404010, "main");
  }
  const SymbolizedLocation& operator()(const std::vector<Mapping>&, uint64_t a, bool) {
    auto it = by_address_.find(a);
    REQUIRE(it != by_address_.end());
    return it->second;
  }

 private:
  void add(uint64_t a, const char* fn) {
    SymbolizedLocation& l = by_address_[a];
    l.address = a;
    l.module = "/fake/bin";
    l.frames.push_back({fn, "fake.cc", 1, false});
  }
  std::map<uint64_t, SymbolizedLocation> by_address_;
};

const FunctionCpu* find(const CpuWindowDiff& d, const std::string& fn) {
  for (const FunctionCpu& f : d.functions)
    if (f.function == fn) return &f;
  return nullptr;
}

TEST_CASE("cpu diff: the committed pair, per op by function, largest rise first") {
  Result<CpuProfile> early = load_cpu_profile(data("cpu_window_early.prof"));
  Result<CpuProfile> late = load_cpu_profile(data("cpu_window_late.prof"));
  REQUIRE(early.is_ok());
  REQUIRE(late.is_ok());
  FakeResolver fake;
  const CpuResolver resolve = std::ref(fake);

  SUBCASE("samples x period / ops when the windows' CPU time is not known") {
    Result<CpuWindowDiff> d = diff_cpu_windows({&*early, 1000, 0}, {&*late, 1000, 0}, resolve);
    REQUIRE(d.is_ok());
    CHECK_FALSE(d->measured_cpu);
    CHECK(d->period_us == 1000);
    CHECK(d->early_samples == 100);
    CHECK(d->late_samples == 200);
    CHECK(d->early_us_per_op == doctest::Approx(100));
    CHECK(d->late_us_per_op == doctest::Approx(200));
    REQUIRE(!d->functions.empty());
    const FunctionCpu& top = d->functions.front();
    CHECK(top.function == "Foo::bar()");
    CHECK(top.name == "Foo::bar");
    // malloc's 10 samples are charged to its caller, as a heap site is.
    CHECK(top.early_self_us == doctest::Approx(50));
    CHECK(top.late_self_us == doctest::Approx(150));
    CHECK(top.self_delta_us() == doctest::Approx(100));
    CHECK(top.total_delta_us() == doctest::Approx(100));
    const FunctionCpu* work = find(*d, "work()");
    REQUIRE(work != nullptr);
    CHECK(work->self_delta_us() == doctest::Approx(0));
    const FunctionCpu* malloc_fn = find(*d, "malloc");
    REQUIRE(malloc_fn != nullptr);
    CHECK(malloc_fn->early_self_us == doctest::Approx(0));
    CHECK(malloc_fn->early_total_us == doctest::Approx(10));
    const FunctionCpu* main_fn = find(*d, "main");
    REQUIRE(main_fn != nullptr);
    CHECK(main_fn->early_total_us == doctest::Approx(100));
    CHECK(main_fn->late_total_us == doctest::Approx(200));
    CHECK(main_fn->self_delta_us() == doctest::Approx(0));
  }

  SUBCASE("scaled to the measured CPU time: a sample stands for cpu_us / samples") {
    // 200 ms over each window: an early sample stands for 2 ms, a late one for 1 ms.
    Result<CpuWindowDiff> d =
        diff_cpu_windows({&*early, 1000, 200000}, {&*late, 1000, 200000}, resolve);
    REQUIRE(d.is_ok());
    CHECK(d->measured_cpu);
    CHECK(d->early_us_per_sample == doctest::Approx(2000));
    CHECK(d->late_us_per_sample == doctest::Approx(1000));
    CHECK(d->early_us_per_op == doctest::Approx(200));
    CHECK(d->late_us_per_op == doctest::Approx(200));
    const FunctionCpu& top = d->functions.front();
    CHECK(top.function == "Foo::bar()");
    CHECK(top.early_self_us == doctest::Approx(100));
    CHECK(top.late_self_us == doctest::Approx(150));
    // work() kept its 50 samples while each came to stand for less: it fell.
    const FunctionCpu* work = find(*d, "work()");
    REQUIRE(work != nullptr);
    CHECK(work->self_delta_us() == doctest::Approx(-50));
    CHECK(d->functions.back().function == "work()");
  }

  SUBCASE("profiles of different periods are not compared") {
    CpuProfile other = *late;
    other.period_us = 4000;
    CHECK_FALSE(diff_cpu_windows({&*early, 1000, 0}, {&other, 1000, 0}, resolve).is_ok());
  }
}

TEST_CASE("cpu windows: cpu-windows.jsonl is read strictly, paths inside the folder") {
  const std::string line =
      "{\"window\":\"early\",\"file\":\"profiles/cpu.early.prof\",\"from_ops\":100,"
      "\"to_ops\":300,\"from_t_ms\":10.5,\"to_t_ms\":30.25,\"from_unix_ms\":5,"
      "\"to_unix_ms\":25,\"from_cpu_us\":1000,\"to_cpu_us\":5000}\n";
  Result<std::vector<CpuWindow>> w = parse_cpu_windows(line, "w.jsonl", "/run/replica0");
  REQUIRE(w.is_ok());
  REQUIRE(w->size() == 1);
  CHECK((*w)[0].name == "early");
  CHECK((*w)[0].path == "/run/replica0/profiles/cpu.early.prof");
  CHECK((*w)[0].to_ops - (*w)[0].from_ops == 200);
  CHECK((*w)[0].to_cpu_us - (*w)[0].from_cpu_us == 4000);
  const Result<std::vector<CpuWindow>> bad =
      parse_cpu_windows(line + "{\"window\":\"late\"}\n", "w.jsonl", "/d");
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("w.jsonl:2") != std::string::npos);
  std::string backwards = line;
  backwards.replace(backwards.find("\"to_ops\":300"), 12, "\"to_ops\":50 ");
  CHECK_FALSE(parse_cpu_windows(backwards, "w.jsonl", "/d").is_ok());
}

TEST_CASE("cpu windows: no early and late window, no diff") {
  ProcessRun p;
  Result<std::optional<CpuWindowDiff>> none = cpu_window_diff(p, nullptr);
  REQUIRE(none.is_ok());
  CHECK_FALSE(none->has_value());
}

}  // namespace
}  // namespace hd::analysis
