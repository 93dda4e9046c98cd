// `heapdrift diff` (analysis/diff/diff.h) on the committed golden runs: two
// runs of the plant, and two profiles of one process.
#include "analysis/diff/diff.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "unit/analysis/runs_test_util.h"

namespace hd::analysis {
namespace {

using testing::kRuns;

TEST_CASE("diff: two runs of the plant rank the replica log first per op") {
  Result<DiffResult> d = diff_inputs(kRuns + "history-2k", kRuns + "history-10k");
  REQUIRE(d.is_ok());
  REQUIRE(!d->rows.empty());
  const DiffRow* log_row = nullptr;
  for (size_t i = 0; i < d->rows.size() && i < 5; ++i)
    if (d->rows[i].function.find("ReplicatedLog::append") != std::string::npos)
      log_row = &d->rows[i];
  REQUIRE(log_row != nullptr);
  CHECK(log_row->b_bytes > log_row->a_bytes);
  CHECK(log_row->growth_per_op > 0);
  const std::string text = diff_text(*d, 10);
  CHECK(text.find("ReplicatedLog::append") != std::string::npos);
  CHECK(nlohmann::json::parse(diff_json(*d))["rows"].size() == d->rows.size());
  // Two profiles of one process.
  d = diff_inputs(kRuns + "history-10k/replica0/profiles/heap.ops-000001000.heap",
                  kRuns + "history-10k/replica0/profiles/heap.ops-000008000.heap");
  REQUIRE(d.is_ok());
  CHECK(d->a_ops == 1000);
  CHECK(d->b_ops == 8000);
  CHECK(d->rows.front().b_bytes - d->rows.front().a_bytes > 100000);
}

}  // namespace
}  // namespace hd::analysis
