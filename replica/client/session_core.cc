// SessionCore implementation, the part every protocol shares: submit, the
// reply dispatch, retries and timeouts, gauges. The per-protocol parts are in
// session_ht.cc and session_ho.cc; the state in session_core_impl.h. Pure and deterministic:
// time comes in as arguments, nothing is random. Not thread-safe.
#include "replica/client/session_core.h"

#include <type_traits>
#include <utility>
#include <variant>

#include "base/check.h"
#include "replica/client/session_core_impl.h"

namespace hd::client {

using session_detail::PendingOp;

SessionCore::SessionCore(const SessionConfig& config) : impl_(std::make_unique<Impl>()) {
  HD_CHECK(config.replica_count >= 1);
  HD_CHECK(config.replica_count <= 64);
  HD_CHECK(config.leader.value() < config.replica_count);
  HD_CHECK(config.nearest.value() < config.replica_count);
  HD_CHECK(config.bound.value() < config.replica_count);
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
  p.min_index_at_submit = s.min_index;
  auto [it, inserted] = s.pending.emplace(seq, std::move(p));
  HD_CHECK(inserted);
  if (s.ho() && op == OpClass::kWeakWrite) {
    // Before the send: a write depends on earlier writes, not on itself.
    s.weak_pending.emplace(seq, key);
    s.cache_put_unsettled(key, it->second.value, seq);
  }
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
          if constexpr (std::is_same_v<M, core::WeakWriteReply>) {
            if (impl_->ho()) return impl_->on_settle(now, m);
          } else if constexpr (std::is_same_v<M, core::WeakReadReply>) {
            if (impl_->ho()) return impl_->on_causal_read_reply(now, m);
          }
          impl_->on(now, m);
        } else if constexpr (std::is_same_v<M, core::CausalWriteAck> ||
                             std::is_same_v<M, core::RecordAck>) {
          // CURP-HO only; a CURP-HT session ignores them (wire.md).
          if (m.client != impl_->config.id || !impl_->ho()) return;
          impl_->on(now, m);
        }
      },
      msg);
}

void SessionCore::tick(TimeUs now) {
  Impl& s = *impl_;
  s.unsettled_over_timeout = 0;
  for (auto it = s.pending.begin(); it != s.pending.end();) {
    auto cur = it++;
    PendingOp& p = cur->second;
    const bool expired = now >= p.submitted_us + s.config.op_timeout_us;
    if (p.acked) {
      // Completed for the application already: retried until settled.
      s.unsettled_over_timeout += expired ? 1 : 0;
    } else if (expired) {
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

std::vector<Settled> SessionCore::take_settled() {
  std::vector<Settled> out;
  out.swap(impl_->settled);
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
  g.unsettled = impl_->unsettled;
  g.unsettled_over_timeout = impl_->unsettled_over_timeout;
  g.dep_check_failures = impl_->dep_check_failures;
  return g;
}

const SessionConfig& SessionCore::config() const {
  return impl_->config;
}

}  // namespace hd::client
