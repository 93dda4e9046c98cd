// SessionCore::Impl: one session's state and the bookkeeping every protocol
// shares (send window, client cache, completions, leader tracking), included
// by session_core.cc (submit/step/tick, retries, timeouts), session_ht.cc
// (CURP-HT: what each op class sends, the fast-path rule, reply handlers) and
// session_ho.cc (CURP-HO: the same, plus unsettled weak writes and deps).
// Private to hd_client_core. Not thread-safe: one thread owns a session.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <utility>
#include <vector>

#include "base/check.h"
#include "base/flat_u64_map.h"
#include "replica/client/session_core.h"
#include "replica/core/seq_window.h"

namespace hd::client {
namespace session_detail {

// A follower's answer about a strong op: slot 0 = witness OK in `term`;
// slot > 0 = it holds the command's log entry at `slot`, appended in `term`.
struct HeldNote {
  uint32_t from = 0;
  core::Term term;
  LogIndex slot;
  bool read_dep = false;  // CURP-HO witness answer: a weak PUT is pending on the key
};

struct PendingOp {
  OpClass op = OpClass::kStrongRead;
  Key key = 0;
  Value value;  // value to write (writes)
  TimeUs submitted_us = 0;
  TimeUs last_sent_us = 0;
  bool sent = false;  // held back until its seq is inside the replicas' window
  // The session's min_index when the op was submitted: a lower bound of the
  // min_index of every copy of it sent (min_index only grows). Weak reads:
  // what prune_cache() must keep the cache for.
  LogIndex min_index_at_submit;
  uint32_t retries = 0;
  // CURP-HO weak write: the bound replica acked it (the application has its
  // completion) but the leader has not settled it yet: still retried, never
  // timed out, and it still holds acked_below (docs/protocol-curpho.md §2.1).
  bool acked = false;
  // CURP-HO weak read: the slot of the session's own write to the key with
  // a smaller seq that settled while this read was out. The read's dep_seq
  // may name that write, and once it settles acked_below passes it, after
  // which a lagging replica takes it for executed (SeqWindow's floor); a
  // reply older than this is not an answer (docs/protocol-curpho.md, "Built
  // so far").
  LogIndex need_version;
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
  // CURP-HO: != 0 while the entry is this session's own weak write with that
  // seq, not settled yet (its version, the slot, is unknown: 0).
  SeqNo unsettled{0};
};

}  // namespace session_detail

struct SessionCore::Impl {
  using HeldNote = session_detail::HeldNote;
  using PendingOp = session_detail::PendingOp;
  using CacheEntry = session_detail::CacheEntry;
  using Outgoing = core::Outgoing;
  using ReplicaId = core::ReplicaId;

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
  // Flat (base/flat_u64_map.h): looked up on every read and strong reply
  // while it fills to cache_capacity over a long run (issue 17).
  FlatU64Map<CacheEntry> cache;
  // Insertion order of cache keys, for FIFO eviction (cheap, deterministic).
  std::deque<Key> cache_fifo;
  LogIndex min_index;
  std::vector<Outgoing> outgoing;
  std::vector<Completion> completions;
  // CURP-HO: weak writes still in `pending` (seq -> key), so that a causal
  // dependency is found without scanning every pending op; settled writes
  // reported by take_settled(); counters for the gauges.
  std::map<SeqNo, Key> weak_pending;
  std::vector<Settled> settled;
  uint64_t unsettled = 0;
  uint64_t unsettled_over_timeout = 0;
  uint64_t dep_check_failures = 0;

  bool ho() const { return config.protocol == core::Protocol::kCurpHo; }

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

  // Learns `value` at `version`, the result of op `from_seq`. Higher version
  // wins; an older answer never overwrites a newer one. An own unsettled
  // write w (CURP-HO) is replaced only by the result of a later op: that op
  // was ordered (strong: causal barrier) or served (weak read: dep_seq) after
  // w, so its answer is at least as new; an earlier op's may predate w.
  void cache_put(Key key, const Value& value, LogIndex version, SeqNo from_seq) {
    if (config.cache_capacity == 0 && !config.never_evict_cache) return;
    if (CacheEntry* found = cache.find(key)) {
      CacheEntry& e = *found;
      const bool replace = e.unsettled != SeqNo{0} ? from_seq > e.unsettled : version > e.version;
      if (replace) e = CacheEntry{value, version, SeqNo{0}};
      return;
    }
    cache_insert(key, CacheEntry{value, version, SeqNo{0}});
  }

