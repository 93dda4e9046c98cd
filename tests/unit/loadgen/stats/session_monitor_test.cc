#include "loadgen/stats/session_monitor.h"

#include <doctest/doctest.h>

#include <unordered_set>

#include "base/rng.h"
#include "loadgen/workload/zipf.h"

namespace hd::loadgen {
namespace {

using client::OpClass;

TEST_CASE("SessionMonitor: a weak read older than the session's write or read is a violation") {
  SessionMonitor m;
  CHECK(m.observe(OpClass::kWeakWrite, 7, 10));
  CHECK_FALSE(m.observe(OpClass::kWeakRead, 7, 9));  // older than its own write
  CHECK(m.observe(OpClass::kWeakRead, 7, 10));
  CHECK(m.observe(OpClass::kStrongRead, 7, 15));
  CHECK_FALSE(m.observe(OpClass::kWeakRead, 7, 12));  // older than a read it saw
  CHECK(m.observe(OpClass::kWeakRead, 7, 15));
  CHECK(m.observe(OpClass::kWeakRead, 8, 1));  // other keys are independent
  // A weak read of version 0 after the session saw the key written.
  CHECK_FALSE(m.observe(OpClass::kWeakRead, 7, 0));
}

TEST_CASE("SessionMonitor: memory follows the keys seen written, not the keys touched") {
  // The seed workload: zipf 0.99 over 1M keys, 5 % writes. Reads of keys never
  // written return version 0 and must add no entry (they did: ~16 B/op).
  SessionMonitor m;
  const ZipfGenerator zipf(1'000'000, 0.99);
  Rng rng(42);
  uint64_t version = 0;
  int violations = 0;
  std::unordered_set<uint64_t> distinct_written, distinct_touched;
  for (int i = 0; i < 200'000; ++i) {
    const uint64_t key = zipf.next_rank(rng) - 1;
    distinct_touched.insert(key);
    if (i % 20 == 0) {
      violations += m.observe(OpClass::kWeakWrite, key, ++version) ? 0 : 1;
      distinct_written.insert(key);
    } else {
      // Reads answered from the store: the latest version for written keys.
      const bool w = distinct_written.count(key) > 0;
      violations += m.observe(OpClass::kWeakRead, key, w ? version : 0) ? 0 : 1;
    }
  }
  CHECK(violations == 0);
  CHECK(m.keys_tracked() == distinct_written.size());
  MESSAGE("keys touched ", distinct_touched.size(), ", written ", distinct_written.size());
  // The old map held every key touched; here that is many times more.
  CHECK(distinct_touched.size() > 5 * distinct_written.size());
}

}  // namespace
}  // namespace hd::loadgen
