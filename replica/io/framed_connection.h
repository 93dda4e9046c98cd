// FramedConnection: one TCP connection carrying heapdrift frames (replica/wire)
// in both directions — decode-on-read, batched writes with at most one write in
// flight — plus OutboundLink, a client-side connection that redials with
// exponential backoff. Not thread-safe: every call, and every callback, runs
// on the thread running the io_context the socket belongs to.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "replica/io/asio.h"
#include "replica/io/log.h"
#include "replica/wire/codec.h"
#include "replica/wire/frame_decoder.h"

namespace hd::io {

enum class CloseKind : uint8_t {
  kPeerClosed,  // clean EOF between frames
  kBadInput,    // decoder or protocol error: the peer sent something we refuse
  kIoError,     // read/write/connect error, reset, write backlog overflow
  kLocal,       // we closed it (shutdown, replaced, ...)
};
const char* close_kind_name(CloseKind kind);

struct ConnectionLimits {
  size_t max_payload_bytes = wire::kDefaultMaxPayloadBytes;
  // A peer that stops reading must not make us buffer without bound: past
  // this many unsent bytes the connection is closed (the protocol retransmits).
  size_t max_pending_write_bytes = size_t{256} << 20;
  // Enforced by ReplicaServer on client connections, so one misbehaving client
  // cannot exhaust a replica: sessions one connection may announce (a Hello
  // each; every session costs a client-table entry), and how far a session's
  // Propose/WeakWrite seq may run ahead of its acked_below (the leader keeps a
  // reply for every executed op the client has not acked). Past either limit
  // the connection is closed as bad input.
  uint32_t max_sessions_per_connection = 1024;
  uint64_t max_client_window = uint64_t{1} << 18;
};

class FramedConnection : public std::enable_shared_from_this<FramedConnection> {
 public:
  struct Handlers {
    // Each decoded frame, in arrival order. The handler may call close().
    std::function<void(FramedConnection&, wire::Frame&&)> on_frame;
    // After every frame of one read completion was handed to on_frame: the
    // place to step a core's output once per read rather than once per frame.
    std::function<void(FramedConnection&)> on_read_done;
    // Exactly once, when the connection closes for any reason.
    std::function<void(FramedConnection&, CloseKind, const std::string& reason)> on_close;
  };

  FramedConnection(asio::ip::tcp::socket socket, Handlers handlers, ConnectionLimits limits = {});
  ~FramedConnection();
  FramedConnection(const FramedConnection&) = delete;
  FramedConnection& operator=(const FramedConnection&) = delete;

  // Sets TCP_NODELAY and starts the read loop. Call once, on a shared_ptr.
  void start();

  // Append one frame to the pending buffer; nothing is sent until flush().
  void enqueue(const core::Message& msg);
  void enqueue(const wire::Hello& hello);
  // Sends everything pending in ONE async_write unless a write is already in
  // flight, in which case its completion sends what accumulated meanwhile.
  void flush();

  // Idempotent. Cancels outstanding operations and calls on_close once.
  void close(CloseKind kind, const std::string& reason);
  bool is_open() const { return open_; }

  // "127.0.0.1:40312" (remote endpoint at start(); "?" if unknown).
  const std::string& peer() const { return peer_; }

  // The Hello the peer identified itself with (set by the owner).
  const std::optional<wire::Hello>& hello() const { return hello_; }
  void set_hello(const wire::Hello& hello) { hello_ = hello; }

  uint64_t frames_in() const { return frames_in_; }
  uint64_t frames_out() const { return frames_out_; }
  uint64_t bytes_in() const { return bytes_in_; }
  uint64_t bytes_out() const { return bytes_out_; }
  uint64_t writes_issued() const { return writes_issued_; }

 private:
  void read_some();
  void on_read(const asio::error_code& ec, size_t n);
  void check_backlog();

  asio::ip::tcp::socket socket_;
  Handlers handlers_;
  ConnectionLimits limits_;
  wire::FrameDecoder decoder_;
  std::unique_ptr<char[]> read_buf_;
  std::string pending_;   // frames enqueued since the last write started
  std::string inflight_;  // bytes of the write in flight; untouched until it completes
  bool writing_ = false;
  bool open_ = true;
  bool started_ = false;
  std::string peer_ = "?";
  std::optional<wire::Hello> hello_;
  uint64_t frames_in_ = 0;
  uint64_t frames_out_ = 0;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
  uint64_t writes_issued_ = 0;
};

// Resolves host (numeric address, else a synchronous DNS lookup) and port.
Result<asio::ip::tcp::endpoint> resolve_endpoint(asio::io_context& io, const std::string& host,
                                                 uint16_t port);

struct BackoffPolicy {
  std::chrono::milliseconds initial{10};
  std::chrono::milliseconds max{1000};
};

// A connection we dial: connects, sends its hellos first (a client connection
// carrying several sessions announces each), and on any close waits
// (initial backoff, doubling up to max; reset after a successful connect) and
// dials again, until stop(). Frames and closes are reported through the
// handlers of every connection it makes.
class OutboundLink : public std::enable_shared_from_this<OutboundLink> {
 public:
  OutboundLink(asio::io_context& io, asio::ip::tcp::endpoint endpoint, wire::Hello hello,
               FramedConnection::Handlers handlers, const Logger* log, std::string name,
               BackoffPolicy backoff = {});
  OutboundLink(asio::io_context& io, asio::ip::tcp::endpoint endpoint,
               std::vector<wire::Hello> hellos, FramedConnection::Handlers handlers,
               const Logger* log, std::string name, BackoffPolicy backoff = {});
  ~OutboundLink();

  void start();
  void stop();
  // The live connection, or nullptr while (re)connecting.
  FramedConnection* connection() const;
  uint64_t connects() const { return connects_; }

 private:
  void dial();
  void schedule_redial();

  asio::io_context& io_;
  asio::ip::tcp::endpoint endpoint_;
  std::vector<wire::Hello> hellos_;
  FramedConnection::Handlers handlers_;
  const Logger* log_;
  std::string name_;
  BackoffPolicy backoff_;
  std::chrono::milliseconds next_delay_;
  std::unique_ptr<asio::ip::tcp::socket> connecting_;
  asio::steady_timer redial_timer_;
  std::shared_ptr<FramedConnection> conn_;
  bool stopped_ = true;
  bool failure_logged_ = false;
  uint64_t connects_ = 0;
};

}  // namespace hd::io
