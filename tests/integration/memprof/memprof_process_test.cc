// memprof integration tests with real processes: each allocator backend
// (jemalloc/tcmalloc preloaded by memprof_probe's own re-exec; skipped when the
// library is not installed), heap profiles that attribute a known allocation
// to its function, exact op milestones, SIGUSR2, `heapdrift run -- CMD`, and
// the replica/loadgen wiring.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/cluster_harness.h"
#include "launcher/launcher.h"
#include "launcher/spawn.h"
#include "memprof/allocator_select.h"
#include "memprof/backend.h"
#include "memprof/recording_plan.h"
#include "skip.h"
#include "unit/memprof/run_folder_check.h"

namespace fs = std::filesystem;
namespace mp = hd::memprof;
using hd::test::memprof::check_snapshot_fields;
using hd::test::memprof::read_meta;
using hd::test::memprof::read_snapshots;
using hd::test::memprof::slurp;

// The probe tests preload an allocator: skipped in sanitizer builds and when
// the allocator's library is missing (a macro, so HD_SKIP_IF records the
// case's own line).
#define SKIP_WITHOUT_ALLOCATOR(backend, library)                                                \
  HD_SKIP_IF(hd::test::memprof::kSanitizerBuild || mp::allocator_library_path(backend).empty(), \
             "sanitizer build: the test preloads an allocator or profiler, or " library         \
             " not installed")

