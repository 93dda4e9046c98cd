// executable: see executable.h.
#include "launcher/executable.h"

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string_view>
#include <vector>

namespace hd::launcher {
namespace {

// Reads the ELF header and program headers of an open file; sets
// e->elf and e->static_elf. A file too short or not ELF is "not ELF".
template <typename Ehdr, typename Phdr>
void read_program_headers(std::ifstream& in, Executable* e) {
  Ehdr h;
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(&h), sizeof h)) return;
  if (h.e_phentsize != sizeof(Phdr) || h.e_phnum == 0) return;
  e->elf = true;
  e->static_elf = true;
  for (uint32_t i = 0; i < h.e_phnum; ++i) {  // e_phnum < 65536
    Phdr p;
    in.seekg(static_cast<std::streamoff>(h.e_phoff + uint64_t{i} * sizeof(Phdr)));
    if (!in.read(reinterpret_cast<char*>(&p), sizeof p)) return;
    if (p.p_type == PT_INTERP) {
      e->static_elf = false;
      return;
    }
  }
}

Status classify(const std::string& path, Executable* e) {
  e->path = path;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::error(path + ": not found");
    return Status::error(path + ": cannot read: " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return Status::error(path + ": is a directory, not a program");
  if (!S_ISREG(st.st_mode) || access(path.c_str(), X_OK) != 0)
    return Status::error(path + ": not executable (no execute permission for this user)");
  e->secure_exec = ((st.st_mode & S_ISUID) != 0 && st.st_uid != geteuid()) ||
                   ((st.st_mode & S_ISGID) != 0 && st.st_gid != getegid());
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::ok();  // executable but unreadable: cannot tell, exec decides
  unsigned char ident[EI_NIDENT] = {};
  if (!in.read(reinterpret_cast<char*>(ident), EI_NIDENT)) return Status::ok();
  if (std::memcmp(ident, ELFMAG, SELFMAG) != 0) return Status::ok();  // a script, ...
  if (ident[EI_CLASS] == ELFCLASS64)
    read_program_headers<Elf64_Ehdr, Elf64_Phdr>(in, e);
  else if (ident[EI_CLASS] == ELFCLASS32)
    read_program_headers<Elf32_Ehdr, Elf32_Phdr>(in, e);
  return Status::ok();
}

}  // namespace

Result<Executable> find_executable(const std::string& name, const char* path_env) {
  if (name.empty()) return Status::error("the program name is empty");
  Executable e;
  if (name.find('/') != std::string::npos) {
    if (Status st = classify(name, &e); !st) return st;
    return e;
  }
  // execvp: each PATH element in order (an empty one is the working
  // directory); the first executable regular file wins; a match that is
  // not executable is reported when nothing else is found.
  const std::string path = path_env != nullptr ? path_env : "/bin:/usr/bin";
  std::string first_problem;
  size_t start = 0;
  for (;;) {  // one pass over PATH's elements
    const size_t colon = path.find(':', start);
    const std::string dir = path.substr(start, colon == std::string::npos ? colon : colon - start);
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    Status st = classify(candidate, &e);
    if (st) return e;
    if (first_problem.empty() && st.message().find(": not found") == std::string::npos)
      first_problem = st.message();
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (!first_problem.empty()) return Status::error(first_problem);
  return Status::error(name + ": not found (no such program in PATH: " + path + ")");
}

}  // namespace hd::launcher
