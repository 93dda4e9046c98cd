// The free-port check of an explicit config (Cluster::prepare) binds an
// address only when it is this machine's (port_check_binds_here): issue 15's
// `heapdrift bench my.conf` with a host 192.0.2.1 was refused as "port ... is
// already in use" because the address was bound here, where it does not
// exist. Nothing here contacts another machine: 192.0.2.1 is TEST-NET-1 and
// the ssh command is replaced by `false` (HEAPDRIFT_SSH).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "launcher/cluster.h"
#include "launcher/launcher.h"
#include "replica/config/cluster_config.h"
#include "skip.h"

namespace {

namespace fs = std::filesystem;
using hd::launcher::port_check_binds_here;

// An IPv4 address of a local interface other than loopback; "" if none.
std::string non_loopback_local_address() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* i = list; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN] = {};
    const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf) != nullptr &&
        std::string(buf).rfind("127.", 0) != 0)
      found = buf;
  }
  freeifaddrs(list);
  return found;
}

const std::string kLocalInterface = non_loopback_local_address();

// A socket listening on 127.0.0.1:port (closed on destruction).
struct Listener {
  int fd = -1;
  uint16_t port = 0;
  Listener() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(fd, 1) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port = ntohs(a.sin_port);
  }
  ~Listener() {
    if (fd >= 0) close(fd);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
};

}  // namespace

TEST_CASE("port check: binds only this machine's addresses") {
  CHECK(port_check_binds_here("127.0.0.1"));
  CHECK(port_check_binds_here("127.3.4.5"));
  CHECK(port_check_binds_here("localhost"));
  // TEST-NET addresses (RFC 5737) are never this machine's.
  CHECK_FALSE(port_check_binds_here("192.0.2.1"));
  CHECK_FALSE(port_check_binds_here("198.51.100.7"));
  CHECK_FALSE(port_check_binds_here("remote-host.invalid"));
}

TEST_CASE("port check: an address of a local interface is bound here" *
          HD_SKIP_IF(kLocalInterface.empty(), "no non-loopback IPv4 interface on this machine")) {
  CHECK(port_check_binds_here(kLocalInterface));
}

TEST_CASE("port check: a remote address is not reported in use; a busy local port is") {
  Listener busy;
  REQUIRE(busy.port != 0);
  auto local = hd::launcher::make_local_launcher();
  CHECK_FALSE(local->port_free("127.0.0.1", busy.port));
  // Binding 192.0.2.1 here fails (EADDRNOTAVAIL): that used to read as "in use".
  CHECK(local->port_free("192.0.2.1", busy.port));
  // The ssh launcher's ports are on the other machine: not checked here, even
  // for a loopback address (the other machine's loopback).
  auto ssh = hd::launcher::make_ssh_launcher("192.0.2.1", "/tmp/hd-port-check-unused");
  CHECK(ssh->port_free("192.0.2.1", busy.port));
  CHECK(ssh->port_free("127.0.0.1", busy.port));
}

TEST_CASE("port check: a config with a remote host is not refused by the port check") {
  const std::string dir =
      (fs::temp_directory_path() / ("hd-port-check-" + std::to_string(getpid()))).string();
  fs::create_directories(dir);
  const std::string conf = dir + "/remote.conf";
  std::ofstream(conf) << "-- Replicas --\nreplica0 192.0.2.1:7070\nreplica1 192.0.2.1:7071\n"
                         "replica2 192.0.2.1:7072\n-- Clients --\nclient0 192.0.2.1\n"
                         "protocol: curpht\n";
  auto cfg = hd::config::load_cluster_config(conf);
  REQUIRE(cfg.is_ok());
  // The stand-in ssh fails at once: prepare() gets past the port check and
  // fails at staging the config, never touching the network.
  REQUIRE(setenv("HEAPDRIFT_SSH", "false", 1) == 0);
  hd::launcher::Cluster cluster(std::move(cfg).value(), conf);
  const hd::Status st = cluster.prepare();
  unsetenv("HEAPDRIFT_SSH");
  REQUIRE_FALSE(st.is_ok());
  INFO(st.message());
  CHECK(st.message().find("already in use") == std::string::npos);
  CHECK(st.message().find("ssh 192.0.2.1") != std::string::npos);
  std::error_code ec;
  fs::remove_all(dir, ec);
}