namespace {

std::string temp_dir(const char* tag) {
  std::string t = "/tmp/hd-memprof-" + std::string(tag) + "-XXXXXX";
  std::vector<char> buf(t.begin(), t.end());
  buf.push_back('\0');
  REQUIRE(mkdtemp(buf.data()) != nullptr);
  return buf.data();
}

bool backend_available(const std::string& name) {
  mp::Backend b = mp::Backend::kGlibc;
  REQUIRE(mp::parse_backend(name.c_str(), &b));
  return b == mp::Backend::kGlibc || !mp::allocator_library_path(b).empty();
}

// Sum of the (unsampled) bytes of every stack in a heap profile that has a
// frame in [lo, hi). Reads jemalloc's heap_v2 dump and gperftools' heap
// format; both store raw sample counts, unsampled here the way pprof does:
// bytes / (1 - exp(-mean_size / rate)).
double bytes_at_function(const std::string& path, uint64_t lo, uint64_t hi, int* stacks_seen) {
  std::istringstream in(slurp(path));
  std::string line;
  double rate = 0;
  double total = 0;
  bool pending_match = false;  // jemalloc: "@ ..." line matched; counts follow
  *stacks_seen = 0;
  auto stack_matches = [&](const std::string& addrs) {
    std::istringstream a(addrs);
    std::string tok;
    while (a >> tok) {
      if (tok.rfind("0x", 0) != 0) continue;
      const uint64_t v = std::stoull(tok, nullptr, 16);
      if (v >= lo && v < hi) return true;
    }
    return false;
  };
  auto unsample = [&](double count, double bytes) {
    if (count <= 0 || rate <= 0) return bytes;
    return bytes / (1 - std::exp(-(bytes / count) / rate));
  };
  while (std::getline(in, line)) {
    if (line.rfind("MAPPED_LIBRARIES", 0) == 0) break;
    const size_t v2 = line.find("heap_v2/");
    if (rate == 0 && v2 != std::string::npos) {
      rate = std::stod(line.substr(v2 + 8));
      continue;
    }
    if (line.rfind("@ ", 0) == 0) {  // jemalloc stack line
      ++*stacks_seen;
      pending_match = stack_matches(line.substr(2));
      continue;
    }
    if (line.rfind("  t*: ", 0) == 0 && pending_match) {
      double c = 0, b = 0;
      std::sscanf(line.c_str(), "  t*: %lf: %lf", &c, &b);
      total += unsample(c, b);
      pending_match = false;
      continue;
    }
    const size_t at = line.find(" @ 0x");
    if (at != std::string::npos) {  // gperftools: "c: b [c: b] @ addrs"
      ++*stacks_seen;
      if (stack_matches(line.substr(at + 3))) {
        double c = 0, b = 0;
        std::sscanf(line.c_str(), " %lf: %lf", &c, &b);
        total += unsample(c, b);
      }
    }
  }
  return total;
}

// The callers skip (doctest::skip) when the backend's library is missing.
void probe_backend(const std::string& backend) {
  REQUIRE(backend_available(backend));
  const std::string dir = temp_dir(backend.c_str());
  std::string output;
  const int status = hd::test::run_to_exit(
      hd::test::bin_path("memprof_probe"),
      {"--allocator", backend, "--run-dir", dir, "--alloc-mib", "64", "--ops", "30000", "--threads",
       "4", "--heap-profile-at", "10000,25000", "--snapshot-interval-ms", "20"},
      std::chrono::seconds(60), &output);
  INFO("output: " << output);
  REQUIRE(status == 0);

  const auto meta = read_meta(dir);
  CHECK(meta.at("allocator").at("live") == backend);
  CHECK(meta.at("allocator").at("requested") == backend);
  CHECK(meta.at("allocator").at("verified") == true);
  const bool profiles = backend != "glibc";
  CHECK(meta.at("allocator").at("heap_profiles") == profiles);
  if (backend == "jemalloc") CHECK(meta.at("allocator").at("heap_profile_sample_bytes") == 524288);

  const auto snaps = read_snapshots(dir);
  REQUIRE(snaps.size() >= 6);
  const nlohmann::json* before = nullptr;
  const nlohmann::json* after = nullptr;
  std::set<std::string> milestone_profiles;
  int milestone_lines = 0;
  for (const auto& s : snaps) {
    check_snapshot_fields(s, backend);
    const std::string reason = s.at("reason");
    if (reason == "before-alloc") before = &s;
    if (reason == "after-alloc") after = &s;
    if (reason == "milestone") {
      ++milestone_lines;
      if (!s.at("profile").is_null()) milestone_profiles.insert(s.at("profile"));
    }
  }
  REQUIRE(before != nullptr);
  REQUIRE(after != nullptr);
  const uint64_t grown = after->at("alloc").at("allocated").get<uint64_t>() -
                         before->at("alloc").at("allocated").get<uint64_t>();
  CHECK(grown >= (60u << 20));
  CHECK(grown <= (72u << 20));
  if (backend == "jemalloc") {
    const auto& cb = before->at("cum");
    const auto& ca = after->at("cum");
    CHECK(ca.at("alloc_count").get<uint64_t>() - cb.at("alloc_count").get<uint64_t>() >= 16384);
    CHECK(ca.at("alloc_bytes").get<uint64_t>() - cb.at("alloc_bytes").get<uint64_t>() >=
          (64u << 20));
  }
  CHECK(snaps.back().at("reason") == "end");
  CHECK(snaps.back().at("ops") == 30000);
  CHECK(milestone_lines == 2);  // exactly once each, though 4 threads count

  if (!profiles) {
    CHECK(milestone_profiles.empty());
    CHECK(fs::is_empty(dir + "/profiles"));
    fs::remove_all(dir);
    return;
  }
  CHECK(milestone_profiles == std::set<std::string>{"profiles/heap.ops-000010000.heap",
                                                    "profiles/heap.ops-000025000.heap"});
  for (const auto& p : milestone_profiles) CHECK(fs::file_size(dir + "/" + p) > 0);
  CHECK(fs::exists(dir + "/profiles/heap.end.ops-000030000.heap"));

  // The 64 MiB is attributed to heapdrift_probe_allocate_blocks in the profile.
  const auto probe = nlohmann::json::parse(slurp(dir + "/probe.json"));
  CHECK(probe.at("function") == "heapdrift_probe_allocate_blocks");
  const uint64_t lo = probe.at("start");
  const uint64_t hi = probe.at("end");
  REQUIRE(hi > lo);
  int stacks = 0;
  const double at_fn = bytes_at_function(dir + "/profiles/heap.after-alloc.heap", lo, hi, &stacks);
  CHECK(stacks > 0);
  // ~128 samples at lg_prof_sample 19: a +-40% band is > 4 standard deviations.
  CHECK(at_fn >= 0.6 * (64u << 20));
  CHECK(at_fn <= 1.4 * (64u << 20));
  fs::remove_all(dir);
}

}  // namespace

