// SessionCore::Impl: one session's state and the bookkeeping every protocol
// shares (send window, client cache, completions, leader tracking), included
// by session_core.cc (submit/step/tick, retries, timeouts) and session_ht.cc
// (CURP-HT: what each op class sends, the fast-path rule, reply handlers).
// Private to hd_client_core. Not thread-safe: one thread owns a session.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/check.h"
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

  // A read's answer teaches the cache only when the key has been written
  // (version > 0): the empty version-0 answer of an unwritten key never beats
  // a reply (the higher version wins), so caching it only filled the cache
  // with the cold keys a zipf workload touches once — 13 MiB per client and
  // a working set that grew all run (issue 17).
  void learn_read(Key key, const Value& value, LogIndex version) {
    if (version.value() > 0) cache_put(key, value, version);
  }

  // ---- CURP-HT (session_ht.cc) -------------------------------------------
  // Sends op `seq` (first time or retry) to the replicas its class goes to.
  void send(SeqNo seq, const PendingOp& p);

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
    learn_read(it->second.key, value, version);
    complete(now, it, Outcome::kOk, path, value, version);
  }

  bool is_strong(const PendingOp& p) const {
    return p.op == OpClass::kStrongRead || p.op == OpClass::kStrongWrite;
  }

  // Completes op `it` on the fast path if its replies make one (session_ht.cc).
  void maybe_fast(TimeUs now, std::map<SeqNo, PendingOp>::iterator it);

  // Any replica's reply may name a newer leader.
  void learn_leader(core::Term term, ReplicaId leader_hint) {
    if (term <= leader_term || leader_hint.value() >= config.replica_count) return;
    leader_term = term;
    leader = leader_hint;
  }

  // Replies (session_ht.cc).
  void on(TimeUs now, const core::ProposeReply& m);
  void on(TimeUs now, const core::StrongCommit& m);
  void on(TimeUs now, const core::WeakWriteReply& m);
  void on(TimeUs now, const core::WeakReadReply& m);
};

}  // namespace hd::client
