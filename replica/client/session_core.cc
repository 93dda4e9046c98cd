// SessionCore implementation: per-op bookkeeping for strong (fast/slow path)
// and weak ops, the client cache, retries and timeouts. Pure and deterministic:
// time comes in as arguments, nothing is random. Not thread-safe.
#include "replica/client/session_core.h"

#include <algorithm>
#include <bit>
#include <deque>
#include <map>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>

#include "base/check.h"
#include "replica/core/seq_window.h"

namespace hd::client {
namespace {

using core::Destination;
using core::Message;
using core::Outgoing;
using core::ReplicaId;

// A follower's answer about a strong op: slot 0 = witness OK in `term`;
// slot > 0 = it holds the command's log entry at `slot`, appended in `term`.
struct HeldNote {
  uint32_t from = 0;
  core::Term term;
  LogIndex slot;
};

struct PendingOp {
  OpClass op = OpClass::kStrongRead;
  Key key = 0;
  Value value;  // value to write (writes)
  TimeUs submitted_us = 0;
  TimeUs last_sent_us = 0;
  bool sent = false;  // held back until its seq is inside the replicas' window
  uint32_t retries = 0;
  // Strong ops: the followers' witness OKs and held notes, and the
  // speculative reply of the leader of the highest term heard.
  std::vector<HeldNote> notes;
  bool have_leader_reply = false;
  bool leader_ok = false;
  core::Term leader_term;
  uint32_t leader_from = 0;
  Value leader_value;
  LogIndex leader_version;
  LogIndex leader_slot;
};

struct CacheEntry {
  Value value;
  LogIndex version;
};

}  // namespace

struct SessionCore::Impl {
  SessionConfig config;
  uint32_t fast_quorum = 0;  // majority: the leader and f others
  // The leader as far as this session knows, and the term it leads.
  ReplicaId leader{0};
  // Where weak reads go first: the nearest replica until a read had to be
  // retried elsewhere, then the replica that answered it. Without this a
  // crashed nearest replica would cost every later read a retry timeout.
  ReplicaId read_from{0};
  core::Term leader_term;
  SeqNo next_seq{1};
  // Ordered so that the lowest in-flight seq (acked_below) is begin().
  std::map<SeqNo, PendingOp> pending;
  std::unordered_map<Key, CacheEntry> cache;
  // Insertion order of cache keys, for FIFO eviction (cheap, deterministic).
  std::deque<Key> cache_fifo;
  LogIndex min_index;
  std::vector<Outgoing> outgoing;
  std::vector<Completion> completions;

  SeqNo acked_below() const { return pending.empty() ? next_seq : pending.begin()->first; }

  // Replicas remember a session's executed seqs in a SeqWindow of kSpan seqs
  // above its acked_below; a seq beyond that slides their window and makes
  // every older seq count as done. So an op goes out only while its seq is
  // within kSpan of the oldest op still in flight: one op stuck in a leader
  // change (retried every retry_after) must not be overtaken by 1024 newer
  // ones, or the new leader ignores its retries as duplicates for good.
  bool in_window(SeqNo seq) const {
    return seq.value() < acked_below().value() + core::SeqWindow::kSpan;
  }

  // Sends the held-back ops that the window now admits, oldest first. The
  // sent ops are always a prefix of `pending` (ops are sent in seq order and
  // never unsent; removing any op keeps that), so nothing is held when the
  // newest one was sent: the common case costs no scan per completion.
  void release_held(TimeUs now) {
    if (pending.empty() || pending.rbegin()->second.sent) return;
    for (auto& [seq, p] : pending) {
      if (p.sent) continue;
      if (!in_window(seq)) return;
      p.sent = true;
      p.last_sent_us = now;
      send(seq, p);
    }
  }

  void observe(LogIndex v) { min_index = std::max(min_index, v); }

  void cache_put(Key key, const Value& value, LogIndex version) {
    if (config.cache_capacity == 0 && !config.never_evict_cache) return;
    auto it = cache.find(key);
    if (it != cache.end()) {
      // Higher version wins; an older answer never overwrites a newer one.
      if (version > it->second.version) it->second = CacheEntry{value, version};
      return;
    }
    if (!config.never_evict_cache) {
      while (cache.size() >= config.cache_capacity && !cache_fifo.empty()) {
        cache.erase(cache_fifo.front());
        cache_fifo.pop_front();
      }
    }
    cache.emplace(key, CacheEntry{value, version});
    cache_fifo.push_back(key);
    HD_CHECK(cache.size() == cache_fifo.size());
  }

