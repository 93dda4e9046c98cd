// AsyncClient: CURP-HT or CURP-HO client sessions (SessionCore) on Asio — one TCP
// connection per replica (redialled with backoff), a tick timer for retries
// and timeouts, callbacks on completion. Runs on a caller-provided io_context
// so one loadgen thread can drive many sessions. BlockingClient wraps one
// AsyncClient with its own io thread for tests and tools.
// Thread-safety: AsyncClient is not thread-safe — call it only on the thread
// running its io_context (callbacks run there too). BlockingClient's methods
// may be called from any one thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "replica/client/session_core.h"
#include "replica/config/cluster_config.h"
#include "replica/io/asio.h"
#include "replica/io/log.h"

namespace hd::client {

struct AsyncClientOptions {
  SessionConfig session;  // id must be unique in the cluster; replica_count is filled in
  uint32_t tick_interval_ms = 5;
  uint32_t network_delay_ms = 0;  // one-way delay injected at receive (seed: networkDelay)
  io::Logger log{"client", io::LogLevel::kWarn};
};

// Session options from a cluster config: its protocol, leader replica0,
// `nearest` for weak reads and (CURP-HO) as the bound replica, per-op timeout
// from replyTimeout. A loadgen binds its sessions to the config's
// `-- Proxy --` entry instead when there is one (SessionConfig::bound).
SessionConfig session_config_from(const config::ClusterConfig& config, ClientId id,
                                  uint32_t nearest);

class AsyncClient {
 public:
  using Callback = std::function<void(const Completion&)>;
  // CURP-HO: a weak write of the session the leader settled (executed at a
  // slot), after the write's own Completion.
  using SettledCallback = std::function<void(const Settled&)>;

  AsyncClient(asio::io_context& io, AsyncClientOptions options);
  // Precondition: called on the io thread, or after that io_context stopped.
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  // Resolves the replicas' endpoints and starts dialling them and ticking.
  Status start(const config::ClusterConfig& config);
  // Closes every connection and stops the timer. Ops still in flight never
  // complete (their callbacks are dropped). Idempotent.
  void close();

  // Adds another session (its own ClientId, unique in the cluster) that
  // shares this client's connections; returns its index (the session of the
  // options is index 0). Sessions multiplexed on one connection per replica
  // let one write carry the ops of all of them. Only before start().
  uint32_t add_session(const SessionConfig& config);
  uint32_t session_count() const;

  // Starts an op on a session (strong: to all replicas; weak write: leader;
  // weak read: nearest) and calls `done` exactly once, on the io thread, with
  // its completion (Outcome::kTimeout after the session's op timeout). Ops to
  // replicas not connected yet are retried by the session. Ops submitted in
  // one loop turn leave together, at the end of the turn.
  SeqNo submit(OpClass op, Key key, Value value, Callback done);  // session 0
  SeqNo submit(uint32_t session, OpClass op, Key key, Value value, Callback done);

  // CURP-HO: calls `on_settled` on the io thread for every weak write of
  // `session` settled from now on (CURP-HT sessions settle nothing: their
  // weak writes are final when they complete). Replaces an earlier callback.
  void on_settled(uint32_t session, SettledCallback on_settled);

  // Replicas with a live connection right now.
  uint32_t connected_count() const;
  SessionGauges gauges(uint32_t session = 0) const;
  const SessionConfig& session_config() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Synchronous facade for tests: its own io_context on a background thread.
class BlockingClient {
 public:
  // Connects in the background; use wait_connected() to wait for it.
  BlockingClient(const config::ClusterConfig& config, ClientId id, uint32_t nearest = 0,
                 io::LogLevel log_level = io::LogLevel::kWarn);
  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  Status start_status() const { return start_status_; }
  // True once `count` replicas are connected, false after `timeout`.
  bool wait_connected(uint32_t count, std::chrono::milliseconds timeout);

  // Runs one op; an error if no completion arrived within `timeout` (the
  // completion itself may also report Outcome::kTimeout).
  Result<Completion> run(OpClass op, Key key, Value value, std::chrono::milliseconds timeout);
  Result<Completion> put_strong(Key key, Value value, std::chrono::milliseconds timeout) {
    return run(OpClass::kStrongWrite, key, std::move(value), timeout);
  }
  Result<Completion> get_strong(Key key, std::chrono::milliseconds timeout) {
    return run(OpClass::kStrongRead, key, {}, timeout);
  }
  Result<Completion> put_weak(Key key, Value value, std::chrono::milliseconds timeout) {
    return run(OpClass::kWeakWrite, key, std::move(value), timeout);
  }
  Result<Completion> get_weak(Key key, std::chrono::milliseconds timeout) {
    return run(OpClass::kWeakRead, key, {}, timeout);
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<AsyncClient> client_;
  Status start_status_;
  std::thread thread_;
};

}  // namespace hd::client
