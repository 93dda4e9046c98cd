// find_executable: a program found as execvp finds it, and what it is (not
// found, a directory, not executable, statically linked) before it starts.
#include "launcher/executable.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "skip.h"

namespace fs = std::filesystem;
using hd::launcher::find_executable;

namespace {

const std::string kStaticProgram = std::string(HEAPDRIFT_BIN_DIR) + "/hd_static_hello";

// A scratch folder for this test process.
std::string scratch() {
  const fs::path dir =
      fs::temp_directory_path() / ("hd_executable_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  return dir.string();
}

}  // namespace

TEST_CASE("find_executable: a name without '/' is looked up in PATH, in order") {
  auto sh = find_executable("sh", "/nonexistent-dir:/bin:/usr/bin");
  REQUIRE_MESSAGE(sh.is_ok(), sh.status().message());
  CHECK(sh->path == "/bin/sh");
  CHECK_FALSE(sh->static_elf);
}

TEST_CASE("find_executable: a dynamically linked ELF program is not static") {
  // This test binary itself: linked against libstdc++, so it has PT_INTERP.
  auto self = find_executable(fs::read_symlink("/proc/self/exe").string(), nullptr);
  REQUIRE_MESSAGE(self.is_ok(), self.status().message());
  CHECK(self->elf);
  CHECK_FALSE(self->static_elf);
  CHECK_FALSE(self->secure_exec);
}

TEST_CASE("find_executable: not found names the program and the PATH searched") {
  auto r = find_executable("heapdrift-no-such-program", "/nonexistent-a:/nonexistent-b");
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message() ==
        "heapdrift-no-such-program: not found (no such program in PATH: "
        "/nonexistent-a:/nonexistent-b)");
  auto p = find_executable("/nonexistent/prog", nullptr);
  REQUIRE_FALSE(p.is_ok());
  CHECK(p.status().message() == "/nonexistent/prog: not found");
}

TEST_CASE("find_executable: a directory or a file without execute permission is named so") {
  const std::string dir = scratch();
  auto d = find_executable(dir, nullptr);
  REQUIRE_FALSE(d.is_ok());
  CHECK(d.status().message() == dir + ": is a directory, not a program");
  const std::string file = dir + "/not_executable";
  std::ofstream(file) << "#!/bin/sh\nexit 0\n";
  chmod(file.c_str(), 0644);
  auto f = find_executable(file, nullptr);
  REQUIRE_FALSE(f.is_ok());
  CHECK(f.status().message().find(file + ": not executable") == 0);
  // Found in PATH but not executable: that is the error, not "not found".
  auto in_path = find_executable("not_executable", dir.c_str());
  REQUIRE_FALSE(in_path.is_ok());
  CHECK(in_path.status().message().find(file + ": not executable") == 0);
  // A script is executable but not ELF: nothing to say about its linking.
  chmod(file.c_str(), 0755);
  auto s = find_executable(file, nullptr);
  REQUIRE(s.is_ok());
  CHECK_FALSE(s->elf);
  CHECK_FALSE(s->static_elf);
  fs::remove_all(dir);
}

TEST_CASE("find_executable: a statically linked program (no PT_INTERP) is told apart" *
          HD_SKIP_IF(!fs::exists(kStaticProgram),
                     "static linking is not possible on this machine (no libc.a)")) {
  auto r = find_executable(kStaticProgram, nullptr);
  REQUIRE_MESSAGE(r.is_ok(), r.status().message());
  CHECK(r->elf);
  CHECK(r->static_elf);
}
