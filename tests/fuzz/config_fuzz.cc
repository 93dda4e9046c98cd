// libFuzzer target for the seed-style .conf reader (replica/config). Any text
// must give a config or an error naming the file (and a line), never a crash
// or a hang; an accepted config must satisfy what the programs rely on:
// aliases are safe folder names, unique over replicas and clients, and
// ports of endpoints that have one are non-zero.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "base/check.h"
#include "replica/config/cluster_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hd::config;
  const std::string text(reinterpret_cast<const char*>(data), size);
  hd::Result<ClusterConfig> c = parse_cluster_config(text, "fuzz.conf");
  if (!c.is_ok()) {
    HD_CHECK(c.status().message().starts_with("fuzz.conf"));
    return 0;
  }
  std::set<std::string> aliases;
  for (const auto* list : {&c->replicas, &c->clients}) {
    for (const Endpoint& e : *list) {
      HD_CHECK(!e.alias.empty() && e.alias.size() <= 64);
      HD_CHECK(e.alias != "." && e.alias != "..");
      HD_CHECK(e.alias.find('/') == std::string::npos);
      HD_CHECK(aliases.insert(e.alias).second);
      HD_CHECK(!e.host.empty());
    }
  }
  for (const Endpoint& r : c->replicas) HD_CHECK(r.port != 0);
  for (size_t i = 1; i < c->ops_sweep.size(); ++i) HD_CHECK(c->ops_sweep[i] > c->ops_sweep[i - 1]);
  return 0;
}
