// libdwfl-based symbolizer. Each module gets its own offline Dwfl session
// reported at bias 0, so lookups are in ELF virtual addresses and the cache is
// independent of where (ASLR) a given process loaded the module.
#include "analysis/symbolize/symbolizer.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analysis/ingest/proc_maps.h"

namespace hd::analysis {

std::string demangle(const std::string& symbol) {
  if (!symbol.starts_with("_Z")) return symbol;
  int status = 0;
  char* out = abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) return symbol;
  std::string s(out);
  std::free(out);
  return s;
}

std::string SymbolizedLocation::display() const {
  char buf[64];
  if (!frames.empty()) {
    const Frame& f = frames.front();
    std::string s = f.function.empty() ? "??" : f.function;
    if (!f.file.empty()) s += " " + f.file + ":" + std::to_string(f.line);
    return s;
  }
  if (!module.empty()) {
    std::snprintf(buf, sizeof buf, "+0x%llx", static_cast<unsigned long long>(module_offset));
    return module + buf;
  }
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(address));
  return buf;
}

namespace {

char* g_debuginfo_path = nullptr;  // libdwfl's default search (incl. .build-id)

const Dwfl_Callbacks kCallbacks = {
    nullptr,  // find_elf: unused, modules are reported with their file name
    dwfl_standard_find_debuginfo,
    dwfl_offline_section_address,
    &g_debuginfo_path,
};

std::string to_hex(const unsigned char* bits, int len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < len; ++i) {
    s += kDigits[bits[i] >> 4];
    s += kDigits[bits[i] & 15];
  }
  return s;
}

