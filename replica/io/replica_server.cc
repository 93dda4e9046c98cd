// ReplicaServer implementation. Design notes are in docs/transport.md.
#include "replica/io/replica_server.h"

#include <chrono>
#include <csignal>
#include <type_traits>
#include <utility>

#include "memprof/probe.h"
#include "replica/core/routing.h"

namespace hd::io {

namespace {

// A client session's request (its session id), per core/routing.h.
std::optional<uint64_t> client_request_id(const core::Message& msg) {
  if (core::route_of(msg) != core::Route::kClientToReplica) return std::nullopt;
  return core::session_of(msg)->value();
}

bool is_replica_message(const core::Message& msg) {
  return core::route_of(msg) == core::Route::kReplicaToReplica;
}

const char* message_name(const core::Message& msg) {
  return wire::frame_type_name(static_cast<uint8_t>(wire::frame_type(msg)));
}

}  // namespace

core::TimeUs steady_now_us() {
  return static_cast<core::TimeUs>(std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::steady_clock::now().time_since_epoch())
                                       .count());
}

core::Protocol protocol_of(const config::ClusterConfig& config) {
  return config.protocol == "curpho" ? core::Protocol::kCurpHo : core::Protocol::kCurpHt;
}

core::CoreConfig make_core_config(const config::ClusterConfig& config, uint32_t self_index,
                                  const core::PlantSpec& plants, bool rejoin) {
  core::CoreConfig cc;
  cc.protocol = protocol_of(config);
  cc.self = core::ReplicaId{self_index};
  cc.replica_count = static_cast<uint32_t>(config.replicas.size());
  cc.leader = core::ReplicaId{0};  // of the boot term; elections follow
  cc.rejoin = rejoin;
  cc.heartbeat_interval_us = core::TimeUs{config.heartbeat_ms} * 1000;
  cc.follower_dead_after_us = core::TimeUs{config.follower_dead_after_ms} * 1000;
  cc.max_retained_entries = config.max_retained_entries;
  cc.plants = plants;
  cc.record_executed = plants.keep_all;
  return cc;
}

ReplicaServer::ReplicaServer(asio::io_context& io, const config::ClusterConfig& config,
                             ServerOptions options, Logger log)
    : io_(io),
      config_(config),
      options_(options),
      log_(std::move(log)),
      core_(make_core_config(config, options.self_index, options.plants, options.rejoin)),
      memory_plant_(options.plants),
      decay_plant_(options.self_index == 0 ? options.plants.decay_ops_per_element : 0),
      keep_all_(options.plants.keep_all),
      acceptor_(io),
      tick_timer_(io),
      delay_timer_(io),
      signals_(io) {
  HD_CHECK(options_.self_index < config_.replicas.size());
}

ReplicaServer::~ReplicaServer() = default;

