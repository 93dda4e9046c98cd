#include "loadgen/runner.h"

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/check.h"
#include "loadgen/stats/session_monitor.h"
#include "memprof/probe.h"
#include "replica/client/async_client.h"

namespace hd::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

int64_t unix_us_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Worker;

// One client session — a "client thread" in the seed's terms: its own op
// stream, pipeline of up to `pendings` ops, stats and session checks.
class SessionDriver {
 public:
  SessionDriver(Worker& worker, const LoadOptions& options, uint32_t session, uint32_t thread);

  void start_ops();
  bool done() const { return completed_ == options_.ops_per_thread; }
  // CURP-HO: the leader settled one of this session's weak writes.
  void on_settled(const client::Settled& s);
  RunStats& stats() { return stats_; }
  uint64_t completed() const { return completed_atomic_.load(std::memory_order_relaxed); }
  void stop() { rate_timer_.cancel(); }

 private:
  void submit_next(Clock::time_point intended);
  void on_complete(const client::Completion& c, Clock::time_point intended, bool warmup,
                   const Op& op);
  void check_session(const client::Completion& c, const Op& op);
  void schedule_rate();
  void drain_backlog();
  void memprof_publish();  // memprof hook: count the op, publish gauge deltas

  Worker& worker_;
  const LoadOptions& options_;
  uint32_t session_;
  OpGenerator gen_;
  asio::steady_timer rate_timer_;
  RunStats stats_;
  SessionMonitor monitor_;  // read-your-writes, monotonic reads
  // CURP-HO: key of each acked weak write until it settles (the monitor
  // learns its slot then). Bounded by the session's ops in flight.
  std::unordered_map<uint64_t, uint64_t> unsettled_keys_;  // seq -> key
  std::deque<Clock::time_point> backlog_;
  Clock::time_point start_;
  int64_t interval_ns_ = 0;
  uint64_t scheduled_ = 0;
  uint64_t submitted_ = 0;
  uint64_t completed_ = 0;
  uint64_t in_flight_ = 0;
  std::atomic<uint64_t> completed_atomic_{0};
  size_t mp_slot_in_flight_ = 0, mp_slot_cache_ = 0;  // memprof hook: gauge slots
  uint64_t mp_in_flight_ = 0, mp_cache_ = 0;          // memprof hook: last published
};

// One I/O thread: an io_context and one AsyncClient whose connections (one
// per replica) carry all of this thread's sessions, so the ops of every
// session submitted in a loop turn leave in one write per replica.
class Worker {
 public:
  Worker(const config::ClusterConfig& config, const LoadOptions& options, uint32_t worker,
         const std::vector<std::pair<uint32_t, client::ClientId>>& sessions,
         std::atomic<uint64_t>& completed_total)
      : config_(config),
        options_(options),
        completed_total_(completed_total),
        deadline_timer_(io_),
        connect_timer_(io_) {
    HD_CHECK(!sessions.empty());
    client::AsyncClientOptions copts;
    copts.log = io::Logger(options.alias + "/io" + std::to_string(worker), io::LogLevel::kWarn);
    copts.network_delay_ms = options.network_delay_ms;
    for (size_t i = 0; i < sessions.size(); ++i) {
      client::SessionConfig sc =
          client::session_config_from(config, sessions[i].second, options.nearest);
      sc.never_evict_cache = options.never_evict_cache;
      sc.bound = core::ReplicaId{options.bound};
      if (options.cache_entries) sc.cache_capacity = *options.cache_entries;
      if (i == 0) {
        copts.session = sc;
        client_ = std::make_unique<client::AsyncClient>(io_, std::move(copts));
      } else {
        HD_CHECK(client_->add_session(sc) == i);
      }
      drivers_.push_back(std::make_unique<SessionDriver>(*this, options, static_cast<uint32_t>(i),
                                                         sessions[i].first));
      SessionDriver* d = drivers_.back().get();
      client_->on_settled(static_cast<uint32_t>(i),
                          [d](const client::Settled& s) { d->on_settled(s); });
    }
  }

  Status start() { return client_->start(config_); }

  void run() {
    deadline_timer_.expires_after(std::chrono::seconds(options_.deadline_s));
    deadline_timer_.async_wait([this](const asio::error_code& ec) {
      if (ec) return;
      deadline_exceeded_ = true;
      finish();
    });
    wait_connected(Clock::now() + std::chrono::seconds(kConnectTimeoutS));
    io_.run();
  }

