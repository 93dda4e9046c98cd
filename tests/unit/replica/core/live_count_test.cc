// LiveCount: the per-type live-object gauges (live.<type>) follow construction,
// copies, moves and destruction, including objects nested in containers.
#include <doctest/doctest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "replica/core/messages.h"

namespace hd::core {
namespace {

uint64_t gauge(const char* name) {
  const auto all = live_type_counts();
  const auto it = std::find_if(
      all.begin(), all.end(), [&](const LiveTypeCount& c) { return std::string(c.gauge) == name; });
  REQUIRE(it != all.end());
  return it->live;
}

TEST_CASE("LiveCount: constructions, copies and moves count; destruction and assignment balance") {
  const uint64_t propose0 = gauge("live.propose");
  const uint64_t command0 = gauge("live.command");
  {
    Propose a{ClientId{1}, SeqNo{1}, SeqNo{0}, Command{OpKind::kPut, 7, "v"}};
    CHECK(gauge("live.propose") == propose0 + 1);
    CHECK(gauge("live.command") == command0 + 1);  // the nested command is an object too
    Propose b = a;
    Propose c = std::move(a);  // the moved-from object is still alive
    CHECK(gauge("live.propose") == propose0 + 3);
    b = c;
    CHECK(gauge("live.propose") == propose0 + 3);
    CHECK(b == c);  // the counter takes no part in equality
  }
  CHECK(gauge("live.propose") == propose0);
  CHECK(gauge("live.command") == command0);
}

TEST_CASE("LiveCount: entries held in containers and inside a Message variant") {
  const uint64_t entries0 = gauge("live.log_entry");
  const uint64_t accepts0 = gauge("live.accept");
  {
    Accept acc;
    acc.entries.resize(40);
    Message m{std::move(acc)};
    CHECK(gauge("live.accept") == accepts0 + 2);
    CHECK(gauge("live.log_entry") == entries0 + 40);  // the vector moved, its entries did not
    std::get<Accept>(m).entries.resize(10);
    CHECK(gauge("live.log_entry") == entries0 + 10);
  }
  CHECK(gauge("live.log_entry") == entries0);
  CHECK(gauge("live.accept") == accepts0);
  struct AcceptAckWithoutCounter {
    ReplicaId from;
    LogIndex last_contiguous, applied;
    Term term;
    bool reject;
  };
  CHECK(sizeof(AcceptAck) == sizeof(AcceptAckWithoutCounter));  // the counter costs no bytes
}

}  // namespace
}  // namespace hd::core
