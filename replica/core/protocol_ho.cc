// CurpHoProtocol: CURP-HO's handling of client messages in every role, the
// causal gate at the leader, the ORDERED notes of followers and the recovery
// of a new leader from its own pool (docs/protocol-curpho.md §2.1-2.8, §3).
// Not thread-safe.
#include "replica/core/protocol_ho.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "base/check.h"
#include "replica/core/replica_core_impl.h"

namespace hd::core {

namespace {

// Parked Syncs beyond this are dropped oldest-first (the client retries).
constexpr size_t kMaxParkedSyncs = 4096;
// At most this many seqs in an ORDERED note's causal_deps: the client only
// needs to know whether the list is empty.
constexpr size_t kMaxCausalDeps = 16;

}  // namespace

bool CurpHoProtocol::step_client(Impl& m, const Message& msg) {
  if (const auto* w = std::get_if<CausalWrite>(&msg)) {
    on_causal_write(m, *w);
    return true;
  }
  if (const auto* p = std::get_if<HoPropose>(&msg)) {
    on_ho_propose(m, *p);
    return true;
  }
  if (const auto* r = std::get_if<CausalRead>(&msg)) {
    ++m.counters.weak_reads;
    if (m.cfg.bugs.weak_read_ignores_deps) {  // planted bug (tests/sim)
      m.serve_read(r->client, r->seq, r->key, LogIndex{0}, SeqNo{0});
      return true;
    }
    m.serve_read(r->client, r->seq, r->key, r->min_index, r->dep_seq);
    return true;
  }
  if (const auto* s = std::get_if<Sync>(&msg)) {
    on_sync(m, *s);
    return true;
  }
  // CURP-HT's client requests (a misconfigured client): dropped and counted.
  if (std::holds_alternative<Propose>(msg) || std::holds_alternative<WeakWrite>(msg)) {
    ++m.counters.foreign_protocol_dropped;
    return true;
  }
  return false;
}

// ---- weak writes (any role; ordering at the leader) -------------------------

void CurpHoProtocol::on_causal_write(Impl& m, const CausalWrite& w) {
  // A dependency is an earlier op of the session; anything else is malformed.
  if (w.causal_dep >= w.seq) {
    ++m.counters.malformed_dropped;
    return;
  }
  ClientState& c = m.clients.get(w.client);
  // Executed here already: nothing to hold (a retry of a settled write).
  if (!ClientTable::executed(c, w.seq)) {
    pool_.record_weak(w.client, w.seq, w.key, w.value, w.causal_dep, w.acked_below, m.now_us);
  }
  // The bound replica answers at once, duplicates included (its ack may
  // have been lost); durability comes from the client's retry-until-settled.
  if (w.bound == m.cfg.self) {
    m.emit_client(w.client,
                  CausalWriteAck{m.cfg.self, w.client, w.seq, m.term, m.wire_leader_hint()});
  }
  if (!m.is_leader()) return;
  if (!m.leader_admit(w.client, w.seq, w.acked_below)) return;
  if (gate_.holds(w.client, w.seq)) return;  // a retry of a parked write
  order_or_park(m, w);
}

void CurpHoProtocol::order_or_park(Impl& m, const CausalWrite& w) {
  if (dep_ready(m, w.client, w.causal_dep)) {
    append_weak(m, w);
    return;
  }
  gate_.park(w.client, w.seq, GatedOp{w, w.causal_dep, m.now_us});
}

bool CurpHoProtocol::dep_ready(Impl& m, ClientId client, SeqNo dep) const {
  // In the log or executed here (ClientTable::is_new is false for both).
  return dep == SeqNo{0} || !ClientTable::is_new(m.clients.get(client), dep);
}

void CurpHoProtocol::append_weak(Impl& m, const CausalWrite& w) {
  ++m.counters.weak_writes;
  m.leader_append(LogEntry{w.client, w.seq, false, Command{OpKind::kPut, w.key, w.value}, m.term,
                           w.acked_below});
}

void CurpHoProtocol::on_leader_append(Impl& m, const LogEntry& e, LogIndex /*slot*/) {
  if (Impl::is_noop(e)) return;
  // The pool learns that this replica holds the weak entry in its log, as a
  // follower's does on append: after a step-down the entry stays in this
  // log without being appended again, and unmarked it would be reported as
  // unordered in later ORDERED notes (found by the sweep, seeds 1020, 1259).
  if (!e.strong) pool_.mark_ordered(e.client, e.seq, e.cmd.key, m.now_us);
  release(m, e.client);
}

void CurpHoProtocol::release(Impl& m, ClientId client) {
  release_queue_.push_back(client);
  if (releasing_) return;  // the outer call drains the queue
  releasing_ = true;
  while (!release_queue_.empty()) {
    const ClientId c = release_queue_.back();
    release_queue_.pop_back();
    auto ready = [&](SeqNo dep) { return dep_ready(m, c, dep); };
    while (std::optional<GatedOp> op = gate_.take_ready(c, ready)) {
      if (const auto* w = std::get_if<CausalWrite>(&op->op)) {
        append_weak(m, *w);
      } else {
        order_strong(m, std::get<HoPropose>(op->op));
      }
    }
  }
  releasing_ = false;
}

// ---- strong ops ---------------------------------------------------------------

void CurpHoProtocol::on_ho_propose(Impl& m, const HoPropose& p) {
  if (p.causal_dep >= p.seq) {
    ++m.counters.malformed_dropped;
    return;
  }
  if (!m.is_leader()) {
    witness_propose(m, p);
    return;
  }
  if (!m.leader_admit(p.client, p.seq, p.acked_below)) return;
  if (gate_.holds(p.client, p.seq)) return;  // a retry of a parked op
  // The causal barrier: no ProposeReply before the dependency is in the log,
  // since the reply carries the slot and that slot must come after it.
  const bool barrier = !m.cfg.bugs.skip_causal_barrier;  // planted bug (tests/sim)
  if (barrier && !dep_ready(m, p.client, p.causal_dep)) {
    gate_.park(p.client, p.seq, GatedOp{p, p.causal_dep, m.now_us});
    return;
  }
  order_strong(m, p);
}

void CurpHoProtocol::order_strong(Impl& m, const HoPropose& p) {
  m.leader_order_strong(p.client, p.seq, p.acked_below, p.cmd);
}

void CurpHoProtocol::witness_propose(Impl& m, const HoPropose& p) {
  ClientState& c = m.clients.get(p.client);
  c.seen.raise_floor(p.acked_below);
  RecordAck r{m.cfg.self,           p.client,    p.seq,    true, LogIndex{0}, m.term,
              m.wire_leader_hint(), ClientId{0}, SeqNo{0}, {}};
  if (m.cfg.plants.slow_sync &&
      (ClientTable::executed(c, p.seq) || slowsync_refused_.contains({p.client, p.seq}))) {
    // Plant slowsync: a retry of an op that missed its fast path here (or is
    // past it) gets no late TRUE that would complete it before the timer.
    r.ok = false;
    m.emit_client(p.client, std::move(r));
    return;
  }
  if (ClientTable::executed(c, p.seq)) {
    // Already committed here: nothing to witness, and no conflict to report.
    ++m.counters.witness_accepts;
  } else {
    const StrongRecord rec = pool_.record_strong(p.client, p.seq, p.cmd, m.now_us);
    r.read_dep_client = rec.read_dep_client;
    r.read_dep_seq = rec.read_dep_seq;
    switch (rec.result) {
      case PoolResult::kRecorded:
        ++m.counters.witness_accepts;
        break;
      case PoolResult::kAlreadyHeld:
        ++m.counters.duplicates_ignored;
        break;
      case PoolResult::kConflict:
        ++m.counters.witness_conflicts;
        r.ok = false;
        break;
    }
  }
  m.emit_client(p.client, std::move(r));
}

void CurpHoProtocol::on_follower_append(Impl& m, const LogEntry& e, LogIndex slot,
                                        Term accept_term) {
  if (Impl::is_noop(e)) return;
  if (!e.strong) {
    pool_.mark_ordered(e.client, e.seq, e.cmd.key, m.now_us);
    return;
  }
  if (e.term != accept_term) return;  // only the entry's own leader's appends count
  // ORDERED: with the session's earlier weak writes this replica holds but
  // has not appended before `slot` (empty with a correct leader, §2.5), and
  // ok = it witnessed the op TRUE, and for a Get its read dependency now
  // (as the witness answer reports it). The note then carries every fact the
  // fast path needs from this replica, so it does not depend on the witness
  // answer reaching the client first. An op whose HoPropose has not arrived
  // yet is witnessed now from the leader's copy (the same conflict rule; the
  // late HoPropose then finds it held and answers TRUE).
  const ClientState& c = m.clients.get(e.client);
  auto executed = [&c](SeqNo s) { return ClientTable::executed(c, s); };
  bool witnessed = pool_.holds_strong(e.client, e.seq, e.cmd.key);
  if (!witnessed && !ClientTable::executed(c, e.seq)) {
    witnessed =
        pool_.record_strong(e.client, e.seq, e.cmd, m.now_us).result == PoolResult::kRecorded;
  }
  // Plant slowsync: a note for an op this replica did not witness TRUE, or
  // for a read (whose note counts for its fast path only without a read_dep,
  // and else completes it on ordered acks), would let an op that missed the
  // fast path complete before the sync timer; without it, such an op
  // completes only on the timer (and a retry is not witnessed TRUE later:
  // slowsync_refused_).
  if (m.cfg.plants.slow_sync && (!witnessed || !e.cmd.is_write())) {
    slowsync_refused_.emplace(e.client, e.seq);
    return;
  }
  RecordAck note{m.cfg.self,
                 e.client,
                 e.seq,
                 witnessed,
                 slot,
                 e.term,
                 m.wire_leader_hint(),
                 ClientId{0},
                 SeqNo{0},
                 pool_.unordered_weak(e.client, e.seq, executed, kMaxCausalDeps)};
  if (witnessed && !e.cmd.is_write()) {
    std::tie(note.read_dep_client, note.read_dep_seq) = pool_.read_dep(e.cmd.key);
  }
  m.emit_client(e.client, std::move(note));
}

// ---- execution, syncs ------------------------------------------------------------

void CurpHoProtocol::on_executed(Impl& m, const LogEntry& e, LogIndex /*slot*/) {
  pool_.remove(e.client, e.seq, e.cmd.key);
  if (!slowsync_refused_.empty()) slowsync_refused_.erase({e.client, e.seq});
  if (!e.strong || syncs_.empty()) return;
  const SavedReply* s = ClientTable::find_saved(m.clients.get(e.client), e.seq);
  for (auto it = syncs_.begin(); it != syncs_.end();) {
    if (it->client == e.client && it->seq == e.seq) {
      if (s != nullptr && s->strong && !hold_strong_reply(m, e.client, e.seq)) {
        m.emit_client(e.client, s->reply);
      }
      it = syncs_.erase(it);
    } else {
      ++it;
    }
  }
}

void CurpHoProtocol::on_sync(Impl& m, const Sync& s) {
  const ClientState& c = m.clients.get(s.client);
  if (ClientTable::executed(c, s.seq)) {
    // Executed here: the saved reply, unless the client acked it already.
    const SavedReply* saved = ClientTable::find_saved(c, s.seq);
    if (saved != nullptr && saved->strong && !hold_strong_reply(m, s.client, s.seq)) {
      m.emit_client(s.client, saved->reply);
    }
    return;
  }
  for (const ParkedSync& p : syncs_) {
    if (p.client == s.client && p.seq == s.seq) return;
  }
  syncs_.push_back(ParkedSync{s.client, s.seq});
  if (syncs_.size() > kMaxParkedSyncs) syncs_.pop_front();
  HD_CHECK(syncs_.size() <= kMaxParkedSyncs);
}

// ---- leadership ----------------------------------------------------------------

// §3: strong ops of the pool are dropped (replay cannot keep their slots);
// its weak writes not in the log nor executed are ordered again, through the
// gate, in (client, seq) order, as if their CausalWrite had just arrived.
void CurpHoProtocol::on_become_leader(Impl& m) {
  pool_.drop_strong();
  for (const PoolOp& op : pool_.received_weak()) {
    if (!ClientTable::is_new(m.clients.get(op.client), op.seq)) continue;
    if (gate_.holds(op.client, op.seq)) continue;
    order_or_park(m, CausalWrite{op.client, op.seq, op.acked_below, op.cmd.key, op.cmd.value,
                                 op.causal_dep, ReplicaId{m.cfg.replica_count}});
  }
}

void CurpHoProtocol::on_step_down(Impl& /*m*/) {
  gate_.clear();  // the clients retry; the next leader orders them
}

void CurpHoProtocol::tick(Impl& m) {
  fire_sync_timer(m);
  const TimeUs period = std::max<TimeUs>(m.cfg.witness_gc_after_us / 4, 1);
  if (m.now_us - m.last_gc_us < period) return;
  m.last_gc_us = m.now_us;
  pool_.collect_older_than(m.now_us, m.cfg.witness_gc_after_us);
}

// ---- the slowsync plant's sync timer --------------------------------------------

bool CurpHoProtocol::hold_strong_reply(Impl& m, ClientId client, SeqNo seq) {
  if (!m.cfg.plants.slow_sync) return false;
  if (held_ops_.emplace(client, seq).second) {
    held_.push_back(HeldReply{client, seq, m.now_us + m.cfg.plants.sync_timer_ms * 1000});
  }
  HD_CHECK(held_.size() == held_ops_.size());
  return true;
}

void CurpHoProtocol::fire_sync_timer(Impl& m) {
  while (!held_.empty() && held_.front().due_us <= m.now_us) {
    const HeldReply h = held_.front();
    held_.pop_front();
    HD_CHECK(held_ops_.erase({h.client, h.seq}) == 1);
    ++sync_timer_fires_;
    // The saved reply is gone once the client acked the op (it completed on
    // the fast path, or through another replica's timer): nothing to send.
    const SavedReply* s = ClientTable::find_saved(m.clients.get(h.client), h.seq);
    if (s == nullptr || !s->strong) continue;
    ++sync_timer_answers_;
    m.emit_client(h.client, s->reply);
  }
}

void CurpHoProtocol::add_gauges(CoreGauges* g) const {
  g->gate_dropped = gate_.dropped();
  g->sync_timer_fires = sync_timer_fires_;
  g->sync_timer_answers = sync_timer_answers_;
}

}  // namespace hd::core