  void send(SeqNo seq, const PendingOp& p) {
    switch (p.op) {
      case OpClass::kStrongRead:
      case OpClass::kStrongWrite: {
        core::Propose m;
        m.client = config.id;
        m.seq = seq;
        m.acked_below = acked_below();
        m.cmd.kind = p.op == OpClass::kStrongWrite ? core::OpKind::kPut : core::OpKind::kGet;
        m.cmd.key = p.key;
        if (p.op == OpClass::kStrongWrite) m.cmd.value = p.value;
        for (uint32_t r = 0; r < config.replica_count; ++r) {
          outgoing.push_back(Outgoing{Destination::replica(ReplicaId{r}), Message{m}});
        }
        break;
      }
      case OpClass::kWeakWrite: {
        core::WeakWrite m;
        m.client = config.id;
        m.seq = seq;
        m.acked_below = acked_below();
        m.key = p.key;
        m.value = p.value;
        if (p.retries == 0) {
          outgoing.push_back(Outgoing{Destination::replica(leader), Message{std::move(m)}});
        } else {
          // Unanswered: the leader may have changed. Every replica gets it;
          // only a leader appends it, and the seq makes a second append of the
          // same op a duplicate.
          for (uint32_t r = 0; r < config.replica_count; ++r) {
            outgoing.push_back(Outgoing{Destination::replica(ReplicaId{r}), Message{m}});
          }
        }
        break;
      }
      case OpClass::kWeakRead: {
        core::WeakRead m;
        m.client = config.id;
        m.seq = seq;
        m.key = p.key;
        m.min_index = min_index;
        // A retry tries the next replica (the nearest may be down);
        // min_index keeps the session guarantees whichever answers.
        const ReplicaId to{(read_from.value() + p.retries) % config.replica_count};
        outgoing.push_back(Outgoing{Destination::replica(to), Message{std::move(m)}});
        break;
      }
    }
  }

  // Removes `seq` from pending and records its completion.
  void complete(TimeUs now, std::map<SeqNo, PendingOp>::iterator it, Outcome outcome, Path path,
                Value value, LogIndex version) {
    Completion c;
    c.seq = it->first;
    c.op = it->second.op;
    c.key = it->second.key;
    c.outcome = outcome;
    c.path = path;
    c.value = std::move(value);
    c.version = version;
    c.submitted_us = it->second.submitted_us;
    c.completed_us = now;
    c.retries = it->second.retries;
    pending.erase(it);
    completions.push_back(std::move(c));
    release_held(now);
  }

  // A write completed at `slot`: the cache and min_index learn it.
  void complete_write(TimeUs now, std::map<SeqNo, PendingOp>::iterator it, Path path,
                      LogIndex slot) {
    HD_CHECK(slot.value() > 0);
    observe(slot);
    cache_put(it->second.key, it->second.value, slot);
    complete(now, it, Outcome::kOk, path, Value{}, slot);
  }

  void complete_strong(TimeUs now, std::map<SeqNo, PendingOp>::iterator it, Path path,
                       const Value& value, LogIndex version, LogIndex slot) {
    if (it->second.op == OpClass::kStrongWrite) {
      complete_write(now, it, path, slot);
      return;
    }
    // A linearizable read is returned as is; it still teaches the cache.
    observe(version);
    cache_put(it->second.key, value, version);
    complete(now, it, Outcome::kOk, path, value, version);
  }

  bool is_strong(const PendingOp& p) const {
    return p.op == OpClass::kStrongRead || p.op == OpClass::kStrongWrite;
  }

  // Fast path (docs/protocol.md "Fast path"): the leader's OK plus enough
  // other replicas to make a majority with it, each of which
  //  * for a write: accepted it as witness (no conflicting unsynced command)
  //    and holds its log entry at the leader's (term, slot). The entry is then
  //    on a majority in its own term: committed (Raft §5.4.2), so no later
  //    leader can lose it or give it another slot (= version);
  //  * for a read: accepted it as witness in the leader's term. The leader's
  //    OK says the result is committed state (no pending write on the key),
  //    and a majority still in its term says no newer leader can have
  //    committed a write the read missed.
  void maybe_fast(TimeUs now, std::map<SeqNo, PendingOp>::iterator it) {
    const PendingOp& p = it->second;
    if (!p.have_leader_reply || !p.leader_ok) return;
    const bool write = p.op == OpClass::kStrongWrite;
    uint64_t ok = 0;    // witness OK (any term for a write, the leader's for a read)
    uint64_t held = 0;  // holds the entry at the leader's (term, slot)
    for (const HeldNote& h : p.notes) {
      if (h.slot.value() == 0) {
        if (write || h.term == p.leader_term) ok |= uint64_t{1} << h.from;
      } else if (h.term == p.leader_term && h.slot == p.leader_slot) {
        held |= uint64_t{1} << h.from;
      }
    }
    const uint64_t counted = (uint64_t{1} << p.leader_from) | (write ? ok & held : ok);
    if (static_cast<uint32_t>(std::popcount(counted)) < fast_quorum) return;
    Value v = p.leader_value;
    complete_strong(now, it, Path::kFast, v, p.leader_version, p.leader_slot);
  }

  // Any replica's reply may name a newer leader.
  void learn_leader(core::Term term, ReplicaId leader_hint) {
    if (term <= leader_term || leader_hint.value() >= config.replica_count) return;
    leader_term = term;
    leader = leader_hint;
  }

