// `heapdrift bench` end to end with real processes on 127.0.0.1: a short
// sweep with a leak plant must name the planted site as accumulating, the same
// sweep without a plant must not blame any replica site, a port in use is a
// clear error, and SIGINT mid-sweep leaves none of its processes behind.
// Tests that read heap profiles or allocator counters are skipped in
// sanitizer builds (the sanitizer's allocator serves malloc there).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/cluster_harness.h"
#include "launcher/launcher.h"
#include "launcher/spawn.h"
#include "skip.h"
#include "unit/memprof/run_folder_check.h"

namespace fs = std::filesystem;

namespace {

std::string temp_dir(const char* tag) {
  std::string dir = hd::test::make_temp_dir("hd-bench-" + std::string(tag));
  REQUIRE(!dir.empty());
  return dir;
}

void remove_unless_kept(const std::string& dir) {
  if (std::getenv("HD_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), path);
  return nlohmann::json::parse(in);
}

// (process name, site function) of every replica site with this verdict, in
// the longest run of summary.json.
std::set<std::pair<std::string, std::string>> replica_sites(const nlohmann::json& summary,
                                                            const std::string& verdict) {
  std::set<std::pair<std::string, std::string>> out;
  int64_t longest = 0;
  for (const auto& r : summary.at("runs"))
    longest = std::max(longest, r.at("length_ops").get<int64_t>());
  for (const auto& r : summary.at("runs")) {
    if (r.at("length_ops").get<int64_t>() != longest) continue;
    for (const auto& p : r.at("processes")) {
      if (p.at("program") != "replica") continue;
      for (const auto& s : p.at("sites"))
        if (s.at("verdict") == verdict)
          out.emplace(p.at("name").get<std::string>(), s.at("function").get<std::string>());
    }
  }
  return out;
}

std::string bench_bin() {
  return hd::test::bin_path("heapdrift");
}

// Runs `heapdrift ARGS` to completion (bounded): its exit code, output in *log.
int run_heapdrift(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                  std::string* log) {
  const int status = hd::test::run_to_exit(bench_bin(), args, timeout, log);
  INFO(*log);
  REQUIRE(status != -1);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

// Every PID a run folder of the sweep recorded (meta.json).
std::vector<pid_t> recorded_pids(const std::string& out) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(out, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path().filename() != "meta.json") continue;
    try {
      std::ifstream in(it->path());
      pids.push_back(nlohmann::json::parse(in).at("pid").get<pid_t>());
    } catch (const std::exception&) {
      // written while we read: the next poll sees it whole
    }
  }
  return pids;
}

// The CPU profiler the recorder dlopens (memprof/recorder.cc), looked for
// where Debian installs it rather than loaded: dlopen + dlclose here left
// its static allocations behind an unloaded module, which LeakSanitizer
// reports at exit (the ASan+UBSan integration run failed on it).
bool have_libprofiler() {
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"})
    if (fs::exists(std::string(dir) + "/libprofiler.so.0")) return true;
  return false;
}

// Issue 17's decay runs: one length, long enough for the within-run trend
// (>= 10 bins of 0.5 s after warm-up, ~6 s of load), CPU profiles on. The
// plant's cost: at op n replica0 scans n/16 elements (~1.4 ns each), ~50 us
// per op at the end of 600K ops, against ~5-10 us of its own work. The run
// without a plant is open loop at 2 x 15,000 ops/s, so it lasts ~10 s
// however fast the machine is (closed loop, 600K ops took 4.4 s on an idle
// machine and 25 s beside a build).
constexpr const char* kDecayRunOps = "600000";
constexpr const char* kSteadyRunOps = "300000";

// `heapdrift bench ARGS --out <temp>/report --progress lines`, which must
// exit 0; its summary.json (the report folder in *out_dir).
nlohmann::json bench_summary(const char* tag, std::vector<std::string> args,
                             std::chrono::minutes timeout, std::string* out_dir) {
  *out_dir = temp_dir(tag) + "/report";
  args.insert(args.begin(), "bench");
  args.insert(args.end(), {"--out", *out_dir, "--progress", "lines"});
  std::string log;
  const int code = run_heapdrift(args, timeout, &log);
  INFO(log);
  REQUIRE(code == 0);
  return read_json(*out_dir + "/summary.json");
}

nlohmann::json decay_bench(const char* tag, const char* ops, const std::vector<std::string>& extra,
                           std::string* out_dir) {
  std::vector<std::string> args = {"--sweep", ops, "--cpu-profile"};
  args.insert(args.end(), extra.begin(), extra.end());
  return bench_summary(tag, args, std::chrono::minutes(3), out_dir);
}

bool pid_alive(pid_t pid) {
  return kill(pid, 0) == 0 || errno != ESRCH;
}

// The data rows of a Markdown table in `md` whose header row contains
// `header_cell`, as trimmed cells (up to the first blank line after it).
std::vector<std::vector<std::string>> markdown_rows(const std::string& md,
                                                    const std::string& header_cell) {
  std::vector<std::vector<std::string>> rows;
  std::stringstream in(md);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (!inside) {
      inside = line.rfind("| ", 0) == 0 && line.find(header_cell) != std::string::npos;
      continue;
    }
    if (line.rfind("|---", 0) == 0) continue;
    if (line.rfind("| ", 0) != 0) break;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    for (std::string c; std::getline(ss, c, '|');) {
      const auto b = c.find_first_not_of(' '), e = c.find_last_not_of(' ');
      if (b != std::string::npos) cells.push_back(c.substr(b, e - b + 1));
    }
    rows.push_back(cells);
  }
  return rows;
}

// table.tsv's rows as cells (header first).
std::vector<std::vector<std::string>> tsv_rows(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::stringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, '\t');) cells.push_back(c);
    rows.push_back(cells);
  }
  return rows;
}

}  // namespace

