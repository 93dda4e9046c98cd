// PeerProgress / ProgressTracker: the leader's per-follower bookkeeping
// (peer_progress.h).
#include "replica/core/peer_progress.h"

#include <algorithm>
#include <functional>

#include "base/check.h"

namespace hd::core {

void PeerProgress::mark_heard(TimeUs now) {
  last_ack_us = now;
  last_progress_us = now;
  last_sent_us = now;
}

void PeerProgress::on_ack(const AcceptAck& a, TimeUs now) {
  last_ack_us = now;
  if (a.last_contiguous > match) {
    match = a.last_contiguous;
    last_progress_us = now;
    hold = false;
  } else if (a.last_contiguous < match && a.last_contiguous == LogIndex{0} &&
             a.applied == LogIndex{0}) {
    // The follower restarted empty (no disk): start over from slot 1, or
    // from a state transfer if slot 1 is released.
    match = LogIndex{0};
    next = LogIndex{1};
    last_progress_us = now;
    hold = false;
    snapshot_ever = false;  // it needs a transfer now, not after the pacing delay
    snapshot_index = LogIndex{0};
  }
  // Other regressions are stale acks reordered by the network: ignored.
  if (a.reject) {
    // The follower's log ends (or diverged) at last_contiguous: resend from
    // there (a stale reject can only cost a resend).
    next = std::min(next, next_of(std::max(match, a.last_contiguous)));
    hold = false;
  }
  if (next <= match) next = next_of(match);
}

void PeerProgress::on_accept_sent(LogIndex commit, TimeUs now) {
  sent_commit = std::max(sent_commit, commit);
  last_sent_us = now;
}

void PeerProgress::on_snapshot_sent(LogIndex index, TimeUs now) {
  snapshot_ever = true;
  snapshot_sent_us = now;
  snapshot_index = index;
  next = next_of(index);
  last_sent_us = now;
}

void PeerProgress::go_back() {
  next = next_of(match);
  hold = false;
}

ProgressTracker::ProgressTracker(ReplicaId self, uint32_t replica_count, Limits limits)
    : self_(self), limits_(limits), peers_(replica_count) {
  match_scratch_.reserve(replica_count);
}

void ProgressTracker::mark_all_heard(TimeUs now) {
  for (PeerProgress& p : peers_) p.mark_heard(now);
}

void ProgressTracker::reset(LogIndex next, TimeUs now) {
  for (PeerProgress& p : peers_) {
    p = PeerProgress{};
    p.next = next;
    p.mark_heard(now);
  }
}

void ProgressTracker::on_append(LogIndex last, TimeUs now) {
  for (PeerProgress& p : peers_) {
    if (p.match == last) p.last_progress_us = now;
  }
}

bool ProgressTracker::alive(const PeerProgress& p, TimeUs now) const {
  return now - p.last_ack_us < limits_.dead_after_us;
}

bool ProgressTracker::may_send_snapshot(const PeerProgress& p, TimeUs now) const {
  return !p.snapshot_ever || now - p.snapshot_sent_us >= limits_.snapshot_resend_us;
}

LogIndex ProgressTracker::send_limit(const PeerProgress& p, LogIndex last) const {
  const uint64_t base = std::max(p.match, p.snapshot_index).value();
  return LogIndex{std::min(last.value(), base + limits_.in_flight_entries)};
}

LogIndex ProgressTracker::quorum_match(LogIndex self_last) {
  match_scratch_.clear();
  for (uint32_t i = 0; i < peers_.size(); ++i) {
    match_scratch_.push_back(i == self_.value() ? self_last : peers_[i].match);
  }
  const size_t majority = peers_.size() / 2 + 1;
  auto nth = match_scratch_.begin() + static_cast<std::ptrdiff_t>(majority - 1);
  std::nth_element(match_scratch_.begin(), nth, match_scratch_.end(), std::greater<LogIndex>());
  return *nth;
}

LogIndex ProgressTracker::release_bound(LogIndex bound, TimeUs now) const {
  for (uint32_t i = 0; i < peers_.size(); ++i) {
    if (i == self_.value() || !alive(peers_[i], now)) continue;
    bound = std::min(bound, peers_[i].match);
  }
  return bound;
}

}  // namespace hd::core
