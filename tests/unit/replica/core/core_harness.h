// A tiny in-test router for ReplicaCore unit tests: three (or N) cores, FIFO
// delivery between replicas, per-replica drop switches, and client inboxes.
// Single-threaded; deterministic.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "replica/core/replica_core.h"

namespace hd::core::test {

class Cluster {
 public:
  explicit Cluster(CoreConfig base, uint32_t n = 3) : base_(base), down_(n, false) {
    base_.replica_count = n;
    for (uint32_t i = 0; i < n; ++i) cores_.push_back(make(i));
  }

  ReplicaCore& core(uint32_t i) { return *cores_[i]; }
  ReplicaCore& leader() { return *cores_[leader_index()]; }
  // The live (not down) leader of the highest term; the boot leader if none.
  uint32_t leader_index() const {
    uint32_t best = base_.leader.value();
    uint64_t best_term = 0;
    for (uint32_t i = 0; i < cores_.size(); ++i) {
      if (down_[i] || !cores_[i]->is_leader()) continue;
      if (cores_[i]->term().value() > best_term) {
        best = i;
        best_term = cores_[i]->term().value();
      }
    }
    return best;
  }
  TimeUs now() const { return now_; }

  // Messages to or from a "down" replica are dropped (it keeps its state).
  void set_down(uint32_t i, bool down) { down_[i] = down; }
  // Crash and restart: a fresh, empty core (rejoin: it knows it lost its
  // state, as a restarted replica must be told).
  void restart(uint32_t i, bool rejoin = true) {
    cores_[i] = make(i, rejoin);
    // Drop anything queued for the old incarnation.
    std::erase_if(queue_, [&](const Hop& h) { return h.to == i; });
  }

  // Delivers `msg` from a client to replica i and collects its output (does
  // not deliver replica-to-replica traffic; call run() for that).
  void client_send(uint32_t i, const Message& msg) {
    if (down_[i]) return;
    cores_[i]->step(now_, msg);
    collect(i);
  }
  // Propose to every replica (strong op).
  void propose_all(const Propose& p) {
    for (uint32_t i = 0; i < cores_.size(); ++i) client_send(i, p);
  }

  // Delivers queued replica-to-replica messages until quiet (or max_hops).
  void run(uint64_t max_hops = 10'000'000) {
    for (uint32_t i = 0; i < cores_.size(); ++i) collect(i);
    while (!queue_.empty() && max_hops-- > 0) {
      Hop h = std::move(queue_.front());
      queue_.pop_front();
      if (down_[h.to] || down_[h.from]) continue;
      cores_[h.to]->step(now_, h.msg);
      collect(h.to);
    }
  }

  // Advances time by dt_us and ticks every replica, then runs.
  void tick(TimeUs dt_us) {
    now_ += dt_us;
    for (uint32_t i = 0; i < cores_.size(); ++i) {
      if (down_[i]) continue;
      cores_[i]->tick(now_);
      collect(i);
    }
    run();
  }

  // Takes every message delivered to client c of type T, in order.
  template <typename T>
  std::vector<T> take(ClientId c) {
    std::vector<T> got;
    std::vector<std::pair<ClientId, Message>> rest;
    for (auto& [to, msg] : client_inbox_) {
      if (to == c && std::holds_alternative<T>(msg)) {
        got.push_back(std::get<T>(std::move(msg)));
      } else {
        rest.emplace_back(to, std::move(msg));
      }
    }
    client_inbox_ = std::move(rest);
    return got;
  }
  void clear_inbox() { client_inbox_.clear(); }
  uint64_t replica_messages_sent() const { return replica_messages_; }

 private:
  struct Hop {
    uint32_t from;
    uint32_t to;
    Message msg;
  };

  std::unique_ptr<ReplicaCore> make(uint32_t i, bool rejoin = false) {
    CoreConfig c = base_;
    c.self = ReplicaId{i};
    c.rejoin = rejoin;
    return std::make_unique<ReplicaCore>(c);
  }

  void collect(uint32_t i) {
    if (!cores_[i]->has_ready()) return;
    for (Outgoing& o : cores_[i]->ready().messages) {
      if (o.to.kind == Destination::Kind::kReplica) {
        ++replica_messages_;
        queue_.push_back(Hop{i, static_cast<uint32_t>(o.to.id), std::move(o.msg)});
      } else if (!down_[i]) {
        client_inbox_.emplace_back(ClientId{o.to.id}, std::move(o.msg));
      }
    }
    cores_[i]->advance();
  }

  CoreConfig base_;
  std::vector<bool> down_;
  std::vector<std::unique_ptr<ReplicaCore>> cores_;
  std::deque<Hop> queue_;
  std::vector<std::pair<ClientId, Message>> client_inbox_;
  TimeUs now_ = 1'000;
  uint64_t replica_messages_ = 0;
};

inline Propose put(uint64_t client, uint64_t seq, Key key, Value v, uint64_t acked_below = 0) {
  return Propose{ClientId{client}, SeqNo{seq}, SeqNo{acked_below},
                 Command{OpKind::kPut, key, std::move(v)}};
}
inline Propose get(uint64_t client, uint64_t seq, Key key, uint64_t acked_below = 0) {
  return Propose{ClientId{client}, SeqNo{seq}, SeqNo{acked_below}, Command{OpKind::kGet, key, {}}};
}

}  // namespace hd::core::test