// Issue 13's case: the history plant's growth (about 45 B/op) over 10,000
// ops once fell below one 512 KiB sample and nothing said so. Now the
// finding names the planted site or says that sites could not be judged.
TEST_CASE("bench: a short history-plant sweep names the planted site or says it is too short" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler")) {
  std::string out;
  const auto summary = bench_summary("history", {"--sweep", "2000,10000", "--plant", "history"},
                                     std::chrono::minutes(3), &out);
  const std::string finding = summary.at("finding").at("text").get<std::string>();
  INFO(finding);
  const bool named = finding.find("ReplicatedLog::append") != std::string::npos;
  const bool says_too_short = finding.find("too few samples to judge") != std::string::npos;
  CHECK((named || says_too_short));
  // Whatever the planted site's verdict in a replica, it is never `constant`
  // where it grew by a material amount: a decided verdict must be right.
  for (const auto& run : summary.at("runs"))
    for (const auto& p : run.at("processes"))
      for (const auto& s : p.at("sites"))
        if (s.at("function").get<std::string>().find("ReplicatedLog::append") !=
                std::string::npos &&
            s.at("slope_bytes_per_op").get<double>() > 20 && !s.at("slope_ci95").is_null() &&
            s.at("slope_ci95").at(0).get<double>() > 0)
          CHECK_MESSAGE(s.at("verdict").get<std::string>() != "constant",
                        run.at("name") << "/" << p.at("name"));
}

// Issue 16's known answer from the original's history: with `slowsync` a
// CURP-HO op that misses the fast path completes only on the 2 s sync timer,
// so strong p99 sits on it at any length; the finding must name the timer,
// and not blame memory (~4 s: 600 ops at ~250 ops/s).
TEST_CASE("bench: the slowsync plant's finding names the sync timer, not memory" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler")) {
  std::string out;
  const auto summary =
      bench_summary("slowsync", {"--sweep", "600", "--protocols", "curpho", "--plant", "slowsync"},
                    std::chrono::minutes(2), &out);
  const std::string finding = summary.at("finding").at("text").get<std::string>();
  INFO(finding);
  CHECK(finding.find("the sync timer (2000 ms)") != std::string::npos);
  CHECK(summary.at("finding").at("cause").get<std::string>() != "memory");
}

TEST_CASE("bench: a leak plant is named as the accumulating replica site" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler")) {
  const std::string out = temp_dir("leak") + "/report";
  std::string log;
  const int code = run_heapdrift({"bench", "--sweep", "2000,40000", "--out", out, "--plant",
                                  "leak:1024", "--progress", "lines"},
                                 std::chrono::minutes(4), &log);
  INFO(log);
  CHECK(code == 0);
  CHECK(fs::exists(out + "/index.html"));
  CHECK(log.find("report: " + out + "/index.html") != std::string::npos);
  CHECK(log.find("== Finding") != std::string::npos);
  // Layout of docs/report.md: OUT/runs/ops<N>-it<K>/<alias>/.
  for (const char* p : {"replica0", "replica1", "replica2", "client0", "client1"}) {
    CHECK_MESSAGE(fs::exists(out + "/runs/ops40000-it1/" + std::string(p) + "/meta.json"), p);
  }
  CHECK(fs::exists(out + "/runs/ops2000-it1/client0/result.json"));
  const auto summary = read_json(out + "/summary.json");
  // 1 KiB per op a replica counts: 20-40 MiB per replica over the long run,
  // hundreds of samples at the period chosen from the run length; one
  // replica may still come out `too few samples` or `saturating`. Only the
  // planted site accumulates.
  const auto acc = replica_sites(summary, "accumulates");
  size_t leaking = 0;
  for (const char* r : {"replica0", "replica1", "replica2"})
    leaking += acc.count({r, "hd::core::MemoryPlant::leak_plant_accumulate(unsigned long)"});
  CHECK(leaking >= 2);
  for (const auto& site : acc)  // not a structured binding: clang 14 cannot capture one
    CHECK_MESSAGE(site.second.find("leak_plant_accumulate") != std::string::npos,
                  site.first << ": " << site.second);
  const std::string finding = summary.at("finding").at("text").get<std::string>();
  CHECK(finding.find("leak_plant_accumulate") != std::string::npos);
  // The shortest-vs-longest diff ranks sites by growth: the leak is among them.
  std::ifstream diff(out + "/diff.txt");
  std::stringstream diff_text;
  diff_text << diff.rdbuf();
  CHECK(diff_text.str().find("leak_plant_accumulate") != std::string::npos);
  CHECK(log.find("== Diff, shortest vs longest run") != std::string::npos);
  // Every process has a milestone profile in the shortest run too (the 4/10
  // milestone), so both sides of the diff hold bytes for each of them.
  const auto diff_json = read_json(out + "/diff.json");
  std::set<std::string> with_a;
  for (const auto& row : diff_json.at("rows"))
    if (row.at("a_bytes").get<int64_t>() > 0) with_a.insert(row.at("process").get<std::string>());
  for (const char* p : {"replica0", "replica1", "replica2", "client0", "client1"})
    CHECK_MESSAGE(with_a.count(p) == 1, std::string(p));
  remove_unless_kept(fs::path(out).parent_path().string());
}

