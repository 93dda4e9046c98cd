// Integration tests with real `replica` processes on 127.0.0.1: failover of a
// follower (kill -9, restart, catch-up) and of the leader (kill -9, election,
// progress gap, read-back), bad input on raw sockets, SIGTERM, startup errors. Every loop is
// bounded in iterations and wall time.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "integration/cluster_harness.h"
#include "replica/client/async_client.h"
#include "replica/wire/codec.h"

namespace {

using namespace std::chrono_literals;
using hd::client::BlockingClient;
using hd::client::Completion;
using hd::client::Outcome;
using hd::client::Path;
using hd::core::ClientId;
using hd::test::TestCluster;

constexpr auto kOpTimeout = 8s;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Connects a plain socket to 127.0.0.1:port with a receive timeout.
int raw_connect(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{};
  tv.tv_sec = 3;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// True when the peer closed the connection (EOF or reset) within the socket's
// receive timeout; false if it is still open after it.
bool closed_by_peer(int fd) {
  char buf[256];
  for (int i = 0; i < 100; ++i) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET || errno == EPIPE;
  }
  return false;
}

// Like closed_by_peer, for a connection the replica was answering: reads (and
// drops) its replies until EOF or reset; false if still open after 10 s.
bool drained_until_closed(int fd) {
  std::vector<char> buf(1 << 16);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n == 0) return true;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return errno == ECONNRESET || errno == EPIPE;
    }
  }
  return false;
}

std::string hello_frame(uint64_t id) {
  std::string out;
  hd::wire::encode(hd::wire::Hello{hd::wire::Hello::Role::kClient, id}, out);
  return out;
}

std::string propose_frame(uint64_t client, uint64_t seq, uint64_t key) {
  hd::core::Propose p;
  p.client = ClientId{client};
  p.seq = hd::core::SeqNo{seq};
  p.acked_below = hd::core::SeqNo{1};
  p.cmd.kind = hd::core::OpKind::kPut;
  p.cmd.key = key;
  p.cmd.value = std::string(64, 'x');
  std::string out;
  hd::wire::encode(hd::core::Message{p}, out);
  return out;
}

// A client that keeps its side of the protocol, beside one that misbehaves:
// served() is one strong write, true when it completed OK.
class WellBehavedClient {
 public:
  WellBehavedClient(const TestCluster& cluster, ClientId id) : client_(cluster.config(), id, 0) {
    REQUIRE(client_.wait_connected(3, 5s));
  }
  bool served() {
    ++n_;
    auto r = client_.put_strong(n_, "ok" + std::to_string(n_), kOpTimeout);
    return r.is_ok() && r->outcome == Outcome::kOk;
  }

 private:
  BlockingClient client_;
  uint64_t n_ = 0;
};

struct Acked {
  std::string value;
  uint64_t version = 0;
};

