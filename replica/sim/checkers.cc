// Checkers over a recorded history. The linearizability search follows
// Wing & Gong with Lowe's just-in-time linearization and Porcupine's memo of
// (linearized set, model state); everything else is a linear scan.
#include "replica/sim/checkers.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/check.h"

namespace hd::sim {
namespace {

const char* op_name(client::OpClass op) {
  switch (op) {
    case client::OpClass::kStrongRead:
      return "strong-read";
    case client::OpClass::kStrongWrite:
      return "strong-write";
    case client::OpClass::kWeakRead:
      return "weak-read";
    case client::OpClass::kWeakWrite:
      return "weak-write";
  }
  return "?";
}

// ---- linearizability -------------------------------------------------------

// One op of a per-key partition, with the register values mapped to ids
// (0 = the initial, never-written value).
struct LinOp {
  uint32_t history_index = 0;
  bool write = false;
  int32_t value_id = 0;
  bool finite = true;  // has a response; must be linearized
};

// Doubly-linked list node over call and return entries, sorted by position.
struct Entry {
  uint32_t op = 0;
  bool is_call = false;
  int32_t match = -1;  // call -> its return entry
  int32_t prev = -1;
  int32_t next = -1;
};

struct MemoKeyHash {
  size_t operator()(const std::vector<uint64_t>& v) const {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (uint64_t w : v) {
      h ^= w;
      h *= 0x100000001b3ULL;
      h ^= h >> 29;
    }
    return static_cast<size_t>(h);
  }
};

class KeySearch {
 public:
  KeySearch(std::vector<LinOp> ops, const History& history)
      : ops_(std::move(ops)), history_(history) {}

  CheckResult run(uint64_t max_steps) {
    build_list();
    const uint32_t words = static_cast<uint32_t>((ops_.size() + 63) / 64);
    // memo key: bitset words followed by the state.
    std::vector<uint64_t> bits(words + 1, 0);
    std::unordered_set<std::vector<uint64_t>, MemoKeyHash> memo;
    struct Frame {
      int32_t call;
      int32_t state;
    };
    std::vector<Frame> stack;
    uint32_t finite_total = 0;
    for (const LinOp& o : ops_) finite_total += o.finite ? 1 : 0;
    uint32_t finite_done = 0;
    int32_t state = 0;
    int32_t entry = entries_[0].next;
    size_t deepest = 0;
    uint32_t blocked_op = 0;
    uint64_t steps = 0;
    while (finite_done < finite_total) {
      if (++steps > max_steps) {
        return CheckResult{CheckResult::Kind::kInconclusive, "step bound reached", steps, 0};
      }
      HD_CHECK(entry >= 0);
      const Entry& e = entries_[static_cast<size_t>(entry)];
      if (e.is_call) {
        const LinOp& o = ops_[e.op];
        bool legal = o.write || o.value_id == state;
        if (legal) {
          const int32_t next_state = o.write ? o.value_id : state;
          bits[e.op / 64] |= uint64_t{1} << (e.op % 64);
          bits[words] = static_cast<uint64_t>(static_cast<uint32_t>(next_state));
          if (memo.insert(bits).second) {
            stack.push_back(Frame{entry, state});
            state = next_state;
            finite_done += o.finite ? 1 : 0;
            lift(entry);
            entry = entries_[0].next;
            continue;
          }
          bits[e.op / 64] &= ~(uint64_t{1} << (e.op % 64));
        }
        entry = e.next;
        continue;
      }
      // A return entry: its op was not linearized in time. Backtrack.
      if (stack.size() >= deepest) {
        deepest = stack.size();
        blocked_op = e.op;
      }
      if (stack.empty()) {
        const HistoryOp& h = history_[ops_[blocked_op].history_index];
        return CheckResult{CheckResult::Kind::kViolation,
                           "not linearizable on key " + std::to_string(h.key) + " (" +
                               std::to_string(ops_.size()) + " ops); longest prefix " +
                               std::to_string(deepest) + " ops, then cannot place: " + describe(h),
                           steps, 0};
      }
      const Frame f = stack.back();
      stack.pop_back();
      const uint32_t op = entries_[static_cast<size_t>(f.call)].op;
      bits[op / 64] &= ~(uint64_t{1} << (op % 64));
      state = f.state;
      finite_done -= ops_[op].finite ? 1 : 0;
      unlift(f.call);
      entry = entries_[static_cast<size_t>(f.call)].next;
    }
    return CheckResult{CheckResult::Kind::kOk, "", steps, 0};
  }

