// Seed-style .conf reader. The grammar is the original system's (see
// cluster_config.h); the strictness is heapdrift's: every line is either
// understood, a comment, or an error naming file, line and key.
#include "replica/config/cluster_config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace hd::config {
namespace {

// An alias becomes a folder and file name (run folders, logs): a safe,
// portable name that cannot climb out of the output folder.
bool valid_alias(const std::string& a) {
  if (a.empty() || a.size() > 64 || a == "." || a == "..") return false;
  for (const char c : a) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

bool is_comment_word(const std::string& w) {
  return w.starts_with("//") || w.starts_with("#");
}

enum class Section { kNone, kReplicas, kClients, kMaster, kProxy };

// Keys of the original system that heapdrift accepts but does not use.
const std::set<std::string>& ignored_original_keys() {
  static const std::set<std::string> keys = {"masterport", "maxdescroutines", "batchdelayus",
                                             "noop",       "thrifty",         "fast",
                                             "scanratio",  "scancount",       "key"};
  return keys;
}

class Parser {
 public:
  explicit Parser(std::string name) : name_(std::move(name)) { cfg_.path = name_; }

  Result<ClusterConfig> parse(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (Status s = parse_line(line, line_no); !s) return s;
    }
    if (Status s = finish(); !s) return s;
    return std::move(cfg_);
  }

 private:
  Status error_at(int line, const std::string& what) const {
    return Status::error(name_ + ":" + std::to_string(line) + ": " + what);
  }

  Status parse_line(std::string line, int line_no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::vector<std::string> words = split_words(line);
    if (words.empty() || is_comment_word(words[0])) return Status::ok();

    // Section headers: "-- Name --"; the original's Proxy section ends with "---".
    if (words[0] == "---" && words.size() == 1) {
      section_ = Section::kNone;
      group_.reset();
      return Status::ok();
    }
    if (words[0] == "--") {
      if (words.size() != 3 || words[2] != "--") {
        return error_at(line_no, "malformed section header '" + line + "' (expected '-- Name --')");
      }
      const std::string name = lower(words[1]);
      group_.reset();  // a server_alias group ends with its section
      if (name == "replicas")
        section_ = Section::kReplicas;
      else if (name == "clients")
        section_ = Section::kClients;
      else if (name == "master")
        section_ = Section::kMaster;
      else if (name == "proxy")
        section_ = Section::kProxy;
      else
        return error_at(line_no, "unknown section '" + words[1] +
                                     "' (known: Replicas, Clients, Master, Proxy)");
      if (section_ == Section::kMaster) {
        notice(line_no, "section '" + words[1] +
                            "' of the original system is not used by heapdrift; ignored");
      }
      return Status::ok();
    }

    if (words[0].size() > 1 && words[0].back() == ':') {
      return parse_setting(words, line_no);
    }

    switch (section_) {
      case Section::kReplicas:
      case Section::kClients:
        return parse_endpoint(words, line_no);
      case Section::kProxy:
        return parse_proxy(words, line_no);
      case Section::kMaster:
        return Status::ok();  // reported once at the section header
      case Section::kNone:
        break;
    }
    return error_at(line_no,
                    "malformed line '" + line +
                        "' (expected 'key: value', an endpoint inside a section, or a // comment)");
  }

  Status parse_endpoint(const std::vector<std::string>& words, int line_no) {
    const bool replica = section_ == Section::kReplicas;
    if (words.size() < 2 || (words.size() > 2 && !is_comment_word(words[2]))) {
      return error_at(line_no, std::string("malformed ") + (replica ? "replica" : "client") +
                                   " line (expected 'alias host[:port]')");
    }
    Endpoint ep;
    ep.alias = words[0];
    ep.line = line_no;
    if (!valid_alias(ep.alias)) {
      return error_at(line_no, "alias '" + ep.alias +
                                   "' must be 1-64 characters of [A-Za-z0-9_.-], not '.' or '..' "
                                   "(aliases name run folders and files)");
    }
    std::string host = words[1];
    if (auto colon = host.rfind(':'); colon != std::string::npos) {
      const std::string port_text = host.substr(colon + 1);
      unsigned port = 0;
      auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
      if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 ||
          port > 65535) {
        return error_at(line_no, "endpoint '" + ep.alias + "': bad port '" + port_text + "'");
      }
      ep.port = static_cast<uint16_t>(port);
      host.resize(colon);
    }
    if (host.empty()) return error_at(line_no, "endpoint '" + ep.alias + "': empty host");
    ep.host = host;
    auto& list = replica ? cfg_.replicas : cfg_.clients;
    // Unique over replicas and clients together: each process gets a run folder by alias.
    for (const auto* others : {&cfg_.replicas, &cfg_.clients}) {
      for (const Endpoint& other : *others) {
        if (other.alias == ep.alias) {
          return error_at(line_no, "duplicate alias '" + ep.alias + "' (first at line " +
                                       std::to_string(other.line) + ")");
        }
      }
    }
    if (replica && ep.port == 0) {
      // The original derived a replica's port from its index in the list.
      ep.port = static_cast<uint16_t>(kDefaultReplicaBasePort + list.size());
    }
    list.push_back(std::move(ep));
    return Status::ok();
  }