TEST_CASE("memprof jemalloc: live+verified, stats invariants, 64 MiB seen in stats and profile" *
          SKIP_WITHOUT_ALLOCATOR(mp::Backend::kJemalloc, "libjemalloc.so.2")) {
  probe_backend("jemalloc");
}

// jemalloc's cumulative counts come from ~230 size classes; a snapshot reads
// them all only when a class got its first requests since the last full read
// (backend.h). Exactness is checked above (the 64 MiB in alloc_bytes); here,
// that steady-state snapshots do not read every class.
TEST_CASE("memprof jemalloc: snapshots read every size class only when a class is new" *
          SKIP_WITHOUT_ALLOCATOR(mp::Backend::kJemalloc, "libjemalloc.so.2")) {
  const std::string dir = temp_dir("classes");
  std::string output;
  const int status = hd::test::run_to_exit(
      hd::test::bin_path("memprof_probe"),
      {"--allocator", "jemalloc", "--run-dir", dir, "--alloc-mib", "4", "--measure-snapshot", "50"},
      std::chrono::seconds(60), &output);
  INFO("output: " << output);
  REQUIRE(status == 0);
  const size_t at = output.find("full_class_scans=");
  REQUIRE(at != std::string::npos);
  const unsigned long scans = std::stoul(output.substr(at + 17));
  // start + before/after the allocation + 50 measured: 53 snapshots. New
  // classes appear only around the allocation, so a handful of full reads.
  CHECK(scans >= 1);
  CHECK(scans <= 6);
  fs::remove_all(dir);
}

TEST_CASE("memprof tcmalloc: live+verified, sampled heap profile attributes 64 MiB" *
          SKIP_WITHOUT_ALLOCATOR(mp::Backend::kTcmalloc, "libtcmalloc.so.4")) {
  probe_backend("tcmalloc");
}

// gperftools samples nothing of the main thread's first 16 MiB unless memprof
// moves that thread's sampler past its start-up interval (backend.cc). 16 MiB
// allocated by the main thread right after start: ~32 samples expected; the
// bug gives 0, and under 30 % of the truth is 4 standard deviations away.
TEST_CASE("memprof tcmalloc: the main thread's first 16 MiB are sampled" *
          SKIP_WITHOUT_ALLOCATOR(mp::Backend::kTcmalloc, "libtcmalloc.so.4")) {
  const std::string dir = temp_dir("tc16");
  std::string output;
  const int status =
      hd::test::run_to_exit(hd::test::bin_path("memprof_probe"),
                            {"--allocator", "tcmalloc", "--run-dir", dir, "--alloc-mib", "16"},
                            std::chrono::seconds(60), &output);
  INFO("output: " << output);
  REQUIRE(status == 0);
  const auto probe = nlohmann::json::parse(slurp(dir + "/probe.json"));
  int stacks = 0;
  const double at_fn = bytes_at_function(dir + "/profiles/heap.after-alloc.heap", probe.at("start"),
                                         probe.at("end"), &stacks);
  MESSAGE("tcmalloc: 16 MiB estimated as " << at_fn / (1 << 20) << " MiB from " << stacks
                                           << " stacks");
  CHECK(at_fn >= 0.3 * (16u << 20));
  CHECK(at_fn <= 1.7 * (16u << 20));
  fs::remove_all(dir);
}

TEST_CASE("memprof glibc: mallinfo2 stats, no profiles, milestones still logged" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler")) {
  probe_backend("glibc");
}