 private:
  void build_list() {
    struct Ev {
      uint64_t pos;
      uint32_t op;
      bool is_call;
    };
    std::vector<Ev> evs;
    evs.reserve(ops_.size() * 2);
    for (uint32_t i = 0; i < ops_.size(); ++i) {
      const HistoryOp& h = history_[ops_[i].history_index];
      evs.push_back(Ev{h.invoke, i, true});
      evs.push_back(Ev{h.lin_end(), i, false});
    }
    // Positions are distinct except +inf; ties keep calls first (they can
    // never tie with a finite return) and op order for determinism.
    std::sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) {
      if (a.pos != b.pos) return a.pos < b.pos;
      if (a.is_call != b.is_call) return a.is_call;
      return a.op < b.op;
    });
    entries_.assign(evs.size() + 1, Entry{});  // [0] is the head sentinel
    std::vector<int32_t> call_of(ops_.size(), -1);
    for (size_t i = 0; i < evs.size(); ++i) {
      const int32_t idx = static_cast<int32_t>(i + 1);
      Entry& en = entries_[i + 1];
      en.op = evs[i].op;
      en.is_call = evs[i].is_call;
      en.prev = idx - 1;
      en.next = i + 1 < evs.size() ? idx + 1 : -1;
      if (en.is_call) {
        call_of[en.op] = idx;
      } else {
        HD_CHECK(call_of[en.op] >= 0);
        entries_[static_cast<size_t>(call_of[en.op])].match = idx;
      }
    }
    entries_[0].next = evs.empty() ? -1 : 1;
  }

  void remove(int32_t i) {
    Entry& e = entries_[static_cast<size_t>(i)];
    entries_[static_cast<size_t>(e.prev)].next = e.next;
    if (e.next >= 0) entries_[static_cast<size_t>(e.next)].prev = e.prev;
  }
  void reinsert(int32_t i) {
    Entry& e = entries_[static_cast<size_t>(i)];
    entries_[static_cast<size_t>(e.prev)].next = i;
    if (e.next >= 0) entries_[static_cast<size_t>(e.next)].prev = i;
  }
  // Removes a call and its return (the return first, so that the call's
  // links stay valid for unlift, which restores them in reverse order).
  void lift(int32_t call) {
    remove(entries_[static_cast<size_t>(call)].match);
    remove(call);
  }
  void unlift(int32_t call) {
    reinsert(call);
    reinsert(entries_[static_cast<size_t>(call)].match);
  }

  std::vector<LinOp> ops_;
  const History& history_;
  std::vector<Entry> entries_;
};

}  // namespace

const char* to_string(CheckResult::Kind kind) {
  switch (kind) {
    case CheckResult::Kind::kOk:
      return "ok";
    case CheckResult::Kind::kViolation:
      return "violation";
    case CheckResult::Kind::kInconclusive:
      return "inconclusive";
  }
  return "?";
}

std::string describe(const HistoryOp& op) {
  char buf[256];
  std::snprintf(
      buf, sizeof buf, "session %llu seq %llu %s key %llu version %llu invoke@%llu(t=%lluus) ",
      static_cast<unsigned long long>(op.session), static_cast<unsigned long long>(op.seq),
      op_name(op.op), static_cast<unsigned long long>(op.key),
      static_cast<unsigned long long>(op.version), static_cast<unsigned long long>(op.invoke),
      static_cast<unsigned long long>(op.invoke_us));
  std::string s = buf;
  if (op.slot != 0) s += "slot " + std::to_string(op.slot) + " ";
  if (op.completed()) {
    std::snprintf(buf, sizeof buf, "response@%llu(t=%lluus)",
                  static_cast<unsigned long long>(op.response),
                  static_cast<unsigned long long>(op.response_us));
    s += buf;
  } else {
    s += "no response";
  }
  s += " value \"" + op.value.substr(0, 40) + "\"";
  return s;
}

// ---- zones (Gibbons & Korach) ------------------------------------------------