  void on(TimeUs now, const core::ProposeReply& m) {
    if (m.from.value() >= config.replica_count) return;
    learn_leader(m.term, m.from_leader ? m.from : m.leader);
    auto it = pending.find(m.seq);
    if (it == pending.end() || !is_strong(it->second)) return;
    PendingOp& p = it->second;
    if (m.from_leader) {
      // The leader of the highest term wins (a deposed one may still answer).
      if (p.have_leader_reply && m.term <= p.leader_term) return;
      p.have_leader_reply = true;
      p.leader_ok = m.ok;
      p.leader_term = m.term;
      p.leader_from = m.from.value();
      p.leader_value = m.value;
      p.leader_version = m.version;
      p.leader_slot = m.slot;
    } else if (m.ok && p.notes.size() < 4 * config.replica_count) {
      p.notes.push_back(HeldNote{m.from.value(), m.term, m.slot});
    }
    maybe_fast(now, it);
  }

  void on(TimeUs now, const core::StrongCommit& m) {
    auto it = pending.find(m.seq);
    if (it == pending.end() || !is_strong(it->second)) return;
    complete_strong(now, it, Path::kSlow, m.value, m.version, m.slot);
  }

  void on(TimeUs now, const core::WeakWriteReply& m) {
    auto it = pending.find(m.seq);
    if (it == pending.end() || it->second.op != OpClass::kWeakWrite) return;
    complete_write(now, it, Path::kNone, m.slot);
  }

  void on(TimeUs now, const core::WeakReadReply& m) {
    auto it = pending.find(m.seq);
    if (it == pending.end() || it->second.op != OpClass::kWeakRead) return;
    if (it->second.retries > 0 && m.from.value() < config.replica_count) read_from = m.from;
    Value value = m.value;
    LogIndex version = m.version;
    // Merge with the cache: the higher version wins (read-your-writes and
    // monotonic reads even when the replica lags behind this session).
    auto c = cache.find(it->second.key);
    if (c != cache.end() && c->second.version > version) {
      value = c->second.value;
      version = c->second.version;
    } else {
      cache_put(it->second.key, value, version);
    }
    observe(version);
    complete(now, it, Outcome::kOk, Path::kNone, std::move(value), version);
  }
};

SessionCore::SessionCore(const SessionConfig& config) : impl_(std::make_unique<Impl>()) {
  HD_CHECK(config.replica_count >= 1);
  HD_CHECK(config.replica_count <= 64);
  HD_CHECK(config.leader.value() < config.replica_count);
  HD_CHECK(config.nearest.value() < config.replica_count);
  impl_->config = config;
  impl_->leader = config.leader;
  impl_->read_from = config.nearest;
  const uint32_t f = (config.replica_count - 1) / 2;
  impl_->fast_quorum = f + 1;
}

SessionCore::~SessionCore() = default;

SeqNo SessionCore::submit(TimeUs now, OpClass op, Key key, Value value) {
  Impl& s = *impl_;
  const SeqNo seq = s.next_seq;
  s.next_seq = SeqNo{seq.value() + 1};
  PendingOp p;
  p.op = op;
  p.key = key;
  if (op == OpClass::kStrongWrite || op == OpClass::kWeakWrite) p.value = std::move(value);
  p.submitted_us = now;
  p.last_sent_us = now;
  auto [it, inserted] = s.pending.emplace(seq, std::move(p));
  HD_CHECK(inserted);
  if (s.in_window(seq)) {
    it->second.sent = true;
    s.send(seq, it->second);
  }
  return seq;
}

void SessionCore::step(TimeUs now, const core::Message& msg) {
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, core::ProposeReply> ||
                      std::is_same_v<M, core::StrongCommit> ||
                      std::is_same_v<M, core::WeakWriteReply> ||
                      std::is_same_v<M, core::WeakReadReply>) {
          if (m.client != impl_->config.id) return;
          impl_->on(now, m);
        }
      },
      msg);
}

void SessionCore::tick(TimeUs now) {
  Impl& s = *impl_;
  for (auto it = s.pending.begin(); it != s.pending.end();) {
    auto cur = it++;
    PendingOp& p = cur->second;
    if (now >= p.submitted_us + s.config.op_timeout_us) {
      s.complete(now, cur, Outcome::kTimeout, Path::kNone, Value{}, LogIndex{});
      continue;
    }
    if (p.sent && now >= p.last_sent_us + s.config.retry_after_us) {
      p.last_sent_us = now;
      ++p.retries;
      s.send(cur->first, p);
    }
  }
}

std::vector<core::Outgoing> SessionCore::take_outgoing() {
  std::vector<core::Outgoing> out;
  out.swap(impl_->outgoing);
  return out;
}

std::vector<Completion> SessionCore::take_completions() {
  std::vector<Completion> out;
  out.swap(impl_->completions);
  return out;
}

void SessionCore::take_outgoing(std::vector<core::Outgoing>* into) {
  HD_CHECK(into->empty());
  into->swap(impl_->outgoing);
}

void SessionCore::take_completions(std::vector<Completion>* into) {
  HD_CHECK(into->empty());
  into->swap(impl_->completions);
}

SessionGauges SessionCore::gauges() const {
  SessionGauges g;
  g.in_flight = impl_->pending.size();
  g.cache_entries = impl_->cache.size();
  g.min_index = impl_->min_index;
  return g;
}

const SessionConfig& SessionCore::config() const {
  return impl_->config;
}

}  // namespace hd::client
