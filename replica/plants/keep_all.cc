// KeepAllPlant: the keepall plant's maps that never shrink.
#include "replica/plants/keep_all.h"

namespace hd::core {

void KeepAllPlant::on_message(const Message& msg) {
  if (!active_) return;
  if (const auto* w = std::get_if<CausalWrite>(&msg)) {
    keepall_keep_value(w->client, w->seq, w->value);
  } else if (const auto* ww = std::get_if<WeakWrite>(&msg)) {
    keepall_keep_value(ww->client, ww->seq, ww->value);
  } else if (const auto* p = std::get_if<HoPropose>(&msg)) {
    keepall_keep_proposal(p->client, p->seq, p->cmd);
  } else if (const auto* pp = std::get_if<Propose>(&msg)) {
    keepall_keep_proposal(pp->client, pp->seq, pp->cmd);
  }
}

void KeepAllPlant::on_executed(const ExecutedSlot& slot) {
  if (active_) keepall_keep_slot(slot);
}

// noinline: the map node and the value's copy are allocated in this frame
// (the standard library's frames above it are folded off the site).
__attribute__((noinline)) void KeepAllPlant::keepall_keep_value(ClientId client, SeqNo seq,
                                                                const Value& value) {
  values_.insert_or_assign(OpId{client.value(), seq.value()}, value);
}

__attribute__((noinline)) void KeepAllPlant::keepall_keep_proposal(ClientId client, SeqNo seq,
                                                                   const Command& cmd) {
  proposals_.insert_or_assign(OpId{client.value(), seq.value()}, cmd);
}

__attribute__((noinline)) void KeepAllPlant::keepall_keep_slot(const ExecutedSlot& slot) {
  slots_.push_back(slot);
}

}  // namespace hd::core
