// ReplicaCore: CURP-HT with leader election (see docs/protocol.md), after etcd
// raft: step() handles what every role treats the same, then dispatches to the
// role (step_leader / step_follower / step_candidate). Replication output is
// built lazily in ready() so a transport that steps a whole read batch gets
// one Accept per follower. Not thread-safe: one thread owns a core.
#include "replica/core/replica_core.h"

#include <algorithm>
#include <functional>
#include <string_view>
#include <utility>

#include "base/check.h"
#include "replica/core/replica_core_impl.h"

namespace hd::core {

namespace {

// Parked weak reads beyond this are dropped oldest-first: a restarted follower
// that never catches up must not accumulate them (the client retries/times out).
constexpr uint64_t kMaxParkedReads = 4096;
// Entries a follower may have in flight beyond its acked match, in Accept
// batches: ack-clocked flow control so a laggard or a dead peer is not flooded.
constexpr uint64_t kInFlightBatches = 8;
// Snapshot resend pacing, in units of retransmit_after_us.
constexpr uint64_t kSnapshotResendFactor = 4;

}  // namespace

ReplicaCore::Impl::Impl(const CoreConfig& c)
    : cfg(c),
      proto(make_client_protocol(c)),
      progress(c.self, c.replica_count,
               ProgressTracker::Limits{c.follower_dead_after_us,
                                       kSnapshotResendFactor * c.retransmit_after_us,
                                       kInFlightBatches * c.max_accept_batch}) {
  HD_CHECK(cfg.replica_count >= 3);
  HD_CHECK(cfg.replica_count % 2 == 1);
  HD_CHECK(cfg.replica_count <= 64);  // vote masks are 64-bit
  HD_CHECK(cfg.self.value() < cfg.replica_count);
  HD_CHECK(cfg.leader.value() < cfg.replica_count);
  HD_CHECK(cfg.max_accept_batch > 0);
  HD_CHECK(cfg.snapshot_chunk_entries > 0);
  if (cfg.rejoin) {
    // Restarted without state: term and vote unknown until probed.
    rejoining = true;
  } else {
    // Boot term: every replica agrees that cfg.leader leads term 1.
    term = Term{1};
    leader_id = cfg.leader;
    voted_for = cfg.leader;
    role = cfg.self == cfg.leader ? Role::kLeader : Role::kFollower;
  }
}

void ReplicaCore::Impl::observe_time(TimeUs now) {
  now_us = std::max(now_us, now);
  if (started) return;
  started = true;
  // Peers count as heard from at start, so none is "dead" before it could ack.
  progress.mark_all_heard(now_us);
  last_gc_us = now_us;
  last_leader_us = now_us;
  reset_election_timer();
}

// ---- weak reads (any role) ---------------------------------------------------

void ReplicaCore::Impl::answer_read(ClientId c, SeqNo seq, Key key) {
  WeakReadReply r{cfg.self, c, seq, {}, LogIndex{0}};
  if (const KvStore::Cell* cell = kv.find(key)) {
    r.value = cell->value;
    r.version = cell->version;
  }
  emit_client(c, std::move(r));
}

void ReplicaCore::Impl::on_weak_read(const WeakRead& r) {
  ++counters.weak_reads;
  serve_read(r.client, r.seq, r.key, r.min_index, SeqNo{0});
}

bool ReplicaCore::Impl::read_ready(ClientId c, LogIndex min_index, SeqNo dep_seq) {
  if (applied < min_index) return false;
  return dep_seq == SeqNo{0} || ClientTable::executed(clients.get(c), dep_seq);
}

void ReplicaCore::Impl::serve_read(ClientId c, SeqNo seq, Key key, LogIndex min_index,
                                   SeqNo dep_seq) {
  if (read_ready(c, min_index, dep_seq)) {
    answer_read(c, seq, key);
    return;
  }
  parked.push_back(ParkedRead{c, seq, key, min_index, dep_seq});
  if (parked.size() > kMaxParkedReads) parked.pop_front();
  HD_CHECK(parked.size() <= kMaxParkedReads);
}

// Called whenever applied advances.
void ReplicaCore::Impl::answer_parked_reads() {
  if (parked.empty()) return;
  auto keep = parked.begin();
  for (auto it = parked.begin(); it != parked.end(); ++it) {
    if (read_ready(it->client, it->min_index, it->dep_seq)) {
      answer_read(it->client, it->seq, it->key);
    } else {
      if (keep != it) *keep = std::move(*it);
      ++keep;
    }
  }
  parked.erase(keep, parked.end());
}

// ---- execution (any role) ----------------------------------------------------

// Executes slot applied + 1 (entry e) against the KV store, records it in
// the client's table (seen, saved reply) and returns the client's answer.
// `move_value`: the entry is released right after (followers).
StrongCommit ReplicaCore::Impl::execute_next(LogEntry& e, bool move_value) {
  const LogIndex slot = next_of(applied);
  if (cfg.record_executed)
    out.executed.push_back(ExecutedSlot{slot, entry_digest(e), e.client, e.seq});
  StrongCommit reply{e.client, e.seq, slot, {}, LogIndex{0}};
  if (e.cmd.is_write()) {
    if (move_value) {
      kv.put(e.cmd.key, std::move(e.cmd.value), slot);
    } else {
      kv.put(e.cmd.key, e.cmd.value, slot);  // copy: followers may still need the entry
    }
    reply.version = slot;
    auto it = overlay.find(e.cmd.key);
    if (it != overlay.end()) {
      HD_CHECK(it->second >= slot);
      if (it->second == slot) overlay.erase(it);
    }
  } else if (const KvStore::Cell* cell = kv.find(e.cmd.key)) {
    reply.value = cell->value;
    reply.version = cell->version;
  }
  applied = slot;
  ++counters.executed;
  if (is_noop(e)) return reply;
  clients.record_executed(e, reply);
  proto->on_executed(*this, e, slot);  // after: a parked Sync answers from the saved reply
  return reply;
}

// ---- driving -----------------------------------------------------------------

// Before its probes are answered a restarted replica takes part in nothing
// that carries a term (docs/protocol.md "Rejoining"): it witnesses and
// answers weak reads in term 0, answers probes, and collects its own.
bool ReplicaCore::Impl::ignored_while_probing(const Message& m) const {
  if (!rejoining || probe_done) return false;
  if (const auto* rv = std::get_if<RequestVote>(&m)) return !rv->probe;
  if (const auto* v = std::get_if<Vote>(&m)) return !v->probe;
  return std::holds_alternative<Accept>(m) || std::holds_alternative<Snapshot>(m) ||
         std::holds_alternative<AcceptAck>(m);
}

// As etcd raft's Step: first what every role handles the same way, then the
// term of the replication stream, then the role's own handling.
void ReplicaCore::Impl::step(const Message& m) {
  if (ignored_while_probing(m)) return;
  // Weak reads are answered by any role; votes are handled by any role (the
  // rules look at the role themselves).
  if (const auto* r = std::get_if<WeakRead>(&m)) {
    on_weak_read(*r);
    return;
  }
  if (const auto* rv = std::get_if<RequestVote>(&m)) {
    if (valid_peer(rv->from)) on_request_vote(*rv);
    return;
  }
  if (const auto* v = std::get_if<Vote>(&m)) {
    if (valid_peer(v->from)) on_vote(*v);
    return;
  }
  // Client requests: the protocol handles them in every role.
  if (proto->step_client(*this, m)) return;
  if (!check_replication_term(m)) return;
  switch (role) {
    case Role::kLeader:
      step_leader(m);
      break;
    case Role::kFollower:
      step_follower(m);
      break;
    case Role::kCandidate:
      step_candidate(m);
      break;
  }
}

void ReplicaCore::Impl::tick() {
  proto->tick(*this);
  switch (role) {
    case Role::kLeader:
      tick_leader();
      break;
    case Role::kFollower:
      tick_follower();
      break;
    case Role::kCandidate:
      tick_candidate();
      break;
  }
}

void ReplicaCore::Impl::flush() {
  switch (role) {
    case Role::kLeader:
      flush_leader();
      break;
    // A candidate follows nobody: flush_follower drops its pending ack.
    case Role::kFollower:
    case Role::kCandidate:
      flush_follower();
      break;
  }
}

void ReplicaCore::Impl::check_invariants() const {
  HD_CHECK(applied <= commit);
  HD_CHECK(commit <= log.last_index());
  HD_CHECK(log.first_index() <= next_of(applied));
  HD_CHECK(parked.size() <= kMaxParkedReads);
  if (!is_leader()) {
    HD_CHECK(verified <= log.last_index());
    HD_CHECK(log.first_index() == next_of(applied));
  }
}

ReplicaCore::ReplicaCore(const CoreConfig& config) : impl_(std::make_unique<Impl>(config)) {}
ReplicaCore::~ReplicaCore() = default;

void ReplicaCore::step(TimeUs now, const Message& msg) {
  impl_->observe_time(now);
  impl_->step(msg);
  impl_->check_invariants();
}

void ReplicaCore::tick(TimeUs now) {
  impl_->observe_time(now);
  impl_->tick();
  impl_->check_invariants();
}

bool ReplicaCore::has_ready() const {
  return !impl_->out.messages.empty() || !impl_->out.executed.empty() || impl_->repl_dirty ||
         impl_->ack_dirty;
}

Ready& ReplicaCore::ready() {
  impl_->flush();
  return impl_->out;
}

void ReplicaCore::advance() {
  // Anything stepped since ready() was taken is flushed by the next ready().
  impl_->out.messages.clear();
  impl_->out.executed.clear();
}

uint64_t entry_digest(const LogEntry& e) {
  // splitmix64 steps over the fields: equal entries give equal digests, and
  // any differing field almost surely a different one.
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  auto mix = [&h](uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    h ^= h >> 31;
  };
  mix(e.term.value());
  mix(e.client.value());
  mix(e.seq.value());
  mix(static_cast<uint64_t>(e.strong) << 8 | static_cast<uint64_t>(e.cmd.kind));
  mix(e.cmd.key);
  mix(std::hash<std::string_view>{}(e.cmd.value));
  return h;
}

bool ReplicaCore::is_leader() const {
  return impl_->is_leader();
}
std::optional<ReplicaId> ReplicaCore::leader() const {
  return impl_->leader_id;
}
Term ReplicaCore::term() const {
  return impl_->term;
}
const CoreConfig& ReplicaCore::config() const {
  return impl_->cfg;
}

CoreGauges ReplicaCore::gauges() const {
  const Impl& m = *impl_;
  CoreGauges g;
  g.log_entries_retained = m.log.size();
  g.witness_entries = m.proto->witness_entries();
  const uint64_t unexecuted = m.log.last_index().value() - m.applied.value();
  g.pending_requests =
      (m.is_leader() ? unexecuted : 0) + m.parked.size() + m.proto->pending_requests();
  g.client_table_entries = m.clients.size();
  g.saved_replies = m.clients.saved_replies();
  g.kv_keys = m.kv.size();
  g.last_index = m.log.last_index();
  g.commit_index = m.commit;
  g.applied_index = m.applied;
  g.snapshots_sent = m.snapshots_sent;
  g.snapshots_installed = m.snapshots_installed;
  g.term = m.term.value();
  g.rejoining = m.rejoining;
  m.proto->add_gauges(&g);
  return g;
}

const CoreCounters& ReplicaCore::counters() const {
  return impl_->counters;
}

KvEntry ReplicaCore::read_executed(Key key) const {
  KvEntry e{key, {}, LogIndex{0}};
  if (const KvStore::Cell* cell = impl_->kv.find(key)) {
    e.value = cell->value;
    e.version = cell->version;
  }
  return e;
}

}  // namespace hd::core
