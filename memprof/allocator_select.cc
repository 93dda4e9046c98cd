// Allocator selection by re-exec with LD_PRELOAD; see allocator_select.h.
#include "memprof/allocator_select.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace hd::memprof {
namespace {

bool is_allocator_library(const std::string& path) {
  return path.find("libjemalloc") != std::string::npos ||
         path.find("libtcmalloc") != std::string::npos;
}

std::string first_readable(const char* env_override, std::initializer_list<const char*> paths) {
  if (const char* e = std::getenv(env_override); e != nullptr && *e != '\0') {
    return access(e, R_OK) == 0 ? std::string(e) : std::string();
  }
  for (const char* p : paths) {
    if (access(p, R_OK) == 0) return p;
  }
  return {};
}

}  // namespace

std::string allocator_library_path(Backend b) {
  switch (b) {
    case Backend::kJemalloc:
      return first_readable(
          "HEAPDRIFT_JEMALLOC_LIB",
          {"/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
           "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2", "/usr/lib64/libjemalloc.so.2",
           "/usr/lib/libjemalloc.so.2", "/usr/local/lib/libjemalloc.so.2"});
    case Backend::kTcmalloc:
      // The full libtcmalloc (not _minimal): it has the HeapProfiler for exact mode.
      return first_readable(
          "HEAPDRIFT_TCMALLOC_LIB",
          {"/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4",
           "/usr/lib/aarch64-linux-gnu/libtcmalloc.so.4", "/usr/lib64/libtcmalloc.so.4",
           "/usr/lib/libtcmalloc.so.4", "/usr/local/lib/libtcmalloc.so.4"});
    case Backend::kGlibc:
      return {};
  }
  return {};
}

Result<std::vector<std::pair<std::string, std::string>>> allocator_environment(
    const AllocatorRequest& req, const char* current_preload, const std::string& extra_preload) {
  std::vector<std::pair<std::string, std::string>> env;
  std::string lib;
  if (req.backend != Backend::kGlibc) {
    lib = allocator_library_path(req.backend);
    if (lib.empty()) {
      return Status::error(
          std::string("allocator ") + backend_name(req.backend) +
          ": shared library not found (install " +
          (req.backend == Backend::kJemalloc ? "libjemalloc2" : "libgoogle-perftools4") +
          ", or set HEAPDRIFT_" + (req.backend == Backend::kJemalloc ? "JEMALLOC" : "TCMALLOC") +
          "_LIB)");
    }
  }
  // LD_PRELOAD: the allocator first, then the caller's entries that are not
  // allocators, then extra_preload.
  std::string preload = lib;
  auto append = [&preload](const std::string& p) {
    if (p.empty()) return;
    if (!preload.empty()) preload += ':';
    preload += p;
  };
  if (current_preload != nullptr) {
    std::string rest(current_preload);
    size_t pos = 0;
    while (pos <= rest.size()) {
      size_t end = rest.find_first_of(": ", pos);
      if (end == std::string::npos) end = rest.size();
      std::string item = rest.substr(pos, end - pos);
      if (!item.empty() && !is_allocator_library(item) && item != extra_preload) append(item);
      pos = end + 1;
    }
  }
  append(extra_preload);
  env.emplace_back("LD_PRELOAD", preload);
  if (req.profiling && req.backend == Backend::kJemalloc) {
    std::string conf =
        "prof:true,prof_active:true,lg_prof_sample:" + std::to_string(req.lg_prof_sample) +
        ",prof_final:false,prof_gdump:false";
    // A user's MALLOC_CONF comes after ours: jemalloc lets later options win.
    if (const char* user = std::getenv("MALLOC_CONF"); user != nullptr && *user != '\0') {
      conf += ',';
      conf += user;
    }
    env.emplace_back("MALLOC_CONF", conf);
  }
  if (req.profiling && req.backend == Backend::kTcmalloc) {
    // A user's TCMALLOC_SAMPLE_PARAMETER wins, as a user's MALLOC_CONF does.
    const char* user = std::getenv("TCMALLOC_SAMPLE_PARAMETER");
    env.emplace_back("TCMALLOC_SAMPLE_PARAMETER", user != nullptr && *user != '\0'
                                                      ? std::string(user)
                                                      : std::to_string(req.tcmalloc_sample_bytes));
  }
  return env;
}

Status ensure_allocator(const AllocatorRequest& req, char** argv, std::string* note) {
  if (dlsym(RTLD_DEFAULT, "__asan_init") != nullptr ||
      dlsym(RTLD_DEFAULT, "__tsan_init") != nullptr) {
    *note = "sanitizer build: the sanitizer's allocator serves malloc; --allocator " +
            std::string(backend_name(req.backend)) + " not applied";
    return Status::ok();
  }
  const Backend live = detect_backend();
  const char* marker = std::getenv(kReexecMarker);
  const bool profiling_wanted_missing = req.profiling && req.backend == Backend::kTcmalloc &&
                                        std::getenv("TCMALLOC_SAMPLE_PARAMETER") == nullptr;
  if (live == req.backend && !profiling_wanted_missing) {
    unsetenv(kReexecMarker);
    return Status::ok();
  }
  if (marker != nullptr) {
    return Status::error(std::string("allocator ") + backend_name(req.backend) +
                         " requested, but after re-executing with LD_PRELOAD the live "
                         "allocator is " +
                         backend_name(live));
  }
  auto env = allocator_environment(req, std::getenv("LD_PRELOAD"), "");
  if (!env) return env.status();
  for (const auto& [name, value] : *env) {
    if (name == "LD_PRELOAD" && value.empty()) {
      unsetenv("LD_PRELOAD");
    } else {
      setenv(name.c_str(), value.c_str(), 1);
    }
  }
  setenv(kReexecMarker, backend_name(req.backend), 1);
  execv("/proc/self/exe", argv);
  return Status::error(std::string("re-exec with allocator ") + backend_name(req.backend) +
                       " failed: " + std::strerror(errno));
}

}  // namespace hd::memprof
