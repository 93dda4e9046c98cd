// Simulator implementation: a virtual clock, a heap of packets in flight, the
// replica and session cores, the workload and the history recorder. Every
// random choice comes from one Rng seeded by SimConfig::seed, and every
// container iterated here has a deterministic order.
#include "replica/sim/simulator.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <utility>

#include "base/check.h"
#include "base/rng.h"

namespace hd::sim {
namespace {

using core::Destination;
using core::Message;
using core::TimeUs;

struct Packet {
  TimeUs at = 0;
  uint64_t id = 0;  // tie-break: send order
  Destination to;
  Message msg;
};

// Min-heap on (at, id).
struct PacketLater {
  bool operator()(const Packet& a, const Packet& b) const {
    if (a.at != b.at) return a.at > b.at;
    return a.id > b.id;
  }
};

struct SessionSlot {
  std::unique_ptr<client::SessionCore> core;
  std::vector<uint32_t> history_of_seq;  // seq - 1 -> index in history
  TimeUs next_op_at = 0;
};

enum class Phase : uint8_t { kWorkload, kDrain, kSettle, kDone };

}  // namespace

SimConfig faulty_config(uint64_t seed) {
  // Like the VOPR, each seed also picks its own fault rates and shape, from a
  // stream separate from the run's, so that the sweep covers calm and stormy
  // networks, hot and spread keys, short and long crashes.
  Rng pick(seed ^ 0xC0FFEE5EEDULL);
  SimConfig c;
  c.seed = seed;
  c.sessions = static_cast<uint32_t>(pick.between(3, 6));
  c.pendings = static_cast<uint32_t>(pick.between(1, 6));
  c.keys = static_cast<uint32_t>(pick.between(1, 10));
  c.net.max_delay_us = pick.between(300, 5'000);
  c.net.drop_ppm = static_cast<uint32_t>(pick.between(0, 50'000));
  c.net.duplicate_ppm = static_cast<uint32_t>(pick.between(0, 50'000));
  c.net.reorder_ppm = static_cast<uint32_t>(pick.between(0, 100'000));
  c.net.partition_ppm_per_tick = static_cast<uint32_t>(pick.between(0, 3'000));
  c.crash.crash_ppm_per_tick = static_cast<uint32_t>(pick.between(0, 6'000));
  // Some crashes outlast follower_dead_after_us, so the leader releases the
  // slots the follower misses and must catch it up with a snapshot.
  c.crash.max_down_us = pick.between(50'000, 1'500'000);
  // Leader failures: crashes (restart as a rejoining follower) and isolation
  // from the other replicas while clients still reach it. A quarter of the
  // seeds keep a stable leader.
  if (pick.below(4) != 0) {
    c.crash.leader_crash_ppm_per_tick = static_cast<uint32_t>(pick.between(0, 1'500));
    c.net.isolate_leader_ppm_per_tick = static_cast<uint32_t>(pick.between(0, 1'000));
  }
  // With a follower down the fast path still has its majority, so the leader
  // appends ~6000 slots/s: it must give up on a silent follower within 200 ms
  // to stay under the 1500-entry retention bound.
  c.core.follower_dead_after_us = 200'000;
  // A tiny (or no) client cache: read-your-writes and monotonic reads must
  // then come from the replicas honouring WeakRead::min_index.
  c.session.cache_capacity = pick.between(0, 3);
  c.session.retry_after_us = 100'000;
  c.session.op_timeout_us = 5'000'000;
  return c;
}

SimConfig clean_config(uint64_t seed) {
  SimConfig c;
  c.seed = seed;
  return c;
}

bool SimResult::ok() const {
  return converged && election.ok() && linearizable.ok() && sessions.ok() && values.ok() &&
         causal.ok() && final_state.ok() && retention.ok() && execution.ok() && timeouts.ok();
}

std::string SimResult::failure() const {
  if (!converged) return "replicas did not converge before the settle limit";
  const std::pair<const char*, const CheckResult*> checks[] = {{"election safety", &election},
                                                               {"linearizability", &linearizable},
                                                               {"session guarantees", &sessions},
                                                               {"value/version", &values},
                                                               {"causal", &causal},
                                                               {"final state", &final_state},
                                                               {"retention", &retention},
                                                               {"execution agreement", &execution},
                                                               {"timeouts", &timeouts}};
  for (const auto& [name, r] : checks) {
    if (!r->ok()) return std::string(name) + " " + to_string(r->kind) + ": " + r->detail;
  }
  return "";
}

std::string SimResult::summary() const {
  char buf[1024];
  std::snprintf(
      buf, sizeof buf,
      "seed %llu: ops %llu (completed %llu, timeout %llu [sr %llu sw %llu wr %llu ww %llu]), "
      "strong %llu "
      "(fast %llu, slow %llu), retries %llu, msgs %llu (dropped %llu, dup %llu), "
      "crashes %llu (leader %llu), partitions %llu, leader isolations %llu, elections won %llu, "
      "longest leaderless %.3fs, snapshots %llu, max log %llu, max witness %llu, "
      "lin steps %llu (zone-decided keys %llu), settled %llu, dep-check failures %llu, t=%.3fs",
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(stats.ops_issued),
      static_cast<unsigned long long>(stats.ops_completed),
      static_cast<unsigned long long>(stats.ops_timed_out),
      static_cast<unsigned long long>(stats.timed_out_by_class[0]),
      static_cast<unsigned long long>(stats.timed_out_by_class[1]),
      static_cast<unsigned long long>(stats.timed_out_by_class[2]),
      static_cast<unsigned long long>(stats.timed_out_by_class[3]),
      static_cast<unsigned long long>(stats.strong_completed),
      static_cast<unsigned long long>(stats.fast_path),
      static_cast<unsigned long long>(stats.slow_path),
      static_cast<unsigned long long>(stats.retries),
      static_cast<unsigned long long>(stats.messages_sent),
      static_cast<unsigned long long>(stats.messages_dropped),
      static_cast<unsigned long long>(stats.messages_duplicated),
      static_cast<unsigned long long>(stats.crashes),
      static_cast<unsigned long long>(stats.leader_crashes),
      static_cast<unsigned long long>(stats.partitions),
      static_cast<unsigned long long>(stats.leader_isolations),
      static_cast<unsigned long long>(stats.elections_won),
      static_cast<double>(stats.max_leaderless_us) / 1e6,
      static_cast<unsigned long long>(stats.snapshots_sent),
      static_cast<unsigned long long>(stats.max_log_retained),
      static_cast<unsigned long long>(stats.max_witness_entries),
      static_cast<unsigned long long>(stats.lin_steps),
      static_cast<unsigned long long>(stats.lin_zone_decided),
      static_cast<unsigned long long>(stats.settled),
      static_cast<unsigned long long>(stats.dep_check_failures),
      static_cast<double>(stats.end_us) / 1e6);
  return buf;
}

struct Simulator::Impl {
  SimConfig config;
  Rng rng;
  TimeUs now = 0;
  Phase phase = Phase::kWorkload;
  uint64_t next_packet_id = 0;
  uint64_t event_pos = 0;       // global order of history events
  std::vector<Packet> packets;  // heap
  std::vector<std::unique_ptr<core::ReplicaCore>> replicas;
  std::vector<TimeUs> restart_at;  // per replica, when down
  std::vector<SessionSlot> sessions;
  History history;
  SimStats stats;
  CheckResult election;
  std::vector<RetentionSample> samples;
  TimeUs next_sample_at = 0;
  static constexpr uint32_t kFromClient = UINT32_MAX;
  // Until partition_until, the links between cut_a (the leader when the
  // partition started) and cut_b are cut, or every link of cut_a if isolated.
  uint32_t cut_a = 0;
  uint32_t cut_b = 0;
  bool isolated = false;
  TimeUs partition_until = 0;
  std::map<uint64_t, uint32_t> leader_of_term;  // election safety
  TimeUs has_leader_at = 0;                     // last tick with a reachable leader
  // Stretches with a reachable leader (watch_leaders, every tick), and the
  // history index of every op that timed out: check_timeouts.
  std::vector<Stretch> available;
  TimeUs last_watch_us = 0;
  std::vector<size_t> timed_out;
  ExecutionAgreement execution;
  // CURP-HO: (read, own write) history indices of reads answered with the
  // session's own unsettled write, and (write, slot) of settles.
  std::vector<std::pair<size_t, size_t>> own_unsettled_reads;
  std::vector<std::pair<size_t, uint64_t>> settle_slots;

  explicit Impl(const SimConfig& c) : config(c), rng(c.seed) {
    HD_CHECK(config.replicas >= 3);
    HD_CHECK(config.replicas % 2 == 1);
    HD_CHECK(config.sessions >= 1);
    HD_CHECK(config.keys >= 1);
    HD_CHECK(config.net.min_delay_us > 0);
    HD_CHECK(config.net.min_delay_us <= config.net.max_delay_us);
    if (config.crash.max_down == 0) config.crash.max_down = (config.replicas - 1) / 2;
    replicas.resize(config.replicas);
    restart_at.assign(config.replicas, 0);
    for (uint32_t r = 0; r < config.replicas; ++r) start_replica(r, /*rejoin=*/false);
    sessions.resize(config.sessions);
    for (uint32_t s = 0; s < config.sessions; ++s) {
      client::SessionConfig sc = config.session;
      sc.id = core::ClientId{s + 1};
      sc.replica_count = config.replicas;
      sc.leader = core::ReplicaId{0};
      sc.nearest = core::ReplicaId{s % config.replicas};
      sc.bound = sc.nearest;
      sc.protocol = config.protocol;
      sessions[s].core = std::make_unique<client::SessionCore>(sc);
    }
  }

  bool faults_on() const { return phase == Phase::kWorkload; }

  void start_replica(uint32_t r, bool rejoin) {
    core::CoreConfig cc = config.core;
    cc.self = core::ReplicaId{r};
    cc.replica_count = config.replicas;
    cc.leader = core::ReplicaId{0};
    cc.rejoin = rejoin;
    cc.election_seed = config.seed;
    cc.record_executed = true;
    cc.protocol = config.protocol;
    replicas[r] = std::make_unique<core::ReplicaCore>(cc);
  }

  // ---- network -----------------------------------------------------------

  void sabotage(Packet& p) {
    if (auto* r = std::get_if<core::WeakRead>(&p.msg); r && config.sabotage.drop_min_index) {
      r->min_index = core::LogIndex{0};
    }
    if (config.sabotage.stale_read_ppm == 0) return;
    if (p.to.kind != Destination::Kind::kClient) return;
    auto stale = [&](core::Value& value, core::LogIndex& version) {
      if (version.value() == 0) return;
      if (!rng.chance_ppm(config.sabotage.stale_read_ppm)) return;
      value.clear();
      version = core::LogIndex{0};
    };
    if (auto* m = std::get_if<core::ProposeReply>(&p.msg); m && m->from_leader && m->value.size()) {
      stale(m->value, m->version);
    } else if (auto* c = std::get_if<core::StrongCommit>(&p.msg); c && c->value.size()) {
      stale(c->value, c->version);
    } else if (auto* w = std::get_if<core::WeakReadReply>(&p.msg)) {
      stale(w->value, w->version);
    }
  }

  void push_packet(Packet p) {
    packets.push_back(std::move(p));
    std::push_heap(packets.begin(), packets.end(), PacketLater{});
  }

  // Partitions cut the links between the leader and one follower, or between
  // the leader and everyone else (both ways), for a while; clients still reach
  // everyone.
  bool link_cut(uint32_t from, Destination to) const {
    if (from == kFromClient || to.kind != Destination::Kind::kReplica) return false;
    if (now >= partition_until) return false;
    const uint32_t t = static_cast<uint32_t>(to.id);
    if (isolated) return from == cut_a || t == cut_a;
    return (from == cut_a && t == cut_b) || (from == cut_b && t == cut_a);
  }

  TimeUs delay() {
    TimeUs d = rng.between(config.net.min_delay_us, config.net.max_delay_us);
    if (faults_on() && rng.chance_ppm(config.net.reorder_ppm)) {
      d += rng.between(0, config.net.reorder_extra_us);
    }
    return d;
  }

  void send(uint32_t from, Destination to, Message msg) {
    ++stats.messages_sent;
    const bool cut = link_cut(from, to);
    if (cut || (faults_on() && rng.chance_ppm(config.net.drop_ppm))) {
      ++stats.messages_dropped;
      return;
    }
    Packet p{now + delay(), next_packet_id++, to, std::move(msg)};
    sabotage(p);
    if (faults_on() && rng.chance_ppm(config.net.duplicate_ppm)) {
      ++stats.messages_duplicated;
      Packet copy{now + delay(), next_packet_id++, to, p.msg};
      push_packet(std::move(copy));
    }
    push_packet(std::move(p));
  }

  void flush_replica(uint32_t r) {
    core::ReplicaCore* c = replicas[r].get();
    if (c == nullptr || !c->has_ready()) return;
    core::Ready& ready = c->ready();
    for (const core::ExecutedSlot& e : ready.executed) {
      execution.observe(r, e.slot.value(), e.digest);
      execution.observe_op(r, e.client.value(), e.seq.value(), e.slot.value());
    }
    for (core::Outgoing& o : ready.messages) send(r, o.to, std::move(o.msg));
    c->advance();
  }

  void flush_session(uint32_t s) {
    SessionSlot& slot = sessions[s];
    for (core::Outgoing& o : slot.core->take_outgoing()) {
      HD_CHECK(o.to.kind == Destination::Kind::kReplica);
      send(kFromClient, o.to, std::move(o.msg));
    }
    for (client::Completion& c : slot.core->take_completions()) record_completion(s, c);
    for (const client::Settled& st : slot.core->take_settled()) record_settle(s, st);
  }

  void deliver(Packet p) {
    if (p.to.kind == Destination::Kind::kReplica) {
      HD_CHECK(p.to.id < replicas.size());
      const uint32_t r = static_cast<uint32_t>(p.to.id);
      if (replicas[r] == nullptr) {
        ++stats.messages_dropped;
        return;
      }
      ++stats.messages_delivered;
      replicas[r]->step(now, p.msg);
      flush_replica(r);
      return;
    }
    HD_CHECK(p.to.id >= 1);
    HD_CHECK(p.to.id <= sessions.size());
    const uint32_t s = static_cast<uint32_t>(p.to.id - 1);
    ++stats.messages_delivered;
    sessions[s].core->step(now, p.msg);
    flush_session(s);
  }

  // ---- workload and history -----------------------------------------------

  void issue(uint32_t s) {
    SessionSlot& slot = sessions[s];
    const uint64_t pick = rng.below(100);
    client::OpClass op = client::OpClass::kWeakRead;
    if (pick < config.strong_read_pct) {
      op = client::OpClass::kStrongRead;
    } else if (pick < config.strong_read_pct + config.strong_write_pct) {
      op = client::OpClass::kStrongWrite;
    } else if (pick < config.strong_read_pct + config.strong_write_pct + config.weak_write_pct) {
      op = client::OpClass::kWeakWrite;
    }
    const core::Key key = rng.below(config.keys);
    const uint64_t seq_expected = slot.history_of_seq.size() + 1;
    HistoryOp h;
    h.session = s + 1;
    h.seq = seq_expected;
    h.op = op;
    h.key = key;
    const bool write = h.is_write();
    // Unique per write, so that a read names exactly one write.
    if (write) h.value = "c" + std::to_string(s + 1) + "s" + std::to_string(seq_expected);
    h.invoke = ++event_pos;
    h.invoke_us = now;
    const core::SeqNo seq = slot.core->submit(now, op, key, write ? h.value : core::Value{});
    HD_CHECK(seq.value() == seq_expected);
    slot.history_of_seq.push_back(static_cast<uint32_t>(history.size()));
    history.push_back(std::move(h));
    ++stats.ops_issued;
    flush_session(s);
  }

  void record_completion(uint32_t s, client::Completion& c) {
    SessionSlot& slot = sessions[s];
    HD_CHECK(c.seq.value() >= 1);
    HD_CHECK(c.seq.value() <= slot.history_of_seq.size());
    HistoryOp& h = history[slot.history_of_seq[c.seq.value() - 1]];
    HD_CHECK(h.response == kNever);
    HD_CHECK(h.op == c.op);
    HD_CHECK(h.key == c.key);
    stats.retries += c.retries;
    if (c.outcome == client::Outcome::kTimeout) {
      timed_out.push_back(slot.history_of_seq[c.seq.value() - 1]);
      ++stats.ops_timed_out;
      ++stats.timed_out_by_class[static_cast<size_t>(c.op)];
      return;  // response stays +inf: it may still take effect
    }
    ++stats.ops_completed;
    h.response = ++event_pos;
    // CURP-HT answers an op only once it is committed (a fast-path write's
    // slot is on a majority): it settles when it responds. So do CURP-HO's
    // strong ops and reads; its weak writes settle on the WeakWriteReply
    // (record_settle), after or with their completion.
    const bool ho_weak_write =
        config.protocol == core::Protocol::kCurpHo && c.op == client::OpClass::kWeakWrite;
    if (!ho_weak_write) h.settle = h.response;
    if (c.own_unsettled_seq.value() != 0) {
      HD_CHECK(c.own_unsettled_seq.value() <= slot.history_of_seq.size());
      own_unsettled_reads.emplace_back(slot.history_of_seq[c.seq.value() - 1],
                                       slot.history_of_seq[c.own_unsettled_seq.value() - 1]);
    }
    h.response_us = now;
    h.version = c.version.value();
    h.path = c.path;
    if (h.is_read()) h.value = std::move(c.value);
    if (c.path != client::Path::kNone) {
      ++stats.strong_completed;
      if (c.path == client::Path::kFast) ++stats.fast_path;
      if (c.path == client::Path::kSlow) ++stats.slow_path;
    }
  }

  // A CURP-HO weak write settled: its completion came first (same flush).
  void record_settle(uint32_t s, const client::Settled& st) {
    SessionSlot& slot = sessions[s];
    HD_CHECK(config.protocol == core::Protocol::kCurpHo);
    HD_CHECK(st.seq.value() >= 1);
    HD_CHECK(st.seq.value() <= slot.history_of_seq.size());
    HistoryOp& h = history[slot.history_of_seq[st.seq.value() - 1]];
    HD_CHECK(h.op == client::OpClass::kWeakWrite);
    HD_CHECK(h.completed());
    HD_CHECK(h.settle == kNever);
    h.settle = ++event_pos;
    settle_slots.emplace_back(slot.history_of_seq[st.seq.value() - 1], st.slot.value());
    ++stats.settled;
  }

  // After the run: writes learn their execution slots; a CURP-HO weak write's
  // version is that slot (its ack had none), and a read that returned its
  // session's own unsettled write gets that write's slot as its version.
  // A settle naming another slot than the execution's is a violation.
  CheckResult fill_slots() {
    for (HistoryOp& h : history) {
      if (h.is_write()) h.slot = execution.slot_of(h.session, h.seq);
    }
    CheckResult r;
    for (const auto& [idx, slot_no] : settle_slots) {
      if (history[idx].slot != slot_no && r.ok()) {
        r = CheckResult::violation("weak write settled at slot " + std::to_string(slot_no) +
                                   " but executed at slot " + std::to_string(history[idx].slot) +
                                   ": " + describe(history[idx]));
      }
    }
    if (config.protocol != core::Protocol::kCurpHo) return r;
    for (HistoryOp& h : history) {
      if (h.op == client::OpClass::kWeakWrite && h.completed()) h.version = h.slot;
    }
    for (const auto& [read, write] : own_unsettled_reads) {
      HD_CHECK(history[read].version == 0);
      history[read].version = history[write].slot;
    }
    return r;
  }

  // ---- time ---------------------------------------------------------------

  // The live leader of the highest term (UINT32_MAX: none).
  uint32_t current_leader() const {
    uint32_t best = UINT32_MAX;
    uint64_t best_term = 0;
    for (uint32_t r = 0; r < config.replicas; ++r) {
      if (replicas[r] == nullptr || !replicas[r]->is_leader()) continue;
      const uint64_t t = replicas[r]->term().value();
      if (best == UINT32_MAX || t > best_term) {
        best = r;
        best_term = t;
      }
    }
    return best;
  }

  void crash_and_restart() {
    for (uint32_t r = 0; r < config.replicas; ++r) {
      if (replicas[r] == nullptr && now >= restart_at[r]) {
        start_replica(r, /*rejoin=*/true);  // no disk: it lost everything
        ++stats.restarts;
      }
    }
    if (!faults_on()) return;
    const bool follower_crash = rng.chance_ppm(config.crash.crash_ppm_per_tick);
    const bool leader_crash = rng.chance_ppm(config.crash.leader_crash_ppm_per_tick);
    if (!follower_crash && !leader_crash) return;
    // State lost so far: replicas down, or restarted and not yet caught up.
    uint32_t lost = 0;
    for (uint32_t r = 0; r < config.replicas; ++r) {
      lost += replicas[r] == nullptr || replicas[r]->gauges().rejoining ? 1 : 0;
    }
    if (lost >= config.crash.max_down) return;
    const uint32_t leader = current_leader();
    uint32_t r = 0;
    if (leader_crash && leader != UINT32_MAX) {
      r = leader;
      ++stats.leader_crashes;
    } else {
      r = static_cast<uint32_t>(rng.below(config.replicas));
      if (r == leader) return;
    }
    if (replicas[r] == nullptr) return;
    replicas[r].reset();
    restart_at[r] = now + rng.between(config.crash.min_down_us, config.crash.max_down_us);
    ++stats.crashes;
  }

  void maybe_partition() {
    if (!faults_on() || now < partition_until) return;
    const bool cut_one = rng.chance_ppm(config.net.partition_ppm_per_tick);
    const bool isolate = rng.chance_ppm(config.net.isolate_leader_ppm_per_tick);
    if (!cut_one && !isolate) return;
    const uint32_t leader = current_leader();
    if (leader == UINT32_MAX) return;
    cut_a = leader;
    isolated = isolate;
    cut_b = (leader + 1 + static_cast<uint32_t>(rng.below(config.replicas - 1))) % config.replicas;
    partition_until = now + rng.between(config.net.min_partition_us, config.net.max_partition_us);
    if (isolate) {
      ++stats.leader_isolations;
    } else {
      ++stats.partitions;
    }
  }

  // Election safety (one leader per term) and the longest leaderless stretch.
  void watch_leaders() {
    bool reachable = false;
    const uint32_t leader = current_leader();
    for (uint32_t r = 0; r < config.replicas; ++r) {
      if (replicas[r] == nullptr || !replicas[r]->is_leader()) continue;
      const uint64_t t = replicas[r]->term().value();
      auto [it, inserted] = leader_of_term.emplace(t, r);
      if (!inserted && it->second != r && election.ok()) {
        election =
            CheckResult::violation("replicas " + std::to_string(it->second) + " and " +
                                   std::to_string(r) + " both lead term " + std::to_string(t));
      }
    }
    if (leader != UINT32_MAX && !(isolated && now < partition_until && leader == cut_a)) {
      reachable = true;
    }
    const bool was_reachable = !available.empty() && available.back().to == last_watch_us;
    last_watch_us = now;
    if (reachable) {
      if (!was_reachable) available.push_back(Stretch{now, now});
      available.back().to = now;
      has_leader_at = now;
    } else {
      stats.max_leaderless_us = std::max(stats.max_leaderless_us, now - has_leader_at);
    }
  }

  void sample() {
    if (now < next_sample_at) return;
    next_sample_at = now + config.sample_every_us;
    for (uint32_t r = 0; r < config.replicas; ++r) {
      if (replicas[r] == nullptr) continue;
      const core::CoreGauges g = replicas[r]->gauges();
      samples.push_back(RetentionSample{r, now, g.log_entries_retained, g.witness_entries});
      stats.max_log_retained = std::max(stats.max_log_retained, g.log_entries_retained);
      stats.max_witness_entries = std::max(stats.max_witness_entries, g.witness_entries);
      stats.snapshots_sent = std::max(stats.snapshots_sent, g.snapshots_sent);
    }
  }

  bool all_idle() const {
    for (const SessionSlot& s : sessions) {
      if (s.core->gauges().in_flight != 0) return false;
    }
    return true;
  }

  bool converged() const {
    const uint32_t leader = current_leader();
    if (leader == UINT32_MAX) return false;
    const core::CoreGauges lead = replicas[leader]->gauges();
    if (lead.commit_index != lead.last_index) return false;
    for (const auto& r : replicas) {
      if (r == nullptr) return false;
      if (r->gauges().applied_index != lead.last_index) return false;
    }
    return true;
  }

  void tick() {
    crash_and_restart();
    maybe_partition();
    watch_leaders();
    for (uint32_t r = 0; r < config.replicas; ++r) {
      if (replicas[r] == nullptr) continue;
      replicas[r]->tick(now);
      flush_replica(r);
    }
    for (uint32_t s = 0; s < config.sessions; ++s) {
      sessions[s].core->tick(now);
      flush_session(s);
    }
    if (phase == Phase::kWorkload) {
      for (uint32_t s = 0; s < config.sessions && stats.ops_issued < config.ops; ++s) {
        SessionSlot& slot = sessions[s];
        if (now < slot.next_op_at) continue;
        while (slot.core->gauges().in_flight < config.pendings && stats.ops_issued < config.ops) {
          issue(s);
        }
        slot.next_op_at = now + rng.between(0, config.max_think_us);
      }
      if (stats.ops_issued >= config.ops) {
        // Faults stop: crashed replicas come back now.
        phase = Phase::kDrain;
        stats.workload_end_us = now;
        for (uint32_t r = 0; r < config.replicas; ++r) restart_at[r] = now;
        partition_until = now;
      }
    } else if (phase == Phase::kDrain) {
      if (all_idle()) phase = Phase::kSettle;
    } else if (phase == Phase::kSettle) {
      if (converged()) phase = Phase::kDone;
    }
    sample();
  }

  void run_loop() {
    TimeUs next_tick = 0;
    while (phase != Phase::kDone) {
      if (phase != Phase::kWorkload && now > stats.workload_end_us + config.settle_limit_us) {
        return;
      }
      if (!packets.empty() && packets.front().at <= next_tick) {
        std::pop_heap(packets.begin(), packets.end(), PacketLater{});
        Packet p = std::move(packets.back());
        packets.pop_back();
        HD_CHECK(p.at >= now);
        now = p.at;
        deliver(std::move(p));
        continue;
      }
      now = next_tick;
      tick();
      next_tick += config.tick_us;
    }
  }
};

Simulator::Simulator(const SimConfig& config) : impl_(std::make_unique<Impl>(config)) {}
Simulator::~Simulator() = default;

SimResult Simulator::run() {
  Impl& s = *impl_;
  s.run_loop();
  SimResult res;
  res.seed = s.config.seed;
  res.converged = s.phase == Phase::kDone;
  s.stats.end_us = s.now;
  res.election = s.election;
  for (const SessionSlot& ss : s.sessions) {
    s.stats.dep_check_failures += ss.core->gauges().dep_check_failures;
  }
  // Slots first: every check below judges CURP-HO weak writes by them.
  const CheckResult settles = s.fill_slots();
  for (const auto& [term, leader] : s.leader_of_term) s.stats.elections_won += term > 1 ? 1 : 0;
  res.linearizable = check_linearizable(s.history, s.config.max_lin_steps_per_key);
  s.stats.lin_steps = res.linearizable.steps;
  s.stats.lin_zone_decided = res.linearizable.zone_decided;
  res.sessions = check_session_guarantees(s.history);
  res.values = check_value_versions(s.history);
  if (res.values.ok()) res.values = check_write_slots(s.history);
  if (res.values.ok()) res.values = settles;
  res.causal = check_causal(s.history);
  std::vector<ReplicaFinalState> finals;
  for (uint32_t r = 0; r < s.config.replicas; ++r) {
    if (s.replicas[r] == nullptr) continue;
    ReplicaFinalState st;
    st.replica = r;
    for (core::Key k = 0; k < s.config.keys; ++k) {
      core::KvEntry e = s.replicas[r]->read_executed(k);
      e.key = k;
      st.entries.push_back(std::move(e));
    }
    finals.push_back(std::move(st));
  }
  res.final_state = check_final_state(s.history, finals);
  res.retention = check_retention(s.samples, s.config.log_bound, s.config.witness_bound);
  res.execution = s.execution.result();
  res.timeouts = check_timeouts(s.history, s.timed_out, s.available, s.config.session.op_timeout_us,
                                s.config.min_available_for_timeout_us);
  res.stats = s.stats;
  res.history = std::move(s.history);
  return res;
}

}  // namespace hd::sim
