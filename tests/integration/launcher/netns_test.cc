// Multi-host `heapdrift bench` on one machine: three network namespaces this
// test creates (ip netns, veth pairs on a bridge, 10.x addresses, `tc netem`
// delay 5 ms when the kernel has netem), one replica per namespace and the two
// loadgens beside replica0 and replica1, a short sweep across them, then every
// namespace, veth and the bridge deleted. Skipped (and named as skipped) when
// not root, without the ip tool, or when this kernel refuses new network
// namespaces; once those hold, a topology that cannot be built is a failure.
#include <doctest/doctest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "integration/cluster_harness.h"
#include "launcher/launcher.h"
#include "skip.h"

namespace fs = std::filesystem;
namespace hl = hd::launcher;

namespace {

// Decided at start-up: why this machine cannot run the test, or "".
const std::string& netns_unavailable() {
  static const std::string why = [] {
    if (geteuid() != 0) return std::string("needs root to create network namespaces");
    if (access("/usr/sbin/ip", X_OK) != 0 && access("/sbin/ip", X_OK) != 0 &&
        access("/usr/bin/ip", X_OK) != 0 && access("/bin/ip", X_OK) != 0) {
      return std::string("the ip tool (iproute2) is not installed");
    }
    // A forked child asks for a network namespace of its own (and exits).
    const pid_t pid = fork();
    if (pid == 0) _exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      return std::string("this kernel or container refuses new network namespaces");
    }
    return std::string();
  }();
  return why;
}

int sh(const std::string& cmd, std::string* out = nullptr) {
  return hl::run_command({"sh", "-c", cmd}, std::chrono::seconds(20), out);
}

// Namespaces, veths and the bridge of one test, removed in the destructor.
class Topology {
 public:
  explicit Topology(int hosts) {
    const int tag = static_cast<int>(getpid() % 10000);
    subnet_ = "10.213." + std::to_string(getpid() % 250) + ".";
    bridge_ = "hdbr" + std::to_string(tag);
    for (int i = 0; i < hosts; ++i)
      ns_.push_back("hd-bench-" + std::to_string(tag) + "-" + std::to_string(i));
  }
  ~Topology() {
    for (const auto& n : ns_) sh("ip netns del " + n + " 2>/dev/null");  // deletes its veth pair
    sh("ip link del " + bridge_ + " 2>/dev/null");
  }
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  // Builds everything; false with *why on the first failure.
  bool build(std::string* why) {
    if (sh("ip link add " + bridge_ + " type bridge && ip link set " + bridge_ + " up", why) != 0)
      return false;
    for (size_t i = 0; i < ns_.size(); ++i) {
      const std::string outer = bridge_ + "o" + std::to_string(i);
      const std::string inner = bridge_ + "i" + std::to_string(i);
      const std::string in_ns = "ip netns exec " + ns_[i] + " ";
      const std::string cmd = "ip netns add " + ns_[i] + " && ip link add " + outer +
                              " type veth peer name " + inner + " && ip link set " + inner +
                              " netns " + ns_[i] + " && ip link set " + outer + " master " +
                              bridge_ + " && ip link set " + outer + " up && " + in_ns +
                              "ip addr add " + host(i) + "/24 dev " + inner + " && " + in_ns +
                              "ip link set " + inner + " up && " + in_ns + "ip link set lo up";
      if (sh(cmd, why) != 0) return false;
      std::string netem_err;
      if (sh(in_ns + "tc qdisc add dev " + inner + " root netem delay 5ms", &netem_err) == 0) {
        netem_ = true;
      } else if (i == 0) {
        MESSAGE("tc netem unavailable (" << netem_err
                                         << "); the replicas inject the 5 ms delay instead "
                                            "(networkDelay)");
      }
    }
    return true;
  }

  std::string host(size_t i) const { return subnet_ + std::to_string(i + 1); }
  const std::string& ns(size_t i) const { return ns_[i]; }
  bool netem() const { return netem_; }

 private:
  std::string subnet_, bridge_;
  std::vector<std::string> ns_;
  bool netem_ = false;
};

}  // namespace

TEST_CASE("bench: a sweep across three network namespaces" *
          HD_SKIP_IF(!netns_unavailable().empty(), netns_unavailable().c_str())) {
  Topology topo(3);
  std::string why;
  INFO("building the namespace topology: " << why);
  REQUIRE(topo.build(&why));
  char tmpl[] = "/tmp/hd-bench-netns-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  const std::string conf = dir + "/netns.conf";
  {
    std::ofstream c(conf);
    c << "-- Replicas --\n";
    for (size_t i = 0; i < 3; ++i) c << "replica" << i << " " << topo.host(i) << ":7070\n";
    c << "-- Clients --\nclient0 " << topo.host(0) << "\nclient1 " << topo.host(1) << "\n"
      << "protocol: curpht\nclientThreads: 2\npendings: 10\nweakRatio: 50\nzipfSkew: 0.99\n"
      << "snapshotIntervalMs: 25\nheapProfileAt: 300,600,900,1200,1500\n"
      << (topo.netem() ? "" : "networkDelay: 5\n");
  }
  std::vector<std::string> args = {"bench", conf,         "--sweep",    "1000,3000",
                                   "--out", dir + "/out", "--progress", "lines"};
  for (size_t i = 0; i < 3; ++i)
    args.insert(args.end(), {"--netns", topo.host(i) + "=" + topo.ns(i)});
  std::string log;
  const int status =
      hd::test::run_to_exit(hd::test::bin_path("heapdrift"), args, std::chrono::minutes(3), &log);
  INFO(log);
  REQUIRE(status != -1);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(fs::exists(dir + "/out/index.html"));
  // Each replica listened on its namespace's address.
  for (size_t i = 0; i < 3; ++i) {
    std::ifstream in(dir + "/out/runs/ops3000-it1/replica" + std::to_string(i) + ".log");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    CHECK_MESSAGE(text.find("listening on " + topo.host(i)) != std::string::npos, text);
  }
  // The delay is visible: no strong op completes in under 2 x 5 ms round trips.
  std::ifstream in(dir + "/out/runs/ops3000-it1/merged.json");
  const auto merged = nlohmann::json::parse(in);
  for (const char* cls : {"strong_read", "strong_write"}) {
    const auto& h = merged.at("classes").at(cls).at("histogram");
    if (merged.at("classes").at(cls).at("count").get<uint64_t>() == 0) continue;
    // Every strong op needs replicas in other namespaces: >= 2 delayed hops.
    CHECK_MESSAGE(h.at("min_ns").get<uint64_t>() >= 9'500'000, cls);
  }
  if (std::getenv("HD_KEEP_TEST_DIRS") == nullptr) fs::remove_all(dir);
}
