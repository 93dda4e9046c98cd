// ReplicaCore: terms, pre-votes and elections, leadership changes, the checks
// of a leader's messages, and the rejoin of a restarted replica
// (docs/protocol.md "Rejoining"). Not thread-safe: one thread owns a core.
#include <algorithm>
#include <bit>
#include <optional>
#include <utility>

#include "base/check.h"
#include "replica/core/replica_core_impl.h"

namespace hd::core {

namespace {

uint64_t mix64(uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

// ---- terms, elections, leadership changes ------------------------------------

TimeUs ReplicaCore::Impl::election_timeout() {
  const uint64_t h = mix64(cfg.election_seed ^ mix64(cfg.self.value() * 1000003ULL + term.value()) ^
                           mix64(++timer_draws));
  const TimeUs jitter = cfg.election_jitter_us == 0 ? 0 : h % cfg.election_jitter_us;
  return cfg.election_timeout_us + jitter;
}

// Adopts `t` (>= term) and follows `leader` (none: not known yet).
void ReplicaCore::Impl::become_follower(Term t, std::optional<ReplicaId> leader) {
  HD_CHECK(t >= term);
  const bool new_term = t > term;
  if (new_term) {
    term = t;
    voted_for.reset();
  }
  if (role == Role::kLeader) step_down();
  role = Role::kFollower;
  pre_term = Term{0};
  if (new_term || leader_id != leader) {
    leader_id = leader;
    stashed.clear();
    // A rejoining replica measures its catch-up against the leader it follows.
    rejoin_target_known = false;
    // What matched the old leader's log proves nothing about the new one's.
    verified = std::min(verified, applied);
    leader_commit = std::max(leader_commit, applied);
  }
}

// Leader -> follower: forget the leader-only state. Unexecuted entries stay
// (the next leader's Accepts confirm or replace them); executed ones are
// committed and released as a follower would have.
void ReplicaCore::Impl::step_down() {
  proto->on_step_down(*this);
  overlay.clear();
  clients.clear_inflight();
  while (!log.empty() && log.first_index() <= applied) {
    log.release_front();
    ++counters.released;
  }
  verified = applied;
  leader_commit = std::max(leader_commit, applied);
  repl_dirty = false;
}

bool ReplicaCore::Impl::log_up_to_date(Term last_term, LogIndex last_index) const {
  const Term mine = log.last_term();
  if (last_term != mine) return last_term > mine;
  return last_index >= log.last_index();
}

// A follower that heard from its leader recently ignores elections (Raft
// §9.6 / §6 leader stickiness): a replica cut off from the leader alone
// cannot depose it.
bool ReplicaCore::Impl::leader_recent() const {
  if (role == Role::kLeader) return true;
  return role == Role::kFollower && leader_id.has_value() &&
         now_us - last_leader_us < cfg.election_timeout_us;
}

void ReplicaCore::Impl::broadcast(const Message& m) {
  for (uint32_t i = 0; i < cfg.replica_count; ++i) {
    if (i != cfg.self.value()) emit_replica(ReplicaId{i}, m);
  }
}

void ReplicaCore::Impl::start_pre_vote() {
  pre_term = next_term();
  pre_votes = uint64_t{1} << cfg.self.value();
  reset_election_timer();
  broadcast(RequestVote{cfg.self, pre_term, log.last_index(), log.last_term(), true, false});
}

void ReplicaCore::Impl::start_election() {
  term = next_term();
  role = Role::kCandidate;
  voted_for = cfg.self;
  leader_id.reset();
  pre_term = Term{0};
  votes = uint64_t{1} << cfg.self.value();
  verified = std::min(verified, applied);
  ++counters.elections_started;
  reset_election_timer();
  broadcast(RequestVote{cfg.self, term, log.last_index(), log.last_term(), false, false});
}

void ReplicaCore::Impl::become_leader() {
  HD_CHECK(role == Role::kCandidate);
  role = Role::kLeader;
  leader_id = cfg.self;
  ++counters.elections_won;
  progress.reset(next_of(log.last_index()), now_us);
  // Our log holds exactly the unexecuted slots (a follower releases what it
  // executes): their clients' seqs are in flight, their writes pending.
  HD_CHECK(log.first_index() == next_of(applied));
  commit = applied;
  for (LogIndex s = next_of(applied); s <= log.last_index(); s = next_of(s)) {
    const LogEntry& e = log.at(s);
    if (e.cmd.is_write()) overlay[e.cmd.key] = s;
    if (is_noop(e)) continue;
    ClientState& c = clients.get(e.client);
    if (ClientTable::is_new(c, e.seq)) c.inflight.push_back(e.seq);
  }
  // A new term starts with a no-op that commits every earlier entry it
  // follows (Raft §8); then the protocol takes up leadership (CURP-HT: the
  // witness role ends).
  leader_append(LogEntry{ClientId{0}, SeqNo{0}, false, Command{}, term, SeqNo{0}});
  proto->on_become_leader(*this);
  for (uint32_t i = 0; i < cfg.replica_count; ++i) {
    if (i != cfg.self.value()) send_empty_accept(i);
  }
}

void ReplicaCore::Impl::on_request_vote(const RequestVote& rv) {
  if (rv.probe) {
    emit_replica(rv.from, Vote{cfg.self, term, false, false, true});
    return;
  }
  if (rv.pre) {
    const bool grant = !rejoining && !leader_recent() && rv.term > term &&
                       log_up_to_date(rv.last_term, rv.last_index);
    emit_replica(rv.from, Vote{cfg.self, grant ? rv.term : term, grant, true, false});
    return;
  }
  if (leader_recent() && rv.term > term) return;  // sticky: ignore, keep the term
  if (rv.term < term) {
    emit_replica(rv.from, Vote{cfg.self, term, false, false, false});
    return;
  }
  if (rv.term > term) become_follower(rv.term, std::nullopt);
  const bool grant = !rejoining && (!voted_for || *voted_for == rv.from) &&
                     log_up_to_date(rv.last_term, rv.last_index);
  if (grant) {
    voted_for = rv.from;
    reset_election_timer();
  }
  emit_replica(rv.from, Vote{cfg.self, term, grant, false, false});
}

void ReplicaCore::Impl::on_vote(const Vote& v) {
  const uint64_t bit = uint64_t{1} << v.from.value();
  if (v.probe) {
    if (!rejoining || probe_done) return;
    probe_replies |= bit;
    probe_term = std::max(probe_term, v.term);
    // The probes of f + 1 other replicas intersect every majority that
    // voted or committed before we lost our state.
    if (static_cast<uint32_t>(std::popcount(probe_replies)) >= majority()) {
      probe_done = true;
      if (probe_term > term) become_follower(probe_term, std::nullopt);
      maybe_finish_rejoin();
    }
    return;
  }
  if (v.pre) {
    if (pre_term == Term{0} || v.term != pre_term || !v.granted || role == Role::kLeader) {
      if (v.term > term && !v.granted) become_follower(v.term, std::nullopt);
      return;
    }
    pre_votes |= bit;
    if (static_cast<uint32_t>(std::popcount(pre_votes)) >= majority()) start_election();
    return;
  }
  if (v.term > term) {
    become_follower(v.term, std::nullopt);
    return;
  }
  if (role != Role::kCandidate || v.term != term || !v.granted) return;
  votes |= bit;
  if (static_cast<uint32_t>(std::popcount(votes)) >= majority()) become_leader();
}

// A rejoining replica may vote again once it learned the highest term from
// a majority and holds everything the leader of that term (or a later one)
// had when first heard from: every entry it acked before losing its state
// that was committed is then back in its log.
void ReplicaCore::Impl::maybe_finish_rejoin() {
  if (!rejoining || !probe_done || !rejoin_target_known) return;
  if (verified < rejoin_target) return;
  rejoining = false;
  // It may have voted in this term before the restart.
  voted_for = cfg.self;
}

// Common checks of a message from a leader (Accept, Snapshot). False: drop it.
// leader_last: the leader's last slot (Accept), or nullptr (Snapshot).
bool ReplicaCore::Impl::accept_leader(ReplicaId from, Term t, const LogIndex* leader_last) {
  // A restarted replica follows nobody before its probes told it the
  // highest term: it may have been in a majority of a term it forgot, and
  // following a leader that term deposed would let that leader's entries
  // and reads look confirmed (held notes, witness OKs in its term).
  HD_CHECK(!rejoining || probe_done);
  if (t < term) {
    // A deposed leader: tell it the newer term so it steps down.
    ++counters.stale_rejected;
    emit_replica(from, AcceptAck{cfg.self, LogIndex{0}, applied, term, true});
    return false;
  }
  HD_CHECK(!(role == Role::kLeader && t == term));  // one leader per term
  if (t > term || role != Role::kFollower || leader_id != from) {
    become_follower(t, from);
  }
  last_leader_us = now_us;
  reset_election_timer();
  if (rejoining && probe_done && !rejoin_target_known && t >= probe_term && leader_last) {
    rejoin_target = *leader_last;
    rejoin_target_known = true;
  }
  return true;
}

// The replication stream (Accept, Snapshot, AcceptAck) carries the sender's
// term, checked before the role: a leader's message of this or a newer term
// makes any role that leader's follower (accept_leader); an ack of a newer
// term makes this replica a follower of that term. False: drop the message
// (not from a peer, or of an older term). Other messages pass.
bool ReplicaCore::Impl::check_replication_term(const Message& m) {
  if (const auto* a = std::get_if<Accept>(&m)) {
    return valid_peer(a->from) && accept_leader(a->from, a->term, &a->last);
  }
  if (const auto* s = std::get_if<Snapshot>(&m)) {
    return valid_peer(s->from) && accept_leader(s->from, s->term, nullptr);
  }
  if (const auto* k = std::get_if<AcceptAck>(&m)) {
    if (!valid_peer(k->from)) return false;
    if (k->term > term) {
      become_follower(k->term, std::nullopt);
      return false;
    }
    return k->term == term;
  }
  return true;
}

// A candidate serves clients as a follower does: the protocol handled them
// already (Impl::step). Accept and Snapshot never get here
// (check_replication_term made the candidate their sender's follower); acks
// are the leader's.
void ReplicaCore::Impl::step_candidate(const Message& /*m*/) {}

// An election not won by its deadline (split vote, lost messages) starts over
// with a pre-vote.
void ReplicaCore::Impl::tick_candidate() {
  HD_CHECK(!rejoining);  // a rejoining replica never campaigns
  if (now_us >= election_deadline_us) start_pre_vote();
}

}  // namespace hd::core
