// Helpers shared by the analysis unit tests: committed sample paths and
// running hd_profile_sample under a real allocator/profiler.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace hd::analysis::testing {

inline std::string sample_path(const std::string& name) {
  return std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/profiles/" + name;
}

inline std::string sample_program() {
  return std::string(HEAPDRIFT_BIN_DIR) + "/hd_profile_sample";
}

// A scratch directory per test process, removed when the process exits.
inline std::string scratch_dir() {
  struct Dir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("hd_analysis_test_" + std::to_string(::getpid()));
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static Dir dir;
  std::filesystem::create_directories(dir.path);
  return dir.path.string();
}

inline bool have_file(const std::string& path) {
  return std::filesystem::exists(path);
}

// Runs `env sample_program args`; true on exit status 0.
inline bool run_sample(const std::string& env, const std::string& args) {
  const std::string cmd = "env " + env + " " + sample_program() + " " + args + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

constexpr const char* kLibJemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
constexpr const char* kLibTcmalloc = "/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4";
constexpr const char* kLibProfiler = "/usr/lib/x86_64-linux-gnu/libprofiler.so.0";

}  // namespace hd::analysis::testing