Status ReplicaServer::start() {
  HD_CHECK(!running_);
  const auto& self = config_.replicas[options_.self_index];
  auto ep = resolve_endpoint(io_, self.host, self.port);
  if (!ep.is_ok()) return ep.status();
  const std::string where = self.host + ":" + std::to_string(self.port);
  asio::error_code ec;
  // Handlers before the port opens: a launcher that sees the port accept a
  // connection may send SIGTERM at once, and a SIGTERM before signals_.add
  // took its default action (exit 143 instead of a clean stop; seen under
  // ASan on a busy machine). asio's signal_set queues a signal that arrives
  // before async_wait.
  if (options_.handle_signals) {
    signals_.add(SIGINT, ec);
    if (!ec) signals_.add(SIGTERM, ec);
    if (ec) return Status::error("cannot handle SIGINT/SIGTERM: " + ec.message());
    signals_.async_wait([this](const asio::error_code& sig_ec, int signo) {
      if (sig_ec) return;
      log_.info("signal %d: shutting down", signo);
      stop();
    });
  }
  acceptor_.open(ep->protocol(), ec);
  if (!ec) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(*ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    asio::error_code ignored;
    acceptor_.close(ignored);
    return Status::error("cannot listen on " + where + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  running_ = true;

  peers_.resize(config_.replicas.size());
  for (uint32_t j = 0; j < config_.replicas.size(); ++j) {
    if (j == options_.self_index) continue;
    const auto& peer = config_.replicas[j];
    auto peer_ep = resolve_endpoint(io_, peer.host, peer.port);
    if (!peer_ep.is_ok()) {
      stop();
      return peer_ep.status();
    }
    FramedConnection::Handlers h;
    h.on_frame = [this](FramedConnection& c, wire::Frame&& f) {
      on_outbound_frame(c, std::move(f));
    };
    h.on_read_done = [this](FramedConnection&) { schedule_flush(); };
    h.on_close = [this, j](FramedConnection& c, CloseKind kind, const std::string& why) {
      if (running_) {
        log_.info("connection to %s (%s) closed (%s): %s", config_.replicas[j].alias.c_str(),
                  c.peer().c_str(), close_kind_name(kind), why.c_str());
      }
    };
    wire::Hello hello{wire::Hello::Role::kReplica, options_.self_index};
    peers_[j] = std::make_shared<OutboundLink>(io_, *peer_ep, hello, std::move(h), &log_,
                                               peer.alias, options_.backoff);
    peers_[j]->start();
  }

  memprof_register();
  arm_tick();
  accept_next();
  log_.info("listening on %s:%u (replica %u of %zu, %s, %s, tick %u ms, delay %u ms%s)",
            self.host.c_str(), port_, options_.self_index, config_.replicas.size(),
            config_.protocol.c_str(),
            options_.rejoin ? "rejoining after a restart" : "boot leader replica0",
            options_.tick_interval_ms, options_.network_delay_ms,
            options_.plants.any() ? (", plant " + core::plant_name(options_.plants)).c_str() : "");
  return Status::ok();
}

void ReplicaServer::stop() {
  if (!running_) return;
  running_ = false;
  asio::error_code ignored;
  acceptor_.close(ignored);
  // Timers have no error_code overload of cancel() without deprecated Asio.
  tick_timer_.cancel();
  delay_timer_.cancel();
  signals_.cancel(ignored);
  for (auto& p : peers_) {
    if (p) p->stop();
  }
  auto inbound = std::move(inbound_);
  inbound_.clear();
  for (auto& c : inbound) c->close(CloseKind::kLocal, "shutdown");
  clients_.clear();
  delayed_.clear();
  log_counters("final");
}

void ReplicaServer::log_counters(const char* when) const {
  const auto g = core_.gauges();
  const auto& k = core_.counters();
  log_.info(
      "%s counters: accepted=%lu bad_input=%lu msgs_in=%lu msgs_out=%lu dropped=%lu "
      "flushes=%lu writes=%lu ticks=%lu | last=%lu commit=%lu applied=%lu log=%lu keys=%lu | "
      "strong=%lu witness_ok=%lu witness_conflict=%lu weak_w=%lu weak_r=%lu dup=%lu",
      when, counters_.accepted, counters_.closed_bad_input, counters_.messages_in,
      counters_.messages_out, counters_.messages_dropped, counters_.flushes, counters_.writes,
      counters_.ticks, g.last_index.value(), g.commit_index.value(), g.applied_index.value(),
      g.log_entries_retained, g.kv_keys, k.strong_proposals, k.witness_accepts, k.witness_conflicts,
      k.weak_writes, k.weak_reads, k.duplicates_ignored);
}

void ReplicaServer::accept_next() {
  if (!running_) return;
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (!running_) return;
    if (ec) {
      // Transient (EMFILE, ECONNABORTED...): keep accepting; aborted: shutting down.
      if (ec != asio::error::operation_aborted) {
        log_.warn("accept failed: %s", ec.message().c_str());
        accept_next();
      }
      return;
    }
    ++counters_.accepted;
    FramedConnection::Handlers h;
    h.on_frame = [this](FramedConnection& c, wire::Frame&& f) {
      on_inbound_frame(c, std::move(f));
    };
    h.on_read_done = [this](FramedConnection&) { schedule_flush(); };
    h.on_close = [this](FramedConnection& c, CloseKind kind, const std::string& why) {
      on_inbound_close(c, kind, why);
    };
    auto conn =
        std::make_shared<FramedConnection>(std::move(socket), std::move(h), options_.limits);
    inbound_.insert(conn);
    conn->start();
    accept_next();
  });
}

