// WitnessTable implementation. Not thread-safe (core-owned).
#include "replica/core/witness_table.h"

#include <iterator>

#include "base/check.h"

namespace hd::core {

WitnessResult WitnessTable::record(ClientId client, SeqNo seq, const Command& cmd, TimeUs now_us) {
  std::vector<Held>& held = by_key_[cmd.key];
  for (const Held& h : held) {
    if (h.client == client && h.seq == seq) return WitnessResult::kAlreadyHeld;
  }
  for (const Held& h : held) {
    if (conflicts(h.cmd, cmd)) return WitnessResult::kConflict;
  }
  held.push_back(Held{client, seq, Command{cmd.kind, cmd.key, {}}, now_us});
  ++size_;
  return WitnessResult::kRecorded;
}

bool WitnessTable::remove(ClientId client, SeqNo seq, Key key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return false;
  std::vector<Held>& held = it->second;
  for (size_t i = 0; i < held.size(); ++i) {
    if (held[i].client == client && held[i].seq == seq) {
      held[i] = std::move(held.back());
      held.pop_back();
      HD_CHECK(size_ > 0);
      --size_;
      if (held.empty()) by_key_.erase(it);
      return true;
    }
  }
  return false;
}

uint64_t WitnessTable::collect_older_than(TimeUs now_us, TimeUs max_age_us) {
  if (now_us < max_age_us) return 0;
  const TimeUs cutoff = now_us - max_age_us;
  uint64_t dropped = 0;
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    dropped += std::erase_if(it->second, [&](const Held& h) { return h.recorded_us <= cutoff; });
    it = it->second.empty() ? by_key_.erase(it) : std::next(it);
  }
  HD_CHECK(dropped <= size_);
  size_ -= dropped;
  return dropped;
}

}  // namespace hd::core