// Appends to out the scopes (subprograms, inlined subroutines, lexical
// blocks) under parent that contain pc, outermost first, in one descent of
// the CU: a scope's children are searched only when it contains pc, and
// namespaces, classes and imported (dwz) units are looked through. This is the
// chain dwarf_getscopes + dwarf_getscopes_die give (eu-addr2line -i), without
// their extra passes over the whole CU to find abstract origins and the
// innermost DIE again. Returns true when a scope containing pc was found.
constexpr int kMaxDieDepth = 64;
bool scopes_containing(Dwarf_Die& parent, Dwarf_Addr pc, int depth, std::vector<Dwarf_Die>& out) {
  Dwarf_Die child;
  if (depth > kMaxDieDepth || dwarf_child(&parent, &child) != 0) return false;
  do {
    switch (dwarf_tag(&child)) {
      case DW_TAG_subprogram:
      case DW_TAG_inlined_subroutine:
      case DW_TAG_lexical_block:
      case DW_TAG_try_block:
      case DW_TAG_catch_block:
      case DW_TAG_entry_point:
        if (dwarf_haspc(&child, pc) == 1) {
          out.push_back(child);
          scopes_containing(child, pc, depth + 1, out);
          return true;
        }
        break;
      case DW_TAG_namespace:
      case DW_TAG_class_type:
      case DW_TAG_structure_type:
      case DW_TAG_union_type:
      case DW_TAG_module:
        if (scopes_containing(child, pc, depth + 1, out)) return true;
        break;
      case DW_TAG_imported_unit: {
        Dwarf_Attribute attr;
        Dwarf_Die unit;
        if (dwarf_formref_die(dwarf_attr(&child, DW_AT_import, &attr), &unit) != nullptr &&
            scopes_containing(unit, pc, depth + 1, out))
          return true;
        break;
      }
      default:
        break;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return false;
}

std::string die_name(Dwarf_Die* die, int depth = 0);

// The DIE a subprogram or inlined subroutine is declared as: follows
// DW_AT_abstract_origin (inlined copy -> abstract instance) and
// DW_AT_specification (out-of-class definition -> in-class declaration), so
// the result sits in its namespace and class scopes.
constexpr int kMaxRefHops = 8;
Dwarf_Die declaring_die(Dwarf_Die* die) {
  Dwarf_Die cur = *die;
  for (int i = 0; i < kMaxRefHops; ++i) {
    Dwarf_Attribute attr;
    Dwarf_Die next;
    if (dwarf_formref_die(dwarf_attr(&cur, DW_AT_abstract_origin, &attr), &next) == nullptr &&
        dwarf_formref_die(dwarf_attr(&cur, DW_AT_specification, &attr), &next) == nullptr)
      break;
    cur = next;
  }
  return cur;
}

// "ns::Class::name" from the enclosing namespace, class and function DIEs,
// for functions GCC gives no linkage name (templates instantiated with a
// lambda or local type, some inline-only members): without it an inlined
// std::__new_allocator<T>::allocate comes out as a bare "allocate" and no
// std:: rule can see it.
constexpr int kMaxNameDepth = 4;
std::string scoped_name(Dwarf_Die* die, int depth) {
  Dwarf_Die decl = declaring_die(die);
  const char* name = dwarf_diename(&decl);
  if (name == nullptr) return "";
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes_die(&decl, &scopes);  // [0] the DIE, [n-1] its CU
  std::string prefix;
  for (int i = n - 2; i >= 1; --i) {
    const char* scope = dwarf_diename(&scopes[i]);
    switch (dwarf_tag(&scopes[i])) {
      case DW_TAG_namespace:
        prefix += scope != nullptr ? scope : "(anonymous namespace)";
        prefix += "::";
        break;
      case DW_TAG_class_type:
      case DW_TAG_structure_type:
      case DW_TAG_union_type:
        if (scope != nullptr) prefix += std::string(scope) + "::";
        break;
      case DW_TAG_subprogram:
        // A local class's member: qualified by its function, as the
        // demangler writes it ("f()::<lambda()>::operator()").
        if (depth < kMaxNameDepth) prefix = die_name(&scopes[i], depth + 1) + "::";
        break;
      default:
        break;
    }
  }
  std::free(scopes);
  return prefix + name;
}

// Name of a subprogram or inlined-subroutine DIE, demangled and qualified:
// the linkage name found through abstract_origin/specification, else the
// name qualified by its enclosing scopes.
std::string die_name(Dwarf_Die* die, int depth) {
  Dwarf_Attribute attr;
  for (int at : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (dwarf_attr_integrate(die, at, &attr) != nullptr) {
      if (const char* s = dwarf_formstring(&attr)) return demangle(s);
    }
  }
  return scoped_name(die, depth);
}

// Recorded paths (dl_iterate_phdr: /lib/...) and mapped paths (/proc maps:
// /usr/lib/...) may name the same file differently; compare canonical forms.
std::string canonical(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path c = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : c.string();
}

bool is_regular_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

struct Symbolizer::Module {
  ModuleStatus status;
  Dwfl* dwfl = nullptr;
  Dwfl_Module* mod = nullptr;
  struct Segment {
    uint64_t offset, filesz, vaddr;
  };
  std::vector<Segment> loads;  // PT_LOAD program headers
  // The file carries its own .debug_info. Without it (distro libraries whose
  // DWARF is in a separate, usually zlib-compressed /usr/lib/debug file), the
  // frame gets the symbol-table name only (the debug file's full .symtab when
  // installed): inflating e.g. glibc's debug info cost ~half of symbolizing a
  // whole profile, for the __libc_start_main frames every stack ends in.
  bool own_dwarf = false;
  std::unordered_map<uint64_t, std::vector<Frame>> cache;  // by lookup address

  ~Module() {
    if (dwfl != nullptr) dwfl_end(dwfl);
  }

  // ELF virtual address of a byte at file offset `off`, if some PT_LOAD maps it.
  bool vaddr_of(uint64_t off, uint64_t& vaddr) const {
    for (const Segment& s : loads) {
      if (off >= s.offset && off - s.offset < s.filesz) {
        vaddr = off - s.offset + s.vaddr;
        return true;
      }
    }
    return false;
  }

  std::vector<Frame> lookup(uint64_t vaddr) {
    auto it = cache.find(vaddr);
    if (it != cache.end()) return it->second;
    std::vector<Frame> frames = resolve(vaddr);
    cache.emplace(vaddr, frames);
    return frames;
  }

  std::vector<Frame> resolve(uint64_t addr) {
    std::vector<Frame> frames;
    GElf_Off sym_off = 0;
    GElf_Sym sym;
    const char* sym_name =
        dwfl_module_addrinfo(mod, addr, &sym_off, &sym, nullptr, nullptr, nullptr);
    if (!own_dwarf) {
      if (sym_name == nullptr) return frames;
      // Without the symbol version of dynamic symbols ("__libc_start_main@@GLIBC_2.34").
      const std::string_view name(sym_name);
      frames.push_back({demangle(std::string(name.substr(0, name.find('@')))), "", 0, false});
      return frames;
    }
    Frame cur;
    if (Dwfl_Line* line = dwfl_module_getsrc(mod, addr)) {
      int lineno = 0;
      if (const char* src = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr)) {
        cur.file = src;
        cur.line = lineno;
      }
    }
    Dwarf_Addr bias = 0;
    Dwarf_Die* cudie = dwfl_module_addrdie(mod, addr, &bias);
    // The concrete chain of scopes containing addr, innermost first.
    std::vector<Dwarf_Die> scopes;
    if (cudie != nullptr) {
      scopes_containing(*cudie, addr - bias, 0, scopes);
      std::reverse(scopes.begin(), scopes.end());
    }
    const int n = static_cast<int>(scopes.size());
    Dwarf_Files* files = nullptr;
    size_t nfiles = 0;
    if (cudie != nullptr && dwarf_getsrcfiles(cudie, &files, &nfiles) != 0) files = nullptr;
    bool reached_subprogram = false;
    for (int i = 0; i < n; ++i) {
      const int tag = dwarf_tag(&scopes[i]);
      if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine) continue;
      cur.function = die_name(&scopes[i]);
      if (tag == DW_TAG_subprogram) {
        if (cur.function.empty() && sym_name != nullptr) cur.function = demangle(sym_name);
        frames.push_back(cur);
        reached_subprogram = true;
        break;
      }
      // The caller's position is the inlined subroutine's call site.
      cur.inlined = true;
      frames.push_back(cur);
      cur = Frame();
      Dwarf_Attribute attr;
      Dwarf_Word val = 0;
      if (files != nullptr &&
          dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &attr), &val) == 0) {
        if (const char* f = dwarf_filesrc(files, val, nullptr, nullptr)) cur.file = f;
      }
      if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &attr), &val) == 0)
        cur.line = static_cast<int>(val);
    }
    if (!reached_subprogram && (sym_name != nullptr || !frames.empty() || !cur.file.empty())) {
      // No DWARF scope for the outer function: the symbol table still names it.
      cur.inlined = false;
      if (sym_name != nullptr) cur.function = demangle(sym_name);
      frames.push_back(cur);
    }
    return frames;
  }
};