// Issue 17, part 5: a known answer for decay (~20 s). The plant makes replica0's
// cost per op grow with the run; the report must find the decline within
// the one run, name replica0 with CPU per op as the cause, and put the rise
// in the plant's function in the CPU profile diff.
TEST_CASE("bench: the decay plant is named: replica0, CPU per op, decay_plant_scan" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler") *
          HD_SKIP_IF(!have_libprofiler(), "libprofiler.so.0 (gperftools) not installed")) {
  std::string out;
  const auto summary = decay_bench("decay", kDecayRunOps, {"--plant", "decay:16"}, &out);
  const std::string text = summary.at("finding").at("text").get<std::string>();
  INFO(text);
  const auto& run = summary.at("runs").at(0);
  // The evidence, per process: replica0's CPU per op rises and its CPU
  // profile diff puts the rise in the plant's function; no other process's.
  for (const auto& p : run.at("processes")) {
    const std::string name = p.at("name").get<std::string>();
    REQUIRE_MESSAGE(p.contains("cpu_profile_diff"), name);
    const auto& fns = p.at("cpu_profile_diff").at("functions");
    REQUIRE_MESSAGE(!fns.empty(), name);
    const std::string top = fns.at(0).at("function").get<std::string>();
    if (name == "replica0") {
      REQUIRE(p.contains("cpu_us_per_op_trend"));
      CHECK(p.at("cpu_us_per_op_trend").at("trend") == "rising");
      CHECK(top.find("DecayPlant::decay_plant_scan") != std::string::npos);
      const double rise = fns.at(0).at("self_delta_us_per_op").get<double>();
      MESSAGE("replica0: decay_plant_scan +"
              << rise << " us/op; profiled " << p.at("cpu_profile_diff").at("early_us_per_op")
              << " -> " << p.at("cpu_profile_diff").at("late_us_per_op") << " us/op");
      CHECK(rise > 1.0);
    } else {
      CHECK_MESSAGE(top.find("decay_plant_scan") == std::string::npos, name);
    }
  }
  // The finding: said when the run's throughput decline is significant.
  // Known limit (docs/report.md, Plants): the trend's autocorrelation
  // estimate can take the plant's curved decline (1/sqrt(t)) for correlated
  // noise and leave it `steady`; then there is no finding to check, and the
  // test says so instead of passing silently on it.
  REQUIRE(run.contains("throughput_trend"));
  const auto& trend = run.at("throughput_trend");
  if (trend.at("trend") != "declining") {
    MESSAGE("decay finding NOT checked: throughput x"
            << trend.at("ratio") << " (95% CI " << trend.at("ratio_ci95_low") << "-"
            << trend.at("ratio_ci95_high") << ", phi " << trend.at("noise_autocorrelation")
            << ") was judged " << trend.at("trend"));
    remove_unless_kept(fs::path(out).parent_path().string());
    return;
  }
  const auto& finding = summary.at("finding");
  REQUIRE(finding.contains("decay"));
  REQUIRE(finding.at("decay").size() == 1);
  const auto& d = finding.at("decay").at(0);
  const nlohmann::json* replica0 = nullptr;
  for (const auto& c : d.at("costlier"))
    if (c.at("process") == "replica0") replica0 = &c;
  REQUIRE(replica0 != nullptr);
  const auto& top = replica0->at("top_functions");
  REQUIRE(!top.empty());
  CHECK(top.at(0).at("function").get<std::string>().find("DecayPlant::decay_plant_scan") !=
        std::string::npos);
  CHECK(text.find("CPU per op rose in") != std::string::npos);
  CHECK(text.find("us/op in `hd::core::DecayPlant::decay_plant_scan`") != std::string::npos);
  // Hardware counters are said either way: recorded where the kernel allows.
  for (const auto& p : summary.at("runs").at(0).at("processes")) CHECK(p.contains("hw_counters"));
  remove_unless_kept(fs::path(out).parent_path().string());
}

TEST_CASE("bench: without a plant the same run has its trend judged and no decay finding" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler") *
          HD_SKIP_IF(!have_libprofiler(), "libprofiler.so.0 (gperftools) not installed")) {
  std::string out;
  const auto summary =
      decay_bench("nodecay", kSteadyRunOps, {"--loadgen-args", "--rate 15000"}, &out);
  const auto& run = summary.at("runs").at(0);
  INFO(summary.at("finding").at("text").get<std::string>());
  // Judged, not too short: the absence of a finding means something.
  REQUIRE(run.contains("throughput_trend"));
  CHECK(run.at("throughput_trend").at("points").get<int>() >= 10);
  CHECK(run.at("throughput_trend").at("trend") != "declining");
  CHECK_FALSE(summary.at("finding").contains("decay"));
  // The windows were recorded all the same: replica0 has its diff.
  bool replica0_diff = false;
  for (const auto& p : run.at("processes"))
    if (p.at("name") == "replica0") replica0_diff = p.contains("cpu_profile_diff");
  CHECK(replica0_diff);
  remove_unless_kept(fs::path(out).parent_path().string());
}

TEST_CASE(
    "bench: --kill-leader-at crashes the boot leader; no op is lost, the report names the change" *
    HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
               "sanitizer build: the test preloads an allocator or profiler")) {
  const std::string out = temp_dir("failover") + "/report";
  std::string log;
  const int code = run_heapdrift({"bench", "--sweep", "2000,40000", "--kill-leader-at", "10000",
                                  "--out", out, "--progress", "lines"},
                                 std::chrono::minutes(4), &log);
  INFO(log);
  CHECK(code == 0);
  CHECK(log.find("replica0 (the boot leader) killed with SIGKILL") != std::string::npos);
  // Every op of every session completes: none waits out its timeout behind
  // a leader change (a stuck op's retries once looked like duplicates to the
  // new leader after 1024 newer ops of its session).
  for (const char* c : {"client0", "client1"}) {
    const auto r = read_json(out + "/runs/ops40000-it1/" + std::string(c) + "/result.json");
    CHECK_MESSAGE(r.at("ops").get<int64_t>() == 20000, c);
    CHECK_MESSAGE(r.at("timeouts").get<int64_t>() == 0, c);
    CHECK_MESSAGE(r.at("session_violations").get<int64_t>() == 0, c);
  }
  const auto summary = read_json(out + "/summary.json");
  const auto& runs = summary.at("runs");
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].at("leader_changes").empty());  // 2000 ops: never reaches 10000
  const auto& changes = runs[1].at("leader_changes");
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].at("term").get<int64_t>() == 2);
  const int64_t leader = changes[0].at("leader").get<int64_t>();
  CHECK((leader == 1 || leader == 2));
  const std::string finding = summary.at("finding").at("text").get<std::string>();
  CHECK(finding.find("The leader changed 1 time in the 40000-op run: term 2 at ") !=
        std::string::npos);
  remove_unless_kept(fs::path(out).parent_path().string());
}

