// The embedded default config; see default_config.h.
#include "launcher/default_config.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "launcher/local_conf.h"  // generated from configs/local.conf

namespace hd::launcher {

namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// "alias host:port" (a `key: value` line has its colon in the first word).
bool is_endpoint(const std::string& code) {
  std::istringstream words(code);
  std::string alias, address;
  if (!(words >> alias >> address) || alias.find(':') != std::string::npos) return false;
  const size_t colon = address.rfind(':');
  return colon != std::string::npos && colon + 1 < address.size() &&
         address.find_first_not_of("0123456789", colon + 1) == std::string::npos;
}

}  // namespace

std::string comma_list(const std::vector<uint64_t>& v) {
  std::string s;
  for (auto x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

const char* local_conf_text() {
  return kLocalConfText;
}

std::string rewrite_config(const std::string& text, const std::vector<uint16_t>& ports,
                           const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::istringstream in(text);
  std::ostringstream out;
  std::set<std::string> seen;
  size_t endpoint = 0;
  bool in_endpoints = false;
  for (std::string line; std::getline(in, line);) {
    const std::string code = trim(line.substr(0, line.find("//")));
    if (code.starts_with("--")) {
      in_endpoints =
          code.find("Replicas") != std::string::npos || code.find("Clients") != std::string::npos;
    } else if (in_endpoints && is_endpoint(code)) {
      // "alias host:port": a new port for the next endpoint.
      const size_t colon = code.rfind(':');
      if (endpoint < ports.size())
        line = code.substr(0, colon + 1) + std::to_string(ports[endpoint]);
      ++endpoint;
    } else if (const size_t colon = code.find(':'); colon != std::string::npos) {
      const std::string key = trim(code.substr(0, colon));
      for (const auto& [k, v] : overrides) {
        if (k != key) continue;
        line = key + ": " + v;
        seen.insert(key);
      }
    }
    out << line << "\n";
  }
  for (const auto& [k, v] : overrides)
    if (!seen.count(k)) out << k << ": " << v << "\n";
  return out.str();
}

std::string default_config_text(const std::vector<uint16_t>& ports,
                                const std::vector<uint64_t>& sweep, bool cpu_profile) {
  // No heapProfileAt and no lgProfSample: each process chooses its
  // milestones and sampling rate from the length of the run it is in
  // (memprof/recording_plan.h), and snapshots on its op count as well as on
  // the timer, so a short, fast run is as densely recorded as a long one.
  std::vector<std::pair<std::string, std::string>> overrides = {
      {"opsSweep", comma_list(sweep.empty() ? kDefaultSweep : sweep)}, {"iterations", "1"}};
  if (cpu_profile) overrides.emplace_back("cpuProfile", "true");
  return "// heapdrift bench: the embedded default (configs/local.conf on free ports)\n" +
         rewrite_config(local_conf_text(), ports, overrides);
}

}  // namespace hd::launcher