Symbolizer::Symbolizer(std::vector<RecordedBinary> recorded) {
  for (RecordedBinary& b : recorded) recorded_[canonical(b.path)] = std::move(b.build_id);
}

Symbolizer::~Symbolizer() = default;

Symbolizer::Module& Symbolizer::module_locked(const std::string& path) const {
  auto it = modules_.find(path);
  if (it != modules_.end()) return *it->second;
  auto m = std::make_unique<Module>();
  m->status.path = path;
  auto warn = [&](const std::string& what) { warnings_.push_back(path + ": " + what); };
  // Devices and FIFOs (a mapped /dev/zero, a named pipe) could block or
  // stream forever; only regular files can be ELF modules.
  const bool regular = is_regular_file(path);
  m->dwfl = regular ? dwfl_begin(&kCallbacks) : nullptr;
  if (m->dwfl != nullptr) {
    dwfl_report_begin(m->dwfl);
    m->mod = dwfl_report_elf(m->dwfl, path.c_str(), path.c_str(), -1, 0, true);
    dwfl_report_end(m->dwfl, nullptr, nullptr);
  }
  if (m->mod == nullptr) {
    warn(std::string("cannot open for symbols (") +
         (regular ? dwfl_errmsg(-1) : "not a readable regular file") +
         "); its frames stay as module+offset");
  } else {
    const unsigned char* bits = nullptr;
    GElf_Addr note_vaddr = 0;
    const int len = dwfl_module_build_id(m->mod, &bits, &note_vaddr);
    if (len > 0) m->status.build_id = to_hex(bits, len);
    GElf_Addr elf_bias = 0;
    Elf* elf = dwfl_module_getelf(m->mod, &elf_bias);
    size_t shstrndx = 0;
    if (elf != nullptr && elf_getshdrstrndx(elf, &shstrndx) == 0) {
      for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr && !m->own_dwarf;
           scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        const char* name =
            gelf_getshdr(scn, &sh) != nullptr ? elf_strptr(elf, shstrndx, sh.sh_name) : nullptr;
        m->own_dwarf = name != nullptr && std::string_view(name) == ".debug_info";
      }
    }
    size_t phnum = 0;
    if (elf != nullptr && elf_getphdrnum(elf, &phnum) == 0) {
      for (size_t i = 0; i < phnum; ++i) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, static_cast<int>(i), &ph) != nullptr && ph.p_type == PT_LOAD)
          m->loads.push_back({ph.p_offset, ph.p_filesz, ph.p_vaddr + elf_bias});
      }
    }
    auto rec = recorded_.find(canonical(path));
    m->status.opened = true;
    if (rec != recorded_.end() && !rec->second.empty() && rec->second != m->status.build_id) {
      // Symbols from a different build would be confidently wrong.
      warn("build-id mismatch: the profile recorded " + rec->second + " but the file now has " +
           (m->status.build_id.empty() ? std::string("none") : m->status.build_id) +
           " (rebuilt since the run?); its frames stay as module+offset");
      m->status.opened = false;
    }
  }
  return *modules_.emplace(path, std::move(m)).first->second;
}

SymbolizedLocation Symbolizer::symbolize(const std::vector<Mapping>& mappings, uint64_t address,
                                         bool is_return_address) const {
  SymbolizedLocation loc;
  loc.address = address;
  const Mapping* m = find_mapping(mappings, address);
  if (m == nullptr) return loc;
  loc.module = m->path;
  loc.module_offset = address - m->start + m->file_offset;
  // Pseudo-files ("[vdso]", "[heap]") and anonymous JIT memory have no ELF.
  if (m->path.empty() || m->path.front() != '/') return loc;
  const uint64_t lookup_offset =
      is_return_address && loc.module_offset > 0 ? loc.module_offset - 1 : loc.module_offset;
  std::lock_guard<std::mutex> lock(mu_);
  Module& mod = module_locked(m->path);
  uint64_t vaddr = 0;
  if (!mod.status.opened || !mod.vaddr_of(lookup_offset, vaddr)) return loc;
  loc.frames = mod.lookup(vaddr);
  return loc;
}

std::string Symbolizer::build_id(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  return module_locked(path).status.build_id;
}

std::vector<std::string> Symbolizer::warnings() const {
  std::lock_guard<std::mutex> lock(mu_);
  return warnings_;
}

std::vector<ModuleStatus> Symbolizer::modules() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ModuleStatus> out;
  for (const auto& [path, m] : modules_) out.push_back(m->status);
  return out;
}

}  // namespace hd::analysis