TEST_CASE("bench: an earlier output in --out is kept under a new name, not replaced") {
  const std::string root = temp_dir("keep");
  const std::string out = root + "/out";
  std::string log;
  const std::vector<std::string> args = {"bench", "--sweep", "2000",       "--no-profile",
                                         "--out", out,       "--progress", "lines"};
  REQUIRE(run_heapdrift(args, std::chrono::minutes(1), &log) == 0);
  std::ofstream(out + "/mine.txt") << "the first run's\n";
  REQUIRE(run_heapdrift(args, std::chrono::minutes(1), &log) == 0);
  INFO(log);
  // The first run's folder, renamed out.<time>, with its runs and the file.
  std::vector<fs::path> kept;
  for (const auto& e : fs::directory_iterator(root))
    if (e.path().filename().string().starts_with("out.")) kept.push_back(e.path());
  REQUIRE(kept.size() == 1);
  CHECK(log.find("kept as " + kept[0].string()) != std::string::npos);
  CHECK(fs::exists(kept[0] / "mine.txt"));
  CHECK(fs::exists(kept[0] / "runs" / "ops2000-it1"));
  // The second run's own folder, without the first run's file.
  CHECK(fs::exists(fs::path(out) / "runs" / "ops2000-it1"));
  CHECK_FALSE(fs::exists(fs::path(out) / "mine.txt"));
  // A third run keeps the second one too (a name of its own if the second matches).
  REQUIRE(run_heapdrift(args, std::chrono::minutes(1), &log) == 0);
  size_t outputs = 0;
  for (const auto& e : fs::directory_iterator(root))
    outputs += e.path().filename().string().starts_with("out.") ? 1 : 0;
  CHECK(outputs == 2);
  remove_unless_kept(root);
}

TEST_CASE("bench: processes.tsv has each process's exit code, CPU and peak RSS, unprofiled") {
  // What memprof_overhead.sh --concurrent compares: the CPU a run cost, with
  // no run folder to read it from.
  const std::string root = temp_dir("usage");
  std::string log;
  REQUIRE(run_heapdrift({"bench", "--sweep", "2000", "--no-profile", "--out", root + "/out",
                         "--progress", "lines"},
                        std::chrono::minutes(1), &log) == 0);
  INFO(log);
  std::ifstream in(root + "/out/runs/ops2000-it1/processes.tsv");
  REQUIRE(in);
  std::string line;
  std::getline(in, line);
  CHECK(line == "process\texit_code\tuser_us\tsys_us\tmax_rss_kib");
  std::vector<std::string> names;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string name;
    int code = -1;
    int64_t user = -1, sys = -1, rss = -1;
    row >> name >> code >> user >> sys >> rss;
    INFO(line);
    REQUIRE(row);  // every field a number: the launcher reaped it itself
    names.push_back(name);
    CHECK(code == 0);
    CHECK(user + sys > 0);
    CHECK(rss > 1024);  // KiB: a real program's peak, not a default
  }
  CHECK(names ==
        std::vector<std::string>{"replica0", "replica1", "replica2", "client0", "client1"});
  remove_unless_kept(root);
}

TEST_CASE("bench: a bad --kill-leader-at is a usage error (exit 2) naming the flag") {
  const std::string dir = temp_dir("kill-leader-bad");
  for (const char* bad : {"0", "-5", "many", "12x", "99999999999999999999"}) {
    std::string log;
    const int code = run_heapdrift({"bench", "--kill-leader-at", bad, "--out", dir + "/out"},
                                   std::chrono::seconds(30), &log);
    INFO(std::string(bad) << ": " << log);
    CHECK(code == 2);
    CHECK(log.find("--kill-leader-at") != std::string::npos);
    CHECK(!fs::exists(dir + "/out/runs"));  // nothing started
  }
  remove_unless_kept(dir);
}

TEST_CASE("bench: a bad --sweep, --iterations or --phase-timeout is a usage error (exit 2)") {
  const std::string dir = temp_dir("sweep-bad");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--sweep", "-1"}, "--sweep"},
      {{"--sweep", "99999999999999999999"}, "--sweep"},
      {{"--sweep", "0"}, "--sweep"},
      {{"--sweep", "2000,many"}, "--sweep"},
      {{"--sweep", "2000,2000"}, "2000 is given twice"},
      {{"--iterations", "-1"}, "--iterations"},
      {{"--phase-timeout", "0"}, "--phase-timeout"},
      {{"--phase-timeout", "-3"}, "--phase-timeout"},
  };
  for (const auto& one : cases) {  // not a structured binding: clang 14 cannot capture one
    const std::vector<std::string>& extra = one.first;
    const std::string& named = one.second;
    std::vector<std::string> args = {"bench", "--out", dir + "/out"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string log;
    const int code = run_heapdrift(args, std::chrono::seconds(30), &log);
    INFO(extra[0] << " " << extra[1] << ": " << log);
    CHECK(code == 2);
    CHECK(log.find(named) != std::string::npos);
    CHECK(!fs::exists(dir + "/out/runs/ops2000-it1"));  // nothing ran
  }
  // --sweep takes one comma-separated word: a config after it is the config.
  std::string log;
  const int code =
      run_heapdrift({"bench", "--sweep", "2000", dir + "/no-such.conf", "--out", dir + "/out"},
                    std::chrono::seconds(30), &log);
  INFO(log);
  CHECK(code == 2);
  CHECK(log.find("no-such.conf") != std::string::npos);
  CHECK(log.find("Could not convert") == std::string::npos);
  remove_unless_kept(dir);
}

