// AsyncClient and BlockingClient. The state lives in a shared Impl so that
// completion handlers still queued when the client is destroyed find a closed
// Impl instead of freed memory.
#include "replica/client/async_client.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <future>
#include <unordered_map>
#include <utility>

#include "replica/core/routing.h"
#include "replica/io/framed_connection.h"
#include "replica/io/replica_server.h"

namespace hd::client {

SessionConfig session_config_from(const config::ClusterConfig& config, ClientId id,
                                  uint32_t nearest) {
  SessionConfig sc;
  sc.id = id;
  sc.replica_count = static_cast<uint32_t>(config.replicas.size());
  sc.leader = core::ReplicaId{0};
  sc.nearest = core::ReplicaId{nearest};
  sc.op_timeout_us = TimeUs{config.reply_timeout_ms} * 1000;
  sc.protocol = io::protocol_of(config);
  sc.bound = core::ReplicaId{nearest};
  return sc;
}

// One session hosted by the client, with the callbacks of its ops in flight.
struct SessionSlot {
  explicit SessionSlot(const SessionConfig& config) : core(config) {}
  SessionCore core;
  std::unordered_map<uint64_t, AsyncClient::Callback> callbacks;  // by SeqNo
  AsyncClient::SettledCallback on_settled;                        // CURP-HO
};

struct AsyncClient::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_context, AsyncClientOptions opts)
      : io(io_context), options(std::move(opts)), tick_timer(io), delay_timer(io) {
    add_session(options.session);
  }

  uint32_t add_session(const SessionConfig& config) {
    HD_CHECK(!running);
    HD_CHECK(config.replica_count == options.session.replica_count);
    const auto index = static_cast<uint32_t>(sessions.size());
    HD_CHECK(by_id.emplace(config.id.value(), index).second);  // ids are unique
    sessions.push_back(std::make_unique<SessionSlot>(config));
    return index;
  }

  void on_frame(io::FramedConnection& conn, wire::Frame&& frame) {
    auto* msg = std::get_if<core::Message>(&frame);
    if (msg == nullptr) {
      conn.close(io::CloseKind::kBadInput, "replica sent a Hello to a client");
      return;
    }
    // Only replies to sessions come this way (core/routing.h).
    if (core::route_of(*msg) != core::Route::kReplicaToClient) {
      conn.close(io::CloseKind::kBadInput,
                 std::string("replica sent a ") +
                     wire::frame_type_name(static_cast<uint8_t>(wire::frame_type(*msg))) +
                     " frame to a client");
      return;
    }
    if (options.network_delay_ms == 0) {
      inbox.push_back(std::move(*msg));
      return;
    }
    // The seed's networkDelay: hold each received message for the one-way
    // delay, like the replica does for what it receives.
    const TimeUs due = io::steady_now_us() + TimeUs{options.network_delay_ms} * 1000;
    delayed.emplace_back(due, std::move(*msg));
    if (delayed.size() == 1) arm_delay_timer();
  }

  void arm_delay_timer() {
    if (delayed.empty() || !running) return;
    const TimeUs now = io::steady_now_us();
    const TimeUs due = delayed.front().first;
    delay_timer.expires_after(std::chrono::microseconds(due > now ? due - now : 0));
    delay_timer.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (ec || !self->running) return;
      // The delay is constant, so arrival order is due order: move the prefix.
      const TimeUs t = io::steady_now_us();
      while (!self->delayed.empty() && self->delayed.front().first <= t) {
        self->inbox.push_back(std::move(self->delayed.front().second));
        self->delayed.pop_front();
      }
      self->process();
      self->arm_delay_timer();
    });
  }

  // Steps are deferred to one posted process() per loop turn, so every reply
  // that arrived in the same turn is seen together (see deliver_inbox()), and
  // every op submitted in the turn leaves in one write per replica.
  void schedule_process() {
    if (process_posted || !running) return;
    process_posted = true;
    asio::post(io, [self = shared_from_this()] {
      self->process_posted = false;
      self->process();
    });
  }

  // Steps the sessions with everything received since the last call, the
  // leader's and the witnesses' replies first (RouteOf::kStepFirst:
  // ProposeReply, RecordAck). Without this, which path a strong op took
  // would depend on the order epoll reports our connections when the leader's
  // StrongCommit and the last witness reply are both already waiting: the op
  // had its fast-path quorum, so it counts as fast. (Per-connection order, which
  // the protocol relies on, is unchanged: only replies move ahead.)
  void deliver_inbox() {
    if (inbox.empty()) return;
    // Swapped with a member that keeps its capacity: no allocation per turn.
    std::vector<core::Message>& msgs = stepping;
    msgs.clear();
    msgs.swap(inbox);
    // Replies first, then the rest, each in arrival order (a stable
    // partition, without the temporary buffer std::stable_partition
    // allocates).
    const TimeUs now = io::steady_now_us();
    for (const bool replies : {true, false}) {
      for (const auto& m : msgs) {
        if (core::step_first(m) != replies) continue;
        auto it = by_id.find(core::session_of(m)->value());
        if (it == by_id.end()) continue;  // not one of ours: ignore
        sessions[it->second]->core.step(now, m);
      }
    }
    msgs.clear();
  }

  // Hands completions to their callbacks, then sends what the sessions want
  // sent: one write per connection, like the replica's flush.
  void process() {
    if (!running) return;
    deliver_inbox();
    for (auto& slot : sessions) {
      done.clear();
      slot->core.take_completions(&done);
      for (auto& c : done) {
        auto it = slot->callbacks.find(c.seq.value());
        if (it == slot->callbacks.end()) continue;
        // Erase before calling: the callback may submit more ops.
        Callback cb = std::move(it->second);
        slot->callbacks.erase(it);
        if (cb) cb(c);
        if (!running) return;
      }
      // After the completions: a write's Completion comes before its settle.
      if (slot->core.config().protocol == core::Protocol::kCurpHo) {
        for (const Settled& s : slot->core.take_settled()) {
          if (slot->on_settled) slot->on_settled(s);
          if (!running) return;
        }
      }
    }
    touched.clear();
    for (auto& slot : sessions) {
      sending.clear();
      slot->core.take_outgoing(&sending);
      for (auto& out : sending) {
        if (out.to.kind != core::Destination::Kind::kReplica || out.to.id >= links.size()) continue;
        io::FramedConnection* conn = links[out.to.id]->connection();
        if (conn == nullptr) continue;  // not connected: the session retries the op
        conn->enqueue(out.msg);
        if (std::find(touched.begin(), touched.end(), conn) == touched.end())
          touched.push_back(conn);
      }
    }
    for (auto* conn : touched) conn->flush();
  }

  void arm_tick() {
    if (!running) return;
    tick_timer.expires_after(std::chrono::milliseconds(options.tick_interval_ms));
    tick_timer.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (ec || !self->running) return;
      const TimeUs now = io::steady_now_us();
      for (auto& slot : self->sessions) slot->core.tick(now);
      self->process();
      self->arm_tick();
    });
  }

  void close() {
    if (!running) return;
    running = false;
    tick_timer.cancel();  // timers have no error_code overload without deprecated Asio
    delay_timer.cancel();
    delayed.clear();
    for (auto& l : links) l->stop();
    for (auto& slot : sessions) slot->callbacks.clear();
  }

  asio::io_context& io;
  AsyncClientOptions options;
  std::vector<std::unique_ptr<SessionSlot>> sessions;
  std::unordered_map<uint64_t, uint32_t> by_id;  // ClientId -> index in sessions
  asio::steady_timer tick_timer;
  std::vector<std::shared_ptr<io::OutboundLink>> links;
  std::vector<core::Message> inbox;  // received, not yet stepped
  // Per-turn buffers of process(), kept (cleared, with their capacity)
  // between turns; process() is never re-entered (submit() only posts it).
  std::vector<core::Message> stepping;
  std::vector<Completion> done;
  std::vector<core::Outgoing> sending;
  std::vector<io::FramedConnection*> touched;
  asio::steady_timer delay_timer;
  std::deque<std::pair<TimeUs, core::Message>> delayed;  // held for network_delay_ms
  bool running = false;
  bool process_posted = false;
};