  asio::io_context& io() { return io_; }
  client::AsyncClient& client() { return *client_; }
  bool finished() const { return finished_; }
  // Every completion of every session of the process (the shared counter
  // of run_load) passes here; the one that reaches mark_at_ops says so.
  void count_completion() {
    const uint64_t n = completed_total_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n == options_.mark_at_ops) {
      std::printf("MARK %s %llu ops\n", options_.alias.c_str(), static_cast<unsigned long long>(n));
      std::fflush(stdout);
    }
  }
  bool deadline_exceeded() const { return deadline_exceeded_; }
  bool connect_failed() const { return connect_failed_; }
  const std::vector<std::unique_ptr<SessionDriver>>& drivers() const { return drivers_; }

  void session_done() {
    for (const auto& d : drivers_) {
      if (!d->done()) return;
    }
    // Posted: the completion that got here runs inside the client's turn,
    // whose settles (a write's settle comes after its completion) are
    // delivered after it returns; counting must wait for them.
    const Clock::time_point give_up =
        Clock::now() + std::chrono::milliseconds(config_.reply_timeout_ms);
    asio::post(io_, [this, give_up] { drain_unsettled(give_up); });
  }

 private:
  static constexpr int kConnectTimeoutS = 10;

  // Ops start only once every replica is connected: an op submitted earlier
  // would wait for its retry timer, and a short run would then measure the
  // connection set-up rather than the system (the seed's "measurement
  // artefact" hypothesis, made impossible by construction).
  void wait_connected(Clock::time_point give_up) {
    if (client_->connected_count() == config_.replicas.size()) {
      for (auto& d : drivers_) d->start_ops();
      session_done();  // a run of 0 ops ends at once
      return;
    }
    if (Clock::now() >= give_up) {
      connect_failed_ = true;
      finish();
      return;
    }
    connect_timer_.expires_after(std::chrono::milliseconds(2));
    connect_timer_.async_wait([this, give_up](const asio::error_code& ec) {
      if (!ec && !finished_) wait_connected(give_up);
    });
  }

  // CURP-HO: every op completed, but acked weak writes may still be
  // unsettled (the sessions keep retrying them): wait for their settles, up
  // to `give_up` (the op timeout), polling, so that the run's result says
  // whether every acknowledged write took effect.
  void drain_unsettled(Clock::time_point give_up) {
    if (finished_) return;
    if (unsettled() == 0 || Clock::now() >= give_up) {
      finish();
      return;
    }
    connect_timer_.expires_after(std::chrono::milliseconds(2));
    connect_timer_.async_wait([this, give_up](const asio::error_code& ec) {
      if (!ec && !finished_) drain_unsettled(give_up);
    });
  }

  uint64_t unsettled() const {
    uint64_t n = 0;
    for (uint32_t s = 0; s < drivers_.size(); ++s) n += client_->gauges(s).unsettled;
    return n;
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    // Acked weak writes never settled: errors of the run (RunStats).
    for (uint32_t s = 0; s < drivers_.size(); ++s)
      drivers_[s]->stats().weak_unsettled = client_->gauges(s).unsettled;
    deadline_timer_.cancel();
    connect_timer_.cancel();
    for (auto& d : drivers_) d->stop();
    client_->close();
    io_.stop();
  }

  const config::ClusterConfig& config_;
  const LoadOptions& options_;
  std::atomic<uint64_t>& completed_total_;  // owned by run_load, shared by the workers
  asio::io_context io_;
  std::unique_ptr<client::AsyncClient> client_;
  std::vector<std::unique_ptr<SessionDriver>> drivers_;
  asio::steady_timer deadline_timer_;
  asio::steady_timer connect_timer_;
  bool finished_ = false;
  bool deadline_exceeded_ = false;
  bool connect_failed_ = false;
};