void ReplicaServer::on_inbound_frame(FramedConnection& conn, wire::Frame&& frame) {
  if (auto* hello = std::get_if<wire::Hello>(&frame)) {
    if (hello->role == wire::Hello::Role::kReplica) {
      if (conn.hello().has_value()) {
        conn.close(CloseKind::kBadInput, "second Hello on a connection");
        return;
      }
      if (hello->id >= config_.replicas.size() || hello->id == options_.self_index) {
        conn.close(CloseKind::kBadInput, "Hello from replica id " + std::to_string(hello->id) +
                                             ", not a peer of this replica");
        return;
      }
      conn.set_hello(*hello);
      log_.info("replica%lu connected from %s", hello->id, conn.peer().c_str());
      return;
    }
    // A client connection may announce several sessions, one Hello each.
    if (conn.hello().has_value() && conn.hello()->role != wire::Hello::Role::kClient) {
      conn.close(CloseKind::kBadInput, "client Hello on a replica connection");
      return;
    }
    if (!conn.hello().has_value()) conn.set_hello(*hello);
    auto& slot = clients_[hello->id];
    if (slot.lock().get() != &conn &&
        ++sessions_on_[&conn] > options_.limits.max_sessions_per_connection) {
      clients_.erase(hello->id);
      conn.close(CloseKind::kBadInput,
                 "more than " + std::to_string(options_.limits.max_sessions_per_connection) +
                     " client sessions on one connection");
      return;
    }
    if (auto old = slot.lock(); old && old.get() != &conn) {
      // The session reconnected (its old connection may not have noticed yet):
      // replies must follow the newest connection.
      log_.debug("client session %lu moved to %s", hello->id, conn.peer().c_str());
    }
    slot = conn.shared_from_this();
    log_.debug("client session %lu connected from %s", hello->id, conn.peer().c_str());
    return;
  }
  if (!conn.hello().has_value()) {
    conn.close(CloseKind::kBadInput, std::string("first frame is ") +
                                         message_name(std::get<core::Message>(frame)) +
                                         ", expected Hello");
    return;
  }
  auto& msg = std::get<core::Message>(frame);
  if (conn.hello()->role == wire::Hello::Role::kClient) {
    auto id = client_request_id(msg);
    if (!id) {
      conn.close(CloseKind::kBadInput,
                 std::string("client connection sent a ") + message_name(msg) + " frame");
      return;
    }
    auto it = clients_.find(*id);
    if (it == clients_.end() || it->second.lock().get() != &conn) {
      conn.close(CloseKind::kBadInput, "request for client session " + std::to_string(*id) +
                                           " not announced by a Hello on this connection");
      return;
    }
    if (auto window = core::outstanding_window(msg);
        window && *window > options_.limits.max_client_window) {
      conn.close(CloseKind::kBadInput,
                 "client session " + std::to_string(*id) + " has " + std::to_string(*window) +
                     " requests outstanding (seq - acked_below), over the limit of " +
                     std::to_string(options_.limits.max_client_window));
      return;
    }
  } else if (!is_replica_message(msg)) {
    conn.close(CloseKind::kBadInput,
               std::string("replica connection sent a ") + message_name(msg) + " frame");
    return;
  }
  deliver(std::move(msg));
}

void ReplicaServer::on_outbound_frame(FramedConnection& conn, wire::Frame&& frame) {
  // We only send on links we dial; peers answer on their own links to us.
  // Still, accept replica messages here rather than lose them.
  if (auto* msg = std::get_if<core::Message>(&frame); msg && is_replica_message(*msg)) {
    deliver(std::move(*msg));
    return;
  }
  conn.close(CloseKind::kBadInput, "unexpected frame on an outbound replica link");
}

