// ReplicaServer: the Asio transport hosting one ReplicaCore (docs/transport.md). It
// accepts replica and client connections, dials every other replica, feeds
// received messages (optionally after an injected delay) into the core, ticks
// it on a timer, and flushes core.ready() as one write per connection per
// flush. Not thread-safe: everything runs on the one thread running `io`,
// which is also what makes the (non-thread-safe) core safe to use.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "replica/config/cluster_config.h"
#include "replica/core/replica_core.h"
#include "replica/io/asio.h"
#include "replica/io/framed_connection.h"
#include "replica/io/log.h"
#include "replica/plants/keep_all.h"
#include "replica/plants/plants.h"

namespace hd::memprof {
struct Probe;  // memprof/probe.h (header-only): gauges + op counter
}  // namespace hd::memprof

namespace hd::io {

struct ServerOptions {
  uint32_t self_index = 0;        // index of this replica in config.replicas
  uint32_t tick_interval_ms = 5;  // core.tick() period
  uint32_t network_delay_ms = 0;  // hold received messages this long before step()
  // Restarted replica (it lost its state): CoreConfig::rejoin. A replica
  // process that was killed must be restarted with it (replica --rejoin).
  bool rejoin = false;
  core::PlantSpec plants;
  bool handle_signals = true;  // SIGINT/SIGTERM -> stop()
  ConnectionLimits limits;
  BackoffPolicy backoff;
  // memprof hook: if set, the io thread publishes the core's gauges every tick
  // and counts answered client requests as ops. Must outlive the server.
  memprof::Probe* probe = nullptr;
};

// Monotonic counters of the transport (logged at shutdown).
struct ServerCounters {
  uint64_t accepted = 0;          // inbound connections
  uint64_t closed_bad_input = 0;  // inbound connections closed for bad input
  uint64_t messages_in = 0;       // messages stepped into the core
  uint64_t messages_out = 0;      // messages handed to a connection
  uint64_t messages_dropped = 0;  // destination unknown or not connected
  uint64_t flushes = 0;
  uint64_t writes = 0;  // async writes issued (all connections)
  uint64_t ticks = 0;
};

// The protocol a config names (`protocol`: curpht or curpho, validated by
// the config reader).
core::Protocol protocol_of(const config::ClusterConfig& config);

// The core's config for replica `self_index` of `config` (its protocol
// included). With the keepall plant the core reports executed slots
// (CoreConfig::record_executed), which KeepAllPlant keeps.
core::CoreConfig make_core_config(const config::ClusterConfig& config, uint32_t self_index,
                                  const core::PlantSpec& plants, bool rejoin = false);

// steady_clock microseconds: the injected clock of the core and sessions.
core::TimeUs steady_now_us();

class ReplicaServer {
 public:
  // `config` must outlive the server. Precondition: self_index < replicas.size().
  ReplicaServer(asio::io_context& io, const config::ClusterConfig& config, ServerOptions options,
                Logger log);
  ~ReplicaServer();
  ReplicaServer(const ReplicaServer&) = delete;
  ReplicaServer& operator=(const ReplicaServer&) = delete;

  // Binds exactly the configured host:port and starts accepting, dialling
  // peers and ticking. An error (e.g. port in use) leaves nothing running.
  Status start();
  // Stops accepting, closes every socket, cancels timers; io.run() then
  // returns. Idempotent. Logs the final counters.
  void stop();

  const ServerCounters& counters() const { return counters_; }
  const core::ReplicaCore& core() const { return core_; }
  // The port actually bound (useful when the config said 0).
  uint16_t port() const { return port_; }

 private:
  void accept_next();
  void on_inbound_frame(FramedConnection& conn, wire::Frame&& frame);
  void on_outbound_frame(FramedConnection& conn, wire::Frame&& frame);
  void on_inbound_close(FramedConnection& conn, CloseKind kind, const std::string& reason);
  void deliver(core::Message&& msg);
  void step(const core::Message& msg);
  void schedule_flush();
  void flush();
  void arm_tick();
  void arm_delay_timer();
  void log_counters(const char* when) const;
  void log_leader_change();  // info line when the term or the known leader changes
  void memprof_register();   // memprof hook: gauge slots, once
  void memprof_publish();    // memprof hook: gauges, every tick
  uint64_t leader_gauge() const;
  void memprof_count_ops();  // memprof hook: after each step()

  asio::io_context& io_;
  const config::ClusterConfig& config_;
  ServerOptions options_;
  Logger log_;
  core::ReplicaCore core_;
  core::MemoryPlant memory_plant_;  // --plant leak/fragment; inactive otherwise
  core::DecayPlant decay_plant_;    // --plant decay, in the config's first replica only
  core::KeepAllPlant keep_all_;     // --plant keepall; inactive otherwise
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer tick_timer_;
  asio::steady_timer delay_timer_;
  asio::signal_set signals_;
  uint16_t port_ = 0;
  bool running_ = false;
  bool flush_posted_ = false;

  // Outbound links: index = replica id; null for self. Used for sending only.
  std::vector<std::shared_ptr<OutboundLink>> peers_;
  // Every inbound connection (replicas and clients), owned until closed.
  std::unordered_set<std::shared_ptr<FramedConnection>> inbound_;
  // Client session id -> the connection its Hello arrived on (replies go there).
  std::unordered_map<uint64_t, std::weak_ptr<FramedConnection>> clients_;
  // Client sessions announced per connection (limits.max_sessions_per_connection).
  std::unordered_map<const FramedConnection*, uint32_t> sessions_on_;
  // Received messages waiting out network_delay_ms, in arrival order.
  std::deque<std::pair<core::TimeUs, core::Message>> delayed_;
  std::vector<FramedConnection*> touched_;  // scratch of flush()
  ServerCounters counters_;
  size_t memprof_slot0_ = 0;       // first gauge slot (memprof hook)
  uint64_t memprof_ops_seen_ = 0;  // ops already added to the probe
  bool leader_logged_ = false;     // last term/leader change logged
  uint64_t logged_term_ = 0;
  std::optional<core::ReplicaId> logged_leader_;
};

}  // namespace hd::io