SessionDriver::SessionDriver(Worker& worker, const LoadOptions& options, uint32_t session,
                             uint32_t thread)
    : worker_(worker),
      options_(options),
      session_(session),
      gen_(options.workload, options.seed * 1000003 + thread),
      rate_timer_(worker.io()) {
  if (options.rate_ops_s > 0) {
    const double per_session = options.rate_ops_s / options.threads;
    interval_ns_ = static_cast<int64_t>(1e9 / per_session);
  }
  if (options.probe != nullptr) {  // memprof hook: sessions sum into shared gauges
    mp_slot_in_flight_ = options.probe->gauges.register_gauge("in_flight_ops");
    mp_slot_cache_ = options.probe->gauges.register_gauge("client_cache_entries");
  }
}

void SessionDriver::memprof_publish() {
  options_.probe->ops.add();
  const client::SessionGauges g = worker_.client().gauges(session_);
  if (g.in_flight != mp_in_flight_) {
    options_.probe->gauges.add(mp_slot_in_flight_, static_cast<int64_t>(g.in_flight) -
                                                       static_cast<int64_t>(mp_in_flight_));
    mp_in_flight_ = g.in_flight;
  }
  if (g.cache_entries != mp_cache_) {
    options_.probe->gauges.add(
        mp_slot_cache_, static_cast<int64_t>(g.cache_entries) - static_cast<int64_t>(mp_cache_));
    mp_cache_ = g.cache_entries;
  }
}

void SessionDriver::start_ops() {
  start_ = Clock::now();
  if (interval_ns_ > 0) {
    schedule_rate();
  } else {
    const uint64_t window = std::min<uint64_t>(options_.pendings, options_.ops_per_thread);
    for (uint64_t i = 0; i < window; ++i) submit_next(Clock::now());
  }
}

void SessionDriver::submit_next(Clock::time_point intended) {
  const uint64_t n = submitted_++;
  const Op op = gen_.next();
  std::string value;
  if (op.is_write()) value = gen_.value_for(n);
  ++in_flight_;
  const bool warmup = n < options_.warmup_ops;
  if (!warmup && stats_.start_unix_us == 0) stats_.start_unix_us = unix_us_now();
  worker_.client().submit(session_, op.op, op.key, std::move(value),
                          [this, intended, warmup, op](const client::Completion& c) {
                            on_complete(c, intended, warmup, op);
                          });
}

void SessionDriver::on_complete(const client::Completion& c, Clock::time_point intended,
                                bool warmup, const Op& op) {
  const auto now = Clock::now();
  --in_flight_;
  ++completed_;
  completed_atomic_.store(completed_, std::memory_order_relaxed);
  worker_.count_completion();
  if (options_.probe != nullptr) memprof_publish();
  const size_t cls = class_index(c.op);
  // One wall-clock read per completion serves the series and the window end.
  const int64_t now_unix_us = unix_us_now();
  SecondStats& sec = stats_.series[now_unix_us / 1000000];
  sec.retries += c.retries;
  stats_.retries += c.retries;
  if (c.outcome == client::Outcome::kTimeout) {
    ++sec.timeouts;
    ++stats_.classes[cls].timeouts;
  } else {
    if (c.op == client::OpClass::kWeakWrite) {
      if (worker_.client().session_config().protocol == core::Protocol::kCurpHo) {
        // Acked, not settled yet: on_settled() counts it and tells the monitor.
        unsettled_keys_.emplace(c.seq.value(), op.key);
      } else {
        ++stats_.weak_settled;  // CURP-HT: final at its slot when it completes
      }
    }
    ++sec.completed[cls];
    if (c.path == client::Path::kFast) ++sec.fast_path;
    if (c.path == client::Path::kSlow) ++sec.slow_path;
    check_session(c, op);
    if (warmup) {
      ++stats_.warmup_ops;
    } else {
      ClassStats& cs = stats_.classes[cls];
      ++cs.count;
      if (c.path == client::Path::kFast) ++cs.fast_path;
      if (c.path == client::Path::kSlow) ++cs.slow_path;
      cs.latency.record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - intended).count()));
      stats_.end_unix_us = now_unix_us;
    }
  }
  if (done()) {
    worker_.session_done();
    return;
  }
  if (interval_ns_ > 0) {
    drain_backlog();
  } else if (submitted_ < options_.ops_per_thread) {
    submit_next(now);
  }
}

// Read-your-writes and monotonic reads, seen from this session
// (SessionMonitor). A CURP-HO read that returned the session's own weak
// write not settled yet has no version (0) but is the newest value the
// session knows for the key: nothing to judge, nothing to learn (the
// write's slot reaches the monitor when it settles).
void SessionDriver::check_session(const client::Completion& c, const Op& op) {
  if (c.own_unsettled_seq != client::SeqNo{0}) return;
  if (!monitor_.observe(c.op, op.key, c.version.value())) ++stats_.session_violations;
}

