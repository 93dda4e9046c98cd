// Allocator backends; see backend.h. Entry points are resolved with dlsym so
// the binary runs unchanged on glibc, a preloaded jemalloc or a preloaded
// tcmalloc.
#include "memprof/backend.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

// gperftools' C++ API: only virtual calls through MallocExtension::instance()
// (resolved with dlsym), so nothing here links libtcmalloc.
#include <gperftools/malloc_extension.h>

namespace hd::memprof {
namespace {

template <typename Fn>
Fn lookup(const char* name) {
  void* p = dlsym(RTLD_DEFAULT, name);
  Fn fn;
  static_assert(sizeof(fn) == sizeof(p));
  std::memcpy(&fn, &p, sizeof(fn));
  return fn;
}

// MALLCTL_ARENAS_ALL in jemalloc.h: the merged statistics of every arena.
constexpr const char* kAllArenas = "4096";

bool write_all(int fd, const char* data, size_t len) {
  while (len > 0) {
    const ssize_t n = ::write(fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// gperftools (2.10 as Debian ships it) starts the main thread's sampler
// before it has read TCMALLOC_SAMPLE_PARAMETER, so that thread's first
// sampling point is its "sampling off" value, 16 MiB: the first 16 MiB the
// main thread allocates are never sampled, and a site it fills early reads
// ~25 % low at 64 MiB (measured: 97 of 128 expected samples; threads started
// later are unaffected). Allocating just over 16 MiB in blocks below
// tcmalloc's small-object limit moves that thread past the point, after which
// it samples at the set period. The blocks are never written, so this costs
// address space and ~700 KiB of RSS (freed objects' list links), once.
void skip_tcmalloc_startup_interval() {
  constexpr size_t kBlock = size_t{256} << 10;
  constexpr size_t kBlocks = ((size_t{16} << 20) / kBlock) + 1;
  // Through volatile pointers so the compiler cannot pair and drop the calls.
  void* (*volatile do_malloc)(size_t) = std::malloc;
  void (*volatile do_free)(void*) = std::free;
  std::array<void*, kBlocks> blocks{};
  for (void*& b : blocks) b = do_malloc(kBlock);
  for (void* b : blocks) do_free(b);
}

}  // namespace

const char* backend_name(Backend b) {
  switch (b) {
    case Backend::kJemalloc:
      return "jemalloc";
    case Backend::kTcmalloc:
      return "tcmalloc";
    case Backend::kGlibc:
      return "glibc";
  }
  return "glibc";
}

bool parse_backend(const char* name, Backend* out) {
  for (Backend b : {Backend::kJemalloc, Backend::kTcmalloc, Backend::kGlibc}) {
    if (std::strcmp(name, backend_name(b)) == 0) {
      *out = b;
      return true;
    }
  }
  return false;
}

Backend detect_backend() {
  if (dlsym(RTLD_DEFAULT, "mallctl") != nullptr) return Backend::kJemalloc;
  if (dlsym(RTLD_DEFAULT, "MallocExtension_GetNumericProperty") != nullptr) {
    return Backend::kTcmalloc;
  }
  return Backend::kGlibc;
}

Status AllocatorReader::init(bool tcmalloc_exact, const char* exact_prefix) {
  backend_ = detect_backend();
  switch (backend_) {
    case Backend::kJemalloc:
      return init_jemalloc();
    case Backend::kTcmalloc:
      return init_tcmalloc(tcmalloc_exact, exact_prefix);
    case Backend::kGlibc:
      version_ = gnu_get_libc_version();
      return Status::ok();
  }
  return Status::ok();
}

Status AllocatorReader::init_jemalloc() {
  mallctl_ = lookup<MallctlFn>("mallctl");
  bymib_ = lookup<MallctlByMibFn>("mallctlbymib");
  auto name_to_mib = lookup<MallctlNameToMibFn>("mallctlnametomib");
  if (mallctl_ == nullptr || bymib_ == nullptr || name_to_mib == nullptr) {
    return Status::error("jemalloc: mallctl entry points missing");
  }
  auto mib = [&](const char* name, Mib* m) -> bool {
    m->len = kMaxMib;
    return name_to_mib(name, m->v, &m->len) == 0;
  };
  if (!mib("epoch", &epoch_) || !mib("stats.allocated", &allocated_) ||
      !mib("stats.active", &active_) || !mib("stats.resident", &resident_) ||
      !mib("stats.mapped", &mapped_) || !mib("stats.retained", &retained_) ||
      !mib("stats.metadata", &metadata_)) {
    return Status::error("jemalloc: stats.* not available (built without --enable-stats?)");
  }
  size_t len = sizeof(version_);
  mallctl_("version", &version_, &len, nullptr, 0);

  unsigned nbins = 0;
  unsigned nlextents = 0;
  len = sizeof(unsigned);
  mallctl_("arenas.nbins", &nbins, &len, nullptr, 0);
  len = sizeof(unsigned);
  mallctl_("arenas.nlextents", &nlextents, &len, nullptr, 0);
  char name[96];
  nclasses_ = 0;
  for (unsigned i = 0; i < nbins + nlextents && nclasses_ < kMaxClasses; ++i) {
    const bool small = i < nbins;
    const unsigned j = small ? i : i - nbins;
    size_t size = 0;
    len = sizeof(size);
    std::snprintf(name, sizeof(name), small ? "arenas.bin.%u.size" : "arenas.lextent.%u.size", j);
    if (mallctl_(name, &size, &len, nullptr, 0) != 0) continue;
    std::snprintf(
        name, sizeof(name),
        small ? "stats.arenas.%s.bins.%u.nrequests" : "stats.arenas.%s.lextents.%u.nrequests",
        kAllArenas, j);
    if (!mib(name, &class_nreq_[nclasses_])) continue;
    class_size_[nclasses_] = size;
    class_small_[nclasses_] = small;
    ++nclasses_;
  }
  nbins_ = nbins;
  std::snprintf(name, sizeof(name), "stats.arenas.%s.small.nrequests", kAllArenas);
  totals_known_ = mib(name, &small_nreq_);
  std::snprintf(name, sizeof(name), "stats.arenas.%s.large.nrequests", kAllArenas);
  totals_known_ = totals_known_ && mib(name, &large_nreq_);

  bool prof = false;
  len = sizeof(prof);
  if (mallctl_("opt.prof", &prof, &len, nullptr, 0) == 0 && prof) {
    profile_.available = true;
    profile_.kind = "jemalloc-prof";
    profile_.format = "jemalloc-heap_v2";
    size_t lg = 0;
    len = sizeof(lg);
    if (mallctl_("prof.lg_sample", &lg, &len, nullptr, 0) == 0) profile_.sample_bytes = 1ull << lg;
  }
  return Status::ok();
}

Status AllocatorReader::init_tcmalloc(bool exact, const char* exact_prefix) {
  tc_numeric_ = lookup<NumericFn>("MallocExtension_GetNumericProperty");
  if (tc_numeric_ == nullptr) return Status::error("tcmalloc: MallocExtension missing");
  using VersionFn = const char* (*)(int*, int*, const char**);
  if (auto v = lookup<VersionFn>("tc_version")) version_ = v(nullptr, nullptr, nullptr);
  using InstanceFn = MallocExtension* (*)();
  if (auto inst = lookup<InstanceFn>("_ZN15MallocExtension8instanceEv")) tc_instance_ = inst();
  if (exact) {
    using StartFn = void (*)(const char*);
    auto start = lookup<StartFn>("HeapProfilerStart");
    tc_get_heap_profile_ = lookup<GetHeapProfileFn>("GetHeapProfile");
    if (start == nullptr || tc_get_heap_profile_ == nullptr) {
      return Status::error(
          "tcmalloc exact mode needs the full libtcmalloc (HeapProfilerStart), not "
          "tcmalloc_minimal");
    }
    start(exact_prefix != nullptr ? exact_prefix : "/tmp/heapdrift-exact");
    profile_.available = true;
    profile_.kind = "tcmalloc-exact";
    profile_.format = "gperftools-heap";
    profile_.sample_bytes = 0;
    return Status::ok();
  }
  // Sampling is on when TCMALLOC_SAMPLE_PARAMETER > 0 (read by tcmalloc at start).
  const char* env = std::getenv("TCMALLOC_SAMPLE_PARAMETER");
  const uint64_t period = env != nullptr ? std::strtoull(env, nullptr, 10) : 0;
  if (tc_instance_ != nullptr && period > 0) {
    skip_tcmalloc_startup_interval();
    profile_.available = true;
    profile_.kind = "tcmalloc-sampled";
    profile_.format = "gperftools-heap";
    profile_.sample_bytes = period;
  }
  return Status::ok();
}

void AllocatorReader::read(AllocStats* out) const {
  *out = AllocStats{};
  switch (backend_) {
    case Backend::kJemalloc:
      read_jemalloc(out);
      return;
    case Backend::kTcmalloc:
      read_tcmalloc(out);
      return;
    case Backend::kGlibc:
      read_glibc(out);
      return;
  }
}

void AllocatorReader::read_jemalloc(AllocStats* out) const {
  auto get = [&](const Mib& m) -> uint64_t {
    size_t v = 0;
    size_t l = sizeof(v);
    return bymib_(m.v, m.len, &v, &l, nullptr, 0) == 0 ? v : kUnknown;
  };
  // The epoch refresh merges the arenas' counters one arena at a time while
  // other threads allocate, so a large allocation can be counted in
  // `allocated` before its pages are in `active` (seen: allocated 51.4 MB >
  // active 46.0 MB while four threads allocated 64 MiB). Refresh again, a
  // few times at most, until the reading is consistent.
  constexpr int kAttempts = 4;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    uint64_t epoch = 1;
    size_t len = sizeof(epoch);
    bymib_(epoch_.v, epoch_.len, &epoch, &len, &epoch, sizeof(epoch));
    out->allocated = get(allocated_);
    out->active = get(active_);
    out->resident = get(resident_);
    out->mapped = get(mapped_);
    const bool known = out->allocated != kUnknown && out->active != kUnknown &&
                       out->resident != kUnknown && out->mapped != kUnknown;
    if (!known || (out->allocated <= out->active && out->active <= out->resident &&
                   out->resident <= out->mapped))
      break;
  }
  out->retained = get(retained_);
  out->metadata = get(metadata_);
  ClassSums sums = sum_classes(/*all=*/!totals_known_);
  if (totals_known_) {
    const uint64_t small = get(small_nreq_);
    const uint64_t large = get(large_nreq_);
    if (small != sums.small_count || large != sums.large_count) sums = sum_classes(/*all=*/true);
  }
  out->alloc_count = sums.small_count + sums.large_count;
  out->alloc_bytes = sums.bytes;
}

AllocatorReader::ClassSums AllocatorReader::sum_classes(bool all) const {
  if (all) full_class_scans_.fetch_add(1, std::memory_order_relaxed);
  ClassSums s;
  for (size_t i = 0; i < nclasses_; ++i) {
    if (!all && !class_seen_[i].load(std::memory_order_relaxed)) continue;
    uint64_t n = 0;
    size_t l = sizeof(n);
    if (bymib_(class_nreq_[i].v, class_nreq_[i].len, &n, &l, nullptr, 0) != 0) continue;
    if (n == 0) continue;
    if (all) class_seen_[i].store(true, std::memory_order_relaxed);
    (class_small_[i] ? s.small_count : s.large_count) += n;
    s.bytes += n * class_size_[i];
  }
  return s;
}

void AllocatorReader::read_tcmalloc(AllocStats* out) const {
  auto get = [&](const char* name) -> uint64_t {
    size_t v = 0;
    return tc_numeric_(name, &v) != 0 ? v : kUnknown;
  };
  out->allocated = get("generic.current_allocated_bytes");
  out->mapped = get("generic.heap_size");
  out->unmapped_bytes = get("tcmalloc.pageheap_unmapped_bytes");
  const uint64_t physical = get("generic.total_physical_bytes");
  if (physical != kUnknown) {
    out->resident = physical;
  } else if (out->mapped != kUnknown && out->unmapped_bytes != kUnknown) {
    out->resident = out->mapped - out->unmapped_bytes;
  }
  uint64_t free_total = 0;
  for (const char* name :
       {"tcmalloc.pageheap_free_bytes", "tcmalloc.central_cache_free_bytes",
        "tcmalloc.transfer_cache_free_bytes", "tcmalloc.thread_cache_free_bytes"}) {
    const uint64_t v = get(name);
    if (v != kUnknown) free_total += v;
  }
  out->free_bytes = free_total;
  if (physical != kUnknown && out->mapped != kUnknown && out->unmapped_bytes != kUnknown &&
      physical + out->unmapped_bytes >= out->mapped) {
    out->metadata = physical + out->unmapped_bytes - out->mapped;
  }
}

void AllocatorReader::read_glibc(AllocStats* out) const {
  const struct mallinfo2 mi = mallinfo2();
  out->allocated = mi.uordblks + mi.hblkhd;
  out->mapped = mi.arena + mi.hblkhd;
  out->free_bytes = mi.fordblks;
}

bool AllocatorReader::dump_heap_profile(const char* path, const char** why) const {
  *why = "ok";
  if (!profile_.available) {
    *why = "heap profiles not available for this allocator/configuration";
    return false;
  }
  if (backend_ == Backend::kJemalloc) {
    const char* p = path;
    const int rc = mallctl_("prof.dump", nullptr, nullptr, &p, sizeof(p));
    if (rc != 0) *why = "mallctl(prof.dump) failed";
    return rc == 0;
  }
  // tcmalloc: both producers allocate (std::string / malloc'd char*), which is
  // acceptable here: a dump is rare and happens off the snapshot path.
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *why = "cannot create the profile file";
    return false;
  }
  bool ok = false;
  if (tc_get_heap_profile_ != nullptr) {
    char* text = tc_get_heap_profile_();
    if (text != nullptr) {
      ok = write_all(fd, text, std::strlen(text));
      std::free(text);
    }
  } else if (tc_instance_ != nullptr) {
    std::string text;
    static_cast<MallocExtension*>(tc_instance_)->GetHeapSample(&text);
    ok = write_all(fd, text.data(), text.size());
  }
  ::close(fd);
  if (!ok) *why = "writing the profile failed";
  return ok;
}

}  // namespace hd::memprof