  // `-- Proxy --` as the original wrote it: `server_alias <replica>` starts a
  // group, each following `<client> [(local)]` binds that client to it. The
  // aliases are checked against Replicas/Clients in finish() (either section
  // may come later in the file).
  Status parse_proxy(const std::vector<std::string>& words, int line_no) {
    const bool trailing = words.size() > 2 && !is_comment_word(words[2]);
    if (words[0] == "server_alias") {
      if (words.size() < 2 || is_comment_word(words[1]) || trailing) {
        return error_at(line_no, "-- Proxy --: expected 'server_alias <replica alias>'");
      }
      group_ = ProxyGroup{words[1], line_no};
      return Status::ok();
    }
    if (trailing || (words.size() > 1 && words[1] != "(local)" && !is_comment_word(words[1]))) {
      return error_at(line_no, "-- Proxy --: expected '<client alias> [(local)]', got '" +
                                   words[0] + " " + words[1] + "'");
    }
    if (!group_) {
      return error_at(line_no, "-- Proxy --: client '" + words[0] +
                                   "' before any 'server_alias <replica alias>' line");
    }
    for (const ProxyLine& p : proxy_lines_) {
      if (p.client == words[0]) {
        return error_at(line_no, "-- Proxy --: client '" + words[0] +
                                     "' bound twice (first at line " + std::to_string(p.line) +
                                     ")");
      }
    }
    proxy_lines_.push_back(ProxyLine{words[0], line_no, *group_});
    return Status::ok();
  }

  Status finish_proxy() {
    auto aliases = [](const std::vector<Endpoint>& list) {
      std::string known;
      for (const Endpoint& e : list) known += (known.empty() ? "" : ", ") + e.alias;
      return known.empty() ? std::string("none") : known;
    };
    for (const ProxyLine& p : proxy_lines_) {
      if (cfg_.replica_index(p.group.replica) < 0) {
        return error_at(p.group.line, "-- Proxy --: server_alias '" + p.group.replica +
                                          "' is not a replica of the config (replicas: " +
                                          aliases(cfg_.replicas) + ")");
      }
      if (cfg_.client_index(p.client) < 0) {
        return error_at(
            p.line, "-- Proxy --: '" + p.client +
                        "' is not a client of the config (clients: " + aliases(cfg_.clients) + ")");
      }
      cfg_.proxy[p.client] = p.group.replica;
    }
    return Status::ok();
  }

  Status parse_setting(const std::vector<std::string>& words, int line_no) {
    std::string key_written = words[0].substr(0, words[0].size() - 1);
    const std::string key = lower(key_written);
    if (words.size() < 2 || is_comment_word(words[1])) {
      return error_at(line_no, "key '" + key_written + "' has no value");
    }
    if (words.size() > 2 && !is_comment_word(words[2])) {
      return error_at(line_no, "key '" + key_written + "': unexpected text after the value '" +
                                   words[1] + "' (use // for comments)");
    }
    if (auto it = seen_.find(key); it != seen_.end()) {
      return error_at(line_no, "key '" + key_written + "' given twice (first at line " +
                                   std::to_string(it->second) + ")");
    }
    seen_[key] = line_no;
    const std::string& value = words[1];

    if (ignored_original_keys().count(key)) {
      notice(line_no,
             "key '" + key_written +
                 "' is a setting of the original system that heapdrift does not use; ignored");
      return Status::ok();
    }
    auto handler = handlers().find(key);
    if (handler == handlers().end()) {
      return error_at(line_no, "unknown key '" + key_written + "'" + suggestion(key));
    }
    std::string problem;
    if (!handler->second(*this, value, problem)) {
      return error_at(line_no, "key '" + key_written + "': " + problem);
    }
    return Status::ok();
  }