TEST_CASE("memprof: SIGUSR2 writes an on-demand snapshot and profile" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler")) {
  const std::string backend = backend_available("jemalloc") ? "jemalloc" : "glibc";
  const std::string dir = temp_dir("usr2");
  const std::string bin = hd::test::bin_path("memprof_probe");
  const hd::Result<pid_t> started = hd::launcher::spawn(
      {bin, "--allocator", backend, "--run-dir", dir, "--linger-ms", "4000"}, {}, -1);
  REQUIRE(started.is_ok());
  const pid_t pid = *started;
  // Wait for the recorder to be up (its "start" line), then signal.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (slurp(dir + "/snapshots.jsonl").find("\"start\"") == std::string::npos &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGUSR2);
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() < give_up) {
    seen = slurp(dir + "/snapshots.jsonl").find("\"sigusr2\"") != std::string::npos;
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  int status = 0;
  if (!hd::launcher::wait_pid(pid, std::chrono::seconds(15), &status)) {
    kill(pid, SIGKILL);
    hd::launcher::wait_pid(pid, std::chrono::seconds(5), &status);
    FAIL("memprof_probe did not exit within 15 s of its 4 s linger");
  }
  CHECK(seen);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  if (backend == "jemalloc") {
    bool file = false;
    for (const auto& e : fs::directory_iterator(dir + "/profiles")) {
      file = file || e.path().filename().string().rfind("heap.sigusr2-001.", 0) == 0;
    }
    CHECK(file);
  }
  fs::remove_all(dir);
}

TEST_CASE("heapdrift run -- CMD: a program without memprof gets a valid run folder" *
          SKIP_WITHOUT_ALLOCATOR(mp::Backend::kJemalloc, "libjemalloc.so.2")) {
  const std::string dir = temp_dir("run") + "/folder";
  std::string output;
  const int status =
      hd::test::run_to_exit(hd::test::bin_path("heapdrift"),
                            {"run", "--run-dir", dir, "--snapshot-interval-ms", "10",
                             "--heap-profile-at", "50000", "--heap-profile-at-ms", "0", "--",
                             hd::test::bin_path("memprof_plain_workload"), "200000", "8", "fork"},
                            std::chrono::seconds(60), &output);
  INFO("output: " << output);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  const auto meta = read_meta(dir);
  CHECK(meta.at("program") == "run");
  CHECK(meta.at("allocator").at("live") == "jemalloc");
  CHECK(meta.at("allocator").at("verified") == true);
  CHECK(meta.at("recorder").at("ops_source") == "external-symbol");
  CHECK(meta.at("binary").at("path").get<std::string>().find("memprof_plain_workload") !=
        std::string::npos);
  const auto snaps = read_snapshots(dir);
  REQUIRE(snaps.size() >= 3);
  for (const auto& s : snaps) check_snapshot_fields(s, "jemalloc");
  CHECK(snaps.back().at("ops") == 200000);
  int ends = 0;  // the forked child (exit() without exec) wrote nothing
  for (const auto& line : snaps) ends += line.at("reason") == "end" ? 1 : 0;
  CHECK(ends == 1);
  CHECK(fs::exists(dir + "/profiles/heap.ops-000050000.heap"));
  CHECK(fs::exists(dir + "/profiles/heap.t-000000000ms.heap"));
  CHECK(fs::exists(dir + "/profiles/heap.end.ops-000200000.heap"));

  // heapdrift export --pprof on the process folder: its last milestone profile,
  // symbolized with the binaries meta.json recorded; the run folder above it
  // (several processes in general) is refused with the choices named.
  const std::string pb = fs::path(dir).parent_path().string() + "/w.pb.gz";
  std::string export_out;
  CHECK(hd::test::run_to_exit(hd::test::bin_path("heapdrift"), {"export", "--pprof", dir, "-o", pb},
                              std::chrono::seconds(60), &export_out) == 0);
  INFO("export: " << export_out);
  CHECK(export_out.find("/profiles/heap.") != std::string::npos);
  CHECK(export_out.find("heap.end.") == std::string::npos);
  const std::string gz = slurp(pb);
  REQUIRE(gz.size() > 100);
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);  // gzip magic
  CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
  const int refused = hd::test::run_to_exit(
      hd::test::bin_path("heapdrift"),
      {"export", "--pprof", fs::path(dir).parent_path().string(), "-o", pb + ".2"},
      std::chrono::seconds(30), &export_out);
  CHECK(WIFEXITED(refused));
  CHECK(WEXITSTATUS(refused) == 1);
  CHECK(export_out.find("export one of: " + dir) != std::string::npos);
  fs::remove_all(fs::path(dir).parent_path());

  // The program's exit code passes through.
  const int st = hd::test::run_to_exit(hd::test::bin_path("heapdrift"),
                                       {"run", "--run-dir", temp_dir("run-false"), "--", "false"},
                                       std::chrono::seconds(30), &output);
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 1);
}

