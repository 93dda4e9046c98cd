// meta.json writer; see meta.h and docs/run-folder.md.
#include "memprof/meta.h"

#include <elf.h>
#include <link.h>
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/schema.h"

namespace hd::memprof {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}

std::string hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

std::string build_id_of(const struct dl_phdr_info* info) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const auto* p = reinterpret_cast<const unsigned char*>(info->dlpi_addr + ph.p_vaddr);
    const unsigned char* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) nh;
      std::memcpy(&nh, p, sizeof(nh));
      const unsigned char* name = p + sizeof(nh);
      const unsigned char* desc = name + ((nh.n_namesz + 3) & ~3u);
      if (desc + nh.n_descsz > end) break;
      if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
        return hex(desc, nh.n_descsz);
      }
      p = desc + ((nh.n_descsz + 3) & ~3u);
    }
  }
  return {};
}

std::string cpu_list(const cpu_set_t& set) {
  std::string s;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &set)) continue;
    int e = c;
    while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, &set)) ++e;
    if (!s.empty()) s += ',';
    s += std::to_string(c);
    if (e > c) s += "-" + std::to_string(e);
    c = e;
  }
  return s;
}

}  // namespace

std::vector<LoadedObject> loaded_objects() {
  std::vector<LoadedObject> out;
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* data) -> int {
        auto* v = static_cast<std::vector<LoadedObject>*>(data);
        LoadedObject o;
        o.path = info->dlpi_name != nullptr ? info->dlpi_name : "";
        const bool main_program = v->empty() && o.path.empty();
        if (main_program) o.path = self_exe();
        if (o.path.empty()) return 0;  // e.g. the vDSO without a name
        o.build_id = build_id_of(info);
        o.base_address = info->dlpi_addr;
        v->push_back(std::move(o));
        return 0;
      },
      &out);
  return out;
}

Status write_meta(const std::string& dir, const MetaInputs& in, const AllocatorReader& reader) {
  try {
    nlohmann::json j;
    j["schema"] = schema::kRun;
    // The version again, as readers of the older id (heapdrift-run) expect.
    j["schema_version"] = kRunFolderSchemaVersion;
    j["program"] = in.program;
    j["pid"] = static_cast<int64_t>(getpid());
    j["start_unix_ms"] = in.start_unix_ms;
    std::string cmdline = read_file("/proc/self/cmdline");
    nlohmann::json argv = nlohmann::json::array();
    for (size_t pos = 0; pos < cmdline.size();) {
      const size_t end = cmdline.find('\0', pos);
      argv.push_back(cmdline.substr(pos, end == std::string::npos ? end : end - pos));
      if (end == std::string::npos) break;
      pos = end + 1;
    }
    j["command_line"] = argv;

    const ProfileInfo& prof = reader.profile_info();
    nlohmann::json alloc;
    alloc["requested"] = in.requested_allocator.empty() ? nlohmann::json(nullptr)
                                                        : nlohmann::json(in.requested_allocator);
    alloc["live"] = backend_name(reader.backend());
    alloc["live_detected_by"] =
        "dlsym(RTLD_DEFAULT): mallctl -> jemalloc, "
        "MallocExtension_GetNumericProperty -> tcmalloc, else glibc";
    alloc["verified"] =
        in.requested_allocator.empty() || in.requested_allocator == backend_name(reader.backend());
    alloc["version"] = reader.version();
    alloc["cumulative_allocs"] = reader.backend() == Backend::kJemalloc;
    alloc["heap_profiles"] = prof.available;
    alloc["heap_profile_kind"] = prof.kind;
    alloc["heap_profile_format"] = prof.format;
    alloc["heap_profile_sample_bytes"] = prof.sample_bytes;
    for (const char* env : {"LD_PRELOAD", "MALLOC_CONF", "TCMALLOC_SAMPLE_PARAMETER"}) {
      const char* v = std::getenv(env);
      alloc["env"][env] = v != nullptr ? nlohmann::json(v) : nlohmann::json(nullptr);
    }
    j["allocator"] = alloc;

    nlohmann::json rec;
    rec["snapshot_interval_ms"] = in.snapshot_interval_ms;
    rec["heap_profile_at_ops"] = in.heap_profile_at;
    rec["heap_profile_at_ms"] = in.heap_profile_at_ms;
    rec["snapshot_every_ops"] = in.snapshot_every_ops;
    // The plan's inputs and where its choices came from (recording_plan.h):
    // the effective sampling rate is allocator.heap_profile_sample_bytes.
    if (in.expected_ops.least > 0)
      rec["expected_ops"] = {{"least", in.expected_ops.least},
                             {"most", std::max(in.expected_ops.most, in.expected_ops.least)}};
    if (!in.heap_profile_at_from.empty()) rec["heap_profile_at_from"] = in.heap_profile_at_from;
    if (!in.lg_prof_sample_from.empty()) {
      rec["lg_prof_sample"] = in.lg_prof_sample;
      rec["lg_prof_sample_from"] = in.lg_prof_sample_from;
    }
    rec["cpu_profile"] = in.cpu_profile;
    if (!in.cpu_window_at.empty()) rec["cpu_window_at_ops"] = in.cpu_window_at;
    rec["children_cpu_us_at_start"] = in.children_cpu_us_at_start;
    rec["hw_counters"] = {{"available", in.hw_counters_available}};
    if (!in.hw_counters_available) rec["hw_counters"]["why"] = in.hw_counters_why;
    rec["ops_source"] = in.ops_source;
    if (!in.note.empty()) rec["note"] = in.note;
    j["recorder"] = rec;

    nlohmann::json cfg;
    cfg["path"] = in.config_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(in.config_path);
    if (!in.config_path.empty() && access(in.config_path.c_str(), R_OK) == 0) {
      cfg["text"] = read_file(in.config_path);
    }
    for (const auto& [k, v] : in.settings) cfg["settings"][k] = v;
    j["config"] = cfg;

    nlohmann::json host;
    char name[256] = {};
    gethostname(name, sizeof(name) - 1);
    host["hostname"] = name;
    struct utsname u;
    if (uname(&u) == 0) {
      host["kernel"] = std::string(u.sysname) + " " + u.release + " " + u.version;
      host["machine"] = u.machine;
    }
    host["cpus_online"] = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
      host["affinity"] = cpu_list(set);
      host["affinity_count"] = CPU_COUNT(&set);
    }
    host["page_size"] = sysconf(_SC_PAGESIZE);
    j["host"] = host;

    nlohmann::json objs = nlohmann::json::array();
    for (const auto& o : loaded_objects()) {
      char base[32];
      std::snprintf(base, sizeof(base), "0x%llx", static_cast<unsigned long long>(o.base_address));
      objs.push_back(
          {{"path", o.path},
           {"build_id", o.build_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.build_id)},
           {"base", base}});
    }
    j["binary"] = objs.empty() ? nlohmann::json(nullptr) : objs[0];
    j["objects"] = objs;

    const std::string path = dir + "/meta.json";
    const std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp);
      out << j.dump(1) << '\n';
      if (!out) return Status::error(tmp + ": cannot write");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status::error(path + ": rename failed");
    return Status::ok();
  } catch (const std::exception& e) {
    return Status::error(std::string("meta.json: ") + e.what());
  }
}

}  // namespace hd::memprof
