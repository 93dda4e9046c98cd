// Cluster: see cluster.h. Every wait is bounded; every process is stopped by
// the PID its launcher returned.
#include "launcher/cluster.h"

#include <unistd.h>

#include <fstream>
#include <thread>

namespace hd::launcher {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

std::string tail_of(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string l; std::getline(in, l);) all.push_back(l);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    out += "    " + all[i] + "\n";
  return out;
}

Cluster::Cluster(config::ClusterConfig config, std::string config_path, HostRoutes routes)
    : config_(std::move(config)),
      config_path_(std::move(config_path)),
      routes_(std::move(routes)),
      replicas_(config_.replicas.size()) {}

Cluster::~Cluster() {
  for (auto& m : others_)
    if (m.launcher != nullptr) m.launcher->crash(m.process);
  for (auto& m : replicas_)
    if (m.launcher != nullptr) m.launcher->crash(m.process);
}

Launcher& Cluster::launcher_for(const std::string& host) {
  for (auto& h : hosts_)
    if (h.name == host) return *h.launcher;
  const std::string remote_base = "/tmp/heapdrift-bench-" + std::to_string(getpid());
  Host h{host, nullptr};
  for (const auto& [from, ns] : routes_.netns)
    if (from == host) h.launcher = make_netns_launcher(ns);
  for (const auto& [from, dest] : routes_.ssh)
    if (from == host && !h.launcher) h.launcher = make_ssh_launcher(dest, remote_base);
  if (!h.launcher) {
    h.launcher = is_local_host(host) ? make_local_launcher() : make_ssh_launcher(host, remote_base);
  }
  hosts_.push_back(std::move(h));
  return *hosts_.back().launcher;
}

Status Cluster::prepare() {
  for (const auto& r : config_.replicas) {
    Launcher& l = launcher_for(r.host);
    if (!l.port_free(r.host, r.port))
      return Status::error(r.alias + ": port " + std::to_string(r.port) + " on " + r.host + " (" +
                           config_path_ + " line " + std::to_string(r.line) +
                           ") is already in use (" + l.describe() +
                           "); stop what listens there or choose other ports");
  }
  for (const auto& c : config_.clients) launcher_for(c.host);
  for (auto& h : hosts_) {
    if (auto st = h.launcher->stage_file(config_path_); !st) return st;
  }
  return Status::ok();
}

Status Cluster::start_replica(size_t i, const ReplicaLaunch& how) {
  const auto& r = config_.replicas.at(i);
  Member& m = replicas_.at(i);
  HD_CHECK(m.launcher == nullptr || m.process.exited);
  Launcher& l = launcher_for(r.host);
  ProcessSpec spec;
  spec.name = r.alias;
  spec.program = how.program;
  spec.args = {"--config", l.remote_path(config_path_), "--alias", r.alias};
  if (!how.allocator.empty()) spec.args.insert(spec.args.end(), {"--allocator", how.allocator});
  if (!how.protocol.empty()) spec.args.insert(spec.args.end(), {"--protocol", how.protocol});
  if (!how.run_dir.empty()) {
    spec.run_dir = how.run_dir + "/" + r.alias;
    spec.args.insert(spec.args.end(), {"--run-dir", l.remote_path(spec.run_dir)});
  }
  if (!how.plant.empty()) spec.args.insert(spec.args.end(), {"--plant", how.plant});
  spec.args.insert(spec.args.end(), how.extra_args.begin(), how.extra_args.end());
  spec.log_path = how.log_dir + "/" + r.alias + ".log";
  auto p = l.start(spec);
  if (!p) return p.status();
  m.launcher = &l;
  m.process = std::move(p).value();
  return Status::ok();
}

Status Cluster::start_replicas(const ReplicaLaunch& how, std::chrono::milliseconds timeout,
                               const std::function<bool()>& interrupted) {
  for (size_t i = 0; i < replicas_.size(); ++i) {
    if (auto st = start_replica(i, how); !st) return st;
  }
  return wait_ready(timeout, interrupted);
}

Status Cluster::wait_ready(std::chrono::milliseconds timeout,
                           const std::function<bool()>& interrupted) {
  std::vector<size_t> started;
  for (size_t i = 0; i < replicas_.size(); ++i)
    if (replicas_[i].launcher != nullptr) started.push_back(i);
  return wait_accepting(started, timeout, interrupted);
}