TEST_CASE("replica and loadgen --run-dir: gauges, ops, milestone profiles, live allocator" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler")) {
  const std::string alloc = backend_available("jemalloc") ? "jemalloc" : "glibc";
  const uint16_t client_port = hd::test::free_port();
  hd::test::TestCluster cluster(
      3, "snapshotIntervalMs: 20\nheapProfileAt: 500\nlgProfSample: 18\nallocator: " + alloc +
             "\n-- Clients --\nclient0 127.0.0.1:" + std::to_string(client_port) + "\n");
  const std::string runs = cluster.dir() + "/runs";
  for (uint32_t i = 0; i < 3; ++i) {
    REQUIRE(cluster.start(i, {"--run-dir", runs + "/replica" + std::to_string(i)}));
  }
  for (uint32_t i = 0; i < 3; ++i) REQUIRE(cluster.wait_accepting(i, std::chrono::seconds(10)));
  std::string output;
  const int st = hd::test::run_to_exit(
      hd::test::bin_path("loadgen"),
      {"--config", cluster.config_path(), "--alias", "client0", "--reqs", "1000",
       "--client-threads", "2", "--quiet", "--run-dir", runs + "/client0"},
      std::chrono::seconds(60), &output);
  INFO("loadgen: " << output);
  REQUIRE(st == 0);
  for (uint32_t i = 0; i < 3; ++i) {
    CHECK(cluster.signal_and_wait(i, SIGTERM, std::chrono::seconds(10)) == 0);
  }

  const auto rmeta = read_meta(runs + "/replica0");
  CHECK(rmeta.at("program") == "replica");
  CHECK(rmeta.at("allocator").at("live") == alloc);
  CHECK(rmeta.at("allocator").at("verified") == true);
  const auto rs = read_snapshots(runs + "/replica0");
  REQUIRE(rs.size() >= 3);
  for (const auto& s : rs) check_snapshot_fields(s, alloc);
  const auto& g = rs.back().at("gauges");
  for (const char* k : {"log_entries_retained", "witness_entries", "pending_requests",
                        "client_table_entries", "saved_replies", "kv_keys", "applied_index"}) {
    CHECK_MESSAGE(g.contains(k), k);
  }
  CHECK(g.at("client_table_entries").get<uint64_t>() >= 2);
  // Leadership: the boot term, led by replica0, nobody failed.
  CHECK(g.at("term").get<uint64_t>() == 1);
  CHECK(g.at("leader").get<uint64_t>() == 0);
  // Per-type live counts (core::LiveCount) agree with the containers that hold
  // those objects, on every snapshot: each retained log entry is a LogEntry,
  // which holds a Command; each saved reply is a StrongCommit. Both sides are
  // published together by the io thread, so they are one consistent reading.
  for (const char* k : {"live.command", "live.log_entry", "live.propose", "live.accept"}) {
    CHECK_MESSAGE(g.contains(k), k);
  }
  for (const auto& s : rs) {
    const auto& sg = s.at("gauges");
    if (!sg.contains("live.log_entry")) continue;  // written before the server registered
    CHECK(sg.at("live.log_entry").get<uint64_t>() >= sg.at("log_entries_retained").get<uint64_t>());
    CHECK(sg.at("live.command").get<uint64_t>() >= sg.at("live.log_entry").get<uint64_t>());
    CHECK(sg.at("live.strong_commit").get<uint64_t>() >= sg.at("saved_replies").get<uint64_t>());
  }
  CHECK(g.at("saved_replies").get<uint64_t>() > 0);    // unacked replies of the last ops remain
  CHECK(rs.back().at("ops").get<uint64_t>() >= 2000);  // the leader answers every op here
  if (alloc == "jemalloc") CHECK(fs::exists(runs + "/replica0/profiles/heap.ops-000000500.heap"));

  const auto lmeta = read_meta(runs + "/client0");
  CHECK(lmeta.at("program") == "loadgen");
  const auto ls = read_snapshots(runs + "/client0");
  REQUIRE(ls.size() >= 2);
  for (const auto& s : ls) check_snapshot_fields(s, alloc);
  CHECK(ls.back().at("ops") == 2000);
  CHECK(ls.back().at("gauges").contains("in_flight_ops"));
  CHECK(ls.back().at("gauges").at("in_flight_ops") == 0);
  CHECK(ls.back().at("gauges").contains("client_cache_entries"));
  CHECK(fs::exists(runs + "/client0/result.json"));

  // The config's heapProfileAt and lgProfSample win over the ones the run
  // length would choose (recording_plan.h); op-step snapshots come all the same.
  for (const auto* meta : {&rmeta, &lmeta}) {
    const auto& rec = meta->at("recorder");
    CHECK(rec.at("heap_profile_at_ops") == nlohmann::json({500}));
    CHECK(rec.at("heap_profile_at_from") == "config");
    CHECK(rec.at("lg_prof_sample") == 18);
    CHECK(rec.at("lg_prof_sample_from") == "config");
    if (alloc == "jemalloc") CHECK(meta->at("allocator").at("heap_profile_sample_bytes") == 262144);
  }
  CHECK(lmeta.at("recorder").at("expected_ops").at("least") == 2000);
  CHECK(lmeta.at("recorder").at("snapshot_every_ops") == 2000 / mp::kSnapshotsPerRun);
  size_t op_steps = 0;
  for (const auto& s : ls) op_steps += s.at("reason") == "op-step" ? 1 : 0;
  // 30 steps; a few may be taken as one when the recorder lags.
  CHECK(op_steps >= 15);
  // What recording cost this process is on its lines, and grows.
  CHECK(ls.back().at("proc").at("recorder_cpu_us").get<uint64_t>() > 0);
  CHECK(ls.back().at("proc").at("recorder_cpu_us").get<uint64_t>() >=
        ls.front().at("proc").at("recorder_cpu_us").get<uint64_t>());
}