void ReplicaServer::on_inbound_close(FramedConnection& conn, CloseKind kind,
                                     const std::string& reason) {
  if (!running_) return;
  if (kind == CloseKind::kBadInput) {
    ++counters_.closed_bad_input;
    log_.warn("closing connection from %s: bad input: %s", conn.peer().c_str(), reason.c_str());
  } else if (conn.hello().has_value() && conn.hello()->role == wire::Hello::Role::kReplica) {
    log_.info("replica%lu connection from %s closed (%s): %s", conn.hello()->id,
              conn.peer().c_str(), close_kind_name(kind), reason.c_str());
  } else {
    log_.debug("connection from %s closed (%s): %s", conn.peer().c_str(), close_kind_name(kind),
               reason.c_str());
  }
  for (auto it = clients_.begin(); it != clients_.end();) {
    auto p = it->second.lock();
    if (!p || p.get() == &conn) {
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
  sessions_on_.erase(&conn);
  // Erase last: this may drop the final reference while conn is still in use by
  // its caller, which holds its own shared_ptr (every handler does).
  auto self = conn.shared_from_this();
  inbound_.erase(self);
}

void ReplicaServer::deliver(core::Message&& msg) {
  if (!running_) return;
  if (options_.network_delay_ms == 0) {
    step(msg);
    return;
  }
  const core::TimeUs due = steady_now_us() + core::TimeUs{options_.network_delay_ms} * 1000;
  const bool was_empty = delayed_.empty();
  delayed_.emplace_back(due, std::move(msg));
  if (was_empty) arm_delay_timer();
}

void ReplicaServer::arm_delay_timer() {
  if (delayed_.empty() || !running_) return;
  const core::TimeUs now = steady_now_us();
  const core::TimeUs due = delayed_.front().first;
  delay_timer_.expires_after(std::chrono::microseconds(due > now ? due - now : 0));
  delay_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || !running_) return;
    const core::TimeUs t = steady_now_us();
    // The delay is constant, so arrival order is due order: pop the prefix.
    while (!delayed_.empty() && delayed_.front().first <= t) {
      step(delayed_.front().second);
      delayed_.pop_front();
    }
    schedule_flush();
    arm_delay_timer();
  });
}

void ReplicaServer::step(const core::Message& msg) {
  ++counters_.messages_in;
  core_.step(steady_now_us(), msg);
  if (keep_all_.active()) keep_all_.on_message(msg);
  // Plants here, memprof's count at the flush that follows: a milestone heap
  // profile then holds every planted byte of the ops it counts.
  if (memory_plant_.active()) memory_plant_.on_ops(core::client_ops(core_.counters()));
  if (decay_plant_.active()) decay_plant_.on_ops(core::client_ops(core_.counters()));
}

void ReplicaServer::schedule_flush() {
  if (flush_posted_ || !running_) return;
  flush_posted_ = true;
  // Posted, not run inline: reads that completed in the same loop turn are
  // already queued ahead of this handler, so their output shares one flush.
  asio::post(io_, [this] {
    flush_posted_ = false;
    flush();
  });
}

void ReplicaServer::flush() {
  // memprof's op count once per loop turn's batch of steps (every read batch
  // and every tick ends here), not per message: the count's atomic add and
  // milestone check were ~1 % of a busy replica's CPU when done per step.
  // A milestone then falls at most one batch late, as docs/run-folder.md allows.
  if (options_.probe != nullptr) memprof_count_ops();
  if (!running_ || !core_.has_ready()) return;
  ++counters_.flushes;
  touched_.clear();
  auto& ready = core_.ready();
  for (const auto& out : ready.messages) {
    FramedConnection* conn = nullptr;
    if (out.to.kind == core::Destination::Kind::kReplica) {
      if (out.to.id < peers_.size() && peers_[out.to.id]) conn = peers_[out.to.id]->connection();
    } else if (auto it = clients_.find(out.to.id); it != clients_.end()) {
      if (auto p = it->second.lock(); p && p->is_open()) conn = p.get();
    }
    if (conn == nullptr) {
      // Unconnected or unknown destination: the protocol retransmits.
      ++counters_.messages_dropped;
      continue;
    }
    conn->enqueue(out.msg);
    ++counters_.messages_out;
    bool seen = false;
    for (auto* t : touched_) seen = seen || t == conn;
    if (!seen) touched_.push_back(conn);
  }
  for (const core::ExecutedSlot& e : ready.executed) keep_all_.on_executed(e);
  core_.advance();
  for (auto* conn : touched_) {
    const uint64_t before = conn->writes_issued();
    conn->flush();
    counters_.writes += conn->writes_issued() - before;
  }
  touched_.clear();
}