namespace {

// Ops of one key that the linearizability checks consider.
std::map<core::Key, std::vector<uint32_t>> linearizable_ops_by_key(const History& history) {
  std::map<core::Key, std::vector<uint32_t>> by_key;
  for (uint32_t i = 0; i < history.size(); ++i) {
    const HistoryOp& h = history[i];
    if (h.is_write() || (h.op == client::OpClass::kStrongRead && h.completed())) {
      by_key[h.key].push_back(i);
    }
  }
  return by_key;
}

CheckResult zones_for_key(const History& history, const std::vector<uint32_t>& idxs) {
  // Cluster = one write and the reads returning its value; cluster 0 is a
  // virtual write of the initial (empty) value before everything.
  struct Cluster {
    uint64_t min_response = kNever;
    uint64_t max_invoke = 0;
    uint64_t write_invoke = 0;
    bool has_read = false;
    bool write_finite = false;
    int32_t write_op = -1;
  };
  std::vector<Cluster> clusters(1);
  clusters[0].min_response = 0;
  clusters[0].write_finite = true;
  std::unordered_map<std::string, uint32_t> of_value;
  of_value.emplace(std::string{}, 0);
  for (uint32_t i : idxs) {
    const HistoryOp& h = history[i];
    if (!h.is_write()) continue;
    auto [it, inserted] = of_value.emplace(h.value, static_cast<uint32_t>(clusters.size()));
    if (!inserted) return CheckResult::violation("zone check needs unique write values");
    Cluster c;
    c.min_response = h.lin_end();
    c.max_invoke = h.invoke;
    c.write_invoke = h.invoke;
    c.write_finite = h.completed();
    c.write_op = static_cast<int32_t>(i);
    clusters.push_back(c);
  }
  for (uint32_t i : idxs) {
    const HistoryOp& h = history[i];
    if (h.is_write()) continue;
    auto it = of_value.find(h.value);
    if (it == of_value.end()) {
      return CheckResult::violation("strong read returned a value never written: " + describe(h));
    }
    Cluster& c = clusters[it->second];
    if (it->second != 0 && h.response < c.write_invoke) {
      return CheckResult::violation("read returned before its write was invoked: " + describe(h));
    }
    c.has_read = true;
    c.min_response = std::min(c.min_response, h.response);
    c.max_invoke = std::max(c.max_invoke, h.invoke);
  }
  struct Zone {
    uint64_t lo, hi;
    size_t cluster;
  };
  std::vector<Zone> forward, backward;
  for (size_t k = 0; k < clusters.size(); ++k) {
    const Cluster& c = clusters[k];
    // A write nobody read and that never answered may never have happened.
    if (!c.has_read && !c.write_finite) continue;
    if (k == 0 && !c.has_read) continue;
    if (c.min_response < c.max_invoke) {
      forward.push_back(Zone{c.min_response, c.max_invoke, k});
    } else {
      backward.push_back(Zone{c.max_invoke, c.min_response, k});
    }
  }
  auto name = [&](size_t k) {
    return k == 0 ? std::string("the initial value")
                  : describe(history[static_cast<size_t>(clusters[k].write_op)]);
  };
  // Forward zones must be disjoint: sort by start, compare neighbours.
  std::sort(forward.begin(), forward.end(),
            [](const Zone& a, const Zone& b) { return a.lo < b.lo; });
  for (size_t i = 1; i < forward.size(); ++i) {
    if (forward[i].lo < forward[i - 1].hi) {
      return CheckResult::violation("not linearizable (zones): reads of " +
                                    name(forward[i - 1].cluster) + " and of " +
                                    name(forward[i].cluster) + " interleave");
    }
  }
  // No backward zone inside a forward zone (forward zones are disjoint and
  // sorted, so one binary search per backward zone).
  for (const Zone& b : backward) {
    auto it = std::upper_bound(forward.begin(), forward.end(), b.lo,
                               [](uint64_t v, const Zone& z) { return v < z.lo; });
    if (it == forward.begin()) continue;
    --it;
    if (it->lo < b.lo && b.hi < it->hi) {
      return CheckResult::violation("not linearizable (zones): " + name(b.cluster) +
                                    " lies entirely between reads of " + name(it->cluster));
    }
  }
  return CheckResult{};
}

}  // namespace