// One session's sequential mixed workload, run in a thread while the test
// kills and restarts replicas: op i is a strong write, strong read, weak
// write, weak read of keys `i % keys` (reads offset by the given amounts) in
// turn. Records what the failover tests check: the last acknowledged write
// per key, reads older than the session's own last write to that key,
// failed ops, completion times and fast-path completions after mark_kill().
class SequentialWorkload {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    uint64_t keys = 16;
    uint64_t max_ops = 20000;
    std::string value_prefix = "v";
    uint64_t strong_read_offset = 0;  // op i reads key (i + offset) % keys
    uint64_t weak_read_offset = 0;
  };

  // What the worker recorded.
  struct Record {
    std::map<uint64_t, Acked> acked;  // key -> last acknowledged write
    uint64_t timeouts = 0;            // ops that failed or timed out
    uint64_t failures = 0;            // reads older than the session's own write
    std::string first_failure;
  };

  SequentialWorkload(BlockingClient& client, Options o)
      : client_(client), o_(std::move(o)), worker_([this] { run(); }) {}
  ~SequentialWorkload() { stop(); }

  // Waits up to `timeout` for `more` completions.
  bool wait_progress(uint64_t more, std::chrono::milliseconds timeout) {
    const uint64_t target = completed_.load() + more;
    const auto deadline = Clock::now() + timeout;
    while (completed_.load() < target && Clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    return completed_.load() >= target;
  }
  uint64_t completed() const { return completed_.load(); }
  void mark_kill() { killed_ = true; }
  uint64_t fast_after_kill() const { return fast_after_kill_.load(); }
  // Completion times so far (the worker may still be running).
  std::vector<Clock::time_point> done_times() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }
  // Stops the worker after its current op and returns what it recorded.
  Record finish() {
    stop();
    return rec_;
  }

 private:
  void stop() {
    stop_ = true;
    if (worker_.joinable()) worker_.join();
  }

  void run() {
    for (uint64_t i = 0; i < o_.max_ops && !stop_.load(); ++i) {
      const uint64_t key = i % o_.keys;
      const uint64_t read_key =
          (i + (i % 4 == 1 ? o_.strong_read_offset : o_.weak_read_offset)) % o_.keys;
      const std::string value = o_.value_prefix + std::to_string(i);
      auto r = [&] {
        switch (i % 4) {
          case 0:
            return client_.put_strong(key, value, kOpTimeout);
          case 1:
            return client_.get_strong(read_key, kOpTimeout);
          case 2:
            return client_.put_weak(key, value, kOpTimeout);
          default:
            return client_.get_weak(read_key, kOpTimeout);
        }
      }();
      std::lock_guard<std::mutex> lock(mu_);
      if (!r.is_ok() || r->outcome != Outcome::kOk) {
        ++rec_.timeouts;
        if (rec_.first_failure.empty())
          rec_.first_failure = r.is_ok() ? "op timeout" : r.status().message();
        continue;
      }
      const Completion& c = r.value();
      if (i % 4 == 0 || i % 4 == 2) {
        rec_.acked[key] = Acked{value, c.version.value()};
      } else if (auto it = rec_.acked.find(read_key); it != rec_.acked.end()) {
        // Sequential ops of one session: a read sees at least its own last write.
        if (c.version.value() < it->second.version) {
          ++rec_.failures;
          if (rec_.first_failure.empty()) {
            rec_.first_failure = "read of key " + std::to_string(read_key) + " returned version " +
                                 std::to_string(c.version.value()) + " < own write's " +
                                 std::to_string(it->second.version);
          }
        }
      }
      if (killed_.load() && c.path == Path::kFast) ++fast_after_kill_;
      done_.push_back(Clock::now());
      ++completed_;
    }
  }

  BlockingClient& client_;
  const Options o_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> killed_{false};
  std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> fast_after_kill_{0};
  std::mutex mu_;  // guards done_ (read while the worker runs); rec_ is read after join
  std::vector<Clock::time_point> done_;
  Record rec_;
  std::thread worker_;  // last: starts after everything it uses exists
};

}  // namespace

