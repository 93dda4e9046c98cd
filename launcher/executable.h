// executable: what a program named on the command line is, found as execvp
// finds it (PATH when the name has no '/'), before anything is started:
// whether it exists and may be executed, and whether it is a statically
// linked ELF file (no PT_INTERP), which LD_PRELOAD cannot reach. Stateless;
// thread-safe.
#pragma once

#include <string>

#include "base/status.h"

namespace hd::launcher {

struct Executable {
  std::string path;         // the file execvp would run
  bool elf = false;         // an ELF file (else a script or something unknown)
  bool static_elf = false;  // ELF without an interpreter (PT_INTERP): nothing is preloaded
  // setuid/setgid to someone else: the loader ignores LD_PRELOAD (secure mode).
  bool secure_exec = false;
};

// Finds `name` as execvp would, with `path_env` as PATH (nullptr: execvp's
// default "/bin:/usr/bin"). Errors name the program and say what is wrong:
// "not found" (listing the PATH searched), "is a directory", "not
// executable", "cannot read".
Result<Executable> find_executable(const std::string& name, const char* path_env);

}  // namespace hd::launcher
