#include "loadgen/workload/workload.h"

#include <algorithm>
#include <cstdio>

namespace hd::loadgen {

OpGenerator::OpGenerator(const WorkloadSpec& spec, uint64_t seed)
    : spec_(spec), rng_(seed), zipf_(std::max<uint64_t>(1, spec.key_space), spec.zipf_skew) {
  value_.assign(spec.command_size, 'x');
}

Op OpGenerator::next() {
  Op op;
  const bool weak = percent(spec_.weak_ratio);
  if (weak) {
    op.op = percent(spec_.weak_writes) ? client::OpClass::kWeakWrite : client::OpClass::kWeakRead;
  } else {
    op.op = percent(spec_.writes) ? client::OpClass::kStrongWrite : client::OpClass::kStrongRead;
  }
  op.key = percent(spec_.conflicts) ? kHotKey : zipf_.next_rank(rng_) - 1;
  return op;
}

const std::string& OpGenerator::value_for(uint64_t op_number) {
  // Stamp the op number over the start of the value (no allocation).
  char stamp[24];
  const int n =
      std::snprintf(stamp, sizeof stamp, "%llu:", static_cast<unsigned long long>(op_number));
  const size_t len = std::min(value_.size(), static_cast<size_t>(n));
  std::copy_n(stamp, len, value_.begin());
  return value_;
}

}  // namespace hd::loadgen