  // CURP-HO: the session's own new weak write `seq` is the newest value of
  // its key for this session, whatever the cache held.
  void cache_put_unsettled(Key key, const Value& value, SeqNo seq) {
    if (config.cache_capacity == 0 && !config.never_evict_cache) return;
    if (CacheEntry* found = cache.find(key)) {
      *found = CacheEntry{value, LogIndex{0}, seq};
      return;
    }
    cache_insert(key, CacheEntry{value, LogIndex{0}, seq});
  }

  // Entries no reply can beat, dropped. A weak read is answered by a replica
  // that applied at least the read's min_index, and the merge takes the cache
  // only when it is newer than the answer. Every cached version is also the
  // session's min_index (observe), so a read sent later can never lose to the
  // cache; only a read of the same key in flight since before the entry's
  // version was learned can. Dropping every other entry changes no answer,
  // and the cache holds the keys of about the last round trip instead of
  // filling to cache_capacity with every key the session saw written: a
  // working set that grew all run and made every op slower (issue 17). Own
  // unsettled CURP-HO writes are kept. Amortised O(1) per insert: a pass runs
  // when the cache has doubled since the last one.
  static constexpr size_t kPruneFloor = 1024;
  size_t prune_at = kPruneFloor;
  void prune_cache() {
    if (config.never_evict_cache || cache.size() < prune_at) return;
    std::vector<std::pair<Key, LogIndex>> reads;  // in flight: key, min_index when submitted
    for (const auto& [seq, p] : pending)
      if (p.op == OpClass::kWeakRead) reads.emplace_back(p.key, p.min_index_at_submit);
    const auto needed = [&](Key key, const CacheEntry& e) {
      if (e.unsettled != SeqNo{0} || e.version > min_index) return true;
      for (const auto& [k, at] : reads)
        if (k == key && at < e.version) return true;
      return false;
    };
    for (size_t n = cache_fifo.size(); n > 0; --n) {
      const Key key = cache_fifo.front();
      cache_fifo.pop_front();
      const CacheEntry* e = cache.find(key);
      HD_CHECK(e != nullptr);  // cache and cache_fifo hold the same keys
      if (needed(key, *e)) {
        cache_fifo.push_back(key);
      } else {
        cache.erase(key);
      }
    }
    prune_at = std::max(kPruneFloor, 2 * cache.size());
  }

  void cache_insert(Key key, CacheEntry entry) {
    HD_CHECK(!cache.contains(key));
    prune_cache();
    if (!config.never_evict_cache) {
      while (cache.size() >= config.cache_capacity && !cache_fifo.empty()) {
        cache.erase(cache_fifo.front());
        cache_fifo.pop_front();
      }
    }
    cache.try_emplace(key, std::move(entry));
    cache_fifo.push_back(key);
    HD_CHECK(cache.size() == cache_fifo.size());
  }

  // A read's answer teaches the cache only when the key has been written
  // (version > 0): the empty version-0 answer of an unwritten key never beats
  // a reply (the higher version wins), so caching it only filled the cache
  // with the cold keys a zipf workload touches once — 13 MiB per client and
  // a working set that grew all run (issue 17).
  void learn_read(Key key, const Value& value, LogIndex version, SeqNo from_seq) {
    if (version.value() > 0) cache_put(key, value, version, from_seq);
  }

  // Sends op `seq` (first time or retry) to the replicas its class goes to.
  void send(SeqNo seq, const PendingOp& p) {
    if (ho()) {
      send_ho(seq, p);
    } else {
      send_ht(seq, p);
    }
  }

  // Records the completion of op `it` for the application; `it` stays.
  void record_completion(TimeUs now, std::map<SeqNo, PendingOp>::iterator it, Outcome outcome,
                         Path path, Value value, LogIndex version, SeqNo own_unsettled = SeqNo{0}) {
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
    c.own_unsettled_seq = own_unsettled;
    completions.push_back(std::move(c));
  }