TEST_CASE("kill -9 a follower mid-run: progress continues, it catches up, no write is lost" *
          doctest::test_suite("threads")) {
  TestCluster cluster;
  REQUIRE(cluster.start_all());
  BlockingClient client(cluster.config(), ClientId{101}, /*nearest=*/0);
  REQUIRE(client.start_status().is_ok());
  REQUIRE(client.wait_connected(3, 5s));

  // One worker runs a sequential mixed workload (strong/weak, reads/writes)
  // while the main thread kills and restarts a follower. Its cap is far above
  // what a run does before finish(): a fast machine completed 20,000 ops
  // before the restart, leaving no progress for the last check to see.
  SequentialWorkload::Options options;
  options.max_ops = 1'000'000;
  SequentialWorkload load(client, options);
  CHECK(load.wait_progress(200, 10s));
  cluster.kill9(2);
  load.mark_kill();
  const auto killed_at = std::chrono::steady_clock::now();
  // Two of three replicas are left: still a majority, so strong ops keep
  // their fast path (the leader and one follower holding the entry). Stay
  // down past follower_dead_after (1 s) so the leader also gives up on it,
  // and make sure progress continues after that too.
  CHECK(load.wait_progress(200, 15s));
  while (std::chrono::steady_clock::now() - killed_at < 1300ms) std::this_thread::sleep_for(10ms);
  CHECK(load.wait_progress(100, 10s));
  CHECK(load.fast_after_kill() > 0);
  {
    // A session whose nearest replica is the dead one: its first weak read
    // is retried at the next replica, the later ones go there directly (not
    // one retry timeout per read).
    BlockingClient near_dead(cluster.config(), ClientId{303}, /*nearest=*/2);
    REQUIRE(near_dead.wait_connected(2, 5s));
    uint64_t retried = 0, ok = 0;
    for (int i = 0; i < 20; ++i) {
      auto r = near_dead.get_weak(static_cast<uint64_t>(i % 16), kOpTimeout);
      if (!r.is_ok() || r->outcome != Outcome::kOk) continue;
      ++ok;
      if (r->retries > 0) ++retried;
    }
    CHECK(ok == 20);
    CHECK(retried <= 1);
  }
  const uint64_t done_while_down = load.completed();

  REQUIRE(cluster.start(2, {"--rejoin"}));
  REQUIRE(cluster.wait_accepting(2, 5s));
  CHECK(load.wait_progress(200, 10s));
  const SequentialWorkload::Record rec = load.finish();
  MESSAGE("ops completed: " << load.completed() << " (" << done_while_down
                            << " by the restart), fast path after kill: "
                            << load.fast_after_kill());
  {
    INFO("first failure: " << rec.first_failure);
    CHECK(rec.timeouts == 0);
    CHECK(rec.failures == 0);
  }

  // Catch-up: a fresh write becomes visible to a weak read at the restarted
  // replica (fresh session, so nothing forces it to wait: it must catch up).
  auto w = client.put_strong(999, "after-restart", kOpTimeout);
  REQUIRE(w.is_ok());
  REQUIRE(w->outcome == Outcome::kOk);
  BlockingClient at_restarted(cluster.config(), ClientId{202}, /*nearest=*/2);
  REQUIRE(at_restarted.wait_connected(3, 5s));
  bool caught_up = false;
  for (int attempt = 0; attempt < 200 && !caught_up; ++attempt) {
    auto r = at_restarted.get_weak(999, kOpTimeout);
    if (r.is_ok() && r->outcome == Outcome::kOk && r->version.value() >= w->version.value()) {
      caught_up = r->value == "after-restart";
    }
    if (!caught_up) std::this_thread::sleep_for(25ms);
  }
  CHECK(caught_up);

  // Every acknowledged write reads back with a strong read.
  CHECK(!rec.acked.empty());
  for (const auto& [key, a] : rec.acked) {
    auto r = client.get_strong(key, kOpTimeout);
    REQUIRE(r.is_ok());
    REQUIRE(r->outcome == Outcome::kOk);
    CHECK_MESSAGE(r->value == a.value, "key " << key);
  }
}