TEST_CASE("cluster: needs only the replica program and no client; its errors say cluster") {
  const std::string dir = temp_dir("cluster-only");
  fs::create_directories(dir + "/bin");
  fs::create_symlink(hd::test::bin_path("replica"), dir + "/bin/replica");
  std::string log;
  int code = run_heapdrift({"cluster", "--bin-dir", dir + "/bin", "--out", dir + "/out", "--", "sh",
                            "-c", "test -s {config}"},
                           std::chrono::seconds(60), &log);
  INFO(log);
  CHECK(code == 0);  // no loadgen in bin/: not needed
  CHECK(log.find("heapdrift bench") == std::string::npos);
  code = run_heapdrift({"cluster", "--bin-dir", dir + "/empty", "--", "true"},
                       std::chrono::seconds(30), &log);
  CHECK(code == 2);
  CHECK(log.find("heapdrift cluster: ") != std::string::npos);
  CHECK(log.find("/replica is missing") != std::string::npos);
  remove_unless_kept(dir);
}

TEST_CASE("bench: without a plant no replica site accumulates; diffs of three lengths" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler")) {
  const std::string out = temp_dir("clean") + "/report";
  std::string log;
  const int code =
      run_heapdrift({"bench", "--sweep", "2000,10000,40000", "--out", out, "--progress", "lines"},
                    std::chrono::minutes(4), &log);
  INFO(log);
  CHECK(code == 0);
  // Shortest vs longest in diff.txt, shortest vs the length between beside it.
  const std::string main_diff = read_file(out + "/diff.txt");
  CHECK(main_diff.rfind("A: runs/ops2000-it1", 0) == 0);
  CHECK(main_diff.find("B: runs/ops40000-it1") != std::string::npos);
  const std::string mid_diff = read_file(out + "/diff-ops2000-vs-ops10000.txt");
  CHECK(mid_diff.rfind("A: runs/ops2000-it1", 0) == 0);
  CHECK(mid_diff.find("B: runs/ops10000-it1") != std::string::npos);
  CHECK(fs::exists(out + "/diff-ops2000-vs-ops10000.json"));
  const auto summary = read_json(out + "/summary.json");
  // The report did look at sites (a vacuous pass would hide a broken ingest).
  size_t sites = 0;
  for (const auto& r : summary.at("runs"))
    for (const auto& p : r.at("processes")) sites += p.at("sites").size();
  CHECK(sites > 0);
  const auto acc = replica_sites(summary, "accumulates");
  for (const auto& site : acc) INFO(site.first << ": " << site.second);
  CHECK(acc.empty());
  remove_unless_kept(fs::path(out).parent_path().string());
}

// Issue 13: the replica does 10K ops in a fraction of a second, far too fast
// for a 100 ms timer. Snapshots on the op count and milestones from the run
// length give every process of every run of the default sweep dense data.
TEST_CASE("bench: the default sweep has >= 30 snapshots and >= 5 heap profiles per process" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler")) {
  const std::string out = temp_dir("dense") + "/report";
  std::string log;
  const int code = run_heapdrift({"bench", "--out", out, "--no-report", "--progress", "lines"},
                                 std::chrono::minutes(2), &log);
  INFO(log);
  REQUIRE(code == 0);
  for (const auto& one : {std::pair{"ops10000-it1", 16384}, std::pair{"ops100000-it1", 131072},
                          std::pair{"ops1000000-it1", 524288}})
    for (const char* p : {"replica0", "replica1", "replica2", "client0", "client1"}) {
      // Not a structured binding: clang 14 cannot capture one (INFO).
      const char* run = one.first;
      const int sample_bytes = one.second;
      INFO(run << "/" << p);
      const std::string dir = out + "/runs/" + run + "/" + std::string(p);
      const auto snaps = hd::test::memprof::read_snapshots(dir);
      size_t op_steps = 0, milestone_profiles = 0;
      for (const auto& s : snaps) {
        if (s.at("reason") == "op-step") ++op_steps;
        if (s.at("reason") == "milestone" && s.at("profile").is_string() &&
            fs::exists(dir + "/" + s.at("profile").get<std::string>()))
          ++milestone_profiles;
      }
      CHECK(snaps.size() >= 30);
      // Not only the replicas' idle timer lines before and after the load
      // (30 planned; steps crossed before the recorder runs make one line).
      CHECK(op_steps >= 20);
      CHECK(milestone_profiles >= 5);
      const auto meta = hd::test::memprof::read_meta(dir);
      const auto& rec = meta.at("recorder");
      CHECK(rec.at("heap_profile_at_from") == "run-length");
      CHECK(rec.at("lg_prof_sample_from") == "run-length");
      CHECK(rec.at("snapshot_every_ops").get<uint64_t>() > 0);
      // The rate a 5000-, 50000- or 500000-op share needs (recording_plan.h), as jemalloc
      // applied it.
      CHECK(meta.at("allocator").at("heap_profile_sample_bytes") == sample_bytes);
    }
  remove_unless_kept(fs::path(out).parent_path().string());
}