void SessionDriver::on_settled(const client::Settled& s) {
  ++stats_.weak_settled;
  auto it = unsettled_keys_.find(s.seq.value());
  if (it == unsettled_keys_.end()) return;  // settled before its ack arrived
  // Later reads of the key must return at least this write's slot.
  monitor_.observe(client::OpClass::kWeakWrite, it->second, s.slot.value());
  unsettled_keys_.erase(it);
}

void SessionDriver::schedule_rate() {
  if (submitted_ + backlog_.size() >= options_.ops_per_thread) return;
  const auto next =
      start_ + std::chrono::nanoseconds(interval_ns_ * static_cast<int64_t>(scheduled_));
  rate_timer_.expires_at(next);
  rate_timer_.async_wait([this, next](const asio::error_code& ec) {
    if (ec || worker_.finished()) return;
    ++scheduled_;
    backlog_.push_back(next);
    drain_backlog();
    schedule_rate();
  });
}

void SessionDriver::drain_backlog() {
  while (!backlog_.empty() && in_flight_ < options_.pendings &&
         submitted_ < options_.ops_per_thread) {
    const auto intended = backlog_.front();
    backlog_.pop_front();
    submit_next(intended);
  }
}

// Session ids must be unique in the cluster and across runs (replicas keep
// per-session de-duplication state): a random per-process nonce, the client
// index and the thread number.
client::ClientId make_client_id(uint64_t nonce, uint32_t client_index, uint32_t thread) {
  return client::ClientId{((nonce & 0xFFFFFFFFull) << 24) | (uint64_t{client_index & 0xFFFF} << 8) |
                          (thread & 0xFF)};
}

}  // namespace

LoadResult run_load(const config::ClusterConfig& config, const LoadOptions& options) {
  LoadResult result;
  const uint64_t nonce = std::random_device{}() | 1;
  // Sessions ("client threads") are dealt round-robin over the I/O threads.
  const uint32_t workers_n = std::max<uint32_t>(1, std::min(options.io_threads, options.threads));
  std::vector<std::vector<std::pair<uint32_t, client::ClientId>>> plan(workers_n);
  for (uint32_t t = 0; t < options.threads; ++t) {
    plan[t % workers_n].emplace_back(t, make_client_id(nonce, options.client_index, t));
  }
  std::atomic<uint64_t> completed_total{0};  // outlives the workers (declared first)
  std::vector<std::unique_ptr<Worker>> workers;
  for (uint32_t w = 0; w < workers_n; ++w) {
    workers.push_back(std::make_unique<Worker>(config, options, w, plan[w], completed_total));
    if (Status s = workers.back()->start(); !s) {
      result.status = s;
      return result;
    }
  }
  const auto started = Clock::now();
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });

  // Reporter: one TPUT line per second until every thread is done.
  std::atomic<bool> done{false};
  std::thread reporter([&] {
    uint64_t last = 0;
    for (int second = 1; !done.load(); ++second) {
      const auto wake = started + std::chrono::seconds(second);
      while (!done.load() && Clock::now() < wake)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (done.load()) break;
      uint64_t total = 0;
      for (auto& w : workers) {
        for (auto& d : w->drivers()) total += d->completed();
      }
      if (options.print_tput) {
        std::printf("TPUT %s t=%ds %llu ops/s (total %llu)\n", options.alias.c_str(), second,
                    static_cast<unsigned long long>(total - last),
                    static_cast<unsigned long long>(total));
        std::fflush(stdout);
      }
      last = total;
    }
  });
  for (auto& t : threads) t.join();
  done = true;
  reporter.join();

  for (auto& w : workers) {
    for (auto& d : w->drivers()) result.stats.merge(d->stats());
    result.deadline_exceeded = result.deadline_exceeded || w->deadline_exceeded();
    if (w->connect_failed() && result.status) {
      result.status = Status::error("could not connect to every replica within 10 s");
    }
  }
  result.stats.clients.push_back({options.alias, result.stats.ops(), result.stats.duration_s()});
  return result;
}

}  // namespace hd::loadgen