TEST_CASE(
    "kill -9 the leader under load: a new leader takes over, every acknowledged write reads back") {
  TestCluster cluster;
  REQUIRE(cluster.start_all());
  // Two sessions on one client, each running a sequential mixed workload.
  BlockingClient client(cluster.config(), ClientId{601}, /*nearest=*/1);
  REQUIRE(client.start_status().is_ok());
  REQUIRE(client.wait_connected(3, 5s));

  using Clock = SequentialWorkload::Clock;
  SequentialWorkload load(client, {.keys = 24,
                                   .max_ops = 50000,
                                   .value_prefix = "w",
                                   .strong_read_offset = 3,
                                   .weak_read_offset = 1});  // reads of keys written before

  CHECK(load.wait_progress(300, 10s));
  const pid_t leader_pid = cluster.pid(0);
  cluster.kill9(0);
  const auto killed_at = Clock::now();
  const uint64_t done_at_kill = load.completed();
  // Progress resumes once a follower is elected (election timeout 300-600 ms
  // after the last heartbeat, plus the client's retry interval).
  CHECK(load.wait_progress(300, 20s));
  double gap_s = -1;
  {
    const std::vector<Clock::time_point> done = load.done_times();
    // The gap: from the kill to the first op completed after it, or the
    // longest pause between completions after the kill, whichever is longer.
    Clock::time_point prev = killed_at;
    Clock::duration gap{0};
    for (size_t i = done_at_kill; i < done.size(); ++i) {
      if (done[i] < killed_at) continue;
      gap = std::max(gap, done[i] - prev);
      prev = done[i];
    }
    gap_s = std::chrono::duration<double>(gap).count();
  }
  std::printf(
      "leader failover: replica0 (pid %d) killed with -9 under load; progress resumed "
      "after a gap of %.3f s\n",
      static_cast<int>(leader_pid), gap_s);
  std::fflush(stdout);
  CHECK(gap_s > 0);
  CHECK(gap_s < 5.0);
  const std::string logs = cluster.log_text(1) + cluster.log_text(2);
  CHECK(contains(logs, "(this replica)"));  // a follower logged its election

  // The old leader returns without its state and rejoins as a follower.
  REQUIRE(cluster.start(0, {"--rejoin"}));
  REQUIRE(cluster.wait_accepting(0, 5s));
  CHECK(load.wait_progress(200, 10s));
  const SequentialWorkload::Record rec = load.finish();
  MESSAGE("ops completed: " << load.completed() << " (" << done_at_kill
                            << " before the kill), failover gap " << gap_s << " s");
  {
    INFO("first failure: " << rec.first_failure);
    CHECK(rec.timeouts == 0);
    CHECK(rec.failures == 0);
  }

  // Every acknowledged write reads back: with a strong read, and at the
  // restarted replica0 once it caught up (a weak read there, same version).
  REQUIRE(rec.acked.size() == 12);  // the even keys
  for (const auto& [key, a] : rec.acked) {
    auto r = client.get_strong(key, kOpTimeout);
    REQUIRE(r.is_ok());
    REQUIRE(r->outcome == Outcome::kOk);
    CHECK_MESSAGE(r->value == a.value, "key " << key);
    CHECK_MESSAGE(r->version.value() == a.version, "key " << key);
  }
  BlockingClient at_old_leader(cluster.config(), ClientId{602}, /*nearest=*/0);
  REQUIRE(at_old_leader.wait_connected(3, 5s));
  for (const auto& [key, a] : rec.acked) {
    bool same = false;
    for (int attempt = 0; attempt < 200 && !same; ++attempt) {
      auto r = at_old_leader.get_weak(key, kOpTimeout);
      same = r.is_ok() && r->outcome == Outcome::kOk && r->value == a.value &&
             r->version.value() == a.version;
      if (!same) std::this_thread::sleep_for(25ms);
    }
    CHECK_MESSAGE(same, "key " << key << " at the restarted replica0");
  }
}