TEST_CASE("bench: a config port already in use is a clear error") {
  const std::string dir = temp_dir("port");
  // Hold a listening socket on the port replica1 will be given.
  const uint16_t busy = hd::launcher::free_port();
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(busy);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(listen(fd, 1) == 0);
  const auto ports = hd::launcher::free_ports("127.0.0.1", 2);
  REQUIRE(ports.size() == 2);
  const std::string conf = dir + "/busy.conf";
  std::ofstream(conf) << "-- Replicas --\nreplica0 127.0.0.1:" << ports[0]
                      << "\nreplica1 127.0.0.1:" << busy << "\nreplica2 127.0.0.1:" << ports[1]
                      << "\n-- Clients --\nclient0 127.0.0.1\nprotocol: curpht\n";
  std::string log;
  const int code =
      run_heapdrift({"bench", conf, "--out", dir + "/out"}, std::chrono::seconds(30), &log);
  close(fd);
  INFO(log);
  CHECK(code == 2);
  CHECK(log.find("replica1: port " + std::to_string(busy)) != std::string::npos);
  CHECK(log.find("already in use") != std::string::npos);
  CHECK(!fs::exists(dir + "/out/runs"));
  remove_unless_kept(dir);
}

TEST_CASE("bench: SIGINT or SIGTERM mid-sweep stops every process it started") {
  for (const int signo : {SIGINT, SIGTERM}) {
    INFO("signal " << signo);
    const std::string dir = temp_dir("signal");
    const std::string out = dir + "/report";
    auto local = hd::launcher::make_local_launcher();
    hd::launcher::ProcessSpec spec;
    spec.name = "bench";
    spec.program = bench_bin();
    spec.args = {"bench", "--sweep", "2000000", "--out", out, "--progress", "lines"};
    spec.log_path = dir + "/bench.log";
    auto started = local->start(spec);
    REQUIRE(started.is_ok());
    hd::launcher::Process bench = std::move(started).value();
    // Wait (bounded) until the loadgens run: 5 run folders = 3 replicas + 2 clients.
    std::vector<pid_t> pids;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline && !local->poll(bench)) {
      pids = recorded_pids(out);
      if (pids.size() == 5) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE_MESSAGE(pids.size() == 5, "bench log:\n" << std::ifstream(spec.log_path).rdbuf());
    for (pid_t p : pids) CHECK(pid_alive(p));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // mid-load
    REQUIRE(kill(bench.pid, signo) == 0);
    int status = 0;
    const bool exited = hd::launcher::wait_pid(bench.pid, std::chrono::seconds(60), &status);
    if (!exited) local->stop(bench, std::chrono::seconds(1));
    REQUIRE(exited);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + signo);
    for (pid_t p : pids) CHECK_MESSAGE(!pid_alive(p), "pid " << p << " still running");
    remove_unless_kept(dir);
  }
}

TEST_CASE("bench: --allocators puts the allocators side by side in one report" *
          HD_SKIP_IF(hd::test::memprof::kSanitizerBuild,
                     "sanitizer build: the test preloads an allocator or profiler")) {
  const std::string out = temp_dir("alloc") + "/report";
  std::string log;
  const int code = run_heapdrift({"bench", "--sweep", "5000,20000", "--allocators",
                                  "jemalloc,tcmalloc,glibc", "--out", out, "--progress", "lines"},
                                 std::chrono::minutes(4), &log);
  INFO(log);
  CHECK(code == 0);
  // One run-folder level per allocator; each allocator's report; the main one
  // carries the comparison.
  for (const char* a : {"jemalloc", "tcmalloc", "glibc"}) {
    CHECK_MESSAGE(fs::exists(out + "/runs/" + std::string(a) + "/ops20000-it1/replica0/meta.json"),
                  a);
  }
  CHECK(fs::exists(out + "/tcmalloc/index.html"));
  CHECK(fs::exists(out + "/glibc/summary.json"));
  const auto rows = markdown_rows(read_file(out + "/allocators.md"), "allocator |");
  REQUIRE(rows.size() == 6);  // 3 allocators x 2 lengths
  for (const auto& r : rows) {
    REQUIRE(r.size() == 6);
    INFO(r[0] << " " << r[1]);
    CHECK(std::stod(r[2]) > 0);  // throughput
    CHECK(std::stod(r[4]) > 0);  // peak RSS
    // Only jemalloc has cumulative allocation counters.
    CHECK((r[3] == "n/a") == (r[0] != "jemalloc"));
    // The CPU profiles of the long runs give every allocator a share.
    if (r[1] == "20000") CHECK(r[5] != "n/a");
  }
  std::ifstream html(out + "/index.html");
  std::stringstream page;
  page << html.rdbuf();
  CHECK(page.str().find("Allocators side by side") != std::string::npos);
  remove_unless_kept(fs::path(out).parent_path().string());
}

TEST_CASE("bench: a failed run is reported and the sweep goes on") {
  const std::string out = temp_dir("fail") + "/report";
  // 50 ops/s against a 2 s phase limit: every run misses its deadline.
  std::string log;
  const auto t0 = std::chrono::steady_clock::now();
  const int code = run_heapdrift({"bench", "--sweep", "1000,2000", "--out", out, "--phase-timeout",
                                  "2", "--loadgen-args", "--rate 50", "--progress", "lines"},
                                 std::chrono::minutes(2), &log);
  INFO(log);
  CHECK(code == 1);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60));
  // Both runs were tried, both failed with a reason, and no report was made.
  for (const char* run : {"ops1000-it1", "ops2000-it1"}) {
    const std::string failed = out + "/runs/" + std::string(run) + "/FAILED";
    CHECK_MESSAGE(fs::exists(failed), run);
    CHECK(log.find("run failed: " + out + "/runs/" + run) != std::string::npos);
  }
  CHECK(log.find("2 runs, 2 failed") != std::string::npos);
  CHECK(!fs::exists(out + "/index.html"));
  // No process of the sweep outlived it.
  for (pid_t p : recorded_pids(out)) CHECK_MESSAGE(!pid_alive(p), "pid " << p);
  remove_unless_kept(fs::path(out).parent_path().string());
}

