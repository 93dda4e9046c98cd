// CurpHtProtocol: the leader's and the witnesses' handling of CURP-HT client
// messages, moved from replica_core_leader.cc / replica_core_follower.cc /
// replica_core.cc without change of behaviour. Not thread-safe.
#include "replica/core/protocol_ht.h"

#include <algorithm>
#include <utility>

#include "base/check.h"
#include "replica/core/replica_core_impl.h"

namespace hd::core {

bool CurpHtProtocol::step_client(Impl& m, const Message& msg) {
  if (const auto* p = std::get_if<Propose>(&msg)) {
    if (m.is_leader()) {
      leader_propose(m, *p);
    } else {
      step_witness(m, *p);
    }
    return true;
  }
  if (const auto* w = std::get_if<WeakWrite>(&msg)) {
    if (m.is_leader()) {
      leader_weak_write(m, *w);
    } else {
      // Misdirected (the client's retry goes to every replica): only counted.
      ++m.counters.weak_writes;
    }
    return true;
  }
  // CURP-HO's client messages: a misconfigured client. Dropped and counted,
  // never answered (its replies would mean nothing to a CURP-HO session).
  if (std::holds_alternative<CausalWrite>(msg) || std::holds_alternative<HoPropose>(msg) ||
      std::holds_alternative<CausalRead>(msg) || std::holds_alternative<Sync>(msg)) {
    ++m.counters.foreign_protocol_dropped;
    return true;
  }
  return false;
}

// ---- leader ------------------------------------------------------------------

void CurpHtProtocol::leader_propose(Impl& m, const Propose& p) {
  if (!m.leader_admit(p.client, p.seq, p.acked_below)) return;
  m.leader_order_strong(p.client, p.seq, p.acked_below, p.cmd);
}

void CurpHtProtocol::leader_weak_write(Impl& m, const WeakWrite& w) {
  if (!m.leader_admit(w.client, w.seq, w.acked_below)) return;
  ++m.counters.weak_writes;
  m.leader_append(LogEntry{w.client, w.seq, false, Command{OpKind::kPut, w.key, w.value}, m.term,
                           w.acked_below});
}

// The witness role ends with leadership (called after the new term's no-op
// is appended; the table emits nothing, so the order does not matter).
void CurpHtProtocol::on_become_leader(Impl& /*m*/) {
  witness_.clear();
}

// ---- witnesses (followers and candidates) ------------------------------------

void CurpHtProtocol::step_witness(Impl& m, const Propose& p) {
  ClientState& c = m.clients.get(p.client);
  c.seen.raise_floor(p.acked_below);
  bool ok = true;
  if (c.seen.contains(p.seq)) {
    // Already committed here: nothing to witness, and no conflict to report.
    ++m.counters.witness_accepts;
  } else {
    switch (witness_.record(p.client, p.seq, p.cmd, m.now_us)) {
      case WitnessResult::kRecorded:
        ++m.counters.witness_accepts;
        break;
      case WitnessResult::kAlreadyHeld:
        ++m.counters.duplicates_ignored;
        break;
      case WitnessResult::kConflict:
        ++m.counters.witness_conflicts;
        ok = false;
        break;
    }
  }
  m.emit_client(p.client, ProposeReply{m.cfg.self,
                                       p.client,
                                       p.seq,
                                       false,
                                       ok,
                                       LogIndex{0},
                                       {},
                                       LogIndex{0},
                                       m.term,
                                       m.wire_leader_hint()});
}

void CurpHtProtocol::on_follower_append(Impl& m, const LogEntry& e, LogIndex slot,
                                        Term accept_term) {
  if (e.strong && e.term == accept_term && !Impl::is_noop(e)) notify_held(m, e, slot);
}

// Tells the client that this replica holds its strong command at `slot`,
// appended from the leader of the entry's own term: with the leader's reply
// for the same (term, slot), a majority of these is a write's fast path.
void CurpHtProtocol::notify_held(Impl& m, const LogEntry& e, LogIndex slot) {
  m.emit_client(e.client, ProposeReply{m.cfg.self,
                                       e.client,
                                       e.seq,
                                       false,
                                       true,
                                       slot,
                                       {},
                                       LogIndex{0},
                                       e.term,
                                       m.wire_leader_hint()});
}

void CurpHtProtocol::on_executed(Impl& /*m*/, const LogEntry& e, LogIndex /*slot*/) {
  if (e.strong) witness_.remove(e.client, e.seq, e.cmd.key);
}

// Scan a quarter-interval at a time: entries live at most 1.25 x the GC age,
// and the scan cost is amortised over many ticks.
void CurpHtProtocol::tick(Impl& m) {
  const TimeUs period = std::max<TimeUs>(m.cfg.witness_gc_after_us / 4, 1);
  if (m.now_us - m.last_gc_us < period) return;
  m.last_gc_us = m.now_us;
  witness_.collect_older_than(m.now_us, m.cfg.witness_gc_after_us);
}

}  // namespace hd::core
