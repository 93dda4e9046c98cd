// The op mix follows the seed's percentages exactly (not the original's p+1 %).
#include "loadgen/workload/workload.h"

#include <doctest/doctest.h>

#include <cmath>

using hd::client::OpClass;
using hd::loadgen::OpGenerator;
using hd::loadgen::WorkloadSpec;

TEST_CASE("op mix matches weakRatio, writes, weakWrites and conflicts") {
  WorkloadSpec spec;
  spec.weak_ratio = 50;
  spec.writes = 5;
  spec.weak_writes = 5;
  spec.conflicts = 10;
  spec.key_space = 1000;
  spec.zipf_skew = 0.99;
  OpGenerator gen(spec, 11);
  constexpr int kOps = 200000;
  int weak = 0, strong_writes = 0, weak_writes = 0, hot = 0;
  for (int i = 0; i < kOps; ++i) {
    const auto op = gen.next();
    const bool is_weak = op.op == OpClass::kWeakRead || op.op == OpClass::kWeakWrite;
    weak += is_weak;
    strong_writes += op.op == OpClass::kStrongWrite;
    weak_writes += op.op == OpClass::kWeakWrite;
    hot += op.key == OpGenerator::kHotKey;
    if (op.key != OpGenerator::kHotKey) REQUIRE(op.key < 1000);
  }
  auto near = [](double got, double want) { return std::abs(got - want) < 0.01; };
  CHECK(near(static_cast<double>(weak) / kOps, 0.50));
  CHECK(near(static_cast<double>(strong_writes) / (kOps - weak), 0.05));
  CHECK(near(static_cast<double>(weak_writes) / weak, 0.05));
  CHECK(near(static_cast<double>(hot) / kOps, 0.10));
}

TEST_CASE("0% and 100% mean never and always") {
  WorkloadSpec spec;
  spec.weak_ratio = 0;
  spec.writes = 100;
  OpGenerator gen(spec, 3);
  for (int i = 0; i < 1000; ++i) CHECK(gen.next().op == OpClass::kStrongWrite);
}

TEST_CASE("same seed, same ops; values have commandSize bytes and name the op") {
  WorkloadSpec spec;
  spec.weak_ratio = 50;
  spec.zipf_skew = 0.99;
  spec.command_size = 100;
  OpGenerator a(spec, 5), b(spec, 5);
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next(), y = b.next();
    CHECK(x.op == y.op);
    CHECK(x.key == y.key);
  }
  CHECK(a.value_for(1234).size() == 100);
  CHECK(a.value_for(1234).starts_with("1234:"));
}
