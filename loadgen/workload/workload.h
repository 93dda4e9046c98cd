// OpGenerator: the seed client's operation stream for one thread — weak vs
// strong (weakRatio %), writes among each (writes %, weakWrites %), a shared
// hot key for conflicts %, otherwise Zipf(keySpace, zipfSkew) keys, values of
// commandSize bytes. Percentages are plain: p% means probability p/100 (the
// original's `rand.Intn(100) <= p` gave p+1 %; heapdrift does not copy that).
// Deterministic for a given seed. Not thread-safe: one per thread.
#pragma once

#include <cstdint>
#include <string>

#include "base/rng.h"
#include "loadgen/workload/zipf.h"
#include "replica/client/op_class.h"
#include "replica/core/types.h"

namespace hd::loadgen {

struct WorkloadSpec {
  uint32_t weak_ratio = 0;    // % of ops that are weak
  uint32_t writes = 10;       // % of strong ops that are writes
  uint32_t weak_writes = 10;  // % of weak ops that are writes
  uint32_t conflicts = 0;     // % of ops on kHotKey
  uint64_t key_space = 1000000;
  double zipf_skew = 0.0;
  uint32_t command_size = 100;
};

struct Op {
  client::OpClass op = client::OpClass::kStrongRead;
  core::Key key = 0;
  bool is_write() const {
    return op == client::OpClass::kStrongWrite || op == client::OpClass::kWeakWrite;
  }
};

class OpGenerator {
 public:
  // The shared hot key of `conflicts`; outside the Zipf key range.
  static constexpr core::Key kHotKey = ~core::Key{0};

  OpGenerator(const WorkloadSpec& spec, uint64_t seed);

  Op next();
  // A value of command_size bytes for a write; its content names the op so a
  // reader can tell which write it saw.
  const std::string& value_for(uint64_t op_number);

 private:
  bool percent(uint32_t p) { return rng_.below(100) < p; }

  WorkloadSpec spec_;
  Rng rng_;
  ZipfGenerator zipf_;
  std::string value_;
};

}  // namespace hd::loadgen
