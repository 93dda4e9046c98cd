// The seed workload is described once: configs/local.conf. The embedded
// default of `heapdrift bench` is that file compiled in, and the golden runs
// (tests/data/runs/gen/record.sh) are recorded from it; these tests fail when
// one of them drifts from it.
#include "launcher/default_config.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "replica/config/cluster_config.h"

namespace {

namespace fs = std::filesystem;
using hd::config::ClusterConfig;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ClusterConfig parse(const std::string& text, const std::string& name) {
  auto c = hd::config::parse_cluster_config(text, name);
  REQUIRE_MESSAGE(c.is_ok(), name << ": " << (c.is_ok() ? "" : c.status().message()));
  return *c;
}

// The workload and cluster shape: what must agree wherever the seed workload
// is described (ports, profiling and sweep keys may differ).
void check_same_workload(const ClusterConfig& a, const ClusterConfig& b, const std::string& what) {
  INFO(what);
  CHECK(a.replicas.size() == b.replicas.size());
  CHECK(a.clients.size() == b.clients.size());
  for (size_t i = 0; i < std::min(a.replicas.size(), b.replicas.size()); ++i)
    CHECK(a.replicas[i].alias == b.replicas[i].alias);
  for (size_t i = 0; i < std::min(a.clients.size(), b.clients.size()); ++i)
    CHECK(a.clients[i].alias == b.clients[i].alias);
  CHECK(a.protocol == b.protocol);
  CHECK(a.writes == b.writes);
  CHECK(a.conflicts == b.conflicts);
  CHECK(a.command_size == b.command_size);
  CHECK(a.client_threads == b.client_threads);
  CHECK(a.pipeline == b.pipeline);
  CHECK(a.pendings == b.pendings);
  CHECK(a.weak_ratio == b.weak_ratio);
  CHECK(a.weak_writes == b.weak_writes);
  CHECK(a.key_space == b.key_space);
  CHECK(a.zipf_skew == b.zipf_skew);
  CHECK(a.allocator == b.allocator);
}

const fs::path kSource = HEAPDRIFT_SOURCE_DIR;

}  // namespace

TEST_CASE("default config: the embedded text is configs/local.conf as built") {
  CHECK(std::string(hd::launcher::local_conf_text()) ==
        read_file(kSource / "configs" / "local.conf"));
}

TEST_CASE("default config: local.conf on the given ports, with the sweep's profiling keys") {
  const ClusterConfig local = parse(read_file(kSource / "configs" / "local.conf"), "local.conf");
  const std::vector<uint16_t> ports = {41001, 41002, 41003, 41004, 41005};
  const ClusterConfig d =
      parse(hd::launcher::default_config_text(ports, {10000, 100000}, false), "default");
  check_same_workload(d, local, "embedded default vs configs/local.conf");
  CHECK(d.reqs == local.reqs);
  REQUIRE(d.replicas.size() == 3);
  REQUIRE(d.clients.size() == 2);
  for (size_t i = 0; i < 3; ++i) CHECK(d.replicas[i].port == ports[i]);
  for (size_t i = 0; i < 2; ++i) CHECK(d.clients[i].port == ports[3 + i]);
  for (const auto& e : d.replicas) CHECK(e.host == "127.0.0.1");
  CHECK(d.ops_sweep == std::vector<uint64_t>{10000, 100000});
  // No fixed milestones or sampling rate: each process chooses them from its
  // run's length (memprof/recording_plan.h); an explicit config's win.
  CHECK(d.heap_profile_at.empty());
  CHECK_FALSE(d.lg_prof_sample.has_value());
  CHECK(d.snapshot_interval_ms == 100);
  CHECK_FALSE(d.cpu_profile);

  const ClusterConfig shortsweep =
      parse(hd::launcher::default_config_text(ports, {2000, 20000}, true), "short");
  CHECK(shortsweep.ops_sweep == std::vector<uint64_t>{2000, 20000});
  CHECK(shortsweep.heap_profile_at.empty());
  CHECK(shortsweep.snapshot_interval_ms == 100);
  CHECK(shortsweep.cpu_profile);
}

TEST_CASE("default config: rewrite_config keeps comments, moves ports, sets and appends keys") {
  const std::string text =
      "// a comment\n-- Replicas --\nr0 10.0.0.1:7070 // first\nr1 10.0.0.2:7071\n"
      "-- Clients --\nc0 10.0.0.3:7080\nreqs: 5   // per thread\nkeySpace: 10\n";
  const std::string out =
      hd::launcher::rewrite_config(text, {1, 2, 3}, {{"keySpace", "99"}, {"iterations", "2"}});
  CHECK(out ==
        "// a comment\n-- Replicas --\nr0 10.0.0.1:1\nr1 10.0.0.2:2\n"
        "-- Clients --\nc0 10.0.0.3:3\nreqs: 5   // per thread\nkeySpace: 99\niterations: 2\n");
}

TEST_CASE("default config: every golden run was recorded with the seed workload of local.conf") {
  const ClusterConfig local = parse(read_file(kSource / "configs" / "local.conf"), "local.conf");
  size_t checked = 0;
  for (const auto& run : fs::directory_iterator(kSource / "tests" / "data" / "runs")) {
    for (const auto& proc : fs::directory_iterator(run.path())) {
      const fs::path meta = proc.path() / "meta.json";
      if (!fs::exists(meta)) continue;
      const auto j = nlohmann::json::parse(read_file(meta));
      const ClusterConfig c = parse(j.at("config").at("text").get<std::string>(), meta.string());
      check_same_workload(c, local, meta.string());
      ++checked;
    }
  }
  CHECK(checked >= 10);  // the golden runs are committed: none found is a broken checkout
}