CheckResult check_linearizable(const History& history, uint64_t max_steps_per_key,
                               bool zone_fallback) {
  // Partition by key (P-compositionality: a history is linearizable iff each
  // per-key sub-history is).
  const auto by_key = linearizable_ops_by_key(history);
  CheckResult total;
  for (const auto& [key, idxs] : by_key) {
    std::unordered_map<std::string, int32_t> ids;
    ids.emplace(std::string{}, 0);
    for (uint32_t i : idxs) {
      const HistoryOp& h = history[i];
      if (h.is_write()) ids.emplace(h.value, static_cast<int32_t>(ids.size()));
    }
    std::vector<LinOp> ops;
    ops.reserve(idxs.size());
    for (uint32_t i : idxs) {
      const HistoryOp& h = history[i];
      auto it = ids.find(h.value);
      if (it == ids.end()) {
        return CheckResult::violation("strong read returned a value never written: " + describe(h));
      }
      ops.push_back(LinOp{i, h.is_write(), it->second, h.completed()});
    }
    KeySearch search(std::move(ops), history);
    CheckResult r = search.run(max_steps_per_key);
    total.steps += r.steps;
    if (r.kind == CheckResult::Kind::kViolation) {
      r.steps = total.steps;
      return r;
    }
    if (r.kind == CheckResult::Kind::kInconclusive && zone_fallback) {
      CheckResult z = zones_for_key(history, idxs);
      if (!z.ok()) {
        z.detail =
            "key " + std::to_string(key) + " (search bound hit, decided by zones): " + z.detail;
        z.steps = total.steps;
        return z;
      }
      ++total.zone_decided;
      continue;
    }
    if (r.kind == CheckResult::Kind::kInconclusive) {
      total.kind = CheckResult::Kind::kInconclusive;
      total.detail = "key " + std::to_string(key) + ": " + r.detail;
    }
  }
  return total;
}

CheckResult check_linearizable_zones(const History& history) {
  for (const auto& [key, idxs] : linearizable_ops_by_key(history)) {
    CheckResult r = zones_for_key(history, idxs);
    if (!r.ok()) {
      r.detail = "key " + std::to_string(key) + ": " + r.detail;
      return r;
    }
  }
  return CheckResult{};
}

// ---- session guarantees ------------------------------------------------------

CheckResult check_session_guarantees(const History& history) {
  // Group each session's ops on each key; O(n^2) per (session, key) is fine
  // for the sizes the simulator produces but keep it linear anyway: sort the
  // completed observations by response and sweep reads by invoke.
  struct Obs {
    uint64_t response;
    uint64_t version;
    bool write;
    uint32_t index;
  };
  std::map<std::pair<uint64_t, core::Key>, std::vector<uint32_t>> groups;
  for (uint32_t i = 0; i < history.size(); ++i) {
    groups[{history[i].session, history[i].key}].push_back(i);
  }
  for (const auto& [sk, idxs] : groups) {
    std::vector<Obs> obs;
    std::vector<uint32_t> reads;
    for (uint32_t i : idxs) {
      const HistoryOp& h = history[i];
      if (!h.completed()) continue;
      obs.push_back(Obs{h.response, h.version, h.is_write(), i});
      if (h.op == client::OpClass::kWeakRead) reads.push_back(i);
    }
    std::sort(obs.begin(), obs.end(),
              [](const Obs& a, const Obs& b) { return a.response < b.response; });
    std::sort(reads.begin(), reads.end(),
              [&](uint32_t a, uint32_t b) { return history[a].invoke < history[b].invoke; });
    size_t next = 0;
    uint64_t max_write = 0, max_read = 0;
    uint32_t max_write_op = 0, max_read_op = 0;
    for (uint32_t r : reads) {
      const HistoryOp& h = history[r];
      while (next < obs.size() && obs[next].response < h.invoke) {
        const Obs& o = obs[next++];
        if (o.write && o.version > max_write) {
          max_write = o.version;
          max_write_op = o.index;
        }
        if (!o.write && o.version > max_read) {
          max_read = o.version;
          max_read_op = o.index;
        }
      }
      if (h.version < max_write) {
        return CheckResult::violation("read-your-writes violated: " + describe(h) +
                                      " after own write " + describe(history[max_write_op]));
      }
      if (h.version < max_read) {
        return CheckResult::violation("monotonic reads violated: " + describe(h) +
                                      " after earlier read " + describe(history[max_read_op]));
      }
    }
  }
  return CheckResult{};
}