TEST_CASE("bad input closes only that connection; other clients keep being served") {
  TestCluster cluster;
  REQUIRE(cluster.start_all());
  WellBehavedClient good(cluster, ClientId{301});
  auto served = [&] { return good.served(); };
  REQUIRE(served());

  struct Case {
    const char* name;
    std::string bytes;
    const char* log_reason;
  };
  std::string oversized = hello_frame(7);
  // Payload length field (bytes 4..7, little-endian) far beyond the 64 MiB limit.
  oversized[4] = '\xf0';
  oversized[5] = '\xff';
  oversized[6] = '\xff';
  oversized[7] = '\x7f';
  std::string unknown = hello_frame(8);
  unknown[3] = '\xc8';  // frame type 200
  const std::string propose = propose_frame(9, 1, 5);
  const Case cases[] = {
      {"garbage", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "bad magic"},
      {"truncated", hello_frame(9) + propose.substr(0, propose.size() / 2),
       "truncated frame at EOF"},
      {"oversized", oversized, "exceeds limit"},
      {"unknown type", unknown, "unknown frame type"},
      {"no hello", propose_frame(10, 1, 6), "expected Hello"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const int fd = raw_connect(cluster.port(0));
    REQUIRE(fd >= 0);
    REQUIRE(send_all(fd, c.bytes));
    // Truncated input is only an error once the stream ends.
    if (std::string(c.name) == "truncated") shutdown(fd, SHUT_WR);
    CHECK(closed_by_peer(fd));
    close(fd);
    CHECK(served());
  }
  CHECK(served());

  // The log names each reason (bounded wait: the log is written asynchronously).
  std::string log;
  for (int i = 0; i < 100; ++i) {
    log = cluster.log_text(0);
    bool all = true;
    for (const auto& c : cases) all = all && contains(log, c.log_reason);
    if (all) break;
    std::this_thread::sleep_for(10ms);
  }
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(contains(log, c.log_reason));
  }
  CHECK(contains(log, "bad input"));
  CHECK(contains(log, "127.0.0.1:"));
}

// Per-connection limits (docs/transport.md, "Per-connection limits"): one
// client that floods requests it never acks, or announces session after
// session, is cut off at the limit while another client keeps being served.
TEST_CASE("a flooding client is cut off at its limits; other clients keep being served") {
  TestCluster cluster;
  const std::vector<std::string> limits = {"--max-client-window", "500",
                                           "--max-sessions-per-connection", "8"};
  for (uint32_t i = 0; i < 3; ++i) REQUIRE(cluster.start(i, limits));
  for (uint32_t i = 0; i < 3; ++i) REQUIRE(cluster.wait_accepting(i, 5s));
  WellBehavedClient good(cluster, ClientId{401});
  auto served = [&] { return good.served(); };
  REQUIRE(served());
  std::string expected_log;

  SUBCASE("requests never acked: seq runs past acked_below + window") {
    expected_log = "has 501 requests outstanding (seq - acked_below), over the limit of 500";
    const int fd = raw_connect(cluster.port(0));
    REQUIRE(fd >= 0);
    std::string flood = hello_frame(402);
    for (uint64_t seq = 1; seq <= 400; ++seq) flood += propose_frame(402, seq, 1000 + seq);
    REQUIRE(send_all(fd, flood));  // within the window: served, connection stays open
    CHECK(served());
    flood.clear();
    for (uint64_t seq = 401; seq <= 700; ++seq) flood += propose_frame(402, seq, 1000 + seq);
    send_all(fd, flood);  // may fail part-way once the replica closed it
    CHECK(drained_until_closed(fd));
    close(fd);
  }
  SUBCASE("a connection announcing more sessions than allowed") {
    expected_log = "more than 8 client sessions on one connection";
    const int fd = raw_connect(cluster.port(0));
    REQUIRE(fd >= 0);
    std::string hellos;
    for (uint64_t id = 500; id < 520; ++id) hellos += hello_frame(id);
    send_all(fd, hellos);
    CHECK(drained_until_closed(fd));
    close(fd);
  }
  CHECK(served());
  std::string log;
  for (int i = 0; i < 100; ++i) {
    log = cluster.log_text(0);
    if (contains(log, expected_log)) break;
    std::this_thread::sleep_for(10ms);
  }
  CHECK(contains(log, expected_log));
}

