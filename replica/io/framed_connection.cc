// FramedConnection and OutboundLink. All completion handlers hold a
// shared_ptr to their object, so a connection lives until its last operation
// completed, even if its owner already dropped it.
#include "replica/io/framed_connection.h"

#include <utility>

namespace hd::io {

namespace {

constexpr size_t kReadChunkBytes = 64 * 1024;

std::string endpoint_text(const asio::ip::tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

const char* close_kind_name(CloseKind kind) {
  switch (kind) {
    case CloseKind::kPeerClosed:
      return "peer-closed";
    case CloseKind::kBadInput:
      return "bad-input";
    case CloseKind::kIoError:
      return "io-error";
    case CloseKind::kLocal:
      return "local";
  }
  return "?";
}

FramedConnection::FramedConnection(asio::ip::tcp::socket socket, Handlers handlers,
                                   ConnectionLimits limits)
    : socket_(std::move(socket)),
      handlers_(std::move(handlers)),
      limits_(limits),
      decoder_(limits.max_payload_bytes),
      read_buf_(new char[kReadChunkBytes]) {}

FramedConnection::~FramedConnection() = default;

void FramedConnection::start() {
  HD_CHECK(!started_);
  started_ = true;
  asio::error_code ec;
  const auto remote = socket_.remote_endpoint(ec);
  if (!ec) peer_ = endpoint_text(remote);
  // Frames are small and latency-bound; we batch ourselves, so Nagle only adds delay.
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  read_some();
}

void FramedConnection::read_some() {
  if (!open_) return;
  socket_.async_read_some(
      asio::buffer(read_buf_.get(), kReadChunkBytes),
      [self = shared_from_this()](const asio::error_code& ec, size_t n) { self->on_read(ec, n); });
}

void FramedConnection::on_read(const asio::error_code& ec, size_t n) {
  if (!open_) return;
  if (ec) {
    if (ec == asio::error::eof) {
      const size_t partial = decoder_.buffered_bytes();
      if (partial > 0) {
        close(CloseKind::kBadInput, "truncated frame at EOF (" + std::to_string(partial) +
                                        " bytes of an incomplete frame)");
      } else {
        close(CloseKind::kPeerClosed, "peer closed the connection");
      }
    } else {
      close(CloseKind::kIoError, "read: " + ec.message());
    }
    return;
  }
  bytes_in_ += n;
  decoder_.feed(read_buf_.get(), n);
  while (open_) {
    auto next = decoder_.next();
    if (!next.is_ok()) {
      close(CloseKind::kBadInput, next.status().message());
      return;
    }
    if (!next.value().has_value()) break;
    ++frames_in_;
    if (handlers_.on_frame) handlers_.on_frame(*this, std::move(*next.value()));
  }
  if (!open_) return;
  if (handlers_.on_read_done) handlers_.on_read_done(*this);
  read_some();
}

void FramedConnection::enqueue(const core::Message& msg) {
  if (!open_) return;
  wire::encode(msg, pending_);
  ++frames_out_;
  check_backlog();
}

void FramedConnection::enqueue(const wire::Hello& hello) {
  if (!open_) return;
  wire::encode(hello, pending_);
  ++frames_out_;
  check_backlog();
}

void FramedConnection::check_backlog() {
  if (pending_.size() > limits_.max_pending_write_bytes) {
    close(CloseKind::kIoError,
          "write backlog of " + std::to_string(pending_.size()) + " bytes: peer is not reading");
  }
}

void FramedConnection::flush() {
  if (!open_ || writing_ || pending_.empty()) return;
  // Swap rather than copy: both buffers keep their capacity across flushes, so
  // a steady stream of writes allocates nothing.
  inflight_.swap(pending_);
  pending_.clear();
  writing_ = true;
  ++writes_issued_;
  asio::async_write(socket_, asio::buffer(inflight_),
                    [self = shared_from_this()](const asio::error_code& ec, size_t n) {
                      self->writing_ = false;
                      self->inflight_.clear();
                      if (!self->open_) return;
                      if (ec) {
                        self->close(CloseKind::kIoError, "write: " + ec.message());
                        return;
                      }
                      self->bytes_out_ += n;
                      self->flush();
                    });
}

void FramedConnection::close(CloseKind kind, const std::string& reason) {
  if (!open_) return;
  open_ = false;
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  pending_.clear();
  // Moved out so it runs once; the other handlers stay (one may be running
  // right now: close() is often called from inside on_frame).
  auto on_close = std::move(handlers_.on_close);
  handlers_.on_close = nullptr;
  if (on_close) on_close(*this, kind, reason);
}

Result<asio::ip::tcp::endpoint> resolve_endpoint(asio::io_context& io, const std::string& host,
                                                 uint16_t port) {
  asio::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (!ec) return asio::ip::tcp::endpoint(addr, port);
  asio::ip::tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec) return Status::error("cannot resolve '" + host + "': " + ec.message());
  if (results.empty()) return Status::error("cannot resolve '" + host + "': no address");
  return results.begin()->endpoint();
}

OutboundLink::OutboundLink(asio::io_context& io, asio::ip::tcp::endpoint endpoint,
                           wire::Hello hello, FramedConnection::Handlers handlers,
                           const Logger* log, std::string name, BackoffPolicy backoff)
    : OutboundLink(io, std::move(endpoint), std::vector<wire::Hello>{hello}, std::move(handlers),
                   log, std::move(name), backoff) {}

OutboundLink::OutboundLink(asio::io_context& io, asio::ip::tcp::endpoint endpoint,
                           std::vector<wire::Hello> hellos, FramedConnection::Handlers handlers,
                           const Logger* log, std::string name, BackoffPolicy backoff)
    : io_(io),
      endpoint_(std::move(endpoint)),
      hellos_(std::move(hellos)),
      handlers_(std::move(handlers)),
      log_(log),
      name_(std::move(name)),
      backoff_(backoff),
      next_delay_(backoff.initial),
      redial_timer_(io) {}

OutboundLink::~OutboundLink() = default;

void OutboundLink::start() {
  if (!stopped_) return;
  stopped_ = false;
  dial();
}

void OutboundLink::stop() {
  if (stopped_) return;
  stopped_ = true;
  asio::error_code ignored;
  redial_timer_.cancel();  // timers have no error_code overload (deprecated)
  if (connecting_) connecting_->close(ignored);
  if (conn_) {
    auto conn = std::move(conn_);
    conn->close(CloseKind::kLocal, "link stopped");
  }
}

FramedConnection* OutboundLink::connection() const {
  return conn_ && conn_->is_open() ? conn_.get() : nullptr;
}

void OutboundLink::dial() {
  if (stopped_) return;
  connecting_ = std::make_unique<asio::ip::tcp::socket>(io_);
  auto* sock = connecting_.get();
  sock->async_connect(endpoint_, [self = shared_from_this(), sock](const asio::error_code& ec) {
    if (self->stopped_ || self->connecting_.get() != sock) return;
    if (ec) {
      if (!self->failure_logged_ && self->log_) {
        // Logged once per outage, not once per retry: a dead peer is redialled
        // up to once a second for as long as it is down.
        self->log_->info("connect to %s (%s) failed: %s; retrying with backoff",
                         self->name_.c_str(), endpoint_text(self->endpoint_).c_str(),
                         ec.message().c_str());
        self->failure_logged_ = true;
      }
      self->connecting_.reset();
      self->schedule_redial();
      return;
    }
    auto socket = std::move(*self->connecting_);
    self->connecting_.reset();
    ++self->connects_;
    self->failure_logged_ = false;
    self->next_delay_ = self->backoff_.initial;
    FramedConnection::Handlers h = self->handlers_;
    std::weak_ptr<OutboundLink> weak = self;
    auto user_close = h.on_close;
    h.on_close = [weak, user_close](FramedConnection& c, CloseKind kind, const std::string& why) {
      if (user_close) user_close(c, kind, why);
      auto link = weak.lock();
      if (!link || link->stopped_ || link->conn_.get() != &c) return;
      link->conn_.reset();
      link->schedule_redial();
    };
    self->conn_ = std::make_shared<FramedConnection>(std::move(socket), std::move(h));
    if (self->log_) {
      self->log_->info("connected to %s (%s)", self->name_.c_str(),
                       endpoint_text(self->endpoint_).c_str());
    }
    for (const wire::Hello& hello : self->hellos_) self->conn_->enqueue(hello);
    self->conn_->start();
    self->conn_->flush();
  });
}

void OutboundLink::schedule_redial() {
  if (stopped_) return;
  redial_timer_.expires_after(next_delay_);
  next_delay_ = std::min(next_delay_ * 2, backoff_.max);
  redial_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (ec || self->stopped_) return;
    self->dial();
  });
}

}  // namespace hd::io