  // Removes op `it` from pending (after its completion was recorded).
  void retire(TimeUs now, std::map<SeqNo, PendingOp>::iterator it) {
    if (it->second.op == OpClass::kWeakWrite) {
      // A write leaving unsettled (timed out) may never take effect: its
      // cache entry must not answer reads; an empty version-0 entry loses
      // every merge.
      CacheEntry* c = cache.find(it->second.key);
      if (c != nullptr && c->unsettled == it->first) *c = CacheEntry{};
    }
    if (it->second.acked) {
      HD_CHECK(unsettled > 0);
      --unsettled;
    }
    weak_pending.erase(it->first);
    pending.erase(it);
    release_held(now);
  }

  // Removes `seq` from pending and records its completion.
  void complete(TimeUs now, std::map<SeqNo, PendingOp>::iterator it, Outcome outcome, Path path,
                Value value, LogIndex version, SeqNo own_unsettled = SeqNo{0}) {
    HD_CHECK(!it->second.acked);  // an acked write completed already: it settles
    record_completion(now, it, outcome, path, std::move(value), version, own_unsettled);
    retire(now, it);
  }

  // A write completed at `slot`: the cache and min_index learn it.
  void complete_write(TimeUs now, std::map<SeqNo, PendingOp>::iterator it, Path path,
                      LogIndex slot) {
    HD_CHECK(slot.value() > 0);
    observe(slot);
    cache_put(it->second.key, it->second.value, slot, it->first);
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
    learn_read(it->second.key, value, version, it->first);
    complete(now, it, Outcome::kOk, path, value, version);
  }

  // The command a strong op proposes (both protocols).
  static core::Command command_of(const PendingOp& p) {
    core::Command c;
    c.kind = p.op == OpClass::kStrongWrite ? core::OpKind::kPut : core::OpKind::kGet;
    c.key = p.key;
    if (p.op == OpClass::kStrongWrite) c.value = p.value;
    return c;
  }

  // Queues one copy of `m` for every replica.
  void send_to_all(const core::Message& m) {
    for (uint32_t r = 0; r < config.replica_count; ++r)
      outgoing.push_back(core::Outgoing{core::Destination::replica(core::ReplicaId{r}), m});
  }

  bool is_strong(const PendingOp& p) const {
    return p.op == OpClass::kStrongRead || p.op == OpClass::kStrongWrite;
  }

  // Completes strong op `it` if its replies make a path (fast, or for
  // CURP-HO also slow on ordered acks).
  void maybe_fast(TimeUs now, std::map<SeqNo, PendingOp>::iterator it) {
    if (ho()) {
      maybe_complete_ho(now, it);
    } else {
      maybe_fast_ht(now, it);
    }
  }

  // Any replica's reply may name a newer leader.
  void learn_leader(core::Term term, ReplicaId leader_hint) {
    if (term <= leader_term || leader_hint.value() >= config.replica_count) return;
    leader_term = term;
    leader = leader_hint;
  }

  // ---- CURP-HT (session_ht.cc) -------------------------------------------
  void send_ht(SeqNo seq, const PendingOp& p);
  void maybe_fast_ht(TimeUs now, std::map<SeqNo, PendingOp>::iterator it);
  // Replies: the first two shared with CURP-HO (the leader's speculative reply
  // and the commit), the weak ones CURP-HT's.
  void on(TimeUs now, const core::ProposeReply& m);
  void on(TimeUs now, const core::StrongCommit& m);
  void on(TimeUs now, const core::WeakWriteReply& m);
  void on(TimeUs now, const core::WeakReadReply& m);

  // ---- CURP-HO (session_ho.cc) -------------------------------------------
  void send_ho(SeqNo seq, const PendingOp& p);
  void maybe_complete_ho(TimeUs now, std::map<SeqNo, PendingOp>::iterator it);
  // The session's latest weak write still pending with a seq below `seq`
  // (to `key` only, if given); 0 if none (docs/protocol-curpho.md §2.0).
  SeqNo weak_dep_before(SeqNo seq, const Key* key) const;
  void on(TimeUs now, const core::CausalWriteAck& m);
  void on(TimeUs now, const core::RecordAck& m);
  void on_settle(TimeUs now, const core::WeakWriteReply& m);
  void on_causal_read_reply(TimeUs now, const core::WeakReadReply& m);
};

}  // namespace hd::client