AsyncClient::AsyncClient(asio::io_context& io, AsyncClientOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

AsyncClient::~AsyncClient() {
  impl_->close();
}

Status AsyncClient::start(const config::ClusterConfig& config) {
  HD_CHECK(!impl_->running);
  HD_CHECK(impl_->links.empty());
  if (config.replicas.size() != impl_->options.session.replica_count) {
    return Status::error("session expects " + std::to_string(impl_->options.session.replica_count) +
                         " replicas, config has " + std::to_string(config.replicas.size()));
  }
  std::vector<asio::ip::tcp::endpoint> endpoints;
  for (const auto& r : config.replicas) {
    auto ep = io::resolve_endpoint(impl_->io, r.host, r.port);
    if (!ep.is_ok()) return ep.status();
    endpoints.push_back(*ep);
  }
  impl_->running = true;
  std::weak_ptr<Impl> weak = impl_;
  // One connection per replica carries every session: one Hello each.
  std::vector<wire::Hello> hellos;
  for (const auto& slot : impl_->sessions) {
    hellos.push_back(wire::Hello{wire::Hello::Role::kClient, slot->core.config().id.value()});
  }
  for (size_t i = 0; i < endpoints.size(); ++i) {
    io::FramedConnection::Handlers h;
    h.on_frame = [weak](io::FramedConnection& c, wire::Frame&& f) {
      if (auto impl = weak.lock(); impl && impl->running) impl->on_frame(c, std::move(f));
    };
    h.on_read_done = [weak](io::FramedConnection&) {
      if (auto impl = weak.lock()) impl->schedule_process();
    };
    h.on_close = [weak, i](io::FramedConnection& c, io::CloseKind kind, const std::string& why) {
      auto impl = weak.lock();
      if (!impl || !impl->running) return;
      impl->options.log.info("connection to replica%zu (%s) closed (%s): %s", i, c.peer().c_str(),
                             io::close_kind_name(kind), why.c_str());
    };
    auto link = std::make_shared<io::OutboundLink>(impl_->io, endpoints[i], hellos, std::move(h),
                                                   &impl_->options.log, config.replicas[i].alias);
    impl_->links.push_back(link);
    link->start();
  }
  impl_->arm_tick();
  return Status::ok();
}

void AsyncClient::close() {
  impl_->close();
}

uint32_t AsyncClient::add_session(const SessionConfig& config) {
  return impl_->add_session(config);
}

uint32_t AsyncClient::session_count() const {
  return static_cast<uint32_t>(impl_->sessions.size());
}

SeqNo AsyncClient::submit(OpClass op, Key key, Value value, Callback done) {
  return submit(0, op, key, std::move(value), std::move(done));
}

SeqNo AsyncClient::submit(uint32_t session, OpClass op, Key key, Value value, Callback done) {
  HD_CHECK(impl_->running);
  HD_CHECK(session < impl_->sessions.size());
  SessionSlot& slot = *impl_->sessions[session];
  const SeqNo seq = slot.core.submit(io::steady_now_us(), op, key, std::move(value));
  slot.callbacks[seq.value()] = std::move(done);
  // Deferred to the end of this loop turn: every op submitted meanwhile (e.g.
  // by completion callbacks refilling a pipeline) goes out in the same write.
  impl_->schedule_process();
  return seq;
}

void AsyncClient::on_settled(uint32_t session, SettledCallback on_settled) {
  HD_CHECK(session < impl_->sessions.size());
  impl_->sessions[session]->on_settled = std::move(on_settled);
}

uint32_t AsyncClient::connected_count() const {
  uint32_t n = 0;
  for (const auto& l : impl_->links) n += l->connection() != nullptr ? 1 : 0;
  return n;
}

SessionGauges AsyncClient::gauges(uint32_t session) const {
  HD_CHECK(session < impl_->sessions.size());
  return impl_->sessions[session]->core.gauges();
}

const SessionConfig& AsyncClient::session_config() const {
  return impl_->options.session;
}

// ---- BlockingClient ---------------------------------------------------------

BlockingClient::BlockingClient(const config::ClusterConfig& config, ClientId id, uint32_t nearest,
                               io::LogLevel log_level)
    : io_(1), work_(asio::make_work_guard(io_)) {
  AsyncClientOptions options;
  options.session = session_config_from(config, id, nearest);
  options.log = io::Logger("client" + std::to_string(id.value()), log_level);
  client_ = std::make_unique<AsyncClient>(io_, std::move(options));
  // Started before the thread exists, so no other thread touches it meanwhile.
  start_status_ = client_->start(config);
  thread_ = std::thread([this] {
    // run() has no error_code overload in non-deprecated Asio; it throws only
    // what a handler throws, and none of ours do.
    try {
      io_.run();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "BlockingClient: io thread: %s\n", e.what());
    }
  });
}

BlockingClient::~BlockingClient() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
  client_.reset();  // io stopped: safe off the io thread
}

bool BlockingClient::wait_connected(uint32_t count, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    // Shared: if we time out, the posted handler may still run after we return.
    auto p = std::make_shared<std::promise<uint32_t>>();
    auto f = p->get_future();
    asio::post(io_, [this, p] { p->set_value(client_->connected_count()); });
    if (f.wait_until(deadline) != std::future_status::ready) return false;
    if (f.get() >= count) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<Completion> BlockingClient::run(OpClass op, Key key, Value value,
                                       std::chrono::milliseconds timeout) {
  if (!start_status_.is_ok()) return start_status_;
  auto p = std::make_shared<std::promise<Completion>>();
  auto f = p->get_future();
  asio::post(io_, [this, p, op, key, v = std::move(value)]() mutable {
    client_->submit(op, key, std::move(v), [p](const Completion& c) { p->set_value(c); });
  });
  if (f.wait_for(timeout) != std::future_status::ready) {
    return Status::error("no completion within " + std::to_string(timeout.count()) + " ms");
  }
  return f.get();
}

}  // namespace hd::client
