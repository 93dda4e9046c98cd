// PeerProgress and ProgressTracker: the leader's view of each follower (after
// etcd raft's tracker/progress.go): how much of the log it holds, what to send
// it next, ack-clocked flow control, state-transfer pacing and liveness. Times
// are the core's clock, passed in. Not thread-safe (core-owned).
#pragma once

#include <cstdint>
#include <vector>

#include "replica/core/messages.h"

namespace hd::core {

// The leader's view of one follower.
struct PeerProgress {
  LogIndex match;           // follower holds every slot <= match (acked)
  LogIndex next{1};         // next slot to send in the normal stream
  LogIndex sent_commit;     // highest commit index told
  LogIndex snapshot_index;  // index of the last state transfer sent (0: none)
  TimeUs last_ack_us = 0;
  TimeUs last_progress_us = 0;  // match advanced (or a retransmission was made)
  TimeUs last_sent_us = 0;
  TimeUs snapshot_sent_us = 0;
  bool snapshot_ever = false;
  // After a timeout go-back, send nothing more until an ack shows progress:
  // a dead follower then costs one batch per retransmit interval.
  bool hold = false;

  // Counts as heard from, acked and sent to at `now` (no timer runs out early).
  void mark_heard(TimeUs now);
  // An ack from the follower (its term already checked, last_contiguous
  // within the leader's log).
  void on_ack(const AcceptAck& a, TimeUs now);
  // An Accept carrying `commit` was sent.
  void on_accept_sent(LogIndex commit, TimeUs now);
  // A state transfer of the state at `index` was sent; the stream continues after it.
  void on_snapshot_sent(LogIndex index, TimeUs now);
  // Go-back-N: resend from the slot after the last acked one.
  void go_back();
};

class ProgressTracker {
 public:
  struct Limits {
    TimeUs dead_after_us = 0;        // no ack for this long: not alive
    TimeUs snapshot_resend_us = 0;   // a state transfer is resent at most this often
    uint64_t in_flight_entries = 0;  // entries sent beyond the acked match
  };

  ProgressTracker(ReplicaId self, uint32_t replica_count, Limits limits);

  PeerProgress& at(uint32_t peer) { return peers_[peer]; }
  const PeerProgress& at(uint32_t peer) const { return peers_[peer]; }

  // Every peer counts as heard from at `now`.
  void mark_all_heard(TimeUs now);
  // A new leadership: every peer starts over, to be sent from `next`.
  void reset(LogIndex next, TimeUs now);
  // The leader appends after `last`: a caught-up follower starts lagging now,
  // so its retransmit timer starts here, not at its last (possibly long past) ack.
  void on_append(LogIndex last, TimeUs now);

  bool alive(const PeerProgress& p, TimeUs now) const;
  bool may_send_snapshot(const PeerProgress& p, TimeUs now) const;
  // The last slot the flow control lets p have in flight, given the log's last slot.
  LogIndex send_limit(const PeerProgress& p, LogIndex last) const;
  // The highest slot a majority holds, the leader holding `self_last`.
  LogIndex quorum_match(LogIndex self_last);
  // min(bound, match of every live follower): slots no live follower needs.
  LogIndex release_bound(LogIndex bound, TimeUs now) const;

 private:
  ReplicaId self_;
  Limits limits_;
  std::vector<PeerProgress> peers_;  // indexed by ReplicaId; peers_[self] unused
  std::vector<LogIndex> match_scratch_;
};

}  // namespace hd::core
