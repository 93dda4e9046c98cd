// CausalGate implementation. Not thread-safe (core-owned).
#include "replica/core/causal_gate.h"

#include "base/check.h"

namespace hd::core {

bool CausalGate::park(ClientId client, SeqNo seq, GatedOp op) {
  HD_CHECK(op.dep != SeqNo{0});
  HD_CHECK(op.dep < seq);  // a dependency is an earlier op of the session
  auto [it, inserted] = by_client_[client].try_emplace(seq, std::move(op));
  if (!inserted) return false;
  ++size_;
  order_.emplace_back(client, seq);
  while (size_ > cap_) drop_oldest();
  if (order_.size() > 2 * size_ + 64) {
    std::erase_if(
        order_, [this](const std::pair<ClientId, SeqNo>& e) { return !holds(e.first, e.second); });
  }
  HD_CHECK(size_ <= cap_);
  return true;
}

void CausalGate::drop_oldest() {
  while (!order_.empty()) {
    const auto [client, seq] = order_.front();
    order_.pop_front();
    auto c = by_client_.find(client);
    if (c == by_client_.end() || c->second.erase(seq) == 0) continue;  // released earlier
    if (c->second.empty()) by_client_.erase(c);
    --size_;
    ++dropped_;
    return;
  }
  HD_CHECK(size_ == 0);
}

std::optional<GatedOp> CausalGate::take_ready(ClientId client,
                                              const std::function<bool(SeqNo)>& ready) {
  auto c = by_client_.find(client);
  if (c == by_client_.end()) return std::nullopt;
  for (auto it = c->second.begin(); it != c->second.end(); ++it) {
    if (!ready(it->second.dep)) continue;
    GatedOp op = std::move(it->second);
    c->second.erase(it);
    if (c->second.empty()) by_client_.erase(c);
    HD_CHECK(size_ > 0);
    --size_;
    return op;
  }
  return std::nullopt;
}

bool CausalGate::holds(ClientId client, SeqNo seq) const {
  auto c = by_client_.find(client);
  return c != by_client_.end() && c->second.contains(seq);
}

void CausalGate::clear() {
  by_client_.clear();
  order_.clear();
  size_ = 0;
}

}  // namespace hd::core
