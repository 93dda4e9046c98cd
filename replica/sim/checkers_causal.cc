// check_causal: causal consistency of a history whose writes carry the slot
// where they executed (docs/protocol-curpho.md §4.3). One pass over the
// invoke/response events in position order keeps, per session, the join of
// the causal pasts of its completed ops as a vector over keys of the highest
// write slot seen (a vector clock in slot units: slots are the arbitration
// order, so "the newest write to k that o must see" is one number per key).
// Pure function; thread-compatible.
#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/check.h"
#include "replica/sim/checkers.h"

namespace hd::sim {
namespace {

// A session's accumulated causal past: for each dense key id, the highest
// slot of a write to it in the past, and which of the session's own ops
// brought it in (for naming the edge in a report).
struct SessionPast {
  std::vector<uint64_t> slot;
  std::vector<uint32_t> via;
  uint64_t max_slot = 0;  // over all keys: the write-order bound
  size_t max_key = 0;
};

constexpr uint32_t kNoOp = UINT32_MAX;

class CausalPass {
 public:
  explicit CausalPass(const History& h) : h_(h) {}

  CheckResult run() {
    index();
    struct Ev {
      uint64_t pos;
      uint32_t op;
      bool invoke;
    };
    std::vector<Ev> evs;
    evs.reserve(h_.size() * 2);
    for (uint32_t i = 0; i < h_.size(); ++i) {
      evs.push_back(Ev{h_[i].invoke, i, true});
      if (h_[i].completed()) evs.push_back(Ev{h_[i].response, i, false});
    }
    // a precedes b iff a.response < b.invoke: at equal positions the invoke
    // goes first, so it does not see the response.
    std::sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) {
      if (a.pos != b.pos) return a.pos < b.pos;
      if (a.invoke != b.invoke) return a.invoke;
      return a.op < b.op;
    });
    for (const Ev& e : evs) {
      CheckResult r = e.invoke ? on_invoke(e.op) : on_response(e.op);
      if (!r.ok()) return r;
    }
    return CheckResult{};
  }

 private:
  void index() {
    for (uint32_t i = 0; i < h_.size(); ++i) {
      const HistoryOp& o = h_[i];
      key_id_.try_emplace(o.key, key_id_.size());
      if (o.is_write()) {
        write_of_.try_emplace(o.value, i);
        if (o.slot != 0) write_at_.try_emplace(o.slot, i);
      }
    }
    // The reads that will need each write's past: kept only until the last
    // of them responds, so memory follows the writes still being read.
    rf_.assign(h_.size(), kNoOp);
    for (uint32_t i = 0; i < h_.size(); ++i) {
      const HistoryOp& o = h_[i];
      if (!o.is_read() || !o.completed() || o.version == 0) continue;
      auto w = write_of_.find(o.value);
      // A value nobody wrote, or written to another key: check_value_versions.
      if (w == write_of_.end() || h_[w->second].key != o.key) continue;
      rf_[i] = w->second;
      ++readers_left_[w->second];
      write_at_.try_emplace(o.version, w->second);
    }
  }

  SessionPast& past_of(uint64_t session) {
    SessionPast& p = sessions_[session];
    if (p.slot.empty()) {
      p.slot.assign(key_id_.size(), 0);
      p.via.assign(key_id_.size(), kNoOp);
    }
    return p;
  }

  static void raise(SessionPast& p, size_t k, uint64_t slot, uint32_t via) {
    if (slot <= p.slot[k]) return;
    p.slot[k] = slot;
    p.via[k] = via;
    if (slot > p.max_slot) {
      p.max_slot = slot;
      p.max_key = k;
    }
  }

  // How the write at `slot` (key id k) reached the session of `o`.
  std::string edge(const SessionPast& p, size_t k, uint64_t slot) const {
    auto w = write_at_.find(slot);
    std::string origin = w == write_at_.end() ? "write at slot " + std::to_string(slot)
                                              : "write " + describe(h_[w->second]);
    const uint32_t via = p.via[k];
    if (via == kNoOp) return origin;
    const HistoryOp& v = h_[via];
    if (w != write_at_.end() && via == w->second) {
      return origin + " (own write: completed before the op was invoked)";
    }
    if (v.is_read() && v.version == slot) {
      return origin + " (read-from: the session's read " + describe(v) + " returned it)";
    }
    return origin + " (transitively: in the causal past of the session's " + describe(v) + ")";
  }

  CheckResult on_invoke(uint32_t i) {
    const HistoryOp& o = h_[i];
    SessionPast& p = past_of(o.session);
    const size_t k = key_id_.at(o.key);
    if (o.is_read() && o.completed() && o.version < p.slot[k]) {
      return CheckResult::violation("causal visibility violated: " + describe(o) +
                                    " returned version " + std::to_string(o.version) +
                                    " but its causal past holds " + edge(p, k, p.slot[k]));
    }
    if (o.is_write() && o.slot != 0) {
      if (o.slot <= p.max_slot) {
        return CheckResult::violation("write order violated: " + describe(o) +
                                      " executed at slot " + std::to_string(o.slot) +
                                      ", not after slot " + std::to_string(p.max_slot) +
                                      " in its causal past: " + edge(p, p.max_key, p.max_slot));
      }
    }
    if (o.is_write() && readers_left_.contains(i)) write_past_.emplace(i, p.slot);
    return CheckResult{};
  }

  CheckResult on_response(uint32_t i) {
    const HistoryOp& o = h_[i];
    SessionPast& p = past_of(o.session);
    const size_t k = key_id_.at(o.key);
    if (o.is_write()) {
      // Own past is already in p (it was p at invoke, and p only grows).
      raise(p, k, o.slot, i);
      return CheckResult{};
    }
    const uint32_t w = rf_[i];
    if (w == kNoOp) return CheckResult{};
    const HistoryOp& wr = h_[w];
    if (wr.invoke > o.response) {
      return CheckResult::violation("read from the future: " + describe(o) +
                                    " returned the value of write " + describe(wr) +
                                    ", invoked after the read's response");
    }
    raise(p, k, o.version, i);
    auto past = write_past_.find(w);
    if (past != write_past_.end()) {
      HD_CHECK(past->second.size() == p.slot.size());
      for (size_t j = 0; j < p.slot.size(); ++j) raise(p, j, past->second[j], i);
    }
    if (--readers_left_[w] == 0) {
      readers_left_.erase(w);
      if (past != write_past_.end()) write_past_.erase(past);
    }
    return CheckResult{};
  }

  const History& h_;
  std::unordered_map<core::Key, size_t> key_id_;
  std::unordered_map<std::string, uint32_t> write_of_;   // value -> write op
  std::unordered_map<uint64_t, uint32_t> write_at_;      // slot -> write op
  std::vector<uint32_t> rf_;                             // read op -> write op it read
  std::unordered_map<uint32_t, uint32_t> readers_left_;  // write op -> reads yet to respond
  std::unordered_map<uint32_t, std::vector<uint64_t>> write_past_;  // write op -> past at invoke
  std::unordered_map<uint64_t, SessionPast> sessions_;
};

}  // namespace

CheckResult check_causal(const History& history) {
  return CausalPass(history).run();
}

}  // namespace hd::sim