// Issue 15: a terminal's Ctrl-C goes to the whole process group, so the
// replicas and loadgens get SIGINT too and may be seen gone before the bench
// sees its own flag; the run's FAILED said "replica0 exited during the load
// (code 0)". It must say "interrupted", exit 128 + SIGINT, and leave nothing
// of the group running.
TEST_CASE("bench: SIGINT to the whole process group is recorded as interrupted") {
  const std::string dir = temp_dir("pgint");
  const std::string out = dir + "/report";
  const std::string log_path = dir + "/bench.log";
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(log_fd >= 0);
  // Its own group (id = its PID), as a terminal's foreground job has.
  const hd::Result<pid_t> started = hd::launcher::spawn(
      {bench_bin(), "bench", "--sweep", "200000", "--out", out, "--progress", "lines"}, {}, log_fd,
      hd::launcher::ChildStdin::kDevNull, hd::launcher::ProcessGroup::kOwn);
  close(log_fd);
  REQUIRE(started.is_ok());
  const pid_t pgid = started.value();
  REQUIRE(getpgid(pgid) == pgid);
  // Wait (bounded) until the load runs: 5 run folders (3 replicas + 2
  // clients) and a loadgen snapshot that counted ops.
  std::vector<pid_t> pids;
  bool loading = false;
  int status = 0;
  bool exited = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && !loading) {
    if (hd::launcher::wait_pid(pgid, std::chrono::milliseconds(100), &status)) {
      exited = true;
      break;
    }
    pids = recorded_pids(out);
    std::ifstream snaps(out + "/runs/ops200000-it1/client0/snapshots.jsonl");
    for (std::string line; pids.size() == 5 && std::getline(snaps, line);) {
      try {
        if (nlohmann::json::parse(line).value("ops", int64_t{0}) > 0) loading = true;
      } catch (const std::exception&) {
        // a line being written: the next poll sees it whole
      }
    }
  }
  if (!exited && !loading) {  // ours: the group this test created
    kill(-pgid, SIGKILL);
    hd::launcher::wait_pid(pgid, std::chrono::seconds(5), &status);
  }
  REQUIRE_MESSAGE(!exited, "bench log:\n" << std::ifstream(log_path).rdbuf());
  REQUIRE_MESSAGE(loading, "bench log:\n" << std::ifstream(log_path).rdbuf());
  REQUIRE(kill(-pgid, SIGINT) == 0);
  exited = hd::launcher::wait_pid(pgid, std::chrono::seconds(60), &status);
  if (!exited) {
    kill(-pgid, SIGKILL);
    hd::launcher::wait_pid(pgid, std::chrono::seconds(5), &status);
  }
  INFO("bench log:\n" << std::ifstream(log_path).rdbuf());
  REQUIRE(exited);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGINT);  // the documented "interrupted" code
  std::ifstream failed(out + "/runs/ops200000-it1/FAILED");
  REQUIRE(failed.good());
  std::string why;
  std::getline(failed, why);
  CHECK(why == "interrupted");
  // Nothing of the group survives (bounded: the bench reaps what it stopped).
  bool group_gone = false;
  for (int i = 0; i < 100 && !group_gone; ++i) {
    group_gone = kill(-pgid, 0) != 0 && errno == ESRCH;
    if (!group_gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK_MESSAGE(group_gone, "process group " << pgid << " still has members");
  for (pid_t p : pids) CHECK_MESSAGE(!pid_alive(p), "pid " << p << " still running");
  remove_unless_kept(dir);
}

TEST_CASE("bench: hosts reached through ssh are staged, run, stopped and collected") {
  const std::string dir = temp_dir("ssh");
  const std::string out = dir + "/report";
  // Every process goes through the stand-in ssh, which runs it here: the
  // config is staged, the run folders written under the "remote" base and
  // copied home, where the report reads them.
  const std::string fake = hd::test::write_stand_in_ssh(dir);
  REQUIRE(setenv("HEAPDRIFT_SSH", (fake + " -o BatchMode=yes").c_str(), 1) == 0);
  std::string log;
  const int code = run_heapdrift({"bench", "--sweep", "1000,4000", "--out", out, "--ssh",
                                  "127.0.0.1=somebody@host", "--progress", "lines"},
                                 std::chrono::minutes(3), &log);
  unsetenv("HEAPDRIFT_SSH");
  INFO(log);
  CHECK(code == 0);
  for (const char* p : {"replica0", "replica1", "replica2", "client0", "client1"}) {
    CHECK_MESSAGE(fs::exists(out + "/runs/ops4000-it1/" + std::string(p) + "/snapshots.jsonl"), p);
    // The log names the remote PID the launcher stopped it by.
    std::ifstream in(out + "/runs/ops4000-it1/" + std::string(p) + ".log");
    std::stringstream text;
    text << in.rdbuf();
    CHECK_MESSAGE(text.str().find("heapdrift-remote-pid ") != std::string::npos, p);
  }
  CHECK(fs::exists(out + "/runs/ops4000-it1/client1/result.json"));
  CHECK(fs::exists(out + "/index.html"));
  for (pid_t p : recorded_pids(out)) CHECK_MESSAGE(!pid_alive(p), "pid " << p);
  remove_unless_kept(dir);
}

TEST_CASE(
    "heapdrift cluster: replicas for a client of one's own, its exit code, replicas stopped") {
  const std::string dir = temp_dir("cluster");
  std::string log;
  const int code = run_heapdrift(
      {"cluster", "--out", dir + "/out", "--", hd::test::bin_path("replica_bench_client"),
       "--config", "{config}", "-s", "2", "-p", "4", "-n", "2000"},
      std::chrono::minutes(1), &log);
  INFO(log);
  CHECK(code == 0);
  CHECK(log.find("completed=2000 ") != std::string::npos);
  for (const char* r : {"replica0", "replica1", "replica2"}) {
    std::ifstream in(dir + "/out/runs/cluster/" + std::string(r) + ".log");
    std::stringstream text;
    text << in.rdbuf();
    CHECK_MESSAGE(text.str().find("listening on 127.0.0.1") != std::string::npos, r);
    CHECK_MESSAGE(text.str().find("stopped") != std::string::npos, r);  // SIGTERM, clean exit
  }
  // The command's exit code is the result.
  const int seven = run_heapdrift({"cluster", "--out", dir + "/out2", "--", "sh", "-c",
                                   "test -f \"$HEAPDRIFT_CONFIG\" && test -f {config} && exit 7"},
                                  std::chrono::minutes(1), &log);
  CHECK(seven == 7);
  remove_unless_kept(dir);
}

TEST_CASE("bench: --protocols curpht alone is the single-protocol bench with a protocol column") {
  const std::string out = temp_dir("proto-ht") + "/report";
  std::string log;
  const int code = run_heapdrift({"bench", "--sweep", "3000,6000", "--protocols", "curpht", "--out",
                                  out, "--progress", "lines"},
                                 std::chrono::minutes(3), &log);
  INFO(log);
  REQUIRE(code == 0);
  // No protocol level in the run folders, no comparison: the report of a
  // plain bench.
  CHECK(fs::exists(out + "/runs/ops6000-it1/replica0/meta.json"));
  CHECK(!fs::exists(out + "/runs/curpht"));
  CHECK(!fs::exists(out + "/protocols.md"));
  CHECK(fs::exists(out + "/index.html"));
  CHECK(read_file(out + "/summary.md").find("Protocols side by side") == std::string::npos);
  // The replicas were told the protocol and recorded it.
  CHECK(read_json(out + "/runs/ops6000-it1/replica0/meta.json")
            .at("config")
            .at("settings")
            .at("protocol") == "curpht");
  const auto rows = tsv_rows(out + "/runs/table.tsv");
  REQUIRE(rows.size() == 3);  // header + 2 runs
  REQUIRE(rows[0].size() == 11);
  CHECK(rows[0][9] == "allocator");
  CHECK(rows[0][10] == "protocol");
  for (size_t i = 1; i < rows.size(); ++i) {
    REQUIRE(rows[i].size() == 11);
    CHECK(rows[i][9] == "jemalloc");
    CHECK(rows[i][10] == "curpht");
  }
  CHECK(log.find("protocol curpht") != std::string::npos);  // the sweep summary's title
  remove_unless_kept(fs::path(out).parent_path().string());
}

TEST_CASE("bench: --protocols with several --allocators, a repeated or unknown protocol: exit 2") {
  const std::string dir = temp_dir("proto-bad");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--protocols", "curpht,curpho", "--allocators", "jemalloc,glibc"}, "cannot be combined"},
      {{"--allocators", "jemalloc,glibc", "--protocols", "curpho,curpht"}, "cannot be combined"},
      {{"--protocols", "curpht,curpht"}, "curpht is given twice"},
      {{"--protocols", "curpht,paxos"}, "--protocols"},
  };
  for (const auto& one : cases) {
    std::vector<std::string> args = {"bench", "--sweep", "2000", "--out", dir + "/out"};
    args.insert(args.end(), one.first.begin(), one.first.end());
    std::string log;
    const int code = run_heapdrift(args, std::chrono::seconds(30), &log);
    INFO(one.first[1] << ": " << log);
    CHECK(code == 2);
    CHECK(log.find(one.second) != std::string::npos);
    CHECK(!fs::exists(dir + "/out/runs"));  // nothing started
  }
  remove_unless_kept(dir);
}