void ReplicaServer::log_leader_change() {
  const uint64_t term = core_.term().value();
  const std::optional<core::ReplicaId> leader = core_.leader();
  if (leader_logged_ && term == logged_term_ && leader == logged_leader_) return;
  leader_logged_ = true;
  logged_term_ = term;
  logged_leader_ = leader;
  if (!leader) {
    log_.info("term %lu: no leader known", static_cast<unsigned long>(term));
  } else {
    log_.info("term %lu: leader %s%s", static_cast<unsigned long>(term),
              config_.replicas[leader->value()].alias.c_str(),
              core_.is_leader() ? " (this replica)" : "");
  }
}

void ReplicaServer::arm_tick() {
  if (!running_) return;
  tick_timer_.expires_after(std::chrono::milliseconds(options_.tick_interval_ms));
  tick_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || !running_) return;
    ++counters_.ticks;
    core_.tick(steady_now_us());
    flush();
    log_leader_change();
    if (options_.probe != nullptr) memprof_publish();
    arm_tick();
  });
}

// ---- memprof hooks (docs/run-folder.md, "Gauges", lists them) ------------
// Gauge order is fixed here; memprof_publish() writes them in the same order.
constexpr const char* kMemprofGauges[] = {"log_entries_retained",
                                          "witness_entries",
                                          "pending_requests",
                                          "client_table_entries",
                                          "saved_replies",
                                          "kv_keys",
                                          "last_index",
                                          "commit_index",
                                          "applied_index",
                                          "delayed_messages",
                                          "inbound_connections",
                                          "client_sessions",
                                          "term",
                                          "leader",
                                          "gate_dropped",
                                          "sync_timer_fires",
                                          "sync_timer_answers",
                                          "keepall_entries"};

void ReplicaServer::memprof_register() {
  if (options_.probe == nullptr) return;
  memprof_slot0_ = options_.probe->gauges.register_gauge(kMemprofGauges[0]);
  for (size_t i = 1; i < std::size(kMemprofGauges); ++i) {
    HD_CHECK(options_.probe->gauges.register_gauge(kMemprofGauges[i]) == memprof_slot0_ + i);
  }
  // Per-type live counts follow the container gauges, in live_type_counts() order.
  const size_t live0 = memprof_slot0_ + std::size(kMemprofGauges);
  const auto live = core::live_type_counts();
  for (size_t i = 0; i < live.size(); ++i) {
    HD_CHECK(options_.probe->gauges.register_gauge(live[i].gauge) == live0 + i);
  }
}

// The `leader` gauge: the leader's index, or replica_count when none is
// known (the number this gauge has always published; analysis reads it).
uint64_t ReplicaServer::leader_gauge() const {
  const std::optional<core::ReplicaId> leader = core_.leader();
  return leader ? leader->value() : core_.config().replica_count;
}

void ReplicaServer::memprof_publish() {
  const core::CoreGauges g = core_.gauges();
  const uint64_t v[] = {g.log_entries_retained, g.witness_entries,      g.pending_requests,
                        g.client_table_entries, g.saved_replies,        g.kv_keys,
                        g.last_index.value(),   g.commit_index.value(), g.applied_index.value(),
                        delayed_.size(),        inbound_.size(),        clients_.size(),
                        core_.term().value(),   leader_gauge(),         g.gate_dropped,
                        g.sync_timer_fires,     g.sync_timer_answers,   keep_all_.entries()};
  static_assert(std::size(v) == std::size(kMemprofGauges));
  for (size_t i = 0; i < std::size(v); ++i) options_.probe->gauges.set(memprof_slot0_ + i, v[i]);
  const auto live = core::live_type_counts();
  for (size_t i = 0; i < live.size(); ++i) {
    options_.probe->gauges.set(memprof_slot0_ + std::size(v) + i, live[i].live);
  }
}

// Replica ops: core::client_ops(), the client requests this replica's core
// handled for the first time (the count the plants use too).
void ReplicaServer::memprof_count_ops() {
  const uint64_t ops = core::client_ops(core_.counters());
  if (ops > memprof_ops_seen_) {
    options_.probe->ops.add(ops - memprof_ops_seen_);
    memprof_ops_seen_ = ops;
  }
}

}  // namespace hd::io