TEST_CASE("heapdrift run --exact (tcmalloc HeapProfiler) and --cpu-profile" *
          SKIP_WITHOUT_ALLOCATOR(mp::Backend::kTcmalloc, "libtcmalloc.so.4")) {
  const std::string dir = temp_dir("exact");
  std::string output;
  const int status = hd::test::run_to_exit(
      hd::test::bin_path("heapdrift"),
      {"run", "--run-dir", dir, "--allocator", "tcmalloc", "--exact", "--cpu-profile", "--",
       hd::test::bin_path("memprof_plain_workload"), "20000", "2"},
      std::chrono::seconds(60), &output);
  INFO("output: " << output);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  const auto meta = read_meta(dir);
  CHECK(meta.at("allocator").at("live") == "tcmalloc");
  CHECK(meta.at("allocator").at("heap_profile_kind") == "tcmalloc-exact");
  CHECK(meta.at("allocator").at("heap_profile_sample_bytes") == 0);
  CHECK(meta.at("recorder").at("cpu_profile") == true);
  const std::string end = slurp(dir + "/profiles/heap.end.ops-000020000.heap");
  CHECK(end.rfind("heap profile:", 0) == 0);
  CHECK(end.find("@ heapprofile") != std::string::npos);  // exact, not sampled
  CHECK(end.find("MAPPED_LIBRARIES:") != std::string::npos);
  if (meta.at("recorder").contains("note")) {
    MESSAGE("recorder note: " << meta.at("recorder").at("note"));
  } else {
    CHECK(fs::file_size(dir + "/profiles/cpu.prof") > 0);
  }
  fs::remove_all(dir);
}