CheckResult check_value_versions(const History& history) {
  std::unordered_map<uint64_t, uint32_t> write_at;     // acked slot -> write op
  std::unordered_map<std::string, uint32_t> write_of;  // value -> write op
  for (uint32_t i = 0; i < history.size(); ++i) {
    const HistoryOp& h = history[i];
    if (!h.is_write()) continue;
    write_of.emplace(h.value, i);
    if (!h.completed()) continue;
    if (h.version == 0)
      return CheckResult::violation("write acknowledged at slot 0: " + describe(h));
    auto [it, inserted] = write_at.emplace(h.version, i);
    if (!inserted) {
      return CheckResult::violation("two writes acknowledged at one slot: " + describe(h) +
                                    " and " + describe(history[it->second]));
    }
  }
  for (const HistoryOp& h : history) {
    if (!h.is_read() || !h.completed()) continue;
    if (h.version == 0) {
      if (!h.value.empty()) {
        return CheckResult::violation("read at version 0 returned a value: " + describe(h));
      }
      continue;
    }
    auto w = write_of.find(h.value);
    if (w == write_of.end()) {
      return CheckResult::violation("read returned a value never written: " + describe(h));
    }
    const HistoryOp& wr = history[w->second];
    if (wr.key != h.key) {
      return CheckResult::violation("read returned a value written to another key: " + describe(h));
    }
    if (wr.completed() && wr.version != h.version) {
      return CheckResult::violation("read version differs from the write's slot: " + describe(h) +
                                    " vs " + describe(wr));
    }
    auto at = write_at.find(h.version);
    if (at != write_at.end() && history[at->second].value != h.value) {
      return CheckResult::violation("read value differs from the value written at its version: " +
                                    describe(h) + " vs " + describe(history[at->second]));
    }
  }
  return CheckResult{};
}

// ---- final state -------------------------------------------------------------

CheckResult check_final_state(const History& history,
                              const std::vector<ReplicaFinalState>& states) {
  std::map<core::Key, uint64_t> acked;  // key -> highest acked slot
  std::unordered_map<uint64_t, uint32_t> write_at;
  for (uint32_t i = 0; i < history.size(); ++i) {
    const HistoryOp& h = history[i];
    if (h.is_write() && h.completed() && h.version == 0) {
      // A CURP-HO weak write is acked before it has a slot; the simulator
      // gives it its execution slot, 0 if no replica ever executed it.
      return CheckResult::violation("acknowledged write never ordered (slot 0): " + describe(h));
    }
    if (h.is_write() && h.completed()) {
      uint64_t& a = acked[h.key];
      a = std::max(a, h.version);
      write_at.emplace(h.version, i);
    }
  }
  std::map<core::Key, core::KvEntry> first;
  for (const ReplicaFinalState& st : states) {
    std::map<core::Key, core::KvEntry> mine;
    for (const core::KvEntry& e : st.entries) mine[e.key] = e;
    for (const auto& [key, slot] : acked) {
      auto it = mine.find(key);
      const uint64_t have = it == mine.end() ? 0 : it->second.version.value();
      if (have < slot) {
        return CheckResult::violation(
            "acknowledged write lost: replica " + std::to_string(st.replica) + " key " +
            std::to_string(key) + " has version " + std::to_string(have) + " < acked slot " +
            std::to_string(slot) + " (" + describe(history[write_at[slot]]) + ")");
      }
    }
    for (const auto& [key, e] : mine) {
      auto w = write_at.find(e.version.value());
      if (w != write_at.end() && history[w->second].value != e.value) {
        return CheckResult::violation("replica " + std::to_string(st.replica) + " key " +
                                      std::to_string(key) + " holds a value that differs from " +
                                      "the write acknowledged at its version");
      }
      auto [f, inserted] = first.emplace(key, e);
      if (!inserted && !(f->second == e)) {
        return CheckResult::violation("replicas diverge on key " + std::to_string(key) +
                                      ": version " + std::to_string(f->second.version.value()) +
                                      " vs replica " + std::to_string(st.replica) + " version " +
                                      std::to_string(e.version.value()));
      }
    }
  }
  return CheckResult{};
}

