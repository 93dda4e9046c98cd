// replica_bench_client: a simple pipelined load client for a running cluster —
// S sessions × P ops in flight on one io thread, a fixed total op count; prints
// throughput and latency percentiles. The full workload tool is loadgen; this
// one exists to measure the transport. Single-threaded.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/cli.h"
#include "replica/client/async_client.h"
#include "replica/config/cluster_config.h"
#include "replica/io/asio.h"

namespace {

using hd::client::AsyncClient;
using hd::client::Completion;
using hd::client::OpClass;

struct Settings {
  uint32_t sessions = 4;
  uint32_t pipeline = 10;
  uint64_t ops = 20000;
  uint32_t weak_ratio = 0;    // %
  uint32_t writes = 10;       // % of strong ops that write
  uint32_t weak_writes = 10;  // % of weak ops that write
  uint32_t value_bytes = 100;
  uint64_t key_space = 100000;
  uint32_t nearest = 0;
  uint64_t client_id_base = 1000;
  uint32_t timeout_s = 120;
  uint64_t seed = 1;
};

struct Session {
  std::unique_ptr<AsyncClient> client;
  std::mt19937_64 rng;
};

uint64_t percentile(const std::vector<uint64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto idx = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[idx];
}

int run(int argc, char** argv) {
  CLI::App app{
      "Pipelined bench client for a running heapdrift replica cluster: S sessions x P\n"
      "ops in flight, a fixed number of ops; prints ops/s and latency percentiles.",
      "replica_bench_client"};
  std::string config_path;
  Settings s;
  bool from_config = false;
  app.add_option("--config", config_path, "Cluster config (replica endpoints)")->required();
  app.add_option("--sessions,-s", s.sessions, "Client sessions (one connection per replica each)");
  app.add_option("--pipeline,-p", s.pipeline, "Ops in flight per session");
  app.add_option("--ops,-n", s.ops, "Total ops across all sessions");
  app.add_option("--weak-ratio", s.weak_ratio, "Percent of ops that are weak (causal)");
  app.add_option("--writes", s.writes, "Percent of strong ops that are writes");
  app.add_option("--weak-writes", s.weak_writes, "Percent of weak ops that are writes");
  app.add_option("--value-bytes", s.value_bytes, "Bytes per written value");
  app.add_option("--key-space", s.key_space, "Keys are uniform in [0, key-space)");
  app.add_option("--nearest", s.nearest, "Replica index weak reads go to");
  app.add_option("--client-id-base", s.client_id_base, "Session ids are base, base+1, ...");
  app.add_option("--timeout-s", s.timeout_s, "Give up after this many seconds");
  app.add_option("--seed", s.seed, "Random seed of the op mix");
  app.add_flag("--workload-from-config", from_config,
               "Take weakRatio, writes, weakWrites, commandSize, keySpace from the config");
  if (const std::optional<int> code = hd::cli_parse::parse(app, argc, argv)) return *code;
  auto loaded = hd::config::load_cluster_config(config_path);
  if (!loaded.is_ok()) {
    std::fprintf(stderr, "replica_bench_client: %s\n", loaded.status().message().c_str());
    return 2;
  }
  const auto& config = loaded.value();
  if (from_config) {
    s.weak_ratio = config.weak_ratio;
    s.writes = config.writes;
    s.weak_writes = config.weak_writes;
    s.value_bytes = config.command_size;
    s.key_space = config.key_space;
  }
  if (s.sessions == 0 || s.pipeline == 0 || s.key_space == 0 ||
      s.nearest >= config.replicas.size()) {
    std::fprintf(stderr,
                 "replica_bench_client: sessions, pipeline, key-space must be > 0 and "
                 "nearest a replica index\n");
    return 2;
  }

  asio::io_context io(1);
  std::vector<Session> sessions(s.sessions);
  for (uint32_t i = 0; i < s.sessions; ++i) {
    hd::client::AsyncClientOptions opts;
    opts.session = hd::client::session_config_from(config, hd::core::ClientId{s.client_id_base + i},
                                                   s.nearest);
    opts.log = hd::io::Logger("bench", hd::io::LogLevel::kWarn);
    sessions[i].client = std::make_unique<AsyncClient>(io, std::move(opts));
    sessions[i].rng.seed(s.seed * 1000003 + i);
    if (auto st = sessions[i].client->start(config); !st.is_ok()) {
      std::fprintf(stderr, "replica_bench_client: %s\n", st.message().c_str());
      return 1;
    }
  }
  // Bounded wait for every session to reach every replica.
  const auto connect_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto all_connected = [&] {
    for (auto& se : sessions) {
      if (se.client->connected_count() < config.replicas.size()) return false;
    }
    return true;
  };
  while (!all_connected() && std::chrono::steady_clock::now() < connect_deadline) {
    io.run_for(std::chrono::milliseconds(10));
  }
  if (!all_connected()) {
    std::fprintf(stderr, "replica_bench_client: not connected to every replica after 10 s\n");
    return 1;
  }

  const std::string value(s.value_bytes, 'v');
  uint64_t issued = 0;
  uint64_t completed = 0;
  uint64_t timeouts = 0;
  uint64_t fast = 0;
  uint64_t slow = 0;
  uint64_t weak = 0;
  std::vector<uint64_t> latency_us;
  latency_us.reserve(s.ops);

  std::function<void(Session&)> issue = [&](Session& se) {
    if (issued >= s.ops) return;
    ++issued;
    const uint64_t key = se.rng() % s.key_space;
    const bool is_weak = se.rng() % 100 < s.weak_ratio;
    const bool is_write = se.rng() % 100 < (is_weak ? s.weak_writes : s.writes);
    const OpClass op = is_weak ? (is_write ? OpClass::kWeakWrite : OpClass::kWeakRead)
                               : (is_write ? OpClass::kStrongWrite : OpClass::kStrongRead);
    se.client->submit(op, key, is_write ? value : std::string(),
                      [&, sp = &se](const Completion& c) {
                        ++completed;
                        if (c.outcome != hd::client::Outcome::kOk) {
                          ++timeouts;
                        } else {
                          latency_us.push_back(c.completed_us - c.submitted_us);
                          if (c.path == hd::client::Path::kFast) ++fast;
                          if (c.path == hd::client::Path::kSlow) ++slow;
                          if (c.path == hd::client::Path::kNone) ++weak;
                        }
                        issue(*sp);
                      });
  };
  const auto t0 = std::chrono::steady_clock::now();
  for (auto& se : sessions) {
    for (uint32_t k = 0; k < s.pipeline; ++k) issue(se);
  }
  const auto deadline = t0 + std::chrono::seconds(s.timeout_s);
  while (completed < s.ops && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(50));
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto& se : sessions) se.client->close();

  std::sort(latency_us.begin(), latency_us.end());
  std::printf("sessions=%u pipeline=%u ops=%lu completed=%lu timeouts=%lu in %.3f s\n", s.sessions,
              s.pipeline, s.ops, completed, timeouts, secs);
  std::printf("Throughput: %.0f ops/sec\n", static_cast<double>(completed) / secs);
  std::printf("Latency us: p50=%lu p99=%lu max=%lu  (strong fast=%lu slow=%lu, weak=%lu)\n",
              percentile(latency_us, 0.50), percentile(latency_us, 0.99),
              latency_us.empty() ? 0UL : latency_us.back(), fast, slow, weak);
  return completed == s.ops && timeouts == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "replica_bench_client: fatal: %s\n", e.what());
    return 1;
  }
}