Status Cluster::wait_replica_ready(size_t i, std::chrono::milliseconds timeout) {
  HD_CHECK(replica_started(i));
  return wait_accepting({i}, timeout, {});
}

Status Cluster::wait_accepting(const std::vector<size_t>& which, std::chrono::milliseconds timeout,
                               const std::function<bool()>& interrupted) {
  const auto deadline = Clock::now() + timeout;
  std::vector<bool> ready(replicas_.size(), false);
  while (true) {
    bool all = true;
    for (size_t i : which) {
      Member& m = replicas_[i];
      if (ready[i]) continue;
      Process& p = m.process;
      if (m.launcher->poll(p)) {
        const int code = p.exit_code();
        if (code == 2) rejected_arguments_ = true;
        return Status::error(p.name + " exited with code " + std::to_string(code) +
                             " while starting; " + p.spec.log_path + ":\n" +
                             tail_of(p.spec.log_path, 4));
      }
      const auto& r = config_.replicas[i];
      ready[i] = m.launcher->accepting(r.host, r.port);
      all = all && ready[i];
    }
    if (all) return Status::ok();
    if (interrupted && interrupted()) return Status::error("interrupted");
    if (Clock::now() >= deadline)
      return Status::error(
          "replicas did not accept connections within " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<Process*> Cluster::start(const std::string& host, const ProcessSpec& spec) {
  Launcher& l = launcher_for(host);
  auto p = l.start(spec);
  if (!p) return p.status();
  others_.push_back(Member{&l, std::move(p).value()});
  return &others_.back().process;
}

Process& Cluster::replica(size_t i) {
  HD_CHECK(replica_started(i));
  return replicas_[i].process;
}

Cluster::Member& Cluster::member_of(const Process& p) {
  for (auto& m : replicas_)
    if (&m.process == &p) return m;
  for (auto& m : others_)
    if (&m.process == &p) return m;
  HD_CHECK(false && "process not of this cluster");
  return replicas_.front();
}

bool Cluster::poll(Process& p) {
  return member_of(p).launcher->poll(p);
}

void Cluster::crash(Process& p) {
  member_of(p).launcher->crash(p);
}

void Cluster::stop(Process& p, std::chrono::milliseconds grace) {
  member_of(p).launcher->stop(p, grace);
}

void Cluster::stop_all(std::chrono::milliseconds grace) {
  for (auto it = others_.rbegin(); it != others_.rend(); ++it)
    it->launcher->stop(it->process, grace);
  for (auto it = replicas_.rbegin(); it != replicas_.rend(); ++it)
    if (it->launcher != nullptr) it->launcher->stop(it->process, grace);
}

void Cluster::forget() {
  for (auto& m : others_) HD_CHECK(m.process.exited || m.process.pid <= 0);
  for (auto& m : replicas_) HD_CHECK(m.launcher == nullptr || m.process.exited);
  others_.clear();
  for (auto& m : replicas_) m = Member{};
}

Status Cluster::write_usage(const std::string& path) const {
  std::ofstream out(path);
  out << "process\texit_code\tuser_us\tsys_us\tmax_rss_kib\n";
  const auto row = [&](const Member& m) {
    const Process& p = m.process;
    const auto field = [](int64_t v) { return v >= 0 ? std::to_string(v) : std::string("-"); };
    out << p.name << '\t' << (p.exited ? std::to_string(p.exit_code()) : std::string("-")) << '\t'
        << field(p.usage.user_us) << '\t' << field(p.usage.sys_us) << '\t'
        << field(p.usage.max_rss_kib) << '\n';
  };
  for (const auto& m : replicas_)
    if (m.launcher != nullptr) row(m);
  for (const auto& m : others_) row(m);
  out.flush();
  if (!out) return Status::error(path + ": cannot write");
  return Status::ok();
}

Status Cluster::collect_all() {
  for (auto& m : replicas_)
    if (m.launcher != nullptr)
      if (auto st = m.launcher->collect(m.process); !st) return st;
  for (auto& m : others_)
    if (auto st = m.launcher->collect(m.process); !st) return st;
  return Status::ok();
}

void Cluster::cleanup() {
  for (auto& h : hosts_) h.launcher->cleanup();
}

}  // namespace hd::launcher
