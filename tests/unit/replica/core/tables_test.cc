// Unit tests of the core's internal tables: SeqWindow (per-client de-dup under
// duplication and reordering), WitnessTable, ReplicatedLog.
#include <doctest/doctest.h>

#include "replica/core/replicated_log.h"
#include "replica/core/seq_window.h"
#include "replica/core/witness_table.h"

namespace hd::core {
namespace {

TEST_CASE("SeqWindow: reordered seqs are new exactly once") {
  SeqWindow w;
  CHECK(w.insert(SeqNo{3}));
  CHECK(w.insert(SeqNo{1}));
  CHECK_FALSE(w.insert(SeqNo{3}));
  CHECK_FALSE(w.contains(SeqNo{2}));  // a plain "highest seen" would call 2 a duplicate
  CHECK(w.insert(SeqNo{2}));
  CHECK(w.floor() == SeqNo{4});  // compacted past the contiguous prefix
  CHECK(w.contains(SeqNo{0}));   // 0 is never a real op
}

TEST_CASE("SeqWindow: a far jump slides the window; raise_floor marks finished seqs") {
  SeqWindow w;
  CHECK(w.insert(SeqNo{5}));
  CHECK(w.insert(SeqNo{5 + SeqWindow::kSpan + 10}));
  CHECK(w.contains(SeqNo{5}));
  CHECK(w.contains(SeqNo{6}));  // slid past: treated as long finished
  CHECK_FALSE(w.contains(SeqNo{5 + SeqWindow::kSpan + 9}));
  CHECK(w.insert(SeqNo{5 + SeqWindow::kSpan + 9}));
  w.raise_floor(SeqNo{100'000});
  CHECK(w.contains(SeqNo{99'999}));
  CHECK_FALSE(w.contains(SeqNo{100'000}));
  CHECK(w.insert(SeqNo{100'000}));
  CHECK(w.floor() == SeqNo{100'001});
}

TEST_CASE("WitnessTable: conflicts, duplicates, removal and GC") {
  WitnessTable t;
  const Command put5{OpKind::kPut, 5, "x"};
  const Command get5{OpKind::kGet, 5, {}};
  CHECK(t.record(ClientId{1}, SeqNo{1}, get5, 10) == WitnessResult::kRecorded);
  CHECK(t.record(ClientId{2}, SeqNo{1}, get5, 10) == WitnessResult::kRecorded);
  CHECK(t.record(ClientId{3}, SeqNo{1}, put5, 10) == WitnessResult::kConflict);
  CHECK(t.record(ClientId{1}, SeqNo{1}, get5, 11) == WitnessResult::kAlreadyHeld);
  CHECK(t.size() == 2);
  CHECK(t.remove(ClientId{1}, SeqNo{1}, 5));
  CHECK_FALSE(t.remove(ClientId{1}, SeqNo{1}, 5));
  CHECK(t.record(ClientId{4}, SeqNo{1}, Command{OpKind::kPut, 6, "y"}, 50) ==
        WitnessResult::kRecorded);
  CHECK(t.collect_older_than(100, 60) == 1);  // the get recorded at 10
  CHECK(t.size() == 1);
  CHECK(t.record(ClientId{3}, SeqNo{1}, put5, 100) == WitnessResult::kRecorded);
}

TEST_CASE("ReplicatedLog: contiguous slots, release from the front, reset after a transfer") {
  ReplicatedLog log;
  CHECK(log.last_index() == LogIndex{0});
  CHECK(log.first_index() == LogIndex{1});
  CHECK(log.append(LogEntry{}) == LogIndex{1});
  CHECK(log.append(LogEntry{}) == LogIndex{2});
  log.release_front();
  CHECK(log.first_index() == LogIndex{2});
  CHECK(log.holds(LogIndex{2}));
  CHECK_FALSE(log.holds(LogIndex{1}));
  log.release_front();
  CHECK(log.empty());
  CHECK(log.first_index() == LogIndex{3});
  CHECK(log.last_index() == LogIndex{2});
  log.reset_after(LogIndex{10});
  CHECK(log.append(LogEntry{}) == LogIndex{11});
}

}  // namespace
}  // namespace hd::core