  using Handler = std::function<bool(Parser&, const std::string&, std::string&)>;

  static bool parse_u64(const std::string& v, uint64_t& out, std::string& problem) {
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || p != v.data() + v.size()) {
      problem = "'" + v + "' is not a non-negative integer";
      return false;
    }
    return true;
  }
  template <typename T>
  static Handler uint_field(T ClusterConfig::*field, uint64_t min, uint64_t max) {
    return [field, min, max](Parser& p, const std::string& v, std::string& problem) {
      uint64_t x = 0;
      if (!parse_u64(v, x, problem)) return false;
      if (x < min || x > max) {
        problem = "value " + v + " out of range [" + std::to_string(min) + ", " +
                  std::to_string(max) + "]";
        return false;
      }
      p.cfg_.*field = static_cast<T>(x);
      return true;
    };
  }
  static Handler percent_field(uint32_t ClusterConfig::*field) { return uint_field(field, 0, 100); }
  static Handler bool_field(bool ClusterConfig::*field) {
    return [field](Parser& p, const std::string& v, std::string& problem) {
      const std::string l = lower(v);
      if (l == "true" || l == "1")
        p.cfg_.*field = true;
      else if (l == "false" || l == "0")
        p.cfg_.*field = false;
      else {
        problem = "'" + v + "' is not a boolean (true/false)";
        return false;
      }
      return true;
    };
  }
  static Handler list_field(std::vector<uint64_t> ClusterConfig::*field) {
    return [field](Parser& p, const std::string& v, std::string& problem) {
      std::vector<uint64_t> out;
      std::string item;
      std::istringstream in(v);
      while (std::getline(in, item, ',')) {
        uint64_t x = 0;
        if (item.empty() || !parse_u64(item, x, problem) || x == 0) {
          if (problem.empty()) problem = "list item '" + item + "' is not a positive integer";
          return false;
        }
        out.push_back(x);
      }
      if (!std::is_sorted(out.begin(), out.end())) {
        problem = "list '" + v + "' must be increasing";
        return false;
      }
      p.cfg_.*field = std::move(out);
      return true;
    };
  }

  static const std::map<std::string, Handler>& handlers() {
    static const std::map<std::string, Handler> h = {
        {"protocol",
         [](Parser& p, const std::string& v, std::string& problem) {
           if (!known_protocol(lower(v))) {
             problem = "protocol '" + v + "' is not one of curpht, curpho";
             return false;
           }
           p.cfg_.protocol = lower(v);
           return true;
         }},
        {"heartbeatms", uint_field(&ClusterConfig::heartbeat_ms, 1, 60000)},
        {"followerdeadafterms", uint_field(&ClusterConfig::follower_dead_after_ms, 1, 3600000)},
        {"maxretainedentries", uint_field(&ClusterConfig::max_retained_entries, 1, 1ull << 40)},
        {"networkdelay", uint_field(&ClusterConfig::network_delay_ms, 0, 60000)},
        {"reqs", uint_field(&ClusterConfig::reqs, 0, 1ull << 40)},
        {"writes", percent_field(&ClusterConfig::writes)},
        {"conflicts", percent_field(&ClusterConfig::conflicts)},
        {"commandsize", uint_field(&ClusterConfig::command_size, 0, 1u << 20)},
        {"clientthreads",
         [](Parser& p, const std::string& v, std::string& problem) {
           p.client_threads_given_ = true;
           return uint_field(&ClusterConfig::client_threads, 1, 1024)(p, v, problem);
         }},
        {"clones",
         [](Parser& p, const std::string& v, std::string& problem) {
           // The original: clientThreads, else clones + 1.
           uint64_t x = 0;
           if (!parse_u64(v, x, problem)) return false;
           if (x > 1023) {
             problem = "value " + v + " out of range [0, 1023]";
             return false;
           }
           p.clones_ = static_cast<uint32_t>(x);
           return true;
         }},
        {"pipeline", bool_field(&ClusterConfig::pipeline)},
        {"pendings", uint_field(&ClusterConfig::pendings, 1, 100000)},
        {"weakratio", percent_field(&ClusterConfig::weak_ratio)},
        {"weakwrites", percent_field(&ClusterConfig::weak_writes)},
        {"keyspace", uint_field(&ClusterConfig::key_space, 1, 1ull << 40)},
        {"zipfskew",
         [](Parser& p, const std::string& v, std::string& problem) {
           double x = 0;
           auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
           if (ec != std::errc() || ptr != v.data() + v.size() || x < 0 || x > 10) {
             problem = "'" + v + "' is not a number in [0, 10]";
             return false;
           }
           p.cfg_.zipf_skew = x;
           return true;
         }},
        {"replytimeout", uint_field(&ClusterConfig::reply_timeout_ms, 1, 3600000)},
        {"allocator",
         [](Parser& p, const std::string& v, std::string& problem) {
           const std::string l = lower(v);
           if (l != "jemalloc" && l != "tcmalloc" && l != "glibc") {
             problem = "'" + v + "' is not one of jemalloc, tcmalloc, glibc";
             return false;
           }
           p.cfg_.allocator = l;
           return true;
         }},
        {"snapshotintervalms", uint_field(&ClusterConfig::snapshot_interval_ms, 1, 3600000)},
        {"lgprofsample", uint_field(&ClusterConfig::lg_prof_sample, 0, 40)},  // optional<uint32_t>
        {"heapprofileat", list_field(&ClusterConfig::heap_profile_at)},
        {"cpuprofile", bool_field(&ClusterConfig::cpu_profile)},
        {"opssweep", list_field(&ClusterConfig::ops_sweep)},
        {"iterations", uint_field(&ClusterConfig::iterations, 1, 1000)},
    };
    return h;
  }

  // "did you mean" for typos: the known key with the smallest edit distance.
  static std::string suggestion(const std::string& key) {
    auto distance = [](const std::string& a, const std::string& b) {
      std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
      for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
      for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
          cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
        }
        std::swap(prev, cur);
      }
      return prev[b.size()];
    };
    std::string best;
    size_t best_d = 3;  // suggest only close matches
    for (const auto& [known, handler] : handlers()) {
      if (size_t d = distance(key, known); d < best_d) best_d = d, best = known;
    }
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
  }

  void notice(int line, const std::string& what) {
    cfg_.notices.push_back(name_ + ":" + std::to_string(line) + ": note: " + what);
  }

  Status finish() {
    if (!client_threads_given_ && clones_.has_value()) cfg_.client_threads = *clones_ + 1;
    if (Status s = finish_proxy(); !s) return s;
    std::set<std::pair<std::string, uint16_t>> addrs;
    for (const Endpoint& r : cfg_.replicas) {
      if (!addrs.insert({r.host, r.port}).second) {
        return error_at(r.line, "replica '" + r.alias + "' uses " + r.host + ":" +
                                    std::to_string(r.port) + ", already used by another replica");
      }
    }
    return Status::ok();
  }

  std::string name_;
  ClusterConfig cfg_;
  Section section_ = Section::kNone;
  std::map<std::string, int> seen_;
  bool client_threads_given_ = false;
  std::optional<uint32_t> clones_;
  struct ProxyGroup {
    std::string replica;
    int line = 0;
  };
  struct ProxyLine {
    std::string client;
    int line = 0;
    ProxyGroup group;
  };
  std::optional<ProxyGroup> group_;  // the current server_alias, inside -- Proxy --
  std::vector<ProxyLine> proxy_lines_;
};

}  // namespace

int ClusterConfig::replica_index(const std::string& alias) const {
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (replicas[i].alias == alias) return static_cast<int>(i);
  }
  return -1;
}

int ClusterConfig::client_index(const std::string& alias) const {
  for (size_t i = 0; i < clients.size(); ++i) {
    if (clients[i].alias == alias) return static_cast<int>(i);
  }
  return -1;
}

int ClusterConfig::bound_replica(const std::string& client_alias) const {
  auto it = proxy.find(client_alias);
  return it == proxy.end() ? -1 : replica_index(it->second);
}

bool known_protocol(const std::string& name) {
  return std::find(std::begin(kProtocols), std::end(kProtocols), name) != std::end(kProtocols);
}

Result<ClusterConfig> parse_cluster_config(const std::string& text, const std::string& name) {
  return Parser(name).parse(text);
}

Result<ClusterConfig> load_cluster_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) && !ec)
      return Status::error(path + ": config file does not exist");
    return Status::error(path + ": cannot open config file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::error(path + ": read error");
  return parse_cluster_config(text.str(), path);
}

}  // namespace hd::config