TEST_CASE("SIGTERM and SIGINT: the replica exits 0 promptly and logs its counters") {
  TestCluster cluster;
  REQUIRE(cluster.start_all());
  {
    BlockingClient client(cluster.config(), ClientId{401}, 0);
    REQUIRE(client.wait_connected(3, 5s));
    auto r = client.put_strong(1, "x", kOpTimeout);
    REQUIRE(r.is_ok());
    CHECK(r->outcome == Outcome::kOk);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const int status = cluster.signal_and_wait(1, SIGTERM, 3s);
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  REQUIRE(status != -1);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(elapsed < 2s);
  const int status_int = cluster.signal_and_wait(0, SIGINT, 3s);
  REQUIRE(status_int != -1);
  CHECK(WIFEXITED(status_int));
  CHECK(WEXITSTATUS(status_int) == 0);
  CHECK(contains(cluster.log_text(1), "final counters"));
}

TEST_CASE("startup errors exit 2 with a message") {
  TestCluster cluster;
  std::string out;
  int st =
      hd::test::run_to_exit(hd::test::bin_path("replica"),
                            {"--config", cluster.config_path(), "--alias", "replica7"}, 5s, &out);
  REQUIRE(st != -1);
  CHECK(WEXITSTATUS(st) == 2);
  CHECK(contains(out, "replica7"));
  st = hd::test::run_to_exit(hd::test::bin_path("replica"),
                             {"--config", cluster.dir() + "/missing.conf", "--alias", "replica0"},
                             5s, &out);
  REQUIRE(st != -1);
  CHECK(WEXITSTATUS(st) == 2);
  // The slowsync plant slows CURP-HO's sync: on CURP-HT (the config's
  // protocol, or --protocol curpht over a curpho config) it is a usage error
  // that says so.
  const std::string other = cluster.dir() + "/curpho.conf";
  {
    std::ofstream f(other);
    f << "-- Replicas --\nreplica0 127.0.0.1:1\nreplica1 127.0.0.1:2\nreplica2 127.0.0.1:3\n"
      << "protocol: curpho\n";
  }
  const char* refusal =
      ": CURP-HO only (it delays CURP-HO's sync answers), but the protocol is curpht";
  st = hd::test::run_to_exit(
      hd::test::bin_path("replica"),
      {"--config", cluster.config_path(), "--alias", "replica0", "--plant", "slowsync"}, 5s, &out);
  REQUIRE(st != -1);
  CHECK(WEXITSTATUS(st) == 2);
  CHECK_MESSAGE(contains(out, refusal), out);
  st = hd::test::run_to_exit(
      hd::test::bin_path("replica"),
      {"--config", other, "--alias", "replica0", "--protocol", "curpht", "--plant", "slowsync:500"},
      5s, &out);
  REQUIRE(st != -1);
  CHECK(WEXITSTATUS(st) == 2);
  CHECK_MESSAGE(contains(out, refusal), out);
  st = hd::test::run_to_exit(
      hd::test::bin_path("replica"),
      {"--config", cluster.config_path(), "--alias", "replica0", "--protocol", "paxos"}, 5s, &out);
  REQUIRE(st != -1);
  CHECK(WEXITSTATUS(st) == 2);
  st = hd::test::run_to_exit(hd::test::bin_path("replica"), {"--help"}, 5s, &out);
  REQUIRE(st != -1);
  CHECK(WEXITSTATUS(st) == 0);
  CHECK(contains(out, "--plant"));
}

TEST_CASE("networkDelay holds received messages before the core sees them") {
  TestCluster cluster(3, "networkDelay: 30\n");
  REQUIRE(cluster.config().network_delay_ms == 30);
  REQUIRE(cluster.start_all());
  BlockingClient client(cluster.config(), ClientId{501}, 0);
  REQUIRE(client.wait_connected(3, 5s));
  for (uint64_t i = 0; i < 3; ++i) {
    auto r = client.put_strong(i, "delayed", kOpTimeout);
    REQUIRE(r.is_ok());
    REQUIRE(r->outcome == Outcome::kOk);
    // The leader sees the Propose only after 30 ms, so no reply can be faster.
    CHECK(r->completed_us - r->submitted_us >= 30'000);
  }
  auto r = client.get_strong(0, kOpTimeout);
  REQUIRE(r.is_ok());
  CHECK(r->value == "delayed");
}
