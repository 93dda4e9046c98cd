// WitnessPool implementation. Not thread-safe (core-owned).
#include "replica/core/witness_pool.h"

#include <algorithm>
#include <iterator>
#include <tuple>

#include "base/check.h"

namespace hd::core {

PoolOp* WitnessPool::find(ClientId client, SeqNo seq, Key key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return nullptr;
  for (PoolOp& op : it->second) {
    if (op.client == client && op.seq == seq) return &op;
  }
  return nullptr;
}

bool WitnessPool::holds_strong(ClientId client, SeqNo seq, Key key) const {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return false;
  for (const PoolOp& op : it->second) {
    if (op.client == client && op.seq == seq) return op.strong;
  }
  return false;
}

std::pair<ClientId, SeqNo> WitnessPool::read_dep(Key key) const {
  std::pair<ClientId, SeqNo> dep{ClientId{0}, SeqNo{0}};
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return dep;
  for (const PoolOp& op : it->second) {
    if (!op.strong) dep = {op.client, op.seq};  // arrival order: the last one wins
  }
  return dep;
}

StrongRecord WitnessPool::record_strong(ClientId client, SeqNo seq, const Command& cmd,
                                        TimeUs now_us) {
  StrongRecord r;
  std::vector<PoolOp>& ops = by_key_[cmd.key];
  for (const PoolOp& op : ops) {
    if (op.client == client && op.seq == seq) {
      r.result = PoolResult::kAlreadyHeld;
      break;
    }
  }
  // Scan every pending op of other requests: a strong write followed by a
  // weak write on the key must still conflict with a later strong op.
  for (const PoolOp& op : ops) {
    if (op.client == client && op.seq == seq) continue;
    if (op.strong && conflicts(op.cmd, cmd)) {
      r.result = PoolResult::kConflict;
      return r;
    }
  }
  if (!cmd.is_write()) std::tie(r.read_dep_client, r.read_dep_seq) = read_dep(cmd.key);
  if (r.result == PoolResult::kAlreadyHeld) return r;
  ops.push_back(PoolOp{client, seq, true, Command{cmd.kind, cmd.key, {}}, SeqNo{0}, SeqNo{0}, false,
                       true, now_us});
  ++size_;
  return r;
}

bool WitnessPool::record_weak(ClientId client, SeqNo seq, Key key, const Value& value,
                              SeqNo causal_dep, SeqNo acked_below, TimeUs now_us) {
  if (PoolOp* op = find(client, seq, key)) {
    if (op->strong || op->received) return false;
    // The placeholder of an appended entry: keep `ordered`, learn the rest.
    op->cmd.value = value;
    op->causal_dep = causal_dep;
    op->acked_below = acked_below;
    op->received = true;
    return true;
  }
  // The same (client, seq) on another key: a malformed client; keep the first.
  if (weak_by_client_[client].contains(seq)) return false;
  by_key_[key].push_back(PoolOp{client, seq, false, Command{OpKind::kPut, key, value}, causal_dep,
                                acked_below, false, true, now_us});
  weak_by_client_[client][seq] = key;
  ++size_;
  ++weak_size_;
  return true;
}

void WitnessPool::mark_ordered(ClientId client, SeqNo seq, Key key, TimeUs now_us) {
  if (PoolOp* op = find(client, seq, key)) {
    if (!op->strong) op->ordered = true;
    return;
  }
  if (weak_by_client_[client].contains(seq)) return;  // held on another key: malformed
  by_key_[key].push_back(PoolOp{client, seq, false, Command{OpKind::kPut, key, {}}, SeqNo{0},
                                SeqNo{0}, true, false, now_us});
  weak_by_client_[client][seq] = key;
  ++size_;
  ++weak_size_;
}

std::vector<SeqNo> WitnessPool::unordered_weak(ClientId client, SeqNo below,
                                               const std::function<bool(SeqNo)>& executed,
                                               size_t max) const {
  std::vector<SeqNo> out;
  auto c = weak_by_client_.find(client);
  if (c == weak_by_client_.end()) return out;
  for (auto it = c->second.begin(); it != c->second.end() && it->first < below; ++it) {
    if (out.size() >= max) break;
    auto k = by_key_.find(it->second);
    HD_CHECK(k != by_key_.end());
    for (const PoolOp& op : k->second) {
      if (op.client != client || op.seq != it->first || op.strong) continue;
      if (!op.ordered && !executed(op.seq)) out.push_back(op.seq);
      break;
    }
  }
  return out;
}

void WitnessPool::erase_weak_index(const PoolOp& op) {
  HD_CHECK(!op.strong);
  auto c = weak_by_client_.find(op.client);
  HD_CHECK(c != weak_by_client_.end());
  const size_t erased = c->second.erase(op.seq);
  HD_CHECK(erased == 1);
  if (c->second.empty()) weak_by_client_.erase(c);
  HD_CHECK(weak_size_ > 0);
  --weak_size_;
}

bool WitnessPool::remove(ClientId client, SeqNo seq, Key key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return false;
  std::vector<PoolOp>& ops = it->second;
  for (auto op = ops.begin(); op != ops.end(); ++op) {
    if (op->client != client || op->seq != seq) continue;
    if (!op->strong) erase_weak_index(*op);
    ops.erase(op);
    if (ops.empty()) by_key_.erase(it);
    HD_CHECK(size_ > 0);
    --size_;
    return true;
  }
  return false;
}

uint64_t WitnessPool::collect_older_than(TimeUs now_us, TimeUs max_age_us) {
  if (now_us < max_age_us) return 0;
  const TimeUs cutoff = now_us - max_age_us;
  uint64_t dropped = 0;
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    std::vector<PoolOp>& ops = it->second;
    // Stable: arrival order decides which weak PUT is a Get's read_dep.
    const auto keep = std::stable_partition(
        ops.begin(), ops.end(), [&](const PoolOp& op) { return op.recorded_us > cutoff; });
    for (auto op = keep; op != ops.end(); ++op) {
      if (!op->strong) erase_weak_index(*op);
    }
    dropped += static_cast<uint64_t>(std::distance(keep, ops.end()));
    ops.erase(keep, ops.end());
    it = ops.empty() ? by_key_.erase(it) : std::next(it);
  }
  HD_CHECK(size_ >= dropped);
  size_ -= dropped;
  return dropped;
}

void WitnessPool::drop_strong() {
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    const size_t before = it->second.size();
    std::erase_if(it->second, [](const PoolOp& op) { return op.strong; });
    size_ -= before - it->second.size();
    it = it->second.empty() ? by_key_.erase(it) : std::next(it);
  }
  HD_CHECK(size_ == weak_size_);
}

std::vector<PoolOp> WitnessPool::received_weak() const {
  std::vector<PoolOp> out;
  for (const auto& [client, seqs] : weak_by_client_) {
    for (const auto& [seq, key] : seqs) {
      auto k = by_key_.find(key);
      HD_CHECK(k != by_key_.end());
      for (const PoolOp& op : k->second) {
        if (op.client == client && op.seq == seq && !op.strong && op.received) out.push_back(op);
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const PoolOp& a, const PoolOp& b) {
    return a.client != b.client ? a.client < b.client : a.seq < b.seq;
  });
  return out;
}

}  // namespace hd::core