// Runs unconditionally: the replica and loadgen programs run curpho since
// issue 16 step 10 (a skip that asked them first could hide their failure).
TEST_CASE("bench: --protocols curpht,curpho puts both protocols side by side in one report") {
  const std::string out = temp_dir("proto-both") + "/report";
  std::string log;
  const int code = run_heapdrift({"bench", "--sweep", "3000,6000", "--protocols", "curpht,curpho",
                                  "--out", out, "--progress", "lines"},
                                 std::chrono::minutes(4), &log);
  INFO(log);
  CHECK(code == 0);
  for (const char* p : {"curpht", "curpho"}) {
    const std::string meta = out + "/runs/" + std::string(p) + "/ops6000-it1/replica0/meta.json";
    REQUIRE_MESSAGE(fs::exists(meta), p);
    CHECK(read_json(meta).at("config").at("settings").at("protocol") == p);
  }
  CHECK(fs::exists(out + "/curpho/index.html"));  // the second protocol's own report
  const std::string md = read_file(out + "/protocols.md");
  const auto rows = markdown_rows(md, "protocol | ops |");
  REQUIRE(rows.size() == 4);  // 2 protocols x 2 lengths
  std::set<std::string> protocols;
  for (const auto& r : rows) {
    REQUIRE(r.size() == 14);
    INFO(r[0] << " " << r[1]);
    protocols.insert(r[0]);
    CHECK(std::stod(r[2]) > 0);  // throughput
    CHECK(r[5] != "n/a");        // strong reads: the seed workload has them
  }
  CHECK(protocols == std::set<std::string>{"curpht", "curpho"});
  CHECK(md.find("CURP-HO throughput at 6000 ops = ") != std::string::npos);
  CHECK(md.find("HO ratio longest/shortest = ") != std::string::npos);
  CHECK(read_file(out + "/summary.md").find("## Protocols side by side") != std::string::npos);
  CHECK(read_file(out + "/index.html").find("Protocols side by side") != std::string::npos);
  std::set<std::string> tsv_protocols;
  for (const auto& r : tsv_rows(out + "/runs/table.tsv"))
    if (r.size() == 11 && r[10] != "protocol") tsv_protocols.insert(r[10]);
  CHECK(tsv_protocols == std::set<std::string>{"curpht", "curpho"});
  remove_unless_kept(fs::path(out).parent_path().string());
}