CheckResult check_retention(const std::vector<RetentionSample>& samples, uint64_t log_bound,
                            uint64_t witness_bound) {
  for (const RetentionSample& s : samples) {
    if (s.log_entries_retained > log_bound) {
      return CheckResult::violation("replica " + std::to_string(s.replica) + " retains " +
                                    std::to_string(s.log_entries_retained) +
                                    " log entries at t=" + std::to_string(s.at_us) + "us (bound " +
                                    std::to_string(log_bound) + ")");
    }
    if (s.witness_entries > witness_bound) {
      return CheckResult::violation("replica " + std::to_string(s.replica) + " holds " +
                                    std::to_string(s.witness_entries) +
                                    " witness entries at t=" + std::to_string(s.at_us) +
                                    "us (bound " + std::to_string(witness_bound) + ")");
    }
  }
  return CheckResult{};
}

void ExecutionAgreement::observe(uint32_t replica, uint64_t slot, uint64_t digest) {
  auto [it, inserted] = first_.try_emplace(slot, First{digest, replica});
  if (inserted) return;
  ++compared_;
  if (it->second.digest == digest || !result_.ok()) return;
  result_ = CheckResult::violation("replicas " + std::to_string(it->second.replica) + " and " +
                                   std::to_string(replica) +
                                   " executed different entries at slot " + std::to_string(slot));
}

void ExecutionAgreement::observe_op(uint32_t replica, uint64_t client, uint64_t seq,
                                    uint64_t slot) {
  if (client == 0 && seq == 0) return;  // a leader's no-op
  auto [it, inserted] = slot_of_.try_emplace({client, seq}, slot);
  if (inserted || it->second == slot || !result_.ok()) return;
  result_ = CheckResult::violation(
      "client " + std::to_string(client) + " seq " + std::to_string(seq) + " executed at slot " +
      std::to_string(it->second) + " and, on replica " + std::to_string(replica) + ", at slot " +
      std::to_string(slot) + " (executed twice)");
}

uint64_t ExecutionAgreement::slot_of(uint64_t client, uint64_t seq) const {
  auto it = slot_of_.find({client, seq});
  return it == slot_of_.end() ? 0 : it->second;
}

CheckResult check_write_slots(const History& history) {
  std::unordered_map<std::string, uint32_t> write_of;  // value -> write op
  for (uint32_t i = 0; i < history.size(); ++i) {
    const HistoryOp& h = history[i];
    if (!h.is_write()) continue;
    write_of.emplace(h.value, i);
    if (!h.completed()) continue;
    if (h.slot == 0) {
      return CheckResult::violation("acknowledged write never executed: " + describe(h));
    }
    if (h.slot != h.version) {
      return CheckResult::violation("write acknowledged at version " + std::to_string(h.version) +
                                    " executed at slot " + std::to_string(h.slot) + ": " +
                                    describe(h));
    }
  }
  for (const HistoryOp& h : history) {
    if (!h.is_read() || !h.completed() || h.version == 0) continue;
    auto w = write_of.find(h.value);
    if (w == write_of.end()) continue;  // check_value_versions names it
    const HistoryOp& wr = history[w->second];
    if (wr.slot != 0 && wr.slot != h.version) {
      return CheckResult::violation("read version " + std::to_string(h.version) +
                                    " differs from the slot " + std::to_string(wr.slot) +
                                    " where its write executed: " + describe(h) + " vs " +
                                    describe(wr));
    }
  }
  return CheckResult{};
}

CheckResult check_timeouts(const History& history, const std::vector<size_t>& timed_out,
                           const std::vector<Stretch>& available, core::TimeUs op_timeout_us,
                           core::TimeUs min_available_us) {
  for (size_t i : timed_out) {
    const HistoryOp& op = history.at(i);
    const core::TimeUs from = op.invoke_us;
    const core::TimeUs to = op.invoke_us + op_timeout_us;
    for (const Stretch& s : available) {
      if (s.to <= from) continue;
      if (s.from >= to) break;
      const core::TimeUs overlap = std::min(s.to, to) - std::max(s.from, from);
      if (overlap < min_available_us) continue;
      return CheckResult::violation(
          describe(op) + " timed out although a leader was reachable for " +
          std::to_string(overlap / 1000) + " ms of its " + std::to_string(op_timeout_us / 1000) +
          " ms (from " + std::to_string(std::max(s.from, from) / 1000) + " ms)");
    }
  }
  return CheckResult{};
}

}  // namespace hd::sim
